// Operand helpers shared by the instruction handlers, on top of operands.h:
// read-modify-write destinations whose write is checked before anything changes,
// write probes for instructions with several stores, and immediate sources at the
// destination's width.
#pragma once

#include <cstdint>

#include "core/interp/operands.h"
#include "core/mmu.h"
#include "core/physical_memory.h"

namespace kasou {

// Makes sure a later write of `size` bytes at `linear` cannot fault: walks the
// page tables (both pages when the access crosses one) for writing. Handlers call
// this before their first architectural effect so a #PF leaves nothing changed.
inline void probe_write(Vcpu& v, uint64_t linear, unsigned size) {
  linear &= 0xFFFFFFFFull;
  mmu_translate(v, linear, Access::kWrite);
  const uint64_t last = (linear + size - 1) & 0xFFFFFFFFull;
  if ((last >> kPageShift) != (linear >> kPageShift)) mmu_translate(v, last, Access::kWrite);
}

// Segment check and page probe of a store through `seg` at `offset`; returns the
// linear address for the store that follows.
inline uint64_t probe_seg_write(Vcpu& v, SegReg seg, uint64_t offset, unsigned size) {
  const uint64_t lin = seg_linear(v, seg, offset, size, Access::kWrite);
  probe_write(v, lin, size);
  return lin;
}

// Operand `index` as a source at `bits` width: immediates come sign-extended from
// Zydis (imm8 forms of 16/32-bit instructions), so they are cut to `bits`.
inline uint64_t source_value(Vcpu& v, const DecodedInsn& d, int index, unsigned bits) {
  const ZydisDecodedOperand& op = d.ops[index];
  if (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) return truncate(op.imm.value.u, bits);
  return read_operand(v, d, index);
}

// A destination that is read and then (maybe) written: ADD [m], r and friends.
// For memory, the linear address is computed once and, when the operand will be
// written, the write permission is checked up front; the write then cannot fault,
// so handlers may set flags before calling write().
class RmwOperand {
 public:
  RmwOperand(Vcpu& v, const DecodedInsn& d, int index, bool will_write = true)
      : v_(v), op_(d.ops[index]) {
    if (op_.type == ZYDIS_OPERAND_TYPE_MEMORY) {
      linear_ = operand_linear(v, d, index, will_write ? Access::kWrite : Access::kRead);
      if (will_write) probe_write(v, linear_, op_.size / 8);
    }
  }
  bool is_memory() const { return op_.type == ZYDIS_OPERAND_TYPE_MEMORY; }
  unsigned bits() const { return op_.size; }
  uint64_t read() const {
    return is_memory() ? mmu_read(v_, linear_, op_.size / 8) : read_reg(v_.s, op_.reg.value);
  }
  void write(uint64_t value) const {
    if (is_memory()) mmu_write(v_, linear_, truncate(value, op_.size), op_.size / 8);
    else write_reg(v_.s, op_.reg.value, value);
  }

 private:
  Vcpu& v_;
  const ZydisDecodedOperand& op_;
  uint64_t linear_ = 0;
};

}  // namespace kasou
