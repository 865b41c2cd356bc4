// Segmentation: descriptor-table reads, descriptor -> hidden-cache conversion,
// segment-register loads with their checks, and the limit/type check of every
// data access (the "segment + offset -> linear" step).
#pragma once

#include <cstdint>

#include "core/cpu_state.h"
#include "core/mmu.h"
#include "core/vcpu.h"

namespace kasou {

// The 8-byte descriptor of `selector` from the GDT or LDT. Raises #GP(selector)
// (or `fault_vector`) when the selector is past the table limit.
uint64_t read_descriptor(Vcpu& v, uint16_t selector, uint8_t fault_vector = 13);
void write_descriptor_byte5(Vcpu& v, uint16_t selector, uint8_t byte5);
SegmentCache descriptor_to_cache(uint64_t desc, uint16_t selector);

// The real-mode / VM86 segment for a selector value.
SegmentCache real_mode_segment(uint16_t selector, const SegmentCache& old);

// Loads a data or stack segment register (MOV/POP to DS, ES, FS, GS, SS) with
// every protected-mode check, or the real-mode rule in real/VM86 mode.
void load_segment(Vcpu& v, SegReg seg, uint16_t selector);

// Applies a segment to an offset: limit and type checks, then base. Raises #GP(0)
// or #SS(0) on a violation. `size_bytes` >= 1.
uint64_t seg_linear(Vcpu& v, SegReg seg, uint64_t offset, unsigned size_bytes, Access access);

// Whether the hidden caches make CS, DS, ES and SS flat (base 0, 4 GiB limit,
// expand-up): translated code may then skip segment arithmetic.
bool segments_flat(const CpuState& s);

// Data reads/writes through a segment (what the interpreter's memory operands use).
uint64_t seg_read(Vcpu& v, SegReg seg, uint64_t offset, unsigned size_bytes);
void seg_write(Vcpu& v, SegReg seg, uint64_t offset, uint64_t value, unsigned size_bytes);

}  // namespace kasou
