// The board: wiring of the devices onto a Machine.
#include "devices/board.h"

#include <ctime>
#include <memory>

#include "core/machine.h"
#include "core/mmu.h"
#include "devices/cmos.h"
#include "devices/debug_ports.h"
#include "devices/fpu_error.h"
#include "devices/device_host.h"
#include "devices/fw_cfg.h"
#include "devices/i440fx.h"
#include "devices/ide.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/pic.h"
#include "devices/piix3.h"
#include "devices/piix4_pm.h"
#include "devices/pit.h"
#include "devices/port92.h"
#include "devices/uart16550.h"
#include "devices/vga.h"
#include "devices/vga_pci.h"
#include "disks/raw_image.h"

namespace kasou {
namespace {
// Owns the DeviceHost the platform devices share; added first, so it lives as
// long as they do.
class HostHolder : public Device {
 public:
  explicit HostHolder(Machine& m) : host(m) {}
  const char* name() const override { return "device-host"; }
  MachineDeviceHost host;
};

// The chipset section: PCI bus and functions, drives, fw_cfg.
void build_chipset(Machine& m, Board& b, const ChipsetOptions& opts) {
  Machine* mp = &m;
  auto irq = [&](unsigned line) { return IrqLine{b.pic, line}; };
  b.pci = m.add_device(std::make_unique<PciBus>(m.io(), m.memory()));
  // PAM changes remap 0xC0000-0xFFFFF: cached translations of those pages go.
  b.host_bridge = m.add_device(std::make_unique<I440fx>(m.memory(), [mp] { tlb_flush_all(mp->vcpu()); }));
  b.isa_bridge = m.add_device(std::make_unique<Piix3Isa>(b.pic, [mp] { mp->request_reset(); }));
  b.ide = m.add_device(std::make_unique<Piix3Ide>(m.memory(), irq(14), irq(15)));
  b.pm = m.add_device(std::make_unique<Piix4Pm>(
      m.scheduler(), [mp] { return mp->now_ns(); }, irq(9),
      [mp] { mp->request_stop(StopReason::kPowerOff, 0, "the guest powered the machine off (ACPI S5)"); }));
  b.pci->attach(0, 0, *b.host_bridge);
  b.pci->attach(1, 0, *b.isa_bridge);
  b.pci->attach(1, 1, *b.ide);
  b.pci->attach(1, 3, *b.pm);
  b.pci->set_pirq_sink(b.isa_bridge);
  b.pci->set_reset_control(b.isa_bridge);
  for (unsigned i = 0; i < 4; i++) {
    const IdeDriveOptions& d = opts.ide[i];
    const unsigned ch = i / 2, unit = i % 2;
    if (d.kind == IdeDriveOptions::Kind::kDisk) {
      const auto mode = d.read_only ? RawImage::Mode::kReadOnly : RawImage::Mode::kReadWrite;
      b.ide->attach_disk(ch, unit, std::make_unique<RawImage>(d.image, mode));
    } else if (d.kind == IdeDriveOptions::Kind::kCdrom) {
      b.ide->attach_cdrom(ch, unit, d.image.empty() ? nullptr : std::make_unique<RawImage>(d.image, RawImage::Mode::kReadOnly));
    }
  }
  b.fw_cfg = m.add_device(std::make_unique<FwCfg>(m.io(), m.memory()));
  PcFirmwareConfig fw;
  fw.ram_bytes = m.memory().ram_bytes();
  fw.nographic = opts.nographic;
  fw.boot_order = opts.boot_order;
  fw.boot_fail_wait_ms = opts.boot_fail_wait_ms;
  fw.boot_menu = opts.boot_menu;
  b.fw_cfg->add_pc_items(fw);
  for (const auto& [name, data] : opts.firmware_files) b.fw_cfg->add_file(name, data);
}
}  // namespace

Board build_board(Machine& m, const BoardOptions& opts) {
  Board b;
  DeviceHost& host = m.add_device(std::make_unique<HostHolder>(m))->host;

  b.pic = m.add_device(std::make_unique<Pic8259>(m.io(), host));
  m.set_interrupt_controller(b.pic);
  auto irq = [&](unsigned line) { return IrqLine{b.pic, line}; };

  b.pit = m.add_device(std::make_unique<Pit8254>(m.io(), host, irq(0)));

  const MachineConfig& cfg = m.config();
  const int64_t epoch = cfg.deterministic ? cfg.rtc_epoch : static_cast<int64_t>(std::time(nullptr));
  b.cmos = m.add_device(std::make_unique<Cmos>(m.io(), host, irq(8), epoch));
  // RAM above 3 GiB is remapped above 4 GiB when the machine has 3.5 GiB or more (as QEMU's i440FX does).
  const uint64_t ram = cfg.ram_bytes;
  const uint64_t below = ram >= 0xE0000000ull ? 0xC0000000ull : ram;
  b.cmos->set_memory_size(below, ram - below);

  b.port92 = m.add_device(std::make_unique<Port92>(m.io(), host));
  Port92* p92 = b.port92;
  b.i8042 = m.add_device(
      std::make_unique<I8042>(m.io(), host, irq(1), irq(12), [p92](bool on) { p92->set_kbc_a20(on); }));

  m.add_device(std::make_unique<FpuError>(m.io(), m.vcpu(), irq(13)));
  m.add_device(std::make_unique<DebugConsole>(m.io(), 0xE9, opts.debugcon));
  // QEMU's debugcon port, where SeaBIOS writes its log.
  m.add_device(std::make_unique<DebugConsole>(m.io(), 0x402, opts.debugcon));
  m.add_device(std::make_unique<DebugExit>(m, 0xF4));
  m.add_device(std::make_unique<PostPort>(m.io()));
  b.com1 = m.add_device(std::make_unique<Uart16550>(m.io(), host, 0x3F8, irq(4), opts.serial, opts.serial_in, "com1"));
  b.com2 = m.add_device(std::make_unique<Uart16550>(m.io(), host, 0x2F8, irq(3), nullptr, nullptr, "com2"));
  if (opts.chipset.enabled) build_chipset(m, b, opts.chipset);

  // VGA: ports 0x3B0-0x3DF, 0x1CE/0x1CF; window 0xA0000-0xBFFFF; LFB (later PCI BAR0 of 1234:1111).
  if (opts.vga) {
    VgaConfig vc = opts.vga_config;
    if (b.pci) vc.lfb_base = 0;  // the PCI BAR maps the framebuffer
    b.vga = m.add_device(std::make_unique<Vga>(vc, [&m] { return m.now_ns(); }));
    b.vga->attach(m.io(), m.memory());
    if (b.pci) {
      b.vga_pci = m.add_device(std::make_unique<VgaPci>(*b.vga, opts.vga_rom));
      b.pci->attach(2, 0, *b.vga_pci);
    }
  }
  return b;
}

}  // namespace kasou
