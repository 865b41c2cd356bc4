// Operand access for the reference interpreter: registers by Zydis register, the
// effective address of memory operands (wrapped to the address size), and generic
// read/write of an instruction's operand i (register, memory or immediate).
//
// Memory operands go through segmentation (limit/type checks) and the MMU, so they
// raise the architectural faults. Writes of 32 bits to a register clear bits 63:32,
// as the host does.
#pragma once

#include <cstdint>

#include "core/interp/decode.h"
#include "core/segmentation.h"
#include "core/vcpu.h"

namespace kasou {

uint64_t read_reg(const CpuState& s, ZydisRegister r);
void write_reg(CpuState& s, ZydisRegister r, uint64_t value);
// Width in bits of a general-purpose register (8, 16, 32, 64).
unsigned reg_bits(ZydisRegister r);

// Segment register number of a Zydis segment register (ES..GS).
SegReg seg_of(ZydisRegister r);

// Offset within the segment (base + index*scale + disp, wrapped to the address size).
uint64_t effective_address(const CpuState& s, const DecodedInsn& d, const ZydisDecodedOperand& op);

// Masks `value` to `bits` (8, 16, 32, 64).
constexpr uint64_t truncate(uint64_t value, unsigned bits) {
  return bits >= 64 ? value : (value & ((1ull << bits) - 1));
}
constexpr int64_t sign_extend(uint64_t value, unsigned bits) {
  return bits >= 64 ? static_cast<int64_t>(value)
                    : static_cast<int64_t>(value << (64 - bits)) >> (64 - bits);
}

// Generic operand access; the size is the operand's (op.size bits).
uint64_t read_operand(Vcpu& v, const DecodedInsn& d, int index);
void write_operand(Vcpu& v, const DecodedInsn& d, int index, uint64_t value);
// For read-modify-write memory operands: the linear address once (checked for
// writing), so the read and the write see the same location and faults happen
// before any effect.
uint64_t operand_linear(Vcpu& v, const DecodedInsn& d, int index, Access access);

// Stack access with SS's address size (SS.B): push/pop and peek at ESP+offset.
void push_value(Vcpu& v, uint64_t value, unsigned size_bytes);
uint64_t pop_value(Vcpu& v, unsigned size_bytes);
uint64_t stack_read(Vcpu& v, uint64_t sp_offset, unsigned size_bytes);
void stack_write(Vcpu& v, uint64_t sp_offset, uint64_t value, unsigned size_bytes);
// ESP/SP adjusted by `delta` with the stack's address size (other bits kept for SP).
void stack_adjust(CpuState& s, int64_t delta);
uint64_t stack_pointer(const CpuState& s);  // ESP or SP

}  // namespace kasou
