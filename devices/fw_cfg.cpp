// fw_cfg: items, the file directory, traditional and DMA reads.
#include "devices/fw_cfg.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/state_io.h"

namespace kasou {

namespace {
constexpr char kDmaSignature[] = "QEMU CFG";
constexpr uint32_t kMaxTransfer = 1u << 30;  // no guest has RAM that large to fill in one go here

void put_be32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void put_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
uint32_t get_be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
uint32_t bswap32(uint32_t v) { return __builtin_bswap32(v); }
template <class T>
std::vector<uint8_t> le_bytes(T v) {
  std::vector<uint8_t> out(sizeof(T));
  for (size_t i = 0; i < sizeof(T); i++) out[i] = static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i));
  return out;
}
}  // namespace

FwCfg::FwCfg(IoBus& io, PhysicalMemory& mem) : mem_(mem) {
  io.register_ports(fw_cfg::kSelectorPort, 2, this, 1 | 2);
  io.register_ports(fw_cfg::kDmaPort, 8, this, 1 | 2 | 4);
  set_item(fw_cfg::kSignature, {'Q', 'E', 'M', 'U'});
  set_item_u32(fw_cfg::kId, fw_cfg::kIdTraditional | fw_cfg::kIdDma);
  rebuild_directory();
}

void FwCfg::reset() { st_ = State{}; }

void FwCfg::set_item(uint16_t key, std::vector<uint8_t> data) {
  if ((key & ~fw_cfg::kArchLocal) >= fw_cfg::kFileFirst || key == fw_cfg::kFileDir)
    throw std::logic_error(fmt::format("fw_cfg: key {:#x} is a file slot or the directory; use add_file", key));
  items_[key] = std::move(data);
}
void FwCfg::set_item_u16(uint16_t key, uint16_t v) { set_item(key, le_bytes(v)); }
void FwCfg::set_item_u32(uint16_t key, uint32_t v) { set_item(key, le_bytes(v)); }
void FwCfg::set_item_u64(uint16_t key, uint64_t v) { set_item(key, le_bytes(v)); }

uint16_t FwCfg::add_file(const std::string& name, std::vector<uint8_t> data) {
  if (name.empty() || name.size() >= fw_cfg::kMaxFileName)
    throw std::logic_error(fmt::format("fw_cfg: file name '{}' is empty or longer than 55 bytes", name));
  auto it = std::lower_bound(files_.begin(), files_.end(), name,
                             [](const auto& f, const std::string& n) { return f.first < n; });
  if (it != files_.end() && it->first == name) it->second = std::move(data);
  else it = files_.insert(it, {name, std::move(data)});
  rebuild_directory();
  return static_cast<uint16_t>(fw_cfg::kFileFirst + (it - files_.begin()));
}

const std::vector<uint8_t>* FwCfg::file(const std::string& name) const {
  for (const auto& f : files_)
    if (f.first == name) return &f.second;
  return nullptr;
}

const std::vector<uint8_t>* FwCfg::item(uint16_t key) const {
  key &= static_cast<uint16_t>(~fw_cfg::kWriteChannel);
  if (key >= fw_cfg::kFileFirst && key < fw_cfg::kArchLocal) {
    size_t i = key - fw_cfg::kFileFirst;
    return i < files_.size() ? &files_[i].second : nullptr;
  }
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : &it->second;
}

void FwCfg::rebuild_directory() {
  std::vector<uint8_t> dir(4 + files_.size() * 64, 0);
  put_be32(dir.data(), static_cast<uint32_t>(files_.size()));
  for (size_t i = 0; i < files_.size(); i++) {
    uint8_t* e = dir.data() + 4 + i * 64;
    put_be32(e, static_cast<uint32_t>(files_[i].second.size()));
    put_be16(e + 4, static_cast<uint16_t>(fw_cfg::kFileFirst + i));
    std::memcpy(e + 8, files_[i].first.data(), files_[i].first.size());
  }
  items_[fw_cfg::kFileDir] = std::move(dir);
}

void FwCfg::select(uint16_t key) {
  st_.selector = key;
  st_.offset = 0;
}

bool FwCfg::ram_range(uint64_t addr, uint64_t len) const {
  return addr <= mem_.ram_bytes() && len <= mem_.ram_bytes() - addr;
}

uint32_t FwCfg::io_read(uint16_t port, unsigned size) {
  if (port >= fw_cfg::kDmaPort) {
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
      unsigned o = port - fw_cfg::kDmaPort + i;
      v |= uint32_t{o < 8 ? static_cast<uint8_t>(kDmaSignature[o]) : uint8_t{0xFF}} << (8 * i);
    }
    return v;
  }
  if (size != 1) return size == 2 ? 0xFFFF : ~0u;  // only byte reads return data
  const std::vector<uint8_t>* d = item(st_.selector);
  if (!d || st_.offset >= d->size()) return 0;
  return (*d)[st_.offset++];
}

void FwCfg::io_write(uint16_t port, uint32_t value, unsigned size) {
  if (port == fw_cfg::kSelectorPort && size == 2) {
    select(static_cast<uint16_t>(value));
    return;
  }
  if (port < fw_cfg::kDmaPort) return;  // data port writes: ignored (QEMU 2.4+)
  // The DMA address register is big-endian: the guest writes cpu_to_be32(x).
  if (port == fw_cfg::kDmaPort && size == 4) {
    st_.dma_address = (st_.dma_address & 0xFFFFFFFFull) | uint64_t{bswap32(value)} << 32;
  } else if (port == fw_cfg::kDmaPort + 4 && size == 4) {
    st_.dma_address = (st_.dma_address & ~0xFFFFFFFFull) | bswap32(value);
    dma_transfer();
    st_.dma_address = 0;
  } else {
    log_.warn(fmt::format("{}-byte write to the DMA address register at {:#x} ignored", size, port));
  }
}

void FwCfg::dma_transfer() {
  st_.dma_transfers++;
  const uint64_t at = st_.dma_address;
  if (!ram_range(at, 16)) {
    log_.warn(fmt::format("DMA descriptor at {:#x} is not in RAM; ignored", at));
    return;
  }
  uint8_t desc[16];
  mem_.read_bytes(at, desc, 16);
  uint32_t control = get_be32(desc);
  uint32_t length = get_be32(desc + 4);
  uint64_t address = uint64_t{get_be32(desc + 8)} << 32 | get_be32(desc + 12);
  if (control & fw_cfg::kDmaSelect) select(static_cast<uint16_t>(control >> 16));
  bool read = false, write = false, skip = false;
  if (control & fw_cfg::kDmaRead) read = true;
  else if (control & fw_cfg::kDmaWrite) write = true;
  else if (control & fw_cfg::kDmaSkip) skip = true;
  else length = 0;
  uint32_t result = 0;
  if (write) {
    log_.warn(fmt::format("DMA write to item {:#x} refused: no item is writable", st_.selector));
    result = fw_cfg::kDmaError;
  } else if (length > 0 && (read || skip)) {
    const std::vector<uint8_t>* d = item(st_.selector);
    if (read && (length > kMaxTransfer || !ram_range(address, length))) {
      log_.warn(fmt::format("DMA read of {} bytes to {:#x} is outside RAM", length, address));
      result = fw_cfg::kDmaError;
    } else {
      const uint64_t avail = d && st_.offset < d->size() ? d->size() - st_.offset : 0;
      const uint64_t n = std::min<uint64_t>(avail, length);
      if (read) {
        if (n) mem_.write_bytes(address, d->data() + st_.offset, n);
        if (n < length) {
          std::vector<uint8_t> zeros(length - n, 0);
          mem_.write_bytes(address + n, zeros.data(), zeros.size());
        }
      }
      st_.offset += static_cast<uint32_t>(n);
    }
  }
  uint8_t be[4];
  put_be32(be, result);
  mem_.write_bytes(at, be, 4);
}

void FwCfg::add_pc_items(const PcFirmwareConfig& cfg) {
  set_item(fw_cfg::kUuid, std::vector<uint8_t>(16, 0));
  set_item_u64(fw_cfg::kRamSize, cfg.ram_bytes);
  set_item_u16(fw_cfg::kNoGraphic, cfg.nographic ? 1 : 0);
  set_item_u16(fw_cfg::kNbCpus, static_cast<uint16_t>(cfg.cpus));
  set_item_u16(fw_cfg::kMaxCpus, static_cast<uint16_t>(cfg.cpus));
  set_item_u16(fw_cfg::kBootMenu, cfg.boot_menu ? 1 : 0);
  set_item_u32(fw_cfg::kIrq0Override, 1);
  // NUMA: no nodes; then one (zero) node number per possible CPU.
  set_item(fw_cfg::kNuma, std::vector<uint8_t>(8 + 8 * cfg.cpus, 0));
  // The memory map: RAM from 0 (SeaBIOS carves out the BIOS areas itself).
  std::vector<uint8_t> e820(20, 0);
  for (int i = 0; i < 8; i++) e820[8 + i] = static_cast<uint8_t>(cfg.ram_bytes >> (8 * i));
  e820[16] = fw_cfg::kE820Ram;
  add_file("etc/e820", e820);
  // Sleep states the firmware may put in its ACPI tables, one byte each for S0-S5:
  // bit 7 = present, low bits = the SLP_TYP value. Only S5 (soft off, type 0).
  add_file("etc/system-states", {0x80, 0x00, 0x00, 0x01, 0x02, 0x80});
  if (!cfg.boot_order.empty()) {
    std::string s;
    for (const auto& p : cfg.boot_order) s += p + "\n";
    s.back() = '\0';
    add_file("bootorder", std::vector<uint8_t>(s.begin(), s.end()));
  }
  if (cfg.boot_fail_wait_ms >= 0) add_file("etc/boot-fail-wait", le_bytes(static_cast<uint32_t>(cfg.boot_fail_wait_ms)));
}

std::string FwCfg::ide_boot_path(unsigned channel, unsigned unit) {
  return fmt::format("/pci@i0cf8/ide@1,1/drive@{:x}/disk@{:x}", channel, unit);
}

void FwCfg::save(StateWriter& w) const {
  w.begin_section("fw_cfg", 1);
  w.put(st_);
  w.end_section();
}

void FwCfg::load(StateReader& r) {
  if (r.open_section("fw_cfg") != 1) throw StateError("state: unknown version of fw_cfg");
  r.get(st_);
}

}  // namespace kasou
