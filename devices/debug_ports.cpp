// Debug console, debug exit and POST port.
#include "devices/debug_ports.h"

#include <fmt/format.h>

#include "core/machine.h"

namespace kasou {

DebugConsole::DebugConsole(IoBus& io, uint16_t port, CharSink* sink) : port_(port), sink_(sink) {
  io.register_ports(port, 1, this, 1);
}

// Reading returns 0xE9 on any port, as QEMU's isa-debugcon does: that is how
// SeaBIOS and others detect the console before writing to it.
uint32_t DebugConsole::io_read(uint16_t, unsigned) { return 0xE9; }

void DebugConsole::io_write(uint16_t, uint32_t value, unsigned) {
  if (sink_) sink_->put(static_cast<uint8_t>(value));
}

DebugExit::DebugExit(Machine& m, uint16_t port) : machine_(m) {
  m.io().register_ports(port, 4, this, 1 | 2 | 4);
}

void DebugExit::io_write(uint16_t, uint32_t value, unsigned size_bytes) {
  uint32_t v = size_bytes == 4 ? value : value & ((1u << (8 * size_bytes)) - 1);
  int status = static_cast<int>(((v << 1) | 1) & 0xFF);
  machine_.request_stop(StopReason::kGuestExit, status,
                        fmt::format("guest wrote {:#x} to the debug-exit port", v));
}

PostPort::PostPort(IoBus& io) { io.register_ports(0x80, 1, this, 1); }

}  // namespace kasou
