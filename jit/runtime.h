// The contract between generated code and C++: the engine's fixed-offset fields in
// Vcpu::engine_scratch, the jump cache layout, the entry/exit trampolines, and the
// thunks generated code calls (helpers, the memory slow path).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/vcpu.h"
#include "jit/block.h"

namespace kasou::jit {

class JitEngine;

// Indirect branches look up (linear EIP, mode) here inline before falling back to
// the dispatcher. The tag is stored negated so generated code can test it without
// touching host EFLAGS (lea + jrcxz).
struct JumpCacheEntry {
  uint64_t neg_key;
  uint64_t code;
};
inline constexpr unsigned kJumpCacheBits = 12;
inline constexpr unsigned kJumpCacheEntries = 1u << kJumpCacheBits;
static_assert(sizeof(JumpCacheEntry) == 16);
// Mode bit 31 is always set in keys, so an empty entry (neg_key 0) never matches.
inline uint64_t jump_cache_key(uint32_t linear, uint32_t mode) { return uint64_t(linear) | (uint64_t(mode) << 32); }
inline unsigned jump_cache_index(uint32_t linear) { return linear & (kJumpCacheEntries - 1); }

struct JitScratch {
  uint64_t host_rsp;        // the dispatcher's stack pointer while generated code runs
  uint64_t flags_spill;     // host RFLAGS as generated code saved them (pushfq)
  // Guest arithmetic flags for generated code to load, as LAHF/SETO leave them in
  // AX: AH = SF ZF AF PF CF, AL = OF. Loading is `add al, 0x7F; sahf`, which is
  // far cheaper than POPFQ.
  uint64_t flags_fill;
  uint64_t flags_lahf;      // the same encoding, saved by a TLB lookup's slow path
  // The flag slot: guest flags (LAHF/SETO encoding, like flags_fill) kept in
  // memory while host EFLAGS are clobbered by inline code. Saved once after a
  // flag writer, it serves the slow paths (a fault must push the flags the guest
  // had even if nothing reads them afterwards) and carries the flags across
  // indirect branches: the target's indirect entry finds them here.
  uint64_t flags_saved;
  uint64_t exit_slot;       // ExitSlot* of the direct exit that left the code, or 0
  uint64_t helper_thunk;    // jit_call_helper
  uint64_t mem_slow_thunk;  // jit_mem_slow
  uint64_t jump_cache;      // JumpCacheEntry[kJumpCacheEntries]
  uint64_t tmp0;            // a value kept across a slow-path call inside one instruction
  // Grouped memory operands (emit_mem_group.cpp): host address of the current
  // group's lowest byte, per guest base register; 0 when the leader's probe missed.
  uint64_t group_host[8];
  JitEngine* engine;
};
static_assert(sizeof(JitScratch) <= sizeof(Vcpu::engine_scratch));

inline JitScratch& scratch(Vcpu& v) { return *reinterpret_cast<JitScratch*>(v.engine_scratch); }

// Offsets of Vcpu fields as generated code addresses them from RBP.
#define KASOU_JS_OFF(field) static_cast<int32_t>(offsetof(Vcpu, engine_scratch) + offsetof(JitScratch, field))
inline int32_t gpr_off(int g) { return static_cast<int32_t>(offsetof(Vcpu, s) + offsetof(CpuState, gpr) + 8 * g); }
inline constexpr int32_t kRipOff = static_cast<int32_t>(offsetof(Vcpu, s) + offsetof(CpuState, rip));
inline constexpr int32_t kRflagsOff = static_cast<int32_t>(offsetof(Vcpu, s) + offsetof(CpuState, rflags));
inline constexpr int32_t kBudgetOff = static_cast<int32_t>(offsetof(Vcpu, budget));
inline constexpr int32_t kTlbOff = static_cast<int32_t>(offsetof(Vcpu, tlb));
inline int32_t seg_base_off(int seg) {
  return static_cast<int32_t>(offsetof(Vcpu, s) + offsetof(CpuState, seg) + sizeof(SegmentCache) * seg +
                              offsetof(SegmentCache, base));
}
inline int32_t seg_selector_off(int seg) {
  return static_cast<int32_t>(offsetof(Vcpu, s) + offsetof(CpuState, seg) + sizeof(SegmentCache) * seg +
                              offsetof(SegmentCache, selector));
}
inline constexpr int32_t kStatTlbLookupsOff =
    static_cast<int32_t>(offsetof(Vcpu, stats) + offsetof(VcpuStats, tlb_lookups_inline));

// Trampolines, generated once at the start of the code cache.
struct Trampolines {
  // Saves host callee-saved registers, loads guest registers and flags from the
  // Vcpu and jumps to `code`. Returns when generated code exits.
  void (*enter)(Vcpu* v, const void* code) = nullptr;
  // Exit with guest registers and flags still in host registers.
  uint8_t* exit_common = nullptr;
  // Exit with guest registers in host registers and the flags already in
  // JitScratch::flags_spill.
  uint8_t* exit_store_regs = nullptr;
  // Exit when CpuState is already complete (after a helper said "leave").
  uint8_t* exit_nostore = nullptr;
  // Shared out-of-line stubs that generated code CALLs (rel32) instead of emitting
  // the register spill/reload around every call into C++; see runtime.cpp.
  uint8_t* helper_stub = nullptr;             // rsi = HelperSite*
  uint8_t* mem_slow_stub = nullptr;           // rsi = MemSite*, r8d = linear
  uint8_t* mem_slow_stub_preserve = nullptr;  // same, flags in AX (LAHF/SETO), guest RAX in R11
};

// A memory slow-path site is `call mem_slow_stub(_preserve)` followed by exactly
// this many bytes (`mov host, r9` + `jmp rel32 done`), then the jump to the next
// instruction, where the stub returns when the interpreter ran the instruction.
inline constexpr unsigned kMemSlowResumeSkip = 8;

inline uint64_t encode_lahf(uint64_t rflags) { return ((rflags & 0xD5) << 8) | ((rflags >> 11) & 1); }
inline uint64_t decode_lahf(uint64_t ax) { return ((ax >> 8) & 0xD5) | ((ax & 0xFF) ? 0x800 : 0); }

// Called from generated code (System V ABI). See runtime.cpp for the protocol.
extern "C" uint64_t kasou_jit_call_helper(Vcpu* v, HelperSite* site);
extern "C" uint64_t kasou_jit_mem_slow(Vcpu* v, MemSite* site, uint64_t linear);

// Memory slow path results other than a host pointer.
inline constexpr uint64_t kSlowContinueNext = 1;  // the instruction ran in the interpreter; go on
inline constexpr uint64_t kSlowExit = 2;          // leave generated code (fault, SMC, stop...)

}  // namespace kasou::jit
