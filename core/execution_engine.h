// ExecutionEngine: what runs guest instructions for a Machine.
//
// core/ declares it; jit/ (the translator) and core/interp (the reference
// interpreter, one instruction at a time) implement it. The Machine gives the
// engine a time slice by setting Vcpu::budget and calls run(); the engine returns
// when the budget is spent or the Vcpu asks for an exit. Exceptions raised by guest
// instructions are delivered inside the engine (through core/exceptions.h).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/physical_memory.h"
#include "core/vcpu.h"

namespace kasou {

// One line of statistics: a name and a value, for text and JSON output.
struct StatEntry {
  std::string name;
  double value;
  std::string unit;  // "", "bytes", "s", ...
};

class ExecutionEngine : public CodeWriteListener {
 public:
  ~ExecutionEngine() override = default;
  virtual const char* name() const = 0;
  // Runs until budget <= 0 or an exit is requested. Never throws GuestFault.
  virtual void run(Vcpu& v) = 0;
  // Drops every translation (e.g. after restoring a snapshot).
  virtual void flush() = 0;
  // Called when the mode-defining state changed outside the engine (reset, restore).
  virtual void state_changed(Vcpu&) {}
  virtual void collect_stats(std::vector<StatEntry>& out) const = 0;
  void on_code_write(uint64_t, uint64_t) override {}
};

}  // namespace kasou
