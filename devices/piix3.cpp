// PIIX3 ISA bridge: PIRQ routing and the reset control register.
#include "devices/piix3.h"

#include "core/state_io.h"

namespace kasou {

Piix3Isa::Piix3Isa(IrqSink* isa, std::function<void()> reset)
    : PciFunction("piix3", Identity{0x8086, 0x7000, 0x00, 0x060100, 0, 0, 0, 0x80}),
      isa_(isa), reset_(std::move(reset)) {
  init16(pci::kCommand, pci::kCmdIo | pci::kCmdMemory | pci::kCmdMaster, pci::kCmdSerr);
  init8(0x4C, 0x4D, 0xFF);  // IORT
  init16(0x4E, 0x0003, 0x07FF);  // XBCS
  for (uint8_t i = 0; i < 4; i++) init8(static_cast<uint8_t>(kPirqRc + i), 0x80, 0x8F);
  init8(0x69, 0x02, 0xFF);  // TOM
  init16(0x6A, 0x0000, 0xFFFF);  // MSTAT
  init8(0x70, 0x80, 0xCF);  // MBIRQ0
  init8(0x71, 0x80, 0xCF);  // MBIRQ1
  init8(0x76, 0x0C, 0x8F);  // MBDMA0
  init8(0x77, 0x0C, 0x8F);  // MBDMA1
  init16(0x78, 0x0002, 0xFFFF);  // PCSC
  init8(0x80, 0x00, 0x7F);  // APICBASE
  init8(0x82, 0x00, 0x0F);  // DLC
  init16(0xA0, 0x0008, 0x001F);  // SMICNTL
  init16(0xA2, 0x0000, 0x00FF);  // SMIEN
  init32(0xA4, 0x00000000, 0xFFFFFFFF);  // SEE
  init8(0xA8, 0x0F, 0xFF);  // FTMR
  init16(0xAA, 0x0000, 0x00FF);  // SMIREQ
  init8(0xAC, 0x00, 0xFF);  // CTLTMR
  init8(0xAE, 0x00, 0xFF);  // CTHTMR
}

void Piix3Isa::reset() {
  PciFunction::reset();
  rcr_ = 0;
}

int Piix3Isa::route(unsigned pirq) const {
  uint8_t r = cfg8(static_cast<uint8_t>(kPirqRc + (pirq & 3)));
  if (r & 0x80) return -1;
  unsigned irq = r & 0x0F;
  // IRQ 0, 1, 2, 8 and 13 are reserved (datasheet: "reserved" encodings).
  if (irq < 3 || irq == 8 || irq == 13) return -1;
  return static_cast<int>(irq);
}

void Piix3Isa::set_irq(unsigned pirq, bool level) {
  if (pirq > 3) return;
  if (level) pirq_levels_ |= static_cast<uint8_t>(1u << pirq);
  else pirq_levels_ &= static_cast<uint8_t>(~(1u << pirq));
  update_isa_lines();
}

void Piix3Isa::update_isa_lines() {
  uint16_t levels = 0;
  for (unsigned p = 0; p < 4; p++) {
    int irq = route(p);
    if (irq >= 0 && (pirq_levels_ >> p & 1)) levels |= static_cast<uint16_t>(1u << irq);
  }
  // Lines that a routing change leaves: lower first, then raise.
  uint16_t changed = levels ^ isa_levels_;
  isa_levels_ = levels;
  if (!isa_) return;
  for (unsigned irq = 0; irq < 16; irq++)
    if ((changed >> irq & 1) && !(levels >> irq & 1)) isa_->set_irq(irq, false);
  for (unsigned irq = 0; irq < 16; irq++)
    if ((changed >> irq & 1) && (levels >> irq & 1)) isa_->set_irq(irq, true);
}

void Piix3Isa::config_changed(uint8_t offset, unsigned size) {
  if (offset < kPirqRc + 4 && offset + size > kPirqRc) update_isa_lines();
}

uint32_t Piix3Isa::io_read(uint16_t, unsigned) { return rcr_; }

void Piix3Isa::io_write(uint16_t, uint32_t value, unsigned) {
  rcr_ = value & 0x02;  // RCPU is not kept: it triggers the reset
  if ((value & 0x04) && reset_) reset_();
}

void Piix3Isa::save(StateWriter& w) const {
  PciFunction::save(w);
  w.begin_section("piix3", 1);
  w.put(rcr_);
  w.put(pirq_levels_);
  w.end_section();
}

void Piix3Isa::load(StateReader& r) {
  PciFunction::load(r);
  if (r.open_section("piix3") != 1) throw StateError("state: unknown version of piix3");
  r.get(rcr_);
  r.get(pirq_levels_);
  update_isa_lines();
}

}  // namespace kasou
