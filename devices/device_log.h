// DeviceLog: a device's warnings about guest misbehaviour (commands out of order,
// DMA tables pointing outside RAM, unimplemented registers) and host trouble
// (disk image errors). Each message is prefixed with the device name; after
// kMaxMessages the rest are counted but not printed, so a guest hammering a bad
// register cannot flood the console. The sink defaults to stderr; tests replace
// it and look at the last message.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

namespace kasou {

class DeviceLog {
 public:
  static constexpr unsigned kMaxMessages = 20;
  explicit DeviceLog(std::string device) : device_(std::move(device)) {}

  void warn(const std::string& message) {
    count_++;
    last_ = message;
    if (count_ > kMaxMessages) return;
    std::string line = device_ + ": " + message;
    if (count_ == kMaxMessages) line += " (further messages of this device suppressed)";
    if (sink) sink(line);
    else std::fprintf(stderr, "[device] %s\n", line.c_str());
  }
  unsigned count() const { return count_; }
  const std::string& last() const { return last_; }
  const std::string& device() const { return device_; }

  std::function<void(const std::string&)> sink;

 private:
  std::string device_;
  std::string last_;
  unsigned count_ = 0;
};

}  // namespace kasou
