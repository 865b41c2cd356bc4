// Vcpu: one virtual CPU as the execution engines see it.
//
// CpuState (architectural) comes first, then what generated code touches on its hot
// path: the instruction budget of the current time slice and the software TLB.
// Generated code holds a pointer to a Vcpu in one host register; the offsets it
// uses are pinned below. The engine gets a scratch area for its own fixed-offset
// fields (spill slots, jump cache pointer...) so that core/ never includes jit/.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/cpu_state.h"
#include "core/device.h"
#include "core/stats.h"

namespace kasou {

class Machine;
class PhysicalMemory;
class IoBus;

// One TLB entry maps a 4 KiB linear page. A tag is the page's linear address
// (low 12 bits clear) or kTlbInvalidTag, which no page-aligned address matches:
// generated code compares (linear + size - 1) & ~0xFFF with the tag, so an access
// that crosses into the next page misses too. Host address = linear + addend.
struct TlbEntry {
  uint64_t read_tag;
  uint64_t write_tag;  // invalid for read-only pages, code pages, MMIO, clean (D=0) pages
  uint64_t addend;
  uint64_t phys_page;
};
inline constexpr uint64_t kTlbInvalidTag = 1;
inline constexpr unsigned kTlbBits = 8;
inline constexpr unsigned kTlbEntries = 1u << kTlbBits;
// Two views: supervisor (CPL 0-2) and user (CPL 3) accesses see different
// permissions, so each has its own entries and generated code picks one by CPL.
struct SoftTlb {
  TlbEntry view[2][kTlbEntries];
};
// Attributes of a TLB entry that generated code never reads, kept beside the
// entries (same [view][slot] index) so that TlbEntry keeps its 32-byte layout.
namespace tlb_attr {
inline constexpr uint8_t kGlobal = 1;  // G=1 with CR4.PGE: survives CR3 reloads
inline constexpr uint8_t kLarge = 2;   // a 4 KiB piece of a 2 MiB / 4 MiB page
inline constexpr uint8_t kExec = 4;    // instruction fetch allowed (NX clear) for this view
}  // namespace tlb_attr

enum class ExitRequest : uint8_t {
  kNone = 0,
  kStop,       // the machine must stop (guest exit port, power off, limit reached)
  kAttention,  // something changed (interrupt pending, device event): return to the dispatcher
};

struct Vcpu {
  CpuState s;

  // Instructions this slice may still run. Generated code subtracts the length of
  // each block at its entry and returns to the dispatcher when it would go below
  // zero; instructions retired so far = insn_base - budget.
  alignas(64) int64_t budget = 0;
  uint64_t insn_base = 0;
  ExitRequest exit_request = ExitRequest::kNone;
  uint8_t pad[7] = {};
  uint64_t a20_mask = ~0ull;  // bit 20 cleared while the A20 gate is off
  // Bumped by every TLB flush, so engines can drop caches keyed by linear address.
  uint64_t tlb_epoch = 0;
  // The virtual clock: now = instructions retired * ns_per_instruction + idle_ns
  // (time skipped while halted). Here, not in Machine, so generated code can read
  // the clock (RDTSC) without a call.
  uint64_t ns_per_instruction = 1;
  uint64_t idle_ns = 0;

  alignas(64) SoftTlb tlb;
  alignas(64) uint8_t engine_scratch[1024];

  VcpuStats stats;
  Machine* machine = nullptr;
  PhysicalMemory* mem = nullptr;
  IoBus* io = nullptr;

  // tlb_attr bits of each TLB entry, and whether any entry is a piece of a large
  // page (INVLPG then drops every piece of that page).
  uint8_t tlb_attrs[2][kTlbEntries] = {};
  bool tlb_has_large = false;
  // What the flushes that bump tlb_epoch were, for engines that drop only what a
  // flush touched: full flushes (CR3 loads, ...) counted, and a log of the last
  // single-page ones (INVLPG: Linux issues tens of thousands for data pages).
  struct TlbFlushRecord {
    uint32_t linear;  // start of the flushed region (a large page when any is cached)
    uint32_t bytes;
  };
  static constexpr unsigned kTlbFlushLog = 8;
  uint64_t tlb_full_flushes = 0;
  uint64_t tlb_page_flushes = 0;  // records written to tlb_flush_log (cumulative)
  TlbFlushRecord tlb_flush_log[kTlbFlushLog] = {};
  // Flushes that kept the global pages (CR3 loads): caches of translations of
  // global pages stay valid across them, as the TLB entries do.
  uint64_t tlb_nonglobal_flushes = 0;

  // The x87 error pins of the MS-DOS compatibility mode (CR0.NE=0; SDM vol. 1
  // D.2). FERR# is asserted when a waiting FP/MMX instruction finds an unmasked
  // exception pending, and released when FSW.ES clears; the board wires it to
  // IRQ13. IGNNE# is the board's input (the PC asserts it on a write to port F0h):
  // while it is asserted the CPU does not freeze on the error; it drops with FERR#.
  IrqLine fpu_ferr;
  bool fpu_ferr_asserted = false;
  bool fpu_ignne = false;

  uint64_t instructions_retired() const { return insn_base - static_cast<uint64_t>(budget); }
  uint64_t now_ns() const { return instructions_retired() * ns_per_instruction + idle_ns; }
  // The time-stamp counter runs at 1 GHz of virtual time.
  uint64_t tsc() const { return now_ns() + s.tsc_offset; }
  // Make generated code return to the dispatcher at its next block entry.
  void request_exit(ExitRequest why) {
    if (why > exit_request) exit_request = why;
    insn_base -= static_cast<uint64_t>(budget);
    budget = 0;
  }
  bool user_mode() const { return s.cpl == 3; }
};

static_assert(offsetof(Vcpu, s) == 0);
static_assert(offsetof(Vcpu, budget) % 64 == 0);
static_assert(offsetof(Vcpu, tlb) < (1u << 30));

}  // namespace kasou
