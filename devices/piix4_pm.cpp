// PIIX4 power management: PM1 registers, the ACPI PM timer, SCI, S5 power-off.
#include "devices/piix4_pm.h"

#include <cstring>

#include <fmt/format.h>

#include "core/state_io.h"

namespace kasou {

namespace {
__extension__ typedef unsigned __int128 u128;
constexpr unsigned kPmBlockBytes = 64;
constexpr uint8_t kAcpiEnable = 0xF1, kAcpiDisable = 0xF0;
constexpr uint16_t kPm1EventMask = Piix4Pm::kTmrSts | Piix4Pm::kGblSts | Piix4Pm::kPwrBtnSts | Piix4Pm::kRtcSts;

uint64_t ticks_at(uint64_t ns) {
  return static_cast<uint64_t>(static_cast<u128>(ns) * Piix4Pm::kTimerHz / 1000000000u);
}
}  // namespace

struct Piix4Pm::PmBlock final : IoHandler {
  Piix4Pm* pm = nullptr;
  const char* io_name() const override { return "piix4-pm-regs"; }
  uint32_t io_read(uint16_t port, unsigned size) override {
    const uint32_t tmr = pm->timer();
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
      v |= uint32_t{pm->pm_read_byte((port - pm->mapped_base_ + i) & (kPmBlockBytes - 1), tmr)} << (8 * i);
    return v;
  }
  void io_write(uint16_t port, uint32_t value, unsigned size) override {
    for (unsigned i = 0; i < size; i++)
      pm->pm_write_byte((port - pm->mapped_base_ + i) & (kPmBlockBytes - 1), static_cast<uint8_t>(value >> (8 * i)));
  }
};

Piix4Pm::Piix4Pm(Scheduler& sched, std::function<uint64_t()> now_ns, IrqLine sci, std::function<void()> power_off)
    : PciFunction("piix4-pm", Identity{0x8086, 0x7113, 0x03, 0x068000, 0, 0, 1, 0}),
      sched_(sched), now_ns_(std::move(now_ns)), sci_(sci), power_off_(std::move(power_off)),
      block_(std::make_unique<PmBlock>()) {
  block_->pm = this;
  init32(kPmBase, 0x00000001, 0x0000FFC0);
  init32(kDevActB, 0x02000000, 0xFFFFFFFF);  // APMC_EN: "SMM already set up" (no SMM here)
  init32(0x5C, 0x00000000, 0xFFFFFFFF);      // DEVRESA
  init32(0x60, 0x00000000, 0xFFFFFFFF);      // DEVRESB..
  init32(0x64, 0x00000000, 0xFFFFFFFF);
  init8(kPmRegMisc, 0x00, 0x01);
  init32(kSmbBase, 0x00000001, 0x0000FFF0);
  init8(kSmbHostConfig, 0x00, 0x0F);
  overflow_kind_ = sched_.register_kind("pm-timer-overflow", [this](uint64_t, int64_t) { on_overflow(); });
  st_ = State{};
  schedule_overflow();
}

Piix4Pm::~Piix4Pm() = default;

void Piix4Pm::reset() {
  PciFunction::reset();  // unmaps the PM block through config_changed
  st_ = State{};
  update_sci();
  sched_.cancel(overflow_kind_);
  schedule_overflow();
}

uint32_t Piix4Pm::timer() const { return static_cast<uint32_t>(ticks_at(now_ns_()) & 0xFFFFFF); }

void Piix4Pm::schedule_overflow() {
  const uint64_t now = sched_.now_ns();
  const uint64_t next_tick = ((ticks_at(now) >> 23) + 1) << 23;
  const u128 num = static_cast<u128>(next_tick) * 1000000000u + kTimerHz - 1;
  sched_.schedule_at(static_cast<uint64_t>(num / kTimerHz), overflow_kind_);
}

void Piix4Pm::on_overflow() {
  st_.pmsts |= kTmrSts;
  update_sci();
  schedule_overflow();
}

void Piix4Pm::press_power_button() {
  st_.pmsts |= kPwrBtnSts;
  update_sci();
}

void Piix4Pm::update_sci() {
  const bool level = (st_.pmcntrl & kSciEn) &&
                     ((st_.pmsts & st_.pmen & kPm1EventMask) || (st_.gpe_sts & st_.gpe_en));
  if (level == sci_level_) return;
  sci_level_ = level;
  sci_.set(level);
}

uint8_t Piix4Pm::pm_read_byte(unsigned off, uint32_t tmr) {
  switch (off) {
    case 0x00: return static_cast<uint8_t>(st_.pmsts);
    case 0x01: return static_cast<uint8_t>(st_.pmsts >> 8);
    case 0x02: return static_cast<uint8_t>(st_.pmen);
    case 0x03: return static_cast<uint8_t>(st_.pmen >> 8);
    case 0x04: return static_cast<uint8_t>(st_.pmcntrl);
    case 0x05: return static_cast<uint8_t>(st_.pmcntrl >> 8) & static_cast<uint8_t>(~(kSusEn >> 8));
    case 0x08: case 0x09: case 0x0A: case 0x0B: return static_cast<uint8_t>(tmr >> (8 * (off - 8)));
    default: return st_.regs[off];
  }
}

void Piix4Pm::pm_write_byte(unsigned off, uint8_t value) {
  switch (off) {
    case 0x00: st_.pmsts &= static_cast<uint16_t>(~value); break;
    case 0x01: st_.pmsts &= static_cast<uint16_t>(~(value << 8)); break;
    case 0x02: st_.pmen = static_cast<uint16_t>((st_.pmen & 0xFF00) | (value & 0x21)); break;
    case 0x03: st_.pmen = static_cast<uint16_t>((st_.pmen & 0x00FF) | ((value & 0x05) << 8)); break;
    case 0x04: st_.pmcntrl = static_cast<uint16_t>((st_.pmcntrl & 0xFF00) | (value & 0x07)); break;
    case 0x05: {
      st_.pmcntrl = static_cast<uint16_t>((st_.pmcntrl & 0x00FF) | ((value & 0x1C) << 8));
      if (value & (kSusEn >> 8)) {
        const unsigned typ = (value >> 2) & 7;
        if (typ == 0) {
          st_.pmsts |= kWakSts;
          if (power_off_) power_off_();
        } else {
          log_.warn(fmt::format("sleep type {} requested (PMCNTRL {:#06x}): only soft-off (0) is implemented; ignored",
                                typ, st_.pmcntrl | kSusEn));
        }
      }
      break;
    }
    case 0x08: case 0x09: case 0x0A: case 0x0B: break;  // PMTMR is read-only
    default: st_.regs[off] = value; break;
  }
  update_sci();
}

uint32_t Piix4Pm::io_read(uint16_t port, unsigned size) {
  uint32_t v = 0;
  for (unsigned i = 0; i < size; i++) {
    const uint16_t p = static_cast<uint16_t>(port + i);
    uint8_t b = 0xFF;
    if (p == kApmControlPort) b = st_.apmc;
    else if (p == kApmStatusPort) b = st_.apms;
    else if (p >= kGpe0Port && p < kGpe0Port + 4) {
      const unsigned o = p - kGpe0Port;
      const uint16_t r = o < 2 ? st_.gpe_sts : st_.gpe_en;
      b = static_cast<uint8_t>(r >> (8 * (o & 1)));
    } else if (p >= kHotplugPort && p < kHotplugPort + 0x14) {
      b = 0;  // no slot is hot-pluggable, nothing pending
    }
    v |= uint32_t{b} << (8 * i);
  }
  return v;
}

void Piix4Pm::io_write(uint16_t port, uint32_t value, unsigned size) {
  for (unsigned i = 0; i < size; i++) {
    const uint16_t p = static_cast<uint16_t>(port + i);
    const uint8_t b = static_cast<uint8_t>(value >> (8 * i));
    if (p == kApmControlPort) {
      st_.apmc = b;
      if (b == kAcpiEnable) st_.pmcntrl |= kSciEn;
      else if (b == kAcpiDisable) st_.pmcntrl &= static_cast<uint16_t>(~kSciEn);
      else log_.warn(fmt::format("APM command {:#04x} would raise an SMI: there is no SMM, ignored", b));
    } else if (p == kApmStatusPort) {
      st_.apms = b;
    } else if (p >= kGpe0Port && p < kGpe0Port + 4) {
      const unsigned o = p - kGpe0Port;
      const unsigned shift = 8 * (o & 1);
      if (o < 2) st_.gpe_sts &= static_cast<uint16_t>(~(b << shift));
      else st_.gpe_en = static_cast<uint16_t>((st_.gpe_en & ~(0xFF << shift)) | (b << shift));
    }
  }
  update_sci();
}

void Piix4Pm::remap() {
  if (!attached()) return;
  const bool enabled = cfg8(kPmRegMisc) & 1;
  const uint16_t base = static_cast<uint16_t>(cfg32(kPmBase) & 0xFFC0);
  const uint16_t want = enabled ? base : 0;
  if (want == mapped_base_) return;
  if (mapped_base_) {
    for (unsigned i = 0; i < kPmBlockBytes; i++)
      if (io().handler(static_cast<uint16_t>(mapped_base_ + i)) == block_.get())
        io().unregister_ports(static_cast<uint16_t>(mapped_base_ + i), 1);
    mapped_base_ = 0;
  }
  if (!want) return;
  for (unsigned i = 0; i < kPmBlockBytes; i++) {
    IoHandler* h = io().handler(static_cast<uint16_t>(want + i));
    if (h) {
      log_.warn(fmt::format("PM registers at {:#x} not mapped: port {:#x} belongs to {}", want, want + i, h->io_name()));
      return;
    }
  }
  io().register_ports(want, kPmBlockBytes, block_.get(), 1 | 2 | 4);
  mapped_base_ = want;
}

void Piix4Pm::config_changed(uint8_t offset, unsigned size) {
  if (size == 256 || overlaps(offset, size, kPmBase, 4) || overlaps(offset, size, kPmRegMisc, 1)) remap();
}

void Piix4Pm::attached_to_bus() {
  io().register_ports(kApmControlPort, 2, this, 1);
  io().register_ports(kGpe0Port, 4, this, 1 | 2 | 4);
  io().register_ports(kHotplugPort, 0x14, this, 1 | 2 | 4);
  remap();
}

void Piix4Pm::save(StateWriter& w) const {
  PciFunction::save(w);
  w.begin_section("piix4-pm", 1);
  w.put(st_);
  w.put(sci_level_);
  w.end_section();
}

void Piix4Pm::load(StateReader& r) {
  PciFunction::load(r);
  if (r.open_section("piix4-pm") != 1) throw StateError("state: unknown version of piix4-pm");
  r.get(st_);
  bool level;
  r.get(level);
  sci_level_ = !level;  // force the line to the saved level
  update_sci();
}

}  // namespace kasou
