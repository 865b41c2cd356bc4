// VmConfig <-> TOML (toml++), with strict checking of keys and types.
#include "frontend/vm_config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace kasou {
namespace {

std::string where(const std::string& src, const toml::node& n) {
  const auto& r = n.source();
  return r.begin.line ? fmt::format("{}:{}", src, r.begin.line) : src;
}

class Reader {
 public:
  Reader(const std::string& src, const std::string& base) : src_(src), base_(base) {}

  // Refuses keys of `t` that are not in `allowed`.
  void only(const toml::table& t, std::initializer_list<const char*> allowed, const std::string& prefix) {
    std::set<std::string> ok(allowed.begin(), allowed.end());
    for (const auto& [k, v] : t)
      if (!ok.count(std::string(k.str())))
        throw ConfigError(fmt::format("{}: unknown key '{}{}' (allowed here: {})", where(src_, v), prefix, k.str(),
                                      fmt::join(allowed, ", ")));
  }

  template <class T>
  void get(const toml::table& t, const char* key, T& out, const std::string& prefix) {
    const toml::node* n = t.get(key);
    if (!n) return;
    if constexpr (std::is_same_v<T, bool>) {
      if (!n->is_boolean()) fail(*n, prefix + key, "a boolean (true/false)");
      out = n->value<bool>().value();
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!n->is_string()) fail(*n, prefix + key, "a string");
      out = n->value<std::string>().value();
    } else {
      if (!n->is_integer()) fail(*n, prefix + key, "an integer");
      int64_t v = n->value<int64_t>().value();
      if (v < 0) throw ConfigError(fmt::format("{}: '{}{}' must not be negative", where(src_, *n), prefix, key));
      out = static_cast<T>(v);
    }
  }

  void path(const toml::table& t, const char* key, std::string& out, const std::string& prefix) {
    get(t, key, out, prefix);
    if (!out.empty() && out != "auto" && !base_.empty() && std::filesystem::path(out).is_relative())
      out = (std::filesystem::path(base_) / out).string();
  }

  const toml::table* table(const toml::table& t, const char* key) {
    const toml::node* n = t.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail(*n, key, "a table ([" + std::string(key) + "])");
    return n->as_table();
  }

  [[noreturn]] void fail(const toml::node& n, const std::string& key, const std::string& expected) {
    throw ConfigError(fmt::format("{}: '{}' must be {}", where(src_, n), key, expected));
  }

 private:
  std::string src_, base_;
};

}  // namespace

VmConfig parse_vm_config(const std::string& text, const std::string& src, const std::string& base_dir) {
  toml::table root;
  try {
    root = toml::parse(text, src);
  } catch (const toml::parse_error& e) {
    throw ConfigError(fmt::format("{}:{}: {}", src, e.source().begin.line, e.description()));
  }
  Reader r(src, base_dir);
  VmConfig c;
  r.only(root, {"name", "memory_mib", "firmware", "boot", "disk", "cdrom", "serial", "display", "clock"}, "");
  r.get(root, "name", c.name, "");
  r.get(root, "memory_mib", c.memory_mib, "");
  if (c.memory_mib < 2 || c.memory_mib > 3584)
    throw ConfigError(fmt::format("{}: memory_mib = {} is outside 2..3584", src, c.memory_mib));
  if (const toml::table* fw = r.table(root, "firmware")) {
    r.only(*fw, {"bios", "vga_bios"}, "firmware.");
    r.path(*fw, "bios", c.bios, "firmware.");
    r.path(*fw, "vga_bios", c.vga_bios, "firmware.");
  }
  if (const toml::table* b = r.table(root, "boot")) {
    r.only(*b, {"kernel", "initrd", "append", "order", "menu"}, "boot.");
    r.path(*b, "kernel", c.kernel, "boot.");
    r.path(*b, "initrd", c.initrd, "boot.");
    r.get(*b, "append", c.append, "boot.");
    r.get(*b, "order", c.boot_order, "boot.");
    r.get(*b, "menu", c.boot_menu, "boot.");
    for (char ch : c.boot_order)
      if (ch != 'c' && ch != 'd')
        throw ConfigError(fmt::format("{}: boot.order '{}': use c (hard disk) and d (CD-ROM)", where(src, *b->get("order")),
                                      c.boot_order));
  }
  if (const toml::node* d = root.get("disk")) {
    const toml::array* arr = d->as_array();
    if (!arr) r.fail(*d, "disk", "an array of tables ([[disk]])");
    for (const toml::node& e : *arr) {
      if (!e.is_table()) r.fail(e, "disk", "an array of tables ([[disk]])");
      const toml::table& t = *e.as_table();
      r.only(t, {"file", "read_only"}, "disk.");
      DiskConfig dc;
      r.path(t, "file", dc.file, "disk.");
      r.get(t, "read_only", dc.read_only, "disk.");
      if (dc.file.empty()) throw ConfigError(fmt::format("{}: a [[disk]] needs a file", where(src, e)));
      c.disks.push_back(dc);
    }
    if (c.disks.size() > 3) throw ConfigError(fmt::format("{}: at most 3 disks (the fourth IDE position is the CD-ROM)", src));
  }
  if (const toml::table* cd = r.table(root, "cdrom")) {
    r.only(*cd, {"file"}, "cdrom.");
    r.path(*cd, "file", c.cdrom, "cdrom.");
  }
  if (const toml::table* s = r.table(root, "serial")) {
    r.only(*s, {"com1"}, "serial.");
    r.get(*s, "com1", c.serial, "serial.");
  }
  if (const toml::table* d = r.table(root, "display")) {
    r.only(*d, {"vga"}, "display.");
    r.get(*d, "vga", c.vga, "display.");
  }
  if (const toml::table* k = r.table(root, "clock")) {
    r.only(*k, {"realtime"}, "clock.");
    r.get(*k, "realtime", c.realtime, "clock.");
  }
  return c;
}

VmConfig load_vm_config(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw ConfigError(fmt::format("{}: cannot open the VM file", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_vm_config(ss.str(), path, std::filesystem::path(path).parent_path().string());
}

std::string to_toml(const VmConfig& c) {
  toml::table root;
  root.insert("name", c.name);
  root.insert("memory_mib", static_cast<int64_t>(c.memory_mib));
  if (!c.bios.empty() || !c.vga_bios.empty()) {
    toml::table fw;
    if (!c.bios.empty()) fw.insert("bios", c.bios);
    if (!c.vga_bios.empty()) fw.insert("vga_bios", c.vga_bios);
    root.insert("firmware", fw);
  }
  toml::table boot;
  if (!c.kernel.empty()) boot.insert("kernel", c.kernel);
  if (!c.initrd.empty()) boot.insert("initrd", c.initrd);
  if (!c.append.empty()) boot.insert("append", c.append);
  boot.insert("order", c.boot_order);
  boot.insert("menu", c.boot_menu);
  root.insert("boot", boot);
  if (!c.disks.empty()) {
    toml::array disks;
    for (const auto& d : c.disks) disks.push_back(toml::table{{"file", d.file}, {"read_only", d.read_only}});
    root.insert("disk", disks);
  }
  if (!c.cdrom.empty()) root.insert("cdrom", toml::table{{"file", c.cdrom}});
  root.insert("serial", toml::table{{"com1", c.serial}});
  root.insert("display", toml::table{{"vga", c.vga}});
  root.insert("clock", toml::table{{"realtime", c.realtime}});
  std::stringstream ss;
  ss << root << "\n";
  return ss.str();
}

}  // namespace kasou
