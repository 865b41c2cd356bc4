// Single-step (EFLAGS.TF) and the resume flag (EFLAGS.RF): which instructions
// trap, where the trap frame points, DR6.BS, the POPF / IRET / INT n / MOV SS
// rules and REP string iterations. Expected values from the Intel SDM vol. 3
// 17.3.1.4 (single-step), 17.3.1.1 (RF management), 6.8.3 (MOV SS blocking) and
// vol. 2 (POPF, IRET, INT n, MOV, POP).
#include "tests/unit/test_debug_fixture.h"

using namespace kasou;
using namespace kasou::test;
using namespace kasou::test::dbg;

namespace {
constexpr uint32_t TF = flag::TF, RF = flag::RF, F1 = flag::kFixed1;
}  // namespace

TEST_CASE("debug TF: a #DB trap after an instruction that began with TF set (DR6.BS, TF clear in the handler)") {
  DebugCpu c;
  c.s.rflags = F1 | TF;
  c.code(kCodeAddr, {0xB8, 0x01, 0x00, 0x00, 0x00});  // mov eax, 1
  c.step_and_deliver();
  CHECK(c.reg(kRax) == 1);
  REQUIRE(c.in_db_handler());
  CHECK(c.frame_eip() == kCodeAddr + 5);
  CHECK(c.frame_cs() == kFlatCode0);
  CHECK(c.frame_eflags() == (F1 | TF));
  CHECK(!c.has(TF));
  CHECK(c.dr6() == (dr6::kFixed1 | dr6::kBs));

  // The handler's IRET restores TF: no trap after the IRET itself (it began with
  // TF clear), one after the next instruction.
  c.code(kCodeAddr + 5, {0x90, 0x90});
  c.iret();
  CHECK(c.s.rip == kCodeAddr + 5);
  CHECK(c.has(TF));
  c.step_and_deliver();
  REQUIRE(c.in_db_handler());
  CHECK(c.frame_eip() == kCodeAddr + 6);
}

TEST_CASE("debug TF: POPF that sets TF does not trap, the next instruction does; POPF that clears TF traps") {
  DebugCpu c;
  c.set(kRsp, kStackTop - 4);
  c.poke(kStackTop - 4, F1 | TF);
  c.code(kCodeAddr, {0x9D, 0x90, 0x90});  // popfd; nop; nop
  c.step_and_deliver();
  CHECK(c.s.rip == kCodeAddr + 1);
  CHECK(c.has(TF));
  c.step_and_deliver();
  REQUIRE(c.in_db_handler());
  CHECK(c.frame_eip() == kCodeAddr + 2);

  DebugCpu d;
  d.s.rflags = F1 | TF;
  d.set(kRsp, kStackTop - 4);
  d.poke(kStackTop - 4, F1);
  d.code(kCodeAddr, {0x9D, 0x90});  // popfd (clears TF); nop
  d.step_and_deliver();
  REQUIRE(d.in_db_handler());
  CHECK(d.frame_eip() == kCodeAddr + 1);
  CHECK(d.frame_eflags() == F1);
  CHECK(d.dr6() == (dr6::kFixed1 | dr6::kBs));
}

TEST_CASE("debug TF: IRET that loads TF traps after the following instruction, not after itself") {
  DebugCpu c;
  c.set(kRsp, kStackTop - 12);
  c.poke(kStackTop - 12, kCodeAddr + 0x10);
  c.poke(kStackTop - 8, kFlatCode0);
  c.poke(kStackTop - 4, F1 | TF);
  c.code(kCodeAddr, {0xCF});
  c.code(kCodeAddr + 0x10, {0x90, 0x90});
  c.s.rip = kCodeAddr;
  c.step_and_deliver();
  CHECK(c.s.rip == kCodeAddr + 0x10);
  CHECK(c.has(TF));
  c.step_and_deliver();
  REQUIRE(c.in_db_handler());
  CHECK(c.frame_eip() == kCodeAddr + 0x11);
}

TEST_CASE("debug TF: INT n, INT3 and a taken INTO enter their handler with TF clear and no single-step trap") {
  DebugCpu c;
  c.s.rflags = F1 | TF;
  c.code(kCodeAddr, {0xCD, 0x40, 0x90});  // int 0x40; nop
  c.step_and_deliver();
  CHECK(c.s.rip == kIntHandler);
  CHECK(!c.has(TF));
  CHECK(c.frame_eflags() == (F1 | TF));
  CHECK(c.frame_eip() == kCodeAddr + 2);
  CHECK(c.dr6() == dr6::kFixed1);
  c.iret();  // back with TF set: the IRET began with TF clear
  CHECK(c.s.rip == kCodeAddr + 2);
  c.step_and_deliver();
  REQUIRE(c.in_db_handler());
  CHECK(c.frame_eip() == kCodeAddr + 3);

  DebugCpu b;
  b.s.rflags = F1 | TF;
  b.code(kCodeAddr, {0xCC});  // int3
  b.step_and_deliver();
  CHECK(b.s.rip == kBpHandler);
  CHECK(b.dr6() == dr6::kFixed1);

  DebugCpu o;
  o.set_idt(vec::OF, gate_desc(kFlatCode0, 0x5600, kIntGate32 | dpl(3)));
  o.s.rflags = F1 | TF | flag::OF;
  o.code(kCodeAddr, {0xCE});  // into, taken
  o.step_and_deliver();
  CHECK(o.s.rip == 0x5600);
  CHECK(o.dr6() == dr6::kFixed1);
  o.s.rflags = F1 | TF;  // not taken: an ordinary instruction
  o.code(kCodeAddr, {0xCE});
  o.step_and_deliver();
  REQUIRE(o.in_db_handler());
  CHECK(o.frame_eip() == kCodeAddr + 1);
}

TEST_CASE("debug TF: MOV SS and POP SS hold the single-step trap until after the next instruction") {
  DebugCpu c;
  c.s.rflags = F1 | TF;
  c.set(kRax, kFlatData0);
  c.code(kCodeAddr, {0x8E, 0xD0, 0x90, 0x90});  // mov ss, ax; nop; nop
  c.step_and_deliver();
  CHECK(c.s.rip == kCodeAddr + 2);
  CHECK(c.s.interrupt_shadow);
  CHECK(c.dr6() == dr6::kFixed1);
  c.step_and_deliver();
  REQUIRE(c.in_db_handler());
  CHECK(c.frame_eip() == kCodeAddr + 3);
  CHECK(c.dr6() == (dr6::kFixed1 | dr6::kBs));
  CHECK(c.s.pending_debug == 0);

  DebugCpu p;
  p.s.rflags = F1 | TF;
  p.set(kRsp, kStackTop - 4);
  p.poke(kStackTop - 4, kFlatData0);
  p.code(kCodeAddr, {0x17, 0x90, 0x90});  // pop ss; nop
  p.step_and_deliver();
  CHECK(p.s.rip == kCodeAddr + 1);
  p.step_and_deliver();
  REQUIRE(p.in_db_handler());
  CHECK(p.frame_eip() == kCodeAddr + 2);

  // A second MOV SS right after the first does not extend the shadow.
  DebugCpu q;
  q.s.rflags = F1 | TF;
  q.set(kRax, kFlatData0);
  q.code(kCodeAddr, {0x8E, 0xD0, 0x8E, 0xD0, 0x90});
  q.step_and_deliver();
  q.step_and_deliver();
  REQUIRE(q.in_db_handler());
  CHECK(q.frame_eip() == kCodeAddr + 4);
}

TEST_CASE("debug TF: REP MOVSB traps after each iteration; RF=1 in the frame while the instruction is unfinished") {
  DebugCpu c;
  c.s.rflags = F1 | TF;
  c.set(kRsi, kWatch);
  c.set(kRdi, kWatch + 0x100);
  c.set(kRcx, 3);
  c.poke(kWatch, 0x00CCBBAA);
  c.code(kCodeAddr, {0xF3, 0xA4, 0x90});  // rep movsb; nop
  for (uint32_t left = 2; left > 0; left--) {
    c.step_and_deliver();
    REQUIRE(c.in_db_handler());
    CHECK(c.frame_eip() == kCodeAddr);
    CHECK(c.frame_eflags() == (F1 | TF | RF));
    CHECK(c.reg(kRcx) == left);
    CHECK(c.mem(kWatch + 0x100, 4) == (0x00CCBBAAu & ((1u << (8 * (3 - left))) - 1)));
    c.iret();
    CHECK(c.s.rip == kCodeAddr);
  }
  c.step_and_deliver();
  REQUIRE(c.in_db_handler());
  CHECK(c.frame_eip() == kCodeAddr + 2);
  CHECK(c.frame_eflags() == (F1 | TF));
  CHECK(c.reg(kRcx) == 0);
  CHECK(c.mem(kWatch + 0x100, 4) == 0x00CCBBAAu);
}

TEST_CASE("debug RF: cleared after one instruction; pushed as 1 by faults, as 0 by INT n and by the breakpoint #DB") {
  // While single-stepping, a fault pushes RF=1 (it is a fault-class exception).
  DebugCpu c;
  c.s.rflags = F1 | TF;
  c.code(kCodeAddr, {0x0F, 0x0B});  // ud2
  c.step_and_deliver();
  CHECK(c.s.rip == kUdHandler);
  CHECK(c.frame_eip() == kCodeAddr);
  CHECK(c.frame_eflags() == (F1 | TF | RF));
  CHECK(!c.has(RF));
  CHECK(c.dr6() == dr6::kFixed1);  // no single-step trap for an instruction that faulted

  // With a breakpoint enabled: RF set by the program is cleared by the next
  // instruction; a software interrupt pushes RF=0.
  DebugCpu d;
  d.s.dr[0] = 0x9999;
  d.s.dr[7] = 0x400 | dr7_local(0, kRwExec, kLen1);
  d.s.rflags = F1 | RF;
  d.code(kCodeAddr, {0x90, 0xCD, 0x40});
  d.step_and_deliver();
  CHECK(!d.has(RF));
  d.s.rflags |= RF;
  d.step_and_deliver();
  CHECK(d.s.rip == kIntHandler);
  CHECK(d.frame_eflags() == F1);
  // ...and a #GP pushes RF=1.
  d.code(kCodeAddr, {0x8E, 0xD8});  // mov ds, ax with a bad selector
  d.set(kRax, 0xFFF8);
  d.step_and_deliver();
  CHECK(d.s.rip == kGpHandler);
  CHECK((d.stack(3) & RF) != 0);  // error code, EIP, CS, EFLAGS
}
