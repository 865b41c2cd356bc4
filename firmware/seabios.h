// SeaBIOS from Debian's seabios package: finding bios-256k.bin (and the std VGA
// option ROM) and mapping it where the i440FX/PIIX3 PC has its flash: the whole
// image just below 4 GiB and its last 128 KiB aliased at 0xE0000-0xFFFFF (where
// the chipset's PAM registers switch between this ROM and shadow RAM).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "firmware/multiboot.h"  // LoadError, read_file

namespace kasou {

class PhysicalMemory;

inline constexpr const char* kDefaultBiosPath = "/usr/share/seabios/bios-256k.bin";
inline constexpr const char* kDefaultVgaRomPath = "/usr/share/seabios/vgabios-stdvga.bin";

// "auto" or "" means Debian's file. Throws LoadError naming the package if missing.
std::vector<uint8_t> read_bios_image(const std::string& path);
std::vector<uint8_t> read_vga_rom_image(const std::string& path);

// Maps the BIOS image (a multiple of 64 KiB, at most 16 MiB).
void map_bios(PhysicalMemory& mem, const std::vector<uint8_t>& bios);

}  // namespace kasou
