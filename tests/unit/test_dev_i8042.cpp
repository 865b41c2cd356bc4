// i8042 controller, PS/2 keyboard and mouse, port 0x92: expected values from the
// IBM AT / PS/2 technical references (controller commands, scan code sets 1
// and 2, the 8042 translation, mouse packet format).
#include <doctest/doctest.h>

#include <vector>

#include "core/state_io.h"
#include "devices/i8042.h"
#include "devices/port92.h"
#include "tests/unit/legacy_dev_fixture.h"

using namespace kasou;
using namespace kasou::legacy_test;

namespace {
struct KbcFixture {
  FakeHost host;
  IoBus io;
  IrqLog irq;
  std::vector<bool> a20;
  I8042 kbc{io, host, IrqLine{&irq, 1}, IrqLine{&irq, 12}, [this](bool on) { a20.push_back(on); }};
  void cmd(uint8_t c) { outb(io, 0x64, c); }
  void data(uint8_t d) { outb(io, 0x60, d); }
  uint8_t status() { return inb(io, 0x64); }
  // Everything in the output buffer, in order.
  std::vector<uint8_t> drain() {
    std::vector<uint8_t> out;
    while (status() & 1) out.push_back(inb(io, 0x60));
    return out;
  }
  using V = std::vector<uint8_t>;
};
}  // namespace

TEST_CASE("i8042: self test, interface tests, command byte") {
  KbcFixture f;
  CHECK((f.status() & 0x04) == 0);  // SYS clear at power-on
  f.cmd(0xAA);
  CHECK((f.status() & 0x01) == 0x01);
  CHECK(inb(f.io, 0x60) == 0x55);
  CHECK((f.status() & 0x04) == 0x04);
  f.cmd(0xAB);
  CHECK(f.drain() == KbcFixture::V{0x00});
  f.cmd(0xA9);
  CHECK(f.drain() == KbcFixture::V{0x00});
  CHECK((f.status() & 0x08) == 0x08);  // the last write went to 0x64
  f.cmd(0x60);
  f.data(0x47);
  CHECK((f.status() & 0x08) == 0);
  f.cmd(0x20);
  CHECK(f.drain() == KbcFixture::V{0x47});
  f.cmd(0xA7);  // disable mouse port: command byte bit 5
  f.cmd(0xAD);  // disable keyboard port: bit 4
  f.cmd(0x20);
  CHECK(f.drain() == KbcFixture::V{0x77});
  f.cmd(0xA8);
  f.cmd(0xAE);
  f.cmd(0x20);
  CHECK(f.drain() == KbcFixture::V{0x47});
  f.cmd(0x7F);  // internal RAM byte 31
  f.data(0x99);
  f.cmd(0x3F);
  CHECK(f.drain() == KbcFixture::V{0x99});
}

TEST_CASE("i8042: output port: A20 and the reset line") {
  KbcFixture f;
  f.cmd(0xD0);
  CHECK(f.drain() == KbcFixture::V{0xCF});
  f.cmd(0xD1);
  f.data(0xCD);  // A20 off
  REQUIRE(!f.a20.empty());
  CHECK(f.a20.back() == false);
  f.cmd(0xD0);
  CHECK((f.drain()[0] & 0x02) == 0);
  f.cmd(0xDF);
  CHECK(f.a20.back() == true);
  f.cmd(0xDD);
  CHECK(f.a20.back() == false);
  CHECK(f.host.resets == 0);
  f.cmd(0xFF);  // pulse nothing
  CHECK(f.host.resets == 0);
  f.cmd(0xFE);  // pulse the reset line
  CHECK(f.host.resets == 1);
  f.cmd(0xD1);
  f.data(0xCE);  // reset line low
  CHECK(f.host.resets == 2);
}

TEST_CASE("i8042: keyboard commands: reset, echo, LEDs, identify, scan code set, resend") {
  KbcFixture f;
  f.data(0xFF);
  CHECK(f.drain() == KbcFixture::V{0xFA, 0xAA});
  f.data(0xEE);
  CHECK(f.drain() == KbcFixture::V{0xEE});
  f.data(0xED);
  f.data(0x05);
  CHECK(f.drain() == KbcFixture::V{0xFA, 0xFA});
  CHECK(f.kbc.leds() == 5);
  f.data(0xF2);
  CHECK(f.drain() == KbcFixture::V{0xFA, 0xAB, 0x83});
  f.data(0xF0);
  f.data(0x00);
  CHECK(f.drain() == KbcFixture::V{0xFA, 0xFA, 0x02});
  f.data(0xF0);
  f.data(0x03);  // set 3 is not supported
  CHECK(f.drain() == KbcFixture::V{0xFA, 0xFE});
  f.data(0xFE);
  CHECK(f.drain() == KbcFixture::V{0xFE});
  f.data(0xF3);
  f.data(0x20);
  CHECK(f.drain() == KbcFixture::V{0xFA, 0xFA});
  f.data(0x42);  // not a command
  CHECK(f.drain() == KbcFixture::V{0xFE});
  // With translation the controller turns every keyboard byte into set 1.
  f.cmd(0x60);
  f.data(0x41);
  f.data(0xF2);
  CHECK(f.drain() == KbcFixture::V{0xFA, 0xAB, 0x41});
  f.data(0xF0);
  f.data(0x00);
  CHECK(f.drain() == KbcFixture::V{0xFA, 0xFA, 0x41});
}

TEST_CASE("i8042: keys in set 2, translated to set 1 with XLATE, one IRQ 1 edge per byte") {
  KbcFixture f;
  f.kbc.key(Key::A, true);
  f.kbc.key(Key::A, false);
  f.kbc.key(Key::Up, true);
  f.kbc.key(Key::Up, false);
  CHECK(f.irq.levels[1]);
  CHECK(f.drain() == KbcFixture::V{0x1C, 0xF0, 0x1C, 0xE0, 0x75, 0xE0, 0xF0, 0x75});
  CHECK(f.irq.rises[1] == 8);
  CHECK_FALSE(f.irq.levels[1]);
  f.cmd(0x60);
  f.data(0x45);  // XLATE, SYS, keyboard interrupt
  f.kbc.key(Key::A, true);
  f.kbc.key(Key::A, false);
  f.kbc.key(Key::Up, true);
  f.kbc.key(Key::Up, false);
  f.kbc.key(Key::F7, true);
  CHECK(f.drain() == KbcFixture::V{0x1E, 0x9E, 0xE0, 0x48, 0xE0, 0xC8, 0x41});
  CHECK(f.kbc.type_text("Hi!\n"));
  CHECK(f.drain() == KbcFixture::V{0x2A, 0x23, 0xA3, 0xAA, 0x17, 0x97, 0x2A, 0x02, 0x82, 0xAA, 0x1C, 0x9C});
  f.kbc.inject_set1(0x10);  // Q
  f.kbc.inject_set1(0x90);
  f.kbc.inject_set1(0x1D, true);  // right Ctrl
  CHECK(f.drain() == KbcFixture::V{0x10, 0x90, 0xE0, 0x1D});
  const uint8_t raw[] = {0xF0, 0x29};  // set 2 break of Space
  f.kbc.inject_set2(raw, 2);
  CHECK(f.drain() == KbcFixture::V{0xB9});
}

TEST_CASE("i8042: keyboard in scan code set 1; interrupt enable bit; disabled port and scanning") {
  KbcFixture f;
  f.data(0xF0);
  f.data(0x01);
  f.drain();
  f.kbc.key(Key::Escape, true);
  f.kbc.key(Key::Escape, false);
  CHECK(f.drain() == KbcFixture::V{0x01, 0x81});
  f.cmd(0x60);
  f.data(0x00);  // no keyboard interrupt
  f.kbc.key(Key::B, true);
  CHECK((f.status() & 1) == 1);
  CHECK_FALSE(f.irq.levels[1]);
  f.drain();
  f.cmd(0xAD);  // keyboard port disabled: bytes wait in the keyboard
  f.kbc.key(Key::C, true);
  CHECK((f.status() & 1) == 0);
  f.cmd(0xAE);
  CHECK(f.drain() == KbcFixture::V{0x2E});
  f.data(0xF5);  // disable scanning (and defaults: set 2)
  f.drain();
  f.kbc.key(Key::D, true);
  CHECK(f.drain().empty());
  f.data(0xF4);
  f.drain();
  f.kbc.key(Key::D, true);
  CHECK(f.drain() == KbcFixture::V{0x23});
}

TEST_CASE("i8042: mouse through 0xD4: reset, enable, 3-byte packets on IRQ 12") {
  KbcFixture f;
  f.cmd(0xD4);
  f.data(0xFF);
  CHECK((f.status() & 0x21) == 0x21);  // AUX output buffer full
  CHECK(f.irq.levels[12]);
  CHECK_FALSE(f.irq.levels[1]);
  CHECK(f.drain() == KbcFixture::V{0xFA, 0xAA, 0x00});
  f.kbc.mouse_move(10, 10, 0, 0);  // disabled: nothing
  CHECK(f.drain().empty());
  f.cmd(0xD4);
  f.data(0xF4);
  CHECK(f.drain() == KbcFixture::V{0xFA});
  f.kbc.mouse_move(5, -3, 0, mouse_button::kLeft);
  CHECK(f.drain() == KbcFixture::V{0x29, 0x05, 0xFD});
  f.kbc.mouse_move(-300, 0, 0, mouse_button::kRight | mouse_button::kMiddle);
  CHECK(f.drain() == KbcFixture::V{0x1E, 0x00, 0x00, 0x1E, 0xD4, 0x00});  // -256, then -44
  f.cmd(0xD4);
  f.data(0xE8);
  f.cmd(0xD4);
  f.data(0x03);
  f.cmd(0xD4);
  f.data(0xF3);
  f.cmd(0xD4);
  f.data(40);
  f.cmd(0xD4);
  f.data(0xE7);  // scaling 2:1
  f.drain();
  f.kbc.mouse_move(0, 0, 0, mouse_button::kLeft);
  f.drain();
  f.cmd(0xD4);
  f.data(0xE9);
  CHECK(f.drain() == KbcFixture::V{0xFA, 0x34, 0x03, 40});  // enabled, 2:1, left button
  f.kbc.mouse_move(4, 0, 0, 0);  // 2:1 scaling: 4 -> 6
  CHECK(f.drain() == KbcFixture::V{0x08, 0x06, 0x00});
  f.cmd(0xA7);  // mouse port disabled: the packet waits
  f.kbc.mouse_move(1, 1, 0, 0);
  CHECK((f.status() & 1) == 0);
  f.cmd(0xA8);
  CHECK(f.drain() == KbcFixture::V{0x08, 0x01, 0x01});
}

TEST_CASE("i8042: mouse identify, IntelliMouse wheel packets, wrap and remote modes") {
  KbcFixture f;
  auto mouse = [&](uint8_t b) {
    f.cmd(0xD4);
    f.data(b);
  };
  mouse(0xF2);
  CHECK(f.drain() == KbcFixture::V{0xFA, 0x00});
  for (uint8_t r : {200, 100, 80}) mouse(0xF3), mouse(r);
  f.drain();
  mouse(0xF2);
  CHECK(f.drain() == KbcFixture::V{0xFA, 0x03});
  mouse(0xF4);
  f.drain();
  f.kbc.mouse_move(1, 0, -1, 0);
  CHECK(f.drain() == KbcFixture::V{0x08, 0x01, 0x00, 0xFF});
  mouse(0xEE);  // wrap mode echoes
  mouse(0x12);
  mouse(0xEC);
  CHECK(f.drain() == KbcFixture::V{0xFA, 0x12, 0xFA});
  mouse(0xF0);  // remote mode: packets only on request
  f.drain();
  f.kbc.mouse_move(7, 0, 0, 0);
  CHECK(f.drain().empty());
  mouse(0xEB);
  CHECK(f.drain() == KbcFixture::V{0xFA, 0x08, 0x07, 0x00, 0x00});
}

TEST_CASE("i8042: 0xD2 / 0xD3 put a byte in the output buffer as the keyboard / the mouse") {
  KbcFixture f;
  f.cmd(0xD2);
  f.data(0x5A);
  CHECK((f.status() & 0x21) == 0x01);
  CHECK(f.irq.levels[1]);
  CHECK(inb(f.io, 0x60) == 0x5A);
  f.cmd(0xD3);
  f.data(0xA5);
  CHECK((f.status() & 0x21) == 0x21);
  CHECK(f.irq.levels[12]);
  CHECK(inb(f.io, 0x60) == 0xA5);
  CHECK(inb(f.io, 0x60) == 0xA5);  // an empty buffer reads its last byte again
}

TEST_CASE("i8042: save and load") {
  KbcFixture f;
  f.cmd(0x60);
  f.data(0x65);
  f.kbc.key(Key::Z, true);
  StateWriter w;
  f.kbc.save(w);
  KbcFixture g;
  StateReader r(w.data());
  g.kbc.load(r);
  g.cmd(0x20);
  CHECK(inb(g.io, 0x60) == 0x2C);  // Z (translated) was in the buffer first
  CHECK(g.drain() == KbcFixture::V{0x65});
}

TEST_CASE("port92: fast A20 ORed with the 8042's A20; bit 0 rising resets") {
  FakeHost host;
  IoBus io;
  Port92 p(io, host);
  p.set_kbc_a20(false);
  CHECK_FALSE(host.a20);
  outb(io, 0x92, 0x02);
  CHECK(host.a20);
  CHECK(inb(io, 0x92) == 0x02);
  outb(io, 0x92, 0x00);
  CHECK_FALSE(host.a20);
  p.set_kbc_a20(true);
  CHECK(host.a20);
  outb(io, 0x92, 0x00);
  CHECK(host.a20);  // the 8042 still enables it
  CHECK(host.resets == 0);
  outb(io, 0x92, 0x01);
  CHECK(host.resets == 1);
  outb(io, 0x92, 0x01);  // no new rising edge
  CHECK(host.resets == 1);
}
