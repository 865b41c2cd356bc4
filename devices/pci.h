// PCI: the bus, configuration mechanism #1 and the common part of every PCI
// function (configuration space, BARs, INTx).
//
// Configuration mechanism #1 (PCI Local Bus spec 3.0, 3.2.2.3.2): a dword write to
// 0xCF8 sets CONFIG_ADDRESS (bit 31 enable, bus, device, function, register);
// 0xCFC-0xCFF then reach that function's configuration space with byte, word or
// dword accesses (the low two port bits select the byte). Only dword accesses
// touch CONFIG_ADDRESS; a byte at 0xCF9 is the PIIX3 reset control register,
// forwarded to whoever claims it. Absent functions and buses other than 0 read as
// all ones.
//
// PciFunction holds the 256-byte configuration space with a writable mask and a
// write-one-to-clear mask per byte, so guests see exactly which bits stick. BARs:
// the device declares size and kind; the guest sizes them by writing all ones; when
// the command register enables I/O or memory decoding and the BAR holds a usable
// address, the range is registered on the IoBus / PhysicalMemory (and taken away
// again when the guest moves it or disables decoding). An I/O BAR (32 writable
// address bits, as QEMU's: SeaBIOS sizes them with a 32-bit mask) is only mapped
// below 64 KiB and over free ports, a memory BAR only above RAM (the host bridge
// claims RAM addresses first), as the bus would decide. Memory BARs are at least
// 4 KiB.
//
// INTx: a function drives its interrupt pin (INTA#..INTD#, config 0x3D) through
// the bus, which swizzles it as the i440FX board wires the slots (PIRQ =
// (slot + pin - 2) mod 4, what QEMU and SeaBIOS assume) and ORs the shared lines
// into the four PIRQ inputs of the PIIX3 (set_pirq_sink). The command register's
// INTx disable bit masks it; status bit 3 shows it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/io_bus.h"
#include "core/physical_memory.h"
#include "devices/device_log.h"

namespace kasou {

namespace pci {
// Configuration header (type 0) offsets.
inline constexpr uint8_t kVendorId = 0x00, kDeviceId = 0x02, kCommand = 0x04, kStatus = 0x06,
                         kRevision = 0x08, kProgIf = 0x09, kClassCode = 0x09, kCacheLineSize = 0x0C,
                         kLatencyTimer = 0x0D, kHeaderType = 0x0E, kBar0 = 0x10, kSubsystemVendorId = 0x2C,
                         kSubsystemId = 0x2E, kRomAddress = 0x30, kInterruptLine = 0x3C, kInterruptPin = 0x3D;
// Command register bits.
inline constexpr uint16_t kCmdIo = 0x0001, kCmdMemory = 0x0002, kCmdMaster = 0x0004, kCmdParity = 0x0040,
                          kCmdSerr = 0x0100, kCmdIntxDisable = 0x0400;
// Status register bits.
inline constexpr uint16_t kStatusInterrupt = 0x0008, kStatusDevselMedium = 0x0200, kStatusFastBackToBack = 0x0080,
                          kStatusErrors = 0xF900;  // write one to clear
inline constexpr unsigned kBars = 6;
inline constexpr uint16_t kConfigAddressPort = 0xCF8, kConfigDataPort = 0xCFC, kResetControlPort = 0xCF9;
}  // namespace pci

class PciBus;
class StateWriter;
class StateReader;

class PciFunction : public Device {
 public:
  struct Identity {
    uint16_t vendor = 0, device = 0;
    uint8_t revision = 0;
    uint32_t class_code = 0;  // class << 16 | subclass << 8 | programming interface
    uint16_t subsystem_vendor = 0, subsystem = 0;
    uint8_t interrupt_pin = 0;  // 0 none, 1 INTA# .. 4 INTD#
    uint8_t header_type = 0;
  };
  PciFunction(std::string name, const Identity& id);
  ~PciFunction() override;
  PciFunction(const PciFunction&) = delete;
  PciFunction& operator=(const PciFunction&) = delete;

  const char* name() const override { return name_.c_str(); }
  // Power-on configuration space, BARs unmapped, INTx deasserted. Devices that
  // override it call PciFunction::reset() first.
  void reset() override;
  // The configuration space and the mapping it implies (section "pci:<name>").
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  // Configuration space accesses (from the bus); offset + size may not pass 256.
  uint32_t config_read(uint8_t offset, unsigned size) const;
  void config_write(uint8_t offset, uint32_t value, unsigned size);

  uint8_t cfg8(uint8_t off) const { return cfg_[off]; }
  uint16_t cfg16(uint8_t off) const { return static_cast<uint16_t>(cfg_[off] | cfg_[off + 1] << 8); }
  uint32_t cfg32(uint8_t off) const { return cfg16(off) | static_cast<uint32_t>(cfg16(off + 2)) << 16; }
  uint16_t command() const { return cfg16(pci::kCommand); }
  // Base of BAR `bar` as mapped now (0 while unmapped); bar 6 is the expansion ROM.
  uint64_t bar_mapped_base(unsigned bar) const;
  bool attached() const { return bus_ != nullptr; }
  unsigned slot() const { return devfn_ >> 3; }
  unsigned function_number() const { return devfn_ & 7; }
  bool intx_level() const { return intx_; }
  DeviceLog& log() { return log_; }

 protected:
  // Set-up, from the derived device's constructor: power-on values and the bits
  // the guest may change (everything else reads as set here and ignores writes).
  void init8(uint8_t off, uint8_t value, uint8_t writable = 0);
  void init16(uint8_t off, uint16_t value, uint16_t writable = 0);
  void init32(uint8_t off, uint32_t value, uint32_t writable = 0);
  void init_w1c(uint8_t off, uint8_t mask) { w1c_[off] = mask; }
  // BARs. `size` is a power of two (I/O: 4..256 bytes; memory: >= 4 KiB).
  // Accesses arrive at bar_read/bar_write with the offset inside the BAR, unless a
  // memory BAR is given its own MmioHandler (offsets are BAR-relative there too).
  void add_io_bar(unsigned bar, uint32_t size, unsigned widths);
  void add_mem_bar(unsigned bar, uint32_t size, bool prefetchable, MmioHandler* direct = nullptr);
  // An expansion ROM (config 0x30), e.g. a VGA BIOS; sized to a power of two.
  void set_expansion_rom(std::vector<uint8_t> rom);
  virtual uint32_t bar_read(unsigned /*bar*/, uint32_t /*offset*/, unsigned size) {
    return size == 4 ? ~0u : (1u << (8 * size)) - 1;
  }
  virtual void bar_write(unsigned /*bar*/, uint32_t /*offset*/, uint32_t /*value*/, unsigned /*size*/) {}
  // After configuration space [offset, offset + size) changed (a guest write, or
  // size 256 after load/reset): device-specific registers take effect here.
  virtual void config_changed(uint8_t /*offset*/, unsigned /*size*/) {}
  // Registers whose write rules masks cannot express (lock bits, triggers): a
  // guest byte write to `off` comes here first; return true if handled (store
  // with set_cfg8).
  virtual bool config_write_byte(uint8_t /*off*/, uint8_t /*value*/) { return false; }
  void set_cfg8(uint8_t off, uint8_t value) { cfg_[off] = value; }
  void set_cfg16(uint8_t off, uint16_t value) {
    cfg_[off] = value & 0xFF;
    cfg_[off + 1] = static_cast<uint8_t>(value >> 8);
  }
  // Called once the bus gave the function its IoBus and PhysicalMemory: fixed
  // (non-BAR) ports are registered here.
  virtual void attached_to_bus() {}
  static bool overlaps(uint8_t off, unsigned size, uint8_t first, unsigned count) {
    return off < first + count && first < off + size;
  }
  // Drives the function's INTx pin.
  void set_intx(bool level);

  IoBus& io() { return *io_; }
  PhysicalMemory& memory() { return *mem_; }
  bool bus_master() const { return command() & pci::kCmdMaster; }
  void update_mappings();

  DeviceLog log_;

 private:
  friend class PciBus;
  enum class BarKind : uint8_t { kNone, kIo, kMem, kRom };
  struct Bar;
  struct BarIo;
  struct BarMmio;
  void unmap_bar(Bar& b);
  bool try_map_bar(unsigned index, Bar& b, uint64_t base);

  std::string name_;
  std::array<uint8_t, 256> cfg_{};
  std::array<uint8_t, 256> reset_cfg_{};
  std::array<uint8_t, 256> wmask_{};
  std::array<uint8_t, 256> w1c_{};
  std::vector<std::unique_ptr<Bar>> bars_;  // 7 slots: BAR0-5 and the ROM
  std::vector<uint8_t> rom_;
  bool intx_ = false;
  PciBus* bus_ = nullptr;
  IoBus* io_ = nullptr;
  PhysicalMemory* mem_ = nullptr;
  uint8_t devfn_ = 0;
};

class PciBus : public Device, public IoHandler {
 public:
  PciBus(IoBus& io, PhysicalMemory& mem);
  const char* name() const override { return "pci"; }
  const char* io_name() const override { return "pci-conf1"; }
  void reset() override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  // Plugs `f` into slot 0-31, function 0-7. A second function in a slot makes
  // function 0 report a multi-function device (header type bit 7).
  void attach(unsigned slot, unsigned function, PciFunction& f);
  PciFunction* function(unsigned slot, unsigned function) const { return slots_[(slot & 31) * 8 + (function & 7)]; }
  // The four PIRQ inputs of the ISA bridge (lines 0-3 = PIRQA#-PIRQD#).
  void set_pirq_sink(IrqSink* sink);
  // The byte port 0xCF9 (PIIX3 reset control) shares the dword at 0xCF8.
  void set_reset_control(IoHandler* handler) { cf9_ = handler; }
  static unsigned pirq_of(unsigned slot, unsigned pin) { return (slot + pin - 2) & 3; }
  bool pirq_level(unsigned pirq) const { return pirq_levels_ >> pirq & 1; }

  // Configuration cycles as mechanism #1 makes them (bus 0 only).
  uint32_t config_read(unsigned bus, unsigned devfn, uint8_t reg, unsigned size) const;
  void config_write(unsigned bus, unsigned devfn, uint8_t reg, uint32_t value, unsigned size);

  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;
  uint32_t config_address() const { return config_address_; }

 private:
  friend class PciFunction;
  void intx_changed();

  IoBus& io_;
  PhysicalMemory& mem_;
  std::array<PciFunction*, 256> slots_{};
  IrqSink* pirq_sink_ = nullptr;
  IoHandler* cf9_ = nullptr;
  uint32_t config_address_ = 0;
  uint8_t pirq_levels_ = 0;
};

}  // namespace kasou
