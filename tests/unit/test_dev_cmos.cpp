// MC146818 RTC and CMOS RAM: expected values from the Motorola datasheet
// (register formats, flags) and the calendar.
#include <doctest/doctest.h>

#include "core/state_io.h"
#include "devices/cmos.h"
#include "tests/unit/legacy_dev_fixture.h"

using namespace kasou;
using namespace kasou::legacy_test;

namespace {
constexpr int64_t kSunday20231231_235958 = 1704067198;
constexpr uint64_t kSec = 1000000000ull;

struct CmosFixture {
  explicit CmosFixture(int64_t epoch = kSunday20231231_235958) : cmos(io, host, IrqLine{&irq, 8}, epoch) {}
  FakeHost host;
  IoBus io;
  IrqLog irq;
  Cmos cmos;
  uint8_t rd(uint8_t i) {
    outb(io, 0x70, i);
    return inb(io, 0x71);
  }
  void wr(uint8_t i, uint8_t v) {
    outb(io, 0x70, i);
    outb(io, 0x71, v);
  }
};
}  // namespace

TEST_CASE("cmos: the time at power-on in BCD, 24-hour mode, and its advance with virtual time") {
  CmosFixture f;
  CHECK(f.rd(0x0A) == 0x26);
  CHECK(f.rd(0x0B) == 0x02);
  CHECK(f.rd(0x0D) == 0x80);
  CHECK(f.rd(0x00) == 0x58);
  CHECK(f.rd(0x02) == 0x59);
  CHECK(f.rd(0x04) == 0x23);
  CHECK(f.rd(0x06) == 0x01);  // Sunday
  CHECK(f.rd(0x07) == 0x31);
  CHECK(f.rd(0x08) == 0x12);
  CHECK(f.rd(0x09) == 0x23);
  CHECK(f.rd(0x32) == 0x20);
  f.host.advance_to(2 * kSec);
  CHECK(f.rd(0x00) == 0x00);
  CHECK(f.rd(0x02) == 0x00);
  CHECK(f.rd(0x04) == 0x00);
  CHECK(f.rd(0x06) == 0x02);  // Monday
  CHECK(f.rd(0x07) == 0x01);
  CHECK(f.rd(0x08) == 0x01);
  CHECK(f.rd(0x09) == 0x24);
  CHECK(f.cmos.unix_time() == kSunday20231231_235958 + 2);
}

TEST_CASE("cmos: binary mode and 12-hour mode") {
  CmosFixture f;
  f.wr(0x0B, 0x06);  // binary, 24 h
  CHECK(f.rd(0x04) == 23);
  CHECK(f.rd(0x00) == 58);
  CHECK(f.rd(0x09) == 23);
  CHECK(f.rd(0x32) == 20);
  f.wr(0x0B, 0x04);  // binary, 12 h: 11 PM
  CHECK(f.rd(0x04) == (0x80 | 11));
  f.wr(0x0B, 0x00);  // BCD, 12 h
  CHECK(f.rd(0x04) == 0x91);
  f.host.advance_to(2 * kSec);  // midnight is 12 AM
  CHECK(f.rd(0x04) == 0x12);
  f.host.advance_to(2 * kSec + 12 * 3600 * kSec);  // noon is 12 PM
  CHECK(f.rd(0x04) == 0x92);
}

TEST_CASE("cmos: setting the time under SET; SET clears UIE") {
  CmosFixture f;
  f.wr(0x0B, 0x82 | 0x10);  // SET (UIE is cleared by SET)
  CHECK(f.rd(0x0B) == 0x82);
  f.wr(0x00, 0x30);
  f.wr(0x02, 0x15);
  f.wr(0x04, 0x10);
  f.wr(0x07, 0x29);
  f.wr(0x08, 0x02);
  f.wr(0x09, 0x24);
  f.host.advance_by(5 * kSec);  // no updates while SET
  CHECK(f.rd(0x00) == 0x30);
  f.wr(0x0B, 0x02);
  CHECK(f.rd(0x00) == 0x30);
  CHECK(f.rd(0x06) == 0x05);  // 2024-02-29 was a Thursday
  f.host.advance_by(kSec);
  CHECK(f.rd(0x00) == 0x31);
  CHECK(f.cmos.unix_time() == 1709201731);  // 2024-02-29 10:15:31 UTC
}

TEST_CASE("cmos: a time register write while running keeps the clock ticking from the new value") {
  CmosFixture f(1704067200);  // 00:00:00
  f.host.advance_to(kSec / 2);
  f.wr(0x02, 0x42);  // minutes = 42
  CHECK(f.rd(0x02) == 0x42);
  f.host.advance_to(kSec);  // the sub-second phase was kept: the update comes at 1 s
  CHECK(f.rd(0x00) == 0x01);
}

TEST_CASE("cmos: UIP is high during the last 244 us before an update") {
  CmosFixture f(1704067200);
  f.host.advance_to(kSec - 300000);
  CHECK((f.rd(0x0A) & 0x80) == 0);
  f.host.advance_to(kSec - 200000);
  CHECK((f.rd(0x0A) & 0x80) != 0);
  f.host.advance_to(kSec);
  CHECK((f.rd(0x0A) & 0x80) == 0);
}

TEST_CASE("cmos: update-ended interrupt each second; reading C clears the flags and lowers IRQ 8") {
  CmosFixture f(1704067200);
  f.wr(0x0A, 0x20);  // no periodic rate, so PF stays clear
  f.wr(0x0B, 0x12);  // UIE, 24 h
  f.host.advance_to(kSec - 1);
  CHECK_FALSE(f.irq.levels[8]);
  f.host.advance_to(kSec);
  CHECK(f.irq.levels[8]);
  CHECK(f.rd(0x0C) == 0x90);
  CHECK_FALSE(f.irq.levels[8]);
  CHECK(f.rd(0x0C) == 0x00);
  f.host.advance_to(2 * kSec);
  CHECK(f.irq.rises[8] == 2);
  // The flag is set without the enable too, but IRQF and the line stay low.
  f.wr(0x0B, 0x02);
  f.rd(0x0C);
  f.host.advance_to(3 * kSec);
  CHECK(f.rd(0x0C) == 0x10);
  CHECK(f.irq.rises[8] == 2);
}

TEST_CASE("cmos: periodic interrupt at the rate of register A") {
  CmosFixture f(1704067200);
  f.wr(0x0B, 0x42);  // PIE, rate 6 = 1024 Hz (976.5625 us)
  int interrupts = 0;
  for (uint64_t t = 0; t <= 10000000; t += 50000) {
    f.host.advance_to(t);
    if (f.irq.levels[8]) {
      CHECK((f.rd(0x0C) & 0xC0) == 0xC0);
      interrupts++;
    }
  }
  CHECK(interrupts == 10);  // 10 ms / 0.9765625 ms
  f.wr(0x0A, 0x2F);  // rate 15 = 2 Hz
  f.rd(0x0C);
  f.host.advance_to(f.host.now_ns() + 600000000);
  CHECK(f.irq.levels[8]);
  f.wr(0x0A, 0x23);  // rate 3 = 8192 Hz: 122.07 us
  f.rd(0x0C);
  const uint64_t t0 = f.host.now_ns();
  f.host.advance_to(t0 + 123000);  // a boundary comes at least every 122.07 us
  CHECK(f.irq.levels[8]);
}

TEST_CASE("cmos: alarm interrupt, with don't-care fields") {
  CmosFixture f(1704067200);  // 00:00:00
  f.wr(0x01, 0x05);
  f.wr(0x03, 0x00);
  f.wr(0x05, 0x00);
  f.wr(0x0B, 0x22);  // AIE
  f.host.advance_to(4 * kSec);
  CHECK_FALSE(f.irq.levels[8]);
  f.host.advance_to(5 * kSec);
  CHECK(f.irq.levels[8]);
  CHECK((f.rd(0x0C) & 0xA0) == 0xA0);
  f.wr(0x01, 0x30);  // every minute at :30
  f.wr(0x03, 0xC0);
  f.wr(0x05, 0xFF);
  f.host.advance_to(29 * kSec);
  CHECK_FALSE(f.irq.levels[8]);
  f.host.advance_to(30 * kSec);
  CHECK(f.irq.levels[8]);
  f.rd(0x0C);
  f.host.advance_to(90 * kSec);
  CHECK(f.irq.levels[8]);
  CHECK(f.irq.rises[8] == 3);
}

TEST_CASE("cmos: divider reset holds the clock; the first update comes 500 ms after release") {
  CmosFixture f(1704067200);
  f.host.advance_to(kSec / 4);
  f.wr(0x0A, 0x76);  // divider reset
  f.host.advance_to(10 * kSec);
  CHECK(f.rd(0x00) == 0x00);
  f.wr(0x0A, 0x26);
  f.host.advance_to(10 * kSec + 499000000);
  CHECK(f.rd(0x00) == 0x00);
  f.host.advance_to(10 * kSec + 500000000);
  CHECK(f.rd(0x00) == 0x01);
}

TEST_CASE("cmos: memory-size bytes") {
  CmosFixture f;
  f.cmos.set_memory_size(128ull << 20, 0);
  CHECK(f.rd(0x15) == 0x80);
  CHECK(f.rd(0x16) == 0x02);
  CHECK(f.rd(0x17) == 0xFF);  // 130048 KiB above 1 MiB: capped at 65535
  CHECK(f.rd(0x18) == 0xFF);
  CHECK(f.rd(0x30) == 0xFF);
  CHECK(f.rd(0x31) == 0xFF);
  CHECK(f.rd(0x34) == 0x00);  // (128 - 16) MiB / 64 KiB = 1792 = 0x700
  CHECK(f.rd(0x35) == 0x07);
  f.cmos.set_memory_size(8ull << 20, 1ull << 30);
  CHECK(f.rd(0x17) == 0x00);  // 7168 KiB = 0x1C00
  CHECK(f.rd(0x18) == 0x1C);
  CHECK(f.rd(0x34) == 0x00);
  CHECK(f.rd(0x35) == 0x00);
  CHECK(f.rd(0x5B) == 0x00);  // 1 GiB / 64 KiB = 0x4000
  CHECK(f.rd(0x5C) == 0x40);
  CHECK(f.rd(0x5D) == 0x00);
}

TEST_CASE("cmos: NVRAM, the NMI bit of port 0x70, read-only registers") {
  CmosFixture f;
  outb(f.io, 0x70, 0x8E);
  CHECK(f.cmos.nmi_disabled());
  outb(f.io, 0x71, 0x5A);
  outb(f.io, 0x70, 0x0E);
  CHECK_FALSE(f.cmos.nmi_disabled());
  CHECK(inb(f.io, 0x71) == 0x5A);
  f.wr(0x7F, 0xA5);
  CHECK(f.rd(0x7F) == 0xA5);
  f.wr(0x0D, 0x00);
  CHECK(f.rd(0x0D) == 0x80);
  f.wr(0x0C, 0xFF);
  CHECK(f.rd(0x0C) == 0x00);
  CHECK(f.host.logs.size() == 2);
}

TEST_CASE("cmos: reset clears the interrupt enables and flags, not the time or RAM") {
  CmosFixture f(1704067200);
  f.wr(0x0B, 0x72);
  f.wr(0x20, 0x77);
  f.host.advance_to(kSec);
  CHECK(f.irq.levels[8]);
  f.cmos.reset();
  CHECK_FALSE(f.irq.levels[8]);
  CHECK(f.rd(0x0B) == 0x02);
  CHECK(f.rd(0x20) == 0x77);
  CHECK(f.rd(0x00) == 0x01);
}

TEST_CASE("cmos: save and load") {
  CmosFixture f(1704067200);
  f.wr(0x40, 0x12);
  f.host.advance_to(3 * kSec);
  StateWriter w;
  f.cmos.save(w);
  CmosFixture g(0);
  g.host.advance_to(3 * kSec);
  StateReader r(w.data());
  g.cmos.load(r);
  CHECK(g.rd(0x40) == 0x12);
  CHECK(g.rd(0x00) == 0x03);
}
