// Registration functions of the reference interpreter's handler groups, one per
// file (Bochs-style: one file per instruction group), and helpers shared by them.
#pragma once

#include "core/interp/interp.h"

namespace kasou {

void register_alu_handlers(HandlerTable& t);      // alu.cpp: ADD..CMP, INC/DEC, NEG/NOT, TEST
void register_shift_handlers(HandlerTable& t);    // shift.cpp: SHL..RCR, SHLD/SHRD
void register_muldiv_handlers(HandlerTable& t);   // muldiv.cpp: MUL, IMUL, DIV, IDIV
void register_bcd_handlers(HandlerTable& t);      // bcd.cpp: AAA, AAS, DAA, DAS, AAM, AAD
void register_bit_handlers(HandlerTable& t);      // bits.cpp: BT*, BSF/BSR, BSWAP
void register_data_handlers(HandlerTable& t);     // data.cpp: MOV*, XCHG, CMPXCHG*, XADD, LEA, CBW.., SETcc, CMOVcc, flag ops
void register_stack_handlers(HandlerTable& t);    // stack.cpp: PUSH/POP (all forms), PUSHA/POPA, PUSHF/POPF, ENTER/LEAVE
void register_string_handlers(HandlerTable& t);   // string.cpp: MOVS, CMPS, SCAS, LODS, STOS, INS, OUTS with REP
void register_control_handlers(HandlerTable& t);  // control.cpp: JMP, Jcc, CALL, RET, LOOP*, JCXZ
void register_system_handlers(HandlerTable& t);   // system.cpp: IN/OUT, HLT, CLI/STI, INT*, CPUID, RDTSC, UD2, NOP
void register_privileged_handlers(HandlerTable& t);  // privileged.cpp: LGDT..LTR, SMSW/LMSW/CLTS, INVLPG, MSRs, SYSENTER/SYSEXIT, LAR/LSL/VERR/VERW/ARPL
void register_x87_handlers(HandlerTable& t);      // x87.cpp: x87 loads/stores, arithmetic, compares, transcendentals (on the host FPU)
void register_x87_env_handlers(HandlerTable& t);  // x87_env.cpp: FNINIT FNCLEX FLDCW FNSTCW FNSTSW FNSTENV FLDENV FNSAVE FRSTOR FWAIT FXSAVE FXRSTOR
// mmx.cpp: the Pentium MMX instructions. Their mnemonics are shared with SSE2's XMM
// forms, which it hands to the handler registered before it: register it last.
void register_mmx_handlers(HandlerTable& t);

// privileged.cpp: MOV to/from CRn/DRn (data.cpp's MOV hands these forms over), and
// the control-register writes with their checks (#GP(0)), PDPTE loads and TLB
// flushes, for any instruction that loads a control register (task switch: CR3).
void mov_control_debug(Vcpu& v, const DecodedInsn& d);
void write_cr0(Vcpu& v, uint64_t value);
void write_cr3(Vcpu& v, uint64_t value);
void write_cr4(Vcpu& v, uint64_t value);

// Raises #GP(0) unless the current privilege may access `size_bytes` ports at
// `port` (CPL <= IOPL, or the TSS I/O permission bitmap allows it; always in VM86
// through the bitmap).
void check_io_permission(Vcpu& v, uint16_t port, unsigned size_bytes);

// Writes the bits of EFLAGS selected by `mask` (bit 1 stays set, reserved bits
// clear) and tells the machine when IF or TF changed, so a pending interrupt or a
// single-step trap is noticed at once. Callers compute `mask` from CPL/IOPL/mode.
void write_eflags(Vcpu& v, uint32_t value, uint32_t mask);

// Sets RIP to the next instruction (16-bit wrap in 16-bit code).
inline void advance(Vcpu& v, const DecodedInsn& d) { v.s.rip = d.next_eip(); }

}  // namespace kasou
