// MMX (the Pentium MMX set): MOVD MOVQ, PADD*/PSUB* (wrapping, signed and
// unsigned saturating), PMULLW PMULHW PMADDWD, PCMPEQ*/PCMPGT*, PACKSS*/PACKUSWB,
// PUNPCKH*/PUNPCKL*, PAND PANDN POR PXOR, PSLL/PSRL/PSRA (by register, memory
// and immediate), EMMS.
//
// MMX registers are the x87 registers' low 64 bits (MMi = physical Ri), and every
// MMX instruction sets TOS to 0 and all tags valid (EMMS: empty), and writes 1s
// to bits 79-64 of the register it writes (SDM vol. 3 12.2). Running the
// instruction on the host FPU with the guest's image (x87_host.h) does all of that
// exactly; the FPU control word, instruction/data pointers and opcode stay as
// they were, which this file restores from the old image.
//
// The mnemonics are shared with SSE2 (66h-prefixed forms on XMM registers): a
// form without an MMX register goes to the handler registered before this file's
// (so register_mmx_handlers must run after any SSE registration).
#include "core/fault.h"
#include "core/interp/handlers.h"
#include "core/interp/operand_access.h"
#include "core/interp/x87.h"
#include "core/interp/x87_host.h"

namespace kasou::x87 {
namespace {

constexpr ZydisMnemonic kMmxMnemonics[] = {
    ZYDIS_MNEMONIC_MOVD,      ZYDIS_MNEMONIC_MOVQ,      ZYDIS_MNEMONIC_PACKSSDW,  ZYDIS_MNEMONIC_PACKSSWB,
    ZYDIS_MNEMONIC_PACKUSWB,  ZYDIS_MNEMONIC_PADDB,     ZYDIS_MNEMONIC_PADDD,     ZYDIS_MNEMONIC_PADDSB,
    ZYDIS_MNEMONIC_PADDSW,    ZYDIS_MNEMONIC_PADDUSB,   ZYDIS_MNEMONIC_PADDUSW,   ZYDIS_MNEMONIC_PADDW,
    ZYDIS_MNEMONIC_PAND,      ZYDIS_MNEMONIC_PANDN,     ZYDIS_MNEMONIC_PCMPEQB,   ZYDIS_MNEMONIC_PCMPEQD,
    ZYDIS_MNEMONIC_PCMPEQW,   ZYDIS_MNEMONIC_PCMPGTB,   ZYDIS_MNEMONIC_PCMPGTD,   ZYDIS_MNEMONIC_PCMPGTW,
    ZYDIS_MNEMONIC_PMADDWD,   ZYDIS_MNEMONIC_PMULHW,    ZYDIS_MNEMONIC_PMULLW,    ZYDIS_MNEMONIC_POR,
    ZYDIS_MNEMONIC_PSLLD,     ZYDIS_MNEMONIC_PSLLQ,     ZYDIS_MNEMONIC_PSLLW,     ZYDIS_MNEMONIC_PSRAD,
    ZYDIS_MNEMONIC_PSRAW,     ZYDIS_MNEMONIC_PSRLD,     ZYDIS_MNEMONIC_PSRLQ,     ZYDIS_MNEMONIC_PSRLW,
    ZYDIS_MNEMONIC_PSUBB,     ZYDIS_MNEMONIC_PSUBD,     ZYDIS_MNEMONIC_PSUBSB,    ZYDIS_MNEMONIC_PSUBSW,
    ZYDIS_MNEMONIC_PSUBUSB,   ZYDIS_MNEMONIC_PSUBUSW,   ZYDIS_MNEMONIC_PSUBW,     ZYDIS_MNEMONIC_PUNPCKHBW,
    ZYDIS_MNEMONIC_PUNPCKHDQ, ZYDIS_MNEMONIC_PUNPCKHWD, ZYDIS_MNEMONIC_PUNPCKLBW, ZYDIS_MNEMONIC_PUNPCKLDQ,
    ZYDIS_MNEMONIC_PUNPCKLWD, ZYDIS_MNEMONIC_PXOR,      ZYDIS_MNEMONIC_EMMS,
};

// Handlers the mnemonics had before MMX took them over (the non-MMX forms).
InsnHandler g_other_forms[ZYDIS_MNEMONIC_MAX_VALUE + 1];

bool is_mmx_register(const ZydisDecodedOperand& op) {
  return op.type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(op.reg.value) == ZYDIS_REGCLASS_MMX;
}

bool is_mmx_form(const DecodedInsn& d) {
  if (d.mnemonic() == ZYDIS_MNEMONIC_EMMS) return d.zi.opcode_map == ZYDIS_OPCODE_MAP_0F;
  for (unsigned i = 0; i < d.zi.operand_count_visible; i++)
    if (is_mmx_register(d.ops[i])) return true;
  return false;
}

// The shift-by-immediate group 0F 71/72/73 /r ib runs as the by-m64 form of the
// same shift (the count is the immediate, zero-extended), on the register in
// ModRM.rm.
uint8_t shift_by_m64_opcode(uint8_t op, unsigned ext) {
  static constexpr uint8_t kRows[3][8] = {
      {0, 0, 0xD1, 0, 0xE1, 0, 0xF1, 0},  // 71: PSRLW PSRAW PSLLW
      {0, 0, 0xD2, 0, 0xE2, 0, 0xF2, 0},  // 72: PSRLD PSRAD PSLLD
      {0, 0, 0xD3, 0, 0, 0, 0xF3, 0},     // 73: PSRLQ PSLLQ
  };
  return kRows[op - 0x71][ext & 7];
}

void h_mmx(Vcpu& v, const DecodedInsn& d) {
  if (!is_mmx_form(d)) {
    g_other_forms[d.mnemonic()](v, d);
    return;
  }
  check_device(v, Unit::kMmx);
  if (!wait_for_pending(v)) return;
  CpuState& s = v.s;
  const unsigned reg = d.zi.raw.modrm.reg, rm = d.zi.raw.modrm.rm;
  alignas(16) uint8_t buf[16] = {};
  const void* stub = nullptr;
  MemRef mem{};
  bool to_memory = false;
  ZydisRegister to_gpr = ZYDIS_REGISTER_NONE;
  unsigned store_bytes = 0;  // what the instruction stores (MMX stores always happen)

  if (d.mnemonic() == ZYDIS_MNEMONIC_EMMS) {
    stub = mmx_stub(0x77, false, 0, 0);
  } else if (d.zi.opcode >= 0x71 && d.zi.opcode <= 0x73) {
    const uint64_t count = d.ops[1].imm.value.u & 0xFF;
    std::memcpy(buf, &count, 8);
    stub = mmx_stub(shift_by_m64_opcode(d.zi.opcode, reg), true, rm, 0);
  } else {
    // Operand 0 is the destination, 1 the source. A memory operand or a general
    // register (MOVD) becomes the host buffer.
    const bool dst_mmx = is_mmx_register(d.ops[0]);
    const ZydisDecodedOperand& other = dst_mmx ? d.ops[1] : d.ops[0];
    const bool via_buffer = !is_mmx_register(other);
    if (via_buffer) {
      const unsigned bytes = other.size / 8;
      if (other.type == ZYDIS_OPERAND_TYPE_MEMORY) {
        mem = mem_ref(v, d, dst_mmx ? 1 : 0, bytes, dst_mmx ? Access::kRead : Access::kWrite);
        if (dst_mmx) {
          read_bytes(v, mem.linear, buf, bytes, bytes);
        } else {
          probe_write(v, mem.linear, bytes);
          to_memory = true;
        }
      } else if (dst_mmx) {
        const uint64_t value = read_reg(s, other.reg.value);
        std::memcpy(buf, &value, bytes);
      } else {
        to_gpr = other.reg.value;
      }
      if (!dst_mmx) store_bytes = bytes;
    }
    stub = mmx_stub(d.zi.opcode, via_buffer, reg, rm);
  }
  if (!stub) raise_fault(vec::UD);

  HostResult r = host_run(s.fx, stub, buf, 0, s.rflags);
  if (to_memory) write_bytes(v, mem.linear, buf, store_bytes, store_bytes);
  if (to_gpr != ZYDIS_REGISTER_NONE) {
    uint32_t value;
    std::memcpy(&value, buf, 4);
    write_reg(s, to_gpr, value);
  }
  // FCW, FOP, FCS:FIP and FDS:FDP are not the MMX instruction's.
  std::memcpy(r.image.bytes + off::kFcw, s.fx.bytes + off::kFcw, 2);
  std::memcpy(r.image.bytes + off::kFop, s.fx.bytes + off::kFop, off::kMxcsr - off::kFop);
  s.fx = r.image;
  advance(v, d);
}

}  // namespace
}  // namespace kasou::x87

namespace kasou {

void register_mmx_handlers(HandlerTable& t) {
  for (ZydisMnemonic m : x87::kMmxMnemonics) {
    x87::g_other_forms[m] = t.by_mnemonic[m];
    t.by_mnemonic[m] = x87::h_mmx;
  }
}

}  // namespace kasou
