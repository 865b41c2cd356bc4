// Multiplication and division: MUL, IMUL (one-, two- and three-operand forms),
// DIV, IDIV. The accumulator pair is AX (8-bit), DX:AX (16) or EDX:EAX (32).
//
// Division checks divide-by-zero and quotient overflow (#DE) before computing
// anything, so the host never sees a division that would trap (INT64_MIN / -1
// included). DIV/IDIV leave the flags alone: the SDM calls them undefined.
#include "core/fault.h"
#include "core/interp/flags.h"
#include "core/interp/handlers.h"
#include "core/interp/operand_access.h"

namespace kasou {
namespace {

// The double-width accumulator (AX, DX:AX, EDX:EAX) as one value.
uint64_t read_wide_acc(const CpuState& s, unsigned bits) {
  switch (bits) {
    case 8: return s.gpr[kRax] & 0xFFFF;
    case 16: return ((s.gpr[kRdx] & 0xFFFF) << 16) | (s.gpr[kRax] & 0xFFFF);
    default: return ((s.gpr[kRdx] & 0xFFFFFFFF) << 32) | (s.gpr[kRax] & 0xFFFFFFFF);
  }
}

// Writes low:high back to AL:AH, AX/DX or EAX/EDX.
void write_acc_pair(CpuState& s, unsigned bits, uint64_t low, uint64_t high) {
  if (bits == 8) {
    write_reg(s, ZYDIS_REGISTER_AX, (low & 0xFF) | ((high & 0xFF) << 8));
  } else if (bits == 16) {
    write_reg(s, ZYDIS_REGISTER_AX, low);
    write_reg(s, ZYDIS_REGISTER_DX, high);
  } else {
    write_reg(s, ZYDIS_REGISTER_EAX, low);
    write_reg(s, ZYDIS_REGISTER_EDX, high);
  }
}

void h_mul(Vcpu& v, const DecodedInsn& d) {
  const unsigned bits = d.ops[0].size;
  const uint64_t src = read_operand(v, d, 0);
  const uint64_t product = truncate(v.s.gpr[kRax], bits) * src;  // at most 64 bits
  const uint64_t high = truncate(product >> bits, bits);
  write_acc_pair(v.s, bits, product, high);
  with_width(bits, [&]<class T>(T) { mul_flags<T>(v.s, static_cast<T>(product), high != 0); });
  advance(v, d);
}

void h_imul(Vcpu& v, const DecodedInsn& d) {
  const unsigned bits = d.ops[0].size;
  int64_t a, b;
  if (d.zi.operand_count_visible == 1) {
    a = sign_extend(v.s.gpr[kRax], bits);
    b = sign_extend(read_operand(v, d, 0), bits);
  } else {
    // IMUL r, r/m (dest *= src) or IMUL r, r/m, imm (dest = src * imm).
    const int src = d.zi.operand_count_visible == 2 ? 0 : 1;
    a = sign_extend(source_value(v, d, src, bits), bits);
    b = sign_extend(source_value(v, d, src + 1, bits), bits);
  }
  const int64_t product = a * b;  // |a*b| <= 2^62: no host overflow
  const bool overflow = product != sign_extend(static_cast<uint64_t>(product), bits);
  if (d.zi.operand_count_visible == 1)
    write_acc_pair(v.s, bits, static_cast<uint64_t>(product), static_cast<uint64_t>(product) >> bits);
  else
    write_reg(v.s, d.ops[0].reg.value, static_cast<uint64_t>(product));
  with_width(bits, [&]<class T>(T) { mul_flags<T>(v.s, static_cast<T>(product), overflow); });
  advance(v, d);
}

void h_div(Vcpu& v, const DecodedInsn& d) {
  const unsigned bits = d.ops[0].size;
  const uint64_t divisor = read_operand(v, d, 0);
  if (divisor == 0) raise_fault(vec::DE);
  const uint64_t dividend = read_wide_acc(v.s, bits);
  const uint64_t q = dividend / divisor;
  if (q > truncate(~0ull, bits)) raise_fault(vec::DE);
  write_acc_pair(v.s, bits, q, dividend % divisor);
  advance(v, d);
}

void h_idiv(Vcpu& v, const DecodedInsn& d) {
  const unsigned bits = d.ops[0].size;
  const int64_t divisor = sign_extend(read_operand(v, d, 0), bits);
  if (divisor == 0) raise_fault(vec::DE);
  const int64_t dividend = sign_extend(read_wide_acc(v.s, bits), 2 * bits);
  const int64_t max = (int64_t(1) << (bits - 1)) - 1, min = -max - 1;
  int64_t q, r;
  if (divisor == -1) {
    // dividend / -1 overflows the host for INT64_MIN; any such quotient is
    // out of range for the guest anyway.
    if (dividend == INT64_MIN) raise_fault(vec::DE);
    q = -dividend;
    r = 0;
  } else {
    q = dividend / divisor;  // truncates toward zero, as IDIV does
    r = dividend % divisor;  // has the sign of the dividend, as IDIV's remainder
  }
  if (q > max || q < min) raise_fault(vec::DE);
  write_acc_pair(v.s, bits, static_cast<uint64_t>(q), static_cast<uint64_t>(r));
  advance(v, d);
}

}  // namespace

void register_muldiv_handlers(HandlerTable& t) {
  auto& m = t.by_mnemonic;
  m[ZYDIS_MNEMONIC_MUL] = h_mul;
  m[ZYDIS_MNEMONIC_IMUL] = h_imul;
  m[ZYDIS_MNEMONIC_DIV] = h_div;
  m[ZYDIS_MNEMONIC_IDIV] = h_idiv;
}

}  // namespace kasou
