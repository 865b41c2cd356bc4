// PanicWatchSink (frontend/panic_watch.h): COM1 bytes pass through unchanged; the
// Linux panic line is reported once, whole (without CR), when its newline arrives;
// the end-of-report line is reported only after a panic.
#include <doctest/doctest.h>

#include "frontend/panic_watch.h"

using namespace kasou;

namespace {
struct Watched {
  StringSink out;
  std::vector<std::string> panics;
  int ends = 0;
  PanicWatchSink sink{&out, [this](const std::string& l) { panics.push_back(l); }, [this] { ends++; }};
  void feed(const std::string& s) {
    for (char c : s) sink.put(static_cast<uint8_t>(c));
  }
};
}  // namespace

TEST_CASE("panic watch: the panic line is reported once and whole; output passes through") {
  Watched w;
  const std::string text =
      "[    0.1] ---[ end Kernel panic - not syncing: no panic yet ]---\r\n"
      "[    1.0] Run /init as init process\r\n"
      "[    4.3] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n"
      "[    4.4] Call Trace:\r\n";
  w.feed(text.substr(0, text.find("VFS")));
  CHECK(w.panics.empty());  // not before the line is complete
  w.feed(text.substr(text.find("VFS")));
  REQUIRE(w.panics.size() == 1);
  CHECK(w.panics[0] == "[    4.3] Kernel panic - not syncing: VFS: Unable to mount root fs");
  CHECK(w.ends == 0);  // the end marker before the panic did not count
  w.feed("[    4.5] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs ]---\r\n");
  CHECK(w.ends == 1);
  w.feed("[    9.0] Kernel panic - not syncing: again\n---[ end Kernel panic\n");
  CHECK(w.panics.size() == 1);
  CHECK(w.ends == 1);
  CHECK(w.out.text.substr(0, text.size()) == text);
}

TEST_CASE("panic watch: output without newlines is cut into bounded lines, and no sink downstream is fine") {
  std::vector<std::string> panics;
  PanicWatchSink sink(nullptr, [&](const std::string& l) { panics.push_back(l); }, [] {});
  for (int i = 0; i < 5000; i++) sink.put('x');
  for (char c : std::string("Kernel panic - not syncing: late\n")) sink.put(static_cast<uint8_t>(c));
  REQUIRE(panics.size() == 1);
  CHECK(panics[0].size() <= 1024);
  CHECK(panics[0].find("Kernel panic - not syncing: late") != std::string::npos);
}
