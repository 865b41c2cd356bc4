// The reference implementation: every guest instruction as a C++ function that
// executes one decoded instruction on a Vcpu.
//
// Contract of a handler `void h(Vcpu&, const DecodedInsn&)`:
// - on entry, CpuState is complete and current: RIP is the address of this
//   instruction, RFLAGS holds every flag;
// - on normal completion it leaves RIP at the next instruction (or the branch
//   target) and all architectural effects done;
// - on a fault it throws GuestFault before any architectural effect (registers,
//   memory, flags, RIP unchanged), so the fault is precise;
// - it may ask the engine to leave generated code with Vcpu::request_exit().
//
// The translator calls these same functions for every instruction it does not
// emit inline, and for the privileged ones (the "helpers"): an instruction's
// semantics live in exactly one place.
#pragma once

#include <cstdint>

#include "core/interp/decode.h"
#include "core/vcpu.h"

namespace kasou {

using InsnHandler = void (*)(Vcpu&, const DecodedInsn&);

// The handler for a decoded instruction (never null: unknown ones raise #UD).
InsnHandler interp_handler(const DecodedInsn& d);

// Executes one already-decoded instruction (counts it in the statistics).
void interp_execute(Vcpu& v, const DecodedInsn& d);

// Fetches, decodes and executes the instruction at CS:EIP. Throws GuestFault.
void interp_step(Vcpu& v, const InsnDecoder& decoder);

// Registration used by the handler files (alu.cpp, shift.cpp, ...): each file has
// one function that fills the mnemonic table with its handlers.
struct HandlerTable {
  InsnHandler by_mnemonic[ZYDIS_MNEMONIC_MAX_VALUE + 1];
};

}  // namespace kasou
