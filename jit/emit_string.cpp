// Inline string instructions without a REP prefix (MOVS, STOS, LODS, SCAS, CMPS
// in byte/word/dword forms, 32-bit addressing). The direction flag is part of the
// block's mode key, so the ESI/EDI step is a constant here. REP forms go to the
// reference implementation, which copies page-sized chunks.
#include "jit/block_key.h"
#include "jit/emitter.h"

namespace kasou::jit {

using namespace asmjit;

namespace {

enum class StrOp { kNone, kMovs, kStos, kLods, kScas, kCmps };

StrOp str_op(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW: case ZYDIS_MNEMONIC_MOVSD: return StrOp::kMovs;
    case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW: case ZYDIS_MNEMONIC_STOSD: return StrOp::kStos;
    case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW: case ZYDIS_MNEMONIC_LODSD: return StrOp::kLods;
    case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW: case ZYDIS_MNEMONIC_SCASD: return StrOp::kScas;
    case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW: case ZYDIS_MNEMONIC_CMPSD: return StrOp::kCmps;
    default: return StrOp::kNone;
  }
}

// The hidden memory operand addressed by ESI (source) or EDI (destination).
const ZydisDecodedOperand* mem_with_base(const DecodedInsn& d, ZydisRegister base) {
  for (unsigned i = 0; i < d.zi.operand_count; i++)
    if (d.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && d.ops[i].mem.base == base) return &d.ops[i];
  return nullptr;
}

x86::Gp sized(const x86::Gp& r64, unsigned bytes) {
  uint32_t id = r64.id();
  return bytes == 1 ? x86::Gp(x86::gpb(id)) : bytes == 2 ? x86::Gp(x86::gpw(id)) : x86::Gp(x86::gpd(id));
}

}  // namespace

bool Emitter::string_supported(const DecodedInsn& d) const {
  const StrOp op = str_op(d.zi.mnemonic);
  if (op == StrOp::kNone || d.rep() || d.repne() || d.address_bits() != 32) return false;
  const ZydisDecodedOperand* src = mem_with_base(d, ZYDIS_REGISTER_ESI);
  const ZydisDecodedOperand* dst = mem_with_base(d, ZYDIS_REGISTER_EDI);
  const bool needs_src = op == StrOp::kMovs || op == StrOp::kLods || op == StrOp::kCmps;
  const bool needs_dst = op != StrOp::kLods;
  if (needs_src && (!src || !mem_inline_ok(d, *src))) return false;  // also rejects SSE MOVSD/CMPSD
  if (needs_dst && (!dst || !mem_inline_ok(d, *dst))) return false;
  return true;
}

void Emitter::emit_string() {
  const DecodedInsn& d = *d_;
  const StrOp op = str_op(d.zi.mnemonic);
  const ZydisDecodedOperand* src = mem_with_base(d, ZYDIS_REGISTER_ESI);
  const ZydisDecodedOperand* dst = mem_with_base(d, ZYDIS_REGISTER_EDI);
  const unsigned size = d.operand_bits() / 8;
  const int32_t step = (mode_ & mode_bit::kDf) ? -static_cast<int32_t>(size) : static_cast<int32_t>(size);
  const x86::Gp acc = sized(x86::rax, size);
  const x86::Gp tmp = sized(x86::r11, size);
  const x86::Mem tmp0 = x86::qword_ptr(x86::rbp, KASOU_JS_OFF(tmp0));
  auto load_tmp = [&](const x86::Mem& from) {
    if (size == 4) a_.mov(x86::r11d, from);
    else a_.movzx(x86::r11d, from);
  };
  switch (op) {
    case StrOp::kLods:
      emit_mem_operand(*src, false, x86::rsi);
      a_.mov(acc, x86::ptr(x86::rsi, 0, size));
      a_.lea(x86::r14d, x86::ptr(x86::r14, step));
      break;
    case StrOp::kStos:
      emit_mem_operand(*dst, true, x86::rsi);
      a_.mov(x86::ptr(x86::rsi, 0, size), acc);
      a_.lea(x86::r15d, x86::ptr(x86::r15, step));
      break;
    case StrOp::kScas:
      emit_mem_operand(*dst, false, x86::rsi);
      a_.cmp(acc, x86::ptr(x86::rsi, 0, size));
      a_.lea(x86::r15d, x86::ptr(x86::r15, step));
      break;
    case StrOp::kMovs:
    case StrOp::kCmps:
      // The source value waits in memory across the second lookup (whose slow
      // path may call C++ and clobber every scratch register).
      emit_mem_operand(*src, false, x86::rsi);
      load_tmp(x86::ptr(x86::rsi, 0, size));
      a_.mov(tmp0, x86::r11);
      emit_mem_operand(*dst, op == StrOp::kMovs, x86::rsi);
      a_.mov(x86::r11, tmp0);
      if (op == StrOp::kMovs) a_.mov(x86::ptr(x86::rsi, 0, size), tmp);
      else a_.cmp(tmp, x86::ptr(x86::rsi, 0, size));
      a_.lea(x86::r14d, x86::ptr(x86::r14, step));
      a_.lea(x86::r15d, x86::ptr(x86::r15, step));
      break;
    case StrOp::kNone:
      break;
  }
}

}  // namespace kasou::jit
