// Mode-key computation.
#include "jit/block_key.h"

#include "core/interp/sensitive.h"
#include "core/mmu.h"
#include "core/segmentation.h"

namespace kasou::jit {

bool may_change_mode(const DecodedInsn& d) {
  switch (sensitive_kind(d)) {
    case SensitiveKind::kSegmentLoad:   // flatness, SS.B
    case SensitiveKind::kControlReg:    // PE, PG
    case SensitiveKind::kDebugReg:      // DR7 breakpoints
    case SensitiveKind::kFarTransfer:   // CS, CPL
    case SensitiveKind::kInterrupt:     // INT/IRET: CS, CPL, TF, VM
    case SensitiveKind::kSysEnter:
      return true;
    default:
      break;
  }
  switch (d.zi.mnemonic) {
    case ZYDIS_MNEMONIC_POPF: case ZYDIS_MNEMONIC_POPFD:  // TF, DF, VM
    case ZYDIS_MNEMONIC_CLD: case ZYDIS_MNEMONIC_STD:     // DF
    case ZYDIS_MNEMONIC_RSM:
      return true;
    default:
      return false;
  }
}

bool seg_is_4g_data(const SegmentCache& c) {
  return (c.attr & seg_attr::kPresent) && (c.attr & seg_attr::kS) && !(c.attr & seg_attr::kCode) &&
         (c.attr & seg_attr::kWritable) && !(c.attr & seg_attr::kExpandDown) && c.limit == 0xFFFFFFFFu;
}

uint32_t mode_key(const CpuState& s) {
  uint32_t k = mode_bit::kAlways | (s.cpl & mode_bit::kCplMask);
  const bool pe = s.cr0 & cr0::PE;
  const bool vm = s.rflags & flag::VM;
  if (pe && !vm && (s.seg[kCs].attr & seg_attr::kDb)) k |= mode_bit::kCode32;
  if (pe && !vm && (s.seg[kSs].attr & seg_attr::kDb)) k |= mode_bit::kStack32;
  if (pe) k |= mode_bit::kPe;
  if (s.cr0 & cr0::PG) k |= mode_bit::kPg;
  if (vm) k |= mode_bit::kVm;
  if (segments_flat(s)) k |= mode_bit::kFlat;
  if (pe && !vm && seg_is_4g_data(s.seg[kFs])) k |= mode_bit::kFs4g;
  if (pe && !vm && seg_is_4g_data(s.seg[kGs])) k |= mode_bit::kGs4g;
  if (s.rflags & flag::TF) k |= mode_bit::kTf;
  if (s.rflags & flag::DF) k |= mode_bit::kDf;
  if (s.dr[7] & 0xFF) k |= mode_bit::kDebug;
  if ((s.cr4 & cr4::TSD) && s.cpl > 0) k |= mode_bit::kTsdFault;
  if (alignment_check_armed(s)) k |= mode_bit::kAlignCheck;
  return k;
}

}  // namespace kasou::jit
