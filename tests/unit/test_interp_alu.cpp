// Reference interpreter: ADD ADC SUB SBB CMP AND OR XOR TEST INC DEC NEG NOT.
// Expected flags are worked out from the SDM definitions, not from flags.h.
#include "tests/unit/test_interp_fixture.h"

using namespace kasou;
using namespace kasou::test;

namespace {
constexpr uint32_t CF = flag::CF, PF = flag::PF, AF = flag::AF, ZF = flag::ZF, SF = flag::SF, OF = flag::OF;
}

TEST_CASE("interp alu: ADD sets every arithmetic flag at the signed and unsigned boundaries") {
  InterpCpu c;
  c.set(kRax, 0x7FFFFFFF);
  c.set(kRbx, 1);
  c.run({0x01, 0xD8});  // add eax, ebx
  CHECK(c.reg(kRax) == 0x80000000u);
  CHECK(c.arith() == (OF | SF | AF | PF));
  CHECK(c.s.rip == kCodeAddr + 2);

  c.set(kRax, 0x01);
  c.run({0x04, 0xFF});  // add al, 0xff
  CHECK(c.reg(kRax) == 0);
  CHECK(c.arith() == (CF | ZF | AF | PF));
}

TEST_CASE("interp alu: ADC and SBB use the carry in, including the all-ones edge") {
  InterpCpu c;
  c.set(kRax, 0xFFFFFFFF);
  c.set(kRbx, 0);
  c.set_arith(CF);
  c.run({0x11, 0xD8});  // adc eax, ebx: FFFFFFFF + 0 + 1
  CHECK(c.reg(kRax) == 0);
  CHECK(c.arith() == (CF | ZF | AF | PF));

  c.set(kRax, 5);
  c.set(kRbx, 5);
  c.set_arith(CF);
  c.run({0x19, 0xD8});  // sbb eax, ebx: 5 - 5 - 1
  CHECK(c.reg(kRax) == 0xFFFFFFFFu);
  CHECK(c.arith() == (CF | SF | AF | PF));

  c.set(kRax, 0x80000000);
  c.set(kRbx, 0);
  c.set_arith(CF);
  c.run({0x19, 0xD8});  // sbb: INT_MIN - 0 - 1 overflows
  CHECK(c.reg(kRax) == 0x7FFFFFFFu);
  CHECK(c.arith() == (OF | AF | PF));
}

TEST_CASE("interp alu: SUB and CMP, CMP writes nothing") {
  InterpCpu c;
  c.set(kRax, 0x80000000);
  c.set(kRbx, 1);
  c.run({0x29, 0xD8});  // sub eax, ebx
  CHECK(c.reg(kRax) == 0x7FFFFFFFu);
  CHECK(c.arith() == (OF | AF | PF));

  c.set(kRax, 1);
  c.set(kRbx, 2);
  c.run({0x39, 0xD8});  // cmp eax, ebx
  CHECK(c.reg(kRax) == 1);
  CHECK(c.arith() == (CF | SF | AF | PF));  // 1-2 = FFFFFFFF
}

TEST_CASE("interp alu: 16- and 8-bit forms keep the rest of the register, imm8 is sign-extended") {
  InterpCpu c;
  c.set(kRax, 0x12340001);
  c.run({0x66, 0x83, 0xC0, 0xFF});  // add ax, -1
  CHECK(c.reg(kRax) == 0x12340000u);
  CHECK(c.arith() == (CF | ZF | AF | PF));

  c.set(kRax, 0xAABBCCDD);
  c.run({0x80, 0xC4, 0x01});  // add ah, 1
  CHECK(c.reg(kRax) == 0xAABBCDDDu);

  c.set(kRcx, 0x0000FFFF);
  c.run({0x83, 0xC1, 0x80});  // add ecx, -128
  CHECK(c.reg(kRcx) == 0x0000FF7Fu);
  CHECK(c.arith() == CF);  // FFFF + FFFFFF80 carries out of bit 31; 7F has odd parity
}

TEST_CASE("interp alu: logic ops clear CF and OF, TEST writes nothing") {
  InterpCpu c;
  c.set_arith(CF | OF | AF);
  c.set(kRax, 0xF0F0F0F0);
  c.set(kRbx, 0x0F0F0F0F);
  c.run({0x21, 0xD8});  // and eax, ebx
  CHECK(c.reg(kRax) == 0);
  CHECK(c.arith() == (ZF | PF));

  c.set(kRax, 0x80000001);
  c.run({0x09, 0xD8});  // or eax, ebx
  CHECK(c.reg(kRax) == 0x8F0F0F0Fu);
  CHECK(c.arith() == (SF | PF));  // low byte 0F: four ones, even parity
}

TEST_CASE("interp alu: XOR parity looks at the low byte only, TEST keeps the operand") {
  InterpCpu c;
  c.set(kRax, 0x00000103);
  c.set(kRbx, 0);
  c.run({0x31, 0xD8});  // xor eax, ebx -> 0x103: low byte 03 has two bits: even
  CHECK(c.arith() == PF);
  c.set(kRax, 0x80);
  c.run({0xA8, 0x80});  // test al, 0x80
  CHECK(c.reg(kRax) == 0x80);
  CHECK(c.arith() == SF);
}

TEST_CASE("interp alu: INC/DEC keep CF, NEG sets CF unless zero") {
  InterpCpu c;
  c.set_arith(CF);
  c.set(kRax, 0x7FFFFFFF);
  c.run({0x40});  // inc eax
  CHECK(c.reg(kRax) == 0x80000000u);
  CHECK(c.arith() == (CF | OF | SF | AF | PF));

  c.set_arith(0);
  c.run({0x48});  // dec eax
  CHECK(c.reg(kRax) == 0x7FFFFFFFu);
  CHECK(c.arith() == (OF | AF | PF));

  c.set(kRax, 0xFF);
  c.run({0xFE, 0xC0});  // inc al
  CHECK(c.reg(kRax) == 0);
  CHECK(c.arith() == (ZF | AF | PF));

  c.set(kRax, 0);
  c.set_arith(CF);
  c.run({0xF7, 0xD8});  // neg eax
  CHECK(c.arith() == (ZF | PF));

  c.set(kRax, 0x80);
  c.run({0xF6, 0xD8});  // neg al: -(-128) overflows
  CHECK(c.reg(kRax) == 0x80);
  CHECK(c.arith() == (CF | OF | SF));

  c.set(kRax, 1);
  c.run({0x66, 0xF7, 0xD8});  // neg ax
  CHECK(c.reg(kRax) == 0xFFFF);
  CHECK(c.arith() == (CF | SF | AF | PF));

  c.set_arith(CF | ZF);
  c.run({0xF7, 0xD0});  // not eax
  CHECK(c.reg(kRax) == 0xFFFF0000u);
  CHECK(c.arith() == (CF | ZF));
}

TEST_CASE("interp alu: memory destinations, with and without LOCK") {
  InterpCpu c;
  c.poke(kDataAddr, 0xFFFFFFFF);
  c.set(kRbx, kDataAddr);
  c.set(kRax, 2);
  c.run({0x01, 0x03});  // add [ebx], eax
  CHECK(c.mem(kDataAddr) == 1);
  CHECK(c.has(CF));
  c.run({0xF0, 0x29, 0x03});  // lock sub [ebx], eax
  CHECK(c.mem(kDataAddr) == 0xFFFFFFFFu);
  c.run({0x66, 0xF7, 0x1B});  // neg word [ebx]
  CHECK(c.mem(kDataAddr) == 0xFFFF0001u);
  c.run({0x81, 0x3B, 0x01, 0x00, 0xFF, 0xFF});  // cmp dword [ebx], 0xFFFF0001
  CHECK(c.has(ZF));
}

TEST_CASE("interp alu: a read-modify-write to a read-only segment faults before any effect") {
  InterpCpu c;
  c.poke(kDataAddr, 5);
  c.set(kRbx, kDataAddr);
  c.set(kRax, 1);
  c.set_arith(SF | OF);
  c.s.seg[kDs].attr &= ~seg_attr::kWritable;
  c.load({0x01, 0x03});  // add [ebx], eax
  GuestFault f = c.fault();
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == 0);
  CHECK(c.mem(kDataAddr) == 5);
  CHECK(c.arith() == (SF | OF));
  CHECK(c.s.rip == kCodeAddr);

  // CMP only reads: allowed on a read-only segment.
  c.run({0x39, 0x03});
  CHECK(c.arith() == 0);  // 5 - 1 = 4: no borrow, odd parity
}

TEST_CASE("interp alu: past the segment limit -> #GP(0), through SS -> #SS(0)") {
  InterpCpu c;
  c.s.seg[kDs].limit = 0xFFFF;
  c.set(kRbx, 0xFFFE);
  c.load({0x01, 0x03});  // add [ebx], eax: bytes FFFE..10001
  CHECK(c.fault().vector == vec::GP);
  c.s.seg[kSs].limit = 0xFFFF;
  c.set(kRbp, 0x10000);
  c.load({0x01, 0x45, 0x00});  // add [ebp+0], eax: SS is the default segment
  GuestFault f = c.fault();
  CHECK(f.vector == vec::SS);
  CHECK(f.error_code == 0);
}
