// The board file: which device sits at which port, IRQ and address.
//
// build_board() attaches the devices a guest of this stage needs: the debug
// console (0xE9), the QEMU-compatible debug-exit port (0xF4), the POST port (0x80)
// and COM1 (0x3F8). The full i440FX/PIIX3 PC arrives with the PC platform.
#pragma once

#include "devices/char_sink.h"

namespace kasou {

class Machine;

struct BoardOptions {
  CharSink* serial = nullptr;   // COM1 output (nullptr: discarded)
  CharSink* debugcon = nullptr; // port 0xE9 output
};

void build_board(Machine& m, const BoardOptions& opts);

}  // namespace kasou
