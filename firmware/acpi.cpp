// Builds kasou's ACPI tables and the linker/loader script that places them (see
// acpi.h). Table layouts: ACPI 1.0b, sections 5.2.2 (RSDP), 5.2.7 (RSDT),
// 5.2.8 (FADT revision 1) and 5.2.9 (FACS).
#include "firmware/acpi.h"

#include <cstring>
#include <stdexcept>

namespace kasou {

namespace embedded {
extern const unsigned char acpi_dsdt_aml[];
extern const size_t acpi_dsdt_aml_size;
}  // namespace embedded

namespace {

constexpr const char* kRsdpFile = "etc/acpi/rsdp";
constexpr const char* kTablesFile = "etc/acpi/tables";
constexpr const char* kLoaderFile = "etc/table-loader";

constexpr size_t kHeaderBytes = 36;
constexpr size_t kFacsBytes = 64;
constexpr size_t kFadtBytes = 116;  // revision 1
constexpr size_t kRsdpBytes = 20;   // revision 0
constexpr uint16_t kSciIrq = 9;
constexpr uint16_t kSmiCommandPort = 0xB2;  // devices/piix4_pm.h: APM control
constexpr uint8_t kAcpiEnable = 0xF1, kAcpiDisable = 0xF0;
constexpr uint32_t kGpe0Port = 0xAFE0;

void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) { std::memcpy(&b[off], &v, 2); }
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) { std::memcpy(&b[off], &v, 4); }

uint8_t sum8(const uint8_t* p, size_t n) {
  uint8_t s = 0;
  for (size_t i = 0; i < n; i++) s = static_cast<uint8_t>(s + p[i]);
  return s;
}

// The common table header (the checksum is left 0 for the loader or the caller).
void write_header(std::vector<uint8_t>& b, size_t off, const char sig[4], uint32_t length, uint8_t revision) {
  std::memcpy(&b[off], sig, 4);
  put32(b, off + 4, length);
  b[off + 8] = revision;
  std::memcpy(&b[off + 10], "KASOU ", 6);
  std::memcpy(&b[off + 16], "KASOUPC ", 8);
  put32(b, off + 24, 1);  // OEM revision
  std::memcpy(&b[off + 28], "KASU", 4);
  put32(b, off + 32, 1);  // creator revision
}

size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

class LoaderScript {
 public:
  void allocate(const char* file, uint32_t align, acpi::AllocZone zone) {
    uint8_t* e = entry(acpi::kAllocate);
    name(e + 4, file);
    std::memcpy(e + 60, &align, 4);
    e[64] = zone;
  }
  // The `size`-byte little-endian value at dest_file+offset is an offset into
  // src_file; the loader adds src_file's address to it.
  void add_pointer(const char* dest_file, const char* src_file, uint32_t offset, uint8_t size) {
    uint8_t* e = entry(acpi::kAddPointer);
    name(e + 4, dest_file);
    name(e + 60, src_file);
    std::memcpy(e + 116, &offset, 4);
    e[120] = size;
  }
  // The byte at file+offset becomes what makes [start, start+length) sum to 0.
  void add_checksum(const char* file, uint32_t offset, uint32_t start, uint32_t length) {
    uint8_t* e = entry(acpi::kAddChecksum);
    name(e + 4, file);
    std::memcpy(e + 60, &offset, 4);
    std::memcpy(e + 64, &start, 4);
    std::memcpy(e + 68, &length, 4);
  }
  std::vector<uint8_t> take() { return std::move(bytes_); }

 private:
  uint8_t* entry(uint32_t command) {
    bytes_.resize(bytes_.size() + acpi::kLoaderEntryBytes, 0);
    uint8_t* e = &bytes_[bytes_.size() - acpi::kLoaderEntryBytes];
    std::memcpy(e, &command, 4);
    return e;
  }
  static void name(uint8_t* dst, const char* file) { std::strncpy(reinterpret_cast<char*>(dst), file, acpi::kLoaderFileName - 1); }
  std::vector<uint8_t> bytes_;
};

// The DSDT with the PCI window start patched into Name (PMIN, 0x80000000).
std::vector<uint8_t> dsdt_for(const PcAcpiConfig& cfg) {
  std::vector<uint8_t> aml(embedded::acpi_dsdt_aml, embedded::acpi_dsdt_aml + embedded::acpi_dsdt_aml_size);
  static const uint8_t kPmin[] = {0x08, 'P', 'M', 'I', 'N', 0x0C};  // NameOp "PMIN" DWordPrefix
  size_t at = aml.size();
  for (size_t i = kHeaderBytes; i + sizeof(kPmin) + 4 <= aml.size(); i++)
    if (std::memcmp(&aml[i], kPmin, sizeof(kPmin)) == 0) {
      at = i + sizeof(kPmin);
      break;
    }
  if (at == aml.size()) throw std::logic_error("acpi: the built-in DSDT has no PMIN to patch");
  put32(aml, at, pci_window_start(cfg.ram_below_4g_bytes));
  aml[9] = 0;
  aml[9] = static_cast<uint8_t>(-sum8(aml.data(), aml.size()));
  return aml;
}

}  // namespace

uint32_t pci_window_start(uint64_t ram_below_4g_bytes) {
  // SeaBIOS's i440FX set-up (pciinit.c): BARs from 2 GiB or 3 GiB when the RAM
  // ends below them, else from its default of 0xE0000000.
  if (ram_below_4g_bytes <= 0x80000000ull) return 0x80000000u;
  if (ram_below_4g_bytes <= 0xC0000000ull) return 0xC0000000u;
  return 0xE0000000u;
}

FirmwareFiles build_pc_acpi_tables(const PcAcpiConfig& cfg) {
  const std::vector<uint8_t> dsdt = dsdt_for(cfg);
  const size_t facs_off = 0;
  const size_t dsdt_off = facs_off + kFacsBytes;
  const size_t fadt_off = align_up(dsdt_off + dsdt.size(), 4);
  const size_t rsdt_off = align_up(fadt_off + kFadtBytes, 4);
  const size_t rsdt_bytes = kHeaderBytes + 4;  // one entry: the FADT
  std::vector<uint8_t> tables(rsdt_off + rsdt_bytes, 0);

  // FACS: no global lock users, no waking vector until the OS sets one.
  std::memcpy(&tables[facs_off], "FACS", 4);
  put32(tables, facs_off + 4, kFacsBytes);

  std::memcpy(&tables[dsdt_off], dsdt.data(), dsdt.size());

  // FADT. Pointers hold offsets into "etc/acpi/tables" until the loader relocates them.
  const size_t f = fadt_off;
  write_header(tables, f, "FACP", kFadtBytes, 1);
  put32(tables, f + 36, static_cast<uint32_t>(facs_off));  // FIRMWARE_CTRL
  put32(tables, f + 40, static_cast<uint32_t>(dsdt_off));  // DSDT
  tables[f + 44] = 0;                                      // INT_MODEL: dual 8259 PIC
  put16(tables, f + 46, kSciIrq);
  put32(tables, f + 48, kSmiCommandPort);
  tables[f + 52] = kAcpiEnable;
  tables[f + 53] = kAcpiDisable;
  put32(tables, f + 56, cfg.pm_io_base);         // PM1a_EVT_BLK: PMSTS, PMEN
  put32(tables, f + 64, cfg.pm_io_base + 0x04);  // PM1a_CNT_BLK: PMCNTRL
  put32(tables, f + 76, cfg.pm_io_base + 0x08);  // PM_TMR_BLK
  put32(tables, f + 80, kGpe0Port);              // GPE0_BLK
  tables[f + 88] = 4;                            // PM1_EVT_LEN
  tables[f + 89] = 2;                            // PM1_CNT_LEN
  tables[f + 91] = 4;                            // PM_TMR_LEN
  tables[f + 92] = 4;                            // GPE0_BLK_LEN
  put16(tables, f + 96, 0x0FFF);                 // P_LVL2_LAT: no C2
  put16(tables, f + 98, 0x0FFF);                 // P_LVL3_LAT: no C3
  // WBINVD works, C1 (HLT) on all processors, the sleep button is a control
  // method device (there is none), RTC wake from S4, no 32-bit PM timer.
  put32(tables, f + 112, (1u << 0) | (1u << 2) | (1u << 5) | (1u << 7));

  write_header(tables, rsdt_off, "RSDT", static_cast<uint32_t>(rsdt_bytes), 1);
  put32(tables, rsdt_off + kHeaderBytes, static_cast<uint32_t>(fadt_off));

  std::vector<uint8_t> rsdp(kRsdpBytes, 0);
  std::memcpy(&rsdp[0], "RSD PTR ", 8);
  std::memcpy(&rsdp[9], "KASOU ", 6);
  rsdp[15] = 0;  // revision 0 (ACPI 1.0): RSDT only
  put32(rsdp, 16, static_cast<uint32_t>(rsdt_off));

  LoaderScript ld;
  ld.allocate(kRsdpFile, 16, acpi::kZoneFseg);
  ld.allocate(kTablesFile, 64, acpi::kZoneHigh);
  ld.add_pointer(kTablesFile, kTablesFile, static_cast<uint32_t>(f + 36), 4);
  ld.add_pointer(kTablesFile, kTablesFile, static_cast<uint32_t>(f + 40), 4);
  ld.add_pointer(kTablesFile, kTablesFile, static_cast<uint32_t>(rsdt_off + kHeaderBytes), 4);
  ld.add_pointer(kRsdpFile, kTablesFile, 16, 4);
  ld.add_checksum(kTablesFile, static_cast<uint32_t>(f + 9), static_cast<uint32_t>(f), kFadtBytes);
  ld.add_checksum(kTablesFile, static_cast<uint32_t>(rsdt_off + 9), static_cast<uint32_t>(rsdt_off),
                  static_cast<uint32_t>(rsdt_bytes));
  ld.add_checksum(kRsdpFile, 8, 0, kRsdpBytes);

  FirmwareFiles out;
  out.emplace_back(kRsdpFile, std::move(rsdp));
  out.emplace_back(kTablesFile, std::move(tables));
  out.emplace_back(kLoaderFile, ld.take());
  return out;
}

}  // namespace kasou
