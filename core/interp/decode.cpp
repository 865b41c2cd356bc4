// InsnDecoder: the Zydis wrapper.
#include "core/interp/decode.h"

#include <cstring>

#include "core/cpu_state.h"

namespace kasou {

InsnDecoder::InsnDecoder() {
  for (int c = 0; c < 2; c++)
    for (int s = 0; s < 2; s++)
      ZydisDecoderInit(&dec_[c][s], c ? ZYDIS_MACHINE_MODE_LEGACY_16 : ZYDIS_MACHINE_MODE_LEGACY_32,
                       s ? ZYDIS_STACK_WIDTH_16 : ZYDIS_STACK_WIDTH_32);
  ZydisFormatterInit(&fmt_, ZYDIS_FORMATTER_STYLE_INTEL);
  ZydisFormatterSetProperty(&fmt_, ZYDIS_FORMATTER_PROP_FORCE_SIZE, ZYAN_TRUE);
}

DecodeStatus InsnDecoder::decode(bool code16, bool stack16, const uint8_t* bytes, unsigned len,
                                 uint32_t eip, DecodedInsn& out) const {
  ZyanStatus st =
      ZydisDecoderDecodeFull(&dec_[code16][stack16], bytes, len, &out.zi, out.ops);
  if (!ZYAN_SUCCESS(st)) {
    if (st == ZYDIS_STATUS_NO_MORE_DATA && len < 15) return DecodeStatus::kNeedMoreBytes;
    return DecodeStatus::kInvalid;
  }
  std::memcpy(out.bytes, bytes, out.zi.length);
  out.eip = eip;
  out.code16 = code16;
  out.stack16 = stack16;
  return DecodeStatus::kOk;
}

std::string InsnDecoder::format(const DecodedInsn& d, uint64_t runtime_address) const {
  char buf[256];
  if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&fmt_, &d.zi, d.ops, d.zi.operand_count_visible,
                                                    buf, sizeof buf, runtime_address, nullptr)))
    return "(unformattable)";
  return buf;
}

bool InsnDecoder::code16_for(const CpuState& s) {
  return !(s.cr0 & cr0::PE) || (s.rflags & flag::VM) || !(s.seg[kCs].attr & seg_attr::kDb);
}

bool InsnDecoder::stack16_for(const CpuState& s) {
  return !(s.cr0 & cr0::PE) || (s.rflags & flag::VM) || !(s.seg[kSs].attr & seg_attr::kDb);
}

}  // namespace kasou
