// x87 data movement and arithmetic through the interpreter: every load/store
// format (m16/m32/m64 integer, m32/m64/m80 real, m80 BCD), the stack (TOP,
// tags, overflow and underflow with SF/C1 and the indefinite), masked exception
// responses, compares into FSW and EFLAGS, FCMOVcc, precision and rounding
// control, and the transcendental group. Expected values: IEEE/SDM results that
// are exact (1+1=2, sqrt(2.25)=1.5, BCD digits, the indefinite QNaN), SDM flag
// rules, or the host CPU running the same instruction in the test itself.
#include "tests/unit/test_x87_fixture.h"

using namespace kasou;
using namespace kasou::test;
using namespace kasou::x87;

namespace {

constexpr uint32_t A = X87Cpu::kData, B = X87Cpu::kData + 0x10, C = X87Cpu::kData + 0x20;

}  // namespace

TEST_CASE("x87: FNINIT state and FLD1/FADDP") {
  X87Cpu c;
  CHECK(c.fcw() == 0x037F);
  CHECK(c.fsw() == 0);
  CHECK(c.fpu().abridged_tag() == 0);
  c.exec(enc::fld1 + enc::fld1);
  CHECK(c.top() == 6);
  CHECK(c.fpu().abridged_tag() == 0xC0);  // physical registers 6 and 7
  c.exec(enc::faddp);
  CHECK(c.top() == 7);
  CHECK(c.st(0) == kTwo);
  CHECK(c.fpu().full_tag_word() == 0x3FFF);  // R7 valid, others empty
  c.exec(enc::fstp_m64(A));
  CHECK(c.mem(A, 8) == 0x4000000000000000ull);
  CHECK(c.top() == 0);
  CHECK(c.fpu().abridged_tag() == 0);
}

TEST_CASE("x87: real loads and stores of every width keep the value") {
  X87Cpu c;
  c.put_float(A, -1.5f);
  c.exec(enc::fld_m32(A) + enc::fstp_m64(B));
  CHECK(c.get_double(B) == -1.5);
  // m80 round trip of an arbitrary pattern (a valid normal number).
  const F80 x{0xDEADBEEFCAFEF00Dull | (1ull << 63), 0x4123};
  c.put_f80(A, x);
  c.exec(enc::fld_m80(A));
  CHECK(c.st(0) == x);
  c.exec(enc::fstp_m80(C));
  CHECK(c.get_f80(C) == x);
  // m80 store of the memory-form unsupported pseudo-infinity is loaded as is (FLD m80 does not check).
  const F80 unnormal{0x4000000000000000ull, 0x4000};
  c.put_f80(A, unnormal);
  c.exec(enc::fld_m80(A));
  CHECK(c.st(0) == unnormal);
  CHECK((c.fpu().full_tag_word() >> (2 * 7) & 3) == kTagSpecial);
}

TEST_CASE("x87: integer loads and stores (m16, m32, m64) with rounding") {
  X87Cpu c;
  c.poke(A, 0xFFFFFFFB);  // -5
  c.exec(enc::fild_m32(A) + enc::fistp_m16(B));
  CHECK(c.mem(B, 2) == 0xFFFB);
  c.poke(A, 0x8000000000000000ull, 8);
  c.exec(enc::fild_m64(A) + enc::fistp_m64(B));
  CHECK(c.mem(B, 8) == 0x8000000000000000ull);
  // 2.5 rounds to even (2), -2.5 to -2; under RC=up 2.5 -> 3 (SDM 4.8.4).
  c.push_double(2.5);
  c.exec(enc::fistp_m32(B));
  CHECK(c.mem(B) == 2);
  CHECK((c.fsw() & kPE));
  c.set_fcw(0x0B7F);  // RC = 10b (up)
  c.push_double(2.5);
  c.exec(enc::fistp_m32(B));
  CHECK(c.mem(B) == 3);
  // Out of range, masked IE: the integer indefinite (8000h) is stored.
  c.exec(enc::fnclex);
  c.push_double(40000.0);
  c.exec(enc::fistp_m16(B));
  CHECK(c.mem(B, 2) == 0x8000);
  CHECK((c.fsw() & kIE));
}

TEST_CASE("x87: FBLD and FBSTP (packed BCD)") {
  X87Cpu c;
  // +781234567890123456 (18 BCD digits, least significant byte first; sign byte 0).
  c.poke(A, 0x1234567890123456ull, 8);
  c.poke(A + 8, 0x0078, 2);  // digits 17-16 = 78, sign 0
  c.exec(enc::fbld(A) + enc::fistp_m64(B));
  CHECK(c.mem(B, 8) == 781234567890123456ull);
  c.poke(A, static_cast<uint64_t>(-987654321LL), 8);
  c.exec(enc::fild_m64(A) + enc::fbstp(C));
  CHECK(c.mem(C, 8) == 0x0000000987654321ull);
  CHECK(c.mem(C + 8, 2) == 0x8000);  // sign bit in byte 9
}

TEST_CASE("x87: stack overflow and underflow (masked): IE, SF, C1, the indefinite") {
  X87Cpu c;
  for (int i = 0; i < 8; i++) c.exec(enc::fld1);
  CHECK(c.fsw() == (0 << kTopShift));
  c.exec(enc::fldz);  // ninth push: overflow
  CHECK((c.fsw() & (kIE | kSF | kC1)) == (kIE | kSF | kC1));
  CHECK(c.top() == 7);
  CHECK(c.st(0) == kIndefinite);
  c.exec(enc::fninit + enc::faddp);  // FADDP with both empty: underflow
  CHECK((c.fsw() & (kIE | kSF | kC1)) == (kIE | kSF));
  CHECK(c.st(0) == kIndefinite);
  // FSTP to memory from an empty stack stores the indefinite.
  c.exec(enc::fninit + enc::fstp_m64(A));
  CHECK(c.mem(A, 8) == 0xFFF8000000000000ull);
}

TEST_CASE("x87: masked divide-by-zero, invalid, denormal, precision") {
  X87Cpu c;
  c.exec(enc::fld1 + enc::fldz + enc::fdivp);  // 1/0
  CHECK(c.st(0) == kPlusInf);
  CHECK((c.fsw() & kExceptionFlags) == kZE);
  CHECK(!(c.fsw() & kES));  // masked: nothing pending
  c.exec(enc::fninit + enc::fldz + enc::fldz + enc::fdivp);  // 0/0
  CHECK(c.st(0) == kIndefinite);
  CHECK((c.fsw() & kExceptionFlags) == kIE);
  c.exec(enc::fninit + enc::fld1);
  c.put_double(A, 1.0 / 3.0);
  c.exec(enc::fdiv_m64(A));
  CHECK((c.fsw() & kPE));
  // A denormal double operand sets DE (SDM 4.9.1.2).
  c.exec(enc::fninit + enc::fld1);
  c.poke(A, 1, 8);  // smallest positive denormal
  c.exec(enc::fadd_m64(A));
  CHECK((c.fsw() & kDE));
}

TEST_CASE("x87: precision control rounds to 24 bits, C1 says rounded up") {
  X87Cpu c;
  c.set_fcw(0x007F);  // PC = 00b (single)
  c.put_double(A, 3.0);
  c.exec(enc::fld1 + enc::fdiv_m64(A));  // 1/3 = 0.0101...b: single rounds up to AAAAABh
  CHECK(c.st(0) == F80{0xAAAAAB0000000000ull, 0x3FFD});
  CHECK((c.fsw() & (kPE | kC1)) == (kPE | kC1));
}

TEST_CASE("x87: FCOM/FUCOM condition codes, FNSTSW AX, FTST, FXAM") {
  X87Cpu c;
  c.push_double(2.0);
  c.push_double(1.0);  // ST0 = 1, ST1 = 2
  c.exec(enc::fcom(1) + enc::fnstsw_ax);
  CHECK((c.reg(kRax) & (kC0 | kC2 | kC3)) == kC0);  // ST0 < ST1
  c.exec(enc::fxch(1) + enc::fcom(1) + enc::fnstsw_ax);
  CHECK((c.reg(kRax) & (kC0 | kC2 | kC3)) == 0);  // 2 > 1
  c.exec(enc::fld_st(0) + enc::fucom(1) + enc::fnstsw_ax);
  CHECK((c.reg(kRax) & (kC0 | kC2 | kC3)) == kC3);  // equal
  c.exec(enc::fninit + enc::fldz + enc::ftst);
  CHECK((c.fsw() & (kC0 | kC2 | kC3)) == kC3);
  // FXAM classes (SDM FXAM table): C3 C2 C0.
  struct {
    F80 v;
    uint16_t cc;
  } cases[] = {
      {kOne, kC2},                                      // normal
      {F80{0, 0}, kC3},                                 // zero
      {kPlusInf, kC2 | kC0},                            // infinity
      {kIndefinite, kC0 | kC1},                         // NaN (negative: C1 = sign)
      {F80{1, 0}, kC3 | kC2},                           // denormal
      {F80{0x4000000000000000ull, 0x3FFF}, 0},          // unnormal: unsupported
  };
  for (auto& k : cases) {
    c.put_f80(A, k.v);
    c.exec(enc::fninit + enc::fld_m80(A) + enc::fxam);
    CHECK((c.fsw() & kConditionCodes) == k.cc);
  }
  c.exec(enc::fninit + enc::fxam);  // empty
  CHECK((c.fsw() & (kC0 | kC2 | kC3)) == (kC3 | kC0));
}

TEST_CASE("x87: FCOMI/FUCOMI set ZF PF CF and clear OF SF AF; FCOMIP pops") {
  X87Cpu c;
  c.push_double(2.0);
  c.push_double(1.0);
  c.s.rflags = flag::kFixed1 | flag::OF | flag::SF | flag::AF | flag::ZF;
  c.exec(enc::fcomi(1));
  CHECK(c.arith() == flag::CF);
  c.exec(enc::fxch(1) + enc::fcomi(1));
  CHECK(c.arith() == 0);
  c.exec(enc::fld_st(0) + enc::fcomip(1));
  CHECK(c.arith() == flag::ZF);
  CHECK(c.top() == 6);
  // Unordered: ZF PF CF all set; FCOMI signals IE on a QNaN, FUCOMI does not.
  c.put_f80(A, kIndefinite);
  c.exec(enc::fld_m80(A) + enc::fucomi(1));
  CHECK(c.arith() == (flag::ZF | flag::PF | flag::CF));
  CHECK(!(c.fsw() & kIE));
  c.exec(enc::fcomi(1));
  CHECK((c.fsw() & kIE));
}

TEST_CASE("x87: FCMOVcc reads EFLAGS") {
  X87Cpu c;
  c.push_double(5.0);
  c.push_double(7.0);  // ST0 = 7, ST1 = 5
  c.s.rflags = flag::kFixed1;
  c.exec(enc::fcmovb(1));  // CF=0: no move
  CHECK(c.st(0) == F80{0xE000000000000000ull, 0x4001});
  c.s.rflags |= flag::CF;
  c.exec(enc::fcmovb(1));
  CHECK(c.st(0) == F80{0xA000000000000000ull, 0x4001});
  c.exec(enc::fcmovnb(1) + enc::fcmovu(1));  // CF=1, PF=0: neither moves
  CHECK(c.st(0) == F80{0xA000000000000000ull, 0x4001});
}

TEST_CASE("x87: exact results of FSQRT FSCALE FXTRACT FRNDINT FPREM FPREM1 FYL2X") {
  X87Cpu c;
  c.push_double(2.25);
  c.exec(enc::fsqrt);
  CHECK(c.st(0) == F80{0xC000000000000000ull, 0x3FFF});  // 1.5
  c.exec(enc::fninit);
  c.push_double(3.0);
  c.push_double(1.0);
  c.exec(enc::fscale);  // 1 * 2^3
  CHECK(c.st(0) == F80{0x8000000000000000ull, 0x4002});
  c.exec(enc::fninit);
  c.push_double(10.0);
  c.exec(enc::fxtract);  // ST0 = significand 1.25, ST1 = exponent 3
  CHECK(c.st(0) == F80{0xA000000000000000ull, 0x3FFF});
  CHECK(c.st(1) == F80{0xC000000000000000ull, 0x4000});
  c.exec(enc::fninit);
  c.push_double(2.5);
  c.exec(enc::frndint);  // nearest even
  CHECK(c.st(0) == kTwo);
  // FPREM 7 mod 3 = 1, quotient 2 (Q2 Q1 Q0 = 010 -> C0=0 C3=1 C1=0); FPREM1 8 rem 3 = -1, quotient 3.
  c.exec(enc::fninit);
  c.push_double(3.0);
  c.push_double(7.0);
  c.exec(enc::fprem);
  CHECK(c.st(0) == kOne);
  CHECK((c.fsw() & (kC0 | kC1 | kC2 | kC3)) == kC3);
  c.exec(enc::fninit);
  c.push_double(3.0);
  c.push_double(8.0);
  c.exec(enc::fprem1);
  CHECK(c.st(0) == F80{0x8000000000000000ull, 0xBFFF});
  CHECK((c.fsw() & (kC0 | kC1 | kC2 | kC3)) == (kC3 | kC1));
  // FYL2X: 3 * log2(8) = 9.
  c.exec(enc::fninit);
  c.push_double(3.0);
  c.push_double(8.0);
  c.exec(enc::fyl2x);
  CHECK(c.top() == 7);
  CHECK(c.st(0) == F80{0x9000000000000000ull, 0x4002});
}

namespace {
// The host CPU's own result of a one-operand transcendental on `x` (the oracle).
F80 host_unary(double x, int which, uint16_t* fsw_out = nullptr) {
  long double r = 0;
  uint16_t sw = 0;
  switch (which) {
    case 0: __asm__ volatile("fldl %2\n fsin\n fnstsw %1\n fstpt %0" : "=m"(r), "=m"(sw) : "m"(x)); break;
    case 1: __asm__ volatile("fldl %2\n fcos\n fnstsw %1\n fstpt %0" : "=m"(r), "=m"(sw) : "m"(x)); break;
    case 2: __asm__ volatile("fldl %2\n f2xm1\n fnstsw %1\n fstpt %0" : "=m"(r), "=m"(sw) : "m"(x)); break;
    case 3: __asm__ volatile("fldl %2\n fld1\n fpatan\n fnstsw %1\n fstpt %0" : "=m"(r), "=m"(sw) : "m"(x)); break;
    case 4: {  // FSINCOS: the sine (the cosine is on top)
      long double cosine;
      __asm__ volatile("fldl %3\n fsincos\n fnstsw %1\n fstpt %2\n fstpt %0" : "=m"(r), "=m"(sw), "=m"(cosine) : "m"(x));
      break;
    }
    default: {  // FSINCOS: the cosine
      long double sine;
      __asm__ volatile("fldl %3\n fsincos\n fnstsw %1\n fstpt %0\n fstpt %2" : "=m"(r), "=m"(sw), "=m"(sine) : "m"(x));
      break;
    }
  }
  if (fsw_out) *fsw_out = sw;
  F80 f;
  std::memcpy(&f.mant, &r, 8);
  std::memcpy(&f.se, reinterpret_cast<const uint8_t*>(&r) + 8, 2);
  return f;
}
}  // namespace

TEST_CASE("x87: FSIN FCOS F2XM1 FPATAN agree with the host CPU; FPTAN pushes 1; FSINCOS") {
  X87Cpu c;
  const double xs[] = {0.5, -0.75, 3.0, 1e-5};
  const Bytes ops[] = {enc::fsin, enc::fcos, Bytes{0xD9, 0xF0}};
  for (double x : xs) {
    for (int w = 0; w < 3; w++) {
      if (w == 2 && (x > 1 || x < -1)) continue;  // F2XM1 is undefined outside [-1, 1]
      CAPTURE(x);
      CAPTURE(w);
      uint16_t sw;
      const F80 want = host_unary(x, w, &sw);
      c.exec(enc::fninit);
      c.push_double(x);
      c.exec(ops[w]);
      CHECK(c.st(0) == want);
      CHECK((c.fsw() & (kC1 | kPE | kUE)) == (sw & (kC1 | kPE | kUE)));
    }
    c.exec(enc::fninit);
    c.push_double(x);
    c.exec(enc::fld1 + Bytes{0xD9, 0xF3});  // FPATAN(x / 1)
    CHECK(c.st(0) == host_unary(x, 3));
  }
  c.exec(enc::fninit);
  c.push_double(0.0);
  c.exec(enc::fptan);
  CHECK(c.top() == 6);
  CHECK(c.st(0) == kOne);
  CHECK(c.st(1) == F80{0, 0});
  c.exec(enc::fninit);
  c.push_double(0.5);
  c.exec(enc::fsincos);  // ST0 = cos, ST1 = sin
  CHECK(c.st(0) == host_unary(0.5, 5));
  CHECK(c.st(1) == host_unary(0.5, 4));
  // Out of range (|x| >= 2^63): C2 set, operand unchanged.
  c.exec(enc::fninit);
  c.push_double(1e30);
  const F80 loaded = c.st(0);
  c.exec(enc::fsin);
  CHECK((c.fsw() & kC2));
  CHECK(c.st(0) == loaded);
}

TEST_CASE("x87: FXCH, FFREE, FINCSTP, FDECSTP, FCHS, FABS, constants") {
  X87Cpu c;
  c.exec(enc::fld1 + enc::fldz + enc::fxch(1));
  CHECK(c.st(0) == kOne);
  CHECK(c.st(1) == F80{0, 0});
  c.exec(enc::fchs);
  CHECK(c.st(0) == F80{kOne.mant, 0xBFFF});
  c.exec(enc::fabs);
  CHECK(c.st(0) == kOne);
  c.exec(enc::ffree(1));
  CHECK(c.fpu().abridged_tag() == 0x40);  // R7 freed, R6 (ST0) kept
  c.exec(enc::fincstp);
  CHECK(c.top() == 7);
  c.exec(enc::fdecstp + enc::fdecstp);
  CHECK(c.top() == 5);
  c.exec(enc::fninit + enc::fldpi);
  CHECK(c.st(0) == F80{0xC90FDAA22168C235ull, 0x4000});
  // FXCH with an empty register: underflow, masked: both become the indefinite.
  c.exec(enc::fninit + enc::fld1 + enc::fxch(3));
  CHECK((c.fsw() & (kIE | kSF)) == (kIE | kSF));
  CHECK(c.st(0) == kIndefinite);
}

TEST_CASE("x87: memory faults are precise (FSTP to a not-present page pops nothing)") {
  X87Cpu c;
  c.identity_paging({0x50000});
  c.exec(enc::fld1);
  const unsigned top = c.top();
  const uint64_t rip = c.s.rip;
  c.load({0xDD, 0x1D, 0x00, 0x00, 0x05, 0x00});  // fstp qword [0x50000]
  GuestFault f = c.fault();
  CHECK(f.vector == vec::PF);
  CHECK(c.top() == top);
  CHECK(c.s.rip == kCodeAddr);
  (void)rip;
  // Loads fault the same way; FIP/FOP are not updated by the faulting instruction.
  c.load({0xDD, 0x05, 0x00, 0x00, 0x05, 0x00});  // fld qword [0x50000]
  CHECK(c.fault().vector == vec::PF);
  CHECK(c.top() == top);
  // A 10-byte operand crossing into the missing page faults too.
  c.load({0xDB, 0x2D, 0xFA, 0xFF, 0x04, 0x00});  // fld tbyte [0x4FFFA]
  CHECK(c.fault().vector == vec::PF);
}
