// Far JMP/CALL/RET and IRET: real mode, VM86, protected mode to code segments and
// through call gates, returns to outer privilege levels, the EFLAGS rules of IRET,
// and the faults with their error codes (expected values from the SDM vol. 2
// pseudo-code of JMP, CALL, RET and IRET).
#include "tests/unit/test_far_fixture.h"

using namespace kasou;
using namespace kasou::test;
using namespace kasou::test::far;

namespace {

void check_fault(FarCpu& c, uint8_t vector, uint32_t error) {
  const GuestFault f = c.fault();
  CHECK(f.vector == vector);
  CHECK(f.error_code == error);
}

// Real mode with CS = 0x0100 (base 0x1000), so that a pushed CS is not zero.
void real_mode_cs100(FarCpu& c) {
  c.real_mode();
  c.s.seg[kCs].selector = 0x0100;
  c.s.seg[kCs].base = 0x1000;
}

}  // namespace

// ---------------------------------------------------------------------------------
// Real mode

TEST_CASE("far real mode: JMP ptr16:16 and JMP m16:16 load CS as selector * 16, keep the limit") {
  FarCpu c;
  c.real_mode();
  c.run({0xEA, 0x34, 0x12, 0x00, 0x20});  // jmp 2000:1234
  CHECK(c.s.seg[kCs].selector == 0x2000);
  CHECK(c.s.seg[kCs].base == 0x20000);
  CHECK(c.s.seg[kCs].limit == 0xFFFF);
  CHECK(c.s.rip == 0x1234);

  c.real_mode();
  c.poke(0x2000, 0x4000'0010);  // offset 0x0010, selector 0x4000
  c.run({0xFF, 0x2E, 0x00, 0x20});  // jmp far [0x2000]
  CHECK(c.s.seg[kCs].selector == 0x4000);
  CHECK(c.s.rip == 0x10);
}

TEST_CASE("far real mode: CALL ptr16:16 pushes CS then IP; RETF pops them") {
  FarCpu c;
  real_mode_cs100(c);
  c.load({0x9A, 0x00, 0x01, 0x00, 0x30});  // call 3000:0100 (at 0100:0000)
  CHECK(c.s.rip == 0);
  c.step();
  CHECK(c.s.seg[kCs].selector == 0x3000);
  CHECK(c.s.seg[kCs].base == 0x30000);
  CHECK(c.s.rip == 0x100);
  CHECK(c.reg(kRsp) == 0xFFEC);
  CHECK(c.mem(0xFFEE, 2) == 0x0100);  // CS
  CHECK(c.mem(0xFFEC, 2) == 0x0005);  // IP of the next instruction

  c.load({0xCB}, 0x30100);  // retf
  c.step();
  CHECK(c.s.seg[kCs].selector == 0x0100);
  CHECK(c.s.seg[kCs].base == 0x1000);
  CHECK(c.s.rip == 5);
  CHECK(c.reg(kRsp) == 0xFFF0);
}

TEST_CASE("far real mode: 32-bit CALL ptr16:32 uses 4-byte slots; RETF imm16 releases parameters") {
  FarCpu c;
  real_mode_cs100(c);
  c.poke(0xFFEC, 0xFFFFFFFF);
  c.run({0x66, 0x9A, 0x78, 0x56, 0x00, 0x00, 0x00, 0x30});  // call dword 3000:00005678
  CHECK(c.s.rip == 0x5678);
  CHECK(c.reg(kRsp) == 0xFFE8);
  CHECK(c.mem(0xFFEC, 2) == 0x0100);  // CS in the low half of its 4-byte slot
  CHECK(c.mem(0xFFE8) == 8);          // EIP
  c.load({0x66, 0xCB}, 0x35678);      // retf (32-bit)
  c.step();
  CHECK(c.s.seg[kCs].selector == 0x0100);
  CHECK(c.s.rip == 8);
  CHECK(c.reg(kRsp) == 0xFFF0);

  // RETF 4: IP, CS, then 4 bytes of parameters.
  c.real_mode();
  c.set(kRsp, 0xFF00);
  c.poke(0xFF00, 0x2222'0444);  // IP 0x0444, CS 0x2222
  c.run({0xCA, 0x04, 0x00});
  CHECK(c.s.seg[kCs].selector == 0x2222);
  CHECK(c.s.rip == 0x444);
  CHECK(c.reg(kRsp) == 0xFF08);
}

TEST_CASE("far real mode: IRET loads all of FLAGS; IRETD keeps VM, VIF and VIP") {
  FarCpu c;
  c.real_mode();
  c.set(kRsp, 0xFF00);
  c.poke(0xFF00, 0x5000'0200, 4);  // IP 0x200, CS 0x5000
  c.poke(0xFF04, 0x7203, 2);       // NT, IOPL 3, IF, CF
  c.run({0xCF});
  CHECK(c.s.seg[kCs].selector == 0x5000);
  CHECK(c.s.rip == 0x200);
  CHECK(c.reg(kRsp) == 0xFF06);
  CHECK(c.s.eflags() == 0x7203);

  c.real_mode();
  c.set(kRsp, 0xFF00);
  c.poke(0xFF00, 0x300);
  c.poke(0xFF04, 0x6000);
  c.poke(0xFF08, 0x003F0001);  // RF AC VIF VIP ID VM CF
  c.run({0x66, 0xCF});
  CHECK(c.s.seg[kCs].selector == 0x6000);
  CHECK(c.s.rip == 0x300);
  CHECK(c.reg(kRsp) == 0xFF0C);
  CHECK(c.s.eflags() == (0x00250001u | flag::kFixed1));  // ID AC RF CF; VM VIF VIP unchanged (clear)
}

TEST_CASE("far real mode: a target past CS.limit is #GP(0), a push past SS.limit #SS, nothing changed") {
  FarCpu c;
  c.real_mode();
  c.load({0x66, 0xEA, 0x00, 0x00, 0x01, 0x00, 0x00, 0x20});  // jmp dword 2000:00010000
  CHECK(c.fault().vector == vec::GP);
  CHECK(c.s.seg[kCs].selector == 0);
  CHECK(c.s.rip == kCodeAddr);

  c.set(kRsp, 0x0001);  // CS would go to 0xFFFF..0x10000
  c.load({0x9A, 0x00, 0x01, 0x00, 0x30});
  CHECK(c.fault().vector == vec::SS);
  CHECK(c.reg(kRsp) == 0x0001);
  CHECK(c.s.seg[kCs].selector == 0);
  CHECK(c.s.rip == kCodeAddr);
}

// ---------------------------------------------------------------------------------
// Protected mode: code segments

TEST_CASE("far protected: JMP to a code segment at CPL sets CS, the RPL and the accessed bit") {
  FarCpu c;
  CHECK(c.access_byte(kSmallCode0) == 0x9A);
  c.run({0xEA, 0x00, 0x20, 0x00, 0x00, 0x08, 0x00});  // jmp 0x08:0x2000
  CHECK(c.s.seg[kCs].selector == 0x08);
  CHECK(c.s.seg[kCs].limit == 0xFFFF);
  CHECK((c.s.seg[kCs].attr & seg_attr::kAccessed) != 0);
  CHECK(c.access_byte(kSmallCode0) == 0x9B);
  CHECK(c.s.cpl == 0);
  CHECK(c.s.rip == 0x2000);

  // JMP m16:32 and a 16-bit JMP ptr16:16.
  FarCpu d;
  d.poke(kDataAddr, 0x2345);
  d.poke(kDataAddr + 4, kFlatCode0, 2);
  d.set(kRbx, kDataAddr);
  d.run({0xFF, 0x2B});  // jmp far [ebx]
  CHECK(d.s.seg[kCs].selector == kFlatCode0);
  CHECK(d.s.rip == 0x2345);
  d.run({0x66, 0xEA, 0x00, 0x30, 0xA8, 0x00});  // jmp word 0xA8:0x3000 (16-bit code segment)
  CHECK(d.s.seg[kCs].selector == kCode16);
  CHECK((d.s.seg[kCs].attr & seg_attr::kDb) == 0);
  CHECK(d.s.rip == 0x3000);
}

TEST_CASE("far protected: JMP faults: null, beyond the GDT, data segment, privilege, not present, limit") {
  FarCpu c;
  auto jmp = [&](uint16_t sel, uint32_t off) {
    c.load({0xEA, uint8_t(off), uint8_t(off >> 8), uint8_t(off >> 16), uint8_t(off >> 24), uint8_t(sel),
            uint8_t(sel >> 8)});
    const GuestFault f = c.fault();
    CHECK(c.s.seg[kCs].selector == kFlatCode0);
    CHECK(c.s.rip == kCodeAddr);
    CHECK(c.s.cpl == 0);
    return f;
  };
  GuestFault f = jmp(0x0000, 0x2000);
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == 0);
  f = jmp(0x0003, 0x2000);  // null with an RPL is still null
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == 0);
  f = jmp(0x0100, 0);  // index 32: past the GDT limit
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == 0x100);
  f = jmp(kFlatData0, 0);
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == kFlatData0);
  f = jmp(kSmallCode0 | 3, 0x2000);  // RPL 3 > CPL 0 to a non-conforming segment
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == kSmallCode0);
  f = jmp(kFlatCode3, 0x2000);  // DPL 3 != CPL 0
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == (kFlatCode3 & ~3));
  f = jmp(kAbsentCode0, 0x2000);
  CHECK(f.vector == vec::NP);
  CHECK(f.error_code == kAbsentCode0);
  f = jmp(kSmallCode0, 0x10000);  // past the new CS limit
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == 0);
  CHECK(c.access_byte(kSmallCode0) == 0x9A);  // nothing loaded, nothing accessed
}

TEST_CASE("far protected: conforming segments keep CPL; CS.RPL becomes CPL") {
  FarCpu c;
  c.user_mode();
  c.run({0xEA, 0x00, 0x20, 0x00, 0x00, 0x48, 0x00});  // jmp 0x48:0x2000 (conforming, DPL 0) from CPL 3
  CHECK(c.s.cpl == 3);
  CHECK(c.s.seg[kCs].selector == (kConfCode0 | 3));
  CHECK(c.s.rip == 0x2000);
  CHECK(c.access_byte(kConfCode0) == (kConforming0 | 1));

  // CALL to it from CPL 3 pushes on the CPL 3 stack; RETF with RPL 3 stays at CPL 3.
  c.user_mode();
  c.run({0x9A, 0x00, 0x20, 0x00, 0x00, 0x48, 0x00});
  CHECK(c.s.cpl == 3);
  CHECK(c.reg(kRsp) == kStack3 - 8);
  CHECK(c.mem(kStack3 - 4, 2) == kFlatCode3);
  CHECK(c.mem(kStack3 - 8) == kCodeAddr + 7);
  c.load({0xCB}, 0x2000);
  c.step();
  CHECK(c.s.seg[kCs].selector == kFlatCode3);
  CHECK(c.s.rip == kCodeAddr + 7);

  // From CPL 0 a conforming DPL 0 segment is fine too; a DPL 3 code segment is not.
  FarCpu d;
  d.run({0xEA, 0x00, 0x20, 0x00, 0x00, 0x48, 0x00});
  CHECK(d.s.seg[kCs].selector == kConfCode0);
  CHECK(d.s.cpl == 0);
}

TEST_CASE("far protected: CALL and RETF at the same privilege, 32- and 16-bit operand sizes") {
  FarCpu c;
  c.poke(kStackTop - 4, 0xFFFFFFFF);
  c.run({0x9A, 0x00, 0x20, 0x00, 0x00, 0x10, 0x00});  // call 0x10:0x2000
  CHECK(c.s.rip == 0x2000);
  CHECK(c.reg(kRsp) == kStackTop - 8);
  CHECK(c.mem(kStackTop - 4, 2) == kFlatCode0);
  CHECK(c.mem(kStackTop - 8) == kCodeAddr + 7);
  c.load({0xCB}, 0x2000);
  c.step();
  CHECK(c.s.seg[kCs].selector == kFlatCode0);
  CHECK(c.s.rip == kCodeAddr + 7);
  CHECK(c.reg(kRsp) == kStackTop);

  c.run({0x66, 0x9A, 0x00, 0x30, 0x10, 0x00});  // call word 0x10:0x3000
  CHECK(c.s.rip == 0x3000);
  CHECK(c.reg(kRsp) == kStackTop - 4);
  CHECK(c.mem(kStackTop - 2, 2) == kFlatCode0);
  CHECK(c.mem(kStackTop - 4, 2) == kCodeAddr + 6);
  c.load({0x66, 0xCA, 0x02, 0x00}, 0x3000);  // retf word 2
  c.step();
  CHECK(c.s.rip == kCodeAddr + 6);
  CHECK(c.reg(kRsp) == kStackTop + 2);
}

TEST_CASE("far protected: a CALL whose return address does not fit on the stack is #SS(0), untouched") {
  FarCpu c;
  c.s.seg[kSs] = c.cache(kSmallData0);  // limit 0xFFF
  c.set(kRsp, 0x1004);                  // the CS slot 0x1000..0x1003 is past the limit
  c.poke(0xFFC, 0x12345678);            // the EIP slot would fit: it must not be written
  c.load({0x9A, 0x00, 0x20, 0x00, 0x00, 0x10, 0x00});
  check_fault(c, vec::SS, 0);
  CHECK(c.reg(kRsp) == 0x1004);
  CHECK(c.s.rip == kCodeAddr);
  CHECK(c.mem(0xFFC) == 0x12345678);
}

// ---------------------------------------------------------------------------------
// Protected mode: call gates

TEST_CASE("far call gate: CPL 3 -> CPL 0 with two parameters, RETF 8 back to CPL 3") {
  FarCpu c;
  c.user_mode(kStack3 - 8);
  c.poke(kStack3 - 8, 0x11111111);  // parameter 0 (top of the caller's stack)
  c.poke(kStack3 - 4, 0x22222222);  // parameter 1
  c.run({0x9A, 0x00, 0x00, 0x00, 0x00, 0x43, 0x00});  // call 0x43:0 (gate 0x40, RPL 3)
  CHECK(c.s.cpl == 0);
  CHECK(c.s.seg[kCs].selector == kFlatCode0);
  CHECK(c.s.rip == 0x3000);
  CHECK(c.s.seg[kSs].selector == kFlatData0);  // SS0:ESP0 from the TSS
  CHECK(c.reg(kRsp) == kStack0 - 24);
  CHECK(c.mem(kStack0 - 24) == kCodeAddr + 7);      // EIP
  CHECK(c.mem(kStack0 - 20, 2) == kFlatCode3);      // CS
  CHECK(c.mem(kStack0 - 16) == 0x11111111);         // parameters in the caller's order
  CHECK(c.mem(kStack0 - 12) == 0x22222222);
  CHECK(c.mem(kStack0 - 8) == kStack3 - 8);         // caller's ESP
  CHECK(c.mem(kStack0 - 4, 2) == kFlatData3);       // caller's SS
  CHECK(c.s.seg[kDs].selector == kFlatData3);       // data segments untouched on the way in

  // The CPL 0 code loads segments the CPL 3 caller may not keep.
  c.s.seg[kDs] = c.cache(kFlatData0);  // DPL 0 data: nulled
  c.s.seg[kFs] = c.cache(kConfCode0);  // conforming code: kept
  c.s.seg[kGs] = c.cache(kFlatData1);  // DPL 1 data: nulled
  c.load({0xCA, 0x08, 0x00}, 0x3000);  // retf 8
  c.step();
  CHECK(c.s.cpl == 3);
  CHECK(c.s.seg[kCs].selector == kFlatCode3);
  CHECK(c.s.rip == kCodeAddr + 7);
  CHECK(c.s.seg[kSs].selector == kFlatData3);
  CHECK(c.reg(kRsp) == kStack3);  // caller's ESP + 8 bytes of parameters
  CHECK(c.s.seg[kDs].selector == 0);
  CHECK((c.s.seg[kDs].attr & seg_attr::kPresent) == 0);
  CHECK(c.s.seg[kEs].selector == kFlatData3);
  CHECK(c.s.seg[kFs].selector == kConfCode0);
  CHECK(c.s.seg[kGs].selector == 0);
}

TEST_CASE("far call gate: CPL 3 -> CPL 1 takes SS1:ESP1 from the TSS; RETF back") {
  FarCpu c;
  c.set_gdt(26, gate_desc(kFlatCode1 & ~3, 0x3200, kCallGate32 | dpl(3), 1));
  c.user_mode(kStack3 - 4);
  c.poke(kStack3 - 4, 0x33333333);
  c.run({0x9A, 0x00, 0x00, 0x00, 0x00, 0xD3, 0x00});  // call 0xD3:0
  CHECK(c.s.cpl == 1);
  CHECK(c.s.seg[kCs].selector == kFlatCode1);
  CHECK(c.s.seg[kSs].selector == kFlatData1);
  CHECK(c.reg(kRsp) == kStack1 - 20);
  CHECK(c.mem(kStack1 - 12) == 0x33333333);
  CHECK(c.mem(kStack1 - 8) == kStack3 - 4);
  c.load({0xCA, 0x04, 0x00}, 0x3200);  // retf 4
  c.step();
  CHECK(c.s.cpl == 3);
  CHECK(c.s.seg[kSs].selector == kFlatData3);
  CHECK(c.reg(kRsp) == kStack3);
}

TEST_CASE("far call gate: a 16-bit gate pushes words and copies word parameters") {
  FarCpu c;
  c.user_mode(kStack3 - 2);
  c.poke(kStack3 - 2, 0xBEEF, 2);
  c.run({0x9A, 0x00, 0x00, 0x00, 0x00, 0x6B, 0x00});  // call 0x6B:0 (16-bit gate, 1 parameter)
  CHECK(c.s.cpl == 0);
  CHECK(c.s.rip == 0x3100);
  CHECK(c.reg(kRsp) == kStack0 - 10);
  CHECK(c.mem(kStack0 - 10, 2) == kCodeAddr + 7);  // IP
  CHECK(c.mem(kStack0 - 8, 2) == kFlatCode3);
  CHECK(c.mem(kStack0 - 6, 2) == 0xBEEF);
  CHECK(c.mem(kStack0 - 4, 2) == ((kStack3 - 2) & 0xFFFF));  // SP
  CHECK(c.mem(kStack0 - 2, 2) == kFlatData3);
  c.load({0x66, 0xCA, 0x02, 0x00}, 0x3100);  // retf word 2
  c.step();
  CHECK(c.s.cpl == 3);
  CHECK(c.s.rip == kCodeAddr + 7);
  CHECK(c.s.seg[kSs].selector == kFlatData3);
  CHECK(c.reg(kRsp) == 0x10000);  // popped SP 0xFFFE (32-bit SS: ESP = the popped word) + 2
}

TEST_CASE("far call gate: CALL to the same privilege and JMP through a gate") {
  FarCpu c;
  c.run({0x9A, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00});  // call 0x80:0 (DPL 0 gate -> 0x10:0x3000)
  CHECK(c.s.cpl == 0);
  CHECK(c.s.rip == 0x3000);
  CHECK(c.s.seg[kSs].selector == kFlatData0);
  CHECK(c.reg(kRsp) == kStackTop - 8);  // no stack switch, no parameters
  CHECK(c.mem(kStackTop - 8) == kCodeAddr + 7);

  FarCpu d;
  d.run({0xEA, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00});  // jmp 0xC0:0 (gate -> 0x08:0x2000)
  CHECK(d.s.seg[kCs].selector == kSmallCode0);
  CHECK(d.s.rip == 0x2000);
  CHECK(d.reg(kRsp) == kStackTop);
}

TEST_CASE("far call gate faults: gate DPL, RPL, presence, JMP to more privilege, inner stack") {
  FarCpu c;
  auto call_from_cpl3 = [&](uint16_t sel, bool jmp = false) {
    c.user_mode();
    c.load({uint8_t(jmp ? 0xEA : 0x9A), 0, 0, 0, 0, uint8_t(sel), uint8_t(sel >> 8)});
    const GuestFault f = c.fault();
    CHECK(c.s.cpl == 3);
    CHECK(c.s.seg[kCs].selector == kFlatCode3);
    CHECK(c.s.seg[kSs].selector == kFlatData3);
    CHECK(c.reg(kRsp) == kStack3);
    CHECK(c.s.rip == kCodeAddr);
    return f;
  };
  GuestFault f = call_from_cpl3(kGateDpl0 | 3);  // gate DPL 0 < CPL 3
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == kGateDpl0);
  f = call_from_cpl3(kAbsentGate | 3);
  CHECK(f.vector == vec::NP);
  CHECK(f.error_code == kAbsentGate);
  f = call_from_cpl3(kGateToCode0 | 3, true);  // JMP may not go to a more privileged segment
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == kFlatCode0);

  // The inner stack is too small for SS, ESP, 2 parameters, CS, EIP: #SS(new SS).
  c.poke(kTssABase + tss::kSs0, kSmallData0);
  c.poke(kTssABase + tss::kEsp0, 0x10);
  c.poke(0x0, 0x12345678);
  f = call_from_cpl3(kGateToCode0 | 3);
  CHECK(f.vector == vec::SS);
  CHECK(f.error_code == kSmallData0);
  CHECK(c.mem(0x0) == 0x12345678);
  CHECK(c.access_byte(kSmallData0) == (kData0 | 1));

  // SS0 whose RPL is not the new CPL, null SS0, SS0 a code segment: #TS.
  c.poke(kTssABase + tss::kEsp0, kStack0);
  c.poke(kTssABase + tss::kSs0, kFlatData0 | 3);
  f = call_from_cpl3(kGateToCode0 | 3);
  CHECK(f.vector == vec::TS);
  CHECK(f.error_code == kFlatData0);
  c.poke(kTssABase + tss::kSs0, 0);
  f = call_from_cpl3(kGateToCode0 | 3);
  CHECK(f.vector == vec::TS);
  CHECK(f.error_code == 0);
  c.poke(kTssABase + tss::kSs0, kFlatCode0);
  f = call_from_cpl3(kGateToCode0 | 3);
  CHECK(f.vector == vec::TS);
  CHECK(f.error_code == kFlatCode0);
}

TEST_CASE("far RETF faults: CS RPL below CPL, null CS, outer SS checks, stack limit") {
  FarCpu c;
  // At CPL 3, a return to CPL 0 code.
  c.user_mode(kStack3 - 8);
  c.poke(kStack3 - 8, 0x1234);
  c.poke(kStack3 - 4, kFlatCode0);
  c.load({0xCB});
  check_fault(c, vec::GP, kFlatCode0);
  CHECK(c.reg(kRsp) == kStack3 - 8);

  c.poke(kStack3 - 4, 0);
  c.load({0xCB});
  check_fault(c, vec::GP, 0);

  c.poke(kStack3 - 4, kAbsentCode0 | 3);  // RPL 3 > DPL 0 for a non-conforming segment
  c.load({0xCB});
  check_fault(c, vec::GP, kAbsentCode0);

  // At CPL 0, a return to CPL 3 whose SS has RPL 3 but DPL 0.
  FarCpu d;
  d.set(kRsp, kStackTop - 16);
  d.poke(kStackTop - 16, 0x1000);
  d.poke(kStackTop - 12, kFlatCode3);
  d.poke(kStackTop - 8, kStack3);
  d.poke(kStackTop - 4, kFlatData0 | 3);
  d.load({0xCB});
  check_fault(d, vec::GP, kFlatData0);
  CHECK(d.s.cpl == 0);
  CHECK(d.s.seg[kCs].selector == kFlatCode0);
  CHECK(d.reg(kRsp) == kStackTop - 16);
  // RPL of SS different from the return CS's.
  d.poke(kStackTop - 4, kFlatData1);
  d.load({0xCB});
  check_fault(d, vec::GP, kFlatData1 & ~3);
  // Null SS.
  d.poke(kStackTop - 4, 0);
  d.load({0xCB});
  check_fault(d, vec::GP, 0);
  // The popped frame past SS.limit: #SS(0).
  d.s.seg[kSs] = d.cache(kSmallData0);
  d.set(kRsp, 0xFFC);
  d.load({0xCB});
  check_fault(d, vec::SS, 0);
}

// ---------------------------------------------------------------------------------
// IRET

TEST_CASE("far IRET: INT from CPL 3 through an interrupt gate and IRET back to CPL 3") {
  FarCpu c;
  c.set_idt(0x80, gate_desc(kFlatCode0, 0x4000, kIntGate32 | dpl(3)));
  c.user_mode();
  c.s.rflags = flag::kFixed1 | flag::IF;
  c.run({0xCD, 0x80});
  CHECK(c.s.cpl == 0);
  CHECK(c.s.rip == 0x4000);
  CHECK(c.reg(kRsp) == kStack0 - 20);
  CHECK(!c.has(flag::IF));
  CHECK(c.stack(0) == kCodeAddr + 2);
  CHECK(c.stack(1) == kFlatCode3);
  CHECK(c.stack(2) == (flag::kFixed1 | flag::IF));
  CHECK(c.stack(3) == kStack3);
  CHECK(c.stack(4) == kFlatData3);

  c.load({0xCF}, 0x4000);  // iretd
  c.step();
  CHECK(c.s.cpl == 3);
  CHECK(c.s.seg[kCs].selector == kFlatCode3);
  CHECK(c.s.rip == kCodeAddr + 2);
  CHECK(c.s.seg[kSs].selector == kFlatData3);
  CHECK(c.reg(kRsp) == kStack3);
  CHECK(c.has(flag::IF));
  CHECK(c.s.seg[kDs].selector == kFlatData3);
}

TEST_CASE("far IRET: EFLAGS rules: IF only if CPL <= IOPL, IOPL and VIF/VIP only at CPL 0") {
  // CPL 3, IOPL 0, same privilege: IF and IOPL stay, the rest is loaded.
  FarCpu c;
  c.user_mode(kStack3 - 12);
  c.s.rflags = flag::kFixed1;
  c.poke(kStack3 - 12, 0x1100);
  c.poke(kStack3 - 8, kFlatCode3);
  const uint32_t image = flag::kFixed1 | flag::IF | flag::IOPL | flag::CF | flag::DF | flag::AC | flag::VIF |
                         flag::VIP | flag::VM | flag::NT;
  c.poke(kStack3 - 4, image);
  c.run({0xCF});
  CHECK(c.s.rip == 0x1100);
  CHECK(c.reg(kRsp) == kStack3);
  CHECK(c.s.eflags() == (flag::kFixed1 | flag::CF | flag::DF | flag::AC | flag::NT));
  CHECK(c.s.cpl == 3);  // VM in the image is ignored at CPL 3

  // CPL 3 with IOPL 3: IF follows the image, IOPL does not.
  c.user_mode(kStack3 - 12);
  c.s.rflags = flag::kFixed1 | flag::IOPL;
  c.poke(kStack3 - 4, flag::kFixed1 | flag::IF);
  c.run({0xCF});
  CHECK(c.s.eflags() == (flag::kFixed1 | flag::IF | flag::IOPL));

  // CPL 0 back to CPL 3: everything but VM.
  FarCpu d;
  d.set(kRsp, kStackTop - 20);
  d.poke(kStackTop - 20, 0x1200);
  d.poke(kStackTop - 16, kFlatCode3);
  d.poke(kStackTop - 12, flag::kFixed1 | flag::IF | flag::IOPL | flag::VIF | flag::VIP | flag::RF | flag::ID);
  d.poke(kStackTop - 8, kStack3);
  d.poke(kStackTop - 4, kFlatData3);
  d.run({0xCF});
  CHECK(d.s.cpl == 3);
  CHECK(d.s.eflags() ==
        (flag::kFixed1 | flag::IF | flag::IOPL | flag::VIF | flag::VIP | flag::RF | flag::ID));

  // A 16-bit IRET at CPL 0 leaves the upper half of EFLAGS alone.
  FarCpu e;
  e.s.rflags = flag::kFixed1 | flag::AC | flag::ID;
  e.set(kRsp, kStackTop - 6);
  e.poke(kStackTop - 6, 0x1300, 2);
  e.poke(kStackTop - 4, kFlatCode0, 2);
  e.poke(kStackTop - 2, flag::kFixed1 | flag::CF | flag::IOPL, 2);
  e.run({0x66, 0xCF});
  CHECK(e.s.rip == 0x1300);
  CHECK(e.reg(kRsp) == kStackTop);
  CHECK(e.s.eflags() == (flag::kFixed1 | flag::AC | flag::ID | flag::CF | flag::IOPL));
}

TEST_CASE("far IRET: faults on the return CS and SS leave everything as it was") {
  FarCpu c;
  c.set(kRsp, kStackTop - 20);
  c.poke(kStackTop - 20, 0x1200);
  c.poke(kStackTop - 16, kAbsentCode0);
  c.poke(kStackTop - 12, flag::kFixed1);
  c.poke(kStackTop - 8, kStack3);
  c.poke(kStackTop - 4, kFlatData3);
  c.s.rflags = flag::kFixed1 | flag::CF;
  c.load({0xCF});
  check_fault(c, vec::NP, kAbsentCode0);
  c.poke(kStackTop - 16, kFlatCode3);
  c.poke(kStackTop - 4, kFlatData1 | 3);  // SS DPL 1 for a CPL 3 return
  check_fault(c, vec::GP, kFlatData1 & ~3);
  c.poke(kStackTop - 4, kAbsentCode0 | 3);  // not a data segment
  check_fault(c, vec::GP, kAbsentCode0);
  CHECK(c.s.eflags() == (flag::kFixed1 | flag::CF));
  CHECK(c.reg(kRsp) == kStackTop - 20);
  CHECK(c.s.cpl == 0);
  CHECK(c.s.seg[kSs].selector == kFlatData0);
}

// ---------------------------------------------------------------------------------
// Virtual-8086 mode

TEST_CASE("far VM86: IRETD into VM86, INT back to the CPL 0 handler, IRETD to VM86 again") {
  FarCpu c;
  c.set_idt(0x80, gate_desc(kFlatCode0, 0x4000, kIntGate32 | dpl(3)));
  const uint32_t vm_flags = flag::kFixed1 | flag::VM | flag::IOPL | flag::IF;
  const uint32_t frame[9] = {0x0100, 0x2000, vm_flags, 0xFFF0, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000};
  c.set(kRsp, kStackTop - 36);
  for (int i = 0; i < 9; i++) c.poke(kStackTop - 36 + 4 * i, frame[i]);
  c.run({0xCF});
  CHECK(c.has(flag::VM));
  CHECK(c.s.cpl == 3);
  CHECK(c.s.rip == 0x100);
  CHECK(c.reg(kRsp) == 0xFFF0);
  const SegReg order[6] = {kCs, kSs, kEs, kDs, kFs, kGs};
  const uint16_t sels[6] = {0x2000, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000};
  for (int i = 0; i < 6; i++) {
    CHECK(c.s.seg[order[i]].selector == sels[i]);
    CHECK(c.s.seg[order[i]].base == uint64_t(sels[i]) << 4);
    CHECK(c.s.seg[order[i]].limit == 0xFFFF);
  }

  c.load({0xCD, 0x80}, 0x20100);  // int 0x80 at 2000:0100
  c.step();
  CHECK(!c.has(flag::VM));
  CHECK(c.s.cpl == 0);
  CHECK(c.s.seg[kCs].selector == kFlatCode0);
  CHECK(c.s.rip == 0x4000);
  CHECK(c.reg(kRsp) == kStack0 - 36);
  const uint32_t expect[9] = {0x0102, 0x2000, vm_flags, 0xFFF0, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000};
  for (unsigned i = 0; i < 9; i++) CHECK(c.stack(i) == expect[i]);
  for (SegReg r : {kEs, kDs, kFs, kGs}) CHECK(c.s.seg[r].selector == 0);

  c.load({0xCF}, 0x4000);
  c.step();
  CHECK(c.has(flag::VM));
  CHECK(c.s.cpl == 3);
  CHECK(c.s.seg[kCs].base == 0x20000);
  CHECK(c.s.rip == 0x102);
  CHECK(c.s.seg[kDs].base == 0x50000);
  CHECK(c.reg(kRsp) == 0xFFF0);
}

TEST_CASE("far VM86: IRET needs IOPL 3; far JMP/CALL/RETF load real-mode segments") {
  FarCpu c;
  const uint32_t frame[9] = {0x0100, 0x2000, flag::kFixed1 | flag::VM, 0xFFF0, 0x3000, 0, 0, 0, 0};
  c.set(kRsp, kStackTop - 36);
  for (int i = 0; i < 9; i++) c.poke(kStackTop - 36 + 4 * i, frame[i]);
  c.run({0xCF});
  REQUIRE(c.has(flag::VM));
  CHECK((c.s.rflags & flag::IOPL) == 0);

  c.poke(0x3FFF0, 0x1234'0010);  // IP 0x10, CS 0x1234 at SS:SP
  c.poke(0x3FFF4, 0x0202, 2);
  c.load({0xCF}, 0x20100);
  check_fault(c, vec::GP, 0);
  CHECK(c.s.rip == 0x100);

  c.load({0xEA, 0x00, 0x01, 0x00, 0x50}, 0x20100);  // jmp 5000:0100
  c.step();
  CHECK(c.s.seg[kCs].selector == 0x5000);
  CHECK(c.s.seg[kCs].base == 0x50000);
  CHECK(c.s.seg[kCs].limit == 0xFFFF);
  CHECK(c.s.rip == 0x100);
  CHECK(c.has(flag::VM));

  c.load({0x9A, 0x00, 0x02, 0x00, 0x60}, 0x50100);  // call 6000:0200
  c.step();
  CHECK(c.s.seg[kCs].base == 0x60000);
  CHECK(c.reg(kRsp) == 0xFFEC);
  CHECK(c.mem(0x3FFEE, 2) == 0x5000);
  CHECK(c.mem(0x3FFEC, 2) == 0x0105);
  c.load({0xCB}, 0x60200);
  c.step();
  CHECK(c.s.seg[kCs].selector == 0x5000);
  CHECK(c.s.rip == 0x105);
  CHECK(c.s.cpl == 3);
}

TEST_CASE("far VM86: IRETD to VM86 with EIP past 0xFFFF is #GP(0)") {
  FarCpu c;
  const uint32_t frame[9] = {0x10000, 0x2000, flag::kFixed1 | flag::VM, 0xFFF0, 0x3000, 0, 0, 0, 0};
  c.set(kRsp, kStackTop - 36);
  for (int i = 0; i < 9; i++) c.poke(kStackTop - 36 + 4 * i, frame[i]);
  c.load({0xCF});
  check_fault(c, vec::GP, 0);
  CHECK(!c.has(flag::VM));
  CHECK(c.s.cpl == 0);
  CHECK(c.reg(kRsp) == kStackTop - 36);
}
