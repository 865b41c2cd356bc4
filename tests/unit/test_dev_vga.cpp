// The VGA: write modes 0-3, latches, set/reset, bit mask, read mode 1 colour
// compare, chain-4 and odd/even addressing, memory map select, the DAC and
// attribute controller port protocols, CRTC protection, input status timing, text
// rendering from a font in plane 2, mode 13h and mode 12h pixels, the Bochs VBE
// dispi registers with the LFB and banked window, save/load, the VGA BIOS image.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>

#include "core/io_bus.h"
#include "core/physical_memory.h"
#include "core/state_io.h"
#include "devices/vga.h"
#include "devices/vga_pci.h"
#include "tests/unit/dev_fixture.h"

namespace kasou {
namespace {

struct VgaBox {
  IoBus io;
  PhysicalMemory mem{1 << 20};
  uint64_t now = 0;
  Vga vga{VgaConfig{}, [this] { return now; }};
  VgaBox() { vga.attach(io, mem); }

  void out(uint16_t port, uint8_t v) { io.write(port, v, 1); }
  uint8_t in(uint16_t port) { return static_cast<uint8_t>(io.read(port, 1)); }
  void seq(uint8_t i, uint8_t v) { io.write(0x3C4, i | (v << 8), 2); }
  void gc(uint8_t i, uint8_t v) { io.write(0x3CE, i | (v << 8), 2); }
  void crtc(uint8_t i, uint8_t v) { io.write(0x3D4, i | (v << 8), 2); }
  void ac(uint8_t i, uint8_t v) {
    in(0x3DA);  // flip-flop to "index"
    out(0x3C0, i);
    out(0x3C0, v);
  }
  void dispi(uint16_t i, uint16_t v) {
    io.write(dispi::kIndexPort, i, 2);
    io.write(dispi::kDataPort, v, 2);
  }
  uint16_t dispi_read(uint16_t i) {
    io.write(dispi::kIndexPort, i, 2);
    return static_cast<uint16_t>(io.read(dispi::kDataPort, 2));
  }
  uint8_t rd(uint64_t a) { return static_cast<uint8_t>(mem.read(a, 1)); }
  void wr(uint64_t a, uint8_t v) { mem.write(a, v, 1); }
  uint8_t plane(unsigned p, uint32_t offset) const { return vga.vram()[offset * 4 + p]; }

  // Planar graphics addressing at 0xA0000 (64 KiB), as mode 12h has it.
  void planar() {
    out(0x3C2, 0xE3);
    seq(2, 0x0F);
    seq(4, 0x06);
    gc(5, 0x00);
    gc(6, 0x05);
    gc(8, 0xFF);
  }
  // Puts p0..p3 into the planes at `offset` (map mask per plane, write mode 0).
  void fill(uint32_t offset, uint8_t p0, uint8_t p1, uint8_t p2, uint8_t p3) {
    const uint8_t v[4] = {p0, p1, p2, p3};
    for (unsigned p = 0; p < 4; p++) {
      seq(2, static_cast<uint8_t>(1 << p));
      wr(0xA0000 + offset, v[p]);
    }
    seq(2, 0x0F);
  }
  void program(uint8_t misc, const uint8_t* s, const uint8_t* c, const uint8_t* g, const uint8_t* a) {
    out(0x3C2, misc);
    for (uint8_t i = 0; i < 5; i++) seq(i, s[i]);
    crtc(0x11, 0x00);  // unprotect CR0-7
    for (uint8_t i = 0; i < 0x19; i++) crtc(i, c[i]);
    for (uint8_t i = 0; i < 9; i++) gc(i, g[i]);
    for (uint8_t i = 0; i < 0x15; i++) ac(i, a[i]);
    in(0x3DA);
    out(0x3C0, 0x20);  // palette address source: show the picture
  }
  void dac(uint8_t index, uint8_t r, uint8_t g, uint8_t b) {
    out(0x3C8, index);
    out(0x3C9, r);
    out(0x3C9, g);
    out(0x3C9, b);
  }
};

uint8_t c6to8(uint8_t v) { return static_cast<uint8_t>((v << 2) | ((v & 1) << 1) | (v & 1)); }

// The EGA colour of a 6-bit rgbRGB attribute palette value, as the DAC holds it after mode 3.
uint32_t ega(uint8_t v) {
  uint8_t r = static_cast<uint8_t>(((v >> 2) & 1) * 0x2A + ((v >> 5) & 1) * 0x15);
  uint8_t g = static_cast<uint8_t>(((v >> 1) & 1) * 0x2A + ((v >> 4) & 1) * 0x15);
  uint8_t b = static_cast<uint8_t>((v & 1) * 0x2A + ((v >> 3) & 1) * 0x15);
  return rgba(c6to8(r), c6to8(g), c6to8(b));
}

TEST_CASE("vga: write mode 0 applies rotate, set/reset, enable set/reset, function and bit mask") {
  VgaBox b;
  b.planar();
  b.fill(0, 0x11, 0x22, 0x33, 0x44);
  CHECK(b.rd(0xA0000) == 0x11);  // read mode 0, map 0; loads the latches
  b.gc(0, 0x05);                 // set/reset value: planes 0 and 2
  b.gc(1, 0x03);                 // enable set/reset on planes 0 and 1
  b.gc(8, 0xF0);                 // bit mask: the left four pixels
  b.wr(0xA0000, 0x0F);
  CHECK(b.plane(0, 0) == 0xF1);  // set/reset 1 on the masked bits, latch elsewhere
  CHECK(b.plane(1, 0) == 0x02);  // set/reset 0
  CHECK(b.plane(2, 0) == 0x03);  // CPU data 0x0F: zero in the masked bits
  CHECK(b.plane(3, 0) == 0x04);

  // Rotate right by 4 and XOR with the latches, all bits.
  b.gc(1, 0x00);
  b.gc(8, 0xFF);
  b.fill(1, 0xFF, 0x00, 0xF0, 0x0F);
  b.rd(0xA0001);
  b.gc(3, (3 << 3) | 4);
  b.wr(0xA0001, 0x3C);  // rotated: 0xC3
  CHECK(b.plane(0, 1) == (0xFF ^ 0xC3));
  CHECK(b.plane(1, 1) == 0xC3);
  CHECK(b.plane(2, 1) == (0xF0 ^ 0xC3));
  CHECK(b.plane(3, 1) == (0x0F ^ 0xC3));
  // AND and OR.
  b.rd(0xA0001);
  b.gc(3, 1 << 3);
  b.wr(0xA0001, 0x0F);
  CHECK(b.plane(1, 1) == (0xC3 & 0x0F));
  b.rd(0xA0001);
  b.gc(3, 2 << 3);
  b.wr(0xA0001, 0x30);
  CHECK(b.plane(1, 1) == (0x03 | 0x30));
}

TEST_CASE("vga: write mode 1 copies the latches to the planes the map mask enables") {
  VgaBox b;
  b.planar();
  b.fill(0x10, 0xA1, 0xB2, 0xC3, 0xD4);
  b.fill(0x20, 0, 0, 0, 0);
  b.rd(0xA0010);
  b.gc(5, 0x01);
  b.gc(8, 0x00);  // the bit mask does not apply in write mode 1
  b.seq(2, 0x0D);
  b.wr(0xA0020, 0x55);  // the CPU data does not matter
  CHECK(b.plane(0, 0x20) == 0xA1);
  CHECK(b.plane(1, 0x20) == 0x00);  // plane 1 not enabled
  CHECK(b.plane(2, 0x20) == 0xC3);
  CHECK(b.plane(3, 0x20) == 0xD4);
}

TEST_CASE("vga: write modes 2 and 3") {
  VgaBox b;
  b.planar();
  b.fill(0, 0x00, 0xFF, 0x00, 0xFF);
  b.rd(0xA0000);
  b.gc(5, 0x02);
  b.gc(8, 0x81);
  b.wr(0xA0000, 0x05);  // colour 5 in pixels 0 and 7
  CHECK(b.plane(0, 0) == 0x81);
  CHECK(b.plane(1, 0) == 0x7E);
  CHECK(b.plane(2, 0) == 0x81);
  CHECK(b.plane(3, 0) == 0x7E);

  b.gc(5, 0x00);
  b.gc(8, 0xFF);
  b.fill(1, 0x00, 0x00, 0x00, 0x00);
  b.rd(0xA0001);
  b.gc(5, 0x03);
  b.gc(0, 0x0A);  // colour 10
  b.gc(8, 0x3C);
  b.gc(3, 0x01);        // rotate 1
  b.wr(0xA0001, 0xF0);  // rotated 0x78, & bit mask 0x3C = 0x38
  CHECK(b.plane(0, 1) == 0x00);
  CHECK(b.plane(1, 1) == 0x38);
  CHECK(b.plane(2, 1) == 0x00);
  CHECK(b.plane(3, 1) == 0x38);
}

TEST_CASE("vga: read mode 1 compares colours in the planes colour don't care selects") {
  VgaBox b;
  b.planar();
  b.fill(0, 0xF0, 0xCC, 0xAA, 0x00);
  b.gc(5, 0x08);
  b.gc(2, 0x03);
  b.gc(7, 0x0F);
  CHECK(b.rd(0xA0000) == 0x40);  // only pixel 1 has colour 3
  b.gc(7, 0x03);                 // ignore planes 2 and 3
  CHECK(b.rd(0xA0000) == 0xC0);
  b.gc(7, 0x00);  // nothing compared: all match
  CHECK(b.rd(0xA0000) == 0xFF);
  b.gc(5, 0x00);
  b.gc(4, 0x02);
  CHECK(b.rd(0xA0000) == 0xAA);  // read mode 0 with read map select 2
}

TEST_CASE("vga: chain-4 addressing: A1:A0 select the plane, the rest the offset") {
  VgaBox b;
  b.out(0x3C2, 0x63);
  b.seq(2, 0x0F);
  b.seq(4, 0x0E);
  b.gc(5, 0x40);
  b.gc(6, 0x05);
  b.gc(8, 0xFF);
  for (unsigned i = 0; i < 8; i++) b.wr(0xA0000 + i, static_cast<uint8_t>(0x10 + i));
  for (unsigned i = 0; i < 8; i++) {
    CHECK(b.plane(i & 3, i >> 2) == 0x10 + i);
    CHECK(b.vga.vram()[i] == 0x10 + i);  // the same bytes as a linear view
    CHECK(b.rd(0xA0000 + i) == 0x10 + i);
  }
  b.seq(2, 0x01);  // the map mask still applies
  b.wr(0xA0001, 0x99);
  b.wr(0xA0004, 0x77);
  CHECK(b.rd(0xA0001) == 0x11);
  CHECK(b.rd(0xA0004) == 0x77);
}

TEST_CASE("vga: odd/even addressing: A0 selects planes 0/1, reads through GR4 bit 1") {
  VgaBox b;
  b.out(0x3C2, 0x67);
  b.seq(2, 0x03);
  b.seq(4, 0x02);
  b.gc(5, 0x10);
  b.gc(6, 0x0E);
  b.gc(8, 0xFF);
  b.wr(0xB8000, 'A');
  b.wr(0xB8001, 0x1F);
  b.wr(0xB8002, 'B');
  b.wr(0xB8003, 0x4E);
  CHECK(b.plane(0, 0) == 'A');
  CHECK(b.plane(1, 0) == 0x1F);
  CHECK(b.plane(0, 1) == 'B');
  CHECK(b.plane(1, 1) == 0x4E);
  CHECK(b.plane(2, 0) == 0);  // map mask 0x03: planes 2 and 3 untouched
  CHECK(b.mem.read(0xB8000, 4) == 0x4E421F41u);
  // Read map select bit 1 picks planes 2/3.
  b.seq(4, 0x06);
  b.gc(5, 0x00);
  b.seq(2, 0x04);
  b.wr(0xB8000, 0xEE);  // planar: plane 2 offset 0
  b.seq(4, 0x02);
  b.gc(5, 0x10);
  b.gc(4, 0x02);
  CHECK(b.rd(0xB8000) == 0xEE);
  b.gc(4, 0x00);
  CHECK(b.rd(0xB8000) == 'A');
}

TEST_CASE("vga: GR6 memory map select decodes the window") {
  VgaBox b;
  b.out(0x3C2, 0x67);
  b.seq(2, 0x0F);
  b.seq(4, 0x06);
  b.gc(8, 0xFF);
  b.gc(6, 0x0C);  // B8000-BFFFF
  b.wr(0xB8010, 0x5A);
  CHECK(b.rd(0xB8010) == 0x5A);
  CHECK(b.rd(0xA0010) == 0xFF);
  CHECK(b.rd(0xB0010) == 0xFF);
  b.wr(0xA0010, 0x11);  // ignored
  b.gc(6, 0x08);        // B0000-B7FFF
  CHECK(b.rd(0xB0010) == 0x5A);
  CHECK(b.rd(0xB8010) == 0xFF);
  b.gc(6, 0x00);  // A0000-BFFFF: 128 KiB
  CHECK(b.rd(0xA0010) == 0x5A);
  b.wr(0xB8020, 0x33);
  CHECK(b.plane(0, 0x18020) == 0x33);
}

TEST_CASE("vga: DAC write and read indices auto-increment every three components") {
  VgaBox b;
  b.out(0x3C8, 5);
  for (uint8_t v : {1, 2, 3, 4, 5, 0xFF}) b.out(0x3C9, v);
  CHECK(b.in(0x3C8) == 7);
  CHECK(b.in(0x3C7) == 0);  // write mode
  b.out(0x3C7, 5);
  CHECK(b.in(0x3C7) == 3);  // read mode
  uint8_t got[6];
  for (auto& g : got) g = b.in(0x3C9);
  const uint8_t want[6] = {1, 2, 3, 4, 5, 0x3F};  // six bits per component
  CHECK(std::memcmp(got, want, 6) == 0);
  CHECK(b.vga.state().dac_read_index == 7);
  // A partial triple is not written; a new index restarts the triple.
  b.out(0x3C8, 9);
  b.out(0x3C9, 0x11);
  b.out(0x3C8, 10);
  b.out(0x3C9, 0x21);
  b.out(0x3C9, 0x22);
  b.out(0x3C9, 0x23);
  CHECK(b.vga.state().palette[9 * 3] == 0);
  CHECK(b.vga.state().palette[10 * 3] == 0x21);
  b.out(0x3C6, 0x0F);
  CHECK(b.in(0x3C6) == 0x0F);
}

TEST_CASE("vga: reading input status 1 resets the attribute flip-flop (at the active address)") {
  VgaBox b;
  b.out(0x3C2, 0x01);  // colour: input status 1 at 0x3DA
  b.in(0x3DA);
  b.out(0x3C0, 0x01);  // index 1; next write would be data
  b.in(0x3DA);         // back to "index"
  b.out(0x3C0, 0x02);
  b.out(0x3C0, 0x15);
  CHECK(b.vga.state().ac[1] == 0);
  CHECK(b.vga.state().ac[2] == 0x15);
  CHECK(b.in(0x3C1) == 0x15);
  CHECK(b.in(0x3C0) == 0x02);
  // Monochrome: 0x3DA is not decoded and leaves the flip-flop alone; 0x3BA resets it.
  b.out(0x3C2, 0x00);
  b.out(0x3C0, 0x03);
  CHECK(b.in(0x3DA) == 0xFF);
  b.out(0x3C0, 0x2A);  // data for index 3
  CHECK(b.vga.state().ac[3] == 0x2A);
  b.out(0x3C0, 0x04);
  b.in(0x3BA);
  b.out(0x3C0, 0x05);  // an index again
  CHECK(b.vga.state().ac[4] == 0);
  CHECK(b.in(0x3C0) == 0x05);
  // The attribute register masks: palette 6 bits.
  b.in(0x3BA);
  b.out(0x3C0, 0x00);
  b.out(0x3C0, 0xFF);
  CHECK(b.vga.state().ac[0] == 0x3F);
}

TEST_CASE("vga: CR11 bit 7 protects CR0-CR7 except the line compare bit in CR7") {
  VgaBox b;
  b.out(0x3C2, 0x01);
  b.crtc(0x11, 0x00);
  b.crtc(0x01, 0x4F);
  b.crtc(0x07, 0x00);
  b.crtc(0x11, 0x80);
  b.crtc(0x01, 0x27);
  b.crtc(0x07, 0xFF);
  b.crtc(0x09, 0x0F);
  CHECK(b.vga.state().crtc[0x01] == 0x4F);
  CHECK(b.vga.state().crtc[0x07] == 0x10);
  CHECK(b.vga.state().crtc[0x09] == 0x0F);
  b.crtc(0x11, 0x00);
  b.crtc(0x01, 0x27);
  CHECK(b.vga.state().crtc[0x01] == 0x27);
  b.out(0x3D4, 0x01);
  CHECK(b.in(0x3D5) == 0x27);
  CHECK(b.in(0x3B5) == 0xFF);  // mono CRTC port off in colour mode
}

TEST_CASE("vga: input status 1 retrace and display-enable bits follow virtual time") {
  VgaBox b;
  b.vga.set_text_mode3(nullptr);
  // Mode 3: 28.322 MHz, 9 dots, 100 characters per line, 449 lines, display 80x400,
  // vertical retrace at lines 412-413.
  auto at = [](uint64_t line, uint64_t ch) { return (line * 100 + ch) * 9 * 1000000000ull / 28322000 + 1; };
  const uint64_t frame = 449ull * 100 * 9 * 1000000000ull / 28322000;
  CHECK(b.vga.input_status1(at(0, 0)) == 0x00);
  CHECK(b.vga.input_status1(at(10, 79)) == 0x00);
  CHECK(b.vga.input_status1(at(10, 81)) == 0x01);   // horizontal blanking
  CHECK(b.vga.input_status1(at(405, 3)) == 0x01);   // vertical blanking
  CHECK(b.vga.input_status1(at(412, 3)) == 0x09);   // vertical retrace
  CHECK(b.vga.input_status1(at(413, 99)) == 0x09);
  CHECK(b.vga.input_status1(at(414, 0)) == 0x01);
  CHECK(b.vga.input_status1(frame + at(412, 0)) == 0x09);  // the next frame
  b.now = at(412, 50);
  CHECK(b.in(0x3DA) == 0x09);
  b.now = at(100, 10);
  CHECK(b.in(0x3DA) == 0x00);
  // Without a programmed CRTC the bits still come and go.
  VgaBox raw;
  bool seen_retrace = false, seen_display = false;
  for (uint64_t t = 0; t < 20000000; t += 10000) {
    uint8_t s = raw.vga.input_status1(t);
    seen_retrace |= (s & 8) != 0;
    seen_display |= (s & 1) == 0;
  }
  CHECK(seen_retrace);
  CHECK(seen_display);
}

TEST_CASE("vga: a text-mode character is drawn from the font in plane 2 with its attribute colours") {
  VgaBox b;
  std::vector<uint8_t> font(4096, 0);
  for (unsigned r = 0; r < 16; r++) {
    font['K' * 16 + r] = static_cast<uint8_t>(0x81 | (1 << (r % 7)));
    font[0xC4 * 16 + r] = r == 7 ? 0xFF : 0x00;       // line-drawing character
    font[0x41 * 16 + r] = static_cast<uint8_t>(r * 16 + 1);  // low bit set on every row
  }
  b.vga.set_text_mode3(font.data());
  // Row 2, column 3: 'K', yellow (14) on blue (1); then 'A' and a horizontal line.
  const uint32_t cell = 0xB8000 + (2 * 80 + 3) * 2;
  b.mem.write(cell, 0x1E00 | 'K', 2);
  b.mem.write(cell + 2, 0x1E00 | 'A', 2);
  b.mem.write(cell + 4, 0x0700 | 0xC4, 2);
  b.crtc(0x0E, 0x07);  // cursor far away
  b.crtc(0x0F, 0xD0);
  Framebuffer fb = b.vga.render();
  REQUIRE(fb.width == 720);
  REQUIRE(fb.height == 400);
  const uint32_t fg = ega(0x3E), bg = ega(0x01);  // attribute palette 14 = 0x3E, 1 = 0x01
  int bad = 0;
  for (unsigned r = 0; r < 16; r++)
    for (unsigned x = 0; x < 9; x++) {
      bool on = x < 8 && ((font['K' * 16 + r] >> (7 - x)) & 1);
      if (fb.at(3 * 9 + x, 2 * 16 + r) != (on ? fg : bg)) bad++;
      // Ninth dot: background for ordinary characters, the eighth dot for C0-DF.
      if (fb.at(4 * 9 + 8, 2 * 16 + r) != bg) bad++;
      bool line = r == 7;
      if (fb.at(5 * 9 + 8, 2 * 16 + r) != (line ? ega(0x07) : ega(0x00))) bad++;
    }
  CHECK(bad == 0);
  CHECK(fb.at(0, 0) == ega(0x00));  // a blank cell: background black
  // The text view and the dump.
  TextScreen t = b.vga.text_screen();
  CHECK(t.cols == 80);
  CHECK(t.rows == 25);
  CHECK(t.ch(3, 2) == 'K');
  CHECK(t.attr(3, 2) == 0x1E);
  std::string dump = b.vga.text_dump();
  CHECK(dump == "\n\n   KA─\n" + std::string(22, '\n'));
  // Start address: the screen starts 80 cells later.
  b.crtc(0x0C, 0x00);
  b.crtc(0x0D, 80);
  CHECK(b.vga.text_screen().ch(3, 1) == 'K');
}

TEST_CASE("vga: text cursor, blink attribute and underline") {
  VgaBox b;
  std::vector<uint8_t> font(4096, 0);
  b.vga.set_text_mode3(font.data());  // all glyphs empty
  b.mem.write(0xB8000, 0x0700 | 'x', 2);
  b.mem.write(0xB8002, 0x9400 | 'y', 2);  // blinking, background 1 (bit 7 is blink)
  b.crtc(0x0E, 0);
  b.crtc(0x0F, 0);  // cursor on cell 0, scan lines 13-14 (0x0D, 0x0E)
  b.now = 0;        // frame 0: cursor phase on
  Framebuffer fb = b.vga.render();
  for (unsigned r = 0; r < 16; r++)
    CHECK(fb.at(2, r) == ((r == 13 || r == 14) ? ega(0x07) : ega(0x00)));
  CHECK(fb.at(9 + 2, 5) == ega(0x01));  // background 9 & 7 = blue, not light blue
  TextScreen t = b.vga.text_screen();
  CHECK(t.cursor_enabled);
  CHECK(t.cursor_start == 13);
  CHECK(t.cursor_end == 14);
  // Eight frames later the cursor is off.
  const uint64_t frame = 449ull * 100 * 9 * 1000000000ull / 28322000;
  b.now = frame * 8 + 10;
  fb = b.vga.render();
  CHECK(fb.at(2, 13) == ega(0x00));
  b.crtc(0x0A, 0x20);  // cursor disabled
  CHECK_FALSE(b.vga.text_screen().cursor_enabled);
  // Underline: attribute 0x01 on the underline scan line.
  b.crtc(0x14, 0x0F);
  b.mem.write(0xB8004, 0x0100 | 'z', 2);
  fb = b.vga.render();
  CHECK(fb.at(2 * 9 + 4, 15) == ega(0x01));
  CHECK(fb.at(2 * 9 + 4, 14) == ega(0x00));
}

// Standard register tables (IBM VGA BIOS).
constexpr uint8_t kSeq13[5] = {0x03, 0x01, 0x0F, 0x00, 0x0E};
constexpr uint8_t kCrtc13[0x19] = {0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x9C, 0x0E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF};
constexpr uint8_t kGc13[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF};
constexpr uint8_t kAc13[0x15] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A,
                                 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x41, 0x00, 0x0F, 0x00, 0x00};
constexpr uint8_t kSeq12[5] = {0x03, 0x01, 0x0F, 0x00, 0x06};
constexpr uint8_t kCrtc12[0x19] = {0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00, 0x40, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0xEA, 0x8C, 0xDF, 0x28, 0x00, 0xE7, 0x04, 0xE3, 0xFF};
constexpr uint8_t kGc12[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF};
constexpr uint8_t kAc12[0x15] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
                                 0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x01, 0x00, 0x0F, 0x00, 0x00};

TEST_CASE("vga: mode 13h: byte at A0000 + 320y + x is pixel (x, y), shown 2x2 through the DAC") {
  VgaBox b;
  b.program(0x63, kSeq13, kCrtc13, kGc13, kAc13);
  b.dac(0x42, 63, 0, 31);
  b.dac(0x07, 0, 21, 0);
  b.wr(0xA0000 + 50 * 320 + 100, 0x42);
  b.wr(0xA0000 + 50 * 320 + 101, 0x07);
  b.wr(0xA0000 + 199 * 320 + 319, 0x42);
  Framebuffer fb = b.vga.render();
  REQUIRE(fb.width == 640);
  REQUIRE(fb.height == 400);
  const uint32_t c = rgba(0xFF, 0, c6to8(31)), g = rgba(0, c6to8(21), 0), black = rgba(0, 0, 0);
  CHECK(fb.at(200, 100) == c);
  CHECK(fb.at(201, 101) == c);
  CHECK(fb.at(202, 100) == g);
  CHECK(fb.at(199, 100) == black);
  CHECK(fb.at(200, 99) == black);
  CHECK(fb.at(200, 102) == black);
  CHECK(fb.at(639, 399) == c);
  CHECK(b.vga.vram()[50 * 320 + 100] == 0x42);  // chain-4: the linear view
  CHECK_FALSE(b.vga.text_mode());
  CHECK(b.vga.text_dump().empty());
  // The PEL mask selects DAC entries.
  b.out(0x3C6, 0x0F);
  CHECK(b.vga.render().at(200, 100) == rgba(0, 0, 0));  // 0x42 & 0x0F = 2: black
}

TEST_CASE("vga: mode 12h: planar pixels through the attribute palette, line compare splits the screen") {
  VgaBox b;
  b.program(0xE3, kSeq12, kCrtc12, kGc12, kAc12);
  for (uint8_t i = 0; i < 64; i++) {  // the EGA palette in the DAC
    uint32_t c = ega(i);
    auto six = [](uint32_t v) { return static_cast<uint8_t>((v & 0xFF) >> 2); };
    b.dac(i, six(c), six(c >> 8), six(c >> 16));
  }
  Framebuffer fb = b.vga.render();
  REQUIRE(fb.width == 640);
  REQUIRE(fb.height == 480);
  // Pixel (10, 3) in colour 12 (write mode 2), pixel (11, 3) in colour 6.
  b.gc(5, 0x02);
  b.gc(8, 0x80 >> 2);
  b.rd(0xA0000 + 3 * 80 + 1);
  b.wr(0xA0000 + 3 * 80 + 1, 12);
  b.gc(8, 0x80 >> 3);
  b.rd(0xA0000 + 3 * 80 + 1);
  b.wr(0xA0000 + 3 * 80 + 1, 6);
  fb = b.vga.render();
  CHECK(fb.at(10, 3) == ega(0x3C));
  CHECK(fb.at(11, 3) == ega(0x14));  // palette 6 = 0x14 (brown)
  CHECK(fb.at(9, 3) == ega(0x00));
  CHECK(fb.at(10, 4) == ega(0x00));
  // Colour plane enable masks plane 3 away: colour 12 shows as 4.
  b.ac(0x12, 0x07);
  b.in(0x3DA);
  b.out(0x3C0, 0x20);
  CHECK(b.vga.render().at(10, 3) == ega(0x04));
  // Start address one line down, line compare after line 99: lines 100.. show line 0.. again.
  b.ac(0x12, 0x0F);
  b.in(0x3DA);
  b.out(0x3C0, 0x20);
  b.crtc(0x0D, 80);
  b.crtc(0x18, 99);
  b.crtc(0x07, b.vga.state().crtc[0x07] & ~0x10);
  b.crtc(0x09, b.vga.state().crtc[0x09] & ~0x40);
  fb = b.vga.render();
  CHECK(fb.at(10, 2) == ega(0x3C));
  CHECK(fb.at(10, 103) == ega(0x3C));
  CHECK(fb.at(10, 3) == ega(0x00));
}

TEST_CASE("vga: dispi registers: ID, video memory, capabilities, clamping") {
  VgaBox b;
  CHECK(b.dispi_read(dispi::kId) == dispi::kId5);
  b.dispi(dispi::kId, dispi::kId0);
  CHECK(b.dispi_read(dispi::kId) == dispi::kId0);
  b.dispi(dispi::kId, 0x1234);  // not an ID: ignored
  CHECK(b.dispi_read(dispi::kId) == dispi::kId0);
  CHECK(b.dispi_read(dispi::kVideoMemory64K) == 256);  // 16 MiB
  b.dispi(dispi::kEnable, dispi::kGetCaps);
  CHECK(b.dispi_read(dispi::kXres) == dispi::kMaxXres);
  CHECK(b.dispi_read(dispi::kYres) == dispi::kMaxYres);
  CHECK(b.dispi_read(dispi::kBpp) == dispi::kMaxBpp);
  b.dispi(dispi::kEnable, 0);
  b.dispi(dispi::kXres, 1024);
  b.dispi(dispi::kYres, 768);
  b.dispi(dispi::kBpp, 32);
  CHECK(b.dispi_read(dispi::kXres) == 1024);
  b.dispi(dispi::kEnable, dispi::kEnabled | dispi::kLfbEnabled);
  CHECK(b.dispi_read(dispi::kVirtWidth) == 1024);
  CHECK(b.dispi_read(dispi::kVirtHeight) == (16u << 20) / 4096);
  CHECK(b.vga.state().vbe_line_offset == 4096);
  // A virtual width below XRES is raised to it; above, it sets the pitch.
  b.dispi(dispi::kVirtWidth, 2048);
  CHECK(b.vga.state().vbe_line_offset == 8192);
  CHECK(b.dispi_read(dispi::kVirtHeight) == (16u << 20) / 8192);
  b.dispi(dispi::kYOffset, 10);
  b.dispi(dispi::kXOffset, 16);
  CHECK(b.vga.state().vbe_start == 10 * 8192 + 16 * 4);
  b.dispi(dispi::kYOffset, 2000);  // beyond the memory: back to 0
  CHECK(b.dispi_read(dispi::kYOffset) == 0);
  b.dispi(dispi::kBpp, 7);  // invalid depth becomes 8
  CHECK(b.dispi_read(dispi::kBpp) == 8);
  // The VGA registers describe the mode.
  CHECK((b.vga.state().gc[6] & 0x0D) == 0x05);
  CHECK(b.vga.state().crtc[0x01] == 1024 / 8 - 1);
}

TEST_CASE("vga: VBE modes: LFB writes become pixels in 32, 24, 16, 15 and 8 bpp") {
  VgaBox b;
  b.in(0x3DA);
  b.out(0x3C0, 0x20);
  auto mode = [&](uint16_t bpp, uint16_t flags = 0) {
    b.dispi(dispi::kEnable, 0);
    b.dispi(dispi::kXres, 640);
    b.dispi(dispi::kYres, 480);
    b.dispi(dispi::kBpp, bpp);
    b.dispi(dispi::kEnable, dispi::kEnabled | dispi::kLfbEnabled | flags);
  };
  const uint64_t lfb = kDefaultLfbBase;
  mode(32);
  b.mem.write(lfb + (7 * 640 + 5) * 4, 0x00FF8040, 4);
  Framebuffer fb = b.vga.render();
  REQUIRE(fb.width == 640);
  REQUIRE(fb.height == 480);
  CHECK(fb.at(5, 7) == rgba(0xFF, 0x80, 0x40));
  CHECK(fb.at(6, 7) == rgba(0, 0, 0));
  CHECK(b.mem.read(lfb + (7 * 640 + 5) * 4, 4) == 0x00FF8040);
  // Enabling clears the memory, unless NOCLEARMEM.
  mode(32, dispi::kNoClearMem);
  CHECK(b.vga.render().at(5, 7) == rgba(0xFF, 0x80, 0x40));
  mode(32);
  CHECK(b.vga.render().at(5, 7) == rgba(0, 0, 0));

  mode(24);
  b.mem.write(lfb + (1 * 640 + 2) * 3, 0x112233, 4);
  CHECK(b.vga.render().at(2, 1) == rgba(0x11, 0x22, 0x33));
  mode(16);
  b.mem.write(lfb + 3 * 2, 0xF81F, 2);  // magenta
  CHECK(b.vga.render().at(3, 0) == rgba(0xF8, 0x00, 0xF8));
  mode(15);
  b.mem.write(lfb + 3 * 2, 0x03E0, 2);  // green
  CHECK(b.vga.render().at(3, 0) == rgba(0x00, 0xF8, 0x00));
  mode(8);
  b.dac(9, 0x3F, 0x20, 0);
  b.mem.write(lfb + 640 + 1, 9, 1);
  CHECK(b.vga.render().at(1, 1) == rgba(0xFF, c6to8(0x20), 0));
  // 8-bit DAC: components as written.
  b.dispi(dispi::kEnable, dispi::kEnabled | dispi::kLfbEnabled | dispi::kNoClearMem | dispi::k8BitDac);
  b.dac(9, 0x80, 0x40, 0xC0);
  CHECK(b.vga.render().at(1, 1) == rgba(0x80, 0x40, 0xC0));
  CHECK(b.in(0x3C9) == 0);  // sanity: read index 0 after reset
  // Display start: Y offset 1 shows line 1 at the top.
  b.dispi(dispi::kYOffset, 1);
  CHECK(b.vga.render().at(1, 0) == rgba(0x80, 0x40, 0xC0));
  // Disabled again: back to the VGA picture, LFB memory kept.
  b.dispi(dispi::kEnable, 0);
  CHECK(b.vga.vram()[641] == 9);
}

TEST_CASE("vga: VBE banked window: BANK selects 64 KiB of video memory at 0xA0000") {
  VgaBox b;
  b.dispi(dispi::kXres, 800);
  b.dispi(dispi::kYres, 600);
  b.dispi(dispi::kBpp, 8);
  b.dispi(dispi::kEnable, dispi::kEnabled);
  b.dispi(dispi::kBank, 3);
  b.wr(0xA0010, 0x5C);
  CHECK(b.vga.vram()[3 * 0x10000 + 0x10] == 0x5C);
  CHECK(b.mem.read(kDefaultLfbBase + 3 * 0x10000 + 0x10, 1) == 0x5C);
  CHECK(b.rd(0xA0010) == 0x5C);
  CHECK(b.rd(0xB0010) == 0xFF);  // the window is 64 KiB
  b.dispi(dispi::kBank, 0x1FF);  // masked to the memory size
  CHECK(b.dispi_read(dispi::kBank) == 0xFF);
  // The sequencer still reads back what the guest wrote.
  b.seq(4, 0x06);
  CHECK((b.vga.state().seq[4] & 0x08) == 0);
  b.dispi(dispi::kBank, 0);
  b.wr(0xA0001, 0x77);  // still chain-4 (linear) while VBE is on
  CHECK(b.vga.vram()[1] == 0x77);
}

TEST_CASE("vga: save and load restore registers and video memory") {
  VgaBox a;
  a.vga.set_text_mode3(nullptr);
  a.mem.write(0xB8000, 0x4F00 | 'Q', 2);
  a.dac(3, 1, 2, 3);
  a.out(0x3C0, 0x11);  // flip-flop mid-way
  StateWriter w;
  a.vga.save(w);
  VgaBox c;
  StateReader r(w.data());
  c.vga.load(r);
  CHECK(std::memcmp(&a.vga.state(), &c.vga.state(), sizeof(Vga::State)) == 0);
  CHECK(c.vga.text_screen().ch(0, 0) == 'Q');
  CHECK(c.vga.text_screen().attr(0, 0) == 0x4F);
  CHECK(c.vga.state().ac_flipflop == 1);
  // A different video memory size is refused.
  Vga small(VgaConfig{1 << 20, 0}, [] { return uint64_t{0}; });
  StateReader r2(w.data());
  CHECK_THROWS_AS(small.load(r2), StateError);
}

TEST_CASE("vga: the VGA BIOS maps as an option ROM at 0xC0000, a missing file names the seabios package") {
  PhysicalMemory mem(1 << 20);
  try {
    map_vga_bios(mem, "/nonexistent/vgabios-stdvga.bin");
    FAIL("no exception");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("seabios") != std::string::npos);
    CHECK(std::string(e.what()).find("/nonexistent/vgabios-stdvga.bin") != std::string::npos);
  }
  if (!std::filesystem::exists(kDefaultVgaBiosPath)) {
    MESSAGE("skipped: ", kDefaultVgaBiosPath, " is not installed (Debian package seabios)");
    return;
  }
  map_vga_bios(mem);
  CHECK(mem.read(kVgaBiosBase, 2) == 0xAA55);
  CHECK(mem.page(kVgaBiosBase).kind == PageKind::kRom);
  mem.write(kVgaBiosBase, 0, 2);
  CHECK(mem.read(kVgaBiosBase, 2) == 0xAA55);
  // Its 8x16 font.
  auto font = find_vga_font16(read_vga_bios());
  REQUIRE(font.has_value());
  CHECK((*font)['A' * 16 + 4] == 0x6C);
  CHECK((*font)[0xDB * 16 + 8] == 0xFF);
  CHECK_FALSE(find_vga_font16(std::vector<uint8_t>(8192, 0)).has_value());
}

TEST_CASE("vga: the PCI function 1234:1111: identity, BAR0 framebuffer, BAR2 registers, expansion ROM") {
  using test::cfg_read;
  using test::cfg_write;
  PhysicalMemory mem(16 << 20);
  IoBus io;
  PciBus bus(io, mem);
  Vga vga(VgaConfig{16 << 20, 0}, [] { return uint64_t{0}; });
  vga.attach(io, mem);
  std::vector<uint8_t> rom(4096, 0);
  rom[0] = 0x55, rom[1] = 0xAA, rom[2] = 8;
  VgaPci fn(vga, rom);
  bus.attach(2, 0, fn);
  CHECK(cfg_read(io, 2, 0, 0x00, 4) == 0x11111234u);
  CHECK(cfg_read(io, 2, 0, 0x08, 4) == 0x03000002u);  // class 030000, revision 2
  CHECK(cfg_read(io, 2, 0, 0x2C, 4) == 0x11001AF4u);
  // BAR sizing: 16 MiB prefetchable memory, 4 KiB registers.
  cfg_write(io, 2, 0, 0x10, 0xFFFFFFFF, 4);
  CHECK(cfg_read(io, 2, 0, 0x10, 4) == 0xFF000008u);
  cfg_write(io, 2, 0, 0x18, 0xFFFFFFFF, 4);
  CHECK(cfg_read(io, 2, 0, 0x18, 4) == 0xFFFFF000u);
  cfg_write(io, 2, 0, 0x10, 0xFD000000, 4);
  cfg_write(io, 2, 0, 0x18, 0xFEB00000, 4);
  cfg_write(io, 2, 0, 0x30, 0xFEB10001, 4);
  cfg_write(io, 2, 0, 0x04, pci::kCmdMemory, 2);
  // The framebuffer at the BAR.
  mem.write(0xFD000010, 0xCAFEF00D, 4);
  uint32_t got;
  std::memcpy(&got, vga.vram() + 0x10, 4);
  CHECK(got == 0xCAFEF00Du);
  // Dispi registers in BAR2 at 0x500 + 2 * index.
  CHECK(mem.read(0xFEB00500, 2) == dispi::kId5);
  mem.write(0xFEB00500 + 2 * dispi::kXres, 800, 2);
  mem.write(0xFEB00500 + 2 * dispi::kYres, 600, 2);
  CHECK(vga.state().vbe[dispi::kXres] == 800);
  CHECK(mem.read(0xFEB00500 + 2 * dispi::kXres, 4) == (600u << 16 | 800u));
  CHECK(mem.read(0xFEB00500 + 2 * dispi::kVideoMemory64K, 2) == 256);
  // The VGA ports at 0x400: a 16-bit write sets index and data.
  mem.write(0xFEB00400 + 4, 0x0F02, 2);
  CHECK(vga.state().seq[2] == 0x0F);
  mem.write(0xFEB00400 + 2, 0x67, 1);
  CHECK(mem.read(0xFEB00400 + 0x0C, 1) == 0x67);
  // QEMU extension: size and byte order.
  CHECK(mem.read(0xFEB00600, 4) == vga_pci::kQextSize);
  CHECK(mem.read(0xFEB00604, 4) == vga_pci::kLittleEndian);
  // The expansion ROM.
  CHECK(mem.read(0xFEB10000, 2) == 0xAA55);
  // Moving BAR0 moves the framebuffer.
  cfg_write(io, 2, 0, 0x10, 0xFC000000, 4);
  CHECK(mem.read(0xFC000010, 4) == 0xCAFEF00Du);
  CHECK(mem.read(0xFD000010, 4) == 0xFFFFFFFFu);
  // Video memory that is not a power of two cannot be a BAR.
  Vga odd(VgaConfig{3 << 20, 0}, [] { return uint64_t{0}; });
  CHECK_THROWS_AS(VgaPci{odd}, std::runtime_error);
}

TEST_CASE("vga: code page 437 to UTF-8") {
  CHECK(std::string(cp437_utf8('A')) == "A");
  CHECK(std::string(cp437_utf8(0)) == " ");
  CHECK(std::string(cp437_utf8(0xC4)) == "─");
  CHECK(std::string(cp437_utf8(0xDB)) == "█");
  CHECK(std::string(cp437_utf8(0x01)) == "☺");
  CHECK(std::string(cp437_utf8(0x82)) == "é");
}

}  // namespace
}  // namespace kasou
