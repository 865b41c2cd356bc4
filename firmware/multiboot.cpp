// Multiboot v1 loader.
#include "firmware/multiboot.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "core/machine.h"
#include "core/mmu.h"

namespace kasou {
namespace {

constexpr uint32_t kHeaderMagic = 0x1BADB002;
constexpr uint32_t kBootMagic = 0x2BADB002;
constexpr uint32_t kSearchBytes = 8192;
constexpr uint32_t kFlagAoutKludge = 1u << 16;
// Where the information structure and its strings go (conventional memory).
constexpr uint32_t kInfoBase = 0x9000;
constexpr uint32_t kInfoLimit = 0x9F000;
constexpr uint32_t kLowMemEnd = 0x9FC00;  // 639 KiB usable below the EBDA

template <class T>
T get(const std::vector<uint8_t>& b, size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

struct Header {
  size_t offset;
  uint32_t flags;
  uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

Header find_header(const std::vector<uint8_t>& img, const std::string& name) {
  size_t end = std::min<size_t>(img.size(), kSearchBytes);
  for (size_t off = 0; off + 12 <= end; off += 4) {
    if (get<uint32_t>(img, off) != kHeaderMagic) continue;
    uint32_t flags = get<uint32_t>(img, off + 4);
    uint32_t sum = get<uint32_t>(img, off + 8);
    if (kHeaderMagic + flags + sum != 0) continue;
    Header h{off, flags, 0, 0, 0, 0, 0};
    if (flags & kFlagAoutKludge) {
      if (off + 32 > img.size()) throw LoadError(fmt::format("{}: multiboot header truncated", name));
      h.header_addr = get<uint32_t>(img, off + 12);
      h.load_addr = get<uint32_t>(img, off + 16);
      h.load_end_addr = get<uint32_t>(img, off + 20);
      h.bss_end_addr = get<uint32_t>(img, off + 24);
      h.entry_addr = get<uint32_t>(img, off + 28);
    }
    return h;
  }
  throw LoadError(fmt::format("{}: no multiboot header in the first 8 KiB (not a multiboot kernel)", name));
}

void check_range(Machine& m, const std::string& name, const char* what, uint64_t addr, uint64_t size) {
  if (addr < 0x1000 || addr + size > m.memory().ram_bytes() || addr + size < addr)
    throw LoadError(fmt::format("{}: {} at {:#x}..{:#x} is outside guest RAM (1 page .. {} MiB)", name, what,
                                addr, addr + size, m.memory().ram_bytes() >> 20));
}

struct Loaded {
  uint32_t entry, start, end;
};

Loaded load_elf(Machine& m, const std::vector<uint8_t>& img, const std::string& name) {
  if (img.size() < sizeof(Elf32_Ehdr)) throw LoadError(fmt::format("{}: truncated ELF header", name));
  auto eh = get<Elf32_Ehdr>(img, 0);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    throw LoadError(fmt::format("{}: not an ELF file and no a.out kludge in the multiboot header", name));
  if (eh.e_ident[EI_CLASS] != ELFCLASS32) throw LoadError(fmt::format("{}: not a 32-bit ELF file (multiboot v1 loads ELF32)", name));
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) throw LoadError(fmt::format("{}: not a little-endian ELF file", name));
  if (eh.e_machine != EM_386) throw LoadError(fmt::format("{}: ELF machine {} is not i386", name, eh.e_machine));
  if (eh.e_type != ET_EXEC) throw LoadError(fmt::format("{}: ELF type {} is not an executable", name, eh.e_type));
  if (eh.e_phentsize != sizeof(Elf32_Phdr) || eh.e_phnum == 0)
    throw LoadError(fmt::format("{}: ELF has no usable program headers", name));
  if (uint64_t(eh.e_phoff) + uint64_t(eh.e_phnum) * sizeof(Elf32_Phdr) > img.size())
    throw LoadError(fmt::format("{}: program headers are past the end of the file (truncated?)", name));
  Loaded l{eh.e_entry, ~0u, 0};
  bool any = false;
  for (unsigned i = 0; i < eh.e_phnum; i++) {
    auto ph = get<Elf32_Phdr>(img, eh.e_phoff + i * sizeof(Elf32_Phdr));
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    if (ph.p_filesz > ph.p_memsz) throw LoadError(fmt::format("{}: segment {} has filesz > memsz", name, i));
    if (uint64_t(ph.p_offset) + ph.p_filesz > img.size())
      throw LoadError(fmt::format("{}: segment {} extends past the end of the file (truncated?)", name, i));
    check_range(m, name, fmt::format("segment {}", i).c_str(), ph.p_paddr, ph.p_memsz);
    m.memory().write_bytes(ph.p_paddr, img.data() + ph.p_offset, ph.p_filesz);
    std::vector<uint8_t> zeros(ph.p_memsz - ph.p_filesz, 0);
    m.memory().write_bytes(ph.p_paddr + ph.p_filesz, zeros.data(), zeros.size());
    l.start = std::min(l.start, ph.p_paddr);
    l.end = std::max(l.end, ph.p_paddr + ph.p_memsz);
    // The entry point is virtual; translate it through the segment that holds it.
    if (eh.e_entry >= ph.p_vaddr && eh.e_entry < ph.p_vaddr + ph.p_memsz)
      l.entry = eh.e_entry - ph.p_vaddr + ph.p_paddr;
    any = true;
  }
  if (!any) throw LoadError(fmt::format("{}: ELF has no loadable segment", name));
  return l;
}

Loaded load_aout(Machine& m, const std::vector<uint8_t>& img, const Header& h, const std::string& name) {
  if (h.load_addr > h.header_addr) throw LoadError(fmt::format("{}: multiboot load_addr is above header_addr", name));
  uint64_t file_off = h.offset - (h.header_addr - h.load_addr);
  if (file_off > img.size()) throw LoadError(fmt::format("{}: multiboot header addresses are inconsistent", name));
  uint64_t load_size = h.load_end_addr ? h.load_end_addr - h.load_addr : img.size() - file_off;
  if (file_off + load_size > img.size()) throw LoadError(fmt::format("{}: image is shorter than load_end_addr says (truncated?)", name));
  uint64_t end = h.bss_end_addr ? h.bss_end_addr : h.load_addr + load_size;
  if (end < h.load_addr + load_size) throw LoadError(fmt::format("{}: bss_end_addr is below load_end_addr", name));
  check_range(m, name, "image", h.load_addr, end - h.load_addr);
  m.memory().write_bytes(h.load_addr, img.data() + file_off, load_size);
  std::vector<uint8_t> zeros(end - h.load_addr - load_size, 0);
  m.memory().write_bytes(h.load_addr + load_size, zeros.data(), zeros.size());
  return {h.entry_addr, h.load_addr, static_cast<uint32_t>(end)};
}

// Appends data to the information area, returning its guest address.
class InfoWriter {
 public:
  InfoWriter(Machine& m, uint32_t base, uint32_t limit) : m_(m), next_(base), limit_(limit) {}
  uint32_t put(const void* data, size_t size, uint32_t align = 4) {
    next_ = (next_ + align - 1) & ~(align - 1);
    if (next_ + size > limit_) throw LoadError("multiboot information does not fit below 640 KiB (command line too long?)");
    uint32_t at = next_;
    m_.memory().write_bytes(at, data, size);
    next_ += static_cast<uint32_t>(size);
    return at;
  }
  uint32_t put_string(const std::string& s) { return put(s.c_str(), s.size() + 1, 1); }

 private:
  Machine& m_;
  uint32_t next_, limit_;
};

void enter_protected_mode(Machine& m, uint32_t entry, uint32_t info) {
  m.reset_cpu();
  CpuState& s = m.vcpu().s;
  const uint16_t code = seg_attr::kPresent | seg_attr::kS | seg_attr::kCode | seg_attr::kReadable |
                        seg_attr::kAccessed | seg_attr::kDb | seg_attr::kGranularity;
  const uint16_t data = seg_attr::kPresent | seg_attr::kS | seg_attr::kWritable | seg_attr::kAccessed |
                        seg_attr::kDb | seg_attr::kGranularity;
  for (auto& sg : s.seg) sg = SegmentCache{0, 0xFFFFFFFFu, 0x18, data};
  s.seg[kCs] = SegmentCache{0, 0xFFFFFFFFu, 0x10, code};
  s.cr0 |= cr0::PE;
  s.rflags = flag::kFixed1;
  s.rip = entry;
  s.gpr[kRax] = kBootMagic;
  s.gpr[kRbx] = info;
  s.gpr[kRdx] = 0;
  // GDTR and IDTR are undefined for the OS; an empty IDT makes an early exception
  // a clear report instead of a jump through garbage.
  s.gdtr = {0, 0, 0};
  s.idtr = {0, 0, 0};
  m.engine().state_changed(m.vcpu());
}

}  // namespace

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw LoadError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw LoadError(fmt::format("{}: read error", path));
  return data;
}

MultibootInfo load_multiboot(Machine& m, const std::vector<uint8_t>& img, const std::string& name,
                             const std::string& cmdline, const std::vector<MultibootModule>& modules) {
  if (m.memory().ram_bytes() < (2u << 20)) throw LoadError("multiboot needs at least 2 MiB of guest RAM");
  Header h = find_header(img, name);
  // Bits 0-2 (page-aligned modules, memory information, video mode: a hint we
  // answer with the text console) are understood; other required bits are not.
  if (h.flags & 0xFFF8u)
    throw LoadError(fmt::format("{}: multiboot header asks for unsupported features (flags {:#x})", name, h.flags));
  Loaded l = (h.flags & kFlagAoutKludge) ? load_aout(m, img, h, name) : load_elf(m, img, name);
  if (l.entry < l.start || l.entry >= l.end)
    throw LoadError(fmt::format("{}: entry point {:#x} is outside the loaded image", name, l.entry));

  uint32_t info_base = kInfoBase;
  if (l.start < kInfoLimit && l.end > kInfoBase) {
    info_base = (l.end + 0xFFF) & ~0xFFFu;
  }
  const uint32_t ram = static_cast<uint32_t>(m.memory().ram_bytes());
  InfoWriter w(m, info_base, info_base == kInfoBase ? kInfoLimit : ram);

  // Modules go page-aligned after the kernel (and after the info area if it follows the kernel).
  uint32_t mod_next = (std::max(l.end, info_base + 0x10000u) + 0xFFF) & ~0xFFFu;
  struct ModEntry {
    uint32_t start, end, string, reserved;
  };
  std::vector<ModEntry> mods;
  for (const auto& mod : modules) {
    if (uint64_t(mod_next) + mod.data.size() > ram)
      throw LoadError(fmt::format("module {} ({} bytes) does not fit in guest RAM", mod.name, mod.data.size()));
    m.memory().write_bytes(mod_next, mod.data.data(), mod.data.size());
    mods.push_back({mod_next, mod_next + static_cast<uint32_t>(mod.data.size()), w.put_string(mod.name), 0});
    mod_next = (mod_next + static_cast<uint32_t>(mod.data.size()) + 0xFFF) & ~0xFFFu;
  }

  struct __attribute__((packed)) MmapEntry {
    uint32_t size;
    uint64_t base, length;
    uint32_t type;
  };
  const MmapEntry mmap[] = {
      {20, 0, kLowMemEnd, 1},
      {20, kLowMemEnd, 0xA0000 - kLowMemEnd, 2},
      {20, 0xF0000, 0x10000, 2},
      {20, 0x100000, ram - 0x100000u, 1},
  };
  uint32_t info[22] = {};
  info[0] = (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9);  // mem, cmdline, mmap, loader name
  info[1] = kLowMemEnd / 1024;
  info[2] = (ram - 0x100000u) / 1024;
  info[4] = w.put_string(cmdline.empty() ? name : name + " " + cmdline);
  if (!mods.empty()) {
    info[0] |= 1u << 3;
    info[5] = static_cast<uint32_t>(mods.size());
    info[6] = w.put(mods.data(), mods.size() * sizeof(ModEntry));
  }
  info[11] = sizeof mmap;
  info[12] = w.put(mmap, sizeof mmap);
  info[16] = w.put_string("kasou");
  uint32_t info_addr = w.put(info, sizeof info);

  enter_protected_mode(m, l.entry, info_addr);
  return {l.entry, info_addr, l.start, l.end};
}

}  // namespace kasou
