// Linux boot protocol loader (32-bit entry).
#include "firmware/linux_boot.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/machine.h"

namespace kasou {
namespace {

// Offsets in the setup header / boot_params (Documentation/x86/zero-page.rst).
constexpr size_t kSetupSects = 0x1F1, kBootFlag = 0x1FE, kHeader = 0x202, kVersion = 0x206,
                 kTypeOfLoader = 0x210, kLoadFlags = 0x211, kCode32Start = 0x214, kRamdiskImage = 0x218,
                 kRamdiskSize = 0x21C, kHeapEndPtr = 0x224, kCmdLinePtr = 0x228, kInitrdAddrMax = 0x22C,
                 kCmdlineSize = 0x238, kHeaderEnd = 0x268;
constexpr size_t kE820Entries = 0x1E8, kE820Table = 0x2D0, kE820Max = 128;
constexpr size_t kScreenInfo = 0x000;
constexpr uint8_t kLoadedHigh = 0x01, kCanUseHeap = 0x80;

// Where the loader puts its own data (conventional memory, as GRUB does).
constexpr uint32_t kGdtAddr = 0x8000;
constexpr uint32_t kBootParams = 0x10000;
constexpr uint32_t kCmdline = 0x20000;
constexpr uint32_t kCmdlineMax = 0xFFFF;

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

}  // namespace

bool is_bzimage(const std::vector<uint8_t>& img) {
  return img.size() > kHeader + 4 && rd<uint16_t>(img, kBootFlag) == 0xAA55 &&
         std::memcmp(img.data() + kHeader, "HdrS", 4) == 0;
}

std::vector<E820Entry> default_e820(uint64_t ram_bytes) {
  return {
      {0, 0x9FC00, 1},
      {0x9FC00, 0x400, 2},
      {0xF0000, 0x10000, 2},
      {0x100000, ram_bytes - 0x100000, 1},
      {0xFFFC0000ull, 0x40000, 2},  // the BIOS ROM
  };
}

LinuxBootInfo load_linux(Machine& m, const std::vector<uint8_t>& img, const std::string& name,
                         const std::vector<uint8_t>& initrd, const std::string& cmdline,
                         const std::vector<E820Entry>& e820) {
  if (!is_bzimage(img)) throw LoadError(fmt::format("{}: not a Linux bzImage (no boot signature / HdrS header)", name));
  const uint16_t version = rd<uint16_t>(img, kVersion);
  if (version < 0x0206)
    throw LoadError(fmt::format("{}: boot protocol {}.{:02} is too old (kasou needs 2.06 or later)", name,
                                version >> 8, version & 0xFF));
  unsigned setup_sects = img[kSetupSects] ? img[kSetupSects] : 4;
  const size_t kernel_off = (setup_sects + 1) * 512ull;
  if (kernel_off >= img.size()) throw LoadError(fmt::format("{}: truncated bzImage (no protected-mode kernel)", name));
  const uint8_t loadflags = img[kLoadFlags];
  if (!(loadflags & kLoadedHigh)) throw LoadError(fmt::format("{}: a zImage (not loaded high) is not supported", name));
  const uint32_t code32 = rd<uint32_t>(img, kCode32Start);
  // The syssize field (16-byte paragraphs) says how much the kernel is.
  const uint64_t syssize = uint64_t(rd<uint32_t>(img, 0x1F4)) * 16;
  if (kernel_off + syssize > img.size())
    throw LoadError(fmt::format("{}: truncated bzImage: {} bytes of kernel expected, {} present", name, syssize,
                                img.size() - kernel_off));
  const uint64_t ram = m.memory().ram_bytes();
  const uint64_t kernel_size = img.size() - kernel_off;
  // The kernel decompresses in place and needs room: init_size at 0x260 (2.10+).
  const uint64_t init_size = version >= 0x020A ? rd<uint32_t>(img, 0x260) : kernel_size * 4;
  if (code32 + std::max(kernel_size, init_size) > ram)
    throw LoadError(fmt::format("{}: the kernel needs {} MiB from {:#x} but the guest has {} MiB of RAM", name,
                                (std::max(kernel_size, init_size) + (1 << 20) - 1) >> 20, code32, ram >> 20));
  const uint32_t cmdline_size = version >= 0x0206 ? rd<uint32_t>(img, kCmdlineSize) : 255;
  if (cmdline.size() > cmdline_size || cmdline.size() > kCmdlineMax)
    throw LoadError(fmt::format("{}: command line of {} bytes is longer than the {} the kernel accepts", name,
                                cmdline.size(), cmdline_size));

  // The initrd goes as high as the kernel allows, page aligned, below the end of RAM.
  uint32_t initrd_addr = 0;
  if (!initrd.empty()) {
    const uint64_t max_addr = std::min<uint64_t>(rd<uint32_t>(img, kInitrdAddrMax), ram - 1);
    const uint64_t top = (max_addr + 1) & ~0xFFFull;
    const uint64_t size = (initrd.size() + 0xFFF) & ~0xFFFull;
    const uint64_t kernel_end = code32 + std::max(kernel_size, init_size);
    if (size > top || top - size < kernel_end)
      throw LoadError(fmt::format("initrd of {} MiB does not fit in guest RAM above the kernel ({} MiB total)",
                                  (initrd.size() + (1 << 20) - 1) >> 20, ram >> 20));
    initrd_addr = static_cast<uint32_t>(top - size);
    m.memory().write_bytes(initrd_addr, initrd.data(), initrd.size());
  }

  m.memory().write_bytes(code32, img.data() + kernel_off, kernel_size);

  // The zero page: the setup header copied from the image, then the loader's fields.
  std::vector<uint8_t> bp(4096, 0);
  const size_t hdr_end = std::min<size_t>(0x202 + img[0x201], kHeaderEnd + 0x100);
  std::memcpy(bp.data() + kSetupSects, img.data() + kSetupSects, std::min(hdr_end, img.size()) - kSetupSects);
  bp[kTypeOfLoader] = 0xFF;  // "undefined" boot loader
  bp[kLoadFlags] = static_cast<uint8_t>(loadflags | kCanUseHeap);
  wr<uint16_t>(bp, kHeapEndPtr, 0xFE00);
  wr<uint32_t>(bp, kCmdLinePtr, kCmdline);
  wr<uint32_t>(bp, kRamdiskImage, initrd_addr);
  wr<uint32_t>(bp, kRamdiskSize, static_cast<uint32_t>(initrd.size()));
  // screen_info: an 80x25 VGA text console.
  bp[kScreenInfo + 0x06] = 0x03;   // orig_video_mode
  bp[kScreenInfo + 0x07] = 80;     // orig_video_cols
  bp[kScreenInfo + 0x0E] = 25;     // orig_video_lines
  bp[kScreenInfo + 0x0F] = 1;      // orig_video_isVGA
  wr<uint16_t>(bp, kScreenInfo + 0x10, 16);  // orig_video_points
  if (e820.size() > kE820Max) throw LoadError("too many memory map entries");
  bp[kE820Entries] = static_cast<uint8_t>(e820.size());
  for (size_t i = 0; i < e820.size(); i++) {
    wr<uint64_t>(bp, kE820Table + 20 * i, e820[i].addr);
    wr<uint64_t>(bp, kE820Table + 20 * i + 8, e820[i].size);
    wr<uint32_t>(bp, kE820Table + 20 * i + 16, e820[i].type);
  }
  m.memory().write_bytes(kBootParams, bp.data(), bp.size());
  std::vector<uint8_t> cl(cmdline.begin(), cmdline.end());
  cl.push_back(0);
  m.memory().write_bytes(kCmdline, cl.data(), cl.size());

  // A GDT with the boot protocol's flat code (0x10) and data (0x18) segments.
  const uint64_t gdt[4] = {0, 0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull};
  m.memory().write_bytes(kGdtAddr, gdt, sizeof gdt);

  m.reset_cpu();
  CpuState& s = m.vcpu().s;
  const uint16_t code = seg_attr::kPresent | seg_attr::kS | seg_attr::kCode | seg_attr::kReadable |
                        seg_attr::kAccessed | seg_attr::kDb | seg_attr::kGranularity;
  const uint16_t data = seg_attr::kPresent | seg_attr::kS | seg_attr::kWritable | seg_attr::kAccessed |
                        seg_attr::kDb | seg_attr::kGranularity;
  for (auto& sg : s.seg) sg = SegmentCache{0, 0xFFFFFFFFu, 0x18, data};
  s.seg[kCs] = SegmentCache{0, 0xFFFFFFFFu, 0x10, code};
  s.gdtr = {kGdtAddr, sizeof gdt - 1, 0};
  s.idtr = {0, 0, 0};
  s.cr0 |= cr0::PE;
  s.rflags = flag::kFixed1;
  s.rip = code32;
  s.gpr[kRsi] = kBootParams;
  s.gpr[kRbx] = s.gpr[kRbp] = s.gpr[kRdi] = 0;
  s.gpr[kRdx] = 0;
  s.gpr[kRsp] = kBootParams;  // a stack below the zero page until the kernel sets its own
  m.engine().state_changed(m.vcpu());
  return {version, code32, kBootParams, initrd_addr, static_cast<uint32_t>(initrd.size())};
}

}  // namespace kasou
