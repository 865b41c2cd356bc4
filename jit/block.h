// Block: one translated guest basic block, and the records generated code refers to.
//
// A block is keyed by the guest-physical address of its first byte, the mode bits
// that change what the bytes mean, and the CS base (so EIP values baked into the
// code are right). It never crosses a guest page, so invalidating a page drops
// every block that could hold stale code.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/interp/decode.h"
#include "core/interp/interp.h"

namespace kasou::jit {

struct Block;

// A block is found by where its code is (physical address) and how it was
// translated (mode, CS base) — and by its EIP: generated code bakes in guest
// addresses (branch targets, return addresses, the EIP of faults), so the same
// physical code mapped at another linear address (the vDSO in every process,
// shared libraries) needs a block of its own.
struct BlockKey {
  uint64_t phys;
  uint32_t mode;
  uint32_t cs_base;
  uint32_t eip;
  bool operator==(const BlockKey&) const = default;
};

struct BlockKeyHash {
  size_t operator()(const BlockKey& k) const {
    uint64_t h = k.phys * 0x9E3779B97F4A7C15ull ^ (uint64_t(k.mode) << 32 | k.cs_base);
    h ^= uint64_t(k.eip) * 0xC2B2AE3D27D4EB4Full;
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

// A direct exit to a known guest EIP: a patchable `jmp rel32` that first points at
// an exit stub and, once chained, straight at the target block's code.
struct ExitSlot {
  Block* owner = nullptr;
  uint32_t target_eip = 0;
  uint8_t* jmp_rel32 = nullptr;  // the rel32 field of the patchable jmp
  uint8_t* stub = nullptr;       // where the unchained jmp goes
  Block* linked_to = nullptr;
};

// A call from generated code into a handler of the reference implementation (a
// privileged-instruction helper, or an instruction the translator does not inline).
struct HelperSite {
  DecodedInsn insn;
  InsnHandler handler;
  uint32_t unretired_after;  // instructions of the block after this one
  bool may_change_mode;      // compare mode keys after the call (see may_change_mode())
  uint32_t block_mode;       // the mode key of the block
  uint8_t sensitive_kind;    // SensitiveKind, for the statistics
};

// Where generated code keeps the guest's arithmetic flags at a given point.
enum FlagsAt : uint8_t {
  kFlagsLahf = 1,  // LAHF/SETO encoding in JitScratch::flags_lahf
  kFlagsSlot = 2,  // LAHF/SETO encoding in JitScratch::flags_saved
};

// A memory access whose inline TLB lookup missed. Holds the instruction bytes so
// that the slow path can run the whole instruction in the interpreter when the
// access cannot go through a host pointer (MMIO, code page, page crossing).
struct MemSite {
  uint32_t eip;
  uint8_t length;
  uint8_t size_bytes;
  uint8_t is_write;
  uint8_t code16;
  uint8_t stack16;
  uint8_t flags_source;  // where the guest flags are when the slow path runs (FlagsAt)
  uint8_t bytes[15];
  uint32_t unretired_after;
};

struct Block {
  BlockKey key;
  uint32_t eip = 0;        // guest EIP of the first instruction
  uint64_t linear = 0;     // CS base + EIP
  uint32_t guest_bytes = 0;
  uint32_t insn_count = 0;
  uint32_t grouped_accesses = 0;  // memory accesses that reuse their group leader's lookup
  // A block whose last instruction crosses into the next linear page: how many of
  // its bytes are there, and the physical page they came from. Such a block is
  // only entered through the dispatcher, which checks that the second page still
  // maps there, or through the jump cache, which any TLB flush that may touch
  // either page empties (never through a chained jump: chains outlive flushes).
  uint32_t tail_bytes = 0;
  uint64_t phys2_page = 0;
  bool spans_pages() const { return tail_bytes != 0; }
  // Whether the block was translated from any byte of [phys, phys + size) on `page`.
  bool covers(uint64_t page, uint64_t phys, uint64_t size_bytes) const {
    const uint64_t start1 = key.phys, end1 = key.phys + guest_bytes - tail_bytes;
    const bool first = (key.phys & ~uint64_t{0xFFF}) == page && start1 < phys + size_bytes && phys < end1;
    const bool second = spans_pages() && phys2_page == page && page < phys + size_bytes && phys < page + tail_bytes;
    return first || second;
  }
  uint8_t* code_start = nullptr;      // first byte of the block's host code
  uint8_t* code = nullptr;            // entry with guest flags in host EFLAGS
  uint8_t* indirect_entry = nullptr;  // entry with guest flags in JitScratch::flags_saved
  uint32_t code_bytes = 0;
  uint32_t main_path_bytes = 0;  // the out-of-line (cold) parts follow
  bool valid = true;

  std::vector<std::unique_ptr<ExitSlot>> exits;
  std::vector<ExitSlot*> incoming;  // other blocks' slots chained to this block
  std::deque<HelperSite> helpers;
  std::deque<MemSite> mem_sites;

  // For --trace-blocks and the teaching views: host code offset where each guest
  // instruction starts, and how it was translated.
  struct InsnTrace {
    uint32_t eip;
    uint32_t host_offset;
    std::string guest_text;
    const char* how;  // "inline", "helper", ...
  };
  std::vector<InsnTrace> trace;
};

}  // namespace kasou::jit
