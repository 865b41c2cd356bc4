// IoBus: port dispatch, width splitting and per-port counters.
#include "core/io_bus.h"

namespace kasou {

IoBus::IoBus() : slots_(65536), counts_(65536, 0) {}

void IoBus::register_ports(uint16_t first, unsigned count, IoHandler* handler, unsigned widths) {
  for (unsigned i = 0; i < count && first + i < 65536; i++)
    slots_[first + i] = Slot{handler, static_cast<uint8_t>(widths | 1)};
}

void IoBus::unregister_ports(uint16_t first, unsigned count) {
  for (unsigned i = 0; i < count && first + i < 65536; i++) slots_[first + i] = Slot{};
}

uint32_t IoBus::read(uint16_t port, unsigned size_bytes) {
  counts_[port]++;
  const Slot& s = slots_[port];
  if (s.handler && (s.widths & size_bytes)) return s.handler->io_read(port, size_bytes);
  if (!s.handler && size_bytes == 1) return 0xFF;
  uint32_t v = 0;
  for (unsigned i = 0; i < size_bytes; i++) {
    uint16_t p = static_cast<uint16_t>(port + i);
    const Slot& b = slots_[p];
    uint32_t byte = b.handler ? (b.handler->io_read(p, 1) & 0xFF) : 0xFF;
    v |= byte << (8 * i);
  }
  return v;
}

void IoBus::write(uint16_t port, uint32_t value, unsigned size_bytes) {
  counts_[port]++;
  const Slot& s = slots_[port];
  if (s.handler && (s.widths & size_bytes)) return s.handler->io_write(port, value, size_bytes);
  if (!s.handler && size_bytes == 1) return;
  for (unsigned i = 0; i < size_bytes; i++) {
    uint16_t p = static_cast<uint16_t>(port + i);
    if (IoHandler* h = slots_[p].handler) h->io_write(p, (value >> (8 * i)) & 0xFF, 1);
  }
}

}  // namespace kasou
