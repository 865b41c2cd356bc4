// MachineDeviceHost: DeviceHost on top of a Machine.
#include "devices/device_host.h"

#include <cstdio>

#include "core/machine.h"

namespace kasou {

Scheduler& MachineDeviceHost::scheduler() { return m_.scheduler(); }
uint64_t MachineDeviceHost::now_ns() const { return m_.now_ns(); }
void MachineDeviceHost::interrupt_changed() { m_.interrupt_changed(); }
void MachineDeviceHost::set_a20(bool enabled) { m_.set_a20(enabled); }
void MachineDeviceHost::request_reset() { m_.request_reset(); }

void MachineDeviceHost::log(const std::string& message) {
  if (logs_ >= kMaxLogs) return;
  if (++logs_ == kMaxLogs)
    std::fprintf(stderr, "[device] %s (further device messages suppressed)\n", message.c_str());
  else
    std::fprintf(stderr, "[device] %s\n", message.c_str());
}

}  // namespace kasou
