// Calls from generated code into the reference implementation: the privileged and
// sensitive instructions (IN/OUT, CLI/STI, INT, ...), and every instruction the
// translator does not inline. The guest registers and flags are written back to
// CpuState, the handler runs, and either the block goes on (registers and flags
// reloaded) or, if the helper changed control flow, the mode, or asked to stop,
// generated code leaves through the exit trampoline.
#include "core/interp/sensitive.h"
#include "jit/block_key.h"
#include "jit/emitter.h"

namespace kasou::jit {

using namespace asmjit;

void Emitter::emit_helper_call() {
  HelperSite& site = b_.helpers.emplace_back();
  site.insn = *d_;
  site.handler = interp_handler(*d_);
  site.unretired_after = static_cast<uint32_t>(insns_->size() - index_ - 1);
  site.may_change_mode = may_change_mode(*d_);
  site.block_mode = mode_;
  site.sensitive_kind = static_cast<uint8_t>(sensitive_kind(*d_));
  // The shared stub saves the flags, spills, calls, and either returns with
  // registers and flags reloaded or leaves through exit_nostore (runtime.cpp).
  a_.mov(x86::rsi, reinterpret_cast<uint64_t>(&site));
  call_abs(env_.tramp->helper_stub);
}

}  // namespace kasou::jit
