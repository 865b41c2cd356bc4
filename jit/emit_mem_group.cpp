// Grouped memory operands: one TLB lookup for several [base + disp] accesses of a
// block that use the same base register while it keeps its value (the stack
// frame and structure fields of compiled code: [ebp-0x10], [ebp-0x14], [esp+4]).
//
// The first access of a group (the leader) looks up the whole byte range the
// group touches, [base + min_disp, base + max_end], with the ordinary inline TLB
// lookup: one tag compare says the range lies in one page that the TLB holds with
// the permission the group needs (write if any member writes). On a hit the host
// address of base + min_disp goes to JitScratch::group_host[base]; every later
// member then finds its host address there, base register untouched, with three
// instructions instead of a lookup. A leader that misses leaves the slot 0 and
// runs in the reference implementation (the probe must not fill the TLB or set
// accessed/dirty bits for bytes that only later instructions touch); members seeing
// 0 do their own lookup out of line. Members are only accesses where no guest
// flag is live (their test clobbers EFLAGS); the others look up as usual.
#include "jit/emitter.h"

#include "jit/block_key.h"

namespace kasou::jit {

using namespace asmjit;

namespace {

constexpr int32_t kMaxGroupBytes = 128;  // the range a leader probes (fits MemSite::size_bytes)

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
    if (op.type != ZYDIS_OPERAND_TYPE_REGISTER || !(op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) continue;
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
  if (mode_ & mode_bit::kAlignCheck) return;  // the probe's size is no access size
  struct Open {
    int leader = -1;  // instruction index
    int32_t lo = 0, hi = 0;
    bool write = false;
    std::vector<size_t> members;
  };
  Open open[8];
  auto close = [&](int reg) {
    Open& g = open[reg];
    if (g.leader >= 0 && !g.members.empty()) {
      MemGroupRole& lead = groups_[static_cast<size_t>(g.leader)];
      lead.kind = MemGroupRole::kLeader;
      lead.range_bytes = static_cast<uint8_t>(g.hi - g.lo + 1);
      lead.write = g.write;
      for (size_t i : g.members) groups_[i].kind = MemGroupRole::kMember;
      for (size_t i : g.members) groups_[i].leader = static_cast<uint32_t>(g.leader);
      for (size_t i : g.members) groups_[i].min_disp = g.lo;
      for (size_t i : g.members) groups_[i].reg = static_cast<uint8_t>(reg);
      lead.leader = static_cast<uint32_t>(g.leader);
      lead.min_disp = g.lo;
      lead.reg = static_cast<uint8_t>(reg);
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
    if (plans_[i] == Plan::kIdent && mem_count == 1) {
      const ZydisDecodedOperand& op = d.ops[mem];
      // A [base + disp] operand with a 32-bit base register, in a flat segment.
      const bool candidate = d.address_bits() == 32 && op.mem.base >= ZYDIS_REGISTER_EAX &&
                             op.mem.base <= ZYDIS_REGISTER_EDI && op.mem.index == ZYDIS_REGISTER_NONE &&
                             op.mem.segment != ZYDIS_REGISTER_FS && op.mem.segment != ZYDIS_REGISTER_GS &&
                             mem_inline_ok(d, op);
      if (candidate) {
        const int reg = gpr_index(op.mem.base);
        const int32_t lo = static_cast<int32_t>(op.mem.disp.value);
        const int32_t hi = lo + static_cast<int32_t>(op.size / 8) - 1;
        const bool write = (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0;
        Open& g = open[reg];
        const int32_t nlo = std::min(g.lo, lo), nhi = std::max(g.hi, hi);
        if (g.leader >= 0 && live_in_[i] != 0) {
          // A flag is live here: this access looks up on its own, the group goes on.
        } else if (g.leader >= 0 && nhi - nlo + 1 <= kMaxGroupBytes) {
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

bool Emitter::emit_grouped_mem_operand(const ZydisDecodedOperand& op, bool write, const x86::Gp& host) {
  if (index_ >= groups_.size()) return false;
  const MemGroupRole& role = groups_[index_];
  if (role.kind == MemGroupRole::kNone) return false;
  const int32_t delta = static_cast<int32_t>(op.mem.disp.value) - role.min_disp;
  const int32_t slot = group_host_off(role.reg);
  if (role.kind == MemGroupRole::kLeader) {
    // Probe the group's range; the slot stays 0 unless the probe hits inline.
    a_.mov(x86::qword_ptr(x86::rbp, slot), 0);
    ZydisDecodedOperand range = op;
    range.mem.disp.value = role.min_disp;
    emit_linear(range);
    emit_lookup(role.range_bytes, role.write, host);
    b_.mem_sites.back().group_probe = 1;
    a_.mov(x86::qword_ptr(x86::rbp, slot), host);
    if (delta) a_.lea(host, x86::ptr(host, delta));
    return true;
  }
  // The leader's code is only there if it was emitted inline, and the slot only
  // trusted if no helper call came in between (a fallback to one, too).
  for (size_t k = role.leader; k < index_; k++)
    if (plans_[k] == Plan::kHelper) return false;
  // Member: no flag is live here, but a fault in the out-of-line lookup must see them.
  ensure_fault_flags();
  b_.grouped_accesses++;
  Label own = a_.newLabel(), back = a_.newLabel();
  a_.mov(host, x86::qword_ptr(x86::rbp, slot));
  a_.test(host, host);
  a_.jz(own);
  if (delta) a_.lea(host, x86::ptr(host, delta));
  a_.bind(back);
  const size_t at = index_;
  const DecodedInsn* insn = d_;
  cold_.push_back([this, op, write, host, own, back, at, insn] {
    // The instruction's own lookup, emitted out of line in its context.
    const size_t saved_index = index_;
    const DecodedInsn* saved_d = d_;
    const bool saved_in_slot = flags_in_slot_;
    const uint32_t saved_lookups = mem_lookups_;
    index_ = at;
    d_ = insn;
    flags_in_slot_ = true;  // ensure_fault_flags() ran on the main path
    a_.bind(own);
    emit_linear(op);
    emit_lookup(op.size / 8, write, host);
    a_.jmp(back);
    index_ = saved_index;
    d_ = saved_d;
    flags_in_slot_ = saved_in_slot;
    mem_lookups_ = saved_lookups;  // the statistic counts the inline path's lookups
  });
  return true;
}

}  // namespace kasou::jit
