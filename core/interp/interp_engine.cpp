// InterpEngine: fetch, decode, execute, deliver faults; one instruction per step.
#include "core/interp/interp_engine.h"

#include "core/exceptions.h"
#include "core/fault.h"
#include "core/interp/interp.h"

#include <fmt/format.h>

namespace kasou {

void print_exec_trace(const CpuState& s) {
  const uint64_t* g = s.gpr;
  fmt::print(stderr, "exec {:04x}:{:08x} eax={:08x} ecx={:08x} edx={:08x} ebx={:08x} esp={:08x} ebp={:08x} esi={:08x} edi={:08x} efl={:08x}\n",
             s.seg[kCs].selector, s.eip(), g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], s.eflags());
}

void InterpEngine::run(Vcpu& v) {
  while (v.budget > 0 && v.exit_request == ExitRequest::kNone) {
    const bool shadow = v.s.interrupt_shadow;
    // The faulting instruction counts as retired, as in the translator.
    v.budget--;
    steps_++;
    if (trace_exec_) print_exec_trace(v.s);
    try {
      interp_step(v, decoder_);
    } catch (const GuestFault& f) {
      deliver_exception(v, f);
    }
    if (shadow) v.s.interrupt_shadow = 0;
    if (v.s.halted) break;
  }
}

void InterpEngine::collect_stats(std::vector<StatEntry>& out) const {
  out.push_back({"engine.interp_steps", static_cast<double>(steps_), ""});
}

}  // namespace kasou
