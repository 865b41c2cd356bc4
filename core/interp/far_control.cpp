// Far control transfers: JMP and CALL to ptr16:16/32 or m16:16/32, RETF [imm16],
// IRET/IRETD (Intel SDM vol. 2 JMP, CALL, RET, IRET; vol. 3 chapters 5 to 7).
//
// Real mode and VM86 load CS as a real-mode segment. Protected mode goes through
// the descriptor: a code segment (conforming or not), a call gate (CALL to a more
// privileged segment switches to the stack named by the TSS and copies the gate's
// parameters), a task gate or a TSS (a task switch, core/task_switch.cpp).
//
// Precision: every check (descriptors, stack limits, pages of every stack slot,
// target EIP against the new CS limit) is made before the first architectural
// effect; stores are planned in a StackStores, probed, and written only when
// nothing can fault any more. Only the accessed bits of the loaded descriptors are
// written just before the commit (as the CPU does when it loads them). Task
// switches have their own commit point, after which faults belong to the new task.
#include "core/interp/far_control.h"

#include <array>

#include "core/fault.h"
#include "core/interp/handlers.h"
#include "core/interp/operand_access.h"
#include "core/mmu.h"
#include "core/segmentation.h"
#include "core/task_switch.h"

namespace kasou {
namespace {

// System descriptor types (S = 0) that far JMP/CALL/IRET deal with.
namespace sys {
inline constexpr unsigned kTss16 = 0x1, kBusyTss16 = 0x3, kCallGate16 = 0x4, kTaskGate = 0x5, kTss32 = 0x9,
                          kBusyTss32 = 0xB, kCallGate32 = 0xC;
}  // namespace sys

bool protected_mode(const CpuState& s) { return (s.cr0 & cr0::PE) && !(s.rflags & flag::VM); }
bool is_null(uint16_t sel) { return (sel & 0xFFFC) == 0; }
uint16_t sel_err(uint16_t sel) { return sel & 0xFFFC; }
unsigned iopl(const CpuState& s) { return (s.rflags & flag::IOPL) >> 12; }

struct Descriptor {
  uint64_t raw;
  SegmentCache c;

  unsigned type() const { return c.attr & seg_attr::kTypeMask; }
  bool system() const { return !(c.attr & seg_attr::kS); }
  bool code() const { return !system() && (c.attr & seg_attr::kCode); }
  bool conforming() const { return c.attr & seg_attr::kConforming; }
  bool writable_data() const {
    return !system() && !(c.attr & seg_attr::kCode) && (c.attr & seg_attr::kWritable);
  }
  unsigned dpl() const { return (c.attr & seg_attr::kDplMask) >> seg_attr::kDplShift; }
  bool present() const { return c.attr & seg_attr::kPresent; }
  // Gates.
  bool gate32() const { return type() == sys::kCallGate32; }
  uint16_t gate_selector() const { return static_cast<uint16_t>(raw >> 16); }
  uint32_t gate_offset() const {
    const uint32_t low = static_cast<uint32_t>(raw & 0xFFFF);
    return gate32() ? (low | static_cast<uint32_t>((raw >> 32) & 0xFFFF0000u)) : low;
  }
  unsigned gate_params() const { return static_cast<unsigned>((raw >> 32) & 0x1F); }
};

Descriptor fetch(Vcpu& v, uint16_t sel, uint8_t vector = vec::GP) {
  const uint64_t raw = read_descriptor(v, sel, vector);
  return Descriptor{raw, descriptor_to_cache(raw, sel)};
}

void set_accessed(Vcpu& v, SegmentCache& c) {
  if (c.attr & seg_attr::kAccessed) return;
  c.attr |= seg_attr::kAccessed;
  write_descriptor_byte5(v, c.selector, static_cast<uint8_t>(c.attr & 0xFF));
}

// ---------------------------------------------------------------------------------
// Stack stores planned before the commit.

class StackStores {
 public:
  void add(uint64_t linear, uint32_t value, unsigned size, bool supervisor) {
    slots_[n_++] = Slot{linear, value, static_cast<uint8_t>(size), supervisor};
  }
  // Walks the pages of every slot for writing, and checks the alignment of the
  // stores made with the current privilege (#AC): the stores cannot fault afterwards.
  void probe(Vcpu& v) const {
    for (unsigned i = 0; i < n_; i++) {
      const Slot& st = slots_[i];
      mmu_translate(v, st.linear, Access::kWrite, st.supervisor);
      const uint64_t last = (st.linear + st.size - 1) & 0xFFFFFFFFull;
      if ((last >> kPageShift) != (st.linear >> kPageShift)) mmu_translate(v, last, Access::kWrite, st.supervisor);
      if (!st.supervisor) mmu_check_alignment(v, st.linear, st.size, st.size, Access::kWrite);
    }
  }
  void commit(Vcpu& v) const {
    for (unsigned i = 0; i < n_; i++) mmu_write(v, slots_[i].linear, slots_[i].value, slots_[i].size, slots_[i].supervisor);
  }

 private:
  struct Slot {
    uint64_t linear;
    uint32_t value;
    uint8_t size;
    bool supervisor;
  };
  std::array<Slot, 4 + 31 + 2> slots_{};  // SS, ESP, up to 31 parameters, CS, EIP
  unsigned n_ = 0;
};

uint32_t sp_minus(uint32_t esp, unsigned n, bool big) {
  return big ? esp - n : ((esp & 0xFFFF0000u) | ((esp - n) & 0xFFFF));
}
uint32_t sp_offset(uint32_t esp, bool big) { return big ? esp : (esp & 0xFFFF); }

// Pushes on the current stack (SS:ESP), with SS's checks (#SS(0)).
class CurrentStack {
 public:
  explicit CurrentStack(Vcpu& v)
      : v_(v), big_(v.s.seg[kSs].attr & seg_attr::kDb), sp_(static_cast<uint32_t>(v.s.gpr[kRsp])) {}
  void push(StackStores& st, uint32_t value, unsigned size) {
    sp_ = sp_minus(sp_, size, big_);
    st.add(seg_linear(v_, kSs, sp_offset(sp_, big_), size, Access::kWrite), value, size, false);
  }
  uint32_t esp() const { return sp_; }

 private:
  Vcpu& v_;
  bool big_;
  uint32_t sp_;
};

// Pushes on a stack that is not SS yet (the inner stack of a call gate): limit
// checks against its descriptor raise #SS(its selector); the stores are made with
// supervisor rights (the new privilege is always 0 to 2).
class NewStack {
 public:
  NewStack(const SegmentCache& ss, uint32_t esp) : ss_(ss), big_(ss.attr & seg_attr::kDb), sp_(esp) {}
  void push(StackStores& st, uint32_t value, unsigned size) {
    sp_ = sp_minus(sp_, size, big_);
    const uint64_t off = sp_offset(sp_, big_);
    const uint64_t last = off + size - 1;
    bool ok;
    if (ss_.attr & seg_attr::kExpandDown) ok = off > ss_.limit && last <= (big_ ? 0xFFFFFFFFull : 0xFFFFull);
    else ok = last <= ss_.limit;
    if (!ok) raise_fault(vec::SS, sel_err(ss_.selector));
    st.add((ss_.base + off) & 0xFFFFFFFFull, value, size, true);
  }
  uint32_t esp() const { return sp_; }

 private:
  const SegmentCache& ss_;
  bool big_;
  uint32_t sp_;
};

// ---------------------------------------------------------------------------------
// Operands and commits shared by the forms.

struct FarPointer {
  uint16_t selector;
  uint32_t offset;
};

// ptr16:16/ptr16:32 immediate, or m16:16/m16:32 in memory (offset, then selector).
FarPointer far_operand(Vcpu& v, const DecodedInsn& d) {
  const ZydisDecodedOperand& op = d.ops[0];
  if (op.type == ZYDIS_OPERAND_TYPE_POINTER) return {op.ptr.segment, op.ptr.offset};
  if (op.type != ZYDIS_OPERAND_TYPE_MEMORY) raise_fault(vec::UD);
  const unsigned n = d.operand_bits() / 8;
  const uint64_t lin = seg_linear(v, seg_of(op.mem.segment), effective_address(v.s, d, op), n + 2, Access::kRead);
  const uint32_t offset = static_cast<uint32_t>(mmu_read(v, lin, n));
  const uint16_t selector = static_cast<uint16_t>(mmu_read(v, lin + n, 2));
  return {selector, offset};
}

uint32_t cut(uint32_t eip, unsigned bits) { return bits == 16 ? (eip & 0xFFFF) : eip; }

// Loads CS (with RPL = the new CPL) and EIP.
void enter_code(Vcpu& v, SegmentCache cs, unsigned cpl, uint32_t eip) {
  cs.selector = static_cast<uint16_t>((cs.selector & 0xFFFC) | cpl);
  v.s.seg[kCs] = cs;
  v.s.cpl = static_cast<uint8_t>(cpl);
  v.s.rip = eip;
}

// CS in real mode keeps its cached limit and attributes; in VM86 it is the fixed
// VM86 segment.
SegmentCache real_cs(const CpuState& s, uint16_t sel) {
  return (s.rflags & flag::VM) ? vm86_segment(sel, true) : real_mode_segment(sel, s.seg[kCs]);
}

void switch_task(Vcpu& v, uint16_t tss_sel, uint64_t desc, TaskSwitchSource source, uint32_t return_eip) {
  TaskSwitchRequest rq;
  rq.selector = tss_sel;
  rq.descriptor = desc;
  rq.source = source;
  rq.return_eip = return_eip;
  task_switch(v, rq);
}

// ---------------------------------------------------------------------------------
// Protected-mode checks shared by JMP and CALL.

// A code segment named directly by JMP/CALL.
void check_direct_code(const Descriptor& cd, uint16_t sel, unsigned cpl) {
  const unsigned rpl = sel & 3;
  if (!cd.code()) raise_fault(vec::GP, sel_err(sel));
  if (cd.conforming() ? cd.dpl() > cpl : (rpl > cpl || cd.dpl() != cpl)) raise_fault(vec::GP, sel_err(sel));
  if (!cd.present()) raise_fault(vec::NP, sel_err(sel));
}

// A call or task gate named by JMP/CALL: DPL >= max(CPL, RPL), present.
void check_gate(const Descriptor& g, uint16_t sel, unsigned cpl) {
  if (g.dpl() < cpl || g.dpl() < (sel & 3u)) raise_fault(vec::GP, sel_err(sel));
  if (!g.present()) raise_fault(vec::NP, sel_err(sel));
}

// A TSS named by JMP/CALL: DPL >= max(CPL, RPL), not busy, present.
void check_direct_tss(const Descriptor& t, uint16_t sel, unsigned cpl) {
  const bool busy = t.type() == sys::kBusyTss16 || t.type() == sys::kBusyTss32;
  if (t.dpl() < cpl || t.dpl() < (sel & 3u) || busy) raise_fault(vec::GP, sel_err(sel));
  if (!t.present()) raise_fault(vec::NP, sel_err(sel));
}

// The code segment of a call gate. JMP may only reach the same privilege (a
// conforming segment with DPL <= CPL, a non-conforming one with DPL = CPL); CALL
// any segment with DPL <= CPL.
Descriptor call_gate_code(Vcpu& v, const Descriptor& gate, unsigned cpl, bool jmp) {
  const uint16_t sel = gate.gate_selector();
  if (is_null(sel)) raise_fault(vec::GP, 0);
  Descriptor cd = fetch(v, sel);
  bool bad = !cd.code();
  if (!bad) bad = (jmp && !cd.conforming()) ? cd.dpl() != cpl : cd.dpl() > cpl;
  if (bad) raise_fault(vec::GP, sel_err(sel));
  if (!cd.present()) raise_fault(vec::NP, sel_err(sel));
  return cd;
}

// ---------------------------------------------------------------------------------
// JMP far.

void pm_far_jmp(Vcpu& v, const DecodedInsn& d, const FarPointer& p) {
  const unsigned cpl = v.s.cpl;
  if (is_null(p.selector)) raise_fault(vec::GP, 0);
  Descriptor t = fetch(v, p.selector);
  if (!t.system()) {
    check_direct_code(t, p.selector, cpl);
    const uint32_t eip = cut(p.offset, d.operand_bits());
    if (eip > t.c.limit) raise_fault(vec::GP, 0);
    set_accessed(v, t.c);
    enter_code(v, t.c, cpl, eip);
    return;
  }
  switch (t.type()) {
    case sys::kCallGate16:
    case sys::kCallGate32: {
      check_gate(t, p.selector, cpl);
      Descriptor cd = call_gate_code(v, t, cpl, true);
      const uint32_t eip = t.gate_offset();
      if (eip > cd.c.limit) raise_fault(vec::GP, 0);
      set_accessed(v, cd.c);
      enter_code(v, cd.c, cpl, eip);
      return;
    }
    case sys::kTaskGate: {
      check_gate(t, p.selector, cpl);
      const uint16_t tss_sel = t.gate_selector();
      switch_task(v, tss_sel, task_gate_tss(v, tss_sel, 0), TaskSwitchSource::kJmp, d.next_eip());
      return;
    }
    case sys::kTss16:
    case sys::kTss32:
    case sys::kBusyTss16:
    case sys::kBusyTss32:
      check_direct_tss(t, p.selector, cpl);
      switch_task(v, p.selector, t.raw, TaskSwitchSource::kJmp, d.next_eip());
      return;
    default:
      raise_fault(vec::GP, sel_err(p.selector));
  }
}

void real_far_jmp(Vcpu& v, const DecodedInsn& d, const FarPointer& p) {
  const SegmentCache cs = real_cs(v.s, p.selector);
  const uint32_t eip = cut(p.offset, d.operand_bits());
  if (eip > cs.limit) raise_fault(vec::GP, 0);
  v.s.seg[kCs] = cs;
  v.s.rip = eip;
}

// ---------------------------------------------------------------------------------
// CALL far.

// CALL through a call gate to a more privileged non-conforming segment: the stack
// for the new CPL comes from the TSS; the caller's SS:ESP, the gate's parameters
// (copied from the caller's stack) and CS:EIP are pushed on it, with the gate's
// width.
void call_gate_inner(Vcpu& v, const DecodedInsn& d, const Descriptor& gate, Descriptor cd) {
  CpuState& s = v.s;
  const unsigned new_cpl = cd.dpl();
  const unsigned size = gate.gate32() ? 4 : 2;

  const bool tss32 = tss_is_32bit(s.tr.attr);
  const uint32_t off = tss32 ? new_cpl * 8 + 4 : new_cpl * 4 + 2;
  if (off + (tss32 ? 7 : 3) > s.tr.limit) raise_fault(vec::TS, sel_err(s.tr.selector));
  const uint32_t new_esp = static_cast<uint32_t>(mmu_read(v, s.tr.base + off, tss32 ? 4 : 2, true));
  const uint16_t ss_sel = static_cast<uint16_t>(mmu_read(v, s.tr.base + off + (tss32 ? 4 : 2), 2, true));
  if (is_null(ss_sel)) raise_fault(vec::TS, sel_err(ss_sel));
  Descriptor sd = fetch(v, ss_sel, vec::TS);
  if ((ss_sel & 3u) != new_cpl || sd.dpl() != new_cpl || !sd.writable_data()) raise_fault(vec::TS, sel_err(ss_sel));
  if (!sd.present()) raise_fault(vec::SS, sel_err(ss_sel));

  // The parameters, read from the caller's stack before anything changes.
  const unsigned count = gate.gate_params();
  uint32_t params[31];
  for (unsigned i = 0; i < count; i++) params[i] = static_cast<uint32_t>(stack_read(v, i * size, size));

  StackStores st;
  NewStack ns(sd.c, new_esp);
  ns.push(st, s.seg[kSs].selector, size);
  ns.push(st, static_cast<uint32_t>(s.gpr[kRsp]), size);
  for (unsigned i = count; i-- > 0;) ns.push(st, params[i], size);
  ns.push(st, s.seg[kCs].selector, size);
  ns.push(st, d.next_eip(), size);
  const uint32_t eip = gate.gate_offset();
  if (eip > cd.c.limit) raise_fault(vec::GP, 0);
  st.probe(v);
  set_accessed(v, sd.c);
  set_accessed(v, cd.c);

  st.commit(v);
  s.seg[kSs] = sd.c;
  s.gpr[kRsp] = ns.esp();
  enter_code(v, cd.c, new_cpl, eip);
}

// Pushes CS:EIP (`size` bytes each) on the current stack and enters `cs` at the
// same privilege.
void call_same_privilege(Vcpu& v, const DecodedInsn& d, SegmentCache cs, uint32_t eip, unsigned size) {
  CpuState& s = v.s;
  StackStores st;
  CurrentStack cur(v);
  cur.push(st, s.seg[kCs].selector, size);
  cur.push(st, d.next_eip(), size);
  if (eip > cs.limit) raise_fault(vec::GP, 0);
  st.probe(v);
  set_accessed(v, cs);
  st.commit(v);
  s.gpr[kRsp] = cur.esp();
  enter_code(v, cs, s.cpl, eip);
}

void pm_far_call(Vcpu& v, const DecodedInsn& d, const FarPointer& p) {
  const unsigned cpl = v.s.cpl;
  if (is_null(p.selector)) raise_fault(vec::GP, 0);
  Descriptor t = fetch(v, p.selector);
  if (!t.system()) {
    check_direct_code(t, p.selector, cpl);
    call_same_privilege(v, d, t.c, cut(p.offset, d.operand_bits()), d.operand_bits() / 8);
    return;
  }
  switch (t.type()) {
    case sys::kCallGate16:
    case sys::kCallGate32: {
      check_gate(t, p.selector, cpl);
      Descriptor cd = call_gate_code(v, t, cpl, false);
      if (!cd.conforming() && cd.dpl() < cpl) call_gate_inner(v, d, t, cd);
      else call_same_privilege(v, d, cd.c, t.gate_offset(), t.gate32() ? 4 : 2);
      return;
    }
    case sys::kTaskGate: {
      check_gate(t, p.selector, cpl);
      const uint16_t tss_sel = t.gate_selector();
      switch_task(v, tss_sel, task_gate_tss(v, tss_sel, 0), TaskSwitchSource::kCall, d.next_eip());
      return;
    }
    case sys::kTss16:
    case sys::kTss32:
    case sys::kBusyTss16:
    case sys::kBusyTss32:
      check_direct_tss(t, p.selector, cpl);
      switch_task(v, p.selector, t.raw, TaskSwitchSource::kCall, d.next_eip());
      return;
    default:
      raise_fault(vec::GP, sel_err(p.selector));
  }
}

void real_far_call(Vcpu& v, const DecodedInsn& d, const FarPointer& p) {
  CpuState& s = v.s;
  const unsigned size = d.operand_bits() / 8;
  StackStores st;
  CurrentStack cur(v);
  cur.push(st, s.seg[kCs].selector, size);  // a 32-bit push zero-extends the selector
  cur.push(st, d.next_eip(), size);
  const SegmentCache cs = real_cs(s, p.selector);
  const uint32_t eip = cut(p.offset, d.operand_bits());
  if (eip > cs.limit) raise_fault(vec::GP, 0);
  st.probe(v);
  st.commit(v);
  s.gpr[kRsp] = cur.esp();
  s.seg[kCs] = cs;
  s.rip = eip;
}

// ---------------------------------------------------------------------------------
// RETF and IRET in protected mode.

// The CS popped by RETF/IRET: a present code segment with RPL >= CPL, DPL = RPL
// (non-conforming) or DPL <= RPL (conforming).
Descriptor return_code(Vcpu& v, uint16_t sel, unsigned cpl) {
  if (is_null(sel)) raise_fault(vec::GP, 0);
  Descriptor cd = fetch(v, sel);
  const unsigned rpl = sel & 3;
  if (!cd.code() || rpl < cpl) raise_fault(vec::GP, sel_err(sel));
  if (cd.conforming() ? cd.dpl() > rpl : cd.dpl() != rpl) raise_fault(vec::GP, sel_err(sel));
  if (!cd.present()) raise_fault(vec::NP, sel_err(sel));
  return cd;
}

// The SS popped on a return to an outer level `rpl`: a present writable data
// segment with RPL = DPL = rpl.
Descriptor return_stack(Vcpu& v, uint16_t sel, unsigned rpl) {
  if (is_null(sel)) raise_fault(vec::GP, 0);
  Descriptor sd = fetch(v, sel);
  if ((sel & 3u) != rpl || !sd.writable_data() || sd.dpl() != rpl) raise_fault(vec::GP, sel_err(sel));
  if (!sd.present()) raise_fault(vec::SS, sel_err(sel));
  return sd;
}

// Commit of a return to an outer privilege level: CS:EIP, SS:ESP (then `release`
// more bytes of the outer stack), and the data segment registers the outer level
// may not use become null.
void return_to_outer(Vcpu& v, const SegmentCache& cs, const SegmentCache& ss, unsigned new_cpl, uint32_t eip,
                     uint32_t esp, uint32_t release) {
  CpuState& s = v.s;
  enter_code(v, cs, new_cpl, eip);
  s.seg[kSs] = ss;
  if (ss.attr & seg_attr::kDb) s.gpr[kRsp] = esp;
  else s.gpr[kRsp] = (s.gpr[kRsp] & ~0xFFFFull) | (esp & 0xFFFF);
  stack_adjust(s, release);
  for (SegReg r : {kEs, kDs, kFs, kGs}) {
    const SegmentCache& c = s.seg[r];
    const unsigned dpl = (c.attr & seg_attr::kDplMask) >> seg_attr::kDplShift;
    const bool data_or_nonconforming = !(c.attr & seg_attr::kCode) || !(c.attr & seg_attr::kConforming);
    if (is_null(c.selector) || (dpl < new_cpl && data_or_nonconforming)) s.seg[r] = SegmentCache{0, 0, 0, 0};
  }
}

void pm_far_ret(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  const unsigned cpl = s.cpl;
  const unsigned size = d.operand_bits() / 8;
  const uint32_t release = d.zi.operand_count_visible ? static_cast<uint32_t>(d.ops[0].imm.value.u & 0xFFFF) : 0;
  const uint32_t eip = static_cast<uint32_t>(stack_read(v, 0, size));
  const uint16_t cs_sel = static_cast<uint16_t>(stack_read(v, size, size));
  Descriptor cd = return_code(v, cs_sel, cpl);
  const unsigned rpl = cs_sel & 3;
  if (rpl == cpl) {
    if (eip > cd.c.limit) raise_fault(vec::GP, 0);
    set_accessed(v, cd.c);
    stack_adjust(s, 2 * size + release);
    enter_code(v, cd.c, cpl, eip);
    return;
  }
  const uint32_t esp = static_cast<uint32_t>(stack_read(v, 2 * size + release, size));
  const uint16_t ss_sel = static_cast<uint16_t>(stack_read(v, 3 * size + release, size));
  Descriptor sd = return_stack(v, ss_sel, rpl);
  if (eip > cd.c.limit) raise_fault(vec::GP, 0);
  set_accessed(v, cd.c);
  set_accessed(v, sd.c);
  return_to_outer(v, cd.c, sd.c, rpl, eip, esp, release);
}

void real_far_ret(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  const unsigned size = d.operand_bits() / 8;
  const uint32_t release = d.zi.operand_count_visible ? static_cast<uint32_t>(d.ops[0].imm.value.u & 0xFFFF) : 0;
  const uint32_t eip = static_cast<uint32_t>(stack_read(v, 0, size));
  const uint16_t sel = static_cast<uint16_t>(stack_read(v, size, size));
  const SegmentCache cs = real_cs(s, sel);
  if (eip > cs.limit) raise_fault(vec::GP, 0);
  stack_adjust(s, 2 * size + release);
  s.seg[kCs] = cs;
  s.rip = eip;
}

// IRET with NT = 1: back to the task named by the current TSS's back link, which
// must be a busy TSS in the GDT (#TS otherwise, #NP when not present).
void task_return(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  const uint16_t link = static_cast<uint16_t>(mmu_read(v, s.tr.base, 2, true));
  if ((link & 4) || is_null(link)) raise_fault(vec::TS, sel_err(link));
  Descriptor t = fetch(v, link, vec::TS);
  if (!t.system() || (t.type() != sys::kBusyTss16 && t.type() != sys::kBusyTss32)) raise_fault(vec::TS, sel_err(link));
  if (!t.present()) raise_fault(vec::NP, sel_err(link));
  s.nmi_blocked = 0;
  switch_task(v, link, t.raw, TaskSwitchSource::kIret, d.next_eip());
}

// IRETD at CPL 0 with VM set in the popped EFLAGS: the rest of the frame is ESP,
// SS, ES, DS, FS, GS (32 bits each); every segment becomes a VM86 segment, CPL 3.
void iret_to_vm86(Vcpu& v, uint32_t eip, uint16_t cs_sel, uint32_t eflags) {
  CpuState& s = v.s;
  uint32_t rest[6];  // ESP, SS, ES, DS, FS, GS
  for (unsigned i = 0; i < 6; i++) rest[i] = static_cast<uint32_t>(stack_read(v, 12 + 4 * i, 4));
  if (eip > 0xFFFF) raise_fault(vec::GP, 0);
  write_eflags(v, eflags, 0xFFFFFFFFu);
  s.seg[kCs] = vm86_segment(cs_sel, true);
  s.seg[kSs] = vm86_segment(static_cast<uint16_t>(rest[1]), false);
  s.seg[kEs] = vm86_segment(static_cast<uint16_t>(rest[2]), false);
  s.seg[kDs] = vm86_segment(static_cast<uint16_t>(rest[3]), false);
  s.seg[kFs] = vm86_segment(static_cast<uint16_t>(rest[4]), false);
  s.seg[kGs] = vm86_segment(static_cast<uint16_t>(rest[5]), false);
  s.gpr[kRsp] = rest[0];
  s.cpl = 3;
  s.rip = eip;
  s.nmi_blocked = 0;
}

void pm_iret(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  if (s.rflags & flag::NT) return task_return(v, d);
  const unsigned cpl = s.cpl;
  const unsigned size = d.operand_bits() / 8;
  const uint32_t eip = static_cast<uint32_t>(stack_read(v, 0, size));
  const uint16_t cs_sel = static_cast<uint16_t>(stack_read(v, size, size));
  const uint32_t eflags = static_cast<uint32_t>(stack_read(v, 2 * size, size));
  if (size == 4 && (eflags & flag::VM) && cpl == 0) return iret_to_vm86(v, eip, cs_sel, eflags);

  Descriptor cd = return_code(v, cs_sel, cpl);
  const unsigned rpl = cs_sel & 3;
  // What the popped image may change, decided by the CPL and IOPL before the
  // return: IF only when CPL <= IOPL, IOPL (and VIF/VIP) only at CPL 0; VM never
  // here (the VM86 return is above).
  uint32_t mask = flag::kArith | flag::TF | flag::DF | flag::NT;
  if (size == 4) mask |= flag::RF | flag::AC | flag::ID;
  if (cpl <= iopl(s)) mask |= flag::IF;
  if (cpl == 0) mask |= flag::IOPL | (size == 4 ? (flag::VIF | flag::VIP) : 0);

  if (rpl == cpl) {
    if (eip > cd.c.limit) raise_fault(vec::GP, 0);
    set_accessed(v, cd.c);
    stack_adjust(s, 3 * size);
    enter_code(v, cd.c, cpl, eip);
  } else {
    const uint32_t esp = static_cast<uint32_t>(stack_read(v, 3 * size, size));
    const uint16_t ss_sel = static_cast<uint16_t>(stack_read(v, 4 * size, size));
    Descriptor sd = return_stack(v, ss_sel, rpl);
    if (eip > cd.c.limit) raise_fault(vec::GP, 0);
    set_accessed(v, cd.c);
    set_accessed(v, sd.c);
    return_to_outer(v, cd.c, sd.c, rpl, eip, esp, 0);
  }
  s.nmi_blocked = 0;
  write_eflags(v, eflags, mask);
}

// IRET in real mode, and in VM86 with IOPL 3 (without CR4.VME, IOPL < 3 is #GP(0)).
void real_iret(Vcpu& v, const DecodedInsn& d) {
  CpuState& s = v.s;
  const bool vm86 = s.rflags & flag::VM;
  if (vm86 && iopl(s) < 3) raise_fault(vec::GP, 0);
  const unsigned size = d.operand_bits() / 8;
  const uint32_t eip = static_cast<uint32_t>(stack_read(v, 0, size));
  const uint16_t sel = static_cast<uint16_t>(stack_read(v, size, size));
  const uint32_t eflags = static_cast<uint32_t>(stack_read(v, 2 * size, size));
  const SegmentCache cs = real_cs(s, sel);
  if (eip > cs.limit) raise_fault(vec::GP, 0);
  // 32-bit: everything but VM, VIF, VIP (and the reserved bits); 16-bit: FLAGS.
  // VM86 keeps its IOPL.
  uint32_t mask = size == 4 ? 0x00257FD5u : 0xFFFFu;
  if (vm86) mask &= ~flag::IOPL;
  stack_adjust(s, 3 * size);
  s.seg[kCs] = cs;
  s.rip = eip;
  s.nmi_blocked = 0;
  write_eflags(v, eflags, mask);
}

}  // namespace

void far_jmp(Vcpu& v, const DecodedInsn& d) {
  const FarPointer p = far_operand(v, d);
  if (protected_mode(v.s)) pm_far_jmp(v, d, p);
  else real_far_jmp(v, d, p);
}

void far_call(Vcpu& v, const DecodedInsn& d) {
  const FarPointer p = far_operand(v, d);
  if (protected_mode(v.s)) pm_far_call(v, d, p);
  else real_far_call(v, d, p);
}

void far_ret(Vcpu& v, const DecodedInsn& d) {
  if (protected_mode(v.s)) pm_far_ret(v, d);
  else real_far_ret(v, d);
}

void iret(Vcpu& v, const DecodedInsn& d) {
  if (protected_mode(v.s)) pm_iret(v, d);
  else real_iret(v, d);
}

void register_far_control_handlers(HandlerTable& t) {
  t.by_mnemonic[ZYDIS_MNEMONIC_IRET] = iret;
  t.by_mnemonic[ZYDIS_MNEMONIC_IRETD] = iret;
}

}  // namespace kasou
