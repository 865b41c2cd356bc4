// The translator running real code: results, chaining, self-modifying code,
// faults with precise EIP, and the time-slice budget.
#include "tests/unit/jit_fixture.h"

namespace kasou::test {
namespace {

// Assembled with nasm (bits 32, org 0x1000); listings in the comments.

TEST_CASE("jit: a counting loop runs chained and gives the right result") {
  EngineCpu c(true);
  c.load({
      0x31, 0xC0,                    // xor eax, eax
      0xB9, 0x10, 0x27, 0x00, 0x00,  // mov ecx, 10000
      0x01, 0xC8,                    // .l: add eax, ecx
      0xE2, 0xFC,                    // loop .l
      0xF4,                          // hlt
  });
  CHECK(c.run() == StopReason::kHaltedForever);
  CHECK(c.s.gpr[kRax] == 50005000u);
  CHECK(c.s.gpr[kRcx] == 0u);
  CHECK(c.stat("jit.chain_patches") >= 1);
  // The loop body never returns to the dispatcher once chained.
  CHECK(c.stat("jit.dispatcher_lookups") < 10);
  CHECK(c.v.instructions_retired() == 2 + 2 * 10000 + 1);
}

TEST_CASE("jit: memory, stack and calls through the TLB") {
  EngineCpu c(true);
  c.load({
      0xBB, 0x00, 0x00, 0x02, 0x00,  // mov ebx, 0x20000
      0xC7, 0x03, 0x05, 0x00, 0x00, 0x00,  // mov dword [ebx], 5
      0x8B, 0x03,                    // mov eax, [ebx]
      0x50,                          // push eax
      0xE8, 0x02, 0x00, 0x00, 0x00,  // call f
      0x59,                          // pop ecx
      0xF4,                          // hlt
      0x8B, 0x54, 0x24, 0x04,        // f: mov edx, [esp+4]
      0x01, 0xD2,                    // add edx, edx
      0x89, 0x53, 0x04,              // mov [ebx+4], edx
      0xC3,                          // ret
  });
  CHECK(c.run() == StopReason::kHaltedForever);
  CHECK(c.s.gpr[kRcx] == 5u);
  CHECK(c.s.gpr[kRdx] == 10u);
  CHECK(c.peek32(0x20004) == 10u);
  CHECK(c.s.gpr[kRsp] == EngineCpu::kStackTop);
}

TEST_CASE("jit: a write into code that already ran makes the new code run") {
  EngineCpu c(true);
  // f: mov eax, 1 / ret ; main calls f, patches f's immediate to 2, calls again.
  c.load({
      0xE8, 0x0F, 0x00, 0x00, 0x00,        // call f            (0x1000)
      0x89, 0xC3,                          // mov ebx, eax
      0xC6, 0x05, 0x15, 0x10, 0x00, 0x00, 0x02,  // mov byte [f+1], 2
      0xE8, 0x01, 0x00, 0x00, 0x00,        // call f
      0xF4,                                // hlt
      0xB8, 0x01, 0x00, 0x00, 0x00,        // f: mov eax, 1    (0x1014)
      0xC3,                                // ret
  });
  CHECK(c.run() == StopReason::kHaltedForever);
  CHECK(c.s.gpr[kRbx] == 1u);
  CHECK(c.s.gpr[kRax] == 2u);
  CHECK(c.stat("jit.smc_invalidations") >= 1);
}

TEST_CASE("jit: a write to the next instruction of the same block takes effect") {
  EngineCpu c(true);
  c.load({
      0xC6, 0x05, 0x08, 0x10, 0x00, 0x00, 0x07,  // mov byte [0x1008], 7   (patches the imm8 below)
      0xB0, 0x01,                                // mov al, 1  -> becomes mov al, 7 ... at 0x1007: b0 01
      0xF4,
  });
  // The imm8 of `mov al, 1` is at 0x1008.
  CHECK(c.run() == StopReason::kHaltedForever);
  CHECK((c.s.gpr[kRax] & 0xFF) == 7u);
}

TEST_CASE("jit: a #DE from DIV is reported at the DIV with the registers before it") {
  EngineCpu c(true);
  c.load({
      0xB8, 0x34, 0x12, 0x00, 0x00,  // mov eax, 0x1234
      0x31, 0xC9,                    // xor ecx, ecx
      0x40,                          // inc eax
      0xF7, 0xF1,                    // div ecx       (0x1008)
      0xF4,
  });
  // No IDT: the machine stops with the report, at the faulting instruction.
  CHECK(c.run() == StopReason::kGuestError);
  CHECK(c.s.eip() == 0x1008u);
  CHECK(c.s.gpr[kRax] == 0x1235u);
  CHECK(c.v.stats.exceptions[0] == 1u);
}

TEST_CASE("jit: the instruction limit stops exactly, even mid-block") {
  EngineCpu c(true);
  c.load({0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0xEB, 0xF7});  // inc eax x7; jmp back
  CHECK(c.run(1003) == StopReason::kInstructionLimit);
  CHECK(c.v.instructions_retired() == 1003u);
  // 1003 = 125 loops of 8 + 3 incs: 125*7 + 3.
  CHECK(c.s.gpr[kRax] == 125u * 7 + 3);
}

TEST_CASE("jit: flags survive memory accesses between the writer and the reader") {
  EngineCpu c(true);
  c.load({
      0xBB, 0x00, 0x00, 0x02, 0x00,        // mov ebx, 0x20000
      0xB8, 0xFF, 0xFF, 0xFF, 0xFF,        // mov eax, -1
      0x83, 0xC0, 0x01,                    // add eax, 1      (CF=1, ZF=1)
      0x8B, 0x0B,                          // mov ecx, [ebx]  (TLB lookup between)
      0x89, 0x4B, 0x04,                    // mov [ebx+4], ecx
      0x83, 0xD2, 0x00,                    // adc edx, 0      (reads CF)
      0x0F, 0x94, 0xC1,                    // setz cl         (ZF from adc: edx=1 -> 0)
      0xF4,
  });
  CHECK(c.run() == StopReason::kHaltedForever);
  CHECK(c.s.gpr[kRdx] == 1u);
  CHECK((c.s.gpr[kRcx] & 0xFF) == 0u);
}

TEST_CASE("jit: a carry set before RET is seen after it") {
  EngineCpu c(true);
  c.load({
      0xE8, 0x04, 0x00, 0x00, 0x00,  // call f
      0x19, 0xC0,                    // sbb eax, eax   (CF from f -> -1)
      0xF4,                          // hlt
      0x90,
      0xF9,                          // f: stc
      0x8B, 0x1C, 0x24,              // mov ebx, [esp]  (lookup after the flag writer)
      0xC3,                          // ret
  });
  CHECK(c.run() == StopReason::kHaltedForever);
  CHECK(c.s.gpr[kRax] == 0xFFFFFFFFu);
  CHECK(c.s.gpr[kRbx] == 0x1005u);
}

// A loop whose body reads and writes three fields of one structure through EBX:
// the first access looks up the range of all three, the others reuse its lookup.
//   mov ebx, BASE ; mov ecx, 100
//   .l: mov eax, [ebx] ; add eax, [ebx+4] ; mov [ebx+8], eax ; inc dword [ebx+4] ; loop .l ; hlt
std::vector<uint8_t> struct_loop(uint32_t base) {
  return {0xBB, uint8_t(base), uint8_t(base >> 8), uint8_t(base >> 16), uint8_t(base >> 24),
          0xB9, 0x64, 0x00, 0x00, 0x00,
          0x8B, 0x03,        // .l: mov eax, [ebx]
          0x03, 0x43, 0x04,  // add eax, [ebx+4]
          0x89, 0x43, 0x08,  // mov [ebx+8], eax
          0xFF, 0x43, 0x04,  // inc dword [ebx+4]
          0xE2, 0xF3,        // loop .l
          0xF4};
}

TEST_CASE("jit: accesses through one base register share a lookup, in a page and across pages") {
  for (uint32_t base : {0x20100u, 0x20FF8u}) {  // the second range crosses into the next page
    CAPTURE(base);
    EngineCpu c(true);
    c.load(struct_loop(base));
    c.m.memory().write(base, 1000, 4);
    c.m.memory().write(base + 4, 7, 4);
    CHECK(c.run() == StopReason::kHaltedForever);
    // The last iteration: [ebx+4] = 7 + 99, so [ebx+8] = 1000 + 106; then [ebx+4] = 107.
    CHECK(c.peek32(base + 8) == 1106u);
    CHECK(c.peek32(base + 4) == 107u);
    CHECK(c.stat("jit.grouped_accesses_translated") >= 2);
  }
}

TEST_CASE("jit: a group whose range runs past the end of RAM: each access as the interpreter does it") {
  // mov ebx, 0x3FFFF8 (8 bytes below the end of RAM) ; xor edx, edx ; mov eax, [ebx] ;
  // add edx, [ebx+8] ; add [ebx+4], eax ; hlt
  // (the leader's probe misses: every access goes the slow way)
  for (bool jit : {false, true}) {
    CAPTURE(jit);
    EngineCpu c(jit);
    c.load({0xBB, 0xF8, 0xFF, 0x3F, 0x00, 0x31, 0xD2, 0x8B, 0x03, 0x03, 0x53, 0x08, 0x01, 0x43, 0x04, 0xF4});
    c.m.memory().write(0x3FFFF8, 0x1234, 4);
    CHECK(c.run() == StopReason::kHaltedForever);
    CHECK(c.s.gpr[kRax] == 0x1234u);
    CHECK(c.s.gpr[kRdx] == 0xFFFFFFFFu);  // unassigned memory reads as all ones
    CHECK(c.peek32(0x3FFFFC) == 0x1234u);
    if (jit) CHECK(c.stat("jit.grouped_accesses_translated") == 2);
  }
}

TEST_CASE("jit: a hint NOP with a memory operand does not lead a group (members would use a stale slot)") {
  // mov ebx, [0x20000] (the TLB now holds that page, so the group below hits) ;
  // mov eax, 0x20000 ; mov edx, [eax] ; mov ecx, [eax+4] ; add edx, ecx   (a group through EAX)
  // mov eax, 0x30000 ; nop dword [eax+0] ; mov edx, [eax+4] ; mov ecx, [eax+8] ; add edx, ecx ; hlt
  EngineCpu c(true);
  c.load({0x8B, 0x1D, 0x00, 0x00, 0x02, 0x00,
          0xB8, 0x00, 0x00, 0x02, 0x00, 0x8B, 0x10, 0x8B, 0x48, 0x04, 0x01, 0xCA,
          0xB8, 0x00, 0x00, 0x03, 0x00, 0x0F, 0x1F, 0x40, 0x00, 0x8B, 0x50, 0x04, 0x8B, 0x48, 0x08, 0x01, 0xCA,
          0xF4});
  for (uint32_t a : {0x20000u, 0x30000u})
    for (uint32_t k = 0; k < 3; k++) c.m.memory().write(a + 4 * k, a + k, 4);
  CHECK(c.run() == StopReason::kHaltedForever);
  CHECK(c.s.gpr[kRdx] == 0x30001u + 0x30002u);
}

TEST_CASE("jit: displacements far apart never form one group (no wrap-around in the range)") {
  // mov ebx, 0xC0020000 ; mov ecx, 7 ; mov [ebx+0x40000000], ecx (-> 0x20000) ;
  // mov eax, [ebx+0xC0000000] (-> 0x80020000, unassigned) ; xor edx, edx ; hlt
  for (bool jit : {false, true}) {
    CAPTURE(jit);
    EngineCpu c(jit);
    c.load({0xBB, 0x00, 0x00, 0x02, 0xC0, 0xB9, 0x07, 0x00, 0x00, 0x00, 0x89, 0x8B, 0x00, 0x00, 0x00, 0x40,
            0x8B, 0x83, 0x00, 0x00, 0x00, 0xC0, 0x31, 0xD2, 0xF4});
    CHECK(c.run() == StopReason::kHaltedForever);
    CHECK(c.peek32(0x20000) == 7u);
    CHECK(c.s.gpr[kRax] == 0xFFFFFFFFu);
    if (jit) CHECK(c.stat("jit.grouped_accesses_translated") == 0);
  }
}

TEST_CASE("jit: register-only instructions of real-mode code run inline") {
  // Real mode, CS = 0: mov cx, 1000 ; xor ax, ax ; .l: add ax, cx ; dec cx ; jnz .l ; hlt
  for (bool jit : {false, true}) {
    CAPTURE(jit);
    EngineCpu c(jit);
    c.m.reset_cpu();
    c.s.seg[kCs] = SegmentCache{0, 0xFFFF, 0, c.s.seg[kCs].attr};
    c.s.rip = EngineCpu::kCode;
    c.m.engine().state_changed(c.v);
    c.load({0xB9, 0xE8, 0x03, 0x31, 0xC0, 0x01, 0xC8, 0x49, 0x75, 0xFB, 0xF4});
    CHECK(c.run() == StopReason::kHaltedForever);
    CHECK((c.s.gpr[kRax] & 0xFFFF) == 500500u % 65536u);
    CHECK((c.s.gpr[kRcx] & 0xFFFF) == 0u);
    // The reference implementation runs every ADD under the interpreter, none under the JIT
    // (before, each was a helper call).
    CHECK(c.stat("interp_calls.add") == (jit ? 0u : 1000u));
  }
}

}  // namespace
}  // namespace kasou::test
