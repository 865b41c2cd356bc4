// VmConfig: one virtual machine as a human-editable TOML file (the same file the
// GUI and the CLI read and write). Example:
//
//   name = "debian"
//   memory_mib = 256
//   [firmware]            # omit for direct kernel boot
//   bios = "auto"         # Debian's SeaBIOS; or a path
//   [boot]
//   kernel = "vmlinuz"    # direct boot (Linux bzImage or multiboot ELF)
//   initrd = "initrd.img"
//   append = "console=ttyS0"
//   order = "cd"          # firmware boot order: c = hard disk, d = CD-ROM
//   menu = false          # SeaBIOS's boot menu ("Press ESC for boot menu.")
//   [[disk]]
//   file = "disk.img"
//   read_only = false
//   [cdrom]
//   file = "install.iso"
//   [serial]
//   com1 = "stdio"        # stdio | none | file:PATH
//   [display]
//   vga = true
//   [clock]
//   realtime = false
//
// Unknown keys and wrong types are refused with the key, the line and the reason.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace kasou {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DiskConfig {
  std::string file;
  bool read_only = false;
};

struct VmConfig {
  std::string name = "vm";
  uint64_t memory_mib = 128;
  std::string bios;       // "" = no firmware (direct kernel boot); "auto" = Debian's SeaBIOS
  std::string vga_bios;   // "" = auto with the BIOS
  std::string kernel;
  std::string initrd;
  std::string append;
  std::string boot_order = "cd";
  bool boot_menu = false;  // SeaBIOS offers its boot menu (QEMU -boot menu=on)
  std::vector<DiskConfig> disks;  // IDE primary master, primary slave, secondary slave
  std::string cdrom;              // IDE secondary master
  std::string serial = "stdio";
  bool vga = false;
  bool realtime = false;
};

// Reads and checks a VM file. Relative paths in it are relative to the file.
VmConfig load_vm_config(const std::string& path);
VmConfig parse_vm_config(const std::string& toml_text, const std::string& source_name,
                         const std::string& base_dir = "");
std::string to_toml(const VmConfig& c);

}  // namespace kasou
