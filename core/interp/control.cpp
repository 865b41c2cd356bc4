// Near control transfers: JMP (relative and r/m), Jcc, CALL (relative and r/m),
// RET and RET imm16, LOOP LOOPE LOOPNE, JCXZ JECXZ.
//
// Every target is cut to the operand size (a 16-bit JMP in 32-bit code clears
// EIP's upper half) and checked against CS's limit before anything changes: a
// #GP(0) then points at the branch with the stack and ECX untouched.
//
// Far JMP/CALL/RET share their Zydis mnemonics with the near forms (branch type
// FAR: ptr16:16/32, m16:16/32, RETF); they go to far_control.cpp, which also
// provides IRET.
#include "core/fault.h"
#include "core/interp/far_control.h"
#include "core/interp/flags.h"
#include "core/interp/handlers.h"
#include "core/interp/operand_access.h"

namespace kasou {
namespace {

bool is_far(const DecodedInsn& d) { return d.zi.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR; }

// The target of a branch, cut to the operand size and checked against CS.limit.
uint64_t checked_target(const Vcpu& v, const DecodedInsn& d, uint64_t target) {
  target = truncate(target, d.operand_bits() == 16 ? 16 : 32);
  if (target > v.s.seg[kCs].limit) raise_fault(vec::GP, 0);
  return target;
}

uint64_t relative_target(const DecodedInsn& d) {
  return d.next_eip() + static_cast<uint64_t>(d.ops[0].imm.value.s);
}

// The branch target of JMP/CALL: relative immediate or r/m (read, may fault).
uint64_t near_target(Vcpu& v, const DecodedInsn& d) {
  if (d.ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) return checked_target(v, d, relative_target(d));
  return checked_target(v, d, read_operand(v, d, 0));
}

void h_jmp(Vcpu& v, const DecodedInsn& d) {
  if (is_far(d)) return far_jmp(v, d);
  v.s.rip = near_target(v, d);
}

void h_jcc(Vcpu& v, const DecodedInsn& d) {
  if (condition(v.s.rflags, d.zi.opcode & 0xF)) v.s.rip = checked_target(v, d, relative_target(d));
  else advance(v, d);
}

void h_call(Vcpu& v, const DecodedInsn& d) {
  if (is_far(d)) return far_call(v, d);
  const uint64_t target = near_target(v, d);
  push_value(v, d.next_eip(), d.operand_bits() / 8);
  v.s.rip = target;
}

void h_ret(Vcpu& v, const DecodedInsn& d) {
  if (is_far(d)) return far_ret(v, d);
  const unsigned size = d.operand_bits() / 8;
  const uint64_t target = checked_target(v, d, stack_read(v, 0, size));
  const uint64_t release = d.zi.operand_count_visible ? (d.ops[0].imm.value.u & 0xFFFF) : 0;
  stack_adjust(v.s, static_cast<int64_t>(size + release));
  v.s.rip = target;
}

// LOOP/LOOPE/LOOPNE: the address size picks CX or ECX. The count is written only
// once the target passed its check, so a #GP leaves ECX as it was.
enum class Loop { kAlways, kWhileZero, kWhileNotZero };

template <Loop kind>
void h_loop(Vcpu& v, const DecodedInsn& d) {
  const ZydisRegister counter = d.address_bits() == 16 ? ZYDIS_REGISTER_CX : ZYDIS_REGISTER_ECX;
  const uint64_t count = truncate(read_reg(v.s, counter) - 1, d.address_bits());
  const bool zf = v.s.rflags & flag::ZF;
  bool taken = count != 0;
  if (kind == Loop::kWhileZero) taken = taken && zf;
  if (kind == Loop::kWhileNotZero) taken = taken && !zf;
  const uint64_t next = taken ? checked_target(v, d, relative_target(d)) : d.next_eip();
  write_reg(v.s, counter, count);
  v.s.rip = next;
}

void h_jcxz(Vcpu& v, const DecodedInsn& d) {
  if (truncate(v.s.gpr[kRcx], d.address_bits()) == 0) v.s.rip = checked_target(v, d, relative_target(d));
  else advance(v, d);
}

}  // namespace

void register_control_handlers(HandlerTable& t) {
  auto& m = t.by_mnemonic;
  m[ZYDIS_MNEMONIC_JMP] = h_jmp;
  m[ZYDIS_MNEMONIC_CALL] = h_call;
  m[ZYDIS_MNEMONIC_RET] = h_ret;
  for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB, ZYDIS_MNEMONIC_JNB,
                           ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
                           ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP, ZYDIS_MNEMONIC_JNP,
                           ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE})
    m[mn] = h_jcc;
  m[ZYDIS_MNEMONIC_LOOP] = h_loop<Loop::kAlways>;
  m[ZYDIS_MNEMONIC_LOOPE] = h_loop<Loop::kWhileZero>;
  m[ZYDIS_MNEMONIC_LOOPNE] = h_loop<Loop::kWhileNotZero>;
  m[ZYDIS_MNEMONIC_JCXZ] = h_jcxz;
  m[ZYDIS_MNEMONIC_JECXZ] = h_jcxz;
  register_far_control_handlers(t);
}

}  // namespace kasou
