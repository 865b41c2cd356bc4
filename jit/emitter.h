// Emitter: turns one block of decoded guest instructions into host code.
//
// Internal to jit/ (it pulls in asmjit). The member functions are grouped by what
// they emit, one file per family: translator.cpp (block structure, prologue,
// placement), emit_ident.cpp (instructions re-encoded for the host as they are),
// emit_mem.cpp (effective address + inline TLB lookup + slow path),
// emit_stack.cpp (PUSH/POP/LEAVE, the stack half of CALL/RET), emit_branch.cpp
// (block exits, chaining slots, the jump cache), emit_helper.cpp (calls into the
// reference implementation and the privileged-instruction helpers).
#pragma once

#include <asmjit/x86.h>

#include <array>
#include <functional>
#include <vector>

#include "core/interp/decode.h"
#include "jit/block.h"
#include "jit/code_cache.h"
#include "jit/runtime.h"

namespace kasou::jit {

namespace x86 = asmjit::x86;

struct EmitterEnv {
  CodeCache* cache;
  const Trampolines* tramp;
  const InsnDecoder* decoder;
  bool record_trace;
  uint64_t ns_per_instruction;  // of the virtual clock (inline RDTSC needs 1)
};

// How an instruction is translated.
enum class Plan : uint8_t {
  kIdent,   // re-encoded for the host (registers mapped, memory operand -> host pointer)
  kStack,   // inline stack operation
  kBranch,  // inline control transfer (ends the block)
  kString,  // inline MOVS/STOS/LODS/SCAS/CMPS without REP
  kDivide,  // inline DIV with the #DE checks
  kTimestamp,  // inline RDTSC
  kHelper,  // call into the reference implementation / a privileged helper
};

class Emitter {
 public:
  Emitter(const EmitterEnv& env, Block& block, uint32_t mode);
  // Emits the block and places it in the code cache. Returns false if the cache
  // is full (the caller flushes and retries).
  bool translate(const std::vector<DecodedInsn>& insns);

  static const char* plan_name(Plan p);

 private:
  // translator.cpp
  Plan plan_for(const DecodedInsn& d) const;
  // The block's entries and time-slice check; see translator.cpp.
  void emit_entries();
  void emit_budget_check(bool flags_live, bool flags_in_ind);
  void emit_save_flags_for_indirect_exit();
  // Host EFLAGS <-> the flag slot JitScratch::flags_saved (LAHF/SETO encoding;
  // RAX is preserved).
  void emit_store_flag_slot();
  void emit_load_flag_slot();
  void emit_insn(size_t i);
  bool place();
  // `jmp rel32` to an absolute address in the code cache (trampolines), fixed up in place().
  void jmp_abs(const uint8_t* target);
  // `call rel32` to a shared stub in the trampolines (runtime.cpp), fixed up in place().
  void call_abs(const uint8_t* target);
  void emit_rel32_to(uint8_t opcode, const uint8_t* target);  // E9 jmp / E8 call, fixed up in place()
  int32_t flat_or_base(ZydisRegister seg) const;
  uint32_t flags_live_here() const { return live_in_[index_]; }
  uint32_t flags_live_after() const {
    // Just before the indirect-exit save every flag is needed, whatever follows.
    if (indirect_exit_ && index_ + 1 == save_at_) return 0x8D5u;
    return index_ + 1 < live_in_.size() ? live_in_[index_ + 1] : live_at_end_;
  }
  uint32_t live_at_end_ = 0x8D5u;

  // emit_mem.cpp
  bool mem_inline_ok(const DecodedInsn& d, const ZydisDecodedOperand& op) const;
  bool seg_inline_ok(ZydisRegister seg) const;
  void emit_linear(const ZydisDecodedOperand& op);  // effective address + segment base -> r8d
  // TLB lookup of r8d (linear) for `size` bytes; host pointer -> `host` (RSI/RDI).
  void emit_lookup(unsigned size, bool write, const x86::Gp& host);
  // Its inline part: host = r8d's host address if the TLB holds the `size` bytes
  // there with the permission, else a jump to `miss` (clobbers EFLAGS, r9, r10).
  void emit_tlb_hit(unsigned size, bool write, const x86::Gp& host, const asmjit::Label& miss);
  void emit_mem_operand(const ZydisDecodedOperand& op, bool write, const x86::Gp& host) {
    if (emit_grouped_mem_operand(op, write, host)) return;
    emit_linear(op);
    emit_lookup(op.size / 8, write, host);
  }

  // emit_mem_group.cpp: one lookup for several [base + disp] accesses (see there).
  struct MemGroupRole {
    enum Kind : uint8_t { kNone, kLeader, kMember } kind = kNone;
    uint8_t reg = 0;          // guest base register (index)
    uint8_t range_bytes = 0;  // leader: bytes the group touches from base + min_disp
    bool write = false;       // leader: some member writes
    uint32_t leader = 0;      // instruction index of the group's leader
    int32_t min_disp = 0;
  };
  std::vector<MemGroupRole> groups_;
  std::array<int, 8> probe_emitted_{};  // per base register: the leader whose range check was emitted
  void plan_mem_groups();
  bool emit_grouped_mem_operand(const ZydisDecodedOperand& op, bool write, const x86::Gp& host);
  // The instruction's ordinary lookup, out of line: from `from`, back to `back`.
  void emit_own_lookup_out_of_line(const ZydisDecodedOperand& op, bool write, const x86::Gp& host,
                                   const asmjit::Label& from, const asmjit::Label& back);

  // emit_ident.cpp
  bool ident_supported(const DecodedInsn& d) const;
  bool emit_ident();

  // emit_stack.cpp
  bool stack_supported(const DecodedInsn& d) const;
  bool emit_stack();
  void emit_push_imm(uint32_t value, unsigned size);  // push a constant (CALL's return address)

  // emit_branch.cpp
  bool branch_supported(const DecodedInsn& d) const;
  void emit_branch();
  void emit_direct_exit(uint32_t target_eip);  // chainable exit
  void emit_exit_eip_r8();                     // indirect: guest EIP in r8d (via the jump cache)
  void emit_goto_eip(uint32_t target_eip);     // direct but maybe not chainable
  bool chainable(uint32_t target_eip) const;

  // emit_string.cpp
  bool string_supported(const DecodedInsn& d) const;
  void emit_string();

  // emit_divide.cpp
  bool divide_supported(const DecodedInsn& d) const;
  void emit_divide();

  // emit_timestamp.cpp
  bool timestamp_supported(const DecodedInsn& d) const;
  void emit_timestamp();

  // emit_helper.cpp
  void emit_helper_call();

  const EmitterEnv& env_;
  Block& b_;
  uint32_t mode_;
  asmjit::CodeHolder code_;
  x86::Assembler a_;
  std::vector<std::function<void()>> cold_;
  std::vector<asmjit::Label> insn_labels_;  // start of each instruction; [n] = fall-through exit
  std::vector<uint32_t> live_in_;
  std::vector<Plan> plans_;
  // Instructions (not helper calls) that may write some arithmetic flags but not
  // all of them: host EFLAGS must hold the guest's flags when they run.
  std::vector<bool> partial_flag_writer_;
  const std::vector<DecodedInsn>* insns_ = nullptr;
  const DecodedInsn* d_ = nullptr;
  size_t index_ = 0;
  bool ended_ = false;
  uint32_t mem_lookups_ = 0;
  asmjit::Label lookups_patch_;  // after the prologue's counter update
  asmjit::Label main_path_end_;  // the out-of-line code follows
  // Indirect-exit flag convention (see translator.cpp).
  bool indirect_exit_ = false;   // the block ends with RET / JMP r/m / CALL r/m
  size_t save_at_ = SIZE_MAX;    // instruction before which flags go to the slot for the exit
  bool entry_saves_ = false;     // layout: normal entry saves, indirect entry follows
  // The flag slot holds the current guest flags (no flag writer since the save).
  bool flags_in_slot_ = false;
  bool entry_fault_save_ = false;  // something can fault before the first flag writer
  // Makes sure the guest flags survive in memory before host EFLAGS get clobbered
  // (unless they are kept live). Returns where they are.
  FlagsAt ensure_fault_flags();
  asmjit::Label normal_entry_, indirect_entry_;

  struct PendingSlot {
    ExitSlot* slot;
    asmjit::Label jmp_end;  // bound right after the patchable jmp rel32
    asmjit::Label stub;
  };
  std::vector<PendingSlot> slots_;
  struct AbsFixup {
    asmjit::Label end;  // bound right after a jmp rel32
    const uint8_t* target;
  };
  std::vector<AbsFixup> abs_fixups_;
};

}  // namespace kasou::jit
