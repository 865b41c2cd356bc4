// Software MMU: translation, TLB fill and exact accesses.
#include "core/mmu.h"

#include <cstring>

#include "core/debug.h"
#include "core/fault.h"
#include "core/paging.h"
#include "core/physical_memory.h"

namespace kasou {
namespace {

bool paging_on(const Vcpu& v) { return v.s.cr0 & cr0::PG; }

unsigned tlb_view(const Vcpu& v, bool supervisor) { return (!supervisor && v.s.cpl == 3) ? 1 : 0; }

TlbEntry& tlb_slot(Vcpu& v, unsigned view, uint64_t linear) {
  return v.tlb.view[view][(linear >> kPageShift) & (kTlbEntries - 1)];
}

struct Translation {
  uint64_t phys;
  bool writable;  // a write right now would not fault and would not need to set D
  uint8_t attrs;  // tlb_attr bits
};

Translation translate(Vcpu& v, uint64_t linear, Access access, bool supervisor) {
  linear &= 0xFFFFFFFFull;
  if (!paging_on(v)) return {linear & v.a20_mask, true, tlb_attr::kExec};
  const bool user = !supervisor && v.s.cpl == 3;
  PageWalk w = paging_walk(v, linear, access == Access::kWrite, user, access == Access::kExecute);
  const uint8_t attrs = static_cast<uint8_t>((w.global ? tlb_attr::kGlobal : 0) |
                                             (w.page_bytes > kPageBytes ? tlb_attr::kLarge : 0) |
                                             (w.executable ? tlb_attr::kExec : 0));
  return {w.phys & v.a20_mask, w.writable && w.dirty, attrs};
}

constexpr TlbEntry kEmptyEntry{kTlbInvalidTag, kTlbInvalidTag, 0, ~0ull};

void tlb_clear(Vcpu& v, unsigned view, unsigned slot) {
  v.tlb.view[view][slot] = kEmptyEntry;
  v.tlb_attrs[view][slot] = 0;
}

// Fills the TLB entry for the page of `linear` after a successful translation.
void tlb_fill(Vcpu& v, uint64_t linear, const Translation& t, unsigned view) {
  v.stats.tlb_fills++;
  uint64_t page_linear = linear & 0xFFFFF000ull;
  uint64_t phys_page = t.phys & ~(kPageBytes - 1);
  PageInfo pi = v.mem->page(phys_page);
  TlbEntry& e = tlb_slot(v, view, linear);
  v.tlb_attrs[view][(linear >> kPageShift) & (kTlbEntries - 1)] = t.attrs;
  if (t.attrs & tlb_attr::kLarge) v.tlb_has_large = true;
  e.phys_page = phys_page;
  if (pi.kind == PageKind::kRam || pi.kind == PageKind::kRom) {
    e.read_tag = page_linear;
    e.addend = reinterpret_cast<uint64_t>(pi.host) - page_linear;
    bool can_write = pi.kind == PageKind::kRam && t.writable && !v.mem->is_code_page(phys_page);
    e.write_tag = can_write ? page_linear : kTlbInvalidTag;
  } else {
    e.read_tag = e.write_tag = kTlbInvalidTag;
    e.addend = 0;
  }
}

// The TLB fast path of the exact accesses: a host pointer if the whole access
// hits a cached RAM/ROM page with the needed permission, else nullptr.
uint8_t* tlb_hit(Vcpu& v, uint64_t linear, unsigned size_bytes, Access access, bool supervisor) {
  const TlbEntry& e = tlb_slot(v, tlb_view(v, supervisor), linear);
  const uint64_t tag = access == Access::kWrite ? e.write_tag : e.read_tag;
  if (tag != ((linear + size_bytes - 1) & 0xFFFFF000ull) || (linear & 0xFFFFF000ull) != tag) return nullptr;
  return reinterpret_cast<uint8_t*>(linear + e.addend);
}

// Translates one page's worth of an access and caches it in the TLB.
uint64_t translate_and_fill(Vcpu& v, uint64_t linear, Access access, bool supervisor) {
  Translation t = translate(v, linear, access, supervisor);
  tlb_fill(v, linear, t, tlb_view(v, supervisor));
  return t.phys;
}

}  // namespace

uint64_t mmu_translate(Vcpu& v, uint64_t linear, Access access, bool supervisor) {
  linear &= 0xFFFFFFFFull;
  // A cached translation with the needed permission answers without a walk (the
  // dispatcher and the interpreter's write probes ask for the same pages often).
  const unsigned view = tlb_view(v, supervisor);
  const unsigned slot = (linear >> kPageShift) & (kTlbEntries - 1);
  const TlbEntry& e = v.tlb.view[view][slot];
  const uint64_t page = linear & 0xFFFFF000ull;
  const bool hit = access == Access::kWrite   ? e.write_tag == page
                   : access == Access::kRead  ? e.read_tag == page
                                              : e.read_tag == page && (v.tlb_attrs[view][slot] & tlb_attr::kExec);
  if (hit) return e.phys_page | (linear & (kPageBytes - 1));
  Translation t = translate(v, linear, access, supervisor);
  tlb_fill(v, linear, t, view);
  return t.phys;
}

uint8_t* mmu_host_pointer(Vcpu& v, uint64_t linear, unsigned size_bytes, Access access) {
  linear &= 0xFFFFFFFFull;
  if (((linear & (kPageBytes - 1)) + size_bytes) > kPageBytes) return nullptr;
  // Single-stepping or a data breakpoint in the range: element by element, exactly.
  if (debug_active(v.s) && debug_needs_exact_access(v, linear, size_bytes)) return nullptr;
  const unsigned view = tlb_view(v, false);
  Translation t = translate(v, linear, access, false);
  tlb_fill(v, linear, t, view);
  const TlbEntry& e = tlb_slot(v, view, linear);
  uint64_t tag = access == Access::kWrite ? e.write_tag : e.read_tag;
  if (tag != (linear & 0xFFFFF000ull)) return nullptr;
  return reinterpret_cast<uint8_t*>(linear + e.addend);
}

namespace {

// The exact paths: any alignment, page crossing, MMIO, ROM, code pages.
uint64_t read_exact(Vcpu& v, uint64_t linear, unsigned size_bytes, bool supervisor) {
  if (const uint8_t* p = tlb_hit(v, linear, size_bytes, Access::kRead, supervisor)) {
    uint64_t value = 0;
    std::memcpy(&value, p, size_bytes);
    return value;
  }
  uint64_t off = linear & (kPageBytes - 1);
  if (off + size_bytes <= kPageBytes) {
    uint64_t phys = translate_and_fill(v, linear, Access::kRead, supervisor);
    if (v.mem->page(phys).kind == PageKind::kMmio) v.stats.mmio_accesses++;
    return v.mem->read(phys, size_bytes);
  }
  // Crossing a page: translate both halves before reading either.
  unsigned first = static_cast<unsigned>(kPageBytes - off);
  uint64_t p0 = translate(v, linear, Access::kRead, supervisor).phys;
  uint64_t p1 = translate(v, (linear + first) & 0xFFFFFFFFull, Access::kRead, supervisor).phys;
  uint64_t lo = v.mem->read(p0, first);
  uint64_t hi = v.mem->read(p1, size_bytes - first);
  return lo | (hi << (8 * first));
}

void write_exact(Vcpu& v, uint64_t linear, uint64_t value, unsigned size_bytes, bool supervisor) {
  if (uint8_t* p = tlb_hit(v, linear, size_bytes, Access::kWrite, supervisor)) {
    std::memcpy(p, &value, size_bytes);  // write tags exclude code pages, ROM and MMIO
    return;
  }
  uint64_t off = linear & (kPageBytes - 1);
  if (off + size_bytes <= kPageBytes) {
    uint64_t phys = translate_and_fill(v, linear, Access::kWrite, supervisor);
    if (v.mem->page(phys).kind == PageKind::kMmio) v.stats.mmio_accesses++;
    v.mem->write(phys, value, size_bytes);
    return;
  }
  // Both pages must be writable before any byte is written.
  unsigned first = static_cast<unsigned>(kPageBytes - off);
  uint64_t p0 = translate(v, linear, Access::kWrite, supervisor).phys;
  uint64_t p1 = translate(v, (linear + first) & 0xFFFFFFFFull, Access::kWrite, supervisor).phys;
  v.mem->write(p0, value & ((first >= 8) ? ~0ull : ((1ull << (8 * first)) - 1)), first);
  v.mem->write(p1, value >> (8 * first), size_bytes - first);
}

}  // namespace

namespace {
// A misaligned word, dword or qword access by the current privilege level.
bool needs_alignment_check(uint64_t linear, unsigned size_bytes, bool supervisor, Align align) {
  return (linear & (size_bytes - 1)) && !supervisor && align == Align::kCheck && (size_bytes & (size_bytes - 1)) == 0;
}
}  // namespace

void mmu_check_alignment(Vcpu& v, uint64_t linear, unsigned size_bytes, unsigned align, Access access) {
  if (!(linear & (align - 1)) || !alignment_check_armed(v.s)) return;
  linear &= 0xFFFFFFFFull;
  mmu_translate(v, linear, access);
  mmu_translate(v, (linear + size_bytes - 1) & 0xFFFFFFFFull, access);
  raise_fault(vec::AC, 0);
}

uint64_t mmu_read(Vcpu& v, uint64_t linear, unsigned size_bytes, bool supervisor, Align align) {
  linear &= 0xFFFFFFFFull;
  if (needs_alignment_check(linear, size_bytes, supervisor, align))
    mmu_check_alignment(v, linear, size_bytes, size_bytes, Access::kRead);
  const uint64_t value = read_exact(v, linear, size_bytes, supervisor);
  if (v.s.dr[7] & dr7::kEnableMask) debug_data_access(v, linear, size_bytes, false);
  return value;
}

void mmu_write(Vcpu& v, uint64_t linear, uint64_t value, unsigned size_bytes, bool supervisor, Align align) {
  linear &= 0xFFFFFFFFull;
  if (needs_alignment_check(linear, size_bytes, supervisor, align))
    mmu_check_alignment(v, linear, size_bytes, size_bytes, Access::kWrite);
  write_exact(v, linear, value, size_bytes, supervisor);
  if (v.s.dr[7] & dr7::kEnableMask) debug_data_access(v, linear, size_bytes, true);
}

unsigned mmu_fetch(Vcpu& v, uint64_t linear, uint8_t* dst, unsigned max_bytes) {
  unsigned done = 0;
  while (done < max_bytes) {
    uint64_t a = (linear + done) & 0xFFFFFFFFull;
    uint64_t phys;
    try {
      phys = translate(v, a, Access::kExecute, false).phys;
    } catch (const GuestFault&) {
      if (done == 0) throw;
      break;
    }
    unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(max_bytes - done, kPageBytes - (a & (kPageBytes - 1))));
    v.mem->read_bytes(phys, dst + done, chunk);
    done += chunk;
  }
  return done;
}

void tlb_flush_all(Vcpu& v, bool keep_global) {
  v.stats.tlb_flushes++;
  v.tlb_epoch++;
  if (keep_global)
    v.tlb_nonglobal_flushes++;
  else
    v.tlb_full_flushes++;
  bool large_left = false;
  for (unsigned view = 0; view < 2; view++)
    for (unsigned slot = 0; slot < kTlbEntries; slot++) {
      const uint8_t attrs = v.tlb_attrs[view][slot];
      if (keep_global && (attrs & tlb_attr::kGlobal)) {
        large_left = large_left || (attrs & tlb_attr::kLarge);
        continue;
      }
      tlb_clear(v, view, slot);
    }
  v.tlb_has_large = large_left;
}

bool tlb_holds_global_page(const Vcpu& v, uint64_t linear) {
  linear &= 0xFFFFFFFFull;
  const unsigned view = tlb_view(v, false);
  const unsigned slot = (linear >> kPageShift) & (kTlbEntries - 1);
  return v.tlb.view[view][slot].read_tag == (linear & 0xFFFFF000ull) && (v.tlb_attrs[view][slot] & tlb_attr::kGlobal);
}

void tlb_flush_page(Vcpu& v, uint64_t linear) {
  v.tlb_epoch++;
  linear &= 0xFFFFFFFFull;
  const unsigned slot = (linear >> kPageShift) & (kTlbEntries - 1);
  for (unsigned view = 0; view < 2; view++) tlb_clear(v, view, slot);
  // The large page size the current mode uses.
  const uint64_t large_bytes = (v.s.cr4 & cr4::PAE) ? (2ull << 20) : (4ull << 20);
  const uint64_t region = linear & ~(large_bytes - 1);
  Vcpu::TlbFlushRecord& rec = v.tlb_flush_log[v.tlb_page_flushes++ % Vcpu::kTlbFlushLog];
  rec.linear = static_cast<uint32_t>(v.tlb_has_large ? region : linear & ~uint64_t{kPageBytes - 1});
  rec.bytes = static_cast<uint32_t>(v.tlb_has_large ? large_bytes : kPageBytes);
  if (!v.tlb_has_large) return;
  // A large page is cached as 4 KiB pieces in many slots: drop every piece of the
  // large page that holds `linear`.
  for (unsigned view = 0; view < 2; view++)
    for (unsigned i = 0; i < kTlbEntries; i++) {
      if (!(v.tlb_attrs[view][i] & tlb_attr::kLarge)) continue;
      const TlbEntry& e = v.tlb.view[view][i];
      // The entry's linear page: its read tag, or (for entries without a host
      // pointer) nothing can hit through it anyway, so dropping it is harmless.
      if (e.read_tag == kTlbInvalidTag || (e.read_tag & ~(large_bytes - 1)) == region) tlb_clear(v, view, i);
    }
}

void tlb_protect_phys_page(Vcpu& v, uint64_t phys_page) {
  for (auto& view : v.tlb.view)
    for (auto& e : view)
      if (e.phys_page == phys_page) e.write_tag = kTlbInvalidTag;
}

}  // namespace kasou
