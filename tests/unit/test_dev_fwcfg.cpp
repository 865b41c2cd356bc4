// fw_cfg: signature and ID, the file directory, traditional and DMA reads, and
// DMA requests that point outside RAM (an error status, never a host access).
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "devices/fw_cfg.h"

namespace kasou {
namespace {

struct Rig {
  PhysicalMemory mem{4ull << 20};
  IoBus io;
  FwCfg cfg{io, mem};
  std::string read_item(uint16_t key, size_t n) {
    io.write(0x510, key, 2);
    std::string s;
    for (size_t i = 0; i < n; i++) s += static_cast<char>(io.read(0x511, 1));
    return s;
  }
  uint32_t be32(uint64_t addr) { return __builtin_bswap32(static_cast<uint32_t>(mem.read(addr, 4))); }
  // Places a FWCfgDmaAccess at `desc` and starts it (writing the low address half, as SeaBIOS does).
  uint32_t dma(uint64_t desc, uint32_t control, uint32_t length, uint64_t address) {
    mem.write(desc, __builtin_bswap32(control), 4);
    mem.write(desc + 4, __builtin_bswap32(length), 4);
    mem.write(desc + 8, __builtin_bswap32(static_cast<uint32_t>(address >> 32)), 4);
    mem.write(desc + 12, __builtin_bswap32(static_cast<uint32_t>(address)), 4);
    io.write(0x518, __builtin_bswap32(static_cast<uint32_t>(desc)), 4);
    return be32(desc);
  }
};

TEST_CASE("fw_cfg: signature, ID and the DMA register's signature") {
  Rig r;
  CHECK(r.read_item(fw_cfg::kSignature, 4) == "QEMU");
  CHECK(r.read_item(fw_cfg::kSignature, 6) == std::string("QEMU\0\0", 6));  // zeros past the end
  r.io.write(0x510, fw_cfg::kId, 2);
  CHECK(r.io.read(0x511, 1) == 3);  // traditional + DMA
  // Unknown items read as zeros; selecting rewinds.
  CHECK(r.read_item(0x1234, 2) == std::string("\0\0", 2));
  CHECK(r.read_item(fw_cfg::kSignature, 1) == "Q");
  // A byte read of the selector port reads data too (as QEMU's combined port).
  CHECK(r.io.read(0x510, 1) == 'E');
  // Data-port writes are ignored.
  r.io.write(0x511, 0x55, 1);
  CHECK(r.read_item(fw_cfg::kSignature, 4) == "QEMU");
  std::string sig;
  for (uint16_t p = 0x514; p < 0x51C; p++) sig += static_cast<char>(r.io.read(p, 1));
  CHECK(sig == "QEMU CFG");
  CHECK(r.io.read(0x514, 4) == 0x554D4551u);
}

TEST_CASE("fw_cfg: the file directory is sorted by name with selectors from 0x20") {
  Rig r;
  r.cfg.add_file("vgaroms/vgabios.bin", std::vector<uint8_t>(1000, 0xAA));
  r.cfg.add_file("bootorder", {'/', 'x', 0});
  uint16_t e820 = r.cfg.add_file("etc/e820", std::vector<uint8_t>(20, 1));
  CHECK(e820 == 0x21);
  r.io.write(0x510, fw_cfg::kFileDir, 2);
  auto byte = [&] { return static_cast<uint8_t>(r.io.read(0x511, 1)); };
  uint32_t count = 0;
  for (int i = 0; i < 4; i++) count = count << 8 | byte();
  REQUIRE(count == 3);
  const char* names[] = {"bootorder", "etc/e820", "vgaroms/vgabios.bin"};
  const uint32_t sizes[] = {3, 20, 1000};
  for (uint32_t i = 0; i < count; i++) {
    uint32_t size = 0;
    for (int k = 0; k < 4; k++) size = size << 8 | byte();
    uint16_t select = static_cast<uint16_t>(byte() << 8);
    select = static_cast<uint16_t>(select | byte());
    byte(), byte();
    char name[56];
    for (char& c : name) c = static_cast<char>(byte());
    CHECK(size == sizes[i]);
    CHECK(select == 0x20 + i);
    CHECK(std::string(name) == names[i]);
  }
  CHECK(r.read_item(0x22, 2) == "\xAA\xAA");
  // Replacing a file keeps one entry.
  r.cfg.add_file("bootorder", {'/', 'y', 0});
  CHECK(r.cfg.item(fw_cfg::kFileDir)->size() == 4 + 3 * 64);
  CHECK(r.read_item(0x20, 2) == "/y");
  CHECK_THROWS(r.cfg.add_file(std::string(56, 'n'), {}));
}

TEST_CASE("fw_cfg: DMA select + read, skip, zero fill past the end, and the offset shared with the data port") {
  Rig r;
  std::vector<uint8_t> blob(300);
  for (size_t i = 0; i < blob.size(); i++) blob[i] = static_cast<uint8_t>(i);
  uint16_t sel = r.cfg.add_file("etc/blob", blob);
  // Select and read 100 bytes.
  CHECK(r.dma(0x1000, uint32_t{sel} << 16 | fw_cfg::kDmaSelect | fw_cfg::kDmaRead, 100, 0x2000) == 0);
  CHECK(r.mem.read(0x2000, 1) == 0);
  CHECK(r.mem.read(0x2063, 1) == 99);
  // Skip 50, then read on.
  CHECK(r.dma(0x1000, fw_cfg::kDmaSkip, 50, 0) == 0);
  CHECK(r.dma(0x1000, fw_cfg::kDmaRead, 4, 0x3000) == 0);
  CHECK(r.mem.read(0x3000, 4) == 0x99989796u);
  // The data port continues from the same offset.
  CHECK(r.io.read(0x511, 1) == 154);
  // Past the end: the rest is zeros.
  std::vector<uint8_t> ff(256, 0xFF);
  r.mem.write_bytes(0x4000, ff.data(), ff.size());
  CHECK(r.dma(0x1000, fw_cfg::kDmaRead, 200, 0x4000) == 0);
  CHECK(r.mem.read(0x4000, 1) == 155);
  CHECK(r.mem.read(0x4000 + 144, 1) == (299 & 0xFF));
  CHECK(r.mem.read(0x4000 + 145, 4) == 0u);
  CHECK(r.mem.read(0x4000 + 199, 1) == 0u);
  CHECK(r.mem.read(0x4000 + 200, 1) == 0xFFu);
  // Select only: no data moves, the offset rewinds.
  CHECK(r.dma(0x1000, uint32_t{sel} << 16 | fw_cfg::kDmaSelect, 10, 0x5000) == 0);
  CHECK(r.io.read(0x511, 1) == 0);
  CHECK(r.cfg.state().dma_transfers == 5);
  // An 8-byte-wide register is written as two halves: high first, then low starts it.
  r.io.write(0x514, 0, 4);
  r.mem.write(0x1000, __builtin_bswap32(uint32_t{fw_cfg::kSignature} << 16 | fw_cfg::kDmaSelect | fw_cfg::kDmaRead), 4);
  r.io.write(0x518, __builtin_bswap32(0x1000), 4);
  CHECK(r.be32(0x1000) == 0);
}

TEST_CASE("fw_cfg: DMA to memory outside RAM, writes and bad descriptors give errors, not host accesses") {
  Rig r;
  r.cfg.add_file("etc/x", std::vector<uint8_t>(64, 7));
  // Destination beyond RAM (4 MiB): error, nothing written.
  CHECK(r.dma(0x1000, 0x20u << 16 | fw_cfg::kDmaSelect | fw_cfg::kDmaRead, 64, (4ull << 20) - 32) == fw_cfg::kDmaError);
  CHECK(r.mem.read((4ull << 20) - 32, 4) == 0u);
  // Above 4 GiB and wrapping lengths.
  CHECK(r.dma(0x1000, fw_cfg::kDmaRead, 16, 0x1'0000'0000ull) == fw_cfg::kDmaError);
  CHECK(r.dma(0x1000, fw_cfg::kDmaRead, 0xFFFFFFFFu, 0x2000) == fw_cfg::kDmaError);
  // Writes: no item is writable.
  CHECK(r.dma(0x1000, 0x20u << 16 | fw_cfg::kDmaSelect | fw_cfg::kDmaWrite, 4, 0x2000) == fw_cfg::kDmaError);
  CHECK(r.cfg.file("etc/x")->at(0) == 7);
  // A descriptor outside RAM: ignored (nowhere to report), logged.
  r.io.write(0x514, 0, 4);
  r.io.write(0x518, __builtin_bswap32(0xFFFFFFF8u), 4);
  CHECK(r.cfg.log().last().find("not in RAM") != std::string::npos);
  // No operation bits: nothing happens, status 0.
  CHECK(r.dma(0x1000, 0, 100, 0x2000) == 0);
}

TEST_CASE("fw_cfg: the PC items SeaBIOS reads") {
  Rig r;
  PcFirmwareConfig pc;
  pc.ram_bytes = 128ull << 20;
  pc.boot_order = {FwCfg::ide_boot_path(1, 0), FwCfg::ide_boot_path(0, 0)};
  pc.boot_fail_wait_ms = 5000;
  pc.nographic = true;
  r.cfg.add_pc_items(pc);
  auto le = [](const std::vector<uint8_t>& v) {
    uint64_t x = 0;
    for (size_t i = 0; i < v.size() && i < 8; i++) x |= uint64_t{v[i]} << (8 * i);
    return x;
  };
  CHECK(le(*r.cfg.item(fw_cfg::kRamSize)) == 128ull << 20);
  CHECK(le(*r.cfg.item(fw_cfg::kNbCpus)) == 1);
  CHECK(r.cfg.item(fw_cfg::kNbCpus)->size() == 2);
  CHECK(le(*r.cfg.item(fw_cfg::kNoGraphic)) == 1);
  const auto* e820 = r.cfg.file("etc/e820");
  REQUIRE(e820);
  REQUIRE(e820->size() == 20);
  CHECK(le(std::vector<uint8_t>(e820->begin(), e820->begin() + 8)) == 0);
  CHECK(le(std::vector<uint8_t>(e820->begin() + 8, e820->begin() + 16)) == 128ull << 20);
  CHECK((*e820)[16] == fw_cfg::kE820Ram);
  const auto* states = r.cfg.file("etc/system-states");
  REQUIRE(states);
  CHECK(*states == std::vector<uint8_t>{0x80, 0, 0, 0x01, 0x02, 0x80});
  const auto* order = r.cfg.file("bootorder");
  REQUIRE(order);
  CHECK(std::string(order->begin(), order->end()) ==
        std::string("/pci@i0cf8/ide@1,1/drive@1/disk@0\n/pci@i0cf8/ide@1,1/drive@0/disk@0\0", 68));
  CHECK(le(*r.cfg.file("etc/boot-fail-wait")) == 5000);
}

}  // namespace
}  // namespace kasou
