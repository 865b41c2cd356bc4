// Running one guest x87 or MMX instruction on the host's own FPU.
//
// The host executes the same instruction on the guest's state: FXRSTOR the guest
// image, run a stub holding the instruction (its memory operand rewritten to
// [rdi], a host buffer), FXSAVE the result. The results, flags, tags, stack
// faults and the unmasked-exception responses (nothing stored, or the
// exponent-wrapped result) are then the host CPU's, bit for bit; the host is the
// oracle the tests compare against.
//
// The host must never take an FP exception itself (an unmasked guest exception
// would arrive as SIGFPE): the stub runs with the guest's masks but with the
// exception flags cleared, so nothing is pending when it starts; whatever the
// instruction raises stays pending in the host FPU until FXSAVE (which does not
// check) and FNINIT (which does not either) clear it. The host's FCW and MXCSR
// are put back, so the C++ side sees the FPU as the ABI says it leaves a call.
#pragma once

#include <cstdint>

#include "core/cpu_state.h"

namespace kasou::x87 {

// The stub for x87 opcode `op` (D8..DF) with ModRM `modrm`: register forms run
// as they are, memory forms get [rdi].
const void* x87_stub(uint8_t op, uint8_t modrm);
// The stub for MMX opcode 0F `op`, or nullptr if `op` is not one of the Pentium
// MMX opcodes. `memory` selects the [rdi] form with ModRM.reg = `reg`; otherwise
// ModRM is 11 reg rm.
const void* mmx_stub(uint8_t op, bool memory, unsigned reg, unsigned rm);

struct HostResult {
  FxState image;     // the state after the instruction (exception flags merged)
  uint64_t rflags;   // host EFLAGS after the instruction (FCOMI and friends)
  bool stored;       // the instruction wrote its memory operand
};

// Runs `stub` on the x87/MMX part of `guest` (XMM state and MXCSR are not used).
// `mem` is the memory operand (16 bytes): the loaded value for loads; for stores
// (store_bytes > 0) it receives the value, and `stored` says whether the
// instruction wrote it (an unmasked exception suppresses the store). `rflags`
// supplies the arithmetic flags FCMOVcc reads.
HostResult host_run(const FxState& guest, const void* stub, uint8_t* mem, unsigned store_bytes,
                    uint64_t rflags);

}  // namespace kasou::x87
