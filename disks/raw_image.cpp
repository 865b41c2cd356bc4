// RawImage: pread/pwrite on an image file, with clear errors.
#include "disks/raw_image.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace kasou {

RawImage::RawImage(const std::string& path, Mode mode) : path_(path), read_only_(mode == Mode::kReadOnly) {
  fd_ = ::open(path.c_str(), (read_only_ ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd_ < 0) {
    int err = errno;
    if (!read_only_ && (err == EACCES || err == EROFS) && ::access(path.c_str(), R_OK) == 0)
      throw DiskError(fmt::format("disk image '{}' cannot be opened for writing ({}); attach it read-only",
                                  path, std::strerror(err)));
    throw DiskError(fmt::format("disk image '{}' cannot be opened: {}", path, std::strerror(err)));
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    int err = errno;
    ::close(fd_);
    throw DiskError(fmt::format("disk image '{}': cannot read its size: {}", path, std::strerror(err)));
  }
  auto fail = [&](std::string msg) {
    ::close(fd_);
    fd_ = -1;
    throw DiskError(std::move(msg));
  };
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) fail(fmt::format("disk image '{}' is not a regular file", path));
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (S_ISBLK(st.st_mode)) {
    off_t end = ::lseek(fd_, 0, SEEK_END);
    size = end > 0 ? static_cast<uint64_t>(end) : 0;
  }
  if (size == 0) fail(fmt::format("disk image '{}' is empty", path));
  if (size % kSectorBytes)
    fail(fmt::format("disk image '{}' is {} bytes, not a whole number of 512-byte sectors (truncated?)", path, size));
  if (::flock(fd_, (read_only_ ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      fail(fmt::format("disk image '{}' is in use (locked by another virtual machine)", path));
  }
  size_ = size;
}

RawImage::~RawImage() {
  if (fd_ < 0) return;
  if (dirty_ && ::fdatasync(fd_) != 0)
    std::fprintf(stderr, "kasou: disk image '%s': flush at close failed: %s\n", path_.c_str(), std::strerror(errno));
  ::close(fd_);
}

void RawImage::check_range(const char* op, uint64_t offset, size_t bytes) const {
  if (offset > size_ || bytes > size_ - offset)
    throw DiskError(fmt::format("disk image '{}': {} of {} bytes at offset {} is beyond its end ({} bytes)", path_, op,
                                bytes, offset, size_));
}

void RawImage::read(uint64_t offset, void* dst, size_t bytes) {
  check_range("read", offset, bytes);
  auto* p = static_cast<uint8_t*>(dst);
  size_t done = 0;
  while (done < bytes) {
    ssize_t n = ::pread(fd_, p + done, bytes - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw DiskError(fmt::format("disk image '{}': read at offset {} failed: {}", path_, offset + done,
                                  std::strerror(errno)));
    if (n == 0)
      throw DiskError(fmt::format("disk image '{}': the file ends at offset {} (it was truncated while in use)",
                                  path_, offset + done));
    done += static_cast<size_t>(n);
  }
}

void RawImage::write(uint64_t offset, const void* src, size_t bytes) {
  if (read_only_) throw DiskError(fmt::format("disk image '{}' is read-only: write at offset {} refused", path_, offset));
  check_range("write", offset, bytes);
  const auto* p = static_cast<const uint8_t*>(src);
  size_t done = 0;
  dirty_ = true;
  while (done < bytes) {
    ssize_t n = ::pwrite(fd_, p + done, bytes - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw DiskError(fmt::format("disk image '{}': write at offset {} failed: {}", path_, offset + done,
                                  n < 0 ? std::strerror(errno) : "nothing written"));
    done += static_cast<size_t>(n);
  }
}

void RawImage::flush() {
  if (read_only_ || !dirty_) return;
  if (::fdatasync(fd_) != 0)
    throw DiskError(fmt::format("disk image '{}': flush failed: {}", path_, std::strerror(errno)));
  dirty_ = false;
}

}  // namespace kasou
