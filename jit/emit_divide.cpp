// Inline unsigned DIV. The host would trap on a zero divisor or a quotient that
// does not fit, so both are checked first; either case goes out of line to the
// reference implementation, which raises #DE with the state untouched.
// DIV leaves every arithmetic flag undefined, but a #DE must push the flags as
// they were, so they are saved (ensure_fault_flags) before the checks clobber them.
#include "jit/block_key.h"
#include "jit/emitter.h"
#include "jit/host_regs.h"

namespace kasou::jit {

using namespace asmjit;

bool Emitter::divide_supported(const DecodedInsn& d) const {
  if (d.zi.mnemonic != ZYDIS_MNEMONIC_DIV) return false;
  const ZydisDecodedOperand& op = d.ops[0];
  if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) return map_guest_reg(op.reg.value) != ZYDIS_REGISTER_NONE;
  return mem_inline_ok(d, op);
}

void Emitter::emit_divide() {
  const DecodedInsn& d = *d_;
  const ZydisDecodedOperand& op = d.ops[0];
  const unsigned bits = op.size;
  // The flags first: saving them uses R11, which then holds the divisor.
  ensure_fault_flags();
  // Divisor -> r11 (zero-extended).
  if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) {
    const ZydisRegister h = map_guest_reg(op.reg.value);
    const uint32_t id = static_cast<uint32_t>(ZydisRegisterGetId(h));
    if (bits == 32) a_.mov(x86::r11d, x86::gpd(id));
    else if (bits == 16) a_.movzx(x86::r11d, x86::gpw(id));
    else if (h >= ZYDIS_REGISTER_AH && h <= ZYDIS_REGISTER_BH) {
      a_.movzx(x86::r11d, x86::gpw(id - 4));  // AH..BH are bits 8-15 of RAX..RBX
      a_.shr(x86::r11d, 8);
    } else {
      a_.movzx(x86::r11d, x86::gpb(id));
    }
  } else {
    emit_mem_operand(op, false, x86::rsi);
    if (bits == 32) a_.mov(x86::r11d, x86::dword_ptr(x86::rsi));
    else a_.movzx(x86::r11d, x86::ptr(x86::rsi, 0, bits / 8));
  }
  Label fault = a_.newLabel();
  a_.test(x86::r11d, x86::r11d);
  a_.jz(fault);
  // The quotient fits iff the high half of the dividend is below the divisor.
  if (bits == 32) {
    a_.cmp(x86::edx, x86::r11d);
    a_.jae(fault);
    a_.div(x86::r11d);
  } else if (bits == 16) {
    a_.cmp(x86::dx, x86::r11w);
    a_.jae(fault);
    a_.div(x86::r11w);
  } else {
    a_.cmp(x86::ah, x86::r11b);
    a_.jae(fault);
    a_.div(x86::r11b);
  }
  Label back = a_.newLabel();
  a_.bind(back);
  const size_t index = index_;
  cold_.push_back([this, fault, back, index] {
    a_.bind(fault);
    index_ = index;
    d_ = &(*insns_)[index];
    // Put the guest flags back as they were before the checks, then let the
    // reference implementation raise #DE.
    emit_load_flag_slot();
    emit_helper_call();
    a_.jmp(back);
  });
}

}  // namespace kasou::jit
