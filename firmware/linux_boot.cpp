// Linux boot protocol, 16-bit entry through SeaBIOS and fw_cfg: the checks, the
// setup header a boot loader fills in, and the fw_cfg items the option ROM reads.
#include "firmware/linux_boot.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "devices/fw_cfg.h"  // the fw_cfg keys (header-only constants)

namespace kasou {

namespace embedded {
extern const unsigned char linuxboot_rom[];
extern const size_t linuxboot_rom_size;
}  // namespace embedded

namespace {

// Offsets in the setup header (Documentation/x86/boot.rst).
constexpr size_t kSetupSects = 0x1F1, kSysSize = 0x1F4, kBootFlag = 0x1FE, kHeader = 0x202, kVersion = 0x206,
                 kTypeOfLoader = 0x210, kLoadFlags = 0x211, kRamdiskImage = 0x218, kRamdiskSize = 0x21C,
                 kHeapEndPtr = 0x224, kCmdLinePtr = 0x228, kInitrdAddrMax = 0x22C, kCmdlineSize = 0x238,
                 kInitSize = 0x260;
constexpr uint8_t kLoadedHigh = 0x01, kCanUseHeap = 0x80;
constexpr uint8_t kLoaderUndefined = 0xFF;  // "no assigned boot loader id"
// The setup code's heap ends 512 bytes below the command line; its stack (the
// option ROM sets SP) is above the heap.
constexpr uint32_t kHeapEnd = kLinuxCmdlineAddr - kLinuxSetupAddr - 0x200;

template <class T>
T rd(const std::vector<uint8_t>& b, size_t off) {
  T v{};
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}
template <class T>
void wr(std::vector<uint8_t>& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}
std::vector<uint8_t> le32(uint32_t v) {
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}
uint64_t mib_up(uint64_t bytes) { return (bytes + (1 << 20) - 1) >> 20; }

}  // namespace

bool is_bzimage(const std::vector<uint8_t>& img) {
  return img.size() > kHeader + 4 && rd<uint16_t>(img, kBootFlag) == 0xAA55 &&
         std::memcmp(img.data() + kHeader, "HdrS", 4) == 0;
}

LinuxBoot prepare_linux_boot(const std::vector<uint8_t>& img, const std::string& name, std::vector<uint8_t> initrd,
                             const std::string& cmdline, uint64_t ram) {
  if (!is_bzimage(img)) throw LoadError(fmt::format("{}: not a Linux bzImage (no boot signature / HdrS header)", name));
  const uint16_t version = rd<uint16_t>(img, kVersion);
  if (version < 0x0206)
    throw LoadError(fmt::format("{}: boot protocol {}.{:02} is too old (kasou needs 2.06 or later)", name,
                                version >> 8, version & 0xFF));
  const unsigned setup_sects = img[kSetupSects] ? img[kSetupSects] : 4;
  const size_t setup_bytes = (setup_sects + 1) * 512ull;
  if (setup_bytes >= img.size()) throw LoadError(fmt::format("{}: truncated bzImage (no protected-mode kernel)", name));
  if (setup_bytes > kHeapEnd)
    throw LoadError(fmt::format("{}: {} setup sectors do not fit below the command line", name, setup_sects));
  const uint8_t loadflags = img[kLoadFlags];
  if (!(loadflags & kLoadedHigh)) throw LoadError(fmt::format("{}: a zImage (not loaded high) is not supported", name));
  // syssize (16-byte paragraphs) says how much protected-mode kernel there is.
  const uint64_t syssize = uint64_t(rd<uint32_t>(img, kSysSize)) * 16;
  if (setup_bytes + syssize > img.size())
    throw LoadError(fmt::format("{}: truncated bzImage: {} bytes of kernel expected, {} present", name, syssize,
                                img.size() - setup_bytes));
  const uint64_t kernel_size = img.size() - setup_bytes;
  // The kernel decompresses in place and needs room: init_size (2.10+).
  const uint64_t init_size = version >= 0x020A ? rd<uint32_t>(img, kInitSize) : kernel_size * 4;
  const uint64_t kernel_end = kLinuxKernelAddr + std::max(kernel_size, init_size);
  // RAM the guest may use: what SeaBIOS reports, below its tables at the top.
  const uint64_t usable_top = ram > kSeabiosHighZoneBytes ? ram - kSeabiosHighZoneBytes : 0;
  if (kernel_end > usable_top)
    throw LoadError(fmt::format("{}: the kernel needs {} MiB from {:#x} but the guest has {} MiB of RAM", name,
                                mib_up(kernel_end - kLinuxKernelAddr), kLinuxKernelAddr, ram >> 20));
  const uint32_t cmdline_max = rd<uint32_t>(img, kCmdlineSize);
  if (cmdline.size() > cmdline_max)
    throw LoadError(fmt::format("{}: command line of {} bytes is longer than the {} the kernel accepts", name,
                                cmdline.size(), cmdline_max));
  if (cmdline.find('\0') != std::string::npos)
    throw LoadError(fmt::format("{}: the command line contains a NUL byte", name));

  LinuxBoot lb;
  lb.protocol_version = version;
  // The initrd goes as high as the kernel allows (initrd_addr_max) and RAM allows,
  // page aligned, above the kernel's decompression area.
  if (!initrd.empty()) {
    const uint64_t max_end = std::min<uint64_t>(uint64_t{rd<uint32_t>(img, kInitrdAddrMax)} + 1, usable_top);
    const uint64_t size = initrd.size();
    if (size > max_end || ((max_end - size) & ~0xFFFull) < kernel_end)
      throw LoadError(fmt::format("initrd of {} MiB does not fit in guest RAM above the kernel ({} MiB total)",
                                  mib_up(size), ram >> 20));
    lb.initrd_addr = static_cast<uint32_t>((max_end - size) & ~0xFFFull);
    lb.initrd_size = static_cast<uint32_t>(size);
  }

  // The setup sectors with the boot loader's fields filled in.
  lb.setup.assign(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(setup_bytes));
  lb.setup[kTypeOfLoader] = kLoaderUndefined;
  lb.setup[kLoadFlags] = static_cast<uint8_t>(loadflags | kCanUseHeap);
  wr<uint16_t>(lb.setup, kHeapEndPtr, static_cast<uint16_t>(kHeapEnd));
  wr<uint32_t>(lb.setup, kCmdLinePtr, kLinuxCmdlineAddr);
  wr<uint32_t>(lb.setup, kRamdiskImage, lb.initrd_addr);
  wr<uint32_t>(lb.setup, kRamdiskSize, lb.initrd_size);
  lb.kernel.assign(img.begin() + static_cast<std::ptrdiff_t>(setup_bytes), img.end());
  lb.cmdline.assign(cmdline.begin(), cmdline.end());
  lb.cmdline.push_back(0);
  lb.initrd = std::move(initrd);
  return lb;
}

std::vector<std::pair<uint16_t, std::vector<uint8_t>>> LinuxBoot::take_fw_cfg_items() {
  auto size32 = [](const std::vector<uint8_t>& v) { return le32(static_cast<uint32_t>(v.size())); };
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> items;
  items.emplace_back(fw_cfg::kSetupAddr, le32(kLinuxSetupAddr));
  items.emplace_back(fw_cfg::kSetupSize, size32(setup));
  items.emplace_back(fw_cfg::kKernelAddr, le32(kLinuxKernelAddr));
  items.emplace_back(fw_cfg::kKernelSize, size32(kernel));
  items.emplace_back(fw_cfg::kCmdlineAddr, le32(kLinuxCmdlineAddr));
  items.emplace_back(fw_cfg::kCmdlineSize, size32(cmdline));
  items.emplace_back(fw_cfg::kInitrdAddr, le32(initrd_addr));
  items.emplace_back(fw_cfg::kInitrdSize, size32(initrd));
  items.emplace_back(fw_cfg::kSetupData, std::move(setup));
  items.emplace_back(fw_cfg::kKernelData, std::move(kernel));
  items.emplace_back(fw_cfg::kCmdlineData, std::move(cmdline));
  items.emplace_back(fw_cfg::kInitrdData, std::move(initrd));
  return items;
}

std::vector<uint8_t> linuxboot_option_rom() {
  std::vector<uint8_t> rom(embedded::linuxboot_rom, embedded::linuxboot_rom + embedded::linuxboot_rom_size);
  // Whole 512-byte blocks (the size byte nasm computed), the last byte making the sum 0.
  rom.resize(size_t{rom.at(2)} * 512, 0);
  if (rom.size() < embedded::linuxboot_rom_size + 1)
    throw std::logic_error("linuxboot option ROM: no room for the checksum byte");
  uint8_t sum = 0;
  for (uint8_t b : rom) sum = static_cast<uint8_t>(sum + b);
  rom.back() = static_cast<uint8_t>(-sum);
  return rom;
}

}  // namespace kasou
