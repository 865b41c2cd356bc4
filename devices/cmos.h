// Motorola MC146818 real-time clock with its CMOS RAM (ports 0x70/0x71).
//
// Port 0x70: bit 7 = NMI disable, bits 6-0 = register index; port 0x71 = data.
// 128 bytes: the time (0x00-0x09, century at 0x32), registers A-D (0x0A-0x0D)
// and NVRAM (memory-size bytes and the rest, set by the board).
//
// The clock is the divider chain's time D in ns, D = virtual now + offset, with
// seconds = floor(D / 1e9) as a Unix time: the time at power-on comes from the
// board (a fixed epoch in deterministic mode) and then advances with virtual
// time. Time registers are computed on read while the clock ticks (divider
// running, SET clear) and hold what the guest wrote while it does not. Register
// A: UIP (high during the last 244 us before each update), divider (11x holds
// it in reset; the first update comes 500 ms after release), rate select of the
// periodic interrupt. Register B: SET, PIE, AIE, UIE, SQWE, DM (binary/BCD),
// 24/12 hour. Register C: IRQF, PF, AF, UF (cleared by reading it, which also
// lowers IRQ 8). Register D: VRT.
//
// Flags are accounted lazily (on access) over the divider time that passed;
// a scheduler event is set only for the next flag that would raise IRQ 8.
#pragma once

#include <cstdint>

#include "core/device.h"
#include "core/io_bus.h"
#include "devices/device_host.h"

namespace kasou {

class Cmos : public Device, public IoHandler {
 public:
  Cmos(IoBus& io, DeviceHost& host, IrqLine irq8, int64_t epoch_seconds);
  const char* name() const override { return "cmos"; }
  const char* io_name() const override { return "cmos"; }
  void reset() override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  uint32_t io_read(uint16_t port, unsigned size_bytes) override;
  void io_write(uint16_t port, uint32_t value, unsigned size_bytes) override;

  // Board set-up of the NVRAM (not the clock registers).
  void set_byte(uint8_t index, uint8_t value) { st_.ram[index & 0x7F] = value; }
  uint8_t byte(uint8_t index) const { return st_.ram[index & 0x7F]; }
  // Memory-size bytes as the BIOS reads them: 0x15/0x16 base memory (640 KiB),
  // 0x17/0x18 and 0x30/0x31 KiB above 1 MiB (at most 65535), 0x34/0x35 64 KiB
  // blocks above 16 MiB below 4 GiB, 0x5B-0x5D 64 KiB blocks above 4 GiB.
  void set_memory_size(uint64_t below_4g, uint64_t above_4g);
  bool nmi_disabled() const { return st_.nmi_disabled; }
  // The clock as a Unix time (seconds), for tests and the frontend.
  int64_t unix_time() const;

  struct State {
    uint8_t ram[128];
    uint8_t index;
    uint8_t nmi_disabled;
    uint8_t irq_level;
    uint8_t pad[5];
    int64_t offset_ns;   // D = now + offset_ns while the divider runs
    int64_t frozen_div;  // D while the divider is stopped
    int64_t checked_div; // flags accounted up to this D
  };
  const State& state() const { return st_; }

 private:
  bool divider_running() const;
  bool ticking() const;  // divider running and SET clear: time registers follow D
  int64_t div_now() const;
  void set_div(int64_t d);
  // Writes the time at `seconds` into the time registers (format from reg B).
  void store_time(int64_t seconds, uint8_t* regs) const;
  int64_t time_from_registers() const;
  void materialize();       // clock stops: the registers take the current time
  void rebase(bool half_second);  // clock starts: D follows the registers
  void catch_up();
  void update_irq();
  void schedule();
  bool alarm_matches(int64_t seconds) const;
  uint8_t to_reg(int v) const;
  int from_reg(uint8_t v) const;

  IoBus& io_;
  DeviceHost& host_;
  IrqLine irq8_;
  EventKind event_;
  State st_{};
};

}  // namespace kasou
