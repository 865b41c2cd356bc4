// Watches what a guest writes to its serial console for a Linux kernel panic
// ("Kernel panic - not syncing: ...") and reports it, so that a panicked guest
// ends the run with a clear message and a non-zero status instead of sitting in
// its panic loop (or rebooting) until a timeout. Every byte is passed on unchanged.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "devices/char_sink.h"

namespace kasou {

class PanicWatchSink : public CharSink {
 public:
  // `on_panic(line)` is called once, when the panic line is complete; `on_end()`
  // when the kernel's "---[ end Kernel panic" line follows (the report is over).
  PanicWatchSink(CharSink* next, std::function<void(const std::string&)> on_panic, std::function<void()> on_end);
  void put(uint8_t c) override;
  void flush() override;
  bool panicked() const { return panicked_; }

  static constexpr const char* kPanicMarker = "Kernel panic - not syncing";
  static constexpr const char* kEndMarker = "---[ end Kernel panic";

 private:
  void line_done();

  CharSink* next_;
  std::function<void(const std::string&)> on_panic_;
  std::function<void()> on_end_;
  std::string line_;
  bool panicked_ = false;
  bool ended_ = false;
};

}  // namespace kasou
