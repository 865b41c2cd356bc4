// Save-state sections: [name length u16][name][version u32][payload length u64][payload].
#include "core/state_io.h"

namespace kasou {

void StateWriter::begin_section(const std::string& name, uint32_t version) {
  if (in_section_) throw StateError("state: section '" + name + "' opened inside another");
  uint16_t n = static_cast<uint16_t>(name.size());
  put_bytes(&n, 2);
  put_bytes(name.data(), n);
  put_bytes(&version, 4);
  uint64_t len = 0;
  section_start_ = data_.size();
  put_bytes(&len, 8);
  in_section_ = true;
}

void StateWriter::end_section() {
  uint64_t len = data_.size() - section_start_ - 8;
  std::memcpy(data_.data() + section_start_, &len, 8);
  in_section_ = false;
}

void StateWriter::put_bytes(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  data_.insert(data_.end(), b, b + n);
}

void StateWriter::put_string(const std::string& s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  put(n);
  put_bytes(s.data(), n);
}

namespace {
struct SectionHeader {
  std::string name;
  uint32_t version;
  size_t payload;
  size_t length;
};

bool read_header(const std::vector<uint8_t>& d, size_t at, SectionHeader& h) {
  if (at + 2 > d.size()) return false;
  uint16_t n;
  std::memcpy(&n, d.data() + at, 2);
  if (at + 2 + n + 12 > d.size()) return false;
  h.name.assign(reinterpret_cast<const char*>(d.data() + at + 2), n);
  std::memcpy(&h.version, d.data() + at + 2 + n, 4);
  uint64_t len;
  std::memcpy(&len, d.data() + at + 6 + n, 8);
  h.payload = at + 14 + n;
  if (len > d.size() - h.payload) return false;
  h.length = len;
  return true;
}
}  // namespace

uint32_t StateReader::open_section(const std::string& name) {
  SectionHeader h;
  for (size_t at = 0; read_header(data_, at, h); at = h.payload + h.length) {
    if (h.name == name) {
      pos_ = h.payload;
      end_ = h.payload + h.length;
      section_ = name;
      return h.version;
    }
  }
  throw StateError("state: no section '" + name + "' (or the state file is damaged)");
}

bool StateReader::has_section(const std::string& name) const {
  SectionHeader h;
  for (size_t at = 0; read_header(data_, at, h); at = h.payload + h.length)
    if (h.name == name) return true;
  return false;
}

void StateReader::get_bytes(void* p, size_t n) {
  if (pos_ + n > end_) throw StateError("state: section '" + section_ + "' is shorter than expected");
  std::memcpy(p, data_.data() + pos_, n);
  pos_ += n;
}

std::string StateReader::get_string() {
  uint32_t n;
  get(n);
  if (pos_ + n > end_) throw StateError("state: section '" + section_ + "' is shorter than expected");
  std::string s(reinterpret_cast<const char*>(data_.data() + pos_), n);
  pos_ += n;
  return s;
}

}  // namespace kasou
