// Test host for the legacy PC devices (PIC, PIT, RTC, i8042, UART): the clock is
// the scheduler's, moved by hand; A20, resets, "INTR may have risen" and log
// lines are recorded. IrqLog is an IrqSink that remembers each line's level and
// counts rising edges.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/io_bus.h"
#include "core/scheduler.h"
#include "devices/device_host.h"

namespace kasou::legacy_test {

class FakeHost : public DeviceHost {
 public:
  Scheduler& scheduler() override { return sched; }
  uint64_t now_ns() const override { return sched.now_ns(); }
  void interrupt_changed() override { attention++; }
  void set_a20(bool on) override {
    a20 = on;
    a20_writes++;
  }
  void request_reset() override { resets++; }
  void log(const std::string& m) override { logs.push_back(m); }
  // Runs every event due up to `ns` and moves the clock there.
  void advance_to(uint64_t ns) { sched.advance_to(ns); }
  void advance_by(uint64_t ns) { sched.advance_to(sched.now_ns() + ns); }

  Scheduler sched;
  int attention = 0;
  bool a20 = true;
  int a20_writes = 0;
  int resets = 0;
  std::vector<std::string> logs;
};

class IrqLog : public IrqSink {
 public:
  void set_irq(unsigned line, bool level) override {
    if (line >= 16) return;
    if (level && !levels[line]) rises[line]++;
    levels[line] = level;
  }
  std::array<bool, 16> levels{};
  std::array<int, 16> rises{};
};

inline uint8_t inb(IoBus& io, uint16_t port) { return static_cast<uint8_t>(io.read(port, 1)); }
inline void outb(IoBus& io, uint16_t port, uint8_t v) { io.write(port, v, 1); }

}  // namespace kasou::legacy_test
