// Alignment checking (#AC, SDM vol. 3A 6.15, table 6-7) in the exact access paths:
// armed only by CR0.AM, EFLAGS.AC and CPL 3; words, dwords and qwords by their
// size; whole x87 items by their own alignment; never for supervisor accesses or
// event-delivery pushes; a #PF on the access comes first.
#include "tests/unit/test_interp_fixture.h"

#include "core/interp/x87.h"

using namespace kasou;
using namespace kasou::test;

namespace {

struct AlignCpu : InterpCpu {
  AlignCpu() {
    s.cr0 |= cr0::AM;
    s.rflags |= flag::AC;
    s.cpl = 3;
  }
  // The vector raised by `fn`, or -1.
  template <class F>
  int vector_of(F fn) {
    try {
      fn();
    } catch (const GuestFault& f) {
      CHECK(f.has_error_code);
      CHECK(f.error_code == 0);
      return f.vector;
    }
    return -1;
  }
};

}  // namespace

TEST_CASE("#AC: misaligned words, dwords and qwords at CPL 3 with AM and AC") {
  AlignCpu c;
  CHECK(alignment_check_armed(c.s));
  CHECK(c.vector_of([&] { mmu_read(c.v, kDataAddr + 1, 2); }) == vec::AC);
  CHECK(c.vector_of([&] { mmu_read(c.v, kDataAddr + 2, 4); }) == vec::AC);
  CHECK(c.vector_of([&] { mmu_write(c.v, kDataAddr + 4, 0, 8); }) == vec::AC);
  CHECK(c.vector_of([&] { mmu_write(c.v, kDataAddr + 3, 0, 1); }) == -1);
  CHECK(c.vector_of([&] { mmu_read(c.v, kDataAddr + 2, 2); }) == -1);
  CHECK(c.vector_of([&] { mmu_read(c.v, kDataAddr + 8, 8); }) == -1);
  // Implicit supervisor accesses and unchecked event-delivery pushes.
  CHECK(c.vector_of([&] { mmu_read(c.v, kDataAddr + 1, 4, true); }) == -1);
  CHECK(c.vector_of([&] { mmu_write(c.v, kDataAddr + 1, 0, 4, false, Align::kNoCheck); }) == -1);
}

TEST_CASE("#AC: not armed at CPL 0, with AC=0 or with AM=0") {
  for (int which = 0; which < 3; which++) {
    AlignCpu c;
    if (which == 0) c.s.cpl = 0;
    if (which == 1) c.s.rflags &= ~uint64_t{flag::AC};
    if (which == 2) c.s.cr0 &= ~cr0::AM;
    CHECK_FALSE(alignment_check_armed(c.s));
    CHECK(c.vector_of([&] { mmu_read(c.v, kDataAddr + 1, 4); }) == -1);
  }
}

TEST_CASE("#AC: whole x87 items by their own alignment, in aligned pieces") {
  AlignCpu c;
  uint8_t buf[108] = {};
  // An 80-bit real needs 8; an environment (32-bit) 4, not 8.
  CHECK(c.vector_of([&] { x87::read_bytes(c.v, kDataAddr + 4, buf, 10, x87::x87_alignment(10)); }) == vec::AC);
  CHECK(c.vector_of([&] { x87::read_bytes(c.v, kDataAddr + 8, buf, 10, x87::x87_alignment(10)); }) == -1);
  CHECK(c.vector_of([&] { x87::write_bytes(c.v, kDataAddr + 4, buf, 108, 4); }) == -1);
  CHECK(c.vector_of([&] { x87::write_bytes(c.v, kDataAddr + 2, buf, 28, 4); }) == vec::AC);
}

TEST_CASE("#AC: a #PF on the access comes first") {
  AlignCpu c;
  c.identity_paging({kDataAddr});
  try {
    mmu_read(c.v, kDataAddr + 1, 4);
    FAIL("no fault");
  } catch (const GuestFault& f) {
    CHECK(f.vector == vec::PF);
  }
}
