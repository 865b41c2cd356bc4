// BlockCache: lookup by key, chaining patches a jmp rel32 and invalidation
// restores it, page invalidation drops every block of the page and their
// jump-cache entries.
#include <doctest/doctest.h>

#include <cstring>

#include "jit/block_cache.h"

namespace kasou::jit {
namespace {

// A fake block whose "code" is a buffer holding one patchable jmp rel32.
struct FakeBlock {
  std::vector<uint8_t> code = std::vector<uint8_t>(32, 0x90);
  std::unique_ptr<Block> make(uint64_t phys, uint32_t eip) {
    auto b = std::make_unique<Block>();
    b->key = BlockKey{phys, 0x80000000u, 0, eip};
    b->eip = eip;
    b->code = b->indirect_entry = b->code_start = code.data();
    auto& s = b->exits.emplace_back(std::make_unique<ExitSlot>());
    s->owner = b.get();
    code[10] = 0xE9;
    s->jmp_rel32 = &code[11];
    s->stub = &code[20];
    int32_t rel = 20 - 15;
    std::memcpy(s->jmp_rel32, &rel, 4);
    return b;
  }
};

int32_t rel_at(const uint8_t* p) {
  int32_t r;
  std::memcpy(&r, p, 4);
  return r;
}

TEST_CASE("block cache: find by physical address, mode, CS base and EIP") {
  BlockCache c;
  FakeBlock fa;
  Block* a = c.insert(fa.make(0x1000, 0x1000));
  CHECK(c.find(BlockKey{0x1000, 0x80000000u, 0, a->eip}) == a);
  CHECK(c.find(BlockKey{0x1000, 0x80000001u, 0, a->eip}) == nullptr);
  CHECK(c.find(BlockKey{0x1000, 0x80000000u, 0x10, a->eip}) == nullptr);
  CHECK(c.find(BlockKey{0x1010, 0x80000000u, 0, a->eip}) == nullptr);
  // The same physical code at another EIP (another linear mapping) is another block.
  CHECK(c.find(BlockKey{0x1000, 0x80000000u, 0, a->eip + 0x1000}) == nullptr);
}

TEST_CASE("block cache: chaining patches the exit; invalidating the target unpatches it") {
  BlockCache c;
  FakeBlock fa, fb;
  Block* a = c.insert(fa.make(0x1000, 0x1000));
  Block* b = c.insert(fb.make(0x5000, 0x5000));
  ExitSlot* s = a->exits[0].get();
  c.chain(s, b);
  CHECK(s->linked_to == b);
  CHECK(s->jmp_rel32 + 4 + rel_at(s->jmp_rel32) == b->code);
  REQUIRE(b->incoming.size() == 1);
  CHECK(c.invalidate_page(0x5000) == 1);
  CHECK_FALSE(b->valid);
  CHECK(s->linked_to == nullptr);
  CHECK(s->jmp_rel32 + 4 + rel_at(s->jmp_rel32) == s->stub);
  CHECK(c.find(b->key) == nullptr);
  CHECK(c.find(a->key) == a);
}

TEST_CASE("block cache: invalidating the source forgets it in the target's incoming list") {
  BlockCache c;
  FakeBlock fa, fb;
  Block* a = c.insert(fa.make(0x1000, 0x1000));
  Block* b = c.insert(fb.make(0x5000, 0x5000));
  c.chain(a->exits[0].get(), b);
  c.invalidate_page(0x1000);
  CHECK(b->incoming.empty());
  CHECK(b->valid);
}

TEST_CASE("block cache: jump cache entries go with their blocks") {
  BlockCache c;
  FakeBlock fa, fb;
  Block* a = c.insert(fa.make(0x1000, 0x1000));
  Block* b = c.insert(fb.make(0x2000, 0x2000));
  c.jump_cache_insert(0x1000, 0x80000000u, a);
  c.jump_cache_insert(0x2000 + 1, 0x80000000u, b);
  CHECK(c.jump_cache_find(0x1000, 0x80000000u) == a);
  CHECK(c.jump_cache_find(0x1000, 0x80000004u) == nullptr);  // other mode
  // The generated-code view of the entry: neg_key + key == 0.
  JumpCacheEntry& e = c.jump_cache_table()[jump_cache_index(0x1000)];
  CHECK(e.neg_key + jump_cache_key(0x1000, 0x80000000u) == 0);
  CHECK(e.code == reinterpret_cast<uint64_t>(a->indirect_entry));
  c.invalidate_page(0x1000);
  CHECK(c.jump_cache_find(0x1000, 0x80000000u) == nullptr);
  CHECK(c.jump_cache_find(0x2001, 0x80000000u) == b);
  c.jump_cache_clear();
  CHECK(c.jump_cache_find(0x2001, 0x80000000u) == nullptr);
}

TEST_CASE("block cache: a CR3 load's clear keeps the entries of global code only") {
  BlockCache c;
  FakeBlock fk, fu, fk2;
  Block* kernel = c.insert(fk.make(0x3000, 0xC0003010));
  Block* user = c.insert(fu.make(0x4000, 0x08048020));
  c.jump_cache_insert(0xC0003010, 0x80000000u, kernel, /*global=*/true);
  c.jump_cache_insert(0x08048020, 0x80000003u, user, /*global=*/false);
  c.jump_cache_clear_nonglobal();
  CHECK(c.jump_cache_find(0xC0003010, 0x80000000u) == kernel);
  CHECK(c.jump_cache_find(0x08048020, 0x80000003u) == nullptr);
  // A non-global entry that replaced a global one in the same slot goes too.
  Block* other = c.insert(fk2.make(0x5000, 0x08053010));
  c.jump_cache_insert(0x08053010, 0x80000003u, other, /*global=*/false);
  CHECK(jump_cache_index(0x08053010) == jump_cache_index(0xC0003010));
  c.jump_cache_clear_nonglobal();
  CHECK(c.jump_cache_find(0x08053010, 0x80000003u) == nullptr);
  // More non-global insertions than the list holds: the clear scans instead.
  for (uint32_t i = 0; i < 2 * kJumpCacheEntries; i++) c.jump_cache_insert(0x08048020, 0x80000003u, user, false);
  c.jump_cache_insert(0xC0003010, 0x80000000u, kernel, true);
  c.jump_cache_clear_nonglobal();
  CHECK(c.jump_cache_find(0x08048020, 0x80000003u) == nullptr);
  CHECK(c.jump_cache_find(0xC0003010, 0x80000000u) == kernel);
  c.jump_cache_clear();
  CHECK(c.jump_cache_find(0xC0003010, 0x80000000u) == nullptr);
}

TEST_CASE("block cache: an empty jump-cache entry never matches") {
  BlockCache c;
  // Mode keys always have bit 31 set, so key 0 (which an empty entry would match) cannot occur.
  CHECK(c.jump_cache_find(0, 0x80000000u) == nullptr);
}

}  // namespace
}  // namespace kasou::jit

namespace kasou::jit {
namespace {

TEST_CASE("block cache: a write drops only blocks made from the written bytes, on either page of a spanning block") {
  BlockCache c;
  FakeBlock fa, fb, fc;
  auto a = fa.make(0x10100, 0x100);  // bytes 0x10100-0x1010F
  a->guest_bytes = 16;
  auto b = fb.make(0x10FFC, 0xFFC);  // 4 bytes here, 3 more at the start of page 0x30000
  b->guest_bytes = 7;
  b->tail_bytes = 3;
  b->phys2_page = 0x30000;
  auto cc = fc.make(0x10300, 0x300);
  cc->guest_bytes = 8;
  Block* pa = c.insert(std::move(a));
  Block* pb = c.insert(std::move(b));
  Block* pc = c.insert(std::move(cc));
  CHECK(c.invalidate_range(0x10200, 4) == 0);  // data between the blocks
  CHECK(c.invalidate_range(0x10110, 4) == 0);  // right after a
  CHECK(c.invalidate_range(0x30003, 1) == 0);  // after b's tail
  CHECK((pa->valid && pb->valid && pc->valid));
  CHECK(c.invalidate_range(0x1010F, 1) == 1);  // a's last byte
  CHECK_FALSE(pa->valid);
  CHECK(c.invalidate_range(0x30002, 1) == 1);  // b's last byte, on its second page
  CHECK_FALSE(pb->valid);
  CHECK(pc->valid);
  CHECK(c.page_has_blocks(0x10000));
  CHECK(c.invalidate_range(0x102FE, 4) == 1);  // across c's first byte
  CHECK_FALSE(c.page_has_blocks(0x10000));
}

TEST_CASE("block cache: a jump-cache entry of a page-spanning block goes with a flush of either page") {
  BlockCache c;
  FakeBlock fb, fa;
  auto b = fb.make(0x10FFC, 0x40000FFC);
  b->guest_bytes = 7;
  b->tail_bytes = 3;
  b->phys2_page = 0x30000;
  c.jump_cache_insert(0x40000FFC, 0x80000000u, c.insert(std::move(b)));
  CHECK(c.jump_cache_may_hold(0x40000000, 4096));
  CHECK(c.jump_cache_may_hold(0x40001000, 4096));  // the linear page of its tail
  CHECK_FALSE(c.jump_cache_may_hold(0x40002000, 4096));
  c.jump_cache_insert(0x50000100, 0x80000000u, c.insert(fa.make(0x20100, 0x50000100)));
  CHECK(c.jump_cache_may_hold(0x50000000, 4096));
  CHECK_FALSE(c.jump_cache_may_hold(0x50003000, 4096));  // (the bits fold page numbers to 12 bits)
}

}  // namespace
}  // namespace kasou::jit
