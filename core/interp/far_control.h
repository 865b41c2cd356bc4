// Far control transfers (far_control.cpp): JMP/CALL ptr16:16/32 and m16:16/32,
// RETF [imm16], IRET/IRETD, in real mode, VM86 and protected mode (code segments,
// call gates, task gates and TSSs). control.cpp routes the far forms of JMP, CALL
// and RET (Zydis: branch type FAR) here; IRET is registered from there as well.
#pragma once

#include "core/interp/interp.h"

namespace kasou {

void far_jmp(Vcpu& v, const DecodedInsn& d);
void far_call(Vcpu& v, const DecodedInsn& d);
void far_ret(Vcpu& v, const DecodedInsn& d);
void iret(Vcpu& v, const DecodedInsn& d);

// Registers IRET and IRETD.
void register_far_control_handlers(HandlerTable& t);

}  // namespace kasou
