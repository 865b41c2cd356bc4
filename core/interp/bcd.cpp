// Decimal adjust instructions: AAA AAS DAA DAS (after BCD add/subtract) and
// AAM AAD (with the imm8 base, which assemblers hide behind base 10).
//
// The algorithms are the SDM pseudocode. Flags the SDM leaves undefined get what
// hardware is known to produce: SF ZF PF from AL where it is cheap to say (as
// Bochs), AAD's flags are those of the addition it performs.
#include "core/fault.h"
#include "core/interp/flags.h"
#include "core/interp/handlers.h"
#include "core/interp/operands.h"

namespace kasou {
namespace {

uint8_t al(const CpuState& s) { return static_cast<uint8_t>(s.gpr[kRax]); }
void set_ax(CpuState& s, uint16_t ax) { write_reg(s, ZYDIS_REGISTER_AX, ax); }
void set_al(CpuState& s, uint8_t v) { write_reg(s, ZYDIS_REGISTER_AL, v); }
bool af(const CpuState& s) { return s.rflags & flag::AF; }

void h_aaa(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  uint16_t ax = static_cast<uint16_t>(s.gpr[kRax]);
  const bool adjust = (ax & 0xF) > 9 || af(s);
  if (adjust) ax = static_cast<uint16_t>(ax + 0x106);
  ax &= 0xFF0F;
  set_ax(s, ax);
  set_flags(s, szp_flags(static_cast<uint8_t>(ax)) | (adjust ? flag::CF | flag::AF : 0));
  advance(v, d);
}

void h_aas(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  uint16_t ax = static_cast<uint16_t>(s.gpr[kRax]);
  const bool adjust = (ax & 0xF) > 9 || af(s);
  if (adjust) ax = static_cast<uint16_t>(ax - 6 - 0x100);
  ax &= 0xFF0F;
  set_ax(s, ax);
  set_flags(s, szp_flags(static_cast<uint8_t>(ax)) | (adjust ? flag::CF | flag::AF : 0));
  advance(v, d);
}

void h_daa(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  const uint8_t old_al = al(s);
  const bool old_cf = cf(s);
  uint8_t a = old_al;
  bool aux = false;
  if ((a & 0xF) > 9 || af(s)) {
    a = static_cast<uint8_t>(a + 6);  // its carry into CF is overruled just below
    aux = true;
  }
  const bool c = old_al > 0x99 || old_cf;
  if (c) a = static_cast<uint8_t>(a + 0x60);
  set_al(s, a);
  set_flags(s, szp_flags(a) | (c ? flag::CF : 0) | (aux ? flag::AF : 0));
  advance(v, d);
}

void h_das(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  const uint8_t old_al = al(s);
  const bool old_cf = cf(s);
  uint8_t a = old_al;
  bool c = false, aux = false;
  if ((a & 0xF) > 9 || af(s)) {
    c = old_cf || a < 6;  // borrow out of AL - 6
    a = static_cast<uint8_t>(a - 6);
    aux = true;
  }
  if (old_al > 0x99 || old_cf) {
    a = static_cast<uint8_t>(a - 0x60);
    c = true;
  }
  set_al(s, a);
  set_flags(s, szp_flags(a) | (c ? flag::CF : 0) | (aux ? flag::AF : 0));
  advance(v, d);
}

void h_aam(Vcpu& v, const DecodedInsn& d) {
  const uint8_t base = static_cast<uint8_t>(d.ops[0].imm.value.u);
  if (base == 0) raise_fault(vec::DE);
  const uint8_t a = al(v.s);
  const uint8_t low = a % base;
  set_ax(v.s, static_cast<uint16_t>(((a / base) << 8) | low));
  alu_logic<uint8_t>(v.s, low);
  advance(v, d);
}

void h_aad(Vcpu& v, const DecodedInsn& d) {
  const uint8_t base = static_cast<uint8_t>(d.ops[0].imm.value.u);
  const uint8_t ah = static_cast<uint8_t>(v.s.gpr[kRax] >> 8);
  const uint8_t low = alu_add<uint8_t>(v.s, al(v.s), static_cast<uint8_t>(ah * base), false);
  set_ax(v.s, low);
  advance(v, d);
}

// SALC (undocumented, opcode D6): AL = CF ? FF : 00.
void h_salc(Vcpu& v, const DecodedInsn& d) {
  set_al(v.s, cf(v.s) ? 0xFF : 0x00);
  advance(v, d);
}

}  // namespace

void register_bcd_handlers(HandlerTable& t) {
  auto& m = t.by_mnemonic;
  m[ZYDIS_MNEMONIC_AAA] = h_aaa;
  m[ZYDIS_MNEMONIC_AAS] = h_aas;
  m[ZYDIS_MNEMONIC_DAA] = h_daa;
  m[ZYDIS_MNEMONIC_DAS] = h_das;
  m[ZYDIS_MNEMONIC_AAM] = h_aam;
  m[ZYDIS_MNEMONIC_AAD] = h_aad;
  m[ZYDIS_MNEMONIC_SALC] = h_salc;
}

}  // namespace kasou
