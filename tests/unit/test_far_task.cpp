// Hardware task switching: JMP to a TSS, CALL through a task gate and IRET back
// (busy bits, NT, back link), 16-bit TSSs, CR3 and LDTR reloads, VM86 tasks,
// interrupts and exceptions through IDT task gates (Linux i386's #DF task), and the
// faults before the commit point (old task untouched) and after it (new task).
// Expected values from the SDM vol. 3 chapter 7 (7.3, table 7-2) and table 6-6.
#include "core/debug.h"
#include "tests/unit/test_far_fixture.h"

using namespace kasou;
using namespace kasou::test;
using namespace kasou::test::far;

namespace {

constexpr uint16_t kLdtSel = 0xC8;  // GDT slot 25: an LDT at kLdtBase
constexpr uint32_t kLdtBase = 0x44000;
constexpr uint32_t kTaskBStack = 0x61000;
constexpr uint32_t kCurrentFlags = flag::kFixed1 | flag::ZF | flag::PF;

struct TaskCpu : FarCpu {
  TaskCpu() {
    set_gdt(25, seg_desc(kLdtBase, 0x17, 0x82, 0));
    poke(kLdtBase + 8, seg_desc(0x100000, 0xFFFF, kData3 | 1, 0x4), 8);
    // The current task's registers.
    for (int i = 0; i < 8; i++)
      if (i != kRsp) set(Gpr(i), 0xA0000000u + i);
    s.rflags = kCurrentFlags;
    poke(kTssABase + tss::kEip, 0xDEAD);
    // Task B: CPL 3 flat.
    task32(kTssBBase, 0x5000, flag::kFixed1 | flag::IF | flag::CF, kTaskBStack, kFlatCode3, kFlatData3, kFlatData3);
    poke(kTssBBase + tss::kLink, 0x1234);
  }

  void task32(uint32_t base, uint32_t eip, uint32_t eflags, uint32_t esp, uint16_t cs, uint16_t ss, uint16_t ds,
              uint16_t ldt = 0, uint32_t cr3 = 0) {
    poke(base + tss::kCr3, cr3);
    poke(base + tss::kEip, eip);
    poke(base + tss::kEflags, eflags);
    for (unsigned i = 0; i < 8; i++) poke(base + tss::kEax + 4 * i, i == kRsp ? esp : 0xB0000000u + i);
    poke(base + tss::kEs, ds);
    poke(base + tss::kCs, cs);
    poke(base + tss::kSs, ss);
    poke(base + tss::kDs, ds);
    poke(base + tss::kFs, ds);
    poke(base + tss::kGs, ds);
    poke(base + tss::kLdt, ldt);
  }

  uint32_t tss_a(uint32_t field) { return static_cast<uint32_t>(mem(kTssABase + field)); }
  uint32_t tss_b(uint32_t field) { return static_cast<uint32_t>(mem(kTssBBase + field)); }

  void check_still_task_a() {
    CHECK(s.tr.selector == kTssA);
    CHECK(access_byte(kTssA) == kTss32Busy);
    CHECK(access_byte(kTssB) == kTss32Avail);
    CHECK(tss_a(tss::kEip) == 0xDEAD);
    CHECK(s.seg[kCs].selector == kFlatCode0);
    CHECK(s.rip == kCodeAddr);
    CHECK(reg(kRax) == 0xA0000000u);
    CHECK(s.eflags() == kCurrentFlags);
    CHECK((s.cr0 & cr0::TS) == 0);
  }
};

void far_branch(TaskCpu& c, uint8_t opcode, uint16_t sel) {
  c.load({opcode, 0, 0, 0, 0, uint8_t(sel), uint8_t(sel >> 8)});
}

}  // namespace

TEST_CASE("task switch: JMP to an available TSS saves the old task and loads the new one") {
  TaskCpu c;
  c.run({0xEA, 0x00, 0x00, 0x00, 0x00, 0x38, 0x00});  // jmp 0x38:0
  // Busy bits: old cleared, new set; TR loaded; CR0.TS set; no link, no NT.
  CHECK(c.s.tr.selector == kTssB);
  CHECK(c.s.tr.base == kTssBBase);
  CHECK(c.access_byte(kTssA) == kTss32Avail);
  CHECK(c.access_byte(kTssB) == kTss32Busy);
  CHECK((c.s.cr0 & cr0::TS) != 0);
  CHECK(c.tss_b(tss::kLink) == 0x1234);
  // The old task's dynamic state.
  CHECK(c.tss_a(tss::kEip) == kCodeAddr + 7);
  CHECK(c.tss_a(tss::kEflags) == kCurrentFlags);
  CHECK(c.tss_a(tss::kEax) == 0xA0000000u);
  CHECK(c.tss_a(tss::kEdi) == 0xA0000007u);
  CHECK(c.tss_a(tss::kEsp) == kStackTop);
  CHECK(c.mem(kTssABase + tss::kCs, 2) == kFlatCode0);
  CHECK(c.mem(kTssABase + tss::kSs, 2) == kFlatData0);
  CHECK(c.mem(kTssABase + tss::kGs, 2) == kFlatData0);
  // The new task.
  CHECK(c.s.rip == 0x5000);
  CHECK(c.s.eflags() == (flag::kFixed1 | flag::IF | flag::CF));
  CHECK(c.s.cpl == 3);
  CHECK(c.s.seg[kCs].selector == kFlatCode3);
  CHECK(c.s.seg[kCs].limit == 0xFFFFFFFFu);
  CHECK(c.s.seg[kSs].selector == kFlatData3);
  CHECK(c.s.seg[kDs].selector == kFlatData3);
  CHECK((c.s.seg[kDs].attr & seg_attr::kPresent) != 0);
  CHECK(c.reg(kRax) == 0xB0000000u);
  CHECK(c.reg(kRsp) == kTaskBStack);
  CHECK(c.reg(kRdi) == 0xB0000007u);
  CHECK(c.s.ldtr.selector == 0);
}

TEST_CASE("task switch: CALL through a task gate nests (link, NT, busy), IRET returns") {
  TaskCpu c;
  c.run({0x9A, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00});  // call 0x60:0 (task gate -> TSS B)
  CHECK(c.s.tr.selector == kTssB);
  CHECK(c.tss_b(tss::kLink) == kTssA);
  CHECK(c.has(flag::NT));
  CHECK(c.access_byte(kTssA) == kTss32Busy);  // the caller stays busy
  CHECK(c.access_byte(kTssB) == kTss32Busy);
  CHECK(c.tss_a(tss::kEip) == kCodeAddr + 7);
  CHECK(c.s.rip == 0x5000);
  CHECK(c.s.cpl == 3);

  c.load({0xCF}, 0x5000);  // iretd in task B (CPL 3, NT = 1): task return
  c.step();
  CHECK(c.s.tr.selector == kTssA);
  CHECK(c.access_byte(kTssB) == kTss32Avail);  // the abandoned task is no longer busy
  CHECK(c.access_byte(kTssA) == kTss32Busy);
  CHECK(c.tss_b(tss::kEip) == 0x5001);
  CHECK(c.tss_b(tss::kEflags) == (flag::kFixed1 | flag::IF | flag::CF));  // NT cleared in its image
  CHECK(c.s.rip == kCodeAddr + 7);
  CHECK(c.s.eflags() == kCurrentFlags);
  CHECK(c.s.cpl == 0);
  CHECK(c.s.seg[kCs].selector == kFlatCode0);
  CHECK(c.reg(kRax) == 0xA0000000u);
  CHECK(c.reg(kRsp) == kStackTop);
}

TEST_CASE("task switch: the #DF task gate (Linux i386): error code on the new stack, then triple fault") {
  TaskCpu c;
  c.set_idt(vec::DF, gate_desc(kTssDf, 0, kTaskGate));
  c.set_idt(vec::GP, gate_desc(kFlatCode0, 0x4000, kIntGate32 & 0x7F));  // not present
  c.task32(kTssDfBase, 0x6000, flag::kFixed1, 0x50000, kFlatCode0, kFlatData0, kFlatData0);
  c.poke(kTssDfBase + tss::kFs, 0);
  c.load({0xEA, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});  // jmp 0:0 -> #GP(0) -> #NP -> #DF
  c.step_and_deliver();
  CHECK(c.m.stop_reason() == StopReason::kNone);
  CHECK(c.s.tr.selector == kTssDf);
  CHECK(c.s.rip == 0x6000);
  CHECK(c.s.cpl == 0);
  CHECK(c.reg(kRsp) == 0x50000 - 4);
  CHECK(c.mem(0x50000 - 4) == 0);  // #DF's error code
  CHECK(c.mem(kTssDfBase + tss::kLink, 2) == kTssA);
  CHECK(c.has(flag::NT));
  CHECK(c.access_byte(kTssDf) == kTss32Busy);
  CHECK(c.access_byte(kTssA) == kTss32Busy);
  CHECK(c.tss_a(tss::kEip) == kCodeAddr);  // the faulting instruction
  CHECK(c.tss_a(tss::kEax) == 0xA0000000u);
  CHECK(c.s.seg[kFs].selector == 0);
  CHECK((c.s.cr0 & cr0::TS) != 0);

  // A second double fault finds the #DF task busy: #GP while delivering #DF.
  c.load({0xEA, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, 0x6000);
  c.step_and_deliver();
  CHECK(c.m.stop_reason() == StopReason::kTripleFault);
}

TEST_CASE("task switch: an exception with an error code through a task gate pushes it on the new task's stack") {
  TaskCpu c;
  c.set_idt(vec::GP, gate_desc(kTssB, 0, kTaskGate));
  c.load({0xEA, 0x00, 0x00, 0x00, 0x00, 0x18, 0x00});  // jmp 0x18:0 (data segment): #GP(0x18)
  c.step_and_deliver();
  CHECK(c.s.tr.selector == kTssB);
  CHECK(c.s.rip == 0x5000);
  CHECK(c.reg(kRsp) == kTaskBStack - 4);
  CHECK(c.mem(kTaskBStack - 4) == kFlatData0);
  CHECK(c.tss_b(tss::kLink) == kTssA);
  CHECK(c.tss_a(tss::kEip) == kCodeAddr);
}

TEST_CASE("task switch: INT n through a task gate (DPL checked), no error code") {
  TaskCpu c;
  c.set_idt(0x81, gate_desc(kTssB, 0, kTaskGate | dpl(3)));
  c.run({0xCD, 0x81});
  CHECK(c.s.tr.selector == kTssB);
  CHECK(c.tss_a(tss::kEip) == kCodeAddr + 2);
  CHECK(c.reg(kRsp) == kTaskBStack);
  CHECK(c.has(flag::NT));
  CHECK(c.tss_b(tss::kLink) == kTssA);

  TaskCpu d;
  d.set_idt(0x82, gate_desc(kTssB, 0, kTaskGate));
  d.user_mode();
  d.load({0xCD, 0x82});
  const GuestFault f = d.fault();
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == 0x82 * 8 + 2);
  CHECK(d.s.tr.selector == kTssA);
  CHECK(d.s.rip == kCodeAddr);
}

TEST_CASE("task switch: a fault after the commit of an INT n task switch is delivered in the new task") {
  TaskCpu c;
  c.set_idt(0x81, gate_desc(kTssB, 0, kTaskGate | dpl(3)));
  c.set_idt(vec::NP, gate_desc(kFlatCode0, 0x4000, kIntGate32));
  c.task32(kTssBBase, 0x5000, flag::kFixed1, kTaskBStack, kFlatCode0, kFlatData0, kAbsentCode0);
  c.run({0xCD, 0x81});  // no fault escapes: #NP(0x50) goes to its handler in task B
  CHECK(c.s.tr.selector == kTssB);
  CHECK(c.tss_a(tss::kEip) == kCodeAddr + 2);
  CHECK(c.s.rip == 0x4000);
  CHECK(c.reg(kRsp) == kTaskBStack - 16);
  CHECK(c.stack(0) == kAbsentCode0);  // error code
  CHECK(c.stack(1) == 0x5000);        // task B's first instruction
  CHECK(c.stack(2) == kFlatCode0);
}

TEST_CASE("task switch: faults before the commit point leave the old task untouched") {
  auto expect = [](TaskCpu& c, uint8_t vector, uint32_t error) {
    const GuestFault f = c.fault();
    CHECK(f.vector == vector);
    CHECK(f.error_code == error);
  };
  {
    TaskCpu c;  // JMP to the busy current TSS
    far_branch(c, 0xEA, kTssA);
    expect(c, vec::GP, kTssA);
    c.check_still_task_a();
  }
  {
    TaskCpu c;  // TSS not present
    far_branch(c, 0xEA, kAbsentTss);
    expect(c, vec::NP, kAbsentTss);
    c.check_still_task_a();
  }
  {
    TaskCpu c;  // TSS limit below 0x67
    far_branch(c, 0x9A, kTssShort);
    expect(c, vec::TS, kTssShort);
    c.check_still_task_a();
    CHECK(c.access_byte(kTssShort) == kTss32Avail);
    CHECK(c.reg(kRsp) == kStackTop);
  }
  {
    TaskCpu c;  // TSS DPL 0 from CPL 3
    c.user_mode();
    far_branch(c, 0xEA, kTssB | 3);
    expect(c, vec::GP, kTssB);
    CHECK(c.s.tr.selector == kTssA);
    CHECK(c.access_byte(kTssB) == kTss32Avail);
  }
  {
    TaskCpu c;  // a task gate to a busy TSS
    c.set_gdt(12, gate_desc(kTssA, 0, kTaskGate | dpl(3)));
    far_branch(c, 0x9A, kTaskGateB);
    expect(c, vec::GP, kTssA);
    c.check_still_task_a();
  }
  {
    TaskCpu c;  // IRET with NT whose back link is not a busy TSS, has TI set, or is null
    c.s.rflags = kCurrentFlags | flag::NT;
    c.poke(kTssABase + tss::kLink, kTssB);
    c.load({0xCF});
    expect(c, vec::TS, kTssB);
    c.poke(kTssABase + tss::kLink, kTssB | 4);
    expect(c, vec::TS, kTssB | 4);
    c.poke(kTssABase + tss::kLink, 0);
    expect(c, vec::TS, 0);
    CHECK(c.s.tr.selector == kTssA);
    CHECK(c.tss_a(tss::kEip) == 0xDEAD);
  }
}

TEST_CASE("task switch: faults after the commit point are taken in the new task") {
  {
    TaskCpu c;  // CS of the new task is a data segment
    c.poke(kTssBBase + tss::kCs, kFlatData0);
    far_branch(c, 0xEA, kTssB);
    const GuestFault f = c.fault();
    CHECK(f.vector == vec::TS);
    CHECK(f.error_code == kFlatData0);
    CHECK(c.s.tr.selector == kTssB);
    CHECK(c.access_byte(kTssA) == kTss32Avail);
    CHECK(c.tss_a(tss::kEip) == kCodeAddr + 7);
    CHECK(c.s.rip == 0x5000);
    CHECK(c.s.seg[kCs].selector == kFlatData0);
    CHECK(c.reg(kRax) == 0xB0000000u);
  }
  {
    TaskCpu c;  // SS RPL differs from CS RPL
    c.poke(kTssBBase + tss::kCs, kFlatCode0);
    far_branch(c, 0xEA, kTssB);
    const GuestFault f = c.fault();
    CHECK(f.vector == vec::TS);
    CHECK(f.error_code == (kFlatData3 & ~3));
  }
  {
    TaskCpu c;  // a data segment register names a non-present segment
    c.poke(kTssBBase + tss::kCs, kFlatCode0);
    c.poke(kTssBBase + tss::kSs, kFlatData0);
    c.poke(kTssBBase + tss::kDs, kAbsentCode0);
    far_branch(c, 0xEA, kTssB);
    const GuestFault f = c.fault();
    CHECK(f.vector == vec::NP);
    CHECK(f.error_code == kAbsentCode0);
    CHECK(c.s.seg[kSs].selector == kFlatData0);
  }
  {
    TaskCpu c;  // the LDT selector names a TSS
    c.poke(kTssBBase + tss::kLdt, kTssShort);
    far_branch(c, 0xEA, kTssB);
    const GuestFault f = c.fault();
    CHECK(f.vector == vec::TS);
    CHECK(f.error_code == kTssShort);
    CHECK(c.s.tr.selector == kTssB);
  }
  {
    TaskCpu c;  // EIP past the new CS limit: #GP(0) in the new task
    c.poke(kTssBBase + tss::kCs, kSmallCode0);
    c.poke(kTssBBase + tss::kSs, kFlatData0);
    c.poke(kTssBBase + tss::kEip, 0x10000);
    far_branch(c, 0xEA, kTssB);
    const GuestFault f = c.fault();
    CHECK(f.vector == vec::GP);
    CHECK(f.error_code == 0);
    CHECK(c.s.tr.selector == kTssB);
    CHECK(c.s.rip == 0x10000);
  }
}

TEST_CASE("task switch: LDTR is loaded from the new TSS and segments resolve through it") {
  TaskCpu c;
  c.poke(kTssBBase + tss::kLdt, kLdtSel);
  c.poke(kTssBBase + tss::kDs, 0x0F);  // LDT index 1, RPL 3
  far_branch(c, 0xEA, kTssB);
  c.step();
  CHECK(c.s.ldtr.selector == kLdtSel);
  CHECK(c.s.ldtr.base == kLdtBase);
  CHECK(c.s.ldtr.limit == 0x17);
  CHECK(c.s.seg[kDs].selector == 0x0F);
  CHECK(c.s.seg[kDs].base == 0x100000);
  CHECK(c.s.seg[kDs].limit == 0xFFFF);
}

TEST_CASE("task switch: 16-bit TSS in both directions") {
  TaskCpu c;
  constexpr uint32_t b = kTss16Base;
  c.poke(b + 0x0E, 0x0300, 2);  // IP
  c.poke(b + 0x10, flag::kFixed1 | flag::CF, 2);
  for (unsigned i = 0; i < 8; i++) c.poke(b + 0x12 + 2 * i, i == kRsp ? 0x7000 : 0x1111 * (i + 1), 2);
  c.poke(b + 0x22, kFlatData0, 2);  // ES
  c.poke(b + 0x24, kCode16, 2);     // CS
  c.poke(b + 0x26, kFlatData0, 2);  // SS
  c.poke(b + 0x28, kFlatData0, 2);  // DS
  c.poke(b + 0x2A, 0, 2);           // LDT
  far_branch(c, 0xEA, kTss16);
  c.step();
  CHECK(c.s.tr.selector == kTss16);
  CHECK(c.s.rip == 0x300);
  CHECK(c.s.seg[kCs].selector == kCode16);
  CHECK((c.s.seg[kCs].attr & seg_attr::kDb) == 0);
  CHECK((c.reg(kRax) & 0xFFFF) == 0x1111);
  CHECK((c.reg(kRsp) & 0xFFFF) == 0x7000);
  CHECK(c.s.seg[kFs].selector == 0);
  CHECK(c.s.seg[kGs].selector == 0);
  CHECK((c.s.eflags() & 0xFFFF) == (flag::kFixed1 | flag::CF));
  CHECK(c.access_byte(kTss16) == (kTss16Avail | 2));

  // Back to task A from 16-bit code: the 16-bit TSS receives IP, FLAGS, AX...
  c.set(kRax, 0x4242);
  c.load({0xEA, 0x00, 0x00, 0x30, 0x00}, 0x300);  // jmp 0x30:0000 (ptr16:16)
  c.poke(kGdtBase + (kTssA & ~7) + 5, kTss32Avail, 1);  // A was released by the first JMP
  c.step();
  CHECK(c.s.tr.selector == kTssA);
  CHECK(c.mem(b + 0x0E, 2) == 0x305);
  CHECK(c.mem(b + 0x12, 2) == 0x4242);
  CHECK(c.mem(b + 0x24, 2) == kCode16);
  CHECK(c.access_byte(kTss16) == kTss16Avail);
  CHECK(c.s.rip == kCodeAddr + 7);
  CHECK(c.reg(kRax) == 0xA0000000u);
}

TEST_CASE("task switch: CR3 is reloaded from a 32-bit TSS when paging is on") {
  TaskCpu c;
  c.poke(kTssBBase + tss::kCr3, 0x210000);
  c.run({0xEA, 0x00, 0x00, 0x00, 0x00, 0x38, 0x00});
  CHECK(c.s.cr3 == 0);  // paging off: CR3 stays

  TaskCpu d;
  d.identity_paging();
  d.poke(0x210000, 0x201000 | 0x3);  // a second directory with the same table
  d.poke(kTssBBase + tss::kCr3, 0x210000);
  const uint64_t epoch = d.v.tlb_epoch;
  d.run({0xEA, 0x00, 0x00, 0x00, 0x00, 0x38, 0x00});
  CHECK(d.s.cr3 == 0x210000);
  CHECK(d.v.tlb_epoch != epoch);
  CHECK(d.s.tr.selector == kTssB);
}

TEST_CASE("task switch: a TSS with EFLAGS.VM starts a virtual-8086 task") {
  TaskCpu c;
  c.task32(kTssBBase, 0x100, flag::kFixed1 | flag::VM, 0xFFFE, 0x2000, 0x3000, 0x4000);
  c.run({0xEA, 0x00, 0x00, 0x00, 0x00, 0x38, 0x00});
  CHECK(c.has(flag::VM));
  CHECK(c.s.cpl == 3);
  CHECK(c.s.seg[kCs].base == 0x20000);
  CHECK(c.s.seg[kSs].base == 0x30000);
  CHECK(c.s.seg[kDs].base == 0x40000);
  CHECK(c.s.seg[kDs].limit == 0xFFFF);
  CHECK(c.s.rip == 0x100);
}

TEST_CASE("task switch: T=1 in the new TSS raises #DB with DR6.BT before its first instruction") {
  for (const bool t_flag : {false, true}) {
    CAPTURE(t_flag);
    TaskCpu c;
    c.poke(kTssBBase + 0x64, t_flag ? 1 : 0, 2);  // SDM vol. 3A figure 7-2: T is bit 0 at 64H
    c.s.dr[6] = dr6::kFixed1;
    c.run({0xEA, 0x00, 0x00, 0x00, 0x00, 0x38, 0x00});  // jmp 0x38:0
    // The switch itself completes: the trap waits for the new task's first instruction.
    CHECK(c.s.tr.selector == kTssB);
    CHECK(c.s.rip == 0x5000);
    CHECK(c.s.pending_debug == (t_flag ? dr6::kBt : 0u));
    c.load({0x90}, 0x5000);  // nop
    if (!t_flag) {
      c.step();
      CHECK(c.s.rip == 0x5001);
      continue;
    }
    const GuestFault f = c.fault();
    CHECK(f.vector == vec::DB);
    CHECK(c.s.rip == 0x5000);  // the frame's EIP: the first instruction, not yet run
    CHECK(c.s.dr[6] == (dr6::kFixed1 | dr6::kBt));
    CHECK(c.s.pending_debug == 0);
  }
}

TEST_CASE("far CALL at CPL 3 with a misaligned ESP and alignment checking: #AC before anything changes") {
  TaskCpu c;
  constexpr uint16_t kCode3NotAccessed = 26 * 8 + 3;
  c.set_gdt(26, seg_desc(0, 0xFFFFF, kCode3, 0xC));  // DPL 3 code, accessed bit clear
  c.user_mode(kStack3 - 2);
  c.s.cr0 |= cr0::AM;
  c.s.rflags |= flag::AC;
  c.load({0x9A, 0x00, 0x50, 0x00, 0x00, uint8_t(kCode3NotAccessed), 0x00});  // call 0xd3:0x5000
  const GuestFault f = c.fault();
  CHECK(f.vector == vec::AC);
  CHECK(f.error_code == 0);
  CHECK(c.s.rip == kCodeAddr);
  CHECK(c.reg(kRsp) == kStack3 - 2);
  CHECK(c.s.seg[kCs].selector == kFlatCode3);
  CHECK(((c.mem(kGdtBase + 26 * 8 + 5, 1)) & 1) == 0);  // the descriptor was not touched
  // Aligned, the same call goes through.
  c.user_mode(kStack3);
  c.step();
  CHECK(c.s.rip == 0x5000);
  CHECK(c.s.seg[kCs].selector == kCode3NotAccessed);
}
