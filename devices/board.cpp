// The board: wiring of the devices onto a Machine.
#include "devices/board.h"

#include <memory>

#include "core/machine.h"
#include "devices/debug_ports.h"
#include "devices/uart16550.h"

namespace kasou {

void build_board(Machine& m, const BoardOptions& opts) {
  m.add_device(std::make_unique<DebugConsole>(m.io(), 0xE9, opts.debugcon));
  m.add_device(std::make_unique<DebugExit>(m, 0xF4));
  m.add_device(std::make_unique<PostPort>(m.io()));
  m.add_device(std::make_unique<Uart16550>(m.io(), 0x3F8, opts.serial, "com1"));
  m.add_device(std::make_unique<Uart16550>(m.io(), 0x2F8, nullptr, "com2"));
}

}  // namespace kasou
