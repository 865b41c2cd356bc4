// The mode bits a translated block depends on: a change of any of them means the
// same guest bytes must be translated again (different operand/stack size,
// privilege, paging, segment flatness, single-step).
#pragma once

#include <cstdint>

#include "core/cpu_state.h"
#include "core/interp/decode.h"

namespace kasou::jit {

namespace mode_bit {
inline constexpr uint32_t kCplMask = 3;
inline constexpr uint32_t kCode32 = 1u << 2;   // CS.D
inline constexpr uint32_t kStack32 = 1u << 3;  // SS.B
inline constexpr uint32_t kPe = 1u << 4;
inline constexpr uint32_t kPg = 1u << 5;
inline constexpr uint32_t kVm = 1u << 6;
inline constexpr uint32_t kFlat = 1u << 7;     // CS, DS, ES, SS: base 0, 4 GiB, usable for their role
inline constexpr uint32_t kFs4g = 1u << 8;     // FS: any base, 4 GiB expand-up writable data
inline constexpr uint32_t kGs4g = 1u << 9;
inline constexpr uint32_t kTf = 1u << 10;      // single-step trap flag
inline constexpr uint32_t kDf = 1u << 11;      // direction flag: string steps are constants in the code
inline constexpr uint32_t kDebug = 1u << 12;   // DR7 enables a breakpoint: run instruction by instruction
inline constexpr uint32_t kTsdFault = 1u << 13; // CR4.TSD at CPL > 0: RDTSC faults (helper)
// Alignment checking armed (CR0.AM, EFLAGS.AC, CPL 3): inline TLB lookups send
// misaligned accesses to the slow path, which runs the instruction in the
// reference implementation (#AC). POPF and IRET (AC), MOV CR0 and CPL changes
// already end a block when they may change the mode.
inline constexpr uint32_t kAlignCheck = 1u << 14;
inline constexpr uint32_t kAlways = 1u << 31;  // never zero (jump-cache keys rely on it)
}  // namespace mode_bit

uint32_t mode_key(const CpuState& s);
// Whether executing `d` can change mode_key() (besides through an exception, which
// always leaves generated code anyway).
bool may_change_mode(const DecodedInsn& d);
// True if `c` is a usable 4 GiB expand-up writable data segment (any base).
bool seg_is_4g_data(const SegmentCache& c);

}  // namespace kasou::jit
