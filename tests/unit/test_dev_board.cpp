// The board's chipset section: off by default (multiboot machines unchanged), and
// when enabled the PCI functions, drives, fw_cfg and the power-off path are wired.
#include <doctest/doctest.h>

#include "core/machine.h"
#include "devices/board.h"
#include "devices/fw_cfg.h"
#include "devices/ide.h"
#include "devices/piix4_pm.h"
#include "tests/unit/dev_fixture.h"
#include "tests/unit/temp_file.h"

namespace kasou {
namespace {

MachineConfig small() {
  MachineConfig c;
  c.ram_bytes = 32ull << 20;
  return c;
}

TEST_CASE("board: without the chipset option nothing of it exists") {
  Machine m(small());
  Board b = build_board(m, BoardOptions{});
  CHECK(b.pci == nullptr);
  CHECK(m.io().handler(0xCF8) == nullptr);
  CHECK(m.io().handler(0x510) == nullptr);
  CHECK(m.memory().page(0xF0000).kind == PageKind::kRam);
}

TEST_CASE("board: the chipset: PCI functions, IDE drives, fw_cfg, PAM, power-off") {
  test::TempFile disk(test::patterned_image(128));
  test::TempFile iso(test::patterned_image(4 * 16));
  Machine m(small());
  BoardOptions o;
  o.chipset.enabled = true;
  o.chipset.ide[0] = {IdeDriveOptions::Kind::kDisk, disk.path(), false};
  o.chipset.ide[2] = {IdeDriveOptions::Kind::kCdrom, iso.path(), false};
  o.chipset.boot_order = {FwCfg::ide_boot_path(1, 0)};
  Board b = build_board(m, o);
  IoBus& io = m.io();
  REQUIRE(b.pci != nullptr);
  CHECK(test::cfg_read(io, 0, 0, 0, 4) == 0x12378086u);
  CHECK(test::cfg_read(io, 1, 0, 0, 4) == 0x70008086u);
  CHECK(test::cfg_read(io, 1, 1, 0, 4) == 0x70108086u);
  CHECK(test::cfg_read(io, 1, 3, 0, 4) == 0x71138086u);
  CHECK(test::cfg_read(io, 1, 2, 0, 4) == 0xFFFFFFFFu);
  CHECK(b.ide->channel(0).drive(0).kind() == IdeDrive::Kind::kDisk);
  CHECK(b.ide->channel(1).drive(0).kind() == IdeDrive::Kind::kCdrom);
  CHECK(b.ide->channel(1).drive(0).state().media_present);
  // At reset PAM sends 0xC0000-0xFFFFF to the bus (no BIOS mapped here).
  CHECK(m.memory().page(0xF0000).kind == PageKind::kUnassigned);
  test::cfg_write(io, 0, 0, 0x59, 0x30, 1);
  CHECK(m.memory().page(0xF0000).kind == PageKind::kRam);
  // fw_cfg: the memory size the firmware reads.
  io.write(0x510, fw_cfg::kRamSize, 2);
  uint64_t ram = 0;
  for (int i = 0; i < 8; i++) ram |= uint64_t{static_cast<uint8_t>(io.read(0x511, 1))} << (8 * i);
  CHECK(ram == 32ull << 20);
  CHECK(b.fw_cfg->file("bootorder") != nullptr);
  // The IDE controller as the firmware enables it; the disk answers.
  test::cfg_write(io, 1, 1, 0x04, 0x05, 2);
  test::cfg_write(io, 1, 1, 0x40, 0x8000, 2);
  CHECK(io.read(0x1F7, 1) == 0x50);
  // Power management as SeaBIOS sets it up, then \_S5: the machine stops powered off.
  test::cfg_write(io, 1, 3, 0x40, 0xB001, 4);
  test::cfg_write(io, 1, 3, 0x80, 0x01, 1);
  io.write(0xB004, 0x2000, 2);
  CHECK(m.stop_reason() == StopReason::kPowerOff);
  CHECK(m.exit_code() == 0);
}

TEST_CASE("board: a missing disk image is refused with its name") {
  Machine m(small());
  BoardOptions o;
  o.chipset.enabled = true;
  o.chipset.ide[0] = {IdeDriveOptions::Kind::kDisk, "/nonexistent/disk.img", false};
  try {
    build_board(m, o);
    FAIL("no error");
  } catch (const DiskError& e) {
    CHECK(std::string(e.what()).find("/nonexistent/disk.img") != std::string::npos);
  }
}

}  // namespace
}  // namespace kasou
