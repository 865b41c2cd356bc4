// The x87 as a part of the system: CR0.EM/MP/TS (#NM, #UD for MMX and FXSAVE),
// pending unmasked exceptions (#MF at the next waiting instruction with CR0.NE=1;
// FERR#, the freeze and IGNNE# with CR0.NE=0), the unmasked responses, the
// last-instruction pointers, FNSTENV/FLDENV and FNSAVE/FRSTOR in their four
// formats, FXSAVE/FXRSTOR, FLDCW, the reset state, and the translator running
// x87 code through its helpers. Expected layouts and rules from the Intel SDM
// (vol. 1 8.1.8-8.1.9, figures 8-9 to 8-12, 8.5, 8.7, table 10-2, D.2; vol. 3
// table 2-2, table 9-1, 12.2) and, where noted, from the host CPU.
#include <vector>

#include "tests/unit/jit_fixture.h"
#include "tests/unit/test_x87_fixture.h"

using namespace kasou;
using namespace kasou::test;
using namespace kasou::x87;

namespace {

constexpr uint32_t A = X87Cpu::kData, B = X87Cpu::kData + 0x100, C = X87Cpu::kData + 0x200;

// fdiv st(0), st(1) with ST0 = 1, ST1 = 0, divide-by-zero unmasked: leaves ZE pending.
void make_pending_zero_divide(X87Cpu& c) {
  c.set_fcw(0x037B);
  c.exec(enc::fldz + enc::fld1 + Bytes{0xD8, 0xF1});
}

struct IrqRecorder : IrqSink {
  std::vector<std::pair<unsigned, bool>> events;
  void set_irq(unsigned line, bool level) override { events.emplace_back(line, level); }
};

}  // namespace

TEST_CASE("x87: CR0.EM/MP/TS decide #NM and #UD (SDM vol. 3 table 2-2, 12-1, FXSAVE)") {
  const Bytes fadd{0xD8, 0xC1}, paddb = mmx_reg(0xFC, 0, 1), fxsave = enc::fxsave(A);
  for (unsigned bits = 0; bits < 8; bits++) {
    const bool em = bits & 4, mp = bits & 2, ts = bits & 1;
    CAPTURE(bits);
    X87Cpu c;
    c.s.cr0 = (c.s.cr0 & ~(cr0::EM | cr0::MP | cr0::TS)) | (em ? cr0::EM : 0) | (mp ? cr0::MP : 0) |
              (ts ? cr0::TS : 0);
    auto outcome = [&](const Bytes& code) -> int {
      try {
        c.exec(code);
        return -1;
      } catch (const GuestFault& f) {
        return f.vector;
      }
    };
    CHECK(outcome(fadd) == ((em || ts) ? vec::NM : -1));
    CHECK(outcome(enc::fnstsw_ax) == ((em || ts) ? vec::NM : -1));  // no-wait forms too
    CHECK(outcome(enc::fwait) == ((mp && ts) ? vec::NM : -1));
    CHECK(outcome(paddb) == (em ? vec::UD : ts ? vec::NM : -1));
    CHECK(outcome(fxsave) == (em ? vec::UD : ts ? vec::NM : -1));
  }
}

TEST_CASE("x87: an unmasked exception is reported as #MF by the next waiting instruction (CR0.NE=1)") {
  X87Cpu c;
  make_pending_zero_divide(c);
  // The unmasked response: the operands stay (SDM 8.5.3), ES and B are set.
  CHECK(c.st(0) == kOne);
  CHECK(c.top() == 6);
  c.exec(enc::fnstsw(A));  // no-wait: no fault
  CHECK(c.mem(A, 2) == (kB | (6u << kTopShift) | kES | kZE));
  const Bytes fld1 = enc::fld1;
  c.load({fld1[0], fld1[1]});
  GuestFault f = c.fault();
  CHECK(f.vector == vec::MF);
  CHECK(!f.has_error_code);
  CHECK(c.s.rip == kCodeAddr);
  CHECK(c.top() == 6);  // the FLD did not run
  CHECK(c.exec_fault(enc::fwait).vector == vec::MF);
  CHECK(c.exec_fault(enc::fldcw(A)).vector == vec::MF);  // FLDCW waits too
  CHECK(c.exec_fault(mmx_reg(0xFC, 0, 1)).vector == vec::MF);  // and MMX instructions
  // FNSTENV stores, then masks everything: nothing is pending any more.
  c.exec(enc::fnstenv(B));
  CHECK(c.fcw() == 0x037F);
  CHECK(!(c.fsw() & (kES | kB)));
  CHECK((c.fsw() & kZE));
  c.exec(enc::fld1);
  CHECK(c.top() == 5);
}

TEST_CASE("x87: FLDCW unmasking a flagged exception makes it pending; FNCLEX clears it") {
  X87Cpu c;
  c.exec(enc::fld1 + enc::fldz + enc::fdivp);  // ZE flagged, masked
  CHECK(!(c.fsw() & kES));
  c.set_fcw(0x037B);
  CHECK((c.fsw() & (kES | kB)) == (kES | kB));
  CHECK(c.exec_fault(enc::fwait).vector == vec::MF);
  c.exec(enc::fnclex);
  CHECK((c.fsw() & 0xFF) == 0);
  c.exec(enc::fwait);
}

TEST_CASE("x87: the host FPU is left as the ABI expects: caller's FCW and MXCSR, nothing pending") {
  uint16_t saved_cw;
  uint32_t saved_mxcsr;
  __asm__ volatile("fnstcw %0\n stmxcsr %1" : "=m"(saved_cw), "=m"(saved_mxcsr));
  const uint16_t host_cw = 0x0E7F;          // the caller's own settings: RC up, PC 53
  const uint32_t host_mxcsr = 0x1F80 | 0x4000;  // RC down
  __asm__ volatile("fnclex\n fldcw %0\n ldmxcsr %1" : : "m"(host_cw), "m"(host_mxcsr));
  X87Cpu c;
  c.set_fcw(0x0340);  // every guest exception unmasked
  c.push_double(1e300);
  c.exec(enc::fstp_m32(A));  // OE on the store, left pending
  CHECK((c.fsw() & kES));
  c.exec(enc::fnclex + enc::fld1 + enc::fldz + enc::fdivp);  // ZE, pending
  CHECK((c.fsw() & kES));
  uint16_t cw, sw, tw_empty;
  uint32_t mxcsr;
  uint8_t env[28];
  __asm__ volatile("fnstcw %0\n fnstsw %1\n stmxcsr %2\n fnstenv %3\n fldcw %0"
                   : "=m"(cw), "=m"(sw), "=m"(mxcsr), "=m"(env));
  std::memcpy(&tw_empty, env + 8, 2);
  CHECK(cw == host_cw);
  CHECK(mxcsr == host_mxcsr);
  CHECK(!(sw & (kES | kB)));
  CHECK(tw_empty == 0xFFFF);  // the x87 stack is empty, as between calls
  __asm__ volatile("fwait");  // would be SIGFPE if anything were pending
  __asm__ volatile("fnclex\n fldcw %0\n ldmxcsr %1" : : "m"(saved_cw), "m"(saved_mxcsr));
}

TEST_CASE("x87: stores suppressed by an unmasked overflow (SDM 8.5.4): memory kept, no pop") {
  X87Cpu c;
  c.set_fcw(0x0377);  // OM clear
  c.poke(A, 0x12345678);
  c.push_double(1e300);
  c.exec(enc::fstp_m32(A));
  CHECK(c.mem(A) == 0x12345678);
  CHECK(c.top() == 7);
  CHECK((c.fsw() & (kOE | kES)) == (kOE | kES));
  // Masked, the same store writes +infinity and pops.
  c.exec(enc::fninit);
  c.push_double(1e300);
  c.exec(enc::fstp_m32(A));
  CHECK(c.mem(A) == 0x7F800000);
  CHECK(c.top() == 0);
}

TEST_CASE("x87: CR0.NE=0: FERR# and a freeze before the next waiting instruction; IGNNE#; release") {
  X87Cpu c;
  IrqRecorder irq;
  c.v.fpu_ferr = IrqLine{&irq, 13};
  make_pending_zero_divide(c);
  c.s.cr0 &= ~cr0::NE;
  CHECK(irq.events.empty());  // nothing until a waiting instruction meets the error
  c.load({0xD9, 0xE8});       // fld1
  c.step();
  CHECK(c.s.halted == 1);
  CHECK(c.s.rip == kCodeAddr);  // frozen before the instruction
  CHECK(c.top() == 6);
  REQUIRE(irq.events.size() == 1);
  CHECK(irq.events[0] == std::make_pair(13u, true));
  // IGNNE# asserted (the PC's port F0h write): the instruction runs, the error stays.
  c.s.halted = 0;
  c.v.fpu_ignne = true;
  c.step();
  CHECK(c.top() == 5);
  CHECK((c.fsw() & kES));
  CHECK(irq.events.size() == 1);
  // FNCLEX clears ES: FERR# goes inactive and IGNNE# with it.
  c.exec(enc::fnclex);
  REQUIRE(irq.events.size() == 2);
  CHECK(irq.events[1] == std::make_pair(13u, false));
  CHECK(!c.v.fpu_ignne);
  // A new error asserts FERR# again.
  c.set_fcw(0x037F);
  c.exec(enc::fld1 + enc::fldz + enc::fdivp);
  c.set_fcw(0x037B);  // FLDCW waited on nothing; ZE is now unmasked and pending
  c.load({0x9B});
  c.step();
  CHECK(c.s.halted == 1);
  CHECK(irq.events.size() == 3);
}

TEST_CASE("x87: the frozen CPU stops the machine when nothing can wake it") {
  X87Cpu c;
  make_pending_zero_divide(c);
  c.s.cr0 &= ~cr0::NE;
  c.load({0x9B, 0xF4});  // fwait; hlt
  RunLimits l;
  l.max_instructions = 100;
  CHECK(c.m.run(l) == StopReason::kHaltedForever);
  CHECK(c.s.rip == kCodeAddr);
}

TEST_CASE("x87: FCS:FIP, FOP, FDS:FDP record the last non-control instruction (SDM 8.1.8, 8.1.9)") {
  X87Cpu c;
  c.s.seg[kEs].selector = 0x20;
  c.put_double(A, 3.0);
  // fld1 at +0; es: fld qword [A] at +2 (the pointer includes the prefix).
  c.exec(enc::fld1 + Bytes{0x26} + enc::fld_m64(A));
  Fpu f = c.fpu();
  CHECK(f.fip() == kCodeAddr + 2);
  CHECK(f.fcs() == 0x10);
  CHECK(f.fop() == 0x505);  // DD & 7, ModRM 05
  CHECK(f.fdp() == A);
  CHECK(f.fds() == 0x20);
  // Control instructions leave them; a register-only instruction moves FIP/FOP only.
  c.exec(enc::fnstcw(B) + enc::fnstsw_ax + enc::fnclex + enc::fldcw(B) + enc::fwait);
  CHECK(f.fip() == kCodeAddr + 2);
  c.exec(enc::fnop + enc::faddp);
  CHECK(f.fip() == kCodeAddr + 2);
  CHECK(f.fop() == 0x6C1);
  CHECK(f.fdp() == A);
  c.exec(enc::fninit);
  CHECK(f.fip() == 0);
  CHECK(f.fop() == 0);
  CHECK(f.fdp() == 0);
  CHECK(f.fcs() == 0);
}

TEST_CASE("x87: FNSTENV/FLDENV, 32-bit protected-mode image (SDM figure 8-9)") {
  X87Cpu c;
  c.set_fcw(0x0272);  // some masks clear: FNSTENV masks them afterwards
  c.put_double(A, 0.0);
  c.exec(enc::fld1 + enc::fld_m64(A));  // fld at +2: FOP 505
  c.exec(enc::fnstenv(B));
  CHECK(c.mem(B + 0) == 0xFFFF0272);
  CHECK(c.mem(B + 4) == (0xFFFF0000 | (6u << kTopShift)));
  CHECK(c.mem(B + 8) == 0xFFFF1FFF);  // R7 valid (1.0), R6 zero, the rest empty
  CHECK(c.mem(B + 12) == kCodeAddr + 2);
  CHECK(c.mem(B + 16) == (0x0505u << 16 | 0x10));
  CHECK(c.mem(B + 20) == A);
  CHECK(c.mem(B + 24) == 0xFFFF0018);
  CHECK(c.fcw() == 0x027F);
  // FLDENV: every field back; tags only as empty / not empty.
  c.poke(B + 0, 0x0360);
  c.poke(B + 4, kC3 | (2u << kTopShift));
  c.poke(B + 8, 0xAFFF);  // R7 "valid", R6 "special" (really 1.0 and 0): both non-empty
  c.poke(B + 12, 0x12345678);
  c.poke(B + 16, 0x07FF0033);
  c.poke(B + 20, 0x9ABCDEF0);
  c.poke(B + 24, 0x0044);
  c.exec(enc::fldenv(B));
  Fpu f = c.fpu();
  CHECK(c.fcw() == 0x0360);
  CHECK(c.fsw() == (kC3 | (2u << kTopShift)));
  CHECK(f.abridged_tag() == 0xC0);
  CHECK(f.full_tag_word() == 0x1FFF);  // recomputed from the contents
  CHECK(f.fip() == 0x12345678);
  CHECK(f.fcs() == 0x33);
  CHECK(f.fop() == 0x7FF);
  CHECK(f.fdp() == 0x9ABCDEF0);
  CHECK(f.fds() == 0x44);
}

TEST_CASE("x87: FNSTENV/FLDENV, 16-bit protected-mode image (SDM figure 8-11)") {
  X87Cpu c;
  c.put_double(A + 0x1234, 2.0);
  c.poke(B + 14, 0xCCCC, 2);
  c.exec(enc::fld1 + enc::fld_m64(A + 0x1234));
  c.exec(Bytes{0x66} + enc::fnstenv(B));
  CHECK(c.mem(B + 0, 2) == 0x037F);
  CHECK(c.mem(B + 2, 2) == (6u << kTopShift));
  CHECK(c.mem(B + 4, 2) == 0x0FFF);
  CHECK(c.mem(B + 6, 2) == kCodeAddr + 2);
  CHECK(c.mem(B + 8, 2) == 0x10);
  CHECK(c.mem(B + 10, 2) == ((A + 0x1234) & 0xFFFF));
  CHECK(c.mem(B + 12, 2) == 0x18);
  CHECK(c.mem(B + 14, 2) == 0xCCCC);  // 14 bytes only
  c.exec(enc::fninit + Bytes{0x66} + enc::fldenv(B));
  CHECK(c.fpu().fip() == kCodeAddr + 2);
  CHECK(c.fpu().fop() == 0);  // the 16-bit image has no opcode
  CHECK(c.fpu().abridged_tag() == 0xC0);
}

TEST_CASE("x87: FNSTENV/FLDENV real-mode images hold linear pointers (SDM figures 8-10, 8-12)") {
  X87Cpu c;
  c.real_mode();
  c.s.seg[kCs] = SegmentCache{0x23450, 0xFFFF, 0x2345, c.s.seg[kCs].attr};
  c.s.seg[kDs] = SegmentCache{0x30000, 0xFFFF, 0x3000, c.s.seg[kDs].attr};
  c.code_at = 0x23460;  // IP 0010
  c.exec(enc::fninit);  // after RESET every register is in use
  c.poke(0x31234, 0, 8);
  c.exec(mem16_form(0xDD, 0, 0x1234));  // fld qword [0x1234]: FOP 506
  c.exec(Bytes{0x66} + mem16_form(0xD9, 6, 0x0100));  // 32-bit image at DS:0100
  const uint32_t img = 0x30100;
  CHECK(c.mem(img + 0) == 0xFFFF037F);
  CHECK(c.mem(img + 12) == 0xFFFF3460);
  CHECK(c.mem(img + 16) == (0x0002u << 12 | 0x506));
  CHECK(c.mem(img + 20) == 0xFFFF1234);
  CHECK(c.mem(img + 24) == (0x0003u << 12));
  c.exec(mem16_form(0xD9, 6, 0x0200));  // 16-bit image at DS:0200
  const uint32_t img16 = 0x30200;
  CHECK(c.mem(img16 + 6, 2) == 0x3460);
  CHECK(c.mem(img16 + 8, 2) == (0x2u << 12 | 0x506));
  CHECK(c.mem(img16 + 10, 2) == 0x1234);
  CHECK(c.mem(img16 + 12, 2) == (0x3u << 12));
  // Loaded back, the pointers are the linear addresses (selectors 0).
  c.exec(Bytes{0xDB, 0xE3} + Bytes{0x66} + mem16_form(0xD9, 4, 0x0100));
  CHECK(c.fpu().fip() == 0x23460);
  CHECK(c.fpu().fcs() == 0);
  CHECK(c.fpu().fdp() == 0x31234);
  CHECK(c.fpu().fop() == 0x506);
  c.exec(Bytes{0xDB, 0xE3} + mem16_form(0xD9, 4, 0x0200));
  CHECK(c.fpu().fip() == 0x23460);
  CHECK(c.fpu().fdp() == 0x31234);
  // The pointers are segment base + offset (AMD APM vol. 1 6.2.5), also when the
  // base is not selector * 16 (a cache loaded in protected mode).
  c.s.seg[kDs].base = 0x40000;
  c.poke(0x41234, 0, 8);
  c.exec(mem16_form(0xDD, 0, 0x1234) + Bytes{0x66} + mem16_form(0xD9, 6, 0x0100));
  CHECK(c.mem(0x40100 + 20) == 0xFFFF1234);
  CHECK(c.mem(0x40100 + 24) == (0x0004u << 12));
}

TEST_CASE("x87: FNSAVE stores the environment and ST0..ST7, then initialises; FRSTOR restores") {
  X87Cpu c;
  c.set_fcw(0x027F);  // PC 53 bits, which the constants ignore
  c.exec(enc::fld1 + enc::fldpi + enc::fldz);
  c.exec(enc::fnsave(B));
  CHECK(c.mem(B) == 0xFFFF027F);
  CHECK(c.mem(B + 8) == 0xFFFF07FF);  // R7 valid, R6 valid, R5 zero
  CHECK(c.get_f80(B + 28) == F80{0, 0});                            // ST0
  CHECK(c.get_f80(B + 38) == F80{0xC90FDAA22168C235ull, 0x4000});  // ST1
  CHECK(c.get_f80(B + 48) == kOne);                                 // ST2
  CHECK(c.fcw() == 0x037F);
  CHECK(c.fsw() == 0);
  CHECK(c.fpu().abridged_tag() == 0);
  c.exec(enc::frstor(B));
  CHECK(c.fcw() == 0x027F);
  CHECK(c.top() == 5);
  CHECK(c.st(2) == kOne);
  CHECK(c.fpu().abridged_tag() == 0xE0);
  // The 16-bit form: 94 bytes, registers at +14.
  c.exec(Bytes{0x66} + enc::fnsave(C));
  CHECK(c.get_f80(C + 14 + 20) == kOne);
  c.exec(Bytes{0x66} + enc::frstor(C));
  CHECK(c.st(2) == kOne);
  CHECK(c.top() == 5);
}

TEST_CASE("x87: FXSAVE layout (SDM table 10-2), FXRSTOR, alignment and MXCSR checks") {
  X87Cpu c;
  const uint32_t fx = X87Cpu::kData + 0x400;  // 16-byte aligned
  for (uint32_t i = 0; i < 512; i += 4) c.poke(fx + i, 0xCCCCCCCC);
  c.exec(enc::fld1 + enc::fld_m64(A) + enc::fxsave(fx));
  CHECK(c.mem(fx + 0, 2) == 0x037F);
  CHECK(c.mem(fx + 2, 2) == (6u << kTopShift));
  CHECK(c.mem(fx + 4, 1) == 0xC0);  // abridged: R6 and R7 in use
  CHECK(c.mem(fx + 5, 1) == 0);
  CHECK(c.mem(fx + 6, 2) == 0x505);
  CHECK(c.mem(fx + 8) == kCodeAddr + 2);
  CHECK(c.mem(fx + 12) == 0x10);
  CHECK(c.mem(fx + 16) == A);
  CHECK(c.mem(fx + 20) == 0x18);
  CHECK(c.mem(fx + 24) == 0x1F80);
  CHECK(c.mem(fx + 28) == kMxcsrMask);
  CHECK(c.get_f80(fx + 48) == kOne);  // ST1 in the second 16-byte slot
  CHECK(c.mem(fx + 58, 2) == 0);      // slot padding written as 0
  CHECK(c.mem(fx + 288) == 0xCCCCCCCC);  // 288..511 untouched
  CHECK(c.mem(fx + 508) == 0xCCCCCCCC);
  // FXRSTOR of a changed image.
  c.poke(fx + 0, 0x0F7F, 2);
  c.poke(fx + 4, 0x40, 1);  // only R6
  c.poke(fx + 160, 0x1122334455667788ull, 8);  // XMM0
  c.exec(enc::fninit + enc::fxrstor(fx));
  CHECK(c.fcw() == 0x0F7F);
  CHECK(c.top() == 6);
  CHECK(c.fpu().abridged_tag() == 0x40);
  CHECK(c.fpu().fop() == 0x505);
  uint64_t xmm0;
  std::memcpy(&xmm0, c.s.fx.bytes + 160, 8);
  CHECK(xmm0 == 0x1122334455667788ull);
  // #GP(0): a misaligned area, and MXCSR bits outside MXCSR_MASK (state unchanged).
  GuestFault f = c.exec_fault(enc::fxsave(fx + 8));
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == 0);
  CHECK(c.exec_fault(enc::fxrstor(fx + 4)).vector == vec::GP);
  c.poke(fx + 24, 0x11F80);
  c.poke(fx + 0, 0x037F, 2);
  CHECK(c.exec_fault(enc::fxrstor(fx)).vector == vec::GP);
  CHECK(c.fcw() == 0x0F7F);
}

TEST_CASE("x87: FLDCW stores the defined control bits (as the host CPU does)") {
  X87Cpu c;
  for (uint16_t in : {uint16_t{0x0000}, uint16_t{0xFFFF}, uint16_t{0x1F3F}, uint16_t{0xE0C0}}) {
    uint16_t host_out = 0;
    uint16_t saved;
    __asm__ volatile("fnclex\n fnstcw %0\n fldcw %2\n fnstcw %1\n fnclex\n fldcw %0" : "=m"(saved), "=m"(host_out) : "m"(in));
    c.set_fcw(in);
    c.exec(enc::fnstcw(A));
    CHECK(c.mem(A, 2) == host_out);
  }
}

TEST_CASE("x87: power-on state (SDM vol. 3 table 9-1)") {
  X87Cpu c;
  c.m.reset_cpu();
  Fpu f = c.fpu();
  CHECK(f.fcw() == 0x0040);
  CHECK(f.fsw() == 0);
  CHECK(f.full_tag_word() == 0x5555);
  CHECK(f.mxcsr() == 0x1F80);
}

TEST_CASE("x87: the translator runs x87 code through helpers with the same result as the interpreter") {
  // 1.5 * 4 + 0.25, FCOMI against 6, FNSTSW AX, FISTP to memory, HLT.
  const std::vector<uint8_t> code = enc::fninit + enc::fld_m64(EngineCpu::kData) +
                                    Bytes{0xDC, 0x0D} + Bytes{0x08, 0x00, 0x02, 0x00} +  // fmul qword [kData+8]
                                    enc::fadd_m64(EngineCpu::kData + 16) + enc::fld_m64(EngineCpu::kData + 24) +
                                    enc::fcomip(1) + enc::fnstsw_ax + Bytes{0x9C, 0x5B} +  // pushfd; pop ebx
                                    enc::fistp_m32(EngineCpu::kData + 32) + Bytes{0xF4};
  uint32_t results[2][3];
  for (int jit = 0; jit < 2; jit++) {
    EngineCpu e(jit == 1);
    const double in[4] = {1.5, 4.0, 0.25, 6.0};
    e.m.memory().write_bytes(EngineCpu::kData, in, sizeof in);
    e.load(code);
    e.run(1000);
    results[jit][0] = e.peek32(EngineCpu::kData + 32);
    results[jit][1] = static_cast<uint32_t>(e.s.gpr[kRax]) & 0xFFFF;
    results[jit][2] = static_cast<uint32_t>(e.s.gpr[kRbx]) & flag::kArith;
  }
  CHECK(results[0][0] == 6);  // round(6.25)
  CHECK(results[0][1] == (7u << kTopShift));  // exact so far: no PE
  CHECK(results[0][2] == flag::CF);  // 6 < 6.25
  for (int i = 0; i < 3; i++) CHECK(results[1][i] == results[0][i]);
}
