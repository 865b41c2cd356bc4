// Descriptor checks of segment-register loads in protected mode (MOV Sreg: type,
// DPL/RPL/CPL, presence, system descriptors, the LDT, error codes, the accessed
// bit), and exception delivery: gate DPL for INT n but not for exceptions, the
// benign/contributory/page-fault table deciding between serial delivery and #DF,
// #DF through an interrupt gate, and a fault while delivering #DF (triple fault:
// the machine stops). Complements test_far_*.cpp (far transfers, task switches)
// and test_interp_data.cpp (null selectors). Expected values from the Intel SDM
// vol. 3: 5.5-5.8 (privilege checks), 6.12-6.15 (delivery, error codes, table
// 6-5 of double-fault conditions, interrupt 8) and vol. 2 (MOV, INT n).
#include "tests/unit/test_far_fixture.h"

using namespace kasou;
using namespace kasou::test;
using namespace kasou::test::far;

namespace {

constexpr uint16_t kAbsentData0 = 26 * 8;   // data DPL 0, not present
constexpr uint16_t kExecOnly0 = 27 * 8;     // code DPL 0, execute-only
constexpr uint16_t kReadOnly0 = 28 * 8;     // data DPL 0, read-only
constexpr uint16_t kLdtData = 0x0C;         // an LDT selector (index 1)

struct SegCpu : FarCpu {
  SegCpu() {
    set_gdt(26, seg_desc(0, 0xFFFFF, kData0 & 0x7F, 0xC));
    set_gdt(27, seg_desc(0, 0xFFFFF, 0x98, 0xC));
    set_gdt(28, seg_desc(0, 0xFFFFF, 0x90, 0xC));
  }
  // mov <sreg>, ax with AX = sel; returns the fault (vector 0xFF: none).
  GuestFault load(SegReg r, uint16_t sel) {
    set(kRax, sel);
    InterpCpu::load({0x8E, uint8_t(0xC0 | (r << 3))});
    try {
      step();
    } catch (const GuestFault& f) {
      CHECK(s.rip == kCodeAddr);
      return f;
    }
    return GuestFault{0xFF, false, 0};
  }
};

bool is(const GuestFault& f, uint8_t vector, uint32_t error) {
  return f.vector == vector && f.has_error_code && f.error_code == error;
}

}  // namespace

TEST_CASE("segments: data segment loads check DPL >= max(CPL, RPL), type and presence") {
  SegCpu c;
  CHECK(c.load(kDs, kFlatData0).vector == 0xFF);
  CHECK(is(c.load(kDs, kFlatData0 | 3), vec::GP, kFlatData0));  // RPL 3 > DPL 0
  CHECK(is(c.load(kEs, kAbsentData0), vec::NP, kAbsentData0));
  CHECK(is(c.load(kFs, kExecOnly0), vec::GP, kExecOnly0));
  CHECK(c.load(kGs, kFlatCode0).vector == 0xFF);  // readable code is fine in a data register
  CHECK(c.load(kGs, kReadOnly0).vector == 0xFF);
  CHECK(is(c.load(kDs, kTssB), vec::GP, kTssB));           // system descriptor
  CHECK(is(c.load(kDs, kGateToCode0), vec::GP, kGateToCode0 & 0xFFFC));
  CHECK(is(c.load(kDs, kLdtData), vec::GP, kLdtData));     // no LDT loaded: TI kept in the error code
  CHECK(is(c.load(kDs, 0x7FF8), vec::GP, 0x7FF8));         // beyond the GDT limit

  c.user_mode();
  CHECK(is(c.load(kDs, kFlatData0 | 3), vec::GP, kFlatData0));  // DPL 0 < CPL 3
  CHECK(c.load(kDs, kFlatData3).vector == 0xFF);
  CHECK(c.load(kEs, kConfCode0 | 3).vector == 0xFF);  // conforming readable code: no privilege check
}

TEST_CASE("segments: SS needs a writable data segment with RPL = DPL = CPL; absent is #SS") {
  SegCpu c;
  CHECK(c.load(kSs, kFlatData0).vector == 0xFF);
  CHECK(is(c.load(kSs, kFlatData0 | 1), vec::GP, kFlatData0));  // RPL != CPL
  CHECK(is(c.load(kSs, kFlatData3 & ~3), vec::GP, kFlatData3 & 0xFFFC));  // DPL != CPL
  CHECK(is(c.load(kSs, kReadOnly0), vec::GP, kReadOnly0));
  CHECK(is(c.load(kSs, kFlatCode0), vec::GP, kFlatCode0));
  CHECK(is(c.load(kSs, kAbsentData0), vec::SS, kAbsentData0));
}

TEST_CASE("segments: a load sets the accessed bit of the descriptor; the cache holds base, limit, attributes") {
  SegCpu c;
  c.set_gdt(29, seg_desc(0x123000, 0x45, kData0 & ~1, 0x4));  // accessed bit clear, byte granular
  CHECK((c.access_byte(29 * 8) & 1) == 0);
  CHECK(c.load(kDs, 29 * 8).vector == 0xFF);
  CHECK((c.access_byte(29 * 8) & 1) == 1);
  CHECK(c.s.seg[kDs].base == 0x123000);
  CHECK(c.s.seg[kDs].limit == 0x45);
  CHECK(c.s.seg[kDs].selector == 29 * 8);
}

namespace {
constexpr uint32_t kHandler = 0x6000;
uint64_t int_gate(uint32_t offset = kHandler, uint8_t dpl_bits = 0) {
  return gate_desc(kFlatCode0, offset, kIntGate32 | dpl_bits);
}
}  // namespace

TEST_CASE("delivery: INT n checks the gate DPL against CPL, an exception does not") {
  FarCpu c;
  c.set_idt(0x30, int_gate());
  c.set_idt(vec::UD, int_gate(0x6100));
  c.user_mode();
  c.load({0xCD, 0x30});  // int 0x30 at CPL 3 through a DPL 0 gate
  try {
    c.step();
    FAIL("no #GP");
  } catch (const GuestFault& f) {
    CHECK(is(f, vec::GP, 0x30 * 8 + 2));  // IDT bit, no EXT: a software interrupt
  }
  c.load({0x0F, 0x0B});  // ud2: delivered through the DPL 0 gate
  c.step_and_deliver();
  CHECK(c.s.rip == 0x6100);
  CHECK(c.s.cpl == 0);
}

TEST_CASE("delivery: benign then contributory is delivered serially; two contributory are a #DF (error 0)") {
  FarCpu c;
  c.set_idt(vec::DF, int_gate(0x6800));
  c.set_idt(vec::NP, int_gate(0x6B00));
  c.set_idt(vec::UD, int_gate() & ~(1ull << 47));  // not present
  c.load({0x0F, 0x0B});
  c.step_and_deliver();
  CHECK(c.s.rip == 0x6B00);  // #NP for #UD's gate
  CHECK(c.stack(0) == vec::UD * 8 + 2 + 1);  // IDT, EXT
  CHECK(c.stack(1) == kCodeAddr);

  FarCpu d;
  d.set_idt(vec::DF, int_gate(0x6800));
  d.set_idt(vec::GP, int_gate() & ~(1ull << 47));
  d.set_idt(vec::NP, int_gate(0x6B00));
  d.load({0x8E, 0xD8});  // mov ds, ax: #GP(0xFFF8), then #NP for #GP's gate
  d.set(kRax, 0xFFF8);
  d.step_and_deliver();
  CHECK(d.s.rip == 0x6800);
  CHECK(d.stack(0) == 0);  // #DF's error code
  CHECK(d.m.stop_reason() == StopReason::kNone);
}

TEST_CASE("delivery: #PF then #PF is a #DF; a contributory fault then #PF is delivered serially") {
  // The IDT straddles a page boundary: entries 0..13 on a page that is not
  // mapped, entries 14.. on a mapped one.
  FarCpu c;
  constexpr uint32_t kIdt = 0x3A000 - 14 * 8;
  c.identity_paging({0x39000});
  c.s.idtr = {kIdt, 256 * 8 - 1, 0};
  c.poke(kIdt + 14 * 8, int_gate(0x6E00), 8);
  c.load({0x8E, 0xD8});  // #GP; its gate read page-faults: #PF is delivered
  c.set(kRax, 0xFFF8);
  c.step_and_deliver();
  CHECK(c.s.rip == 0x6E00);
  CHECK(c.s.cr2 == kIdt + 13 * 8);
  CHECK(c.stack(0) == 0);  // not present, supervisor read

  FarCpu d;
  d.identity_paging({0x39000});
  d.s.idtr = {kIdt, 256 * 8 - 1, 0};
  d.poke(kIdt + 14 * 8, int_gate(0x6E00) & ~(1ull << 47), 8);  // #PF's gate absent; #DF's unmapped
  d.set(kRbx, 0x39000);
  d.load({0x8B, 0x03});  // mov eax, [ebx]: #PF, then #NP (#PF's gate), then #DF's gate page-faults
  d.step_and_deliver();
  CHECK(d.m.stop_reason() == StopReason::kTripleFault);
}

TEST_CASE("delivery: a fault while delivering #DF is a triple fault: the machine stops") {
  FarCpu c;
  c.set_idt(vec::GP, int_gate() & ~(1ull << 47));
  c.set_idt(vec::NP, int_gate() & ~(1ull << 47));
  c.set_idt(vec::DF, int_gate() & ~(1ull << 47));
  c.load({0x8E, 0xD8});
  c.set(kRax, 0xFFF8);
  c.step_and_deliver();
  CHECK(c.m.stop_reason() == StopReason::kTripleFault);
  CHECK(c.v.stats.triple_faults == 1);
  CHECK(c.m.stop_message().find("triple fault") != std::string::npos);
}
