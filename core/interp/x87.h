// What the x87 and MMX handlers share (x87.cpp, x87_env.cpp, mmx.cpp): the
// CR0.EM/MP/TS checks, the pending-exception check of waiting instructions with
// its two delivery paths (#MF, or FERR#/IGNNE# under CR0.NE=0), memory operands
// of any size, and the "last instruction" pointers.
#pragma once

#include <cstdint>

#include "core/interp/decode.h"
#include "core/interp/x87_state.h"
#include "core/mmu.h"
#include "core/vcpu.h"

namespace kasou::x87 {

// RESET: the FPU's power-on state (x87_state.h) and FERR#/IGNNE# released.
void power_on(Vcpu& v);

// Which CR0 rule applies (SDM vol. 3 table 2-2, table 12-1 and FXSAVE/FXRSTOR):
//   kX87   every x87 instruction but WAIT: #NM if EM or TS;
//   kWait  WAIT/FWAIT: #NM if MP and TS;
//   kMmx, kFxsr  #UD if EM, else #NM if TS.
enum class Unit { kX87, kWait, kMmx, kFxsr };
void check_device(const Vcpu& v, Unit unit);

// For waiting instructions (every x87 instruction but FNINIT, FNCLEX, FNSTSW,
// FNSTCW, FNSTENV, FNSAVE; WAIT; MMX): if an unmasked exception is pending,
// CR0.NE=1 raises #MF; CR0.NE=0 asserts FERR# and, unless IGNNE# is asserted,
// freezes the CPU before the instruction until an interrupt arrives (SDM vol. 1
// 8.7 and D.2). Returns false when frozen: the caller returns without executing.
bool wait_for_pending(Vcpu& v);
// After anything that may clear FSW.ES: FERR# follows ES (and IGNNE#, which the
// PC/AT latch only holds while FERR# is active, drops with it).
void sync_ferr(Vcpu& v);

// A memory operand after the segment check.
struct MemRef {
  SegReg seg;
  uint32_t offset;
  uint64_t linear;
  unsigned size;
};
// The first visible memory operand, or -1.
int memory_operand(const DecodedInsn& d);
MemRef mem_ref(Vcpu& v, const DecodedInsn& d, int index, unsigned size, Access access);
// Memory of a whole data item (an x87 real, an environment, an FXSAVE area): #AC if
// alignment checking is armed and `linear` is not a multiple of `align` (SDM vol.
// 3A table 6-7), then naturally aligned pieces (which never raise #AC themselves).
void read_bytes(Vcpu& v, uint64_t linear, uint8_t* dst, unsigned n, unsigned align);
void write_bytes(Vcpu& v, uint64_t linear, const uint8_t* src, unsigned n, unsigned align);
// The alignment an x87 memory operand of `bytes` needs: an 80-bit real 8.
inline unsigned x87_alignment(unsigned bytes) { return bytes == 10 ? 8 : bytes; }

inline uint8_t modrm_of(const DecodedInsn& d) {
  return static_cast<uint8_t>((d.zi.raw.modrm.mod << 6) | (d.zi.raw.modrm.reg << 3) | d.zi.raw.modrm.rm);
}

// Protected-mode formats of FSTENV/FSAVE (real-mode ones in real and VM86 mode).
inline bool protected_format(const CpuState& s) { return (s.cr0 & cr0::PE) && !(s.rflags & flag::VM); }

// A non-control x87 instruction records itself (FCS:FIP, FOP) and its memory
// operand (FDS:FDP); without one, FDS:FDP stay as they were (`before`). In real
// and VM86 mode FIP and FDP hold linear addresses, which the real-mode image
// formats store.
void record_instruction(Fpu& f, const Fpu& before, const Vcpu& v, const DecodedInsn& d, const MemRef* mem);

}  // namespace kasou::x87
