// JitEngine: construction, the helper/slow-path protocol, SMC invalidation and
// statistics. The dispatcher loop is in dispatcher.cpp.
#include "jit/jit_engine.h"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "core/exceptions.h"
#include "core/fault.h"
#include "core/interp/interp.h"
#include "core/mmu.h"
#include "jit/block_key.h"
#include "jit/engine.h"

namespace kasou {

std::unique_ptr<ExecutionEngine> make_jit_engine(Machine& m, const JitOptions& opts) {
  return std::make_unique<jit::JitEngine>(m, opts);
}

namespace jit {

namespace {
constexpr size_t kCodeCacheBytes = 64u << 20;
}  // namespace

JitEngine::JitEngine(Machine& m, const JitOptions& opts)
    : m_(m), opts_(opts), decoder_(m.decoder()), cache_(kCodeCacheBytes) {
  if (opts_.trace_blocks || opts_.trace_exec || opts_.record_trace || opts_.single_step) opts_.translate_after = 0;
  if (opts_.translate_after) cold_.resize(kColdEntries);
  tramp_ = build_trampolines(cache_);
  tramp_bytes_ = cache_.used();
  JitScratch& js = scratch(m.vcpu());
  js = JitScratch{};
  js.helper_thunk = reinterpret_cast<uint64_t>(&kasou_jit_call_helper);
  js.mem_slow_thunk = reinterpret_cast<uint64_t>(&kasou_jit_mem_slow);
  js.jump_cache = reinterpret_cast<uint64_t>(blocks_.jump_cache_table());
  js.engine = this;
  if (std::getenv("KASOU_PERF_MAP"))
    perf_map_ = std::fopen(fmt::format("/tmp/perf-{}.map", getpid()).c_str(), "w");
  // The trampolines and the shared stubs show up in profiles under their own names.
  if (perf_map_) {
    auto put = [&](const uint8_t* from, const uint8_t* to, const char* name) {
      std::fprintf(perf_map_, "%lx %lx %s\n", reinterpret_cast<unsigned long>(from),
                   static_cast<unsigned long>(to - from), name);
    };
    const uint8_t* end = cache_.base() + tramp_bytes_;
    put(cache_.base(), tramp_.helper_stub, "kasou_enter_exit");
    put(tramp_.helper_stub, tramp_.mem_slow_stub_preserve, "kasou_helper_stub");
    put(tramp_.mem_slow_stub_preserve, end, "kasou_mem_slow_stub");
  }
}

JitEngine::~JitEngine() {
  if (perf_map_) std::fclose(perf_map_);
}

void JitEngine::flush() {
  for (uint64_t page = 0; page < PhysicalMemory::kAddressSpaceBytes; page += kPageBytes)
    if (blocks_.page_has_blocks(page)) m_.memory().unmark_code_page(page);
  blocks_.clear();
  cache_.reset_to(tramp_bytes_);
  tlb_flush_all(m_.vcpu());  // write permission comes back for former code pages
  st_.cache_flushes++;
}

void JitEngine::state_changed(Vcpu&) { blocks_.jump_cache_clear(); }

void JitEngine::on_code_write(uint64_t phys, uint64_t size_bytes) {
  // Only blocks made from the written bytes go: a page often holds data next to
  // code (BIOS variables, small programs), and those writes must stay cheap.
  const uint64_t page = phys & ~uint64_t{kPageBytes - 1};
  size_t n = blocks_.invalidate_range(phys, size_bytes);
  if (!blocks_.page_has_blocks(page)) m_.memory().unmark_code_page(page);
  if (n == 0) return;
  st_.smc_invalidations++;
  st_.blocks_invalidated += n;
  smc_pending_ = true;
}

bool JitEngine::must_leave(Vcpu& v, uint32_t next_eip, uint32_t mode_before, uint64_t epoch_before) const {
  return v.exit_request != ExitRequest::kNone || v.s.eip() != next_eip || smc_pending_ ||
         v.tlb_epoch != epoch_before || (mode_before && mode_key(v.s) != mode_before);
}

uint64_t JitEngine::call_helper(Vcpu& v, HelperSite& site) {
  JitScratch& js = scratch(v);
  st_.helper_calls++;
  v.s.rflags = (v.s.rflags & ~uint64_t{flag::kArith}) | (js.flags_spill & flag::kArith);
  v.s.rip = site.insn.eip;
  // Count exactly: the instructions after this one have not run yet.
  v.budget += site.unretired_after;
  // The block runs in its own mode until something leaves it, so that is the mode
  // before the call.
  const uint32_t mode = site.may_change_mode ? site.block_mode : 0;  // mode keys are never 0
  const uint64_t epoch = v.tlb_epoch;
  v.stats.interp_calls[site.insn.zi.mnemonic]++;
  v.stats.sensitive_rewritten[site.sensitive_kind]++;
  bool leave = false;
  try {
    site.handler(v, site.insn);
  } catch (const GuestFault& f) {
    deliver_exception(v, f);
    leave = true;
  }
  if (leave || must_leave(v, site.insn.next_eip(), mode, epoch)) {
    js.flags_spill = v.s.rflags;
    return 1;
  }
  v.budget -= site.unretired_after;
  js.flags_fill = encode_lahf(v.s.rflags);
  return 0;
}

uint64_t JitEngine::mem_slow(Vcpu& v, MemSite& site, uint64_t linear) {
  JitScratch& js = scratch(v);
  st_.mem_slow_calls++;
  v.stats.tlb_misses++;
  if (site.flags_source == kFlagsLahf)
    v.s.rflags = (v.s.rflags & ~uint64_t{flag::kArith}) | decode_lahf(js.flags_lahf);
  else
    v.s.rflags = (v.s.rflags & ~uint64_t{flag::kArith}) | decode_lahf(js.flags_saved);
  v.s.rip = site.eip;
  // Misaligned while alignment checking is armed: the reference implementation
  // decides (#AC, or none for an access the SDM checks with less alignment).
  const bool misaligned = alignment_check_armed(v.s) && (linear & (site.size_bytes - 1u));
  try {
    const Access access = site.is_write ? Access::kWrite : Access::kRead;
    if (!misaligned)
      if (uint8_t* p = mmu_host_pointer(v, linear, site.size_bytes, access)) return reinterpret_cast<uint64_t>(p);
  } catch (const GuestFault& f) {
    v.budget += site.unretired_after;
    deliver_exception(v, f);
    js.flags_spill = v.s.rflags;
    return kSlowExit;
  }
  // No plain host pointer (MMIO, a code page, ROM, crossing a page): run the whole
  // instruction in the reference implementation.
  st_.mem_slow_exact++;
  DecodedInsn d;
  decoder_.decode(site.code16, site.stack16, site.bytes, site.length, site.eip, d);
  v.budget += site.unretired_after;
  const uint32_t mode = may_change_mode(d) ? mode_key(v.s) : 0;
  const uint64_t epoch = v.tlb_epoch;
  bool leave = false;
  try {
    interp_execute(v, d);
  } catch (const GuestFault& f) {
    deliver_exception(v, f);
    leave = true;
  }
  if (leave || must_leave(v, d.next_eip(), mode, epoch)) {
    js.flags_spill = v.s.rflags;
    return kSlowExit;
  }
  v.budget -= site.unretired_after;
  js.flags_fill = encode_lahf(v.s.rflags);
  return kSlowContinueNext;
}

void JitEngine::collect_stats(std::vector<StatEntry>& out) const {
  auto add = [&](const char* n, double val, const char* unit = "") { out.push_back({std::string("jit.") + n, val, unit}); };
  add("blocks_translated", static_cast<double>(st_.blocks_translated));
  add("guest_insns_translated", static_cast<double>(st_.guest_insns_translated));
  add("blocks_live", static_cast<double>(blocks_.size()));
  add("code_cache_bytes", static_cast<double>(cache_.used()), "bytes");
  add("chain_patches", static_cast<double>(st_.chain_patches));
  add("dispatcher_lookups", static_cast<double>(st_.dispatcher_lookups));
  add("jump_cache_misses", static_cast<double>(st_.jump_cache_misses));
  add("block_cache_misses", static_cast<double>(st_.block_cache_misses));
  add("smc_invalidations", static_cast<double>(st_.smc_invalidations));
  add("blocks_invalidated", static_cast<double>(st_.blocks_invalidated));
  add("code_cache_flushes", static_cast<double>(st_.cache_flushes));
  add("helper_calls", static_cast<double>(st_.helper_calls));
  add("mem_slow_path_calls", static_cast<double>(st_.mem_slow_calls));
  add("mem_slow_path_interp", static_cast<double>(st_.mem_slow_exact));
  add("dispatcher_interp_steps", static_cast<double>(st_.interp_steps));
  add("trap_exits", static_cast<double>(st_.traps));
  add("grouped_accesses_translated", static_cast<double>(st_.grouped_accesses));
  add("cold_block_runs", static_cast<double>(st_.cold_runs));
  add("cold_insns_interpreted", static_cast<double>(st_.cold_insns));
  add("translate_time", st_.translate_seconds, "s");
}

}  // namespace jit
}  // namespace kasou
