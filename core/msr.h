// Model-specific registers: the table of MSRs this CPU model has (a 32-bit P6-class
// CPU with PAE/NX, SYSENTER, MTRRs and PAT), what each reads, which bits a write
// may set, and the side effects of a write. RDMSR/WRMSR (core/interp/privileged.cpp)
// are the only callers from guest code; an unknown index or a reserved bit is #GP(0),
// raised by the caller when these functions return false.
#pragma once

#include <cstdint>

#include "core/vcpu.h"

namespace kasou {

namespace msr {
inline constexpr uint32_t kTsc = 0x10;
inline constexpr uint32_t kPlatformId = 0x17;
inline constexpr uint32_t kApicBase = 0x1B;
inline constexpr uint32_t kBiosSignId = 0x8B;
inline constexpr uint32_t kMtrrCap = 0xFE;
inline constexpr uint32_t kArchCapabilities = 0x10A;
inline constexpr uint32_t kSysenterCs = 0x174;
inline constexpr uint32_t kSysenterEsp = 0x175;
inline constexpr uint32_t kSysenterEip = 0x176;
inline constexpr uint32_t kMiscEnable = 0x1A0;
inline constexpr uint32_t kMtrrPhysBase0 = 0x200;  // 0x200 + 2n: PHYSBASEn, 0x201 + 2n: PHYSMASKn
inline constexpr uint32_t kMtrrFix64k00000 = 0x250;
inline constexpr uint32_t kMtrrFix16k80000 = 0x258;
inline constexpr uint32_t kMtrrFix16kA0000 = 0x259;
inline constexpr uint32_t kMtrrFix4kC0000 = 0x268;  // .. 0x26F (F8000)
inline constexpr uint32_t kPat = 0x277;
inline constexpr uint32_t kMtrrDefType = 0x2FF;
inline constexpr uint32_t kEfer = 0xC0000080u;

// IA32_ARCH_CAPABILITIES (read-only): an emulator that executes one instruction
// after another has no speculative execution, so none of the side-channel
// problems these bits deny applies: RDCL_NO (Meltdown) 0, SSB_NO 4, MDS_NO 5,
// PSCHANGE_MC_NO 6, TAA_NO 8, SBDR_SSDP_NO 13, FBSDP_NO 14, PSDP_NO 15,
// BHI_NO 20, GDS_NO 26, RFDS_NO 27. (Without RDCL_NO, Linux isolates kernel page
// tables: two CR3 loads per system call.)
inline constexpr uint64_t kArchCapabilitiesValue = (1u << 0) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) |
                                                   (1u << 13) | (1u << 14) | (1u << 15) | (1u << 20) |
                                                   (1u << 26) | (1u << 27);

inline constexpr unsigned kVariableMtrrs = 8;
// MTRRcap: VCNT = 8 variable ranges, FIX (fixed ranges), WC (write-combining type).
inline constexpr uint64_t kMtrrCapValue = kVariableMtrrs | (1u << 8) | (1u << 10);
// Physical address width of this model (CPUID does not report leaf 0x80000008:
// 36 bits, as for every PAE CPU without it).
inline constexpr unsigned kPhysAddrBits = 36;
}  // namespace msr

namespace efer {
inline constexpr uint64_t SCE = 1u << 0;
inline constexpr uint64_t LME = 1u << 8;
inline constexpr uint64_t LMA = 1u << 10;
inline constexpr uint64_t NXE = 1u << 11;
}  // namespace efer

namespace misc_enable {
inline constexpr uint64_t kFastStrings = 1u << 0;
inline constexpr uint64_t kTcc = 1u << 3;
inline constexpr uint64_t kPerfMonAvailable = 1u << 7;  // read-only: 0, no performance counters
inline constexpr uint64_t kBtsUnavailable = 1u << 11;   // read-only: 1
inline constexpr uint64_t kPebsUnavailable = 1u << 12;  // read-only: 1
inline constexpr uint64_t kEist = 1u << 16;
inline constexpr uint64_t kMonitorFsm = 1u << 18;
inline constexpr uint64_t kLimitCpuid = 1u << 22;
inline constexpr uint64_t kXtprDisable = 1u << 23;
inline constexpr uint64_t kXdDisable = 1ull << 34;  // hides NX from CPUID and EFER
}  // namespace misc_enable

// Whether NX is available (CPUID 0x80000001 EDX[20] and EFER.NXE writable):
// IA32_MISC_ENABLE.XD_DISABLE turns it off.
bool nx_available(const CpuState& s);

// RDMSR: the value of MSR `index`, or false if this CPU has no such MSR.
bool msr_read(Vcpu& v, uint32_t index, uint64_t& value);
// WRMSR: writes MSR `index` with its side effects (TSC offset, TLB flush on an
// EFER.NXE change). Returns false, changing nothing, if the MSR does not exist, is
// read-only, or `value` sets a reserved bit or an invalid memory type.
bool msr_write(Vcpu& v, uint32_t index, uint64_t value);

}  // namespace kasou
