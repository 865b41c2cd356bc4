// Breakpoints in DR0-DR3 enabled by DR7: instruction breakpoints (faults before
// the instruction, RF to resume), data write and read/write breakpoints (traps
// after the instruction; lengths 1, 2, 4, 8 and the masking of misaligned
// addresses), I/O breakpoints with CR4.DE, DR6 status bits, REP string
// instructions and MOV SS. Expected values from the Intel SDM vol. 3 17.2.4-17.2.6
// (DR7 fields, breakpoint field recognition), 17.3.1 (fault/trap classes, RF) and
// 6.8.3 (MOV SS holds debug exceptions).
#include "tests/unit/test_debug_fixture.h"

using namespace kasou;
using namespace kasou::test;
using namespace kasou::test::dbg;

namespace {
constexpr uint32_t TF = flag::TF, RF = flag::RF, F1 = flag::kFixed1;

void watch(DebugCpu& c, unsigned n, uint32_t address, unsigned rw, unsigned len) {
  c.s.dr[n] = address;
  c.s.dr[7] |= 0x400 | dr7_local(n, rw, len);
}

// Runs one data-access instruction at kCodeAddr; true if a #DB trap followed it.
bool traps(DebugCpu& c, const std::vector<uint8_t>& insn) {
  c.s.rip = 0;
  c.set(kRsp, kStackTop);
  c.s.dr[6] = dr6::kFixed1;
  c.code(kCodeAddr, insn);
  c.step_and_deliver();
  if (!c.in_db_handler()) {
    CHECK(c.s.rip == kCodeAddr + insn.size());
    return false;
  }
  CHECK(c.frame_eip() == kCodeAddr + insn.size());  // a trap: after the instruction
  return true;
}

// An instruction with a 32-bit absolute address (moffs): mov [a], al / eax; mov eax, [a].
std::vector<uint8_t> moffs(uint8_t opcode, uint32_t a) {
  return {opcode, uint8_t(a), uint8_t(a >> 8), uint8_t(a >> 16), uint8_t(a >> 24)};
}
constexpr uint8_t kStoreAl = 0xA2, kStoreEax = 0xA3, kLoadEax = 0xA1;
}  // namespace

TEST_CASE("debug DR: an instruction breakpoint is a fault before the instruction; RF in the frame resumes it once") {
  DebugCpu c;
  watch(c, 0, kCodeAddr + 1, kRwExec, kLen1);
  c.code(kCodeAddr, {0x90, 0x40, 0x90});  // nop; inc eax; nop
  c.set(kRax, 7);
  c.step_and_deliver();
  CHECK(c.s.rip == kCodeAddr + 1);
  c.step_and_deliver();
  REQUIRE(c.in_db_handler());
  CHECK(c.frame_eip() == kCodeAddr + 1);
  CHECK(c.reg(kRax) == 7);                    // not executed
  CHECK(c.frame_eflags() == F1);              // RF is not set for this #DB
  CHECK(c.dr6() == (dr6::kFixed1 | dr6::kB0));

  // Returning without RF hits it again; with RF the instruction runs once.
  c.iret();
  c.step_and_deliver();
  REQUIRE(c.in_db_handler());
  c.iret(RF);
  CHECK(c.has(RF));
  c.step_and_deliver();
  CHECK(c.reg(kRax) == 8);
  CHECK(c.s.rip == kCodeAddr + 2);
  CHECK(!c.has(RF));  // cleared by the instruction it let through

  // G0 enables it as well; with neither L0 nor G0 it is off.
  c.s.dr[7] = 0x400 | (2u << 0);
  c.s.rip = kCodeAddr + 1;
  c.step_and_deliver();
  CHECK(c.in_db_handler());
  c.s.dr[7] = 0x400;
  c.s.rip = kCodeAddr + 1;
  c.step_and_deliver();
  CHECK(c.s.rip == kCodeAddr + 2);
}

TEST_CASE("debug DR: instruction breakpoints compare the linear address (CS base + IP)") {
  InterpCpu c;
  c.real_mode();
  c.poke(4 * vec::DB, 0x0000'6000);  // IVT: #DB -> 0000:6000
  c.s.seg[kCs].base = 0x1000;
  c.s.seg[kCs].selector = 0x100;
  c.load({0x90}, 0x1010);  // CS:IP = 0100:0010
  c.s.dr[0] = 0x10;        // the offset alone is not the address
  c.s.dr[7] = 0x400 | dr7_local(0, kRwExec, kLen1);
  c.step();
  CHECK(c.s.rip == 0x11);
  c.s.rip = 0x10;
  c.s.dr[0] = 0x1010;
  try {
    c.step();
    FAIL("no #DB");
  } catch (const GuestFault& f) {
    CHECK(f.vector == vec::DB);
  }
  CHECK(c.s.rip == 0x10);
}

TEST_CASE("debug DR: data write breakpoints: traps after the store, not after loads; byte ranges by LEN") {
  DebugCpu c;
  watch(c, 0, kWatch, kRwWrite, kLen4);
  CHECK(traps(c, moffs(kStoreEax, kWatch)));
  CHECK(c.dr6() == (dr6::kFixed1 | dr6::kB0));
  CHECK(!traps(c, moffs(kLoadEax, kWatch)));
  CHECK(traps(c, moffs(kStoreAl, kWatch + 3)));
  CHECK(!traps(c, moffs(kStoreAl, kWatch + 4)));
  CHECK(!traps(c, moffs(kStoreAl, kWatch - 1)));
  CHECK(traps(c, moffs(kStoreEax, kWatch - 2)));  // overlaps the first two bytes
  CHECK(traps(c, moffs(kStoreEax, kWatch + 3)));  // overlaps the last byte

  DebugCpu w;
  watch(w, 3, kWatch + 6, kRwWrite, kLen2);
  CHECK(!traps(w, moffs(kStoreAl, kWatch + 5)));
  CHECK(traps(w, moffs(kStoreAl, kWatch + 7)));
  CHECK(w.dr6() == (dr6::kFixed1 | (dr6::kB0 << 3)));
  CHECK(!traps(w, moffs(kStoreAl, kWatch + 8)));

  DebugCpu q;
  watch(q, 1, kWatch + 8, kRwWrite, kLen8);
  CHECK(!traps(q, moffs(kStoreEax, kWatch + 4)));
  CHECK(traps(q, moffs(kStoreAl, kWatch + 15)));
  CHECK(!traps(q, moffs(kStoreAl, kWatch + 16)));
}

TEST_CASE("debug DR: misaligned breakpoint addresses: LEN masks the low address bits") {
  // DR1 = kWatch+5 with LEN 2 covers kWatch+4..5; with LEN 4 kWatch+4..7.
  DebugCpu c;
  watch(c, 1, kWatch + 5, kRwWrite, kLen2);
  CHECK(traps(c, moffs(kStoreAl, kWatch + 4)));
  CHECK(c.dr6() == (dr6::kFixed1 | (dr6::kB0 << 1)));
  CHECK(!traps(c, moffs(kStoreAl, kWatch + 6)));
  DebugCpu d;
  watch(d, 2, kWatch + 5, kRwWrite, kLen4);
  CHECK(traps(d, moffs(kStoreAl, kWatch + 4)));
  CHECK(traps(d, moffs(kStoreAl, kWatch + 7)));
  CHECK(!traps(d, moffs(kStoreAl, kWatch + 8)));
}

TEST_CASE("debug DR: read/write breakpoints trap on loads too; several hits in one #DB; DR6 B0-B3 replaced, BS kept") {
  DebugCpu c;
  watch(c, 0, kWatch, kRwReadWrite, kLen1);
  watch(c, 2, kWatch + 2, kRwReadWrite, kLen2);
  CHECK(traps(c, moffs(kLoadEax, kWatch)));  // reads bytes 0-3: both
  CHECK(c.dr6() == (dr6::kFixed1 | dr6::kB0 | (dr6::kB0 << 2)));
  CHECK(!traps(c, moffs(kLoadEax, kWatch + 4)));

  // B3 from an earlier #DB is replaced, BS stays until software clears it.
  c.s.rip = 0;
  c.s.dr[6] = dr6::kFixed1 | (dr6::kB0 << 3) | dr6::kBs;
  c.code(kCodeAddr, moffs(kStoreAl, kWatch));
  c.step_and_deliver();
  REQUIRE(c.in_db_handler());
  CHECK(c.dr6() == (dr6::kFixed1 | dr6::kB0 | dr6::kBs));
}

TEST_CASE("debug DR: a data breakpoint and the single-step trap of one instruction make one #DB") {
  DebugCpu c;
  watch(c, 1, kWatch, kRwWrite, kLen4);
  c.s.rflags = F1 | TF;
  c.code(kCodeAddr, moffs(kStoreEax, kWatch));
  c.step_and_deliver();
  REQUIRE(c.in_db_handler());
  CHECK(c.frame_eip() == kCodeAddr + 5);
  CHECK(c.dr6() == (dr6::kFixed1 | dr6::kBs | (dr6::kB0 << 1)));
  c.iret();
  CHECK(c.s.rip == kCodeAddr + 5);
}

TEST_CASE("debug DR: REP MOVSB stops after the element that hits; RF=1 in the frame; the last element completes it") {
  DebugCpu c;
  watch(c, 0, kWatch + 0x101, kRwWrite, kLen1);
  for (uint32_t i = 0; i < 8; i++) c.poke(kWatch + i, 0x10 + i, 1);
  c.set(kRsi, kWatch);
  c.set(kRdi, kWatch + 0xFF);
  c.set(kRcx, 4);  // writes kWatch+0xFF .. kWatch+0x102
  c.code(kCodeAddr, {0xF3, 0xA4, 0x90});
  c.step_and_deliver();
  REQUIRE(c.in_db_handler());
  CHECK(c.frame_eip() == kCodeAddr);  // not finished
  CHECK((c.frame_eflags() & RF) != 0);
  CHECK(c.reg(kRcx) == 1);
  CHECK(c.mem(kWatch + 0x101, 1) == 0x12);
  CHECK(c.mem(kWatch + 0x102, 1) == 0);
  c.iret();
  c.step_and_deliver();
  CHECK(c.s.rip == kCodeAddr + 2);
  CHECK(c.reg(kRcx) == 0);
  CHECK(c.mem(kWatch + 0x102, 1) == 0x13);

  // The hit in the last element: a trap after the instruction, RF=0.
  DebugCpu d;
  watch(d, 0, kWatch + 0x102, kRwWrite, kLen1);
  d.set(kRsi, kWatch);
  d.set(kRdi, kWatch + 0xFF);
  d.set(kRcx, 4);
  d.code(kCodeAddr, {0xF3, 0xA4});
  d.step_and_deliver();
  REQUIRE(d.in_db_handler());
  CHECK(d.frame_eip() == kCodeAddr + 2);
  CHECK(d.frame_eflags() == F1);
  CHECK(d.reg(kRcx) == 0);

  // REP STOSD through a range with a breakpoint: the host-pointer fast path is not
  // used, every element is checked.
  DebugCpu e;
  watch(e, 3, kWatch + 0x800, kRwWrite, kLen4);
  e.set(kRdi, kWatch);
  e.set(kRcx, 0x400);
  e.set(kRax, 0xA5A5A5A5);
  e.code(kCodeAddr, {0xF3, 0xAB});  // rep stosd
  e.step_and_deliver();
  REQUIRE(e.in_db_handler());
  CHECK(e.frame_eip() == kCodeAddr);
  CHECK(e.reg(kRcx) == 0x400 - 0x201);
  CHECK(e.reg(kRdi) == kWatch + 0x804);
}

TEST_CASE("debug DR: a data breakpoint hit by MOV SS is reported after the next instruction") {
  DebugCpu c;
  watch(c, 0, kWatch, kRwReadWrite, kLen2);
  c.poke(kWatch, kFlatData0, 2);
  c.code(kCodeAddr, {0x8E, 0x15, uint8_t(kWatch), uint8_t(kWatch >> 8), uint8_t(kWatch >> 16), 0x00, 0x90,
                     0x90});  // mov ss, [kWatch]; nop; nop
  c.step_and_deliver();
  CHECK(c.s.rip == kCodeAddr + 6);
  c.step_and_deliver();
  REQUIRE(c.in_db_handler());
  CHECK(c.frame_eip() == kCodeAddr + 7);
  CHECK(c.dr6() == (dr6::kFixed1 | dr6::kB0));
}

TEST_CASE("debug DR: a breakpoint on the stack an INT n frame is pushed to traps at the handler's first instruction") {
  DebugCpu c;
  watch(c, 2, kStackTop - 4, kRwWrite, kLen4);  // the EFLAGS slot
  c.code(kCodeAddr, {0xCD, 0x40});
  c.step_and_deliver();
  REQUIRE(c.in_db_handler());
  CHECK(c.frame_eip() == kIntHandler);
  CHECK(c.dr6() == (dr6::kFixed1 | (dr6::kB0 << 2)));
}

TEST_CASE("debug DR: I/O breakpoints need CR4.DE; they trap after IN/OUT touching the port range") {
  DebugCpu c;
  watch(c, 2, 0x80, kRwIo, kLen1);
  CHECK(!traps(c, {0xE6, 0x80}));  // out 0x80, al: no CR4.DE
  c.s.cr4 |= cr4::DE;
  CHECK(traps(c, {0xE6, 0x80}));
  CHECK(c.dr6() == (dr6::kFixed1 | (dr6::kB0 << 2)));
  CHECK(!traps(c, {0xE6, 0x81}));
  CHECK(traps(c, {0x66, 0xE7, 0x7F}));  // out 0x7f, ax: ports 0x7F-0x80
  c.set(kRdx, 0x80);
  CHECK(traps(c, {0xEC}));  // in al, dx
  // A data breakpoint at the same number is not an I/O one.
  c.s.dr[7] = 0x400 | dr7_local(2, kRwReadWrite, kLen1);
  CHECK(!traps(c, {0xE6, 0x80}));
}

TEST_CASE("debug DR: breakpoints do not fire without their enable bits, whatever the type fields say") {
  DebugCpu c;
  c.s.dr[0] = kWatch;
  c.s.dr[1] = kCodeAddr;
  c.s.dr[7] = 0x400 | (0xFFFFu << 16);  // all R/W and LEN fields set, no L/G bit
  CHECK(!traps(c, moffs(kStoreEax, kWatch)));
  CHECK(c.dr6() == dr6::kFixed1);
  CHECK(c.s.pending_debug == 0);
}
