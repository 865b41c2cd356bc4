// Device: the common interface of everything plugged into a Machine.
//
// A device registers its ports and MMIO ranges on the buses, its timers on the
// Scheduler and raises interrupt lines through the interrupt controller; it never
// reads host time. Its guest-visible state lives in one struct that save/load
// serialise (added per device as the devices grow).
#pragma once

#include <cstdint>

namespace kasou {

class Device {
 public:
  virtual ~Device() = default;
  virtual const char* name() const = 0;
  // Power-on / hardware reset.
  virtual void reset() {}
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
