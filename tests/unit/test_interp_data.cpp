// Reference interpreter: MOV (moffs, segment registers), MOVZX/MOVSX, XCHG,
// CMPXCHG, CMPXCHG8B, XADD, LEA, CBW..CDQ, LAHF/SAHF, flag instructions, SETcc,
// CMOVcc, XLAT and the far-pointer loads.
#include <string>

#include "tests/unit/test_interp_fixture.h"

using namespace kasou;
using namespace kasou::test;

namespace {
constexpr uint32_t CF = flag::CF, PF = flag::PF, AF = flag::AF, ZF = flag::ZF, SF = flag::SF, OF = flag::OF;
}

TEST_CASE("interp data: MOV with moffs, 32- and 16-bit addresses") {
  InterpCpu c;
  c.poke(kDataAddr, 0xCAFEBABE);
  c.run({0xA1, 0x00, 0x00, 0x01, 0x00});  // mov eax, [0x10000]
  CHECK(c.reg(kRax) == 0xCAFEBABEu);
  c.run({0xA2, 0x04, 0x00, 0x01, 0x00});  // mov [0x10004], al
  CHECK(c.mem(kDataAddr + 4) == 0xBE);
  c.poke(0x2000, 0x11223344);
  c.run({0x67, 0xA1, 0x00, 0x20});  // mov eax, [0x2000] (addr16 moffs)
  CHECK(c.reg(kRax) == 0x11223344u);
  c.run({0x66, 0xA3, 0x00, 0x00, 0x01, 0x00});  // mov [0x10000], ax
  CHECK(c.mem(kDataAddr) == 0xCAFE3344u);
}

TEST_CASE("interp data: MOV to a segment register in real mode, MOV SS opens the interrupt shadow") {
  InterpCpu c;
  c.real_mode();
  c.set(kRax, 0x1234);
  c.run({0x8E, 0xD8});  // mov ds, ax
  CHECK(c.s.seg[kDs].selector == 0x1234);
  CHECK(c.s.seg[kDs].base == 0x12340);
  CHECK(c.s.interrupt_shadow == 0);
  c.run({0x8E, 0xD0});  // mov ss, ax
  CHECK(c.s.seg[kSs].base == 0x12340);
  CHECK(c.s.interrupt_shadow == 1);
  CHECK(c.s.rip == kCodeAddr + 2);
}

TEST_CASE("interp data: MOV Sreg in protected mode: descriptor load, null selectors") {
  InterpCpu c;
  c.set_gdt(3, 0x00409200'1000FFFFull);  // base 0x1000, limit 0xFFFF, data, 32-bit
  c.set(kRax, 0x18);
  c.run({0x8E, 0xC0});  // mov es, ax
  CHECK(c.s.seg[kEs].base == 0x1000);
  CHECK(c.s.seg[kEs].limit == 0xFFFF);

  c.set(kRax, 0);
  c.run({0x8E, 0xD8});  // mov ds, ax (null: allowed, unusable)
  c.load({0x8B, 0x03});  // mov eax, [ebx]
  CHECK(c.fault().vector == vec::GP);

  c.load({0x8E, 0xD0});  // mov ss, ax (null)
  GuestFault f = c.fault();
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == 0);
  CHECK(c.s.interrupt_shadow == 0);

  c.set(kRax, 0x40);  // an empty GDT slot: not a code/data descriptor
  c.load({0x8E, 0xE0});  // mov fs, ax
  f = c.fault();
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == 0x40);
}

TEST_CASE("interp data: MOV from a segment register: zero-extended into r32, 16 bits into memory") {
  InterpCpu c;
  c.set(kRax, 0xFFFFFFFF);
  c.run({0x8C, 0xC8});  // mov eax, cs
  CHECK(c.reg(kRax) == 0x10);
  c.poke(kDataAddr, 0xAAAAAAAA);
  c.set(kRbx, kDataAddr);
  c.run({0x8C, 0x1B});  // mov [ebx], ds
  CHECK(c.mem(kDataAddr) == 0xAAAA0018u);
}

TEST_CASE("interp data: MOVZX and MOVSX") {
  InterpCpu c;
  c.set(kRbx, 0x80);
  c.run({0x0F, 0xB6, 0xC3});  // movzx eax, bl
  CHECK(c.reg(kRax) == 0x80);
  c.run({0x0F, 0xBE, 0xC3});  // movsx eax, bl
  CHECK(c.reg(kRax) == 0xFFFFFF80u);
  c.set(kRax, 0x12345678);
  c.run({0x66, 0x0F, 0xBE, 0xC3});  // movsx ax, bl
  CHECK(c.reg(kRax) == 0x1234FF80u);
  c.poke(kDataAddr, 0x8001);
  c.set(kRbx, kDataAddr);
  c.run({0x0F, 0xBF, 0x03});  // movsx eax, word [ebx]
  CHECK(c.reg(kRax) == 0xFFFF8001u);
}

TEST_CASE("interp data: XCHG with registers and memory") {
  InterpCpu c;
  c.set(kRax, 1);
  c.set(kRcx, 2);
  c.run({0x91});  // xchg ecx, eax
  CHECK(c.reg(kRax) == 2);
  CHECK(c.reg(kRcx) == 1);
  c.set(kRax, 0x1122);
  c.run({0x86, 0xE0});  // xchg al, ah
  CHECK(c.reg(kRax) == 0x2211);
  c.poke(kDataAddr, 7);
  c.set(kRbx, kDataAddr);
  c.run({0x87, 0x03});  // xchg [ebx], eax
  CHECK(c.reg(kRax) == 7);
  CHECK(c.mem(kDataAddr) == 0x2211);
}

TEST_CASE("interp data: CMPXCHG, equal and not equal") {
  InterpCpu c;
  c.poke(kDataAddr, 5);
  c.set(kRbx, kDataAddr);
  c.set(kRax, 5);
  c.set(kRcx, 9);
  c.run({0x0F, 0xB1, 0x0B});  // cmpxchg [ebx], ecx
  CHECK(c.mem(kDataAddr) == 9);
  CHECK(c.arith() == (ZF | PF));
  c.run({0x0F, 0xB1, 0x0B});  // EAX=5 != 9
  CHECK(c.reg(kRax) == 9);
  CHECK(c.mem(kDataAddr) == 9);
  CHECK(c.arith() == (CF | SF | AF | PF));  // flags of 5 - 9

  c.set(kRax, 0x12345601);
  c.set(kRdx, 0x02);
  c.run({0x0F, 0xB0, 0xD0});  // cmpxchg al, dl: the destination is AL itself, so always equal
  CHECK(c.reg(kRax) == 0x12345602u);
  CHECK(c.has(ZF));
}

TEST_CASE("interp data: CMPXCHG writes its memory operand even on a mismatch") {
  InterpCpu c;
  c.poke(kDataAddr, 5);
  c.set(kRbx, kDataAddr);
  c.set(kRax, 6);
  c.s.seg[kDs].attr &= ~seg_attr::kWritable;
  c.load({0x0F, 0xB1, 0x0B});
  CHECK(c.fault().vector == vec::GP);
  CHECK(c.reg(kRax) == 6);
  c.load({0x0F, 0xC7, 0x0B});  // cmpxchg8b [ebx]
  CHECK(c.fault().vector == vec::GP);
}

TEST_CASE("interp data: CMPXCHG8B") {
  InterpCpu c;
  c.poke(kDataAddr, 0x1111111122222222ull, 8);
  c.set(kRbx, 0xBBBBBBBB);
  c.set(kRcx, 0xCCCCCCCC);
  c.set(kRsi, kDataAddr);
  c.set(kRdx, 0x11111111);
  c.set(kRax, 0x22222222);
  c.set_arith(CF);
  c.run({0x0F, 0xC7, 0x0E});  // cmpxchg8b [esi]
  CHECK(c.mem(kDataAddr, 8) == 0xCCCCCCCCBBBBBBBBull);
  CHECK(c.arith() == (CF | ZF));
  c.run({0xF0, 0x0F, 0xC7, 0x0E});  // lock cmpxchg8b: now a mismatch
  CHECK(c.reg(kRdx) == 0xCCCCCCCCu);
  CHECK(c.reg(kRax) == 0xBBBBBBBBu);
  CHECK(c.mem(kDataAddr, 8) == 0xCCCCCCCCBBBBBBBBull);
  CHECK(c.arith() == CF);
}

TEST_CASE("interp data: XADD, including the same register twice") {
  InterpCpu c;
  c.poke(kDataAddr, 0xFFFFFFFF);
  c.set(kRbx, kDataAddr);
  c.set(kRcx, 1);
  c.run({0x0F, 0xC1, 0x0B});  // xadd [ebx], ecx
  CHECK(c.mem(kDataAddr) == 0);
  CHECK(c.reg(kRcx) == 0xFFFFFFFFu);
  CHECK(c.arith() == (CF | ZF | AF | PF));
  c.set(kRax, 21);
  c.run({0x0F, 0xC1, 0xC0});  // xadd eax, eax
  CHECK(c.reg(kRax) == 42);
}

TEST_CASE("interp data: LEA computes without touching memory, wraps and truncates") {
  InterpCpu c;
  c.set(kRax, 0x100);
  c.set(kRbx, 0x10);
  c.run({0x8D, 0x04, 0x58});  // lea eax, [eax+ebx*2]
  CHECK(c.reg(kRax) == 0x120);
  c.s.seg[kDs].limit = 0;
  c.set(kRax, 0xFFFFFFFF);
  c.run({0x8D, 0x80, 0x02, 0x00, 0x00, 0x00});  // lea eax, [eax+2]: wraps at 4 GiB, no #GP
  CHECK(c.reg(kRax) == 1);
  c.set(kRbx, 0xFFFF);
  c.set(kRax, 0xFFFFFFFF);
  c.run({0x67, 0x8D, 0x47, 0x02});  // lea eax, [bx+2]: 16-bit address wraps
  CHECK(c.reg(kRax) == 1);
  c.set(kRax, 0xAAAAAAAA);
  c.set(kRbx, 0x12345);
  c.run({0x66, 0x8D, 0x03});  // lea ax, [ebx]: truncated to 16 bits
  CHECK(c.reg(kRax) == 0xAAAA2345u);
}

TEST_CASE("interp data: CBW CWDE CWD CDQ") {
  InterpCpu c;
  c.set(kRax, 0xAAAA0080);
  c.run({0x66, 0x98});  // cbw
  CHECK(c.reg(kRax) == 0xAAAAFF80u);
  c.set(kRax, 0x8000);
  c.run({0x98});  // cwde
  CHECK(c.reg(kRax) == 0xFFFF8000u);
  c.run({0x99});  // cdq
  CHECK(c.reg(kRdx) == 0xFFFFFFFFu);
  c.set(kRax, 0x7FFF);
  c.run({0x66, 0x99});  // cwd
  CHECK(c.reg(kRdx) == 0xFFFF0000u);
}

TEST_CASE("interp data: LAHF/SAHF and the flag instructions") {
  InterpCpu c;
  c.set_arith(CF | PF | AF | ZF | SF | OF);
  c.run({0x9F});  // lahf
  CHECK(((c.reg(kRax) >> 8) & 0xFF) == 0xD7);
  c.set(kRax, 0x0100);  // AH = CF only
  c.run({0x9E});        // sahf
  CHECK(c.arith() == (CF | OF));
  c.run({0xF8});  // clc
  CHECK(!c.has(CF));
  c.run({0xF5});  // cmc
  CHECK(c.has(CF));
  c.run({0xF5});
  CHECK(!c.has(CF));
  c.run({0xF9});  // stc
  CHECK(c.has(CF));
  c.run({0xFD});  // std
  CHECK(c.has(flag::DF));
  c.run({0xFC});  // cld
  CHECK(!c.has(flag::DF));
  CHECK((c.s.rflags & flag::kFixed1) != 0);
}

namespace {
// SETcc for all 16 conditions after CMP a, b; `expected` lists the outcome in
// encoding order O NO B AE E NE BE A S NS P NP L GE LE G.
void check_conditions(uint32_t a, uint32_t b, const char* expected) {
  InterpCpu c;
  c.set(kRax, a);
  c.set(kRbx, b);
  c.run({0x39, 0xD8});  // cmp eax, ebx
  for (uint8_t cc = 0; cc < 16; cc++) {
    c.set(kRcx, 0xFFFFFF55);
    c.run({0x0F, static_cast<uint8_t>(0x90 + cc), 0xC1});  // setcc cl
    CAPTURE(cc);
    CHECK(c.reg(kRcx) == (0xFFFFFF00u | (expected[cc] == '1' ? 1u : 0u)));
    c.set(kRdx, 0x1234);
    c.set(kRsi, 0x5678);
    c.run({0x0F, static_cast<uint8_t>(0x40 + cc), 0xD6});  // cmovcc edx, esi
    CHECK(c.reg(kRdx) == (expected[cc] == '1' ? 0x5678u : 0x1234u));
  }
}
}  // namespace

TEST_CASE("interp data: SETcc and CMOVcc evaluate all 16 conditions") {
  check_conditions(1, 2, "0110011010101010");           // unsigned and signed less
  check_conditions(0x80000000, 1, "1001010101101010");  // signed overflow: less, not below
  check_conditions(5, 5, "0101101001100110");           // equal
  check_conditions(7, 5, "0101010101010101");           // above, greater, odd parity
}

TEST_CASE("interp data: SETcc to memory, CMOVcc reads its memory source even when false") {
  InterpCpu c;
  c.set(kRbx, kDataAddr);
  c.poke(kDataAddr, 0xFFFFFFFF);
  c.set_arith(ZF);
  c.run({0x0F, 0x94, 0x03});  // setz [ebx]
  CHECK(c.mem(kDataAddr) == 0xFFFFFF01u);

  c.s.seg[kDs].limit = 0xFFF;
  c.set_arith(0);
  c.set(kRax, 3);
  c.load({0x0F, 0x44, 0x03});  // cmovz eax, [ebx]: condition false, source beyond the limit
  CHECK(c.fault().vector == vec::GP);
  CHECK(c.reg(kRax) == 3);
}

TEST_CASE("interp data: XLAT with an unsigned AL index and a segment override") {
  InterpCpu c;
  c.poke(kDataAddr + 0xF0, 0x5A, 1);
  c.set(kRbx, kDataAddr);
  c.set(kRax, 0x123400F0);
  c.run({0xD7});  // xlat
  CHECK(c.reg(kRax) == 0x1234005Au);
  c.s.seg[kEs].base = 0x100;
  c.poke(kDataAddr + 0x100 + 0x5A, 0xA5, 1);
  c.run({0x26, 0xD7});  // es: xlat
  CHECK(c.reg(kRax) == 0x123400A5u);
}

TEST_CASE("interp data: LDS and LSS load offset and selector") {
  InterpCpu c;
  c.real_mode();
  c.poke(0x3000, 0x20001234);  // offset 1234, segment 2000
  c.set(kRbx, 0x3000);
  c.run({0xC5, 0x07});  // lds ax, [bx]
  CHECK((c.reg(kRax) & 0xFFFF) == 0x1234);
  CHECK(c.s.seg[kDs].base == 0x20000);

  InterpCpu p;
  p.set_gdt(3, kFlatData);
  p.poke(kDataAddr, 0x12345678);
  p.poke(kDataAddr + 4, 0x18, 2);
  p.set(kRbx, kDataAddr);
  p.run({0x0F, 0xB2, 0x23});  // lss esp, [ebx]
  CHECK(p.reg(kRsp) == 0x12345678u);
  CHECK(p.s.seg[kSs].selector == 0x18);

  p.poke(kDataAddr + 4, 0, 2);  // null selector into SS: #GP(0), ESP unchanged
  p.set(kRsp, kStackTop);
  p.load({0x0F, 0xB2, 0x23});
  CHECK(p.fault().vector == vec::GP);
  CHECK(p.reg(kRsp) == kStackTop);
}

TEST_CASE("interp data: 16-bit addressing wraps at 64 KiB in real mode") {
  InterpCpu c;
  c.real_mode();
  c.poke(0x0001, 0xBEEF, 2);
  c.set(kRbx, 0xFFFF);
  c.set(kRsi, 2);
  c.run({0x8B, 0x00});  // mov ax, [bx+si] = [0x0001]
  CHECK((c.reg(kRax) & 0xFFFF) == 0xBEEF);
  CHECK(c.s.rip == kCodeAddr + 2);
}
