// The Linux/x86 boot protocol (Documentation/x86/boot.rst), 16-bit entry, the way
// QEMU's -kernel does it: kasou checks the bzImage, the initrd and the command
// line, fills in the setup header as a boot loader would (type_of_loader,
// cmd_line_ptr, ramdisk_image/size, heap_end_ptr, CAN_USE_HEAP) and hands the
// pieces to the guest through fw_cfg (FW_CFG_SETUP_*, KERNEL_*, INITRD_*,
// CMDLINE_*). SeaBIOS then boots kasou's option ROM (linuxboot.asm, fw_cfg file
// "genroms/kasou-linuxboot.bin", first in "bootorder"), which copies them into
// place and jumps to the real-mode setup code: the kernel asks the BIOS for the
// memory map and finds the same PC (PCI, ACPI) as after a boot from disk.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "firmware/multiboot.h"  // LoadError, read_file

namespace kasou {

// Where the pieces go in guest memory (QEMU's choice for protocol 2.02+).
inline constexpr uint32_t kLinuxSetupAddr = 0x10000;    // real-mode setup code (segment 0x1000)
inline constexpr uint32_t kLinuxCmdlineAddr = 0x20000;  // the command line, after setup's heap and stack
inline constexpr uint32_t kLinuxKernelAddr = 0x100000;  // the protected-mode kernel
// SeaBIOS keeps its tables (ACPI, SMBIOS, its high memory zone) in the top
// 256 KiB of RAM below 4 GiB and reports them reserved: the initrd stays below.
inline constexpr uint64_t kSeabiosHighZoneBytes = 256 * 1024;

// The fw_cfg file name of kasou's Linux boot option ROM and its SeaBIOS boot path.
inline constexpr const char* kLinuxBootRomFile = "genroms/kasou-linuxboot.bin";
inline constexpr const char* kLinuxBootRomBootPath = "/rom@genroms/kasou-linuxboot.bin";

// A checked Linux boot: the fw_cfg items for the option ROM.
struct LinuxBoot {
  uint16_t protocol_version = 0;
  uint32_t initrd_addr = 0;  // 0 without an initrd
  uint32_t initrd_size = 0;
  std::vector<uint8_t> setup;    // boot sector + setup sectors, header filled in
  std::vector<uint8_t> kernel;   // the protected-mode part
  std::vector<uint8_t> cmdline;  // NUL-terminated
  std::vector<uint8_t> initrd;
  // (key, contents) for FwCfg::set_item: the blobs above (moved out) and their
  // addresses and sizes as 32-bit little-endian values.
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> take_fw_cfg_items();
};

// Throws LoadError with the file name and the reason (not a bzImage, truncated,
// protocol too old, not loadable high, command line too long, kernel or initrd
// does not fit in RAM). `ram_below_4g_bytes`: RAM from address 0.
LinuxBoot prepare_linux_boot(const std::vector<uint8_t>& bzimage, const std::string& name,
                             std::vector<uint8_t> initrd, const std::string& cmdline,
                             uint64_t ram_below_4g_bytes);

// The option ROM (linuxboot.asm, assembled at build time), with its checksum set.
std::vector<uint8_t> linuxboot_option_rom();

// True if the image looks like a bzImage (boot sector signature and "HdrS").
bool is_bzimage(const std::vector<uint8_t>& image);

}  // namespace kasou
