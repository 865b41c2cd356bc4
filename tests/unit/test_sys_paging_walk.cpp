// The page-table walker on its own (paging_walk): privilege and write rules
// combined across levels (U/S and R/W at the directory level, CR0.WP for
// supervisor writes to user pages), dirty bits never set by a faulting write,
// PS ignored without CR4.PSE, PSE-36 high address bits and the reserved bit 21,
// PAE large-page reserved bits, NX at the directory level, the I/D error bit only
// with PAE+NXE, and the global flag only with CR4.PGE. Complements the paging
// cases of test_priv_cr.cpp (MOV CR0/CR3/CR4, INVLPG, the TLB). Expected values
// from the Intel SDM vol. 3 chapter 4 (4.3 32-bit paging, 4.4 PAE paging, 4.6
// access rights, 4.7 page-fault error codes, 4.8 accessed and dirty flags).
#include "core/paging.h"
#include "tests/unit/test_interp_fixture.h"

using namespace kasou;
using namespace kasou::test;

namespace {

constexpr uint32_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
constexpr uint64_t kNx = 1ull << 63;
constexpr uint32_t kDir = 0x100000, kTable = 0x101000;

struct Walker : InterpCpu {
  Walker() {
    for (uint32_t i = 0; i < 1024; i++) poke(kDir + 4 * i, 0), poke(kTable + 4 * i, 0);
    s.cr3 = kDir;
    s.cr0 |= cr0::PG;
  }
  // Walks and returns the error code of the #PF it must raise.
  uint32_t fault(uint64_t linear, bool write, bool user, bool fetch = false) {
    try {
      paging_walk(v, linear, write, user, fetch);
    } catch (const GuestFault& f) {
      CHECK(f.vector == vec::PF);
      CHECK(s.cr2 == (linear & 0xFFFFFFFF));
      return f.error_code;
    }
    FAIL("no #PF");
    return ~0u;
  }
  PageWalk ok(uint64_t linear, bool write, bool user, bool fetch = false) {
    return paging_walk(v, linear, write, user, fetch);
  }
};

}  // namespace

TEST_CASE("paging walk: U/S and R/W of the directory entry restrict a permissive PTE") {
  Walker w;
  // 0x000000: PDE supervisor, PTE user.  0x400000: PDE read-only, PTE writable.
  w.poke(kDir + 0, kTable | P | RW);
  w.poke(kTable + 4, 0x5000 | P | RW | US);
  w.poke(kDir + 4, 0x102000 | P | US);
  w.poke(0x102000, 0x6000 | P | RW | US);
  CHECK(w.ok(0x1000, true, false).phys == 0x5000);
  CHECK(w.fault(0x1000, false, true) == (pf_err::P | pf_err::U));
  CHECK(w.ok(0x400000, false, true).phys == 0x6000);
  CHECK(w.fault(0x400000, true, true) == (pf_err::P | pf_err::W | pf_err::U));
  // Supervisor writes: allowed with WP=0, faulting with WP=1.
  CHECK(w.ok(0x400010, true, false).phys == 0x6010);
  w.s.cr0 |= cr0::WP;
  CHECK(w.fault(0x400010, true, false) == (pf_err::P | pf_err::W));
}

TEST_CASE("paging walk: CR0.WP also protects read-only user pages from supervisor writes") {
  Walker w;
  w.poke(kDir, kTable | P | RW | US);
  w.poke(kTable + 8, 0x7000 | P | US);  // user, read-only
  CHECK(w.ok(0x2000, true, false).writable);
  w.s.cr0 |= cr0::WP;
  CHECK(w.fault(0x2000, true, false) == (pf_err::P | pf_err::W));
  CHECK(w.ok(0x2000, false, false).phys == 0x7000);
  CHECK(!w.ok(0x2000, false, true).writable);
}

TEST_CASE("paging walk: A set on every level used, D only on the last and never by a faulting write") {
  Walker w;
  w.poke(kDir, kTable | P | RW | US);
  w.poke(kTable + 12, 0x8000 | P | US);  // read-only
  w.s.cr0 |= cr0::WP;
  w.ok(0x3000, false, false);
  CHECK((w.mem(kDir) & (A | D)) == A);
  CHECK((w.mem(kTable + 12) & (A | D)) == A);
  w.fault(0x3000, true, false);
  CHECK((w.mem(kTable + 12) & D) == 0);
  w.poke(kTable + 12, 0x8000 | P | RW | US);
  PageWalk r = w.ok(0x3000, true, true);
  CHECK(r.dirty);
  CHECK((w.mem(kTable + 12) & (A | D)) == (A | D));
  CHECK((w.mem(kDir) & D) == 0);
}

TEST_CASE("paging walk: without CR4.PSE the PS bit is ignored and the PDE points to a page table") {
  Walker w;
  w.poke(kDir + 4, kTable | P | RW | PS);  // 0x400000..
  w.poke(kTable + 4, 0x9000 | P | RW);
  PageWalk r = w.ok(0x401234, false, false);
  CHECK(r.phys == 0x9234);
  CHECK(r.page_bytes == 0x1000);
  // With PSE the same entry maps a 4 MiB page at its bits 31:22 (here 0).
  w.s.cr4 |= cr4::PSE;
  r = w.ok(0x401234, false, false);
  CHECK(r.phys == 0x1234);
  CHECK(r.page_bytes == (4u << 20));
}

TEST_CASE("paging walk: 4 MiB pages: PSE-36 address bits 35:32 in PDE bits 16:13, bit 21 reserved, D in the PDE") {
  Walker w;
  w.s.cr4 |= cr4::PSE;
  w.poke(kDir + 8, 0x00C00000u | (0x5u << 13) | P | RW | PS);  // 0x800000 -> 0x5'00C00000
  PageWalk r = w.ok(0x812345, true, false);
  CHECK(r.phys == 0x500C12345ull);
  CHECK((w.mem(kDir + 8) & (A | D)) == (A | D));
  w.poke(kDir + 12, 0x01000000u | (1u << 21) | P | RW | PS);
  CHECK(w.fault(0xC00000, false, false) == (pf_err::P | pf_err::RSVD));
  CHECK(w.fault(0xC00000, true, true) == (pf_err::P | pf_err::RSVD | pf_err::W | pf_err::U));
}

TEST_CASE("paging walk: the global flag counts only with CR4.PGE; I/D is reported only with PAE and NXE") {
  Walker w;
  w.poke(kDir, kTable | P | RW);
  w.poke(kTable + 4, 0x5000 | P | RW | G);
  CHECK(!w.ok(0x1000, false, false).global);
  w.s.cr4 |= cr4::PGE;
  CHECK(w.ok(0x1000, false, false).global);
  // 2-level paging: an instruction fetch from a missing page has I/D clear.
  CHECK(w.fault(0x2000, false, false, true) == 0);
}

namespace {
// PAE tables: PDPT at 0x110000 (entry 0 -> PD 0x111000), PT at 0x112000.
constexpr uint32_t kPdpt = 0x110000, kPd = 0x111000, kPt = 0x112000;
struct PaeWalker : Walker {
  PaeWalker() {
    for (uint32_t i = 0; i < 512; i++) poke(kPd + 8 * i, 0, 8), poke(kPt + 8 * i, 0, 8);
    for (uint32_t i = 0; i < 4; i++) poke(kPdpt + 8 * i, 0, 8);
    poke(kPdpt, kPd | P, 8);
    s.cr3 = kPdpt;
    s.cr4 |= cr4::PAE;
  }
  void nxe(bool on) { s.efer = on ? (1u << 11) : 0; }
};
}  // namespace

TEST_CASE("paging walk PAE: reserved bits 20:13 of a 2 MiB page, NX in the directory entry, I/D with NXE") {
  PaeWalker w;
  w.poke(kPd + 8, 0x00400000u | P | RW | PS, 8);  // 0x200000 -> 0x400000
  CHECK(w.ok(0x212345, false, false).phys == 0x412345);
  w.poke(kPd + 8, 0x00400000u | (1u << 13) | P | RW | PS, 8);
  CHECK(w.fault(0x212345, false, false) == (pf_err::P | pf_err::RSVD));

  // NX in the PDE makes every page under it non-executable; data still readable.
  w.nxe(true);
  w.poke(kPd + 16, uint64_t(kPt) | P | RW | US | kNx, 8);  // 0x400000..
  w.poke(kPt, 0x9000 | P | RW | US, 8);
  CHECK(w.ok(0x400000, false, true).phys == 0x9000);
  CHECK(!w.ok(0x400000, false, false).executable);
  CHECK(w.fault(0x400000, false, true, true) == (pf_err::P | pf_err::U | pf_err::I));
  CHECK(w.fault(0x401000, false, false, true) == pf_err::I);  // not present, a fetch
  // Without NXE the same bit is reserved.
  w.nxe(false);
  CHECK(w.fault(0x400000, false, false) == (pf_err::P | pf_err::RSVD));
}

TEST_CASE("paging walk PAE: U/S and R/W combine across PDE and PTE; D in the PTE only") {
  PaeWalker w;
  w.poke(kPd, uint64_t(kPt) | P | US, 8);  // read-only directory entry
  w.poke(kPt + 8, 0xA000 | P | RW | US, 8);
  CHECK(w.fault(0x1000, true, true) == (pf_err::P | pf_err::W | pf_err::U));
  CHECK(w.ok(0x1000, true, false).phys == 0xA000);  // supervisor, WP=0
  CHECK((w.mem(kPt + 8, 8) & (A | D)) == (A | D));
  CHECK((w.mem(kPd, 8) & (A | D)) == A);
  w.s.cr0 |= cr0::WP;
  CHECK(w.fault(0x1000, true, false) == (pf_err::P | pf_err::W));
  w.poke(kPd, uint64_t(kPt) | P | RW, 8);  // supervisor directory entry
  CHECK(w.fault(0x1000, false, true) == (pf_err::P | pf_err::U));
}
