// Reference interpreter: PUSH/POP in all forms (ESP as operand and as base),
// PUSHA/POPA, PUSHF/POPF and their privilege masks, ENTER/LEAVE, 16-bit stacks,
// and the precision of faults in multi-store instructions.
#include "tests/unit/test_interp_fixture.h"

using namespace kasou;
using namespace kasou::test;

TEST_CASE("interp stack: PUSH ESP pushes the old value, POP ESP loads the popped value") {
  InterpCpu c;
  c.run({0x54});  // push esp
  CHECK(c.reg(kRsp) == kStackTop - 4);
  CHECK(c.mem(kStackTop - 4) == kStackTop);
  c.poke(kStackTop - 4, 0x12345);
  c.run({0x5C});  // pop esp
  CHECK(c.reg(kRsp) == 0x12345u);
}

TEST_CASE("interp stack: POP to memory addresses with the incremented ESP") {
  InterpCpu c;
  c.poke(kStackTop, 0xFEEDF00D);
  c.set(kRsp, kStackTop);
  c.run({0x8F, 0x44, 0x24, 0x04});  // pop dword [esp+4]
  CHECK(c.reg(kRsp) == kStackTop + 4);
  CHECK(c.mem(kStackTop + 8) == 0xFEEDF00Du);

  // A faulting store leaves ESP as it was.
  c.s.seg[kDs].limit = 0xFFFF;
  c.set(kRbx, 0x20000);
  c.load({0x8F, 0x03});  // pop dword [ebx]
  CHECK(c.fault().vector == vec::GP);
  CHECK(c.reg(kRsp) == kStackTop + 4);
}

TEST_CASE("interp stack: PUSH imm8 is sign-extended to the operand size, PUSH r/m reads first") {
  InterpCpu c;
  c.run({0x6A, 0xFF});  // push -1
  CHECK(c.mem(kStackTop - 4) == 0xFFFFFFFFu);
  c.poke(kStackTop - 8, 0);
  c.run({0x66, 0x6A, 0x80});  // push word -128
  CHECK(c.reg(kRsp) == kStackTop - 6);
  CHECK(c.mem(kStackTop - 6, 2) == 0xFF80);
  c.run({0x68, 0x78, 0x56, 0x34, 0x12});  // push 0x12345678
  CHECK(c.mem(kStackTop - 10) == 0x12345678u);
  c.run({0xFF, 0x34, 0x24});  // push dword [esp]
  CHECK(c.mem(kStackTop - 14) == 0x12345678u);
  CHECK(c.reg(kRsp) == kStackTop - 14);
}

TEST_CASE("interp stack: a 32-bit PUSH of a segment register stores 16 bits in a 4-byte slot") {
  InterpCpu c;
  c.poke(kStackTop - 4, 0xAAAAAAAA);
  c.run({0x1E});  // push ds
  CHECK(c.reg(kRsp) == kStackTop - 4);
  CHECK(c.mem(kStackTop - 4) == 0xAAAA0018u);
  c.run({0x66, 0x0F, 0xA0});  // push fs (16-bit)
  CHECK(c.reg(kRsp) == kStackTop - 6);
  CHECK(c.mem(kStackTop - 6, 2) == 0x18);
}

TEST_CASE("interp stack: POP segment register in real mode, POP SS opens the interrupt shadow") {
  InterpCpu c;
  c.real_mode();
  c.poke(0xFFF0, 0x2000, 2);
  c.poke(0xFFF2, 0x3000, 2);
  c.run({0x1F});  // pop ds
  CHECK(c.s.seg[kDs].base == 0x20000);
  CHECK(c.s.interrupt_shadow == 0);
  c.run({0x17});  // pop ss
  CHECK(c.s.seg[kSs].base == 0x30000);
  CHECK(c.s.interrupt_shadow == 1);
  CHECK(c.reg(kRsp) == 0xFFF4);
}

TEST_CASE("interp stack: a 16-bit stack wraps SP and keeps ESP's upper half") {
  InterpCpu c;
  c.real_mode();
  c.set(kRsp, 0xABCD0000);
  c.set(kRax, 0x1234);
  c.run({0x50});  // push ax
  CHECK(c.reg(kRsp) == 0xABCDFFFEu);
  CHECK(c.mem(0xFFFE, 2) == 0x1234);
  c.run({0x5B});  // pop bx
  CHECK(c.reg(kRsp) == 0xABCD0000u);
  CHECK((c.reg(kRbx) & 0xFFFF) == 0x1234);
}

TEST_CASE("interp stack: PUSHAD/POPAD layout, the saved ESP is skipped on the way back") {
  InterpCpu c;
  for (int r = 0; r < 8; r++) c.set(static_cast<Gpr>(r), 0x100 + r);
  c.set(kRsp, kStackTop);
  c.run({0x60});  // pushad
  CHECK(c.reg(kRsp) == kStackTop - 32);
  CHECK(c.mem(kStackTop - 4) == 0x100);        // EAX
  CHECK(c.mem(kStackTop - 16) == 0x103);       // EBX
  CHECK(c.mem(kStackTop - 20) == kStackTop);   // ESP before the instruction
  CHECK(c.mem(kStackTop - 32) == 0x107);       // EDI
  c.poke(kStackTop - 20, 0xDEAD);
  for (int r = 0; r < 8; r++)
    if (r != kRsp) c.set(static_cast<Gpr>(r), 0);
  c.run({0x61});  // popad
  CHECK(c.reg(kRsp) == kStackTop);
  for (int r = 0; r < 8; r++)
    if (r != kRsp) CHECK(c.reg(static_cast<Gpr>(r)) == uint32_t(0x100 + r));
}

TEST_CASE("interp stack: PUSHA/POPA in 16-bit code") {
  InterpCpu c;
  c.real_mode();
  for (int r = 0; r < 8; r++) c.set(static_cast<Gpr>(r), 0xFFFF0000u | (0x10 + r));
  c.set(kRsp, 0x8000);
  c.run({0x60});  // pusha
  CHECK(c.reg(kRsp) == 0x7FF0);
  CHECK(c.mem(0x7FFE, 2) == 0x10);
  CHECK(c.mem(0x7FF6, 2) == 0x8000);
  CHECK(c.mem(0x7FF0, 2) == 0x17);
  c.set(kRax, 0xAAAAAAAA);
  c.run({0x61});  // popa
  CHECK(c.reg(kRax) == 0xAAAA0010u);
  CHECK(c.reg(kRsp) == 0x8000);
}

TEST_CASE("interp stack: PUSHAD into an expand-down stack segment faults before any store") {
  InterpCpu c;
  for (uint32_t a = kStackTop - 64; a < kStackTop; a += 4) c.poke(a, 0x5A5A5A5A);
  c.s.seg[kSs].attr |= seg_attr::kExpandDown;
  c.s.seg[kSs].limit = kStackTop - 20;  // valid offsets are above the limit
  c.set(kRsp, kStackTop);
  c.load({0x60});
  GuestFault f = c.fault();
  CHECK(f.vector == vec::SS);
  CHECK(f.error_code == 0);
  CHECK(c.reg(kRsp) == kStackTop);
  CHECK(c.mem(kStackTop - 4) == 0x5A5A5A5Au);
  CHECK(c.mem(kStackTop - 16) == 0x5A5A5A5Au);
}

TEST_CASE("interp stack: PUSHF clears VM and RF in the image, POPF at CPL 0 clears RF") {
  InterpCpu c;
  c.s.rflags = flag::kFixed1 | flag::RF | flag::CF;
  c.run({0x9C});  // pushfd
  CHECK(c.mem(kStackTop - 4) == (flag::kFixed1 | flag::CF));
  c.poke(kStackTop - 4, 0xFFFFFFFF);
  c.s.rflags = flag::kFixed1 | flag::RF;
  c.run({0x9D});  // popfd: everything changeable except VM, VIF, VIP; RF cleared
  CHECK(c.s.rflags == 0x00247FD7u);
}

TEST_CASE("interp stack: POPF at CPL 3 keeps IOPL, and IF unless CPL <= IOPL") {
  InterpCpu c;
  c.s.cpl = 3;
  c.poke(kStackTop - 4, 0xFFFFFFFF);
  c.set(kRsp, kStackTop - 4);
  c.run({0x9D});
  CHECK(c.s.rflags == 0x00244DD7u);

  c.s.rflags = flag::kFixed1 | flag::IOPL;
  c.set(kRsp, kStackTop - 4);
  c.poke(kStackTop - 4, 0);
  c.run({0x9D});  // IOPL 3: IF may change (to 0 here), IOPL may not
  CHECK(c.s.rflags == (flag::kFixed1 | flag::IOPL));
}

TEST_CASE("interp stack: 16-bit POPF changes only the low word") {
  InterpCpu c;
  c.real_mode();
  c.s.rflags = flag::kFixed1 | flag::AC;
  c.poke(0xFFF0, 0xFFFF, 2);
  c.run({0x9D});  // popf
  CHECK(c.s.rflags == (0x7FD7u | flag::AC));
  CHECK(c.reg(kRsp) == 0xFFF2);
}

TEST_CASE("interp stack: PUSHF/POPF in VM86 with IOPL < 3 raise #GP(0)") {
  InterpCpu c;
  c.s.rflags = flag::kFixed1 | flag::VM | (2u << 12);
  c.load({0x9C});
  GuestFault f = c.fault();
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == 0);
  c.load({0x9D});
  CHECK(c.fault().vector == vec::GP);
  CHECK(c.reg(kRsp) == kStackTop);
}

TEST_CASE("interp stack: ENTER with nesting levels 0, 1 and 3") {
  InterpCpu c;
  c.set(kRbp, 0x7000);
  c.run({0xC8, 0x10, 0x00, 0x00});  // enter 16, 0
  CHECK(c.mem(kStackTop - 4) == 0x7000);
  CHECK(c.reg(kRbp) == kStackTop - 4);
  CHECK(c.reg(kRsp) == kStackTop - 4 - 16);

  c.set(kRsp, kStackTop);
  c.set(kRbp, 0x7000);
  c.run({0xC8, 0x00, 0x00, 0x21});  // enter 0, 33 (level 33 mod 32 = 1)
  CHECK(c.mem(kStackTop - 4) == 0x7000);
  CHECK(c.mem(kStackTop - 8) == kStackTop - 4);
  CHECK(c.reg(kRbp) == kStackTop - 4);
  CHECK(c.reg(kRsp) == kStackTop - 8);

  c.set(kRsp, kStackTop);
  c.set(kRbp, 0x7000);
  c.poke(0x7000 - 4, 0x1111);
  c.poke(0x7000 - 8, 0x2222);
  c.run({0xC8, 0x08, 0x00, 0x03});  // enter 8, 3
  CHECK(c.mem(kStackTop - 4) == 0x7000);
  CHECK(c.mem(kStackTop - 8) == 0x1111);
  CHECK(c.mem(kStackTop - 12) == 0x2222);
  CHECK(c.mem(kStackTop - 16) == kStackTop - 4);
  CHECK(c.reg(kRbp) == kStackTop - 4);
  CHECK(c.reg(kRsp) == kStackTop - 24);
}

TEST_CASE("interp stack: ENTER that would run out of the stack segment changes nothing") {
  InterpCpu c;
  c.s.seg[kSs].attr |= seg_attr::kExpandDown;
  c.s.seg[kSs].limit = kStackTop - 12;
  c.set(kRbp, 0x7000);
  c.poke(kStackTop - 4, 0x5A5A5A5A);
  c.load({0xC8, 0x00, 0x00, 0x03});  // enter 0, 3: four pushes, the last two out of bounds
  CHECK(c.fault().vector == vec::SS);
  CHECK(c.mem(kStackTop - 4) == 0x5A5A5A5Au);
  CHECK(c.reg(kRbp) == 0x7000);
  CHECK(c.reg(kRsp) == kStackTop);
  c.load({0xC8, 0x10, 0x00, 0x00});  // enter 16, 0: the push fits, the allocation does not
  CHECK(c.fault().vector == vec::SS);
}

TEST_CASE("interp stack: LEAVE in 32- and 16-bit operand size") {
  InterpCpu c;
  c.set(kRbp, kStackTop - 0x40);
  c.poke(kStackTop - 0x40, 0xABCD1234);
  c.run({0xC9});  // leave
  CHECK(c.reg(kRsp) == kStackTop - 0x3C);
  CHECK(c.reg(kRbp) == 0xABCD1234u);

  c.set(kRbp, kStackTop - 0x40);
  c.run({0x66, 0xC9});  // leave (pop bp)
  CHECK(c.reg(kRsp) == kStackTop - 0x3E);
  CHECK(c.reg(kRbp) == ((kStackTop - 0x40) & 0xFFFF0000u) + 0x1234);
}

TEST_CASE("interp stack: PUSHAD across a not-present page writes nothing") {
  InterpCpu c;
  c.identity_paging({0x7F000});
  c.set(kRsp, 0x80010);  // slots 0x8000C down to 0x7FFF0: the last four in the hole
  c.poke(0x8000C, 0x5A5A5A5A);
  c.load({0x60});
  GuestFault f = c.fault();
  CHECK(f.vector == vec::PF);
  CHECK(c.s.cr2 == 0x7FFFC);
  CHECK(c.reg(kRsp) == 0x80010);
  CHECK(c.mem(0x8000C) == 0x5A5A5A5Au);
}
