// The x87/MMX state as it lives in CpuState::fx: the FXSAVE image (32-bit
// layout, Intel SDM vol. 1 table 10-2) is the one truth; this header names its
// fields and keeps its invariants.
//
// Invariants kept by every writer (Fpu::set_fcw / set_fsw):
// - FCW bit 6 reads as 1, bits 7 and 13-15 as 0 (what FNSTCW returns on the
//   host after FLDCW 0000 / FFFF);
// - FSW.ES and FSW.B are not stored state: they equal "an exception flag is set
//   whose mask bit is clear" (the host recomputes them after FLDCW, FLDENV and
//   FXRSTOR alike, and #MF follows them).
// The data registers are in stack order (slot i = ST(i), so a change of TOP
// outside FXRSTOR/FRSTOR rotates them; see load_fsw); the abridged tag byte
// and the full tag word are indexed by physical register (ST(i) = R[(TOP+i)&7],
// MMi = Ri).
#pragma once

#include <cstdint>
#include <cstring>

#include "core/cpu_state.h"

namespace kasou::x87 {

// FSW bits.
inline constexpr uint16_t kIE = 1u << 0, kDE = 1u << 1, kZE = 1u << 2, kOE = 1u << 3, kUE = 1u << 4,
                          kPE = 1u << 5, kSF = 1u << 6, kES = 1u << 7, kC0 = 1u << 8, kC1 = 1u << 9,
                          kC2 = 1u << 10, kC3 = 1u << 14, kB = 1u << 15;
inline constexpr uint16_t kTopShift = 11, kTopMask = 7u << kTopShift;
inline constexpr uint16_t kExceptionFlags = 0x3F;  // IE..PE: the flags FCW can mask
inline constexpr uint16_t kStickyFlags = 0x7F;     // ... and SF: kept until FCLEX/FINIT/loads
inline constexpr uint16_t kConditionCodes = kC0 | kC1 | kC2 | kC3;

// FCW: exception masks (bits 0-5), PC (8-9), RC (10-11), IC (12) are stored.
inline constexpr uint16_t kFcwStored = 0x1F3F;
inline constexpr uint16_t kFcwReadsOne = 0x0040;
inline constexpr uint16_t kFcwInit = 0x037F;  // FNINIT: all masked, 64-bit precision, nearest

// MXCSR: bits FXRSTOR accepts (no DAZ: a P6-class CPU); reported in the image.
inline constexpr uint32_t kMxcsrMask = 0x0000FFBF;
inline constexpr uint32_t kMxcsrReset = 0x1F80;

// Byte offsets in the FXSAVE image.
namespace off {
inline constexpr unsigned kFcw = 0, kFsw = 2, kFtw = 4, kFop = 6, kFip = 8, kFcs = 12, kFdp = 16, kFds = 20,
                          kMxcsr = 24, kMxcsrMask = 28, kSt0 = 32, kXmm0 = 160;
inline constexpr unsigned kStStride = 16;
// FXSAVE writes bytes [0, kWritten) in a 32-bit mode; the rest is left alone.
inline constexpr unsigned kWritten = 288;
}  // namespace off

// Tags of the full (FSTENV/FSAVE) tag word.
enum Tag : uint16_t { kTagValid = 0, kTagZero = 1, kTagSpecial = 2, kTagEmpty = 3 };

// The tag the hardware derives from a register's contents (10 bytes, little-endian).
inline Tag classify(const uint8_t* r) {
  uint64_t m;
  uint16_t se;
  std::memcpy(&m, r, 8);
  std::memcpy(&se, r + 8, 2);
  const uint16_t e = se & 0x7FFF;
  if (e == 0x7FFF) return kTagSpecial;              // infinities, NaNs, MMX values
  if (e == 0) return m == 0 ? kTagZero : kTagSpecial;  // zero; (pseudo-)denormals
  return (m >> 63) ? kTagValid : kTagSpecial;       // normal; unnormal
}

// A view of one FXSAVE image.
class Fpu {
 public:
  explicit Fpu(FxState& fx) : b_(fx.bytes) {}

  uint16_t fcw() const { return get<uint16_t>(off::kFcw); }
  uint16_t fsw() const { return get<uint16_t>(off::kFsw); }
  void set_fcw(uint16_t v) {
    put<uint16_t>(off::kFcw, static_cast<uint16_t>((v & kFcwStored) | kFcwReadsOne));
    set_fsw(fsw());
  }
  // Stores FSW with ES and B derived from the flags and the masks.
  void set_fsw(uint16_t v) {
    v = static_cast<uint16_t>(v & ~(kES | kB));
    if (v & ~fcw() & kExceptionFlags) v |= kES | kB;
    put<uint16_t>(off::kFsw, v);
  }
  // Loads FSW as FLDENV and FNINIT do: a new TOP renames the registers, but the
  // physical registers keep their contents, and since the image holds them in
  // stack order the slots rotate.
  void load_fsw(uint16_t v) {
    const unsigned old_top = top();
    set_fsw(v);
    const unsigned shift = (top() - old_top) & 7;
    if (shift == 0) return;
    uint8_t regs[8 * off::kStStride];
    std::memcpy(regs, b_ + off::kSt0, sizeof regs);
    for (unsigned i = 0; i < 8; i++)
      std::memcpy(b_ + off::kSt0 + off::kStStride * i, regs + off::kStStride * ((i + shift) & 7), off::kStStride);
  }
  // An unmasked exception is flagged: the next waiting instruction reports it.
  bool pending() const { return fsw() & kES; }

  unsigned top() const { return (fsw() & kTopMask) >> kTopShift; }
  uint8_t abridged_tag() const { return b_[off::kFtw]; }
  void set_abridged_tag(uint8_t t) { b_[off::kFtw] = t; }

  uint16_t fop() const { return get<uint16_t>(off::kFop) & 0x7FF; }
  uint32_t fip() const { return get<uint32_t>(off::kFip); }
  uint16_t fcs() const { return get<uint16_t>(off::kFcs); }
  uint32_t fdp() const { return get<uint32_t>(off::kFdp); }
  uint16_t fds() const { return get<uint16_t>(off::kFds); }
  void set_fop(uint16_t v) { put<uint16_t>(off::kFop, v & 0x7FF); }
  void set_instruction_pointer(uint16_t cs, uint32_t ip) {
    put<uint32_t>(off::kFip, ip);
    put<uint16_t>(off::kFcs, cs);
  }
  void set_data_pointer(uint16_t ds, uint32_t dp) {
    put<uint32_t>(off::kFdp, dp);
    put<uint16_t>(off::kFds, ds);
  }

  uint32_t mxcsr() const { return get<uint32_t>(off::kMxcsr); }
  void set_mxcsr(uint32_t v) { put<uint32_t>(off::kMxcsr, v); }

  // ST(i), 10 bytes; physical register p is ST((p - TOP) & 7).
  uint8_t* st(unsigned i) { return b_ + off::kSt0 + off::kStStride * (i & 7); }
  const uint8_t* st(unsigned i) const { return b_ + off::kSt0 + off::kStStride * (i & 7); }
  const uint8_t* phys(unsigned p) const { return st(p - top()); }

  // The full tag word FSTENV/FSAVE store: empty from the abridged tag, otherwise
  // derived from the register's contents.
  uint16_t full_tag_word() const {
    uint16_t w = 0;
    for (unsigned p = 0; p < 8; p++) {
      const Tag t = (abridged_tag() >> p) & 1 ? classify(phys(p)) : kTagEmpty;
      w |= static_cast<uint16_t>(t << (2 * p));
    }
    return w;
  }
  // FLDENV/FRSTOR: only "empty or not" is taken from the image (SDM vol. 1 8.1.7).
  void set_full_tag_word(uint16_t w) {
    uint8_t t = 0;
    for (unsigned p = 0; p < 8; p++)
      if (((w >> (2 * p)) & 3) != kTagEmpty) t |= static_cast<uint8_t>(1u << p);
    set_abridged_tag(t);
  }

  // FNINIT (SDM vol. 2 FINIT): the registers' contents and MXCSR are kept.
  void init() {
    put<uint16_t>(off::kFcw, kFcwInit);
    load_fsw(0);
    set_abridged_tag(0);
    set_fop(0);
    set_instruction_pointer(0, 0);
    set_data_pointer(0, 0);
  }

 private:
  template <class T>
  T get(unsigned o) const {
    T v;
    std::memcpy(&v, b_ + o, sizeof v);
    return v;
  }
  template <class T>
  void put(unsigned o, T v) {
    std::memcpy(b_ + o, &v, sizeof v);
  }
  uint8_t* b_;
};

// Power-on state (SDM vol. 3 table 9-1): FCW 0040h, FSW 0, every tag "zero"
// (FTW 5555h: registers hold +0 and are not empty), pointers 0, MXCSR 1F80h.
inline void power_on(FxState& fx) {
  std::memset(fx.bytes, 0, sizeof fx.bytes);
  Fpu f(fx);
  f.set_fcw(kFcwReadsOne);
  f.set_abridged_tag(0xFF);
  f.set_mxcsr(kMxcsrReset);
}

}  // namespace kasou::x87
