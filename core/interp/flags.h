// Arithmetic flags and condition codes: the one place where the interpreter
// computes CF PF AF ZF SF OF. Every operation is a template over the operand type
// (uint8_t, uint16_t, uint32_t) so the three widths share one definition.
//
// Each alu_* function returns the result and writes the flags it defines into
// s.rflags (flags it leaves alone keep their value). Where the SDM says a flag is
// undefined, we produce what QEMU and Bochs produce (they were checked against
// hardware), so the differential tests mostly agree even before masking.
//
// Callers that write memory probe the destination before calling these (see
// operand_access.h), so setting flags first never breaks fault precision.
#pragma once

#include <cstdint>

#include "core/cpu_state.h"

namespace kasou {

template <class T>
inline constexpr unsigned kBits = sizeof(T) * 8;
template <class T>
inline constexpr T kSignBit = static_cast<T>(T(1) << (kBits<T> - 1));

template <class T>
constexpr bool msb(T x) {
  return (x & kSignBit<T>) != 0;
}

// Calls f(T{}) with T the unsigned type of `bits` (8, 16 or 32), so handlers are
// written once as generic lambdas: with_width(bits, [&]<class T>(T) { ... }).
template <class F>
decltype(auto) with_width(unsigned bits, F&& f) {
  switch (bits) {
    case 8: return f(uint8_t{});
    case 16: return f(uint16_t{});
    default: return f(uint32_t{});
  }
}

// Replaces the flags in `mask` by those of `f`.
inline void set_flags(CpuState& s, uint32_t f, uint32_t mask = flag::kArith) {
  s.rflags = (s.rflags & ~static_cast<uint64_t>(mask)) | (f & mask);
}
inline bool cf(const CpuState& s) { return s.rflags & flag::CF; }

// PF looks at the low byte only, whatever the width.
inline uint32_t parity_flag(uint64_t r) {
  return __builtin_parity(static_cast<unsigned>(r & 0xFF)) ? 0 : flag::PF;
}

template <class T>
uint32_t szp_flags(T r) {
  return parity_flag(r) | (r == 0 ? flag::ZF : 0) | (msb(r) ? flag::SF : 0);
}

template <class T>
T alu_add(CpuState& s, T a, T b, bool carry_in) {
  const T r = static_cast<T>(a + b + carry_in);
  uint32_t f = szp_flags(r);
  if (carry_in ? r <= a : r < a) f |= flag::CF;
  if ((a ^ b ^ r) & 0x10) f |= flag::AF;
  if (msb(static_cast<T>((a ^ r) & (b ^ r)))) f |= flag::OF;
  set_flags(s, f);
  return r;
}

template <class T>
T alu_sub(CpuState& s, T a, T b, bool borrow_in) {
  const T r = static_cast<T>(a - b - borrow_in);
  uint32_t f = szp_flags(r);
  if (borrow_in ? a <= b : a < b) f |= flag::CF;
  if ((a ^ b ^ r) & 0x10) f |= flag::AF;
  if (msb(static_cast<T>((a ^ b) & (a ^ r)))) f |= flag::OF;
  set_flags(s, f);
  return r;
}

// AND, OR, XOR, TEST: CF = OF = 0; AF is undefined and hardware clears it.
template <class T>
T alu_logic(CpuState& s, T r) {
  set_flags(s, szp_flags(r));
  return r;
}

// INC and DEC keep CF (loops can carry a borrow across them).
template <class T>
T alu_inc(CpuState& s, T a) {
  const T r = static_cast<T>(a + 1);
  uint32_t f = szp_flags(r);
  if ((r & 0xF) == 0) f |= flag::AF;
  if (r == kSignBit<T>) f |= flag::OF;
  set_flags(s, f, flag::kArith & ~flag::CF);
  return r;
}

template <class T>
T alu_dec(CpuState& s, T a) {
  const T r = static_cast<T>(a - 1);
  uint32_t f = szp_flags(r);
  if ((a & 0xF) == 0) f |= flag::AF;
  if (a == kSignBit<T>) f |= flag::OF;
  set_flags(s, f, flag::kArith & ~flag::CF);
  return r;
}

// NEG is 0 - a: CF is set unless a is 0.
template <class T>
T alu_neg(CpuState& s, T a) {
  return alu_sub<T>(s, 0, a, false);
}

// MUL/IMUL: CF = OF = "the high half carries information". SF ZF PF follow the
// low half and AF is clear (undefined in the SDM; what QEMU does).
template <class T>
void mul_flags(CpuState& s, T low, bool overflow) {
  uint32_t f = szp_flags(low);
  if (overflow) f |= flag::CF | flag::OF;
  set_flags(s, f);
}

// --- Shifts. `count` is already masked to 5 bits and non-zero (a zero count
// changes nothing, flags included, so callers return early). Counts up to 31 can
// exceed the width of 8- and 16-bit operands, hence the 64-bit intermediates.

template <class T>
T alu_shl(CpuState& s, T a, unsigned count) {
  const uint64_t wide = static_cast<uint64_t>(a) << count;
  const T r = static_cast<T>(wide);
  const bool c = (wide >> kBits<T>) & 1;
  uint32_t f = szp_flags(r) | (c ? flag::CF : 0);
  if (msb(r) != c) f |= flag::OF;  // defined for count 1; hardware applies it to all
  set_flags(s, f);
  return r;
}

template <class T>
T alu_shr(CpuState& s, T a, unsigned count) {
  const T r = static_cast<T>(static_cast<uint64_t>(a) >> count);
  const uint64_t last_out = (static_cast<uint64_t>(a) >> (count - 1));
  uint32_t f = szp_flags(r) | ((last_out & 1) ? flag::CF : 0);
  if (msb(static_cast<T>(last_out ^ r))) f |= flag::OF;  // = MSB(a) for count 1
  set_flags(s, f);
  return r;
}

template <class T>
T alu_sar(CpuState& s, T a, unsigned count) {
  const int64_t sa = msb(a) ? static_cast<int64_t>(a) - (int64_t(1) << kBits<T>) : static_cast<int64_t>(a);
  const T r = static_cast<T>(sa >> count);
  const bool c = (sa >> (count - 1)) & 1;
  set_flags(s, szp_flags(r) | (c ? flag::CF : 0));  // OF = 0: the sign never changes
  return r;
}

// Rotates change only CF and OF. `count` is the 5-bit masked count (non-zero); the
// rotation itself is mod the width, but the flags are still written when that is 0.
template <class T>
T alu_rol(CpuState& s, T a, unsigned count) {
  const unsigned n = count % kBits<T>;
  const T r = n ? static_cast<T>((a << n) | (a >> (kBits<T> - n))) : a;
  const bool c = r & 1;
  set_flags(s, (c ? flag::CF : 0) | (msb(r) != c ? flag::OF : 0), flag::CF | flag::OF);
  return r;
}

template <class T>
T alu_ror(CpuState& s, T a, unsigned count) {
  const unsigned n = count % kBits<T>;
  const T r = n ? static_cast<T>((a >> n) | (a << (kBits<T> - n))) : a;
  const bool c = msb(r);
  const bool o = msb(static_cast<T>(r ^ (r << 1)));  // bit w-1 XOR bit w-2
  set_flags(s, (c ? flag::CF : 0) | (o ? flag::OF : 0), flag::CF | flag::OF);
  return r;
}

// RCL/RCR rotate the (width+1)-bit value CF:a, so 8- and 16-bit rotates go mod 9
// and 17 (a 32-bit rotate cannot exceed 31 after masking).
template <class T>
T alu_rcl(CpuState& s, T a, unsigned count) {
  constexpr unsigned w = kBits<T> + 1;
  const unsigned n = count % w;
  const uint64_t full = (static_cast<uint64_t>(cf(s)) << kBits<T>) | a;
  const uint64_t rot = n ? (((full << n) | (full >> (w - n))) & ((uint64_t(1) << w) - 1)) : full;
  const T r = static_cast<T>(rot);
  const bool c = (rot >> kBits<T>) & 1;
  set_flags(s, (c ? flag::CF : 0) | (msb(r) != c ? flag::OF : 0), flag::CF | flag::OF);
  return r;
}

template <class T>
T alu_rcr(CpuState& s, T a, unsigned count) {
  constexpr unsigned w = kBits<T> + 1;
  const unsigned n = count % w;
  const uint64_t full = (static_cast<uint64_t>(cf(s)) << kBits<T>) | a;
  const uint64_t rot = n ? (((full >> n) | (full << (w - n))) & ((uint64_t(1) << w) - 1)) : full;
  const T r = static_cast<T>(rot);
  const bool c = (rot >> kBits<T>) & 1;
  // The SDM defines OF (count 1) from the operand before rotation: MSB(a) XOR CF;
  // after one step that is the XOR of the two top bits of the result.
  const bool o = msb(static_cast<T>(r ^ (r << 1)));
  set_flags(s, (c ? flag::CF : 0) | (o ? flag::OF : 0), flag::CF | flag::OF);
  return r;
}

// SHLD/SHRD, count (mod 32) non-zero. A 16-bit operand with a count above 16 is
// undefined in the SDM; P6-family CPUs shift the 48-bit value a:b:a (Bochs
// documents this), which for counts up to 16 is the plain a:b shift.
template <class T>
T alu_shld(CpuState& s, T a, T b, unsigned count) {
  static_assert(kBits<T> >= 16, "SHLD has no 8-bit form");
  // v is a:b (a:b:a for 16 bits); the result is its top `bits` after the shift.
  const uint64_t v = kBits<T> == 16 ? (uint64_t(a) << 32) | (uint64_t(b) << 16) | a
                                    : (uint64_t(a) << 32) | b;
  const unsigned total = kBits<T> == 16 ? 48 : 64;
  const T r = static_cast<T>(v >> (32 - count));
  const bool c = (v >> (total - count)) & 1;
  set_flags(s, szp_flags(r) | (c ? flag::CF : 0) | (c != msb(r) ? flag::OF : 0));
  return r;
}

template <class T>
T alu_shrd(CpuState& s, T a, T b, unsigned count) {
  static_assert(kBits<T> >= 16, "SHRD has no 8-bit form");
  // v is b:a (a:b:a for 16 bits); the result is its low `bits` after the shift.
  const uint64_t v = kBits<T> == 16 ? (uint64_t(a) << 32) | (uint64_t(b) << 16) | a
                                    : (uint64_t(b) << 32) | a;
  const T r = static_cast<T>(v >> count);
  const bool cfl = (v >> (count - 1)) & 1;
  const bool o = msb(static_cast<T>(r ^ (r << 1)));
  set_flags(s, szp_flags(r) | (cfl ? flag::CF : 0) | (o ? flag::OF : 0));
  return r;
}

// The 16 x86 conditions in encoding order (the low nibble of Jcc, SETcc and
// CMOVcc opcodes): O NO B AE E NE BE A S NS P NP L GE LE G.
inline bool condition(uint64_t rflags, unsigned cc) {
  const bool c = rflags & flag::CF, z = rflags & flag::ZF, sf = rflags & flag::SF,
             o = rflags & flag::OF, p = rflags & flag::PF;
  bool r;
  switch ((cc >> 1) & 7) {
    case 0: r = o; break;
    case 1: r = c; break;
    case 2: r = z; break;
    case 3: r = c || z; break;
    case 4: r = sf; break;
    case 5: r = p; break;
    case 6: r = sf != o; break;
    default: r = z || (sf != o); break;
  }
  return (cc & 1) ? !r : r;
}

}  // namespace kasou
