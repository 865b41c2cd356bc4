// The shared out-of-line stubs (jit/runtime.cpp): a memory slow path or a helper
// call costs a few bytes at its site, and every outcome of the stub gives the
// guest the same registers and flags as before: host pointer after a TLB miss,
// instruction run in the interpreter (page crossing), fault, helper that goes on,
// helper that leaves.
#include "tests/unit/jit_fixture.h"

namespace kasou::test {
namespace {

// `n` copies of `insn`, then HLT.
std::vector<uint8_t> repeat(const std::vector<uint8_t>& insn, size_t n, bool disp8_step = false) {
  std::vector<uint8_t> code;
  for (size_t k = 0; k < n; k++) {
    code.insert(code.end(), insn.begin(), insn.end());
    if (disp8_step) code.back() = static_cast<uint8_t>(4 * k);  // a different address each time
  }
  code.push_back(0xF4);
  return code;
}

struct Sizes {
  uint32_t main, cold;
};

Sizes sizes_of(const std::vector<uint8_t>& code, uint32_t insns) {
  EngineCpu c(true);
  c.load(code);
  jit::Block* b = c.engine->translate_current(c.v);
  REQUIRE(b != nullptr);
  REQUIRE(b->insn_count == insns);
  return {b->main_path_bytes, b->code_bytes - b->main_path_bytes};
}

TEST_CASE("jit stubs: a memory slow path costs a few bytes of cold code per access") {
  // mov eax, [ebx+disp8] (flags dead: the plain stub) and adc eax, [ebx+disp8]
  // (flags live at the lookup: the stub that keeps AX). The per-site cold code is
  // mov rsi, site / call stub / mov rsi, r9 / jmp done / jmp next: 28 bytes at
  // most; with the spill and reload at every site it was about 170.
  for (uint8_t opcode : {uint8_t{0x8B}, uint8_t{0x13}}) {
    const Sizes one = sizes_of(repeat({opcode, 0x43, 0x00}, 1, true), 2);
    const Sizes many = sizes_of(repeat({opcode, 0x43, 0x00}, 17, true), 18);
    CAPTURE(opcode);
    CHECK((many.cold - one.cold) / 16 <= 28);
    CHECK((many.cold - one.cold) / 16 >= 20);  // still one slow path per access
  }
}

TEST_CASE("jit stubs: a helper call is two instructions at its site") {
  // cli x N: mov rsi, site (10 bytes) + call rel32 (5 bytes) each; it was ~90
  // bytes inline plus a jump in the cold code.
  const Sizes one = sizes_of(repeat({0xFA}, 1), 2);
  const Sizes many = sizes_of(repeat({0xFA}, 17), 18);
  CHECK((many.main - one.main) / 16 == 15);
  CHECK(many.cold == one.cold);
}

// Guest registers set before each program (nasm, bits 32, org 0x1000):
//   mov eax, 0xA0A0A0A0 / mov ecx, 0xC1C1C1C1 / mov edx, 0xD2D2D2D2 /
//   mov ebx, 0x20000 / mov ebp, 0xB5B5B5B5 / mov esi, 0x51515151 / mov edi, 7
const std::vector<uint8_t> kSetRegs = {0xB8, 0xA0, 0xA0, 0xA0, 0xA0, 0xB9, 0xC1, 0xC1, 0xC1,
                                       0xC1, 0xBA, 0xD2, 0xD2, 0xD2, 0xD2, 0xBB, 0x00, 0x00,
                                       0x02, 0x00, 0xBD, 0xB5, 0xB5, 0xB5, 0xB5, 0xBE, 0x51,
                                       0x51, 0x51, 0x51, 0xBF, 0x07, 0x00, 0x00, 0x00};

std::vector<uint8_t> program(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> code;
  for (const auto& p : parts) code.insert(code.end(), p.begin(), p.end());
  return code;
}

void check_untouched(EngineCpu& c, bool ebp_too = true) {
  CHECK(c.s.gpr[kRax] == 0xA0A0A0A0u);
  CHECK(c.s.gpr[kRcx] == 0xC1C1C1C1u);
  CHECK(c.s.gpr[kRdx] == 0xD2D2D2D2u);
  CHECK(c.s.gpr[kRsp] == EngineCpu::kStackTop);
  if (ebp_too) CHECK(c.s.gpr[kRbp] == 0xB5B5B5B5u);
}

TEST_CASE("jit stubs: a TLB miss gets the host pointer and keeps registers and flags") {
  EngineCpu c(true);
  c.m.memory().write(0x20000, 0x55, 4);
  c.m.memory().write(0x21000, 0x66, 4);
  c.load(program({kSetRegs,
                  {
                      0xF9,                                // stc
                      0x8B, 0x33,                          // mov esi, [ebx]        (flags live)
                      0x83, 0xD7, 0x00,                    // adc edi, 0
                      0x8B, 0xAB, 0x00, 0x10, 0x00, 0x00,  // mov ebp, [ebx+0x1000] (flags dead)
                      0x83, 0xC0, 0x00,                    // add eax, 0
                      0xF4,                                // hlt
                  }}));
  CHECK(c.run() == StopReason::kHaltedForever);
  check_untouched(c, false);
  CHECK(c.s.gpr[kRbx] == 0x20000u);
  CHECK(c.s.gpr[kRsi] == 0x55u);
  CHECK(c.s.gpr[kRdi] == 8u);  // CF survived the slow path
  CHECK(c.s.gpr[kRbp] == 0x66u);
  CHECK(c.stat("jit.mem_slow_path_calls") == 2);
  CHECK(c.stat("jit.mem_slow_path_interp") == 0);
}

TEST_CASE("jit stubs: a page-crossing access runs in the interpreter and the block goes on") {
  EngineCpu c(true);
  c.m.memory().write(0x20FFC, 0x44332211, 4);
  c.m.memory().write(0x21000, 0x88776655, 4);
  c.m.memory().write(0x21FFC, 0xDDCCBBAA, 4);
  c.m.memory().write(0x22000, 0x11FFEEDD, 4);
  c.load(program({kSetRegs,
                  {
                      0xF9,                                // stc
                      0x8B, 0xB3, 0xFE, 0x0F, 0x00, 0x00,  // mov esi, [ebx+0xFFE]   (flags live)
                      0x83, 0xD7, 0x00,                    // adc edi, 0
                      0x8B, 0xAB, 0xFE, 0x1F, 0x00, 0x00,  // mov ebp, [ebx+0x1FFE]  (flags dead)
                      0x89, 0x8B, 0xFE, 0x2F, 0x00, 0x00,  // mov [ebx+0x2FFE], ecx
                      0x83, 0xC0, 0x00,                    // add eax, 0
                      0xF4,                                // hlt
                  }}));
  CHECK(c.run() == StopReason::kHaltedForever);
  check_untouched(c, false);
  CHECK(c.s.gpr[kRbx] == 0x20000u);
  CHECK(c.s.gpr[kRsi] == 0x66554433u);
  CHECK(c.s.gpr[kRdi] == 8u);  // the flags the interpreter left were loaded for ADC
  CHECK(c.s.gpr[kRbp] == 0xEEDDDDCCu);
  CHECK(c.m.memory().read(0x22FFE, 4) == 0xC1C1C1C1u);
  CHECK(c.stat("jit.mem_slow_path_interp") == 3);
  CHECK(c.v.instructions_retired() == kSetRegs.size() / 5 + 7);
}

// Paging on (identity map of the first 4 MiB, page 0x50000 not present), then a
// load from 0x50004 that faults in the slow path. `adc` makes the flags live at
// the lookup (the stub that keeps AX), `add` leaves them dead (flag slot).
void fault_in_slow_path(uint8_t modrm_after) {
  EngineCpu c(true);
  for (uint32_t k = 0; k < 1024; k++)
    c.m.memory().write(0x31000 + 4 * k, k == 0x50 ? 0 : (k << 12) | 7, 4);
  c.m.memory().write(0x30000, 0x31000 | 7, 4);
  c.load(program({{
                      0xB8, 0x00, 0x00, 0x03, 0x00,  // mov eax, 0x30000
                      0x0F, 0x22, 0xD8,              // mov cr3, eax
                      0x0F, 0x20, 0xC0,              // mov eax, cr0
                      0x0D, 0x00, 0x00, 0x00, 0x80,  // or eax, 0x80000000
                      0x0F, 0x22, 0xC0,              // mov cr0, eax
                      0xEB, 0x00,                    // jmp $+2
                  },
                  kSetRegs,
                  {
                      0xBB, 0x00, 0x00, 0x05, 0x00,  // mov ebx, 0x50000
                      0xF9,                          // stc
                      0x8B, 0x73, 0x04,              // mov esi, [ebx+4]   (0x103E)
                      0x83, modrm_after, 0x00,       // adc/add edi, 0
                      0xF4,                          // hlt
                  }}));
  // No IDT: the machine stops with the report, at the load, with the state before it.
  CHECK(c.run() == StopReason::kGuestError);
  CHECK(c.v.stats.exceptions[14] == 1u);
  CHECK(c.s.cr2 == 0x50004u);
  CHECK(c.s.eip() == 0x103Eu);
  check_untouched(c);
  CHECK(c.s.gpr[kRbx] == 0x50000u);
  CHECK(c.s.gpr[kRsi] == 0x51515151u);
  CHECK(c.s.gpr[kRdi] == 7u);
  CHECK((c.s.rflags & flag::CF));
}

TEST_CASE("jit stubs: a #PF in the slow path (flags live at the lookup)") {
  fault_in_slow_path(0xD7);
}
TEST_CASE("jit stubs: a #PF in the slow path (flags dead at the lookup)") {
  fault_in_slow_path(0xC7);
}

TEST_CASE("jit stubs: helper calls keep registers and flags, and a faulting one leaves with them") {
  EngineCpu c(true);
  c.load(program({kSetRegs,
                  {
                      0xF9,              // stc
                      0xFA,              // cli               (helper)
                      0x83, 0xD7, 0x00,  // adc edi, 0
                      0xF9,              // stc
                      0x0F, 0x0B,        // ud2               (helper: #UD, leaves)  0x1029
                  }}));
  CHECK(c.run() == StopReason::kGuestError);
  CHECK(c.v.stats.exceptions[6] == 1u);
  CHECK(c.s.eip() == 0x1029u);
  check_untouched(c);
  CHECK(c.s.gpr[kRbx] == 0x20000u);
  CHECK(c.s.gpr[kRsi] == 0x51515151u);
  CHECK(c.s.gpr[kRdi] == 8u);  // CF survived the CLI helper
  CHECK((c.s.rflags & flag::CF));
  CHECK(!(c.s.rflags & flag::IF));
}

}  // namespace
}  // namespace kasou::test
