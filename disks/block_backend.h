// BlockBackend: what a disk controller sees of a disk image.
//
// A backend is a flat array of bytes (size() bytes, a multiple of 512) that can be
// read, written and flushed. Every error is a DiskError whose message names the
// image file, the operation and the offset, so a device can log it and report an
// I/O error to the guest instead of crashing. A write that returned has reached
// the image file (no cache of our own above the host's page cache); flush() makes
// it durable (fdatasync), and backends flush when they are closed.
//
// Stands alone: nothing here depends on other folders of kasou.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace kasou {

class DiskError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class BlockBackend {
 public:
  static constexpr uint32_t kSectorBytes = 512;

  virtual ~BlockBackend() = default;
  // The file name (or description) used in messages.
  virtual const std::string& name() const = 0;
  virtual uint64_t size() const = 0;
  uint64_t sectors() const { return size() / kSectorBytes; }
  virtual bool read_only() const = 0;
  // Byte-granular accesses inside [0, size()); out-of-range accesses, writes to a
  // read-only backend and host I/O errors throw DiskError.
  virtual void read(uint64_t offset, void* dst, size_t bytes) = 0;
  virtual void write(uint64_t offset, const void* src, size_t bytes) = 0;
  virtual void flush() = 0;
};

}  // namespace kasou
