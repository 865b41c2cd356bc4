// Reference interpreter: near JMP/Jcc/CALL/RET, LOOP*, JCXZ/JECXZ: operand-size
// truncation of EIP, the CS limit check before any state change, CX vs ECX.
#include "tests/unit/test_interp_fixture.h"

using namespace kasou;
using namespace kasou::test;

namespace {
constexpr uint32_t ZF = flag::ZF, CF = flag::CF;
}

TEST_CASE("interp control: JMP rel8, rel32 and a 16-bit JMP that truncates EIP") {
  InterpCpu c;
  c.run({0xEB, 0x10});  // jmp +0x10
  CHECK(c.s.rip == kCodeAddr + 2 + 0x10);
  c.run({0xEB, 0xFE});  // jmp $
  CHECK(c.s.rip == kCodeAddr);
  c.run({0xE9, 0x00, 0x00, 0x01, 0x00});  // jmp +0x10000
  CHECK(c.s.rip == kCodeAddr + 5 + 0x10000);

  c.load({0x66, 0xE9, 0x10, 0x00}, 0x21000);  // jmp word +0x10 at 0x21000
  c.step();
  CHECK(c.s.rip == 0x1014);
}

TEST_CASE("interp control: indirect JMP through a register or memory") {
  InterpCpu c;
  c.set(kRax, 0x5000);
  c.run({0xFF, 0xE0});  // jmp eax
  CHECK(c.s.rip == 0x5000);
  c.set(kRax, 0x12345678);
  c.run({0x66, 0xFF, 0xE0});  // jmp ax
  CHECK(c.s.rip == 0x5678);
  c.poke(kDataAddr, 0x6000);
  c.set(kRbx, kDataAddr);
  c.run({0xFF, 0x23});  // jmp [ebx]
  CHECK(c.s.rip == 0x6000);
}

TEST_CASE("interp control: a branch beyond CS.limit raises #GP(0) before anything changes") {
  InterpCpu c;
  c.s.seg[kCs].limit = 0xFFFF;
  c.set(kRax, 0x10000);
  c.load({0xFF, 0xE0});  // jmp eax
  GuestFault f = c.fault();
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == 0);
  CHECK(c.s.rip == kCodeAddr);

  c.load({0xFF, 0xD0});  // call eax: no push happens
  CHECK(c.fault().vector == vec::GP);
  CHECK(c.reg(kRsp) == kStackTop);

  c.poke(kStackTop - 4, 0x10000);
  c.set(kRsp, kStackTop - 4);
  c.load({0xC3});  // ret to 0x10000
  CHECK(c.fault().vector == vec::GP);
  CHECK(c.reg(kRsp) == kStackTop - 4);

  c.set(kRcx, 5);
  c.load({0xE2, 0x00}, 0xFFFE);  // loop to 0x10000
  CHECK(c.fault().vector == vec::GP);
  CHECK(c.reg(kRcx) == 5);

  c.set_arith(ZF);
  c.load({0x0F, 0x84, 0x00, 0x00, 0x01, 0x00});  // jz +0x10000: taken, too far
  CHECK(c.fault().vector == vec::GP);
  c.set_arith(0);
  c.step();  // not taken: no check
  CHECK(c.s.rip == kCodeAddr + 6);
}

TEST_CASE("interp control: Jcc taken and not taken, short and near") {
  InterpCpu c;
  c.set_arith(CF);
  c.run({0x72, 0x20});  // jb +0x20
  CHECK(c.s.rip == kCodeAddr + 2 + 0x20);
  c.run({0x73, 0x20});  // jae: not taken
  CHECK(c.s.rip == kCodeAddr + 2);
  c.run({0x0F, 0x82, 0xF0, 0xFF, 0xFF, 0xFF});  // jb -0x10
  CHECK(c.s.rip == kCodeAddr + 6 - 0x10);
  c.set_arith(flag::SF);
  c.run({0x7C, 0x04});  // jl: SF != OF
  CHECK(c.s.rip == kCodeAddr + 6);
  c.run({0x7F, 0x04});  // jg: not taken
  CHECK(c.s.rip == kCodeAddr + 2);
}

TEST_CASE("interp control: CALL and RET, with RET imm16 releasing parameters") {
  InterpCpu c;
  c.run({0xE8, 0x00, 0x01, 0x00, 0x00});  // call +0x100
  CHECK(c.s.rip == kCodeAddr + 5 + 0x100);
  CHECK(c.reg(kRsp) == kStackTop - 4);
  CHECK(c.mem(kStackTop - 4) == kCodeAddr + 5);
  c.load({0xC2, 0x08, 0x00}, 0x3000);  // ret 8
  c.step();
  CHECK(c.s.rip == kCodeAddr + 5);
  CHECK(c.reg(kRsp) == kStackTop + 8);

  c.set(kRsp, kStackTop);
  c.poke(kStackTop, 0x7000);
  c.run({0xFF, 0x14, 0x24});  // call [esp]: the address uses ESP before the push
  CHECK(c.s.rip == 0x7000);
  CHECK(c.mem(kStackTop - 4) == kCodeAddr + 3);
}

TEST_CASE("interp control: 16-bit CALL/RET in real mode") {
  InterpCpu c;
  c.real_mode();
  c.set(kRsp, 0x1000);
  c.load({0xE8, 0xFD, 0xEF}, 0x1000);  // call -0x1003 -> 0x1003 - 0x1003 = 0
  c.step();
  CHECK(c.s.rip == 0);
  CHECK(c.reg(kRsp) == 0x0FFE);
  CHECK(c.mem(0x0FFE, 2) == 0x1003);
  c.load({0xC3}, 0x0000);
  c.step();
  CHECK(c.s.rip == 0x1003);
  CHECK(c.reg(kRsp) == 0x1000);

  c.load({0xE8, 0x00, 0xF0}, 0x1000);  // call +0xF000 -> 0x10003 wraps to 0x0003
  c.step();
  CHECK(c.s.rip == 0x0003);
}

TEST_CASE("interp control: LOOP counts ECX, or CX with an address-size prefix") {
  InterpCpu c;
  c.set(kRcx, 2);
  c.run({0xE2, 0xFE});  // loop $
  CHECK(c.s.rip == kCodeAddr);
  CHECK(c.reg(kRcx) == 1);
  c.step();
  CHECK(c.s.rip == kCodeAddr + 2);
  CHECK(c.reg(kRcx) == 0);
  c.run({0xE2, 0xFE});  // ECX 0 -> FFFFFFFF: taken
  CHECK(c.reg(kRcx) == 0xFFFFFFFFu);
  CHECK(c.s.rip == kCodeAddr);

  c.set(kRcx, 0x00010001);
  c.run({0x67, 0xE2, 0xFD});  // loop with CX: 1 -> 0, not taken
  CHECK(c.reg(kRcx) == 0x00010000u);
  CHECK(c.s.rip == kCodeAddr + 3);
}

TEST_CASE("interp control: LOOPE/LOOPNE also test ZF") {
  InterpCpu c;
  c.set(kRcx, 5);
  c.set_arith(ZF);
  c.run({0xE1, 0x10});  // loope: taken
  CHECK(c.s.rip == kCodeAddr + 0x12);
  c.run({0xE0, 0x10});  // loopne: not taken
  CHECK(c.s.rip == kCodeAddr + 2);
  CHECK(c.reg(kRcx) == 3);
  c.set_arith(0);
  c.run({0xE0, 0x10});  // loopne: taken
  CHECK(c.s.rip == kCodeAddr + 0x12);
}

TEST_CASE("interp control: JECXZ and JCXZ") {
  InterpCpu c;
  c.set(kRcx, 0x10000);
  c.run({0xE3, 0x10});  // jecxz: not taken
  CHECK(c.s.rip == kCodeAddr + 2);
  c.run({0x67, 0xE3, 0x10});  // jcxz: CX = 0, taken
  CHECK(c.s.rip == kCodeAddr + 3 + 0x10);
  CHECK(c.reg(kRcx) == 0x10000);
}
