// Hardware task switching: save the old task in its TSS, load the new one, with the
// busy bits, NT and the back link as each source requires (SDM vol. 3, 7.3).
#include "core/task_switch.h"

#include "core/debug.h"
#include "core/exceptions.h"
#include "core/fault.h"
#include "core/interp/handlers.h"
#include "core/mmu.h"
#include "core/physical_memory.h"
#include "core/segmentation.h"

namespace kasou {
namespace {

// TSS layouts: offsets of the dynamic fields.
namespace tss32 {
inline constexpr uint32_t kLink = 0x00, kCr3 = 0x1C, kEip = 0x20, kEflags = 0x24, kEax = 0x28, kEs = 0x48,
                          kLdt = 0x60, kTrap = 0x64;
inline constexpr uint32_t kMinLimit = 0x67;   // a 32-bit TSS is at least 104 bytes
inline constexpr uint32_t kSavedLast = 0x5F;  // last byte written when the state is saved (GS)
}  // namespace tss32
namespace tss16 {
inline constexpr uint32_t kLink = 0x00, kIp = 0x0E, kFlags = 0x10, kAx = 0x12, kEs = 0x22, kLdt = 0x2A;
inline constexpr uint32_t kMinLimit = 0x2B;   // 44 bytes
inline constexpr uint32_t kSavedLast = 0x29;  // DS
}  // namespace tss16

// TSS order of the segment registers (ES, CS, SS, DS, FS, GS) is the SegReg order.
static_assert(kEs == 0 && kCs == 1 && kSs == 2 && kDs == 3 && kFs == 4 && kGs == 5);

constexpr uint8_t kTypeBusy = 0x2;  // bit 1 of a TSS descriptor's type

bool is_null(uint16_t sel) { return (sel & 0xFFFC) == 0; }
uint16_t sel_err(uint16_t sel) { return sel & 0xFFFC; }
unsigned dpl_of(const SegmentCache& c) { return (c.attr & seg_attr::kDplMask) >> seg_attr::kDplShift; }

// Makes sure supervisor accesses to [linear, linear + size) cannot fault: walks
// the page tables for each page the range touches.
void probe(Vcpu& v, uint64_t linear, uint32_t size, Access access) {
  const uint64_t first = linear & 0xFFFFFFFFull;
  const uint64_t last_page = ((linear + size - 1) & 0xFFFFFFFFull) & ~(kPageBytes - 1);
  mmu_translate(v, first, access, true);
  for (uint64_t page = first & ~(kPageBytes - 1); page != last_page;) {
    page = (page + kPageBytes) & 0xFFFFFFFFull;
    mmu_translate(v, page, access, true);
  }
}

uint64_t descriptor_address(const CpuState& s, uint16_t sel) {
  return ((sel & 4) ? s.ldtr.base : s.gdtr.base) + (sel & ~7u);
}

// The new task's dynamic state as read from its TSS.
struct TaskImage {
  uint32_t cr3 = 0;
  uint32_t eip = 0;
  uint32_t eflags = 0;
  uint32_t gpr[8] = {};
  uint16_t seg[kNumSegRegs] = {};
  uint16_t ldt = 0;
  bool trap = false;  // the T flag (a 32-bit TSS only): #DB when the task is entered
};

TaskImage read_task(Vcpu& v, uint64_t base, bool big) {
  TaskImage t;
  auto rd = [&](uint32_t off, unsigned size) { return static_cast<uint32_t>(mmu_read(v, base + off, size, true)); };
  if (big) {
    t.cr3 = rd(tss32::kCr3, 4);
    t.eip = rd(tss32::kEip, 4);
    t.eflags = rd(tss32::kEflags, 4);
    for (int i = 0; i < 8; i++) t.gpr[i] = rd(tss32::kEax + 4 * i, 4);
    for (int r = 0; r < kNumSegRegs; r++) t.seg[r] = static_cast<uint16_t>(rd(tss32::kEs + 4 * r, 2));
    t.ldt = static_cast<uint16_t>(rd(tss32::kLdt, 2));
    t.trap = rd(tss32::kTrap, 2) & 1;
  } else {
    // A 16-bit TSS has no CR3, FS, GS: FS and GS become null; the upper halves of
    // the general registers read as ones and EIP's and EFLAGS' as zeros (what
    // 386-class CPUs do, after Bochs's observation; the SDM says nothing).
    t.eip = rd(tss16::kIp, 2);
    t.eflags = rd(tss16::kFlags, 2);
    for (int i = 0; i < 8; i++) t.gpr[i] = 0xFFFF0000u | rd(tss16::kAx + 2 * i, 2);
    for (int r = 0; r < 4; r++) t.seg[r] = static_cast<uint16_t>(rd(tss16::kEs + 2 * r, 2));
    t.ldt = static_cast<uint16_t>(rd(tss16::kLdt, 2));
  }
  return t;
}

void save_task(Vcpu& v, uint64_t base, bool big, uint32_t eip, uint32_t eflags) {
  const CpuState& s = v.s;
  auto wr = [&](uint32_t off, uint32_t value, unsigned size) { mmu_write(v, base + off, value, size, true); };
  if (big) {
    wr(tss32::kEip, eip, 4);
    wr(tss32::kEflags, eflags, 4);
    for (int i = 0; i < 8; i++) wr(tss32::kEax + 4 * i, static_cast<uint32_t>(s.gpr[i]), 4);
    for (int r = 0; r < kNumSegRegs; r++) wr(tss32::kEs + 4 * r, s.seg[r].selector, 2);
  } else {
    wr(tss16::kIp, eip & 0xFFFF, 2);
    wr(tss16::kFlags, eflags & 0xFFFF, 2);
    for (int i = 0; i < 8; i++) wr(tss16::kAx + 2 * i, static_cast<uint32_t>(s.gpr[i]) & 0xFFFF, 2);
    for (int r = 0; r < 4; r++) wr(tss16::kEs + 2 * r, s.seg[r].selector, 2);
  }
}

void set_accessed(Vcpu& v, SegmentCache& c) {
  if (c.attr & seg_attr::kAccessed) return;
  c.attr |= seg_attr::kAccessed;
  write_descriptor_byte5(v, c.selector, static_cast<uint8_t>(c.attr & 0xFF));
}

// Loads LDTR and the segment registers of the new task with the checks of SDM
// table 6-6 (after the commit point: the faults belong to the new task). The
// selectors are already in place with unusable caches.
void load_task_segments(Vcpu& v, const TaskImage& t) {
  CpuState& s = v.s;
  if (!is_null(t.ldt)) {
    if (t.ldt & 4) raise_fault(vec::TS, sel_err(t.ldt));
    SegmentCache c = descriptor_to_cache(read_descriptor(v, t.ldt, vec::TS), t.ldt);
    if ((c.attr & seg_attr::kS) || (c.attr & seg_attr::kTypeMask) != 0x2) raise_fault(vec::TS, sel_err(t.ldt));
    if (!(c.attr & seg_attr::kPresent)) raise_fault(vec::TS, sel_err(t.ldt));
    s.ldtr = c;
  }

  if (s.rflags & flag::VM) {
    for (int r = 0; r < kNumSegRegs; r++) s.seg[r] = vm86_segment(t.seg[r], r == kCs);
    return;
  }

  const unsigned cpl = s.cpl;  // CS.RPL, set at the commit
  {  // CS
    const uint16_t sel = t.seg[kCs];
    if (is_null(sel)) raise_fault(vec::TS, sel_err(sel));
    SegmentCache c = descriptor_to_cache(read_descriptor(v, sel, vec::TS), sel);
    if (!(c.attr & seg_attr::kS) || !(c.attr & seg_attr::kCode)) raise_fault(vec::TS, sel_err(sel));
    const bool conforming = c.attr & seg_attr::kConforming;
    if (conforming ? dpl_of(c) > cpl : dpl_of(c) != cpl) raise_fault(vec::TS, sel_err(sel));
    if (!(c.attr & seg_attr::kPresent)) raise_fault(vec::NP, sel_err(sel));
    set_accessed(v, c);
    s.seg[kCs] = c;
  }
  {  // SS
    const uint16_t sel = t.seg[kSs];
    if (is_null(sel)) raise_fault(vec::TS, sel_err(sel));
    SegmentCache c = descriptor_to_cache(read_descriptor(v, sel, vec::TS), sel);
    if ((sel & 3) != cpl || !(c.attr & seg_attr::kS) || (c.attr & seg_attr::kCode) ||
        !(c.attr & seg_attr::kWritable) || dpl_of(c) != cpl)
      raise_fault(vec::TS, sel_err(sel));
    if (!(c.attr & seg_attr::kPresent)) raise_fault(vec::SS, sel_err(sel));
    set_accessed(v, c);
    s.seg[kSs] = c;
  }
  for (SegReg r : {kDs, kEs, kFs, kGs}) {
    const uint16_t sel = t.seg[r];
    if (is_null(sel)) continue;  // stays unusable
    SegmentCache c = descriptor_to_cache(read_descriptor(v, sel, vec::TS), sel);
    const bool code = c.attr & seg_attr::kCode;
    if (!(c.attr & seg_attr::kS) || (code && !(c.attr & seg_attr::kReadable))) raise_fault(vec::TS, sel_err(sel));
    if (!code || !(c.attr & seg_attr::kConforming))
      if ((sel & 3u) > dpl_of(c) || cpl > dpl_of(c)) raise_fault(vec::TS, sel_err(sel));
    if (!(c.attr & seg_attr::kPresent)) raise_fault(vec::NP, sel_err(sel));
    set_accessed(v, c);
    s.seg[r] = c;
  }
}

// Everything after the commit point: CR3, the segments, the error code of an exception
// (pushed on the new task's stack with the new TSS's width), the EIP check.
void load_new_task(Vcpu& v, const TaskSwitchRequest& rq, const TaskImage& t, bool new32) {
  CpuState& s = v.s;
  // CR3 first: the new task's descriptor tables are read through its page tables.
  // Only a 32-bit TSS has one, and only with paging on is it loaded (a bad PAE
  // PDPTE is then a #GP in the new task).
  if (new32 && (s.cr0 & cr0::PG)) write_cr3(v, t.cr3);
  load_task_segments(v, t);
  if (rq.push_error) {
    const unsigned size = new32 ? 4 : 2;
    const bool big = s.seg[kSs].attr & seg_attr::kDb;
    const uint32_t sp = static_cast<uint32_t>(s.gpr[kRsp]);
    const uint32_t nsp = big ? sp - size : ((sp & 0xFFFF0000u) | ((sp - size) & 0xFFFF));
    uint64_t lin;
    try {
      lin = seg_linear(v, kSs, big ? nsp : (nsp & 0xFFFF), size, Access::kWrite);
    } catch (const GuestFault& f) {
      if (f.vector == vec::SS) raise_fault(vec::SS, rq.ext);
      throw;
    }
    mmu_write(v, lin, rq.error_code, size, false, Align::kNoCheck);  // event delivery (exceptions.cpp)
    s.gpr[kRsp] = nsp;
  }
  if (static_cast<uint32_t>(s.rip) > s.seg[kCs].limit) raise_fault(vec::GP, rq.ext);
}

}  // namespace

void task_switch(Vcpu& v, const TaskSwitchRequest& rq) {
  CpuState& s = v.s;
  const uint16_t new_sel = rq.selector;
  const SegmentCache new_tss = descriptor_to_cache(rq.descriptor, new_sel);
  const bool new32 = tss_is_32bit(new_tss.attr);
  const bool old32 = tss_is_32bit(s.tr.attr);
  const bool nests = rq.source == TaskSwitchSource::kCall || rq.source == TaskSwitchSource::kInterrupt;
  const bool releases_old = rq.source == TaskSwitchSource::kJmp || rq.source == TaskSwitchSource::kIret;

  // --- Checks: the old task is untouched if any of them fails. ---
  // A TSS descriptor lives in the GDT.
  if (new_sel & 4) raise_fault(vec::TS, sel_err(new_sel));
  if (new_tss.limit < (new32 ? tss32::kMinLimit : tss16::kMinLimit)) raise_fault(vec::TS, sel_err(new_sel));
  const uint32_t old_last = old32 ? tss32::kSavedLast : tss16::kSavedLast;
  if (s.tr.limit < old_last) raise_fault(vec::TS, sel_err(s.tr.selector));
  // Every page the switch touches: the new TSS (read, and its link field written
  // when nesting), the old TSS's dynamic fields, the busy bits in the GDT.
  probe(v, new_tss.base, (new32 ? tss32::kMinLimit : tss16::kMinLimit) + 1, Access::kRead);
  if (nests) probe(v, new_tss.base, 2, Access::kWrite);
  const uint32_t old_first = old32 ? tss32::kEip : tss16::kIp;
  probe(v, s.tr.base + old_first, old_last - old_first + 1, Access::kWrite);
  const bool old_in_gdt = !is_null(s.tr.selector) && !(s.tr.selector & 4);
  if (releases_old && old_in_gdt) probe(v, descriptor_address(s, s.tr.selector) + 5, 1, Access::kWrite);
  if (rq.source != TaskSwitchSource::kIret) probe(v, descriptor_address(s, new_sel) + 5, 1, Access::kWrite);

  // --- Commit. ---
  if (releases_old && old_in_gdt) {
    const uint64_t a = descriptor_address(s, s.tr.selector) + 5;
    mmu_write(v, a, mmu_read(v, a, 1, true) & ~uint64_t{kTypeBusy}, 1, true);
  }
  uint32_t old_eflags = s.eflags();
  if (rq.source == TaskSwitchSource::kIret) old_eflags &= ~flag::NT;
  save_task(v, s.tr.base, old32, rq.return_eip, old_eflags);
  if (nests) mmu_write(v, new_tss.base + (new32 ? tss32::kLink : tss16::kLink), s.tr.selector, 2, true);
  // Read after the save: an IRET back to the same TSS sees what was just saved.
  TaskImage t = read_task(v, new_tss.base, new32);
  uint8_t byte5 = static_cast<uint8_t>(new_tss.attr & 0xFF);
  if (rq.source != TaskSwitchSource::kIret) {
    byte5 |= kTypeBusy;
    mmu_write(v, descriptor_address(s, new_sel) + 5, byte5, 1, true);
  }
  if (nests) t.eflags |= flag::NT;

  s.tr = new_tss;
  s.tr.attr |= kTypeBusy;
  s.cr0 |= cr0::TS;
  s.dr[7] &= ~0x155ull;  // local breakpoint enables (L0-L3, LE) end with the task
  s.rip = t.eip;
  for (int i = 0; i < 8; i++) s.gpr[i] = t.gpr[i];
  write_eflags(v, t.eflags, 0xFFFFFFFFu);
  // Selectors first, with unusable caches: a fault while qualifying them leaves
  // the new task's selectors visible, as the SDM describes.
  for (int r = 0; r < kNumSegRegs; r++) s.seg[r] = SegmentCache{0, 0, t.seg[r], 0};
  s.ldtr = SegmentCache{0, 0, t.ldt, 0};
  s.cpl = (s.rflags & flag::VM) ? 3 : (t.seg[kCs] & 3);
  s.interrupt_shadow = 0;
  v.request_exit(ExitRequest::kAttention);  // CR3, CPL, CS.D, VM may all have changed

  if (rq.late == LateFaults::kThrow) {
    load_new_task(v, rq, t, new32);
  } else {
    try {
      load_new_task(v, rq, t, new32);
    } catch (const GuestFault& f) {
      deliver_exception(v, f);
      return;
    }
  }
  // T=1: a #DB trap with DR6.BT once the switch is complete, before the new task's
  // first instruction (SDM vol. 3A 7.2.1, 17.3.1.5). It waits as a pending debug
  // trap, which the engines take before the next instruction (core/debug.h).
  if (t.trap) s.pending_debug |= dr6::kBt;
}

SegmentCache vm86_segment(uint16_t sel, bool code) {
  const uint16_t type = code ? (seg_attr::kCode | seg_attr::kReadable) : seg_attr::kWritable;
  return SegmentCache{static_cast<uint64_t>(sel) << 4, 0xFFFF, sel,
                      static_cast<uint16_t>(seg_attr::kPresent | seg_attr::kS | seg_attr::kAccessed |
                                            (3u << seg_attr::kDplShift) | type)};
}

uint64_t task_gate_tss(Vcpu& v, uint16_t tss_sel, uint32_t ext) {
  const uint32_t err = sel_err(tss_sel) | ext;
  if (tss_sel & 4) raise_fault(vec::GP, err);
  if ((tss_sel | 7u) > v.s.gdtr.limit) raise_fault(vec::GP, err);
  const uint64_t d = read_descriptor(v, tss_sel);
  const SegmentCache c = descriptor_to_cache(d, tss_sel);
  const unsigned type = c.attr & seg_attr::kTypeMask;
  if ((c.attr & seg_attr::kS) || (type != 0x1 && type != 0x9)) raise_fault(vec::GP, err);
  if (!(c.attr & seg_attr::kPresent)) raise_fault(vec::NP, err);
  return d;
}

void task_gate_interrupt(Vcpu& v, uint16_t tss_sel, uint32_t ext, bool has_error, uint32_t error, bool software) {
  TaskSwitchRequest rq;
  rq.selector = tss_sel;
  rq.descriptor = task_gate_tss(v, tss_sel, ext);
  rq.source = TaskSwitchSource::kInterrupt;
  rq.return_eip = static_cast<uint32_t>(v.s.rip);
  rq.push_error = has_error;
  rq.error_code = error;
  rq.ext = ext;
  rq.late = software ? LateFaults::kDeliver : LateFaults::kThrow;
  task_switch(v, rq);
}

}  // namespace kasou
