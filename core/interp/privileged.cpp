// Privileged and system instructions (Intel SDM vol. 2, and vol. 3 ch. 2-4): the
// descriptor-table registers (LGDT LIDT SGDT SIDT LLDT SLDT LTR STR), the machine
// status word (SMSW LMSW CLTS), MOV to/from control and debug registers, TLB and
// cache control (INVLPG INVD WBINVD), MSRs (RDMSR WRMSR, the table is core/msr.cpp),
// RDPMC, fast system calls (SYSENTER SYSEXIT) and the selector checks a program
// may make at any privilege (LAR LSL VERR VERW ARPL).
//
// Each handler is the one implementation of its instruction: the translator calls
// these same functions as its "helpers". Checks come before any effect (precise
// faults); a change of paging state flushes the TLB (which bumps Vcpu::tlb_epoch).
#include "core/exceptions.h"
#include "core/fault.h"
#include "core/interp/flags.h"
#include "core/interp/handlers.h"
#include "core/interp/operand_access.h"
#include "core/msr.h"
#include "core/physical_memory.h"

namespace kasou {
namespace {

bool protected_mode(const CpuState& s) { return s.cr0 & cr0::PE; }
bool vm86(const CpuState& s) { return protected_mode(s) && (s.rflags & flag::VM); }

// #GP(0) unless at privilege 0: real mode is CPL 0, VM86 is CPL 3.
void require_cpl0(const CpuState& s) {
  if (vm86(s) || (protected_mode(s) && s.cpl != 0)) raise_fault(vec::GP, 0);
}

// #UD in real mode and VM86: the instructions that only protected mode recognises.
void require_protected_mode(const CpuState& s) {
  if (!protected_mode(s) || (s.rflags & flag::VM)) raise_fault(vec::UD);
}

void require_memory_operand(const DecodedInsn& d, int index) {
  if (d.ops[index].type != ZYDIS_OPERAND_TYPE_MEMORY) raise_fault(vec::UD);
}

// 16-bit operand size (the CS default flipped by a 66 prefix).
bool operand16(const DecodedInsn& d) { return d.code16 != d.has(ZYDIS_ATTRIB_HAS_OPERANDSIZE); }

// Segment and limit check of a `size`-byte memory operand; the linear address.
uint64_t memory_linear(Vcpu& v, const DecodedInsn& d, int index, unsigned size, Access access) {
  const ZydisDecodedOperand& op = d.ops[index];
  return seg_linear(v, seg_of(op.mem.segment), effective_address(v.s, d, op), size, access);
}

// ---------------------------------------------------------------------------
// Descriptor-table registers

// LGDT / LIDT m16&32: limit, then base; a 16-bit operand size keeps 24 bits of base.
template <bool idt>
void h_load_table(Vcpu& v, const DecodedInsn& d) {
  require_memory_operand(d, 0);
  require_cpl0(v.s);
  const uint64_t lin = memory_linear(v, d, 0, 6, Access::kRead);
  const uint32_t limit = static_cast<uint32_t>(mmu_read(v, lin, 2));
  uint32_t base = static_cast<uint32_t>(mmu_read(v, lin + 2, 4));
  if (operand16(d)) base &= 0x00FFFFFF;
  TableRegister& t = idt ? v.s.idtr : v.s.gdtr;
  t.base = base;
  t.limit = limit;
  advance(v, d);
}

// SGDT / SIDT m16&32: not privileged (no UMIP on this CPU). With a 16-bit operand
// size the top byte of the base is stored as 0 (P6 family behaviour).
template <bool idt>
void h_store_table(Vcpu& v, const DecodedInsn& d) {
  require_memory_operand(d, 0);
  const uint64_t lin = memory_linear(v, d, 0, 6, Access::kWrite);
  probe_write(v, lin, 6);
  const TableRegister& t = idt ? v.s.idtr : v.s.gdtr;
  uint32_t base = static_cast<uint32_t>(t.base);
  if (operand16(d)) base &= 0x00FFFFFF;
  mmu_write(v, lin, t.limit & 0xFFFF, 2);
  mmu_write(v, lin + 2, base, 4);
  advance(v, d);
}

constexpr uint16_t kSystemTypeMask = seg_attr::kS | seg_attr::kTypeMask;  // S=0 plus the type
constexpr uint16_t kTypeLdt = 0x2;
constexpr uint16_t kTypeTss16 = 0x1, kTypeTss32 = 0x9, kTssBusy = 0x2;

// LLDT r/m16: a GDT selector of an LDT descriptor, or null (LDTR unusable).
void h_lldt(Vcpu& v, const DecodedInsn& d) {
  require_protected_mode(v.s);
  require_cpl0(v.s);
  const uint16_t sel = static_cast<uint16_t>(read_operand(v, d, 0));
  const uint16_t err = sel & 0xFFFC;
  if ((sel & ~3u) == 0) {
    v.s.ldtr = SegmentCache{0, 0, sel, 0};
    advance(v, d);
    return;
  }
  if (sel & 4) raise_fault(vec::GP, err);
  const SegmentCache c = descriptor_to_cache(read_descriptor(v, sel), sel);
  if ((c.attr & kSystemTypeMask) != kTypeLdt) raise_fault(vec::GP, err);
  if (!(c.attr & seg_attr::kPresent)) raise_fault(vec::NP, err);
  v.s.ldtr = c;
  advance(v, d);
}

// LTR r/m16: a GDT selector of an available TSS; marks the descriptor busy.
void h_ltr(Vcpu& v, const DecodedInsn& d) {
  require_protected_mode(v.s);
  require_cpl0(v.s);
  const uint16_t sel = static_cast<uint16_t>(read_operand(v, d, 0));
  const uint16_t err = sel & 0xFFFC;
  if ((sel & ~3u) == 0) raise_fault(vec::GP, 0);
  if (sel & 4) raise_fault(vec::GP, err);
  SegmentCache c = descriptor_to_cache(read_descriptor(v, sel), sel);
  const uint16_t type = c.attr & kSystemTypeMask;
  if (type != kTypeTss16 && type != kTypeTss32) raise_fault(vec::GP, err);
  if (!(c.attr & seg_attr::kPresent)) raise_fault(vec::NP, err);
  c.attr |= kTssBusy;
  write_descriptor_byte5(v, sel, static_cast<uint8_t>(c.attr & 0xFF));
  v.s.tr = c;
  advance(v, d);
}

// SLDT / STR r/m16: a 32-bit register gets the selector zero-extended (P6 and
// later); memory is always a 16-bit store.
template <bool task_register>
void h_store_selector(Vcpu& v, const DecodedInsn& d) {
  require_protected_mode(v.s);
  write_operand(v, d, 0, task_register ? v.s.tr.selector : v.s.ldtr.selector);
  advance(v, d);
}

// ---------------------------------------------------------------------------
// Control registers

// CR0 bits that exist; the others are reserved: written as 0, read as 0 (ET reads 1).
constexpr uint64_t kCr0Defined = cr0::PE | cr0::MP | cr0::EM | cr0::TS | cr0::NE | cr0::WP | cr0::AM |
                                 cr0::NW | cr0::CD | cr0::PG;
// CR4 bits of the features this CPU reports in CPUID; setting any other is #GP(0).
// (OSFXSR/OSXMMEXCPT join when FXSR/SSE do, MCE with machine checks, VME/PVI with
// the virtual-8086 extensions.)
constexpr uint64_t kCr4Supported = cr4::TSD | cr4::DE | cr4::PSE | cr4::PAE | cr4::PGE | cr4::PCE | cr4::OSFXSR;

// Loads the four PAE page-directory-pointer-table entries at CR3 (the check a CPU
// makes when it loads its PDPTE registers): #GP(0) if a present one has a reserved
// bit set. The walker reads them from memory again at each walk.
void check_pdptes(Vcpu& v, uint64_t cr3) {
  constexpr uint64_t kReserved = 0x1E6ull | ~((1ull << msr::kPhysAddrBits) - 1);  // bits 2:1, 8:5, 63:36
  const uint64_t table = cr3 & 0xFFFFFFE0ull;
  for (unsigned i = 0; i < 4; i++) {
    const uint64_t e = v.mem->read((table + 8 * i) & v.a20_mask, 8);
    if ((e & 1) && (e & kReserved)) raise_fault(vec::GP, 0);
  }
}

bool pae_paging(uint64_t cr0_value, uint64_t cr4_value) {
  return (cr0_value & cr0::PG) && (cr4_value & cr4::PAE);
}

// ---------------------------------------------------------------------------
// Debug registers

constexpr uint64_t kDr6Fixed1 = 0xFFFF0FF0;  // bits 4-11 and 16-31 read as 1, bit 12 as 0
constexpr uint64_t kDr6Writable = 0xE00F;    // B0-B3, BD, BS, BT
constexpr uint64_t kDr6Bd = 1u << 13;
constexpr uint64_t kDr7Fixed1 = 0x400;       // bit 10
constexpr uint64_t kDr7Writable = 0xFFFF23FF;  // bits 11, 12, 14, 15 read as 0
constexpr uint64_t kDr7Gd = 1u << 13;

// MOV DRn, r32 / MOV r32, DRn.
void mov_debug(Vcpu& v, const DecodedInsn& d, bool to_dr) {
  CpuState& s = v.s;
  const ZydisRegister dr = d.ops[to_dr ? 0 : 1].reg.value;
  const ZydisRegister gpr = d.ops[to_dr ? 1 : 0].reg.value;
  unsigned n = static_cast<unsigned>(ZydisRegisterGetId(dr));
  if (n > 7) raise_fault(vec::UD);
  require_cpl0(s);
  if (n == 4 || n == 5) {
    if (s.cr4 & cr4::DE) raise_fault(vec::UD);
    n += 2;  // DR4/DR5 alias DR6/DR7 without debug extensions
  }
  if (s.dr[7] & kDr7Gd) {
    // General detect: a fault before the access; the handler finds DR6.BD set and
    // DR7.GD clear (so that it may use the debug registers itself).
    s.dr[6] |= kDr6Bd;
    s.dr[7] &= ~kDr7Gd;
    raise_fault(vec::DB);
  }
  if (to_dr) {
    const uint64_t value = read_reg(s, gpr) & 0xFFFFFFFF;
    if (n == 6) s.dr[6] = (value & kDr6Writable) | kDr6Fixed1;
    else if (n == 7) s.dr[7] = (value & kDr7Writable) | kDr7Fixed1;
    else s.dr[n] = value;
  } else {
    write_reg(s, gpr, s.dr[n] & 0xFFFFFFFF);
  }
  advance(v, d);
}

// ---------------------------------------------------------------------------
// Machine status word

// SMSW r/m: the low 16 bits of CR0 to memory; a 32-bit register gets all of CR0
// (the upper half is "undefined" in the SDM; P6 and later store CR0).
void h_smsw(Vcpu& v, const DecodedInsn& d) {
  write_operand(v, d, 0, v.s.cr0 & 0xFFFFFFFF);
  advance(v, d);
}

// LMSW r/m16: loads PE, MP, EM and TS; can set PE but not clear it.
void h_lmsw(Vcpu& v, const DecodedInsn& d) {
  require_cpl0(v.s);
  const uint64_t msw = read_operand(v, d, 0) & 0xF;
  const uint64_t old = v.s.cr0;
  write_cr0(v, (old & ~0xFull) | msw | (old & cr0::PE));
  advance(v, d);
}

void h_clts(Vcpu& v, const DecodedInsn& d) {
  require_cpl0(v.s);
  v.s.cr0 &= ~cr0::TS;
  advance(v, d);
}

// ---------------------------------------------------------------------------
// TLB and caches

// INVLPG m: the linear address of the operand (no access, no limit check).
void h_invlpg(Vcpu& v, const DecodedInsn& d) {
  require_memory_operand(d, 0);
  require_cpl0(v.s);
  const ZydisDecodedOperand& op = d.ops[0];
  const uint64_t linear = (v.s.seg[seg_of(op.mem.segment)].base + effective_address(v.s, d, op)) & 0xFFFFFFFFull;
  tlb_flush_page(v, linear);
  advance(v, d);
}

// INVD / WBINVD: caches are not modelled.
void h_cache_flush(Vcpu& v, const DecodedInsn& d) {
  require_cpl0(v.s);
  advance(v, d);
}

// ---------------------------------------------------------------------------
// MSRs and counters

void h_rdmsr(Vcpu& v, const DecodedInsn& d) {
  require_cpl0(v.s);
  uint64_t value;
  if (!msr_read(v, static_cast<uint32_t>(v.s.gpr[kRcx]), value)) raise_fault(vec::GP, 0);
  v.s.gpr[kRax] = value & 0xFFFFFFFF;
  v.s.gpr[kRdx] = value >> 32;
  advance(v, d);
}

void h_wrmsr(Vcpu& v, const DecodedInsn& d) {
  require_cpl0(v.s);
  const uint64_t value = ((v.s.gpr[kRdx] & 0xFFFFFFFF) << 32) | (v.s.gpr[kRax] & 0xFFFFFFFF);
  if (!msr_write(v, static_cast<uint32_t>(v.s.gpr[kRcx]), value)) raise_fault(vec::GP, 0);
  advance(v, d);
}

// RDPMC: allowed at CPL 0 or with CR4.PCE; this CPU has no performance counters,
// so every counter number in ECX is invalid: #GP(0).
void h_rdpmc(Vcpu& v, const DecodedInsn&) {
  const CpuState& s = v.s;
  if ((vm86(s) || (protected_mode(s) && s.cpl != 0)) && !(s.cr4 & cr4::PCE)) raise_fault(vec::GP, 0);
  raise_fault(vec::GP, 0);
}

// ---------------------------------------------------------------------------
// SYSENTER / SYSEXIT: flat segments derived from IA32_SYSENTER_CS, no descriptor
// reads (SDM vol. 2, SYSENTER and SYSEXIT "Operation").

SegmentCache flat_segment(uint16_t selector, uint16_t type, unsigned dpl) {
  const uint16_t attr = static_cast<uint16_t>(type | seg_attr::kS | (dpl << seg_attr::kDplShift) |
                                              seg_attr::kPresent | seg_attr::kDb | seg_attr::kGranularity);
  return SegmentCache{0, 0xFFFFFFFFu, selector, attr};
}

constexpr uint16_t kCodeExecReadAccessed = 0xB, kDataReadWriteAccessed = 0x3;

void h_sysenter(Vcpu& v, const DecodedInsn&) {
  CpuState& s = v.s;
  const uint16_t cs = static_cast<uint16_t>(s.msr.sysenter_cs);
  if (!protected_mode(s) || (cs & 0xFFFC) == 0) raise_fault(vec::GP, 0);
  write_eflags(v, 0, flag::VM | flag::IF | flag::RF);
  s.seg[kCs] = flat_segment(cs & 0xFFFC, kCodeExecReadAccessed, 0);
  s.seg[kSs] = flat_segment(static_cast<uint16_t>((cs & 0xFFFC) + 8), kDataReadWriteAccessed, 0);
  s.cpl = 0;
  s.gpr[kRsp] = s.msr.sysenter_esp & 0xFFFFFFFF;
  s.rip = s.msr.sysenter_eip & 0xFFFFFFFF;
  v.request_exit(ExitRequest::kAttention);
}

void h_sysexit(Vcpu& v, const DecodedInsn&) {
  CpuState& s = v.s;
  const uint16_t cs = static_cast<uint16_t>(s.msr.sysenter_cs);
  if (!protected_mode(s) || vm86(s) || s.cpl != 0 || (cs & 0xFFFC) == 0) raise_fault(vec::GP, 0);
  s.seg[kCs] = flat_segment(static_cast<uint16_t>((cs + 16) | 3), kCodeExecReadAccessed, 3);
  s.seg[kSs] = flat_segment(static_cast<uint16_t>((cs + 24) | 3), kDataReadWriteAccessed, 3);
  s.cpl = 3;
  s.gpr[kRsp] = s.gpr[kRcx] & 0xFFFFFFFF;
  s.rip = s.gpr[kRdx] & 0xFFFFFFFF;
  v.request_exit(ExitRequest::kAttention);
}

// ---------------------------------------------------------------------------
// LAR LSL VERR VERW ARPL: they report with ZF instead of faulting on a bad selector.

// The descriptor of `sel`, or false when the selector is null or outside its table.
bool peek_descriptor(Vcpu& v, uint16_t sel, uint64_t& desc) {
  if ((sel & ~3u) == 0) return false;
  const CpuState& s = v.s;
  const bool ldt = sel & 4;
  if (ldt && ((s.ldtr.selector & ~3u) == 0 || !(s.ldtr.attr & seg_attr::kPresent))) return false;
  const uint64_t base = ldt ? s.ldtr.base : s.gdtr.base;
  const uint32_t limit = ldt ? s.ldtr.limit : s.gdtr.limit;
  if ((sel & ~7u) + 7 > limit) return false;
  desc = mmu_read(v, base + (sel & ~7u), 8, true);
  return true;
}

unsigned desc_dpl(uint64_t desc) { return (desc >> 45) & 3; }
bool desc_is_segment(uint64_t desc) { return (desc >> 44) & 1; }  // S: code or data
unsigned desc_type(uint64_t desc) { return (desc >> 40) & 0xF; }
bool desc_conforming_code(uint64_t desc) { return desc_is_segment(desc) && (desc_type(desc) & 0xC) == 0xC; }

// The privilege rule of LAR/LSL/VERR/VERW: DPL >= CPL and DPL >= RPL, except for
// conforming code segments.
bool desc_visible(const CpuState& s, uint64_t desc, uint16_t sel) {
  if (desc_conforming_code(desc)) return true;
  const unsigned dpl = desc_dpl(desc);
  return dpl >= s.cpl && dpl >= (sel & 3u);
}

void set_zf(CpuState& s, bool z) { set_flags(s, z ? flag::ZF : 0, flag::ZF); }

// System descriptor types LAR accepts: TSSs (available and busy), LDT, call gates
// and task gates; LSL: only those with a limit (TSSs and LDT).
bool lar_system_type_ok(unsigned type) {
  switch (type) {
    case 0x1: case 0x2: case 0x3: case 0x4: case 0x5: case 0x9: case 0xB: case 0xC: return true;
    default: return false;
  }
}
bool lsl_system_type_ok(unsigned type) {
  return type == 0x1 || type == 0x2 || type == 0x3 || type == 0x9 || type == 0xB;
}

// LAR r, r/m16: the access-rights doubleword masked by 00FFFF00H (32-bit: type,
// S, DPL, P, limit 19:16, AVL, D/B, G, as Intel CPUs leave the limit bits) or FF00H.
void h_lar(Vcpu& v, const DecodedInsn& d) {
  require_protected_mode(v.s);
  const uint16_t sel = static_cast<uint16_t>(read_operand(v, d, 1));
  uint64_t desc;
  const bool ok = peek_descriptor(v, sel, desc) &&
                  (desc_is_segment(desc) || lar_system_type_ok(desc_type(desc))) && desc_visible(v.s, desc, sel);
  if (ok) {
    const uint32_t high = static_cast<uint32_t>(desc >> 32);
    write_reg(v.s, d.ops[0].reg.value, d.ops[0].size == 16 ? (high & 0xFF00) : (high & 0x00FFFF00));
  }
  set_zf(v.s, ok);
  advance(v, d);
}

// LSL r, r/m16: the segment limit in bytes (granularity applied).
void h_lsl(Vcpu& v, const DecodedInsn& d) {
  require_protected_mode(v.s);
  const uint16_t sel = static_cast<uint16_t>(read_operand(v, d, 1));
  uint64_t desc;
  const bool ok = peek_descriptor(v, sel, desc) &&
                  (desc_is_segment(desc) || lsl_system_type_ok(desc_type(desc))) && desc_visible(v.s, desc, sel);
  if (ok) write_reg(v.s, d.ops[0].reg.value, descriptor_to_cache(desc, sel).limit);
  set_zf(v.s, ok);
  advance(v, d);
}

// VERR / VERW r/m16: whether the segment could be loaded for reading (readable
// code or data) / writing (writable data) at this CPL and RPL. P is not checked.
template <bool write>
void h_verify(Vcpu& v, const DecodedInsn& d) {
  require_protected_mode(v.s);
  const uint16_t sel = static_cast<uint16_t>(read_operand(v, d, 0));
  uint64_t desc;
  bool ok = peek_descriptor(v, sel, desc) && desc_is_segment(desc) && desc_visible(v.s, desc, sel);
  if (ok) {
    const unsigned type = desc_type(desc);
    const bool code = type & 0x8;
    ok = write ? (!code && (type & 0x2)) : (!code || (type & 0x2));
  }
  set_zf(v.s, ok);
  advance(v, d);
}

// ARPL r/m16, r16: raises the destination selector's RPL to the source's.
void h_arpl(Vcpu& v, const DecodedInsn& d) {
  require_protected_mode(v.s);
  RmwOperand dst(v, d, 0);
  const uint64_t dest = dst.read() & 0xFFFF;
  const uint64_t src = read_reg(v.s, d.ops[1].reg.value);
  if ((dest & 3) < (src & 3)) {
    dst.write((dest & ~3ull) | (src & 3));
    set_zf(v.s, true);
  } else {
    set_zf(v.s, false);
  }
  advance(v, d);
}

}  // namespace

// ---------------------------------------------------------------------------
// Control-register writes: the single place of their checks and effects.

void write_cr0(Vcpu& v, uint64_t value) {
  CpuState& s = v.s;
  const uint64_t nv = (value & kCr0Defined) | cr0::ET;
  if ((nv & cr0::PG) && !(nv & cr0::PE)) raise_fault(vec::GP, 0);
  if ((nv & cr0::NW) && !(nv & cr0::CD)) raise_fault(vec::GP, 0);
  const uint64_t changed = s.cr0 ^ nv;
  if (pae_paging(nv, s.cr4) && (changed & (cr0::PG | cr0::CD | cr0::NW))) check_pdptes(v, s.cr3);
  s.cr0 = nv;
  // PG changes every translation; WP changes the write permission cached in the TLB.
  if (changed & (cr0::PG | cr0::WP)) tlb_flush_all(v);
  if (changed & (cr0::PE | cr0::PG)) v.request_exit(ExitRequest::kAttention);
}

void write_cr3(Vcpu& v, uint64_t value) {
  CpuState& s = v.s;
  value &= 0xFFFFFFFF;
  if (pae_paging(s.cr0, s.cr4)) check_pdptes(v, value);
  s.cr3 = value;
  tlb_flush_all(v, /*keep_global=*/true);
}

void write_cr4(Vcpu& v, uint64_t value) {
  CpuState& s = v.s;
  if (value & ~kCr4Supported) raise_fault(vec::GP, 0);
  const uint64_t changed = s.cr4 ^ value;
  constexpr uint64_t kPagingBits = cr4::PAE | cr4::PSE | cr4::PGE;
  if (pae_paging(s.cr0, value) && (changed & kPagingBits)) check_pdptes(v, s.cr3);
  s.cr4 = value;
  if (changed & kPagingBits) tlb_flush_all(v);  // global entries included
}

// MOV CRn, r32 / MOV r32, CRn / MOV DRn, r32 / MOV r32, DRn (0F 20-23; the ModRM
// mod field is ignored, the operands are always 32-bit registers here).
void mov_control_debug(Vcpu& v, const DecodedInsn& d) {
  const bool to_special = d.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                       (ZydisRegisterGetClass(d.ops[0].reg.value) == ZYDIS_REGCLASS_CONTROL ||
                        ZydisRegisterGetClass(d.ops[0].reg.value) == ZYDIS_REGCLASS_DEBUG);
  const ZydisRegister special = d.ops[to_special ? 0 : 1].reg.value;
  if (ZydisRegisterGetClass(special) == ZYDIS_REGCLASS_DEBUG) return mov_debug(v, d, to_special);

  CpuState& s = v.s;
  const unsigned n = static_cast<unsigned>(ZydisRegisterGetId(special));
  if (n != 0 && n != 2 && n != 3 && n != 4) raise_fault(vec::UD);
  require_cpl0(s);
  if (to_special) {
    const uint64_t value = read_reg(s, d.ops[1].reg.value) & 0xFFFFFFFF;
    switch (n) {
      case 0: write_cr0(v, value); break;
      case 2: s.cr2 = value; break;
      case 3: write_cr3(v, value); break;
      case 4: write_cr4(v, value); break;
    }
  } else {
    const uint64_t value = n == 0 ? s.cr0 : n == 2 ? s.cr2 : n == 3 ? s.cr3 : s.cr4;
    write_reg(s, d.ops[0].reg.value, value & 0xFFFFFFFF);
  }
  advance(v, d);
}

void register_privileged_handlers(HandlerTable& t) {
  auto& m = t.by_mnemonic;
  m[ZYDIS_MNEMONIC_LGDT] = h_load_table<false>;
  m[ZYDIS_MNEMONIC_LIDT] = h_load_table<true>;
  m[ZYDIS_MNEMONIC_SGDT] = h_store_table<false>;
  m[ZYDIS_MNEMONIC_SIDT] = h_store_table<true>;
  m[ZYDIS_MNEMONIC_LLDT] = h_lldt;
  m[ZYDIS_MNEMONIC_LTR] = h_ltr;
  m[ZYDIS_MNEMONIC_SLDT] = h_store_selector<false>;
  m[ZYDIS_MNEMONIC_STR] = h_store_selector<true>;
  m[ZYDIS_MNEMONIC_SMSW] = h_smsw;
  m[ZYDIS_MNEMONIC_LMSW] = h_lmsw;
  m[ZYDIS_MNEMONIC_CLTS] = h_clts;
  m[ZYDIS_MNEMONIC_INVLPG] = h_invlpg;
  m[ZYDIS_MNEMONIC_INVD] = h_cache_flush;
  m[ZYDIS_MNEMONIC_WBINVD] = h_cache_flush;
  m[ZYDIS_MNEMONIC_RDMSR] = h_rdmsr;
  m[ZYDIS_MNEMONIC_WRMSR] = h_wrmsr;
  m[ZYDIS_MNEMONIC_RDPMC] = h_rdpmc;
  m[ZYDIS_MNEMONIC_SYSENTER] = h_sysenter;
  m[ZYDIS_MNEMONIC_SYSEXIT] = h_sysexit;
  m[ZYDIS_MNEMONIC_LAR] = h_lar;
  m[ZYDIS_MNEMONIC_LSL] = h_lsl;
  m[ZYDIS_MNEMONIC_VERR] = h_verify<false>;
  m[ZYDIS_MNEMONIC_VERW] = h_verify<true>;
  m[ZYDIS_MNEMONIC_ARPL] = h_arpl;
}

}  // namespace kasou
