// StateWriter / StateReader: the binary format of save states.
//
// A state is a sequence of tagged sections, one per device (and one for the CPU,
// memory, scheduler). Each section has a name, a version and a byte payload; a
// device writes its one state struct with put() and reads it back with get(),
// refusing versions it does not know. Plain data only: no pointers.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace kasou {

class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class StateWriter {
 public:
  void begin_section(const std::string& name, uint32_t version);
  void end_section();
  void put_bytes(const void* p, size_t n);
  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    put_bytes(&v, sizeof v);
  }
  void put_string(const std::string& s);
  const std::vector<uint8_t>& data() const { return data_; }

 private:
  std::vector<uint8_t> data_;
  size_t section_start_ = 0;
  bool in_section_ = false;
};

class StateReader {
 public:
  explicit StateReader(std::vector<uint8_t> data) : data_(std::move(data)) {}
  // Positions the reader at the section `name`; returns its version. Throws
  // StateError if it is missing.
  uint32_t open_section(const std::string& name);
  bool has_section(const std::string& name) const;
  void get_bytes(void* p, size_t n);
  template <class T>
  void get(T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    get_bytes(&v, sizeof v);
  }
  std::string get_string();

 private:
  std::vector<uint8_t> data_;
  size_t pos_ = 0;
  size_t end_ = 0;
  std::string section_;
};

}  // namespace kasou
