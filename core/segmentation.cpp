// Segmentation: descriptor handling and data-access checks.
#include "core/segmentation.h"

#include "core/fault.h"

namespace kasou {

namespace {
bool protected_mode(const CpuState& s) { return (s.cr0 & cr0::PE) && !(s.rflags & flag::VM); }
}  // namespace

uint64_t read_descriptor(Vcpu& v, uint16_t selector, uint8_t fault_vector) {
  const bool ldt = selector & 4;
  uint64_t base = ldt ? v.s.ldtr.base : v.s.gdtr.base;
  uint32_t limit = ldt ? v.s.ldtr.limit : v.s.gdtr.limit;
  if (ldt && (v.s.ldtr.selector & ~3u) == 0) raise_fault(fault_vector, selector & 0xFFFC);
  uint32_t off = selector & ~7u;
  if (off + 7 > limit) raise_fault(fault_vector, selector & 0xFFFC);
  return mmu_read(v, base + off, 8, true);
}

void write_descriptor_byte5(Vcpu& v, uint16_t selector, uint8_t byte5) {
  const bool ldt = selector & 4;
  uint64_t base = ldt ? v.s.ldtr.base : v.s.gdtr.base;
  mmu_write(v, base + (selector & ~7u) + 5, byte5, 1, true);
}

SegmentCache descriptor_to_cache(uint64_t d, uint16_t selector) {
  SegmentCache c;
  c.selector = selector;
  c.base = ((d >> 16) & 0xFFFFFF) | (((d >> 56) & 0xFF) << 24);
  uint32_t limit = static_cast<uint32_t>((d & 0xFFFF) | (((d >> 48) & 0xF) << 16));
  c.attr = static_cast<uint16_t>(((d >> 40) & 0xFF) | (((d >> 52) & 0xF) << 12));
  if (c.attr & seg_attr::kGranularity) limit = (limit << 12) | 0xFFF;
  c.limit = limit;
  return c;
}

SegmentCache real_mode_segment(uint16_t selector, const SegmentCache& old) {
  SegmentCache c = old;
  c.selector = selector;
  c.base = static_cast<uint64_t>(selector) << 4;
  return c;
}

void load_segment(Vcpu& v, SegReg seg, uint16_t selector) {
  CpuState& s = v.s;
  if (!protected_mode(s)) {
    s.seg[seg] = real_mode_segment(selector, s.seg[seg]);
    if (s.rflags & flag::VM) {
      s.seg[seg].limit = 0xFFFF;
      s.seg[seg].attr = seg_attr::kPresent | seg_attr::kS | seg_attr::kWritable | seg_attr::kAccessed |
                        (3u << seg_attr::kDplShift);
    }
    return;
  }
  const unsigned rpl = selector & 3;
  const unsigned cpl = s.cpl;
  if ((selector & ~3u) == 0) {
    if (seg == kSs) raise_fault(vec::GP, 0);
    // A null selector loads an unusable segment; accesses through it raise #GP(0).
    s.seg[seg] = SegmentCache{0, 0, selector, 0};
    return;
  }
  uint64_t d = read_descriptor(v, selector);
  SegmentCache c = descriptor_to_cache(d, selector);
  const unsigned dpl = (c.attr & seg_attr::kDplMask) >> seg_attr::kDplShift;
  const bool is_code = c.attr & seg_attr::kCode;
  const uint16_t err = selector & 0xFFFC;
  if (!(c.attr & seg_attr::kS)) raise_fault(vec::GP, err);
  if (seg == kSs) {
    if (rpl != cpl || dpl != cpl || is_code || !(c.attr & seg_attr::kWritable)) raise_fault(vec::GP, err);
    if (!(c.attr & seg_attr::kPresent)) raise_fault(vec::SS, err);
  } else {
    if (is_code && !(c.attr & seg_attr::kReadable)) raise_fault(vec::GP, err);
    // Data and non-conforming code: DPL must be >= max(CPL, RPL).
    if (!is_code || !(c.attr & seg_attr::kConforming))
      if (dpl < cpl || dpl < rpl) raise_fault(vec::GP, err);
    if (!(c.attr & seg_attr::kPresent)) raise_fault(vec::NP, err);
  }
  if (!(c.attr & seg_attr::kAccessed)) {
    c.attr |= seg_attr::kAccessed;
    write_descriptor_byte5(v, selector, static_cast<uint8_t>(c.attr & 0xFF));
  }
  s.seg[seg] = c;
}

uint64_t seg_linear(Vcpu& v, SegReg seg, uint64_t offset, unsigned size_bytes, Access access) {
  const SegmentCache& c = v.s.seg[seg];
  const uint8_t fault = seg == kSs ? vec::SS : vec::GP;
  if (protected_mode(v.s)) {
    if (!(c.attr & seg_attr::kPresent)) raise_fault(fault, 0);  // unusable (null) segment
    const bool code = c.attr & seg_attr::kCode;
    if (access == Access::kWrite && (code || !(c.attr & seg_attr::kWritable))) raise_fault(fault, 0);
    if (access == Access::kRead && code && !(c.attr & seg_attr::kReadable)) raise_fault(fault, 0);
  }
  const uint64_t last = offset + size_bytes - 1;
  if (!(c.attr & seg_attr::kCode) && (c.attr & seg_attr::kExpandDown)) {
    const uint64_t upper = (c.attr & seg_attr::kDb) ? 0xFFFFFFFFull : 0xFFFFull;
    if (offset <= c.limit || last > upper) raise_fault(fault, 0);
  } else if (last > c.limit) {
    raise_fault(fault, 0);
  }
  return (c.base + offset) & 0xFFFFFFFFull;
}

bool segments_flat(const CpuState& s) {
  if (!(s.cr0 & cr0::PE) || (s.rflags & flag::VM)) return false;
  for (SegReg r : {kEs, kCs, kSs, kDs}) {
    const SegmentCache& c = s.seg[r];
    if (c.base != 0 || c.limit != 0xFFFFFFFFu) return false;
    if (!(c.attr & seg_attr::kCode) && (c.attr & seg_attr::kExpandDown)) return false;
    if (!(c.attr & seg_attr::kPresent)) return false;
    if (r != kCs && ((c.attr & seg_attr::kCode) || !(c.attr & seg_attr::kWritable))) return false;
  }
  return true;
}

uint64_t seg_read(Vcpu& v, SegReg seg, uint64_t offset, unsigned size_bytes) {
  return mmu_read(v, seg_linear(v, seg, offset, size_bytes, Access::kRead), size_bytes);
}

void seg_write(Vcpu& v, SegReg seg, uint64_t offset, uint64_t value, unsigned size_bytes) {
  mmu_write(v, seg_linear(v, seg, offset, size_bytes, Access::kWrite), value, size_bytes);
}

}  // namespace kasou
