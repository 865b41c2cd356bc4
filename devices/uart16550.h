// UART 16550A (COM1 at 0x3F8, COM2 at 0x2F8).
//
// Current scope: the register file, the divisor latch, scratch register, loopback
// of MCR bits into MSR, and transmit that completes at once (LSR always shows the
// transmitter empty), which is what polled output needs. Receive, the FIFOs and
// interrupts come with the PC platform.
#pragma once

#include <cstdint>

#include "core/device.h"
#include "core/io_bus.h"
#include "devices/char_sink.h"

namespace kasou {

class Uart16550 : public Device, public IoHandler {
 public:
  Uart16550(IoBus& io, uint16_t base, CharSink* sink, const char* name);
  const char* name() const override { return name_; }
  const char* io_name() const override { return name_; }
  void reset() override;
  uint32_t io_read(uint16_t port, unsigned size_bytes) override;
  void io_write(uint16_t port, uint32_t value, unsigned size_bytes) override;

  struct State {
    uint8_t ier, iir, fcr, lcr, mcr, lsr, msr, scr, dll, dlm, rbr;
  };
  const State& state() const { return st_; }

 private:
  uint16_t base_;
  CharSink* sink_;
  const char* name_;
  State st_{};
};

}  // namespace kasou
