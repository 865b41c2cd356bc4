// A CPU for the interpreter's unit tests: a small Machine with the InterpEngine,
// set to flat 32-bit protected mode (as the multiboot loader leaves it) or to real
// mode, with helpers to place code, run one instruction and catch its fault.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "core/fault.h"
#include "core/interp/interp.h"
#include "core/interp/interp_engine.h"
#include "core/machine.h"
#include "core/mmu.h"

namespace kasou::test {

inline constexpr uint32_t kCodeAddr = 0x1000;
inline constexpr uint32_t kDataAddr = 0x10000;
inline constexpr uint32_t kStackTop = 0x80000;
inline constexpr uint32_t kGdtBase = 0x30000;

// Descriptors for the test GDT: a flat 4 GiB data segment (DPL 0) and its DPL 3 twin.
inline constexpr uint64_t kFlatData = 0x00CF92000000FFFFull;
inline constexpr uint64_t kFlatDataDpl3 = 0x00CFF2000000FFFFull;

inline constexpr uint16_t kCodeAttr = seg_attr::kPresent | seg_attr::kS | seg_attr::kCode | seg_attr::kReadable |
                                      seg_attr::kAccessed | seg_attr::kDb | seg_attr::kGranularity;
inline constexpr uint16_t kDataAttr = seg_attr::kPresent | seg_attr::kS | seg_attr::kWritable |
                                      seg_attr::kAccessed | seg_attr::kDb | seg_attr::kGranularity;

struct InterpCpu {
  static MachineConfig config() {
    MachineConfig c;
    c.ram_bytes = 4ull << 20;
    return c;
  }

  InterpCpu() : m(config()), v(m.vcpu()), s(v.s) {
    m.set_engine(std::make_unique<InterpEngine>(m.decoder()));
    flat32();
  }

  // Flat 4 GiB segments, CPL 0, paging off, ESP near the top of 512 KiB.
  void flat32() {
    m.reset_cpu();
    for (auto& sg : s.seg) sg = SegmentCache{0, 0xFFFFFFFFu, 0x18, kDataAttr};
    s.seg[kCs] = SegmentCache{0, 0xFFFFFFFFu, 0x10, kCodeAttr};
    s.cr0 |= cr0::PE;
    s.rflags = flag::kFixed1;
    s.gpr[kRsp] = kStackTop;
  }

  // Real mode with every segment at base 0 (selector 0), 64 KiB limits.
  void real_mode() {
    m.reset_cpu();
    for (auto& sg : s.seg) sg.base = 0, sg.selector = 0;
    s.seg[kCs].base = 0;
    s.seg[kCs].selector = 0;
    s.gpr[kRsp] = 0xFFF0;
  }

  // Puts a descriptor in GDT slot `index` (the GDT lives at kGdtBase, 32 slots).
  void set_gdt(unsigned index, uint64_t descriptor) {
    s.gdtr = {kGdtBase, 32 * 8 - 1, 0};
    poke(kGdtBase + 8 * index, descriptor, 8);
  }

  // Turns on 2-level paging with the first 4 MiB identity-mapped in 4 KiB pages
  // (supervisor, writable); `unmap` pages (linear addresses) are left not present.
  void identity_paging(std::initializer_list<uint32_t> unmap = {}) {
    constexpr uint32_t kDir = 0x200000, kTable = 0x201000;
    poke(kDir, kTable | 0x3);
    for (uint32_t i = 0; i < 1024; i++) poke(kTable + 4 * i, (i << 12) | 0x3);
    for (uint32_t a : unmap) poke(kTable + 4 * (a >> 12), 0);
    s.cr3 = kDir;
    s.cr0 |= cr0::PG;
    tlb_flush_all(v);
  }

  // Places `code` at linear `at` and points CS:EIP at it.
  void load(std::initializer_list<uint8_t> code, uint32_t at = kCodeAddr) {
    std::vector<uint8_t> bytes(code);
    m.memory().write_bytes(at, bytes.data(), bytes.size());
    s.rip = at - s.seg[kCs].base;
  }

  void step() { interp_step(v, m.decoder()); }

  // load + step.
  void run(std::initializer_list<uint8_t> code) {
    load(code);
    step();
  }

  // Runs one instruction that must fault; returns the fault.
  GuestFault fault() {
    try {
      step();
    } catch (const GuestFault& f) {
      return f;
    }
    FAIL("instruction did not fault");
    return {};
  }

  uint32_t reg(Gpr r) const { return static_cast<uint32_t>(s.gpr[r]); }
  void set(Gpr r, uint64_t value) { s.gpr[r] = value; }
  uint32_t arith() const { return static_cast<uint32_t>(s.rflags) & flag::kArith; }
  void set_arith(uint32_t f) { s.rflags = (s.rflags & ~uint64_t(flag::kArith)) | f; }
  bool has(uint32_t f) const { return (s.rflags & f) == f; }

  uint64_t mem(uint64_t phys, unsigned size = 4) { return m.memory().read(phys, size); }
  void poke(uint64_t phys, uint64_t value, unsigned size = 4) { m.memory().write(phys, value, size); }

  Machine m;
  Vcpu& v;
  CpuState& s;
};

}  // namespace kasou::test
