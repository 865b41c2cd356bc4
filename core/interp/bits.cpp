// Bit instructions: BT BTS BTR BTC (register and immediate bit offsets), BSF BSR
// and BSWAP.
//
// BTx with a memory operand and a register offset addresses a bit string: the
// offset is signed and may reach beyond the operand, in whole operand-sized units
// (EA + 2*(offset SAR 4) or EA + 4*(offset SAR 5)), which is what the hardware
// reads. Immediate offsets, and any offset into a register, are taken mod width.
#include "core/interp/flags.h"
#include "core/interp/handlers.h"
#include "core/interp/operand_access.h"

namespace kasou {
namespace {

enum class Bt { kTest, kSet, kReset, kComplement };

template <Bt op>
void h_bt(Vcpu& v, const DecodedInsn& d) {
  constexpr bool writes = op != Bt::kTest;
  const ZydisDecodedOperand& dst = d.ops[0];
  const unsigned bits = dst.size;
  const unsigned bytes = bits / 8;
  const uint64_t offset = source_value(v, d, 1, bits);
  uint64_t value, lin = 0;
  if (dst.type == ZYDIS_OPERAND_TYPE_MEMORY) {
    uint64_t ea = effective_address(v.s, d, dst);
    if (d.ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER) {
      const int64_t units = sign_extend(offset, bits) >> (bits == 16 ? 4 : 5);
      ea = truncate(ea + static_cast<uint64_t>(units * static_cast<int64_t>(bytes)), d.address_bits());
    }
    lin = seg_linear(v, seg_of(dst.mem.segment), ea, bytes, writes ? Access::kWrite : Access::kRead);
    if (writes) probe_write(v, lin, bytes);
    value = mmu_read(v, lin, bytes);
  } else {
    value = read_reg(v.s, dst.reg.value);
  }
  const uint64_t mask = uint64_t(1) << (offset & (bits - 1));
  const bool old = value & mask;
  if (writes) {
    switch (op) {
      case Bt::kSet: value |= mask; break;
      case Bt::kReset: value &= ~mask; break;
      default: value ^= mask; break;
    }
    if (dst.type == ZYDIS_OPERAND_TYPE_MEMORY) mmu_write(v, lin, value, bytes);
    else write_reg(v.s, dst.reg.value, value);
  }
  // Only CF is defined; ZF is documented as unaffected and the rest undefined.
  set_flags(v.s, old ? flag::CF : 0, flag::CF);
  advance(v, d);
}

// BSF/BSR: a zero source sets ZF and leaves the destination alone (AMD documents
// it, Intel CPUs do it). The other flags follow the source like a logic op (QEMU).
template <bool forward>
void h_bit_scan(Vcpu& v, const DecodedInsn& d) {
  const unsigned bits = d.ops[0].size;
  const uint64_t src = read_operand(v, d, 1);
  with_width(bits, [&]<class T>(T) { alu_logic<T>(v.s, static_cast<T>(src)); });
  if (src != 0) {
    const unsigned index = forward ? static_cast<unsigned>(__builtin_ctzll(src))
                                   : 63u - static_cast<unsigned>(__builtin_clzll(src));
    write_reg(v.s, d.ops[0].reg.value, index);
  }
  advance(v, d);
}

// BSWAP r16 is undefined; Intel and AMD CPUs clear the register's low word.
void h_bswap(Vcpu& v, const DecodedInsn& d) {
  const ZydisRegister r = d.ops[0].reg.value;
  const uint32_t x = static_cast<uint32_t>(read_reg(v.s, r));
  write_reg(v.s, r, d.ops[0].size == 32 ? __builtin_bswap32(x) : 0);
  advance(v, d);
}

}  // namespace

void register_bit_handlers(HandlerTable& t) {
  auto& m = t.by_mnemonic;
  m[ZYDIS_MNEMONIC_BT] = h_bt<Bt::kTest>;
  m[ZYDIS_MNEMONIC_BTS] = h_bt<Bt::kSet>;
  m[ZYDIS_MNEMONIC_BTR] = h_bt<Bt::kReset>;
  m[ZYDIS_MNEMONIC_BTC] = h_bt<Bt::kComplement>;
  m[ZYDIS_MNEMONIC_BSF] = h_bit_scan<true>;
  m[ZYDIS_MNEMONIC_BSR] = h_bit_scan<false>;
  // F3 0F BC / F3 0F BD decode as TZCNT / LZCNT, but on a CPU without BMI1/ABM
  // (CPUID does not report them) the REP prefix is ignored: they are BSF / BSR.
  m[ZYDIS_MNEMONIC_TZCNT] = h_bit_scan<true>;
  m[ZYDIS_MNEMONIC_LZCNT] = h_bit_scan<false>;
  m[ZYDIS_MNEMONIC_BSWAP] = h_bswap;
}

}  // namespace kasou
