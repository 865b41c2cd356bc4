// Reference interpreter: shifts and rotates, including count masking, count 0,
// counts at and beyond the width, RCL/RCR through the carry, SHLD/SHRD.
// Flags the SDM leaves undefined (AF always, OF for counts > 1, CF for SHL/SHR
// counts >= width) are not checked.
#include "tests/unit/test_interp_fixture.h"

using namespace kasou;
using namespace kasou::test;

namespace {
constexpr uint32_t CF = flag::CF, PF = flag::PF, AF = flag::AF, ZF = flag::ZF, SF = flag::SF, OF = flag::OF;
}

TEST_CASE("interp shift: SHL by 1 sets CF from bit 31 and OF = MSB xor CF") {
  InterpCpu c;
  c.set(kRax, 0x80000001);
  c.run({0xD1, 0xE0});  // shl eax, 1
  CHECK(c.reg(kRax) == 2);
  CHECK((c.arith() & ~AF) == (CF | OF));
}

TEST_CASE("interp shift: a masked count of 0 changes neither operand nor flags") {
  InterpCpu c;
  c.set(kRax, 0x12345678);
  c.set_arith(CF | PF | AF | ZF | SF | OF);
  c.run({0xC1, 0xE0, 0x00});  // shl eax, 0
  CHECK(c.reg(kRax) == 0x12345678u);
  CHECK(c.arith() == (CF | PF | AF | ZF | SF | OF));
  c.set(kRcx, 32);
  c.run({0xD3, 0xE8});  // shr eax, cl (32 & 31 = 0)
  CHECK(c.reg(kRax) == 0x12345678u);
  CHECK(c.arith() == (CF | PF | AF | ZF | SF | OF));
  c.set(kRcx, 0x40);
  c.run({0xD2, 0xD0});  // rcl al, cl (64 & 31 = 0)
  CHECK(c.reg(kRax) == 0x12345678u);
  CHECK(c.arith() == (CF | PF | AF | ZF | SF | OF));
}

TEST_CASE("interp shift: SHL by 31 and an 8-bit SHL by 8") {
  InterpCpu c;
  c.set(kRax, 3);
  c.run({0xC1, 0xE0, 0x1F});  // shl eax, 31
  CHECK(c.reg(kRax) == 0x80000000u);
  CHECK((c.arith() & ~(AF | OF)) == (CF | SF | PF));  // CF = bit 1 of 3

  c.set(kRax, 0xAB01);
  c.run({0xC0, 0xE0, 0x08});  // shl al, 8: all bits gone
  CHECK(c.reg(kRax) == 0xAB00u);
  CHECK(c.has(ZF | PF));
  CHECK(!c.has(SF));

  c.set(kRcx, 33);  // masked to 1
  c.set(kRax, 0x40000000);
  c.run({0xD3, 0xE0});  // shl eax, cl
  CHECK(c.reg(kRax) == 0x80000000u);
  CHECK((c.arith() & ~AF) == (OF | SF | PF));
}

TEST_CASE("interp shift: SHR and SAR by 1 and by large counts") {
  InterpCpu c;
  c.set(kRax, 0x80000001);
  c.run({0xD1, 0xE8});  // shr eax, 1
  CHECK(c.reg(kRax) == 0x40000000u);
  CHECK((c.arith() & ~AF) == (CF | OF | PF));  // OF = MSB of the original

  c.set(kRax, 0x80000001);
  c.run({0xD1, 0xF8});  // sar eax, 1
  CHECK(c.reg(kRax) == 0xC0000000u);
  CHECK((c.arith() & ~AF) == (CF | SF | PF));  // OF = 0 for SAR by 1

  c.set(kRax, 0x80);
  c.run({0xC0, 0xF8, 0x1F});  // sar al, 31: fills with the sign, CF = sign
  CHECK(c.reg(kRax) == 0xFF);
  CHECK((c.arith() & ~(AF | OF)) == (CF | SF | PF));

  c.set(kRax, 0x8000);
  c.run({0x66, 0xC1, 0xE8, 0x0F});  // shr ax, 15
  CHECK(c.reg(kRax) == 1);
  CHECK((c.arith() & ~(AF | OF)) == 0);  // CF = bit 14 = 0, parity of 01 odd
}

TEST_CASE("interp shift: ROL/ROR touch only CF and OF, and rotate mod the width") {
  InterpCpu c;
  c.set_arith(ZF | SF | PF);
  c.set(kRax, 0x81);
  c.run({0xD0, 0xC0});  // rol al, 1
  CHECK(c.reg(kRax) == 0x03);
  CHECK(c.arith() == (ZF | SF | PF | CF | OF));

  c.set_arith(0);
  c.set(kRax, 0x81);
  c.run({0xC0, 0xC0, 0x08});  // rol al, 8: value unchanged, CF = LSB
  CHECK(c.reg(kRax) == 0x81);
  CHECK((c.arith() & ~OF) == CF);

  c.set_arith(0);
  c.set(kRax, 1);
  c.run({0xD1, 0xC8});  // ror eax, 1
  CHECK(c.reg(kRax) == 0x80000000u);
  CHECK(c.arith() == (CF | OF));

  c.set(kRax, 0x1234);
  c.run({0x66, 0xC1, 0xC0, 0x04});  // rol ax, 4
  CHECK(c.reg(kRax) == 0x2341);
  CHECK(c.has(CF));
}

TEST_CASE("interp shift: RCL/RCR go through CF, mod 9 and 17 for narrow operands") {
  InterpCpu c;
  c.set_arith(CF);
  c.set(kRax, 0x80);
  c.run({0xD0, 0xD0});  // rcl al, 1: CF:AL = 1:80 -> 1:01
  CHECK(c.reg(kRax) == 0x01);
  CHECK(c.arith() == (CF | OF));  // OF = MSB(result) xor CF = 0 xor 1

  c.set_arith(0);
  c.set(kRax, 0x55);
  c.run({0xC0, 0xD0, 0x09});  // rcl al, 9: a full turn of the 9-bit ring
  CHECK(c.reg(kRax) == 0x55);
  CHECK(!c.has(CF));

  c.set_arith(0);
  c.set(kRax, 0x0001);
  c.run({0x66, 0xC1, 0xD0, 0x10});  // rcl ax, 16 = rcr ax, 1 on the 17-bit ring
  CHECK(c.reg(kRax) == 0);
  CHECK(c.has(CF));

  c.set_arith(CF);
  c.set(kRax, 0x01);
  c.run({0xD0, 0xD8});  // rcr al, 1: CF:AL = 1:01 -> AL = 80, CF = 1
  CHECK(c.reg(kRax) == 0x80);
  CHECK(c.arith() == (CF | OF));  // OF = MSB(before) xor CF(before) = 0 xor 1

  c.set_arith(0);
  c.set(kRax, 0x80000000);
  c.run({0xC1, 0xD0, 0x1F});  // rcl eax, 31 = rcr by 2 on the 33-bit ring
  CHECK(c.reg(kRax) == 0x20000000u);
  CHECK(!c.has(CF));
}

TEST_CASE("interp shift: SHLD/SHRD 32-bit, counts mod 32") {
  InterpCpu c;
  c.set(kRax, 0x12345678);
  c.set(kRbx, 0x9ABCDEF0);
  c.run({0x0F, 0xA4, 0xD8, 0x04});  // shld eax, ebx, 4
  CHECK(c.reg(kRax) == 0x23456789u);
  CHECK((c.arith() & ~(AF | OF)) == CF);  // CF = bit 28 of 12345678; 89 has odd parity

  c.set(kRax, 0x12345678);
  c.run({0x0F, 0xAC, 0xD8, 0x04});  // shrd eax, ebx, 4
  CHECK(c.reg(kRax) == 0x01234567u);
  CHECK((c.arith() & ~(AF | OF)) == CF);  // CF = bit 3 of 12345678

  c.set(kRax, 0x12345678);
  c.set(kRcx, 36);
  c.run({0x0F, 0xA5, 0xD8});  // shld eax, ebx, cl (36 mod 32 = 4)
  CHECK(c.reg(kRax) == 0x23456789u);

  c.set(kRcx, 32);
  c.set_arith(ZF);
  c.run({0x0F, 0xAD, 0xD8});  // shrd eax, ebx, cl: count 0
  CHECK(c.reg(kRax) == 0x23456789u);
  CHECK(c.arith() == ZF);

  c.set(kRax, 0x80000000);
  c.set(kRbx, 0);
  c.run({0x0F, 0xA4, 0xD8, 0x01});  // shld eax, ebx, 1: sign change -> OF
  CHECK(c.reg(kRax) == 0);
  CHECK((c.arith() & ~AF) == (CF | OF | ZF | PF));
}

TEST_CASE("interp shift: SHLD/SHRD 16-bit with a count of 16") {
  InterpCpu c;
  c.set(kRax, 0xFFFF1235);
  c.set(kRbx, 0x5678);
  c.run({0x66, 0x0F, 0xA4, 0xD8, 0x10});  // shld ax, bx, 16
  CHECK(c.reg(kRax) == 0xFFFF5678u);
  CHECK(c.has(CF));  // bit 0 of 1235 is the last one out
  c.set(kRax, 0x1235);
  c.run({0x66, 0x0F, 0xAC, 0xD8, 0x10});  // shrd ax, bx, 16
  CHECK(c.reg(kRax) == 0x5678u);
  CHECK(!c.has(CF));  // bit 15 of 1235
}

TEST_CASE("interp shift: memory destination") {
  InterpCpu c;
  c.poke(kDataAddr, 0xC0000000);
  c.set(kRbx, kDataAddr);
  c.run({0xD1, 0x23});  // shl dword [ebx], 1
  CHECK(c.mem(kDataAddr) == 0x80000000u);
  CHECK(c.has(CF));
  CHECK(!c.has(OF));
  c.run({0xC0, 0x0B, 0x04});  // ror byte [ebx], 4
  CHECK(c.mem(kDataAddr) == 0x80000000u);
  c.run({0xC0, 0x43, 0x03, 0x04});  // rol byte [ebx+3], 4
  CHECK(c.mem(kDataAddr) == 0x08000000u);
}
