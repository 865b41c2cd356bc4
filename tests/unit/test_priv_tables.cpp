// Privileged and system instructions, part 1: descriptor-table registers (LGDT
// LIDT SGDT SIDT LLDT SLDT LTR STR), the machine status word (SMSW LMSW CLTS) and
// the selector checks (LAR LSL VERR VERW ARPL). Expected values from the Intel
// SDM vol. 2 instruction pages.
#include "tests/unit/test_interp_fixture.h"

using namespace kasou;
using namespace kasou::test;

namespace {

// An 8-byte segment descriptor: 20-bit limit, access byte (P DPL S type), flags
// nibble (G D/B L AVL).
constexpr uint64_t desc(uint32_t base, uint32_t limit20, uint8_t access, uint8_t flags) {
  return (limit20 & 0xFFFFull) | (uint64_t(base & 0xFFFFFF) << 16) | (uint64_t(access) << 40) |
         (uint64_t((limit20 >> 16) & 0xF) << 48) | (uint64_t(flags & 0xF) << 52) | (uint64_t(base >> 24) << 56);
}

void expect_fault(InterpCpu& c, uint8_t vector, uint32_t error = 0, bool has_error = true) {
  const uint64_t rip = c.s.rip;
  GuestFault f = c.fault();
  CHECK(f.vector == vector);
  if (has_error) CHECK(f.error_code == error);
  CHECK(c.s.rip == rip);
}

void to_vm86(InterpCpu& c) {
  c.s.rflags |= flag::VM;
  c.s.cpl = 3;
}

constexpr uint32_t ZF = flag::ZF;

}  // namespace

TEST_CASE("priv: LGDT/LIDT load limit and 32-bit base; the 16-bit form keeps 24 bits of base") {
  InterpCpu c;
  c.poke(kDataAddr, 0x1234, 2);
  c.poke(kDataAddr + 2, 0x89ABCDEF, 4);
  c.set(kRax, kDataAddr);
  c.run({0x0F, 0x01, 0x10});  // lgdt [eax]
  CHECK(c.s.gdtr.base == 0x89ABCDEF);
  CHECK(c.s.gdtr.limit == 0x1234);
  CHECK(c.s.rip == kCodeAddr + 3);
  c.run({0x0F, 0x01, 0x18});  // lidt [eax]
  CHECK(c.s.idtr.base == 0x89ABCDEF);
  CHECK(c.s.idtr.limit == 0x1234);

  c.poke(kDataAddr + 2, 0x11223344, 4);
  c.run({0x66, 0x0F, 0x01, 0x10});  // lgdt with a 16-bit operand size
  CHECK(c.s.gdtr.base == 0x00223344);
  CHECK(c.s.gdtr.limit == 0x1234);
}

TEST_CASE("priv: LGDT/LIDT in real mode (16-bit default operand size), #GP(0) at CPL 3 and in VM86") {
  InterpCpu c;
  c.real_mode();
  c.poke(0x2000, 0x03FF, 2);
  c.poke(0x2002, 0xFF0F0000, 4);
  c.set(kRbx, 0x2000);
  c.run({0x0F, 0x01, 0x1F});  // lidt [bx]
  CHECK(c.s.idtr.base == 0x000F0000);
  CHECK(c.s.idtr.limit == 0x3FF);
  c.run({0x66, 0x0F, 0x01, 0x17});  // o32 lgdt [bx]
  CHECK(c.s.gdtr.base == 0xFF0F0000);

  InterpCpu p;
  p.set(kRax, kDataAddr);
  p.s.cpl = 3;
  p.load({0x0F, 0x01, 0x10});
  expect_fault(p, vec::GP, 0);
  p.load({0x0F, 0x01, 0x18});
  expect_fault(p, vec::GP, 0);
  CHECK(p.s.gdtr.base == 0);
  to_vm86(p);
  p.load({0x0F, 0x01, 0x18});
  expect_fault(p, vec::GP, 0);
}

TEST_CASE("priv: SGDT/SIDT store 6 bytes at any CPL; the 16-bit form stores a zero top byte") {
  InterpCpu c;
  c.s.gdtr = {0x89ABCDEF, 0x0123, 0};
  c.s.idtr = {0x00112233, 0x07FF, 0};
  c.poke(kDataAddr + 6, 0xAA, 1);
  c.set(kRax, kDataAddr);
  c.s.cpl = 3;  // not privileged on this CPU (no UMIP)
  c.run({0x0F, 0x01, 0x00});  // sgdt [eax]
  CHECK(c.mem(kDataAddr, 2) == 0x0123);
  CHECK(c.mem(kDataAddr + 2, 4) == 0x89ABCDEF);
  CHECK(c.mem(kDataAddr + 6, 1) == 0xAA);
  c.run({0x0F, 0x01, 0x08});  // sidt [eax]
  CHECK(c.mem(kDataAddr, 2) == 0x07FF);
  CHECK(c.mem(kDataAddr + 2, 4) == 0x00112233);
  c.run({0x66, 0x0F, 0x01, 0x00});  // sgdt, 16-bit operand size
  CHECK(c.mem(kDataAddr, 2) == 0x0123);
  CHECK(c.mem(kDataAddr + 2, 4) == 0x00ABCDEF);

  // The store is checked as a whole: 6 bytes past the segment limit fault before any write.
  c.s.cpl = 0;
  c.s.seg[kDs].limit = kDataAddr + 3;
  c.poke(kDataAddr, 0, 4);
  c.load({0x0F, 0x01, 0x00});
  expect_fault(c, vec::GP, 0);
  CHECK(c.mem(kDataAddr, 4) == 0);
}

TEST_CASE("priv: LLDT loads an LDT descriptor from the GDT; null selector; faults") {
  InterpCpu c;
  c.set_gdt(5, desc(0x40000, 0xFF, 0x82, 0x0));   // LDT, present
  c.set_gdt(6, desc(0x40000, 0xFF, 0x02, 0x0));   // LDT, not present
  c.set_gdt(7, kFlatData);
  c.set(kRax, 0x28);
  c.run({0x0F, 0x00, 0xD0});  // lldt ax
  CHECK(c.s.ldtr.selector == 0x28);
  CHECK(c.s.ldtr.base == 0x40000);
  CHECK(c.s.ldtr.limit == 0xFF);
  CHECK((c.s.ldtr.attr & 0x9F) == 0x82);

  c.poke(kDataAddr, 0x28, 2);
  c.set(kRax, kDataAddr);
  c.s.ldtr = SegmentCache{};
  c.run({0x0F, 0x00, 0x10});  // lldt [eax]
  CHECK(c.s.ldtr.base == 0x40000);

  c.set(kRax, 0);
  c.run({0x0F, 0x00, 0xD0});  // null selector: LDTR unusable, no fault
  CHECK(c.s.ldtr.selector == 0);
  CHECK(!(c.s.ldtr.attr & seg_attr::kPresent));

  c.load({0x0F, 0x00, 0xD0});
  c.set(kRax, 0x2C);  // TI = 1
  expect_fault(c, vec::GP, 0x2C);
  c.set(kRax, 0x38);  // a data segment
  expect_fault(c, vec::GP, 0x38);
  c.set(kRax, 0x33);  // not present (RPL is not part of the error code)
  expect_fault(c, vec::NP, 0x30);
  c.set(kRax, 0x100);  // past the GDT limit
  expect_fault(c, vec::GP, 0x100);
  CHECK(c.s.ldtr.selector == 0);

  c.set(kRax, 0x28);
  c.s.cpl = 3;
  expect_fault(c, vec::GP, 0);
  to_vm86(c);
  expect_fault(c, vec::UD, 0, false);
  InterpCpu r;
  r.real_mode();
  r.load({0x0F, 0x00, 0xD0});
  expect_fault(r, vec::UD, 0, false);
}

TEST_CASE("priv: LTR loads an available TSS and marks it busy; faults") {
  InterpCpu c;
  c.set_gdt(6, desc(0x50000, 0x67, 0x89, 0x0));   // 32-bit TSS, available
  c.set_gdt(7, desc(0x51000, 0x2B, 0x81, 0x0));   // 16-bit TSS, available
  c.set_gdt(8, desc(0x52000, 0x67, 0x8B, 0x0));   // 32-bit TSS, busy
  c.set_gdt(9, desc(0x53000, 0x67, 0x09, 0x0));   // not present
  c.set_gdt(10, desc(0x40000, 0xFF, 0x82, 0x0));  // LDT
  c.set(kRax, 0x30);
  c.run({0x0F, 0x00, 0xD8});  // ltr ax
  CHECK(c.s.tr.selector == 0x30);
  CHECK(c.s.tr.base == 0x50000);
  CHECK(c.s.tr.limit == 0x67);
  CHECK((c.s.tr.attr & 0x9F) == 0x8B);
  CHECK(c.mem(kGdtBase + 6 * 8 + 5, 1) == 0x8B);  // busy in the GDT

  c.set(kRax, 0x38);
  c.run({0x0F, 0x00, 0xD8});
  CHECK((c.s.tr.attr & 0x9F) == 0x83);
  CHECK(c.mem(kGdtBase + 7 * 8 + 5, 1) == 0x83);

  c.load({0x0F, 0x00, 0xD8});
  c.set(kRax, 0x30);  // now busy
  expect_fault(c, vec::GP, 0x30);
  c.set(kRax, 0x40);
  expect_fault(c, vec::GP, 0x40);
  c.set(kRax, 0x48);
  expect_fault(c, vec::NP, 0x48);
  c.set(kRax, 0x50);  // LDT descriptor
  expect_fault(c, vec::GP, 0x50);
  c.set(kRax, 0x3);  // null
  expect_fault(c, vec::GP, 0);
  c.set(kRax, 0x34);  // TI = 1
  expect_fault(c, vec::GP, 0x34);
  CHECK(c.s.tr.selector == 0x38);
  CHECK(c.mem(kGdtBase + 9 * 8 + 5, 1) == 0x09);

  c.set_gdt(6, desc(0x50000, 0x67, 0x89, 0x0));
  c.set(kRax, 0x30);
  c.s.cpl = 3;
  expect_fault(c, vec::GP, 0);
  CHECK(c.mem(kGdtBase + 6 * 8 + 5, 1) == 0x89);
  InterpCpu r;
  r.real_mode();
  r.load({0x0F, 0x00, 0xD8});
  expect_fault(r, vec::UD, 0, false);
}

TEST_CASE("priv: SLDT/STR store the selector (zero-extended into a 32-bit register), #UD in real mode and VM86") {
  InterpCpu c;
  c.s.ldtr.selector = 0x28;
  c.s.tr.selector = 0x30;
  c.s.cpl = 3;
  c.set(kRax, 0xFFFFFFFF);
  c.run({0x0F, 0x00, 0xC0});  // sldt eax
  CHECK(c.reg(kRax) == 0x28);
  c.run({0x0F, 0x00, 0xC8});  // str eax
  CHECK(c.reg(kRax) == 0x30);
  c.poke(kDataAddr, 0xFFFFFFFF);
  c.set(kRax, kDataAddr);
  c.run({0x0F, 0x00, 0x00});  // sldt [eax]: 16-bit store
  CHECK(c.mem(kDataAddr) == 0xFFFF0028);
  c.run({0x0F, 0x00, 0x08});  // str [eax]
  CHECK(c.mem(kDataAddr) == 0xFFFF0030);

  to_vm86(c);
  c.load({0x0F, 0x00, 0xC0});
  expect_fault(c, vec::UD, 0, false);
  InterpCpu r;
  r.real_mode();
  r.load({0x0F, 0x00, 0xC8});
  expect_fault(r, vec::UD, 0, false);
}

TEST_CASE("priv: SMSW at any privilege; LMSW loads PE/MP/EM/TS but cannot clear PE; CLTS") {
  InterpCpu c;
  c.s.cr0 = cr0::PE | cr0::ET | cr0::NE | cr0::WP | cr0::TS;
  c.s.cpl = 3;
  c.set(kRax, 0xFFFFFFFF);
  c.run({0x66, 0x0F, 0x01, 0xE0});  // smsw ax
  CHECK(c.reg(kRax) == 0xFFFF0039);
  c.run({0x0F, 0x01, 0xE0});  // smsw eax: all of CR0
  CHECK(c.reg(kRax) == 0x00010039);
  c.poke(kDataAddr, 0xFFFFFFFF);
  c.set(kRbx, kDataAddr);
  c.run({0x0F, 0x01, 0x23});  // smsw [ebx]
  CHECK(c.mem(kDataAddr) == 0xFFFF0039);

  c.load({0x0F, 0x01, 0xF0});  // lmsw ax
  expect_fault(c, vec::GP, 0);
  c.load({0x0F, 0x06});  // clts
  expect_fault(c, vec::GP, 0);
  c.s.cpl = 0;
  c.set(kRax, 0xFFF0);  // clears MP EM TS, tries to clear PE; upper bits ignored
  c.run({0x0F, 0x01, 0xF0});
  CHECK(c.s.cr0 == (cr0::PE | cr0::ET | cr0::NE | cr0::WP));
  c.set(kRax, 0x000E);
  c.run({0x0F, 0x01, 0xF0});
  CHECK(c.s.cr0 == (cr0::PE | cr0::MP | cr0::EM | cr0::TS | cr0::ET | cr0::NE | cr0::WP));
  c.run({0x0F, 0x06});
  CHECK(c.s.cr0 == (cr0::PE | cr0::MP | cr0::EM | cr0::ET | cr0::NE | cr0::WP));
  to_vm86(c);
  c.load({0x0F, 0x06});
  expect_fault(c, vec::GP, 0);

  InterpCpu r;
  r.real_mode();
  r.s.cr0 |= cr0::TS;
  r.set(kRax, 0x0001);
  r.run({0x0F, 0x01, 0xF0});  // lmsw ax: enters protected mode
  CHECK((r.s.cr0 & (cr0::PE | cr0::TS)) == cr0::PE);
  r.real_mode();
  r.s.cr0 |= cr0::TS;
  r.run({0x0F, 0x06});  // clts works in real mode
  CHECK(!(r.s.cr0 & cr0::TS));
}

namespace {

// The GDT of the LAR/LSL/VERR/VERW tests.
struct SelectorTable {
  static constexpr uint64_t kCode0 = desc(0, 0xFFFFF, 0x9A, 0xC);   // 0x08 readable code, DPL 0
  static constexpr uint64_t kData0 = desc(0, 0xFFFFF, 0x92, 0xC);   // 0x10 writable data, DPL 0
  static constexpr uint64_t kRoData3 = desc(0x1000, 0x12345, 0xF0, 0x4);  // 0x18 read-only data, DPL 3, byte limit
  static constexpr uint64_t kConfX = desc(0, 0xFFFFF, 0x9C, 0xC);   // 0x20 conforming execute-only code, DPL 0
  static constexpr uint64_t kConfR = desc(0, 0xFFFFF, 0x9E, 0xC);   // 0x28 conforming readable code, DPL 0
  static constexpr uint64_t kTss = desc(0x50000, 0x67, 0x89, 0x0);  // 0x30 32-bit TSS
  static constexpr uint64_t kIntGate = 0x00008E0000080000ull;       // 0x38 interrupt gate (invalid for all four)
  static constexpr uint64_t kCallGate = 0x0000EC0000080000ull;      // 0x40 32-bit call gate, DPL 3
  static constexpr uint64_t kLdt = desc(0x40000, 0xFF, 0x82, 0x0);  // 0x48 LDT
  static constexpr uint64_t kAbsent = desc(0, 0xFFFF, 0x12, 0x4);   // 0x50 writable data, not present, DPL 0
  static constexpr uint64_t kCode3 = desc(0, 0xFFFFF, 0xFA, 0xC);   // 0x58 readable code, DPL 3

  static void install(InterpCpu& c) {
    c.set_gdt(1, kCode0);
    c.set_gdt(2, kData0);
    c.set_gdt(3, kRoData3);
    c.set_gdt(4, kConfX);
    c.set_gdt(5, kConfR);
    c.set_gdt(6, kTss);
    c.set_gdt(7, kIntGate);
    c.set_gdt(8, kCallGate);
    c.set_gdt(9, kLdt);
    c.set_gdt(10, kAbsent);
    c.set_gdt(11, kCode3);
    c.s.gdtr.limit = 12 * 8 - 1;
  }
};

// Runs `code` with BX = selector and EAX = `eax`; returns whether ZF was set.
bool run_sel(InterpCpu& c, std::initializer_list<uint8_t> code, uint16_t sel, uint32_t eax = 0xDEADBEEF) {
  c.set(kRbx, sel);
  c.set(kRax, eax);
  c.set_arith(flag::CF);
  c.run(code);
  CHECK((c.arith() & ~ZF) == flag::CF);  // only ZF changes
  return c.has(ZF);
}

constexpr std::initializer_list<uint8_t> kLar32 = {0x0F, 0x02, 0xC3};        // lar eax, ebx
constexpr std::initializer_list<uint8_t> kLar16 = {0x66, 0x0F, 0x02, 0xC3};  // lar ax, bx
constexpr std::initializer_list<uint8_t> kLsl32 = {0x0F, 0x03, 0xC3};        // lsl eax, ebx
constexpr std::initializer_list<uint8_t> kLsl16 = {0x66, 0x0F, 0x03, 0xC3};  // lsl ax, bx
constexpr std::initializer_list<uint8_t> kVerr = {0x0F, 0x00, 0xE3};         // verr bx
constexpr std::initializer_list<uint8_t> kVerw = {0x0F, 0x00, 0xEB};         // verw bx

}  // namespace

TEST_CASE("priv: LAR returns the access rights masked by 00FxFF00H (limit 19:16 kept) or FF00H") {
  InterpCpu c;
  SelectorTable::install(c);
  CHECK(run_sel(c, kLar32, 0x08));
  CHECK(c.reg(kRax) == 0x00CF9A00);
  CHECK(run_sel(c, kLar32, 0x18));
  CHECK(c.reg(kRax) == 0x0041F000);
  CHECK(run_sel(c, kLar16, 0x08));
  CHECK(c.reg(kRax) == 0xDEAD9A00);
  CHECK(run_sel(c, kLar32, 0x30));  // TSS
  CHECK(c.reg(kRax) == 0x00008900);
  CHECK(run_sel(c, kLar32, 0x40));  // call gate
  CHECK(c.reg(kRax) == 0x0000EC00);
  CHECK(run_sel(c, kLar32, 0x48));  // LDT
  CHECK(run_sel(c, kLar32, 0x50));  // not present: still valid
  CHECK(c.reg(kRax) == 0x00401200);

  // Invalid: interrupt gate, null selector, past the GDT limit, LDT selector without an LDT.
  CHECK_FALSE(run_sel(c, kLar32, 0x38));
  CHECK(c.reg(kRax) == 0xDEADBEEF);
  CHECK_FALSE(run_sel(c, kLar32, 0x00));
  CHECK_FALSE(run_sel(c, kLar32, 0x03));
  CHECK_FALSE(run_sel(c, kLar32, 0x60));
  c.s.ldtr = SegmentCache{0, 0, 0, 0};
  CHECK_FALSE(run_sel(c, kLar32, 0x0C));
  // With an LDT: selector 0x0C reads LDT entry 1.
  c.s.ldtr = SegmentCache{0x40000, 0xFF, 0x48, 0x82};
  c.poke(0x40008, SelectorTable::kData0, 8);
  CHECK(run_sel(c, kLar32, 0x0C));
  CHECK(c.reg(kRax) == 0x00CF9200);

  // Privilege: DPL >= CPL and DPL >= RPL, except conforming code.
  CHECK_FALSE(run_sel(c, kLar32, 0x0B));  // RPL 3 > DPL 0
  CHECK(run_sel(c, kLar32, 0x2B));        // conforming
  c.s.cpl = 3;
  CHECK_FALSE(run_sel(c, kLar32, 0x08));
  CHECK_FALSE(run_sel(c, kLar32, 0x30));  // TSS DPL 0
  CHECK(run_sel(c, kLar32, 0x1B));
  CHECK(run_sel(c, kLar32, 0x23));        // conforming execute-only: LAR accepts it
  CHECK(run_sel(c, kLar32, 0x43));
}

TEST_CASE("priv: LSL returns the byte-granular limit; system types with a limit only") {
  InterpCpu c;
  SelectorTable::install(c);
  CHECK(run_sel(c, kLsl32, 0x08));
  CHECK(c.reg(kRax) == 0xFFFFFFFF);
  CHECK(run_sel(c, kLsl32, 0x18));
  CHECK(c.reg(kRax) == 0x12345);
  CHECK(run_sel(c, kLsl16, 0x18));
  CHECK(c.reg(kRax) == 0xDEAD2345);
  CHECK(run_sel(c, kLsl32, 0x30));
  CHECK(c.reg(kRax) == 0x67);
  CHECK(run_sel(c, kLsl32, 0x48));
  CHECK(c.reg(kRax) == 0xFF);
  CHECK_FALSE(run_sel(c, kLsl32, 0x40));  // call gate: no limit
  CHECK(c.reg(kRax) == 0xDEADBEEF);
  CHECK_FALSE(run_sel(c, kLsl32, 0x38));
  CHECK_FALSE(run_sel(c, kLsl32, 0x00));
  c.s.cpl = 3;
  CHECK_FALSE(run_sel(c, kLsl32, 0x10));
  CHECK(run_sel(c, kLsl32, 0x2B));
  CHECK(c.reg(kRax) == 0xFFFFFFFF);
}

TEST_CASE("priv: VERR and VERW") {
  InterpCpu c;
  SelectorTable::install(c);
  CHECK(run_sel(c, kVerr, 0x08));         // readable code
  CHECK(run_sel(c, kVerr, 0x10));
  CHECK(run_sel(c, kVerr, 0x18));
  CHECK_FALSE(run_sel(c, kVerr, 0x20));   // execute-only
  CHECK(run_sel(c, kVerr, 0x28));
  CHECK_FALSE(run_sel(c, kVerr, 0x30));   // system
  CHECK_FALSE(run_sel(c, kVerr, 0x00));
  CHECK_FALSE(run_sel(c, kVerr, 0x60));
  CHECK(run_sel(c, kVerw, 0x10));
  CHECK_FALSE(run_sel(c, kVerw, 0x18));   // read-only data
  CHECK_FALSE(run_sel(c, kVerw, 0x08));   // code is never writable
  CHECK(run_sel(c, kVerw, 0x50));         // P is not checked
  CHECK_FALSE(run_sel(c, kVerw, 0x13));   // RPL 3 > DPL 0
  c.s.cpl = 3;
  CHECK_FALSE(run_sel(c, kVerr, 0x08));
  CHECK(run_sel(c, kVerr, 0x2B));         // conforming readable: any privilege
  CHECK(run_sel(c, kVerr, 0x5B));
  CHECK(run_sel(c, kVerr, 0x1B));
  CHECK_FALSE(run_sel(c, kVerw, 0x10));
  CHECK_FALSE(run_sel(c, kVerw, 0x1B));

  c.poke(kDataAddr, 0x10, 2);
  c.set(kRax, kDataAddr);
  c.s.cpl = 0;
  c.run({0x0F, 0x00, 0x28});  // verw [eax]
  CHECK(c.has(ZF));
}

TEST_CASE("priv: LAR LSL VERR VERW raise #UD in real mode and VM86") {
  for (auto code : {kLar32, kLsl32, kVerr, kVerw}) {
    InterpCpu r;
    r.real_mode();
    r.load(code);
    expect_fault(r, vec::UD, 0, false);
    InterpCpu v;
    SelectorTable::install(v);
    to_vm86(v);
    v.load(code);
    expect_fault(v, vec::UD, 0, false);
  }
}

TEST_CASE("priv: ARPL raises the RPL and sets ZF; #UD in real mode and VM86") {
  InterpCpu c;
  c.s.cpl = 3;
  c.set(kRax, 0xABCD0008);
  c.set(kRbx, 0x0003);
  c.run({0x63, 0xD8});  // arpl ax, bx
  CHECK(c.reg(kRax) == 0xABCD000B);
  CHECK(c.has(ZF));
  c.run({0x63, 0xD8});
  CHECK(c.reg(kRax) == 0xABCD000B);
  CHECK(!c.has(ZF));
  c.set(kRbx, 0x0001);
  c.run({0x63, 0xD8});  // RPL 3 > 1: unchanged
  CHECK(c.reg(kRax) == 0xABCD000B);
  CHECK(!c.has(ZF));

  c.poke(kDataAddr, 0x12340010);
  c.set(kRax, kDataAddr);
  c.set(kRbx, 0x0002);
  c.run({0x63, 0x18});  // arpl [eax], bx
  CHECK(c.mem(kDataAddr) == 0x12340012);
  CHECK(c.has(ZF));

  to_vm86(c);
  c.load({0x63, 0xD8});
  expect_fault(c, vec::UD, 0, false);
  InterpCpu r;
  r.real_mode();
  r.load({0x63, 0xD8});
  expect_fault(r, vec::UD, 0, false);
}
