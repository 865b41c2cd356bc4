// DeviceHost: what a platform device needs from the machine it is plugged into.
//
// The legacy PC devices (PIC, PIT, RTC, i8042, UART, port 0x92) talk to the
// machine only through this interface: the scheduler for timers, the exact
// virtual time, "INTR may have risen" notifications, the A20 gate, the reset
// line and a log. MachineDeviceHost forwards to a Machine; unit tests use a host
// whose clock is the scheduler's, so a test can move virtual time by hand.
#pragma once

#include <cstdint>
#include <string>

#include "core/scheduler.h"

namespace kasou {

class Machine;

class DeviceHost {
 public:
  virtual ~DeviceHost() = default;
  virtual Scheduler& scheduler() = 0;
  // Virtual time now, in ns (exact to the instruction while the CPU runs).
  virtual uint64_t now_ns() const = 0;
  // An interrupt request may have been raised, or a device scheduled an event
  // earlier than the deadline the CPU is running to: return to the run loop.
  virtual void interrupt_changed() = 0;
  virtual void set_a20(bool enabled) = 0;
  virtual void request_reset() = 0;
  // Guest misbehaviour worth knowing about (bad commands, unimplemented
  // registers). Messages name the device and the port.
  virtual void log(const std::string& message) = 0;
};

// The host of a real Machine. Logs go to stderr, at most `kMaxLogs` lines per
// run (a guest that hammers an unimplemented register must not flood the console).
class MachineDeviceHost final : public DeviceHost {
 public:
  explicit MachineDeviceHost(Machine& m) : m_(m) {}
  Scheduler& scheduler() override;
  uint64_t now_ns() const override;
  void interrupt_changed() override;
  void set_a20(bool enabled) override;
  void request_reset() override;
  void log(const std::string& message) override;

  static constexpr unsigned kMaxLogs = 50;

 private:
  Machine& m_;
  unsigned logs_ = 0;
};

}  // namespace kasou
