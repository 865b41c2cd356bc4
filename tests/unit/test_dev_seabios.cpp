// The chipset under real firmware: Debian's SeaBIOS (bios.bin) on the board's
// i440FX/PIIX3 chipset, run by the reference interpreter. It finds the PCI
// functions, shadows itself with the PAM registers, reads fw_cfg, boots an El
// Torito CD through the ATAPI drive and a hard disk through the ATA disk (INT 13h
// reads and a write that must be in the image file after power-off), and leaves
// ACPI tables whose \_S5 package, written to the FADT's PM1a control block, powers
// the machine off through the PIIX4 PM function.
//
// Boot programs: tests/unit/boot/*.asm, assembled by CMake (KASOU_TEST_BOOT_DIR).
// Skipped (with a message) when /usr/share/seabios/bios.bin (package seabios) is missing.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "core/interp/interp_engine.h"
#include "core/machine.h"
#include "devices/board.h"
#include "devices/fw_cfg.h"
#include "devices/ide.h"
#include "devices/piix4_pm.h"
#include "firmware/acpi.h"
#include "tests/unit/dev_fixture.h"
#include "tests/unit/temp_file.h"

namespace kasou {
namespace {

constexpr const char* kBios = "/usr/share/seabios/bios.bin";

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

std::vector<uint8_t> boot_program(const char* name) {
  auto data = slurp(std::string(KASOU_TEST_BOOT_DIR) + "/" + name);
  REQUIRE_MESSAGE(!data.empty(), "boot program " << name << " was not assembled");
  return data;
}

// An ISO 9660 image with an El Torito boot catalog and one no-emulation boot
// image (what SeaBIOS reads: the boot record at sector 17, the catalog, the image).
std::vector<uint8_t> el_torito_iso(const std::vector<uint8_t>& boot) {
  constexpr size_t kBlock = 2048, kBlocks = 24, kCatalog = 19, kImage = 20;
  std::vector<uint8_t> iso(kBlocks * kBlock, 0);
  auto put32 = [&](size_t at, uint32_t v) { std::memcpy(&iso[at], &v, 4); };
  auto descriptor = [&](size_t sector, uint8_t type) {
    iso[sector * kBlock] = type;
    std::memcpy(&iso[sector * kBlock + 1], "CD001", 5);
    iso[sector * kBlock + 6] = 1;
  };
  descriptor(16, 1);  // primary volume descriptor
  put32(16 * kBlock + 80, kBlocks);
  iso[16 * kBlock + 128] = 0x00, iso[16 * kBlock + 129] = 0x08;  // 2048-byte blocks
  descriptor(17, 0);  // boot record
  std::memcpy(&iso[17 * kBlock + 7], "EL TORITO SPECIFICATION", 23);
  put32(17 * kBlock + 0x47, kCatalog);
  descriptor(18, 255);  // terminator
  uint8_t* cat = &iso[kCatalog * kBlock];
  cat[0] = 1;  // validation entry: x86
  std::memcpy(cat + 4, "KASOU", 5);
  cat[30] = 0x55, cat[31] = 0xAA;
  uint16_t sum = 0;
  for (int i = 0; i < 32; i += 2) sum = static_cast<uint16_t>(sum + (cat[i] | cat[i + 1] << 8));
  const uint16_t check = static_cast<uint16_t>(-sum);
  cat[28] = check & 0xFF, cat[29] = static_cast<uint8_t>(check >> 8);
  cat[32] = 0x88;  // bootable, no emulation, load segment 0 (07C0h)
  cat[38] = 4;     // four 512-byte sectors
  std::memcpy(cat + 40, &kImage, 4);
  std::memcpy(&iso[kImage * kBlock], boot.data(), boot.size());
  return iso;
}

// COM1 output that stops the run once a line containing `marker` is complete.
struct StopAtLine : CharSink {
  Machine* m = nullptr;
  std::string marker;
  std::string text;
  void put(uint8_t c) override {
    text += static_cast<char>(c);
    if (c == '\n' && !marker.empty() && text.find(marker) != std::string::npos)
      m->request_stop(StopReason::kUserRequest, 0, "marker seen");
  }
};

struct Pc {
  MachineConfig config() {
    MachineConfig c;
    c.ram_bytes = 64ull << 20;
    return c;
  }
  Machine m{config()};
  StopAtLine serial;
  Board board;
  explicit Pc(const ChipsetOptions& chipset) {
    BoardOptions o{&serial, nullptr};
    o.chipset = chipset;
    o.chipset.enabled = true;
    o.chipset.nographic = true;
    o.chipset.boot_fail_wait_ms = 0;
    // kasou's ACPI tables, as `kasou run` gives them (firmware/acpi.h).
    PcAcpiConfig acpi;
    acpi.ram_below_4g_bytes = m.memory().ram_bytes();
    o.chipset.firmware_files = build_pc_acpi_tables(acpi);
    serial.m = &m;
    board = build_board(m, o);
    m.set_engine(std::make_unique<InterpEngine>(m.decoder()));
    // The BIOS at the top of 4 GiB, its last 128 KiB also below 1 MiB (behind the PAM registers).
    auto bios = slurp(kBios);
    m.memory().add_rom(0x100000000ull - bios.size(), bios, "bios");
    std::vector<uint8_t> isa(bios.end() - 0x20000, bios.end());
    m.memory().add_rom(0xE0000, isa, "isa-bios");
    m.reset_cpu();
  }
  StopReason run() {
    RunLimits limits;
    limits.max_instructions = 100'000'000;  // SeaBIOS boots in about 8 million
    return m.run(limits);
  }
};

bool have_bios() {
  if (std::filesystem::exists(kBios)) return true;
  MESSAGE("skipped: " << kBios << " is missing (Debian package seabios)");
  return false;
}

struct AcpiTable {
  uint64_t address;
  std::vector<uint8_t> bytes;
};

std::optional<AcpiTable> table_at(PhysicalMemory& mem, uint64_t a, const char* sig) {
  char s[4];
  for (int i = 0; i < 4; i++) s[i] = static_cast<char>(mem.read(a + i, 1));
  if (std::memcmp(s, sig, 4) != 0) return std::nullopt;
  const uint32_t len = static_cast<uint32_t>(mem.read(a + 4, 4));
  if (len < 36 || len > (1u << 20)) return std::nullopt;
  AcpiTable t{a, std::vector<uint8_t>(len)};
  mem.read_bytes(a, t.bytes.data(), len);
  uint8_t sum = 0;
  for (uint8_t b : t.bytes) sum = static_cast<uint8_t>(sum + b);
  if (sum != 0) return std::nullopt;
  return t;
}

// SLP_TYPa of the \_S5 package in an AML table: Name(_S5_, Package(n){ a, ... }).
std::optional<unsigned> s5_sleep_type(const std::vector<uint8_t>& aml) {
  for (size_t i = 36; i + 8 < aml.size(); i++) {
    if (std::memcmp(&aml[i], "_S5_", 4) != 0 || aml[i + 4] != 0x12) continue;  // PackageOp
    size_t p = i + 5;
    p += 1 + (aml[p] >> 6);  // PkgLength
    p += 1;                  // NumElements
    switch (aml[p]) {
      case 0x00: return 0u;                // ZeroOp
      case 0x01: return 1u;                // OneOp
      case 0x0A: return aml[p + 1] & 7u;   // BytePrefix
      default: return std::nullopt;
    }
  }
  return std::nullopt;
}

TEST_CASE("seabios: boots a CD through the ATAPI drive; ACPI \\_S5 powers the machine off through the PM function") {
  if (!have_bios()) return;
  test::TempFile iso(el_torito_iso(boot_program("cd_hello.bin")));
  ChipsetOptions c;
  c.ide[2] = {IdeDriveOptions::Kind::kCdrom, iso.path(), true};
  c.boot_order = {FwCfg::ide_boot_path(1, 0)};
  Pc pc(c);
  pc.serial.marker = "kasou: booted from the CD";
  REQUIRE(pc.run() == StopReason::kUserRequest);
  CHECK(pc.serial.text.find("Booting from DVD/CD") != std::string::npos);
  CHECK(pc.serial.text.find("kasou: booted from the CD") != std::string::npos);
  IoBus& io = pc.m.io();
  PhysicalMemory& mem = pc.m.memory();

  // What the firmware set up: PIRQ routing, the IDE bus master BAR, the PM base, and
  // the BIOS area back to read-only shadow RAM.
  CHECK(test::cfg_read(io, 1, 0, 0x60, 4) == 0x0B0B0A0Au);
  CHECK((test::cfg_read(io, 1, 1, 0x20, 4) & 0xFFFC) != 0);
  CHECK(pc.board.ide->bar_mapped_base(4) != 0);
  // SeaBIOS moves the PM block to 0x600 when the host gives it ACPI tables
  // (etc/table-loader), as QEMU's tables expect.
  CHECK(pc.board.pm->pm_io_base() == 0x600);
  CHECK(test::cfg_read(io, 0, 0, 0x59, 1) == 0x10);
  CHECK(mem.page(0xF0000).kind == PageKind::kRom);  // read-only RAM

  // SeaBIOS built its own SMBIOS entry point and PCI IRQ routing table (we give it
  // no etc/smbios files): both anchors are in the F segment.
  auto find_anchor = [&](const char* anchor, size_t n) {
    for (uint64_t a = 0xF0000; a < 0x100000; a += 16) {
      bool match = true;
      for (size_t i = 0; i < n && match; i++) match = mem.read(a + i, 1) == static_cast<uint8_t>(anchor[i]);
      if (match) return true;
    }
    return false;
  };
  CHECK(find_anchor("_SM_", 4));
  CHECK(find_anchor("$PIR", 4));

  // ACPI: SeaBIOS ran kasou's linker/loader script: RSDP in the BIOS area (its
  // checksum fixed by the loader) -> RSDT -> FADT -> FACS and DSDT, relocated.
  // There is no MADT (SeaBIOS's own tables would offer an APIC kasou lacks).
  std::optional<AcpiTable> rsdt;
  for (uint64_t a = 0xE0000; a < 0x100000 && !rsdt; a += 16) {
    uint8_t rsdp[20];
    mem.read_bytes(a, rsdp, sizeof rsdp);
    if (std::memcmp(rsdp, "RSD PTR ", 8) != 0) continue;
    uint8_t sum = 0;
    for (uint8_t b : rsdp) sum = static_cast<uint8_t>(sum + b);
    CHECK(sum == 0);
    CHECK(std::memcmp(rsdp + 9, "KASOU ", 6) == 0);
    rsdt = table_at(mem, mem.read(a + 16, 4), "RSDT");
  }
  REQUIRE(rsdt);
  CHECK(std::memcmp(&rsdt->bytes[10], "KASOU ", 6) == 0);
  std::optional<AcpiTable> fadt;
  std::vector<AcpiTable> aml;
  for (size_t i = 36; i + 4 <= rsdt->bytes.size(); i += 4) {
    uint32_t a;
    std::memcpy(&a, &rsdt->bytes[i], 4);
    char sig[5] = {};
    for (int k = 0; k < 4; k++) sig[k] = static_cast<char>(mem.read(a + k, 1));
    CHECK_MESSAGE(std::string(sig) != "APIC", "the RSDT lists a MADT");
    if (auto t = table_at(mem, a, "FACP")) fadt = t;
    if (auto t = table_at(mem, a, "SSDT")) aml.push_back(*t);
  }
  REQUIRE(fadt);
  {
    uint32_t facs;
    std::memcpy(&facs, &fadt->bytes[36], 4);
    CHECK(facs % 64 == 0);
    CHECK(mem.read(facs, 4) == 0x53434146u);  // "FACS"
  }
  auto u32 = [&](size_t off) {
    uint32_t v;
    std::memcpy(&v, &fadt->bytes[off], 4);
    return v;
  };
  CHECK((fadt->bytes[46] | fadt->bytes[47] << 8) == 9);  // SCI_INT
  CHECK(u32(48) == 0xB2);                                // SMI_CMD
  const uint32_t pm1a_cnt = u32(64), pm_tmr = u32(76);
  CHECK(pm1a_cnt == 0x604);
  CHECK(pm_tmr == 0x608);
  auto dsdt = table_at(mem, u32(40), "DSDT");
  REQUIRE(dsdt);
  // kasou's DSDT: the PCI root bridge with its interrupt routing and links.
  const std::string dsdt_text(dsdt->bytes.begin(), dsdt->bytes.end());
  for (const char* name : {"PCI0", "_PRT", "LNKA", "LNKD", "_CRS", "PMIN"})
    CHECK_MESSAGE(dsdt_text.find(name) != std::string::npos, name);
  aml.push_back(*dsdt);
  std::optional<unsigned> slp_typ;
  for (const auto& t : aml)
    if (!slp_typ) slp_typ = s5_sleep_type(t.bytes);
  REQUIRE(slp_typ);
  // The PM timer the FADT names counts.
  const uint32_t t0 = io.read(static_cast<uint16_t>(pm_tmr), 4);
  pc.m.vcpu().insn_base += 10'000'000;  // 10 ms of virtual time
  CHECK(io.read(static_cast<uint16_t>(pm_tmr), 4) - t0 >= 35000u);
  // The OS's ACPI enable, then S5, while the guest idles: the run ends powered off.
  io.write(static_cast<uint16_t>(u32(48)), fadt->bytes[52], 1);
  CHECK((io.read(static_cast<uint16_t>(pm1a_cnt), 2) & 1) == 1);  // SCI_EN
  const uint16_t value = static_cast<uint16_t>(*slp_typ << 10 | 0x2000);
  Scheduler& sched = pc.m.scheduler();
  EventKind s5 = sched.register_kind("test-s5", [&io, pm1a_cnt, value](uint64_t, int64_t) {
    io.write(static_cast<uint16_t>(pm1a_cnt), value, 2);
  });
  sched.schedule_in(1'000'000, s5);
  CHECK(pc.run() == StopReason::kPowerOff);
  CHECK(pc.m.exit_code() == 0);
}

TEST_CASE("seabios: boots a hard disk; INT 13h reads and a write reach the image file") {
  if (!have_bios()) return;
  std::vector<uint8_t> disk = test::patterned_image(64);
  auto mbr = boot_program("hd_rw.bin");
  REQUIRE(mbr.size() == 512);
  std::memcpy(disk.data(), mbr.data(), 512);
  unsigned sum = 0;
  for (size_t i = 512; i < 9 * 512; i++) sum += disk[i];
  test::TempFile image(disk);
  {
    ChipsetOptions c;
    c.ide[0] = {IdeDriveOptions::Kind::kDisk, image.path(), false};
    Pc pc(c);
    REQUIRE(pc.run() == StopReason::kGuestExit);
    CHECK(pc.m.exit_code() == (0x15 << 1 | 1));
    CHECK(pc.serial.text.find("Booting from Hard Disk") != std::string::npos);
    char expect[8];
    std::snprintf(expect, sizeof expect, "%04X\n", sum & 0xFFFF);
    CHECK(pc.serial.text.find(expect) != std::string::npos);
    CHECK(pc.serial.text.find("W\n") != std::string::npos);
  }
  // The machine is gone (a clean power-off): the guest's write is in the file.
  auto after = image.contents();
  REQUIRE(after.size() == disk.size());
  CHECK(std::vector<uint8_t>(after.begin() + 5 * 512, after.begin() + 6 * 512) == std::vector<uint8_t>(512, 0x5A));
  CHECK(std::vector<uint8_t>(after.begin() + 6 * 512, after.end()) ==
        std::vector<uint8_t>(disk.begin() + 6 * 512, disk.end()));
}

TEST_CASE("seabios: with nothing to boot it says so on the serial console") {
  if (!have_bios()) return;
  ChipsetOptions c;
  c.ide[2] = {IdeDriveOptions::Kind::kCdrom, "", true};  // an empty CD-ROM drive
  Pc pc(c);
  RunLimits limits;
  limits.max_instructions = 30'000'000;
  pc.m.run(limits);
  CHECK(pc.serial.text.find("Booting from DVD/CD") != std::string::npos);
  CHECK(pc.serial.text.find("No bootable device") != std::string::npos);
}

}  // namespace
}  // namespace kasou
