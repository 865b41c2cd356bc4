// A protected-mode CPU for the debug-feature tests (single-step, breakpoints, RF):
// the far-transfer fixture's GDT/IDT with an interrupt gate for #DB and for a few
// other vectors, each to its own handler address, and helpers to write DR7 fields
// and to read the frame a delivered exception left on the stack. Expected values
// come from the Intel SDM vol. 3 chapter 17 (17.2 debug registers, 17.3 exception
// conditions) and vol. 2 (MOV SS, POPF, IRET, INT n).
#pragma once

#include <vector>

#include "core/debug.h"
#include "tests/unit/test_far_fixture.h"

namespace kasou::test::dbg {

using namespace kasou::test::far;

inline constexpr uint32_t kDbHandler = 0x5000;   // #DB
inline constexpr uint32_t kUdHandler = 0x5100;   // #UD
inline constexpr uint32_t kGpHandler = 0x5200;   // #GP
inline constexpr uint32_t kIntHandler = 0x5300;  // INT 0x40
inline constexpr uint32_t kBpHandler = 0x5400;   // #BP
inline constexpr uint32_t kPfHandler = 0x5500;   // #PF
inline constexpr uint32_t kWatch = 0x20000;      // data the breakpoints watch

// DR7 value enabling breakpoint n locally with R/W type and LEN encoding.
constexpr uint32_t dr7_local(unsigned n, unsigned rw, unsigned len) {
  return (1u << (2 * n)) | (rw << (16 + 4 * n)) | (len << (18 + 4 * n));
}
inline constexpr unsigned kLen1 = 0, kLen2 = 1, kLen8 = 2, kLen4 = 3;
inline constexpr unsigned kRwExec = 0, kRwWrite = 1, kRwIo = 2, kRwReadWrite = 3;

struct DebugCpu : FarCpu {
  DebugCpu() {
    set_idt(vec::DB, gate_desc(kFlatCode0, kDbHandler, kIntGate32));
    set_idt(vec::UD, gate_desc(kFlatCode0, kUdHandler, kIntGate32));
    set_idt(vec::GP, gate_desc(kFlatCode0, kGpHandler, kIntGate32));
    set_idt(vec::BP, gate_desc(kFlatCode0, kBpHandler, kIntGate32 | dpl(3)));
    set_idt(vec::PF, gate_desc(kFlatCode0, kPfHandler, kIntGate32));
    set_idt(0x40, gate_desc(kFlatCode0, kIntHandler, kIntGate32 | dpl(3)));
    s.dr[6] = dr6::kFixed1;
  }

  // Places code and points CS:EIP at it (like load(), but any length).
  void code(uint32_t at, const std::vector<uint8_t>& bytes) {
    m.memory().write_bytes(at, bytes.data(), bytes.size());
    s.rip = at - s.seg[kCs].base;
  }

  // The frame of an exception delivered at CPL 0 without error code.
  uint32_t frame_eip() { return stack(0); }
  uint32_t frame_cs() { return stack(1); }
  uint32_t frame_eflags() { return stack(2); }

  // Returns from a handler the way IRETD does (same privilege), optionally editing
  // the EFLAGS image first.
  void iret(uint32_t set_flags = 0, uint32_t clear_flags = 0) {
    poke(s.seg[kSs].base + reg(kRsp) + 8, (frame_eflags() | set_flags) & ~clear_flags);
    load({0xCF}, 0x7000);  // iretd
    step();
  }

  bool in_db_handler() const { return s.rip == kDbHandler && s.seg[kCs].selector == kFlatCode0; }
  uint32_t dr6() const { return static_cast<uint32_t>(s.dr[6]); }
};

}  // namespace kasou::test::dbg
