// Exception and interrupt delivery (real mode IVT, protected-mode IDT gates),
// with #DF escalation and triple fault.
#include "core/exceptions.h"

#include <fmt/format.h>

#include "core/machine.h"
#include "core/mmu.h"
#include "core/segmentation.h"
#include "core/task_switch.h"

namespace kasou {

const char* exception_name(uint8_t vector) {
  static const char* const kNames[32] = {
      "DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS", "NP", "SS", "GP", "PF", "15",
      "MF", "AC", "MC", "XM", "VE", "21", "22", "23", "24", "25", "26", "27", "28", "29", "SX", "31"};
  return vector < 32 ? kNames[vector] : "INT";
}

namespace {

bool is_contributory(uint8_t v) { return v == 0 || (v >= 10 && v <= 13); }

// Pushes on the current stack (SS:ESP) with the stack's address size.
void push(Vcpu& v, uint32_t value, unsigned size_bytes) {
  CpuState& s = v.s;
  const bool big = s.seg[kSs].attr & seg_attr::kDb;
  uint32_t sp = static_cast<uint32_t>(s.gpr[kRsp]);
  uint32_t nsp = big ? sp - size_bytes : ((sp & 0xFFFF0000u) | ((sp - size_bytes) & 0xFFFF));
  // Not alignment-checked: a same-privilege delivery at CPL 3 with a misaligned
  // stack would otherwise raise #AC while delivering #AC forever (the SDM does not
  // say that event delivery is checked).
  const uint64_t lin = seg_linear(v, kSs, big ? nsp : (nsp & 0xFFFF), size_bytes, Access::kWrite);
  mmu_write(v, lin, value, size_bytes, false, Align::kNoCheck);
  s.gpr[kRsp] = nsp;
}

void deliver_real_mode(Vcpu& v, uint8_t vector) {
  CpuState& s = v.s;
  if (vector * 4u + 3 > s.idtr.limit) raise_fault(vec::GP, 0);
  uint32_t entry = static_cast<uint32_t>(mmu_read(v, s.idtr.base + vector * 4u, 4, true));
  push(v, static_cast<uint16_t>(s.rflags), 2);
  push(v, s.seg[kCs].selector, 2);
  push(v, static_cast<uint16_t>(s.rip), 2);
  s.rflags &= ~static_cast<uint64_t>(flag::IF | flag::TF | flag::AC | flag::RF);
  s.seg[kCs] = real_mode_segment(static_cast<uint16_t>(entry >> 16), s.seg[kCs]);
  s.rip = entry & 0xFFFF;
}

// Protected-mode delivery through an interrupt or trap gate.
void deliver_protected(Vcpu& v, uint8_t vector, EventSource source, bool has_error, uint32_t error) {
  CpuState& s = v.s;
  const uint32_t ext = (source == EventSource::kExternal || source == EventSource::kNmi ||
                        source == EventSource::kException) ? 1 : 0;
  const uint32_t idt_err = vector * 8u + 2 + ext;
  if (vector * 8u + 7 > s.idtr.limit) raise_fault(vec::GP, idt_err);
  uint64_t gate = mmu_read(v, s.idtr.base + vector * 8u, 8, true);
  const unsigned type = (gate >> 40) & 0x1F;  // S bit + type
  const unsigned gate_dpl = (gate >> 45) & 3;
  const bool present = (gate >> 47) & 1;
  const bool gate32 = type == 0x0E || type == 0x0F;
  const bool trap = type == 0x07 || type == 0x0F;
  if (type == 0x05) {
    // Task gate: the handler is a task (Linux i386's #DF). The error code goes on
    // the new task's stack.
    if (source == EventSource::kSoftware && gate_dpl < s.cpl) raise_fault(vec::GP, idt_err);
    if (!present) raise_fault(vec::NP, idt_err);
    task_gate_interrupt(v, static_cast<uint16_t>(gate >> 16), ext, has_error, error,
                        source == EventSource::kSoftware);
    return;
  }
  if (type != 0x06 && type != 0x07 && type != 0x0E && type != 0x0F) raise_fault(vec::GP, idt_err);
  if (source == EventSource::kSoftware && gate_dpl < s.cpl) raise_fault(vec::GP, idt_err);
  if (!present) raise_fault(vec::NP, idt_err);

  const uint16_t cs_sel = static_cast<uint16_t>(gate >> 16);
  const uint32_t offset = static_cast<uint32_t>((gate & 0xFFFF) | ((gate >> 32) & 0xFFFF0000u));
  if ((cs_sel & ~3u) == 0) raise_fault(vec::GP, ext);
  uint64_t cd = read_descriptor(v, cs_sel, vec::GP);
  SegmentCache cs = descriptor_to_cache(cd, cs_sel);
  const unsigned dpl = (cs.attr & seg_attr::kDplMask) >> seg_attr::kDplShift;
  if (!(cs.attr & seg_attr::kS) || !(cs.attr & seg_attr::kCode) || dpl > s.cpl)
    raise_fault(vec::GP, (cs_sel & 0xFFFC) | ext);
  if (!(cs.attr & seg_attr::kPresent)) raise_fault(vec::NP, (cs_sel & 0xFFFC) | ext);

  const bool conforming = cs.attr & seg_attr::kConforming;
  const bool from_vm86 = s.rflags & flag::VM;
  const unsigned new_cpl = conforming ? s.cpl : dpl;
  const unsigned push_bytes = gate32 ? 4 : 2;
  const uint32_t old_eflags = static_cast<uint32_t>(s.rflags);
  const SegmentCache old_cs = s.seg[kCs];
  const SegmentCache old_ss = s.seg[kSs];
  const uint32_t old_esp = static_cast<uint32_t>(s.gpr[kRsp]);
  const uint32_t old_eip = static_cast<uint32_t>(s.rip);
  const uint8_t old_cpl = s.cpl;

  if (from_vm86 && new_cpl != 0) raise_fault(vec::GP, (cs_sel & 0xFFFC) | ext);
  if (new_cpl < s.cpl) {
    // Inter-privilege: the new stack comes from the TSS (32-bit TSS layout when the
    // TSS type is 32-bit, 16-bit otherwise).
    const bool tss32 = (s.tr.attr & 0xF) == 0x9 || (s.tr.attr & 0xF) == 0xB;
    uint32_t esp_off = tss32 ? 4 + new_cpl * 8 : 2 + new_cpl * 4;
    if (esp_off + (tss32 ? 5 : 3) > s.tr.limit) raise_fault(vec::TS, s.tr.selector & 0xFFFC);
    uint32_t new_esp = static_cast<uint32_t>(mmu_read(v, s.tr.base + esp_off, tss32 ? 4 : 2, true));
    uint16_t new_ss_sel = static_cast<uint16_t>(mmu_read(v, s.tr.base + esp_off + (tss32 ? 4 : 2), 2, true));
    if ((new_ss_sel & ~3u) == 0) raise_fault(vec::TS, ext);
    if ((new_ss_sel & 3) != new_cpl) raise_fault(vec::TS, (new_ss_sel & 0xFFFC) | ext);
    SegmentCache ss = descriptor_to_cache(read_descriptor(v, new_ss_sel, vec::TS), new_ss_sel);
    const unsigned ss_dpl = (ss.attr & seg_attr::kDplMask) >> seg_attr::kDplShift;
    if (ss_dpl != new_cpl || !(ss.attr & seg_attr::kS) || (ss.attr & seg_attr::kCode) ||
        !(ss.attr & seg_attr::kWritable))
      raise_fault(vec::TS, (new_ss_sel & 0xFFFC) | ext);
    if (!(ss.attr & seg_attr::kPresent)) raise_fault(vec::SS, (new_ss_sel & 0xFFFC) | ext);
    // Switch to the new stack; on a fault while pushing, restore the old one.
    s.seg[kSs] = ss;
    s.gpr[kRsp] = new_esp;
    s.cpl = static_cast<uint8_t>(new_cpl);
    try {
      if (from_vm86) {
        push(v, s.seg[kGs].selector, push_bytes);
        push(v, s.seg[kFs].selector, push_bytes);
        push(v, s.seg[kDs].selector, push_bytes);
        push(v, s.seg[kEs].selector, push_bytes);
      }
      push(v, old_ss.selector, push_bytes);
      push(v, old_esp, push_bytes);
      push(v, old_eflags, push_bytes);
      push(v, old_cs.selector, push_bytes);
      push(v, old_eip, push_bytes);
      if (has_error) push(v, error, push_bytes);
    } catch (...) {
      s.seg[kSs] = old_ss;
      s.gpr[kRsp] = old_esp;
      s.cpl = old_cpl;
      throw;
    }
    if (from_vm86) {
      for (SegReg r : {kEs, kDs, kFs, kGs}) s.seg[r] = SegmentCache{0, 0, 0, 0};
    }
  } else {
    if (from_vm86) raise_fault(vec::GP, (cs_sel & 0xFFFC) | ext);
    try {
      push(v, old_eflags, push_bytes);
      push(v, old_cs.selector, push_bytes);
      push(v, old_eip, push_bytes);
      if (has_error) push(v, error, push_bytes);
    } catch (...) {
      s.gpr[kRsp] = old_esp;
      throw;
    }
  }
  cs.selector = static_cast<uint16_t>((cs_sel & 0xFFFC) | new_cpl);
  s.seg[kCs] = cs;
  s.cpl = static_cast<uint8_t>(new_cpl);
  s.rip = gate32 ? offset : (offset & 0xFFFF);
  s.rflags &= ~static_cast<uint64_t>(flag::TF | flag::NT | flag::RF | flag::VM);
  if (!trap) s.rflags &= ~static_cast<uint64_t>(flag::IF);
}

void deliver(Vcpu& v, uint8_t vector, EventSource source, bool has_error, uint32_t error) {
  if (!(v.s.cr0 & cr0::PE)) deliver_real_mode(v, vector);
  else deliver_protected(v, vector, source, has_error, error);
  v.s.halted = 0;
  v.s.interrupt_shadow = 0;
}

void triple_fault(Vcpu& v, const GuestFault& f) {
  v.stats.triple_faults++;
  Machine& m = *v.machine;
  std::string msg = fmt::format("triple fault ({} while delivering #DF) at CS:EIP {:04x}:{:08x}",
                                exception_name(f.vector), v.s.seg[kCs].selector, v.s.eip());
  if (m.config().reset_on_triple_fault) {
    fmt::print(stderr, "kasou: {}; resetting the machine\n", msg);
    m.request_reset();
  } else {
    m.request_stop(StopReason::kTripleFault, 1, msg);
  }
}

}  // namespace

void deliver_exception(Vcpu& v, const GuestFault& first) {
  GuestFault f = first;
  int depth = 0;  // 0: first exception, 1: delivering a nested one, 2: delivering #DF
  for (;;) {
    v.stats.exceptions[f.vector & 31]++;
    // A protected-mode guest that never loaded an IDT cannot handle anything:
    // say what happened instead of cascading into a triple fault.
    if ((v.s.cr0 & cr0::PE) && v.s.idtr.limit == 0) {
      v.machine->request_stop(StopReason::kGuestError, 1,
                              fmt::format("guest exception #{} (vector {}{}) at CS:EIP {:04x}:{:08x} and no IDT is loaded",
                                          exception_name(f.vector), f.vector,
                                          f.has_error_code ? fmt::format(", error code {:#x}", f.error_code) : "",
                                          v.s.seg[kCs].selector, v.s.eip()));
      return;
    }
    try {
      deliver(v, f.vector, EventSource::kException, f.has_error_code && (v.s.cr0 & cr0::PE), f.error_code);
      return;
    } catch (const GuestFault& nested) {
      if (depth == 2 || f.vector == vec::DF) return triple_fault(v, nested);
      const bool benign_pair = !((is_contributory(f.vector) && is_contributory(nested.vector)) ||
                                 (f.vector == vec::PF && (is_contributory(nested.vector) || nested.vector == vec::PF)));
      if (benign_pair) {
        f = nested;
        depth = 1;
      } else {
        f = GuestFault{vec::DF, true, 0};
        depth = 2;
      }
    }
  }
}

void deliver_software_interrupt(Vcpu& v, uint8_t vector, bool privilege_checked) {
  deliver(v, vector, privilege_checked ? EventSource::kSoftware : EventSource::kException, false, 0);
}

void deliver_interrupt(Vcpu& v, uint8_t vector, EventSource source) {
  try {
    deliver(v, vector, source, false, 0);
  } catch (const GuestFault& f) {
    deliver_exception(v, f);
  }
}

}  // namespace kasou
