// The debug ports QEMU and Bochs offer to guests:
// - the debug console (0xE9, and 0x402 where SeaBIOS logs): bytes written appear
//   on the console; reading 0xE9 returns 0xE9 so guests can detect it;
// - isa-debug-exit (0xF4): writing v stops the machine with exit status (v<<1)|1,
//   so test programs run unchanged under `qemu-system-i386 -device isa-debug-exit`;
// - the POST code port (0x80): the last value is kept for the statistics.
#pragma once

#include "core/device.h"
#include "core/io_bus.h"
#include "devices/char_sink.h"

namespace kasou {

class Machine;

class DebugConsole : public Device, public IoHandler {
 public:
  DebugConsole(IoBus& io, uint16_t port, CharSink* sink);
  const char* name() const override { return "debugcon"; }
  const char* io_name() const override { return "debugcon"; }
  uint32_t io_read(uint16_t port, unsigned size_bytes) override;
  void io_write(uint16_t port, uint32_t value, unsigned size_bytes) override;

 private:
  uint16_t port_;
  CharSink* sink_;
};

class DebugExit : public Device, public IoHandler {
 public:
  DebugExit(Machine& m, uint16_t port);
  const char* name() const override { return "isa-debug-exit"; }
  const char* io_name() const override { return "isa-debug-exit"; }
  uint32_t io_read(uint16_t, unsigned) override { return 0xFFFFFFFFu; }
  void io_write(uint16_t port, uint32_t value, unsigned size_bytes) override;

 private:
  Machine& machine_;
};

class PostPort : public Device, public IoHandler {
 public:
  explicit PostPort(IoBus& io);
  const char* name() const override { return "post"; }
  const char* io_name() const override { return "post"; }
  uint32_t io_read(uint16_t, unsigned) override { return last_code_; }
  void io_write(uint16_t, uint32_t value, unsigned) override { last_code_ = value & 0xFF; }
  uint8_t last_code() const { return last_code_; }

 private:
  uint8_t last_code_ = 0;
};

}  // namespace kasou
