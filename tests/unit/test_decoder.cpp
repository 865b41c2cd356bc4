// The Zydis wrapper: operand and address sizes per mode, prefixes, lengths,
// truncated and invalid input.
#include <doctest/doctest.h>

#include <vector>

#include "core/cpu_state.h"
#include "core/interp/decode.h"

namespace kasou {
namespace {

DecodedInsn decode_ok(bool code16, std::initializer_list<uint8_t> bytes) {
  InsnDecoder dec;
  std::vector<uint8_t> b(bytes);
  DecodedInsn d;
  REQUIRE(dec.decode(code16, code16, b.data(), static_cast<unsigned>(b.size()), 0x100, d) == DecodeStatus::kOk);
  return d;
}

TEST_CASE("decoder: operand and address size follow the code segment and the prefixes") {
  DecodedInsn d = decode_ok(false, {0x01, 0xD8});  // add eax, ebx
  CHECK(d.mnemonic() == ZYDIS_MNEMONIC_ADD);
  CHECK(d.operand_bits() == 32);
  CHECK(d.length() == 2);
  d = decode_ok(true, {0x01, 0xD8});  // add ax, bx in 16-bit code
  CHECK(d.operand_bits() == 16);
  d = decode_ok(false, {0x66, 0x01, 0xD8});  // add ax, bx with 66
  CHECK(d.operand_bits() == 16);
  d = decode_ok(true, {0x66, 0x01, 0xD8});  // add eax, ebx with 66 in 16-bit code
  CHECK(d.operand_bits() == 32);
  d = decode_ok(false, {0x67, 0x8B, 0x07});  // mov eax, [bx]
  CHECK(d.address_bits() == 16);
  CHECK(d.ops[1].mem.base == ZYDIS_REGISTER_BX);
}

TEST_CASE("decoder: prefixes are reported") {
  DecodedInsn d = decode_ok(false, {0xF3, 0xA5});  // rep movsd
  CHECK(d.rep());
  CHECK_FALSE(d.repne());
  d = decode_ok(false, {0xF2, 0xAE});  // repne scasb
  CHECK(d.repne());
  d = decode_ok(false, {0xF0, 0x01, 0x03});  // lock add [ebx], eax
  CHECK(d.lock());
  d = decode_ok(false, {0x64, 0x8B, 0x03});  // mov eax, fs:[ebx]
  CHECK(d.ops[1].mem.segment == ZYDIS_REGISTER_FS);
}

TEST_CASE("decoder: next EIP wraps at 64 KiB in 16-bit code") {
  InsnDecoder dec;
  uint8_t nop[] = {0x90};
  DecodedInsn d;
  REQUIRE(dec.decode(true, true, nop, 1, 0xFFFF, d) == DecodeStatus::kOk);
  CHECK(d.next_eip() == 0);
  REQUIRE(dec.decode(false, false, nop, 1, 0xFFFF, d) == DecodeStatus::kOk);
  CHECK(d.next_eip() == 0x10000);
}

TEST_CASE("decoder: truncated and invalid input") {
  InsnDecoder dec;
  DecodedInsn d;
  uint8_t partial[] = {0xB8, 0x01, 0x02};  // mov eax, imm32 cut short
  CHECK(dec.decode(false, false, partial, 3, 0, d) == DecodeStatus::kNeedMoreBytes);
  uint8_t bad[] = {0x0F, 0xFF};  // UD0 without ModRM bytes? 0F FF is UD0 with ModRM
  CHECK(dec.decode(false, false, bad, 2, 0, d) != DecodeStatus::kOk);
  uint8_t lock_mov[] = {0xF0, 0x8B, 0x03};  // LOCK on a register-destination MOV: #UD
  CHECK(dec.decode(false, false, lock_mov, 3, 0, d) == DecodeStatus::kInvalid);
  uint8_t too_long[15 + 1];
  for (auto& b : too_long) b = 0x66;  // prefixes only: longer than 15 bytes
  CHECK(dec.decode(false, false, too_long, 16, 0, d) != DecodeStatus::kOk);
}

TEST_CASE("decoder: formatting is Intel syntax with sizes") {
  InsnDecoder dec;
  DecodedInsn d = decode_ok(false, {0x8B, 0x43, 0x04});
  CHECK(dec.format(d, 0x100) == "mov eax, dword ptr [ebx+0x04]");
}

TEST_CASE("decoder: the mode follows CS.D and SS.B in protected mode only") {
  CpuState s{};
  CHECK(InsnDecoder::code16_for(s));  // real mode
  s.cr0 = cr0::PE;
  s.seg[kCs].attr = seg_attr::kDb;
  s.seg[kSs].attr = 0;
  CHECK_FALSE(InsnDecoder::code16_for(s));
  CHECK(InsnDecoder::stack16_for(s));
  s.rflags = flag::VM;
  CHECK(InsnDecoder::code16_for(s));
}

}  // namespace
}  // namespace kasou
