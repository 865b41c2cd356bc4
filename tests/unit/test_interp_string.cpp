// Reference interpreter: string instructions with and without REP: DF, segment
// overrides, 16-bit addressing, REP restart after a bounded number of elements,
// precise faults in the middle of a REP, the RAM fast path's overlap rule, and
// INS/OUTS through the I/O bus with the permission check.
#include <vector>

#include "core/io_bus.h"
#include "core/paging.h"
#include "tests/unit/test_interp_fixture.h"

using namespace kasou;
using namespace kasou::test;

namespace {
constexpr uint32_t CF = flag::CF, ZF = flag::ZF;
constexpr uint32_t kSrc = 0x20000, kDst = 0x40000;

// Runs a REP instruction to completion (it may return with RIP unchanged).
int run_rep(InterpCpu& c, std::initializer_list<uint8_t> code, int max_calls = 100000) {
  c.load(code);
  const uint64_t start = c.s.rip;
  int calls = 0;
  do {
    c.step();
    calls++;
  } while (c.s.rip == start && calls < max_calls);
  return calls;
}

struct FakePort : IoHandler {
  std::vector<uint32_t> written;
  uint32_t next = 0x40;
  uint32_t io_read(uint16_t, unsigned) override { return next++; }
  void io_write(uint16_t, uint32_t value, unsigned) override { written.push_back(value); }
  const char* io_name() const override { return "fake"; }
};
}  // namespace

TEST_CASE("interp string: single MOVSB/MOVSD/LODS/STOS step ESI/EDI by the element size") {
  InterpCpu c;
  c.poke(kSrc, 0x44332211);
  c.set(kRsi, kSrc);
  c.set(kRdi, kDst);
  c.run({0xA4});  // movsb
  CHECK(c.mem(kDst, 1) == 0x11);
  CHECK(c.reg(kRsi) == kSrc + 1);
  CHECK(c.reg(kRdi) == kDst + 1);
  c.set(kRsi, kSrc);
  c.run({0xA5});  // movsd
  CHECK(c.mem(kDst + 1) == 0x44332211u);
  CHECK(c.reg(kRdi) == kDst + 5);
  c.set(kRsi, kSrc);
  c.run({0x66, 0xAD});  // lodsw
  CHECK((c.reg(kRax) & 0xFFFF) == 0x2211);
  CHECK(c.reg(kRsi) == kSrc + 2);
  c.set(kRax, 0xCAFEBABE);
  c.set(kRdi, kDst);
  c.run({0xAB});  // stosd
  CHECK(c.mem(kDst) == 0xCAFEBABEu);
  CHECK(c.reg(kRdi) == kDst + 4);
}

TEST_CASE("interp string: DF=1 walks downwards") {
  InterpCpu c;
  c.s.rflags |= flag::DF;
  c.set(kRax, 0x77);
  c.set(kRdi, kDst + 9);
  c.set(kRcx, 10);
  run_rep(c, {0xF3, 0xAA});  // rep stosb
  CHECK(c.reg(kRdi) == kDst - 1);
  CHECK(c.reg(kRcx) == 0);
  CHECK(c.mem(kDst, 4) == 0x77777777u);
  CHECK(c.mem(kDst + 9, 1) == 0x77);
  CHECK(c.mem(kDst + 10, 1) == 0);
  CHECK(c.mem(kDst - 1, 1) == 0);
  CHECK(c.s.rip == kCodeAddr + 2);
}

TEST_CASE("interp string: REP with ECX=0 does nothing, not even the permission check") {
  InterpCpu c;
  c.set(kRcx, 0);
  c.set(kRsi, kSrc);
  c.set(kRdi, kDst);
  c.poke(kSrc, 0x12);
  c.run({0xF3, 0xA4});  // rep movsb
  CHECK(c.mem(kDst) == 0);
  CHECK(c.reg(kRsi) == kSrc);
  CHECK(c.s.rip == kCodeAddr + 2);
  c.s.cpl = 3;  // IOPL 0: an INS would #GP
  c.run({0xF3, 0x6C});  // rep insb
  CHECK(c.s.rip == kCodeAddr + 2);
}

TEST_CASE("interp string: a long REP MOVSD returns unfinished with RIP on itself, then completes") {
  InterpCpu c;
  const uint32_t n = 100000;  // 400000 bytes
  for (uint32_t i = 0; i < n; i += 997) c.poke(kSrc + 4 * i, i * 3 + 1);
  c.set(kRsi, kSrc);
  c.set(kRdi, kDst + 0x100000);
  c.set(kRcx, n);
  c.load({0xF3, 0xA5});
  c.step();
  CHECK(c.s.rip == kCodeAddr);  // not finished
  CHECK(c.reg(kRcx) > 0);
  CHECK(c.reg(kRcx) < n);
  CHECK(c.reg(kRsi) - kSrc == 4 * (n - c.reg(kRcx)));
  const int calls = run_rep(c, {0xF3, 0xA5}) + 1;
  CHECK(calls > 2);
  CHECK(c.reg(kRcx) == 0);
  CHECK(c.reg(kRsi) == kSrc + 4 * n);
  for (uint32_t i = 0; i < n; i += 997) CHECK(c.mem(kDst + 0x100000 + 4 * i) == i * 3 + 1);
}

TEST_CASE("interp string: overlapping REP MOVSB replicates like the byte-by-byte CPU") {
  InterpCpu c;
  c.poke(kSrc, 0xAB, 1);
  c.set(kRsi, kSrc);
  c.set(kRdi, kSrc + 1);
  c.set(kRcx, 64);
  run_rep(c, {0xF3, 0xA4});
  for (uint32_t i = 0; i <= 64; i++) CHECK(c.mem(kSrc + i, 1) == 0xAB);

  // Destination below the source: a plain forward copy.
  for (uint32_t i = 0; i < 16; i++) c.poke(kSrc + 0x100 + i, i, 1);
  c.set(kRsi, kSrc + 0x104);
  c.set(kRdi, kSrc + 0x100);
  c.set(kRcx, 3);
  run_rep(c, {0xF3, 0xA5});  // rep movsd
  for (uint32_t i = 0; i < 12; i++) CHECK(c.mem(kSrc + 0x100 + i, 1) == i + 4);
}

TEST_CASE("interp string: a fault in the middle of REP MOVSD is precise") {
  InterpCpu c;
  c.s.seg[kEs].limit = kDst + 10 * 4 - 1;  // room for 10 dwords
  for (uint32_t i = 0; i < 20; i++) c.poke(kSrc + 4 * i, 0x100 + i);
  c.set(kRsi, kSrc);
  c.set(kRdi, kDst);
  c.set(kRcx, 20);
  c.load({0xF3, 0xA5});
  GuestFault f = c.fault();
  CHECK(f.vector == vec::GP);
  CHECK(c.reg(kRcx) == 10);
  CHECK(c.reg(kRsi) == kSrc + 40);
  CHECK(c.reg(kRdi) == kDst + 40);
  CHECK(c.s.rip == kCodeAddr);
  CHECK(c.mem(kDst + 36) == 0x109);
  CHECK(c.mem(kDst + 40) == 0);
}

TEST_CASE("interp string: the fast path does not skip the element that crosses the ES limit") {
  InterpCpu c;
  c.s.seg[kEs].limit = kDst + 5;  // a dword at kDst+4 would end at kDst+7
  c.set(kRax, 0x11111111);
  c.set(kRdi, kDst);
  c.set(kRcx, 4);
  c.load({0xF3, 0xAB});  // rep stosd
  CHECK(c.fault().vector == vec::GP);
  CHECK(c.reg(kRcx) == 3);
  CHECK(c.reg(kRdi) == kDst + 4);
  CHECK(c.mem(kDst + 4) == 0);
}

TEST_CASE("interp string: the source segment can be overridden, ES:EDI cannot") {
  InterpCpu c;
  c.s.seg[kFs].base = 0x1000;
  c.poke(0x1000 + kSrc, 0x5A, 1);
  c.set(kRsi, kSrc);
  c.set(kRdi, kDst);
  c.run({0x64, 0xA4});  // movsb es:[edi], fs:[esi]
  CHECK(c.mem(kDst, 1) == 0x5A);
  c.set(kRsi, kSrc);
  c.run({0x64, 0xAC});  // lodsb fs:[esi]
  CHECK((c.reg(kRax) & 0xFF) == 0x5A);
}

TEST_CASE("interp string: REPE CMPSB stops at the first difference, REPNE SCASB at the first match") {
  InterpCpu c;
  const char a[] = "kasou emulator";
  const char b[] = "kasou emulation";
  c.m.memory().write_bytes(kSrc, a, sizeof a);
  c.m.memory().write_bytes(kDst, b, sizeof b);
  c.set(kRsi, kSrc);
  c.set(kRdi, kDst);
  c.set(kRcx, 100);
  run_rep(c, {0xF3, 0xA6});  // repe cmpsb
  CHECK(c.reg(kRsi) == kSrc + 13);  // stopped after comparing 'o' with 'i'
  CHECK(c.reg(kRcx) == 100 - 13);
  CHECK(!c.has(ZF));
  CHECK(!c.has(CF));  // 'o' > 'i'

  c.set(kRdi, kDst);
  c.set(kRax, ' ');
  c.set(kRcx, 100);
  run_rep(c, {0xF2, 0xAE});  // repne scasb
  CHECK(c.reg(kRdi) == kDst + 6);
  CHECK(c.reg(kRcx) == 94);
  CHECK(c.has(ZF));

  c.set(kRdi, kDst);
  c.set(kRax, 'Q');
  c.set(kRcx, 5);
  run_rep(c, {0xF2, 0xAE});  // no match: stops when ECX runs out
  CHECK(c.reg(kRcx) == 0);
  CHECK(!c.has(ZF));
}

TEST_CASE("interp string: 16-bit addressing uses SI/DI/CX and wraps DI at 64 KiB") {
  InterpCpu c;
  c.real_mode();
  c.s.seg[kEs].base = 0x20000;
  c.set(kRdi, 0xABCDFFFE);
  c.set(kRcx, 0x55550004);
  c.set(kRax, 0xEE);
  run_rep(c, {0xF3, 0xAA});  // rep stosb with DI FFFE, FFFF, 0000, 0001
  CHECK(c.reg(kRdi) == 0xABCD0002u);
  CHECK(c.reg(kRcx) == 0x55550000u);
  CHECK(c.mem(0x2FFFE, 2) == 0xEEEE);
  CHECK(c.mem(0x20000, 2) == 0xEEEE);
  CHECK(c.mem(0x30000, 1) == 0);

  // Address-size prefix in 32-bit code: only SI and DI move.
  InterpCpu p;
  p.poke(0x1234, 0x99, 1);
  p.set(kRsi, 0x77771234);
  p.set(kRdi, 0x88885678);
  p.run({0x67, 0xA4});  // movsb [di], [si]
  CHECK(p.mem(0x5678, 1) == 0x99);
  CHECK(p.reg(kRsi) == 0x77771235u);
  CHECK(p.reg(kRdi) == 0x88885679u);
}

TEST_CASE("interp string: INS and OUTS go through the I/O bus") {
  InterpCpu c;
  FakePort port;
  c.m.io().register_ports(0x300, 1, &port, 1 | 2 | 4);
  c.set(kRdx, 0x300);
  c.set(kRdi, kDst);
  c.set(kRcx, 3);
  run_rep(c, {0xF3, 0x6C});  // rep insb
  CHECK(c.mem(kDst, 4) == 0x00424140u);
  CHECK(c.reg(kRdi) == kDst + 3);

  c.poke(kSrc, 0x11112222);
  c.poke(kSrc + 4, 0x33334444);
  c.set(kRsi, kSrc);
  c.set(kRcx, 2);
  run_rep(c, {0xF3, 0x66, 0x6F});  // rep outsw
  REQUIRE(port.written.size() == 2);
  CHECK(port.written[0] == 0x2222);
  CHECK(port.written[1] == 0x1111);
  c.run({0x6F});  // outsd
  CHECK(port.written.back() == 0x33334444u);
  CHECK(c.reg(kRsi) == kSrc + 8);
}

TEST_CASE("interp string: INS/OUTS at CPL 3 without I/O permission raise #GP(0) and read no port") {
  InterpCpu c;
  FakePort port;
  c.m.io().register_ports(0x300, 1, &port, 1);
  c.s.cpl = 3;
  // A 32-bit TSS whose I/O map base points past its limit: no bitmap, no access.
  c.s.tr.base = 0x5000;
  c.s.tr.limit = 0x67;
  c.poke(0x5066, 0x68, 2);
  c.set(kRdx, 0x300);
  c.set(kRdi, kDst);
  c.set(kRsi, kSrc);
  c.load({0x6C});  // insb
  GuestFault f = c.fault();
  CHECK(f.vector == vec::GP);
  CHECK(f.error_code == 0);
  CHECK(port.next == 0x40);
  c.load({0x6E});  // outsb
  CHECK(c.fault().vector == vec::GP);
  CHECK(port.written.empty());
}

TEST_CASE("interp string: INS checks the destination before it reads the port") {
  InterpCpu c;
  FakePort port;
  c.m.io().register_ports(0x300, 1, &port, 1);
  c.s.seg[kEs].attr &= ~seg_attr::kWritable;
  c.set(kRdx, 0x300);
  c.set(kRdi, kDst);
  c.load({0x6C});
  CHECK(c.fault().vector == vec::GP);
  CHECK(port.next == 0x40);
}

TEST_CASE("interp string: REP STOSD and REP MOVSB stop precisely at a not-present page") {
  InterpCpu c;
  c.identity_paging({0x41000});
  c.set(kRax, 0xA5A5A5A5);
  c.set(kRdi, 0x40F00);
  c.set(kRcx, 0x100);
  c.load({0xF3, 0xAB});  // rep stosd: 0x40 dwords fit before the hole
  GuestFault f = c.fault();
  CHECK(f.vector == vec::PF);
  CHECK(f.error_code == pf_err::W);
  CHECK(c.s.cr2 == 0x41000);
  CHECK(c.reg(kRcx) == 0xC0);
  CHECK(c.reg(kRdi) == 0x41000);
  CHECK(c.mem(0x40FFC) == 0xA5A5A5A5u);
  CHECK(c.s.rip == kCodeAddr);

  // The source runs into the hole: the reads fault, after 3 bytes were copied.
  c.set(kRsi, 0x40FFD);
  c.set(kRdi, 0x50000);
  c.set(kRcx, 8);
  c.load({0xF3, 0xA4});  // rep movsb
  f = c.fault();
  CHECK(f.vector == vec::PF);
  CHECK(f.error_code == 0);
  CHECK(c.reg(kRcx) == 5);
  CHECK(c.reg(kRsi) == 0x41000);
  CHECK(c.mem(0x50000, 4) == 0x00A5A5A5u);

  // A dword that straddles the hole faults as a whole: nothing of it is written.
  c.set(kRdi, 0x40FFE);
  c.set(kRcx, 1);
  c.poke(0x40FFC, 0);
  c.load({0xF3, 0xAB});
  CHECK(c.fault().vector == vec::PF);
  CHECK(c.mem(0x40FFC) == 0);
  CHECK(c.reg(kRcx) == 1);
}
