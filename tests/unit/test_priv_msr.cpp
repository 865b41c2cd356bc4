// Privileged and system instructions, part 3: RDMSR/WRMSR over the MSR table,
// RDPMC, SYSENTER/SYSEXIT, INVD/WBINVD and the CPUID feature bits that advertise
// them. Expected values from the Intel SDM vol. 2 (instructions), vol. 3 ch. 11
// (MTRRs, PAT) and vol. 4 (MSR layouts).
#include "core/msr.h"
#include "tests/unit/test_interp_fixture.h"

using namespace kasou;
using namespace kasou::test;

namespace {

void expect_fault(InterpCpu& c, uint8_t vector, uint32_t error = 0) {
  const uint64_t rip = c.s.rip;
  GuestFault f = c.fault();
  CHECK(f.vector == vector);
  CHECK(f.error_code == error);
  CHECK(c.s.rip == rip);
}

uint64_t rdmsr(InterpCpu& c, uint32_t index) {
  c.set(kRcx, index);
  c.set(kRax, 0xAAAAAAAA);
  c.set(kRdx, 0xBBBBBBBB);
  c.run({0x0F, 0x32});
  return (uint64_t(c.reg(kRdx)) << 32) | c.reg(kRax);
}

void wrmsr(InterpCpu& c, uint32_t index, uint64_t value) {
  c.set(kRcx, index);
  c.set(kRax, value & 0xFFFFFFFF);
  c.set(kRdx, value >> 32);
  c.run({0x0F, 0x30});
}

// WRMSR that must raise #GP(0) and leave the MSR as it was.
void wrmsr_faults(InterpCpu& c, uint32_t index, uint64_t value) {
  CAPTURE(index);
  CAPTURE(value);
  uint64_t before = 0;
  const bool readable = msr_read(c.v, index, before);
  c.set(kRcx, index);
  c.set(kRax, value & 0xFFFFFFFF);
  c.set(kRdx, value >> 32);
  c.load({0x0F, 0x30});
  expect_fault(c, vec::GP, 0);
  uint64_t after = 0;
  if (readable && index != msr::kTsc) {
    REQUIRE(msr_read(c.v, index, after));
    CHECK(after == before);
  }
}

void rdmsr_faults(InterpCpu& c, uint32_t index) {
  CAPTURE(index);
  c.set(kRcx, index);
  c.set(kRax, 0x1111);
  c.set(kRdx, 0x2222);
  c.load({0x0F, 0x32});
  expect_fault(c, vec::GP, 0);
  CHECK(c.reg(kRax) == 0x1111);
  CHECK(c.reg(kRdx) == 0x2222);
}

struct Cpuid {
  uint32_t a, b, c, d;
};
Cpuid cpuid(InterpCpu& c, uint32_t leaf) {
  c.set(kRax, leaf);
  c.set(kRcx, 0);
  c.run({0x0F, 0xA2});
  return {c.reg(kRax), c.reg(kRbx), c.reg(kRcx), c.reg(kRdx)};
}

}  // namespace

TEST_CASE("priv: RDMSR/WRMSR need CPL 0 (#GP(0) at CPL 3 and in VM86); real mode may use them") {
  InterpCpu c;
  c.s.cpl = 3;
  rdmsr_faults(c, msr::kSysenterCs);
  wrmsr_faults(c, msr::kSysenterCs, 0x10);
  c.s.rflags |= flag::VM;
  rdmsr_faults(c, msr::kSysenterCs);

  InterpCpu r;
  r.real_mode();
  wrmsr(r, msr::kSysenterEip, 0x1234);
  CHECK(rdmsr(r, msr::kSysenterEip) == 0x1234);
}

TEST_CASE("priv: unknown MSRs raise #GP(0)") {
  InterpCpu c;
  for (uint32_t index : {0x0u, 0x11u, 0x1Au, 0x79u, 0xC1u, 0x179u, 0x186u, 0x210u, 0x251u, 0x270u,
                         0x400u, 0xC0000081u, 0xC0000100u, 0x12345678u}) {
    rdmsr_faults(c, index);
    wrmsr_faults(c, index, 0);
  }
}

TEST_CASE("priv: the TSC MSR: WRMSR sets the counter RDTSC and RDMSR then read") {
  InterpCpu c;
  wrmsr(c, msr::kTsc, 0x123456789ABCull);
  const uint64_t t0 = rdmsr(c, msr::kTsc);
  CHECK(t0 >= 0x123456789ABCull);
  CHECK(t0 < 0x123456789ABCull + 1000);
  c.run({0x0F, 0x31});  // rdtsc
  const uint64_t t1 = (uint64_t(c.reg(kRdx)) << 32) | c.reg(kRax);
  CHECK(t1 >= t0);
  CHECK(t1 < t0 + 1000);
}

TEST_CASE("priv: read-only and constant MSRs: PLATFORM_ID, BIOS_SIGN_ID, MTRRcap") {
  InterpCpu c;
  CHECK(rdmsr(c, msr::kPlatformId) == 0);
  wrmsr_faults(c, msr::kPlatformId, 0);
  wrmsr(c, msr::kBiosSignId, 0);  // what Linux does before CPUID to read the microcode revision
  CHECK(rdmsr(c, msr::kBiosSignId) == 0);
  CHECK(rdmsr(c, msr::kMtrrCap) == 0x508);  // 8 variable ranges, fixed ranges, WC
  wrmsr_faults(c, msr::kMtrrCap, 0x508);
}

TEST_CASE("priv: APIC_BASE: BSP is read-only, reserved bits #GP") {
  InterpCpu c;
  CHECK(rdmsr(c, msr::kApicBase) == 0xFEE00900);
  wrmsr(c, msr::kApicBase, 0xFEC00800);
  CHECK(rdmsr(c, msr::kApicBase) == 0xFEC00900);
  wrmsr(c, msr::kApicBase, 0xFEE00000);  // disable, BSP written as 0: kept
  CHECK(rdmsr(c, msr::kApicBase) == 0xFEE00100);
  wrmsr_faults(c, msr::kApicBase, 0xFEE00901);      // bit 0
  wrmsr_faults(c, msr::kApicBase, 0xFEE00A00);      // bit 9
  wrmsr_faults(c, msr::kApicBase, 0xFEE00C00);      // bit 10 (x2APIC: not on this CPU)
  wrmsr_faults(c, msr::kApicBase, 0x1000FEE00900);  // above 36 bits
}

TEST_CASE("priv: SYSENTER_CS/ESP/EIP hold 32-bit values") {
  InterpCpu c;
  wrmsr(c, msr::kSysenterCs, 0x0000000000000060ull);
  wrmsr(c, msr::kSysenterEsp, 0xFFFFFFFF'C0001000ull);
  wrmsr(c, msr::kSysenterEip, 0xC0100000ull);
  CHECK(rdmsr(c, msr::kSysenterCs) == 0x60);
  CHECK(rdmsr(c, msr::kSysenterEsp) == 0xC0001000);
  CHECK(rdmsr(c, msr::kSysenterEip) == 0xC0100000);
  CHECK(c.s.msr.sysenter_cs == 0x60);
}

TEST_CASE("priv: PAT: reset value, valid types, reserved types and bits #GP") {
  InterpCpu c;
  CHECK(rdmsr(c, msr::kPat) == 0x0007040600070406ull);
  wrmsr(c, msr::kPat, 0x0007010600070106ull);  // Linux's PAT with WC in entry 1
  CHECK(rdmsr(c, msr::kPat) == 0x0007010600070106ull);
  wrmsr(c, msr::kPat, 0x0706050401000706ull);
  wrmsr_faults(c, msr::kPat, 0x0007040600070402ull);  // type 2
  wrmsr_faults(c, msr::kPat, 0x0307040600070406ull);  // type 3
  wrmsr_faults(c, msr::kPat, 0x0007040600070408ull);  // bit 3 of an entry
  wrmsr_faults(c, msr::kPat, 0x0007040600F70406ull);
}

TEST_CASE("priv: MTRRs: default type, fixed and variable ranges as a kernel programs them") {
  InterpCpu c;
  CHECK(rdmsr(c, msr::kMtrrDefType) == 0);
  wrmsr(c, msr::kMtrrDefType, 0xC06);  // E, FE, WB
  CHECK(rdmsr(c, msr::kMtrrDefType) == 0xC06);
  wrmsr(c, msr::kMtrrDefType, 0x800);
  wrmsr_faults(c, msr::kMtrrDefType, 0xC02);   // type 2
  wrmsr_faults(c, msr::kMtrrDefType, 0xC07);   // type 7 (UC- exists only in PAT)
  wrmsr_faults(c, msr::kMtrrDefType, 0x1C06);  // bit 12
  wrmsr_faults(c, msr::kMtrrDefType, 0x306);   // bits 9:8

  const uint32_t fixed[] = {0x250, 0x258, 0x259, 0x268, 0x269, 0x26A, 0x26B, 0x26C, 0x26D, 0x26E, 0x26F};
  auto fixed_value = [](uint32_t i) { return 0x0506040100050604ull | (uint64_t(i & 1) * 6); };  // UC WC WT WP WB
  for (uint32_t i = 0; i < 11; i++) {
    CAPTURE(fixed[i]);
    CHECK(rdmsr(c, fixed[i]) == 0);
    wrmsr(c, fixed[i], fixed_value(i));
    CHECK(rdmsr(c, fixed[i]) == fixed_value(i));
    wrmsr_faults(c, fixed[i], 0x0606060606060607ull);  // type 7 in one byte
    wrmsr_faults(c, fixed[i], 0x0603060606060606ull);  // type 3
  }
  for (uint32_t i = 0; i < 11; i++) CHECK(c.s.msr.mtrr_fixed[i] == fixed_value(i));

  for (uint32_t n = 0; n < 8; n++) {
    const uint32_t base = 0x200 + 2 * n, mask = base + 1;
    CAPTURE(n);
    wrmsr(c, base, 0x0000000F'F0000006ull);  // WB at 0xFF0000000
    wrmsr(c, mask, 0x0000000F'F0000800ull);  // valid, 256 MiB
    CHECK(rdmsr(c, base) == 0xFF0000006ull);
    CHECK(rdmsr(c, mask) == 0xFF0000800ull);
    wrmsr_faults(c, base, 0x100000006ull | (1ull << 36));  // above 36 bits
    wrmsr_faults(c, base, 0x00000102ull);                  // type 2
    wrmsr_faults(c, base, 0x00000106ull);                  // bit 8
    wrmsr_faults(c, mask, 0xFF0000801ull);                 // bit 0
    wrmsr_faults(c, mask, 0x1FF0000800ull);                // bit 36
  }
  rdmsr_faults(c, 0x210);
}

TEST_CASE("priv: EFER: only NXE is writable; MISC_ENABLE.XD_DISABLE hides NX") {
  InterpCpu c;
  CHECK(rdmsr(c, msr::kEfer) == 0);
  const uint64_t epoch = c.v.tlb_epoch;
  wrmsr(c, msr::kEfer, efer::NXE);
  CHECK(rdmsr(c, msr::kEfer) == efer::NXE);
  CHECK(c.s.efer == efer::NXE);
  CHECK(c.v.tlb_epoch != epoch);  // bit 63 of PAE entries changed meaning
  wrmsr_faults(c, msr::kEfer, efer::NXE | efer::SCE);
  wrmsr_faults(c, msr::kEfer, efer::LME);
  wrmsr_faults(c, msr::kEfer, efer::LMA);
  wrmsr(c, msr::kEfer, 0);

  // MISC_ENABLE: BTS and PEBS unavailable (read-only 1), no performance monitoring.
  const uint64_t misc = rdmsr(c, msr::kMiscEnable);
  CHECK(misc == 0x1800);
  wrmsr(c, msr::kMiscEnable, misc | misc_enable::kFastStrings);
  CHECK(rdmsr(c, msr::kMiscEnable) == 0x1801);
  wrmsr(c, msr::kMiscEnable, 0x1);  // read-only bits: writes ignored
  CHECK(rdmsr(c, msr::kMiscEnable) == 0x1801);
  wrmsr_faults(c, msr::kMiscEnable, 0x1803);  // bit 1 reserved
  wrmsr_faults(c, msr::kMiscEnable, 0x1ull << 40);

  CHECK((cpuid(c, 0x80000001u).d & (1u << 20)));
  wrmsr(c, msr::kMiscEnable, 0x1801 | misc_enable::kXdDisable);
  CHECK(rdmsr(c, msr::kMiscEnable) == (0x1801 | misc_enable::kXdDisable));
  CHECK(!(cpuid(c, 0x80000001u).d & (1u << 20)));
  wrmsr_faults(c, msr::kEfer, efer::NXE);
}

TEST_CASE("priv: RDPMC: #GP(0) at CPL 3 without CR4.PCE, and for any counter (none exist)") {
  InterpCpu c;
  c.set(kRcx, 0);
  c.load({0x0F, 0x33});
  expect_fault(c, vec::GP, 0);
  c.s.cpl = 3;
  expect_fault(c, vec::GP, 0);
  c.s.cr4 |= cr4::PCE;
  c.set(kRcx, 1);
  expect_fault(c, vec::GP, 0);
}

TEST_CASE("priv: INVD and WBINVD are no-ops at CPL 0 and #GP(0) at CPL 3") {
  InterpCpu c;
  c.run({0x0F, 0x08});
  CHECK(c.s.rip == kCodeAddr + 2);
  c.run({0x0F, 0x09});
  CHECK(c.s.rip == kCodeAddr + 2);
  c.s.cpl = 3;
  c.load({0x0F, 0x08});
  expect_fault(c, vec::GP, 0);
  c.load({0x0F, 0x09});
  expect_fault(c, vec::GP, 0);
}

TEST_CASE("priv: SYSENTER/SYSEXIT round trip with flat segments derived from SYSENTER_CS") {
  InterpCpu c;
  wrmsr(c, msr::kSysenterCs, 0x10);
  wrmsr(c, msr::kSysenterEsp, 0x70000);
  wrmsr(c, msr::kSysenterEip, 0x5000);
  // User mode: CS 0x23, SS 0x2B, interrupts on.
  c.s.cpl = 3;
  c.s.seg[kCs].selector = 0x23;
  c.s.seg[kSs].selector = 0x2B;
  c.s.rflags |= flag::IF | flag::RF;
  c.set(kRsp, 0x6FF00);
  c.run({0x0F, 0x34});  // sysenter
  CHECK(c.s.cpl == 0);
  CHECK(c.s.rip == 0x5000);
  CHECK(c.reg(kRsp) == 0x70000);
  CHECK(!(c.s.rflags & (flag::IF | flag::RF | flag::VM)));
  const uint16_t code0 = seg_attr::kPresent | seg_attr::kS | seg_attr::kCode | seg_attr::kReadable |
                         seg_attr::kAccessed | seg_attr::kDb | seg_attr::kGranularity;
  const uint16_t data0 = seg_attr::kPresent | seg_attr::kS | seg_attr::kWritable | seg_attr::kAccessed |
                         seg_attr::kDb | seg_attr::kGranularity;
  CHECK(c.s.seg[kCs].selector == 0x10);
  CHECK(c.s.seg[kCs].base == 0);
  CHECK(c.s.seg[kCs].limit == 0xFFFFFFFF);
  CHECK(c.s.seg[kCs].attr == code0);
  CHECK(c.s.seg[kSs].selector == 0x18);
  CHECK(c.s.seg[kSs].limit == 0xFFFFFFFF);
  CHECK(c.s.seg[kSs].attr == data0);

  c.set(kRcx, 0x6FF00);
  c.set(kRdx, 0x2000);
  c.load({0x0F, 0x35}, 0x5000);  // sysexit
  c.step();
  CHECK(c.s.cpl == 3);
  CHECK(c.s.rip == 0x2000);
  CHECK(c.reg(kRsp) == 0x6FF00);
  CHECK(c.s.seg[kCs].selector == 0x23);
  CHECK(c.s.seg[kCs].attr == (code0 | (3u << seg_attr::kDplShift)));
  CHECK(c.s.seg[kSs].selector == 0x2B);
  CHECK(c.s.seg[kSs].attr == (data0 | (3u << seg_attr::kDplShift)));
  CHECK(c.s.seg[kSs].base == 0);

  // SYSEXIT only at CPL 0.
  c.load({0x0F, 0x35}, 0x2000);
  expect_fault(c, vec::GP, 0);
  // The RPL bits of SYSENTER_CS are dropped by SYSENTER.
  wrmsr_faults(c, msr::kSysenterCs, 0x13);  // CPL 3 cannot write MSRs
  c.s.msr.sysenter_cs = 0x13;
  c.load({0x0F, 0x34}, 0x2000);
  c.step();
  CHECK(c.s.seg[kCs].selector == 0x10);
  CHECK(c.s.seg[kSs].selector == 0x18);
}

TEST_CASE("priv: SYSENTER/SYSEXIT faults: null SYSENTER_CS, real mode; SYSENTER leaves VM86") {
  InterpCpu c;
  c.s.cpl = 3;
  c.load({0x0F, 0x34});
  expect_fault(c, vec::GP, 0);  // SYSENTER_CS = 0
  c.s.msr.sysenter_cs = 0x3;    // null with an RPL
  expect_fault(c, vec::GP, 0);
  c.s.cpl = 0;
  c.load({0x0F, 0x35});
  expect_fault(c, vec::GP, 0);

  InterpCpu r;
  r.real_mode();
  r.s.msr.sysenter_cs = 0x10;
  r.load({0x0F, 0x34});
  expect_fault(r, vec::GP, 0);
  r.load({0x0F, 0x35});
  expect_fault(r, vec::GP, 0);

  InterpCpu v;
  v.s.msr.sysenter_cs = 0x10;
  v.s.msr.sysenter_eip = 0x3000;
  v.s.msr.sysenter_esp = 0x9000;
  v.s.rflags |= flag::VM | flag::IF;
  v.s.cpl = 3;
  for (auto& sg : v.s.seg) sg = SegmentCache{0, 0xFFFF, 0, kDataAttr};
  v.load({0x0F, 0x35});
  expect_fault(v, vec::GP, 0);  // SYSEXIT from VM86 (CPL 3)
  v.load({0x0F, 0x34});
  v.step();
  CHECK(!(v.s.rflags & (flag::VM | flag::IF)));
  CHECK(v.s.cpl == 0);
  CHECK(v.s.rip == 0x3000);
  CHECK(v.s.seg[kCs].selector == 0x10);
}

TEST_CASE("priv: CPUID reports the implemented system features") {
  InterpCpu c;
  const Cpuid l0 = cpuid(c, 0);
  CHECK(l0.a == 7);  // leaf 7 announces ARCH_CAPABILITIES
  const Cpuid l1 = cpuid(c, 1);
  CHECK(l1.a == 0x663);
  // FPU DE PSE TSC MSR PAE CX8 SEP MTRR PGE CMOV PAT MMX FXSR; no VME, MCE, APIC, MCA, PSE-36, SSE.
  const uint32_t expected = (1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) |
                            (1u << 11) | (1u << 12) | (1u << 13) | (1u << 15) | (1u << 16) | (1u << 23) | (1u << 24);
  CHECK(l1.d == expected);
  CHECK(l1.c == (1u << 31));  // only "hypervisor present": this is a virtual machine
  CHECK(cpuid(c, 0x80000000u).a == 0x80000004u);
  // The brand string (leaves 0x80000002-4) names kasou.
  std::string brand;
  for (uint32_t leaf = 0x80000002u; leaf <= 0x80000004u; leaf++) {
    const Cpuid r = cpuid(c, leaf);
    for (uint32_t w : {r.a, r.b, r.c, r.d})
      for (int i = 0; i < 4; i++) brand += static_cast<char>(w >> (8 * i));
  }
  CHECK(brand.rfind("kasou virtual CPU", 0) == 0);
  const Cpuid e1 = cpuid(c, 0x80000001u);
  CHECK(e1.d == (1u << 20));
  CHECK(e1.c == 0);
  // Past the maximum extended leaf: the highest basic leaf's data.
  CHECK(cpuid(c, 0x80000008u).d == expected);
}

TEST_CASE("priv: ARCH_CAPABILITIES: CPUID leaf 7 announces it; it denies Meltdown, MDS, TAA, SSB; read-only") {
  InterpCpu c;
  CHECK(cpuid(c, 0).a >= 7);
  CHECK((cpuid(c, 7).d & (1u << 29)));
  CHECK(cpuid(c, 7).a == 0);  // subleaf 0 is the only one
  const uint64_t caps = rdmsr(c, msr::kArchCapabilities);
  for (unsigned bit : {0u, 4u, 5u, 8u}) CHECK((caps >> bit & 1));  // RDCL_NO SSB_NO MDS_NO TAA_NO
  wrmsr_faults(c, msr::kArchCapabilities, 0);
  CHECK(cpuid(c, 2).a == 1);  // one round of cache descriptors, none listed
  CHECK(cpuid(c, 4).a == 0);  // no deterministic cache parameters
}
