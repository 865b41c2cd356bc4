// Intel 8259A programmable interrupt controller, the PC's master/slave pair.
//
// Master at 0x20/0x21 (IRQ 0-7), slave at 0xA0/0xA1 (IRQ 8-15) cascaded on the
// master's IR2, and the PIIX edge/level control registers (ELCR) at 0x4D0/0x4D1.
// Implemented from the 8259A datasheet: ICW1-ICW4 (single/cascade, LTIM, AEOI,
// special fully nested mode), OCW1 (mask), OCW2 (specific / non-specific EOI,
// rotate on EOI, rotate in AEOI, set priority), OCW3 (IRR/ISR read, poll, special
// mask mode), edge and level triggered inputs, spurious IRQ 7 / IRQ 15.
//
// Edge inputs latch a low-to-high transition of the line into IRR; level inputs
// (ELCR bit or ICW1.LTIM) follow the line. The device keeps the electrical level
// of all 16 lines, so a line held high across an ICW1 does not make a new edge.
// It is the machine's InterruptController (INTR = master output) and tells the
// host whenever INTR may have risen.
#pragma once

#include <cstdint>

#include "core/device.h"
#include "core/io_bus.h"
#include "devices/device_host.h"

namespace kasou {

class Pic8259 : public Device, public IoHandler, public IrqSink, public InterruptController {
 public:
  Pic8259(IoBus& io, DeviceHost& host);
  const char* name() const override { return "pic"; }
  const char* io_name() const override { return "pic"; }
  void reset() override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  uint32_t io_read(uint16_t port, unsigned size_bytes) override;
  void io_write(uint16_t port, uint32_t value, unsigned size_bytes) override;

  // IrqSink: lines 0-15 (line 2 is the cascade input; a device on "IRQ 2"
  // is wired to IRQ 9 on AT-class boards, as the board does).
  void set_irq(unsigned line, bool level) override;

  // InterruptController.
  bool interrupt_pending() const override;
  uint8_t acknowledge() override;

  struct Chip {
    uint8_t irr = 0, isr = 0, imr = 0;
    uint8_t elcr = 0;          // level-triggered inputs (PIIX ELCR)
    uint8_t lowest = 7;        // lowest-priority level (rotation): priority order starts at lowest+1
    uint8_t vector_base = 0;   // ICW2 & 0xF8
    uint8_t init_step = 0;     // 0 = ready, 1 = ICW2 next, 2 = ICW3 next, 3 = ICW4 next
    uint8_t icw1 = 0;          // IC4, SNGL, LTIM bits of the last ICW1
    uint8_t icw3 = 0;
    uint8_t icw4 = 0;
    uint8_t read_isr = 0;      // OCW3 RR/RIS: 0 = IRR, 1 = ISR
    uint8_t poll = 0;          // OCW3 P: the next read is a poll
    uint8_t special_mask = 0;  // OCW3 SMM
    uint8_t rotate_aeoi = 0;   // OCW2 rotate in automatic EOI mode
    uint8_t lines = 0;         // electrical level of the 8 inputs (edge detection)
  };
  struct State {
    Chip chip[2];  // 0 = master, 1 = slave
  };
  const State& state() const { return st_; }

 private:
  uint8_t level_mask(const Chip& c) const;
  // Highest-priority requesting level that may interrupt, or -1.
  int pending_irq(int chip) const;
  void chip_input(int chip, unsigned pin, bool level);
  void ack(int chip, int irq);
  uint8_t poll_read(int chip);
  void write_command(int chip, uint8_t v);
  void write_data(int chip, uint8_t v);
  void eoi_highest(Chip& c, bool rotate);
  // Propagates the slave's output to the master's IR2 and notifies the host.
  void update();

  IoBus& io_;
  DeviceHost& host_;
  State st_{};
};

}  // namespace kasou
