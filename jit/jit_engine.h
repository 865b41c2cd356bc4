// The translation engine's public face: options and a factory, so the frontend
// never sees jit/ internals.
#pragma once

#include <memory>

#include "core/execution_engine.h"

namespace kasou {

class Machine;

struct JitOptions {
  bool trace_blocks = false;  // print each new block (guest instructions + host code)
  bool single_step = false;   // blocks of one instruction
  bool record_trace = false;
  // Classic trap-and-emulate for comparison: sensitive instructions are never
  // translated; each one leaves translated code and is emulated by the monitor.
  bool trap_privileged = false;  // keep per-instruction listings in blocks (implied by trace_blocks)
  // Print the CPU state at every block entry (no chaining, no inline jump cache, so
  // every entry is seen). With single_step this is a per-instruction trace that
  // can be compared line by line with the interpreter's.
  bool trace_exec = false;
  // A block is translated the (translate_after + 1)-th time the dispatcher looks
  // for it; before that the reference interpreter runs it. Most code of a boot runs
  // only a few times, and interpreting it costs less than translating it. 0 =
  // translate on first sight (always so with tracing or single-stepping).
  unsigned translate_after = 2;
};

std::unique_ptr<ExecutionEngine> make_jit_engine(Machine& m, const JitOptions& opts);

}  // namespace kasou
