// Expected host code: what the translator emits for a handful of guest
// instructions, as text (pointers and targets outside the block replaced by
// placeholders). A change in code generation shows up here in review; the same
// text is what --trace-blocks and the teaching views show.
#include "tests/unit/jit_fixture.h"

namespace kasou::test {
namespace {

// Translates `code` (a block at kCode) and returns the host code of instruction `i`.
std::string host_code(const std::vector<uint8_t>& code, size_t i, std::string* how = nullptr) {
  EngineCpu c(true);
  c.load(code);
  jit::Block* b = c.engine->translate_current(c.v);
  REQUIRE(b != nullptr);
  REQUIRE(i < b->trace.size());
  if (how) *how = b->trace[i].how;
  return jit::format_insn_host_code(*b, i, &c.engine->trampolines());
}

TEST_CASE("codegen: register ALU is the same host instruction on the mapped registers") {
  std::string how;
  // add eax, esi ; hlt
  CHECK(host_code({0x01, 0xF0, 0xF4}, 0, &how) == "add eax, r14d\n");
  CHECK(how == std::string("inline"));
  // mov ah, bl
  CHECK(host_code({0x88, 0xDC, 0xF4}, 0) == "mov ah, bl\n");
  // inc edi (the one-byte 0x47 form is a REX prefix on the host)
  CHECK(host_code({0x47, 0xF4}, 0) == "inc r15d\n");
}

TEST_CASE("codegen: a load is an inline TLB lookup, then the instruction on [rsi]") {
  std::string how;
  // mov eax, [ebx+8] ; xor ecx, ecx ; hlt   (the flags are dead at the lookup; the
  // block entry saved them for a #PF)
  CHECK(host_code({0x8B, 0x43, 0x08, 0x31, 0xC9, 0xF4}, 0, &how) ==
        "lea r8d, [ebx+0x08]\n"
        "mov r9d, r8d\n"
        "shr r9d, 0x07\n"
        "and r9d, 0x1FE0\n"
        "lea r10d, [r8+0x03]\n"
        "and r10d, 0xFFFFF000\n"
        "cmp r10, [rbp+r9*1+0x540]\n"
        "jnz +0xab\n"
        "mov rsi, [rbp+r9*1+0x550]\n"
        "add rsi, r8\n"
        "mov eax, [rsi]\n");
  CHECK(how == std::string("inline"));
}

TEST_CASE("codegen: flags live across a lookup are kept in AX with LAHF/SETO") {
  // add eax, 1 ; adc ecx, [ebx] ; xor edx, edx ; hlt   (ADC reads CF: preserve it)
  const std::string code = host_code({0x83, 0xC0, 0x01, 0x13, 0x0B, 0x31, 0xD2, 0xF4}, 1);
  CHECK(code.find("lahf\nseto al\n") != std::string::npos);
  CHECK(code.find("add al, 0x7F\nsahf\nmov rax, r11\nadc ecx, [rsi]\n") != std::string::npos);
}

TEST_CASE("codegen: PUSH stores through the write tag and moves ESP after the store") {
  // push ecx ; xor eax, eax ; hlt
  const std::string code = host_code({0x51, 0x31, 0xC0, 0xF4}, 0);
  CHECK(code.rfind("lea r8d, [r12-0x04]\n", 0) == 0);
  CHECK(code.find("cmp r10, [rbp+r9*1+0x548]\n") != std::string::npos);  // write tag
  CHECK(code.size() > 30);
  CHECK(code.ends_with("\nmov [rsi], ecx\nlea r12d, [r12-0x04]\n"));
}

TEST_CASE("codegen: IN is rewritten into a call of the shared helper stub") {
  std::string how;
  // in al, dx ; xor eax, eax ; hlt   (the stub saves the flags, spills the guest
  // registers, calls the helper and reloads registers and flags: a fault after it
  // must see them; none of that is emitted at the site)
  CHECK(host_code({0xEC, 0x31, 0xC0, 0xF4}, 0, &how) ==
        "mov rsi, <pointer>\n"
        "call <helper stub>\n");
  CHECK(how == std::string("helper call"));
}

TEST_CASE("codegen: DIV checks for #DE before the host instruction") {
  // (The flags were saved at the block entry, so a #DE can push them.)
  CHECK(host_code({0xF7, 0xF1, 0xF4}, 0) ==
        "mov r11d, ecx\n"
        "test r11d, r11d\n"
        "jz +0x88\n"
        "cmp edx, r11d\n"
        "jnb +0x88\n"
        "div r11d\n");
}

TEST_CASE("codegen: Jcc is the host Jcc between two chainable exits") {
  // add eax, 1 ; jnz back
  const std::string code = host_code({0x83, 0xC0, 0x01, 0x75, 0xFB}, 1);
  CHECK(code.rfind("jnz +", 0) == 0);
  CHECK(code.find("\njmp +") != std::string::npos);
}

TEST_CASE("codegen: RET pops through the TLB and looks the target up in the jump cache") {
  const std::string code = host_code({0xC3}, 0);
  CHECK(code.find("mov r8d, [rsi]\nlea r12d, [r12+0x04]\n") != std::string::npos);
  CHECK(code.find("and edi, 0xFFF\nshl edi, 0x04\n") != std::string::npos);
  CHECK(code.find("add rsi, [rdi]\njnz ") != std::string::npos);
  CHECK(code.find("jmp [rdi+0x08]\n") != std::string::npos);
}

}  // namespace
}  // namespace kasou::test
