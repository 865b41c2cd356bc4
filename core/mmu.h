// The software MMU: linear -> physical translation, the software TLB and the exact
// data-access paths used by the reference interpreter and the helpers.
//
// Generated code does the TLB fast path inline (see jit/emit_mem.cpp); when it
// misses it calls mmu_host_pointer(), which fills the TLB or says "no direct host
// pointer" (MMIO, ROM write, code page, page crossing), in which case the engine
// executes that one instruction in the reference interpreter, which uses the exact
// paths below.
#pragma once

#include <cstdint>

#include "core/vcpu.h"

namespace kasou {

enum class Access : uint8_t { kRead, kWrite, kExecute };

// Translates a linear address for an access by the current privilege level (or by
// the supervisor when `supervisor` is set: descriptor tables, TSS, IDT). Raises
// GuestFault(#PF) when the walk fails; sets accessed/dirty bits as hardware does.
uint64_t mmu_translate(Vcpu& v, uint64_t linear, Access access, bool supervisor = false);

// Returns the host address for a plain-RAM access of `size_bytes` that lies in one
// page (filling the TLB), or nullptr if the access needs the exact path. Raises
// GuestFault(#PF) on a failed walk.
uint8_t* mmu_host_pointer(Vcpu& v, uint64_t linear, unsigned size_bytes, Access access);

// Alignment checking (#AC, SDM vol. 3A 6.15): armed while CR0.AM, EFLAGS.AC and
// CPL 3 (virtual-8086 mode included). Implicit supervisor accesses (descriptor
// tables, TSS, IDT) are never checked.
inline bool alignment_check_armed(const CpuState& s) {
  return (s.cr0 & cr0::AM) && (s.rflags & flag::AC) && s.cpl == 3;
}
// Raises #AC(0) if alignment checking is armed and `linear` is not a multiple of
// `align` (a power of two). The pages of the access are translated first: a #PF
// comes before #AC (SDM vol. 3A table 6-2).
void mmu_check_alignment(Vcpu& v, uint64_t linear, unsigned size_bytes, unsigned align, Access access);

// Whether an exact access checks its own alignment: kCheck for every data access
// of an instruction (a word must be 2-aligned, a dword 4, a qword 8); kNoCheck
// when the caller checked the whole data item (an x87 environment, an 80-bit
// real) or for the pushes of event delivery.
enum class Align : uint8_t { kCheck, kNoCheck };

// Exact linear accesses: any alignment, page crossing, MMIO, ROM, code pages.
uint64_t mmu_read(Vcpu& v, uint64_t linear, unsigned size_bytes, bool supervisor = false, Align align = Align::kCheck);
void mmu_write(Vcpu& v, uint64_t linear, uint64_t value, unsigned size_bytes, bool supervisor = false,
               Align align = Align::kCheck);
// Reads code bytes (instruction fetch permission). Returns how many were read before
// the first unreadable page; raises #PF only if not even the first byte is fetchable.
unsigned mmu_fetch(Vcpu& v, uint64_t linear, uint8_t* dst, unsigned max_bytes);

// TLB maintenance. Each one bumps Vcpu::tlb_epoch, so engines drop their caches
// keyed by linear address.
// Drops every entry, or (keep_global: a CR3 reload) every entry but those of global
// pages (G=1 while CR4.PGE is set).
void tlb_flush_all(Vcpu& v, bool keep_global = false);
// Whether the TLB (the current privilege level's view) holds a translation of the
// page of `linear` that is global, i.e. one that a CR3 load keeps.
bool tlb_holds_global_page(const Vcpu& v, uint64_t linear);
// INVLPG: drops the entries of the page holding `linear`, global or not (for a
// 2/4 MiB page, all of its 4 KiB pieces).
void tlb_flush_page(Vcpu& v, uint64_t linear);
// Drop write permission cached for a physical page (it just became a code page).
void tlb_protect_phys_page(Vcpu& v, uint64_t phys_page);

}  // namespace kasou
