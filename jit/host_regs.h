// Host register assignment inside generated code.
//
// Guest EAX, ECX, EDX, EBX live in host RAX, RCX, RDX, RBX (the same numbers, so
// AH..BH keep their encodings and implicit operands such as MUL's EDX:EAX, CL shift
// counts and LAHF/SAHF's AH just work); guest ESP, EBP, ESI, EDI live in R12-R15.
// RBP holds the Vcpu pointer. RSI and RDI hold host pointers of memory operands
// (legacy registers, so an instruction using AH can still address memory through
// them); R8-R11 are scratch. Host EFLAGS hold the guest's six arithmetic flags.
#pragma once

#include <Zydis/Zydis.h>

namespace kasou::jit {

// Host GPR number (0-15) holding guest GPR number g (0-7).
constexpr int kGuestToHost[8] = {0, 1, 2, 3, 12, 13, 14, 15};

// Maps a guest 8/16/32-bit register to the host register that holds it (same
// width). Returns ZYDIS_REGISTER_NONE for registers that are not guest GPRs.
ZydisRegister map_guest_reg(ZydisRegister guest);

}  // namespace kasou::jit
