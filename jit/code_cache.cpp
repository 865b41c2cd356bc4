// CodeCache: an RWX arena.
#include "jit/code_cache.h"

#include <sys/mman.h>

#include <stdexcept>

namespace kasou::jit {

CodeCache::CodeCache(size_t capacity_bytes) : capacity_(capacity_bytes) {
  void* p = mmap(nullptr, capacity_, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("jit: cannot map the code cache (RWX memory refused by the host?)");
  base_ = static_cast<uint8_t*>(p);
}

CodeCache::~CodeCache() {
  if (base_) munmap(base_, capacity_);
}

uint8_t* CodeCache::allocate(size_t bytes) {
  size_t start = (used_ + 15) & ~size_t{15};
  if (start + bytes > capacity_) return nullptr;
  used_ = start + bytes;
  return base_ + start;
}

}  // namespace kasou::jit
