// QEMU's firmware configuration device (fw_cfg), the I/O-port variant of the PC:
// how SeaBIOS learns the RAM size, the memory map, the boot order and finds
// option ROMs (QEMU docs/specs/fw_cfg.rst).
//
// Ports: selector 0x510 (16-bit write; sets the item and rewinds the offset),
// data 0x511 (byte reads return the item's next byte, 0 past its end or for an
// unknown item; writes are ignored as in QEMU since 2.4), and the DMA address
// register 0x514-0x51B (64-bit, big-endian; writing the low half at 0x518, or all
// 8 bytes at 0x514, starts a transfer; reading it returns "QEMU CFG").
//
// A DMA transfer reads a FWCfgDmaAccess {be32 control; be32 length; be64 address}
// from guest RAM: SELECT (bit 3) selects the item in control's upper 16 bits,
// then READ (bit 1) copies data to guest memory (zeros past the item's end), SKIP
// (bit 2) advances the offset, WRITE (bit 4) is refused (no item is writable).
// The device writes control back as 0, or ERROR (bit 0) when the guest memory
// range is not all RAM or the request is invalid: never a host access outside the
// guest's RAM.
//
// Items: numbered keys (set_item; 0x8000 and up are the x86 "arch-local" ones)
// and named files (add_file) listed in the directory at key 0x19 (be32 count,
// then {be32 size, be16 select, be16 reserved, char name[56]} sorted by name,
// selectors from 0x20 in that order, as QEMU lays them out).
// add_pc_items() fills in what SeaBIOS reads on QEMU's pc machine.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/io_bus.h"
#include "core/physical_memory.h"
#include "devices/device_log.h"

namespace kasou {

namespace fw_cfg {
inline constexpr uint16_t kSelectorPort = 0x510, kDataPort = 0x511, kDmaPort = 0x514;
enum Key : uint16_t {
  kSignature = 0x00, kId = 0x01, kUuid = 0x02, kRamSize = 0x03, kNoGraphic = 0x04, kNbCpus = 0x05,
  kMachineId = 0x06, kKernelAddr = 0x07, kKernelSize = 0x08, kKernelCmdline = 0x09, kInitrdAddr = 0x0A,
  kInitrdSize = 0x0B, kBootDevice = 0x0C, kNuma = 0x0D, kBootMenu = 0x0E, kMaxCpus = 0x0F,
  kKernelEntry = 0x10, kKernelData = 0x11, kInitrdData = 0x12, kCmdlineAddr = 0x13, kCmdlineSize = 0x14,
  kCmdlineData = 0x15, kSetupAddr = 0x16, kSetupSize = 0x17, kSetupData = 0x18, kFileDir = 0x19,
  kFileFirst = 0x20,
  kArchLocal = 0x8000, kAcpiTables = 0x8000, kSmbiosEntries = 0x8001, kIrq0Override = 0x8002,
  kE820Table = 0x8003,
};
inline constexpr uint16_t kWriteChannel = 0x4000;
inline constexpr uint32_t kIdTraditional = 1, kIdDma = 2;
inline constexpr uint32_t kDmaError = 0x01, kDmaRead = 0x02, kDmaSkip = 0x04, kDmaSelect = 0x08, kDmaWrite = 0x10;
inline constexpr size_t kMaxFileName = 56;
inline constexpr uint32_t kE820Ram = 1, kE820Reserved = 2;
}  // namespace fw_cfg

// What SeaBIOS needs to know about the PC (see add_pc_items).
struct PcFirmwareConfig {
  uint64_t ram_bytes = 0;  // RAM below 4 GiB, from address 0
  unsigned cpus = 1;
  // No display: SeaBIOS then mirrors its screen output to COM1 (sercon).
  bool nographic = false;
  // Device paths in SeaBIOS's syntax, first = first to try (see ide_boot_path).
  std::vector<std::string> boot_order;
  // Milliseconds SeaBIOS waits before rebooting when nothing boots (-1: its default, 60 s).
  int boot_fail_wait_ms = -1;
  bool boot_menu = false;
};

class FwCfg : public Device, public IoHandler {
 public:
  FwCfg(IoBus& io, PhysicalMemory& mem);
  const char* name() const override { return "fw_cfg"; }
  const char* io_name() const override { return "fw_cfg"; }
  void reset() override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;

  void set_item(uint16_t key, std::vector<uint8_t> data);
  void set_item_u16(uint16_t key, uint16_t v);
  void set_item_u32(uint16_t key, uint32_t v);
  void set_item_u64(uint16_t key, uint64_t v);
  // Adds or replaces a named file (e.g. "vgaroms/vgabios.bin", "bootorder");
  // names are at most 55 bytes. Returns its selector (valid until the next new file).
  uint16_t add_file(const std::string& name, std::vector<uint8_t> data);
  const std::vector<uint8_t>* file(const std::string& name) const;
  // The contents of an item as the guest reads it (files by selector too).
  const std::vector<uint8_t>* item(uint16_t key) const;

  // Signature, ID, RAM size, CPUs, "etc/e820", "etc/system-states" (only S5),
  // boot order, boot-fail wait, boot menu, no-graphic flag, IRQ0 override.
  void add_pc_items(const PcFirmwareConfig& cfg);
  // SeaBIOS's path for the IDE drive `unit` (0 master, 1 slave) on `channel`
  // (0 primary, 1 secondary) of the PIIX3 IDE function at 01.1.
  static std::string ide_boot_path(unsigned channel, unsigned unit);

  struct State {
    uint16_t selector;
    uint32_t offset;
    uint64_t dma_address;
    uint32_t dma_transfers;
  };
  const State& state() const { return st_; }
  DeviceLog& log() { return log_; }

 private:
  void select(uint16_t key);
  void dma_transfer();
  void rebuild_directory();
  bool ram_range(uint64_t addr, uint64_t len) const;

  PhysicalMemory& mem_;
  std::map<uint16_t, std::vector<uint8_t>> items_;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> files_;  // sorted by name
  State st_{};
  DeviceLog log_{"fw_cfg"};
};

}  // namespace kasou
