// The block structure of translated code: planning each instruction, the prologue
// (time-slice budget and statistics), jumps and calls to the trampolines and shared
// stubs, and placing the finished code in the code cache.
#include <cstring>

#include "core/cpu_state.h"
#include "jit/block_key.h"
#include "jit/emitter.h"
#include "jit/liveness.h"

namespace kasou::jit {

using namespace asmjit;

const char* Emitter::plan_name(Plan p) {
  switch (p) {
    case Plan::kIdent: return "inline";
    case Plan::kStack: return "inline stack";
    case Plan::kBranch: return "inline branch";
    case Plan::kHelper: return "helper call";
    case Plan::kString: return "inline string";
    case Plan::kDivide: return "inline divide";
    case Plan::kTimestamp: return "inline timestamp";
  }
  return "?";
}

Emitter::Emitter(const EmitterEnv& env, Block& block, uint32_t mode) : env_(env), b_(block), mode_(mode) {
  uint64_t base = (reinterpret_cast<uint64_t>(env.cache->cursor()) + 15) & ~uint64_t{15};
  code_.init(Environment::host(), base);
  code_.attach(&a_);
}

Plan Emitter::plan_for(const DecodedInsn& d) const {
  const bool pm32 = (mode_ & mode_bit::kPe) && (mode_ & mode_bit::kCode32) && !(mode_ & mode_bit::kVm) &&
                    !(mode_ & mode_bit::kTf);
  if (!pm32) {
    // Real mode, VM86 and 16-bit code: only register-only instructions are inline
    // (the same host instruction on the same registers, whatever the mode; memory
    // operands there need segment bases, limits and 16-bit wrap-around, which the
    // helpers do). Single-stepping stays with the interpreter.
    if (!(mode_ & mode_bit::kTf) && ident_supported(d)) {
      bool memory = false;
      for (unsigned k = 0; k < d.zi.operand_count; k++) memory |= d.ops[k].type == ZYDIS_OPERAND_TYPE_MEMORY;
      if (!memory) return Plan::kIdent;
    }
    return Plan::kHelper;
  }
  if (branch_supported(d)) return Plan::kBranch;
  if (stack_supported(d)) return Plan::kStack;
  if (ident_supported(d)) return Plan::kIdent;
  if (string_supported(d)) return Plan::kString;
  if (divide_supported(d)) return Plan::kDivide;
  if (timestamp_supported(d)) return Plan::kTimestamp;
  return Plan::kHelper;
}

// Flags and block entries.
//
// Host EFLAGS carry the guest flags into a block entered by a chained jump or
// from the dispatcher (the normal entry, Block::code). A block that ends with an
// indirect branch instead saves the flags once into the flag slot, right
// after its last flag-writing instruction, and from there on nothing has to
// preserve them; its successor is found through the jump cache, which points at
// the successor's indirect entry, which reloads host EFLAGS from the slot only
// if the successor reads them before writing them. The same slot keeps flags
// that nothing reads but a fault would push (ensure_fault_flags).
//
// Layouts:
//   usual:       indirect entry: [reload flags if live on entry]
//                normal entry:   budget check, body (with the save, if any)
//   entry_saves: normal entry:   save flags (the block never touches them)
//                indirect entry: budget check, body
void Emitter::emit_store_flag_slot() {
  a_.mov(x86::r11, x86::rax);
  a_.lahf();
  a_.seto(x86::al);
  a_.mov(x86::qword_ptr(x86::rbp, KASOU_JS_OFF(flags_saved)), x86::rax);
  a_.mov(x86::rax, x86::r11);
}

void Emitter::emit_load_flag_slot() {
  a_.mov(x86::r11, x86::rax);
  a_.mov(x86::rax, x86::qword_ptr(x86::rbp, KASOU_JS_OFF(flags_saved)));
  a_.add(x86::al, 0x7F);
  a_.sahf();
  a_.mov(x86::rax, x86::r11);
}

FlagsAt Emitter::ensure_fault_flags() {
  if (!flags_in_slot_) {
    emit_store_flag_slot();
    flags_in_slot_ = true;
  }
  return kFlagsSlot;
}

void Emitter::emit_save_flags_for_indirect_exit() {
  emit_store_flag_slot();
  flags_in_slot_ = true;
}

void Emitter::emit_entries() {
  normal_entry_ = a_.newLabel();
  indirect_entry_ = a_.newLabel();
  const bool live = live_in_[0] != 0;
  if (entry_saves_ || (!live && entry_fault_save_)) {
    // Nothing reads the entry flags (so the budget check may clobber them), but
    // they must survive in the slot: for the indirect exit, or for a fault before
    // the first flag writer. The indirect entry finds them there already.
    a_.bind(normal_entry_);
    emit_save_flags_for_indirect_exit();
    a_.bind(indirect_entry_);
    emit_budget_check(false, true);
    return;
  }
  a_.bind(indirect_entry_);
  if (live) emit_load_flag_slot();
  a_.bind(normal_entry_);
  emit_budget_check(live, false);
}

void Emitter::emit_budget_check(bool flags_live, bool flags_in_ind) {
  const int32_t n = static_cast<int32_t>(insns_->size());
  Label budget_exit = a_.newLabel();
  lookups_patch_ = a_.newLabel();
  if (!flags_live) {
    // The common case: nothing reads the flags before writing them, so plain
    // arithmetic on the counters is fine.
    a_.sub(x86::qword_ptr(x86::rbp, kBudgetOff), n);
    a_.jl(budget_exit);
    a_.add(x86::qword_ptr(x86::rbp, kStatTlbLookupsOff), 0x7FFFFFF0);  // patched in place()
    a_.bind(lookups_patch_);
  } else {
    // Flags are live on entry: count and test without touching them (lea, shrx, jrcxz).
    Label ok = a_.newLabel();
    a_.mov(x86::r8, x86::qword_ptr(x86::rbp, kBudgetOff));
    a_.lea(x86::r8, x86::ptr(x86::r8, -n));
    a_.mov(x86::qword_ptr(x86::rbp, kBudgetOff), x86::r8);
    a_.mov(x86::r9, x86::rcx);
    a_.mov(x86::r10d, 63);
    a_.shrx(x86::rcx, x86::r8, x86::r10);
    a_.jecxz(x86::rcx, ok);
    a_.mov(x86::rcx, x86::r9);
    a_.jmp(budget_exit);
    a_.bind(ok);
    a_.mov(x86::rcx, x86::r9);
    a_.mov(x86::r8, x86::qword_ptr(x86::rbp, kStatTlbLookupsOff));
    a_.lea(x86::r8, x86::ptr(x86::r8, 0x7FFFFFF0));  // patched in place()
    a_.bind(lookups_patch_);
    a_.mov(x86::qword_ptr(x86::rbp, kStatTlbLookupsOff), x86::r8);
  }
  const uint32_t eip = b_.eip;
  cold_.push_back([this, budget_exit, n, flags_live, flags_in_ind, eip] {
    a_.bind(budget_exit);
    // Give the instructions back and leave at the block's first instruction.
    if (!flags_live) {
      a_.add(x86::qword_ptr(x86::rbp, kBudgetOff), n);
    } else {
      a_.mov(x86::r8, x86::qword_ptr(x86::rbp, kBudgetOff));
      a_.lea(x86::r8, x86::ptr(x86::r8, n));
      a_.mov(x86::qword_ptr(x86::rbp, kBudgetOff), x86::r8);
    }
    a_.mov(x86::dword_ptr(x86::rbp, kRipOff), eip);
    a_.mov(x86::qword_ptr(x86::rbp, KASOU_JS_OFF(exit_slot)), 0);
    if (flags_in_ind) emit_load_flag_slot();
    jmp_abs(env_.tramp->exit_common);
  });
}

void Emitter::emit_rel32_to(uint8_t opcode, const uint8_t* target) {
  Label end = a_.newLabel();
  a_.db(opcode);
  a_.dd(0);
  a_.bind(end);
  abs_fixups_.push_back({end, target});
}

void Emitter::jmp_abs(const uint8_t* target) { emit_rel32_to(0xE9, target); }

void Emitter::call_abs(const uint8_t* target) { emit_rel32_to(0xE8, target); }

void Emitter::emit_insn(size_t i) {
  const DecodedInsn& d = (*insns_)[i];
  switch (plans_[i]) {
    case Plan::kIdent:
      if (!emit_ident()) {
        plans_[i] = Plan::kHelper;
        emit_helper_call();
      }
      break;
    case Plan::kStack:
      emit_stack();
      break;
    case Plan::kBranch:
      emit_branch();
      ended_ = true;
      break;
    case Plan::kString:
      emit_string();
      break;
    case Plan::kDivide:
      emit_divide();
      break;
    case Plan::kTimestamp:
      emit_timestamp();
      break;
    case Plan::kHelper:
      emit_helper_call();
      break;
  }
  (void)d;
}

namespace {
bool is_indirect_branch(const DecodedInsn& d) {
  if (d.zi.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) return false;
  switch (d.zi.mnemonic) {
    case ZYDIS_MNEMONIC_RET: return true;
    case ZYDIS_MNEMONIC_JMP:
    case ZYDIS_MNEMONIC_CALL: return d.ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE;
    default: return false;
  }
}
}  // namespace

bool Emitter::translate(const std::vector<DecodedInsn>& insns) {
  insns_ = &insns;
  const size_t n = insns.size();
  plans_.resize(n);
  std::vector<FlagUse> uses(n);
  std::vector<uint32_t> may_write(n);
  uint32_t reads = 0;
  for (size_t i = 0; i < n; i++) {
    plans_[i] = plan_for(insns[i]);
    uses[i] = flag_use(insns[i], plans_[i] != Plan::kHelper);
    may_write[i] = flags_may_write(insns[i]);
    reads |= uses[i].read;
  }
  partial_flag_writer_.assign(n, false);
  for (size_t i = 0; i < n; i++)
    partial_flag_writer_[i] = plans_[i] != Plan::kHelper && may_write[i] && uses[i].must_write != flag::kArith;
  indirect_exit_ = plans_[n - 1] == Plan::kBranch && is_indirect_branch(insns[n - 1]);
  if (indirect_exit_) {
    save_at_ = after_last_flag_writer(may_write);
    live_at_end_ = 0;
    entry_saves_ = save_at_ == 0 && reads == 0;
  }
  // The save for the indirect exit is a sink that needs every flag, except in the
  // entry_saves_ layout: there the normal entry saves the flags before the budget
  // check, which clobbers host EFLAGS, so inside the body they are in the slot
  // only and no instruction may treat host EFLAGS as the guest's (a TLB lookup
  // would keep the clobbered flags with LAHF and give them to its slow path,
  // which runs the instruction in the interpreter and may leave the block or
  // deliver a fault with them).
  const size_t sink = indirect_exit_ && !entry_saves_ ? save_at_ : SIZE_MAX;
  live_in_ = flags_live_in(uses, live_at_end_, sink);
  // Unless the block starts with a register-only instruction that writes every
  // arithmetic flag, a fault can come before all of them are written and must see
  // the ones the block was entered with (INC/DEC leave CF alone).
  {
    const DecodedInsn& d0 = insns[0];
    bool touches_memory = false;
    for (unsigned k = 0; k < d0.zi.operand_count; k++)
      if (d0.ops[k].type == ZYDIS_OPERAND_TYPE_MEMORY && d0.ops[k].mem.type == ZYDIS_MEMOP_TYPE_MEM) touches_memory = true;
    entry_fault_save_ = !(plans_[0] == Plan::kIdent && uses[0].must_write == flag::kArith && !touches_memory);
  }
  insn_labels_.clear();
  for (size_t i = 0; i <= n; i++) insn_labels_.push_back(a_.newLabel());
  plan_mem_groups();

  emit_entries();
  for (size_t i = 0; i < n && !ended_; i++) {
    index_ = i;
    d_ = &insns[i];
    a_.bind(insn_labels_[i]);
    if (indirect_exit_ && i == save_at_ && !flags_in_slot_) emit_save_flags_for_indirect_exit();
    // The guest flags are in the slot and host EFLAGS may have been clobbered since
    // (a lookup, the budget check): an instruction that writes only some flags
    // (INC/DEC leave CF) would leave host EFLAGS half the guest's, and a later
    // fault would push them. Reload them first.
    if (flags_in_slot_ && partial_flag_writer_[i]) emit_load_flag_slot();
    emit_insn(i);
    // Host EFLAGS are the guest's again after a flag writer (helpers reload them).
    if (may_write[i] || plans_[i] == Plan::kHelper) flags_in_slot_ = false;
    if (env_.record_trace)
      b_.trace.push_back({insns[i].eip, 0, env_.decoder->format(insns[i], b_.linear - b_.eip + insns[i].eip),
                          plan_name(plans_[i])});
  }
  // The fall-through exit (also where "continue after the last instruction" lands).
  index_ = n - 1;
  d_ = &insns[n - 1];
  a_.bind(insn_labels_[n]);
  emit_goto_eip(insns[n - 1].next_eip());
  main_path_end_ = a_.newLabel();
  a_.bind(main_path_end_);
  // Out-of-line code may add more out-of-line code (a grouped access's own lookup
  // adds its slow path), so each entry is moved out before it runs.
  for (size_t k = 0; k < cold_.size(); k++) {
    auto emit_cold = std::move(cold_[k]);
    emit_cold();
  }
  return place();
}

bool Emitter::place() {
  if (code_.flatten() != kErrorOk || code_.resolveUnresolvedLinks() != kErrorOk) return false;
  const size_t size = code_.codeSize();
  uint8_t* dst = env_.cache->allocate(size);
  if (!dst) return false;
  if (reinterpret_cast<uint64_t>(dst) != code_.baseAddress() &&
      code_.relocateToBase(reinterpret_cast<uint64_t>(dst)) != kErrorOk)
    return false;
  code_.copyFlattenedData(dst, size);
  auto at = [&](const Label& l) { return dst + code_.labelOffset(l); };
  b_.code_start = dst;
  b_.code = at(normal_entry_);
  b_.indirect_entry = at(indirect_entry_);
  b_.code_bytes = static_cast<uint32_t>(size);
  b_.main_path_bytes = static_cast<uint32_t>(code_.labelOffset(main_path_end_));
  auto put_rel32 = [](uint8_t* end, const uint8_t* target) {
    int32_t rel = static_cast<int32_t>(target - end);
    std::memcpy(end - 4, &rel, 4);
  };
  for (const auto& f : abs_fixups_) put_rel32(at(f.end), f.target);
  for (auto& s : slots_) {
    s.slot->jmp_rel32 = at(s.jmp_end) - 4;
    s.slot->stub = at(s.stub);
    put_rel32(at(s.jmp_end), s.slot->stub);
  }
  int32_t lookups = static_cast<int32_t>(mem_lookups_);
  std::memcpy(at(lookups_patch_) - 4, &lookups, 4);
  if (env_.record_trace) {
    for (size_t i = 0; i < b_.trace.size(); i++)
      b_.trace[i].host_offset = static_cast<uint32_t>(code_.labelOffset(insn_labels_[i]));
  }
  return true;
}

}  // namespace kasou::jit
