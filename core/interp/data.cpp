// Data movement and flag instructions: MOV (incl. moffs and segment registers),
// MOVZX MOVSX, XCHG, CMPXCHG, CMPXCHG8B, XADD, LEA, CBW CWDE CWD CDQ, LAHF SAHF,
// CLC STC CMC CLD STD, SETcc, CMOVcc, XLAT and the far-pointer loads LDS..LSS.
//
// With one CPU, the implicit LOCK of XCHG and an explicit LOCK prefix need no
// action: an instruction is atomic with respect to the guest by construction.
#include "core/fault.h"
#include "core/interp/flags.h"
#include "core/interp/handlers.h"
#include "core/interp/operand_access.h"

namespace kasou {
namespace {

bool is_reg_class(const ZydisDecodedOperand& op, ZydisRegisterClass c) {
  return op.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(op.reg.value) == c;
}

ZydisRegister accumulator(unsigned bits) {
  return bits == 8 ? ZYDIS_REGISTER_AL : bits == 16 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX;
}

// MOV SS opens the one-instruction interrupt shadow, so that MOV SS; MOV ESP is
// not interrupted between the two halves of a stack switch.
void mov_to_segment(Vcpu& v, SegReg seg, uint16_t selector) {
  if (seg == kCs) raise_fault(vec::UD);
  load_segment(v, seg, selector);
  if (seg == kSs) v.s.interrupt_shadow = 1;
}

void h_mov(Vcpu& v, const DecodedInsn& d) {
  const ZydisDecodedOperand& dst = d.ops[0];
  const ZydisDecodedOperand& src = d.ops[1];
  // MOV to/from CRn/DRn: the privileged helper (privileged.cpp). The 386/486 test
  // registers (TRn) do not exist on this CPU.
  for (const auto* op : {&dst, &src}) {
    if (is_reg_class(*op, ZYDIS_REGCLASS_CONTROL) || is_reg_class(*op, ZYDIS_REGCLASS_DEBUG))
      return mov_control_debug(v, d);
    if (is_reg_class(*op, ZYDIS_REGCLASS_TEST)) raise_fault(vec::UD);
  }
  if (is_reg_class(dst, ZYDIS_REGCLASS_SEGMENT)) {
    mov_to_segment(v, seg_of(dst.reg.value), static_cast<uint16_t>(read_operand(v, d, 1)));
  } else {
    // A segment register source into a 32-bit register is zero-extended (P6 and
    // later); into memory it is always a 16-bit store (Zydis sizes it 16).
    write_operand(v, d, 0, source_value(v, d, 1, dst.size));
  }
  advance(v, d);
}

template <bool sign>
void h_mov_extend(Vcpu& v, const DecodedInsn& d) {
  const uint64_t x = read_operand(v, d, 1);
  write_reg(v.s, d.ops[0].reg.value, sign ? static_cast<uint64_t>(sign_extend(x, d.ops[1].size)) : x);
  advance(v, d);
}

void h_xchg(Vcpu& v, const DecodedInsn& d) {
  // The r/m operand is always ops[0]; ops[1] is a register.
  RmwOperand dst(v, d, 0);
  const ZydisRegister r = d.ops[1].reg.value;
  const uint64_t a = dst.read(), b = read_reg(v.s, r);
  dst.write(b);
  write_reg(v.s, r, a);
  advance(v, d);
}

void h_cmpxchg(Vcpu& v, const DecodedInsn& d) {
  RmwOperand dst(v, d, 0);  // memory is written back even on a mismatch
  const uint64_t src = read_reg(v.s, d.ops[1].reg.value);
  with_width(dst.bits(), [&]<class T>(T) {
    const ZydisRegister acc_reg = accumulator(kBits<T>);
    const T acc = static_cast<T>(read_reg(v.s, acc_reg));
    const T temp = static_cast<T>(dst.read());
    alu_sub<T>(v.s, acc, temp, false);
    if (acc == temp) {
      dst.write(src);
    } else {
      if (dst.is_memory()) dst.write(temp);
      write_reg(v.s, acc_reg, temp);
    }
  });
  advance(v, d);
}

void h_cmpxchg8b(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  const uint64_t lin = operand_linear(v, d, 0, Access::kWrite);
  probe_write(v, lin, 8);
  const uint64_t temp = mmu_read(v, lin, 8);
  const uint64_t edx_eax = ((s.gpr[kRdx] & 0xFFFFFFFF) << 32) | (s.gpr[kRax] & 0xFFFFFFFF);
  if (temp == edx_eax) {
    mmu_write(v, lin, ((s.gpr[kRcx] & 0xFFFFFFFF) << 32) | (s.gpr[kRbx] & 0xFFFFFFFF), 8);
    set_flags(s, flag::ZF, flag::ZF);
  } else {
    mmu_write(v, lin, temp, 8);
    s.gpr[kRax] = temp & 0xFFFFFFFF;
    s.gpr[kRdx] = temp >> 32;
    set_flags(s, 0, flag::ZF);
  }
  advance(v, d);
}

void h_xadd(Vcpu& v, const DecodedInsn& d) {
  RmwOperand dst(v, d, 0);
  const ZydisRegister r = d.ops[1].reg.value;
  with_width(dst.bits(), [&]<class T>(T) {
    const T old = static_cast<T>(dst.read());
    const T sum = alu_add<T>(v.s, old, static_cast<T>(read_reg(v.s, r)), false);
    // SRC <- DEST before DEST <- SUM: XADD r, r with the same register keeps the sum.
    write_reg(v.s, r, old);
    dst.write(sum);
  });
  advance(v, d);
}

// LEA: the offset only, wrapped to the address size, then cut to the operand
// size; no segment, no memory access.
void h_lea(Vcpu& v, const DecodedInsn& d) {
  write_reg(v.s, d.ops[0].reg.value, effective_address(v.s, d, d.ops[1]));
  advance(v, d);
}

// CBW/CWDE: widen the accumulator in place. CWD/CDQ: sign of the accumulator into DX/EDX.
template <unsigned from_bits>
void h_widen_acc(Vcpu& v, const DecodedInsn& d) {
  write_reg(v.s, accumulator(2 * from_bits), static_cast<uint64_t>(sign_extend(v.s.gpr[kRax], from_bits)));
  advance(v, d);
}
template <unsigned bits>
void h_sign_to_dx(Vcpu& v, const DecodedInsn& d) {
  const bool negative = (v.s.gpr[kRax] >> (bits - 1)) & 1;
  write_reg(v.s, bits == 16 ? ZYDIS_REGISTER_DX : ZYDIS_REGISTER_EDX, negative ? ~0ull : 0);
  advance(v, d);
}

constexpr uint32_t kLahfFlags = flag::SF | flag::ZF | flag::AF | flag::PF | flag::CF;

void h_lahf(Vcpu& v, const DecodedInsn& d) {
  write_reg(v.s, ZYDIS_REGISTER_AH, (v.s.rflags & kLahfFlags) | flag::kFixed1);
  advance(v, d);
}
void h_sahf(Vcpu& v, const DecodedInsn& d) {
  set_flags(v.s, static_cast<uint32_t>(v.s.gpr[kRax] >> 8), kLahfFlags);
  advance(v, d);
}

// CLC STC CMC CLD STD: set (or toggle) one flag.
template <uint32_t bit, int value>  // value: 0 clear, 1 set, -1 toggle
void h_flag_op(Vcpu& v, const DecodedInsn& d) {
  if (value < 0) v.s.rflags ^= bit;
  else if (value) v.s.rflags |= bit;
  else v.s.rflags &= ~static_cast<uint64_t>(bit);
  advance(v, d);
}

// The condition is the low nibble of the opcode (0F 9x for SETcc, 0F 4x for CMOVcc).
void h_setcc(Vcpu& v, const DecodedInsn& d) {
  write_operand(v, d, 0, condition(v.s.rflags, d.zi.opcode & 0xF) ? 1 : 0);
  advance(v, d);
}

void h_cmovcc(Vcpu& v, const DecodedInsn& d) {
  const uint64_t x = read_operand(v, d, 1);  // read (and maybe fault) whatever the condition
  if (condition(v.s.rflags, d.zi.opcode & 0xF)) write_reg(v.s, d.ops[0].reg.value, x);
  advance(v, d);
}

// XLAT: AL <- [seg:(E)BX + AL], AL unsigned, wrapped to the address size.
void h_xlat(Vcpu& v, const DecodedInsn& d) {
  const ZydisDecodedOperand& m = d.ops[0];
  const uint64_t offset = truncate(read_reg(v.s, m.mem.base) + (v.s.gpr[kRax] & 0xFF), d.address_bits());
  write_reg(v.s, ZYDIS_REGISTER_AL, seg_read(v, seg_of(m.mem.segment), offset, 1));
  advance(v, d);
}

// LDS LES LFS LGS LSS r, m16:16/m16:32: offset first, selector after it. The
// segment load (which may fault) comes before the register write.
template <SegReg seg>
void h_load_far_pointer(Vcpu& v, const DecodedInsn& d) {
  const ZydisDecodedOperand& m = d.ops[1];
  const unsigned n = d.ops[0].size / 8;
  const uint64_t lin = seg_linear(v, seg_of(m.mem.segment), effective_address(v.s, d, m), n + 2, Access::kRead);
  const uint64_t offset = mmu_read(v, lin, n);
  const uint16_t selector = static_cast<uint16_t>(mmu_read(v, lin + n, 2));
  load_segment(v, seg, selector);
  write_reg(v.s, d.ops[0].reg.value, offset);
  advance(v, d);
}

}  // namespace

void register_data_handlers(HandlerTable& t) {
  auto& m = t.by_mnemonic;
  m[ZYDIS_MNEMONIC_MOV] = h_mov;
  m[ZYDIS_MNEMONIC_MOVZX] = h_mov_extend<false>;
  m[ZYDIS_MNEMONIC_MOVSX] = h_mov_extend<true>;
  m[ZYDIS_MNEMONIC_XCHG] = h_xchg;
  m[ZYDIS_MNEMONIC_CMPXCHG] = h_cmpxchg;
  m[ZYDIS_MNEMONIC_CMPXCHG8B] = h_cmpxchg8b;
  m[ZYDIS_MNEMONIC_XADD] = h_xadd;
  m[ZYDIS_MNEMONIC_LEA] = h_lea;
  m[ZYDIS_MNEMONIC_CBW] = h_widen_acc<8>;
  m[ZYDIS_MNEMONIC_CWDE] = h_widen_acc<16>;
  m[ZYDIS_MNEMONIC_CWD] = h_sign_to_dx<16>;
  m[ZYDIS_MNEMONIC_CDQ] = h_sign_to_dx<32>;
  m[ZYDIS_MNEMONIC_LAHF] = h_lahf;
  m[ZYDIS_MNEMONIC_SAHF] = h_sahf;
  m[ZYDIS_MNEMONIC_CLC] = h_flag_op<flag::CF, 0>;
  m[ZYDIS_MNEMONIC_STC] = h_flag_op<flag::CF, 1>;
  m[ZYDIS_MNEMONIC_CMC] = h_flag_op<flag::CF, -1>;
  m[ZYDIS_MNEMONIC_CLD] = h_flag_op<flag::DF, 0>;
  m[ZYDIS_MNEMONIC_STD] = h_flag_op<flag::DF, 1>;
  for (ZydisMnemonic mn :
       {ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB, ZYDIS_MNEMONIC_SETNB,
        ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
        ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_SETNP,
        ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE})
    m[mn] = h_setcc;
  for (ZydisMnemonic mn :
       {ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB, ZYDIS_MNEMONIC_CMOVNB,
        ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
        ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP, ZYDIS_MNEMONIC_CMOVNP,
        ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE})
    m[mn] = h_cmovcc;
  m[ZYDIS_MNEMONIC_XLAT] = h_xlat;
  m[ZYDIS_MNEMONIC_LDS] = h_load_far_pointer<kDs>;
  m[ZYDIS_MNEMONIC_LES] = h_load_far_pointer<kEs>;
  m[ZYDIS_MNEMONIC_LFS] = h_load_far_pointer<kFs>;
  m[ZYDIS_MNEMONIC_LGS] = h_load_far_pointer<kGs>;
  m[ZYDIS_MNEMONIC_LSS] = h_load_far_pointer<kSs>;
}

}  // namespace kasou
