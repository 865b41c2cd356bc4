// Stack instructions: PUSH/POP (register, memory, immediate, segment register),
// PUSHA/POPA, PUSHF/POPF, ENTER and LEAVE, with 16- and 32-bit operand sizes on
// 16- and 32-bit stacks (SS.B decides whether SP or ESP moves and wraps).
//
// Instructions that store several values check every slot (segment limit and
// page) before the first store, and those that load several read them all before
// changing a register, so a fault leaves ESP and memory as they were.
#include <vector>

#include "core/fault.h"
#include "core/interp/flags.h"
#include "core/interp/handlers.h"
#include "core/interp/operand_access.h"

namespace kasou {
namespace {

bool stack32(const CpuState& s) { return s.seg[kSs].attr & seg_attr::kDb; }
uint64_t wrap_stack(const CpuState& s, uint64_t offset) { return truncate(offset, stack32(s) ? 32 : 16); }

// The stack slot `delta` bytes from the current (E)SP.
uint64_t stack_slot(const CpuState& s, int64_t delta) {
  return wrap_stack(s, stack_pointer(s) + static_cast<uint64_t>(delta));
}

void h_push(Vcpu& v, const DecodedInsn& d) {
  const unsigned size = d.operand_bits() / 8;
  const ZydisDecodedOperand& op = d.ops[0];
  if (op.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(op.reg.value) == ZYDIS_REGCLASS_SEGMENT) {
    // A 32-bit push of a segment register moves ESP by 4 but stores only the
    // selector's 16 bits, leaving the upper half of the slot as it was (what all
    // recent Intel CPUs do; the SDM allows this or zero extension).
    const uint64_t lin = probe_seg_write(v, kSs, stack_slot(v.s, -int(size)), size);
    mmu_write(v, lin, read_reg(v.s, op.reg.value), 2);
    stack_adjust(v.s, -int(size));
  } else {
    // PUSH ESP pushes the value before the push; PUSH [ESP+n] reads with the old
    // ESP: both follow from reading the source first.
    push_value(v, source_value(v, d, 0, size * 8), size);
  }
  advance(v, d);
}

void h_pop(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  const unsigned size = d.operand_bits() / 8;
  const ZydisDecodedOperand& op = d.ops[0];
  const uint64_t value = stack_read(v, 0, size);
  if (op.type == ZYDIS_OPERAND_TYPE_MEMORY) {
    // The destination's address is computed with ESP already incremented
    // (POP [ESP+n]); undo the increment if the store faults.
    const uint64_t old_rsp = s.gpr[kRsp];
    stack_adjust(s, size);
    try {
      write_operand(v, d, 0, value);
    } catch (...) {
      s.gpr[kRsp] = old_rsp;
      throw;
    }
  } else if (ZydisRegisterGetClass(op.reg.value) == ZYDIS_REGCLASS_SEGMENT) {
    const SegReg seg = seg_of(op.reg.value);
    load_segment(v, seg, static_cast<uint16_t>(value));
    stack_adjust(s, size);
    if (seg == kSs) s.interrupt_shadow = 1;
  } else {
    // POP ESP: the popped value replaces the incremented ESP.
    stack_adjust(s, size);
    write_reg(s, op.reg.value, value);
  }
  advance(v, d);
}

constexpr Gpr kPushaOrder[8] = {kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi};

void h_pusha(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  const unsigned size = d.operand_bits() / 8;
  uint64_t lin[8];
  for (int i = 0; i < 8; i++) lin[i] = probe_seg_write(v, kSs, stack_slot(s, -int(size) * (i + 1)), size);
  for (int i = 0; i < 8; i++) mmu_write(v, lin[i], truncate(s.gpr[kPushaOrder[i]], size * 8), size);
  stack_adjust(s, -8 * int(size));
  advance(v, d);
}

void h_popa(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  const unsigned size = d.operand_bits() / 8;
  uint64_t value[8];
  for (int i = 0; i < 8; i++) value[i] = stack_read(v, size * (7 - i), size);
  for (int i = 0; i < 8; i++)
    if (kPushaOrder[i] != kRsp)  // the saved (E)SP is skipped
      s.gpr[kPushaOrder[i]] = size == 2 ? (s.gpr[kPushaOrder[i]] & ~0xFFFFull) | value[i] : value[i];
  stack_adjust(s, 8 * int(size));
  advance(v, d);
}

bool vm86(const CpuState& s) { return s.rflags & flag::VM; }
unsigned iopl(const CpuState& s) { return (s.rflags & flag::IOPL) >> 12; }

void h_pushf(Vcpu& v, const DecodedInsn& d) {
  if (vm86(v.s) && iopl(v.s) < 3) raise_fault(vec::GP, 0);  // no CR4.VME support yet
  const unsigned size = d.operand_bits() / 8;
  // The image has VM and RF clear.
  push_value(v, v.s.rflags & ~static_cast<uint64_t>(flag::VM | flag::RF), size);
  advance(v, d);
}

void h_popf(Vcpu& v, const DecodedInsn& d) {
  const CpuState& s = v.s;
  if (vm86(s) && iopl(s) < 3) raise_fault(vec::GP, 0);
  const unsigned size = d.operand_bits() / 8;
  const uint32_t value = static_cast<uint32_t>(stack_read(v, 0, size));
  // What POPF may change: never VM, VIP, VIF; IOPL only at CPL 0 outside VM86; IF
  // only when CPL <= IOPL (VM86 got here with IOPL 3). RF is in the mask with a
  // 0 value: POPF clears it.
  uint32_t mask = flag::kArith | flag::TF | flag::DF | flag::NT | flag::AC | flag::ID | flag::RF | flag::IF |
                  flag::IOPL;
  const bool pm = (s.cr0 & cr0::PE) && !vm86(s);
  if (vm86(s) || (pm && s.cpl > 0)) mask &= ~flag::IOPL;
  if (pm && s.cpl > iopl(s)) mask &= ~flag::IF;
  if (size == 2) mask &= 0xFFFF;
  stack_adjust(v.s, size);
  write_eflags(v, value & ~flag::RF, mask);
  advance(v, d);
}

// ENTER imm16, imm8: push (E)BP, copy level-1 frame pointers from the old frame,
// push the new frame pointer, then allocate imm16 bytes. All reads, then all
// slot checks (including the final stack top), then the stores.
void h_enter(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  const unsigned size = d.operand_bits() / 8;
  const uint64_t alloc = d.ops[0].imm.value.u & 0xFFFF;
  const unsigned level = static_cast<unsigned>(d.ops[1].imm.value.u) & 31;
  const uint64_t bp_mask = stack32(s) ? 0xFFFFFFFF : 0xFFFF;

  std::vector<uint64_t> values;
  values.push_back(truncate(s.gpr[kRbp], size * 8));
  const uint64_t frame_temp = stack_slot(s, -int(size));
  if (level > 0) {
    uint64_t bp = s.gpr[kRbp] & bp_mask;
    for (unsigned i = 1; i < level; i++) {
      bp = (bp - size) & bp_mask;
      values.push_back(seg_read(v, kSs, bp, size));
    }
    values.push_back(frame_temp);
  }
  std::vector<uint64_t> lin(values.size());
  for (size_t i = 0; i < values.size(); i++)
    lin[i] = probe_seg_write(v, kSs, stack_slot(s, -int(size) * int(i + 1)), size);
  const uint64_t new_sp = wrap_stack(s, frame_temp - (values.size() - 1) * size - alloc);
  if (alloc) probe_seg_write(v, kSs, new_sp, size);

  for (size_t i = 0; i < values.size(); i++) mmu_write(v, lin[i], values[i], size);
  if (stack32(s)) s.gpr[kRbp] = frame_temp;
  else write_reg(s, ZYDIS_REGISTER_BP, frame_temp);
  stack_adjust(s, static_cast<int64_t>(new_sp) - static_cast<int64_t>(stack_pointer(s)));
  advance(v, d);
}

// LEAVE: (E)SP <- (E)BP (stack size), then pop (E)BP (operand size).
void h_leave(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  const unsigned size = d.operand_bits() / 8;
  const uint64_t sp = wrap_stack(s, s.gpr[kRbp]);
  const uint64_t value = seg_read(v, kSs, sp, size);
  if (stack32(s)) s.gpr[kRsp] = sp;
  else write_reg(s, ZYDIS_REGISTER_SP, sp);
  stack_adjust(s, size);
  write_reg(s, size == 2 ? ZYDIS_REGISTER_BP : ZYDIS_REGISTER_EBP, value);
  advance(v, d);
}

}  // namespace

void register_stack_handlers(HandlerTable& t) {
  auto& m = t.by_mnemonic;
  m[ZYDIS_MNEMONIC_PUSH] = h_push;
  m[ZYDIS_MNEMONIC_POP] = h_pop;
  m[ZYDIS_MNEMONIC_PUSHA] = h_pusha;
  m[ZYDIS_MNEMONIC_PUSHAD] = h_pusha;
  m[ZYDIS_MNEMONIC_POPA] = h_popa;
  m[ZYDIS_MNEMONIC_POPAD] = h_popa;
  m[ZYDIS_MNEMONIC_PUSHF] = h_pushf;
  m[ZYDIS_MNEMONIC_PUSHFD] = h_pushf;
  m[ZYDIS_MNEMONIC_POPF] = h_popf;
  m[ZYDIS_MNEMONIC_POPFD] = h_popf;
  m[ZYDIS_MNEMONIC_ENTER] = h_enter;
  m[ZYDIS_MNEMONIC_LEAVE] = h_leave;
}

}  // namespace kasou
