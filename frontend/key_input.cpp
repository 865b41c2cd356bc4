// --keys: parse the text and type it into the i8042 on the virtual clock.
#include "frontend/key_input.h"

#include <fmt/format.h>

#include <memory>
#include <stdexcept>

#include "core/scheduler.h"
#include "devices/i8042.h"

namespace kasou {

std::string parse_key_text(std::string_view spec) {
  std::string out;
  for (size_t i = 0; i < spec.size(); i++) {
    const char c = spec[i];
    if (c == '\\') {
      if (i + 1 == spec.size())
        throw std::invalid_argument(
            "--keys: a lone backslash at the end (write \\\\ for a backslash)");
      const char e = spec[++i];
      switch (e) {
        case 'n':
        case 'r':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'b':
          out += '\b';
          break;
        case 'e':
          out += '\x1b';
          break;
        case '\\':
          out += '\\';
          break;
        default:
          throw std::invalid_argument(fmt::format(
              "--keys: unknown escape \\{} at position {} (known: \\n \\r \\t \\b \\e \\\\)", e,
              i));
      }
    } else if (c >= 0x20 && c <= 0x7E) {
      out += c;
    } else {
      throw std::invalid_argument(
          fmt::format("--keys: character 0x{:02X} at position {} has no key on the US keyboard "
                      "(printable ASCII and \\n \\t \\b \\e only)",
                      static_cast<unsigned>(static_cast<unsigned char>(c)), i));
    }
  }
  return out;
}

namespace {

bool keyboard_listening(const I8042& kbd) {
  const I8042::State& st = kbd.state();
  constexpr uint8_t kCmdKeyboardDisabled = 0x10;  // command byte bit 4
  return st.kbd.scan_enabled && !(st.ram[0] & kCmdKeyboardDisabled);
}

}  // namespace

void schedule_keys(Scheduler& s, I8042& kbd, const KeyTyping& typing) {
  if (typing.text.empty()) return;
  auto kind = std::make_shared<EventKind>();
  // The payload is the index of the next character to type.
  *kind = s.register_kind("keys", [&s, &kbd, typing, kind](uint64_t next, int64_t) {
    if (next >= typing.text.size()) return;
    if (keyboard_listening(kbd)) {
      kbd.type_text(std::string_view(&typing.text[next], 1));
      next++;
    }
    if (next < typing.text.size()) s.schedule_in(typing.interval_ns, *kind, next);
  });
  s.schedule_at(typing.start_ns, *kind, 0);
}

}  // namespace kasou
