// TEMPORARY while the translator is being written: the reference interpreter.
#include "jit/jit_engine.h"

#include "core/interp/interp_engine.h"
#include "core/machine.h"

namespace kasou {
std::unique_ptr<ExecutionEngine> make_jit_engine(Machine& m, const JitOptions&) {
  return std::make_unique<InterpEngine>(m.decoder());
}
}  // namespace kasou
