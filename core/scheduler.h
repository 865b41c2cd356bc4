// Scheduler: the virtual clock and the timed events of devices (in the spirit of
// Dolphin's CoreTiming).
//
// Devices register an event kind once (a name and a callback) and schedule events
// of that kind at a virtual time with a plain 64-bit payload, so pending events can
// be saved and restored. The CPU loop asks for the next deadline and runs guest
// code up to it; no device is polled by name.
//
// Virtual time is in nanoseconds. In deterministic mode it advances by a fixed
// amount per retired guest instruction (and jumps forward while the CPU halts), so
// a run is repeatable bit for bit. In realtime mode it follows the host clock.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kasou {

using EventKind = int;
using EventCallback = std::function<void(uint64_t payload, int64_t late_ns)>;

class Scheduler {
 public:
  static constexpr uint64_t kNever = ~0ull;

  EventKind register_kind(std::string name, EventCallback cb);
  void schedule_at(uint64_t time_ns, EventKind kind, uint64_t payload = 0);
  void schedule_in(uint64_t delay_ns, EventKind kind, uint64_t payload = 0) {
    schedule_at(now_ns_ + delay_ns, kind, payload);
  }
  // Removes every pending event of `kind` (with this payload, if given).
  void cancel(EventKind kind);
  void cancel(EventKind kind, uint64_t payload);

  uint64_t now_ns() const { return now_ns_; }
  uint64_t next_deadline_ns() const { return events_.empty() ? kNever : events_.front().time_ns; }
  // Advances the clock (never backwards) and runs every event that is due, in time
  // order (ties in scheduling order). Callbacks run with the clock at the target
  // time; `late_ns` says how long ago their event was due, so periodic events
  // schedule their next one at (now - late + period).
  void advance_to(uint64_t time_ns);

  // Pending events, for save/restore and the statistics view.
  struct Event {
    uint64_t time_ns;
    uint64_t seq;
    EventKind kind;
    uint64_t payload;
  };
  const std::vector<Event>& pending() const { return events_; }
  const std::string& kind_name(EventKind k) const { return kinds_[k].name; }

 private:
  struct Kind {
    std::string name;
    EventCallback cb;
  };
  std::vector<Kind> kinds_;
  std::vector<Event> events_;  // a min-heap on (time_ns, seq)
  uint64_t now_ns_ = 0;
  uint64_t seq_ = 0;
};

}  // namespace kasou
