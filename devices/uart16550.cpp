// UART 16550A: register file, receive FIFO, interrupt priorities, loopback.
#include "devices/uart16550.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/state_io.h"

namespace kasou {
namespace {
constexpr uint8_t kLcrDlab = 0x80;
constexpr uint8_t kLsrDr = 0x01, kLsrOe = 0x02, kLsrPe = 0x04, kLsrFe = 0x08, kLsrBi = 0x10, kLsrThre = 0x20,
                  kLsrTemt = 0x40;
constexpr uint8_t kLsrErrors = kLsrOe | kLsrPe | kLsrFe | kLsrBi;
constexpr uint8_t kIerRda = 0x01, kIerThre = 0x02, kIerRls = 0x04, kIerMs = 0x08;
constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08, kMcrLoop = 0x10;
constexpr uint8_t kMsrHost = 0xB0;  // a connected terminal: CTS, DSR, DCD
constexpr uint64_t kIdlePollNs = 1000000;
}  // namespace

Uart16550::Uart16550(IoBus& io, DeviceHost& host, uint16_t base, IrqLine irq, CharSink* sink, CharSource* source,
                     const char* name)
    : host_(host), base_(base), irq_(irq), sink_(sink), source_(source), name_(name) {
  timeout_event_ = host_.scheduler().register_kind(std::string(name) + ".timeout",
                                                   [this](uint64_t, int64_t) { on_timeout(); });
  poll_event_ = host_.scheduler().register_kind(std::string(name) + ".input",
                                                [this](uint64_t, int64_t late) { on_poll(late); });
  io.register_ports(base, 8, this, 1);
  st_.dll = 0x0C;  // 9600 baud (the divisor latch is not affected by reset)
  reset();
}

void Uart16550::reset() {
  const uint8_t dll = st_.dll, dlm = st_.dlm, scr = st_.scr;
  st_ = State{};
  st_.dll = dll;
  st_.dlm = dlm;
  st_.scr = scr;
  st_.lsr = kLsrThre | kLsrTemt;
  st_.msr = kMsrHost;
  host_.scheduler().cancel(timeout_event_);
  host_.scheduler().cancel(poll_event_);
  irq_.lower();
  if (source_) schedule_poll(kIdlePollNs);
}

uint64_t Uart16550::char_time_ns() const {
  unsigned divisor = static_cast<unsigned>(st_.dlm) << 8 | st_.dll;
  if (!divisor) divisor = 0x10000;  // no valid baud rate: the slowest clock
  const unsigned data = 5 + (st_.lcr & 3);
  // In half bits: start + data + parity + stop (1, or 1.5 with 5 data bits, or 2).
  unsigned half_bits = 2 * (1 + data + ((st_.lcr & 0x08) ? 1 : 0));
  half_bits += (st_.lcr & 0x04) ? (data == 5 ? 3 : 4) : 2;
  // One bit is 16 cycles of the 1.8432 MHz clock per divisor step.
  return static_cast<uint64_t>(half_bits) * divisor * 16 * 1000000000ull / (2 * 1843200ull);
}

unsigned Uart16550::trigger() const {
  static constexpr unsigned kLevels[4] = {1, 4, 8, 14};
  return kLevels[st_.fcr >> 6];
}

uint8_t Uart16550::iir_id() const {
  if ((st_.ier & kIerRls) && (st_.lsr & kLsrErrors)) return 0x06;
  if (st_.ier & kIerRda) {
    if (fifo() ? st_.rx_count >= trigger() : st_.rx_count > 0) return 0x04;
    if (fifo() && st_.timeout_ipending) return 0x0C;
  }
  if ((st_.ier & kIerThre) && st_.thr_ipending) return 0x02;
  if ((st_.ier & kIerMs) && (st_.msr & 0x0F)) return 0x00;
  return 0x01;
}

void Uart16550::update_irq() {
  const bool level = !(iir_id() & 1) && (st_.mcr & kMcrOut2) && !(st_.mcr & kMcrLoop);
  if (level != static_cast<bool>(st_.irq_level)) {
    st_.irq_level = level;
    irq_.set(level);
  }
}

bool Uart16550::receive(uint8_t b) {
  const unsigned cap = fifo() ? 16 : 1;
  bool ok = true;
  if (st_.rx_count >= cap) {
    st_.lsr |= kLsrOe;
    if (!fifo()) st_.rx[st_.rx_head] = b;  // the holding register is overwritten
    ok = false;
  } else {
    st_.rx[(st_.rx_head + st_.rx_count) % 16] = b;
    st_.rx_count++;
  }
  st_.lsr |= kLsrDr;
  st_.timeout_ipending = 0;
  restart_timeout();
  update_irq();
  return ok;
}

void Uart16550::restart_timeout() {
  host_.scheduler().cancel(timeout_event_);
  if (fifo() && st_.rx_count) {
    host_.scheduler().schedule_in(4 * char_time_ns(), timeout_event_, 0);
    host_.interrupt_changed();  // the CPU's deadline may be later than this event
  }
}

void Uart16550::on_timeout() {
  if (fifo() && st_.rx_count) {
    st_.timeout_ipending = 1;
    update_irq();
  }
}

void Uart16550::schedule_poll(uint64_t delay_ns, int64_t late_ns) {
  // Relative to when the current event was due, so a late event does not slow the input down.
  host_.scheduler().cancel(poll_event_);
  host_.scheduler().schedule_at(host_.now_ns() - static_cast<uint64_t>(late_ns) + delay_ns, poll_event_, 0);
}

void Uart16550::on_poll(int64_t late) {
  if (!source_ || source_->at_end()) return;
  const uint64_t ct = char_time_ns();
  const unsigned cap = fifo() ? 16 : 1;
  if (st_.mcr & kMcrLoop) {
    schedule_poll(std::max(ct, kIdlePollNs), late);  // the line is looped back: input waits
    return;
  }
  if (st_.rx_count >= cap) {
    schedule_poll(ct, late);  // no room: look again after a character time
    return;
  }
  const int c = source_->read();
  if (c >= 0) {
    receive(static_cast<uint8_t>(c));
    schedule_poll(ct, late);
  } else if (!source_->at_end()) {
    schedule_poll(std::max(ct, kIdlePollNs), late);
  }
}

void Uart16550::set_msr_inputs(uint8_t status) {
  const uint8_t old = st_.msr & 0xF0;
  uint8_t delta = 0;
  if ((old ^ status) & 0x10) delta |= 0x01;          // DCTS
  if ((old ^ status) & 0x20) delta |= 0x02;          // DDSR
  if ((old & 0x40) && !(status & 0x40)) delta |= 0x04;  // TERI: trailing edge of RI
  if ((old ^ status) & 0x80) delta |= 0x08;          // DDCD
  st_.msr = static_cast<uint8_t>(status | (st_.msr & 0x0F) | delta);
}

uint32_t Uart16550::io_read(uint16_t port, unsigned) {
  uint8_t r = 0xFF;
  switch (port - base_) {
    case 0:
      if (st_.lcr & kLcrDlab) {
        r = st_.dll;
        break;
      }
      if (st_.rx_count) {
        st_.rbr = st_.rx[st_.rx_head];
        st_.rx_head = (st_.rx_head + 1) % 16;
        st_.rx_count--;
      }
      r = st_.rbr;
      if (!st_.rx_count) st_.lsr &= ~kLsrDr;
      st_.timeout_ipending = 0;
      restart_timeout();
      update_irq();
      break;
    case 1: r = (st_.lcr & kLcrDlab) ? st_.dlm : st_.ier; break;
    case 2: {
      const uint8_t id = iir_id();
      r = static_cast<uint8_t>(id | (fifo() ? 0xC0 : 0));
      if (id == 0x02) {  // reading IIR clears a reported THR-empty interrupt
        st_.thr_ipending = 0;
        update_irq();
      }
      break;
    }
    case 3: r = st_.lcr; break;
    case 4: r = st_.mcr; break;
    case 5:
      r = st_.lsr;
      st_.lsr &= ~kLsrErrors;
      update_irq();
      break;
    case 6:
      r = st_.msr;
      st_.msr &= 0xF0;
      update_irq();
      break;
    case 7: r = st_.scr; break;
  }
  return r;
}

void Uart16550::io_write(uint16_t port, uint32_t value, unsigned) {
  const uint8_t v = static_cast<uint8_t>(value);
  switch (port - base_) {
    case 0:
      if (st_.lcr & kLcrDlab) {
        st_.dll = v;
        break;
      }
      st_.thr_ipending = 0;
      if (st_.mcr & kMcrLoop) receive(v);
      else if (sink_) sink_->put(v);
      // The byte leaves at once: THR and the transmitter are empty again.
      st_.lsr |= kLsrThre | kLsrTemt;
      st_.thr_ipending = 1;
      break;
    case 1:
      if (st_.lcr & kLcrDlab) {
        st_.dlm = v;
      } else {
        const uint8_t changed = (st_.ier ^ v) & 0x0F;
        st_.ier = v & 0x0F;
        if (changed & kIerThre) st_.thr_ipending = (st_.ier & kIerThre) && (st_.lsr & kLsrThre);
      }
      break;
    case 2: {
      const bool was = fifo();
      if (!(v & 1)) {
        st_.fcr = 0;  // FIFOs off; the other bits are only written with bit 0 set
      } else {
        st_.fcr = v & 0xC9;
      }
      if (was != fifo() || (v & 0x02)) {  // mode change or receive FIFO reset
        st_.rx_count = 0;
        st_.rx_head = 0;
        st_.lsr &= ~kLsrDr;
        st_.timeout_ipending = 0;
        host_.scheduler().cancel(timeout_event_);
      }
      break;
    }
    case 3: st_.lcr = v; break;
    case 4: {
      st_.mcr = v & 0x1F;
      if (st_.mcr & kMcrLoop) {
        const uint8_t m = st_.mcr;
        set_msr_inputs(static_cast<uint8_t>(((m & kMcrRts) ? 0x10 : 0) | ((m & kMcrDtr) ? 0x20 : 0) |
                                            ((m & kMcrOut1) ? 0x40 : 0) | ((m & kMcrOut2) ? 0x80 : 0)));
      } else {
        set_msr_inputs(kMsrHost);
      }
      break;
    }
    case 5:
    case 6:
      host_.log(fmt::format("{}: port {:#x}: write {:#04x} to a read-only register ignored", name_, port, v));
      break;
    case 7: st_.scr = v; break;
  }
  update_irq();
}

void Uart16550::save(StateWriter& w) const {
  w.begin_section(name_, 1);
  w.put(st_);
  w.end_section();
}

void Uart16550::load(StateReader& r) {
  if (r.open_section(name_) != 1) throw StateError(std::string(name_) + ": unknown state version");
  r.get(st_);
}

}  // namespace kasou
