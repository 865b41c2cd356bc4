// The VGA as a picture: text screen, pixel rendering of text, planar, CGA,
// 256-colour and VBE modes, code page 437 and PNG output.
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <stb_image_write.h>

#include "devices/vga.h"

namespace kasou {
namespace {

// 6-bit DAC component to 8 bits, as QEMU expands it (so screenshots compare).
constexpr uint8_t c6_to_8(uint8_t v) {
  v &= 0x3F;
  uint8_t b = v & 1;
  return static_cast<uint8_t>((v << 2) | (b << 1) | b);
}

constexpr const char* kCp437[256] = {
    " ", "☺", "☻", "♥", "♦", "♣", "♠", "•", "◘", "○", "◙", "♂", "♀", "♪", "♫", "☼",
    "►", "◄", "↕", "‼", "¶", "§", "▬", "↨", "↑", "↓", "→", "←", "∟", "↔", "▲", "▼",
    " ", "!", "\"", "#", "$", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/",
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?",
    "@", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O",
    "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "[", "\\", "]", "^", "_",
    "`", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
    "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "{", "|", "}", "~", "⌂",
    "Ç", "ü", "é", "â", "ä", "à", "å", "ç", "ê", "ë", "è", "ï", "î", "ì", "Ä", "Å",
    "É", "æ", "Æ", "ô", "ö", "ò", "û", "ù", "ÿ", "Ö", "Ü", "¢", "£", "¥", "₧", "ƒ",
    "á", "í", "ó", "ú", "ñ", "Ñ", "ª", "º", "¿", "⌐", "¬", "½", "¼", "¡", "«", "»",
    "░", "▒", "▓", "│", "┤", "╡", "╢", "╖", "╕", "╣", "║", "╗", "╝", "╜", "╛", "┐",
    "└", "┴", "┬", "├", "─", "┼", "╞", "╟", "╚", "╔", "╩", "╦", "╠", "═", "╬", "╧",
    "╨", "╤", "╥", "╙", "╘", "╒", "╓", "╫", "╪", "┘", "┌", "█", "▄", "▌", "▐", "▀",
    "α", "ß", "Γ", "π", "Σ", "σ", "µ", "τ", "Φ", "Θ", "Ω", "δ", "∞", "φ", "ε", "∩",
    "≡", "±", "≥", "≤", "⌠", "⌡", "÷", "≈", "°", "∙", "·", "√", "ⁿ", "²", "■", " ",
};

struct Scan {
  uint32_t start, pitch;  // plane offsets
  unsigned line_compare, max_scan, preset;
  bool double_scan;
};

Scan crtc_scan(const Vga::State& st) {
  const auto& cr = st.crtc;
  Scan s;
  s.start = (uint32_t{cr[0x0C]} << 8) | cr[0x0D];
  s.pitch = uint32_t{cr[0x13]} * 2;
  s.line_compare = cr[0x18] | ((cr[0x07] & 0x10) << 4) | ((cr[0x09] & 0x40) << 3);
  s.max_scan = cr[0x09] & 0x1F;
  s.preset = cr[0x08] & 0x1F;
  s.double_scan = cr[0x09] & 0x80;
  return s;
}

unsigned vertical_display(const Vga::State& st) {
  const auto& cr = st.crtc;
  return (cr[0x12] | ((cr[0x07] & 0x02) << 7) | ((cr[0x07] & 0x40) << 3)) + 1u;
}

// The CRTC's row counters down the screen: the address of a character row, the
// row scan counter within it, scan doubling and the line compare split.
struct ScanWalker {
  Scan s;
  uint32_t row_addr;
  unsigned rs;
  bool second = false;
  explicit ScanWalker(const Scan& sc) : s(sc), row_addr(sc.start), rs(sc.preset) {}
  void next_line(unsigned y) {
    if (s.double_scan && !second) {
      second = true;
    } else {
      second = false;
      if (rs >= s.max_scan) {
        rs = 0;
        row_addr += s.pitch;
      } else {
        rs++;
      }
    }
    if (y == s.line_compare) {
      row_addr = 0;
      rs = 0;
      second = false;
    }
  }
};

}  // namespace

const char* cp437_utf8(uint8_t ch) { return kCp437[ch]; }

uint32_t Vga::dac_color(uint8_t index) const {
  const uint8_t* p = &st_.palette[(index & st_.pel_mask) * 3];
  if (st_.dac_8bit) return rgba(p[0], p[1], p[2]);
  return rgba(c6_to_8(p[0]), c6_to_8(p[1]), c6_to_8(p[2]));
}

uint32_t Vga::attr_color(uint8_t index4) const {
  uint8_t v = st_.ac[index4 & 0x0F];
  if (st_.ac[0x10] & 0x80) v = static_cast<uint8_t>(((st_.ac[0x14] & 0x0F) << 4) | (v & 0x0F));
  else v = static_cast<uint8_t>(((st_.ac[0x14] & 0x0C) << 4) | (v & 0x3F));
  return dac_color(v);
}

bool Vga::text_mode() const { return !vbe_enabled() && !(st_.gc[6] & 1); }

void Vga::display_size(unsigned& width, unsigned& height) const {
  if (vbe_enabled()) {
    width = st_.vbe[dispi::kXres];
    height = st_.vbe[dispi::kYres];
    return;
  }
  uint8_t seq1 = seq_effective(1);
  unsigned chars = st_.crtc[0x01] + 1u;
  unsigned dw = (seq1 & 0x08) ? 2 : 1;
  unsigned cw = (st_.gc[6] & 1) ? 8 : ((seq1 & 0x01) ? 8 : 9);
  width = chars * cw * dw;
  height = vertical_display(st_);
}

TextScreen Vga::text_screen() const {
  TextScreen t;
  if (!text_mode()) return t;
  const auto& cr = st_.crtc;
  Scan s = crtc_scan(st_);
  unsigned cheight = (s.max_scan + 1) * (s.double_scan ? 2 : 1);
  t.cols = cr[0x01] + 1u;
  t.rows = vertical_display(st_) / cheight;
  t.cells.resize(size_t{t.cols} * t.rows);
  for (unsigned r = 0; r < t.rows; r++)
    for (unsigned c = 0; c < t.cols; c++)
      t.cells[r * t.cols + c] =
          static_cast<uint16_t>(plane_word((s.start + r * s.pitch + c) & 0xFFFF) & 0xFFFF);
  uint32_t cursor = (uint32_t{cr[0x0E]} << 8) | cr[0x0F];
  t.cursor_start = cr[0x0A] & 0x1F;
  t.cursor_end = cr[0x0B] & 0x1F;
  uint32_t rel = (cursor - s.start) & 0xFFFF;
  if (s.pitch) {
    unsigned row = rel / s.pitch, col = rel % s.pitch;
    if (row < t.rows && col < t.cols) {
      t.cursor_row = row;
      t.cursor_col = col;
      t.cursor_enabled = !(cr[0x0A] & 0x20) && t.cursor_start <= t.cursor_end;
    }
  }
  return t;
}

std::string Vga::text_dump() const {
  TextScreen t = text_screen();
  std::string out;
  for (unsigned r = 0; r < t.rows; r++) {
    std::string line;
    for (unsigned c = 0; c < t.cols; c++) line += cp437_utf8(t.ch(c, r));
    line.erase(line.find_last_not_of(' ') + 1);
    out += line;
    out += '\n';
  }
  return out;
}

Framebuffer Vga::render() const {
  Framebuffer fb;
  bool blank = !(st_.ac_index & 0x20) || (st_.seq[1] & 0x20);
  if (blank) {
    display_size(fb.width, fb.height);
    fb.pixels.assign(size_t{fb.width} * fb.height, rgba(0, 0, 0));
    return fb;
  }
  if (vbe_enabled()) return render_vbe();
  return text_mode() ? render_text() : render_graphics();
}

Framebuffer Vga::render_text() const {
  const auto& cr = st_.crtc;
  const auto& ac = st_.ac;
  uint8_t seq1 = seq_effective(1);
  Scan s = crtc_scan(st_);
  const unsigned cols = cr[0x01] + 1u;
  const unsigned cw = (seq1 & 0x01) ? 8 : 9;
  const unsigned dw = (seq1 & 0x08) ? 2 : 1;
  Framebuffer fb;
  fb.width = cols * cw * dw;
  fb.height = vertical_display(st_);
  fb.pixels.resize(size_t{fb.width} * fb.height);

  uint32_t colors[16];
  for (unsigned i = 0; i < 16; i++) colors[i] = attr_color(static_cast<uint8_t>(i & ac[0x12]));
  // Character maps in plane 2: attribute bit 3 selects map A (SR3 bits 5,3,2) or B (4,1,0).
  const uint8_t sr3 = st_.seq[3];
  const uint32_t font_b = ((((sr3 >> 4) & 1) | ((sr3 << 1) & 6)) * 8192u);
  const uint32_t font_a = ((((sr3 >> 5) & 1) | ((sr3 >> 1) & 6)) * 8192u);
  const uint32_t cursor = (uint32_t{cr[0x0E]} << 8) | cr[0x0F];
  const unsigned cs = cr[0x0A] & 0x1F, ce = cr[0x0B] & 0x1F;
  const uint64_t frame = frame_count();
  const bool cursor_phase = !((frame >> 3) & 1);  // 1/16 of the frame rate
  const bool blink_phase = !((frame >> 4) & 1);   // 1/32 of the frame rate
  const bool cursor_on = !(cr[0x0A] & 0x20) && cursor_phase;
  const bool blink = ac[0x10] & 0x08;
  const bool line_graphics = ac[0x10] & 0x04;
  const unsigned underline = cr[0x14] & 0x1F;

  ScanWalker w(s);
  for (unsigned y = 0; y < fb.height; y++) {
    uint32_t* d = &fb.pixels[size_t{y} * fb.width];
    for (unsigned c = 0; c < cols; c++) {
      uint32_t po = (w.row_addr + c) & 0xFFFF;
      uint32_t word = plane_word(po);
      uint8_t ch = word & 0xFF, at = (word >> 8) & 0xFF;
      uint32_t glyph_addr = ((at & 0x08) ? font_a : font_b) + ch * 32u + w.rs;
      unsigned bits = w.rs < 32 ? vram_[size_t{glyph_addr & 0xFFFF} * 4 + 2] : 0;
      unsigned fg = at & 0x0F, bg = at >> 4;
      if (blink) {
        bg &= 7;
        if ((at & 0x80) && !blink_phase) bits = 0;
      }
      // The ninth dot repeats the eighth for the line-drawing characters.
      unsigned ninth = (cw == 9 && line_graphics && ch >= 0xC0 && ch <= 0xDF) ? (bits & 1) : 0;
      bits = (bits << 1) | ninth;  // 9 dots, left one at bit 8
      if ((w.rs == underline && (at & 0x77) == 0x01) ||
          (cursor_on && po == cursor && w.rs >= cs && w.rs <= ce))
        bits = 0x1FF;
      for (unsigned x = 0; x < cw; x++) {
        uint32_t px = ((bits >> (8 - x)) & 1) ? colors[fg] : colors[bg];
        for (unsigned k = 0; k < dw; k++) *d++ = px;
      }
    }
    w.next_line(y);
  }
  return fb;
}

Framebuffer Vga::render_graphics() const {
  const auto& cr = st_.crtc;
  uint8_t seq1 = seq_effective(1);
  Scan s = crtc_scan(st_);
  const unsigned chars = cr[0x01] + 1u;
  const unsigned dw = (seq1 & 0x08) ? 2 : 1;
  const unsigned shift = (st_.gc[5] >> 5) & 3;
  Framebuffer fb;
  fb.width = chars * 8 * dw;
  fb.height = vertical_display(st_);
  fb.pixels.resize(size_t{fb.width} * fb.height);

  uint32_t colors16[16], colors256[256];
  for (unsigned i = 0; i < 16; i++) colors16[i] = attr_color(static_cast<uint8_t>(i));
  for (unsigned i = 0; i < 256; i++) colors256[i] = dac_color(static_cast<uint8_t>(i));
  const uint32_t plane_enable = ((st_.ac[0x12] & 1) ? 0xFFu : 0) | ((st_.ac[0x12] & 2) ? 0xFF00u : 0) |
                                ((st_.ac[0x12] & 4) ? 0xFF0000u : 0) | ((st_.ac[0x12] & 8) ? 0xFF000000u : 0);
  // CGA compatibility: the row scan counter replaces address bits (CR17 bits 0, 1).
  const uint8_t cr17 = cr[0x17];
  const unsigned bank_bit = 12 + ((cr17 >> 6) & 1);

  ScanWalker w(s);
  for (unsigned y = 0; y < fb.height; y++) {
    uint32_t* d = &fb.pixels[size_t{y} * fb.width];
    uint32_t addr = w.row_addr;
    if (!(cr17 & 1)) addr = (addr & ~(1u << bank_bit)) | ((w.rs & 1u) << bank_bit);
    if (!(cr17 & 2)) addr = (addr & ~(1u << 13)) | (((w.rs >> 1) & 1u) << 13);
    for (unsigned c = 0; c < chars; c++) {
      uint32_t word = plane_word((addr + c) & 0xFFFF);
      if (shift == 0) {  // planar: one bit per plane per pixel
        word &= plane_enable;
        for (int b = 7; b >= 0; b--) {
          unsigned idx = ((word >> b) & 1) | (((word >> (8 + b)) & 1) << 1) | (((word >> (16 + b)) & 1) << 2) |
                         (((word >> (24 + b)) & 1) << 3);
          for (unsigned k = 0; k < dw; k++) *d++ = colors16[idx];
        }
      } else if (shift == 1) {  // CGA: two bits per pixel, planes 0/2 then 1/3
        word &= plane_enable;
        for (unsigned half = 0; half < 2; half++) {
          uint8_t lo = static_cast<uint8_t>(word >> (8 * half)), hi = static_cast<uint8_t>(word >> (8 * (half + 2)));
          for (int i = 3; i >= 0; i--) {
            unsigned idx = ((lo >> (2 * i)) & 3) | (((hi >> (2 * i)) & 3) << 2);
            for (unsigned k = 0; k < dw; k++) *d++ = colors16[idx];
          }
        }
      } else {  // 256 colours: a byte per pixel from planes 0..3, two dots each
        for (unsigned p = 0; p < 4; p++) {
          uint32_t px = colors256[(word >> (8 * p)) & 0xFF];
          for (unsigned k = 0; k < 2 * dw; k++) *d++ = px;
        }
      }
    }
    w.next_line(y);
  }
  return fb;
}

Framebuffer Vga::render_vbe() const {
  const unsigned bpp = st_.vbe[dispi::kBpp];
  Framebuffer fb;
  fb.width = st_.vbe[dispi::kXres];
  fb.height = st_.vbe[dispi::kYres];
  fb.pixels.assign(size_t{fb.width} * fb.height, rgba(0, 0, 0));
  const uint64_t line = st_.vbe_line_offset;
  const uint64_t size = vram_.size();
  uint32_t colors16[16], colors256[256];
  for (unsigned i = 0; i < 16; i++) colors16[i] = attr_color(static_cast<uint8_t>(i));
  for (unsigned i = 0; i < 256; i++) colors256[i] = dac_color(static_cast<uint8_t>(i));
  for (unsigned y = 0; y < fb.height; y++) {
    uint32_t* d = &fb.pixels[size_t{y} * fb.width];
    uint64_t base = st_.vbe_start + y * line;
    for (unsigned x = 0; x < fb.width; x++) {
      uint32_t px = rgba(0, 0, 0);
      switch (bpp) {
        case 4: {
          uint64_t po = base / 4 + x / 8;
          if (po * 4 + 3 < size) {
            uint32_t word = plane_word(static_cast<uint32_t>(po));
            unsigned b = 7 - (x & 7);
            unsigned idx = ((word >> b) & 1) | (((word >> (8 + b)) & 1) << 1) |
                           (((word >> (16 + b)) & 1) << 2) | (((word >> (24 + b)) & 1) << 3);
            px = colors16[idx];
          }
          break;
        }
        case 8:
          if (base + x < size) px = colors256[vram_[base + x]];
          break;
        case 15:
        case 16: {
          uint64_t a = base + uint64_t{x} * 2;
          if (a + 1 < size) {
            unsigned v = vram_[a] | (vram_[a + 1] << 8);
            if (bpp == 15)
              px = rgba(static_cast<uint8_t>((v >> 7) & 0xF8), static_cast<uint8_t>((v >> 2) & 0xF8),
                        static_cast<uint8_t>((v << 3) & 0xF8));
            else
              px = rgba(static_cast<uint8_t>((v >> 8) & 0xF8), static_cast<uint8_t>((v >> 3) & 0xFC),
                        static_cast<uint8_t>((v << 3) & 0xF8));
          }
          break;
        }
        case 24: {
          uint64_t a = base + uint64_t{x} * 3;
          if (a + 2 < size) px = rgba(vram_[a + 2], vram_[a + 1], vram_[a]);
          break;
        }
        default: {  // 32
          uint64_t a = base + uint64_t{x} * 4;
          if (a + 3 < size) px = rgba(vram_[a + 2], vram_[a + 1], vram_[a]);
          break;
        }
      }
      d[x] = px;
    }
  }
  return fb;
}

void write_png(const std::string& path, const Framebuffer& fb) {
  if (fb.width == 0 || fb.height == 0)
    throw std::runtime_error(fmt::format("screenshot {}: the display has no picture (0x0)", path));
  if (!stbi_write_png(path.c_str(), static_cast<int>(fb.width), static_cast<int>(fb.height), 4, fb.pixels.data(),
                      static_cast<int>(fb.width * 4)))
    throw std::runtime_error(fmt::format("screenshot {}: cannot write the PNG file", path));
}

}  // namespace kasou
