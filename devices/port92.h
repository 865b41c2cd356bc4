// System control port A (port 0x92, "fast A20 and reset") and the A20 gate.
//
// Bit 0: a 0 -> 1 transition resets the machine (fast reset); bit 1: A20 enable.
// Other bits are stored and read back. The A20 line of the machine is the OR
// of this bit and the 8042's output-port A20 bit (set_kbc_a20), as on PIIX.
#pragma once

#include <cstdint>

#include "core/device.h"
#include "core/io_bus.h"
#include "devices/device_host.h"

namespace kasou {

class Port92 : public Device, public IoHandler {
 public:
  Port92(IoBus& io, DeviceHost& host);
  const char* name() const override { return "port92"; }
  const char* io_name() const override { return "port92"; }
  void reset() override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  uint32_t io_read(uint16_t port, unsigned size_bytes) override;
  void io_write(uint16_t port, uint32_t value, unsigned size_bytes) override;

  // The keyboard controller's A20 output.
  void set_kbc_a20(bool on);

  struct State {
    uint8_t value = 0;
    uint8_t kbc_a20 = 1;
  };
  const State& state() const { return st_; }

 private:
  void apply();
  DeviceHost& host_;
  State st_{};
};

}  // namespace kasou
