// The board file: which device sits at which port, IRQ and address.
//
// build_board() attaches the legacy PC devices and the debug ports:
//   PIC pair 0x20/0xA0 (+ ELCR 0x4D0) — the machine's interrupt controller
//   PIT 0x40-0x43 and port 0x61 ........ IRQ 0
//   i8042 0x60/0x64 ..................... IRQ 1 (keyboard), IRQ 12 (mouse)
//   CMOS/RTC 0x70/0x71 .................. IRQ 8
//   port 0x92 (fast A20, reset); A20 = port 0x92 bit 1 OR the 8042's A20
//   COM1 0x3F8 .......................... IRQ 4
//   COM2 0x2F8 .......................... IRQ 3
//   x87 error: FERR# latch ............. IRQ 13, cleared by a write to 0xF0 (IGNNE#)
//   debug console 0xE9, debug exit 0xF4, POST 0x80
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "devices/char_sink.h"
#include "devices/vga.h"

namespace kasou {

class Machine;
class Pic8259;
class Pit8254;
class Cmos;
class I8042;
class Port92;
class Uart16550;
class PciBus;
class I440fx;
class Piix3Isa;
class Piix3Ide;
class Piix4Pm;
class FwCfg;
class VgaPci;

// One IDE drive position of the chipset.
struct IdeDriveOptions {
  enum class Kind { kNone, kDisk, kCdrom };
  Kind kind = Kind::kNone;
  std::string image;       // disk image, or the ISO in a CD-ROM drive ("" = no disc)
  bool read_only = false;  // discs are always read-only
};

// The i440FX/PIIX3 PC chipset, for firmware (SeaBIOS) boots: PCI host bridge at
// 00.0 (PAM shadow RAM), PIIX3 ISA bridge 01.0 (PIRQ routing, reset 0xCF9), IDE
// 01.1 (0x1F0/0x170, IRQ 14/15, bus master), PIIX4 power management 01.3 (ACPI
// PM at the base the firmware sets, SCI IRQ 9, S5 power-off), QEMU's fw_cfg
// (0x510). Off unless asked for: multiboot guests run without it.
struct ChipsetOptions {
  bool enabled = false;
  // Primary master, primary slave, secondary master, secondary slave.
  std::array<IdeDriveOptions, 4> ide{};
  // SeaBIOS boot order (fw_cfg "bootorder"), e.g. FwCfg::ide_boot_path(1, 0).
  std::vector<std::string> boot_order;
  bool nographic = false;        // SeaBIOS mirrors its screen on COM1
  int boot_fail_wait_ms = -1;    // -1: SeaBIOS's default (60 s)
  bool boot_menu = false;        // "Press ESC for boot menu" (QEMU -boot menu=on)
  // More fw_cfg files for the firmware, e.g. the ACPI tables and their loader
  // script (firmware/acpi.h) or option ROMs under "genroms/".
  std::vector<std::pair<std::string, std::vector<uint8_t>>> firmware_files;
};

struct BoardOptions {
  CharSink* serial = nullptr;     // COM1 output (nullptr: discarded)
  CharSink* debugcon = nullptr;   // port 0xE9 output
  CharSource* serial_in = nullptr;  // COM1 input (nullptr: none)
  ChipsetOptions chipset{};
  // The VGA (std VGA + Bochs VBE: ports 0x3B0-0x3DF and 0x1CE/0x1CF, window
  // 0xA0000-0xBFFFF, LFB at vga_config.lfb_base). Off unless asked for, so guests
  // that do not use it keep 0xA0000 as RAM and run without it.
  bool vga = false;
  VgaConfig vga_config{};
  // With the chipset, the VGA is PCI device 1234:1111 at 00:02.0 (framebuffer in
  // BAR0) and this option ROM (vgabios-stdvga.bin) is its expansion ROM.
  std::vector<uint8_t> vga_rom;
};

// The devices build_board() created (owned by the machine), for the frontend:
// key and mouse injection, the speaker, NVRAM set-up.
struct Board {
  Pic8259* pic = nullptr;
  Pit8254* pit = nullptr;
  Cmos* cmos = nullptr;
  I8042* i8042 = nullptr;
  Port92* port92 = nullptr;
  Uart16550* com1 = nullptr;
  Uart16550* com2 = nullptr;
  // With ChipsetOptions::enabled (PCI functions go into free slots of `pci`,
  // e.g. the VGA at 00:02.0; option ROMs into fw_cfg "vgaroms/" or "genroms/").
  PciBus* pci = nullptr;
  I440fx* host_bridge = nullptr;
  Piix3Isa* isa_bridge = nullptr;
  Piix3Ide* ide = nullptr;
  Piix4Pm* pm = nullptr;
  FwCfg* fw_cfg = nullptr;
  Vga* vga = nullptr;  // when BoardOptions::vga
  VgaPci* vga_pci = nullptr;  // when BoardOptions::vga with the chipset
};

Board build_board(Machine& m, const BoardOptions& opts);

}  // namespace kasou
