// Inline stack operations for a flat 32-bit stack (SS base 0, 4 GiB, SS.B = 1):
// PUSH/POP of registers and immediates, LEAVE, and the push of CALL's return
// address. Guest ESP lives in R12. ESP is only updated after the memory access
// succeeded, so a fault leaves it unchanged (precise).
#include "jit/block_key.h"
#include "jit/emitter.h"
#include "core/interp/operands.h"
#include "jit/host_regs.h"

namespace kasou::jit {

using namespace asmjit;

namespace {
x86::Gp host_reg(ZydisRegister guest) {
  ZydisRegister h = map_guest_reg(guest);
  unsigned bits = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, h);
  uint32_t id = static_cast<uint32_t>(ZydisRegisterGetId(h));
  return bits == 16 ? x86::Gp(x86::gpw(id)) : x86::Gp(x86::gpd(id));
}
const x86::Gp kEsp = x86::r12d;
const x86::Gp kEbp = x86::r13d;
}  // namespace

bool Emitter::stack_supported(const DecodedInsn& d) const {
  if (!(mode_ & mode_bit::kFlat) || !(mode_ & mode_bit::kStack32)) return false;
  const ZydisDecodedOperand& op = d.ops[0];
  switch (d.zi.mnemonic) {
    case ZYDIS_MNEMONIC_PUSH:
      if (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) return true;
      if (op.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(op.reg.value) == ZYDIS_REGCLASS_SEGMENT)
        return true;
      if (op.type == ZYDIS_OPERAND_TYPE_MEMORY) return op.size == 32 && mem_inline_ok(d, op);
      return op.type == ZYDIS_OPERAND_TYPE_REGISTER && map_guest_reg(op.reg.value) != ZYDIS_REGISTER_NONE &&
             (op.size == 16 || op.size == 32);
    case ZYDIS_MNEMONIC_POP:
      return op.type == ZYDIS_OPERAND_TYPE_REGISTER && map_guest_reg(op.reg.value) != ZYDIS_REGISTER_NONE &&
             (op.size == 16 || op.size == 32);
    case ZYDIS_MNEMONIC_LEAVE:
      return d.operand_bits() == 32;
    default:
      return false;
  }
}

void Emitter::emit_push_imm(uint32_t value, unsigned size) {
  a_.lea(x86::r8d, x86::ptr(x86::r12, -static_cast<int32_t>(size)));
  emit_lookup(size, true, x86::rsi);
  if (size == 2) a_.mov(x86::word_ptr(x86::rsi), value & 0xFFFF);
  else a_.mov(x86::dword_ptr(x86::rsi), value);
  a_.lea(kEsp, x86::ptr(x86::r12, -static_cast<int32_t>(size)));
}

bool Emitter::emit_stack() {
  const DecodedInsn& d = *d_;
  const ZydisDecodedOperand& op = d.ops[0];
  switch (d.zi.mnemonic) {
    case ZYDIS_MNEMONIC_PUSH: {
      // The operand size, not the immediate's: PUSH imm8 pushes a sign-extended word/dword.
      const unsigned size = d.operand_bits() / 8;
      if (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        emit_push_imm(static_cast<uint32_t>(op.imm.value.u), size);
        return true;
      }
      if (op.type == ZYDIS_OPERAND_TYPE_MEMORY) {
        // The source is read first (PUSH [ESP+n] addresses it with the old ESP)
        // and waits in memory across the push's possible slow-path call.
        const unsigned bytes = op.size / 8;
        emit_mem_operand(op, false, x86::rsi);
        if (bytes == 2) a_.movzx(x86::r9d, x86::word_ptr(x86::rsi));
        else a_.mov(x86::r9d, x86::dword_ptr(x86::rsi));
        a_.mov(x86::dword_ptr(x86::rbp, KASOU_JS_OFF(tmp0)), x86::r9d);
        a_.lea(x86::r8d, x86::ptr(x86::r12, -static_cast<int32_t>(bytes)));
        emit_lookup(bytes, true, x86::rsi);
        a_.mov(x86::r9d, x86::dword_ptr(x86::rbp, KASOU_JS_OFF(tmp0)));
        if (bytes == 2) a_.mov(x86::word_ptr(x86::rsi), x86::r9w);
        else a_.mov(x86::dword_ptr(x86::rsi), x86::r9d);
        a_.lea(kEsp, x86::ptr(x86::r12, -static_cast<int32_t>(bytes)));
        return true;
      }
      if (ZydisRegisterGetClass(op.reg.value) == ZYDIS_REGCLASS_SEGMENT) {
        // The selector from CpuState; like the reference implementation, only its
        // 16 bits are written, even into a 4-byte slot.
        a_.lea(x86::r8d, x86::ptr(x86::r12, -static_cast<int32_t>(size)));
        emit_lookup(size, true, x86::rsi);
        a_.mov(x86::r9w, x86::word_ptr(x86::rbp, seg_selector_off(seg_of(op.reg.value))));
        a_.mov(x86::word_ptr(x86::rsi), x86::r9w);
        a_.lea(kEsp, x86::ptr(x86::r12, -static_cast<int32_t>(size)));
        return true;
      }
      a_.lea(x86::r8d, x86::ptr(x86::r12, -static_cast<int32_t>(size)));
      emit_lookup(size, true, x86::rsi);
      x86::Gp r = host_reg(op.reg.value);  // PUSH ESP stores the value before the push
      a_.mov(x86::ptr(x86::rsi, 0, size), r);
      a_.lea(kEsp, x86::ptr(x86::r12, -static_cast<int32_t>(size)));
      return true;
    }
    case ZYDIS_MNEMONIC_POP: {
      const unsigned size = op.size / 8;
      a_.mov(x86::r8d, kEsp);
      emit_lookup(size, false, x86::rsi);
      // Increment first: POP ESP loads the popped value into ESP.
      a_.lea(kEsp, x86::ptr(x86::r12, static_cast<int32_t>(size)));
      a_.mov(host_reg(op.reg.value), x86::ptr(x86::rsi, 0, size));
      return true;
    }
    case ZYDIS_MNEMONIC_LEAVE:
      a_.mov(x86::r8d, kEbp);
      emit_lookup(4, false, x86::rsi);
      a_.lea(kEsp, x86::ptr(x86::r13, 4));
      a_.mov(kEbp, x86::dword_ptr(x86::rsi));
      return true;
    default:
      return false;
  }
}

}  // namespace kasou::jit
