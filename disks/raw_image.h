// RawImage: a BlockBackend on a plain image file (a byte-for-byte copy of a disk,
// or an ISO 9660 image for a CD-ROM).
//
// Opening refuses, with a message naming the file: a missing or unreadable file,
// a file that cannot be opened for writing when read-write was asked, an empty
// image, an image whose size is not a multiple of 512 bytes, and an image another
// process has locked (read-write images take an exclusive lock, read-only ones a
// shared lock, as QEMU does). Reads and writes go straight to the file with
// pread/pwrite, so a completed write is in the file even if kasou dies later;
// flush() is fdatasync, and the destructor flushes.
#pragma once

#include <string>

#include "disks/block_backend.h"

namespace kasou {

class RawImage : public BlockBackend {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  RawImage(const std::string& path, Mode mode);
  ~RawImage() override;
  RawImage(const RawImage&) = delete;
  RawImage& operator=(const RawImage&) = delete;

  const std::string& name() const override { return path_; }
  uint64_t size() const override { return size_; }
  bool read_only() const override { return read_only_; }
  void read(uint64_t offset, void* dst, size_t bytes) override;
  void write(uint64_t offset, const void* src, size_t bytes) override;
  void flush() override;

 private:
  void check_range(const char* op, uint64_t offset, size_t bytes) const;

  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool read_only_ = false;
  bool dirty_ = false;  // written since the last flush
};

}  // namespace kasou
