// GuestFault: an architectural exception raised while executing a guest instruction.
//
// The reference interpreter and the MMU throw it; it is always caught at the helper
// boundary (never unwinds through generated code) and turned into delivery through
// the guest's IDT by core/exceptions.cpp.
#pragma once

#include <cstdint>

namespace kasou {

namespace vec {
inline constexpr uint8_t DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
                         TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18,
                         XM = 19;
}  // namespace vec

struct GuestFault {
  uint8_t vector;
  bool has_error_code;
  uint32_t error_code;
};

[[noreturn]] inline void raise_fault(uint8_t vector) { throw GuestFault{vector, false, 0}; }
[[noreturn]] inline void raise_fault(uint8_t vector, uint32_t error_code) {
  throw GuestFault{vector, true, error_code};
}

const char* exception_name(uint8_t vector);

}  // namespace kasou
