// A protected-mode CPU for the far-transfer and task-switch tests: a GDT with code
// and data segments at each privilege, call gates, task gates and TSSs, an IDT,
// and the current task's TSS loaded in TR. Descriptors are built from the SDM's
// layouts (vol. 3, figures 3-8, 5-8, 6-2, 7-3), not from the code under test.
#pragma once

#include "core/exceptions.h"
#include "core/segmentation.h"
#include "tests/unit/test_interp_fixture.h"

namespace kasou::test::far {

// Segment descriptor: base, 20-bit limit, access byte (P DPL S type), flags nibble
// (G D/B L AVL).
constexpr uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return (limit & 0xFFFFull) | (uint64_t(base & 0xFFFFFF) << 16) | (uint64_t(access) << 40) |
         (uint64_t((limit >> 16) & 0xF) << 48) | (uint64_t(flags & 0xF) << 52) | (uint64_t(base >> 24) << 56);
}
// Gate descriptor: selector, offset, access byte, parameter count (call gates).
constexpr uint64_t gate_desc(uint16_t sel, uint32_t offset, uint8_t access, unsigned params = 0) {
  return (offset & 0xFFFFull) | (uint64_t(sel) << 16) | (uint64_t(params & 0x1F) << 32) | (uint64_t(access) << 40) |
         (uint64_t(offset >> 16) << 48);
}

// Access bytes.
inline constexpr uint8_t kCode0 = 0x9A, kData0 = 0x92, kCode3 = 0xFA, kData3 = 0xF2;
inline constexpr uint8_t kCode1 = 0xBA, kData1 = 0xB2, kConforming0 = 0x9E;
inline constexpr uint8_t kTss32Avail = 0x89, kTss32Busy = 0x8B, kTss16Avail = 0x81;
inline constexpr uint8_t kCallGate32 = 0x8C, kCallGate16 = 0x84, kTaskGate = 0x85;
inline constexpr uint8_t kIntGate32 = 0x8E, kTrapGate32 = 0x8F;
inline constexpr uint8_t dpl(unsigned d) { return static_cast<uint8_t>(d << 5); }

// Selectors of the test GDT.
inline constexpr uint16_t kSmallCode0 = 0x08;  // DPL 0, limit 0xFFFF, accessed bit clear
inline constexpr uint16_t kFlatCode0 = 0x10;   // what the fixture's CS cache already holds
inline constexpr uint16_t kFlatData0 = 0x18;
inline constexpr uint16_t kFlatCode3 = 0x23;
inline constexpr uint16_t kFlatData3 = 0x2B;
inline constexpr uint16_t kTssA = 0x30;        // the current task (busy)
inline constexpr uint16_t kTssB = 0x38;        // available
inline constexpr uint16_t kGateToCode0 = 0x40; // 32-bit call gate, DPL 3, 2 parameters -> 0x10:0x3000
inline constexpr uint16_t kConfCode0 = 0x48;   // conforming, DPL 0, accessed bit clear
inline constexpr uint16_t kAbsentCode0 = 0x50; // not present
inline constexpr uint16_t kTaskGateB = 0x60;   // task gate, DPL 3 -> TSS B
inline constexpr uint16_t kGate16 = 0x68;      // 16-bit call gate, DPL 3, 1 parameter -> 0x10:0x3100
inline constexpr uint16_t kSmallData0 = 0x70;  // data DPL 0, limit 0xFFF
inline constexpr uint16_t kTssDf = 0x78;       // the double-fault task
inline constexpr uint16_t kGateDpl0 = 0x80;    // 32-bit call gate, DPL 0 -> 0x10:0x3000
inline constexpr uint16_t kFlatCode1 = 0x89;
inline constexpr uint16_t kFlatData1 = 0x91;
inline constexpr uint16_t kTssShort = 0x98;    // 32-bit TSS with limit 0x40
inline constexpr uint16_t kAbsentGate = 0xA0;  // 32-bit call gate DPL 3, not present
inline constexpr uint16_t kCode16 = 0xA8;      // 16-bit code, DPL 0, limit 0xFFFF
inline constexpr uint16_t kTss16 = 0xB0;       // 16-bit TSS
inline constexpr uint16_t kAbsentTss = 0xB8;   // 32-bit TSS, not present
inline constexpr uint16_t kGateToSmallCode = 0xC0;  // JMP/CALL gate DPL 0 -> 0x08:0x2000

inline constexpr uint32_t kTssABase = 0x40000, kTssBBase = 0x41000, kTssDfBase = 0x42000, kTss16Base = 0x43000;
inline constexpr uint32_t kIdtBase = 0x38000;
inline constexpr uint32_t kStack0 = 0x70000;  // TSS A's ESP0
inline constexpr uint32_t kStack1 = 0x68000;  // TSS A's ESP1
inline constexpr uint32_t kStack3 = 0x60000;

// 32-bit TSS field offsets (SDM vol. 3 figure 7-2).
namespace tss {
inline constexpr uint32_t kLink = 0x00, kEsp0 = 0x04, kSs0 = 0x08, kEsp1 = 0x0C, kSs1 = 0x10, kCr3 = 0x1C,
                          kEip = 0x20, kEflags = 0x24, kEax = 0x28, kEcx = 0x2C, kEdx = 0x30, kEbx = 0x34,
                          kEsp = 0x38, kEbp = 0x3C, kEsi = 0x40, kEdi = 0x44, kEs = 0x48, kCs = 0x4C, kSs = 0x50,
                          kDs = 0x54, kFs = 0x58, kGs = 0x5C, kLdt = 0x60;
}  // namespace tss

struct FarCpu : InterpCpu {
  FarCpu() { protected_mode(); }

  void protected_mode() {
    flat32();
    set_gdt(0, 0);
    set_gdt(1, seg_desc(0, 0xFFFF, kCode0, 0x4));
    set_gdt(2, seg_desc(0, 0xFFFFF, kCode0 | 1, 0xC));
    set_gdt(3, seg_desc(0, 0xFFFFF, kData0 | 1, 0xC));
    set_gdt(4, seg_desc(0, 0xFFFFF, kCode3 | 1, 0xC));
    set_gdt(5, seg_desc(0, 0xFFFFF, kData3 | 1, 0xC));
    set_gdt(6, seg_desc(kTssABase, 0x67, kTss32Busy, 0));
    set_gdt(7, seg_desc(kTssBBase, 0x67, kTss32Avail, 0));
    set_gdt(8, gate_desc(kFlatCode0, 0x3000, kCallGate32 | dpl(3), 2));
    set_gdt(9, seg_desc(0, 0xFFFFF, kConforming0, 0xC));
    set_gdt(10, seg_desc(0, 0xFFFFF, kCode0 & 0x7F, 0xC));
    set_gdt(12, gate_desc(kTssB, 0, kTaskGate | dpl(3)));
    set_gdt(13, gate_desc(kFlatCode0, 0x3100, kCallGate16 | dpl(3), 1));
    set_gdt(14, seg_desc(0, 0xFFF, kData0 | 1, 0x4));
    set_gdt(15, seg_desc(kTssDfBase, 0x67, kTss32Avail, 0));
    set_gdt(16, gate_desc(kFlatCode0, 0x3000, kCallGate32 | dpl(0)));
    set_gdt(17, seg_desc(0, 0xFFFFF, kCode1 | 1, 0xC));
    set_gdt(18, seg_desc(0, 0xFFFFF, kData1 | 1, 0xC));
    set_gdt(19, seg_desc(kTssBBase, 0x40, kTss32Avail, 0));
    set_gdt(20, gate_desc(kFlatCode0, 0x3000, (kCallGate32 | dpl(3)) & 0x7F));
    set_gdt(21, seg_desc(0, 0xFFFF, kCode0 | 1, 0x0));
    set_gdt(22, seg_desc(kTss16Base, 0x2B, kTss16Avail, 0));
    set_gdt(23, seg_desc(kTssBBase, 0x67, kTss32Avail & 0x7F, 0));
    set_gdt(24, gate_desc(kSmallCode0, 0x2000, kCallGate32 | dpl(0)));
    s.tr = cache(kTssA);
    poke(kTssABase + tss::kEsp0, kStack0);
    poke(kTssABase + tss::kSs0, kFlatData0);
    poke(kTssABase + tss::kEsp1, kStack1);
    poke(kTssABase + tss::kSs1, kFlatData1);
    s.idtr = {kIdtBase, 256 * 8 - 1, 0};
  }

  uint64_t gdt(uint16_t sel) { return mem(kGdtBase + (sel & ~7u), 8); }
  uint8_t access_byte(uint16_t sel) { return static_cast<uint8_t>(mem(kGdtBase + (sel & ~7u) + 5, 1)); }
  SegmentCache cache(uint16_t sel) { return descriptor_to_cache(gdt(sel), sel); }
  void set_idt(unsigned vector, uint64_t gate) { poke(kIdtBase + 8 * vector, gate, 8); }

  // CPL 3 with flat DPL 3 segments everywhere.
  void user_mode(uint32_t esp = kStack3) {
    for (auto& sg : s.seg) sg = cache(kFlatData3);
    s.seg[kCs] = cache(kFlatCode3);
    s.cpl = 3;
    s.gpr[kRsp] = esp;
  }

  // Runs one instruction; a fault is delivered through the IDT as the engines do.
  void step_and_deliver() {
    try {
      step();
    } catch (const GuestFault& f) {
      deliver_exception(v, f);
    }
  }

  uint32_t stack(unsigned index) { return static_cast<uint32_t>(mem(s.seg[kSs].base + reg(kRsp) + 4 * index)); }
};

}  // namespace kasou::test::far
