// BlockCache: the translated blocks, found by (physical address, mode, CS base);
// the per-page lists that self-modifying code invalidates; chaining and
// unchaining of direct exits; and the jump cache that generated code searches
// inline for indirect branches.
#pragma once

#include <cstdint>
#include <bitset>
#include <memory>
#include <unordered_map>
#include <vector>

#include "jit/block.h"
#include "jit/runtime.h"

namespace kasou::jit {

class BlockCache {
 public:
  BlockCache();

  Block* find(const BlockKey& key) const {
    // A direct-mapped cache in front of the hash map: the dispatcher looks blocks
    // up after every jump-cache miss (each CR3 load empties the jump cache).
    Block*& hint = find_cache_[BlockKeyHash{}(key) & (kFindCacheEntries - 1)];
    if (hint && hint->valid && hint->key == key) return hint;
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    hint = it->second;
    return hint;
  }
  // Takes ownership; registers the block under its key and its page.
  Block* insert(std::unique_ptr<Block> b);
  // Drops every block on the page (unchaining them). Returns how many.
  size_t invalidate_page(uint64_t phys_page);
  // Drops the blocks translated from any byte of [phys, phys + size) (one page).
  size_t invalidate_range(uint64_t phys, uint64_t size_bytes);
  // Drops one block (a page-spanning block whose second page moved).
  void drop(Block* b) { invalidate(b); }
  // Drops everything (the code cache is reset by the caller).
  void clear();
  // Points `slot`'s jmp straight at `target`.
  void chain(ExitSlot* slot, Block* target);

  // The jump cache: (linear EIP, mode) -> block.
  Block* jump_cache_find(uint32_t linear, uint32_t mode) const {
    const unsigned i = jump_cache_index(linear);
    return jc_[i].neg_key == 0 - jump_cache_key(linear, mode) ? jc_blocks_[i] : nullptr;
  }
  // `global`: the block's code is on a global page (and only there), so a CR3 load
  // does not change where its linear address leads.
  void jump_cache_insert(uint32_t linear, uint32_t mode, Block* b, bool global = false);
  void jump_cache_clear();
  // After a CR3 load: drops the entries of non-global code, keeps the others (the
  // kernel's code, which every process maps the same way).
  void jump_cache_clear_nonglobal();
  // Whether an entry may come from code in [linear, linear + bytes) (a Bloom-like
  // bit per linear page, folded to 4096 bits; cleared with the jump cache).
  bool jump_cache_may_hold(uint32_t linear, uint32_t bytes) const;
  JumpCacheEntry* jump_cache_table() { return jc_.get(); }

  size_t size() const { return map_.size(); }
  bool page_has_blocks(uint64_t phys_page) const { return pages_.count(phys_page) != 0; }

 private:
  void invalidate(Block* b);
  void drop_dead_jump_cache_entries();

  static constexpr size_t kFindCacheEntries = 1u << 14;
  std::unordered_map<BlockKey, Block*, BlockKeyHash> map_;
  // Blocks stay allocated (owned_) until clear(), which empties this too.
  mutable std::unique_ptr<Block*[]> find_cache_;
  // The blocks made from each physical page, and which 64-byte chunks of the
  // page they cover (a write elsewhere on the page, e.g. to a BIOS variable
  // next to its code, then costs one test).
  struct CodePage {
    std::vector<Block*> blocks;
    uint64_t chunks = 0;
  };
  static uint64_t chunk_mask(uint64_t offset, uint64_t size_bytes);
  std::unordered_map<uint64_t, CodePage> pages_;
  std::vector<std::unique_ptr<Block>> owned_;  // live and dead blocks, freed by clear()
  std::unique_ptr<JumpCacheEntry[]> jc_;
  std::unique_ptr<Block*[]> jc_blocks_;
  std::bitset<4096> jc_pages_;
  // Indexes of the entries inserted for non-global code since the last clear.
  std::vector<uint16_t> jc_nonglobal_;
  bool jc_nonglobal_overflow_ = false;  // too many to list: scan for them instead
  std::bitset<kJumpCacheEntries> jc_global_;
};

}  // namespace kasou::jit
