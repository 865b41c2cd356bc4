// RawImage: reads and writes reach the file, read-only mode, and clear errors for
// missing, empty, truncated, locked and out-of-range images.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <memory>

#include "disks/raw_image.h"
#include "tests/unit/temp_file.h"

namespace kasou {
namespace {

using test::patterned_image;
using test::TempFile;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const DiskError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("disks/raw: reads, writes and flushes reach the image file") {
  TempFile f(patterned_image(8));
  {
    RawImage img(f.path(), RawImage::Mode::kReadWrite);
    CHECK(img.size() == 8 * 512);
    CHECK(img.sectors() == 8);
    CHECK_FALSE(img.read_only());
    CHECK(img.name() == f.path());
    uint8_t buf[1024];
    img.read(512, buf, sizeof buf);
    CHECK(buf[0] == 7);
    CHECK(buf[1] == 8);
    CHECK(buf[512] == 14);
    std::vector<uint8_t> w(512, 0xA5);
    img.write(3 * 512, w.data(), w.size());
    img.flush();
    uint8_t back[512];
    img.read(3 * 512, back, 512);
    CHECK(std::memcmp(back, w.data(), 512) == 0);
    // A write that returned is in the file, before any flush or close.
    uint8_t tail[2] = {0x11, 0x22};
    img.write(8 * 512 - 2, tail, 2);
    auto now = f.contents();
    CHECK(now[8 * 512 - 1] == 0x22);
  }
  auto after = f.contents();
  REQUIRE(after.size() == 8 * 512);
  CHECK(after[3 * 512] == 0xA5);
  CHECK(after[4 * 512] == static_cast<uint8_t>(4 * 7));
  CHECK(after[8 * 512 - 2] == 0x11);
}

TEST_CASE("disks/raw: read-only mode refuses writes and leaves the file alone") {
  TempFile f(patterned_image(2));
  RawImage img(f.path(), RawImage::Mode::kReadOnly);
  CHECK(img.read_only());
  uint8_t buf[512] = {};
  std::string e = error_of([&] { img.write(0, buf, 512); });
  CHECK(e.find("read-only") != std::string::npos);
  CHECK(e.find(f.path()) != std::string::npos);
  img.flush();  // nothing to do, no error
  CHECK(f.contents() == patterned_image(2));
}

TEST_CASE("disks/raw: bad images are refused with a message naming the file") {
  SUBCASE("missing") {
    std::string e = error_of([] { RawImage("/nonexistent/kasou-disk.img", RawImage::Mode::kReadOnly); });
    CHECK(e.find("/nonexistent/kasou-disk.img") != std::string::npos);
    CHECK(e.find("No such file") != std::string::npos);
  }
  SUBCASE("empty") {
    TempFile f;
    std::string e = error_of([&] { RawImage(f.path(), RawImage::Mode::kReadWrite); });
    CHECK(e.find("empty") != std::string::npos);
  }
  SUBCASE("not a multiple of 512 bytes") {
    TempFile f(std::vector<uint8_t>(1000, 0));
    std::string e = error_of([&] { RawImage(f.path(), RawImage::Mode::kReadOnly); });
    CHECK(e.find("1000 bytes") != std::string::npos);
    CHECK(e.find(f.path()) != std::string::npos);
  }
  SUBCASE("a directory") {
    std::string e = error_of([] { RawImage("/tmp", RawImage::Mode::kReadOnly); });
    CHECK(!e.empty());
  }
  SUBCASE("write-protected file opened read-write") {
    TempFile f(patterned_image(1));
    ::chmod(f.path().c_str(), 0444);
    if (::geteuid() != 0) {  // root may write anyway
      std::string e = error_of([&] { RawImage(f.path(), RawImage::Mode::kReadWrite); });
      CHECK(e.find("read-only") != std::string::npos);
    }
    RawImage ro(f.path(), RawImage::Mode::kReadOnly);
    CHECK(ro.sectors() == 1);
  }
}

TEST_CASE("disks/raw: an image in use read-write cannot be opened again") {
  TempFile f(patterned_image(1));
  RawImage a(f.path(), RawImage::Mode::kReadWrite);
  std::string e = error_of([&] { RawImage(f.path(), RawImage::Mode::kReadWrite); });
  CHECK(e.find("in use") != std::string::npos);
  e = error_of([&] { RawImage(f.path(), RawImage::Mode::kReadOnly); });
  CHECK(e.find("in use") != std::string::npos);
}

TEST_CASE("disks/raw: read-only images can be shared") {
  TempFile f(patterned_image(1));
  RawImage a(f.path(), RawImage::Mode::kReadOnly);
  RawImage b(f.path(), RawImage::Mode::kReadOnly);
  CHECK(b.size() == 512);
}

TEST_CASE("disks/raw: accesses beyond the end and a file truncated while in use give DiskError") {
  TempFile f(patterned_image(4));
  RawImage img(f.path(), RawImage::Mode::kReadWrite);
  uint8_t buf[1024];
  CHECK(error_of([&] { img.read(3 * 512, buf, 1024); }).find("beyond its end") != std::string::npos);
  CHECK(error_of([&] { img.write(4 * 512, buf, 1); }).find("beyond its end") != std::string::npos);
  CHECK(error_of([&] { img.read(~0ull - 10, buf, 100); }).find("beyond its end") != std::string::npos);
  REQUIRE(::truncate(f.path().c_str(), 512) == 0);
  std::string e = error_of([&] { img.read(2 * 512, buf, 512); });
  CHECK(e.find("truncated") != std::string::npos);
  img.read(0, buf, 512);  // what is still there reads fine
  CHECK(buf[5] == 5);
}

}  // namespace
}  // namespace kasou
