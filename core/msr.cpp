// The MSR table (Intel SDM vol. 4 "Model-Specific Registers", vol. 3 ch. 11 for
// the MTRRs and PAT). Memory types have no effect on emulation: the MTRRs and PAT
// only hold what the guest writes, with the architectural validity checks, so that
// a kernel probing and programming them sees a consistent CPU.
#include "core/msr.h"

#include "core/machine.h"
#include "core/mmu.h"

namespace kasou {
namespace {

constexpr uint64_t kPhysAddrReserved = ~((1ull << msr::kPhysAddrBits) - 1);  // bits 63:36

bool valid_mtrr_type(uint64_t t) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6; }
bool valid_pat_type(uint64_t t) { return t <= 7 && t != 2 && t != 3; }

// Every byte of `value` is a valid memory type for an MTRR (fixed ranges) or PAT.
template <class Valid>
bool all_bytes_valid(uint64_t value, Valid valid) {
  for (int i = 0; i < 8; i++)
    if (!valid((value >> (8 * i)) & 0xFF)) return false;
  return true;
}

// Index into Msrs::mtrr_fixed of a fixed-range MTRR, or -1.
int fixed_mtrr_slot(uint32_t index) {
  if (index == msr::kMtrrFix64k00000) return 0;
  if (index == msr::kMtrrFix16k80000) return 1;
  if (index == msr::kMtrrFix16kA0000) return 2;
  if (index >= msr::kMtrrFix4kC0000 && index <= msr::kMtrrFix4kC0000 + 7)
    return 3 + static_cast<int>(index - msr::kMtrrFix4kC0000);
  return -1;
}

bool is_variable_mtrr(uint32_t index) {
  return index >= msr::kMtrrPhysBase0 && index < msr::kMtrrPhysBase0 + 2 * msr::kVariableMtrrs;
}

constexpr uint64_t kMiscWritable = misc_enable::kFastStrings | misc_enable::kTcc | misc_enable::kEist |
                                   misc_enable::kMonitorFsm | misc_enable::kLimitCpuid |
                                   misc_enable::kXtprDisable | misc_enable::kXdDisable;
constexpr uint64_t kMiscReadOnly1 = misc_enable::kBtsUnavailable | misc_enable::kPebsUnavailable;
constexpr uint64_t kMiscReadOnly = kMiscReadOnly1 | misc_enable::kPerfMonAvailable;

// IA32_APIC_BASE: bit 8 BSP (read-only), bit 11 enable, bits 35:12 base.
constexpr uint64_t kApicBsp = 1u << 8;
constexpr uint64_t kApicWritable = (1u << 11) | (((1ull << msr::kPhysAddrBits) - 1) & ~0xFFFull);

}  // namespace

bool nx_available(const CpuState& s) { return !(s.msr.misc_enable & misc_enable::kXdDisable); }

bool msr_read(Vcpu& v, uint32_t index, uint64_t& value) {
  const CpuState& s = v.s;
  const Msrs& m = s.msr;
  if (int slot = fixed_mtrr_slot(index); slot >= 0) {
    value = m.mtrr_fixed[slot];
    return true;
  }
  if (is_variable_mtrr(index)) {
    value = m.mtrr_var[index - msr::kMtrrPhysBase0];
    return true;
  }
  switch (index) {
    case msr::kTsc: value = v.tsc(); return true;
    case msr::kPlatformId: value = 0; return true;
    case msr::kApicBase: value = m.apic_base; return true;
    case msr::kBiosSignId: value = 0; return true;  // no microcode loaded
    case msr::kMtrrCap: value = msr::kMtrrCapValue; return true;
    case msr::kArchCapabilities: value = msr::kArchCapabilitiesValue; return true;
    case msr::kSysenterCs: value = m.sysenter_cs; return true;
    case msr::kSysenterEsp: value = m.sysenter_esp; return true;
    case msr::kSysenterEip: value = m.sysenter_eip; return true;
    case msr::kMiscEnable: value = (m.misc_enable & kMiscWritable) | kMiscReadOnly1; return true;
    case msr::kPat: value = m.pat; return true;
    case msr::kMtrrDefType: value = m.mtrr_def_type; return true;
    case msr::kEfer: value = s.efer; return true;
    default: return false;
  }
}

bool msr_write(Vcpu& v, uint32_t index, uint64_t value) {
  CpuState& s = v.s;
  Msrs& m = s.msr;
  if (int slot = fixed_mtrr_slot(index); slot >= 0) {
    if (!all_bytes_valid(value, valid_mtrr_type)) return false;
    m.mtrr_fixed[slot] = value;
    return true;
  }
  if (is_variable_mtrr(index)) {
    const bool mask_reg = (index - msr::kMtrrPhysBase0) & 1;
    if (mask_reg) {
      if (value & (kPhysAddrReserved | 0x7FF)) return false;  // bits 10:0 reserved, 11 = valid
    } else {
      if (value & (kPhysAddrReserved | 0xF00)) return false;  // bits 11:8 reserved
      if (!valid_mtrr_type(value & 0xFF)) return false;
    }
    m.mtrr_var[index - msr::kMtrrPhysBase0] = value;
    return true;
  }
  switch (index) {
    case msr::kTsc:
      // The guest TSC becomes `value` now and keeps counting with the virtual clock.
      s.tsc_offset = value - v.now_ns();
      return true;
    case msr::kApicBase:
      if (value & ~(kApicWritable | kApicBsp)) return false;
      m.apic_base = (value & kApicWritable) | (m.apic_base & kApicBsp);
      return true;
    case msr::kBiosSignId: return true;  // written (with 0) before CPUID to read the microcode revision
    case msr::kSysenterCs: m.sysenter_cs = value & 0xFFFFFFFF; return true;  // bits 63:32: writes ignored
    case msr::kSysenterEsp: m.sysenter_esp = value & 0xFFFFFFFF; return true;  // 32-bit CPU model
    case msr::kSysenterEip: m.sysenter_eip = value & 0xFFFFFFFF; return true;
    case msr::kMiscEnable:
      if (value & ~(kMiscWritable | kMiscReadOnly)) return false;  // read-only bits: writes ignored
      m.misc_enable = value & kMiscWritable;
      return true;
    case msr::kPat:
      if (!all_bytes_valid(value, valid_pat_type)) return false;
      m.pat = value;
      return true;
    case msr::kMtrrDefType:
      if ((value & ~0xCFFull) || !valid_mtrr_type(value & 0xFF)) return false;  // type, FE (10), E (11)
      m.mtrr_def_type = value;
      return true;
    case msr::kEfer: {
      // Only NXE exists on this 32-bit model (no SYSCALL, no long mode).
      if (value & ~efer::NXE) return false;
      if ((value & efer::NXE) && !nx_available(s)) return false;
      const uint64_t old = s.efer;
      s.efer = value;
      // NX changes what bit 63 of a PAE entry means: drop every cached translation.
      if ((old ^ value) & efer::NXE) tlb_flush_all(v);
      return true;
    }
    default: return false;  // unknown, or read-only (PLATFORM_ID, MTRRcap)
  }
}

}  // namespace kasou
