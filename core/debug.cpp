// The CPU's debug features: single-step, DR0-DR7 breakpoints, RF (see debug.h).
#include "core/debug.h"

#include "core/interp/operands.h"

namespace kasou {
namespace {

// Breakpoint n's byte range [start, start + len): the low address bits are ignored
// as the SDM says (LENn masks them), so a misaligned DRn covers the aligned range.
struct Range {
  uint64_t start, len;
};
Range breakpoint_range(const CpuState& s, unsigned n) {
  const uint64_t len = dr7::length(s.dr[7], n);
  return {(s.dr[n] & 0xFFFFFFFFull) & ~(len - 1), len};
}

bool overlaps(Range r, uint64_t start, uint64_t len) { return start < r.start + r.len && r.start < start + len; }

// Data breakpoints of the given kinds that overlap [linear, linear + size).
uint32_t data_hits(const CpuState& s, uint64_t linear, unsigned size, bool write) {
  uint32_t hits = 0;
  for (unsigned n = 0; n < 4; n++) {
    if (!dr7::enabled(s.dr[7], n)) continue;
    const unsigned t = dr7::type(s.dr[7], n);
    if (t != dr7::kReadWrite && !(t == dr7::kWrite && write)) continue;
    if (overlaps(breakpoint_range(s, n), linear, size)) hits |= 1u << n;
  }
  return hits;
}

bool io_breakpoints_on(const CpuState& s) { return s.cr4 & cr4::DE; }

uint32_t io_hits(const CpuState& s, uint16_t port, unsigned size) {
  if (!io_breakpoints_on(s)) return 0;
  uint32_t hits = 0;
  for (unsigned n = 0; n < 4; n++)
    if (dr7::enabled(s.dr[7], n) && dr7::type(s.dr[7], n) == dr7::kIo && overlaps(breakpoint_range(s, n), port, size))
      hits |= 1u << n;
  return hits;
}

// Raises the #DB trap for `traps` (DR6 layout). Breakpoint bits replace B0-B3.
[[noreturn]] void raise_debug_trap(Vcpu& v, uint32_t traps) {
  uint64_t d6 = v.s.dr[6];
  if (traps & dr6::kBreakpoints) d6 &= ~uint64_t{dr6::kBreakpoints};
  v.s.dr[6] = d6 | traps | dr6::kFixed1;
  raise_fault(vec::DB);
}

bool is_string(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW: case ZYDIS_MNEMONIC_MOVSD:
    case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW: case ZYDIS_MNEMONIC_CMPSD:
    case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW: case ZYDIS_MNEMONIC_SCASD:
    case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW: case ZYDIS_MNEMONIC_LODSD:
    case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW: case ZYDIS_MNEMONIC_STOSD:
    case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW: case ZYDIS_MNEMONIC_INSD:
    case ZYDIS_MNEMONIC_OUTSB: case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
      return true;
    default:
      return false;
  }
}

bool is_port_string(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW: case ZYDIS_MNEMONIC_INSD:
    case ZYDIS_MNEMONIC_OUTSB: case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
      return true;
    default:
      return false;
  }
}

// The port and width an I/O instruction accesses; false for other instructions.
bool io_access(const CpuState& s, const DecodedInsn& d, uint16_t& port, unsigned& size) {
  const ZydisMnemonic m = d.mnemonic();
  if (m == ZYDIS_MNEMONIC_IN || m == ZYDIS_MNEMONIC_OUT) {
    const ZydisDecodedOperand& p = d.ops[m == ZYDIS_MNEMONIC_IN ? 1 : 0];
    const ZydisDecodedOperand& acc = d.ops[m == ZYDIS_MNEMONIC_IN ? 0 : 1];
    port = p.type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? static_cast<uint16_t>(p.imm.value.u) : static_cast<uint16_t>(s.gpr[kRdx]);
    size = acc.size / 8;
    return true;
  }
  if (is_port_string(m)) {
    port = static_cast<uint16_t>(s.gpr[kRdx]);
    size = d.operand_bits() / 8;
    return true;
  }
  return false;
}

bool loads_ss(const DecodedInsn& d) {
  const ZydisMnemonic m = d.mnemonic();
  if (m != ZYDIS_MNEMONIC_MOV && m != ZYDIS_MNEMONIC_POP) return false;
  return d.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER && d.ops[0].reg.value == ZYDIS_REGISTER_SS;
}

}  // namespace

DebugStep debug_begin(Vcpu& v) {
  CpuState& s = v.s;
  DebugStep step;
  step.rip = s.rip;
  step.cs = s.seg[kCs].selector;
  step.single_step = s.rflags & flag::TF;
  const bool in_shadow = s.pending_debug & pending_debug::kInShadow;
  if (!in_shadow && (s.pending_debug & pending_debug::kTraps)) {
    // Traps of an event delivered between instructions (e.g. a data breakpoint on
    // the stack an interrupt frame went to): taken before this instruction starts.
    const uint32_t traps = s.pending_debug & pending_debug::kTraps;
    s.pending_debug = 0;
    raise_debug_trap(v, traps);
  }
  if (!(s.rflags & flag::RF) && !in_shadow && (s.dr[7] & dr7::kEnableMask)) {
    const bool code16 = InsnDecoder::code16_for(s);
    const uint64_t linear = (s.seg[kCs].base + (code16 ? (s.rip & 0xFFFF) : (s.rip & 0xFFFFFFFF))) & 0xFFFFFFFFull;
    uint32_t hits = 0;
    for (unsigned n = 0; n < 4; n++)
      if (dr7::enabled(s.dr[7], n) && dr7::type(s.dr[7], n) == dr7::kExecute && (s.dr[n] & 0xFFFFFFFF) == linear)
        hits |= 1u << n;
    if (hits) {
      // A fault: RIP stays on the instruction, and RF is pushed as it is (0).
      uint64_t d6 = (s.dr[6] & ~uint64_t{dr6::kBreakpoints}) | hits | dr6::kFixed1;
      s.dr[6] = d6;
      raise_fault(vec::DB);
    }
  }
  s.rflags &= ~uint64_t{flag::RF};
  return step;
}

void debug_decoded(Vcpu& v, DebugStep& step, const DecodedInsn& d) {
  const CpuState& s = v.s;
  const ZydisMnemonic m = d.mnemonic();
  step.loads_ss = loads_ss(d);
  step.rep_string = (d.rep() || d.repne()) && is_string(m);
  step.no_single_step = m == ZYDIS_MNEMONIC_INT || m == ZYDIS_MNEMONIC_INT3 || m == ZYDIS_MNEMONIC_INT1 ||
                        (m == ZYDIS_MNEMONIC_INTO && (s.rflags & flag::OF)) || m == ZYDIS_MNEMONIC_HLT;
  uint16_t port;
  unsigned size;
  if (io_access(s, d, port, size)) {
    const uint64_t count = truncate(s.gpr[kRcx], d.address_bits());
    if (!(step.rep_string && count == 0)) step.io_hits = io_hits(s, port, size);
  }
  // A REP instruction stops after one element when a trap is due after it: the
  // string handlers end their loop when the engine is asked to look up.
  if (step.rep_string && (step.single_step || step.io_hits)) v.request_exit(ExitRequest::kAttention);
}

void debug_fault(Vcpu& v, const GuestFault&) {
  v.s.pending_debug = 0;
  v.s.rflags |= flag::RF;
}

void debug_end(Vcpu& v, const DebugStep& step) {
  CpuState& s = v.s;
  const bool in_shadow = s.pending_debug & pending_debug::kInShadow;
  uint32_t traps = (s.pending_debug & pending_debug::kTraps) | step.io_hits;
  if (step.single_step && !step.no_single_step) traps |= dr6::kBs;
  if (step.loads_ss && !in_shadow) {
    // Held until after the next instruction (a second MOV SS does not extend it).
    s.pending_debug = traps | pending_debug::kInShadow;
    return;
  }
  s.pending_debug = 0;
  if (!traps) return;
  // A REP instruction stopped between iterations: the frame carries RF=1 so that
  // its instruction breakpoint (if any) does not fire again when it resumes.
  if (step.rep_string && s.rip == step.rip && s.seg[kCs].selector == step.cs) s.rflags |= flag::RF;
  raise_debug_trap(v, traps);
}

void debug_data_access(Vcpu& v, uint64_t linear, unsigned size_bytes, bool write) {
  const uint32_t hits = data_hits(v.s, linear & 0xFFFFFFFFull, size_bytes, write);
  if (!hits) return;
  v.s.pending_debug |= hits;
  v.request_exit(ExitRequest::kAttention);
}

bool debug_needs_exact_access(const Vcpu& v, uint64_t linear, unsigned size_bytes) {
  const CpuState& s = v.s;
  if (s.rflags & flag::TF) return true;
  if (!(s.dr[7] & dr7::kEnableMask)) return false;
  return data_hits(s, linear & 0xFFFFFFFFull, size_bytes, true) != 0;
}

}  // namespace kasou
