// Reference interpreter: AAA AAS DAA DAS AAM AAD, with the SDM's own examples
// where it gives them, and the imm8 base of AAM/AAD (#DE for AAM 0).
#include "tests/unit/test_interp_fixture.h"

using namespace kasou;
using namespace kasou::test;

namespace {
constexpr uint32_t CF = flag::CF, PF = flag::PF, AF = flag::AF, ZF = flag::ZF, SF = flag::SF, OF = flag::OF;
}

TEST_CASE("interp bcd: DAA after ADD, the SDM example 79 + 35 = 114") {
  InterpCpu c;
  c.set(kRax, 0x79);
  c.set(kRbx, 0x35);
  c.run({0x00, 0xD8});  // add al, bl
  CHECK(c.reg(kRax) == 0xAE);
  c.run({0x27});  // daa
  CHECK(c.reg(kRax) == 0x14);
  CHECK((c.arith() & ~OF) == (CF | AF | PF));

  c.set(kRax, 0x9A);
  c.set_arith(0);
  c.run({0x27});  // both digits adjust: 9A -> A0 -> 00, carry
  CHECK(c.reg(kRax) == 0x00);
  CHECK((c.arith() & ~OF) == (CF | AF | ZF | PF));
}

TEST_CASE("interp bcd: DAS after SUB, the SDM example 35 - 47 = -12 (88 with borrow)") {
  InterpCpu c;
  c.set(kRax, 0x35);
  c.set(kRbx, 0x47);
  c.run({0x28, 0xD8});  // sub al, bl
  CHECK(c.reg(kRax) == 0xEE);
  c.run({0x2F});  // das
  CHECK(c.reg(kRax) == 0x88);
  CHECK((c.arith() & ~OF) == (SF | AF | PF | CF));
}

TEST_CASE("interp bcd: AAA and AAS carry into and borrow from AH") {
  InterpCpu c;
  c.set(kRax, 0x000B);  // 5 + 6 unpacked
  c.run({0x37});        // aaa
  CHECK(c.reg(kRax) == 0x0101);
  CHECK((c.arith() & (CF | AF)) == (CF | AF));

  c.set(kRax, 0x0205);
  c.set_arith(0);
  c.run({0x37});  // nothing to adjust
  CHECK(c.reg(kRax) == 0x0205);
  CHECK((c.arith() & (CF | AF)) == 0);

  c.set(kRax, 0x00FE);  // 3 - 5 unpacked, AF set by the SUB
  c.set_arith(AF | CF);
  c.run({0x3F});  // aas
  CHECK(c.reg(kRax) == 0xFF08);
  CHECK((c.arith() & (CF | AF)) == (CF | AF));
}

TEST_CASE("interp bcd: AAM and AAD with base 10, 16 and 0") {
  InterpCpu c;
  c.set(kRax, 0x3F);
  c.run({0xD4, 0x0A});  // aam
  CHECK(c.reg(kRax) == 0x0603);
  CHECK((c.arith() & (SF | ZF | PF)) == PF);

  c.set(kRax, 0x3F);
  c.run({0xD4, 0x10});  // aam 16
  CHECK(c.reg(kRax) == 0x030F);

  c.set(kRax, 0x1234);
  c.load({0xD4, 0x00});  // aam 0
  CHECK(c.fault().vector == vec::DE);
  CHECK(c.reg(kRax) == 0x1234);

  c.set(kRax, 0x0603);
  c.run({0xD5, 0x0A});  // aad
  CHECK(c.reg(kRax) == 0x003F);
  CHECK((c.arith() & (SF | ZF | PF)) == PF);

  c.set(kRax, 0x030F);
  c.run({0xD5, 0x10});  // aad 16
  CHECK(c.reg(kRax) == 0x003F);

  c.set(kRax, 0xFFFF);
  c.run({0xD5, 0x0A});  // 255 + 255*10 = 0xAF5: AL keeps the low byte
  CHECK(c.reg(kRax) == 0x00F5);
  CHECK((c.arith() & (SF | ZF)) == SF);
}
