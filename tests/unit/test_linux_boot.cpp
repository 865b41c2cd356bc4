// The Linux boot-protocol loader: the zero page, the command line, the initrd
// placement and the CPU state; bad images and impossible requests are refused
// with a clear message before the guest starts.
#include <doctest/doctest.h>

#include <cstring>

#include "core/interp/interp_engine.h"
#include "core/machine.h"
#include "firmware/linux_boot.h"

namespace kasou {
namespace {

// A synthetic bzImage: 4 setup sectors + boot sector, then a 64 KiB "kernel".
std::vector<uint8_t> make_bzimage(uint16_t version = 0x020F, size_t kernel_bytes = 0x10000) {
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
  uint32_t code32 = 0x100000, initrd_max = 0x37FFFFFF, cmdline_size = 2047, init_size = 0x200000;
  std::memcpy(&img[0x214], &code32, 4);
  std::memcpy(&img[0x22C], &initrd_max, 4);
  std::memcpy(&img[0x238], &cmdline_size, 4);
  std::memcpy(&img[0x260], &init_size, 4);
  img[5 * 512] = 0xF4;  // hlt at the 32-bit entry
  return img;
}

struct Box {
  explicit Box(uint64_t mib = 64) : m(cfg(mib)) { m.set_engine(std::make_unique<InterpEngine>(m.decoder())); }
  static MachineConfig cfg(uint64_t mib) {
    MachineConfig c;
    c.ram_bytes = mib << 20;
    return c;
  }
  uint32_t rd32(uint64_t a) { return static_cast<uint32_t>(m.memory().read(a, 4)); }
  Machine m;
};

TEST_CASE("linux boot: zero page, command line, initrd and entry state") {
  Box b;
  std::vector<uint8_t> initrd(100000, 0x5A);
  auto e820 = default_e820(b.m.memory().ram_bytes());
  LinuxBootInfo li = load_linux(b.m, make_bzimage(), "vmlinuz", initrd, "console=ttyS0 quiet", e820);
  const CpuState& s = b.m.vcpu().s;
  CHECK(s.eip() == 0x100000u);
  CHECK(s.gpr[kRsi] == li.boot_params);
  CHECK((s.rflags & flag::IF) == 0);
  CHECK(s.seg[kCs].selector == 0x10);
  CHECK(s.seg[kDs].selector == 0x18);
  // The GDT really holds the boot selectors: read them back.
  CHECK(b.m.memory().read(s.gdtr.base + 0x10, 8) == 0x00CF9A000000FFFFull);
  CHECK(b.m.memory().read(s.gdtr.base + 0x18, 8) == 0x00CF92000000FFFFull);
  const uint32_t bp = li.boot_params;
  CHECK(b.m.memory().read(bp + 0x210, 1) == 0xFFu);  // type_of_loader
  CHECK(b.m.memory().read(bp + 0x202, 4) == 0x53726448u);  // "HdrS" copied
  const uint32_t cmd = b.rd32(bp + 0x228);
  std::string got;
  for (uint32_t p = cmd; b.m.memory().read(p, 1); p++) got += static_cast<char>(b.m.memory().read(p, 1));
  CHECK(got == "console=ttyS0 quiet");
  // initrd: page aligned, inside RAM, above the kernel, contents in place.
  CHECK(b.rd32(bp + 0x218) == li.initrd_addr);
  CHECK(b.rd32(bp + 0x21C) == 100000u);
  CHECK(li.initrd_addr % 4096 == 0);
  CHECK(li.initrd_addr + 100000u <= (64u << 20));
  CHECK(li.initrd_addr >= 0x100000u + 0x200000u);
  CHECK(b.m.memory().read(li.initrd_addr + 99999, 1) == 0x5Au);
  // e820 table.
  CHECK(b.m.memory().read(bp + 0x1E8, 1) == e820.size());
  CHECK(b.m.memory().read(bp + 0x2D0 + 3 * 20, 8) == 0x100000u);
  CHECK(b.m.memory().read(bp + 0x2D0 + 3 * 20 + 16, 4) == 1u);
  // The kernel is in place and runs to its HLT.
  CHECK(b.m.run(RunLimits{}) == StopReason::kHaltedForever);
}

void check_refused(Box& b, const std::vector<uint8_t>& img, const std::vector<uint8_t>& initrd,
                   const std::string& cmdline, const char* needle) {
  try {
    load_linux(b.m, img, "vmlinuz", initrd, cmdline, default_e820(b.m.memory().ram_bytes()));
    FAIL("accepted");
  } catch (const LoadError& e) {
    INFO(std::string(e.what()));
    CHECK(std::string(e.what()).find(needle) != std::string::npos);
  }
}

TEST_CASE("linux boot: bad input is refused before the guest starts") {
  Box b;
  check_refused(b, std::vector<uint8_t>(4096, 0), {}, "", "not a Linux bzImage");
  auto truncated = make_bzimage();
  truncated.resize(5 * 512 + 100);
  check_refused(b, truncated, {}, "", "truncated bzImage");
  check_refused(b, make_bzimage(0x0204), {}, "", "too old");
  check_refused(b, make_bzimage(), {}, std::string(3000, 'x'), "longer than the 2047");
  check_refused(b, make_bzimage(), std::vector<uint8_t>(70u << 20, 1), "", "does not fit");
  Box small(2);
  check_refused(small, make_bzimage(), {}, "", "MiB of RAM");
}

}  // namespace
}  // namespace kasou
