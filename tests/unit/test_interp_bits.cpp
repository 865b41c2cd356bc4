// Reference interpreter: BT BTS BTR BTC (bit strings in memory with signed
// register offsets, masked immediate offsets), BSF BSR, BSWAP.
#include "tests/unit/test_interp_fixture.h"

using namespace kasou;
using namespace kasou::test;

namespace {
constexpr uint32_t CF = flag::CF, ZF = flag::ZF;
constexpr uint32_t kBase = kDataAddr + 0x100;
}  // namespace

TEST_CASE("interp bits: BT on registers takes the offset mod the width and sets only CF") {
  InterpCpu c;
  c.set(kRax, 0x20);
  c.set(kRbx, 37);
  c.set_arith(ZF);
  c.run({0x0F, 0xA3, 0xD8});  // bt eax, ebx
  CHECK(c.arith() == (CF | ZF));
  c.run({0x0F, 0xBA, 0xE0, 0x25});  // bt eax, 0x25
  CHECK(c.has(CF));
  c.run({0x0F, 0xBA, 0xE0, 0x04});  // bt eax, 4
  CHECK(!c.has(CF));

  c.set(kRax, 0);
  c.run({0x0F, 0xAB, 0xD8});  // bts eax, ebx
  CHECK(c.reg(kRax) == 0x20);
  CHECK(!c.has(CF));
  c.run({0x0F, 0xBB, 0xD8});  // btc eax, ebx
  CHECK(c.reg(kRax) == 0);
  CHECK(c.has(CF));
  c.set(kRax, 0xFFFFFFFF);
  c.run({0x66, 0x0F, 0xBA, 0xF0, 0x13});  // btr ax, 19 -> bit 3
  CHECK(c.reg(kRax) == 0xFFFFFFF7u);
}

TEST_CASE("interp bits: a register bit offset addresses a bit string around the operand") {
  InterpCpu c;
  c.set(kRbx, kBase);
  c.poke(kBase - 4, 0x80000000);
  c.set(kRcx, 0xFFFFFFFF);  // offset -1: bit 31 of the dword before
  c.run({0x0F, 0xA3, 0x0B});  // bt [ebx], ecx
  CHECK(c.has(CF));

  c.set(kRcx, 100);  // dword +3 (12 bytes on), bit 4
  c.run({0x0F, 0xAB, 0x0B});  // bts [ebx], ecx
  CHECK(c.mem(kBase + 12) == 0x10);
  CHECK(!c.has(CF));

  c.set(kRcx, 0xFFFFFFE0);  // -32: bit 0 of the dword before
  c.run({0x0F, 0xB3, 0x0B});  // btr [ebx], ecx
  CHECK(!c.has(CF));
  c.run({0x0F, 0xBB, 0x0B});  // btc [ebx], ecx
  CHECK(c.mem(kBase - 4) == 0x80000001u);

  // 16-bit operand: the offset is the signed low word, the unit a word.
  c.poke(kBase - 2, 0x0001, 2);
  c.set(kRcx, 0x1234FFF0);  // CX = -16: bit 0 of the word before
  c.run({0x66, 0x0F, 0xB3, 0x0B});  // btr word [ebx], cx
  CHECK(c.has(CF));
  CHECK(c.mem(kBase - 2, 2) == 0);
}

TEST_CASE("interp bits: an immediate bit offset on memory is masked to the operand width") {
  InterpCpu c;
  c.set(kRbx, kBase);
  c.poke(kBase, 0);
  c.poke(kBase + 4, 0);
  c.run({0x0F, 0xBA, 0x3B, 0x21});  // btc dword [ebx], 33 -> bit 1 of [ebx]
  CHECK(c.mem(kBase) == 2);
  CHECK(c.mem(kBase + 4) == 0);
  c.run({0x66, 0x0F, 0xBA, 0x2B, 0x11});  // bts word [ebx], 17 -> bit 1
  CHECK(c.has(CF));
}

TEST_CASE("interp bits: BT with a register offset faults on the addressed unit, not the operand") {
  InterpCpu c;
  c.s.seg[kDs].limit = 0xFFFF;
  c.set(kRbx, 0xFFF0);
  c.set(kRcx, 32 * 4);  // dword at FFF0 + 16 = 10000: past the limit
  c.load({0x0F, 0xAB, 0x0B});  // bts [ebx], ecx
  GuestFault f = c.fault();
  CHECK(f.vector == vec::GP);
  c.set(kRcx, 32 * 3);  // 0xFFFC..0xFFFF: inside
  c.step();
  CHECK(c.mem(0xFFFC) == 1);
}

TEST_CASE("interp bits: BSF/BSR find the lowest/highest set bit, a zero source leaves the destination") {
  InterpCpu c;
  c.set(kRax, 0xDEADBEEF);
  c.set(kRbx, 0);
  c.run({0x0F, 0xBC, 0xC3});  // bsf eax, ebx
  CHECK(c.reg(kRax) == 0xDEADBEEFu);
  CHECK(c.has(ZF));
  c.run({0x0F, 0xBD, 0xC3});  // bsr eax, ebx
  CHECK(c.reg(kRax) == 0xDEADBEEFu);
  CHECK(c.has(ZF));

  c.set(kRbx, 0x00010001);
  c.run({0x0F, 0xBD, 0xC3});  // bsr
  CHECK(c.reg(kRax) == 16);
  CHECK(!c.has(ZF));
  c.run({0x0F, 0xBC, 0xC3});  // bsf
  CHECK(c.reg(kRax) == 0);

  c.set(kRax, 0x12345678);
  c.set(kRbx, 0xFFFF8000);
  c.run({0x66, 0x0F, 0xBC, 0xC3});  // bsf ax, bx
  CHECK(c.reg(kRax) == 0x1234000Fu);
}

TEST_CASE("interp bits: BSWAP") {
  InterpCpu c;
  c.set(kRdx, 0x12345678);
  c.run({0x0F, 0xCA});  // bswap edx
  CHECK(c.reg(kRdx) == 0x78563412u);
}
