// The board: wiring of the devices onto a Machine.
#include "devices/board.h"

#include <ctime>
#include <memory>

#include "core/machine.h"
#include "devices/cmos.h"
#include "devices/debug_ports.h"
#include "devices/device_host.h"
#include "devices/i8042.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/port92.h"
#include "devices/uart16550.h"

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

  m.add_device(std::make_unique<DebugConsole>(m.io(), 0xE9, opts.debugcon));
  m.add_device(std::make_unique<DebugExit>(m, 0xF4));
  m.add_device(std::make_unique<PostPort>(m.io()));
  b.com1 = m.add_device(std::make_unique<Uart16550>(m.io(), host, 0x3F8, irq(4), opts.serial, opts.serial_in, "com1"));
  b.com2 = m.add_device(std::make_unique<Uart16550>(m.io(), host, 0x2F8, irq(3), nullptr, nullptr, "com2"));

  return b;
}

}  // namespace kasou
