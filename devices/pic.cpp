// 8259A pair: priority resolution, ICW/OCW decoding, cascade and INTA cycle.
#include "devices/pic.h"

#include <fmt/format.h>

#include "core/state_io.h"

namespace kasou {
namespace {
constexpr uint8_t kIcw1Ic4 = 0x01, kIcw1Sngl = 0x02, kIcw1Ltim = 0x08;
constexpr uint8_t kIcw4Aeoi = 0x02, kIcw4Sfnm = 0x10, kIcw4Upm = 0x01;
constexpr uint8_t kElcrMask[2] = {0xF8, 0xDE};  // IRQ 0,1,2 and 8,13 are edge only (PIIX)

// Rank (0 = highest priority) of the highest-priority bit of `mask`, given the
// lowest-priority level; 8 if mask is empty.
int rank_of(uint8_t mask, uint8_t lowest) {
  for (int i = 0; i < 8; i++)
    if (mask & (1u << ((lowest + 1 + i) & 7))) return i;
  return 8;
}
int level_of_rank(int rank, uint8_t lowest) { return (lowest + 1 + rank) & 7; }
}  // namespace

Pic8259::Pic8259(IoBus& io, DeviceHost& host) : io_(io), host_(host) {
  io_.register_ports(0x20, 2, this, 1);
  io_.register_ports(0xA0, 2, this, 1);
  io_.register_ports(0x4D0, 2, this, 1);
  reset();
}

void Pic8259::reset() {
  for (auto& c : st_.chip) {
    uint8_t lines = c.lines;  // the wires keep their level across a reset
    c = Chip{};
    c.lines = lines;
  }
}

uint8_t Pic8259::level_mask(const Chip& c) const {
  return c.elcr | ((c.icw1 & kIcw1Ltim) ? 0xFF : 0x00);
}

int Pic8259::pending_irq(int chip) const {
  const Chip& c = st_.chip[chip];
  uint8_t req = c.irr & ~c.imr;
  if (!req) return -1;
  if (c.special_mask) {
    // Special mask mode: every unmasked level that is not itself in service may
    // interrupt, lower as well as higher priority (8259A datasheet, OCW3 SMM).
    req &= ~c.isr;
    int r = rank_of(req, c.lowest);
    return r == 8 ? -1 : level_of_rank(r, c.lowest);
  }
  int r = rank_of(req, c.lowest);
  uint8_t in = c.isr;
  // Special fully nested mode: the slave's cascade input does not block itself.
  if (chip == 0 && (c.icw4 & kIcw4Sfnm)) in &= ~0x04;
  int cur = rank_of(in, c.lowest);
  return r < cur ? level_of_rank(r, c.lowest) : -1;
}

void Pic8259::chip_input(int chip, unsigned pin, bool level) {
  Chip& c = st_.chip[chip];
  const uint8_t bit = static_cast<uint8_t>(1u << pin);
  if (level_mask(c) & bit) {
    c.irr = level ? (c.irr | bit) : (c.irr & ~bit);
  } else if (level && !(c.lines & bit)) {
    c.irr |= bit;  // rising edge: latched until acknowledged
  }
  c.lines = level ? (c.lines | bit) : (c.lines & ~bit);
}

void Pic8259::set_irq(unsigned line, bool level) {
  if (line >= 16) {
    host_.log(fmt::format("pic: set_irq on line {} ignored (lines are 0-15)", line));
    return;
  }
  chip_input(line >> 3, line & 7, level);
  update();
}

void Pic8259::update() {
  chip_input(0, 2, pending_irq(1) >= 0);
  if (pending_irq(0) >= 0) host_.interrupt_changed();
}

bool Pic8259::interrupt_pending() const { return pending_irq(0) >= 0; }

void Pic8259::ack(int chip, int irq) {
  Chip& c = st_.chip[chip];
  const uint8_t bit = static_cast<uint8_t>(1u << irq);
  if (c.icw4 & kIcw4Aeoi) {
    if (c.rotate_aeoi) c.lowest = static_cast<uint8_t>(irq);
  } else {
    c.isr |= bit;
  }
  if (!(level_mask(c) & bit)) c.irr &= ~bit;
}

uint8_t Pic8259::acknowledge() {
  Chip& m = st_.chip[0];
  Chip& s = st_.chip[1];
  int irq = pending_irq(0);
  uint8_t vector;
  if (irq < 0) {
    vector = m.vector_base | 7;  // spurious IRQ 7: no in-service bit
  } else if (irq == 2) {
    int sirq = pending_irq(1);
    if (sirq < 0) {
      vector = s.vector_base | 7;  // spurious IRQ 15 (the master's IR2 is in service)
    } else {
      ack(1, sirq);
      vector = static_cast<uint8_t>(s.vector_base | sirq);
    }
    ack(0, 2);
    // The slave's INT output drops during the INTA cycle; if it still has a
    // request, the master's IR2 sees a new edge.
    chip_input(0, 2, false);
  } else {
    ack(0, irq);
    vector = static_cast<uint8_t>(m.vector_base | irq);
  }
  update();
  return vector;
}

uint8_t Pic8259::poll_read(int chip) {
  Chip& c = st_.chip[chip];
  c.poll = 0;
  int irq = pending_irq(chip);
  if (irq < 0) return 0x00;
  ack(chip, irq);
  if (chip == 0 && irq == 2) chip_input(0, 2, false);
  update();
  return static_cast<uint8_t>(0x80 | irq);
}

uint32_t Pic8259::io_read(uint16_t port, unsigned) {
  if (port == 0x4D0 || port == 0x4D1) return st_.chip[port & 1].elcr;
  const int chip = port >= 0xA0 ? 1 : 0;
  Chip& c = st_.chip[chip];
  if (c.poll) return poll_read(chip);
  if (port & 1) return c.imr;
  return c.read_isr ? c.isr : c.irr;
}

void Pic8259::eoi_highest(Chip& c, bool rotate) {
  uint8_t in = c.isr;
  // In special mask mode a non-specific EOI does not clear masked IS bits.
  if (c.special_mask) in &= ~c.imr;
  int r = rank_of(in, c.lowest);
  if (r == 8) return;
  int irq = level_of_rank(r, c.lowest);
  c.isr &= ~(1u << irq);
  if (rotate) c.lowest = static_cast<uint8_t>(irq);
}

void Pic8259::write_command(int chip, uint8_t v) {
  Chip& c = st_.chip[chip];
  if (v & 0x10) {  // ICW1
    uint8_t lines = c.lines, elcr = c.elcr;
    c = Chip{};
    c.lines = lines;
    c.elcr = elcr;
    c.icw1 = v & (kIcw1Ic4 | kIcw1Sngl | kIcw1Ltim);
    c.init_step = 1;
    // Edge inputs need a new low-to-high transition; level inputs follow the line.
    c.irr = c.lines & level_mask(c);
    if (v & 0x04)  // ADI: call address interval, 8080 mode only
      host_.log(fmt::format("pic: port {:#x}: ICW1 {:#04x}: ADI ignored (8086 mode)", chip ? 0xA0 : 0x20, v));
    return;
  }
  if (v & 0x08) {  // OCW3
    if (v & 0x80)
      host_.log(fmt::format("pic: port {:#x}: OCW3 {:#04x} has bit 7 set", chip ? 0xA0 : 0x20, v));
    if (v & 0x04) c.poll = 1;
    if (v & 0x02) c.read_isr = v & 1;
    if (v & 0x40) c.special_mask = (v >> 5) & 1;
    return;
  }
  // OCW2
  const uint8_t level = v & 7;
  switch (v >> 5) {
    case 0: c.rotate_aeoi = 0; break;
    case 4: c.rotate_aeoi = 1; break;
    case 1: eoi_highest(c, false); break;
    case 5: eoi_highest(c, true); break;
    case 3: c.isr &= ~(1u << level); break;
    case 7:
      c.isr &= ~(1u << level);
      c.lowest = level;
      break;
    case 6: c.lowest = level; break;
    case 2: break;  // no operation
  }
}

void Pic8259::write_data(int chip, uint8_t v) {
  Chip& c = st_.chip[chip];
  switch (c.init_step) {
    case 0: c.imr = v; break;  // OCW1
    case 1:                    // ICW2
      c.vector_base = v & 0xF8;
      c.init_step = (c.icw1 & kIcw1Sngl) ? ((c.icw1 & kIcw1Ic4) ? 3 : 0) : 2;
      break;
    case 2:  // ICW3 (master: slaves on IR2; slave: ID 2). The PC wiring is fixed.
      c.icw3 = v;
      c.init_step = (c.icw1 & kIcw1Ic4) ? 3 : 0;
      break;
    case 3:  // ICW4
      c.icw4 = v & 0x1F;
      c.init_step = 0;
      if (!(v & kIcw4Upm))
        host_.log(fmt::format("pic: port {:#x}: ICW4 {:#04x} selects 8080 mode; treated as 8086 mode",
                              chip ? 0xA1 : 0x21, v));
      break;
  }
}

void Pic8259::io_write(uint16_t port, uint32_t value, unsigned) {
  const uint8_t v = static_cast<uint8_t>(value);
  if (port == 0x4D0 || port == 0x4D1) {
    Chip& c = st_.chip[port & 1];
    c.elcr = v & kElcrMask[port & 1];
    const uint8_t lm = level_mask(c);
    c.irr = static_cast<uint8_t>((c.irr & ~lm) | (c.lines & lm));
  } else {
    const int chip = port >= 0xA0 ? 1 : 0;
    if (port & 1) write_data(chip, v);
    else write_command(chip, v);
  }
  update();
}

void Pic8259::save(StateWriter& w) const {
  w.begin_section("pic", 1);
  w.put(st_);
  w.end_section();
}

void Pic8259::load(StateReader& r) {
  if (r.open_section("pic") != 1) throw StateError("pic: unknown state version");
  r.get(st_);
}

}  // namespace kasou
