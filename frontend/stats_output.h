// Statistics output at exit: aligned text or JSON.
#pragma once

#include <string>

namespace kasou {
class Machine;
void write_stats(const Machine& m, bool json, const std::string& path);
}  // namespace kasou
