// 8254: counts and OUT at given clock pulses, expected from the Intel 8254
// datasheet (a count written between pulses is loaded by the next pulse, which
// does not decrement it).
#include <doctest/doctest.h>

#include "core/state_io.h"
#include "devices/pit.h"
#include "tests/unit/legacy_dev_fixture.h"

using namespace kasou;
using namespace kasou::legacy_test;

namespace {
struct PitFixture {
  FakeHost host;
  IoBus io;
  IrqLog irq;
  Pit8254 pit{io, host, IrqLine{&irq, 0}};
  // Moves the clock to just after pulse k.
  void at(int64_t k) { host.advance_to(Pit8254::time_of_tick(k)); }
  uint16_t latch(int ch) {
    outb(io, 0x43, static_cast<uint8_t>(ch << 6));
    uint8_t lo = inb(io, static_cast<uint16_t>(0x40 + ch));
    uint8_t hi = inb(io, static_cast<uint16_t>(0x40 + ch));
    return static_cast<uint16_t>(lo | hi << 8);
  }
  void program(int ch, uint8_t mode_bits, uint16_t count, bool bcd = false) {
    outb(io, 0x43, static_cast<uint8_t>(ch << 6 | 0x30 | mode_bits << 1 | (bcd ? 1 : 0)));
    outb(io, static_cast<uint16_t>(0x40 + ch), count & 0xFF);
    outb(io, static_cast<uint16_t>(0x40 + ch), count >> 8);
  }
  bool out2() { return inb(io, 0x61) & 0x20; }
  uint8_t status(int ch) {
    outb(io, 0x43, static_cast<uint8_t>(0xE0 | (2 << ch)));
    return inb(io, static_cast<uint16_t>(0x40 + ch));
  }
};
}  // namespace

TEST_CASE("pit: the 1.193182 MHz clock grid of virtual time") {
  CHECK(Pit8254::time_of_tick(1193182) == 1000000000u);
  CHECK(Pit8254::tick_at(1000000000u) == 1193182);
  for (int64_t k : {1, 2, 3, 1000, 65536, 123456789}) {
    CHECK(Pit8254::tick_at(Pit8254::time_of_tick(k)) == k);
    CHECK(Pit8254::tick_at(Pit8254::time_of_tick(k) - 1) == k - 1);
  }
}

TEST_CASE("pit: mode 0: OUT low at once, high N+1 pulses after the count is written; the count wraps") {
  PitFixture f;
  f.at(100);
  f.program(0, 0, 10);
  CHECK_FALSE(f.irq.levels[0]);
  f.at(101);
  CHECK(f.latch(0) == 10);  // loaded by pulse 101, not decremented
  f.at(105);
  CHECK(f.latch(0) == 6);
  f.host.advance_to(Pit8254::time_of_tick(111) - 1);
  CHECK(f.latch(0) == 1);
  CHECK_FALSE(f.irq.levels[0]);
  f.at(111);  // 11 pulses after the write
  CHECK(f.irq.levels[0]);
  CHECK(f.irq.rises[0] == 1);
  CHECK(f.latch(0) == 0);
  f.at(112);
  CHECK(f.latch(0) == 0xFFFF);
  f.at(5000);
  CHECK(f.irq.levels[0]);  // stays high until reprogrammed
  CHECK(f.irq.rises[0] == 1);
}

TEST_CASE("pit: mode 0: writing the first byte of a new count stops counting and sets OUT low") {
  PitFixture f;
  f.program(0, 0, 5);
  f.at(20);
  CHECK(f.irq.levels[0]);
  outb(f.io, 0x40, 0x08);  // LSB only so far
  CHECK_FALSE(f.irq.levels[0]);
  const uint16_t held = f.latch(0);
  f.at(30);
  CHECK(f.latch(0) == held);
  outb(f.io, 0x40, 0x00);  // MSB: count 8, loaded by pulse 31
  f.at(31);
  CHECK(f.latch(0) == 8);
  f.at(39);
  CHECK(f.irq.levels[0]);
}

TEST_CASE("pit: mode 2 rate generator: OUT low for one pulse when the count reaches 1") {
  PitFixture f;
  f.program(0, 2, 4);  // at time 0: loaded by pulse 1
  CHECK(f.irq.levels[0]);
  const int rises = f.irq.rises[0];
  f.at(1);
  CHECK(f.latch(0) == 4);
  f.at(3);
  CHECK(f.latch(0) == 2);
  f.at(4);
  CHECK(f.latch(0) == 1);
  CHECK_FALSE(f.irq.levels[0]);
  f.at(5);
  CHECK(f.latch(0) == 4);
  CHECK(f.irq.levels[0]);
  f.at(41);  // rising edges at pulses 5, 9, ..., 41
  CHECK(f.irq.rises[0] - rises == 10);
}

TEST_CASE("pit: mode 3 square wave with even and odd counts") {
  PitFixture f;
  outb(f.io, 0x61, 0x01);  // GATE2 high
  f.program(2, 3, 6);      // loaded by pulse 1
  const uint16_t even[] = {6, 4, 2, 6, 4, 2, 6};
  const bool even_out[] = {1, 1, 1, 0, 0, 0, 1};
  for (int i = 0; i < 7; i++) {
    f.at(1 + i);
    CHECK(f.latch(2) == even[i]);
    CHECK(f.out2() == even_out[i]);
  }
  // A new odd count (5: high for 3 pulses, low for 2) written at pulse 7, in a
  // high half cycle: it takes effect at the end of that half cycle (pulse 10).
  outb(f.io, 0x42, 5);
  outb(f.io, 0x42, 0);
  const uint16_t odd[] = {4, 2, 4, 2, 4, 2, 0, 4, 2, 4};
  const bool odd_out[] = {1, 1, 0, 0, 1, 1, 1, 0, 0, 1};
  for (int i = 0; i < 10; i++) {
    f.at(8 + i);
    CHECK(f.latch(2) == odd[i]);
    CHECK(f.out2() == odd_out[i]);
  }
}

TEST_CASE("pit: mode 2: a new count takes effect at the end of the current cycle") {
  PitFixture f;
  f.program(0, 2, 10);  // cycles start at pulses 1, 11, 21
  f.at(4);
  outb(f.io, 0x40, 3);  // count only (a control word would restart the counter)
  outb(f.io, 0x40, 0);
  f.at(10);
  CHECK(f.latch(0) == 1);  // still the old count
  f.at(11);
  CHECK(f.latch(0) == 3);
  f.at(14);
  CHECK(f.latch(0) == 3);
}

TEST_CASE("pit: mode 4 software strobe: OUT low for one pulse, once") {
  PitFixture f;
  f.program(0, 4, 3);  // loaded by pulse 1, strobe at pulse 4
  const int rises = f.irq.rises[0];
  f.at(3);
  CHECK(f.irq.levels[0]);
  f.at(4);
  CHECK_FALSE(f.irq.levels[0]);
  f.at(5);
  CHECK(f.irq.levels[0]);
  f.at(70000);
  CHECK(f.irq.rises[0] - rises == 1);
}

TEST_CASE("pit: modes 1 and 5 wait for a rising GATE; mode 1 is retriggerable") {
  PitFixture f;
  f.program(2, 1, 3);  // GATE2 is low
  CHECK(f.out2());
  f.at(50);
  CHECK(f.out2());
  CHECK((f.status(2) & 0x40) != 0);  // NULL COUNT until a trigger loads it
  outb(f.io, 0x61, 0x01);  // trigger after pulse 50: loaded by pulse 51
  f.at(51);
  CHECK_FALSE(f.out2());
  CHECK(f.latch(2) == 3);
  f.at(53);
  outb(f.io, 0x61, 0x00);
  outb(f.io, 0x61, 0x01);  // retrigger: reloaded by pulse 54
  f.at(56);
  CHECK_FALSE(f.out2());
  f.at(57);
  CHECK(f.out2());
  // Mode 5: a strobe N pulses after the trigger's load.
  f.program(2, 5, 2);
  outb(f.io, 0x61, 0x00);
  f.at(60);
  outb(f.io, 0x61, 0x01);  // loaded by pulse 61
  f.at(62);
  CHECK(f.out2());
  f.at(63);
  CHECK_FALSE(f.out2());
  f.at(64);
  CHECK(f.out2());
}

TEST_CASE("pit: GATE low pauses mode 0 and stops mode 2 with OUT high") {
  PitFixture f;
  outb(f.io, 0x61, 0x01);
  f.program(2, 0, 100);  // loaded by pulse 1
  f.at(11);
  CHECK(f.latch(2) == 90);
  outb(f.io, 0x61, 0x00);
  f.at(500);
  CHECK(f.latch(2) == 90);
  outb(f.io, 0x61, 0x01);
  f.at(510);
  CHECK(f.latch(2) == 80);
  f.program(2, 2, 5);  // loaded by pulse 511
  f.at(514);
  CHECK(f.out2());
  f.at(515);
  CHECK_FALSE(f.out2());  // count 1: OUT low
  outb(f.io, 0x61, 0x00);
  CHECK(f.out2());  // forced high at once
  f.at(600);
  CHECK(f.out2());
  outb(f.io, 0x61, 0x01);  // rising GATE reloads on the next pulse
  f.at(601);
  CHECK(f.latch(2) == 5);
}

TEST_CASE("pit: BCD counting") {
  PitFixture f;
  f.program(0, 0, 0x0010, true);  // ten, loaded by pulse 1
  f.at(5);
  CHECK(f.latch(0) == 0x0006);
  f.at(11);
  CHECK(f.latch(0) == 0x0000);
  f.at(12);
  CHECK(f.latch(0) == 0x9999);
  f.program(0, 2, 0x0000, true);  // 0 = 10000 in BCD
  f.at(13);
  CHECK(f.latch(0) == 0x0000);
  f.at(14);
  CHECK(f.latch(0) == 0x9999);
}

TEST_CASE("pit: latch holds the count until read; LSB-only and MSB-only access") {
  PitFixture f;
  f.program(0, 2, 1000);
  f.at(11);
  outb(f.io, 0x43, 0x00);  // latch counter 0: 990
  outb(f.io, 0x43, 0x00);  // a second latch before reading is ignored
  f.at(111);
  CHECK(inb(f.io, 0x40) == (990 & 0xFF));
  CHECK(inb(f.io, 0x40) == (990 >> 8));
  CHECK(f.latch(0) == 890);
  outb(f.io, 0x43, 0x94);  // counter 2, LSB only, mode 2
  outb(f.io, 0x42, 0x25);  // count 0x0025
  outb(f.io, 0x61, 0x01);
  f.at(200);
  outb(f.io, 0x43, 0x80);
  CHECK(inb(f.io, 0x42) == 0x25 - (200 - 112) % 0x25);
  outb(f.io, 0x43, 0xA4);  // counter 2, MSB only, mode 2
  outb(f.io, 0x42, 0x12);  // count 0x1200
  f.at(202);
  outb(f.io, 0x43, 0x80);
  CHECK(inb(f.io, 0x42) == 0x11);  // 0x1200 - 1 = 0x11FF
}

TEST_CASE("pit: read-back: status byte (OUT, NULL COUNT, RW, mode, BCD) and count") {
  PitFixture f;
  outb(f.io, 0x43, 0x36);                // counter 0, LSB/MSB, mode 3, binary
  CHECK(f.status(0) == (0x80 | 0x40 | 0x30 | 0x06));  // OUT high, no count yet
  outb(f.io, 0x40, 0x00);
  outb(f.io, 0x40, 0x01);  // 256
  CHECK((f.status(0) & 0x40) != 0);  // not loaded before the next pulse
  f.at(1);
  CHECK(f.status(0) == (0x80 | 0x30 | 0x06));
  outb(f.io, 0x43, 0xC2);  // read-back count and status of counter 0
  f.at(10);
  CHECK(inb(f.io, 0x40) == (0x80 | 0x30 | 0x06));  // status first
  CHECK(inb(f.io, 0x40) == 0x00);  // then the count latched at pulse 1: 256
  CHECK(inb(f.io, 0x40) == 0x01);
  outb(f.io, 0x43, 0xBD);  // counter 2, LSB/MSB, mode 6 (= 2), BCD
  CHECK((f.status(2) & 0x3F) == (0x30 | 0x0C | 0x01));
}

TEST_CASE("pit: port 0x61: refresh toggle every 15.085 us, OUT2, speaker bits") {
  PitFixture f;
  CHECK((inb(f.io, 0x61) & 0x10) == 0);
  f.host.advance_to(15085);
  CHECK((inb(f.io, 0x61) & 0x10) != 0);
  f.host.advance_to(2 * 15085);
  CHECK((inb(f.io, 0x61) & 0x10) == 0);
  outb(f.io, 0x61, 0x03);
  CHECK((inb(f.io, 0x61) & 0x0F) == 0x03);
  f.program(2, 3, 4);
  f.at(f.pit.tick_at(f.host.now_ns()) + 1);
  CHECK(f.pit.speaker_on());
  outb(f.io, 0x61, 0x01);
  CHECK_FALSE(f.pit.speaker_on());
}

TEST_CASE("pit: save and load keep the counters") {
  PitFixture f;
  f.program(0, 2, 100);
  f.at(31);
  StateWriter w;
  f.pit.save(w);
  PitFixture g;
  g.host.advance_to(f.host.now_ns());
  StateReader r(w.data());
  g.pit.load(r);
  CHECK(g.latch(0) == 70);
}
