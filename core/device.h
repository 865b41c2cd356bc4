// Device: the common interface of everything plugged into a Machine.
//
// A device registers its ports and MMIO ranges on the buses, its timers on the
// Scheduler and raises interrupt lines through the interrupt controller; it never
// reads host time. Its guest-visible state lives in one struct that save/load
// serialise (added per device as the devices grow).
#pragma once

#include <cstdint>

namespace kasou {

class StateWriter;
class StateReader;

class Device {
 public:
  virtual ~Device() = default;
  virtual const char* name() const = 0;
  // Power-on / hardware reset.
  virtual void reset() {}
  // Save/restore of the device's guest-visible state (its one state struct);
  // pending scheduler events are saved by the scheduler.
  virtual void save(StateWriter&) const {}
  virtual void load(StateReader&) {}
};

// Where a device's interrupt request line goes (the 8259 pair, later also the I/O
// APIC). `level` is the line's electrical state: edge-triggered inputs latch a
// rising edge, level-triggered ones follow it.
class IrqSink {
 public:
  virtual ~IrqSink() = default;
  virtual void set_irq(unsigned line, bool level) = 0;
};

// One interrupt line as a device holds it.
struct IrqLine {
  IrqSink* sink = nullptr;
  unsigned line = 0;
  void set(bool level) const {
    if (sink) sink->set_irq(line, level);
  }
  void raise() const { set(true); }
  void lower() const { set(false); }
  void pulse() const { set(true), set(false); }
};

// Where the CPU gets external interrupts from (the 8259 pair, later the APICs).
class InterruptController {
 public:
  virtual ~InterruptController() = default;
  // True if an interrupt request is pending for the CPU (INTR asserted).
  virtual bool interrupt_pending() const = 0;
  // Interrupt acknowledge cycle: returns the vector and updates in-service state.
  virtual uint8_t acknowledge() = 0;
};

}  // namespace kasou
