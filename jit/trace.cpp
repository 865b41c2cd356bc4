// Block listings for --trace-blocks and the teaching views: each guest
// instruction, how it was translated, and the host instructions emitted for it.
#include <fmt/format.h>

#include <Zydis/Zydis.h>

#include "jit/engine.h"

namespace kasou::jit {

namespace {
// The name of a trampoline or shared stub at `target`, or nullptr.
const char* trampoline_name(const Trampolines* t, const uint8_t* target) {
  if (!t) return nullptr;
  if (target == t->exit_common) return "exit_common";
  if (target == t->exit_store_regs) return "exit_store_regs";
  if (target == t->exit_nostore) return "exit_nostore";
  if (target == t->helper_stub) return "helper stub";
  if (target == t->mem_slow_stub) return "memory slow-path stub";
  if (target == t->mem_slow_stub_preserve) return "memory slow-path stub, flags in AX";
  return nullptr;
}

// The absolute target of a relative branch in block code, or nullptr.
const uint8_t* branch_target(const Block& b, const ZydisDecodedInstruction& zi,
                             const ZydisDecodedOperand* ops, uint32_t off) {
  for (unsigned k = 0; k < zi.operand_count_visible; k++) {
    if (ops[k].type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !ops[k].imm.is_relative) continue;
    ZyanU64 target;
    ZydisCalcAbsoluteAddress(&zi, &ops[k], reinterpret_cast<uint64_t>(b.code_start) + off, &target);
    return reinterpret_cast<const uint8_t*>(target);
  }
  return nullptr;
}
}  // namespace

std::string format_block(const Block& b, const Trampolines* tramp) {
  std::string out = fmt::format("block eip={:08x} linear={:08x} phys={:08x} mode={:08x}: {} guest insns ({} bytes) -> {} host bytes\n",
                                b.eip, b.linear, b.key.phys, b.key.mode, b.insn_count, b.guest_bytes, b.code_bytes);
  ZydisDecoder dec;
  ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  ZydisFormatter fmtr;
  ZydisFormatterInit(&fmtr, ZYDIS_FORMATTER_STYLE_INTEL);
  size_t next_guest = 0;
  uint32_t off = 0;
  while (off < b.code_bytes) {
    while (next_guest < b.trace.size() && b.trace[next_guest].host_offset <= off) {
      const auto& t = b.trace[next_guest];
      out += fmt::format("  {:08x}  {:<40} ; {}\n", t.eip, t.guest_text, t.how);
      next_guest++;
    }
    if (next_guest == b.trace.size() && off >= (b.trace.empty() ? 0 : b.trace.back().host_offset) && next_guest > 0 &&
        off == b.trace.back().host_offset) {
    }
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, b.code_start + off, b.code_bytes - off, &zi, ops))) {
      out += fmt::format("      +{:04x}  (data)\n", off);
      break;
    }
    char text[256];
    ZydisFormatterFormatInstruction(&fmtr, &zi, ops, zi.operand_count_visible, text, sizeof text, off, nullptr);
    const char* name = trampoline_name(tramp, branch_target(b, zi, ops, off));
    out += name ? fmt::format("      +{:04x}  {:<40} ; {}\n", off, text, name)
                : fmt::format("      +{:04x}  {}\n", off, text);
    off += zi.length;
  }
  return out;
}

std::string format_insn_host_code(const Block& b, size_t i, const Trampolines* t) {
  if (i >= b.trace.size()) return {};
  const uint32_t start = b.trace[i].host_offset;
  const uint32_t end = i + 1 < b.trace.size() ? b.trace[i + 1].host_offset : b.main_path_bytes;
  ZydisDecoder dec;
  ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  ZydisFormatter fmtr;
  ZydisFormatterInit(&fmtr, ZYDIS_FORMATTER_STYLE_INTEL);
  std::string out;
  for (uint32_t off = start; off < end;) {
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, b.code_start + off, end - off, &zi, ops))) break;
    char text[256];
    ZydisFormatterFormatInstruction(&fmtr, &zi, ops, zi.operand_count_visible, text, sizeof text, off, nullptr);
    std::string line = text;
    for (unsigned k = 0; k < zi.operand_count_visible; k++) {
      const ZydisDecodedOperand& op = ops[k];
      if (op.type != ZYDIS_OPERAND_TYPE_IMMEDIATE) continue;
      if (op.imm.is_relative) {
        ZyanU64 target;
        ZydisCalcAbsoluteAddress(&zi, &op, off, &target);
        const char* name = trampoline_name(
            t, reinterpret_cast<const uint8_t*>(reinterpret_cast<uint64_t>(b.code_start) + target));
        line = fmt::format("{} {}", ZydisMnemonicGetString(zi.mnemonic),
                           target < b.code_bytes ? fmt::format("+{:#x}", target)
                           : name                ? fmt::format("<{}>", name)
                                                 : std::string("<outside block>"));
      } else if (op.size == 64 && zi.raw.imm[0].size == 64) {  // mov r64, imm64: a host address
        line = line.substr(0, line.rfind(',') + 1) + " <pointer>";
      }
    }
    out += line + "\n";
    off += zi.length;
  }
  return out;
}

void JitEngine::print_trace(const Block& b) const {
  std::fputs(format_block(b, &tramp_).c_str(), stderr);
}

}  // namespace kasou::jit
