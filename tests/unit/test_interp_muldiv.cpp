// Reference interpreter: MUL, IMUL (1, 2, 3 operands), DIV, IDIV, including
// #DE on zero divisors and quotient overflow (which must not trap the host).
#include "tests/unit/test_interp_fixture.h"

using namespace kasou;
using namespace kasou::test;

namespace {
constexpr uint32_t CF = flag::CF, OF = flag::OF;

void expect_de(InterpCpu& c, std::initializer_list<uint8_t> code) {
  const uint64_t rax = c.s.gpr[kRax], rdx = c.s.gpr[kRdx], flags = c.s.rflags;
  c.load(code);
  GuestFault f = c.fault();
  CHECK(f.vector == vec::DE);
  CHECK(c.s.gpr[kRax] == rax);
  CHECK(c.s.gpr[kRdx] == rdx);
  CHECK(c.s.rflags == flags);
  CHECK(c.s.rip == kCodeAddr);
}
}  // namespace

TEST_CASE("interp muldiv: MUL in three widths, CF=OF when the high half is used") {
  InterpCpu c;
  c.set(kRax, 0xFFFFFFFF);
  c.set(kRbx, 2);
  c.run({0xF7, 0xE3});  // mul ebx
  CHECK(c.reg(kRax) == 0xFFFFFFFEu);
  CHECK(c.reg(kRdx) == 1);
  CHECK((c.arith() & (CF | OF)) == (CF | OF));

  c.set(kRax, 3);
  c.set(kRbx, 4);
  c.run({0xF7, 0xE3});
  CHECK(c.reg(kRax) == 12);
  CHECK(c.reg(kRdx) == 0);
  CHECK((c.arith() & (CF | OF)) == 0);

  c.set(kRax, 0x12345680);
  c.set(kRdx, 0x5555);
  c.set(kRbx, 2);
  c.run({0xF6, 0xE3});  // mul bl: AX = 80 * 2
  CHECK(c.reg(kRax) == 0x12340100u);
  CHECK(c.reg(kRdx) == 0x5555);
  CHECK((c.arith() & (CF | OF)) == (CF | OF));

  c.set(kRax, 0xFFFF);
  c.set(kRdx, 0xAAAA0000);
  c.set(kRbx, 0xFFFF);
  c.run({0x66, 0xF7, 0xE3});  // mul bx
  CHECK(c.reg(kRax) == 0x0001);
  CHECK(c.reg(kRdx) == 0xAAAAFFFEu);
}

TEST_CASE("interp muldiv: IMUL one-operand forms sign-extend, CF=OF when the result does not fit") {
  InterpCpu c;
  c.set(kRax, 0xFFFFFFFF);
  c.set(kRbx, 0xFFFFFFFF);
  c.run({0xF7, 0xEB});  // imul ebx: -1 * -1
  CHECK(c.reg(kRax) == 1);
  CHECK(c.reg(kRdx) == 0);
  CHECK((c.arith() & (CF | OF)) == 0);

  c.set(kRax, 0x80);
  c.set(kRbx, 0xFF);
  c.run({0xF6, 0xEB});  // imul bl: -128 * -1 = 128
  CHECK(c.reg(kRax) == 0x0080);
  CHECK((c.arith() & (CF | OF)) == (CF | OF));

  c.set(kRax, 0xFFFE);
  c.set(kRbx, 0x0003);
  c.run({0x66, 0xF7, 0xEB});  // imul bx: -2 * 3 = -6
  CHECK(c.reg(kRax) == 0xFFFA);
  CHECK((c.reg(kRdx) & 0xFFFF) == 0xFFFF);
  CHECK((c.arith() & (CF | OF)) == 0);
}

TEST_CASE("interp muldiv: IMUL two- and three-operand forms truncate to the destination") {
  InterpCpu c;
  c.set(kRax, 0x10000);
  c.set(kRbx, 0x10000);
  c.run({0x0F, 0xAF, 0xC3});  // imul eax, ebx
  CHECK(c.reg(kRax) == 0);
  CHECK((c.arith() & (CF | OF)) == (CF | OF));

  c.set(kRbx, 3);
  c.run({0x6B, 0xC3, 0xFE});  // imul eax, ebx, -2
  CHECK(c.reg(kRax) == 0xFFFFFFFAu);
  CHECK((c.arith() & (CF | OF)) == 0);

  c.set(kRax, 0xDEAD0000);
  c.set(kRbx, 0x4000);
  c.run({0x66, 0x69, 0xC3, 0x02, 0x00});  // imul ax, bx, 2: 0x8000 overflows int16
  CHECK(c.reg(kRax) == 0xDEAD8000u);
  CHECK((c.arith() & (CF | OF)) == (CF | OF));

  c.poke(kDataAddr, 0xFFFFFFFF);
  c.set(kRsi, kDataAddr);
  c.set(kRcx, 7);
  c.run({0x0F, 0xAF, 0x0E});  // imul ecx, [esi]
  CHECK(c.reg(kRcx) == 0xFFFFFFF9u);
}

TEST_CASE("interp muldiv: DIV results and #DE on zero or overflow") {
  InterpCpu c;
  c.set(kRdx, 1);
  c.set(kRax, 0);
  c.set(kRbx, 2);
  c.run({0xF7, 0xF3});  // div ebx: 0x100000000 / 2
  CHECK(c.reg(kRax) == 0x80000000u);
  CHECK(c.reg(kRdx) == 0);

  c.set(kRdx, 2);
  c.set(kRax, 0);
  expect_de(c, {0xF7, 0xF3});  // quotient 2^32 does not fit
  c.set(kRbx, 0);
  expect_de(c, {0xF7, 0xF3});  // divide by zero

  c.set(kRax, 0x100);
  c.set(kRbx, 1);
  expect_de(c, {0xF6, 0xF3});  // div bl: 256 does not fit in AL

  c.set(kRax, 0xFF);
  c.set(kRbx, 0x10);
  c.run({0xF6, 0xF3});  // div bl
  CHECK((c.reg(kRax) & 0xFFFF) == 0x0F0F);

  c.set(kRdx, 0x0003);
  c.set(kRax, 0x0004);
  c.set(kRbx, 0x10);
  c.run({0x66, 0xF7, 0xF3});  // div bx: 0x30004 / 16
  CHECK((c.reg(kRax) & 0xFFFF) == 0x3000);
  CHECK((c.reg(kRdx) & 0xFFFF) == 0x0004);
}

TEST_CASE("interp muldiv: IDIV truncates toward zero, #DE on INT_MIN / -1 in every width") {
  InterpCpu c;
  c.set(kRdx, 0xFFFFFFFF);
  c.set(kRax, 0xFFFFFFF9);  // -7
  c.set(kRbx, 2);
  c.run({0xF7, 0xFB});  // idiv ebx
  CHECK(c.reg(kRax) == 0xFFFFFFFDu);  // -3
  CHECK(c.reg(kRdx) == 0xFFFFFFFFu);  // -1: the remainder has the dividend's sign

  c.set(kRdx, 0xFFFFFFFF);
  c.set(kRax, 0x80000000);  // -2^31
  c.set(kRbx, 0xFFFFFFFF);
  expect_de(c, {0xF7, 0xFB});  // +2^31 does not fit

  c.set(kRdx, 0x80000000);
  c.set(kRax, 0);  // INT64_MIN: would trap a host idiv
  expect_de(c, {0xF7, 0xFB});

  c.set(kRdx, 0);
  c.set(kRax, 0x7FFFFFFF);
  c.run({0xF7, 0xFB});  // idiv by -1 in range
  CHECK(c.reg(kRax) == 0x80000001u);
  CHECK(c.reg(kRdx) == 0);

  c.set(kRax, 0xFF80);  // AX = -128
  c.set(kRbx, 0xFF);
  expect_de(c, {0xF6, 0xFB});  // idiv bl: 128 does not fit in AL
  c.set(kRbx, 2);
  c.run({0xF6, 0xFB});
  CHECK((c.reg(kRax) & 0xFFFF) == 0x00C0);  // AL = -64, AH = 0

  c.set(kRdx, 0x8000);
  c.set(kRax, 0x0000);
  c.set(kRbx, 0xFFFF);
  expect_de(c, {0x66, 0xF7, 0xFB});  // idiv bx: -2^31 / -1
  c.set(kRbx, 0);
  expect_de(c, {0x66, 0xF7, 0xFB});
}

TEST_CASE("interp muldiv: a divisor in memory past the limit faults with #GP, not #DE") {
  InterpCpu c;
  c.s.seg[kDs].limit = 0xFFF;
  c.set(kRbx, 0xFFE);
  c.load({0xF7, 0x33});  // div dword [ebx]
  CHECK(c.fault().vector == vec::GP);
}
