// JitEngine: the translation engine behind make_jit_engine(). Internal to jit/.
//
// It owns the code cache, the trampolines and the block cache, runs the
// dispatcher loop (dispatcher.cpp), answers generated code's calls (helpers and
// the memory slow path, runtime.cpp) and keeps the statistics.
#pragma once

#include <chrono>
#include <cstdio>
#include <vector>

#include "core/interp/decode.h"
#include "core/interp/sensitive.h"
#include "core/machine.h"
#include "jit/block_cache.h"
#include "jit/code_cache.h"
#include "jit/jit_engine.h"
#include "jit/runtime.h"

namespace kasou::jit {

class JitEngine : public ExecutionEngine {
 public:
  JitEngine(Machine& m, const JitOptions& opts);
  ~JitEngine() override;
  const char* name() const override { return "jit"; }
  void run(Vcpu& v) override;
  void flush() override;
  void state_changed(Vcpu& v) override;
  void collect_stats(std::vector<StatEntry>& out) const override;
  void on_code_write(uint64_t phys, uint64_t size_bytes) override;

  // The protocol with generated code (runtime.cpp).
  uint64_t call_helper(Vcpu& v, HelperSite& site);
  uint64_t mem_slow(Vcpu& v, MemSite& site, uint64_t linear);

  // Translates the block at the current CS:EIP without running it (tests, the
  // translation inspector). Returns nullptr if nothing there can be translated.
  Block* translate_current(Vcpu& v);
  const Trampolines& trampolines() const { return tramp_; }

 private:
  struct Stats {
    uint64_t blocks_translated = 0;
    uint64_t guest_insns_translated = 0;
    uint64_t chain_patches = 0;
    uint64_t dispatcher_lookups = 0;
    uint64_t jump_cache_misses = 0;   // dispatcher lookups the jump cache did not answer
    uint64_t block_cache_misses = 0;  // ... that needed a translation
    uint64_t smc_invalidations = 0;   // pages whose blocks a write dropped
    uint64_t blocks_invalidated = 0;
    uint64_t cache_flushes = 0;
    uint64_t helper_calls = 0;
    uint64_t mem_slow_calls = 0;
    uint64_t mem_slow_exact = 0;      // slow paths that ran the instruction in the interpreter
    uint64_t interp_steps = 0;        // instructions the dispatcher ran one at a time
    uint64_t traps = 0;               // --trap-privileged: sensitive instructions run out of line
    uint64_t grouped_accesses = 0;    // translated memory accesses that reuse a group's lookup
    uint64_t cold_runs = 0;           // block entries the interpreter ran (not yet translated)
    uint64_t cold_insns = 0;          // ... and their instructions
    double translate_seconds = 0;
  };

  Block* lookup(Vcpu& v, uint32_t linear, uint32_t eip, uint32_t mode);
  Block* translate(Vcpu& v, uint64_t phys, uint32_t linear, uint32_t eip, uint32_t mode);
  // Decodes the block at linear/eip. In trap mode it stops before a sensitive
  // instruction; if the first one is sensitive, returns false with *trap set.
  // The second page of a block whose last instruction crosses a page boundary.
  struct PageTail {
    uint32_t bytes = 0;
    uint64_t phys_page = 0;
  };
  bool decode_block(Vcpu& v, uint32_t linear, uint32_t eip, std::vector<DecodedInsn>& out, SensitiveKind* trap,
                    PageTail* tail);
  bool second_page_matches(Vcpu& v, const Block& b) const;
  enum class Staleness { kNone, kNonGlobal, kAll };
  Staleness jump_cache_stale(const Vcpu& v) const;
  void interp_one(Vcpu& v);
  // The block at `key` is still cold: true if the interpreter ran it this time.
  bool run_cold(Vcpu& v, const BlockKey& key);
  bool must_leave(Vcpu& v, uint32_t next_eip, uint32_t mode_before, uint64_t epoch_before) const;
  void print_trace(const Block& b) const;

  Machine& m_;
  JitOptions opts_;
  const InsnDecoder& decoder_;
  CodeCache cache_;
  Trampolines tramp_;
  size_t tramp_bytes_ = 0;
  BlockCache blocks_;
  bool smc_pending_ = false;
  uint64_t epoch_seen_ = 0;
  uint64_t full_flushes_seen_ = 0;  // Vcpu::tlb_full_flushes when the jump cache was last checked
  uint64_t page_flushes_seen_ = 0;  // Vcpu::tlb_page_flushes likewise
  uint64_t nonglobal_flushes_seen_ = 0;  // Vcpu::tlb_nonglobal_flushes likewise
  Stats st_;
  // The instructions of the block being translated, kept between translations:
  // a DecodedInsn is about 1 KiB, and a vector grown afresh for every block made
  // malloc hand memory back to the system and fault it in again.
  std::vector<DecodedInsn> insns_;
  // Entry counts of blocks not translated yet (direct-mapped by key hash; a
  // collision only restarts a count).
  struct ColdEntry {
    uint64_t tag = 0;
    uint32_t runs = 0;
  };
  static constexpr size_t kColdEntries = size_t{1} << 16;
  std::vector<ColdEntry> cold_;
  std::FILE* perf_map_ = nullptr;  // /tmp/perf-PID.map when KASOU_PERF_MAP is set (for `perf report`)
};

// Builds the entry/exit trampolines and the shared stubs at the start of the code cache.
Trampolines build_trampolines(CodeCache& cache);
// Human-readable listing of a block: guest instructions and the host code of each;
// jumps and calls to the trampolines are annotated with their names when `t` is given.
std::string format_block(const Block& b, const Trampolines* t = nullptr);
// The host code of guest instruction i (main path, without its out-of-line
// parts), one instruction per line, with pointers and targets outside the block
// replaced by placeholders (or the trampoline's name, with `t`): stable text for
// expected-code tests and teaching views.
std::string format_insn_host_code(const Block& b, size_t i, const Trampolines* t = nullptr);

}  // namespace kasou::jit
