// Grouped memory operands: one TLB lookup for several [base + disp] accesses of a
// block that use the same base register while it keeps its value (the stack
// frame and structure fields of compiled code: [ebp-0x10], [ebp-0x14], [esp+4]).
//
// The first access of a group (the leader) checks the whole byte range the group
// touches, [base + min_disp, base + max_end], with the inline TLB compare: one
// tag compare says the range lies in one page that the TLB holds with the
// permission the group needs (write if any member writes; a write tag is only
// there for dirty, writable RAM that holds no translated code). On a hit the host
// address of base + min_disp goes to JitScratch::group_host[base], and every later
// member finds its host address there with three or four instructions instead of
// a lookup. On a miss the slot stays 0 and the leader does its own ordinary lookup
// out of line (so a miss never touches bytes the leader does not access: no TLB
// fill, no accessed/dirty bit, no fault for them); members seeing 0 do theirs.
//
// Leaders and members are only accesses where no guest flag is live (the checks
// clobber EFLAGS); the others look up as usual and do not end the group. A group
// ends where its base register is written (hidden operands included), at a helper
// call, or where its range would exceed kMaxGroupBytes.
#include <algorithm>

#include "jit/block_key.h"
#include "jit/emitter.h"

namespace kasou::jit {

using namespace asmjit;

namespace {

constexpr int64_t kMaxGroupBytes = 128;

int gpr_index(ZydisRegister r) {
  const ZydisRegister full = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LEGACY_32, r);
  if (full >= ZYDIS_REGISTER_EAX && full <= ZYDIS_REGISTER_EDI) return full - ZYDIS_REGISTER_EAX;
  return -1;
}

// Bitmask of the general registers (by index) the instruction writes, hidden operands included.
uint32_t gprs_written(const DecodedInsn& d) {
  uint32_t m = 0;
  for (unsigned k = 0; k < d.zi.operand_count; k++) {
    const ZydisDecodedOperand& op = d.ops[k];
    if (op.type != ZYDIS_OPERAND_TYPE_REGISTER || !(op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
      continue;
    const int g = gpr_index(op.reg.value);
    if (g >= 0) m |= 1u << g;
  }
  return m;
}

int32_t group_host_off(int reg) {
  return KASOU_JS_OFF(group_host) + static_cast<int32_t>(8 * reg);
}

}  // namespace

void Emitter::plan_mem_groups() {
  const size_t n = insns_->size();
  groups_.assign(n, MemGroupRole{});
  probe_emitted_.fill(-1);
  if (mode_ & mode_bit::kAlignCheck)
    return;  // misaligned accesses must reach the slow path one by one
  struct Open {
    int leader = -1;  // instruction index
    int64_t lo = 0, hi = 0;
    bool write = false;
    std::vector<size_t> members;
  };
  Open open[8];
  auto close = [&](int reg) {
    Open& g = open[reg];
    if (g.leader >= 0 && !g.members.empty()) {
      const auto leader = static_cast<uint32_t>(g.leader);
      groups_[leader] = MemGroupRole{MemGroupRole::kLeader,
                                     static_cast<uint8_t>(reg),
                                     static_cast<uint8_t>(g.hi - g.lo + 1),
                                     g.write,
                                     leader,
                                     static_cast<int32_t>(g.lo)};
      for (size_t i : g.members)
        groups_[i] =
            MemGroupRole{MemGroupRole::kMember,     static_cast<uint8_t>(reg), 0, false, leader,
                         static_cast<int32_t>(g.lo)};
    }
    g = Open{};
  };
  for (size_t i = 0; i < n; i++) {
    const DecodedInsn& d = (*insns_)[i];
    if (plans_[i] == Plan::kHelper) {
      for (int r = 0; r < 8; r++) close(r);
      continue;
    }
    int mem = -1, mem_count = 0;
    for (unsigned k = 0; k < d.zi.operand_count; k++)
      if (d.ops[k].type == ZYDIS_OPERAND_TYPE_MEMORY && d.ops[k].mem.type == ZYDIS_MEMOP_TYPE_MEM) {
        mem = static_cast<int>(k);
        mem_count++;
      }
    // A [base + disp] operand with a 32-bit base register, in a flat segment, of an
    // instruction re-encoded for the host (hint NOPs have a memory operand but
    // emit nothing), where no flag is live.
    if (plans_[i] == Plan::kIdent && mem_count == 1 && d.zi.mnemonic != ZYDIS_MNEMONIC_NOP &&
        !partial_flag_writer_[i] &&
        live_in_[i] == 0) {
      const ZydisDecodedOperand& op = d.ops[mem];
      const bool candidate =
          d.address_bits() == 32 && op.mem.base >= ZYDIS_REGISTER_EAX &&
          op.mem.base <= ZYDIS_REGISTER_EDI && op.mem.index == ZYDIS_REGISTER_NONE &&
          op.mem.segment != ZYDIS_REGISTER_FS && op.mem.segment != ZYDIS_REGISTER_GS &&
          (op.size == 8 || op.size == 16 || op.size == 32 || op.size == 64) && mem_inline_ok(d, op);
      if (candidate) {
        const int reg = gpr_index(op.mem.base);
        // 64-bit arithmetic: displacements are 32-bit and their span must not wrap.
        const int64_t lo = static_cast<int32_t>(op.mem.disp.value);
        const int64_t hi = lo + op.size / 8 - 1;
        const bool write = (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0;
        Open& g = open[reg];
        const int64_t nlo = std::min(g.lo, lo), nhi = std::max(g.hi, hi);
        if (g.leader >= 0 && nhi - nlo + 1 <= kMaxGroupBytes) {
          g.lo = nlo;
          g.hi = nhi;
          g.write = g.write || write;
          g.members.push_back(i);
        } else {
          close(reg);
          g.leader = static_cast<int>(i);
          g.lo = lo;
          g.hi = hi;
          g.write = write;
        }
      }
    }
    // After the instruction's own access, a written base register ends its group.
    const uint32_t written = gprs_written(d);
    for (int r = 0; r < 8; r++)
      if (written & (1u << r)) close(r);
  }
  for (int r = 0; r < 8; r++) close(r);
}

void Emitter::emit_own_lookup_out_of_line(const ZydisDecodedOperand& op, bool write,
                                          const x86::Gp& host, const Label& from,
                                          const Label& back) {
  const size_t at = index_;
  const DecodedInsn* insn = d_;
  cold_.push_back([this, op, write, host, from, back, at, insn] {
    // Emitted after the main path: put this instruction's context back for
    // emit_lookup (its slow path records the instruction and its successor).
    const size_t saved_index = index_;
    const DecodedInsn* saved_d = d_;
    const bool saved_in_slot = flags_in_slot_;
    const uint32_t saved_lookups = mem_lookups_;
    index_ = at;
    d_ = insn;
    flags_in_slot_ = true;  // ensure_fault_flags() ran on the main path
    a_.bind(from);
    emit_linear(op);
    emit_lookup(op.size / 8, write, host);
    a_.jmp(back);
    index_ = saved_index;
    d_ = saved_d;
    flags_in_slot_ = saved_in_slot;
    mem_lookups_ = saved_lookups;  // the statistic counts the lookups of the main path
  });
}

bool Emitter::emit_grouped_mem_operand(const ZydisDecodedOperand& op, bool write,
                                       const x86::Gp& host) {
  if (index_ >= groups_.size()) return false;
  const MemGroupRole& role = groups_[index_];
  if (role.kind == MemGroupRole::kNone) return false;
  const int32_t delta = static_cast<int32_t>(op.mem.disp.value) - role.min_disp;  // 0..127
  const int32_t slot = group_host_off(role.reg);
  // The slot is only trusted if the leader's check was really emitted (not every
  // kIdent instruction reaches here) and no helper call came in between (an
  // instruction can also fall back to one at emission).
  if (role.kind == MemGroupRole::kMember) {
    if (probe_emitted_[role.reg] != static_cast<int>(role.leader)) return false;
    for (size_t k = role.leader; k < index_; k++)
      if (plans_[k] == Plan::kHelper) return false;
  }
  ensure_fault_flags();  // no flag is live, but a fault must see them
  Label own = a_.newLabel(), done = a_.newLabel();
  if (role.kind == MemGroupRole::kLeader) {
    a_.mov(x86::qword_ptr(x86::rbp, slot), 0);
    ZydisDecodedOperand range = op;
    range.mem.disp.value = role.min_disp;
    emit_linear(range);
    emit_tlb_hit(role.range_bytes, role.write, host, own);
    mem_lookups_++;
    a_.mov(x86::qword_ptr(x86::rbp, slot), host);
    probe_emitted_[role.reg] = static_cast<int>(index_);
  } else {
    b_.grouped_accesses++;
    a_.mov(host, x86::qword_ptr(x86::rbp, slot));
    a_.test(host, host);
    a_.jz(own);
  }
  if (delta) a_.lea(host, x86::ptr(host, delta));
  a_.bind(done);
  emit_own_lookup_out_of_line(op, write, host, own, done);
  return true;
}

}  // namespace kasou::jit
