// Port 0x92 and the A20 gate.
#include "devices/port92.h"

#include "core/state_io.h"

namespace kasou {

Port92::Port92(IoBus& io, DeviceHost& host) : host_(host) { io.register_ports(0x92, 1, this, 1); }

void Port92::reset() {
  st_ = State{};
  apply();
}

void Port92::apply() { host_.set_a20(st_.kbc_a20 || (st_.value & 2)); }

void Port92::set_kbc_a20(bool on) {
  st_.kbc_a20 = on;
  apply();
}

uint32_t Port92::io_read(uint16_t, unsigned) { return st_.value; }

void Port92::io_write(uint16_t, uint32_t value, unsigned) {
  const uint8_t old = st_.value;
  st_.value = static_cast<uint8_t>(value);
  apply();
  if ((st_.value & 1) && !(old & 1)) host_.request_reset();
}

void Port92::save(StateWriter& w) const {
  w.begin_section("port92", 1);
  w.put(st_);
  w.end_section();
}

void Port92::load(StateReader& r) {
  if (r.open_section("port92") != 1) throw StateError("port92: unknown state version");
  r.get(st_);
  apply();
}

}  // namespace kasou
