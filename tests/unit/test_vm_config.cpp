// VM files: every key read back, relative paths resolved against the file, and
// unknown keys, wrong types and bad values refused with the key, line and reason.
#include <doctest/doctest.h>

#include "frontend/vm_config.h"

namespace kasou {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_vm_config(text, "vm.toml", "/vms");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("vm config: a full file") {
  VmConfig c = parse_vm_config(R"(
name = "debian"
memory_mib = 256
[firmware]
bios = "auto"
[boot]
kernel = "vmlinuz"
initrd = "/abs/initrd.img"
append = "console=ttyS0"
order = "dc"
menu = true
[[disk]]
file = "disk.img"
[[disk]]
file = "data.img"
read_only = true
[cdrom]
file = "debian.iso"
[serial]
com1 = "none"
[display]
vga = true
[clock]
realtime = true
)",
                               "vm.toml", "/vms");
  CHECK(c.name == "debian");
  CHECK(c.memory_mib == 256);
  CHECK(c.bios == "auto");
  CHECK(c.kernel == "/vms/vmlinuz");
  CHECK(c.initrd == "/abs/initrd.img");
  CHECK(c.append == "console=ttyS0");
  CHECK(c.boot_order == "dc");
  CHECK(c.boot_menu);
  REQUIRE(c.disks.size() == 2);
  CHECK(c.disks[0].file == "/vms/disk.img");
  CHECK_FALSE(c.disks[0].read_only);
  CHECK(c.disks[1].read_only);
  CHECK(c.cdrom == "/vms/debian.iso");
  CHECK(c.serial == "none");
  CHECK(c.vga);
  CHECK(c.realtime);
}

TEST_CASE("vm config: defaults and a round trip through to_toml") {
  VmConfig c = parse_vm_config("", "vm.toml");
  CHECK(c.memory_mib == 128);
  CHECK(c.bios.empty());
  c.name = "x";
  c.kernel = "/k";
  c.disks.push_back({"/d.img", true});
  c.vga = true;
  c.boot_menu = true;
  VmConfig back = parse_vm_config(to_toml(c), "round-trip");
  CHECK(back.name == "x");
  CHECK(back.kernel == "/k");
  REQUIRE(back.disks.size() == 1);
  CHECK(back.disks[0].read_only);
  CHECK(back.vga);
  CHECK(back.boot_menu);
  CHECK_FALSE(parse_vm_config("", "vm.toml").boot_menu);
}

TEST_CASE("vm config: bad files say which key, which line and why") {
  std::string e = error_of("name = \"a\"\nmemroy_mib = 64\n");
  CHECK(e.find("vm.toml:2") != std::string::npos);
  CHECK(e.find("unknown key 'memroy_mib'") != std::string::npos);
  e = error_of("[boot]\nkernal = \"x\"\n");
  CHECK(e.find("unknown key 'boot.kernal'") != std::string::npos);
  e = error_of("memory_mib = \"lots\"\n");
  CHECK(e.find("'memory_mib' must be an integer") != std::string::npos);
  e = error_of("memory_mib = 1\n");
  CHECK(e.find("outside 2..3584") != std::string::npos);
  e = error_of("[display]\nvga = 1\n");
  CHECK(e.find("'display.vga' must be a boolean") != std::string::npos);
  e = error_of("[[disk]]\nread_only = true\n");
  CHECK(e.find("needs a file") != std::string::npos);
  e = error_of("[boot]\nmenu = \"yes\"\n");
  CHECK(e.find("'boot.menu' must be a boolean") != std::string::npos);
  e = error_of("[boot]\norder = \"cx\"\n");
  CHECK(e.find("boot.order") != std::string::npos);
  e = error_of("name = \n");
  CHECK(e.find("vm.toml:1") != std::string::npos);  // a TOML syntax error with its line
  e = error_of("boot = 3\n");
  CHECK(e.find("'boot' must be a table") != std::string::npos);
}

TEST_CASE("vm config: a missing file") {
  CHECK_THROWS_AS(load_vm_config("/nonexistent/vm.toml"), ConfigError);
}

}  // namespace
}  // namespace kasou
