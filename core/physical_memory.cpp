// PhysicalMemory: RAM mapping, ROM/MMIO regions and the exact slow access paths.
#include "core/physical_memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace kasou {

PhysicalMemory::PhysicalMemory(uint64_t ram_bytes)
    : ram_bytes_((ram_bytes + kPageBytes - 1) & ~(kPageBytes - 1)),
      page_region_(kAddressSpaceBytes >> kPageShift, 0),
      code_page_(kAddressSpaceBytes >> kPageShift, 0) {
  if (ram_bytes_ == 0 || ram_bytes_ > 0xE0000000ull)
    throw std::runtime_error(fmt::format("memory: RAM size {} MiB is outside 1 MiB..3584 MiB",
                                         ram_bytes >> 20));
  void* p = mmap(nullptr, ram_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED)
    throw std::runtime_error(fmt::format("memory: cannot map {} MiB of guest RAM", ram_bytes_ >> 20));
  ram_ = static_cast<uint8_t*>(p);
  map_pages(0, ram_bytes_, add_region({PageKind::kRam, 0, ram_bytes_, ram_, nullptr, "ram"}));
}

PhysicalMemory::~PhysicalMemory() {
  if (ram_) munmap(ram_, ram_bytes_);
}

uint16_t PhysicalMemory::add_region(Region r) {
  r.seq = next_seq_++;
  // Reuse the slot of a removed region (the order lives in seq, not in the index).
  for (size_t i = 1; i < regions_.size(); i++) {
    if (regions_[i].size == 0 && static_cast<uint16_t>(i + 1) != ram_readonly_region_) {
      regions_[i] = std::move(r);
      return static_cast<uint16_t>(i);
    }
  }
  if (regions_.size() >= 0xFFFF) throw std::runtime_error("memory: too many ROM/MMIO regions");
  regions_.push_back(std::move(r));
  return static_cast<uint16_t>(regions_.size() - 1);
}

void PhysicalMemory::map_pages(uint64_t base, uint64_t size, uint16_t region) {
  for (uint64_t a = base; a < base + size && a < kAddressSpaceBytes; a += kPageBytes) {
    if (a >= kShadowBase && a < kShadowEnd && shadow_[(a - kShadowBase) >> kPageShift].controlled)
      remap_page(a);  // the new region is what the bus has there now
    else
      page_region_[a >> kPageShift] = static_cast<uint16_t>(region + 1);
  }
}

uint16_t PhysicalMemory::natural_region(uint64_t page, bool skip_ram) const {
  uint16_t best = 0;
  uint64_t best_seq = 0;
  for (size_t i = 0; i < regions_.size(); i++) {
    const Region& r = regions_[i];
    if (r.size == 0 || page < r.base || page - r.base >= r.size) continue;
    if (static_cast<uint16_t>(i + 1) == ram_readonly_region_) continue;
    if (skip_ram && i == 0) continue;
    if (best == 0 || r.seq > best_seq) best = static_cast<uint16_t>(i + 1), best_seq = r.seq;
  }
  return best;
}

void PhysicalMemory::remap_page(uint64_t page) {
  uint16_t region;
  if (page >= kShadowBase && page < kShadowEnd && shadow_[(page - kShadowBase) >> kPageShift].controlled) {
    const ShadowPage& sp = shadow_[(page - kShadowBase) >> kPageShift];
    if (sp.read_ram && page < ram_bytes_)
      region = sp.write_ram ? 1 : ram_readonly_region_;
    else
      region = natural_region(page, true);
  } else {
    region = natural_region(page, false);
  }
  uint16_t& slot = page_region_[page >> kPageShift];
  if (slot == region) return;
  slot = region;
  // Translated code of this page came from what was mapped before.
  if (code_listener_ && is_code_page(page)) code_listener_->on_code_write(page, kPageBytes);
}

bool PhysicalMemory::remove_mmio(uint64_t base, uint64_t size_bytes, MmioHandler* handler) {
  for (size_t i = 1; i < regions_.size(); i++) {
    Region& r = regions_[i];
    if (r.kind != PageKind::kMmio || r.base != base || r.size != size_bytes || r.mmio != handler) continue;
    r = Region{PageKind::kUnassigned, 0, 0, nullptr, nullptr, {}};
    for (uint64_t a = base; a < base + size_bytes && a < kAddressSpaceBytes; a += kPageBytes) remap_page(a);
    return true;
  }
  return false;
}

void PhysicalMemory::set_shadow(uint64_t base, uint64_t size_bytes, bool read_ram, bool write_ram) {
  if (base < kShadowBase || base + size_bytes > kShadowEnd || base % kPageBytes || size_bytes % kPageBytes)
    throw std::runtime_error(fmt::format("memory: shadow range {:#x}+{:#x} is outside 0xC0000-0xFFFFF or not page aligned",
                                         base, size_bytes));
  if (ram_readonly_region_ == 0) {
    uint64_t size = std::min<uint64_t>(ram_bytes_, kShadowEnd);
    ram_readonly_region_ = static_cast<uint16_t>(add_region({PageKind::kRom, 0, size, ram_, nullptr, "shadow ram (read-only)"}) + 1);
  }
  for (uint64_t a = base; a < base + size_bytes; a += kPageBytes) {
    shadow_[(a - kShadowBase) >> kPageShift] = ShadowPage{true, read_ram, write_ram};
    remap_page(a);
  }
}

void PhysicalMemory::clear_shadow() {
  for (uint64_t a = kShadowBase; a < kShadowEnd; a += kPageBytes) {
    shadow_[(a - kShadowBase) >> kPageShift] = ShadowPage{};
    remap_page(a);
  }
}

bool PhysicalMemory::shadow_write(uint64_t phys, const void* src, uint64_t size_bytes) {
  if (phys < kShadowBase || phys >= kShadowEnd) return false;
  const ShadowPage& sp = shadow_[(phys - kShadowBase) >> kPageShift];
  if (!sp.controlled || !sp.write_ram || sp.read_ram || phys + size_bytes > ram_bytes_) return false;
  // Write-only shadow: reads come from the bus, the write lands in the RAM below.
  std::memcpy(ram_ + phys, src, size_bytes);
  return true;
}

void PhysicalMemory::add_rom(uint64_t base, const std::vector<uint8_t>& data, std::string name) {
  if (base % kPageBytes) throw std::runtime_error(fmt::format("memory: ROM '{}' at {:#x} is not page aligned", name, base));
  uint64_t size = (data.size() + kPageBytes - 1) & ~(kPageBytes - 1);
  if (size == 0 || base + size > kAddressSpaceBytes)
    throw std::runtime_error(fmt::format("memory: ROM '{}' at {:#x} does not fit", name, base));
  auto storage = std::make_unique<uint8_t[]>(size);
  std::memset(storage.get(), 0xFF, size);
  std::memcpy(storage.get(), data.data(), data.size());
  uint16_t region = add_region({PageKind::kRom, base, size, storage.get(), nullptr, std::move(name)});
  rom_storage_.push_back(std::move(storage));
  map_pages(base, size, region);
}

void PhysicalMemory::add_mmio(uint64_t base, uint64_t size_bytes, MmioHandler* handler) {
  if (base % kPageBytes || size_bytes % kPageBytes || base + size_bytes > kAddressSpaceBytes)
    throw std::runtime_error(fmt::format("memory: MMIO '{}' at {:#x}+{:#x} is not page aligned",
                                         handler->mmio_name(), base, size_bytes));
  map_pages(base, size_bytes, add_region({PageKind::kMmio, base, size_bytes, nullptr, handler, handler->mmio_name()}));
}

PageInfo PhysicalMemory::page(uint64_t phys) const {
  if (phys >= kAddressSpaceBytes) return {};
  uint16_t r = page_region_[phys >> kPageShift];
  if (r == 0) return {};
  const Region& reg = regions_[r - 1];
  uint64_t page_base = phys & ~(kPageBytes - 1);
  PageInfo info;
  info.kind = reg.kind;
  if (reg.kind == PageKind::kMmio) {
    info.mmio = reg.mmio;
    info.mmio_offset = page_base - reg.base;
  } else {
    info.host = reg.host + (page_base - reg.base);
  }
  return info;
}

uint64_t PhysicalMemory::read_page(uint64_t phys, unsigned size_bytes) {
  PageInfo p = page(phys);
  uint64_t off = phys & (kPageBytes - 1);
  switch (p.kind) {
    case PageKind::kRam:
    case PageKind::kRom: {
      uint64_t v = 0;
      std::memcpy(&v, p.host + off, size_bytes);
      return v;
    }
    case PageKind::kMmio:
      return p.mmio->mmio_read(p.mmio_offset + off, size_bytes);
    case PageKind::kUnassigned:
      break;
  }
  return size_bytes == 8 ? ~0ull : ((1ull << (8 * size_bytes)) - 1);
}

void PhysicalMemory::write_page(uint64_t phys, uint64_t value, unsigned size_bytes) {
  if (phys - kShadowBase < kShadowEnd - kShadowBase && shadow_write(phys, &value, size_bytes)) return;
  PageInfo p = page(phys);
  uint64_t off = phys & (kPageBytes - 1);
  switch (p.kind) {
    case PageKind::kRam:
      note_write(phys, size_bytes);
      std::memcpy(p.host + off, &value, size_bytes);
      break;
    case PageKind::kMmio:
      p.mmio->mmio_write(p.mmio_offset + off, value, size_bytes);
      break;
    case PageKind::kRom:
    case PageKind::kUnassigned:
      break;  // writes to ROM and to nothing are dropped, as on the real bus
  }
}

uint64_t PhysicalMemory::read(uint64_t phys, unsigned size_bytes) {
  uint64_t off = phys & (kPageBytes - 1);
  if (off + size_bytes <= kPageBytes) return read_page(phys, size_bytes);
  uint64_t v = 0;
  for (unsigned i = 0; i < size_bytes; i++) v |= read_page(phys + i, 1) << (8 * i);
  return v;
}

void PhysicalMemory::write(uint64_t phys, uint64_t value, unsigned size_bytes) {
  uint64_t off = phys & (kPageBytes - 1);
  if (off + size_bytes <= kPageBytes) return write_page(phys, value, size_bytes);
  for (unsigned i = 0; i < size_bytes; i++) write_page(phys + i, (value >> (8 * i)) & 0xFF, 1);
}

void PhysicalMemory::read_bytes(uint64_t phys, void* dst, uint64_t size_bytes) {
  auto* out = static_cast<uint8_t*>(dst);
  while (size_bytes) {
    uint64_t off = phys & (kPageBytes - 1);
    uint64_t chunk = std::min<uint64_t>(size_bytes, kPageBytes - off);
    PageInfo p = page(phys);
    if (p.host) std::memcpy(out, p.host + off, chunk);
    else std::memset(out, 0xFF, chunk);
    phys += chunk; out += chunk; size_bytes -= chunk;
  }
}

void PhysicalMemory::write_bytes(uint64_t phys, const void* src, uint64_t size_bytes) {
  auto* in = static_cast<const uint8_t*>(src);
  while (size_bytes) {
    uint64_t off = phys & (kPageBytes - 1);
    uint64_t chunk = std::min<uint64_t>(size_bytes, kPageBytes - off);
    PageInfo p = page(phys);
    if (p.kind == PageKind::kRam) {
      note_write(phys, static_cast<unsigned>(chunk));
      std::memcpy(p.host + off, in, chunk);
    } else {
      shadow_write(phys, in, chunk);
    }
    phys += chunk; in += chunk; size_bytes -= chunk;
  }
}

void PhysicalMemory::notify_code_write(uint64_t phys, unsigned size_bytes) {
  if (!code_listener_) return;
  const uint64_t end = phys + size_bytes;
  for (uint64_t at = phys; at < end;) {
    const uint64_t page = at & ~(kPageBytes - 1);
    const uint64_t chunk_end = std::min(end, page + kPageBytes);
    if (is_code_page(page)) code_listener_->on_code_write(at, chunk_end - at);
    at = chunk_end;
  }
}

}  // namespace kasou
