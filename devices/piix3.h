// Intel 82371SB (PIIX3) function 0: the PCI-to-ISA bridge at 01.0, with the PCI
// interrupt router and the reset control register.
//
// Vendor 8086, device 7000, class 060100, multi-function (IDE at 01.1, power
// management at 01.3 as on QEMU's pc machine).
//
// PIRQRC[A:D] (config 0x60-0x63, PIIX3 datasheet 2.2.9): bit 7 set disables the
// routing; bits 3:0 name the ISA IRQ (3-7, 9-12, 14, 15; other values route
// nowhere). The four PIRQ inputs come from PciBus (set_pirq_sink) as levels;
// several PIRQs may share an IRQ, so the line an IRQ sees is the OR of every PIRQ
// routed to it. Changing a routing register moves an asserted PIRQ at once.
// The edge/level control registers (ELCR, 0x4D0/0x4D1) live in the PIC.
//
// RCR (I/O 0xCF9, datasheet 2.3.2): bit 1 SRST (hard/soft), bit 2 RCPU; writing
// RCPU = 1 resets the machine (soft and hard reset are the same here). The other
// configuration registers (IORT, XBCS, TOM, MBIRQ, APICBASE, SMI control...) are
// storage with their reset values.
#pragma once

#include <functional>

#include "devices/pci.h"

namespace kasou {

class Piix3Isa final : public PciFunction, public IrqSink, public IoHandler {
 public:
  static constexpr uint8_t kPirqRc = 0x60;
  // `isa` receives the ISA IRQ lines (the PIC); `reset` asks for a machine reset.
  Piix3Isa(IrqSink* isa, std::function<void()> reset);
  void reset() override;

  // PIRQ inputs 0-3 (PIRQA#..PIRQD#).
  void set_irq(unsigned pirq, bool level) override;
  // Reset control register (port 0xCF9, through PciBus::set_reset_control).
  const char* io_name() const override { return "piix3-rcr"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  // The ISA IRQ a PIRQ routes to now, or -1.
  int route(unsigned pirq) const;
  uint8_t rcr() const { return rcr_; }

 protected:
  void config_changed(uint8_t offset, unsigned size) override;

 private:
  void update_isa_lines();

  IrqSink* isa_;
  std::function<void()> reset_;
  uint8_t pirq_levels_ = 0;
  uint16_t isa_levels_ = 0;  // what we drive on each ISA IRQ now
  uint8_t rcr_ = 0;
};

}  // namespace kasou
