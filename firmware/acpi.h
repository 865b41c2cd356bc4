// kasou's ACPI tables for the i440FX/PIIX3/PIIX4 PC, handed to SeaBIOS the way
// QEMU does it: fw_cfg files "etc/acpi/rsdp" and "etc/acpi/tables" plus the
// BIOS linker/loader script "etc/table-loader" (QEMU docs/specs/fw_cfg.rst,
// hw/acpi/bios-linker-loader.c), which tells the firmware where to allocate each
// blob, which pointers to relocate and which checksums to fix. SeaBIOS then uses
// these tables instead of building its own legacy ones — whose MADT would offer a
// local APIC and an I/O APIC that kasou does not have.
//
// The tables: RSDP (revision 0, in the F segment) -> RSDT -> FADT (revision 1:
// PIIX4 PM1a event/control and PM timer at the PM I/O base, GPE0 at 0xAFE0, SCI on
// IRQ 9, SMI_CMD 0xB2 with ACPI_ENABLE 0xF1) -> FACS and the DSDT (firmware/
// acpi_dsdt.asl: PCI root bridge, PCI interrupt links, ISA devices, \_S5). No
// MADT, no HPET, no SRAT: the machine has none of those.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kasou {

struct PcAcpiConfig {
  uint64_t ram_below_4g_bytes = 0;  // decides where SeaBIOS puts 32-bit BARs
  // Where SeaBIOS places the PIIX4 PM block (PMBA): 0x600 when it finds
  // etc/table-loader ("Moving pm_base to 0x600"), 0xB000 with its own tables.
  uint16_t pm_io_base = 0x600;
};

// The named fw_cfg files, in the order given.
using FirmwareFiles = std::vector<std::pair<std::string, std::vector<uint8_t>>>;

FirmwareFiles build_pc_acpi_tables(const PcAcpiConfig& cfg);

// Start of the 32-bit PCI memory window SeaBIOS uses on the i440FX for this RAM size.
uint32_t pci_window_start(uint64_t ram_below_4g_bytes);

namespace acpi {
// The linker/loader commands (128-byte entries).
enum LoaderCommand : uint32_t { kAllocate = 1, kAddPointer = 2, kAddChecksum = 3 };
enum AllocZone : uint8_t { kZoneHigh = 1, kZoneFseg = 2 };
inline constexpr size_t kLoaderEntryBytes = 128;
inline constexpr size_t kLoaderFileName = 56;
}  // namespace acpi

}  // namespace kasou
