// Page-table walker (non-PAE with PSE, and PAE with NX).
#include "core/paging.h"

#include "core/fault.h"
#include "core/physical_memory.h"

namespace kasou {
namespace {

constexpr uint64_t kP = 1, kRw = 2, kUs = 4, kA = 0x20, kD = 0x40, kPs = 0x80, kG = 0x100;
constexpr uint64_t kNx = 1ull << 63;

[[noreturn]] void page_fault(Vcpu& v, uint64_t linear, uint32_t err) {
  v.s.cr2 = static_cast<uint32_t>(linear);
  raise_fault(vec::PF, err);
}

uint64_t read_entry(Vcpu& v, uint64_t addr, unsigned size) {
  v.stats.page_walks++;
  return v.mem->read(addr & v.a20_mask, size);
}

void set_bits(Vcpu& v, uint64_t addr, uint64_t entry, uint64_t bits, unsigned size) {
  if ((entry & bits) != bits) v.mem->write(addr & v.a20_mask, entry | bits, size);
}

}  // namespace

PageWalk paging_walk(Vcpu& v, uint64_t linear, bool write, bool user, bool fetch) {
  const bool pae = v.s.cr4 & cr4::PAE;
  const bool nxe = pae && (v.s.efer & (1u << 11));
  const uint32_t base_err = (write ? pf_err::W : 0) | (user ? pf_err::U : 0) |
                            ((fetch && nxe) ? pf_err::I : 0);
  linear &= 0xFFFFFFFFull;

  struct Level {
    uint64_t addr;
    uint64_t entry;
  };
  Level levels[3];
  int n = 0;
  uint64_t entry;
  uint64_t page_bytes;
  uint64_t frame;

  if (pae) {
    // Reserved bits of PAE entries (physical addresses are 36 bits here).
    constexpr uint64_t kAddrMask = 0x0000000FFFFFF000ull;
    const uint64_t rsvd = 0x7FFFFFF000000000ull | (nxe ? 0 : kNx);  // bits 36-62 (+ NX)
    uint64_t pdpte_addr = (v.s.cr3 & 0xFFFFFFE0ull) + ((linear >> 30) & 3) * 8;
    uint64_t pdpte = read_entry(v, pdpte_addr, 8);
    if (!(pdpte & kP)) page_fault(v, linear, base_err);
    if (pdpte & (0x1E6ull | 0xFFFFFFF000000000ull)) page_fault(v, linear, base_err | pf_err::P | pf_err::RSVD);
    uint64_t pde_addr = (pdpte & kAddrMask) + ((linear >> 21) & 0x1FF) * 8;
    uint64_t pde = read_entry(v, pde_addr, 8);
    if (!(pde & kP)) page_fault(v, linear, base_err);
    if ((pde & rsvd) ||
        ((pde & kPs) && (pde & 0x1FE000ull)))
      page_fault(v, linear, base_err | pf_err::P | pf_err::RSVD);
    levels[n++] = {pde_addr, pde};
    if (pde & kPs) {
      entry = pde;
      page_bytes = 2ull << 20;
      frame = pde & 0x0000000FFFE00000ull;
    } else {
      uint64_t pte_addr = (pde & kAddrMask) + ((linear >> 12) & 0x1FF) * 8;
      uint64_t pte = read_entry(v, pte_addr, 8);
      if (!(pte & kP)) page_fault(v, linear, base_err);
      if (pte & rsvd)
        page_fault(v, linear, base_err | pf_err::P | pf_err::RSVD);
      levels[n++] = {pte_addr, pte};
      entry = pte;
      page_bytes = kPageBytes;
      frame = pte & kAddrMask;
    }
  } else {
    uint64_t pde_addr = (v.s.cr3 & 0xFFFFF000ull) + ((linear >> 22) & 0x3FF) * 4;
    uint64_t pde = read_entry(v, pde_addr, 4);
    if (!(pde & kP)) page_fault(v, linear, base_err);
    levels[n++] = {pde_addr, pde};
    if ((pde & kPs) && (v.s.cr4 & cr4::PSE)) {
      // PSE-36: bits 13-16 of the PDE are physical address bits 32-35.
      if (pde & (1u << 21)) page_fault(v, linear, base_err | pf_err::P | pf_err::RSVD);
      entry = pde;
      page_bytes = 4ull << 20;
      frame = (pde & 0xFFC00000ull) | ((pde >> 13) & 0xFull) << 32;
    } else {
      uint64_t pte_addr = (pde & 0xFFFFF000ull) + ((linear >> 12) & 0x3FF) * 4;
      uint64_t pte = read_entry(v, pte_addr, 4);
      if (!(pte & kP)) page_fault(v, linear, base_err);
      levels[n++] = {pte_addr, pte};
      entry = pte;
      page_bytes = kPageBytes;
      frame = pte & 0xFFFFF000ull;
    }
  }

  bool us = true, rw = true, nx = false;
  for (int i = 0; i < n; i++) {
    us = us && (levels[i].entry & kUs);
    rw = rw && (levels[i].entry & kRw);
    nx = nx || (nxe && (levels[i].entry & kNx));
  }
  // PAE PDPTEs carry no R/W, U/S or NX bits in legacy PAE mode.
  const bool wp = v.s.cr0 & cr0::WP;
  const bool writable = user ? (us && rw) : (rw || !wp);
  bool fault = false;
  if (user && !us) fault = true;
  if (write && !writable) fault = true;
  if (fetch && nx) fault = true;
  if (fault) page_fault(v, linear, base_err | pf_err::P);

  const unsigned esize = pae ? 8 : 4;
  for (int i = 0; i < n - 1; i++) set_bits(v, levels[i].addr, levels[i].entry, kA, esize);
  set_bits(v, levels[n - 1].addr, entry, write ? (kA | kD) : kA, esize);

  PageWalk w;
  w.phys = frame + (linear & (page_bytes - 1));
  w.writable = writable;
  w.user = us;
  w.executable = !nx;
  w.dirty = write || (entry & kD);
  w.global = (entry & kG) && (v.s.cr4 & cr4::PGE);
  w.page_bytes = page_bytes;
  return w;
}

}  // namespace kasou
