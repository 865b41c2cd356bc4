// UART 16550A register file (polled transmit).
#include "devices/uart16550.h"

namespace kasou {
namespace {
constexpr uint8_t kLcrDlab = 0x80;
constexpr uint8_t kLsrThre = 0x20, kLsrTemt = 0x40;
constexpr uint8_t kMcrLoop = 0x10;
}  // namespace

Uart16550::Uart16550(IoBus& io, uint16_t base, CharSink* sink, const char* name)
    : base_(base), sink_(sink), name_(name) {
  io.register_ports(base, 8, this, 1);
  reset();
}

void Uart16550::reset() {
  st_ = State{};
  st_.iir = 0x01;  // no interrupt pending
  st_.lsr = kLsrThre | kLsrTemt;
  st_.dll = 0x0C;  // 9600 baud
}

uint32_t Uart16550::io_read(uint16_t port, unsigned) {
  switch (port - base_) {
    case 0: return (st_.lcr & kLcrDlab) ? st_.dll : st_.rbr;
    case 1: return (st_.lcr & kLcrDlab) ? st_.dlm : st_.ier;
    case 2: return st_.iir | ((st_.fcr & 1) ? 0xC0 : 0);
    case 3: return st_.lcr;
    case 4: return st_.mcr;
    case 5: return st_.lsr;
    case 6:
      if (st_.mcr & kMcrLoop) {
        // Loopback: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
        uint8_t m = st_.mcr;
        return ((m & 2) << 3) | ((m & 1) << 5) | ((m & 4) << 4) | ((m & 8) << 4);
      }
      return st_.msr;
    case 7: return st_.scr;
  }
  return 0xFF;
}

void Uart16550::io_write(uint16_t port, uint32_t value, unsigned) {
  uint8_t v = static_cast<uint8_t>(value);
  switch (port - base_) {
    case 0:
      if (st_.lcr & kLcrDlab) st_.dll = v;
      else if (st_.mcr & kMcrLoop) st_.rbr = v, st_.lsr |= 1;
      else if (sink_) sink_->put(v);
      break;
    case 1:
      if (st_.lcr & kLcrDlab) st_.dlm = v;
      else st_.ier = v & 0x0F;
      break;
    case 2: st_.fcr = v; break;
    case 3: st_.lcr = v; break;
    case 4: st_.mcr = v & 0x1F; break;
    case 7: st_.scr = v; break;
    default: break;
  }
}

}  // namespace kasou
