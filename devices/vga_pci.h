// The std VGA as a PCI function: QEMU's "VGA" device, vendor 1234 device 1111,
// class 030000 (VGA-compatible), what Debian's vgabios-stdvga.bin and Linux's
// bochs-drm driver look for.
//
// BAR0: the linear framebuffer (all of video memory, prefetchable), served by
// Vga::lfb(). BAR2: 4 KiB of registers as QEMU lays them out: 0x400-0x41F the VGA
// ports 0x3C0-0x3DF (a 16-bit write sets an index and its data, low byte first),
// 0x500-0x515 the dispi registers (index = offset / 2, 16 bits each), 0x600 the
// QEMU extension (size 8, framebuffer byte order little endian). Expansion ROM:
// the VGA BIOS, if one is given. The Vga keeps its legacy ports and window; give it
// VgaConfig::lfb_base = 0 so that only the BAR maps the framebuffer.
#pragma once

#include <cstdint>
#include <vector>

#include "devices/pci.h"
#include "devices/vga.h"

namespace kasou {

namespace vga_pci {
inline constexpr uint16_t kVendor = 0x1234, kDevice = 0x1111;
inline constexpr uint32_t kMmioBytes = 0x1000;
inline constexpr uint32_t kPortsOffset = 0x400, kDispiOffset = 0x500, kQextOffset = 0x600;
inline constexpr uint32_t kQextSize = 8, kLittleEndian = 0x1E1E1E1E;
}  // namespace vga_pci

class VgaPci : public PciFunction {
 public:
  // `vga` must outlive the function; its video memory size must be a power of two.
  explicit VgaPci(Vga& vga, std::vector<uint8_t> rom = {});

 protected:
  uint32_t bar_read(unsigned bar, uint32_t offset, unsigned size) override;
  void bar_write(unsigned bar, uint32_t offset, uint32_t value, unsigned size) override;

 private:
  uint8_t reg_read8(uint32_t offset);
  void reg_write8(uint32_t offset, uint8_t value);
  Vga& vga_;
};

}  // namespace kasou
