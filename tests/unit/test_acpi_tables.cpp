// kasou's ACPI blobs before the firmware sees them (firmware/acpi.h): the files
// and loader commands SeaBIOS needs, the DSDT's PCI window for each RAM size.
// That SeaBIOS really loads them is tested in test_dev_seabios.cpp.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "firmware/acpi.h"

namespace kasou {
namespace {

const std::vector<uint8_t>& file(const FirmwareFiles& files, const std::string& name) {
  for (const auto& [n, data] : files)
    if (n == name) return data;
  FAIL("no fw_cfg file " << name);
  static const std::vector<uint8_t> none;
  return none;
}

uint32_t le32(const std::vector<uint8_t>& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, &b[off], 4);
  return v;
}

TEST_CASE("acpi: the DSDT's PCI memory window starts where SeaBIOS puts BARs for the RAM size") {
  CHECK(pci_window_start(128ull << 20) == 0x80000000u);
  CHECK(pci_window_start(2048ull << 20) == 0x80000000u);
  CHECK(pci_window_start(3072ull << 20) == 0xC0000000u);
  CHECK(pci_window_start(3584ull << 20) == 0xE0000000u);
  for (uint64_t mib : {128ull, 3072ull}) {
    PcAcpiConfig cfg;
    cfg.ram_below_4g_bytes = mib << 20;
    const auto files = build_pc_acpi_tables(cfg);
    const auto& tables = file(files, "etc/acpi/tables");
    const std::string text(tables.begin(), tables.end());
    const size_t dsdt = text.find("DSDT");
    REQUIRE(dsdt != std::string::npos);
    const uint32_t len = le32(tables, dsdt + 4);
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) sum = static_cast<uint8_t>(sum + tables[dsdt + i]);
    CHECK(sum == 0);
    const size_t pmin = text.find(std::string("\x08PMIN\x0C", 6), dsdt);
    REQUIRE(pmin != std::string::npos);
    CHECK(le32(tables, pmin + 6) == pci_window_start(cfg.ram_below_4g_bytes));
  }
}

TEST_CASE("acpi: the loader script allocates the RSDP in the F segment and the tables high, then relocates") {
  const auto files = build_pc_acpi_tables(PcAcpiConfig{});
  const auto& loader = file(files, "etc/table-loader");
  REQUIRE(loader.size() % acpi::kLoaderEntryBytes == 0);
  REQUIRE(loader.size() / acpi::kLoaderEntryBytes == 9);
  auto name_at = [&](size_t entry, size_t off) { return std::string(reinterpret_cast<const char*>(&loader[entry * 128 + off])); };
  CHECK(le32(loader, 0) == acpi::kAllocate);
  CHECK(name_at(0, 4) == "etc/acpi/rsdp");
  CHECK(loader[64] == acpi::kZoneFseg);
  CHECK(le32(loader, 128) == acpi::kAllocate);
  CHECK(name_at(1, 4) == "etc/acpi/tables");
  CHECK(le32(loader, 128 + 60) % 64 == 0);  // the FACS needs 64-byte alignment
  // The RSDP's RSDT pointer is relocated against the tables, then checksummed.
  bool rsdp_pointer = false, rsdp_checksum = false;
  for (size_t e = 2; e < 9; e++) {
    const uint32_t cmd = le32(loader, e * 128);
    if (cmd == acpi::kAddPointer && name_at(e, 4) == "etc/acpi/rsdp") {
      rsdp_pointer = name_at(e, 60) == "etc/acpi/tables" && le32(loader, e * 128 + 116) == 16;
      CHECK_FALSE(rsdp_checksum);  // pointers before checksums
    }
    if (cmd == acpi::kAddChecksum && name_at(e, 4) == "etc/acpi/rsdp") rsdp_checksum = true;
  }
  CHECK(rsdp_pointer);
  CHECK(rsdp_checksum);
  const auto& rsdp = file(files, "etc/acpi/rsdp");
  CHECK(std::string(rsdp.begin(), rsdp.begin() + 8) == "RSD PTR ");
}

}  // namespace
}  // namespace kasou
