// Helpers for the chipset/IDE/fw_cfg device tests: an IrqSink that records line
// levels, a code-write listener that records invalidations, and config-space
// accessors through mechanism #1.
#pragma once

#include <array>
#include <cstring>
#include <cstdint>
#include <vector>

#include "core/device.h"
#include "core/io_bus.h"
#include "core/physical_memory.h"

namespace kasou::test {

struct IrqRecorder : IrqSink {
  std::array<bool, 16> level{};
  std::array<unsigned, 16> rises{};
  void set_irq(unsigned line, bool l) override {
    if (line >= 16) return;
    if (l && !level[line]) rises[line]++;
    level[line] = l;
  }
};

struct CodeWrites : CodeWriteListener {
  std::vector<uint64_t> pages;
  void on_code_write(uint64_t phys, uint64_t) override { pages.push_back(phys & ~uint64_t{0xFFF}); }
};

inline uint32_t cfg_addr(unsigned slot, unsigned fn, unsigned reg) {
  return 0x80000000u | slot << 11 | fn << 8 | (reg & 0xFC);
}
inline uint32_t cfg_read(IoBus& io, unsigned slot, unsigned fn, unsigned reg, unsigned size) {
  io.write(0xCF8, cfg_addr(slot, fn, reg), 4);
  return io.read(static_cast<uint16_t>(0xCFC + (reg & 3)), size);
}
inline void cfg_write(IoBus& io, unsigned slot, unsigned fn, unsigned reg, uint32_t value, unsigned size) {
  io.write(0xCF8, cfg_addr(slot, fn, reg), 4);
  io.write(static_cast<uint16_t>(0xCFC + (reg & 3)), value, size);
}

}  // namespace kasou::test

#include <memory>
#include <string>

#include "disks/block_backend.h"

namespace kasou::test {

// A disk image in memory with fault injection and a flush counter.
class MemBackend : public BlockBackend {
 public:
  explicit MemBackend(std::vector<uint8_t> data, bool read_only = false)
      : data_(std::move(data)), read_only_(read_only) {}
  const std::string& name() const override { return name_; }
  uint64_t size() const override { return data_.size(); }
  bool read_only() const override { return read_only_; }
  void read(uint64_t off, void* dst, size_t n) override {
    if (fail_reads || off + n > data_.size()) throw DiskError(name_ + ": read failed");
    std::memcpy(dst, data_.data() + off, n);
  }
  void write(uint64_t off, const void* src, size_t n) override {
    if (read_only_ || fail_writes || off + n > data_.size()) throw DiskError(name_ + ": write failed");
    std::memcpy(data_.data() + off, src, n);
  }
  void flush() override {
    if (fail_flush) throw DiskError(name_ + ": flush failed");
    flushes++;
  }
  std::vector<uint8_t>& data() { return data_; }
  bool fail_reads = false, fail_writes = false, fail_flush = false;
  unsigned flushes = 0;

 private:
  std::vector<uint8_t> data_;
  bool read_only_;
  std::string name_ = "mem.img";
};

}  // namespace kasou::test
