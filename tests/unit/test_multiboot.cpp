// The multiboot loader: a valid ELF32 kernel is loaded with the CPU state and
// information structure the specification gives; bad images give a LoadError
// with a clear message (never a crash).
#include <doctest/doctest.h>

#include <elf.h>

#include <cstring>

#include "core/interp/interp_engine.h"
#include "core/machine.h"
#include "firmware/multiboot.h"

namespace kasou {
namespace {

// A minimal ELF32 multiboot kernel: one PT_LOAD segment at 1 MiB holding the
// multiboot header and `hlt`, plus `bss` bytes of BSS.
std::vector<uint8_t> make_kernel(uint32_t paddr = 0x100000, uint32_t bss = 0x100, uint16_t machine = EM_386) {
  std::vector<uint8_t> img(0x1000 + 16, 0);
  Elf32_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS32;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = machine;
  eh.e_version = EV_CURRENT;
  eh.e_entry = paddr + 12;
  eh.e_phoff = sizeof eh;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof(Elf32_Phdr);
  eh.e_phnum = 1;
  Elf32_Phdr ph{};
  ph.p_type = PT_LOAD;
  ph.p_offset = 0x1000;
  ph.p_vaddr = ph.p_paddr = paddr;
  ph.p_filesz = 16;
  ph.p_memsz = 16 + bss;
  std::memcpy(img.data(), &eh, sizeof eh);
  std::memcpy(img.data() + sizeof eh, &ph, sizeof ph);
  const uint32_t hdr[3] = {0x1BADB002, 0x3, static_cast<uint32_t>(-(0x1BADB002 + 0x3))};
  std::memcpy(img.data() + 0x1000, hdr, sizeof hdr);
  img[0x1000 + 12] = 0xF4;  // hlt
  return img;
}

struct Box {
  Box() : m(cfg()) { m.set_engine(std::make_unique<InterpEngine>(m.decoder())); }
  static MachineConfig cfg() {
    MachineConfig c;
    c.ram_bytes = 16ull << 20;
    return c;
  }
  Machine m;
};

TEST_CASE("multiboot: a valid kernel starts as the specification says") {
  Box b;
  // Dirty the BSS first: the loader must clear it.
  std::vector<uint8_t> junk(0x100, 0xAA);
  b.m.memory().write_bytes(0x100010, junk.data(), junk.size());
  MultibootInfo mi = load_multiboot(b.m, make_kernel(), "k.elf", "console=ttyS0");
  const CpuState& s = b.m.vcpu().s;
  CHECK(s.eip() == 0x10000Cu);
  CHECK(s.gpr[kRax] == 0x2BADB002u);
  CHECK(s.gpr[kRbx] == mi.info_address);
  CHECK((s.cr0 & cr0::PE) != 0);
  CHECK((s.cr0 & cr0::PG) == 0);
  CHECK((s.rflags & flag::IF) == 0);
  CHECK(s.seg[kCs].limit == 0xFFFFFFFFu);
  CHECK((s.seg[kCs].attr & seg_attr::kDb) != 0);
  CHECK(b.m.memory().read(0x100010, 4) == 0u);  // BSS cleared
  CHECK(b.m.memory().read(0x10000C, 1) == 0xF4u);
  // Information structure: flags, memory sizes, command line, memory map.
  PhysicalMemory& mem = b.m.memory();
  const uint32_t info = mi.info_address;
  const uint32_t flags = static_cast<uint32_t>(mem.read(info, 4));
  CHECK((flags & 0x1) != 0);   // mem_lower/mem_upper
  CHECK((flags & 0x4) != 0);   // cmdline
  CHECK((flags & 0x40) != 0);  // mmap
  CHECK(mem.read(info + 4, 4) == 639u);
  CHECK(mem.read(info + 8, 4) == (16u * 1024 - 1024));
  std::string cmdline;
  for (uint32_t p = static_cast<uint32_t>(mem.read(info + 16, 4)); mem.read(p, 1); p++)
    cmdline += static_cast<char>(mem.read(p, 1));
  CHECK(cmdline == "k.elf console=ttyS0");
  const uint32_t mmap_len = static_cast<uint32_t>(mem.read(info + 44, 4));
  const uint32_t mmap = static_cast<uint32_t>(mem.read(info + 48, 4));
  CHECK(mmap_len == 4 * 24);
  // The last entry: usable RAM from 1 MiB to the end.
  CHECK(mem.read(mmap + 3 * 24 + 4, 8) == 0x100000u);
  CHECK(mem.read(mmap + 3 * 24 + 12, 8) == (16u << 20) - 0x100000u);
  CHECK(mem.read(mmap + 3 * 24 + 20, 4) == 1u);
}

TEST_CASE("multiboot: the kernel runs to its HLT") {
  Box b;
  load_multiboot(b.m, make_kernel(), "k.elf", "");
  CHECK(b.m.run(RunLimits{}) == StopReason::kHaltedForever);
  CHECK(b.m.vcpu().s.eip() == 0x10000Du);
}

void check_error(const std::vector<uint8_t>& img, const char* needle) {
  Box b;
  try {
    load_multiboot(b.m, img, "bad.elf", "");
    FAIL("no error for a bad image");
  } catch (const LoadError& e) {
    INFO(std::string(e.what()));
    CHECK(std::string(e.what()).find(needle) != std::string::npos);
    CHECK(std::string(e.what()).find("bad.elf") != std::string::npos);
  }
}

TEST_CASE("multiboot: bad images are refused with a clear message") {
  check_error({}, "no multiboot header");
  check_error(std::vector<uint8_t>(9000, 0), "no multiboot header");
  std::vector<uint8_t> k = make_kernel();
  SUBCASE("truncated") {
    k.resize(0x1000 + 12);  // the header survives, the rest of the segment does not
    check_error(k, "past the end of the file");
  }
  SUBCASE("wrong machine") { check_error(make_kernel(0x100000, 0x100, EM_X86_64), "is not i386"); }
  SUBCASE("segment past the end of RAM") { check_error(make_kernel(0x100000, 64u << 20), "outside guest RAM"); }
  SUBCASE("segment at address 0") { check_error(make_kernel(0x0), "outside guest RAM"); }
  SUBCASE("64-bit ELF") {
    k[EI_CLASS] = ELFCLASS64;
    check_error(k, "not a 32-bit ELF");
  }
  SUBCASE("program headers past the end") {
    Elf32_Ehdr eh;
    std::memcpy(&eh, k.data(), sizeof eh);
    eh.e_phoff = 0xFFFFF000;
    std::memcpy(k.data(), &eh, sizeof eh);
    check_error(k, "program headers are past the end");
  }
  SUBCASE("unsupported required feature") {
    uint32_t hdr[3] = {0x1BADB002, 0x8003, static_cast<uint32_t>(-(0x1BADB002 + 0x8003))};
    std::memcpy(k.data() + 0x1000, hdr, sizeof hdr);
    check_error(k, "unsupported features");
  }
}

TEST_CASE("multiboot: a missing file is a LoadError naming it") {
  try {
    read_file("/nonexistent/kernel.elf");
    FAIL("no error");
  } catch (const LoadError& e) {
    CHECK(std::string(e.what()).find("/nonexistent/kernel.elf") != std::string::npos);
  }
}

}  // namespace
}  // namespace kasou
