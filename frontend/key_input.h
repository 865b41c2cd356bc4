// --keys: text typed into the PS/2 keyboard at a virtual time, one key every few
// milliseconds, so that a test can answer a guest's keyboard read (INT 16h, a
// shell prompt) the same way on every run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kasou {

class I8042;
class Scheduler;

// Turns the --keys text into the characters to type: printable ASCII as is, and
// the escapes \n or \r (Enter), \t (Tab), \b (Backspace), \e (Escape), \\ (a
// backslash). Anything else is a ConfigError-style std::invalid_argument naming
// the offending character and its position.
std::string parse_key_text(std::string_view spec);

struct KeyTyping {
  std::string text;          // from parse_key_text()
  uint64_t start_ns = 0;     // virtual time of the first key
  uint64_t interval_ns = 0;  // between two keys
};

// Schedules the keys on the machine's clock. A key that falls while the keyboard
// is not scanning (the firmware resets and disables it during POST) waits, and is
// retried every interval, so that no key is lost to the firmware's set-up.
void schedule_keys(Scheduler& s, I8042& kbd, const KeyTyping& typing);

}  // namespace kasou
