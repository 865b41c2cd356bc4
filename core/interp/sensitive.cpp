// Classification of privileged and sensitive instructions.
#include "core/interp/sensitive.h"

namespace kasou {

namespace {
bool has_reg_class(const DecodedInsn& d, ZydisRegisterClass cls) {
  for (unsigned i = 0; i < d.zi.operand_count_visible; i++)
    if (d.ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(d.ops[i].reg.value) == cls) return true;
  return false;
}
bool writes_segment(const DecodedInsn& d) {
  return d.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
         ZydisRegisterGetClass(d.ops[0].reg.value) == ZYDIS_REGCLASS_SEGMENT;
}
}  // namespace

SensitiveKind sensitive_kind(const DecodedInsn& d) {
  using K = SensitiveKind;
  switch (d.zi.mnemonic) {
    case ZYDIS_MNEMONIC_IN: case ZYDIS_MNEMONIC_OUT: case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
    case ZYDIS_MNEMONIC_INSD: case ZYDIS_MNEMONIC_OUTSB: case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
      return K::kPortIo;
    case ZYDIS_MNEMONIC_CLI: case ZYDIS_MNEMONIC_STI: return K::kInterruptFlag;
    case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD: case ZYDIS_MNEMONIC_POPF: case ZYDIS_MNEMONIC_POPFD:
      return K::kFlags;
    case ZYDIS_MNEMONIC_INT: case ZYDIS_MNEMONIC_INT1: case ZYDIS_MNEMONIC_INT3: case ZYDIS_MNEMONIC_INTO:
    case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
      return K::kInterrupt;
    case ZYDIS_MNEMONIC_HLT: return K::kHalt;
    case ZYDIS_MNEMONIC_LGDT: case ZYDIS_MNEMONIC_LIDT: case ZYDIS_MNEMONIC_LLDT: case ZYDIS_MNEMONIC_LTR:
    case ZYDIS_MNEMONIC_SGDT: case ZYDIS_MNEMONIC_SIDT: case ZYDIS_MNEMONIC_SLDT: case ZYDIS_MNEMONIC_STR:
      return K::kDescriptorTable;
    case ZYDIS_MNEMONIC_LMSW: case ZYDIS_MNEMONIC_SMSW: case ZYDIS_MNEMONIC_CLTS: return K::kControlReg;
    case ZYDIS_MNEMONIC_INVLPG: case ZYDIS_MNEMONIC_INVD: case ZYDIS_MNEMONIC_WBINVD: return K::kTlb;
    case ZYDIS_MNEMONIC_RDMSR: case ZYDIS_MNEMONIC_WRMSR: return K::kMsr;
    case ZYDIS_MNEMONIC_RDTSC: case ZYDIS_MNEMONIC_RDPMC: return K::kTimeStamp;
    case ZYDIS_MNEMONIC_CPUID: return K::kCpuid;
    case ZYDIS_MNEMONIC_SYSENTER: case ZYDIS_MNEMONIC_SYSEXIT: return K::kSysEnter;
    case ZYDIS_MNEMONIC_JMP: case ZYDIS_MNEMONIC_CALL: case ZYDIS_MNEMONIC_RET:
      return d.zi.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR ? K::kFarTransfer : K::kNone;
    case ZYDIS_MNEMONIC_LDS: case ZYDIS_MNEMONIC_LES: case ZYDIS_MNEMONIC_LFS: case ZYDIS_MNEMONIC_LGS:
    case ZYDIS_MNEMONIC_LSS:
      return K::kSegmentLoad;
    case ZYDIS_MNEMONIC_POP: return writes_segment(d) ? K::kSegmentLoad : K::kNone;
    case ZYDIS_MNEMONIC_MOV:
      if (writes_segment(d)) return K::kSegmentLoad;
      if (has_reg_class(d, ZYDIS_REGCLASS_CONTROL)) return K::kControlReg;
      if (has_reg_class(d, ZYDIS_REGCLASS_DEBUG)) return K::kDebugReg;
      return K::kNone;
    case ZYDIS_MNEMONIC_LAR: case ZYDIS_MNEMONIC_LSL: case ZYDIS_MNEMONIC_VERR: case ZYDIS_MNEMONIC_VERW:
    case ZYDIS_MNEMONIC_ARPL:
      return K::kSelectorCheck;
    default:
      return K::kNone;
  }
}

const char* sensitive_kind_name(SensitiveKind k) {
  static const char* const kNames[] = {"none", "port_io", "interrupt_flag", "flags", "interrupt", "halt",
                                       "descriptor_table", "control_reg", "debug_reg", "tlb", "msr",
                                       "time_stamp", "cpuid", "sysenter", "far_transfer", "segment_load",
                                       "selector_check"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<size_t>(SensitiveKind::kCount));
  return kNames[static_cast<size_t>(k)];
}

}  // namespace kasou
