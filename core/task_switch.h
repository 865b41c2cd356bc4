// Hardware task switching (Intel SDM vol. 3, chapter 7): JMP/CALL to a TSS or a
// task gate, IRET with EFLAGS.NT set, and interrupts/exceptions through an IDT
// task gate (Linux i386 handles #DF this way).
//
// A switch has a commit point (SDM 7.3): every check that can fail before it (TSS
// limits, pages of the old and new TSS, GDT slots of the busy bits) is made before
// anything is written, so a fault there leaves the old task exactly as it was.
// After it the old task's state is saved, TR points to the new TSS and the new
// state is loaded; a fault while qualifying the new segments (#TS, #NP, #SS), while
// pushing an error code or on the new EIP's limit check belongs to the new task:
// it is raised (or delivered, see LateFaults) with the new task's CS:EIP.
#pragma once

#include <cstdint>

#include "core/vcpu.h"

namespace kasou {

enum class TaskSwitchSource : uint8_t {
  kJmp,        // old busy bit cleared, new one set, no link
  kCall,       // old stays busy, new one set, new link = old TR, NT set in the new task
  kIret,       // old busy bit cleared, NT cleared in the old task's saved EFLAGS
  kInterrupt,  // like kCall (exceptions, INT n, external interrupts)
};

// What happens to a fault after the commit point: thrown as GuestFault (the caller
// delivers it: instruction handlers, exception delivery, which then applies the
// double-fault rules), or delivered here at once (INT n, whose caller restores
// RIP on a throw).
enum class LateFaults : uint8_t { kThrow, kDeliver };

struct TaskSwitchRequest {
  uint16_t selector;    // the new TSS (its RPL is ignored)
  uint64_t descriptor;  // its GDT descriptor, already checked by the caller
  TaskSwitchSource source;
  uint32_t return_eip;  // saved as the old task's EIP
  bool push_error = false;  // exceptions with an error code: pushed on the new stack
  uint32_t error_code = 0;
  uint32_t ext = 0;  // EXT bit of the error codes of the faults after the switch
  LateFaults late = LateFaults::kThrow;
};

// Switches tasks. The caller has made its source's checks on the descriptor (type,
// busy bit, DPL, presence); this function checks the TSS limits and everything else.
void task_switch(Vcpu& v, const TaskSwitchRequest& request);

// The TSS named by a task gate (JMP/CALL through a task gate, IDT task gates): it
// must be in the GDT (#GP), an available TSS (#GP) and present (#NP); the error
// codes are the TSS selector with `ext`. Returns its descriptor.
uint64_t task_gate_tss(Vcpu& v, uint16_t tss_selector, uint32_t ext);

// Delivery of an interrupt or exception through an IDT task gate whose DPL and
// presence were checked by the caller. `software` marks INT n (late faults are
// delivered at once). RIP holds the return address (saved in the old TSS).
void task_gate_interrupt(Vcpu& v, uint16_t tss_selector, uint32_t ext, bool has_error, uint32_t error,
                         bool software);

// The hidden cache of a segment register in virtual-8086 mode: base selector * 16,
// 64 KiB limit, DPL 3, present, accessed, read/write data (or readable code for CS).
SegmentCache vm86_segment(uint16_t selector, bool code);

// Whether the TSS described by `attr` (seg_attr bits of TR or of a descriptor) is a
// 32-bit TSS.
inline bool tss_is_32bit(uint16_t attr) { return (attr & 0x8) != 0; }

}  // namespace kasou
