// 8259A pair: expected behaviour from the Intel 8259A datasheet.
#include <doctest/doctest.h>

#include "core/state_io.h"
#include "devices/pic.h"
#include "tests/unit/legacy_dev_fixture.h"

using namespace kasou;
using namespace kasou::legacy_test;

namespace {
struct PicFixture {
  FakeHost host;
  IoBus io;
  Pic8259 pic{io, host};
  // The PC initialisation: vectors 0x20 / 0x28, cascade on IR2, 8086 mode.
  void init(uint8_t icw4_master = 0x01, uint8_t icw4_slave = 0x01) {
    outb(io, 0x20, 0x11);
    outb(io, 0x21, 0x20);
    outb(io, 0x21, 0x04);
    outb(io, 0x21, icw4_master);
    outb(io, 0xA0, 0x11);
    outb(io, 0xA1, 0x28);
    outb(io, 0xA1, 0x02);
    outb(io, 0xA1, icw4_slave);
    outb(io, 0x21, 0x00);
    outb(io, 0xA1, 0x00);
  }
  uint8_t isr(uint16_t base) {
    outb(io, base, 0x0B);
    return inb(io, base);
  }
  uint8_t irr(uint16_t base) {
    outb(io, base, 0x0A);
    return inb(io, base);
  }
  void pulse(unsigned line) { pic.set_irq(line, true), pic.set_irq(line, false); }
};
}  // namespace

TEST_CASE("pic: ICW1-4 set the vector bases; OCW1 reads back; ICW1 clears the mask") {
  PicFixture f;
  f.init();
  outb(f.io, 0x21, 0xFB);
  CHECK(inb(f.io, 0x21) == 0xFB);
  outb(f.io, 0x21, 0x00);
  f.pulse(1);
  REQUIRE(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x21);
  outb(f.io, 0x20, 0x20);
  f.pulse(14);
  CHECK(f.pic.acknowledge() == 0x2E);
  outb(f.io, 0x21, 0xFF);
  outb(f.io, 0x20, 0x11);  // ICW1 again: the mask is cleared
  CHECK(inb(f.io, 0x21) == 0x00);
}

TEST_CASE("pic: fixed priority, in-service levels block lower ones and let higher ones nest") {
  PicFixture f;
  f.init();
  f.pulse(3);
  f.pulse(0);
  CHECK(f.pic.acknowledge() == 0x20);  // IR0 has the highest priority
  CHECK(f.isr(0x20) == 0x01);
  CHECK_FALSE(f.pic.interrupt_pending());  // IR3 waits behind IR0 in service
  CHECK(f.irr(0x20) == 0x08);
  outb(f.io, 0x20, 0x20);  // non-specific EOI
  REQUIRE(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x23);
  f.pulse(1);  // higher than 3: nests
  REQUIRE(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x21);
  CHECK(f.isr(0x20) == 0x0A);
  outb(f.io, 0x20, 0x20);  // clears the highest, IR1
  CHECK(f.isr(0x20) == 0x08);
}

TEST_CASE("pic: edge-triggered inputs latch rising edges; masked requests stay in IRR") {
  PicFixture f;
  f.init();
  outb(f.io, 0x21, 0x10);  // mask IR4
  f.pic.set_irq(4, true);
  CHECK_FALSE(f.pic.interrupt_pending());
  CHECK(f.irr(0x20) == 0x10);
  outb(f.io, 0x21, 0x00);
  REQUIRE(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x24);
  outb(f.io, 0x20, 0x20);
  CHECK_FALSE(f.pic.interrupt_pending());  // the line is still high: no new edge
  f.pic.set_irq(4, true);
  CHECK_FALSE(f.pic.interrupt_pending());
  f.pic.set_irq(4, false);
  f.pic.set_irq(4, true);
  CHECK(f.pic.interrupt_pending());
  // A line held high across ICW1 needs a new low-to-high transition.
  f.init();
  CHECK_FALSE(f.pic.interrupt_pending());
}

TEST_CASE("pic: level-triggered inputs (ELCR) follow the line and re-request after EOI") {
  PicFixture f;
  f.init();
  outb(f.io, 0x4D0, 0xFF);
  CHECK(inb(f.io, 0x4D0) == 0xF8);  // IRQ 0, 1, 2 are edge only
  outb(f.io, 0x4D1, 0xFF);
  CHECK(inb(f.io, 0x4D1) == 0xDE);  // IRQ 8 and 13 are edge only
  outb(f.io, 0x4D0, 0x08);
  outb(f.io, 0x4D1, 0x00);
  f.pic.set_irq(3, true);
  CHECK(f.pic.acknowledge() == 0x23);
  CHECK(f.irr(0x20) == 0x08);  // a level request is not cleared by INTA
  outb(f.io, 0x20, 0x20);
  REQUIRE(f.pic.interrupt_pending());  // still high: requests again
  CHECK(f.pic.acknowledge() == 0x23);
  outb(f.io, 0x20, 0x20);
  f.pic.set_irq(3, false);
  CHECK_FALSE(f.pic.interrupt_pending());
  CHECK(f.irr(0x20) == 0x00);
}

TEST_CASE("pic: specific EOI clears the named in-service level") {
  PicFixture f;
  f.init();
  f.pulse(5);
  CHECK(f.pic.acknowledge() == 0x25);
  f.pulse(1);
  CHECK(f.pic.acknowledge() == 0x21);
  CHECK(f.isr(0x20) == 0x22);
  outb(f.io, 0x20, 0x65);  // specific EOI, level 5
  CHECK(f.isr(0x20) == 0x02);
}

TEST_CASE("pic: rotate on non-specific EOI, set priority, rotate on specific EOI") {
  PicFixture f;
  f.init();
  f.pulse(0);
  CHECK(f.pic.acknowledge() == 0x20);
  outb(f.io, 0x20, 0xA0);  // rotate on non-specific EOI: IR0 becomes the lowest
  f.pulse(0);
  f.pulse(7);
  CHECK(f.pic.acknowledge() == 0x27);  // order is now 1..7, 0
  outb(f.io, 0x20, 0xE7);  // rotate on specific EOI 7: IR7 lowest again
  CHECK(f.pic.acknowledge() == 0x20);
  outb(f.io, 0x20, 0x20);
  outb(f.io, 0x20, 0xC4);  // set priority: IR4 lowest, IR5 highest
  f.pulse(3);
  f.pulse(6);
  CHECK(f.pic.acknowledge() == 0x26);
  CHECK_FALSE(f.pic.interrupt_pending());  // IR3 now ranks below IR6, which is in service
  outb(f.io, 0x20, 0x20);
  CHECK(f.pic.acknowledge() == 0x23);
}

TEST_CASE("pic: automatic EOI leaves ISR clear; rotate in AEOI mode") {
  PicFixture f;
  f.init(0x03);
  f.pulse(3);
  CHECK(f.pic.acknowledge() == 0x23);
  CHECK(f.isr(0x20) == 0x00);
  outb(f.io, 0x20, 0x80);  // rotate in AEOI: set
  f.pulse(0);
  CHECK(f.pic.acknowledge() == 0x20);  // IR0 becomes lowest
  f.pulse(0);
  f.pulse(1);
  CHECK(f.pic.acknowledge() == 0x21);
  CHECK(f.pic.acknowledge() == 0x20);
}

TEST_CASE("pic: special mask mode enables lower levels; non-specific EOI skips masked IS bits") {
  PicFixture f;
  f.init();
  f.pulse(0);
  CHECK(f.pic.acknowledge() == 0x20);
  f.pulse(5);
  CHECK_FALSE(f.pic.interrupt_pending());
  outb(f.io, 0x21, 0x01);  // mask IR0, which is in service
  outb(f.io, 0x20, 0x68);  // OCW3: set special mask mode
  REQUIRE(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x25);
  CHECK(f.isr(0x20) == 0x21);
  outb(f.io, 0x20, 0x20);  // non-specific EOI: IS0 is masked, so IS5 is cleared
  CHECK(f.isr(0x20) == 0x01);
  outb(f.io, 0x20, 0x48);  // reset special mask mode
  outb(f.io, 0x21, 0x00);
  f.pulse(6);
  CHECK_FALSE(f.pic.interrupt_pending());  // IR0 in service blocks again
}

TEST_CASE("pic: poll mode returns the highest request and acknowledges it") {
  PicFixture f;
  f.init();
  outb(f.io, 0x20, 0x0C);
  CHECK(inb(f.io, 0x20) == 0x00);  // nothing requesting
  f.pulse(6);
  f.pulse(4);
  outb(f.io, 0x20, 0x0C);
  CHECK(inb(f.io, 0x20) == 0x84);
  CHECK(f.isr(0x20) == 0x10);
  CHECK(inb(f.io, 0x21) == 0x00);  // the poll is over: A0=1 reads IMR again
}

TEST_CASE("pic: cascade: a slave request goes through IR2 and sets both in-service bits") {
  PicFixture f;
  f.init();
  f.pulse(12);
  REQUIRE(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x2C);
  CHECK(f.isr(0x20) == 0x04);
  CHECK(f.isr(0xA0) == 0x10);
  f.pulse(9);  // higher than 12 on the slave, but IR2 is in service on the master
  CHECK_FALSE(f.pic.interrupt_pending());
  outb(f.io, 0xA0, 0x20);
  outb(f.io, 0x20, 0x20);
  REQUIRE(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x29);
}

TEST_CASE("pic: special fully nested mode lets a higher slave request through IR2 in service") {
  PicFixture f;
  f.init(0x11);  // master: SFNM, 8086
  f.pulse(12);
  CHECK(f.pic.acknowledge() == 0x2C);
  f.pulse(9);
  REQUIRE(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x29);
  CHECK(f.isr(0xA0) == 0x12);
}

TEST_CASE("pic: spurious IRQ 7 and IRQ 15") {
  PicFixture f;
  f.init();
  CHECK(f.pic.acknowledge() == 0x27);  // INTA without a request: IR7, no IS bit
  CHECK(f.isr(0x20) == 0x00);
  outb(f.io, 0x4D1, 0x04);  // IRQ 10 level-triggered
  f.pic.set_irq(10, true);   // the master latches the edge on IR2
  f.pic.set_irq(10, false);  // the slave request goes away before INTA
  REQUIRE(f.pic.interrupt_pending());
  CHECK(f.pic.acknowledge() == 0x2F);
  CHECK(f.isr(0x20) == 0x04);  // the master's IR2 is in service, the slave has nothing
  CHECK(f.isr(0xA0) == 0x00);
}

TEST_CASE("pic: the host hears when INTR may have risen; bad lines are logged") {
  PicFixture f;
  f.init();
  const int before = f.host.attention;
  f.pulse(3);
  CHECK(f.host.attention > before);
  f.pic.set_irq(99, true);
  CHECK(f.host.logs.size() == 1);
}

TEST_CASE("pic: save and load restore the state") {
  PicFixture f;
  f.init();
  f.pulse(12);
  f.pic.acknowledge();
  outb(f.io, 0x21, 0x5A);
  StateWriter w;
  f.pic.save(w);
  PicFixture g;
  StateReader r(w.data());
  g.pic.load(r);
  CHECK(g.isr(0xA0) == 0x10);
  CHECK(inb(g.io, 0x21) == 0x5A);
}
