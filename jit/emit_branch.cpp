// Control transfers and block exits.
//
// A direct branch to a known EIP becomes a patchable `jmp rel32` (an ExitSlot):
// first to a stub that returns to the dispatcher, later, once the dispatcher has
// the target block, straight to it (chaining). An indirect branch (RET, JMP/CALL
// through a register or memory) looks the target up inline in the jump cache
// without touching host EFLAGS (lea/shlx/shrx/jrcxz), so guest flags stay in the
// host flags across it.
#include "jit/block_key.h"
#include "jit/emitter.h"
#include "jit/host_regs.h"

namespace kasou::jit {

using namespace asmjit;

namespace {

x86::Gp host_reg32(ZydisRegister guest) {
  ZydisRegister h = map_guest_reg(guest);
  return x86::gpd(static_cast<uint32_t>(ZydisRegisterGetId(h)));
}

// The host condition for a guest Jcc (host EFLAGS hold the guest's flags), or
// kNone if `m` is not a Jcc.
constexpr auto kNone = static_cast<x86::CondCode>(0xFF);
x86::CondCode cond_of(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_JO: return x86::CondCode::kO;
    case ZYDIS_MNEMONIC_JNO: return x86::CondCode::kNO;
    case ZYDIS_MNEMONIC_JB: return x86::CondCode::kB;
    case ZYDIS_MNEMONIC_JNB: return x86::CondCode::kAE;
    case ZYDIS_MNEMONIC_JZ: return x86::CondCode::kZ;
    case ZYDIS_MNEMONIC_JNZ: return x86::CondCode::kNZ;
    case ZYDIS_MNEMONIC_JBE: return x86::CondCode::kBE;
    case ZYDIS_MNEMONIC_JNBE: return x86::CondCode::kA;
    case ZYDIS_MNEMONIC_JS: return x86::CondCode::kS;
    case ZYDIS_MNEMONIC_JNS: return x86::CondCode::kNS;
    case ZYDIS_MNEMONIC_JP: return x86::CondCode::kP;
    case ZYDIS_MNEMONIC_JNP: return x86::CondCode::kNP;
    case ZYDIS_MNEMONIC_JL: return x86::CondCode::kL;
    case ZYDIS_MNEMONIC_JNL: return x86::CondCode::kGE;
    case ZYDIS_MNEMONIC_JLE: return x86::CondCode::kLE;
    case ZYDIS_MNEMONIC_JNLE: return x86::CondCode::kG;
    default: return kNone;
  }
}

bool is_guest_gpr32(const ZydisDecodedOperand& op) {
  return op.type == ZYDIS_OPERAND_TYPE_REGISTER && op.reg.value >= ZYDIS_REGISTER_EAX &&
         op.reg.value <= ZYDIS_REGISTER_EDI;
}

uint32_t rel_target(const DecodedInsn& d) {
  return static_cast<uint32_t>(d.next_eip() + static_cast<uint32_t>(d.ops[0].imm.value.s));
}

}  // namespace

bool Emitter::branch_supported(const DecodedInsn& d) const {
  // Inline branches assume flat CS (limit 4 GiB: no limit check on the target)
  // and 32-bit operand size (EIP not truncated to 16 bits).
  if (!(mode_ & mode_bit::kFlat) || d.operand_bits() != 32) return false;
  if (d.zi.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) return false;  // far forms load CS: helpers
  const ZydisDecodedOperand& op = d.ops[0];
  const bool stack_ok = mode_ & mode_bit::kStack32;
  switch (d.zi.mnemonic) {
    case ZYDIS_MNEMONIC_JMP:
    case ZYDIS_MNEMONIC_CALL:
      if (d.zi.mnemonic == ZYDIS_MNEMONIC_CALL && !stack_ok) return false;
      if (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) return true;
      if (is_guest_gpr32(op)) return true;
      return op.type == ZYDIS_OPERAND_TYPE_MEMORY && mem_inline_ok(d, op) && op.size == 32;
    case ZYDIS_MNEMONIC_RET:
      return stack_ok;
    case ZYDIS_MNEMONIC_LOOP:
    case ZYDIS_MNEMONIC_LOOPE:
    case ZYDIS_MNEMONIC_LOOPNE:
    case ZYDIS_MNEMONIC_JECXZ:
      return d.address_bits() == 32;
    default:
      return cond_of(d.zi.mnemonic) != kNone;
  }
}

bool Emitter::chainable(uint32_t target_eip) const {
  // Without paging, physical = linear (A20 aside, which is a mode the TLB handles
  // by flushing), so any target can be chained; with paging, only targets in the
  // block's own page are known to map where they did when the chain was made.
  const uint64_t cs_base = b_.linear - b_.eip;
  const uint64_t target_linear = (cs_base + target_eip) & 0xFFFFFFFFull;
  if (!(mode_ & mode_bit::kPg)) return true;
  return (target_linear >> 12) == (b_.linear >> 12);
}

void Emitter::emit_direct_exit(uint32_t target_eip) {
  auto& slot = b_.exits.emplace_back(std::make_unique<ExitSlot>());
  slot->owner = &b_;
  slot->target_eip = target_eip;
  Label end = a_.newLabel(), stub = a_.newLabel();
  a_.db(0xE9);
  a_.dd(0);
  a_.bind(end);
  slots_.push_back({slot.get(), end, stub});
  ExitSlot* sp = slot.get();
  cold_.push_back([this, stub, target_eip, sp] {
    a_.bind(stub);
    a_.mov(x86::dword_ptr(x86::rbp, kRipOff), target_eip);
    a_.mov(x86::r9, reinterpret_cast<uint64_t>(sp));
    a_.mov(x86::qword_ptr(x86::rbp, KASOU_JS_OFF(exit_slot)), x86::r9);
    jmp_abs(env_.tramp->exit_common);
  });
}

void Emitter::emit_goto_eip(uint32_t target_eip) {
  if (chainable(target_eip)) {
    emit_direct_exit(target_eip);
  } else {
    a_.mov(x86::r8d, target_eip);
    emit_exit_eip_r8();
  }
}

void Emitter::emit_exit_eip_r8() {
  // The target is entered at its indirect entry, which expects the guest flags in
  // the flag slot (saved already if this block ends with an indirect branch). From
  // here on host EFLAGS are free: the miss path reloads them from the slot.
  if (!flags_in_slot_) emit_store_flag_slot();
  const uint32_t cs_base = static_cast<uint32_t>(b_.linear - b_.eip);
  const uint64_t mode_bits = uint64_t(mode_) << 32;
  static_assert(sizeof(JumpCacheEntry) == 16);
  Label miss = a_.newLabel();
  // r10d = linear target; rdi = &jump_cache[linear % entries]; hit when
  // neg_key + (mode << 32 | linear) == 0.
  if (cs_base) a_.lea(x86::r10d, x86::ptr(x86::r8, static_cast<int32_t>(cs_base)));
  else a_.mov(x86::r10d, x86::r8d);
  a_.mov(x86::edi, x86::r10d);
  a_.and_(x86::edi, kJumpCacheEntries - 1);
  a_.shl(x86::edi, 4);
  a_.add(x86::rdi, x86::qword_ptr(x86::rbp, KASOU_JS_OFF(jump_cache)));
  a_.mov(x86::rsi, mode_bits);
  a_.or_(x86::rsi, x86::r10);
  a_.add(x86::rsi, x86::qword_ptr(x86::rdi));
  a_.jnz(miss);
  a_.jmp(x86::qword_ptr(x86::rdi, 8));
  // Miss: back to the dispatcher with the flags from the slot.
  a_.bind(miss);
  a_.mov(x86::dword_ptr(x86::rbp, kRipOff), x86::r8d);
  a_.mov(x86::qword_ptr(x86::rbp, KASOU_JS_OFF(exit_slot)), 0);
  emit_load_flag_slot();
  jmp_abs(env_.tramp->exit_common);
}

void Emitter::emit_branch() {
  const DecodedInsn& d = *d_;
  const ZydisDecodedOperand& op = d.ops[0];
  const uint32_t next = d.next_eip();
  switch (d.zi.mnemonic) {
    case ZYDIS_MNEMONIC_JMP:
      if (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        emit_goto_eip(rel_target(d));
      } else if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) {
        a_.mov(x86::r8d, host_reg32(op.reg.value));
        emit_exit_eip_r8();
      } else {
        emit_mem_operand(op, false, x86::rsi);
        a_.mov(x86::r8d, x86::dword_ptr(x86::rsi));
        emit_exit_eip_r8();
      }
      return;
    case ZYDIS_MNEMONIC_CALL:
      if (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        emit_push_imm(next, 4);
        emit_goto_eip(rel_target(d));
        return;
      }
      // The target is read before the push (CALL ESP / CALL [ESP] see the old ESP)
      // and kept in memory across the push's possible slow-path call.
      if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) {
        a_.mov(x86::dword_ptr(x86::rbp, KASOU_JS_OFF(tmp0)), host_reg32(op.reg.value));
      } else {
        emit_mem_operand(op, false, x86::rsi);
        a_.mov(x86::r8d, x86::dword_ptr(x86::rsi));
        a_.mov(x86::dword_ptr(x86::rbp, KASOU_JS_OFF(tmp0)), x86::r8d);
      }
      emit_push_imm(next, 4);
      a_.mov(x86::r8d, x86::dword_ptr(x86::rbp, KASOU_JS_OFF(tmp0)));
      emit_exit_eip_r8();
      return;
    case ZYDIS_MNEMONIC_RET: {
      int32_t extra = d.zi.operand_count_visible ? static_cast<int32_t>(op.imm.value.u & 0xFFFF) : 0;
      a_.mov(x86::r8d, x86::r12d);
      emit_lookup(4, false, x86::rsi);
      a_.mov(x86::r8d, x86::dword_ptr(x86::rsi));
      a_.lea(x86::r12d, x86::ptr(x86::r12, 4 + extra));
      emit_exit_eip_r8();
      return;
    }
    case ZYDIS_MNEMONIC_LOOP:
    case ZYDIS_MNEMONIC_LOOPE:
    case ZYDIS_MNEMONIC_LOOPNE: {
      Label not_taken = a_.newLabel();
      a_.lea(x86::ecx, x86::ptr(x86::rcx, -1));
      a_.jecxz(x86::rcx, not_taken);
      if (d.zi.mnemonic == ZYDIS_MNEMONIC_LOOPE) a_.jnz(not_taken);
      if (d.zi.mnemonic == ZYDIS_MNEMONIC_LOOPNE) a_.jz(not_taken);
      emit_goto_eip(rel_target(d));
      a_.bind(not_taken);
      emit_goto_eip(next);
      return;
    }
    case ZYDIS_MNEMONIC_JECXZ: {
      Label taken = a_.newLabel();
      a_.jecxz(x86::rcx, taken);
      emit_goto_eip(next);
      a_.bind(taken);
      emit_goto_eip(rel_target(d));
      return;
    }
    default: {
      Label taken = a_.newLabel();
      a_.j(cond_of(d.zi.mnemonic), taken);
      emit_goto_eip(next);
      a_.bind(taken);
      emit_goto_eip(rel_target(d));
      return;
    }
  }
}

}  // namespace kasou::jit
