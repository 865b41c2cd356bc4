// PCI bus, configuration mechanism #1, configuration space and BAR mapping.
#include "devices/pci.h"

#include <cstring>

#include <fmt/format.h>

#include "core/state_io.h"

namespace kasou {

namespace {
constexpr unsigned kRomSlot = 6;
constexpr uint32_t ones(unsigned size) { return size >= 4 ? ~0u : (1u << (8 * size)) - 1; }
}  // namespace

struct PciFunction::BarIo final : IoHandler {
  PciFunction* f = nullptr;
  unsigned index = 0;
  uint16_t base = 0;
  uint32_t io_read(uint16_t port, unsigned size) override {
    return f->bar_read(index, static_cast<uint16_t>(port - base), size);
  }
  void io_write(uint16_t port, uint32_t value, unsigned size) override {
    f->bar_write(index, static_cast<uint16_t>(port - base), value, size);
  }
  const char* io_name() const override { return f->name(); }
};

struct PciFunction::BarMmio final : MmioHandler {
  PciFunction* f = nullptr;
  unsigned index = 0;
  uint64_t mmio_read(uint64_t offset, unsigned size) override {
    if (index == kRomSlot) {
      uint64_t v = 0;
      for (unsigned i = 0; i < size; i++) {
        uint64_t o = offset + i;
        v |= uint64_t{o < f->rom_.size() ? f->rom_[o] : uint8_t{0xFF}} << (8 * i);
      }
      return v;
    }
    if (size == 8)
      return f->bar_read(index, static_cast<uint32_t>(offset), 4) |
             uint64_t{f->bar_read(index, static_cast<uint32_t>(offset + 4), 4)} << 32;
    return f->bar_read(index, static_cast<uint32_t>(offset), size);
  }
  void mmio_write(uint64_t offset, uint64_t value, unsigned size) override {
    if (index == kRomSlot) return;  // a ROM
    if (size == 8) {
      f->bar_write(index, static_cast<uint32_t>(offset), static_cast<uint32_t>(value), 4);
      f->bar_write(index, static_cast<uint32_t>(offset + 4), static_cast<uint32_t>(value >> 32), 4);
      return;
    }
    f->bar_write(index, static_cast<uint32_t>(offset), static_cast<uint32_t>(value), size);
  }
  const char* mmio_name() const override { return f->name(); }
};

struct PciFunction::Bar {
  BarKind kind = BarKind::kNone;
  uint32_t size = 0;
  unsigned widths = 1;
  MmioHandler* direct = nullptr;
  bool mapped = false;
  uint64_t base = 0;
  uint64_t refused = ~0ull;  // last base we logged a refusal for
  BarIo io;
  BarMmio mmio;
};

PciFunction::PciFunction(std::string name, const Identity& id) : log_(name), name_(std::move(name)) {
  for (unsigned i = 0; i <= kRomSlot; i++) {
    auto b = std::make_unique<Bar>();
    b->io.f = this;
    b->io.index = i;
    b->mmio.f = this;
    b->mmio.index = i;
    bars_.push_back(std::move(b));
  }
  init16(pci::kVendorId, id.vendor);
  init16(pci::kDeviceId, id.device);
  init16(pci::kCommand, 0, pci::kCmdIo | pci::kCmdMemory | pci::kCmdMaster | pci::kCmdParity | pci::kCmdSerr |
                               pci::kCmdIntxDisable);
  init16(pci::kStatus, pci::kStatusDevselMedium | pci::kStatusFastBackToBack);
  init_w1c(pci::kStatus + 1, pci::kStatusErrors >> 8);
  init8(pci::kRevision, id.revision);
  init8(pci::kClassCode, id.class_code & 0xFF);
  init16(pci::kClassCode + 1, static_cast<uint16_t>(id.class_code >> 8));
  init8(pci::kCacheLineSize, 0, 0xFF);
  init8(pci::kLatencyTimer, 0, 0xF8);
  init8(pci::kHeaderType, id.header_type);
  init16(pci::kSubsystemVendorId, id.subsystem_vendor);
  init16(pci::kSubsystemId, id.subsystem);
  init8(pci::kInterruptLine, 0, 0xFF);
  init8(pci::kInterruptPin, id.interrupt_pin);
}

PciFunction::~PciFunction() = default;

void PciFunction::init8(uint8_t off, uint8_t value, uint8_t writable) {
  cfg_[off] = reset_cfg_[off] = value;
  wmask_[off] = writable;
}
void PciFunction::init16(uint8_t off, uint16_t value, uint16_t writable) {
  init8(off, value & 0xFF, writable & 0xFF);
  init8(static_cast<uint8_t>(off + 1), static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(writable >> 8));
}
void PciFunction::init32(uint8_t off, uint32_t value, uint32_t writable) {
  init16(off, value & 0xFFFF, writable & 0xFFFF);
  init16(static_cast<uint8_t>(off + 2), static_cast<uint16_t>(value >> 16), static_cast<uint16_t>(writable >> 16));
}

void PciFunction::add_io_bar(unsigned bar, uint32_t size, unsigned widths) {
  if (bar >= pci::kBars || size < 4 || size > 256 || (size & (size - 1)))
    throw std::logic_error(fmt::format("pci {}: bad I/O BAR{} of {} bytes", name_, bar, size));
  Bar& b = *bars_[bar];
  b.kind = BarKind::kIo;
  b.size = size;
  b.widths = widths;
  // All 32 address bits are writable (as QEMU has them; SeaBIOS sizes I/O BARs with a
  // 32-bit mask); only addresses below 64 KiB are mapped.
  init32(static_cast<uint8_t>(pci::kBar0 + 4 * bar), 0x1, ~(size - 1) & ~3u);
}

void PciFunction::add_mem_bar(unsigned bar, uint32_t size, bool prefetchable, MmioHandler* direct) {
  if (bar >= pci::kBars || size < kPageBytes || (size & (size - 1)))
    throw std::logic_error(fmt::format("pci {}: bad memory BAR{} of {} bytes", name_, bar, size));
  Bar& b = *bars_[bar];
  b.kind = BarKind::kMem;
  b.size = size;
  b.direct = direct;
  init32(static_cast<uint8_t>(pci::kBar0 + 4 * bar), prefetchable ? 0x8 : 0x0, ~(size - 1));
}

void PciFunction::set_expansion_rom(std::vector<uint8_t> rom) {
  uint32_t size = kPageBytes;
  while (size < rom.size()) size <<= 1;
  rom_ = std::move(rom);
  Bar& b = *bars_[kRomSlot];
  b.kind = BarKind::kRom;
  b.size = size;
  init32(pci::kRomAddress, 0, ~(size - 1) | 1u);
}

uint64_t PciFunction::bar_mapped_base(unsigned bar) const {
  if (bar > kRomSlot) return 0;
  const Bar& b = *bars_[bar];
  return b.mapped ? b.base : 0;
}

uint32_t PciFunction::config_read(uint8_t offset, unsigned size) const {
  uint32_t v = 0;
  for (unsigned i = 0; i < size && offset + i < 256; i++) v |= uint32_t{cfg_[offset + i]} << (8 * i);
  return v;
}

void PciFunction::config_write(uint8_t offset, uint32_t value, unsigned size) {
  if (offset + size > 256) size = 256 - offset;
  const bool intx_disable_before = command() & pci::kCmdIntxDisable;
  for (unsigned i = 0; i < size; i++) {
    unsigned o = offset + i;
    uint8_t b = static_cast<uint8_t>(value >> (8 * i));
    if (config_write_byte(static_cast<uint8_t>(o), b)) continue;
    cfg_[o] = static_cast<uint8_t>((cfg_[o] & ~wmask_[o]) | (b & wmask_[o]));
    cfg_[o] = static_cast<uint8_t>(cfg_[o] & ~(b & w1c_[o]));
  }
  if (overlaps(offset, size, pci::kCommand, 2) || overlaps(offset, size, pci::kBar0, 24) ||
      overlaps(offset, size, pci::kRomAddress, 4))
    update_mappings();
  if (bus_ && intx_ && intx_disable_before != bool(command() & pci::kCmdIntxDisable)) bus_->intx_changed();
  config_changed(offset, size);
}

void PciFunction::unmap_bar(Bar& b) {
  if (!b.mapped) return;
  if (b.kind == BarKind::kIo) {
    for (uint32_t p = 0; p < b.size; p++)
      if (io_->handler(static_cast<uint16_t>(b.base + p)) == &b.io) io_->unregister_ports(static_cast<uint16_t>(b.base + p), 1);
  } else {
    mem_->remove_mmio(b.base, b.size, b.direct ? b.direct : &b.mmio);
  }
  b.mapped = false;
  b.base = 0;
}

bool PciFunction::try_map_bar(unsigned index, Bar& b, uint64_t base) {
  auto refuse = [&](const std::string& why) {
    if (b.refused != base)
      log_.warn(fmt::format("{} {:#x} (+{:#x}) not mapped: {}", index == kRomSlot ? std::string("ROM BAR") : fmt::format("BAR{}", index),
                            base, b.size, why));
    b.refused = base;
    return false;
  };
  if (b.kind == BarKind::kIo) {
    if (base + b.size > 0x10000) return refuse("beyond the 64 KiB I/O space");
    for (uint32_t p = 0; p < b.size; p++) {
      IoHandler* h = io_->handler(static_cast<uint16_t>(base + p));
      if (h && h != &b.io) return refuse(fmt::format("port {:#x} belongs to {}", base + p, h->io_name()));
    }
    b.io.base = static_cast<uint16_t>(base);
    io_->register_ports(static_cast<uint16_t>(base), b.size, &b.io, b.widths);
  } else {
    if (base < mem_->ram_bytes()) return refuse("inside RAM (the host bridge claims it)");
    if (base + b.size > PhysicalMemory::kAddressSpaceBytes) return refuse("beyond 4 GiB");
    mem_->add_mmio(base, b.size, b.direct ? b.direct : &b.mmio);
  }
  b.mapped = true;
  b.base = base;
  b.refused = ~0ull;
  return true;
}

void PciFunction::update_mappings() {
  if (!io_) return;
  const uint16_t cmd = command();
  for (unsigned i = 0; i <= kRomSlot; i++) {
    Bar& b = *bars_[i];
    if (b.kind == BarKind::kNone) continue;
    uint64_t base = 0;
    bool enabled = false;
    if (b.kind == BarKind::kIo) {
      base = cfg32(static_cast<uint8_t>(pci::kBar0 + 4 * i)) & ~3u;
      enabled = cmd & pci::kCmdIo;
    } else if (b.kind == BarKind::kMem) {
      base = cfg32(static_cast<uint8_t>(pci::kBar0 + 4 * i)) & ~0xFu;
      enabled = cmd & pci::kCmdMemory;
    } else {
      uint32_t r = cfg32(pci::kRomAddress);
      base = r & ~0x7FFu;
      enabled = (cmd & pci::kCmdMemory) && (r & 1);
    }
    // All ones (sizing in progress) and 0 are not addresses.
    const uint64_t all_ones = 0xFFFFFFFFu & ~uint64_t{b.size - 1} & ~uint64_t{3};
    const bool want = enabled && base != 0 && (base & ~uint64_t{0xF}) != (all_ones & ~uint64_t{0xF});
    if (b.mapped && (!want || b.base != base)) unmap_bar(b);
    if (want && !b.mapped) try_map_bar(i, b, base);
  }
}

void PciFunction::set_intx(bool level) {
  if (level == intx_) return;
  intx_ = level;
  if (level) cfg_[pci::kStatus] |= pci::kStatusInterrupt;
  else cfg_[pci::kStatus] &= static_cast<uint8_t>(~pci::kStatusInterrupt);
  if (bus_) bus_->intx_changed();
}

void PciFunction::reset() {
  for (auto& b : bars_) unmap_bar(*b);
  const uint8_t header = cfg_[pci::kHeaderType];
  cfg_ = reset_cfg_;
  cfg_[pci::kHeaderType] = header;  // the multi-function bit is wiring, not state
  if (intx_) {
    intx_ = false;
    if (bus_) bus_->intx_changed();
  }
  config_changed(0, 256);
}

void PciFunction::save(StateWriter& w) const {
  w.begin_section("pci:" + name_, 1);
  w.put(cfg_);
  w.put(intx_);
  w.end_section();
}

void PciFunction::load(StateReader& r) {
  if (r.open_section("pci:" + name_) != 1) throw StateError("state: unknown version of pci:" + name_);
  for (auto& b : bars_) unmap_bar(*b);
  r.get(cfg_);
  r.get(intx_);
  update_mappings();
  if (bus_) bus_->intx_changed();
  config_changed(0, 256);
}

// --- the bus ---------------------------------------------------------------------

PciBus::PciBus(IoBus& io, PhysicalMemory& mem) : io_(io), mem_(mem) {
  io.register_ports(pci::kConfigAddressPort, 8, this, 1 | 2 | 4);
}

void PciBus::attach(unsigned slot, unsigned function, PciFunction& f) {
  if (slot > 31 || function > 7 || slots_[slot * 8 + function])
    throw std::logic_error(fmt::format("pci: slot {}.{} is taken or does not exist", slot, function));
  slots_[slot * 8 + function] = &f;
  f.bus_ = this;
  f.io_ = &io_;
  f.mem_ = &mem_;
  f.devfn_ = static_cast<uint8_t>(slot * 8 + function);
  if (PciFunction* f0 = slots_[slot * 8]) {
    for (unsigned fn = 1; fn < 8; fn++)
      if (slots_[slot * 8 + fn]) f0->cfg_[pci::kHeaderType] = f0->reset_cfg_[pci::kHeaderType] |= 0x80;
  }
  f.attached_to_bus();
  f.update_mappings();
}

void PciBus::set_pirq_sink(IrqSink* sink) {
  pirq_sink_ = sink;
  for (unsigned p = 0; p < 4; p++)
    if (sink) sink->set_irq(p, pirq_levels_ >> p & 1);
}

void PciBus::intx_changed() {
  uint8_t levels = 0;
  for (unsigned devfn = 0; devfn < 256; devfn++) {
    const PciFunction* f = slots_[devfn];
    if (!f || !f->intx_ || (f->command() & pci::kCmdIntxDisable)) continue;
    unsigned pin = f->cfg8(pci::kInterruptPin);
    if (pin >= 1 && pin <= 4) levels |= static_cast<uint8_t>(1u << pirq_of(devfn >> 3, pin));
  }
  uint8_t changed = levels ^ pirq_levels_;
  pirq_levels_ = levels;
  for (unsigned p = 0; p < 4; p++)
    if ((changed >> p & 1) && pirq_sink_) pirq_sink_->set_irq(p, levels >> p & 1);
}

uint32_t PciBus::config_read(unsigned bus, unsigned devfn, uint8_t reg, unsigned size) const {
  const PciFunction* f = bus == 0 && devfn < 256 ? slots_[devfn] : nullptr;
  if (!f) return ones(size);
  return f->config_read(reg, size) | (reg + size > 256 ? ones(size) & ~ones(256 - reg) : 0);
}

void PciBus::config_write(unsigned bus, unsigned devfn, uint8_t reg, uint32_t value, unsigned size) {
  PciFunction* f = bus == 0 && devfn < 256 ? slots_[devfn] : nullptr;
  if (f) f->config_write(reg, value, size);
}

uint32_t PciBus::io_read(uint16_t port, unsigned size) {
  if (port < pci::kConfigDataPort) {
    if (port == pci::kConfigAddressPort && size == 4) return config_address_;
    if (port == pci::kResetControlPort && size == 1 && cf9_) return cf9_->io_read(port, 1);
    return ones(size);
  }
  if (!(config_address_ & 0x80000000u)) return ones(size);
  uint8_t reg = static_cast<uint8_t>((config_address_ & 0xFC) + (port & 3));
  return config_read(config_address_ >> 16 & 0xFF, config_address_ >> 8 & 0xFF, reg, size);
}

void PciBus::io_write(uint16_t port, uint32_t value, unsigned size) {
  if (port < pci::kConfigDataPort) {
    if (port == pci::kConfigAddressPort && size == 4) config_address_ = value & 0x80FFFFFCu;
    else if (port == pci::kResetControlPort && size == 1 && cf9_) cf9_->io_write(port, value, 1);
    return;
  }
  if (!(config_address_ & 0x80000000u)) return;
  uint8_t reg = static_cast<uint8_t>((config_address_ & 0xFC) + (port & 3));
  config_write(config_address_ >> 16 & 0xFF, config_address_ >> 8 & 0xFF, reg, value, size);
}

void PciBus::reset() { config_address_ = 0; }

void PciBus::save(StateWriter& w) const {
  w.begin_section("pci-bus", 1);
  w.put(config_address_);
  w.end_section();
}

void PciBus::load(StateReader& r) {
  if (r.open_section("pci-bus") != 1) throw StateError("state: unknown version of pci-bus");
  r.get(config_address_);
}

}  // namespace kasou
