// The Linux boot-protocol checks and the setup header kasou fills in for the
// 16-bit entry (firmware/linux_boot.h): the command line, the initrd placement
// (below initrd_addr_max and below SeaBIOS's tables at the top of RAM), the fw_cfg
// items the option ROM reads, and the option ROM itself; bad images and impossible
// requests are refused with a clear message before the guest starts.
// (test_dev_linuxboot.cpp boots the result through SeaBIOS.)
#include <doctest/doctest.h>

#include <cstring>
#include <map>

#include "devices/fw_cfg.h"
#include "firmware/linux_boot.h"

namespace kasou {
namespace {

// A synthetic bzImage: 4 setup sectors + boot sector, then a 64 KiB "kernel".
std::vector<uint8_t> make_bzimage(uint16_t version = 0x020F, size_t kernel_bytes = 0x10000,
                                  uint32_t initrd_max = 0x37FFFFFF) {
  std::vector<uint8_t> img(5 * 512 + kernel_bytes, 0);
  img[0x1F1] = 4;
  uint32_t syssize = static_cast<uint32_t>(kernel_bytes / 16);
  std::memcpy(&img[0x1F4], &syssize, 4);
  img[0x1FE] = 0x55;
  img[0x1FF] = 0xAA;
  img[0x201] = 0x66;  // jump over the header (setup code start)
  std::memcpy(&img[0x202], "HdrS", 4);
  std::memcpy(&img[0x206], &version, 2);
  img[0x211] = 0x01;  // LOADED_HIGH
  uint32_t code32 = 0x100000, cmdline_size = 2047, init_size = 0x200000;
  std::memcpy(&img[0x214], &code32, 4);
  std::memcpy(&img[0x22C], &initrd_max, 4);
  std::memcpy(&img[0x238], &cmdline_size, 4);
  std::memcpy(&img[0x260], &init_size, 4);
  img[5 * 512] = 0xF4;  // first byte of the kernel
  return img;
}

template <class T>
T get(const std::vector<uint8_t>& b, size_t off) {
  T v{};
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

constexpr uint64_t kRam = 64ull << 20;

TEST_CASE("linux boot: setup header, command line, initrd placement and fw_cfg items") {
  std::vector<uint8_t> initrd(100000, 0x5A);
  LinuxBoot lb = prepare_linux_boot(make_bzimage(), "vmlinuz", initrd, "console=ttyS0 quiet", kRam);
  CHECK(lb.protocol_version == 0x020F);
  REQUIRE(lb.setup.size() == 5 * 512);
  CHECK(lb.kernel.size() == 0x10000);
  CHECK(lb.kernel[0] == 0xF4);
  CHECK(get<uint32_t>(lb.setup, 0x202) == 0x53726448u);  // "HdrS" kept
  CHECK(lb.setup[0x210] == 0xFF);                          // type_of_loader: undefined
  CHECK(lb.setup[0x211] == (0x01 | 0x80));                 // LOADED_HIGH | CAN_USE_HEAP
  CHECK(get<uint16_t>(lb.setup, 0x224) == kLinuxCmdlineAddr - kLinuxSetupAddr - 0x200);  // heap_end_ptr
  CHECK(get<uint32_t>(lb.setup, 0x228) == kLinuxCmdlineAddr);
  CHECK(std::string(lb.cmdline.begin(), lb.cmdline.end()) == std::string("console=ttyS0 quiet\0", 20));
  // initrd: page aligned, as high as possible below SeaBIOS's 256 KiB at the top of RAM.
  CHECK(get<uint32_t>(lb.setup, 0x218) == lb.initrd_addr);
  CHECK(get<uint32_t>(lb.setup, 0x21C) == 100000u);
  CHECK(lb.initrd_addr % 4096 == 0);
  CHECK(lb.initrd_addr + 100000u <= kRam - kSeabiosHighZoneBytes);
  CHECK(lb.initrd_addr + 100000u + 4096 > kRam - kSeabiosHighZoneBytes);
  CHECK(lb.initrd_addr >= 0x100000u + 0x200000u);  // above the kernel's init_size

  // The fw_cfg items QEMU's option ROMs read, 32-bit little-endian addresses and sizes.
  std::map<uint16_t, std::vector<uint8_t>> items;
  for (auto& [k, v] : lb.take_fw_cfg_items()) items[k] = std::move(v);
  auto u32 = [&](uint16_t key) {
    REQUIRE(items.count(key));
    REQUIRE(items[key].size() == 4);
    return get<uint32_t>(items[key], 0);
  };
  CHECK(u32(fw_cfg::kSetupAddr) == kLinuxSetupAddr);
  CHECK(u32(fw_cfg::kSetupSize) == 5 * 512);
  CHECK(u32(fw_cfg::kKernelAddr) == kLinuxKernelAddr);
  CHECK(u32(fw_cfg::kKernelSize) == 0x10000);
  CHECK(u32(fw_cfg::kCmdlineAddr) == kLinuxCmdlineAddr);
  CHECK(u32(fw_cfg::kCmdlineSize) == 20);
  CHECK(u32(fw_cfg::kInitrdSize) == 100000);
  CHECK(items[fw_cfg::kSetupData][0x210] == 0xFF);
  CHECK(items[fw_cfg::kKernelData].size() == 0x10000);
  CHECK(items[fw_cfg::kInitrdData] == initrd);
}

TEST_CASE("linux boot: the initrd respects the kernel's initrd_addr_max; no initrd gives zeros") {
  LinuxBoot lb = prepare_linux_boot(make_bzimage(0x020F, 0x10000, 0x00FFFFFF), "vmlinuz",
                                    std::vector<uint8_t>(5000, 1), "", kRam);
  CHECK(lb.initrd_addr + 5000u <= 0x01000000u);
  CHECK(lb.initrd_addr == ((0x01000000u - 5000u) & ~0xFFFu));
  LinuxBoot none = prepare_linux_boot(make_bzimage(), "vmlinuz", {}, "", kRam);
  CHECK(none.initrd_addr == 0);
  CHECK(get<uint32_t>(none.setup, 0x218) == 0u);
  CHECK(get<uint32_t>(none.setup, 0x21C) == 0u);
}

void check_refused(const std::vector<uint8_t>& img, const std::vector<uint8_t>& initrd, const std::string& cmdline,
                   const char* needle, uint64_t ram = kRam) {
  try {
    prepare_linux_boot(img, "vmlinuz", initrd, cmdline, ram);
    FAIL("accepted");
  } catch (const LoadError& e) {
    INFO(std::string(e.what()));
    CHECK(std::string(e.what()).find(needle) != std::string::npos);
  }
}

TEST_CASE("linux boot: bad input is refused before the guest starts") {
  check_refused(std::vector<uint8_t>(4096, 0), {}, "", "not a Linux bzImage");
  auto truncated = make_bzimage();
  truncated.resize(5 * 512 + 100);
  check_refused(truncated, {}, "", "truncated bzImage");
  check_refused(make_bzimage(0x0204), {}, "", "too old");
  auto zimage = make_bzimage();
  zimage[0x211] = 0;
  check_refused(zimage, {}, "", "not loaded high");
  check_refused(make_bzimage(), {}, std::string(3000, 'x'), "longer than the 2047");
  check_refused(make_bzimage(), {}, std::string("a\0b", 3), "NUL");
  check_refused(make_bzimage(), std::vector<uint8_t>(70u << 20, 1), "", "does not fit");
  // An initrd that would fit in RAM but not below initrd_addr_max above the kernel.
  check_refused(make_bzimage(0x020F, 0x10000, 0x003FFFFF), std::vector<uint8_t>(2u << 20, 1), "", "does not fit");
  check_refused(make_bzimage(), {}, "", "MiB of RAM", 2ull << 20);
}

TEST_CASE("linux boot: the option ROM is whole 512-byte blocks with a zero checksum and a PnP boot entry") {
  const std::vector<uint8_t> rom = linuxboot_option_rom();
  REQUIRE(rom.size() >= 512);
  CHECK(rom.size() % 512 == 0);
  CHECK(rom[0] == 0x55);
  CHECK(rom[1] == 0xAA);
  CHECK(rom[2] * 512u == rom.size());
  uint8_t sum = 0;
  for (uint8_t b : rom) sum = static_cast<uint8_t>(sum + b);
  CHECK(sum == 0);
  // SeaBIOS registers a boot entry (BEV) only for a ROM with a PnP header.
  const uint16_t pnp = get<uint16_t>(rom, 0x1A);
  REQUIRE(pnp + 0x20u <= rom.size());
  CHECK(std::memcmp(&rom[pnp], "$PnP", 4) == 0);
  const uint16_t bev = get<uint16_t>(rom, pnp + 0x1A);
  CHECK(bev > pnp);
  CHECK(bev < rom.size());
}

}  // namespace
}  // namespace kasou
