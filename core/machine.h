// Machine: one virtual computer: a CPU, physical memory, the I/O bus, the
// scheduler, the attached devices and an execution engine (injected, so core/
// never depends on jit/).
//
// The run loop lives here: it gives the engine time slices up to the next
// scheduler deadline, runs due device events, delivers external interrupts, idles
// through HLT, and stops on a guest request, a limit, or a fatal condition.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/execution_engine.h"
#include "core/interp/decode.h"
#include "core/io_bus.h"
#include "core/physical_memory.h"
#include "core/scheduler.h"
#include "core/vcpu.h"

namespace kasou {

enum class StopReason {
  kNone,
  kGuestExit,         // the guest wrote to the debug-exit port
  kPowerOff,
  kInstructionLimit,  // --max-instructions
  kTimeout,           // --timeout (host wall clock)
  kHaltedForever,     // HLT with interrupts disabled and nothing scheduled
  kTripleFault,       // when reset-on-triple-fault is off
  kReset,             // a reset request (i8042, 0xCF9, port 0x92) with stop_on_reset
  kGuestPanic,        // the guest reported a fatal error (e.g. a Linux kernel panic)
  kGuestError,        // an exception the guest has no way to handle (no IDT)
  kUserRequest,
  kHostError,         // an emulator limitation hit; message says which
};
const char* stop_reason_name(StopReason r);

struct MachineConfig {
  uint64_t ram_bytes = 128ull << 20;
  // Virtual nanoseconds per retired instruction in deterministic mode.
  uint64_t ns_per_instruction = 1;
  bool deterministic = true;
  bool reset_on_triple_fault = false;
  // A reset request from a device ends the run (QEMU -no-reboot; guests without
  // firmware to reboot into) instead of resetting the machine.
  bool stop_on_reset = false;
  // The real-time clock's time at power-on in deterministic mode (Unix seconds;
  // default 2024-01-01 00:00:00 UTC). Otherwise the host clock is used.
  int64_t rtc_epoch = 1704067200;
};

struct RunLimits {
  uint64_t max_instructions = 0;  // 0 = no limit
  double timeout_seconds = 0;     // 0 = no limit
};

class Machine {
 public:
  explicit Machine(const MachineConfig& config);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  PhysicalMemory& memory() { return mem_; }
  IoBus& io() { return io_; }
  Vcpu& vcpu() { return *vcpu_; }
  Scheduler& scheduler() { return sched_; }
  const InsnDecoder& decoder() const { return decoder_; }
  const MachineConfig& config() const { return config_; }

  void set_engine(std::unique_ptr<ExecutionEngine> engine);
  ExecutionEngine& engine() { return *engine_; }
  // The machine owns its devices; returns the raw pointer for wiring.
  template <class D>
  D* add_device(std::unique_ptr<D> d) {
    D* raw = d.get();
    devices_.push_back(std::move(d));
    return raw;
  }
  void set_interrupt_controller(InterruptController* pic) { pic_ = pic; }
  InterruptController* interrupt_controller() const { return pic_; }

  // CPU reset state: real mode, CS:IP = F000:FFF0 with CS base FFFF0000.
  void reset_cpu();
  // Full machine reset (CPU and devices), e.g. after a triple fault.
  void reset();

  StopReason run(const RunLimits& limits);
  // Called by devices and helpers: ends run() after the current instruction.
  void request_stop(StopReason reason, int exit_code, std::string message = {});
  // Called when an interrupt line changes or IF may have unmasked one.
  void interrupt_changed() { vcpu_->request_exit(ExitRequest::kAttention); }
  // The A20 gate (i8042 output port, port 0x92): with it off, physical address
  // bit 20 is forced to 0, as on the 8086.
  void set_a20(bool enabled);
  bool a20_enabled() const { return vcpu_->a20_mask & (1ull << 20); }
  // A device asks for a hardware reset (i8042 pulse, port 0x92 bit 0, 0xCF9):
  // done by the run loop after the current instruction.
  void request_reset();
  uint64_t resets() const { return resets_; }

  StopReason stop_reason() const { return stop_reason_; }
  int exit_code() const { return exit_code_; }
  const std::string& stop_message() const { return stop_message_; }
  double wall_seconds() const { return wall_seconds_; }
  // Virtual time now, exact to the instruction (the scheduler's clock only moves at
  // slice boundaries).
  uint64_t now_ns() const { return vcpu_->now_ns(); }

  void collect_stats(std::vector<StatEntry>& out) const;

 private:
  void sync_clock();
  void idle_until_event();
  bool deliver_pending_interrupt();

  MachineConfig config_;
  PhysicalMemory mem_;
  IoBus io_;
  Scheduler sched_;
  InsnDecoder decoder_;
  std::unique_ptr<Vcpu> vcpu_;
  std::unique_ptr<ExecutionEngine> engine_;
  std::vector<std::unique_ptr<Device>> devices_;
  InterruptController* pic_ = nullptr;

  StopReason stop_reason_ = StopReason::kNone;
  int exit_code_ = 0;
  std::string stop_message_;
  double wall_seconds_ = 0;
  uint64_t clock_insns_ = 0;  // instructions already accounted in the virtual clock
  bool reset_pending_ = false;
  uint64_t resets_ = 0;
};

}  // namespace kasou
