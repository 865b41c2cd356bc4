// Scheduler: a binary heap of (time, sequence) ordered events.
#include "core/scheduler.h"

#include <algorithm>

namespace kasou {
namespace {
bool later(const Scheduler::Event& a, const Scheduler::Event& b) {
  return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.seq > b.seq;
}
}  // namespace

EventKind Scheduler::register_kind(std::string name, EventCallback cb) {
  kinds_.push_back({std::move(name), std::move(cb)});
  return static_cast<EventKind>(kinds_.size() - 1);
}

void Scheduler::schedule_at(uint64_t time_ns, EventKind kind, uint64_t payload) {
  events_.push_back({time_ns, seq_++, kind, payload});
  std::push_heap(events_.begin(), events_.end(), later);
}

void Scheduler::cancel(EventKind kind) {
  std::erase_if(events_, [&](const Event& e) { return e.kind == kind; });
  std::make_heap(events_.begin(), events_.end(), later);
}

void Scheduler::cancel(EventKind kind, uint64_t payload) {
  std::erase_if(events_, [&](const Event& e) { return e.kind == kind && e.payload == payload; });
  std::make_heap(events_.begin(), events_.end(), later);
}

void Scheduler::advance_to(uint64_t time_ns) {
  if (time_ns > now_ns_) now_ns_ = time_ns;
  while (!events_.empty() && events_.front().time_ns <= now_ns_) {
    std::pop_heap(events_.begin(), events_.end(), later);
    Event e = events_.back();
    events_.pop_back();
    kinds_[e.kind].cb(e.payload, static_cast<int64_t>(now_ns_ - e.time_ns));
  }
}

}  // namespace kasou
