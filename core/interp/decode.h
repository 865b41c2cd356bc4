// DecodedInsn: one guest instruction decoded by Zydis, shared by the reference
// interpreter and the translator (which groups them into blocks).
//
// The decoder is chosen by the code segment's default size (CS.D) and the stack
// segment's (SS.B), which Zydis needs to know the width of PUSH/POP and friends.
#pragma once

#include <Zydis/Zydis.h>

#include <cstdint>
#include <string>

namespace kasou {

struct CpuState;

struct DecodedInsn {
  ZydisDecodedInstruction zi;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  uint8_t bytes[15];
  uint32_t eip;  // offset within CS of the first byte

  unsigned length() const { return zi.length; }
  ZydisMnemonic mnemonic() const { return zi.mnemonic; }
  uint32_t next_eip() const {
    uint32_t n = eip + zi.length;
    return code16 ? (n & 0xFFFF) : n;
  }
  unsigned operand_bits() const { return zi.operand_width; }
  unsigned address_bits() const { return zi.address_width; }
  bool has(ZyanU64 attribute) const { return (zi.attributes & attribute) != 0; }
  bool rep() const { return has(ZYDIS_ATTRIB_HAS_REP) || has(ZYDIS_ATTRIB_HAS_REPE) || has(ZYDIS_ATTRIB_HAS_REPZ); }
  bool repne() const { return has(ZYDIS_ATTRIB_HAS_REPNE) || has(ZYDIS_ATTRIB_HAS_REPNZ); }
  bool lock() const { return has(ZYDIS_ATTRIB_HAS_LOCK); }

  bool code16 = false;   // decoded for a 16-bit code segment
  bool stack16 = false;  // decoded for a 16-bit stack segment
};

enum class DecodeStatus { kOk, kInvalid, kNeedMoreBytes };

class InsnDecoder {
 public:
  InsnDecoder();
  // Decodes one instruction from `bytes` (at most `len` of them).
  DecodeStatus decode(bool code16, bool stack16, const uint8_t* bytes, unsigned len, uint32_t eip,
                      DecodedInsn& out) const;
  // Intel syntax, e.g. "add eax, dword ptr [ebx+4]".
  std::string format(const DecodedInsn& d, uint64_t runtime_address) const;

  static bool code16_for(const CpuState& s);
  static bool stack16_for(const CpuState& s);

 private:
  ZydisDecoder dec_[2][2];  // [code16][stack16]
  ZydisFormatter fmt_;
};

}  // namespace kasou
