// The board: the legacy devices wired onto a Machine (interrupt controller, IRQ
// lines, A20 gate, CMOS memory bytes and clock epoch).
#include <doctest/doctest.h>

#include "core/machine.h"
#include "devices/board.h"
#include "devices/cmos.h"
#include "devices/i8042.h"
#include "devices/pic.h"

using namespace kasou;

namespace {
uint8_t in8(Machine& m, uint16_t port) { return static_cast<uint8_t>(m.io().read(port, 1)); }
void out8(Machine& m, uint16_t port, uint8_t v) { m.io().write(port, v, 1); }
}  // namespace

TEST_CASE("legacy board: the PIC is the interrupt controller and the devices' IRQ lines reach it") {
  MachineConfig cfg;
  cfg.ram_bytes = 64ull << 20;
  Machine m(cfg);
  Board b = build_board(m, BoardOptions{});
  REQUIRE(b.pic != nullptr);
  CHECK(m.interrupt_controller() == b.pic);
  // PC initialisation of the PIC pair, all lines unmasked.
  for (auto [port, v] : {std::pair<uint16_t, uint8_t>{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01},
                         {0xA0, 0x11}, {0xA1, 0x28}, {0xA1, 0x02}, {0xA1, 0x01}, {0x21, 0x00}, {0xA1, 0x00}})
    out8(m, port, v);
  b.i8042->key(Key::A, true);  // IRQ 1
  REQUIRE(b.pic->interrupt_pending());
  CHECK(b.pic->acknowledge() == 0x21);
  out8(m, 0x20, 0x20);
  out8(m, 0x3F8 + 4, 0x08);  // COM1: OUT2, THR-empty interrupt -> IRQ 4
  out8(m, 0x3F8 + 1, 0x02);
  CHECK(b.pic->acknowledge() == 0x24);
  out8(m, 0x20, 0x20);
  out8(m, 0x3F8 + 1, 0x00);
  out8(m, 0x2F8 + 4, 0x08);  // COM2 -> IRQ 3
  out8(m, 0x2F8 + 1, 0x02);
  CHECK(b.pic->acknowledge() == 0x23);
}

TEST_CASE("legacy board: A20 follows the 8042 output port OR port 0x92") {
  MachineConfig cfg;
  cfg.ram_bytes = 16ull << 20;
  Machine m(cfg);
  build_board(m, BoardOptions{});
  CHECK(m.a20_enabled());
  out8(m, 0x64, 0xD1);
  out8(m, 0x60, 0xCD);  // 8042: A20 off
  CHECK_FALSE(m.a20_enabled());
  out8(m, 0x92, 0x02);
  CHECK(m.a20_enabled());
  out8(m, 0x92, 0x00);
  CHECK_FALSE(m.a20_enabled());
  out8(m, 0x64, 0xDF);
  CHECK(m.a20_enabled());
}

TEST_CASE("legacy board: CMOS memory-size bytes from the RAM size, RTC from the configured epoch") {
  MachineConfig cfg;
  cfg.ram_bytes = 64ull << 20;
  cfg.rtc_epoch = 1709201730;  // 2024-02-29 10:15:30 UTC
  Machine m(cfg);
  Board b = build_board(m, BoardOptions{});
  auto rd = [&](uint8_t i) {
    out8(m, 0x70, i);
    return in8(m, 0x71);
  };
  CHECK(rd(0x15) == 0x80);
  CHECK(rd(0x16) == 0x02);
  CHECK(rd(0x17) == 0x00);  // 63 MiB = 64512 KiB = 0xFC00
  CHECK(rd(0x18) == 0xFC);
  CHECK(rd(0x34) == 0x00);  // 48 MiB / 64 KiB = 0x300
  CHECK(rd(0x35) == 0x03);
  CHECK(rd(0x09) == 0x24);
  CHECK(rd(0x08) == 0x02);
  CHECK(rd(0x07) == 0x29);
  CHECK(rd(0x04) == 0x10);
  CHECK(b.cmos->unix_time() == 1709201730);
}
