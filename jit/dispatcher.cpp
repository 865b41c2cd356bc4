// The dispatcher: find (or translate) the block at CS:EIP, chain the exit that led
// here, enter generated code, repeat until the time slice is spent or the machine
// needs attention.
#include <chrono>

#include "core/exceptions.h"
#include "core/fault.h"
#include "core/interp/interp.h"
#include "core/interp/interp_engine.h"
#include "core/mmu.h"
#include "jit/block_key.h"
#include "jit/emitter.h"
#include "jit/engine.h"

namespace kasou::jit {

namespace {
constexpr size_t kMaxBlockInsns = 64;
constexpr unsigned kMaxInsnBytes = 15;  // the architectural limit

bool ends_block(const DecodedInsn& d) {
  switch (d.zi.meta.category) {
    case ZYDIS_CATEGORY_COND_BR:
    case ZYDIS_CATEGORY_UNCOND_BR:
    case ZYDIS_CATEGORY_CALL:
    case ZYDIS_CATEGORY_RET:
    case ZYDIS_CATEGORY_INTERRUPT:
    case ZYDIS_CATEGORY_SYSCALL:
    case ZYDIS_CATEGORY_SYSRET:
      return true;
    default:
      break;
  }
  switch (d.zi.mnemonic) {
    case ZYDIS_MNEMONIC_HLT: case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD: case ZYDIS_MNEMONIC_UD2:
    case ZYDIS_MNEMONIC_SYSENTER: case ZYDIS_MNEMONIC_SYSEXIT: case ZYDIS_MNEMONIC_LMSW:
      return true;
    default:
      return false;
  }
}
}  // namespace

void JitEngine::interp_one(Vcpu& v) {
  st_.interp_steps++;
  v.budget--;
  if (opts_.trace_exec) print_exec_trace(v.s);
  try {
    interp_step(v, decoder_);
  } catch (const GuestFault& f) {
    deliver_exception(v, f);
  }
}

bool JitEngine::decode_block(Vcpu& v, uint32_t linear, uint32_t eip, std::vector<DecodedInsn>& out,
                             SensitiveKind* trap, PageTail* tail) {
  const bool code16 = InsnDecoder::code16_for(v.s);
  const bool stack16 = InsnDecoder::stack16_for(v.s);
  const SegmentCache& cs = v.s.seg[kCs];
  if (eip > cs.limit) return false;
  const uint64_t limit_left = uint64_t(cs.limit) - eip + 1;
  const unsigned page_left = static_cast<unsigned>(kPageBytes - (linear & (kPageBytes - 1)));
  const unsigned avail = static_cast<unsigned>(std::min<uint64_t>(page_left, limit_left));
  uint8_t buf[kPageBytes + kMaxInsnBytes];
  // The code bytes come in as decoding needs them: most blocks are far shorter
  // than the rest of their page.
  constexpr unsigned kFetchChunk = 256;
  unsigned n = mmu_fetch(v, linear, buf, std::min(avail, kFetchChunk));
  const size_t max = opts_.single_step ? 1 : kMaxBlockInsns;
  out.reserve(kMaxBlockInsns);
  unsigned off = 0;
  while (out.size() < max && off < n) {
    if (n - off < kMaxInsnBytes && n < avail)
      n += mmu_fetch(v, (linear + n) & 0xFFFFFFFFull, buf + n, std::min(avail - n, kFetchChunk));
    DecodedInsn d;
    uint32_t at = code16 ? ((eip + off) & 0xFFFF) : eip + off;
    DecodeStatus st = decoder_.decode(code16, stack16, buf + off, n - off, at, d);
    if (st == DecodeStatus::kNeedMoreBytes && n == page_left && page_left < limit_left) {
      // Perhaps an instruction that goes on in the next page (a hot loop in
      // Linux's decompressor has one): fetch the rest, if that page is mapped, and
      // end the block with it. A fault there is raised by the interpreter instead.
      const uint64_t next = (linear + n) & 0xFFFFFFFFull;
      try {
        const unsigned more = static_cast<unsigned>(std::min<uint64_t>(kMaxInsnBytes, limit_left - n));
        const uint64_t phys2 = mmu_translate(v, next, Access::kExecute);
        const unsigned got = mmu_fetch(v, next, buf + n, more);
        st = decoder_.decode(code16, stack16, buf + off, n - off + got, at, d);
        if (st == DecodeStatus::kOk && off + d.length() > n) {
          tail->bytes = off + d.length() - n;
          tail->phys_page = phys2 & ~uint64_t{kPageBytes - 1};
        } else {
          st = DecodeStatus::kInvalid;  // not a crossing instruction after all: the interpreter decides
        }
      } catch (const GuestFault&) {
        st = DecodeStatus::kInvalid;
      }
    }
    // An instruction that is undecodable or crosses the CS limit (or into a page
    // that faults) ends the block before it; the dispatcher interprets it on its own.
    if (st != DecodeStatus::kOk) break;
    if (opts_.trap_privileged) {
      const SensitiveKind k = sensitive_kind(d);
      if (k != SensitiveKind::kNone) {
        if (out.empty()) *trap = k;
        tail->bytes = 0;
        break;
      }
    }
    out.push_back(d);
    off += d.length();
    if (ends_block(d) || tail->bytes) break;
  }
  return !out.empty();
}

JitEngine::Staleness JitEngine::jump_cache_stale(const Vcpu& v) const {
  // A full flush may have remapped any page; single-page flushes only matter if
  // the jump cache holds code from the pages they name; a CR3 load leaves the
  // global pages (the kernel's) where they were.
  if (v.tlb_full_flushes != full_flushes_seen_) return Staleness::kAll;
  const uint64_t n = v.tlb_page_flushes - page_flushes_seen_;
  if (n > Vcpu::kTlbFlushLog) return Staleness::kAll;
  for (uint64_t i = page_flushes_seen_; i < v.tlb_page_flushes; i++) {
    const Vcpu::TlbFlushRecord& r = v.tlb_flush_log[i % Vcpu::kTlbFlushLog];
    if (blocks_.jump_cache_may_hold(r.linear, r.bytes)) return Staleness::kAll;
  }
  if (v.tlb_nonglobal_flushes != nonglobal_flushes_seen_) return Staleness::kNonGlobal;
  return Staleness::kNone;
}

bool JitEngine::second_page_matches(Vcpu& v, const Block& b) const {
  const uint64_t next = (b.linear + b.guest_bytes - b.tail_bytes) & 0xFFFFFFFFull;
  try {
    return (mmu_translate(v, next, Access::kExecute) & ~uint64_t{kPageBytes - 1}) == b.phys2_page;
  } catch (const GuestFault&) {
    return false;  // retranslating stops the block before the instruction; the interpreter faults
  }
}

Block* JitEngine::translate(Vcpu& v, uint64_t phys, uint32_t linear, uint32_t eip, uint32_t mode) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<DecodedInsn>& insns = insns_;
  insns.clear();
  SensitiveKind trap = SensitiveKind::kNone;
  PageTail tail;
  if (!decode_block(v, linear, eip, insns, &trap, &tail)) {
    if (trap != SensitiveKind::kNone) {
      st_.traps++;
      v.stats.sensitive_trapped[static_cast<size_t>(trap)]++;
    }
    return nullptr;
  }
  for (int attempt = 0; attempt < 2; attempt++) {
    auto b = std::make_unique<Block>();
    b->key = BlockKey{phys, mode, static_cast<uint32_t>(v.s.seg[kCs].base), eip};
    b->eip = eip;
    b->linear = linear;
    b->insn_count = static_cast<uint32_t>(insns.size());
    b->tail_bytes = tail.bytes;
    b->phys2_page = tail.phys_page;
    for (const auto& d : insns) b->guest_bytes += d.length();
    EmitterEnv env{&cache_, &tramp_, &decoder_, opts_.trace_blocks || opts_.record_trace, v.ns_per_instruction};
    Emitter e(env, *b, mode);
    if (!e.translate(insns)) {
      if (attempt == 0) {
        flush();  // the code cache is full: start over
        continue;
      }
      throw std::runtime_error("jit: a block does not fit in an empty code cache");
    }
    const uint64_t page = phys & ~uint64_t{kPageBytes - 1};
    m_.memory().mark_code_page(page);
    tlb_protect_phys_page(v, page);
    if (tail.bytes) {
      m_.memory().mark_code_page(tail.phys_page);
      tlb_protect_phys_page(v, tail.phys_page);
    }
    Block* raw = blocks_.insert(std::move(b));
    st_.blocks_translated++;
    st_.guest_insns_translated += insns.size();
    st_.grouped_accesses += raw->grouped_accesses;
    st_.translate_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (opts_.trace_blocks) print_trace(*raw);
    if (perf_map_)
      std::fprintf(perf_map_, "%lx %x guest_%08x\n", reinterpret_cast<unsigned long>(raw->code_start), raw->code_bytes, eip);
    return raw;
  }
  return nullptr;
}

bool JitEngine::run_cold(Vcpu& v, const BlockKey& key) {
  if (opts_.translate_after == 0) return false;
  const uint64_t tag = (key.phys * 0x9E3779B97F4A7C15ull) ^ (uint64_t{key.eip} << 32 | key.mode) ^ key.cs_base ^ 1;
  ColdEntry& e = cold_[(tag >> 40) & (kColdEntries - 1)];
  if (e.tag != tag) e = ColdEntry{tag, 0};
  if (e.runs >= opts_.translate_after) return false;
  e.runs++;
  st_.cold_runs++;
  // Run instructions until control leaves the straight line (a branch, an
  // exception, an interrupt) or anything the dispatcher must see happens: the
  // same boundaries the translated block would have, give or take a short
  // forward jump, which changes nothing but where the next count is kept.
  const uint64_t epoch = v.tlb_epoch;
  const uint32_t mode = key.mode;
  for (size_t n = 0; n < kMaxBlockInsns; n++) {
    const uint64_t before = v.s.rip;
    interp_one(v);
    st_.cold_insns++;
    if (v.exit_request != ExitRequest::kNone || v.budget <= 0 || smc_pending_ || v.tlb_epoch != epoch ||
        mode_key(v.s) != mode || v.s.rip <= before || v.s.rip > before + 15)
      break;
  }
  return true;
}

Block* JitEngine::lookup(Vcpu& v, uint32_t linear, uint32_t eip, uint32_t mode) {
  uint64_t phys;
  try {
    phys = mmu_translate(v, linear, Access::kExecute);
  } catch (const GuestFault& f) {
    v.budget--;
    deliver_exception(v, f);
    return nullptr;
  }
  const BlockKey key{phys, mode, static_cast<uint32_t>(v.s.seg[kCs].base), eip};
  if (Block* b = blocks_.find(key)) {
    if (!b->spans_pages() || second_page_matches(v, *b)) return b;
    blocks_.drop(b);  // its second page maps elsewhere now: translate again
  }
  if (run_cold(v, key)) return nullptr;
  st_.block_cache_misses++;
  Block* b = nullptr;
  try {
    b = translate(v, phys, linear, eip, mode);
  } catch (const GuestFault&) {
    b = nullptr;  // the fetch faulted: the interpreter raises it precisely
  }
  if (!b) interp_one(v);
  return b;
}

Block* JitEngine::translate_current(Vcpu& v) {
  const uint32_t mode = mode_key(v.s);
  const uint32_t eip = InsnDecoder::code16_for(v.s) ? (v.s.eip() & 0xFFFF) : v.s.eip();
  const uint32_t linear = static_cast<uint32_t>(v.s.seg[kCs].base + eip);
  const uint64_t phys = mmu_translate(v, linear, Access::kExecute);
  return translate(v, phys, linear, eip, mode);
}

void JitEngine::run(Vcpu& v) {
  JitScratch& js = scratch(v);
  ExitSlot* from = nullptr;
  while (v.exit_request == ExitRequest::kNone && v.budget > 0) {
    if (smc_pending_ || v.tlb_epoch != epoch_seen_) {
      const Staleness stale = smc_pending_ ? Staleness::kAll : jump_cache_stale(v);
      if (stale == Staleness::kAll) blocks_.jump_cache_clear();
      if (stale == Staleness::kNonGlobal) blocks_.jump_cache_clear_nonglobal();
      smc_pending_ = false;
      epoch_seen_ = v.tlb_epoch;
      full_flushes_seen_ = v.tlb_full_flushes;
      page_flushes_seen_ = v.tlb_page_flushes;
      nonglobal_flushes_seen_ = v.tlb_nonglobal_flushes;
      from = nullptr;
    }
    st_.dispatcher_lookups++;
    const uint32_t mode = mode_key(v.s);
    if ((mode & (mode_bit::kTf | mode_bit::kDebug)) || v.s.pending_debug) {
      // Single-step traps and debug-register breakpoints are checked around every
      // instruction by the reference implementation, which also takes a pending
      // debug trap (the TSS T flag's) before the next instruction.
      interp_one(v);
      from = nullptr;
      continue;
    }
    const uint32_t eip = InsnDecoder::code16_for(v.s) ? (v.s.eip() & 0xFFFF) : v.s.eip();
    const uint32_t linear = static_cast<uint32_t>(v.s.seg[kCs].base + eip);
    Block* b = blocks_.jump_cache_find(linear, mode);
    if (!b) {
      st_.jump_cache_misses++;
      const uint64_t flushes = st_.cache_flushes;
      b = lookup(v, linear, eip, mode);
      if (st_.cache_flushes != flushes) from = nullptr;  // the exit slot went with the code cache
      if (!b) {
        from = nullptr;
        continue;
      }
      if (smc_pending_) continue;  // the translation itself may have hit SMC bookkeeping
      // lookup() checked a page-spanning block's second page; the jump cache keeps
      // it only until a TLB flush that may touch either page (jump_cache_stale).
      if (!opts_.trace_exec)
        blocks_.jump_cache_insert(linear, mode, b, !b->spans_pages() && tlb_holds_global_page(v, linear));
    }
    if (opts_.trace_exec) print_exec_trace(v.s);
    if (from && !opts_.trace_exec && from->owner->valid && b->valid && !b->spans_pages() && from->target_eip == b->eip &&
        from->owner->key.mode == b->key.mode && from->owner->key.cs_base == b->key.cs_base) {
      blocks_.chain(from, b);
      st_.chain_patches++;
    }
    from = nullptr;
    if (v.budget < static_cast<int64_t>(b->insn_count)) {
      // Not enough of the slice left for the whole block: step exactly to the
      // deadline so virtual time does not depend on block boundaries.
      interp_one(v);
      continue;
    }
    js.flags_fill = encode_lahf(v.s.rflags);
    js.exit_slot = 0;
    tramp_.enter(&v, b->code);
    v.s.rflags = (v.s.rflags & ~uint64_t{flag::kArith}) | (js.flags_spill & flag::kArith);
    from = reinterpret_cast<ExitSlot*>(js.exit_slot);
  }
}

}  // namespace kasou::jit
