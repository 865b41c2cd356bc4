// Helpers for the x87/MMX unit tests: an interpreter CPU in flat 32-bit protected
// mode with CR0.NE set and the FPU initialised (FNINIT), encoders for the few
// addressing forms the tests use (absolute disp32 memory, register forms), and
// readers for the x87 state in CpuState::fx.
//
// Expected values in these tests come from the Intel SDM (formats, flags, the
// CR0 tables, exactly representable results) or from the host CPU executing the
// instruction directly in the test (inline assembly, not kasou's host runner).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/interp/x87_state.h"
#include "tests/unit/test_interp_fixture.h"

namespace kasou::test {

using Bytes = std::vector<uint8_t>;

inline Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// `op /ext` with the memory operand [disp32] (ModRM 00 ext 101).
inline Bytes mem_form(uint8_t op, unsigned ext, uint32_t addr) {
  return {op, static_cast<uint8_t>(0x05 | (ext << 3)), static_cast<uint8_t>(addr), static_cast<uint8_t>(addr >> 8),
          static_cast<uint8_t>(addr >> 16), static_cast<uint8_t>(addr >> 24)};
}
// `op /ext` with the 16-bit-addressing memory operand [disp16] (ModRM 00 ext 110).
inline Bytes mem16_form(uint8_t op, unsigned ext, uint16_t addr) {
  return {op, static_cast<uint8_t>(0x06 | (ext << 3)), static_cast<uint8_t>(addr), static_cast<uint8_t>(addr >> 8)};
}
// 0F op /r with the memory operand [disp32].
inline Bytes mmx_mem(uint8_t op, unsigned reg, uint32_t addr) { return Bytes{0x0F} + mem_form(op, reg, addr); }
// 0F op with ModRM 11 reg rm.
inline Bytes mmx_reg(uint8_t op, unsigned reg, unsigned rm) {
  return {0x0F, op, static_cast<uint8_t>(0xC0 | (reg << 3) | rm)};
}

// A few x87 encodings by name.
namespace enc {
inline Bytes fld_m32(uint32_t a) { return mem_form(0xD9, 0, a); }
inline Bytes fld_m64(uint32_t a) { return mem_form(0xDD, 0, a); }
inline Bytes fld_m80(uint32_t a) { return mem_form(0xDB, 5, a); }
inline Bytes fstp_m32(uint32_t a) { return mem_form(0xD9, 3, a); }
inline Bytes fst_m32(uint32_t a) { return mem_form(0xD9, 2, a); }
inline Bytes fstp_m64(uint32_t a) { return mem_form(0xDD, 3, a); }
inline Bytes fstp_m80(uint32_t a) { return mem_form(0xDB, 7, a); }
inline Bytes fild_m16(uint32_t a) { return mem_form(0xDF, 0, a); }
inline Bytes fild_m32(uint32_t a) { return mem_form(0xDB, 0, a); }
inline Bytes fild_m64(uint32_t a) { return mem_form(0xDF, 5, a); }
inline Bytes fistp_m16(uint32_t a) { return mem_form(0xDF, 3, a); }
inline Bytes fistp_m32(uint32_t a) { return mem_form(0xDB, 3, a); }
inline Bytes fistp_m64(uint32_t a) { return mem_form(0xDF, 7, a); }
inline Bytes fbld(uint32_t a) { return mem_form(0xDF, 4, a); }
inline Bytes fbstp(uint32_t a) { return mem_form(0xDF, 6, a); }
inline Bytes fldcw(uint32_t a) { return mem_form(0xD9, 5, a); }
inline Bytes fnstcw(uint32_t a) { return mem_form(0xD9, 7, a); }
inline Bytes fnstsw(uint32_t a) { return mem_form(0xDD, 7, a); }
inline Bytes fnstenv(uint32_t a) { return mem_form(0xD9, 6, a); }
inline Bytes fldenv(uint32_t a) { return mem_form(0xD9, 4, a); }
inline Bytes fnsave(uint32_t a) { return mem_form(0xDD, 6, a); }
inline Bytes frstor(uint32_t a) { return mem_form(0xDD, 4, a); }
inline Bytes fxsave(uint32_t a) { return Bytes{0x0F} + mem_form(0xAE, 0, a); }
inline Bytes fxrstor(uint32_t a) { return Bytes{0x0F} + mem_form(0xAE, 1, a); }
inline Bytes fadd_m64(uint32_t a) { return mem_form(0xDC, 0, a); }
inline Bytes fdiv_m64(uint32_t a) { return mem_form(0xDC, 6, a); }
inline const Bytes fld1{0xD9, 0xE8}, fldz{0xD9, 0xEE}, fldpi{0xD9, 0xEB}, faddp{0xDE, 0xC1}, fdivp{0xDE, 0xF9},
    fmulp{0xDE, 0xC9}, fsubp{0xDE, 0xE9}, fninit{0xDB, 0xE3}, fnclex{0xDB, 0xE2}, fwait{0x9B},
    fnstsw_ax{0xDF, 0xE0}, fxam{0xD9, 0xE5}, ftst{0xD9, 0xE4}, fsqrt{0xD9, 0xFA}, fscale{0xD9, 0xFD},
    fxtract{0xD9, 0xF4}, frndint{0xD9, 0xFC}, fprem{0xD9, 0xF8}, fprem1{0xD9, 0xF5}, fyl2x{0xD9, 0xF1},
    fptan{0xD9, 0xF2}, fsin{0xD9, 0xFE}, fcos{0xD9, 0xFF}, fsincos{0xD9, 0xFB}, fchs{0xD9, 0xE0},
    fabs{0xD9, 0xE1}, fincstp{0xD9, 0xF7}, fdecstp{0xD9, 0xF6}, fnop{0xD9, 0xD0}, emms{0x0F, 0x77};
inline Bytes fld_st(unsigned i) { return {0xD9, static_cast<uint8_t>(0xC0 + i)}; }
inline Bytes fxch(unsigned i) { return {0xD9, static_cast<uint8_t>(0xC8 + i)}; }
inline Bytes fstp_st(unsigned i) { return {0xDD, static_cast<uint8_t>(0xD8 + i)}; }
inline Bytes ffree(unsigned i) { return {0xDD, static_cast<uint8_t>(0xC0 + i)}; }
inline Bytes fcomi(unsigned i) { return {0xDB, static_cast<uint8_t>(0xF0 + i)}; }
inline Bytes fucomi(unsigned i) { return {0xDB, static_cast<uint8_t>(0xE8 + i)}; }
inline Bytes fcomip(unsigned i) { return {0xDF, static_cast<uint8_t>(0xF0 + i)}; }
inline Bytes fcom(unsigned i) { return {0xD8, static_cast<uint8_t>(0xD0 + i)}; }
inline Bytes fucom(unsigned i) { return {0xDD, static_cast<uint8_t>(0xE0 + i)}; }
inline Bytes fcmovb(unsigned i) { return {0xDA, static_cast<uint8_t>(0xC0 + i)}; }
inline Bytes fcmovnb(unsigned i) { return {0xDB, static_cast<uint8_t>(0xC0 + i)}; }
inline Bytes fcmovu(unsigned i) { return {0xDA, static_cast<uint8_t>(0xD8 + i)}; }
}  // namespace enc

// An 80-bit value as the FPU stores it.
struct F80 {
  uint64_t mant;
  uint16_t se;  // sign and exponent
  bool operator==(const F80&) const = default;
};
inline constexpr F80 kOne{0x8000000000000000ull, 0x3FFF};
inline constexpr F80 kTwo{0x8000000000000000ull, 0x4000};
inline constexpr F80 kIndefinite{0xC000000000000000ull, 0xFFFF};  // the QNaN floating-point indefinite
inline constexpr F80 kPlusInf{0x8000000000000000ull, 0x7FFF};

inline doctest::String toString(const F80& f) {
  char b[40];
  std::snprintf(b, sizeof b, "%04x:%016llx", f.se, static_cast<unsigned long long>(f.mant));
  return b;
}

struct X87Cpu : InterpCpu {
  static constexpr uint32_t kData = kDataAddr;

  uint32_t code_at = kCodeAddr;

  X87Cpu() {
    s.cr0 |= cr0::NE;
    exec(enc::fninit);
  }

  // Runs `code` (one or more instructions) from linear `code_at` to its end.
  void exec(const Bytes& code) {
    m.memory().write_bytes(code_at, code.data(), code.size());
    s.rip = code_at - s.seg[kCs].base;
    const uint64_t end = s.rip + code.size();
    for (int n = 0; s.rip != end && n < 1000; n++) step();
  }
  // Runs `code`, one of whose instructions must fault; returns the fault (RIP at
  // the faulting instruction).
  GuestFault exec_fault(const Bytes& code) {
    try {
      exec(code);
    } catch (const GuestFault& f) {
      return f;
    }
    FAIL("no fault");
    return {};
  }

  x87::Fpu fpu() { return x87::Fpu(s.fx); }
  uint16_t fsw() { return fpu().fsw(); }
  uint16_t fcw() { return fpu().fcw(); }
  unsigned top() { return fpu().top(); }
  F80 st(unsigned i) {
    F80 f;
    std::memcpy(&f.mant, fpu().st(i), 8);
    std::memcpy(&f.se, fpu().st(i) + 8, 2);
    return f;
  }

  void put_f80(uint32_t addr, F80 f) {
    poke(addr, f.mant, 8);
    poke(addr + 8, f.se, 2);
  }
  F80 get_f80(uint32_t addr) { return F80{mem(addr, 8), static_cast<uint16_t>(mem(addr + 8, 2))}; }
  void put_double(uint32_t addr, double d) {
    uint64_t b;
    std::memcpy(&b, &d, 8);
    poke(addr, b, 8);
  }
  double get_double(uint32_t addr) {
    uint64_t b = mem(addr, 8);
    double d;
    std::memcpy(&d, &b, 8);
    return d;
  }
  void put_float(uint32_t addr, float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    poke(addr, b, 4);
  }
  // Loads a double onto the stack (through kData + 0xF00).
  void push_double(double d) {
    put_double(kData + 0xF00, d);
    exec(enc::fld_m64(kData + 0xF00));
  }
  void set_fcw(uint16_t cw) {
    poke(kData + 0xF10, cw, 2);
    exec(enc::fldcw(kData + 0xF10));
  }
};

}  // namespace kasou::test
