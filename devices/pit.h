// Intel 8254 programmable interval timer (ports 0x40-0x43) and the speaker /
// gate bits of system control port B (0x61).
//
// Three counters clocked at 1.193182 MHz, all six modes, binary and BCD,
// LSB / MSB / LSB-then-MSB access, counter latch and read-back commands (status
// byte with OUT and NULL COUNT), GATE of counter 2 from port 0x61 bit 0.
// Counters 0 and 1 have GATE tied high; counter 0's OUT drives IRQ 0.
//
// Nothing is polled: the counters are evaluated in closed form from the clock
// tick at which the count was loaded, and the next change of OUT0 is scheduled
// as a scheduler event. Clock ticks sit on a fixed grid of virtual time:
// tick(t) = floor(t * 1193182 / 1e9). As the datasheet says, a count written
// between two clock pulses is loaded into the counting element by the next pulse
// (which does not decrement it), so in mode 0 OUT rises N+1 pulses after the
// count is written.
//
// Port 0x61 (read): bit 0 GATE2, bit 1 speaker data enable, bits 2-3 as
// written, bit 4 refresh request toggle (every 15.085 us of virtual time),
// bit 5 OUT2. Bits 6-7 (IOCHK, SERR) read 0.
#pragma once

#include <cstdint>

#include "core/device.h"
#include "core/io_bus.h"
#include "devices/device_host.h"

namespace kasou {

class Pit8254 : public Device, public IoHandler {
 public:
  static constexpr uint64_t kHz = 1193182;

  Pit8254(IoBus& io, DeviceHost& host, IrqLine irq0);
  const char* name() const override { return "pit"; }
  const char* io_name() const override { return "pit"; }
  void reset() override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  uint32_t io_read(uint16_t port, unsigned size_bytes) override;
  void io_write(uint16_t port, uint32_t value, unsigned size_bytes) override;

  // Clock grid helpers (exposed for tests).
  static int64_t tick_at(uint64_t ns);       // pulses that occurred in (0, ns]
  static uint64_t time_of_tick(int64_t k);   // first ns at which pulse k has occurred

  // OUT of a counter and its counting element now (tests, the speaker).
  bool out(int counter);
  uint16_t count(int counter);
  bool speaker_on();  // OUT2 and port 0x61 bit 1

  enum : uint8_t { kIdle = 0, kActive = 1, kStopped = 2 };
  struct Counter {
    uint8_t ctrl_mode = 0;   // mode bits as written (status byte)
    uint8_t mode = 0;        // effective mode 0-5 (6, 7 are 2, 3)
    uint8_t rw = 3;          // 1 LSB, 2 MSB, 3 LSB then MSB
    uint8_t bcd = 0;
    uint8_t gate = 1;
    uint8_t run = kIdle;     // kIdle: no count loaded (or waiting for a trigger)
    uint8_t write_msb = 0;   // rw 3: the next write is the MSB
    uint8_t lsb_written = 0; // rw 3: LSB of the count being written
    uint16_t cr = 0;         // count register as last written
    uint8_t cr_valid = 0;    // a complete count has been written since the control word
    uint8_t read_msb = 0;    // rw 3: the next read is the MSB
    uint8_t latched = 0;     // output latch holds a count
    uint8_t status_latched = 0;
    uint8_t status = 0;
    uint16_t ol = 0;         // output latch
    uint8_t frozen_out = 0;  // OUT while idle / before the load pulse
    uint8_t pad2[2] = {};
    uint32_t frozen_ce = 0;  // raw CE while idle / stopped / before the load pulse
    uint8_t pending = 0;     // modes 2, 3: a new count takes effect at pending_tick
    uint8_t pad = 0;
    uint32_t n = 0;          // count in effect (1..65536, BCD 1..10000)
    uint32_t pending_n = 0;
    int64_t load_tick = 0;   // pulse that loaded n (may be "virtual": mode 3 phase)
    int64_t paused_tick = -1;   // modes 0/4: GATE low since this pulse
    int64_t pending_tick = 0;
    int64_t null_until = 0;     // NULL COUNT while tick < null_until
    int64_t event_tick = -1;    // counter 0: pulse of the scheduled OUT change
  };
  struct State {
    Counter c[3];
    uint8_t port61 = 0;  // bits 0-3 as written
  };
  const State& state() const { return st_; }

 private:
  int64_t now_tick() const;
  // Applies a pending mode 2/3 count whose time has come (at or before tick k).
  void sync(Counter& c, int64_t k);
  void eval(const Counter& c, int64_t k, uint32_t& ce, bool& out) const;
  uint16_t ce_value(const Counter& c, uint32_t ce) const;  // counting element as read (BCD encoded)
  int64_t next_out_change(const Counter& c, int64_t k) const;
  uint32_t count_from_cr(const Counter& c) const;
  void write_control(uint8_t v, int64_t k);
  void write_count(int idx, uint8_t v, int64_t k);
  void count_written(int idx, int64_t k);
  uint8_t read_counter(int idx, int64_t k);
  void latch_count(Counter& c, int64_t k);
  void set_gate2(bool level, int64_t k);
  // Counter 0: drive IRQ 0 from OUT at tick k and schedule the next change.
  void update_irq0(int64_t k);
  void on_event(uint64_t payload);

  IoBus& io_;
  DeviceHost& host_;
  IrqLine irq0_;
  EventKind event_;
  State st_{};
};

}  // namespace kasou
