// The CPU's debug features (Intel SDM vol. 3, ch. 17): single-stepping with
// EFLAGS.TF, the breakpoint registers DR0-DR3 (instruction, data write, data
// read/write and, with CR4.DE, I/O breakpoints) enabled by DR7, the status
// register DR6, and the resume flag EFLAGS.RF.
//
// The reference implementation checks them around every instruction
// (interp_step); the translator runs instruction by instruction through it while
// TF is set or DR7 enables a breakpoint, so these are the only place of their
// semantics. The MMU reports data accesses to debug_data_access().
//
// Rules implemented (SDM 17.3):
// - Instruction breakpoints are faults, checked before the fetch, suppressed by
//   RF=1; RF is cleared at the start of every instruction after that check and is
//   pushed as 1 for every other fault (so a restarted instruction does not hit
//   its breakpoint again), as 0 for the instruction-breakpoint #DB itself.
// - Single-step (DR6.BS), data and I/O breakpoints (DR6.Bn) are traps taken after
//   the instruction, combined in one #DB. The single-step trap follows every
//   instruction that began with TF=1 (so not the POPF/IRET that sets TF, but the
//   one that clears it), except INT n / INT3 / INT1 / a taken INTO, whose handler
//   starts with TF clear, and HLT.
// - A REP string instruction traps after each iteration while single-stepping, and
//   after the iteration that hit a data breakpoint (RIP still on the instruction,
//   RF=1 pushed so the rest of the iterations run after IRET).
// - MOV SS / POP SS: the traps they raise, and the single-step trap, are held until
//   after the next instruction, whose instruction breakpoint is not checked.
// - A #DB for breakpoints rewrites DR6.B0-B3 with the conditions met (the SDM lets
//   the CPU clear them); BS, BD, BT accumulate until software clears them.
//
// - A task switch into a 32-bit TSS with T=1 leaves BT pending (core/task_switch.cpp):
//   the #DB is taken before the new task's first instruction.
//
// Not modelled: DR7.GE/LE (breakpoints are always exact); breakpoints on the linear
// address of page-table walks (those are physical accesses).
#pragma once

#include <cstdint>

#include "core/fault.h"
#include "core/interp/decode.h"
#include "core/vcpu.h"

namespace kasou {

namespace dr6 {
inline constexpr uint32_t kB0 = 1u << 0;  // B0..B3: breakpoint condition n met
inline constexpr uint32_t kBreakpoints = 0xF;
inline constexpr uint32_t kBd = 1u << 13;  // general detect (MOV DRn with DR7.GD)
inline constexpr uint32_t kBs = 1u << 14;  // single step
inline constexpr uint32_t kBt = 1u << 15;  // task switch to a TSS with T=1
inline constexpr uint32_t kFixed1 = 0xFFFF0FF0u;
}  // namespace dr6

namespace dr7 {
inline constexpr uint32_t kEnableMask = 0xFF;  // L0 G0 L1 G1 L2 G2 L3 G3
inline constexpr uint32_t kGd = 1u << 13;
// R/Wn (bits 16+4n) and LENn (bits 18+4n).
enum Type : unsigned { kExecute = 0, kWrite = 1, kIo = 2, kReadWrite = 3 };
inline unsigned type(uint64_t dr7_value, unsigned n) { return (dr7_value >> (16 + 4 * n)) & 3; }
// Bytes covered: LEN 00 = 1, 01 = 2, 11 = 4, 10 = 8.
inline unsigned length(uint64_t dr7_value, unsigned n) {
  const unsigned len = (dr7_value >> (18 + 4 * n)) & 3;
  return len == 2 ? 8 : len + 1;
}
inline bool enabled(uint64_t dr7_value, unsigned n) { return (dr7_value >> (2 * n)) & 3; }
}  // namespace dr7

// CpuState::pending_debug: debug traps recognised but not yet delivered, in DR6
// layout (B0-B3, BS, and BT after a task switch into a TSS with T=1), plus kInShadow
// while the instruction after MOV SS / POP SS runs (the VMX "pending debug
// exceptions" field and "blocking by MOV SS" bit).
namespace pending_debug {
inline constexpr uint32_t kTraps = dr6::kBreakpoints | dr6::kBs | dr6::kBt;
inline constexpr uint32_t kInShadow = 1u << 31;
}  // namespace pending_debug

// Whether the next instruction needs the debug checks: TF set, a breakpoint
// enabled in DR7, or a trap pending. The translator's "run through the reference
// implementation" condition (TF or DR7 enables) implies it.
inline bool debug_active(const CpuState& s) {
  return (s.rflags & flag::TF) || (s.dr[7] & dr7::kEnableMask) || s.pending_debug;
}

// What debug_begin learned about the instruction, for debug_end.
struct DebugStep {
  uint64_t rip = 0;        // where the instruction starts
  uint16_t cs = 0;
  bool single_step = false;  // TF was set when it began
  bool no_single_step = false;  // INT n & co, HLT: no single-step trap after it
  bool loads_ss = false;     // MOV SS / POP SS
  bool rep_string = false;
  uint32_t io_hits = 0;      // I/O breakpoints its port access meets (B0-B3)
};

// Before the fetch: delivers traps still pending from outside an instruction (an
// interrupt or exception delivery that touched a data breakpoint) as #DB, checks
// instruction breakpoints (#DB fault, unless RF), then clears RF. Throws GuestFault.
DebugStep debug_begin(Vcpu& v);
// After the decode, before the execution.
void debug_decoded(Vcpu& v, DebugStep& step, const DecodedInsn& d);
// The instruction raised `fault`: pending traps are dropped (the instruction did
// not complete) and RF is set so that the fault's frame carries RF=1.
void debug_fault(Vcpu& v, const GuestFault& fault);
// After the instruction: raises the #DB trap for single-step, data and I/O
// breakpoints (DR6 updated), or holds it after MOV SS. Throws GuestFault.
void debug_end(Vcpu& v, const DebugStep& step);

// Called by the MMU for every exact data access (not instruction fetches, not
// page-walk reads): records the data breakpoints it meets as pending traps and
// asks the engine to stop after the current element of a REP instruction.
void debug_data_access(Vcpu& v, uint64_t linear, unsigned size_bytes, bool write);
// Whether an access must take the exact path (no host pointer for several
// elements at once): single-stepping, or a data breakpoint in the range.
bool debug_needs_exact_access(const Vcpu& v, uint64_t linear, unsigned size_bytes);

}  // namespace kasou
