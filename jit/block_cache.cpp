// BlockCache: lookup, page lists, chaining, invalidation, jump cache.
#include "jit/block_cache.h"

#include <algorithm>
#include <cstring>

namespace kasou::jit {

namespace {
void patch_rel32(uint8_t* rel32, const uint8_t* target) {
  int32_t rel = static_cast<int32_t>(target - (rel32 + 4));
  std::memcpy(rel32, &rel, 4);
}
}  // namespace

BlockCache::BlockCache()
    : find_cache_(new Block*[kFindCacheEntries]()),
      jc_(new JumpCacheEntry[kJumpCacheEntries]()),
      jc_blocks_(new Block*[kJumpCacheEntries]()) {}

Block* BlockCache::insert(std::unique_ptr<Block> b) {
  Block* raw = b.get();
  map_[raw->key] = raw;
  const uint64_t page = raw->key.phys & ~uint64_t{0xFFF};
  CodePage& first = pages_[page];
  first.blocks.push_back(raw);
  first.chunks |= chunk_mask(raw->key.phys & 0xFFF, raw->guest_bytes - raw->tail_bytes);
  if (raw->spans_pages()) {
    CodePage& second = pages_[raw->phys2_page];
    if (raw->phys2_page != page) second.blocks.push_back(raw);
    second.chunks |= chunk_mask(0, raw->tail_bytes);
  }
  owned_.push_back(std::move(b));
  return raw;
}

uint64_t BlockCache::chunk_mask(uint64_t offset, uint64_t size_bytes) {
  if (size_bytes == 0) return 0;
  const uint64_t first = offset >> 6, last = std::min<uint64_t>((offset + size_bytes - 1) >> 6, 63);
  const uint64_t upto_last = last == 63 ? ~uint64_t{0} : (uint64_t{1} << (last + 1)) - 1;
  return upto_last & ~((uint64_t{1} << first) - 1);
}

void BlockCache::chain(ExitSlot* slot, Block* target) {
  if (slot->linked_to == target) return;
  patch_rel32(slot->jmp_rel32, target->code);
  slot->linked_to = target;
  target->incoming.push_back(slot);
}

void BlockCache::invalidate(Block* b) {
  if (!b->valid) return;
  b->valid = false;
  map_.erase(b->key);
  // Incoming chains go back to their exit stubs.
  for (ExitSlot* s : b->incoming) {
    if (s->linked_to == b) {
      patch_rel32(s->jmp_rel32, s->stub);
      s->linked_to = nullptr;
    }
  }
  b->incoming.clear();
  // Outgoing chains: forget we are a predecessor.
  for (auto& s : b->exits) {
    if (Block* t = s->linked_to) {
      auto& in = t->incoming;
      in.erase(std::remove(in.begin(), in.end(), s.get()), in.end());
      patch_rel32(s->jmp_rel32, s->stub);
      s->linked_to = nullptr;
    }
  }
}

size_t BlockCache::invalidate_page(uint64_t phys_page) {
  auto it = pages_.find(phys_page);
  if (it == pages_.end()) return 0;
  std::vector<Block*> blocks = std::move(it->second.blocks);
  pages_.erase(it);
  for (Block* b : blocks) invalidate(b);
  drop_dead_jump_cache_entries();  // they may point at the dead blocks
  return blocks.size();
}

size_t BlockCache::invalidate_range(uint64_t phys, uint64_t size_bytes) {
  const uint64_t page = phys & ~uint64_t{0xFFF};
  auto it = pages_.find(page);
  if (it == pages_.end() || !(it->second.chunks & chunk_mask(phys & 0xFFF, size_bytes))) return 0;
  std::vector<Block*>& blocks = it->second.blocks;
  size_t dropped = 0;
  for (size_t i = 0; i < blocks.size();) {
    Block* b = blocks[i];
    if (!b->valid) {  // dropped through its other page
      blocks[i] = blocks.back();
      blocks.pop_back();
      continue;
    }
    if (b->covers(page, phys, size_bytes)) {
      invalidate(b);
      blocks[i] = blocks.back();
      blocks.pop_back();
      dropped++;
    } else {
      i++;
    }
  }
  if (blocks.empty()) {
    pages_.erase(it);
  } else if (dropped) {
    uint64_t chunks = 0;
    for (const Block* b : blocks) {
      if ((b->key.phys & ~uint64_t{0xFFF}) == page)
        chunks |= chunk_mask(b->key.phys & 0xFFF, b->guest_bytes - b->tail_bytes);
      if (b->spans_pages() && b->phys2_page == page) chunks |= chunk_mask(0, b->tail_bytes);
    }
    it->second.chunks = chunks;
  }
  if (dropped) drop_dead_jump_cache_entries();
  return dropped;
}

void BlockCache::drop_dead_jump_cache_entries() {
  for (unsigned i = 0; i < kJumpCacheEntries; i++)
    if (jc_blocks_[i] && !jc_blocks_[i]->valid) {
      jc_[i] = JumpCacheEntry{};
      jc_blocks_[i] = nullptr;
    }
}

void BlockCache::clear() {
  map_.clear();
  std::fill(find_cache_.get(), find_cache_.get() + kFindCacheEntries, nullptr);
  pages_.clear();
  owned_.clear();
  jump_cache_clear();
}

void BlockCache::jump_cache_insert(uint32_t linear, uint32_t mode, Block* b, bool global) {
  const unsigned i = jump_cache_index(linear);
  jc_global_[i] = global;
  if (!global) {
    if (jc_nonglobal_.size() < kJumpCacheEntries)
      jc_nonglobal_.push_back(static_cast<uint16_t>(i));
    else
      jc_nonglobal_overflow_ = true;
  }
  jc_[i].neg_key = 0 - jump_cache_key(linear, mode);
  jc_[i].code = reinterpret_cast<uint64_t>(b->indirect_entry);
  jc_blocks_[i] = b;
  jc_pages_.set((linear >> 12) & 4095);
  // A block that ends in the next page depends on that page's mapping too: any
  // flush of it must empty the jump cache.
  if (b->spans_pages()) jc_pages_.set(((linear >> 12) + 1) & 4095);
}

bool BlockCache::jump_cache_may_hold(uint32_t linear, uint32_t bytes) const {
  const uint64_t first = linear >> 12, last = (uint64_t(linear) + bytes - 1) >> 12;
  if (last - first >= 4096) return jc_pages_.any();
  for (uint64_t p = first; p <= last; p++)
    if (jc_pages_.test(p & 4095)) return true;
  return false;
}

void BlockCache::jump_cache_clear() {
  std::fill(jc_.get(), jc_.get() + kJumpCacheEntries, JumpCacheEntry{});
  std::fill(jc_blocks_.get(), jc_blocks_.get() + kJumpCacheEntries, nullptr);
  jc_pages_.reset();
  jc_global_.reset();
  jc_nonglobal_.clear();
  jc_nonglobal_overflow_ = false;
}

void BlockCache::jump_cache_clear_nonglobal() {
  auto drop = [this](unsigned i) {
    if (jc_global_[i]) return;
    jc_[i] = JumpCacheEntry{};
    jc_blocks_[i] = nullptr;
  };
  if (jc_nonglobal_overflow_) {
    for (unsigned i = 0; i < kJumpCacheEntries; i++) drop(i);
  } else {
    for (uint16_t i : jc_nonglobal_) drop(i);
  }
  jc_nonglobal_.clear();
  jc_nonglobal_overflow_ = false;
  // jc_pages_ keeps the bits of the dropped entries: a superset, which is safe.
}

}  // namespace kasou::jit
