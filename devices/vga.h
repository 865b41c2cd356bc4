// VGA: the IBM VGA register set and video memory, with the Bochs VBE "dispi"
// extension (what QEMU's std VGA, PCI 1234:1111, offers and Debian's
// vgabios-stdvga.bin programs).
//
// Ports: 0x3B0-0x3DF (misc output, sequencer, CRTC with CR0-7 protection, graphics
// controller, attribute controller with its flip-flop, DAC, input status), 0x1CE/0x1CF
// (dispi index/data). Memory: the legacy window 0xA0000-0xBFFFF (GR6 memory map) as
// an MmioHandler; the linear framebuffer (all of video memory) as a second
// MmioHandler, mapped at VgaConfig::lfb_base or, later, at PCI BAR0 through lfb().
//
// Video memory layout (as QEMU's): the four 64 KiB planes are interleaved, byte
// `plane` of plane offset `o` is vram[4 * o + plane]; VBE modes see vram linearly.
// CPU addresses map to plane offsets as follows: planar access: offset = address;
// odd/even (SR4 bit 2 clear for writes, GR5 bit 4 for reads): plane = A0 (| GR4 bit 1
// for reads), offset = address >> 1; chain-4 (SR4 bit 3): plane = A1:A0,
// offset = address >> 2. The CRTC address counter counts plane offsets (row pitch
// = CR13 * 2) whatever the word/byte/doubleword mode. This is a compaction of the
// real chip's address rotation that QEMU and the BIOS agree on; it differs from the
// hardware only for programs that mix chain-4/odd-even writes with planar reads of
// the same bytes.
//
// Virtual time: the retrace and display-enable bits of input status 1 follow the
// CRTC timing (dot clock from the misc output register) on the machine's virtual
// clock; cursor and character blink follow the frame count.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/io_bus.h"
#include "core/physical_memory.h"

namespace kasou {

inline constexpr const char* kDefaultVgaBiosPath = "/usr/share/seabios/vgabios-stdvga.bin";
inline constexpr uint64_t kVgaBiosBase = 0xC0000;
inline constexpr uint64_t kVgaWindowBase = 0xA0000;
inline constexpr uint64_t kVgaWindowBytes = 0x20000;
inline constexpr uint64_t kDefaultLfbBase = 0xE0000000;  // VBE_DISPI_LFB_PHYSICAL_ADDRESS

// Bochs VBE dispi registers (index written to 0x1CE, data at 0x1CF).
namespace dispi {
inline constexpr uint16_t kIndexPort = 0x1CE, kDataPort = 0x1CF;
enum : uint16_t {
  kId = 0, kXres, kYres, kBpp, kEnable, kBank, kVirtWidth, kVirtHeight, kXOffset, kYOffset,
  kVideoMemory64K, kRegCount
};
inline constexpr uint16_t kId0 = 0xB0C0, kId5 = 0xB0C5;
// ENABLE bits.
inline constexpr uint16_t kEnabled = 0x01, kGetCaps = 0x02, k8BitDac = 0x20, kLfbEnabled = 0x40,
                          kNoClearMem = 0x80;
inline constexpr uint16_t kMaxXres = 16000, kMaxYres = 12000, kMaxBpp = 32;
}  // namespace dispi

struct VgaConfig {
  // Video memory; the VGA planes use the first 256 KiB, VBE modes all of it. A
  // multiple of 64 KiB between 256 KiB and 256 MiB.
  uint64_t vram_bytes = 16ull << 20;
  // Where attach() maps the linear framebuffer; 0: not mapped (a PCI BAR does it).
  uint64_t lfb_base = kDefaultLfbBase;
};

// The screen of a text mode: characters and attributes as the CRTC scans them.
struct TextScreen {
  unsigned cols = 0, rows = 0;
  std::vector<uint16_t> cells;  // row-major; character | attribute << 8
  bool cursor_enabled = false;  // CR0A bit 5 clear and the cursor on the screen
  unsigned cursor_col = 0, cursor_row = 0;
  uint8_t cursor_start = 0, cursor_end = 0;  // scan lines
  uint8_t ch(unsigned col, unsigned row) const { return cells[row * cols + col] & 0xFF; }
  uint8_t attr(unsigned col, unsigned row) const { return cells[row * cols + col] >> 8; }
};

// A rendered picture: the raster the monitor shows (e.g. 720x400 for 80x25 text,
// 640x400 for mode 13h, XRES x YRES for VBE modes). Pixels are RGBA, 8 bits each,
// in memory order R, G, B, A (alpha 255).
struct Framebuffer {
  unsigned width = 0, height = 0;
  std::vector<uint32_t> pixels;  // width * height
  uint32_t at(unsigned x, unsigned y) const { return pixels[y * width + x]; }
};
constexpr uint32_t rgba(uint8_t r, uint8_t g, uint8_t b) {
  return r | (uint32_t{g} << 8) | (uint32_t{b} << 16) | 0xFF000000u;
}

class Vga : public Device, public IoHandler, public MmioHandler {
 public:
  using Clock = std::function<uint64_t()>;  // virtual nanoseconds

  Vga(const VgaConfig& config, Clock clock);
  Vga(const Vga&) = delete;
  Vga& operator=(const Vga&) = delete;

  // Registers the ports, the legacy window and (if config.lfb_base) the LFB.
  void attach(IoBus& io, PhysicalMemory& mem);
  // The linear framebuffer as a memory region, for a PCI BAR to map.
  MmioHandler& lfb() { return lfb_; }
  uint64_t vram_bytes() const { return vram_.size(); }
  uint8_t* vram() { return vram_.data(); }
  const uint8_t* vram() const { return vram_.data(); }

  const char* name() const override { return "vga"; }
  const char* io_name() const override { return "vga"; }
  const char* mmio_name() const override { return "vga-window"; }
  void reset() override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  uint32_t io_read(uint16_t port, unsigned size_bytes) override;
  void io_write(uint16_t port, uint32_t value, unsigned size_bytes) override;
  // The legacy window; offset 0 = physical 0xA0000.
  uint64_t mmio_read(uint64_t offset, unsigned size_bytes) override;
  void mmio_write(uint64_t offset, uint64_t value, unsigned size_bytes) override;

  // A dispi register by index, as the index/data port pair reaches it (the index
  // register is left pointing at it, as QEMU's MMIO view of dispi does).
  uint16_t dispi_read(uint16_t index);
  void dispi_write(uint16_t index, uint16_t value);

  // Byte access to the window as the CPU sees it (through the GC/sequencer logic).
  uint8_t window_read(uint32_t offset);
  void window_write(uint32_t offset, uint8_t value);

  // What is on the screen.
  bool text_mode() const;  // a VGA text mode is displayed (VBE off, GR6 alphanumeric)
  TextScreen text_screen() const;
  // The text screen as plain UTF-8 (code page 437), one line per row, trailing
  // spaces trimmed; empty when no text mode is displayed.
  std::string text_dump() const;
  Framebuffer render() const;

  // Leaves the VGA in 80x25 colour text mode (mode 3) as the BIOS's mode set does:
  // registers, the EGA palette in the DAC, a cleared screen and, if given, the 8x16
  // font (256 glyphs of 16 bytes) in plane 2. For boots without a BIOS (multiboot).
  void set_text_mode3(const uint8_t* font8x16);

  // Input status 1 (0x3BA/0x3DA) as computed from the CRTC timing at `now_ns`; no
  // side effect on the attribute flip-flop.
  uint8_t input_status1(uint64_t now_ns) const;

  // Guest-visible state (video memory aside): the one state struct.
  struct State {
    uint8_t misc;                 // miscellaneous output
    uint8_t fcr;                  // feature control
    uint8_t seq_index;
    uint8_t seq[8];
    uint8_t crtc_index;
    uint8_t crtc[256];
    uint8_t gc_index;
    uint8_t gc[16];
    uint8_t ac_index;             // bits 0-4 index, bit 5 PAS (palette address source)
    uint8_t ac_flipflop;          // 0: next 0x3C0 write is the index
    uint8_t ac[0x15];
    uint8_t pel_mask;
    uint8_t dac_state;            // 0: write mode, 3: read mode (0x3C7)
    uint8_t dac_read_index, dac_write_index, dac_sub_index;
    uint8_t dac_cache[3];
    uint8_t dac_8bit;             // VBE: 8 bits per DAC component
    uint8_t palette[768];
    uint8_t reserved[3];          // explicit padding: saved states are byte-for-byte repeatable
    uint32_t latch;               // the four plane latches, plane n in bits 8n..8n+7
    uint16_t vbe_index;
    uint16_t vbe[dispi::kRegCount];
    uint32_t vbe_start;           // byte offset of the displayed start
    uint32_t vbe_line_offset;     // bytes per scan line
    uint32_t bank_offset;         // BANK << 16
  };
  static_assert(sizeof(State) == 1128, "State has no implicit padding");
  const State& state() const { return st_; }

 private:
  class Lfb : public MmioHandler {
   public:
    explicit Lfb(Vga& v) : vga_(v) {}
    uint64_t mmio_read(uint64_t offset, unsigned size_bytes) override;
    void mmio_write(uint64_t offset, uint64_t value, unsigned size_bytes) override;
    const char* mmio_name() const override { return "vga-lfb"; }

   private:
    Vga& vga_;
  };

  bool vbe_enabled() const { return st_.vbe[dispi::kEnable] & dispi::kEnabled; }
  bool port_inactive(uint16_t port) const;
  uint8_t vga_read(uint16_t port);
  void vga_write(uint16_t port, uint8_t v);
  uint16_t vbe_read_data() const;
  void vbe_write_data(uint16_t v);
  void vbe_fixup();
  void vbe_update_vga_regs();
  uint8_t seq_effective(unsigned i) const;
  bool vbe_linear_window() const;
  uint32_t plane_word(uint32_t plane_offset) const;
  void set_plane_word(uint32_t plane_offset, uint32_t value, uint32_t write_mask);
  uint32_t dac_color(uint8_t index) const;
  uint32_t attr_color(uint8_t index4) const;  // 4-bit colour through the attribute palette
  uint64_t frame_ns() const;
  uint64_t frame_count() const;

  Framebuffer render_text() const;
  Framebuffer render_graphics() const;
  Framebuffer render_vbe() const;
  void display_size(unsigned& width, unsigned& height) const;

  VgaConfig config_;
  Clock clock_;
  std::vector<uint8_t> vram_;
  State st_{};
  Lfb lfb_{*this};
};

// Reads the VGA BIOS image, refusing a missing or malformed file with a message
// that names Debian's seabios package.
std::vector<uint8_t> read_vga_bios(const std::string& path = kDefaultVgaBiosPath);
// Maps the VGA BIOS read-only at 0xC0000 (as an option ROM: 0x55AA, size byte).
void map_vga_bios(PhysicalMemory& mem, const std::string& path = kDefaultVgaBiosPath);
// The 8x16 font (4096 bytes) inside a VGA BIOS image, found by its glyphs.
std::optional<std::array<uint8_t, 4096>> find_vga_font16(const std::vector<uint8_t>& rom);

// Code page 437 to UTF-8 (0x00 and 0xFF become spaces).
const char* cp437_utf8(uint8_t ch);
// Writes a framebuffer as PNG; throws with the path on failure.
void write_png(const std::string& path, const Framebuffer& fb);

}  // namespace kasou
