// CharSink: where a character device's output goes (stdout, a file, a buffer a
// test reads), and CharSource: where its input comes from.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
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
  // Every byte goes out at once: a console's prompt or a partial line must show
  // while the guest waits for input (flushing only at '\n' held a shell's prompt
  // back until the next key).
  void put(uint8_t c) override {
    std::fputc(c, f_);
    std::fflush(f_);
  }
  void flush() override { std::fflush(f_); }

 private:
  std::FILE* f_;
};

class StringSink : public CharSink {
 public:
  void put(uint8_t c) override { text += static_cast<char>(c); }
  std::string text;
};

// Input of a character device. Never blocks: a device polls it from a scheduler
// event and takes a byte only when it has room for it.
class CharSource {
 public:
  virtual ~CharSource() = default;
  // The next byte if one is available now, else -1.
  virtual int read() = 0;
  // True once no byte will ever come again (end of file): the device stops polling.
  virtual bool at_end() const { return false; }
};

// Bytes a test (or the frontend) feeds in.
class StringSource : public CharSource {
 public:
  void feed(const std::string& s) { pending.insert(pending.end(), s.begin(), s.end()); }
  int read() override {
    if (pending.empty()) return -1;
    int c = static_cast<uint8_t>(pending.front());
    pending.pop_front();
    return c;
  }
  bool at_end() const override { return closed && pending.empty(); }
  std::deque<char> pending;
  bool closed = false;
};

// A host file descriptor (stdin in headless runs), read without blocking. On a
// terminal it switches off line editing and echo (the guest echoes) and restores
// the terminal when destroyed; signals (Ctrl-C) keep working.
class FdSource : public CharSource {
 public:
  explicit FdSource(int fd);
  ~FdSource() override;
  FdSource(const FdSource&) = delete;
  FdSource& operator=(const FdSource&) = delete;
  int read() override;
  bool at_end() const override { return eof_; }

 private:
  int fd_;
  bool eof_ = false;
  bool restore_ = false;
  unsigned char saved_termios_[128] = {};
  unsigned char buf_[256] = {};
  unsigned pos_ = 0, len_ = 0;
};

}  // namespace kasou
