// MMX through the interpreter: the arithmetic, compare, pack/unpack, logic and
// shift instructions on hand-computed values (SDM vol. 2 definitions: wrap,
// signed/unsigned saturation, word products, interleaving), MOVD/MOVQ with
// registers and memory, and the aliasing with the x87 state (SDM vol. 3 12.2:
// MMi = Ri, TOS 0, tags valid, bits 79-64 set on writes, EMMS empties; FCW and
// the instruction/data pointers untouched).
#include "tests/unit/test_x87_fixture.h"

using namespace kasou;
using namespace kasou::test;
using namespace kasou::x87;

namespace {

constexpr uint32_t A = X87Cpu::kData, B = X87Cpu::kData + 8, R = X87Cpu::kData + 0x40;

// mm0 = a, mm1 = b, then `op mm0, mm1`; returns mm0 (stored with MOVQ).
uint64_t binop(X87Cpu& c, uint8_t op, uint64_t a, uint64_t b) {
  c.poke(A, a, 8);
  c.poke(B, b, 8);
  c.exec(mmx_mem(0x6F, 0, A) + mmx_mem(0x6F, 1, B) + mmx_reg(op, 0, 1) + mmx_mem(0x7F, 0, R));
  return c.mem(R, 8);
}

}  // namespace

TEST_CASE("mmx: add and subtract, wrapping and saturating") {
  X87Cpu c;
  const uint64_t a = 0x7F80FF0102030405ull, b = 0x0180010203040506ull;
  CHECK(binop(c, 0xFC, a, b) == 0x800000030507090Bull);  // PADDB
  CHECK(binop(c, 0xEC, a, b) == 0x7F8000030507090Bull);  // PADDSB
  CHECK(binop(c, 0xDC, a, b) == 0x80FFFF030507090Bull);  // PADDUSB
  CHECK(binop(c, 0xFD, 0xFFFF000100020003ull, 0x0001000100010001ull) == 0x0000000200030004ull);  // PADDW
  CHECK(binop(c, 0xFE, 0xFFFFFFFF7FFFFFFFull, 0x0000000100000001ull) == 0x0000000080000000ull);  // PADDD
  CHECK(binop(c, 0xD9, 0x00018000FFFF1234ull, 0x00020001FFFF0234ull) == 0x00007FFF00001000ull);  // PSUBUSW
  CHECK(binop(c, 0xE9, 0x8000000100000000ull, 0x0001000200000000ull) == 0x8000FFFF00000000ull);  // PSUBSW
  CHECK(binop(c, 0xF8, 0x0000000000000000ull, 0x0101010101010101ull) == 0xFFFFFFFFFFFFFFFFull);  // PSUBB
}

TEST_CASE("mmx: multiplies and PMADDWD") {
  X87Cpu c;
  const uint64_t a = 0x0003FFFF10008000ull, b = 0x0004000200100002ull;
  CHECK(binop(c, 0xD5, a, b) == 0x000CFFFE00000000ull);  // PMULLW
  CHECK(binop(c, 0xE5, a, b) == 0x0000FFFF0001FFFFull);  // PMULHW
  CHECK(binop(c, 0xF5, a, b) == 0x0000000A00000000ull);  // PMADDWD
}

TEST_CASE("mmx: compares, packs, unpacks, logic") {
  X87Cpu c;
  CHECK(binop(c, 0x74, 0x1122334455667788ull, 0x1100330055007700ull) == 0xFF00FF00FF00FF00ull);  // PCMPEQB
  CHECK(binop(c, 0x65, 0x000180007FFFFFFFull, 0x0000000080000000ull) == 0xFFFF0000FFFF0000ull);  // PCMPGTW
  CHECK(binop(c, 0x63, 0x0100FF00007F0080ull, 0) == 0x000000007F807F7Full);  // PACKSSWB
  CHECK(binop(c, 0x67, 0x0100FF00007F0080ull, 0) == 0x00000000FF007F80ull);  // PACKUSWB
  CHECK(binop(c, 0x6A, 0x1111111122222222ull, 0x3333333344444444ull) == 0x3333333311111111ull);  // PUNPCKHDQ
  CHECK(binop(c, 0xDF, 0xFF00FF00FF00FF00ull, 0x1234567812345678ull) == 0x0034007800340078ull);  // PANDN
  CHECK(binop(c, 0xEF, 0xFFFF0000FFFF0000ull, 0x1234567812345678ull) == 0xEDCB5678EDCB5678ull);  // PXOR
  // PUNPCKLBW with a 32-bit memory operand.
  c.poke(A, 0x0000000044332211ull, 8);
  c.poke(B, 0xDDCCBBAA, 4);
  c.poke(B + 4, 0x99999999, 4);  // not read
  c.exec(mmx_mem(0x6F, 2, A) + mmx_mem(0x60, 2, B) + mmx_mem(0x7F, 2, R));
  CHECK(c.mem(R, 8) == 0xDD44CC33BB22AA11ull);
}

TEST_CASE("mmx: shifts by immediate, register and memory counts") {
  X87Cpu c;
  c.poke(A, 0x80007FF0FFFF0100ull, 8);
  c.exec(mmx_mem(0x6F, 5, A) + Bytes{0x0F, 0x71, 0xE5, 0x04} + mmx_mem(0x7F, 5, R));  // psraw mm5, 4
  CHECK(c.mem(R, 8) == 0xF80007FFFFFF0010ull);
  CHECK(binop(c, 0xF3, 1, 64) == 0);     // PSLLQ by 64: all out
  CHECK(binop(c, 0xF3, 1, 4) == 0x10);   // PSLLQ by 4
  CHECK(binop(c, 0xD2, 0xFFFFFFFFFFFFFFFFull, 0x0000000100000000ull) == 0);  // PSRLD by a 64-bit count > 31
  CHECK(binop(c, 0xE2, 0x80000000F0000000ull, 31) == 0xFFFFFFFFFFFFFFFFull);  // PSRAD by 31
  c.poke(A, 0x8000000000000001ull, 8);
  c.exec(mmx_mem(0x6F, 3, A) + Bytes{0x0F, 0x73, 0xD3, 0x3F} + mmx_mem(0x7F, 3, R));  // psrlq mm3, 63
  CHECK(c.mem(R, 8) == 1);
}

TEST_CASE("mmx: MOVD with general registers and memory, MOVQ between registers") {
  X87Cpu c;
  c.set(kRbx, 0xCAFEBABE);
  c.exec(mmx_reg(0x6E, 4, 3) + mmx_reg(0x7E, 4, 0));  // movd mm4, ebx; movd eax, mm4
  CHECK(c.reg(kRax) == 0xCAFEBABE);
  c.exec(mmx_mem(0x7F, 4, R));
  CHECK(c.mem(R, 8) == 0x00000000CAFEBABEull);  // MOVD zero-extends
  c.poke(A, 0x0123456789ABCDEFull, 8);
  c.exec(mmx_mem(0x6F, 6, A) + mmx_reg(0x6F, 7, 6) + mmx_mem(0x7E, 7, R));  // movq mm7, mm6; movd [R], mm7
  CHECK(c.mem(R, 8) == 0x0000000089ABCDEFull);
  c.exec(mmx_reg(0x7F, 6, 1) + mmx_mem(0x7F, 1, R));  // movq mm1, mm6 (store form, register destination)
  CHECK(c.mem(R, 8) == 0x0123456789ABCDEFull);
}

TEST_CASE("mmx: aliasing with the x87 registers, tags and TOS; EMMS") {
  X87Cpu c;
  c.exec(enc::fld1);  // TOP 7, R7 = 1.0
  const uint32_t fip = c.fpu().fip();
  const uint16_t fop = c.fpu().fop();
  c.poke(A, 0x1122334455667788ull, 8);
  c.exec(mmx_mem(0x6F, 0, A));
  CHECK(c.top() == 0);
  CHECK(c.fpu().abridged_tag() == 0xFF);
  CHECK(c.st(0) == F80{0x1122334455667788ull, 0xFFFF});  // R0: bits 79-64 set
  CHECK(c.st(7) == kOne);                                  // R7 untouched
  // The full tag word reads the contents: R0 special, R7 valid, R1-R6 hold +0.
  CHECK(c.fpu().full_tag_word() == 0x1556);
  // MMX reads the x87 register's low 64 bits.
  c.exec(mmx_mem(0x7F, 7, R));
  CHECK(c.mem(R, 8) == 0x8000000000000000ull);
  // FCW and the pointers belong to the x87 instructions only.
  CHECK(c.fpu().fip() == fip);
  CHECK(c.fpu().fop() == fop);
  CHECK(c.fcw() == 0x037F);
  c.exec(enc::emms);
  CHECK(c.fpu().abridged_tag() == 0);
  CHECK(c.top() == 0);
  // x87 after EMMS: the stack is usable again.
  c.exec(enc::fld1 + enc::fld1 + enc::faddp);
  CHECK(c.st(0) == kTwo);
}

TEST_CASE("mmx: forms without MMX registers are not MMX; memory faults are precise") {
  X87Cpu c;
  // 66 0F FC: PADDB xmm0, xmm1 (SSE2, not on this CPU).
  CHECK(c.exec_fault({0x66, 0x0F, 0xFC, 0xC1}).vector == vec::UD);
  c.identity_paging({0x50000});
  c.exec(enc::fld1);
  CHECK(c.exec_fault(mmx_mem(0x7F, 0, 0x50000)).vector == vec::PF);
  CHECK(c.top() == 7);  // the store faulted before the MMX state changed
  CHECK(c.fpu().abridged_tag() == 0x80);
  CHECK(c.exec_fault(mmx_mem(0xFC, 0, 0x4FFFC)).vector == vec::PF);  // an 8-byte read crossing into it
  CHECK(c.top() == 7);
}
