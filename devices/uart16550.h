// UART NS16550A (COM1 at 0x3F8 / IRQ 4, COM2 at 0x2F8 / IRQ 3).
//
// The full register file: RBR/THR, IER, IIR (with the FIFO bits), FCR (FIFO
// enable, resets, receive trigger level 1/4/8/14), LCR (DLAB, word format),
// MCR, LSR, MSR, SCR, divisor latch. 16-byte receive FIFO (a one-byte holding
// register with FIFOs off), overrun, the four interrupt sources with their IIR
// priorities (line status > received data / character timeout > THR empty >
// modem status), the character timeout after four character times of the
// programmed format and baud rate (a scheduler event). Loopback: THR feeds the
// receiver, MCR drives MSR (RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD) with delta
// bits and modem-status interrupts, and the serial output is disconnected.
//
// Transmit completes at once: the byte goes to the sink when written and THR /
// the transmitter are empty again immediately, so LSR.THRE and TEMT always read
// 1; the THR-empty interrupt follows the 16550 rules (set when THR empties or
// when ETBEI is enabled with THR empty, cleared by writing THR or by reading IIR
// while it is the reported source). Polled output therefore costs nothing.
//
// The interrupt output reaches the IRQ line only with MCR.OUT2 set and outside
// loopback (the PC's OUT2 gate; in loopback the OUT2 pin is inactive).
//
// Input: a CharSource polled by a scheduler event, one byte per character time
// while bytes come (every millisecond of virtual time while none do), taken only
// when the receiver has room, so pasted input is never lost.
#pragma once

#include <cstdint>

#include "core/device.h"
#include "core/io_bus.h"
#include "devices/char_sink.h"
#include "devices/device_host.h"

namespace kasou {

class Uart16550 : public Device, public IoHandler {
 public:
  Uart16550(IoBus& io, DeviceHost& host, uint16_t base, IrqLine irq, CharSink* sink, CharSource* source,
            const char* name);
  const char* name() const override { return name_; }
  const char* io_name() const override { return name_; }
  void reset() override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;
  uint32_t io_read(uint16_t port, unsigned size_bytes) override;
  void io_write(uint16_t port, uint32_t value, unsigned size_bytes) override;

  // A byte arriving on the serial line (tests; the source path uses it too).
  // Returns false if the receiver had no room (overrun recorded).
  bool receive(uint8_t b);
  // Nanoseconds one character takes in the programmed format and baud rate.
  uint64_t char_time_ns() const;

  struct State {
    uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
    uint8_t rbr;               // last byte delivered by RBR
    uint8_t thr_ipending;      // THR-empty interrupt latched
    uint8_t timeout_ipending;  // character timeout interrupt
    uint8_t irq_level;
    uint8_t rx_head, rx_count;
    uint8_t rx[16];
    uint8_t pad;
  };
  const State& state() const { return st_; }

 private:
  bool fifo() const { return st_.fcr & 1; }
  unsigned trigger() const;
  uint8_t iir_id() const;  // IIR bits 3-0
  void update_irq();
  void set_msr_inputs(uint8_t status);  // bits 7-4, with delta bits
  void restart_timeout();
  void on_timeout();
  void on_poll(int64_t late_ns);
  void schedule_poll(uint64_t delay_ns, int64_t late_ns = 0);

  DeviceHost& host_;
  uint16_t base_;
  IrqLine irq_;
  CharSink* sink_;
  CharSource* source_;
  const char* name_;
  EventKind timeout_event_;
  EventKind poll_event_;
  State st_{};
};

}  // namespace kasou
