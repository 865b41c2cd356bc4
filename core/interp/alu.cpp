// Integer arithmetic and logic: ADD ADC SUB SBB CMP AND OR XOR TEST, INC DEC NEG
// NOT, in every width and operand form. Flags come from flags.h.
//
// Zydis rejects LOCK on register destinations and on CMP/TEST, so a decoded LOCK
// here always has a memory destination; with one CPU, LOCK needs no action.
#include "core/interp/flags.h"
#include "core/interp/handlers.h"
#include "core/interp/operand_access.h"

namespace kasou {
namespace {

enum class Bin { kAdd, kAdc, kSub, kSbb, kCmp, kAnd, kOr, kXor, kTest };

template <Bin op, class T>
T compute(CpuState& s, T a, T b) {
  switch (op) {
    case Bin::kAdd: return alu_add<T>(s, a, b, false);
    case Bin::kAdc: return alu_add<T>(s, a, b, cf(s));
    case Bin::kSub:
    case Bin::kCmp: return alu_sub<T>(s, a, b, false);
    case Bin::kSbb: return alu_sub<T>(s, a, b, cf(s));
    case Bin::kAnd:
    case Bin::kTest: return alu_logic<T>(s, a & b);
    case Bin::kOr: return alu_logic<T>(s, a | b);
    case Bin::kXor: return alu_logic<T>(s, a ^ b);
  }
  return 0;
}

template <Bin op>
void h_binary(Vcpu& v, const DecodedInsn& d) {
  constexpr bool writes = op != Bin::kCmp && op != Bin::kTest;
  RmwOperand dst(v, d, 0, writes);
  with_width(dst.bits(), [&]<class T>(T) {
    const T a = static_cast<T>(dst.read());
    const T b = static_cast<T>(source_value(v, d, 1, kBits<T>));
    const T r = compute<op, T>(v.s, a, b);
    if (writes) dst.write(r);
  });
  advance(v, d);
}

enum class Un { kInc, kDec, kNeg, kNot };

template <Un op>
void h_unary(Vcpu& v, const DecodedInsn& d) {
  RmwOperand dst(v, d, 0);
  with_width(dst.bits(), [&]<class T>(T) {
    const T a = static_cast<T>(dst.read());
    T r;
    switch (op) {
      case Un::kInc: r = alu_inc<T>(v.s, a); break;
      case Un::kDec: r = alu_dec<T>(v.s, a); break;
      case Un::kNeg: r = alu_neg<T>(v.s, a); break;
      default: r = static_cast<T>(~a); break;  // NOT changes no flag
    }
    dst.write(r);
  });
  advance(v, d);
}

}  // namespace

void register_alu_handlers(HandlerTable& t) {
  auto& m = t.by_mnemonic;
  m[ZYDIS_MNEMONIC_ADD] = h_binary<Bin::kAdd>;
  m[ZYDIS_MNEMONIC_ADC] = h_binary<Bin::kAdc>;
  m[ZYDIS_MNEMONIC_SUB] = h_binary<Bin::kSub>;
  m[ZYDIS_MNEMONIC_SBB] = h_binary<Bin::kSbb>;
  m[ZYDIS_MNEMONIC_CMP] = h_binary<Bin::kCmp>;
  m[ZYDIS_MNEMONIC_AND] = h_binary<Bin::kAnd>;
  m[ZYDIS_MNEMONIC_OR] = h_binary<Bin::kOr>;
  m[ZYDIS_MNEMONIC_XOR] = h_binary<Bin::kXor>;
  m[ZYDIS_MNEMONIC_TEST] = h_binary<Bin::kTest>;
  m[ZYDIS_MNEMONIC_INC] = h_unary<Un::kInc>;
  m[ZYDIS_MNEMONIC_DEC] = h_unary<Un::kDec>;
  m[ZYDIS_MNEMONIC_NEG] = h_unary<Un::kNeg>;
  m[ZYDIS_MNEMONIC_NOT] = h_unary<Un::kNot>;
}

}  // namespace kasou
