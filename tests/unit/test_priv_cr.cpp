// Privileged and system instructions, part 2: MOV to/from control and debug
// registers, paging turned on by MOV CR0 over 2-level and PAE page tables
// (translations, #PF error codes and CR2, A/D bits, PDPTE checks), INVLPG and
// global pages. Expected values from the Intel SDM vol. 2 (MOV CR/DR, INVLPG) and
// vol. 3 ch. 4 (paging).
#include "core/msr.h"
#include "core/paging.h"
#include "tests/unit/test_interp_fixture.h"

using namespace kasou;
using namespace kasou::test;

namespace {

void expect_fault(InterpCpu& c, uint8_t vector, uint32_t error = 0, bool has_error = true) {
  const uint64_t rip = c.s.rip;
  GuestFault f = c.fault();
  CHECK(f.vector == vector);
  if (has_error) CHECK(f.error_code == error);
  CHECK(c.s.rip == rip);
}

// Places mov crN, eax (ModRM 11 nnn 000) at the code address.
void load_mov_to_cr(InterpCpu& c, unsigned n) { c.load({0x0F, 0x22, static_cast<uint8_t>(0xC0 | (n << 3))}); }

void write_cr(InterpCpu& c, unsigned n, uint32_t value) {
  c.set(kRax, value);
  const uint8_t modrm = static_cast<uint8_t>(0xC0 | (n << 3));
  c.run({0x0F, 0x22, modrm});
}
uint32_t read_cr(InterpCpu& c, unsigned n) {
  const uint8_t modrm = static_cast<uint8_t>(0xC0 | (n << 3));
  c.run({0x0F, 0x20, modrm});
  return c.reg(kRax);
}
void write_dr(InterpCpu& c, unsigned n, uint32_t value) {
  c.set(kRax, value);
  const uint8_t modrm = static_cast<uint8_t>(0xC0 | (n << 3));
  c.run({0x0F, 0x23, modrm});
}
uint32_t read_dr(InterpCpu& c, unsigned n) {
  const uint8_t modrm = static_cast<uint8_t>(0xC0 | (n << 3));
  c.run({0x0F, 0x21, modrm});
  return c.reg(kRax);
}

constexpr uint32_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;

// 2-level tables: the first 4 MiB identity-mapped with user/writable 4 KiB pages,
// and linear 0x400000.. mapped by a second table:
//   0x400000 -> 0x300000 user RW      0x401000 -> 0x301000 user read-only
//   0x402000 -> 0x302000 supervisor   0x403000 not present
//   0x404000 -> 0x304000 user RW, global
// and linear 0x800000.. one 4 MiB page at physical 0 (used with CR4.PSE).
constexpr uint32_t kDir = 0x100000, kLowTable = 0x101000, kHighTable = 0x102000;
void build_2level(InterpCpu& c) {
  for (uint32_t i = 0; i < 1024; i++) {
    c.poke(kDir + 4 * i, 0);
    c.poke(kLowTable + 4 * i, (i << 12) | P | RW | US);
    c.poke(kHighTable + 4 * i, 0);
  }
  c.poke(kDir + 0, kLowTable | P | RW | US);
  c.poke(kDir + 4, kHighTable | P | RW | US);
  c.poke(kDir + 8, 0x000000 | P | RW | US | PS);
  c.poke(kHighTable + 0, 0x300000 | P | RW | US);
  c.poke(kHighTable + 4, 0x301000 | P | US);
  c.poke(kHighTable + 8, 0x302000 | P | RW);
  c.poke(kHighTable + 16, 0x304000 | P | RW | US | G);
}

// Turns paging on the way a kernel does: MOV CR3, then MOV CR0 with PG.
void enable_paging(InterpCpu& c, uint32_t cr3) {
  write_cr(c, 3, cr3);
  write_cr(c, 0, static_cast<uint32_t>(c.s.cr0 | cr0::PG));
}

// PAE tables: PDPT at 0x110000, entry 0 -> PD 0x111000 (entries 1-3 not present).
//   PD[0] -> PT 0x112000: the first 2 MiB identity-mapped, user/writable
//   PD[1]: a 2 MiB page at physical 0x200000
//   PD[2] -> PT 0x113000: 0x400000 -> 0x300000 NX; 0x401000 -> 0x301000 (bit 40 set: reserved)
constexpr uint32_t kPdpt = 0x110000, kPd = 0x111000, kPt0 = 0x112000, kPt2 = 0x113000;
constexpr uint64_t kNx = 1ull << 63;
void build_pae(InterpCpu& c) {
  for (uint32_t i = 0; i < 512; i++) {
    c.poke(kPd + 8 * i, 0, 8);
    c.poke(kPt0 + 8 * i, (uint64_t(i) << 12) | P | RW | US, 8);
    c.poke(kPt2 + 8 * i, 0, 8);
  }
  for (uint32_t i = 0; i < 4; i++) c.poke(kPdpt + 8 * i, 0, 8);
  c.poke(kPdpt, kPd | P, 8);
  c.poke(kPd + 0, kPt0 | P | RW | US, 8);
  c.poke(kPd + 8, 0x200000 | P | RW | US | PS, 8);
  c.poke(kPd + 16, kPt2 | P | RW | US, 8);
  c.poke(kPt2 + 0, 0x300000 | P | RW | US | kNx, 8);
  c.poke(kPt2 + 8, 0x301000 | P | RW | US | (1ull << 40), 8);
}

const TlbEntry& tlb_entry(InterpCpu& c, unsigned view, uint64_t linear) {
  return c.v.tlb.view[view][(linear >> 12) & (kTlbEntries - 1)];
}
bool tlb_cached(InterpCpu& c, uint64_t linear) { return tlb_entry(c, 0, linear).read_tag == (linear & ~0xFFFull); }
void tlb_fill(InterpCpu& c, uint64_t linear) {
  REQUIRE(mmu_host_pointer(c.v, linear, 4, Access::kRead) != nullptr);
  REQUIRE(tlb_cached(c, linear));
}

}  // namespace

TEST_CASE("priv: MOV CR0 keeps the defined bits (ET reads 1); PG without PE and NW without CD are #GP(0)") {
  InterpCpu c;
  write_cr(c, 0, cr0::PE | cr0::MP | cr0::NE | (1u << 6) | (1u << 17) | (1u << 28));
  CHECK(c.s.cr0 == (cr0::PE | cr0::MP | cr0::ET | cr0::NE));
  CHECK(read_cr(c, 0) == (cr0::PE | cr0::MP | cr0::ET | cr0::NE));
  write_cr(c, 0, static_cast<uint32_t>(cr0::PE | cr0::CD | cr0::NW | cr0::WP | cr0::AM | cr0::TS | cr0::EM));
  CHECK(c.s.cr0 == (cr0::PE | cr0::CD | cr0::NW | cr0::WP | cr0::AM | cr0::TS | cr0::EM | cr0::ET));
  write_cr(c, 0, static_cast<uint32_t>(cr0::PE | cr0::CD));  // CD without NW: fine
  CHECK(c.s.cr0 == (cr0::PE | cr0::CD | cr0::ET));

  const uint64_t before = c.s.cr0;
  load_mov_to_cr(c, 0);
  c.set(kRax, cr0::PG);  // PG without PE
  expect_fault(c, vec::GP, 0);
  c.set(kRax, cr0::PE | cr0::NW);  // NW without CD
  expect_fault(c, vec::GP, 0);
  CHECK(c.s.cr0 == before);
}

TEST_CASE("priv: MOV CR from real mode enters protected mode; CPL 3 and VM86 are #GP(0); CR1/CR5 are #UD") {
  InterpCpu r;
  r.real_mode();
  r.set(kRax, r.s.cr0 | cr0::PE);
  load_mov_to_cr(r, 0);
  r.step();
  CHECK((r.s.cr0 & cr0::PE));
  CHECK(r.s.cpl == 0);

  InterpCpu c;
  c.s.cpl = 3;
  load_mov_to_cr(c, 3);
  c.set(kRax, 0x5000);
  expect_fault(c, vec::GP, 0);
  c.load({0x0F, 0x20, 0xC0});  // mov eax, cr0: reads are privileged too
  expect_fault(c, vec::GP, 0);
  c.s.rflags |= flag::VM;
  c.load({0x0F, 0x20, 0xC0});
  expect_fault(c, vec::GP, 0);
  CHECK(c.s.cr3 == 0);

  InterpCpu u;
  u.load({0x0F, 0x22, 0xC8});  // mov cr1, eax
  expect_fault(u, vec::UD, 0, false);
  u.load({0x0F, 0x20, 0xE8});  // mov eax, cr5
  expect_fault(u, vec::UD, 0, false);
}

TEST_CASE("priv: MOV CR2 and CR3 hold what is written; CR4 rejects the bits of absent features") {
  InterpCpu c;
  write_cr(c, 2, 0xDEADB000);
  CHECK(read_cr(c, 2) == 0xDEADB000);
  CHECK(c.s.cr2 == 0xDEADB000);
  write_cr(c, 3, 0x00123018);  // PWT/PCD bits kept
  CHECK(read_cr(c, 3) == 0x00123018);

  const uint32_t ok = cr4::TSD | cr4::DE | cr4::PSE | cr4::PAE | cr4::PGE | cr4::PCE | cr4::OSFXSR;
  write_cr(c, 4, ok);
  CHECK(read_cr(c, 4) == ok);
  write_cr(c, 4, 0);
  load_mov_to_cr(c, 4);
  for (uint32_t bad : {uint32_t(cr4::VME), uint32_t(cr4::PVI), uint32_t(cr4::MCE), uint32_t(cr4::OSXMMEXCPT),
                       1u << 11, 1u << 13, 1u << 31}) {
    CAPTURE(bad);
    c.set(kRax, bad | cr4::PSE);
    expect_fault(c, vec::GP, 0);
    CHECK(c.s.cr4 == 0);
  }
}

TEST_CASE("priv: MOV DR: DR0-3, DR6/DR7 fixed bits, DR4/DR5 aliases, CR4.DE, DR7.GD") {
  InterpCpu c;
  write_dr(c, 0, 0x12345678);
  write_dr(c, 3, 0xCAFEF00D);
  CHECK(read_dr(c, 0) == 0x12345678);
  CHECK(read_dr(c, 3) == 0xCAFEF00D);
  CHECK(read_dr(c, 6) == 0xFFFF0FF0);  // reset values
  CHECK(read_dr(c, 7) == 0x00000400);
  write_dr(c, 6, 0);
  CHECK(read_dr(c, 6) == 0xFFFF0FF0);
  write_dr(c, 6, 0xFFFFFFFF);
  CHECK(read_dr(c, 6) == 0xFFFFEFFF);
  write_dr(c, 7, 0);
  CHECK(read_dr(c, 7) == 0x400);
  write_dr(c, 7, 0x000F00FF);
  CHECK(read_dr(c, 7) == 0x000F04FF);

  // Without CR4.DE, DR4/DR5 are DR6/DR7.
  write_dr(c, 4, 0x1);
  CHECK(c.s.dr[6] == 0xFFFF0FF1);
  CHECK(read_dr(c, 5) == 0x000F04FF);
  write_dr(c, 5, 0);
  CHECK(c.s.dr[7] == 0x400);
  c.s.cr4 |= cr4::DE;
  c.load({0x0F, 0x21, 0xE0});  // mov eax, dr4
  expect_fault(c, vec::UD, 0, false);
  c.load({0x0F, 0x23, 0xE8});  // mov dr5, eax
  expect_fault(c, vec::UD, 0, false);
  c.s.cr4 = 0;

  // General detect: the next access faults with #DB, DR6.BD set and DR7.GD cleared.
  write_dr(c, 6, 0);
  write_dr(c, 7, 1u << 13);
  CHECK(c.s.dr[7] == 0x2400);
  c.set(kRax, 0x55);
  c.load({0x0F, 0x21, 0xC0});  // mov eax, dr0
  expect_fault(c, vec::DB, 0, false);
  CHECK(c.reg(kRax) == 0x55);
  CHECK(c.s.dr[6] == (0xFFFF0FF0 | (1u << 13)));
  CHECK(c.s.dr[7] == 0x400);
  c.step();  // now allowed
  CHECK(c.reg(kRax) == 0x12345678);

  c.s.cpl = 3;
  c.load({0x0F, 0x23, 0xC0});
  expect_fault(c, vec::GP, 0);
  CHECK(c.s.dr[0] == 0x12345678);
}

TEST_CASE("priv: 2-level paging turned on by MOV CR0: translations, A/D bits, #PF error codes and CR2") {
  InterpCpu c;
  build_2level(c);
  c.poke(0x300010, 0x11111111);
  c.poke(0x301000, 0x22222222);
  enable_paging(c, kDir);
  CHECK((c.s.cr0 & cr0::PG));
  CHECK(c.s.rip == kCodeAddr + 3);
  CHECK(!(c.mem(kLowTable + 4) & A));

  c.set(kRbx, 0x400010);
  c.run({0x8B, 0x03});  // mov eax, [ebx]
  CHECK((c.mem(kDir) & A));  // the code fetch went through the tables
  CHECK((c.mem(kLowTable + 4) & (A | D)) == A);
  CHECK(c.reg(kRax) == 0x11111111);
  CHECK((c.mem(kHighTable) & (A | D)) == A);
  CHECK((c.mem(kDir + 4) & A));
  c.set(kRax, 0x33333333);
  c.run({0x89, 0x03});  // mov [ebx], eax
  CHECK(c.mem(0x300010) == 0x33333333);
  CHECK((c.mem(kHighTable) & (A | D)) == (A | D));
  CHECK(!(c.mem(kDir + 4) & D));  // D only in the last level

  // Not present: error code 0 (read) / 2 (write), CR2 = the faulting address.
  c.set(kRbx, 0x403ABC);
  c.load({0x8B, 0x03});
  expect_fault(c, vec::PF, 0);
  CHECK(c.s.cr2 == 0x403ABC);
  c.load({0x89, 0x03});
  expect_fault(c, vec::PF, pf_err::W);

  // Supervisor writes to a read-only page: allowed with WP=0, #PF(P|W) with WP=1.
  c.set(kRbx, 0x401000);
  c.set(kRax, 0x44);
  c.run({0x89, 0x03});
  CHECK(c.mem(0x301000) == 0x44);
  write_cr(c, 0, static_cast<uint32_t>(c.s.cr0 | cr0::WP));
  c.set(kRbx, 0x401004);
  c.load({0x89, 0x03});
  expect_fault(c, vec::PF, pf_err::P | pf_err::W);
  CHECK(c.s.cr2 == 0x401004);

  // User accesses.
  c.s.cpl = 3;
  c.set(kRbx, 0x402000);
  c.load({0x8B, 0x03});
  expect_fault(c, vec::PF, pf_err::P | pf_err::U);
  c.set(kRbx, 0x401000);
  c.load({0x89, 0x03});
  expect_fault(c, vec::PF, pf_err::P | pf_err::W | pf_err::U);
  c.set(kRbx, 0x403000);
  c.load({0x8B, 0x03});
  expect_fault(c, vec::PF, pf_err::U);
  c.set(kRbx, 0x400010);
  c.run({0x8B, 0x03});  // user read of a user page
  CHECK(c.reg(kRax) == 0x33333333);
}

TEST_CASE("priv: 4 MiB pages need CR4.PSE; MOV CR4 flushes the TLB") {
  InterpCpu c;
  build_2level(c);
  c.poke(0x1234, 0xABCDEF01);
  write_cr(c, 4, cr4::PSE);
  enable_paging(c, kDir);
  c.set(kRbx, 0x801234);
  c.run({0x8B, 0x03});
  CHECK(c.reg(kRax) == 0xABCDEF01);
  CHECK((c.mem(kDir + 8) & A));
  tlb_fill(c, 0x801000);
  const uint64_t epoch = c.v.tlb_epoch;
  write_cr(c, 4, 0);
  CHECK(c.v.tlb_epoch != epoch);
  CHECK(!tlb_cached(c, 0x801000));
}

TEST_CASE("priv: PAE paging: PDPTE load checks, 2 MiB pages, NX with EFER.NXE, reserved bits") {
  InterpCpu c;
  build_pae(c);
  c.poke(0x200000 + 0x5678, 0x5A5A5A5A);
  write_cr(c, 4, cr4::PAE);
  enable_paging(c, kPdpt);
  CHECK((c.s.cr0 & cr0::PG));

  c.set(kRbx, 0x205678);  // through the 2 MiB page
  c.run({0x8B, 0x03});
  CHECK(c.reg(kRax) == 0x5A5A5A5A);
  CHECK((c.mem(kPd + 8, 8) & A));
  CHECK(!(c.mem(kPdpt, 8) & A));  // PAE PDPTEs have no accessed bit

  // Not-present PDPTE: #PF(0).
  c.set(kRbx, 0x40001000);
  c.load({0x8B, 0x03});
  expect_fault(c, vec::PF, 0);
  CHECK(c.s.cr2 == 0x40001000);
  // Bit 40 of a PTE is reserved (36-bit physical addresses): #PF(P|RSVD).
  c.set(kRbx, 0x401000);
  c.load({0x8B, 0x03});
  expect_fault(c, vec::PF, pf_err::P | pf_err::RSVD);
  // Without EFER.NXE bit 63 is reserved too.
  c.set(kRbx, 0x400000);
  c.load({0x8B, 0x03});
  expect_fault(c, vec::PF, pf_err::P | pf_err::RSVD);

  // With NXE: data reads work, instruction fetches fault with I/D set.
  c.set(kRcx, msr::kEfer);
  c.set(kRax, efer::NXE);
  c.set(kRdx, 0);
  c.run({0x0F, 0x30});  // wrmsr
  c.poke(0x300000, 0x77777777);
  c.set(kRbx, 0x400000);
  c.run({0x8B, 0x03});
  CHECK(c.reg(kRax) == 0x77777777);
  c.s.rip = 0x400000;
  GuestFault f = c.fault();
  CHECK(f.vector == vec::PF);
  CHECK(f.error_code == (pf_err::P | pf_err::I));
  CHECK(c.s.cr2 == 0x400000);
  c.s.cpl = 3;
  f = c.fault();
  CHECK(f.error_code == (pf_err::P | pf_err::I | pf_err::U));
}

TEST_CASE("priv: PAE PDPTEs with reserved bits make MOV CR3/CR0/CR4 raise #GP(0)") {
  InterpCpu c;
  build_pae(c);
  constexpr uint32_t kBad = 0x120000;
  for (uint32_t i = 0; i < 4; i++) c.poke(kBad + 8 * i, 0, 8);
  c.poke(kBad + 24, kPd | P | RW, 8);  // R/W (bit 1) is reserved in a PAE PDPTE
  constexpr uint32_t kBad2 = 0x120040;
  for (uint32_t i = 0; i < 4; i++) c.poke(kBad2 + 8 * i, 0, 8);
  c.poke(kBad2 + 8, kPd | P | (1ull << 36), 8);  // above the physical address width
  constexpr uint32_t kAbsent = 0x120080;
  for (uint32_t i = 0; i < 4; i++) c.poke(kAbsent + 8 * i, 0xFFFFFFFE, 8);  // not present: not checked

  // Paging off: CR3 is not checked.
  write_cr(c, 3, kBad);
  write_cr(c, 4, cr4::PAE);
  // MOV CR0 turning PG on checks the PDPTEs at CR3.
  load_mov_to_cr(c, 0);
  c.set(kRax, c.s.cr0 | cr0::PG);
  expect_fault(c, vec::GP, 0);
  CHECK(!(c.s.cr0 & cr0::PG));
  write_cr(c, 3, kPdpt);
  enable_paging(c, kPdpt);

  load_mov_to_cr(c, 3);
  c.set(kRax, kBad);
  expect_fault(c, vec::GP, 0);
  c.set(kRax, kBad2);
  expect_fault(c, vec::GP, 0);
  CHECK(c.s.cr3 == kPdpt);
  write_cr(c, 3, kAbsent);
  CHECK(c.s.cr3 == kAbsent);
  c.s.cr3 = kPdpt;  // (the next fetch would page-fault through the empty PDPT)

  // MOV CR4 turning PAE on under 2-level paging checks the PDPTEs at CR3: a 2-level
  // page directory read as a PDPT has R/W, U/S and high bits set in its present entries.
  InterpCpu d;
  build_2level(d);
  enable_paging(d, kDir);
  load_mov_to_cr(d, 4);
  d.set(kRax, cr4::PAE);
  expect_fault(d, vec::GP, 0);
  CHECK(!(d.s.cr4 & cr4::PAE));
  d.set(kRax, cr4::PSE);  // no PAE: nothing to check
  d.step();
  CHECK(d.s.cr4 == cr4::PSE);
}

TEST_CASE("priv: INVLPG drops the TLB entries of one page (all pieces of a large page); privilege") {
  InterpCpu c;
  build_2level(c);
  write_cr(c, 4, cr4::PSE);
  enable_paging(c, kDir);
  tlb_fill(c, 0x400000);
  tlb_fill(c, 0x401000);
  tlb_fill(c, 0x805000);  // two pieces of the 4 MiB page at 0x800000
  tlb_fill(c, 0x9FF000);
  CHECK(tlb_entry(c, 0, 0x400000).phys_page == 0x300000);

  // Change the PTE: the stale entry stays until INVLPG.
  c.poke(kHighTable, 0x305000 | P | RW | US);
  CHECK(tlb_cached(c, 0x400000));
  const uint64_t epoch = c.v.tlb_epoch;
  c.set(kRax, 0x400123);
  c.run({0x0F, 0x01, 0x38});  // invlpg [eax]
  CHECK(c.v.tlb_epoch != epoch);
  CHECK(!tlb_cached(c, 0x400000));
  CHECK(tlb_cached(c, 0x401000));
  tlb_fill(c, 0x400000);
  CHECK(tlb_entry(c, 0, 0x400000).phys_page == 0x305000);

  c.set(kRax, 0x9AB000);  // a 4 MiB page: every cached piece goes
  c.run({0x0F, 0x01, 0x38});
  CHECK(!tlb_cached(c, 0x805000));
  CHECK(!tlb_cached(c, 0x9FF000));
  CHECK(tlb_cached(c, 0x401000));

  // The segment base applies; there is no limit check.
  tlb_fill(c, 0x401000);
  c.s.seg[kDs].base = 0x1000;
  c.s.seg[kDs].limit = 0xFFF;
  c.set(kRax, 0x400000);
  c.run({0x0F, 0x01, 0x38});
  CHECK(!tlb_cached(c, 0x401000));

  c.s.cpl = 3;
  c.load({0x0F, 0x01, 0x38});
  expect_fault(c, vec::GP, 0);
  c.s.rflags |= flag::VM;
  expect_fault(c, vec::GP, 0);

  InterpCpu r;
  r.real_mode();
  r.set(kRbx, 0x1000);
  r.run({0x0F, 0x01, 0x3F});  // invlpg [bx]: allowed in real mode
  CHECK(r.s.rip == kCodeAddr + 3);
}

TEST_CASE("priv: global pages survive a CR3 reload with CR4.PGE; a CR4.PGE change flushes everything") {
  InterpCpu c;
  build_2level(c);
  write_cr(c, 4, cr4::PGE);
  enable_paging(c, kDir);
  tlb_fill(c, 0x404000);  // G=1
  tlb_fill(c, 0x400000);  // G=0
  write_cr(c, 3, kDir);
  CHECK(tlb_cached(c, 0x404000));
  CHECK(!tlb_cached(c, 0x400000));

  // INVLPG drops a global entry.
  c.set(kRax, 0x404000);
  c.run({0x0F, 0x01, 0x38});
  CHECK(!tlb_cached(c, 0x404000));

  tlb_fill(c, 0x404000);
  write_cr(c, 4, 0);  // PGE off: all gone
  CHECK(!tlb_cached(c, 0x404000));

  // Without PGE the G bit means nothing.
  tlb_fill(c, 0x404000);
  write_cr(c, 3, kDir);
  CHECK(!tlb_cached(c, 0x404000));

  // Turning paging off and on flushes global entries too.
  write_cr(c, 4, cr4::PGE);
  tlb_fill(c, 0x404000);
  write_cr(c, 0, static_cast<uint32_t>(c.s.cr0 & ~cr0::PG));
  CHECK(!tlb_cached(c, 0x404000));
}

TEST_CASE("priv: CR0.WP changes flush the TLB (cached write permission)") {
  InterpCpu c;
  build_2level(c);
  enable_paging(c, kDir);
  REQUIRE(mmu_host_pointer(c.v, 0x400000, 4, Access::kWrite) != nullptr);
  CHECK(tlb_entry(c, 0, 0x400000).write_tag == 0x400000);
  write_cr(c, 0, static_cast<uint32_t>(c.s.cr0 | cr0::WP));
  CHECK(tlb_entry(c, 0, 0x400000).write_tag == kTlbInvalidTag);
  write_cr(c, 0, static_cast<uint32_t>(c.s.cr0 | cr0::TS));  // no paging bit changed: no flush
  tlb_fill(c, 0x400000);
  const uint64_t epoch = c.v.tlb_epoch;
  write_cr(c, 0, static_cast<uint32_t>(c.s.cr0 & ~cr0::TS));
  CHECK(c.v.tlb_epoch == epoch);
}
