// TempFile: a file in the temporary directory for tests of disk images; removed
// when the test ends.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace kasou::test {

class TempFile {
 public:
  explicit TempFile(const std::vector<uint8_t>& contents = {}) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/kasou-test-XXXXXX";
    int fd = ::mkstemp(path_.data());
    if (fd < 0) throw std::runtime_error("test: cannot create a temporary file");
    size_t done = 0;
    while (done < contents.size()) {
      ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  std::vector<uint8_t> contents() const {
    std::vector<uint8_t> out;
    if (std::FILE* f = std::fopen(path_.c_str(), "rb")) {
      int c;
      while ((c = std::fgetc(f)) != EOF) out.push_back(static_cast<uint8_t>(c));
      std::fclose(f);
    }
    return out;
  }

 private:
  std::string path_;
};

// A disk image of `sectors` sectors where byte i of sector s is (s * 7 + i) & 0xFF.
inline std::vector<uint8_t> patterned_image(uint32_t sectors) {
  std::vector<uint8_t> img(size_t{sectors} * 512);
  for (size_t i = 0; i < img.size(); i++) img[i] = static_cast<uint8_t>((i / 512) * 7 + (i % 512));
  return img;
}

}  // namespace kasou::test
