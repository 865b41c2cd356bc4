// CpuState: the architectural state of one x86 CPU, as a plain struct.
//
// Generated code addresses this struct through one base register, so the layout is
// a contract: every offset the emitters use is pinned with a static_assert at the
// end of this file. Registers are 64 bits wide from the start so that the x86-64
// guest can reuse the same structures; a 32-bit guest uses the low halves.
// Everything needed to resume the CPU lives here (and is what save/restore writes);
// caches derived from it (TLB, decoded-segment flags) live in Vcpu.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kasou {

enum Gpr : int { kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi };
// Segment register numbers as the x86 encodes them (ModRM.reg of MOV Sreg).
enum SegReg : int { kEs, kCs, kSs, kDs, kFs, kGs, kNumSegRegs };

// EFLAGS bits.
namespace flag {
inline constexpr uint32_t CF = 1u << 0;
inline constexpr uint32_t PF = 1u << 2;
inline constexpr uint32_t AF = 1u << 4;
inline constexpr uint32_t ZF = 1u << 6;
inline constexpr uint32_t SF = 1u << 7;
inline constexpr uint32_t TF = 1u << 8;
inline constexpr uint32_t IF = 1u << 9;
inline constexpr uint32_t DF = 1u << 10;
inline constexpr uint32_t OF = 1u << 11;
inline constexpr uint32_t IOPL = 3u << 12;
inline constexpr uint32_t NT = 1u << 14;
inline constexpr uint32_t RF = 1u << 16;
inline constexpr uint32_t VM = 1u << 17;
inline constexpr uint32_t AC = 1u << 18;
inline constexpr uint32_t VIF = 1u << 19;
inline constexpr uint32_t VIP = 1u << 20;
inline constexpr uint32_t ID = 1u << 21;
// The six arithmetic flags: the ones generated code keeps in host EFLAGS.
inline constexpr uint32_t kArith = CF | PF | AF | ZF | SF | OF;
inline constexpr uint32_t kFixed1 = 1u << 1;  // bit 1 always reads as 1
}  // namespace flag

namespace cr0 {
inline constexpr uint64_t PE = 1u << 0;
inline constexpr uint64_t MP = 1u << 1;
inline constexpr uint64_t EM = 1u << 2;
inline constexpr uint64_t TS = 1u << 3;
inline constexpr uint64_t ET = 1u << 4;
inline constexpr uint64_t NE = 1u << 5;
inline constexpr uint64_t WP = 1u << 16;
inline constexpr uint64_t AM = 1u << 18;
inline constexpr uint64_t NW = 1u << 29;
inline constexpr uint64_t CD = 1u << 30;
inline constexpr uint64_t PG = 1u << 31;
}  // namespace cr0

namespace cr4 {
inline constexpr uint64_t VME = 1u << 0;
inline constexpr uint64_t PVI = 1u << 1;
inline constexpr uint64_t TSD = 1u << 2;
inline constexpr uint64_t DE = 1u << 3;
inline constexpr uint64_t PSE = 1u << 4;
inline constexpr uint64_t PAE = 1u << 5;
inline constexpr uint64_t MCE = 1u << 6;
inline constexpr uint64_t PGE = 1u << 7;
inline constexpr uint64_t PCE = 1u << 8;
inline constexpr uint64_t OSFXSR = 1u << 9;
inline constexpr uint64_t OSXMMEXCPT = 1u << 10;
}  // namespace cr4

// Segment attributes, packed like the VMX access-rights field: the descriptor's
// byte 5 (type, S, DPL, P) in bits 0-7 and the flags nibble (AVL, L, D/B, G) in
// bits 12-15.
namespace seg_attr {
inline constexpr uint16_t kTypeMask = 0xF;
inline constexpr uint16_t kAccessed = 1u << 0;
inline constexpr uint16_t kWritable = 1u << 1;   // data segments
inline constexpr uint16_t kReadable = 1u << 1;   // code segments
inline constexpr uint16_t kExpandDown = 1u << 2; // data segments
inline constexpr uint16_t kConforming = 1u << 2; // code segments
inline constexpr uint16_t kCode = 1u << 3;
inline constexpr uint16_t kS = 1u << 4;  // 1 = code/data, 0 = system
inline constexpr uint16_t kDplShift = 5;
inline constexpr uint16_t kDplMask = 3u << 5;
inline constexpr uint16_t kPresent = 1u << 7;
inline constexpr uint16_t kAvl = 1u << 12;
inline constexpr uint16_t kLong = 1u << 13;
inline constexpr uint16_t kDb = 1u << 14;  // D (code), B (stack/data)
inline constexpr uint16_t kGranularity = 1u << 15;
}  // namespace seg_attr

// A segment register: the visible selector and the hidden descriptor cache.
struct SegmentCache {
  uint64_t base;
  uint32_t limit;  // effective byte limit (granularity already applied)
  uint16_t selector;
  uint16_t attr;   // seg_attr bits
};
static_assert(sizeof(SegmentCache) == 16);

struct TableRegister {
  uint64_t base;
  uint32_t limit;
  uint32_t pad;
};

// The x87/MMX/SSE state in FXSAVE layout (the image FXSAVE writes to memory).
struct alignas(16) FxState {
  uint8_t bytes[512];
};

struct Msrs {
  uint64_t sysenter_cs;
  uint64_t sysenter_esp;
  uint64_t sysenter_eip;
  uint64_t pat;
  uint64_t apic_base;
  uint64_t mtrr_def_type;
  uint64_t mtrr_fixed[11];
  uint64_t mtrr_var[16];  // base/mask pairs
  uint64_t misc_enable;
  uint64_t star, lstar, cstar, sfmask, kernel_gs_base, tsc_aux;
};

struct CpuState {
  uint64_t gpr[16];  // RAX..R15, indexed by Gpr
  uint64_t rip;
  uint64_t rflags;
  SegmentCache seg[kNumSegRegs];
  SegmentCache ldtr;
  SegmentCache tr;
  TableRegister gdtr;
  TableRegister idtr;
  uint64_t cr0, cr2, cr3, cr4, cr8;
  uint64_t efer;
  uint64_t dr[8];
  uint64_t tsc_offset;  // guest TSC = virtual-clock ticks + tsc_offset
  Msrs msr;
  uint8_t cpl;
  uint8_t halted;
  // Interrupt shadow after STI / MOV SS / POP SS: interrupts are not recognised
  // before the instruction after them completes.
  uint8_t interrupt_shadow;
  uint8_t nmi_blocked;
  // Debug traps recognised but not yet delivered (held by MOV SS / POP SS, or
  // raised while an event was delivered); see core/debug.h.
  uint32_t pending_debug;
  FxState fx;

  uint32_t eip() const { return static_cast<uint32_t>(rip); }
  uint32_t eflags() const { return static_cast<uint32_t>(rflags); }
};

// Offsets generated code relies on.
static_assert(offsetof(CpuState, gpr) == 0);
static_assert(offsetof(CpuState, rip) == 128);
static_assert(offsetof(CpuState, rflags) == 136);
static_assert(offsetof(CpuState, seg) == 144);
static_assert(offsetof(CpuState, fx) % 16 == 0);

}  // namespace kasou
