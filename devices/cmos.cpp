// MC146818: time registers from the divider time, lazily accounted flags.
#include "devices/cmos.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/state_io.h"

namespace kasou {
namespace {
__extension__ typedef unsigned __int128 u128;
constexpr int64_t kSecond = 1000000000;
constexpr int64_t kUipNs = 244140;  // UIP is set 244 us before an update
enum : uint8_t { kSec = 0, kSecAlarm = 1, kMin = 2, kMinAlarm = 3, kHour = 4, kHourAlarm = 5,
                 kWeekday = 6, kDay = 7, kMonth = 8, kYear = 9, kRegA = 0x0A, kRegB = 0x0B,
                 kRegC = 0x0C, kRegD = 0x0D, kCentury = 0x32 };
constexpr uint8_t kBSet = 0x80, kBPie = 0x40, kBAie = 0x20, kBUie = 0x10, kBSqwe = 0x08, kBDm = 0x04,
                  kB24 = 0x02;
constexpr uint8_t kCIrqf = 0x80, kCPf = 0x40, kCAf = 0x20, kCUf = 0x10;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = floor_div(y, 400);
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = floor_div(z, 146097);
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}
}  // namespace

Cmos::Cmos(IoBus& io, DeviceHost& host, IrqLine irq8, int64_t epoch_seconds)
    : io_(io), host_(host), irq8_(irq8) {
  event_ = host_.scheduler().register_kind("cmos.rtc", [this](uint64_t, int64_t) {
    catch_up();
    schedule();
  });
  io_.register_ports(0x70, 2, this, 1);
  st_.ram[kRegA] = 0x26;  // 32.768 kHz time base, 1024 Hz periodic rate
  st_.ram[kRegB] = kB24;
  st_.ram[kRegD] = 0x80;  // valid RAM and time
  const int64_t now = static_cast<int64_t>(host_.now_ns());
  st_.offset_ns = epoch_seconds * kSecond - now;
  st_.checked_div = div_now();
  store_time(epoch_seconds, st_.ram);
}

void Cmos::reset() {
  // The RESET pin: interrupt enables and flags clear; time and RAM stay.
  catch_up();
  st_.ram[kRegB] &= ~(kBPie | kBAie | kBUie | kBSqwe);
  st_.ram[kRegC] = 0;
  update_irq();
  schedule();
}

bool Cmos::divider_running() const { return (st_.ram[kRegA] & 0x70) <= 0x20; }
bool Cmos::ticking() const { return divider_running() && !(st_.ram[kRegB] & kBSet); }

int64_t Cmos::div_now() const {
  return divider_running() ? static_cast<int64_t>(host_.now_ns()) + st_.offset_ns : st_.frozen_div;
}

void Cmos::set_div(int64_t d) {
  if (divider_running()) st_.offset_ns = d - static_cast<int64_t>(host_.now_ns());
  else st_.frozen_div = d;
}

int64_t Cmos::unix_time() const {
  return ticking() ? floor_div(div_now(), kSecond) : time_from_registers();
}

uint8_t Cmos::to_reg(int v) const {
  if (st_.ram[kRegB] & kBDm) return static_cast<uint8_t>(v);
  return static_cast<uint8_t>(((v / 10) % 10) << 4 | (v % 10));
}

int Cmos::from_reg(uint8_t v) const {
  if (st_.ram[kRegB] & kBDm) return v;
  return (v >> 4) * 10 + (v & 15);
}

void Cmos::store_time(int64_t seconds, uint8_t* regs) const {
  const int64_t days = floor_div(seconds, 86400);
  const int64_t sod = seconds - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  const int hour = static_cast<int>(sod / 3600);
  regs[kSec] = to_reg(static_cast<int>(sod % 60));
  regs[kMin] = to_reg(static_cast<int>(sod / 60 % 60));
  if (st_.ram[kRegB] & kB24) {
    regs[kHour] = to_reg(hour);
  } else {
    const int h12 = hour % 12 == 0 ? 12 : hour % 12;
    regs[kHour] = static_cast<uint8_t>(to_reg(h12) | (hour >= 12 ? 0x80 : 0));
  }
  regs[kWeekday] = to_reg(static_cast<int>(((days % 7) + 7 + 4) % 7) + 1);  // 1970-01-01 was a Thursday; Sunday = 1
  regs[kDay] = to_reg(static_cast<int>(d));
  regs[kMonth] = to_reg(static_cast<int>(m));
  regs[kYear] = to_reg(static_cast<int>(((y % 100) + 100) % 100));
  regs[kCentury] = to_reg(static_cast<int>(floor_div(y, 100) % 100));
}

int64_t Cmos::time_from_registers() const {
  const uint8_t* r = st_.ram;
  int hour;
  if (st_.ram[kRegB] & kB24) {
    hour = from_reg(r[kHour]);
  } else {
    hour = from_reg(r[kHour] & 0x7F) % 12 + ((r[kHour] & 0x80) ? 12 : 0);
  }
  const int64_t year = from_reg(r[kCentury]) * 100 + from_reg(r[kYear]);
  const unsigned month = static_cast<unsigned>(std::clamp(from_reg(r[kMonth]), 1, 12));
  // Out-of-range days, hours... (garbage written by the guest) roll over as sums.
  const int64_t days = days_from_civil(year, month, 1) + from_reg(r[kDay]) - 1;
  return days * 86400 + hour * 3600 + from_reg(r[kMin]) * 60 + from_reg(r[kSec]);
}

void Cmos::materialize() { store_time(floor_div(div_now(), kSecond), st_.ram); }

void Cmos::rebase(bool half_second) {
  const int64_t d = div_now();
  const int64_t phase = half_second ? kSecond / 2 : d - floor_div(d, kSecond) * kSecond;
  set_div(time_from_registers() * kSecond + phase);
  st_.checked_div = div_now();
}

bool Cmos::alarm_matches(int64_t seconds) const {
  uint8_t now[0x40];
  store_time(seconds, now);
  auto match = [&](uint8_t alarm, uint8_t cur) { return (alarm & 0xC0) == 0xC0 || alarm == cur; };
  return match(st_.ram[kSecAlarm], now[kSec]) && match(st_.ram[kMinAlarm], now[kMin]) &&
         match(st_.ram[kHourAlarm], now[kHour]);
}

void Cmos::catch_up() {
  const int64_t d = div_now();
  const int64_t from = st_.checked_div;
  st_.checked_div = d;
  if (!divider_running() || d <= from) return;
  uint8_t flags = 0;
  const unsigned rate = st_.ram[kRegA] & 0x0F;
  if (rate) {
    const unsigned shift = rate <= 2 ? rate + 6 : rate - 1;  // period in 32.768 kHz ticks = 1 << shift
    auto period_index = [&](int64_t t) {
      return static_cast<int64_t>((static_cast<u128>(std::max<int64_t>(t, 0)) * 32768 / kSecond) >> shift);
    };
    if (period_index(d) > period_index(from)) flags |= kCPf;
  }
  if (!(st_.ram[kRegB] & kBSet)) {
    const int64_t s0 = floor_div(from, kSecond), s1 = floor_div(d, kSecond);
    if (s1 > s0) {
      flags |= kCUf;
      // Each update compares the new time with the alarm; a day covers every pattern.
      for (int64_t s = std::max(s0 + 1, s1 - 86400); s <= s1; s++)
        if (alarm_matches(s)) {
          flags |= kCAf;
          break;
        }
    }
  }
  st_.ram[kRegC] |= flags;
  update_irq();
}

void Cmos::update_irq() {
  if (st_.ram[kRegC] & st_.ram[kRegB] & (kCPf | kCAf | kCUf)) st_.ram[kRegC] |= kCIrqf;
  const bool level = st_.ram[kRegC] & kCIrqf;
  if (level != static_cast<bool>(st_.irq_level)) {
    st_.irq_level = level;
    irq8_.set(level);
  }
}

void Cmos::schedule() {
  host_.scheduler().cancel(event_);
  if ((st_.ram[kRegC] & kCIrqf) || !divider_running()) return;  // IRQ 8 already high, or no time base
  const uint8_t b = st_.ram[kRegB];
  const int64_t d = div_now();
  int64_t next = -1;
  const unsigned rate = st_.ram[kRegA] & 0x0F;
  if ((b & kBPie) && rate) {
    const unsigned shift = rate <= 2 ? rate + 6 : rate - 1;
    const u128 idx = (static_cast<u128>(std::max<int64_t>(d, 0)) * 32768 / kSecond >> shift) + 1;
    const u128 t32 = idx << shift;
    next = static_cast<int64_t>((t32 * kSecond + 32767) / 32768);
  }
  if ((b & (kBUie | kBAie)) && !(b & kBSet)) {
    const int64_t s = (floor_div(d, kSecond) + 1) * kSecond;
    if (next < 0 || s < next) next = s;
  }
  if (next < 0) return;
  host_.scheduler().schedule_in(static_cast<uint64_t>(std::max<int64_t>(next - d, 0)), event_, 0);
}

void Cmos::set_memory_size(uint64_t below_4g, uint64_t above_4g) {
  st_.ram[0x15] = 0x80;  // 640 KiB base memory
  st_.ram[0x16] = 0x02;
  uint64_t ext = below_4g > (1u << 20) ? (below_4g >> 10) - 1024 : 0;
  if (ext > 65535) ext = 65535;
  st_.ram[0x17] = st_.ram[0x30] = static_cast<uint8_t>(ext);
  st_.ram[0x18] = st_.ram[0x31] = static_cast<uint8_t>(ext >> 8);
  uint64_t high = below_4g > (16u << 20) ? (below_4g - (16u << 20)) >> 16 : 0;
  if (high > 65535) high = 65535;
  st_.ram[0x34] = static_cast<uint8_t>(high);
  st_.ram[0x35] = static_cast<uint8_t>(high >> 8);
  const uint64_t above = above_4g >> 16;
  st_.ram[0x5B] = static_cast<uint8_t>(above);
  st_.ram[0x5C] = static_cast<uint8_t>(above >> 8);
  st_.ram[0x5D] = static_cast<uint8_t>(above >> 16);
}

uint32_t Cmos::io_read(uint16_t port, unsigned) {
  if (port == 0x70) return 0xFF;  // the index register is write-only
  const uint8_t i = st_.index;
  switch (i) {
    case kSec: case kMin: case kHour: case kWeekday: case kDay: case kMonth: case kYear: case kCentury:
      if (ticking()) {
        uint8_t regs[0x40];
        store_time(floor_div(div_now(), kSecond), regs);
        return regs[i];
      }
      return st_.ram[i];
    case kRegA: {
      uint8_t a = st_.ram[kRegA] & 0x7F;
      if (ticking()) {
        const int64_t d = div_now();
        if (d - floor_div(d, kSecond) * kSecond >= kSecond - kUipNs) a |= 0x80;
      }
      return a;
    }
    case kRegC: {
      catch_up();
      const uint8_t c = st_.ram[kRegC];
      st_.ram[kRegC] = 0;
      update_irq();
      schedule();
      return c;
    }
    case kRegD: return 0x80;
    default: return st_.ram[i];
  }
}

void Cmos::io_write(uint16_t port, uint32_t value, unsigned) {
  const uint8_t v = static_cast<uint8_t>(value);
  if (port == 0x70) {
    st_.index = v & 0x7F;
    st_.nmi_disabled = v >> 7;
    return;
  }
  const uint8_t i = st_.index;
  switch (i) {
    case kSec: case kMin: case kHour: case kWeekday: case kDay: case kMonth: case kYear: case kCentury:
      if (ticking()) {
        catch_up();
        materialize();
        st_.ram[i] = v;
        rebase(false);
        schedule();
      } else {
        st_.ram[i] = v;
      }
      return;
    case kRegA: {
      catch_up();
      const bool was_ticking = ticking(), was_running = divider_running();
      const bool was_reset = (st_.ram[kRegA] & 0x60) == 0x60;
      if (was_ticking) materialize();
      const int64_t d = div_now();
      st_.ram[kRegA] = v & 0x7F;
      if (was_running != divider_running()) {
        if (!divider_running()) st_.frozen_div = d;
        else st_.offset_ns = d - static_cast<int64_t>(host_.now_ns());
      }
      if (ticking()) rebase(was_reset && !was_ticking);
      st_.checked_div = div_now();
      update_irq();
      schedule();
      if ((v & 0x70) > 0x20 && (v & 0x60) != 0x60)
        host_.log(fmt::format("cmos: port 0x71: register A {:#04x}: divider test mode, clock stopped", v));
      return;
    }
    case kRegB: {
      catch_up();
      const bool was_ticking = ticking();
      if (was_ticking) materialize();
      uint8_t nv = v;
      if (nv & kBSet) nv &= ~kBUie;  // SET clears UIE
      st_.ram[kRegB] = nv;
      if (ticking() && !was_ticking) rebase(false);
      update_irq();
      schedule();
      return;
    }
    case kRegC:
    case kRegD:
      host_.log(fmt::format("cmos: port 0x71: write {:#04x} to read-only register {:#x} ignored", v, i));
      return;
    default:
      st_.ram[i] = v;
      return;
  }
}

void Cmos::save(StateWriter& w) const {
  w.begin_section("cmos", 1);
  w.put(st_);
  w.end_section();
}

void Cmos::load(StateReader& r) {
  if (r.open_section("cmos") != 1) throw StateError("cmos: unknown state version");
  r.get(st_);
}

}  // namespace kasou
