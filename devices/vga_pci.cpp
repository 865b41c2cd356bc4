// The std VGA's PCI function: identity, BAR0 framebuffer, BAR2 registers, ROM.
#include "devices/vga_pci.h"

#include <stdexcept>

#include <fmt/format.h>

namespace kasou {

VgaPci::VgaPci(Vga& vga, std::vector<uint8_t> rom)
    : PciFunction("vga-pci", Identity{vga_pci::kVendor, vga_pci::kDevice, 0x02, 0x030000, 0x1AF4, 0x1100, 0, 0}),
      vga_(vga) {
  const uint64_t vram = vga.vram_bytes();
  if (vram > 0x80000000ull || (vram & (vram - 1)))
    throw std::runtime_error(fmt::format("vga-pci: video memory of {} bytes is not a power of two (BAR0)", vram));
  add_mem_bar(0, static_cast<uint32_t>(vram), true, &vga.lfb());
  add_mem_bar(2, vga_pci::kMmioBytes, false);
  if (!rom.empty()) set_expansion_rom(std::move(rom));
}

// The registers in BAR2, one byte at a time; dispi registers are 16 bits wide, so
// their bytes are read and written as whole registers by bar_read/bar_write.
uint8_t VgaPci::reg_read8(uint32_t offset) {
  using namespace vga_pci;
  if (offset >= kPortsOffset && offset < kPortsOffset + 0x20)
    return static_cast<uint8_t>(vga_.io_read(static_cast<uint16_t>(0x3C0 + offset - kPortsOffset), 1));
  if (offset >= kQextOffset && offset < kQextOffset + kQextSize) {
    uint32_t reg = (offset - kQextOffset) < 4 ? kQextSize : kLittleEndian;
    return static_cast<uint8_t>(reg >> (8 * (offset & 3)));
  }
  return 0xFF;
}

void VgaPci::reg_write8(uint32_t offset, uint8_t value) {
  using namespace vga_pci;
  if (offset >= kPortsOffset && offset < kPortsOffset + 0x20)
    vga_.io_write(static_cast<uint16_t>(0x3C0 + offset - kPortsOffset), value, 1);
  // The QEMU extension's byte-order register only accepts little endian here.
}

uint32_t VgaPci::bar_read(unsigned bar, uint32_t offset, unsigned size) {
  using namespace vga_pci;
  if (bar != 2) return PciFunction::bar_read(bar, offset, size);
  uint32_t v = 0;
  for (unsigned i = 0; i < size;) {
    uint32_t o = offset + i;
    if (o >= kDispiOffset && o < kDispiOffset + 2 * dispi::kRegCount) {
      uint16_t r = vga_.dispi_read(static_cast<uint16_t>((o - kDispiOffset) / 2));
      if (o & 1) {
        v |= uint32_t{static_cast<uint8_t>(r >> 8)} << (8 * i);
        i++;
      } else {
        v |= uint32_t{r} << (8 * i);
        i += 2;
      }
      continue;
    }
    v |= uint32_t{reg_read8(o)} << (8 * i);
    i++;
  }
  return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

void VgaPci::bar_write(unsigned bar, uint32_t offset, uint32_t value, unsigned size) {
  using namespace vga_pci;
  if (bar != 2) return;
  for (unsigned i = 0; i < size;) {
    uint32_t o = offset + i;
    if (o >= kDispiOffset && o < kDispiOffset + 2 * dispi::kRegCount) {
      // A dispi register takes its value from a 16-bit (or wider) access; a lone
      // byte replaces that byte of the register.
      uint16_t index = static_cast<uint16_t>((o - kDispiOffset) / 2);
      uint16_t r = vga_.dispi_read(index);
      if (!(o & 1) && i + 1 < size) {
        r = static_cast<uint16_t>(value >> (8 * i));
        i += 2;
      } else {
        uint8_t b = static_cast<uint8_t>(value >> (8 * i));
        r = (o & 1) ? static_cast<uint16_t>((r & 0x00FF) | (b << 8)) : static_cast<uint16_t>((r & 0xFF00) | b);
        i++;
      }
      vga_.dispi_write(index, r);
      continue;
    }
    reg_write8(o, static_cast<uint8_t>(value >> (8 * i)));
    i++;
  }
}

}  // namespace kasou
