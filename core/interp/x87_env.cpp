// The x87 FPU, part 2: the control instructions, done in software because they
// deal with the guest's environment rather than numbers: FNINIT, FNCLEX, FLDCW,
// FNSTCW, FNSTSW (m16 and AX), FNSTENV/FLDENV and FNSAVE/FRSTOR in their four
// image formats (16/32-bit operand size x real/protected mode; SDM vol. 1
// figures 8-9 to 8-12), FXSAVE/FXRSTOR (table 10-2), WAIT, and the 8087/287
// leftovers FENI/FDISI/FSETPM (no-ops since the 387). The waiting forms FINIT,
// FCLEX, FSTCW, FSTSW, FSTENV, FSAVE are WAIT followed by the no-wait one; the
// decoder gives them as two instructions.
//
// Reserved fields of the 32-bit environment images are stored as 1s (the host
// CPU writes FFFFh in the upper halves), those of the FXSAVE image as 0s.
#include "core/fault.h"
#include "core/interp/handlers.h"
#include "core/interp/operand_access.h"
#include "core/interp/x87.h"

namespace kasou::x87 {
namespace {

// The environment as FSTENV/FLDENV see it.
struct Env {
  uint16_t fcw, fsw, ftw, fop, fcs, fds;
  uint32_t fip, fdp;
};

Env current_env(Fpu& f) {
  return Env{f.fcw(), f.fsw(), f.full_tag_word(), f.fop(), f.fcs(), f.fds(), f.fip(), f.fdp()};
}

void put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
uint16_t get16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
uint32_t get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

unsigned env_bytes(bool op32) { return op32 ? 28 : 14; }

// In real and VM86 mode FIP and FDP already are linear addresses (x87.h).
void encode_env(const Env& e, bool op32, bool pm, uint8_t* out) {
  const uint32_t ip = e.fip, dp = e.fdp;
  if (op32) {
    constexpr uint32_t kHi = 0xFFFF0000u;
    put32(out + 0, kHi | e.fcw);
    put32(out + 4, kHi | e.fsw);
    put32(out + 8, kHi | e.ftw);
    if (pm) {
      put32(out + 12, ip);
      put32(out + 16, e.fcs | (uint32_t{e.fop} << 16));
      put32(out + 20, dp);
      put32(out + 24, kHi | e.fds);
    } else {
      put32(out + 12, kHi | (ip & 0xFFFF));
      put32(out + 16, ((ip >> 16) << 12) | e.fop);
      put32(out + 20, kHi | (dp & 0xFFFF));
      put32(out + 24, (dp >> 16) << 12);
    }
  } else {
    put16(out + 0, e.fcw);
    put16(out + 2, e.fsw);
    put16(out + 4, e.ftw);
    if (pm) {
      put16(out + 6, static_cast<uint16_t>(ip));
      put16(out + 8, e.fcs);
      put16(out + 10, static_cast<uint16_t>(dp));
      put16(out + 12, e.fds);
    } else {
      put16(out + 6, static_cast<uint16_t>(ip));
      put16(out + 8, static_cast<uint16_t>(((ip >> 16) & 0xF) << 12 | e.fop));
      put16(out + 10, static_cast<uint16_t>(dp));
      put16(out + 12, static_cast<uint16_t>(((dp >> 16) & 0xF) << 12));
    }
  }
}

// The inverse; real-mode images give linear pointers (selectors 0). The 16-bit
// protected-mode image has no opcode field: FOP reads 0 afterwards.
Env decode_env(const uint8_t* in, bool op32, bool pm) {
  Env e{};
  if (op32) {
    e.fcw = get16(in + 0);
    e.fsw = get16(in + 4);
    e.ftw = get16(in + 8);
    if (pm) {
      e.fip = get32(in + 12);
      e.fcs = get16(in + 16);
      e.fop = (get32(in + 16) >> 16) & 0x7FF;
      e.fdp = get32(in + 20);
      e.fds = get16(in + 24);
    } else {
      e.fip = (get32(in + 12) & 0xFFFF) | (((get32(in + 16) >> 12) & 0xFFFF) << 16);
      e.fop = get32(in + 16) & 0x7FF;
      e.fdp = (get32(in + 20) & 0xFFFF) | (((get32(in + 24) >> 12) & 0xFFFF) << 16);
    }
  } else {
    e.fcw = get16(in + 0);
    e.fsw = get16(in + 2);
    e.ftw = get16(in + 4);
    if (pm) {
      e.fip = get16(in + 6);
      e.fcs = get16(in + 8);
      e.fdp = get16(in + 10);
      e.fds = get16(in + 12);
    } else {
      e.fip = get16(in + 6) | (uint32_t{get16(in + 8)} >> 12 << 16);
      e.fop = get16(in + 8) & 0x7FF;
      e.fdp = get16(in + 10) | (uint32_t{get16(in + 12)} >> 12 << 16);
    }
  }
  return e;
}

void load_env(Fpu& f, const Env& e) {
  f.set_fcw(e.fcw);
  f.load_fsw(e.fsw);
  f.set_full_tag_word(e.ftw);
  f.set_fop(e.fop);
  f.set_instruction_pointer(e.fcs, e.fip);
  f.set_data_pointer(e.fds, e.fdp);
}

// The image format of FSTENV/FLDENV/FSAVE/FRSTOR: the operand size picks 16 or
// 32 bits (Zydis folds CS.D and the 66h prefix into the operand width).
bool op32_of(const DecodedInsn& d) { return d.zi.operand_width == 32; }

constexpr unsigned kRegBytes = 10;

void h_fninit(Vcpu& v, const DecodedInsn& d) {
  check_device(v, Unit::kX87);
  Fpu(v.s.fx).init();
  sync_ferr(v);
  advance(v, d);
}

void h_fnclex(Vcpu& v, const DecodedInsn& d) {
  check_device(v, Unit::kX87);
  Fpu f(v.s.fx);
  f.set_fsw(static_cast<uint16_t>(f.fsw() & ~kStickyFlags));
  sync_ferr(v);
  advance(v, d);
}

void h_fldcw(Vcpu& v, const DecodedInsn& d) {
  check_device(v, Unit::kX87);
  if (!wait_for_pending(v)) return;
  const MemRef m = mem_ref(v, d, 0, 2, Access::kRead);
  const uint16_t cw = static_cast<uint16_t>(mmu_read(v, m.linear, 2));
  Fpu(v.s.fx).set_fcw(cw);
  sync_ferr(v);
  advance(v, d);
}

void h_fnstcw(Vcpu& v, const DecodedInsn& d) {
  check_device(v, Unit::kX87);
  const MemRef m = mem_ref(v, d, 0, 2, Access::kWrite);
  mmu_write(v, m.linear, Fpu(v.s.fx).fcw(), 2);
  advance(v, d);
}

void h_fnstsw(Vcpu& v, const DecodedInsn& d) {
  check_device(v, Unit::kX87);
  const uint16_t sw = Fpu(v.s.fx).fsw();
  if (d.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER) {
    write_reg(v.s, d.ops[0].reg.value, sw);  // FNSTSW AX
  } else {
    const MemRef m = mem_ref(v, d, 0, 2, Access::kWrite);
    mmu_write(v, m.linear, sw, 2);
  }
  advance(v, d);
}

// FNSTENV, and FNSAVE (with the registers, then FNINIT).
template <bool kSave>
void h_store_env(Vcpu& v, const DecodedInsn& d) {
  check_device(v, Unit::kX87);
  const bool op32 = op32_of(d);
  const unsigned env = env_bytes(op32);
  const unsigned size = kSave ? env + 8 * kRegBytes : env;
  const MemRef m = mem_ref(v, d, 0, size, Access::kWrite);
  probe_write(v, m.linear, size);
  Fpu f(v.s.fx);
  uint8_t img[28 + 8 * kRegBytes];
  encode_env(current_env(f), op32, protected_format(v.s), img);
  if (kSave)
    for (unsigned i = 0; i < 8; i++) std::memcpy(img + env + kRegBytes * i, f.st(i), kRegBytes);
  write_bytes(v, m.linear, img, size, op32 ? 4 : 2);  // SDM table 6-7: 4 or 2 by operand size
  if (kSave) f.init();
  else f.set_fcw(f.fcw() | kExceptionFlags);  // FNSTENV then masks every exception
  sync_ferr(v);
  advance(v, d);
}

// FLDENV, and FRSTOR (with the registers).
template <bool kRestore>
void h_load_env(Vcpu& v, const DecodedInsn& d) {
  check_device(v, Unit::kX87);
  if (!wait_for_pending(v)) return;
  const bool op32 = op32_of(d);
  const unsigned env = env_bytes(op32);
  const unsigned size = kRestore ? env + 8 * kRegBytes : env;
  const MemRef m = mem_ref(v, d, 0, size, Access::kRead);
  uint8_t img[28 + 8 * kRegBytes];
  read_bytes(v, m.linear, img, size, op32 ? 4 : 2);
  Fpu f(v.s.fx);
  load_env(f, decode_env(img, op32, protected_format(v.s)));
  if (kRestore)
    for (unsigned i = 0; i < 8; i++) {
      std::memset(f.st(i), 0, off::kStStride);
      std::memcpy(f.st(i), img + env + kRegBytes * i, kRegBytes);
    }
  sync_ferr(v);
  advance(v, d);
}

void h_fwait(Vcpu& v, const DecodedInsn& d) {
  check_device(v, Unit::kWait);
  if (!wait_for_pending(v)) return;
  advance(v, d);
}

// FENI/FDISI (8087 interrupt control) and FSETPM (287 protected mode) do nothing
// on a 387 or later, but they are still x87 instructions for CR0.EM/TS.
void h_legacy_nop(Vcpu& v, const DecodedInsn& d) {
  check_device(v, Unit::kX87);
  advance(v, d);
}

constexpr unsigned kFxBytes = 512;

MemRef fx_operand(Vcpu& v, const DecodedInsn& d, Access access) {
  check_device(v, Unit::kFxsr);
  const MemRef m = mem_ref(v, d, 0, kFxBytes, access);
  if (m.linear & 15) raise_fault(vec::GP, 0);  // the linear address, whatever the segment
  return m;
}

// Reserved bytes of the first 288 (written as 0): after the abridged tag, FCS,
// FDS, and the 6 bytes after each 80-bit register.
bool fx_reserved(unsigned i) {
  if (i == 5 || i == 14 || i == 15 || i == 22 || i == 23) return true;
  return i >= off::kSt0 && i < off::kXmm0 && (i - off::kSt0) % off::kStStride >= kRegBytes;
}

// FXSAVE does not check for pending exceptions and changes nothing (the SDM's
// note that tags read empty afterwards does not hold on the host: FXSAVE leaves
// the state as it was). Bytes 288-511 of the area are not written.
void h_fxsave(Vcpu& v, const DecodedInsn& d) {
  const MemRef m = fx_operand(v, d, Access::kWrite);
  probe_write(v, m.linear, kFxBytes);
  uint8_t img[off::kWritten];
  std::memcpy(img, v.s.fx.bytes, off::kWritten);
  for (unsigned i = 0; i < off::kWritten; i++)
    if (fx_reserved(i)) img[i] = 0;
  put32(img + off::kMxcsrMask, kMxcsrMask);
  write_bytes(v, m.linear, img, off::kWritten, 16);  // misaligned was #GP already
  advance(v, d);
}

// FXRSTOR: MXCSR with bits outside MXCSR_MASK is #GP(0) before anything loads.
void h_fxrstor(Vcpu& v, const DecodedInsn& d) {
  const MemRef m = fx_operand(v, d, Access::kRead);
  uint8_t img[kFxBytes];
  read_bytes(v, m.linear, img, kFxBytes, 16);
  const uint32_t mxcsr = get32(img + off::kMxcsr);
  if (mxcsr & ~kMxcsrMask) raise_fault(vec::GP, 0);
  FxState& fx = v.s.fx;
  for (unsigned i = 0; i < off::kWritten; i++) fx.bytes[i] = fx_reserved(i) ? 0 : img[i];
  Fpu f(fx);
  f.set_mxcsr(mxcsr);
  put32(fx.bytes + off::kMxcsrMask, 0);
  f.set_fop(get16(img + off::kFop));
  f.set_fcw(get16(img + off::kFcw));  // also derives ES and B from the loaded FSW
  sync_ferr(v);
  advance(v, d);
}

}  // namespace
}  // namespace kasou::x87

namespace kasou {

void register_x87_env_handlers(HandlerTable& t) {
  auto& m = t.by_mnemonic;
  m[ZYDIS_MNEMONIC_FNINIT] = x87::h_fninit;
  m[ZYDIS_MNEMONIC_FNCLEX] = x87::h_fnclex;
  m[ZYDIS_MNEMONIC_FLDCW] = x87::h_fldcw;
  m[ZYDIS_MNEMONIC_FNSTCW] = x87::h_fnstcw;
  m[ZYDIS_MNEMONIC_FNSTSW] = x87::h_fnstsw;
  m[ZYDIS_MNEMONIC_FNSTENV] = x87::h_store_env<false>;
  m[ZYDIS_MNEMONIC_FNSAVE] = x87::h_store_env<true>;
  m[ZYDIS_MNEMONIC_FLDENV] = x87::h_load_env<false>;
  m[ZYDIS_MNEMONIC_FRSTOR] = x87::h_load_env<true>;
  m[ZYDIS_MNEMONIC_FWAIT] = x87::h_fwait;
  m[ZYDIS_MNEMONIC_FENI8087_NOP] = x87::h_legacy_nop;
  m[ZYDIS_MNEMONIC_FDISI8087_NOP] = x87::h_legacy_nop;
  m[ZYDIS_MNEMONIC_FSETPM287_NOP] = x87::h_legacy_nop;
  m[ZYDIS_MNEMONIC_FXSAVE] = x87::h_fxsave;
  m[ZYDIS_MNEMONIC_FXRSTOR] = x87::h_fxrstor;
}

}  // namespace kasou
