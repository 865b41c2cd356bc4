// Inline RDTSC: the guest's time-stamp counter is the virtual clock plus the
// TSC offset (Vcpu::tsc()), computed here from the same fields without a helper
// call and without touching host EFLAGS (RDTSC does not write flags):
//   tsc = insn_base - budget - (instructions of this block after this one)
//         + idle_ns + tsc_offset        (at 1 ns per instruction)
// Delay loops call RDTSC millions of times while Linux boots.
#include "jit/block_key.h"
#include "jit/emitter.h"

namespace kasou::jit {

using namespace asmjit;

bool Emitter::timestamp_supported(const DecodedInsn& d) const {
  return d.zi.mnemonic == ZYDIS_MNEMONIC_RDTSC && env_.ns_per_instruction == 1 && !(mode_ & mode_bit::kTsdFault);
}

void Emitter::emit_timestamp() {
  const int32_t unretired = static_cast<int32_t>(insns_->size() - index_ - 1);
  a_.mov(x86::rax, x86::qword_ptr(x86::rbp, static_cast<int32_t>(offsetof(Vcpu, insn_base))));
  a_.mov(x86::r9, x86::qword_ptr(x86::rbp, kBudgetOff));
  a_.not_(x86::r9);                                         // -budget - 1
  a_.lea(x86::rax, x86::ptr(x86::rax, x86::r9, 0, 1 - unretired));
  a_.mov(x86::r9, x86::qword_ptr(x86::rbp, static_cast<int32_t>(offsetof(Vcpu, idle_ns))));
  a_.lea(x86::rax, x86::ptr(x86::rax, x86::r9));
  a_.mov(x86::r9, x86::qword_ptr(x86::rbp, static_cast<int32_t>(offsetof(Vcpu, s) + offsetof(CpuState, tsc_offset))));
  a_.lea(x86::rax, x86::ptr(x86::rax, x86::r9));
  a_.rorx(x86::rdx, x86::rax, 32);
  a_.mov(x86::edx, x86::edx);
  a_.mov(x86::eax, x86::eax);
}

}  // namespace kasou::jit
