// Statistics output at exit.
#include "frontend/stats_output.h"

#include <cstdio>

#include <fmt/format.h>

#include "core/machine.h"

namespace kasou {

void write_stats(const Machine& m, bool json, const std::string& path) {
  std::vector<StatEntry> entries;
  m.collect_stats(entries);
  std::FILE* f = path.empty() ? stderr : std::fopen(path.c_str(), "w");
  if (!f) {
    fmt::print(stderr, "kasou: cannot write statistics to {}\n", path);
    return;
  }
  if (json) {
    fmt::print(f, "{{\n");
    for (size_t i = 0; i < entries.size(); i++) {
      const auto& e = entries[i];
      if (e.value == static_cast<double>(static_cast<int64_t>(e.value)) && e.unit.empty())
        fmt::print(f, "  \"{}\": {}{}\n", e.name, static_cast<int64_t>(e.value), i + 1 < entries.size() ? "," : "");
      else
        fmt::print(f, "  \"{}\": {:.6g}{}\n", e.name, e.value, i + 1 < entries.size() ? "," : "");
    }
    fmt::print(f, "}}\n");
  } else {
    fmt::print(f, "---- kasou statistics ----\n");
    for (const auto& e : entries) {
      if (e.value == static_cast<double>(static_cast<int64_t>(e.value)))
        fmt::print(f, "{:<40} {:>16}{}\n", e.name, static_cast<int64_t>(e.value), e.unit.empty() ? "" : " " + e.unit);
      else
        fmt::print(f, "{:<40} {:>16.3f}{}\n", e.name, e.value, e.unit.empty() ? "" : " " + e.unit);
    }
  }
  if (f != stderr) std::fclose(f);
}

}  // namespace kasou
