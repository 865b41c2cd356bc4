// 8254 counters in closed form: state at any clock pulse from the pulse that
// loaded the count; OUT0 changes are scheduler events.
#include "devices/pit.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "core/state_io.h"

namespace kasou {
namespace {
__extension__ typedef unsigned __int128 u128;
constexpr int64_t kForever = std::numeric_limits<int64_t>::max();
constexpr uint64_t kRefreshNs = 15085;  // DRAM refresh request period (port 0x61 bit 4)

uint16_t to_bcd(uint32_t v) {
  return static_cast<uint16_t>(((v / 1000 % 16) << 12) | ((v / 100 % 10) << 8) | ((v / 10 % 10) << 4) | (v % 10));
}
}  // namespace

int64_t Pit8254::tick_at(uint64_t ns) { return static_cast<int64_t>(static_cast<u128>(ns) * kHz / 1000000000u); }

uint64_t Pit8254::time_of_tick(int64_t k) {
  if (k <= 0) return 0;
  return static_cast<uint64_t>((static_cast<u128>(k) * 1000000000u + kHz - 1) / kHz);
}

Pit8254::Pit8254(IoBus& io, DeviceHost& host, IrqLine irq0) : io_(io), host_(host), irq0_(irq0) {
  event_ = host_.scheduler().register_kind("pit.out0", [this](uint64_t payload, int64_t) { on_event(payload); });
  io_.register_ports(0x40, 4, this, 1);
  io_.register_ports(0x61, 1, this, 1);
  reset();
}

void Pit8254::reset() {
  host_.scheduler().cancel(event_);
  st_ = State{};
  st_.c[2].gate = 0;  // port 0x61 bit 0 is clear after reset
  irq0_.lower();
}

int64_t Pit8254::now_tick() const { return tick_at(host_.now_ns()); }

uint32_t Pit8254::count_from_cr(const Counter& c) const {
  if (c.bcd) {
    uint32_t d = ((c.cr >> 12) & 15) * 1000u + ((c.cr >> 8) & 15) * 100u + ((c.cr >> 4) & 15) * 10u + (c.cr & 15);
    return d ? d : 10000;
  }
  return c.cr ? c.cr : 65536;
}

uint16_t Pit8254::ce_value(const Counter& c, uint32_t ce) const {
  return c.bcd ? to_bcd(ce % 10000) : static_cast<uint16_t>(ce);
}

void Pit8254::sync(Counter& c, int64_t k) {
  if (!c.pending || k < c.pending_tick || c.run != kActive) return;
  const int64_t b = c.pending_tick;
  if (c.mode == 3) {
    // A mode 3 count takes effect at the end of a half cycle: if that was the
    // high-to-low edge, the new count starts in its low half.
    const int64_t p = (b - c.load_tick) % c.n;
    c.load_tick = p == 0 ? b : b - (c.pending_n + 1) / 2;
  } else {
    c.load_tick = b;
  }
  c.n = c.pending_n;
  c.pending = 0;
}

void Pit8254::eval(const Counter& c, int64_t k, uint32_t& ce, bool& out) const {
  if (c.run != kActive || k < c.load_tick) {
    ce = c.frozen_ce;
    out = c.frozen_out;
    return;
  }
  const int64_t n = c.n;
  const int64_t e = c.paused_tick >= 0 ? std::max<int64_t>(0, c.paused_tick - c.load_tick) : k - c.load_tick;
  const int64_t mod = c.bcd ? 10000 : 65536;
  auto down = [&](int64_t by) { return static_cast<uint32_t>(((n - by % mod) % mod + mod) % mod); };
  switch (c.mode) {
    case 0:
    case 1:
      ce = down(e);
      out = e >= n;
      break;
    case 2: {
      const int64_t p = e % n;
      ce = static_cast<uint32_t>(n - p);
      out = p != n - 1;
      break;
    }
    case 3: {
      const int64_t p = e % n, h = (n + 1) / 2;
      const int64_t top = (n & 1) ? n - 1 : n;
      ce = static_cast<uint32_t>(p < h ? top - 2 * p : top - 2 * (p - h));
      out = p < h;
      break;
    }
    default:  // 4, 5
      ce = down(e);
      out = e != n;
      break;
  }
  if (!c.bcd) ce &= 0xFFFF;
}

int64_t Pit8254::next_out_change(const Counter& c, int64_t k) const {
  if (c.run != kActive || c.paused_tick >= 0) return -1;
  uint32_t ce;
  bool now_out;
  eval(c, k, ce, now_out);
  int64_t from = k;
  if (k < c.load_tick) {
    bool at_load;
    eval(c, c.load_tick, ce, at_load);
    if (at_load != now_out) return c.load_tick;
    from = c.load_tick;
  }
  const int64_t n = c.n, e = from - c.load_tick;
  int64_t next = -1;
  switch (c.mode) {
    case 0:
    case 1:
      if (e < n) next = c.load_tick + n;
      break;
    case 2: {
      if (n == 1) break;  // OUT stays low
      const int64_t p = e % n, base = from - p;
      next = p < n - 1 ? base + n - 1 : base + n;
      break;
    }
    case 3: {
      if (n == 1) break;  // OUT stays high
      const int64_t p = e % n, base = from - p, h = (n + 1) / 2;
      next = p < h ? base + h : base + n;
      break;
    }
    default:
      if (e < n) next = c.load_tick + n;
      else if (e == n) next = c.load_tick + n + 1;
      break;
  }
  if (c.pending && c.pending_tick > k && (next < 0 || next > c.pending_tick)) next = c.pending_tick;
  return next;
}

void Pit8254::update_irq0(int64_t k) {
  Counter& c = st_.c[0];
  sync(c, k);
  uint32_t ce;
  bool o;
  eval(c, k, ce, o);
  irq0_.set(o);
  host_.scheduler().cancel(event_);
  c.event_tick = next_out_change(c, k);
  if (c.event_tick >= 0) host_.scheduler().schedule_at(time_of_tick(c.event_tick), event_, 0);
}

void Pit8254::on_event(uint64_t) {
  const int64_t k = st_.c[0].event_tick;
  if (k >= 0) update_irq0(k);
}

void Pit8254::latch_count(Counter& c, int64_t k) {
  if (c.latched) return;  // a second latch before the first is read is ignored
  sync(c, k);
  uint32_t ce;
  bool o;
  eval(c, k, ce, o);
  c.ol = ce_value(c, ce);
  c.latched = 1;
  c.read_msb = 0;
}

void Pit8254::write_control(uint8_t v, int64_t k) {
  const unsigned sc = v >> 6;
  if (sc == 3) {  // read-back
    for (int i = 0; i < 3; i++) {
      if (!(v & (2u << i))) continue;
      Counter& c = st_.c[i];
      sync(c, k);
      if (!(v & 0x20)) latch_count(c, k);
      if (!(v & 0x10) && !c.status_latched) {
        uint32_t ce;
        bool o;
        eval(c, k, ce, o);
        c.status = static_cast<uint8_t>((o ? 0x80 : 0) | (k < c.null_until ? 0x40 : 0) | (c.rw << 4) |
                                        (c.ctrl_mode << 1) | c.bcd);
        c.status_latched = 1;
      }
    }
    if (v & 1) host_.log(fmt::format("pit: port 0x43: read-back {:#04x} has reserved bit 0 set", v));
    return;
  }
  Counter& c = st_.c[sc];
  const unsigned rw = (v >> 4) & 3;
  if (rw == 0) {
    latch_count(c, k);
    return;
  }
  sync(c, k);
  uint32_t ce;
  bool o;
  eval(c, k, ce, o);
  c.ctrl_mode = (v >> 1) & 7;
  c.mode = c.ctrl_mode >= 6 ? c.ctrl_mode - 4 : c.ctrl_mode;
  c.bcd = v & 1;
  c.rw = static_cast<uint8_t>(rw);
  c.run = kIdle;
  c.frozen_ce = ce;
  c.frozen_out = c.mode == 0 ? 0 : 1;  // OUT goes to its initial state at once
  c.write_msb = c.read_msb = 0;
  c.latched = c.status_latched = 0;
  c.cr_valid = 0;
  c.pending = 0;
  c.paused_tick = -1;
  c.null_until = kForever;
  if (sc == 0) update_irq0(k);
}

void Pit8254::count_written(int idx, int64_t k) {
  Counter& c = st_.c[idx];
  sync(c, k);
  const uint32_t n = count_from_cr(c);
  const int64_t load = k + 1;  // the next clock pulse loads CR into CE
  uint32_t ce;
  bool o;
  eval(c, k, ce, o);
  c.cr_valid = 1;
  switch (c.mode) {
    case 0:
    case 4:
      c.frozen_ce = ce;
      c.frozen_out = c.mode == 0 ? 0 : o;
      c.run = kActive;
      c.n = n;
      c.load_tick = load;
      c.null_until = load;
      c.paused_tick = c.gate ? -1 : load;
      break;
    case 1:
    case 5:
      c.null_until = kForever;  // loaded by the next trigger on GATE
      break;
    default:  // 2, 3
      if (c.run == kActive) {
        // A new count takes effect at the end of the current cycle (mode 2) or
        // half cycle (mode 3).
        const int64_t e = k - c.load_tick;
        int64_t b;
        if (e < 0) {
          b = c.load_tick;
        } else {
          const int64_t p = e % c.n, base = k - p, h = (c.n + 1) / 2;
          b = (c.mode == 3 && p < h) ? base + h : base + c.n;
        }
        c.pending = 1;
        c.pending_n = n;
        c.pending_tick = b;
        c.null_until = b;
      } else if (c.gate) {
        c.frozen_ce = ce;
        c.frozen_out = 1;
        c.run = kActive;
        c.n = n;
        c.load_tick = load;
        c.null_until = load;
      } else {
        c.run = kStopped;
        c.frozen_ce = n & (c.bcd ? 0x3FFF : 0xFFFF);
        c.frozen_out = 1;
        c.null_until = load;
      }
      break;
  }
  if (idx == 0) update_irq0(k);
}

void Pit8254::write_count(int idx, uint8_t v, int64_t k) {
  Counter& c = st_.c[idx];
  switch (c.rw) {
    case 1: c.cr = v; break;
    case 2: c.cr = static_cast<uint16_t>(v << 8); break;
    default:
      if (!c.write_msb) {
        c.lsb_written = v;
        c.write_msb = 1;
        if (c.mode == 0) {
          // Mode 0: writing the first byte stops counting and sets OUT low at once.
          sync(c, k);
          uint32_t ce;
          bool o;
          eval(c, k, ce, o);
          c.frozen_ce = ce;
          c.frozen_out = 0;
          c.run = kIdle;
          if (idx == 0) update_irq0(k);
        }
        return;
      }
      c.write_msb = 0;
      c.cr = static_cast<uint16_t>(c.lsb_written | (v << 8));
      break;
  }
  count_written(idx, k);
}

uint8_t Pit8254::read_counter(int idx, int64_t k) {
  Counter& c = st_.c[idx];
  if (c.status_latched) {
    c.status_latched = 0;
    return c.status;
  }
  uint16_t v;
  if (c.latched) {
    v = c.ol;
  } else {
    sync(c, k);
    uint32_t ce;
    bool o;
    eval(c, k, ce, o);
    v = ce_value(c, ce);
  }
  uint8_t r;
  switch (c.rw) {
    case 1:
      r = v & 0xFF;
      c.latched = 0;
      break;
    case 2:
      r = v >> 8;
      c.latched = 0;
      break;
    default:
      if (!c.read_msb) {
        r = v & 0xFF;
        c.read_msb = 1;
      } else {
        r = v >> 8;
        c.read_msb = 0;
        c.latched = 0;
      }
      break;
  }
  return r;
}

void Pit8254::set_gate2(bool level, int64_t k) {
  Counter& c = st_.c[2];
  if (c.gate == level) return;
  sync(c, k);
  uint32_t ce;
  bool o;
  eval(c, k, ce, o);
  c.gate = level;
  if (level) {
    switch (c.mode) {
      case 0:
      case 4:
        if (c.run == kActive && c.paused_tick >= 0) {
          const int64_t e0 = std::max<int64_t>(0, c.paused_tick - c.load_tick);
          c.load_tick = std::max(k, c.load_tick) - e0;
          c.paused_tick = -1;
        }
        break;
      default:  // 1, 2, 3, 5: a rising edge (re)loads the count on the next pulse
        if (!c.cr_valid) break;
        c.frozen_ce = ce;
        c.frozen_out = (c.mode == 2 || c.mode == 3) ? 1 : o;
        c.run = kActive;
        c.n = count_from_cr(c);
        c.load_tick = k + 1;
        c.null_until = k + 1;
        c.pending = 0;
        break;
    }
  } else {
    switch (c.mode) {
      case 0:
      case 4:
        if (c.run == kActive && c.paused_tick < 0) c.paused_tick = k;
        break;
      case 2:
      case 3:
        if (c.run == kActive) {
          c.frozen_ce = ce;
          c.frozen_out = 1;  // OUT goes high at once
          c.run = kStopped;
          c.pending = 0;
        }
        break;
      default:
        break;  // modes 1 and 5 ignore a low GATE
    }
  }
}

bool Pit8254::out(int counter) {
  Counter& c = st_.c[counter];
  const int64_t k = now_tick();
  sync(c, k);
  uint32_t ce;
  bool o;
  eval(c, k, ce, o);
  return o;
}

uint16_t Pit8254::count(int counter) {
  Counter& c = st_.c[counter];
  const int64_t k = now_tick();
  sync(c, k);
  uint32_t ce;
  bool o;
  eval(c, k, ce, o);
  return ce_value(c, ce);
}

bool Pit8254::speaker_on() { return (st_.port61 & 2) && out(2); }

uint32_t Pit8254::io_read(uint16_t port, unsigned) {
  const int64_t k = now_tick();
  if (port == 0x61) {
    const bool refresh = (host_.now_ns() / kRefreshNs) & 1;
    return st_.port61 | (refresh ? 0x10 : 0) | (out(2) ? 0x20 : 0);
  }
  if (port == 0x43) return 0xFF;  // the control word register cannot be read
  return read_counter(port - 0x40, k);
}

void Pit8254::io_write(uint16_t port, uint32_t value, unsigned) {
  const uint8_t v = static_cast<uint8_t>(value);
  const int64_t k = now_tick();
  if (port == 0x61) {
    st_.port61 = v & 0x0F;
    set_gate2(v & 1, k);
    return;
  }
  if (port == 0x43) write_control(v, k);
  else write_count(port - 0x40, v, k);
  host_.interrupt_changed();  // a new OUT0 event may be due before the CPU's deadline
}

void Pit8254::save(StateWriter& w) const {
  w.begin_section("pit", 1);
  w.put(st_);
  w.end_section();
}

void Pit8254::load(StateReader& r) {
  if (r.open_section("pit") != 1) throw StateError("pit: unknown state version");
  r.get(st_);
}

}  // namespace kasou
