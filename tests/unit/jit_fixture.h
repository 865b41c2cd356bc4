// A machine with the translation engine for unit tests: flat 32-bit protected
// mode, code placed in RAM, run until HLT (interrupts off, so HLT stops the
// machine) or an instruction limit. Also builds the same machine with the
// interpreter, for comparing the two engines.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/interp/interp_engine.h"
#include "core/machine.h"
#include "jit/engine.h"
#include "jit/jit_engine.h"

namespace kasou::test {

struct EngineCpu {
  static constexpr uint32_t kCode = 0x1000;
  static constexpr uint32_t kData = 0x20000;
  static constexpr uint32_t kStackTop = 0x80000;

  explicit EngineCpu(bool jit, JitOptions opts = {}) : m(config()), v(m.vcpu()), s(v.s) {
    if (jit) {
      opts.record_trace = true;
      opts.translate_after = 0;  // translate on first sight: these tests are of the translator
      auto e = std::make_unique<jit::JitEngine>(m, opts);
      engine = e.get();
      m.set_engine(std::move(e));
    } else {
      m.set_engine(std::make_unique<InterpEngine>(m.decoder()));
    }
    flat32();
  }

  static MachineConfig config() {
    MachineConfig c;
    c.ram_bytes = 4ull << 20;
    return c;
  }

  void flat32() {
    constexpr uint16_t code = seg_attr::kPresent | seg_attr::kS | seg_attr::kCode | seg_attr::kReadable |
                              seg_attr::kAccessed | seg_attr::kDb | seg_attr::kGranularity;
    constexpr uint16_t data = seg_attr::kPresent | seg_attr::kS | seg_attr::kWritable | seg_attr::kAccessed |
                              seg_attr::kDb | seg_attr::kGranularity;
    m.reset_cpu();
    for (auto& sg : s.seg) sg = SegmentCache{0, 0xFFFFFFFFu, 0x18, data};
    s.seg[kCs] = SegmentCache{0, 0xFFFFFFFFu, 0x10, code};
    s.cr0 |= cr0::PE;
    s.rflags = flag::kFixed1;
    s.rip = kCode;
    s.gpr[kRsp] = kStackTop;
    s.gpr[kRdx] = 0;
    s.idtr = {0, 0, 0};  // no IDT: an exception stops the machine with a report
    m.engine().state_changed(v);
  }

  void load(const std::vector<uint8_t>& bytes, uint32_t at = kCode) { m.memory().write_bytes(at, bytes.data(), bytes.size()); }
  uint32_t peek32(uint32_t at) { return static_cast<uint32_t>(m.memory().read(at, 4)); }

  // Runs until the guest halts (or the limit); returns why it stopped.
  StopReason run(uint64_t max_instructions = 10'000'000) {
    RunLimits l;
    l.max_instructions = max_instructions;
    return m.run(l);
  }

  uint64_t stat(const std::string& name) {
    std::vector<StatEntry> all;
    m.collect_stats(all);
    for (auto& e : all)
      if (e.name == name) return static_cast<uint64_t>(e.value);
    return 0;
  }

  Machine m;
  Vcpu& v;
  CpuState& s;
  jit::JitEngine* engine = nullptr;
};

}  // namespace kasou::test
