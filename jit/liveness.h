// Arithmetic-flag liveness over a block.
//
// Host EFLAGS carry the guest's arithmetic flags through translated code. Any
// inline sequence the translator adds (a TLB lookup, a counter) clobbers them, so
// it must preserve them exactly when a later instruction could still read them.
// This pass says, before each instruction, which flags are live.
#pragma once

#include <cstdint>
#include <vector>

#include "core/interp/decode.h"

namespace kasou::jit {

struct FlagUse {
  uint32_t read;        // arithmetic flags the instruction reads
  uint32_t must_write;  // arithmetic flags it always overwrites
};

// What instruction `d` does to the arithmetic flags when executed inline on the
// host (`inline_host`) or by a C++ helper (which reads every flag from CpuState).
FlagUse flag_use(const DecodedInsn& d, bool inline_host);
// Arithmetic flags `d` may write (conditional writes included).
uint32_t flags_may_write(const DecodedInsn& d);

// live_in[i]: flags live before instruction i, given the flags live after the
// block (`live_at_end`) and, if `sink` <= uses.size(), that every flag is needed
// just before instruction `sink` (where they are saved for an indirect exit).
std::vector<uint32_t> flags_live_in(const std::vector<FlagUse>& uses, uint32_t live_at_end, size_t sink);
// The index after the last instruction that may write an arithmetic flag (0 if none).
size_t after_last_flag_writer(const std::vector<uint32_t>& may_write);

}  // namespace kasou::jit
