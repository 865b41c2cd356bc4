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
//   debug console 0xE9, debug exit 0xF4, POST 0x80
#pragma once

#include "devices/char_sink.h"

namespace kasou {

class Machine;
class Pic8259;
class Pit8254;
class Cmos;
class I8042;
class Port92;
class Uart16550;

struct BoardOptions {
  CharSink* serial = nullptr;     // COM1 output (nullptr: discarded)
  CharSink* debugcon = nullptr;   // port 0xE9 output
  CharSource* serial_in = nullptr;  // COM1 input (nullptr: none)
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
};

Board build_board(Machine& m, const BoardOptions& opts);

}  // namespace kasou
