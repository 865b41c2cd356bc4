// Loading and mapping the system BIOS.
#include "firmware/seabios.h"

#include <filesystem>

#include <fmt/format.h>

#include "core/physical_memory.h"

namespace kasou {
namespace {
std::vector<uint8_t> read_rom(const std::string& path, const char* fallback, const char* what) {
  const std::string p = (path.empty() || path == "auto") ? fallback : path;
  if (!std::filesystem::exists(p))
    throw LoadError(fmt::format("{} {} not found{}", what, p,
                                p == fallback ? " (it comes with Debian's seabios package: apt-get install seabios)" : ""));
  return read_file(p);
}
}  // namespace

std::vector<uint8_t> read_bios_image(const std::string& path) {
  std::vector<uint8_t> b = read_rom(path, kDefaultBiosPath, "BIOS image");
  if (b.size() < 0x20000 || b.size() % 0x10000 || b.size() > (16u << 20))
    throw LoadError(fmt::format("BIOS image {}: {} bytes is not a multiple of 64 KiB between 128 KiB and 16 MiB",
                                path.empty() ? kDefaultBiosPath : path, b.size()));
  return b;
}

std::vector<uint8_t> read_vga_rom_image(const std::string& path) {
  std::vector<uint8_t> r = read_rom(path, kDefaultVgaRomPath, "VGA BIOS");
  if (r.size() < 512 || r[0] != 0x55 || r[1] != 0xAA)
    throw LoadError(fmt::format("VGA BIOS {}: not an option ROM (no 55 AA signature)", path.empty() ? kDefaultVgaRomPath : path));
  return r;
}

void map_bios(PhysicalMemory& mem, const std::vector<uint8_t>& bios) {
  mem.add_rom(0x100000000ull - bios.size(), bios, "bios");
  std::vector<uint8_t> low(bios.end() - 0x20000, bios.end());
  mem.add_rom(0xE0000, low, "bios (below 1 MiB)");
}

}  // namespace kasou
