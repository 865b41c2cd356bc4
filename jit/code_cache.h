// CodeCache: the executable memory that translated blocks live in.
//
// One read-write-execute mapping, bump-allocated; when it is full the engine drops
// every block and starts again (cheaper and simpler than freeing blocks one by
// one, and invalidation keeps dead blocks until then). The entry/exit trampolines
// sit at its start so blocks reach them with rel32 jumps.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kasou::jit {

class CodeCache {
 public:
  explicit CodeCache(size_t capacity_bytes);
  ~CodeCache();
  CodeCache(const CodeCache&) = delete;
  CodeCache& operator=(const CodeCache&) = delete;

  uint8_t* base() const { return base_; }
  uint8_t* cursor() const { return base_ + used_; }
  size_t capacity() const { return capacity_; }
  size_t used() const { return used_; }
  size_t free_bytes() const { return capacity_ - used_; }
  // Reserves `bytes` at the cursor (16-byte aligned); nullptr if it does not fit.
  uint8_t* allocate(size_t bytes);
  // Forgets everything after `keep_bytes` (the trampolines).
  void reset_to(size_t keep_bytes) { used_ = keep_bytes; }
  bool contains(const void* p) const {
    return static_cast<const uint8_t*>(p) >= base_ && static_cast<const uint8_t*>(p) < base_ + capacity_;
  }

 private:
  uint8_t* base_ = nullptr;
  size_t capacity_ = 0;
  size_t used_ = 0;
};

}  // namespace kasou::jit
