// Intel 82441FX PCI and Memory Controller (PMC), the i440FX host bridge at 00.0.
//
// Vendor 8086, device 1237, revision 02, class 060000, with QEMU's subsystem IDs
// (1af4:1100) so that SeaBIOS recognises "QEMU (i440fx)" and takes the paths it
// takes on QEMU's pc machine.
//
// PAM0-PAM6 (config 0x59-0x5F, 82441FX datasheet 3.2.18) steer the legacy BIOS
// area 0xC0000-0xFFFFF: each nibble has RE (bit 0: reads from DRAM) and WE (bit 1:
// writes to DRAM); a clear bit sends the access to PCI, where the BIOS ROM (the
// last 128 KiB of the flash, aliased below 1 MiB) or nothing answers. PAM0's
// high nibble covers 0xF0000-0xFFFFF; PAM1-6 cover 0xC0000-0xEFFFF in 16 KiB
// halves (low nibble first). At reset every PAM is 0: the CPU starts in the ROM;
// SeaBIOS then copies itself into the RAM below and switches the range to RAM.
// Changes go through PhysicalMemory::set_shadow and a TLB flush of the CPU.
//
// SMRAM (config 0x72, datasheet 3.2.22): C_BASE_SEG reads 010 (A/B segment),
// G_SMRAME, D_LCK, D_CLS and D_OPEN behave as the datasheet says (D_LCK makes
// D_OPEN and itself read-only until reset). There is no SMM in kasou's CPU, so
// opening SMRAM does not change what the A/B segment shows; the PIIX4 PM function
// tells SeaBIOS that SMM is already set up so it never tries (as QEMU does with
// SMM off).
//
// The other device registers (PMCCFG, DRAM control and timing, DRB, ...) are
// plain storage with their reset values.
#pragma once

#include <functional>

#include "devices/pci.h"

namespace kasou {

class I440fx final : public PciFunction {
 public:
  static constexpr uint8_t kPam0 = 0x59, kSmram = 0x72;
  // `tlb_flush` is called after the memory map changed (the Machine's CPU TLB).
  I440fx(PhysicalMemory& mem, std::function<void()> tlb_flush);

 protected:
  void config_changed(uint8_t offset, unsigned size) override;
  bool config_write_byte(uint8_t off, uint8_t value) override;

 private:
  void apply_pam();

  PhysicalMemory& mem_;
  std::function<void()> tlb_flush_;
  uint8_t applied_pam_[7] = {};
  bool pam_applied_ = false;
};

}  // namespace kasou
