// The Linux/x86 boot protocol (Documentation/x86/boot.rst), 32-bit entry:
// kasou loads a bzImage's protected-mode kernel at its code32_start, fills the
// "zero page" (struct boot_params: the setup header, the command line, the initrd
// and the e820 memory map) and starts the CPU as a boot loader would: flat 32-bit
// protected mode with a GDT holding __BOOT_CS (0x10) and __BOOT_DS (0x18),
// interrupts off, ESI = address of boot_params.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "firmware/multiboot.h"  // LoadError, read_file

namespace kasou {

class Machine;

struct E820Entry {
  uint64_t addr;
  uint64_t size;
  uint32_t type;  // 1 RAM, 2 reserved, 3 ACPI reclaimable, 4 ACPI NVS
};

struct LinuxBootInfo {
  uint16_t protocol_version;
  uint32_t kernel_load;   // where the protected-mode kernel went
  uint32_t boot_params;   // the zero page
  uint32_t initrd_addr;
  uint32_t initrd_size;
};

// The memory map kasou's PC reports (RAM, the legacy holes, ROM areas).
std::vector<E820Entry> default_e820(uint64_t ram_bytes);

// Throws LoadError with the file name and the reason (not a bzImage, truncated,
// protocol too old, command line too long, initrd does not fit in RAM).
LinuxBootInfo load_linux(Machine& m, const std::vector<uint8_t>& bzimage, const std::string& name,
                         const std::vector<uint8_t>& initrd, const std::string& cmdline,
                         const std::vector<E820Entry>& e820);

// True if the image looks like a bzImage (boot sector signature and "HdrS").
bool is_bzimage(const std::vector<uint8_t>& image);

}  // namespace kasou
