// 16550A: register behaviour from the NS16550A datasheet (LSR, IIR priorities,
// FIFO trigger levels, character timeout, loopback, modem status).
#include <doctest/doctest.h>

#include "core/state_io.h"
#include "devices/uart16550.h"
#include "tests/unit/legacy_dev_fixture.h"

using namespace kasou;
using namespace kasou::legacy_test;

namespace {
constexpr uint16_t kBase = 0x3F8;
struct UartFixture {
  explicit UartFixture(CharSource* src = nullptr) : uart(io, host, kBase, IrqLine{&irq, 4}, &sink, src, "com1") {}
  FakeHost host;
  IoBus io;
  IrqLog irq;
  StringSink sink;
  Uart16550 uart;
  uint8_t rd(int reg) { return inb(io, static_cast<uint16_t>(kBase + reg)); }
  void wr(int reg, uint8_t v) { outb(io, static_cast<uint16_t>(kBase + reg), v); }
  void baud_115200_8n1() {
    wr(3, 0x80);
    wr(0, 0x01);
    wr(1, 0x00);
    wr(3, 0x03);
  }
};
}  // namespace

TEST_CASE("uart: reset values, scratch register, divisor latch behind DLAB") {
  UartFixture f;
  CHECK(f.rd(5) == 0x60);  // THRE and TEMT
  CHECK(f.rd(2) == 0x01);  // no interrupt, FIFOs off
  CHECK(f.rd(1) == 0x00);
  CHECK(f.rd(6) == 0xB0);  // CTS, DSR, DCD of the attached terminal
  f.wr(7, 0x5A);
  CHECK(f.rd(7) == 0x5A);
  f.wr(3, 0x80);
  f.wr(0, 0x34);
  f.wr(1, 0x12);
  CHECK(f.rd(0) == 0x34);
  CHECK(f.rd(1) == 0x12);
  f.wr(3, 0x03);
  CHECK(f.rd(3) == 0x03);
  CHECK(f.rd(1) == 0x00);  // IER again
  f.wr(1, 0xFF);
  CHECK(f.rd(1) == 0x0F);
}

TEST_CASE("uart: transmit goes to the sink; THR-empty interrupt rules; OUT2 gates the IRQ line") {
  UartFixture f;
  f.wr(0, 'o');
  f.wr(0, 'k');
  CHECK(f.sink.text == "ok");
  CHECK(f.rd(5) == 0x60);
  f.wr(1, 0x02);  // ETBEI with THR empty: interrupt at once
  CHECK(f.rd(2) == 0x02);  // reading IIR clears it...
  CHECK(f.rd(2) == 0x01);
  f.wr(0, 'x');  // ...and THR emptying again sets it
  CHECK(f.rd(2) == 0x02);
  f.wr(0, 'y');
  CHECK_FALSE(f.irq.levels[4]);  // OUT2 clear: the PC's interrupt gate is closed
  f.wr(4, 0x08);
  CHECK(f.irq.levels[4]);
  f.wr(1, 0x00);
  CHECK_FALSE(f.irq.levels[4]);
  CHECK(f.rd(2) == 0x01);
}

TEST_CASE("uart: receive FIFO, trigger level, received-data interrupt, LSR.DR") {
  UartFixture f;
  f.wr(4, 0x08);
  f.wr(2, 0x81);  // FIFO on, trigger level 8
  f.wr(1, 0x01);
  CHECK(f.rd(2) == 0xC1);
  for (int i = 0; i < 7; i++) f.uart.receive(static_cast<uint8_t>('a' + i));
  CHECK(f.rd(5) == 0x61);
  CHECK(f.rd(2) == 0xC1);  // below the trigger level
  f.uart.receive('h');
  CHECK(f.rd(2) == 0xC4);
  CHECK(f.irq.levels[4]);
  CHECK(f.rd(0) == 'a');
  CHECK(f.rd(2) == 0xC1);  // 7 left: below the trigger again
  CHECK_FALSE(f.irq.levels[4]);
  for (int i = 1; i < 8; i++) CHECK(f.rd(0) == 'a' + i);
  CHECK(f.rd(5) == 0x60);
  f.uart.receive('z');
  f.wr(2, 0x83);  // receive FIFO reset
  CHECK(f.rd(5) == 0x60);
}

TEST_CASE("uart: character timeout interrupt after four character times") {
  UartFixture f;
  f.baud_115200_8n1();
  CHECK(f.uart.char_time_ns() == 86805);  // 10 bits at 115200 baud
  f.wr(2, 0xC1);  // trigger 14
  f.wr(1, 0x01);
  f.uart.receive('1');
  f.uart.receive('2');
  f.host.advance_by(4 * 86805 - 1);
  CHECK(f.rd(2) == 0xC1);
  f.host.advance_by(1);
  CHECK(f.rd(2) == 0xCC);
  CHECK(f.rd(0) == '1');
  CHECK(f.rd(2) == 0xC1);  // reading RBR clears it and restarts the timer
  f.host.advance_by(4 * 86805);
  CHECK(f.rd(2) == 0xCC);
  CHECK(f.rd(0) == '2');
  f.host.advance_by(10 * 86805);
  CHECK(f.rd(2) == 0xC1);  // empty: no timeout
  f.wr(3, 0x80 | 0x0F);   // 8 data bits, 2 stop bits, parity: 12 bits
  f.wr(0, 0x0C);          // 9600 baud
  f.wr(3, 0x0F);
  CHECK(f.uart.char_time_ns() == 1250000);
}

TEST_CASE("uart: overrun and the line-status interrupt, which has the highest priority") {
  UartFixture f;
  f.wr(2, 0x01);
  for (int i = 0; i < 17; i++) f.uart.receive(static_cast<uint8_t>(i));
  f.wr(1, 0x07);
  CHECK(f.rd(2) == 0xC6);  // line status above received data and THRE
  CHECK(f.rd(5) == 0x63);  // DR, OE, THRE, TEMT; reading clears OE
  CHECK(f.rd(2) == 0xC4);
  for (int i = 0; i < 16; i++) CHECK(f.rd(0) == i);  // the 17th byte was lost
  CHECK(f.rd(2) == 0xC2);
  // Without FIFOs the holding register is overwritten.
  f.wr(2, 0x00);
  f.uart.receive('p');
  f.uart.receive('q');
  CHECK(f.rd(5) == 0x63);
  CHECK(f.rd(0) == 'q');
  CHECK(f.rd(5) == 0x60);
}

TEST_CASE("uart: loopback: THR to RBR, MCR to MSR with delta bits, output and IRQ disconnected") {
  UartFixture f;
  f.wr(4, 0x10);
  CHECK(f.rd(6) == 0x0B);  // CTS, DSR, DCD dropped: deltas, no status
  f.wr(0, 'L');
  CHECK(f.sink.text.empty());
  CHECK(f.rd(5) == 0x61);
  CHECK(f.rd(0) == 'L');
  f.wr(4, 0x1F);  // DTR RTS OUT1 OUT2 -> DSR CTS RI DCD
  CHECK(f.rd(6) == 0xFB);
  CHECK(f.rd(6) == 0xF0);
  f.wr(4, 0x1B);  // OUT1 (RI) falls: trailing-edge RI
  CHECK(f.rd(6) == 0xB4);
  f.wr(1, 0x08);
  f.wr(4, 0x1A);  // DTR falls: DDSR and a modem-status interrupt
  CHECK(f.rd(2) == 0x00);
  CHECK_FALSE(f.irq.levels[4]);  // loopback: OUT2 does not reach the IRQ line
  CHECK(f.rd(6) == 0x92);
  CHECK(f.rd(2) == 0x01);
  f.wr(4, 0x08);  // back to normal: the terminal's CTS DSR DCD
  CHECK(f.rd(6) == 0xB2);  // only DSR differs from the looped-back lines
}

TEST_CASE("uart: IIR priorities: received data over THR empty over modem status") {
  UartFixture f;
  f.wr(1, 0x0B);
  f.wr(4, 0x10);  // loopback
  f.wr(4, 0x11);  // DSR change: modem status pending
  CHECK(f.rd(2) == 0x02);  // THRE (set when ETBEI was enabled) beats modem status
  CHECK(f.rd(2) == 0x00);
  f.uart.receive('r');
  CHECK(f.rd(2) == 0x04);
  f.rd(0);
  CHECK(f.rd(2) == 0x00);
  f.rd(6);
  CHECK(f.rd(2) == 0x01);
}

TEST_CASE("uart: host input is taken at the character rate, only when the receiver has room") {
  StringSource src;
  UartFixture f(&src);
  f.baud_115200_8n1();
  src.feed("hi!");
  f.host.advance_by(1000000);  // the idle poll
  CHECK(f.rd(5) == 0x61);
  f.host.advance_by(3 * 86805);
  CHECK(f.rd(0) == 'h');  // FIFOs off: one byte at a time, nothing lost
  CHECK(f.rd(5) == 0x60);
  f.host.advance_by(86805);
  CHECK(f.rd(0) == 'i');
  f.host.advance_by(86805);
  CHECK(f.rd(0) == '!');
  f.wr(2, 0x01);
  src.feed("abcdefghijklmnopqrstuvwxyz");
  f.host.advance_by(40 * 1000000ull);
  std::string got;
  while (f.rd(5) & 1) got += static_cast<char>(f.rd(0));
  CHECK(got == "abcdefghijklmnop");  // a full FIFO stops the intake
  f.host.advance_by(40 * 1000000ull);
  got.clear();
  while (f.rd(5) & 1) got += static_cast<char>(f.rd(0));
  CHECK(got == "qrstuvwxyz");
  src.closed = true;
  f.host.advance_by(40 * 1000000ull);
  CHECK(f.host.sched.pending().empty());  // end of input: no more polling
}

TEST_CASE("uart: save and load") {
  UartFixture f;
  f.wr(2, 0x01);
  f.uart.receive('s');
  f.wr(7, 0x77);
  StateWriter w;
  f.uart.save(w);
  UartFixture g;
  StateReader r(w.data());
  g.uart.load(r);
  CHECK(g.rd(7) == 0x77);
  CHECK(g.rd(0) == 's');
}
