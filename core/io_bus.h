// IoBus: the x86 I/O port space (64 Ki ports) with 1-, 2- and 4-byte accesses.
//
// Devices register a handler for a range of ports. An access wider than what the
// device registered for is split into byte accesses, as the ISA bus does; an
// unclaimed port reads as all ones and ignores writes. Every access is counted per
// port so the statistics can say which device the guest talks to.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace kasou {

class IoHandler {
 public:
  virtual ~IoHandler() = default;
  virtual uint32_t io_read(uint16_t port, unsigned size_bytes) = 0;
  virtual void io_write(uint16_t port, uint32_t value, unsigned size_bytes) = 0;
  virtual const char* io_name() const = 0;
};

class IoBus {
 public:
  IoBus();
  // `widths` is a bit set of the access sizes the device handles itself (1|2|4);
  // other sizes are split into byte accesses.
  void register_ports(uint16_t first, unsigned count, IoHandler* handler, unsigned widths = 1);
  void unregister_ports(uint16_t first, unsigned count);

  uint32_t read(uint16_t port, unsigned size_bytes);
  void write(uint16_t port, uint32_t value, unsigned size_bytes);

  IoHandler* handler(uint16_t port) const { return slots_[port].handler; }
  uint64_t access_count(uint16_t port) const { return counts_[port]; }

 private:
  struct Slot {
    IoHandler* handler = nullptr;
    uint8_t widths = 0;
  };
  std::vector<Slot> slots_;
  std::vector<uint64_t> counts_;
};

}  // namespace kasou
