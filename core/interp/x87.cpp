// The x87 FPU, part 1: what every x87/MMX handler shares (x87.h) and the
// computational instructions: loads and stores of every format (m16/m32/m64
// integer, m32/m64/m80 real, m80 BCD), arithmetic, compares (incl. FCOMI/FUCOMI
// and FCMOVcc), transcendentals, constants, FXCH, FFREE, FINCSTP/FDECSTP, FNOP.
//
// These run on the host FPU (x87_host.h): the same instruction on the guest's
// state, so results, condition codes, tags, stack faults and the responses to
// masked and unmasked exceptions are the host's exactly. What is the guest's own
// business is done here: CR0 checks, the pending-exception check before the
// instruction, the memory operand through segmentation and paging (faults before
// any effect), and the instruction/operand pointers. The control instructions
// (FLDCW, FSTENV, FSAVE, FXSAVE, ...) are in x87_env.cpp.
#include "core/interp/x87.h"

#include "core/fault.h"
#include "core/interp/handlers.h"
#include "core/interp/operand_access.h"
#include "core/interp/x87_host.h"

namespace kasou::x87 {

void check_device(const Vcpu& v, Unit unit) {
  const uint64_t cr = v.s.cr0;
  switch (unit) {
    case Unit::kX87:
      if (cr & (cr0::EM | cr0::TS)) raise_fault(vec::NM);
      break;
    case Unit::kWait:
      if ((cr & cr0::MP) && (cr & cr0::TS)) raise_fault(vec::NM);
      break;
    case Unit::kMmx:
    case Unit::kFxsr:
      if (cr & cr0::EM) raise_fault(vec::UD);
      if (cr & cr0::TS) raise_fault(vec::NM);
      break;
  }
}

void power_on(Vcpu& v) {
  power_on(v.s.fx);
  if (v.fpu_ferr_asserted) v.fpu_ferr.lower();
  v.fpu_ferr_asserted = false;
  v.fpu_ignne = false;
}

bool wait_for_pending(Vcpu& v) {
  if (!Fpu(v.s.fx).pending()) return true;
  if (v.s.cr0 & cr0::NE) raise_fault(vec::MF);
  if (!v.fpu_ferr_asserted) {
    v.fpu_ferr_asserted = true;
    v.fpu_ferr.raise();
  }
  if (v.fpu_ignne) return true;
  // Frozen before the instruction: like HLT, but RIP stays here, so the
  // interrupt that wakes the CPU returns to this instruction.
  v.s.halted = 1;
  v.request_exit(ExitRequest::kAttention);
  return false;
}

void sync_ferr(Vcpu& v) {
  if (!v.fpu_ferr_asserted || Fpu(v.s.fx).pending()) return;
  v.fpu_ferr_asserted = false;
  v.fpu_ignne = false;
  v.fpu_ferr.lower();
}

int memory_operand(const DecodedInsn& d) {
  for (unsigned i = 0; i < d.zi.operand_count_visible; i++)
    if (d.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY) return static_cast<int>(i);
  return -1;
}

MemRef mem_ref(Vcpu& v, const DecodedInsn& d, int index, unsigned size, Access access) {
  const ZydisDecodedOperand& op = d.ops[index];
  MemRef m;
  m.seg = seg_of(op.mem.segment);
  m.offset = static_cast<uint32_t>(effective_address(v.s, d, op));
  m.size = size;
  m.linear = seg_linear(v, m.seg, m.offset, size, access);
  return m;
}

namespace {
// The largest piece up to 8 bytes that fits in `left` and is aligned at `at`.
unsigned chunk_size(uint64_t at, unsigned left) {
  unsigned c = 8;
  while (c > left || (at & (c - 1))) c >>= 1;
  return c;
}
}  // namespace

void read_bytes(Vcpu& v, uint64_t linear, uint8_t* dst, unsigned n, unsigned align) {
  mmu_check_alignment(v, linear, n, align, Access::kRead);
  for (unsigned i = 0; i < n;) {
    const unsigned c = chunk_size(linear + i, n - i);
    const uint64_t value = mmu_read(v, (linear + i) & 0xFFFFFFFFull, c);
    std::memcpy(dst + i, &value, c);
    i += c;
  }
}

void write_bytes(Vcpu& v, uint64_t linear, const uint8_t* src, unsigned n, unsigned align) {
  mmu_check_alignment(v, linear, n, align, Access::kWrite);
  for (unsigned i = 0; i < n;) {
    const unsigned c = chunk_size(linear + i, n - i);
    uint64_t value = 0;
    std::memcpy(&value, src + i, c);
    mmu_write(v, (linear + i) & 0xFFFFFFFFull, value, c);
    i += c;
  }
}

void record_instruction(Fpu& f, const Fpu& before, const Vcpu& v, const DecodedInsn& d, const MemRef* mem) {
  // FIP points at the first prefix (SDM vol. 1 8.1.8); FOP holds the low 3 bits
  // of the first opcode byte and the ModRM byte (8.1.9). In real and VM86 mode the
  // pointers are linear addresses (segment base + offset; AMD APM vol. 1 6.2.5).
  const CpuState& s = v.s;
  const bool pm = protected_format(s);
  const SegmentCache& cs = s.seg[kCs];
  f.set_instruction_pointer(cs.selector, pm ? d.eip : static_cast<uint32_t>(cs.base + d.eip));
  f.set_fop(static_cast<uint16_t>(((d.zi.opcode & 7) << 8) | modrm_of(d)));
  if (mem) {
    const SegmentCache& ds = s.seg[mem->seg];
    f.set_data_pointer(ds.selector, pm ? mem->offset : static_cast<uint32_t>(ds.base + mem->offset));
  } else {
    f.set_data_pointer(before.fds(), before.fdp());
  }
}

namespace {

bool writes_eflags(ZydisMnemonic m) {
  return m == ZYDIS_MNEMONIC_FCOMI || m == ZYDIS_MNEMONIC_FCOMIP || m == ZYDIS_MNEMONIC_FUCOMI ||
         m == ZYDIS_MNEMONIC_FUCOMIP;
}

void h_compute(Vcpu& v, const DecodedInsn& d) {
  if (d.zi.opcode < 0xD8 || d.zi.opcode > 0xDF || d.zi.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT)
    raise_fault(vec::UD);  // not an ESC opcode: no stub
  check_device(v, Unit::kX87);
  if (!wait_for_pending(v)) return;
  CpuState& s = v.s;
  alignas(16) uint8_t buf[16] = {};
  const int mi = memory_operand(d);
  MemRef mem{};
  bool store = false;
  if (mi >= 0) {
    const ZydisDecodedOperand& op = d.ops[mi];
    store = op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE;
    mem = mem_ref(v, d, mi, op.size / 8, store ? Access::kWrite : Access::kRead);
    if (store) probe_write(v, mem.linear, mem.size);
    else read_bytes(v, mem.linear, buf, mem.size, x87_alignment(mem.size));
  }
  HostResult r = host_run(s.fx, x87_stub(d.zi.opcode, modrm_of(d)), buf, store ? mem.size : 0, s.rflags);
  if (r.stored) write_bytes(v, mem.linear, buf, mem.size, x87_alignment(mem.size));
  Fpu f(r.image);
  record_instruction(f, Fpu(s.fx), v, d, mi >= 0 ? &mem : nullptr);
  s.fx = r.image;
  if (writes_eflags(d.mnemonic()))
    s.rflags = (s.rflags & ~uint64_t{flag::kArith}) | (r.rflags & flag::kArith);
  advance(v, d);
}

}  // namespace

}  // namespace kasou::x87

namespace kasou {

void register_x87_handlers(HandlerTable& t) {
  static constexpr ZydisMnemonic kComputed[] = {
      ZYDIS_MNEMONIC_F2XM1,   ZYDIS_MNEMONIC_FABS,    ZYDIS_MNEMONIC_FADD,    ZYDIS_MNEMONIC_FADDP,
      ZYDIS_MNEMONIC_FBLD,    ZYDIS_MNEMONIC_FBSTP,   ZYDIS_MNEMONIC_FCHS,    ZYDIS_MNEMONIC_FCMOVB,
      ZYDIS_MNEMONIC_FCMOVBE, ZYDIS_MNEMONIC_FCMOVE,  ZYDIS_MNEMONIC_FCMOVNB, ZYDIS_MNEMONIC_FCMOVNBE,
      ZYDIS_MNEMONIC_FCMOVNE, ZYDIS_MNEMONIC_FCMOVNU, ZYDIS_MNEMONIC_FCMOVU,  ZYDIS_MNEMONIC_FCOM,
      ZYDIS_MNEMONIC_FCOMI,   ZYDIS_MNEMONIC_FCOMIP,  ZYDIS_MNEMONIC_FCOMP,   ZYDIS_MNEMONIC_FCOMPP,
      ZYDIS_MNEMONIC_FCOS,    ZYDIS_MNEMONIC_FDECSTP, ZYDIS_MNEMONIC_FDIV,    ZYDIS_MNEMONIC_FDIVP,
      ZYDIS_MNEMONIC_FDIVR,   ZYDIS_MNEMONIC_FDIVRP,  ZYDIS_MNEMONIC_FFREE,   ZYDIS_MNEMONIC_FFREEP,
      ZYDIS_MNEMONIC_FIADD,   ZYDIS_MNEMONIC_FICOM,   ZYDIS_MNEMONIC_FICOMP,  ZYDIS_MNEMONIC_FIDIV,
      ZYDIS_MNEMONIC_FIDIVR,  ZYDIS_MNEMONIC_FILD,    ZYDIS_MNEMONIC_FIMUL,   ZYDIS_MNEMONIC_FINCSTP,
      ZYDIS_MNEMONIC_FIST,    ZYDIS_MNEMONIC_FISTP,   ZYDIS_MNEMONIC_FISUB,   ZYDIS_MNEMONIC_FISUBR,
      ZYDIS_MNEMONIC_FLD,     ZYDIS_MNEMONIC_FLD1,    ZYDIS_MNEMONIC_FLDL2E,  ZYDIS_MNEMONIC_FLDL2T,
      ZYDIS_MNEMONIC_FLDLG2,  ZYDIS_MNEMONIC_FLDLN2,  ZYDIS_MNEMONIC_FLDPI,   ZYDIS_MNEMONIC_FLDZ,
      ZYDIS_MNEMONIC_FMUL,    ZYDIS_MNEMONIC_FMULP,   ZYDIS_MNEMONIC_FNOP,    ZYDIS_MNEMONIC_FPATAN,
      ZYDIS_MNEMONIC_FPREM,   ZYDIS_MNEMONIC_FPREM1,  ZYDIS_MNEMONIC_FPTAN,   ZYDIS_MNEMONIC_FRNDINT,
      ZYDIS_MNEMONIC_FSCALE,  ZYDIS_MNEMONIC_FSIN,    ZYDIS_MNEMONIC_FSINCOS, ZYDIS_MNEMONIC_FSQRT,
      ZYDIS_MNEMONIC_FST,     ZYDIS_MNEMONIC_FSTP,    ZYDIS_MNEMONIC_FSTPNCE, ZYDIS_MNEMONIC_FSUB,
      ZYDIS_MNEMONIC_FSUBP,   ZYDIS_MNEMONIC_FSUBR,   ZYDIS_MNEMONIC_FSUBRP,  ZYDIS_MNEMONIC_FTST,
      ZYDIS_MNEMONIC_FUCOM,   ZYDIS_MNEMONIC_FUCOMI,  ZYDIS_MNEMONIC_FUCOMIP, ZYDIS_MNEMONIC_FUCOMP,
      ZYDIS_MNEMONIC_FUCOMPP, ZYDIS_MNEMONIC_FXAM,    ZYDIS_MNEMONIC_FXCH,    ZYDIS_MNEMONIC_FXTRACT,
      ZYDIS_MNEMONIC_FYL2X,   ZYDIS_MNEMONIC_FYL2XP1,
  };
  for (ZydisMnemonic m : kComputed) t.by_mnemonic[m] = x87::h_compute;
  // FISTTP (SSE3) and FEMMS (3DNow!) are not on this CPU: #UD.
}

}  // namespace kasou
