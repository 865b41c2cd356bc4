// VcpuStats: counters kept where the work happens, cheap enough to stay on.
//
// Each counter is a plain integer bumped by the code that does the work (C++
// helpers, or generated code adding a per-block constant); nothing is computed
// until someone reads them.
#pragma once

#include <array>
#include <cstdint>

namespace kasou {

struct VcpuStats {
  uint64_t tlb_lookups_inline = 0;   // memory accesses made by translated code (static count per executed block)
  uint64_t tlb_misses = 0;           // inline lookups that took the slow path
  uint64_t tlb_fills = 0;
  uint64_t tlb_flushes = 0;
  uint64_t page_walks = 0;
  uint64_t mmio_accesses = 0;
  uint64_t exceptions[32] = {};
  uint64_t interrupts = 0;
  uint64_t triple_faults = 0;
  uint64_t halts = 0;
  // The reference implementation called on an instruction, by Zydis mnemonic.
  static constexpr int kMnemonicSlots = 2048;
  std::array<uint64_t, kMnemonicSlots> interp_calls{};
  // Privileged/sensitive instructions by kind (core/interp/sensitive.h): run as
  // helper calls from translated code ("rewritten"), or by leaving translated code
  // first as a trap-and-emulate monitor would ("trapped", --trap-privileged).
  static constexpr int kSensitiveSlots = 32;
  std::array<uint64_t, kSensitiveSlots> sensitive_rewritten{};
  std::array<uint64_t, kSensitiveSlots> sensitive_trapped{};
};

}  // namespace kasou
