// The multiboot (version 1) loader: loads an ELF32 (or a.out-kludge) kernel into
// guest memory, builds the multiboot information structure (memory sizes, memory
// map, command line, boot loader name) and puts the CPU in the state the
// specification gives: 32-bit flat protected mode, paging off, IF clear,
// EAX = 0x2BADB002, EBX = address of the information structure.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace kasou {

class Machine;

// A kernel image that cannot be loaded; the message names the file and the reason.
class LoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MultibootModule {
  std::string name;  // shown to the guest as the module's string
  std::vector<uint8_t> data;
};

struct MultibootInfo {
  uint32_t entry;
  uint32_t info_address;   // EBX
  uint32_t kernel_start;   // lowest loaded physical address
  uint32_t kernel_end;     // one past the highest (including BSS)
};

// Throws LoadError. `name` is used in messages (usually the file path).
MultibootInfo load_multiboot(Machine& m, const std::vector<uint8_t>& image, const std::string& name,
                             const std::string& cmdline, const std::vector<MultibootModule>& modules = {});

// Reads a whole file; throws LoadError naming the file if it cannot.
std::vector<uint8_t> read_file(const std::string& path);

}  // namespace kasou
