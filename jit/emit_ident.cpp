// "IDENT" translation: an instruction whose meaning does not depend on the CPU
// mode is re-encoded for the host almost as it is: guest registers are renamed to
// the host registers that hold them and a memory operand becomes [RSI], the host
// pointer the inline TLB lookup produced. The host computes the result and the
// flags exactly as the guest CPU would (the same ISA).
#include <cstring>

#include "jit/block_key.h"
#include "jit/emitter.h"
#include "jit/host_regs.h"

namespace kasou::jit {

namespace {

bool is_ident_mnemonic(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_ADC: case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_SBB:
    case ZYDIS_MNEMONIC_CMP: case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_XOR:
    case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_NEG: case ZYDIS_MNEMONIC_NOT: case ZYDIS_MNEMONIC_INC:
    case ZYDIS_MNEMONIC_DEC: case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX:
    case ZYDIS_MNEMONIC_LEA: case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR:
    case ZYDIS_MNEMONIC_SAR: case ZYDIS_MNEMONIC_ROL: case ZYDIS_MNEMONIC_ROR: case ZYDIS_MNEMONIC_RCL:
    case ZYDIS_MNEMONIC_RCR: case ZYDIS_MNEMONIC_SHLD: case ZYDIS_MNEMONIC_SHRD: case ZYDIS_MNEMONIC_MUL:
    case ZYDIS_MNEMONIC_IMUL: case ZYDIS_MNEMONIC_BT: case ZYDIS_MNEMONIC_BTS: case ZYDIS_MNEMONIC_BTR:
    case ZYDIS_MNEMONIC_BTC: case ZYDIS_MNEMONIC_BSF: case ZYDIS_MNEMONIC_BSR: case ZYDIS_MNEMONIC_BSWAP:
    case ZYDIS_MNEMONIC_XCHG: case ZYDIS_MNEMONIC_CMPXCHG: case ZYDIS_MNEMONIC_CMPXCHG8B:
    case ZYDIS_MNEMONIC_XADD: case ZYDIS_MNEMONIC_CBW: case ZYDIS_MNEMONIC_CWDE: case ZYDIS_MNEMONIC_CWD:
    case ZYDIS_MNEMONIC_CDQ: case ZYDIS_MNEMONIC_LAHF: case ZYDIS_MNEMONIC_SAHF: case ZYDIS_MNEMONIC_CLC:
    case ZYDIS_MNEMONIC_STC: case ZYDIS_MNEMONIC_CMC: case ZYDIS_MNEMONIC_NOP: case ZYDIS_MNEMONIC_PAUSE:
    case ZYDIS_MNEMONIC_ENDBR32:
    case ZYDIS_MNEMONIC_SETB: case ZYDIS_MNEMONIC_SETBE: case ZYDIS_MNEMONIC_SETL: case ZYDIS_MNEMONIC_SETLE:
    case ZYDIS_MNEMONIC_SETNB: case ZYDIS_MNEMONIC_SETNBE: case ZYDIS_MNEMONIC_SETNL:
    case ZYDIS_MNEMONIC_SETNLE: case ZYDIS_MNEMONIC_SETNO: case ZYDIS_MNEMONIC_SETNP:
    case ZYDIS_MNEMONIC_SETNS: case ZYDIS_MNEMONIC_SETNZ: case ZYDIS_MNEMONIC_SETO: case ZYDIS_MNEMONIC_SETP:
    case ZYDIS_MNEMONIC_SETS: case ZYDIS_MNEMONIC_SETZ:
    case ZYDIS_MNEMONIC_CMOVB: case ZYDIS_MNEMONIC_CMOVBE: case ZYDIS_MNEMONIC_CMOVL:
    case ZYDIS_MNEMONIC_CMOVLE: case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVNBE:
    case ZYDIS_MNEMONIC_CMOVNL: case ZYDIS_MNEMONIC_CMOVNLE: case ZYDIS_MNEMONIC_CMOVNO:
    case ZYDIS_MNEMONIC_CMOVNP: case ZYDIS_MNEMONIC_CMOVNS: case ZYDIS_MNEMONIC_CMOVNZ:
    case ZYDIS_MNEMONIC_CMOVO: case ZYDIS_MNEMONIC_CMOVP: case ZYDIS_MNEMONIC_CMOVS: case ZYDIS_MNEMONIC_CMOVZ:
      return true;
    default:
      return false;
  }
}

bool is_bit_test(ZydisMnemonic m) {
  return m == ZYDIS_MNEMONIC_BT || m == ZYDIS_MNEMONIC_BTS || m == ZYDIS_MNEMONIC_BTR || m == ZYDIS_MNEMONIC_BTC;
}

}  // namespace

bool Emitter::ident_supported(const DecodedInsn& d) const {
  if (!is_ident_mnemonic(d.zi.mnemonic)) return false;
  int memory_operands = 0;
  for (unsigned i = 0; i < d.zi.operand_count_visible; i++) {
    const ZydisDecodedOperand& op = d.ops[i];
    switch (op.type) {
      case ZYDIS_OPERAND_TYPE_REGISTER:
        if (map_guest_reg(op.reg.value) == ZYDIS_REGISTER_NONE) return false;
        break;
      case ZYDIS_OPERAND_TYPE_MEMORY:
        if (op.mem.type == ZYDIS_MEMOP_TYPE_AGEN) {
          // LEA: only 32-bit addressing maps onto host addressing directly.
          if (d.address_bits() != 32) return false;
          if (op.mem.base != ZYDIS_REGISTER_NONE && map_guest_reg(op.mem.base) == ZYDIS_REGISTER_NONE) return false;
          if (op.mem.index != ZYDIS_REGISTER_NONE && map_guest_reg(op.mem.index) == ZYDIS_REGISTER_NONE) return false;
          break;
        }
        if (d.zi.mnemonic == ZYDIS_MNEMONIC_NOP) break;  // hint NOPs never touch memory
        if (!mem_inline_ok(d, op)) return false;
        memory_operands++;
        break;
      case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        break;
      default:
        return false;
    }
  }
  if (memory_operands > 1) return false;
  // BT* with a memory operand and a register bit offset address a bit string that
  // extends past the operand: the host pointer would be wrong.
  if (is_bit_test(d.zi.mnemonic) && d.ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
      d.ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER)
    return false;
  return true;
}

bool Emitter::emit_ident() {
  const DecodedInsn& d = *d_;
  // NOP forms, PAUSE (a spin-loop hint: the host's PAUSE would only stall) and
  // the CET end-branch markers emit nothing.
  if (d.zi.mnemonic == ZYDIS_MNEMONIC_NOP || d.zi.mnemonic == ZYDIS_MNEMONIC_PAUSE ||
      d.zi.mnemonic == ZYDIS_MNEMONIC_ENDBR32)
    return true;

  ZydisEncoderRequest req;
  if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(&d.zi, d.ops, d.zi.operand_count_visible, &req)))
    return false;
  req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
  // Segment overrides are already applied to the linear address; in 64-bit mode an
  // FS/GS override would add the host's base.
  req.prefixes &= ~(ZYDIS_ATTRIB_HAS_SEGMENT_CS | ZYDIS_ATTRIB_HAS_SEGMENT_SS | ZYDIS_ATTRIB_HAS_SEGMENT_DS |
                    ZYDIS_ATTRIB_HAS_SEGMENT_ES | ZYDIS_ATTRIB_HAS_SEGMENT_FS | ZYDIS_ATTRIB_HAS_SEGMENT_GS |
                    ZYDIS_ATTRIB_HAS_SEGMENT | ZYDIS_ATTRIB_HAS_ADDRESSSIZE);
  req.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_NONE;
  int mem_index = -1;
  for (unsigned i = 0; i < req.operand_count; i++) {
    ZydisEncoderOperand& op = req.operands[i];
    if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) {
      op.reg.value = map_guest_reg(op.reg.value);
    } else if (op.type == ZYDIS_OPERAND_TYPE_MEMORY) {
      if (d.ops[i].mem.type == ZYDIS_MEMOP_TYPE_AGEN) {
        if (op.mem.base != ZYDIS_REGISTER_NONE) op.mem.base = map_guest_reg(op.mem.base);
        if (op.mem.index != ZYDIS_REGISTER_NONE) op.mem.index = map_guest_reg(op.mem.index);
      } else {
        op.mem.base = ZYDIS_REGISTER_RSI;
        op.mem.index = ZYDIS_REGISTER_NONE;
        op.mem.scale = 0;
        op.mem.displacement = 0;
        mem_index = static_cast<int>(i);
      }
    }
  }
  uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
  ZyanUSize len = sizeof buf;
  if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&req, buf, &len))) return false;

  if (mem_index >= 0) {
    const ZydisDecodedOperand& op = d.ops[mem_index];
    const bool write = (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0;
    emit_mem_operand(op, write, x86::rsi);
  }
  a_.embed(buf, len);
  return true;
}

}  // namespace kasou::jit
