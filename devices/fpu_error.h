// The PC/AT's x87 error logic (the MS-DOS compatibility mode of CR0.NE = 0; SDM
// vol. 1 D.2, Intel AP-578): the CPU's FERR# output sets a latch that drives
// IRQ13; an OUT to port F0h clears the latch (IRQ13 drops) and asserts IGNNE#,
// so the error handler's next x87 instruction runs instead of freezing. IGNNE#
// drops with FERR# (the handler's FNCLEX/FNINIT), which the CPU side does
// (core/interp/x87.cpp). With CR0.NE = 1 the CPU raises #MF instead and FERR# is
// never asserted.
#pragma once

#include <cstdint>

#include "core/device.h"
#include "core/io_bus.h"

namespace kasou {

struct Vcpu;

class FpuError : public Device, public IoHandler, public IrqSink {
 public:
  static constexpr uint16_t kPort = 0xF0;
  // Wires itself to `cpu`'s FERR# output; raises `irq13`.
  FpuError(IoBus& io, Vcpu& cpu, IrqLine irq13);
  const char* name() const override { return "fpu-error"; }
  const char* io_name() const override { return "fpu-error"; }
  void reset() override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  uint32_t io_read(uint16_t port, unsigned size_bytes) override;
  void io_write(uint16_t port, uint32_t value, unsigned size_bytes) override;
  // FERR# from the CPU (line 0).
  void set_irq(unsigned line, bool level) override;

  struct State {
    uint8_t ferr = 0;   // FERR# as last seen
    uint8_t latch = 0;  // the IRQ13 request
  };
  const State& state() const { return st_; }

 private:
  Vcpu& cpu_;
  IrqLine irq13_;
  State st_{};
};

}  // namespace kasou
