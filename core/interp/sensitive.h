// Which instructions are privileged or sensitive (the ones a classic
// trap-and-emulate monitor must intercept, and that kasou's translator rewrites
// into helper calls), grouped into kinds for the statistics and teaching views.
#pragma once

#include <cstdint>

#include "core/interp/decode.h"

namespace kasou {

enum class SensitiveKind : uint8_t {
  kNone = 0,
  kPortIo,        // IN OUT INS OUTS
  kInterruptFlag, // CLI STI
  kFlags,         // PUSHF POPF
  kInterrupt,     // INT n, INT3, INTO, INT1, IRET
  kHalt,          // HLT
  kDescriptorTable,  // LGDT LIDT LLDT LTR SGDT SIDT SLDT STR
  kControlReg,    // MOV CRn, LMSW SMSW CLTS
  kDebugReg,      // MOV DRn
  kTlb,           // INVLPG INVD WBINVD
  kMsr,           // RDMSR WRMSR
  kTimeStamp,     // RDTSC RDPMC
  kCpuid,         // CPUID
  kSysEnter,      // SYSENTER SYSEXIT
  kFarTransfer,   // far JMP/CALL/RET
  kSegmentLoad,   // MOV/POP to a segment register, LDS LES LFS LGS LSS
  kSelectorCheck, // LAR LSL VERR VERW ARPL
  kCount,
};

SensitiveKind sensitive_kind(const DecodedInsn& d);
const char* sensitive_kind_name(SensitiveKind k);

}  // namespace kasou
