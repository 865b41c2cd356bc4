// InterpEngine: runs the guest one instruction at a time on the reference
// implementation. Slow, simple and the yardstick the translator is checked
// against (`kasou run --engine interp`).
#pragma once

#include "core/execution_engine.h"
#include "core/interp/decode.h"

namespace kasou {

// One line of CPU state (EIP, GPRs, EFLAGS) for execution traces.
void print_exec_trace(const CpuState& s);

class InterpEngine : public ExecutionEngine {
 public:
  explicit InterpEngine(const InsnDecoder& decoder, bool trace_exec = false)
      : decoder_(decoder), trace_exec_(trace_exec) {}
  const char* name() const override { return "interp"; }
  void run(Vcpu& v) override;
  void flush() override {}
  void collect_stats(std::vector<StatEntry>& out) const override;

 private:
  const InsnDecoder& decoder_;
  bool trace_exec_;
  uint64_t steps_ = 0;
};

}  // namespace kasou
