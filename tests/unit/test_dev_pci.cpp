// PCI: configuration mechanism #1, configuration space masks, BAR sizing and
// mapping, INTx and the PIIX3 PIRQ router, the i440FX PAM shadow registers and
// SMRAM, the reset control register and the PIIX4 power-management function.
#include <doctest/doctest.h>

#include <memory>

#include "core/physical_memory.h"
#include "core/scheduler.h"
#include "core/state_io.h"
#include "devices/i440fx.h"
#include "devices/pci.h"
#include "devices/piix3.h"
#include "devices/piix4_pm.h"
#include "tests/unit/dev_fixture.h"

namespace kasou {
namespace {

using test::cfg_read;
using test::cfg_write;
__extension__ typedef unsigned __int128 u128;

// A PCI function with an I/O BAR (BAR0, 16 bytes), a memory BAR (BAR1, 4 KiB)
// and an interrupt pin; BAR accesses are recorded.
class TestFunction : public PciFunction {
 public:
  explicit TestFunction(const char* name = "testdev", uint8_t pin = 1)
      : PciFunction(name, Identity{0x1234, 0x5678, 0x01, 0xFF0000, 0, 0, pin, 0}) {
    add_io_bar(0, 16, 1 | 2 | 4);
    add_mem_bar(1, 4096, false);
  }
  using PciFunction::set_intx;
  uint32_t bar_read(unsigned bar, uint32_t offset, unsigned size) override {
    last_bar = bar, last_offset = offset, last_size = size;
    return 0xC0DE0000u | bar << 8 | offset;
  }
  void bar_write(unsigned bar, uint32_t offset, uint32_t value, unsigned) override {
    last_bar = bar, last_offset = offset, last_value = value;
  }
  unsigned last_bar = 99;
  uint32_t last_offset = 0, last_size = 0, last_value = 0;
};

struct Rig {
  PhysicalMemory mem{16ull << 20};
  IoBus io;
  PciBus bus{io, mem};
  test::IrqRecorder pic;
  unsigned tlb_flushes = 0;
  unsigned resets = 0;
  I440fx host{mem, [this] { tlb_flushes++; }};
  Piix3Isa isa{&pic, [this] { resets++; }};
  Rig() {
    bus.attach(0, 0, host);
    bus.attach(1, 0, isa);
    bus.set_pirq_sink(&isa);
    bus.set_reset_control(&isa);
  }
};

TEST_CASE("pci: configuration mechanism #1 with byte, word and dword accesses") {
  Rig r;
  // CONFIG_ADDRESS: only dword accesses, reserved bits read as 0.
  r.io.write(0xCF8, 0xFFFFFFFF, 4);
  CHECK(r.io.read(0xCF8, 4) == 0x80FFFFFCu);
  r.io.write(0xCF8, 0x80000000, 4);
  r.io.write(0xCFB, 0x01, 1);  // a byte write does not touch it
  CHECK(r.io.read(0xCF8, 4) == 0x80000000u);

  CHECK(cfg_read(r.io, 0, 0, 0x00, 4) == 0x12378086u);
  CHECK(cfg_read(r.io, 0, 0, 0x00, 2) == 0x8086u);
  CHECK(cfg_read(r.io, 0, 0, 0x02, 2) == 0x1237u);
  CHECK(cfg_read(r.io, 0, 0, 0x03, 1) == 0x12u);
  CHECK(cfg_read(r.io, 0, 0, 0x08, 4) == 0x06000002u);  // class 060000, revision 02
  CHECK(cfg_read(r.io, 0, 0, 0x2C, 4) == 0x11001AF4u);  // QEMU's subsystem IDs
  CHECK(cfg_read(r.io, 1, 0, 0x00, 4) == 0x70008086u);
  CHECK(cfg_read(r.io, 1, 0, 0x0A, 2) == 0x0601u);
  // Nothing in slot 5, on function 1 of slot 0, or on bus 1.
  CHECK(cfg_read(r.io, 5, 0, 0x00, 4) == 0xFFFFFFFFu);
  CHECK(cfg_read(r.io, 0, 1, 0x00, 2) == 0xFFFFu);
  r.io.write(0xCF8, 0x80010000, 4);
  CHECK(r.io.read(0xCFC, 4) == 0xFFFFFFFFu);
  // With the enable bit clear the data port is not a configuration cycle.
  r.io.write(0xCF8, 0x00000000, 4);
  CHECK(r.io.read(0xCFC, 4) == 0xFFFFFFFFu);
}

TEST_CASE("pci: read-only, writable and write-one-to-clear bits") {
  Rig r;
  TestFunction dev;
  r.bus.attach(3, 0, dev);
  cfg_write(r.io, 3, 0, 0x00, 0xFFFFFFFF, 4);  // vendor/device are read-only
  CHECK(cfg_read(r.io, 3, 0, 0x00, 4) == 0x56781234u);
  cfg_write(r.io, 3, 0, 0x3C, 0xAB, 1);  // interrupt line: writable
  CHECK(cfg_read(r.io, 3, 0, 0x3C, 1) == 0xABu);
  cfg_write(r.io, 3, 0, 0x3D, 0x04, 1);  // interrupt pin: read-only
  CHECK(cfg_read(r.io, 3, 0, 0x3D, 1) == 0x01u);
  cfg_write(r.io, 3, 0, 0x0E, 0xFF, 1);  // header type: read-only
  CHECK(cfg_read(r.io, 3, 0, 0x0E, 1) == 0x00u);
  // Status: error bits are write-one-to-clear; others stay.
  dev.config_write(pci::kStatus + 1, 0, 1);
  uint16_t st = static_cast<uint16_t>(cfg_read(r.io, 3, 0, 0x06, 2));
  cfg_write(r.io, 3, 0, 0x06, 0xFFFF, 2);
  CHECK(cfg_read(r.io, 3, 0, 0x06, 2) == st);
  // A device with several functions reports it on function 0.
  CHECK((cfg_read(r.io, 3, 0, 0x0E, 1) & 0x80) == 0);
  TestFunction fn1("fn1");
  r.bus.attach(3, 1, fn1);
  CHECK((cfg_read(r.io, 3, 0, 0x0E, 1) & 0x80) == 0x80);
  CHECK((cfg_read(r.io, 1, 0, 0x0E, 1) & 0x80) == 0x80);  // the PIIX3 always is one
}

TEST_CASE("pci: BAR sizing, mapping when decoding is enabled, moving and unmapping") {
  Rig r;
  TestFunction dev;
  r.bus.attach(3, 0, dev);
  // Sizing: write all ones, read back the size mask with the type bits.
  cfg_write(r.io, 3, 0, 0x10, 0xFFFFFFFF, 4);
  CHECK(cfg_read(r.io, 3, 0, 0x10, 4) == 0xFFFFFFF1u);  // 32-bit mask, as SeaBIOS expects
  cfg_write(r.io, 3, 0, 0x14, 0xFFFFFFFF, 4);
  CHECK(cfg_read(r.io, 3, 0, 0x14, 4) == 0xFFFFF000u);
  cfg_write(r.io, 3, 0, 0x18, 0xFFFFFFFF, 4);  // no BAR2
  CHECK(cfg_read(r.io, 3, 0, 0x18, 4) == 0u);
  // Addresses, decoding still off: nothing mapped.
  cfg_write(r.io, 3, 0, 0x10, 0xC000, 4);
  cfg_write(r.io, 3, 0, 0x14, 0xFEB00000, 4);
  CHECK(cfg_read(r.io, 3, 0, 0x10, 4) == 0xC001u);
  CHECK(r.io.read(0xC004, 4) == 0xFFFFFFFFu);
  CHECK(r.mem.page(0xFEB00000).kind == PageKind::kUnassigned);
  // I/O decoding on: the ports reach bar_read with the offset in the BAR.
  cfg_write(r.io, 3, 0, 0x04, pci::kCmdIo, 2);
  CHECK(r.io.read(0xC004, 4) == 0xC0DE0004u);
  CHECK(dev.last_size == 4);
  r.io.write(0xC00E, 0x5A, 1);
  CHECK(dev.last_offset == 0xE);
  CHECK(dev.last_value == 0x5A);
  CHECK(dev.bar_mapped_base(0) == 0xC000);
  CHECK(r.mem.page(0xFEB00000).kind == PageKind::kUnassigned);
  // Memory decoding on.
  cfg_write(r.io, 3, 0, 0x04, pci::kCmdIo | pci::kCmdMemory, 2);
  CHECK(r.mem.page(0xFEB00000).kind == PageKind::kMmio);
  CHECK(r.mem.read(0xFEB00010, 4) == 0xC0DE0110u);
  // Move the I/O BAR: the old ports are free again.
  cfg_write(r.io, 3, 0, 0x10, 0xD000, 4);
  CHECK(r.io.read(0xC004, 4) == 0xFFFFFFFFu);
  CHECK(r.io.handler(0xC000) == nullptr);
  CHECK(r.io.read(0xD008, 2) == 0xC0DE0008u);  // the mock ignores the width
  // Sizing while decoding is on does not map the BAR at the all-ones address.
  cfg_write(r.io, 3, 0, 0x14, 0xFFFFFFFF, 4);
  CHECK(r.mem.page(0xFFFFF000).kind == PageKind::kUnassigned);
  CHECK(r.mem.page(0xFEB00000).kind == PageKind::kUnassigned);
  cfg_write(r.io, 3, 0, 0x14, 0xFEB01000, 4);
  CHECK(r.mem.page(0xFEB01000).kind == PageKind::kMmio);
  // Decoding off: everything unmapped.
  cfg_write(r.io, 3, 0, 0x04, 0, 2);
  CHECK(r.io.handler(0xD000) == nullptr);
  CHECK(r.mem.page(0xFEB01000).kind == PageKind::kUnassigned);
  // Reset: power-on configuration space.
  cfg_write(r.io, 3, 0, 0x04, pci::kCmdIo, 2);
  dev.reset();
  CHECK(cfg_read(r.io, 3, 0, 0x10, 4) == 0x1u);
  CHECK(r.io.handler(0xD000) == nullptr);
}

// A function with an expansion ROM (as the VGA has its BIOS).
class RomFunction : public PciFunction {
 public:
  explicit RomFunction(std::vector<uint8_t> rom) : PciFunction("romdev", Identity{0x1234, 0x1111, 0, 0x030000}) {
    set_expansion_rom(std::move(rom));
  }
};

TEST_CASE("pci: the expansion ROM BAR: sizing, the enable bit, memory decoding") {
  Rig r;
  std::vector<uint8_t> rom(6000, 0);
  rom[0] = 0x55, rom[1] = 0xAA, rom[5999] = 0x77;
  RomFunction dev(rom);
  r.bus.attach(2, 0, dev);
  cfg_write(r.io, 2, 0, 0x30, 0xFFFFFFFF, 4);
  CHECK(cfg_read(r.io, 2, 0, 0x30, 4) == 0xFFFFE001u);  // 8 KiB, enable bit writable
  cfg_write(r.io, 2, 0, 0x30, 0xFEB80000, 4);            // address, not enabled
  cfg_write(r.io, 2, 0, 0x04, pci::kCmdMemory, 2);
  CHECK(r.mem.page(0xFEB80000).kind == PageKind::kUnassigned);
  cfg_write(r.io, 2, 0, 0x30, 0xFEB80001, 4);
  CHECK(dev.bar_mapped_base(6) == 0xFEB80000);
  CHECK(r.mem.read(0xFEB80000, 2) == 0xAA55u);
  CHECK(r.mem.read(0xFEB80000 + 5999, 1) == 0x77u);
  CHECK(r.mem.read(0xFEB80000 + 6000, 1) == 0xFFu);  // past the image
  r.mem.write(0xFEB80000, 0, 2);                     // read-only
  CHECK(r.mem.read(0xFEB80000, 2) == 0xAA55u);
  cfg_write(r.io, 2, 0, 0x04, 0, 2);
  CHECK(r.mem.page(0xFEB80000).kind == PageKind::kUnassigned);
}

TEST_CASE("pci: save and load restore configuration space and what it maps") {
  Rig a;
  TestFunction da;
  a.bus.attach(3, 0, da);
  cfg_write(a.io, 3, 0, 0x10, 0xC000, 4);
  cfg_write(a.io, 3, 0, 0x04, pci::kCmdIo, 2);
  cfg_write(a.io, 0, 0, 0x59, 0x30, 1);
  cfg_write(a.io, 1, 0, 0x61, 10, 1);
  StateWriter w;
  a.bus.save(w);
  a.host.save(w);
  a.isa.save(w);
  da.save(w);
  Rig b;
  TestFunction db;
  b.bus.attach(3, 0, db);
  StateReader rd(w.data());
  b.bus.load(rd);
  b.host.load(rd);
  b.isa.load(rd);
  db.load(rd);
  CHECK(b.io.read(0xC004, 4) == 0xC0DE0004u);
  CHECK(b.mem.page(0xF0000).kind == PageKind::kRam);
  CHECK(b.isa.route(1) == 10);
  CHECK(b.io.read(0xCF8, 4) == a.io.read(0xCF8, 4));
}

TEST_CASE("pci: BARs over taken ports, inside RAM or beyond 4 GiB are not mapped") {
  Rig r;
  TestFunction dev;
  r.bus.attach(3, 0, dev);
  cfg_write(r.io, 3, 0, 0x10, 0xCF8, 4);  // over the configuration ports
  cfg_write(r.io, 3, 0, 0x10, 0x10000, 4);  // beyond 64 KiB
  cfg_write(r.io, 3, 0, 0x04, pci::kCmdIo, 2);
  CHECK(dev.bar_mapped_base(0) == 0);
  CHECK(dev.log().last().find("64 KiB") != std::string::npos);
  cfg_write(r.io, 3, 0, 0x04, 0, 2);
  cfg_write(r.io, 3, 0, 0x10, 0xCF8, 4);
  cfg_write(r.io, 3, 0, 0x14, 0x00100000, 4);  // inside RAM
  cfg_write(r.io, 3, 0, 0x04, pci::kCmdIo | pci::kCmdMemory, 2);
  CHECK(dev.bar_mapped_base(0) == 0);
  CHECK(dev.bar_mapped_base(1) == 0);
  CHECK(r.io.handler(0xCF8) == &r.bus);
  CHECK(r.mem.page(0x100000).kind == PageKind::kRam);
  CHECK(dev.log().count() == 3);
  CHECK(dev.log().last().find("inside RAM") != std::string::npos);
  // Moved somewhere usable, they map.
  cfg_write(r.io, 3, 0, 0x10, 0xC100, 4);
  cfg_write(r.io, 3, 0, 0x14, 0xFEBFF000, 4);
  CHECK(dev.bar_mapped_base(0) == 0xC100);
  CHECK(dev.bar_mapped_base(1) == 0xFEBFF000);
}

TEST_CASE("pci: INTx through the slot swizzle and the PIIX3 PIRQ routers") {
  Rig r;
  TestFunction a("a", 1), b("b", 1), c("c", 2);
  r.bus.attach(3, 0, a);  // INTA of slot 3 -> PIRQC
  r.bus.attach(7, 0, b);  // INTA of slot 7 -> PIRQC (shares the line)
  r.bus.attach(4, 0, c);  // INTB of slot 4 -> PIRQA
  CHECK(PciBus::pirq_of(3, 1) == 2);
  CHECK(PciBus::pirq_of(4, 2) == 0);
  CHECK(PciBus::pirq_of(1, 1) == 0);
  // Routing disabled at reset: nothing reaches the PIC.
  a.set_intx(true);
  CHECK(r.bus.pirq_level(2));
  CHECK(r.isa.route(2) == -1);
  for (bool l : r.pic.level) CHECK_FALSE(l);
  CHECK((cfg_read(r.io, 3, 0, 0x06, 2) & pci::kStatusInterrupt) != 0);
  // PIRQC -> IRQ 11: the asserted line appears at once.
  cfg_write(r.io, 1, 0, 0x62, 11, 1);
  CHECK(r.pic.level[11]);
  // Shared: both assert, one deasserts, the line stays up.
  b.set_intx(true);
  a.set_intx(false);
  CHECK(r.pic.level[11]);
  b.set_intx(false);
  CHECK_FALSE(r.pic.level[11]);
  // Moving the route while asserted moves the level.
  a.set_intx(true);
  cfg_write(r.io, 1, 0, 0x62, 10, 1);
  CHECK_FALSE(r.pic.level[11]);
  CHECK(r.pic.level[10]);
  // Two PIRQs on one IRQ: the OR of both.
  cfg_write(r.io, 1, 0, 0x60, 10, 1);
  c.set_intx(true);
  a.set_intx(false);
  CHECK(r.pic.level[10]);
  c.set_intx(false);
  CHECK_FALSE(r.pic.level[10]);
  // INTx disable in the command register masks the pin.
  c.set_intx(true);
  CHECK(r.pic.level[10]);
  cfg_write(r.io, 4, 0, 0x04, pci::kCmdIntxDisable, 2);
  CHECK_FALSE(r.pic.level[10]);
  cfg_write(r.io, 4, 0, 0x04, 0, 2);
  CHECK(r.pic.level[10]);
  // Reserved IRQ numbers and the disable bit route nowhere.
  cfg_write(r.io, 1, 0, 0x60, 2, 1);
  CHECK_FALSE(r.pic.level[2]);
  CHECK_FALSE(r.pic.level[10]);
  cfg_write(r.io, 1, 0, 0x60, 0x8A, 1);
  CHECK(r.isa.route(0) == -1);
  CHECK_FALSE(r.pic.level[10]);
}

TEST_CASE("piix3: the reset control register at 0xCF9") {
  Rig r;
  CHECK(r.io.read(0xCF9, 1) == 0);
  r.io.write(0xCF9, 0x02, 1);
  CHECK(r.resets == 0);
  CHECK(r.io.read(0xCF9, 1) == 0x02);
  r.io.write(0xCF9, 0x06, 1);
  CHECK(r.resets == 1);
  // Word and dword accesses at 0xCF8 are not the reset register.
  r.io.write(0xCF8, 0x0600, 2);
  CHECK(r.resets == 1);
}

TEST_CASE("i440fx: PAM registers switch 0xC0000-0xFFFFF between the ROM and shadow RAM") {
  Rig r;
  test::CodeWrites code;
  r.mem.set_code_write_listener(&code);
  std::vector<uint8_t> bios(0x20000);
  for (size_t i = 0; i < bios.size(); i++) bios[i] = static_cast<uint8_t>(i * 3 + 1);
  r.mem.add_rom(0xE0000, bios, "bios");
  // Reset: PAM = 0, reads and writes go to PCI: the ROM at 0xE0000-0xFFFFF, nothing at 0xC0000.
  CHECK(cfg_read(r.io, 0, 0, 0x59, 1) == 0);
  CHECK(r.mem.read(0xF0000, 1) == bios[0x10000]);
  CHECK(r.mem.page(0xC0000).kind == PageKind::kUnassigned);
  CHECK(r.mem.read(0xC0000, 4) == 0xFFFFFFFFu);
  r.mem.write(0xF0000, 0x55, 1);
  CHECK(r.mem.read(0xF0000, 1) == bios[0x10000]);
  CHECK(r.mem.ram()[0xF0000] == 0);  // the RAM below did not see the write
  // PAM0 = 0x30: 0xF0000-0xFFFFF is RAM, read and write.
  r.mem.mark_code_page(0xF0000);
  unsigned flushes = r.tlb_flushes;
  cfg_write(r.io, 0, 0, 0x59, 0x30, 1);
  CHECK(r.tlb_flushes == flushes + 1);
  CHECK(code.pages == std::vector<uint64_t>{0xF0000});  // its translations came from the ROM
  CHECK(r.mem.page(0xF0000).kind == PageKind::kRam);
  CHECK(r.mem.read(0xF0000, 1) == 0);
  r.mem.write(0xF0000, 0x55, 1);
  CHECK(r.mem.read(0xF0000, 1) == 0x55);
  CHECK(r.mem.page(0xE0000).kind == PageKind::kRom);  // PAM6 still 0: the ROM
  // PAM0 = 0x10: read-only RAM (what SeaBIOS sets when it is done).
  cfg_write(r.io, 0, 0, 0x59, 0x10, 1);
  CHECK(r.mem.page(0xF0000).kind == PageKind::kRom);
  r.mem.write(0xF0000, 0x66, 1);
  uint8_t b = 0x66;
  r.mem.write_bytes(0xF0001, &b, 1);  // DMA is dropped as well
  CHECK(r.mem.read(0xF0000, 2) == 0x0055u);
  // PAM0 = 0x20: reads from the ROM, writes into the RAM below.
  cfg_write(r.io, 0, 0, 0x59, 0x20, 1);
  CHECK(r.mem.read(0xF0000, 1) == bios[0x10000]);
  r.mem.write(0xF0000, 0x77, 1);
  r.mem.write_bytes(0xF0001, &b, 1);
  CHECK(r.mem.read(0xF0000, 1) == bios[0x10000]);
  cfg_write(r.io, 0, 0, 0x59, 0x30, 1);
  CHECK(r.mem.read(0xF0000, 2) == 0x6677u);
  // Unused bits of PAM0 do not stick; PAM1..6 have two nibbles.
  cfg_write(r.io, 0, 0, 0x59, 0xFF, 1);
  CHECK(cfg_read(r.io, 0, 0, 0x59, 1) == 0x30);
  // PAM1 high nibble: 0xC4000-0xC7FFF only.
  cfg_write(r.io, 0, 0, 0x5A, 0x30, 1);
  CHECK(r.mem.page(0xC0000).kind == PageKind::kUnassigned);
  CHECK(r.mem.page(0xC4000).kind == PageKind::kRam);
  CHECK(r.mem.page(0xC7000).kind == PageKind::kRam);
  CHECK(r.mem.page(0xC8000).kind == PageKind::kUnassigned);
  // PAM6 (0xE8000-0xEFFFF), as a dword write covering PAM3-6.
  cfg_write(r.io, 0, 0, 0x5C, 0x33000000, 4);
  CHECK(r.mem.page(0xE8000).kind == PageKind::kRam);
  CHECK(r.mem.page(0xEC000).kind == PageKind::kRam);
  CHECK(r.mem.page(0xE4000).kind == PageKind::kRom);
  // A ROM registered later over a bus-mode page shows through; RAM mode hides it.
  std::vector<uint8_t> opt(0x1000, 0xAB);
  r.mem.add_rom(0xC0000, opt, "option rom");
  CHECK(r.mem.read(0xC0000, 1) == 0xAB);
  cfg_write(r.io, 0, 0, 0x5A, 0x33, 1);
  CHECK(r.mem.read(0xC0000, 1) == 0);
  // Reset puts everything back on the bus.
  r.host.reset();
  CHECK(r.mem.read(0xF0000, 1) == bios[0x10000]);
  CHECK(r.mem.read(0xC0000, 1) == 0xAB);
  r.mem.set_code_write_listener(nullptr);
}

TEST_CASE("i440fx: SMRAM register: C_BASE_SEG fixed, D_LCK locks D_OPEN and itself") {
  Rig r;
  CHECK(cfg_read(r.io, 0, 0, 0x72, 1) == 0x02);
  cfg_write(r.io, 0, 0, 0x72, 0x4A, 1);  // D_OPEN | G_SMRAME, with SeaBIOS's base bits
  CHECK(cfg_read(r.io, 0, 0, 0x72, 1) == 0x4A);
  cfg_write(r.io, 0, 0, 0x72, 0x0D, 1);  // base bits are read-only
  CHECK(cfg_read(r.io, 0, 0, 0x72, 1) == 0x0A);
  cfg_write(r.io, 0, 0, 0x72, 0x5A, 1);  // D_LCK with D_OPEN: D_OPEN is cleared
  CHECK(cfg_read(r.io, 0, 0, 0x72, 1) == 0x1A);
  cfg_write(r.io, 0, 0, 0x72, 0x62, 1);  // locked: only D_CLS changes
  CHECK(cfg_read(r.io, 0, 0, 0x72, 1) == 0x3A);
  r.host.reset();
  CHECK(cfg_read(r.io, 0, 0, 0x72, 1) == 0x02);
}

struct PmRig : Rig {
  Scheduler sched;
  uint64_t now = 0;
  bool powered_off = false;
  Piix4Pm pm{sched, [this] { return now; }, IrqLine{&pic, 9}, [this] { powered_off = true; }};
  PmRig() {
    bus.attach(1, 3, pm);
    // As SeaBIOS does: PM base 0xB000, PMIOSE.
    cfg_write(io, 1, 3, 0x40, 0xB001, 4);
    cfg_write(io, 1, 3, 0x80, 0x01, 1);
  }
  void advance(uint64_t ns) {
    now += ns;
    sched.advance_to(now);
  }
};

TEST_CASE("piix4-pm: identity, PM base, and the SMM-done bit SeaBIOS looks for") {
  PmRig r;
  CHECK(cfg_read(r.io, 1, 3, 0x00, 4) == 0x71138086u);
  CHECK(cfg_read(r.io, 1, 3, 0x08, 4) == 0x06800003u);
  CHECK(cfg_read(r.io, 1, 3, 0x3D, 1) == 1);
  CHECK((cfg_read(r.io, 1, 3, 0x58, 4) & (1u << 25)) != 0);  // PIIX_DEVACTB_APMC_EN
  CHECK(cfg_read(r.io, 1, 3, 0x40, 4) == 0xB001u);
  CHECK(r.pm.pm_io_base() == 0xB000);
  // PMIOSE off: the block goes away; a new base takes effect when it comes back.
  cfg_write(r.io, 1, 3, 0x80, 0x00, 1);
  CHECK(r.io.handler(0xB000) == nullptr);
  cfg_write(r.io, 1, 3, 0x40, 0x0601, 4);
  cfg_write(r.io, 1, 3, 0x80, 0x01, 1);
  CHECK(r.pm.pm_io_base() == 0x0600);
  CHECK(r.io.handler(0xB008) == nullptr);
  CHECK(r.io.handler(0x0608) != nullptr);
  // Multi-function PIIX: function 0 says so.
  CHECK((cfg_read(r.io, 1, 0, 0x0E, 1) & 0x80) == 0x80);
}

TEST_CASE("piix4-pm: the ACPI PM timer counts 3.579545 MHz of virtual time, 24 bits") {
  PmRig r;
  CHECK(r.io.read(0xB008, 4) == 0);
  r.advance(1000000000);  // one second
  CHECK(r.io.read(0xB008, 4) == 3579545u);
  r.advance(279);  // 0.998 tick more: floor
  CHECK(r.io.read(0xB008, 4) == 3579545u);
  r.advance(1);
  CHECK(r.io.read(0xB008, 4) == 3579546u);
  CHECK(r.io.read(0xB008, 1) == (3579546u & 0xFF));
  // It wraps at 2^24 (4.687 s) and is read-only.
  r.now = 0;
  r.now = 4686999999ull + 10000;  // past 2^24 ticks
  uint32_t t = r.io.read(0xB008, 4);
  CHECK(t < 0x1000000u);
  CHECK(t == static_cast<uint32_t>((static_cast<u128>(r.now) * 3579545 / 1000000000) & 0xFFFFFF));
  r.io.write(0xB008, 0, 4);
  CHECK(r.io.read(0xB008, 4) == t);
}

TEST_CASE("piix4-pm: timer overflow status, SCI on IRQ 9 with SCI_EN, and write-one-to-clear") {
  PmRig r;
  // Bit 23 toggles after 2^23 ticks = 2.3435 s.
  r.advance(2343000000ull);
  CHECK((r.io.read(0xB000, 2) & Piix4Pm::kTmrSts) == 0);
  r.advance(1000000);
  CHECK((r.io.read(0xB000, 2) & Piix4Pm::kTmrSts) != 0);
  CHECK_FALSE(r.pic.level[9]);  // not enabled
  r.io.write(0xB002, Piix4Pm::kTmrSts, 2);  // TMROF_EN
  CHECK_FALSE(r.pic.level[9]);  // SCI_EN is still 0 (ACPI not enabled)
  r.io.write(0xB2, 0xF1, 1);  // ACPI_ENABLE through the SMI command port
  CHECK((r.io.read(0xB004, 2) & Piix4Pm::kSciEn) != 0);
  CHECK(r.pic.level[9]);
  r.io.write(0xB000, Piix4Pm::kTmrSts, 2);  // clear
  CHECK_FALSE(r.pic.level[9]);
  CHECK((r.io.read(0xB000, 2) & Piix4Pm::kTmrSts) == 0);
  // Next toggle (bit 23 back to 0 at 2^24 ticks).
  r.advance(2400000000ull);
  CHECK(r.pic.level[9]);
  r.io.write(0xB001, 0x00, 1);  // writing zeros clears nothing
  CHECK(r.pic.level[9]);
  r.io.write(0xB2, 0xF0, 1);  // ACPI_DISABLE
  CHECK_FALSE(r.pic.level[9]);
  // Other APM commands would be SMIs: logged, no effect.
  r.io.write(0xB2, 0x42, 1);
  CHECK(r.pm.log().last().find("SMI") != std::string::npos);
  r.io.write(0xB3, 0x5A, 1);
  CHECK(r.io.read(0xB3, 1) == 0x5A);
}

TEST_CASE("piix4-pm: the power button and the GPE0 block raise SCI") {
  PmRig r;
  r.io.write(0xB004, Piix4Pm::kSciEn, 2);
  r.pm.press_power_button();
  CHECK((r.io.read(0xB000, 2) & Piix4Pm::kPwrBtnSts) != 0);
  CHECK_FALSE(r.pic.level[9]);
  r.io.write(0xB002, Piix4Pm::kPwrBtnSts, 2);
  CHECK(r.pic.level[9]);
  r.io.write(0xB001, 0x01, 1);
  CHECK_FALSE(r.pic.level[9]);
  // GPE0 at 0xAFE0: status (w1c) and enable, nothing sets status here.
  r.io.write(0xAFE2, 0xFFFF, 2);
  CHECK(r.io.read(0xAFE2, 2) == 0xFFFFu);
  CHECK(r.io.read(0xAFE0, 2) == 0u);
  CHECK_FALSE(r.pic.level[9]);
  // No PCI hot-plug: the removable-slots register reads 0.
  CHECK(r.io.read(0xAE0C, 4) == 0u);
}

TEST_CASE("piix4-pm: SLP_EN with sleep type 0 powers off; other types are ignored") {
  PmRig r;
  r.io.write(0xB004, 0x0000 | (1 << 10), 2);  // SLP_TYP 1, no SLP_EN
  CHECK_FALSE(r.powered_off);
  CHECK(r.io.read(0xB004, 2) == (1u << 10));
  r.io.write(0xB004, (1 << 10) | Piix4Pm::kSusEn, 2);  // S3: not implemented
  CHECK_FALSE(r.powered_off);
  CHECK(r.pm.log().last().find("sleep type 1") != std::string::npos);
  CHECK((r.io.read(0xB004, 2) & Piix4Pm::kSusEn) == 0);  // SLP_EN reads 0
  r.io.write(0xB005, Piix4Pm::kSusEn >> 8, 1);  // SLP_TYP 0 + SLP_EN, as \_S5 does
  CHECK(r.powered_off);
}

TEST_CASE("piix4-pm: reset unmaps the PM block and clears the registers") {
  PmRig r;
  r.io.write(0xB002, 0x0121, 2);
  r.pm.reset();
  CHECK(r.pm.pm_io_base() == 0);
  CHECK(r.io.handler(0xB000) == nullptr);
  CHECK(r.pm.state().pmen == 0);
  CHECK(cfg_read(r.io, 1, 3, 0x40, 4) == 0x1u);
  // The fixed ports stay.
  CHECK(r.io.handler(0xB2) == &r.pm);
}

}  // namespace
}  // namespace kasou

namespace kasou {
namespace {

TEST_CASE("piix4-pm: save and load keep the registers, the PM block mapping and SCI") {
  PmRig a;
  a.io.write(0xB004, Piix4Pm::kSciEn, 2);
  a.io.write(0xB002, Piix4Pm::kPwrBtnSts, 2);
  a.pm.press_power_button();
  REQUIRE(a.pic.level[9]);
  StateWriter w;
  a.pm.save(w);
  PmRig b;
  cfg_write(b.io, 1, 3, 0x80, 0x00, 1);  // differs before the load
  StateReader rd(w.data());
  b.pm.load(rd);
  CHECK(b.pm.pm_io_base() == 0xB000);
  CHECK(b.io.read(0xB002, 2) == Piix4Pm::kPwrBtnSts);
  CHECK(b.pic.level[9]);
  b.io.write(0xB001, 0x01, 1);
  CHECK_FALSE(b.pic.level[9]);
}

}  // namespace
}  // namespace kasou
