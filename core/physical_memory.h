// PhysicalMemory: the guest-physical address space.
//
// RAM is one host mapping starting at guest-physical 0. ROM and MMIO ranges are
// registered on top at page granularity; a later registration wins over an earlier
// one for the pages it covers (so the VGA window can sit inside RAM's range).
// Unassigned addresses read as all-ones and ignore writes, like an open PC bus.
//
// Shadow RAM (the chipset's PAM registers, i440FX): pages of the legacy window
// 0xC0000-0xFFFFF can be switched between the RAM below and whatever the bus has
// there (the BIOS ROM, option ROMs, nothing), separately for reads and writes:
// set_shadow() takes the two enables. A page under shadow control whose reads go
// to RAM appears as a kRom page (read-only RAM) or a kRam page; one whose reads go
// to the bus but whose writes go to RAM shows the bus's page, and the exact write
// paths send its writes to RAM. A change drops translated code of the affected
// pages through the code-write listener; the caller flushes the CPU's TLB.
// remove_mmio() takes a mapping away again (a PCI BAR that moves or is switched
// off); the pages then show the most recent remaining region that covers them.
//
// The page table answers "what is at this physical page" for the MMU's TLB fill;
// read()/write() are the slow, exact paths (MMIO, ROM, page crossing) used by the
// reference interpreter, helpers and DMA. Pages holding translated code are marked
// so that every write path can tell the execution engine to drop stale code.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kasou {

inline constexpr uint64_t kPageBytes = 4096;
inline constexpr unsigned kPageShift = 12;

// A device mapped into the physical address space.
class MmioHandler {
 public:
  virtual ~MmioHandler() = default;
  virtual uint64_t mmio_read(uint64_t offset, unsigned size_bytes) = 0;
  virtual void mmio_write(uint64_t offset, uint64_t value, unsigned size_bytes) = 0;
  virtual const char* mmio_name() const = 0;
};

// Told when a guest-visible write lands on a page that holds translated code
// (the bytes [phys, phys + size_bytes), within one page; a remapped page comes as
// the whole page).
class CodeWriteListener {
 public:
  virtual ~CodeWriteListener() = default;
  virtual void on_code_write(uint64_t phys, uint64_t size_bytes) = 0;
};

enum class PageKind : uint8_t { kUnassigned, kRam, kRom, kMmio };

struct PageInfo {
  PageKind kind = PageKind::kUnassigned;
  uint8_t* host = nullptr;          // start of the page in host memory (RAM, ROM)
  MmioHandler* mmio = nullptr;      // for kMmio
  uint64_t mmio_offset = 0;         // offset of the page within the MMIO region
};

class PhysicalMemory {
 public:
  // Physical addresses up to 4 GiB are paged through a direct table; PAE's wider
  // physical space is reachable for RAM above that later.
  static constexpr uint64_t kAddressSpaceBytes = 1ull << 32;

  explicit PhysicalMemory(uint64_t ram_bytes);
  ~PhysicalMemory();
  PhysicalMemory(const PhysicalMemory&) = delete;
  PhysicalMemory& operator=(const PhysicalMemory&) = delete;

  uint8_t* ram() { return ram_; }
  uint64_t ram_bytes() const { return ram_bytes_; }

  // Maps a copy of `data` read-only at `base` (page aligned, size rounded up).
  void add_rom(uint64_t base, const std::vector<uint8_t>& data, std::string name);
  void add_mmio(uint64_t base, uint64_t size_bytes, MmioHandler* handler);
  // Removes the mapping add_mmio(base, size_bytes, handler) made; false if none.
  bool remove_mmio(uint64_t base, uint64_t size_bytes, MmioHandler* handler);

  // Shadow RAM control of [base, base + size) inside kShadowBase..kShadowEnd (page
  // aligned): reads and writes each go to RAM or to the bus.
  static constexpr uint64_t kShadowBase = 0xC0000, kShadowEnd = 0x100000;
  void set_shadow(uint64_t base, uint64_t size_bytes, bool read_ram, bool write_ram);
  // Ends shadow control: the pages are mapped as without it (RAM, or a region
  // registered over it).
  void clear_shadow();

  PageInfo page(uint64_t phys) const;

  // Exact accesses of 1, 2, 4 or 8 bytes; they may cross a page boundary.
  uint64_t read(uint64_t phys, unsigned size_bytes);
  void write(uint64_t phys, uint64_t value, unsigned size_bytes);
  // Bulk copies for loaders and DMA (RAM only; other pages are skipped).
  void read_bytes(uint64_t phys, void* dst, uint64_t size_bytes);
  void write_bytes(uint64_t phys, const void* src, uint64_t size_bytes);

  // Translated-code tracking.
  void set_code_write_listener(CodeWriteListener* l) { code_listener_ = l; }
  void mark_code_page(uint64_t phys_page) { code_page_[index(phys_page)] = 1; }
  void unmark_code_page(uint64_t phys_page) { code_page_[index(phys_page)] = 0; }
  bool is_code_page(uint64_t phys) const {
    return phys < kAddressSpaceBytes && code_page_[phys >> kPageShift];
  }
  // A write to `phys` is about to happen outside the TLB fast path.
  void note_write(uint64_t phys, unsigned size_bytes) {
    if (is_code_page(phys) || is_code_page(phys + size_bytes - 1)) notify_code_write(phys, size_bytes);
  }

 private:
  struct Region {
    PageKind kind;
    uint64_t base;
    uint64_t size;
    uint8_t* host;
    MmioHandler* mmio;
    std::string name;
    uint64_t seq = 0;  // registration order: the latest covering region wins
  };
  // A page of the legacy window under shadow control.
  struct ShadowPage {
    bool controlled = false;
    bool read_ram = false;
    bool write_ram = false;
  };
  static constexpr size_t kShadowPages = (kShadowEnd - kShadowBase) >> kPageShift;
  static size_t index(uint64_t phys_page) { return static_cast<size_t>(phys_page >> kPageShift); }
  uint16_t add_region(Region r);
  void map_pages(uint64_t base, uint64_t size, uint16_t region);
  // The region a page shows without shadow control (0 = none), optionally
  // ignoring RAM (what the bus has there).
  uint16_t natural_region(uint64_t page, bool skip_ram) const;
  void remap_page(uint64_t page);
  bool shadow_write(uint64_t phys, const void* src, uint64_t size_bytes);
  void notify_code_write(uint64_t phys, unsigned size_bytes);
  uint64_t read_page(uint64_t phys, unsigned size_bytes);
  void write_page(uint64_t phys, uint64_t value, unsigned size_bytes);

  uint8_t* ram_ = nullptr;
  uint64_t ram_bytes_ = 0;
  std::vector<Region> regions_;
  std::vector<std::unique_ptr<uint8_t[]>> rom_storage_;
  std::vector<uint16_t> page_region_;  // region index + 1 per 4 KiB page; 0 = unassigned
  std::vector<uint8_t> code_page_;
  CodeWriteListener* code_listener_ = nullptr;
  uint64_t next_seq_ = 0;
  ShadowPage shadow_[kShadowPages] = {};
  uint16_t ram_readonly_region_ = 0;  // region index + 1 of the read-only view of RAM
};

}  // namespace kasou
