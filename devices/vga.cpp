// VGA registers, video memory access (planes, latches, write/read modes), Bochs VBE
// dispi, input status timing, save/restore and the VGA BIOS image.
#include "devices/vga.h"

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "core/state_io.h"

namespace kasou {
namespace {

static_assert(std::endian::native == std::endian::little, "planes are bytes of little-endian words");

// Bits that exist in each sequencer / graphics controller register.
constexpr uint8_t kSeqMask[8] = {0x03, 0x3D, 0x0F, 0x3F, 0x0E, 0x00, 0x00, 0x00};
constexpr uint8_t kGcMask[16] = {0x0F, 0x0F, 0x0F, 0x1F, 0x03, 0x7B, 0x0F, 0x0F, 0xFF};

// A 4-bit plane mask expanded to a byte mask per plane.
constexpr uint32_t expand_planes(unsigned m) {
  return ((m & 1) ? 0x000000FFu : 0) | ((m & 2) ? 0x0000FF00u : 0) | ((m & 4) ? 0x00FF0000u : 0) |
         ((m & 8) ? 0xFF000000u : 0);
}

constexpr uint32_t replicate(uint8_t b) { return b * 0x01010101u; }

constexpr uint8_t rotate_right(uint8_t v, unsigned n) {
  n &= 7;
  return static_cast<uint8_t>((v >> n) | (v << ((8 - n) & 7)));
}

// Mode 3 (80x25 colour text, 720x400) as the IBM BIOS programs it.
constexpr uint8_t kMode3Seq[5] = {0x03, 0x00, 0x03, 0x00, 0x02};
constexpr uint8_t kMode3Crtc[0x19] = {0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00,
                                      0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E,
                                      0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};
constexpr uint8_t kMode3Gc[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x0F, 0xFF};
constexpr uint8_t kMode3Ac[0x15] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
                                    0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00};

}  // namespace

Vga::Vga(const VgaConfig& config, Clock clock) : config_(config), clock_(std::move(clock)) {
  if (config.vram_bytes < (256u << 10) || config.vram_bytes > (256u << 20) || config.vram_bytes % (64u << 10))
    throw std::runtime_error(fmt::format("vga: video memory of {} bytes is not a multiple of 64 KiB "
                                         "between 256 KiB and 256 MiB", config.vram_bytes));
  if (config.lfb_base % kPageBytes)
    throw std::runtime_error(fmt::format("vga: LFB address {:#x} is not page aligned", config.lfb_base));
  vram_.assign(config.vram_bytes, 0);
  reset();
}

void Vga::attach(IoBus& io, PhysicalMemory& mem) {
  io.register_ports(0x3B0, 0x30, this, 1);
  io.register_ports(dispi::kIndexPort, 2, this, 1 | 2);
  mem.add_mmio(kVgaWindowBase, kVgaWindowBytes, this);
  if (config_.lfb_base) mem.add_mmio(config_.lfb_base, vram_.size(), &lfb_);
}

void Vga::reset() {
  st_ = State{};
  st_.pel_mask = 0xFF;
  st_.vbe[dispi::kId] = dispi::kId5;
}

// ---------------------------------------------------------------------------------
// Ports

bool Vga::port_inactive(uint16_t port) const {
  if (st_.misc & 1) return port >= 0x3B0 && port <= 0x3BF;  // colour: mono ports off
  return port >= 0x3D0 && port <= 0x3DF;
}

uint32_t Vga::io_read(uint16_t port, unsigned size_bytes) {
  if (port == dispi::kIndexPort) return st_.vbe_index;
  if (port == dispi::kDataPort) {
    uint16_t v = vbe_read_data();
    return size_bytes == 1 ? (v & 0xFF) : v;
  }
  return vga_read(port);
}

void Vga::io_write(uint16_t port, uint32_t value, unsigned) {
  if (port == dispi::kIndexPort) {
    st_.vbe_index = static_cast<uint16_t>(value);
    return;
  }
  if (port == dispi::kDataPort) {
    vbe_write_data(static_cast<uint16_t>(value));
    return;
  }
  vga_write(port, static_cast<uint8_t>(value));
}

uint8_t Vga::vga_read(uint16_t port) {
  if (port_inactive(port)) return 0xFF;
  switch (port) {
    case 0x3C0: return st_.ac_index;
    case 0x3C1: {
      unsigned i = st_.ac_index & 0x1F;
      return i < sizeof st_.ac ? st_.ac[i] : 0;
    }
    case 0x3C2: return 0;  // input status 0: no switch sense, no CRT interrupt
    case 0x3C4: return st_.seq_index;
    case 0x3C5: return st_.seq[st_.seq_index];
    case 0x3C6: return st_.pel_mask;
    case 0x3C7: return st_.dac_state;
    case 0x3C8: return st_.dac_write_index;
    case 0x3C9: {
      uint8_t v = st_.palette[st_.dac_read_index * 3 + st_.dac_sub_index];
      if (++st_.dac_sub_index == 3) {
        st_.dac_sub_index = 0;
        st_.dac_read_index++;
      }
      return st_.dac_8bit ? v : (v & 0x3F);
    }
    case 0x3CA: return st_.fcr;
    case 0x3CC: return st_.misc;
    case 0x3CE: return st_.gc_index;
    case 0x3CF: return st_.gc[st_.gc_index];
    case 0x3B4: case 0x3D4: return st_.crtc_index;
    case 0x3B5: case 0x3D5: return st_.crtc[st_.crtc_index];
    case 0x3BA: case 0x3DA:
      st_.ac_flipflop = 0;
      return input_status1(clock_ ? clock_() : 0);
    default: return 0xFF;
  }
}

void Vga::vga_write(uint16_t port, uint8_t v) {
  if (port_inactive(port)) return;
  switch (port) {
    case 0x3C0:
      if (st_.ac_flipflop == 0) {
        st_.ac_index = v & 0x3F;
      } else {
        unsigned i = st_.ac_index & 0x1F;
        if (i < 0x10) st_.ac[i] = v & 0x3F;
        else if (i == 0x10) st_.ac[i] = v & ~0x10;
        else if (i == 0x11) st_.ac[i] = v;
        else if (i == 0x12) st_.ac[i] = v & 0x3F;
        else if (i == 0x13 || i == 0x14) st_.ac[i] = v & 0x0F;
      }
      st_.ac_flipflop ^= 1;
      break;
    case 0x3C2: st_.misc = v & ~0x10; break;
    case 0x3C4: st_.seq_index = v & 7; break;
    case 0x3C5: st_.seq[st_.seq_index] = v & kSeqMask[st_.seq_index]; break;
    case 0x3C6: st_.pel_mask = v; break;
    case 0x3C7:
      st_.dac_read_index = v;
      st_.dac_sub_index = 0;
      st_.dac_state = 3;
      break;
    case 0x3C8:
      st_.dac_write_index = v;
      st_.dac_sub_index = 0;
      st_.dac_state = 0;
      break;
    case 0x3C9:
      st_.dac_cache[st_.dac_sub_index] = v;
      if (++st_.dac_sub_index == 3) {
        std::memcpy(&st_.palette[st_.dac_write_index * 3], st_.dac_cache, 3);
        st_.dac_sub_index = 0;
        st_.dac_write_index++;
      }
      break;
    case 0x3CE: st_.gc_index = v & 0x0F; break;
    case 0x3CF: st_.gc[st_.gc_index] = v & kGcMask[st_.gc_index]; break;
    case 0x3B4: case 0x3D4: st_.crtc_index = v; break;
    case 0x3B5: case 0x3D5:
      // CR11 bit 7 write-protects CR0-CR7, except the line compare bit 8 in CR7.
      if ((st_.crtc[0x11] & 0x80) && st_.crtc_index <= 7) {
        if (st_.crtc_index == 7) st_.crtc[7] = (st_.crtc[7] & ~0x10) | (v & 0x10);
        break;
      }
      st_.crtc[st_.crtc_index] = v;
      break;
    case 0x3BA: case 0x3DA: st_.fcr = v & 0x0B; break;
    default: break;
  }
}

// ---------------------------------------------------------------------------------
// Bochs VBE dispi

uint16_t Vga::dispi_read(uint16_t index) {
  st_.vbe_index = index;
  return vbe_read_data();
}

void Vga::dispi_write(uint16_t index, uint16_t value) {
  st_.vbe_index = index;
  vbe_write_data(value);
}

uint16_t Vga::vbe_read_data() const {
  uint16_t i = st_.vbe_index;
  if (i == dispi::kVideoMemory64K) return static_cast<uint16_t>(vram_.size() >> 16);
  if (i >= dispi::kRegCount) return 0;
  if (st_.vbe[dispi::kEnable] & dispi::kGetCaps) {
    if (i == dispi::kXres) return dispi::kMaxXres;
    if (i == dispi::kYres) return dispi::kMaxYres;
    if (i == dispi::kBpp) return dispi::kMaxBpp;
  }
  return st_.vbe[i];
}

void Vga::vbe_write_data(uint16_t v) {
  auto& r = st_.vbe;
  switch (st_.vbe_index) {
    case dispi::kId:
      if (v >= dispi::kId0 && v <= dispi::kId5) r[dispi::kId] = v;
      break;
    case dispi::kXres:
    case dispi::kYres:
    case dispi::kBpp:
    case dispi::kVirtWidth:
    case dispi::kXOffset:
    case dispi::kYOffset:
      r[st_.vbe_index] = v;
      vbe_fixup();
      vbe_update_vga_regs();
      break;
    case dispi::kBank: {
      uint32_t mask = static_cast<uint32_t>(vram_.size() >> 16) - 1;
      if (r[dispi::kBpp] == 4) mask >>= 2;  // planar: one CPU byte spans four planes
      v &= mask;
      r[dispi::kBank] = v;
      st_.bank_offset = uint32_t{v} << 16;
      break;
    }
    case dispi::kEnable:
      if ((v & dispi::kEnabled) && !(r[dispi::kEnable] & dispi::kEnabled)) {
        r[dispi::kVirtWidth] = 0;
        r[dispi::kXOffset] = 0;
        r[dispi::kYOffset] = 0;
        r[dispi::kEnable] |= dispi::kEnabled;
        vbe_fixup();
        vbe_update_vga_regs();
        if (!(v & dispi::kNoClearMem))
          std::memset(vram_.data(), 0, static_cast<size_t>(r[dispi::kYres]) * st_.vbe_line_offset);
      } else if (!(v & dispi::kEnabled)) {
        st_.bank_offset = 0;
      }
      st_.dac_8bit = (v & dispi::k8BitDac) ? 1 : 0;
      r[dispi::kEnable] = v;
      break;
    default:
      break;  // VIRT_HEIGHT and VIDEO_MEMORY_64K are computed; others do not exist
  }
}

// Clamps the mode to what the video memory holds (the dispi interface cannot
// report errors) and computes the line pitch and display start.
void Vga::vbe_fixup() {
  auto& r = st_.vbe;
  if (!(r[dispi::kEnable] & dispi::kEnabled)) return;
  unsigned bits;
  switch (r[dispi::kBpp]) {
    case 4: case 8: case 16: case 24: case 32: bits = r[dispi::kBpp]; break;
    case 15: bits = 16; break;
    default: bits = r[dispi::kBpp] = 8; break;
  }
  r[dispi::kXres] &= ~7u;
  if (r[dispi::kXres] == 0) r[dispi::kXres] = 8;
  if (r[dispi::kXres] > dispi::kMaxXres) r[dispi::kXres] = dispi::kMaxXres;
  r[dispi::kVirtWidth] &= ~7u;
  if (r[dispi::kVirtWidth] > dispi::kMaxXres) r[dispi::kVirtWidth] = dispi::kMaxXres;
  if (r[dispi::kVirtWidth] < r[dispi::kXres]) r[dispi::kVirtWidth] = r[dispi::kXres];
  uint32_t line = r[dispi::kVirtWidth] * bits / 8;
  uint32_t maxy = static_cast<uint32_t>(vram_.size() / line);
  if (r[dispi::kYres] == 0) r[dispi::kYres] = 1;
  if (r[dispi::kYres] > dispi::kMaxYres) r[dispi::kYres] = dispi::kMaxYres;
  if (r[dispi::kYres] > maxy) r[dispi::kYres] = static_cast<uint16_t>(maxy);
  if (r[dispi::kXOffset] > dispi::kMaxXres) r[dispi::kXOffset] = dispi::kMaxXres;
  if (r[dispi::kYOffset] > dispi::kMaxYres) r[dispi::kYOffset] = dispi::kMaxYres;
  uint64_t start = uint64_t{r[dispi::kXOffset]} * bits / 8 + uint64_t{r[dispi::kYOffset]} * line;
  if (start + uint64_t{r[dispi::kYres]} * line > vram_.size()) {
    r[dispi::kYOffset] = 0;
    start = uint64_t{r[dispi::kXOffset]} * bits / 8;
    if (start + uint64_t{r[dispi::kYres]} * line > vram_.size()) {
      r[dispi::kXOffset] = 0;
      start = 0;
    }
  }
  r[dispi::kVirtHeight] = static_cast<uint16_t>(std::min<uint32_t>(maxy, 0xFFFF));
  st_.vbe_line_offset = line;
  st_.vbe_start = static_cast<uint32_t>(start);
}

// With VBE on, the VGA registers describe a compatible graphics mode (as QEMU's std
// VGA does): graphics at 0xA0000 (64 KiB, banked), no CGA addressing, the pitch and
// size in the CRTC, 256-colour or planar shifting.
void Vga::vbe_update_vga_regs() {
  if (!vbe_enabled()) return;
  auto& cr = st_.crtc;
  st_.gc[6] = static_cast<uint8_t>((st_.gc[6] & ~0x0C) | 0x04 | 0x01);
  cr[0x17] |= 3;
  cr[0x13] = static_cast<uint8_t>(st_.vbe_line_offset >> 3);
  cr[0x01] = static_cast<uint8_t>((st_.vbe[dispi::kXres] >> 3) - 1);
  unsigned h = st_.vbe[dispi::kYres] - 1u;
  cr[0x12] = static_cast<uint8_t>(h);
  cr[0x07] = static_cast<uint8_t>((cr[0x07] & ~0x42) | ((h >> 7) & 0x02) | ((h >> 3) & 0x40));
  cr[0x18] = 0xFF;  // line compare out of the way
  cr[0x07] |= 0x10;
  cr[0x09] |= 0x40;
  unsigned shift = st_.vbe[dispi::kBpp] == 4 ? 0 : 2;
  st_.gc[5] = static_cast<uint8_t>((st_.gc[5] & ~0x60) | (shift << 5));
  cr[0x09] &= ~0x9F;  // no double scan
}

// The sequencer as the display sees it: planar VBE modes have no dot-clock halving,
// whatever the guest left in SR1 (which still reads back as written).
uint8_t Vga::seq_effective(unsigned i) const {
  uint8_t v = st_.seq[i];
  if (i == 1 && vbe_enabled() && st_.vbe[dispi::kBpp] == 4) v &= ~0x08;
  return v;
}

// VBE packed-pixel modes: the window shows video memory linearly from the bank
// offset, without the planar logic (as in Bochs and QEMU).
bool Vga::vbe_linear_window() const { return vbe_enabled() && st_.vbe[dispi::kBpp] != 4; }

// ---------------------------------------------------------------------------------
// Video memory

uint32_t Vga::plane_word(uint32_t plane_offset) const {
  uint32_t w;
  std::memcpy(&w, &vram_[size_t{plane_offset} * 4], 4);
  return w;
}

void Vga::set_plane_word(uint32_t plane_offset, uint32_t value, uint32_t write_mask) {
  uint32_t w = plane_word(plane_offset);
  w = (w & ~write_mask) | (value & write_mask);
  std::memcpy(&vram_[size_t{plane_offset} * 4], &w, 4);
}

namespace {
// Window offset (0 = 0xA0000) to a CPU memory address through GR6's memory map;
// false if the map does not decode it.
bool window_address(const Vga::State& st, uint32_t offset, uint32_t& addr) {
  offset &= 0x1FFFF;
  switch ((st.gc[6] >> 2) & 3) {
    case 0: addr = offset; return true;
    case 1:
      if (offset >= 0x10000) return false;
      addr = offset + st.bank_offset;
      return true;
    case 2:
      if (offset < 0x10000 || offset >= 0x18000) return false;
      addr = offset - 0x10000;
      return true;
    default:
      if (offset < 0x18000) return false;
      addr = offset - 0x18000;
      return true;
  }
}
}  // namespace

uint8_t Vga::window_read(uint32_t offset) {
  uint32_t addr;
  if (!window_address(st_, offset, addr)) return 0xFF;
  if (vbe_linear_window()) return addr < vram_.size() ? vram_[addr] : 0xFF;
  uint8_t sr4 = st_.seq[4];
  unsigned plane;
  uint32_t po;
  if (sr4 & 0x08) {  // chain 4
    plane = addr & 3;
    po = addr >> 2;
  } else if (st_.gc[5] & 0x10) {  // odd/even reads
    plane = (st_.gc[4] & 2) | (addr & 1);
    po = addr >> 1;
  } else {
    plane = st_.gc[4] & 3;
    po = addr;
  }
  if (uint64_t{po} * 4 >= vram_.size()) return 0xFF;
  st_.latch = plane_word(po);
  if (!(st_.gc[5] & 0x08)) return static_cast<uint8_t>(st_.latch >> (8 * plane));
  // Read mode 1: a 1 for each pixel whose colour matches GR2 in the planes GR7 selects.
  uint32_t diff = (st_.latch ^ expand_planes(st_.gc[2])) & expand_planes(st_.gc[7]);
  diff |= diff >> 16;
  diff |= diff >> 8;
  return static_cast<uint8_t>(~diff);
}

void Vga::window_write(uint32_t offset, uint8_t value) {
  uint32_t addr;
  if (!window_address(st_, offset, addr)) return;
  if (vbe_linear_window()) {
    if (addr < vram_.size()) vram_[addr] = value;
    return;
  }
  uint8_t sr4 = st_.seq[4];
  unsigned map_mask = st_.seq[2] & 0x0F;
  uint32_t po;
  if (sr4 & 0x08) {  // chain 4: A1:A0 select the plane
    po = addr >> 2;
    map_mask &= 1u << (addr & 3);
  } else if (!(sr4 & 0x04)) {  // odd/even writes: A0 selects planes 0/2 or 1/3
    po = addr >> 1;
    map_mask &= (addr & 1) ? 0x0A : 0x05;
  } else {
    po = addr;
  }
  if (uint64_t{po} * 4 >= vram_.size()) return;

  const auto& gc = st_.gc;
  uint32_t val, bit_mask;
  switch (gc[5] & 3) {
    default:
    case 0: {
      val = replicate(rotate_right(value, gc[3] & 7));
      uint32_t sr_enable = expand_planes(gc[1]);
      val = (val & ~sr_enable) | (expand_planes(gc[0]) & sr_enable);
      bit_mask = gc[8];
      break;
    }
    case 1:  // the latches, unchanged
      set_plane_word(po, st_.latch, expand_planes(map_mask));
      return;
    case 2:
      val = expand_planes(value & 0x0F);
      bit_mask = gc[8];
      break;
    case 3:
      bit_mask = gc[8] & rotate_right(value, gc[3] & 7);
      val = expand_planes(gc[0]);
      break;
  }
  switch ((gc[3] >> 3) & 3) {
    case 1: val &= st_.latch; break;
    case 2: val |= st_.latch; break;
    case 3: val ^= st_.latch; break;
    default: break;
  }
  uint32_t bm = replicate(static_cast<uint8_t>(bit_mask));
  val = (val & bm) | (st_.latch & ~bm);
  set_plane_word(po, val, expand_planes(map_mask));
}

uint64_t Vga::mmio_read(uint64_t offset, unsigned size_bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < size_bytes; i++)
    v |= uint64_t{window_read(static_cast<uint32_t>(offset + i))} << (8 * i);
  return v;
}

void Vga::mmio_write(uint64_t offset, uint64_t value, unsigned size_bytes) {
  for (unsigned i = 0; i < size_bytes; i++)
    window_write(static_cast<uint32_t>(offset + i), static_cast<uint8_t>(value >> (8 * i)));
}

uint64_t Vga::Lfb::mmio_read(uint64_t offset, unsigned size_bytes) {
  const auto& vram = vga_.vram_;
  if (offset + size_bytes <= vram.size()) {
    uint64_t v = 0;
    std::memcpy(&v, &vram[offset], size_bytes);
    return v;
  }
  uint64_t v = 0;
  for (unsigned i = 0; i < size_bytes; i++)
    v |= uint64_t{offset + i < vram.size() ? vram[offset + i] : uint8_t{0xFF}} << (8 * i);
  return v;
}

void Vga::Lfb::mmio_write(uint64_t offset, uint64_t value, unsigned size_bytes) {
  auto& vram = vga_.vram_;
  if (offset + size_bytes <= vram.size()) {
    std::memcpy(&vram[offset], &value, size_bytes);
    return;
  }
  for (unsigned i = 0; i < size_bytes; i++)
    if (offset + i < vram.size()) vram[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

// ---------------------------------------------------------------------------------
// CRTC timing

namespace {
struct CrtcTiming {
  uint64_t htotal, hdisp;       // character clocks
  uint64_t vtotal, vdisp;       // scan lines
  uint64_t vrs, vr_len;         // vertical retrace start and length
  uint64_t clock_hz, dots;      // dot clock, dots per character clock
};

CrtcTiming crtc_timing(const Vga::State& st, uint8_t seq1) {
  const auto& cr = st.crtc;
  CrtcTiming t;
  t.htotal = cr[0x00] + 5u;
  t.hdisp = cr[0x01] + 1u;
  uint8_t ov = cr[0x07];
  t.vtotal = (cr[0x06] | ((ov & 0x01) << 8) | ((ov & 0x20) << 4)) + 2u;
  t.vdisp = (cr[0x12] | ((ov & 0x02) << 7) | ((ov & 0x40) << 3)) + 1u;
  t.vrs = cr[0x10] | ((ov & 0x04) << 6) | ((ov & 0x80) << 2);
  t.vr_len = ((cr[0x11] & 0x0F) - t.vrs) & 0x0F;
  if (t.vr_len == 0) t.vr_len = 16;
  t.clock_hz = ((st.misc >> 2) & 3) == 1 ? 28322000 : 25175000;
  t.dots = ((seq1 & 0x01) ? 8 : 9) * ((seq1 & 0x08) ? 2 : 1);
  // An unprogrammed or inconsistent CRTC (no BIOS ran yet): a 70 Hz 720x400 frame,
  // so that guests polling for retrace still see it come and go.
  if (t.vrs >= t.vtotal || t.vdisp > t.vtotal || t.hdisp > t.htotal || t.vtotal < 8) {
    t.htotal = 100, t.hdisp = 80, t.vtotal = 449, t.vdisp = 400, t.vrs = 412, t.vr_len = 2;
    t.clock_hz = 28322000, t.dots = 9;
  }
  return t;
}
}  // namespace

uint64_t Vga::frame_ns() const {
  CrtcTiming t = crtc_timing(st_, seq_effective(1));
  return t.vtotal * t.htotal * t.dots * 1000000000ull / t.clock_hz;
}

uint64_t Vga::frame_count() const {
  uint64_t f = frame_ns();
  return (clock_ && f) ? clock_() / f : 0;
}

uint8_t Vga::input_status1(uint64_t now_ns) const {
  CrtcTiming t = crtc_timing(st_, seq_effective(1));
  uint64_t frame = t.vtotal * t.htotal * t.dots * 1000000000ull / t.clock_hz;
  uint64_t pos = now_ns % frame;
  uint64_t ch = pos * t.clock_hz / (t.dots * 1000000000ull);  // character clock in the frame
  uint64_t line = ch / t.htotal, col = ch % t.htotal;
  bool vretrace = line >= t.vrs && line < t.vrs + t.vr_len;
  bool not_displaying = vretrace || line >= t.vdisp || col >= t.hdisp;
  return static_cast<uint8_t>((vretrace ? 0x08 : 0) | (not_displaying ? 0x01 : 0));
}

// ---------------------------------------------------------------------------------
// Mode 3 without a BIOS

void Vga::set_text_mode3(const uint8_t* font8x16) {
  st_ = State{};
  st_.vbe[dispi::kId] = dispi::kId5;
  st_.misc = 0x67;
  std::memcpy(st_.seq, kMode3Seq, sizeof kMode3Seq);
  std::memcpy(st_.crtc, kMode3Crtc, sizeof kMode3Crtc);
  std::memcpy(st_.gc, kMode3Gc, sizeof kMode3Gc);
  std::memcpy(st_.ac, kMode3Ac, sizeof kMode3Ac);
  st_.ac_index = 0x20;  // palette address source: the screen shows the palette
  st_.pel_mask = 0xFF;
  // The 64 EGA colours (rgbRGB: bits 0-2 two thirds, bits 3-5 one third).
  for (unsigned i = 0; i < 64; i++) {
    st_.palette[i * 3 + 0] = static_cast<uint8_t>(((i >> 2) & 1) * 0x2A + ((i >> 5) & 1) * 0x15);
    st_.palette[i * 3 + 1] = static_cast<uint8_t>(((i >> 1) & 1) * 0x2A + ((i >> 4) & 1) * 0x15);
    st_.palette[i * 3 + 2] = static_cast<uint8_t>((i & 1) * 0x2A + ((i >> 3) & 1) * 0x15);
  }
  // 32 KiB of text (0xB8000-0xBFFFF): spaces, light grey on black.
  for (uint32_t po = 0; po < 0x4000; po++) set_plane_word(po, 0x0720, 0x0000FFFF);
  if (font8x16) {
    for (uint32_t po = 0; po < 0x10000; po++) set_plane_word(po, 0, 0x00FF0000);
    for (uint32_t c = 0; c < 256; c++)
      for (uint32_t r = 0; r < 16; r++)
        set_plane_word(c * 32 + r, uint32_t{font8x16[c * 16 + r]} << 16, 0x00FF0000);
  }
}

// ---------------------------------------------------------------------------------
// Save / restore

void Vga::save(StateWriter& w) const {
  w.begin_section("vga", 1);
  w.put(st_);
  w.put(uint64_t{vram_.size()});
  w.put_bytes(vram_.data(), vram_.size());
  w.end_section();
}

void Vga::load(StateReader& r) {
  uint32_t version = r.open_section("vga");
  if (version != 1) throw StateError(fmt::format("vga: state version {} is not supported (1 is)", version));
  State st;
  r.get(st);
  uint64_t size = 0;
  r.get(size);
  if (size != vram_.size())
    throw StateError(fmt::format("vga: saved video memory is {} bytes, this VGA has {}", size, vram_.size()));
  r.get_bytes(vram_.data(), vram_.size());
  st_ = st;
}

// ---------------------------------------------------------------------------------
// VGA BIOS

std::vector<uint8_t> read_vga_bios(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f)
    throw std::runtime_error(fmt::format("VGA BIOS {}: {} (it comes with Debian's seabios package: "
                                         "apt-get install seabios)", path, std::strerror(errno)));
  std::vector<uint8_t> data;
  uint8_t buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.insert(data.end(), buf, buf + n);
  std::fclose(f);
  if (data.size() < 512 || data[0] != 0x55 || data[1] != 0xAA)
    throw std::runtime_error(fmt::format("VGA BIOS {}: not an option ROM (no 55 AA signature); use "
                                         "vgabios-stdvga.bin from Debian's seabios package", path));
  if (data.size() > 0x20000 || data[2] * 512u > data.size())
    throw std::runtime_error(fmt::format("VGA BIOS {}: {} bytes, header says {}: not a VGA option ROM", path,
                                         data.size(), data[2] * 512u));
  return data;
}

void map_vga_bios(PhysicalMemory& mem, const std::string& path) {
  mem.add_rom(kVgaBiosBase, read_vga_bios(path), "vgabios");
}

std::optional<std::array<uint8_t, 4096>> find_vga_font16(const std::vector<uint8_t>& rom) {
  static constexpr uint8_t kGlyphA[16] = {0x00, 0x00, 0x10, 0x38, 0x6C, 0xC6, 0xC6, 0xFE,
                                          0xC6, 0xC6, 0xC6, 0xC6, 0x00, 0x00, 0x00, 0x00};
  if (rom.size() < 4096) return std::nullopt;
  for (size_t base = 0; base + 4096 <= rom.size(); base++) {
    const uint8_t* f = rom.data() + base;
    if (std::memcmp(f + 0x41 * 16, kGlyphA, 16) != 0) continue;
    bool ok = true;
    for (unsigned i = 0; i < 16 && ok; i++) ok = f[i] == 0 && f[0x20 * 16 + i] == 0 && f[0xDB * 16 + i] == 0xFF;
    if (!ok) continue;
    std::array<uint8_t, 4096> font;
    std::memcpy(font.data(), f, 4096);
    return font;
  }
  return std::nullopt;
}

}  // namespace kasou
