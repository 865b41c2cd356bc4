// Machine: construction, reset and the run loop.
#include "core/machine.h"

#include <algorithm>
#include <thread>

#include "core/exceptions.h"
#include "core/interp/x87.h"
#include "core/interp/sensitive.h"
#include "core/mmu.h"

namespace kasou {

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::kNone: return "running";
    case StopReason::kGuestExit: return "guest exit";
    case StopReason::kPowerOff: return "power off";
    case StopReason::kInstructionLimit: return "instruction limit reached";
    case StopReason::kTimeout: return "timeout";
    case StopReason::kHaltedForever: return "halted with interrupts disabled";
    case StopReason::kTripleFault: return "triple fault";
    case StopReason::kReset: return "reset";
    case StopReason::kGuestPanic: return "guest panic";
    case StopReason::kGuestError: return "unhandled guest exception";
    case StopReason::kUserRequest: return "stopped by user";
    case StopReason::kHostError: return "emulator error";
  }
  return "?";
}

Machine::Machine(const MachineConfig& config)
    : config_(config), mem_(config.ram_bytes), vcpu_(std::make_unique<Vcpu>()) {
  vcpu_->machine = this;
  vcpu_->ns_per_instruction = config.ns_per_instruction;
  vcpu_->mem = &mem_;
  vcpu_->io = &io_;
  reset_cpu();
}

Machine::~Machine() = default;

void Machine::set_engine(std::unique_ptr<ExecutionEngine> engine) {
  engine_ = std::move(engine);
  mem_.set_code_write_listener(engine_.get());
}

void Machine::reset_cpu() {
  Vcpu& v = *vcpu_;
  CpuState& s = v.s;
  s = CpuState{};
  s.rflags = flag::kFixed1;
  s.rip = 0xFFF0;
  for (auto& sg : s.seg) sg = SegmentCache{0, 0xFFFF, 0, seg_attr::kPresent | seg_attr::kS | seg_attr::kWritable | seg_attr::kAccessed};
  s.seg[kCs] = SegmentCache{0xFFFF0000ull, 0xFFFF, 0xF000,
                            seg_attr::kPresent | seg_attr::kS | seg_attr::kCode | seg_attr::kReadable | seg_attr::kAccessed};
  s.gdtr = {0, 0xFFFF, 0};
  s.idtr = {0, 0xFFFF, 0};
  s.ldtr = SegmentCache{0, 0xFFFF, 0, 0x82};
  s.tr = SegmentCache{0, 0xFFFF, 0, 0x8B};
  s.cr0 = cr0::ET | cr0::CD | cr0::NW;
  s.gpr[kRdx] = 0x00000663;  // family 6, model 6, stepping 3 (i686 class)
  s.dr[6] = 0xFFFF0FF0;
  s.dr[7] = 0x400;
  s.msr.pat = 0x0007040600070406ull;
  s.msr.apic_base = 0xFEE00900ull;
  x87::power_on(v);
  v.a20_mask = ~0ull;
  tlb_flush_all(v);
  if (engine_) engine_->state_changed(v);
}

void Machine::reset() {
  for (auto& d : devices_) d->reset();
  reset_cpu();
  set_a20(true);
}

void Machine::set_a20(bool enabled) {
  const uint64_t mask = enabled ? ~0ull : ~(1ull << 20);
  if (vcpu_->a20_mask == mask) return;
  vcpu_->a20_mask = mask;
  tlb_flush_all(*vcpu_);  // cached translations point at the other alias
  if (engine_) engine_->state_changed(*vcpu_);
}

void Machine::request_reset() {
  if (config_.stop_on_reset) {
    request_stop(StopReason::kReset, 0, "the guest reset the machine (no reboot)");
    return;
  }
  reset_pending_ = true;
  vcpu_->request_exit(ExitRequest::kAttention);
}

void Machine::request_stop(StopReason reason, int exit_code, std::string message) {
  if (stop_reason_ == StopReason::kNone) {
    stop_reason_ = reason;
    exit_code_ = exit_code;
    stop_message_ = std::move(message);
  }
  vcpu_->request_exit(ExitRequest::kStop);
}

void Machine::sync_clock() {
  uint64_t insns = vcpu_->instructions_retired();
  uint64_t t = insns * config_.ns_per_instruction + vcpu_->idle_ns;
  sched_.advance_to(t);
}

bool Machine::deliver_pending_interrupt() {
  Vcpu& v = *vcpu_;
  if (!pic_ || !(v.s.rflags & flag::IF) || v.s.interrupt_shadow) return false;
  if (!pic_->interrupt_pending()) return false;
  uint8_t vector = pic_->acknowledge();
  v.s.halted = 0;
  v.stats.interrupts++;
  deliver_interrupt(v, vector, EventSource::kExternal);
  return true;
}

void Machine::idle_until_event() {
  Vcpu& v = *vcpu_;
  uint64_t deadline = sched_.next_deadline_ns();
  bool can_wake = (v.s.rflags & flag::IF) && pic_;
  if (deadline == Scheduler::kNever || !can_wake) {
    if (!can_wake || deadline == Scheduler::kNever) {
      request_stop(StopReason::kHaltedForever, 1,
                   "the guest executed HLT with interrupts disabled (or nothing that could wake it)");
      return;
    }
  }
  uint64_t now = sched_.now_ns();
  if (deadline > now) {
    uint64_t step = deadline - now;
    if (!config_.deterministic) {
      // Realtime mode: an idle guest waits in real time (bounded, so limits and
      // host input are still noticed), and virtual time moves by what passed.
      constexpr uint64_t kMaxSleepNs = 10'000'000;
      const auto t0 = std::chrono::steady_clock::now();
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::min(step, kMaxSleepNs)));
      const uint64_t slept = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
      step = std::min(step, slept);
    }
    vcpu_->idle_ns += step;
  }
  sync_clock();
}

StopReason Machine::run(const RunLimits& limits) {
  const auto start = std::chrono::steady_clock::now();
  constexpr uint64_t kMaxSliceInstructions = 1u << 20;
  Vcpu& v = *vcpu_;
  stop_reason_ = StopReason::kNone;
  stop_message_.clear();
  while (stop_reason_ == StopReason::kNone) {
    if (reset_pending_) {
      reset_pending_ = false;
      resets_++;
      reset();
    }
    v.exit_request = ExitRequest::kNone;
    // After STI / MOV SS the next instruction runs before an interrupt is taken:
    // run exactly that one, then come back here.
    bool one_instruction = false;
    if (v.s.interrupt_shadow) {
      one_instruction = pic_ && (v.s.rflags & flag::IF) && pic_->interrupt_pending();
      if (!one_instruction) v.s.interrupt_shadow = 0;
    } else {
      deliver_pending_interrupt();
    }
    if (v.s.halted) {
      v.stats.halts++;
      idle_until_event();
    } else {
      uint64_t retired = v.instructions_retired();
      uint64_t slice = kMaxSliceInstructions;
      uint64_t deadline = sched_.next_deadline_ns();
      uint64_t now = sched_.now_ns();
      if (deadline != Scheduler::kNever)
        slice = std::clamp<uint64_t>((deadline > now ? deadline - now : 0) / config_.ns_per_instruction, 1, slice);
      if (limits.max_instructions) {
        if (retired >= limits.max_instructions) {
          request_stop(StopReason::kInstructionLimit, 2,
                       "stopped after " + std::to_string(retired) + " instructions (--max-instructions)");
          break;
        }
        slice = std::min(slice, limits.max_instructions - retired);
      }
      if (one_instruction) slice = 1;
      v.insn_base = retired + slice;
      v.budget = static_cast<int64_t>(slice);
      engine_->run(v);
      if (one_instruction) v.s.interrupt_shadow = 0;
      sync_clock();
    }
    if (limits.timeout_seconds > 0 && stop_reason_ == StopReason::kNone) {
      double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (el >= limits.timeout_seconds)
        request_stop(StopReason::kTimeout, 3, "stopped after the --timeout of " + std::to_string(limits.timeout_seconds) + " s");
    }
  }
  wall_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stop_reason_;
}

void Machine::collect_stats(std::vector<StatEntry>& out) const {
  const Vcpu& v = *vcpu_;
  const VcpuStats& st = v.stats;
  double insns = static_cast<double>(v.instructions_retired());
  out.push_back({"instructions_retired", insns, ""});
  out.push_back({"wall_time", wall_seconds_, "s"});
  out.push_back({"mips", wall_seconds_ > 0 ? insns / wall_seconds_ / 1e6 : 0, ""});
  out.push_back({"virtual_time", static_cast<double>(sched_.now_ns()) / 1e9, "s"});
  out.push_back({"tlb_lookups_inline", static_cast<double>(st.tlb_lookups_inline), ""});
  out.push_back({"tlb_misses", static_cast<double>(st.tlb_misses), ""});
  out.push_back({"tlb_hits", static_cast<double>(st.tlb_lookups_inline - std::min(st.tlb_lookups_inline, st.tlb_misses)), ""});
  out.push_back({"tlb_fills", static_cast<double>(st.tlb_fills), ""});
  out.push_back({"tlb_flushes", static_cast<double>(st.tlb_flushes), ""});
  out.push_back({"page_walks", static_cast<double>(st.page_walks), ""});
  out.push_back({"mmio_accesses", static_cast<double>(st.mmio_accesses), ""});
  out.push_back({"interrupts", static_cast<double>(st.interrupts), ""});
  out.push_back({"halts", static_cast<double>(st.halts), ""});
  out.push_back({"triple_faults", static_cast<double>(st.triple_faults), ""});
  out.push_back({"machine_resets", static_cast<double>(resets_), ""});
  for (int i = 0; i < 32; i++)
    if (st.exceptions[i]) out.push_back({std::string("exceptions.") + exception_name(static_cast<uint8_t>(i)), static_cast<double>(st.exceptions[i]), ""});
  for (int k = 1; k < static_cast<int>(SensitiveKind::kCount); k++) {
    const char* name = sensitive_kind_name(static_cast<SensitiveKind>(k));
    if (st.sensitive_rewritten[k])
      out.push_back({std::string("sensitive_rewritten.") + name, static_cast<double>(st.sensitive_rewritten[k]), ""});
    if (st.sensitive_trapped[k])
      out.push_back({std::string("sensitive_trapped.") + name, static_cast<double>(st.sensitive_trapped[k]), ""});
  }
  for (int m = 0; m < VcpuStats::kMnemonicSlots; m++)
    if (st.interp_calls[m])
      out.push_back({std::string("interp_calls.") + ZydisMnemonicGetString(static_cast<ZydisMnemonic>(m)),
                     static_cast<double>(st.interp_calls[m]), ""});
  if (engine_) engine_->collect_stats(out);
}

}  // namespace kasou
