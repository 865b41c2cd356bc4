// FERR# -> IRQ13 latch, port F0h -> IGNNE# (see fpu_error.h).
#include "devices/fpu_error.h"

#include "core/state_io.h"
#include "core/vcpu.h"

namespace kasou {

FpuError::FpuError(IoBus& io, Vcpu& cpu, IrqLine irq13) : cpu_(cpu), irq13_(irq13) {
  io.register_ports(kPort, 1, this, 1);
  cpu_.fpu_ferr = IrqLine{this, 0};
}

void FpuError::reset() {
  st_ = State{};
  irq13_.lower();
}

void FpuError::set_irq(unsigned, bool level) {
  if (level && !st_.ferr) {
    st_.latch = 1;
    irq13_.raise();
  }
  st_.ferr = level;
}

uint32_t FpuError::io_read(uint16_t, unsigned) { return 0xFF; }

void FpuError::io_write(uint16_t, uint32_t, unsigned) {
  if (st_.latch) {
    st_.latch = 0;
    irq13_.lower();
  }
  if (st_.ferr) cpu_.fpu_ignne = true;
}

void FpuError::save(StateWriter& w) const {
  w.begin_section("fpu-error", 1);
  w.put(st_);
  w.end_section();
}

void FpuError::load(StateReader& r) {
  if (r.open_section("fpu-error") != 1) throw StateError("fpu-error: unknown state version");
  r.get(st_);
  irq13_.set(st_.latch);
}

}  // namespace kasou
