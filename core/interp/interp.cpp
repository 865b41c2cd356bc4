// The reference interpreter's dispatch: a table from Zydis mnemonic to handler,
// filled by the per-group files, plus fetch/decode/execute of one instruction.
#include "core/interp/interp.h"

#include "core/debug.h"
#include "core/fault.h"
#include "core/interp/handlers.h"
#include "core/mmu.h"

namespace kasou {
namespace {

void undefined_opcode(Vcpu&, const DecodedInsn&) { raise_fault(vec::UD); }

HandlerTable build_table() {
  HandlerTable t;
  for (auto& h : t.by_mnemonic) h = undefined_opcode;
  register_alu_handlers(t);
  register_shift_handlers(t);
  register_muldiv_handlers(t);
  register_bcd_handlers(t);
  register_bit_handlers(t);
  register_data_handlers(t);
  register_stack_handlers(t);
  register_string_handlers(t);
  register_control_handlers(t);
  register_system_handlers(t);
  register_privileged_handlers(t);
  register_x87_handlers(t);
  register_x87_env_handlers(t);
  register_mmx_handlers(t);  // after any SSE registration: it chains the non-MMX forms
  return t;
}

const HandlerTable& table() {
  static const HandlerTable t = build_table();
  return t;
}

}  // namespace

InsnHandler interp_handler(const DecodedInsn& d) { return table().by_mnemonic[d.zi.mnemonic]; }

void interp_execute(Vcpu& v, const DecodedInsn& d) {
  v.stats.interp_calls[d.zi.mnemonic]++;
  table().by_mnemonic[d.zi.mnemonic](v, d);
}

namespace {

// Fetch, decode, execute; `dbg` is set when the debug checks are on.
void fetch_decode_execute(Vcpu& v, const InsnDecoder& decoder, DebugStep* dbg) {
  CpuState& s = v.s;
  const bool code16 = InsnDecoder::code16_for(s);
  const uint64_t eip = code16 ? (s.rip & 0xFFFF) : (s.rip & 0xFFFFFFFF);
  const SegmentCache& cs = s.seg[kCs];
  if (eip > cs.limit) raise_fault(vec::GP, 0);
  const unsigned max_len = static_cast<unsigned>(std::min<uint64_t>(15, uint64_t(cs.limit) - eip + 1));
  uint8_t buf[15];
  const uint64_t linear = (cs.base + eip) & 0xFFFFFFFFull;
  unsigned n = mmu_fetch(v, linear, buf, max_len);
  DecodedInsn d;
  DecodeStatus st = decoder.decode(code16, InsnDecoder::stack16_for(s), buf, n, static_cast<uint32_t>(eip), d);
  if (st == DecodeStatus::kNeedMoreBytes) {
    if (n < max_len) mmu_fetch(v, linear + n, buf, 1);  // raises the #PF of the next page
    raise_fault(vec::GP, 0);                             // the instruction runs past CS's limit
  }
  if (st == DecodeStatus::kInvalid) raise_fault(vec::UD);
  if (dbg) debug_decoded(v, *dbg, d);
  interp_execute(v, d);
}

}  // namespace

void interp_step(Vcpu& v, const InsnDecoder& decoder) {
  if (!debug_active(v.s)) return fetch_decode_execute(v, decoder, nullptr);
  // Single-step, breakpoints, RF (core/debug.h): checks before and after.
  DebugStep dbg = debug_begin(v);
  try {
    fetch_decode_execute(v, decoder, &dbg);
  } catch (const GuestFault& f) {
    debug_fault(v, f);
    throw;
  }
  debug_end(v, dbg);
}

}  // namespace kasou
