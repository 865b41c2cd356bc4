// InterpEngine: fetch, decode, execute, deliver faults; one instruction per step.
#include "core/interp/interp_engine.h"

#include "core/exceptions.h"
#include "core/fault.h"
#include "core/interp/interp.h"

namespace kasou {

void InterpEngine::run(Vcpu& v) {
  while (v.budget > 0 && v.exit_request == ExitRequest::kNone) {
    const bool shadow = v.s.interrupt_shadow;
    // The faulting instruction counts as retired, as in the translator.
    v.budget--;
    steps_++;
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
