// Flag-liveness analysis.
#include "jit/liveness.h"

#include "core/cpu_state.h"

namespace kasou::jit {

namespace {
bool is_shift_or_rotate(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR: case ZYDIS_MNEMONIC_SAR:
    case ZYDIS_MNEMONIC_ROL: case ZYDIS_MNEMONIC_ROR: case ZYDIS_MNEMONIC_RCL: case ZYDIS_MNEMONIC_RCR:
    case ZYDIS_MNEMONIC_SHLD: case ZYDIS_MNEMONIC_SHRD:
      return true;
    default:
      return false;
  }
}
}  // namespace

uint32_t flags_may_write(const DecodedInsn& d) {
  const ZydisAccessedFlags* f = d.zi.cpu_flags;
  return f ? (f->modified | f->set_0 | f->set_1 | f->undefined) & flag::kArith : 0;
}

FlagUse flag_use(const DecodedInsn& d, bool inline_host) {
  FlagUse u{0, 0};
  if (const ZydisAccessedFlags* f = d.zi.cpu_flags) {
    u.read = f->tested & flag::kArith;
    u.must_write = (f->modified | f->set_0 | f->set_1 | f->undefined) & flag::kArith;
  }
  if (is_shift_or_rotate(d.zi.mnemonic)) {
    // A count of zero leaves every flag alone: the write is conditional unless the
    // count is a non-zero immediate.
    // The count is operand 1 (operand 2 for SHLD/SHRD); Zydis shows the D0/D1
    // forms' count of 1 as an implicit immediate.
    const bool three = d.zi.mnemonic == ZYDIS_MNEMONIC_SHLD || d.zi.mnemonic == ZYDIS_MNEMONIC_SHRD;
    const ZydisDecodedOperand& cnt = d.ops[three ? 2 : 1];
    const bool nonzero_imm = cnt.type == ZYDIS_OPERAND_TYPE_IMMEDIATE && (cnt.imm.value.u & 31) != 0;
    if (!nonzero_imm) {
      u.read |= u.must_write;  // passed through unchanged when the count is 0
      u.must_write = 0;
    }
  }
  if (!inline_host) u.read = flag::kArith;  // helpers see (and may push) all of EFLAGS
  return u;
}

std::vector<uint32_t> flags_live_in(const std::vector<FlagUse>& uses, uint32_t live_at_end, size_t sink) {
  std::vector<uint32_t> live(uses.size());
  uint32_t after = live_at_end;
  for (size_t i = uses.size(); i-- > 0;) {
    if (i + 1 == sink) after = flag::kArith;
    live[i] = uses[i].read | (after & ~uses[i].must_write);
    after = live[i];
  }
  if (sink == 0 && !live.empty()) live[0] |= flag::kArith;
  return live;
}

size_t after_last_flag_writer(const std::vector<uint32_t>& may_write) {
  for (size_t i = may_write.size(); i-- > 0;)
    if (may_write[i]) return i + 1;
  return 0;
}

}  // namespace kasou::jit
