// Host execution of x87/MMX instructions (see x87_host.h): the stub tables, the
// assembly routine that swaps the guest image in and out of the host FPU, and
// the store detection.
#include "core/interp/x87_host.h"

#include <cstring>

#include "core/interp/x87_state.h"

// The Pentium MMX opcodes (0F xx) that have a ModRM operand: one stub row each.
// The shift-by-immediate group (0F 71/72/73) runs as the shift-by-m64 form with
// the count in the buffer; EMMS (0F 77) has its own stub.
#define KASOU_MMX_OPCODES(X)                                                                              \
  X(0x60) X(0x61) X(0x62) X(0x63) X(0x64) X(0x65) X(0x66) X(0x67) X(0x68) X(0x69) X(0x6a) X(0x6b)         \
  X(0x6e) X(0x6f) X(0x74) X(0x75) X(0x76) X(0x7e) X(0x7f) X(0xd1) X(0xd2) X(0xd3) X(0xd5) X(0xd8)         \
  X(0xd9) X(0xdb) X(0xdc) X(0xdd) X(0xdf) X(0xe1) X(0xe2) X(0xe5) X(0xe8) X(0xe9) X(0xeb) X(0xec)         \
  X(0xed) X(0xef) X(0xf1) X(0xf2) X(0xf3) X(0xf5) X(0xf8) X(0xf9) X(0xfa) X(0xfc) X(0xfd) X(0xfe)

// Stub rows: 8 memory forms (ModRM 00 reg 111 = [rdi], by reg), then the 64
// register forms (ModRM 11 reg rm); every stub is 4 bytes: the instruction, RET.
#define KASOU_STUB_ROW(prefix_bytes, pad)                                       \
  ".set .Lkm, 0\n.rept 8\n.byte " prefix_bytes ", (.Lkm << 3) | 7, 0xc3" pad "\n" \
  ".set .Lkm, .Lkm + 1\n.endr\n"                                                \
  ".set .Lkm, 0\n.rept 64\n.byte " prefix_bytes ", 0xc0 | .Lkm, 0xc3" pad "\n"    \
  ".set .Lkm, .Lkm + 1\n.endr\n"
#define KASOU_X87_ROW(op) KASOU_STUB_ROW(#op, ", 0xcc")
#define KASOU_MMX_ROW(op) KASOU_STUB_ROW("0x0f, " #op, "")

// kasou_fpu_host_exec(image, stub, mem, rflags) -> host RFLAGS after the stub.
// FXRSTOR the image, load the arithmetic flags, call the stub with RDI = mem,
// FXSAVE the image; then FNINIT (drops whatever the instruction left pending, and
// empties the stack as the ABI expects between calls) and the caller's FCW and
// MXCSR again.
asm(R"(
.pushsection .text
.intel_syntax noprefix
.p2align 4
.globl kasou_fpu_host_exec
.hidden kasou_fpu_host_exec
.type kasou_fpu_host_exec, @function
kasou_fpu_host_exec:
  .cfi_startproc
  push rbx
  .cfi_adjust_cfa_offset 8
  .cfi_rel_offset rbx, 0
  sub rsp, 16
  .cfi_adjust_cfa_offset 16
  stmxcsr [rsp]
  fnstcw [rsp + 4]
  mov rbx, rdi
  fxrstor [rbx]
  mov rdi, rdx
  and ecx, 0x8d5
  or ecx, 2
  push rcx
  popfq
  call rsi
  pushfq
  pop rax
  fxsave [rbx]
  fninit
  fldcw [rsp + 4]
  ldmxcsr [rsp]
  add rsp, 16
  .cfi_adjust_cfa_offset -16
  pop rbx
  .cfi_adjust_cfa_offset -8
  .cfi_restore rbx
  ret
  .cfi_endproc
.size kasou_fpu_host_exec, . - kasou_fpu_host_exec

.p2align 4
.globl kasou_x87_stubs
.hidden kasou_x87_stubs
kasou_x87_stubs:
)" KASOU_X87_ROW(0xd8) KASOU_X87_ROW(0xd9) KASOU_X87_ROW(0xda) KASOU_X87_ROW(0xdb) KASOU_X87_ROW(0xdc)
        KASOU_X87_ROW(0xdd) KASOU_X87_ROW(0xde) KASOU_X87_ROW(0xdf) R"(
.p2align 4
.globl kasou_mmx_stubs
.hidden kasou_mmx_stubs
kasou_mmx_stubs:
)" KASOU_MMX_OPCODES(KASOU_MMX_ROW) R"(
.globl kasou_emms_stub
.hidden kasou_emms_stub
kasou_emms_stub:
  .byte 0x0f, 0x77, 0xc3
.att_syntax prefix
.popsection
)");

extern "C" uint64_t kasou_fpu_host_exec(void* image, const void* stub, void* mem, uint64_t rflags);
extern "C" const uint8_t kasou_x87_stubs[];
extern "C" const uint8_t kasou_mmx_stubs[];
extern "C" const uint8_t kasou_emms_stub[];

namespace kasou::x87 {
namespace {

constexpr unsigned kStubBytes = 4;
constexpr unsigned kRowStubs = 8 + 64;

#define KASOU_MMX_ELEM(op) op,
constexpr uint8_t kMmxOpcodes[] = {KASOU_MMX_OPCODES(KASOU_MMX_ELEM)};
#undef KASOU_MMX_ELEM

int mmx_row(uint8_t op) {
  for (unsigned i = 0; i < sizeof kMmxOpcodes; i++)
    if (kMmxOpcodes[i] == op) return static_cast<int>(i);
  return -1;
}

const void* stub_at(const uint8_t* table, unsigned row, bool memory, unsigned reg, unsigned rm) {
  const unsigned slot = memory ? (reg & 7) : 8 + ((reg & 7) << 3) + (rm & 7);
  return table + (row * kRowStubs + slot) * kStubBytes;
}

bool all_bytes(const uint8_t* p, unsigned n, uint8_t value) {
  for (unsigned i = 0; i < n; i++)
    if (p[i] != value) return false;
  return true;
}

}  // namespace

const void* x87_stub(uint8_t op, uint8_t modrm) {
  return stub_at(kasou_x87_stubs, op - 0xD8u, (modrm >> 6) != 3, (modrm >> 3) & 7, modrm & 7);
}

const void* mmx_stub(uint8_t op, bool memory, unsigned reg, unsigned rm) {
  if (op == 0x77) return kasou_emms_stub;
  const int row = mmx_row(op);
  if (row < 0) return nullptr;
  return stub_at(kasou_mmx_stubs, static_cast<unsigned>(row), memory, reg, rm);
}

HostResult host_run(const FxState& guest, const void* stub, uint8_t* mem, unsigned store_bytes,
                    uint64_t rflags) {
  uint16_t old_fsw;
  std::memcpy(&old_fsw, guest.bytes + off::kFsw, 2);
  // The input: the guest's x87/MMX state with no exception flag set (so nothing is
  // pending on the host), and a valid MXCSR for FXRSTOR.
  HostResult r;
  auto run = [&](uint8_t fill) {
    r.image = guest;
    Fpu in(r.image);
    in.set_fsw(static_cast<uint16_t>(old_fsw & ~kStickyFlags));
    in.set_mxcsr(kMxcsrReset);
    if (store_bytes) std::memset(mem, fill, 16);
    r.rflags = kasou_fpu_host_exec(&r.image, stub, mem, rflags);
    return store_bytes && !all_bytes(mem, store_bytes, fill);
  };
  // A store is seen by the buffer no longer holding the fill pattern; when the
  // stored value happens to equal the pattern, a second run with another one
  // tells "stored" from "suppressed".
  r.stored = run(0xA5);
  if (store_bytes && !r.stored) r.stored = run(0x5A);

  Fpu out(r.image);
  out.set_fsw(static_cast<uint16_t>(out.fsw() | (old_fsw & kStickyFlags)));
  // Only the x87/MMX part is the instruction's: MXCSR and the XMM registers stay
  // the guest's.
  std::memcpy(r.image.bytes + off::kMxcsr, guest.bytes + off::kMxcsr, 8);
  std::memcpy(r.image.bytes + off::kXmm0, guest.bytes + off::kXmm0, sizeof guest.bytes - off::kXmm0);
  return r;
}

}  // namespace kasou::x87
