// Linux direct boot through SeaBIOS: Debian's bios.bin on the chipset boots
// kasou's option ROM (genroms/kasou-linuxboot.bin, first in "bootorder"), which
// copies a synthetic bzImage's setup, kernel, command line and initrd from fw_cfg
// (DMA) to their places and enters the setup code as the 16-bit boot protocol says:
// DS = ES = FS = GS = SS = setup segment, CS = setup segment + 0x20, IP = 0, SP
// below the command line, interrupts off. The setup code (boot/linux_setup.asm)
// records its registers and prints a line; the test checks memory and registers.
// Skipped (with a message) when /usr/share/seabios/bios.bin (package seabios) is missing.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/interp/interp_engine.h"
#include "core/machine.h"
#include "devices/board.h"
#include "devices/fw_cfg.h"
#include "firmware/acpi.h"
#include "firmware/linux_boot.h"

namespace kasou {
namespace {

constexpr const char* kBios = "/usr/share/seabios/bios.bin";

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

// 4 setup sectors + boot sector (setup code at file offset 0x280), then a kernel
// of `kernel_bytes` counting bytes.
std::vector<uint8_t> synthetic_bzimage(const std::vector<uint8_t>& setup_code, size_t kernel_bytes) {
  std::vector<uint8_t> img(5 * 512 + kernel_bytes, 0);
  img[0x1F1] = 4;
  const uint32_t syssize = static_cast<uint32_t>(kernel_bytes / 16);
  std::memcpy(&img[0x1F4], &syssize, 4);
  img[0x1FE] = 0x55, img[0x1FF] = 0xAA;
  img[0x200] = 0xEB, img[0x201] = 0x7E;  // jmp short to 0x280, past the header
  std::memcpy(&img[0x202], "HdrS", 4);
  const uint16_t version = 0x020F;
  std::memcpy(&img[0x206], &version, 2);
  img[0x211] = 0x01;  // LOADED_HIGH
  const uint32_t code32 = 0x100000, initrd_max = 0x37FFFFFF, cmdline_size = 2047, init_size = 0x200000;
  std::memcpy(&img[0x214], &code32, 4);
  std::memcpy(&img[0x22C], &initrd_max, 4);
  std::memcpy(&img[0x238], &cmdline_size, 4);
  std::memcpy(&img[0x260], &init_size, 4);
  REQUIRE(setup_code.size() < 5 * 512 - 0x280);
  std::memcpy(&img[0x280], setup_code.data(), setup_code.size());
  for (size_t i = 0; i < kernel_bytes; i++) img[5 * 512 + i] = static_cast<uint8_t>(i * 7 + 1);
  return img;
}

struct StopAtLine : CharSink {
  Machine* m = nullptr;
  std::string marker, text;
  void put(uint8_t c) override {
    text += static_cast<char>(c);
    if (c == '\n' && text.find(marker) != std::string::npos) m->request_stop(StopReason::kUserRequest, 0, "marker");
  }
};

TEST_CASE("linux boot: SeaBIOS runs kasou's option ROM, which loads the kernel from fw_cfg and enters setup") {
  if (!std::filesystem::exists(kBios)) {
    MESSAGE("skipped: " << kBios << " is missing (Debian package seabios)");
    return;
  }
  const auto setup_code = slurp(std::string(KASOU_TEST_BOOT_DIR) + "/linux_setup.bin");
  REQUIRE_MESSAGE(!setup_code.empty(), "linux_setup.bin was not assembled");
  const size_t kernel_bytes = 300000;
  std::vector<uint8_t> initrd(123457);
  for (size_t i = 0; i < initrd.size(); i++) initrd[i] = static_cast<uint8_t>(i * 13 + 5);
  const std::string cmdline = "console=ttyS0 kasou=direct";

  MachineConfig mc;
  mc.ram_bytes = 64ull << 20;
  Machine m(mc);
  LinuxBoot lb = prepare_linux_boot(synthetic_bzimage(setup_code, kernel_bytes), "synthetic", initrd, cmdline,
                                    mc.ram_bytes);
  const uint32_t initrd_addr = lb.initrd_addr;
  StopAtLine serial;
  serial.m = &m;
  serial.marker = "kasou: linux setup entered";
  BoardOptions o{&serial, nullptr};
  o.chipset.enabled = true;
  o.chipset.nographic = true;
  o.chipset.boot_fail_wait_ms = 0;
  PcAcpiConfig acpi;
  acpi.ram_below_4g_bytes = mc.ram_bytes;
  o.chipset.firmware_files = build_pc_acpi_tables(acpi);
  o.chipset.firmware_files.emplace_back(kLinuxBootRomFile, linuxboot_option_rom());
  o.chipset.boot_order = {kLinuxBootRomBootPath};
  Board board = build_board(m, o);
  for (auto& [key, data] : lb.take_fw_cfg_items()) board.fw_cfg->set_item(key, std::move(data));
  m.set_engine(std::make_unique<InterpEngine>(m.decoder()));
  auto bios = slurp(kBios);
  m.memory().add_rom(0x100000000ull - bios.size(), bios, "bios");
  m.memory().add_rom(0xE0000, std::vector<uint8_t>(bios.end() - 0x20000, bios.end()), "isa-bios");
  m.reset_cpu();
  RunLimits limits;
  limits.max_instructions = 100'000'000;
  REQUIRE_MESSAGE(m.run(limits) == StopReason::kUserRequest, serial.text);
  CHECK(serial.text.find("Booting from ROM") != std::string::npos);

  PhysicalMemory& mem = m.memory();
  // The entry state the setup code recorded.
  const uint64_t rec = kLinuxSetupAddr + 0x7000;
  const uint16_t seg = kLinuxSetupAddr >> 4;
  CHECK(mem.read(rec + 0, 2) == seg + 0x20u);  // CS
  CHECK(mem.read(rec + 2, 2) == seg);          // DS
  CHECK(mem.read(rec + 4, 2) == seg);          // ES
  CHECK(mem.read(rec + 6, 2) == seg);          // SS
  CHECK(mem.read(rec + 8, 2) == kLinuxCmdlineAddr - kLinuxSetupAddr - 0x10);  // SP below the command line
  CHECK(mem.read(rec + 10, 2) == seg);         // FS
  CHECK(mem.read(rec + 12, 2) == seg);         // GS
  CHECK((mem.read(rec + 14, 2) & 0x200) == 0);  // IF clear
  // The setup header as the boot loader filled it in.
  CHECK(mem.read(kLinuxSetupAddr + 0x202, 4) == 0x53726448u);  // "HdrS"
  CHECK(mem.read(kLinuxSetupAddr + 0x210, 1) == 0xFFu);        // type_of_loader
  CHECK((mem.read(kLinuxSetupAddr + 0x211, 1) & 0x81) == 0x81u);  // LOADED_HIGH | CAN_USE_HEAP
  CHECK(mem.read(kLinuxSetupAddr + 0x224, 2) == kLinuxCmdlineAddr - kLinuxSetupAddr - 0x200);  // heap_end_ptr
  CHECK(mem.read(kLinuxSetupAddr + 0x228, 4) == kLinuxCmdlineAddr);
  CHECK(mem.read(kLinuxSetupAddr + 0x218, 4) == initrd_addr);
  CHECK(mem.read(kLinuxSetupAddr + 0x21C, 4) == initrd.size());
  // The command line, the kernel and the initrd, copied by fw_cfg DMA.
  std::string got;
  for (uint64_t p = kLinuxCmdlineAddr; mem.read(p, 1); p++) got += static_cast<char>(mem.read(p, 1));
  CHECK(got == cmdline);
  bool kernel_ok = true, initrd_ok = true;
  for (size_t i = 0; i < kernel_bytes; i += 997)
    kernel_ok &= mem.read(kLinuxKernelAddr + i, 1) == static_cast<uint8_t>(i * 7 + 1);
  kernel_ok &= mem.read(kLinuxKernelAddr + kernel_bytes - 1, 1) == static_cast<uint8_t>((kernel_bytes - 1) * 7 + 1);
  for (size_t i = 0; i < initrd.size(); i += 991) initrd_ok &= mem.read(initrd_addr + i, 1) == initrd[i];
  initrd_ok &= mem.read(initrd_addr + initrd.size() - 1, 1) == initrd.back();
  CHECK(kernel_ok);
  CHECK(initrd_ok);
  CHECK(board.fw_cfg->state().dma_transfers >= 4);
}

}  // namespace
}  // namespace kasou
