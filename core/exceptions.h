// Exception and interrupt delivery: the one place where the CPU enters a handler,
// in real mode (IVT) and protected mode (IDT gates, privilege change, error codes),
// including double fault and triple fault (which resets the machine).
#pragma once

#include <cstdint>

#include "core/fault.h"
#include "core/vcpu.h"

namespace kasou {

enum class EventSource : uint8_t {
  kException,    // a fault or trap raised by an instruction
  kSoftware,     // INT n (privilege-checked against the gate's DPL)
  kExternal,     // INTR from the interrupt controller
  kNmi,
};

// Delivers `fault` (raised by the instruction at RIP). Handles escalation to #DF
// and triple fault. Never throws.
void deliver_exception(Vcpu& v, const GuestFault& fault);
// Delivers an interrupt or software interrupt with RIP already pointing at the
// instruction to return to. Never throws.
void deliver_interrupt(Vcpu& v, uint8_t vector, EventSource source);

// INT n / INT3 / INTO from an instruction handler, with RIP already at the next
// instruction. A fault during delivery is thrown as GuestFault (the handler then
// restores RIP so that the fault is reported at the INT instruction).
void deliver_software_interrupt(Vcpu& v, uint8_t vector, bool privilege_checked = true);

}  // namespace kasou
