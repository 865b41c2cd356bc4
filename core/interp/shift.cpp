// Shifts and rotates: SHL/SAL SHR SAR ROL ROR RCL RCR (by 1, CL or imm8) and the
// double shifts SHLD SHRD. Results and flags come from flags.h.
//
// The count is masked to 5 bits first (8086 did not mask; everything since the
// 80286 does), and a masked count of 0 is a complete no-op: no flag changes.
// The memory destination is still checked for writing even then, as the CPU
// performs the access (Bochs does too).
#include "core/interp/flags.h"
#include "core/interp/handlers.h"
#include "core/interp/operand_access.h"

namespace kasou {
namespace {

enum class Sh { kShl, kShr, kSar, kRol, kRor, kRcl, kRcr };

template <Sh op>
void h_shift(Vcpu& v, const DecodedInsn& d) {
  RmwOperand dst(v, d, 0);
  const unsigned count = static_cast<unsigned>(source_value(v, d, 1, 8)) & 31;
  if (count != 0) {
    with_width(dst.bits(), [&]<class T>(T) {
      const T a = static_cast<T>(dst.read());
      T r;
      switch (op) {
        case Sh::kShl: r = alu_shl<T>(v.s, a, count); break;
        case Sh::kShr: r = alu_shr<T>(v.s, a, count); break;
        case Sh::kSar: r = alu_sar<T>(v.s, a, count); break;
        case Sh::kRol: r = alu_rol<T>(v.s, a, count); break;
        case Sh::kRor: r = alu_ror<T>(v.s, a, count); break;
        case Sh::kRcl: r = alu_rcl<T>(v.s, a, count); break;
        default: r = alu_rcr<T>(v.s, a, count); break;
      }
      dst.write(r);
    });
  }
  advance(v, d);
}

// SHLD/SHRD r/m, reg, imm8|CL: the count is taken mod 32 for both widths.
template <bool left>
void h_double_shift(Vcpu& v, const DecodedInsn& d) {
  RmwOperand dst(v, d, 0);
  const uint64_t src = read_reg(v.s, d.ops[1].reg.value);
  const unsigned count = static_cast<unsigned>(source_value(v, d, 2, 8)) & 31;
  auto run = [&]<class T>(T) {
    const T a = static_cast<T>(dst.read());
    const T b = static_cast<T>(src);
    dst.write(left ? alu_shld<T>(v.s, a, b, count) : alu_shrd<T>(v.s, a, b, count));
  };
  if (count != 0) {
    if (dst.bits() == 16) run(uint16_t{});
    else run(uint32_t{});
  }
  advance(v, d);
}

}  // namespace

void register_shift_handlers(HandlerTable& t) {
  auto& m = t.by_mnemonic;
  m[ZYDIS_MNEMONIC_SHL] = h_shift<Sh::kShl>;
  m[ZYDIS_MNEMONIC_SHR] = h_shift<Sh::kShr>;
  m[ZYDIS_MNEMONIC_SAR] = h_shift<Sh::kSar>;
  m[ZYDIS_MNEMONIC_ROL] = h_shift<Sh::kRol>;
  m[ZYDIS_MNEMONIC_ROR] = h_shift<Sh::kRor>;
  m[ZYDIS_MNEMONIC_RCL] = h_shift<Sh::kRcl>;
  m[ZYDIS_MNEMONIC_RCR] = h_shift<Sh::kRcr>;
  m[ZYDIS_MNEMONIC_SHLD] = h_double_shift<true>;
  m[ZYDIS_MNEMONIC_SHRD] = h_double_shift<false>;
}

}  // namespace kasou
