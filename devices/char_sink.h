// CharSink: where a character device's output goes (stdout, a file, a buffer a
// test reads), and CharSource: where its input comes from.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace kasou {

class CharSink {
 public:
  virtual ~CharSink() = default;
  virtual void put(uint8_t c) = 0;
  virtual void flush() {}
};

class FileSink : public CharSink {
 public:
  explicit FileSink(std::FILE* f) : f_(f) {}
  void put(uint8_t c) override { std::fputc(c, f_); if (c == '\n') std::fflush(f_); }
  void flush() override { std::fflush(f_); }

 private:
  std::FILE* f_;
};

class StringSink : public CharSink {
 public:
  void put(uint8_t c) override { text += static_cast<char>(c); }
  std::string text;
};

}  // namespace kasou
