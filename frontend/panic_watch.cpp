// PanicWatchSink: line assembly and the two markers.
#include "frontend/panic_watch.h"

#include <utility>

namespace kasou {
namespace {
constexpr size_t kMaxLineBytes = 1024;  // a longer "line" is cut there (binary output, no newlines)
}

PanicWatchSink::PanicWatchSink(CharSink* next, std::function<void(const std::string&)> on_panic,
                               std::function<void()> on_end)
    : next_(next), on_panic_(std::move(on_panic)), on_end_(std::move(on_end)) {}

void PanicWatchSink::put(uint8_t c) {
  if (next_) next_->put(c);
  if (c == '\n' || line_.size() >= kMaxLineBytes) {
    line_done();
    line_.clear();
    if (c == '\n') return;
  }
  if (c != '\r') line_ += static_cast<char>(c);
}

void PanicWatchSink::flush() {
  if (next_) next_->flush();
}

void PanicWatchSink::line_done() {
  const bool end_line = line_.find(kEndMarker) != std::string::npos;  // it repeats the panic text
  if (!panicked_ && !end_line && line_.find(kPanicMarker) != std::string::npos) {
    panicked_ = true;
    on_panic_(line_);
  } else if (panicked_ && !ended_ && end_line) {
    ended_ = true;
    on_end_();
  }
}

}  // namespace kasou
