// IDE: the PIIX3 IDE function, ATA commands over PIO and bus-master DMA through a
// RawImage on a temporary file, the task-file state machine, bad input (commands
// out of order, PRDs outside RAM, read-only and truncated images), and the ATAPI
// CD-ROM (READ, TOC, sense, media change).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

#include "core/state_io.h"
#include "devices/ide.h"
#include "disks/raw_image.h"
#include "tests/unit/dev_fixture.h"
#include "tests/unit/temp_file.h"

namespace kasou {
namespace {

using test::cfg_write;
using test::MemBackend;
using test::patterned_image;
using test::TempFile;

constexpr uint16_t kBmBase = 0xC000;

struct Rig {
  PhysicalMemory mem{16ull << 20};
  IoBus io;
  PciBus bus{io, mem};
  test::IrqRecorder pic;
  Piix3Ide ide{mem, IrqLine{&pic, 14}, IrqLine{&pic, 15}};
  Rig() { bus.attach(1, 1, ide); }
  // What SeaBIOS does: I/O and bus mastering on, both channels decoded, BMIBA.
  void enable() {
    cfg_write(io, 1, 1, 0x20, kBmBase, 4);
    cfg_write(io, 1, 1, 0x04, pci::kCmdIo | pci::kCmdMaster, 2);
    cfg_write(io, 1, 1, 0x40, 0x8000, 2);
    cfg_write(io, 1, 1, 0x42, 0x8000, 2);
  }
  uint8_t in(uint16_t p) { return static_cast<uint8_t>(io.read(p, 1)); }
  void out(uint16_t p, uint8_t v) { io.write(p, v, 1); }
  uint16_t inw(uint16_t p) { return static_cast<uint16_t>(io.read(p, 2)); }
  void outw(uint16_t p, uint16_t v) { io.write(p, v, 2); }
  // LBA28 task file + command on the primary channel.
  void ata(uint8_t cmd, uint32_t lba, uint8_t count, unsigned dev = 0) {
    out(0x1F6, static_cast<uint8_t>(0xE0 | dev << 4 | ((lba >> 24) & 0xF)));
    out(0x1F2, count);
    out(0x1F3, lba & 0xFF);
    out(0x1F4, (lba >> 8) & 0xFF);
    out(0x1F5, (lba >> 16) & 0xFF);
    out(0x1F7, cmd);
  }
  std::vector<uint8_t> read_pio(size_t bytes) {
    std::vector<uint8_t> v;
    for (size_t i = 0; i < bytes; i += 2) {
      uint16_t w = inw(0x1F0);
      v.push_back(w & 0xFF);
      v.push_back(static_cast<uint8_t>(w >> 8));
    }
    return v;
  }
  void write_pio(const uint8_t* p, size_t bytes) {
    for (size_t i = 0; i < bytes; i += 2) outw(0x1F0, static_cast<uint16_t>(p[i] | p[i + 1] << 8));
  }
  // A PRD table at `table`: (address, bytes) pairs, the last with EOT.
  void prd(uint32_t table, std::vector<std::pair<uint32_t, uint32_t>> regions) {
    for (size_t i = 0; i < regions.size(); i++) {
      mem.write(table + 8 * i, regions[i].first, 4);
      uint32_t c = regions[i].second & 0xFFFF;
      if (i + 1 == regions.size()) c |= 0x80000000u;
      mem.write(table + 8 * i + 4, c, 4);
    }
    io.write(kBmBase + 4, table, 4);
  }
  void bm_start(bool to_memory) { out(kBmBase, static_cast<uint8_t>((to_memory ? 0x08 : 0) | 1)); }
  uint8_t bm_status() { return in(kBmBase + 2); }
};

std::vector<uint8_t> sectors_of(const std::vector<uint8_t>& img, uint64_t lba, uint64_t n) {
  return std::vector<uint8_t>(img.begin() + static_cast<long>(lba * 512), img.begin() + static_cast<long>((lba + n) * 512));
}

TEST_CASE("ide: legacy ports decode with PCICMD.IOSE and IDETIM; empty channels float; an absent slave reads 0") {
  Rig r;
  TempFile f(patterned_image(64));
  r.ide.attach_disk(0, 0, std::make_unique<RawImage>(f.path(), RawImage::Mode::kReadWrite));
  CHECK(r.io.handler(0x1F7) == nullptr);
  CHECK(test::cfg_read(r.io, 1, 1, 0x00, 4) == 0x70108086u);
  CHECK(test::cfg_read(r.io, 1, 1, 0x08, 4) == 0x01018000u);  // IDE, bus master, compatibility mode
  cfg_write(r.io, 1, 1, 0x04, pci::kCmdIo, 2);
  CHECK(r.io.handler(0x1F7) == nullptr);  // IDETIM decode enable still off
  r.enable();
  CHECK(r.ide.decoding(0));
  CHECK(r.io.handler(0x1F7) == &r.ide.channel(0));
  CHECK(r.io.handler(0x3F6) == &r.ide.channel(0));
  CHECK(r.io.handler(0x3F7) == nullptr);  // the floppy's
  CHECK(r.in(0x1F7) == 0x50);             // DRDY | DSC
  CHECK(r.in(0x177) == 0xFF);             // nothing on the secondary channel
  // Select the absent slave: registers read 0, the device register what was written.
  r.out(0x1F6, 0xB0);
  r.out(0x1F2, 0x55);
  CHECK(r.in(0x1F2) == 0);
  CHECK(r.in(0x1F7) == 0);
  CHECK(r.in(0x1F6) == 0xB0);
  r.out(0x1F6, 0xA0);
  CHECK(r.in(0x1F2) == 0x55);
  // Decoding off again.
  cfg_write(r.io, 1, 1, 0x40, 0x0000, 2);
  CHECK(r.io.handler(0x1F7) == nullptr);
  CHECK(r.io.read(0x1F7, 1) == 0xFF);
}

TEST_CASE("ide: IDENTIFY DEVICE") {
  Rig r;
  TempFile f(patterned_image(2048));
  r.ide.attach_disk(0, 0, std::make_unique<RawImage>(f.path(), RawImage::Mode::kReadWrite));
  r.enable();
  r.out(0x1F6, 0xA0);
  r.out(0x1F7, 0xEC);
  CHECK(r.pic.level[14]);
  CHECK(r.in(0x3F6) == 0x58);  // alternate status: DRQ, IRQ stays
  CHECK(r.pic.level[14]);
  CHECK(r.in(0x1F7) == 0x58);
  CHECK_FALSE(r.pic.level[14]);  // reading Status acknowledges
  CHECK((r.bm_status() & 0x04) != 0);
  auto id = r.read_pio(512);
  CHECK(r.in(0x1F7) == 0x50);
  auto w = [&](unsigned i) { return static_cast<uint16_t>(id[2 * i] | id[2 * i + 1] << 8); };
  CHECK(w(0) == 0x0040);
  CHECK(w(1) == 2);  // cylinders of 16 heads x 63 sectors
  CHECK(w(3) == 16);
  CHECK(w(6) == 63);
  CHECK((w(49) & 0x0300) == 0x0300);  // LBA and DMA
  CHECK(w(60) == 2048);
  CHECK(w(61) == 0);
  CHECK((w(83) & (1 << 10)) != 0);  // LBA48
  CHECK(w(100) == 2048);
  std::string model;
  for (unsigned i = 27; i < 47; i++) model += static_cast<char>(w(i) >> 8), model += static_cast<char>(w(i) & 0xFF);
  CHECK(model.rfind("KASOU HARDDISK", 0) == 0);
  uint8_t sum = 0;
  for (uint8_t b : id) sum = static_cast<uint8_t>(sum + b);
  CHECK(id[510] == 0xA5);
  CHECK(sum == 0);
  // More reads than data: 0, logged.
  CHECK(r.inw(0x1F0) == 0);
  CHECK(r.ide.log().last().find("no data ready") != std::string::npos);
}

TEST_CASE("ide: READ SECTORS and WRITE SECTORS by PIO through a RawImage, one interrupt per sector") {
  Rig r;
  auto img = patterned_image(64);
  TempFile f(img);
  r.ide.attach_disk(0, 0, std::make_unique<RawImage>(f.path(), RawImage::Mode::kReadWrite));
  r.enable();
  r.ata(0x20, 5, 3);
  std::vector<uint8_t> got;
  for (int s = 0; s < 3; s++) {
    CHECK(r.pic.level[14]);
    CHECK(r.in(0x1F7) == 0x58);
    auto part = r.read_pio(512);
    got.insert(got.end(), part.begin(), part.end());
  }
  CHECK_FALSE(r.pic.level[14]);  // no interrupt after the last block of a read
  CHECK(r.in(0x1F7) == 0x50);
  CHECK(got == sectors_of(img, 5, 3));
  CHECK(r.in(0x1F3) == 7);  // the registers hold the last sector transferred
  // Write two sectors: DRQ without interrupt first, then an interrupt per sector.
  std::vector<uint8_t> data(1024);
  for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<uint8_t>(0xA0 ^ i);
  r.ata(0x30, 10, 2);
  CHECK(r.in(0x3F6) == 0x58);
  CHECK_FALSE(r.pic.level[14]);
  r.write_pio(data.data(), 512);
  CHECK(r.pic.level[14]);
  CHECK(r.in(0x1F7) == 0x58);
  // The first sector is in the file already.
  CHECK(sectors_of(f.contents(), 10, 1) == std::vector<uint8_t>(data.begin(), data.begin() + 512));
  r.write_pio(data.data() + 512, 512);
  CHECK(r.pic.level[14]);
  CHECK(r.in(0x1F7) == 0x50);
  CHECK(sectors_of(f.contents(), 10, 2) == data);
  CHECK(sectors_of(f.contents(), 12, 1) == sectors_of(img, 12, 1));
  // 32-bit PIO: two 16-bit transfers per access.
  r.ata(0x20, 0, 1);
  r.in(0x1F7);
  std::vector<uint8_t> d32;
  for (int i = 0; i < 128; i++) {
    uint32_t v = r.io.read(0x1F0, 4);
    for (int b = 0; b < 4; b++) d32.push_back(static_cast<uint8_t>(v >> (8 * b)));
  }
  CHECK(d32 == sectors_of(img, 0, 1));
  CHECK(r.in(0x1F7) == 0x50);
}

TEST_CASE("ide: READ/WRITE MULTIPLE after SET MULTIPLE MODE") {
  Rig r;
  auto img = patterned_image(64);
  auto* disk = new MemBackend(img);
  r.ide.attach_disk(0, 0, std::unique_ptr<BlockBackend>(disk));
  r.enable();
  r.ata(0xC6, 0, 3);  // not a power of two
  CHECK(r.in(0x1F7) == 0x41);
  CHECK(r.in(0x1F1) == 0x04);
  r.ata(0xC6, 0, 4);
  CHECK(r.in(0x1F7) == 0x50);
  r.ata(0xC4, 2, 6);  // 6 sectors in blocks of 4: two DRQ blocks
  CHECK(r.pic.rises[14] == 3);
  r.in(0x1F7);
  auto a = r.read_pio(4 * 512);
  CHECK(r.pic.rises[14] == 4);
  CHECK(r.in(0x1F7) == 0x58);
  auto b = r.read_pio(2 * 512);
  a.insert(a.end(), b.begin(), b.end());
  CHECK(a == sectors_of(img, 2, 6));
  CHECK(r.in(0x1F7) == 0x50);
  // WRITE MULTIPLE of 5 sectors: blocks of 4 and 1.
  std::vector<uint8_t> data(5 * 512, 0x3C);
  r.ata(0xC5, 20, 5);
  r.write_pio(data.data(), 4 * 512);
  CHECK(r.in(0x1F7) == 0x58);
  r.write_pio(data.data() + 4 * 512, 512);
  CHECK(r.in(0x1F7) == 0x50);
  CHECK(sectors_of(disk->data(), 20, 5) == data);
  // SET MULTIPLE 0 disables multiple mode: READ MULTIPLE aborts.
  r.ata(0xC6, 0, 0);
  r.ata(0xC4, 0, 1);
  CHECK(r.in(0x1F7) == 0x41);
  CHECK(r.in(0x1F1) == 0x04);
}

TEST_CASE("ide: LBA48 EXT commands use the HOB registers; HOB reads them back") {
  Rig r;
  auto img = patterned_image(600);
  r.ide.attach_disk(0, 0, std::make_unique<MemBackend>(img));
  r.enable();
  // READ SECTORS EXT of 257 sectors (count 0x0101) at LBA 0x100.
  r.out(0x1F6, 0x40);
  r.out(0x1F2, 0x01), r.out(0x1F2, 0x01);
  r.out(0x1F3, 0x00), r.out(0x1F3, 0x00);
  r.out(0x1F4, 0x00), r.out(0x1F4, 0x01);
  r.out(0x1F5, 0x00), r.out(0x1F5, 0x00);
  r.out(0x3F6, 0x80);  // HOB: the first-written values
  CHECK(r.in(0x1F2) == 0x01);
  CHECK(r.in(0x1F4) == 0x00);
  r.out(0x3F6, 0x00);
  CHECK(r.in(0x1F4) == 0x01);
  r.out(0x1F7, 0x24);
  std::vector<uint8_t> got;
  for (int s = 0; s < 257; s++) {
    CHECK(r.in(0x1F7) == 0x58);
    auto part = r.read_pio(512);
    got.insert(got.end(), part.begin(), part.end());
  }
  CHECK(r.in(0x1F7) == 0x50);
  CHECK(got == sectors_of(img, 0x100, 257));
  // An LBA with bits above 24 set is beyond this disk: IDNF.
  r.out(0x1F2, 0), r.out(0x1F2, 1);
  r.out(0x1F3, 0x01), r.out(0x1F3, 0);
  r.out(0x1F4, 0), r.out(0x1F4, 0);
  r.out(0x1F5, 0), r.out(0x1F5, 0);
  r.out(0x1F7, 0x24);
  CHECK(r.in(0x1F7) == 0x41);
  CHECK(r.in(0x1F1) == 0x10);
  // READ NATIVE MAX ADDRESS EXT.
  r.out(0x1F6, 0x40);
  r.out(0x1F7, 0x27);
  CHECK(r.in(0x1F7) == 0x50);
  CHECK(r.in(0x1F3) == (599 & 0xFF));
  CHECK(r.in(0x1F4) == (599 >> 8));
}

TEST_CASE("ide: CHS addressing through the geometry of INITIALIZE DEVICE PARAMETERS") {
  Rig r;
  auto img = patterned_image(512);
  r.ide.attach_disk(0, 0, std::make_unique<MemBackend>(img));
  r.enable();
  r.out(0x1F6, 0xA3);  // heads = 4
  r.out(0x1F2, 8);     // 8 sectors per track
  r.out(0x1F7, 0x91);
  CHECK(r.in(0x1F7) == 0x50);
  // C/H/S = 1/2/3 -> LBA (1*4 + 2)*8 + 2 = 50.
  r.out(0x1F6, 0xA2);
  r.out(0x1F2, 1);
  r.out(0x1F3, 3);
  r.out(0x1F4, 1);
  r.out(0x1F5, 0);
  r.out(0x1F7, 0x20);
  CHECK(r.in(0x1F7) == 0x58);
  CHECK(r.read_pio(512) == sectors_of(img, 50, 1));
  // Sector 0 and a head beyond the geometry do not exist.
  r.out(0x1F3, 0);
  r.out(0x1F7, 0x20);
  CHECK(r.in(0x1F7) == 0x41);
  CHECK(r.in(0x1F1) == 0x10);
  r.out(0x1F6, 0xA5);
  r.out(0x1F3, 1);
  r.out(0x1F7, 0x20);
  CHECK(r.in(0x1F1) == 0x10);
  // IDENTIFY reports the current geometry.
  r.out(0x1F6, 0xA0);
  r.out(0x1F7, 0xEC);
  auto id = r.read_pio(512);
  CHECK((id[2 * 55] | id[2 * 55 + 1] << 8) == 4);
  CHECK((id[2 * 56] | id[2 * 56 + 1] << 8) == 8);
}

TEST_CASE("ide: READ DMA and WRITE DMA with a PRD table, in either order of command and Start") {
  Rig r;
  auto img = patterned_image(64);
  TempFile f(img);
  r.ide.attach_disk(0, 0, std::make_unique<RawImage>(f.path(), RawImage::Mode::kReadWrite));
  r.enable();
  // Command first, then Start: 8 sectors into two 2 KiB regions.
  r.prd(0x1000, {{0x20000, 2048}, {0x30000, 2048}});
  r.ata(0xC8, 3, 8);
  CHECK_FALSE(r.pic.level[14]);
  CHECK((r.in(0x3F6) & 0x08) != 0);  // DRQ: waiting for the engine
  r.bm_start(true);
  CHECK(r.pic.level[14]);
  CHECK(r.bm_status() == 0x04);  // not active (EOT reached exactly), interrupt
  CHECK(r.in(0x1F7) == 0x50);
  std::vector<uint8_t> got(4096);
  r.mem.read_bytes(0x20000, got.data(), 2048);
  r.mem.read_bytes(0x30000, got.data() + 2048, 2048);
  CHECK(got == sectors_of(img, 3, 8));
  r.out(kBmBase, 0);            // stop
  r.out(kBmBase + 2, 0x04);     // clear the interrupt bit
  CHECK(r.bm_status() == 0x00);
  // Start first, then the command; the PRD table is longer than the transfer.
  std::vector<uint8_t> data(1024);
  for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<uint8_t>(i * 13);
  r.mem.write_bytes(0x40000, data.data(), data.size());
  r.prd(0x1000, {{0x40000, 1024}, {0x50000, 4096}});
  r.bm_start(false);
  CHECK(r.bm_status() == 0x01);
  r.ata(0xCA, 40, 2);
  CHECK(r.pic.level[14]);
  CHECK(r.bm_status() == 0x05);  // still active: more PRD than data
  CHECK(r.in(0x1F7) == 0x50);
  CHECK(sectors_of(f.contents(), 40, 2) == data);
  r.out(kBmBase, 0);
  CHECK(r.bm_status() == 0x04);
  // 64 KiB regions (byte count 0) and READ DMA EXT.
  r.out(kBmBase + 2, 0x04);
  r.prd(0x1000, {{0x100000, 0}});
  r.out(0x1F6, 0x40);
  r.out(0x1F2, 0), r.out(0x1F2, 64);
  r.out(0x1F3, 0), r.out(0x1F3, 0);
  r.out(0x1F4, 0), r.out(0x1F4, 0);
  r.out(0x1F5, 0), r.out(0x1F5, 0);
  r.out(0x1F7, 0x25);
  r.bm_start(true);
  CHECK(r.in(0x1F7) == 0x50);
  std::vector<uint8_t> all(64 * 512);
  r.mem.read_bytes(0x100000, all.data(), all.size());
  CHECK(all == f.contents());
}

TEST_CASE("ide: DMA with PRDs outside RAM, a PRD table outside RAM or the wrong direction aborts with error status") {
  Rig r;
  auto img = patterned_image(64);
  r.ide.attach_disk(0, 0, std::make_unique<MemBackend>(img));
  r.enable();
  SUBCASE("region beyond RAM") {
    r.prd(0x1000, {{0x20000, 512}, {0xF0000000u, 512}});
    r.ata(0xC8, 0, 2);
    r.bm_start(true);
    CHECK(r.pic.level[14]);
    CHECK(r.bm_status() == 0x06);  // error + interrupt, not active
    CHECK(r.in(0x1F7) == 0x41);
    CHECK(r.in(0x1F1) == 0x04);
    CHECK(r.ide.log().last().find("not in RAM") != std::string::npos);
  }
  SUBCASE("region straddling the end of RAM, for a write") {
    r.prd(0x1000, {{static_cast<uint32_t>((16u << 20) - 256), 512}});
    r.ata(0xCA, 0, 1);
    r.bm_start(false);
    CHECK(r.bm_status() == 0x06);
    CHECK(r.in(0x1F7) == 0x41);
  }
  SUBCASE("the PRD table itself outside RAM") {
    r.io.write(kBmBase + 4, 0xFFFFFFF0u, 4);
    r.ata(0xC8, 0, 1);
    r.bm_start(true);
    CHECK(r.bm_status() == 0x06);
    CHECK(r.in(0x1F7) == 0x41);
  }
  SUBCASE("direction does not match the command") {
    r.prd(0x1000, {{0x20000, 512}});
    r.ata(0xC8, 0, 1);
    r.bm_start(false);  // the engine would read memory
    CHECK(r.bm_status() == 0x06);
    CHECK(r.in(0x1F7) == 0x41);
  }
  SUBCASE("PRD table shorter than the transfer: ends without an interrupt") {
    r.prd(0x1000, {{0x20000, 512}});
    r.ata(0xC8, 0, 4);
    r.bm_start(true);
    CHECK_FALSE(r.pic.level[14]);
    CHECK(r.bm_status() == 0x00);
    CHECK(r.in(0x1F7) == 0x50);
  }
  SUBCASE("bus mastering disabled: nothing moves until it is enabled") {
    cfg_write(r.io, 1, 1, 0x04, pci::kCmdIo, 2);
    r.prd(0x1000, {{0x20000, 512}});
    r.ata(0xC8, 0, 1);
    r.bm_start(true);
    CHECK(r.bm_status() == 0x01);
    CHECK(r.mem.read(0x20000, 4) == 0u);
    cfg_write(r.io, 1, 1, 0x04, pci::kCmdIo | pci::kCmdMaster, 2);
    CHECK(r.bm_status() == 0x04);
    CHECK(r.mem.read(0x20000, 1) == img[0]);
  }
  // Either way the device takes the next command.
  r.out(0x1F7, 0xE5);
  CHECK(r.in(0x1F7) == 0x50);
}

TEST_CASE("ide: commands out of order, unknown commands and absent devices") {
  Rig r;
  auto img = patterned_image(64);
  r.ide.attach_disk(0, 0, std::make_unique<MemBackend>(img));
  r.enable();
  // A command in the middle of a PIO read: ABRT, the transfer is gone.
  r.ata(0x20, 0, 4);
  r.in(0x1F7);
  r.read_pio(100);
  r.out(0x1F7, 0xEC);
  CHECK(r.pic.level[14]);
  CHECK(r.in(0x1F7) == 0x41);
  CHECK(r.in(0x1F1) == 0x04);
  CHECK(r.inw(0x1F0) == 0);
  CHECK(r.ide.log().last().find("no data ready") != std::string::npos);
  // Data written with no transfer: dropped.
  r.outw(0x1F0, 0x1234);
  CHECK(r.ide.log().last().find("no transfer") != std::string::npos);
  // Unknown command, NOP, DEVICE RESET to a disk, IDENTIFY PACKET to a disk: ABRT.
  for (uint8_t cmd : {0x55, 0x00, 0x08, 0xA1, 0xA0}) {
    r.out(0x1F7, cmd);
    CHECK(r.in(0x1F7) == 0x41);
    CHECK(r.in(0x1F1) == 0x04);
  }
  // The next good command works.
  r.ata(0x20, 1, 1);
  CHECK(r.in(0x1F7) == 0x58);
  CHECK(r.read_pio(512) == sectors_of(img, 1, 1));
  // A command to the absent slave: nobody answers, no interrupt.
  unsigned rises = r.pic.rises[14];
  r.out(0x1F6, 0xB0);
  r.out(0x1F7, 0xEC);
  CHECK(r.pic.rises[14] == rises);
  CHECK(r.ide.log().last().find("absent") != std::string::npos);
  // Past the end of the disk: IDNF.
  r.ata(0x20, 63, 2);
  CHECK(r.in(0x1F7) == 0x41);
  CHECK(r.in(0x1F1) == 0x10);
  // SET FEATURES: a known transfer mode works, a bad one aborts.
  r.out(0x1F1, 0x03), r.out(0x1F2, 0x22), r.out(0x1F7, 0xEF);
  CHECK(r.in(0x1F7) == 0x50);
  r.out(0x1F1, 0x03), r.out(0x1F2, 0x27), r.out(0x1F7, 0xEF);
  CHECK(r.in(0x1F7) == 0x41);
  r.out(0x1F1, 0x77), r.out(0x1F7, 0xEF);
  CHECK(r.in(0x1F7) == 0x41);
  // Power management and verify commands complete.
  for (uint8_t cmd : {0xE0, 0xE1, 0xE2, 0xE3, 0x10, 0x70}) {
    r.out(0x1F7, cmd);
    CHECK(r.in(0x1F7) == 0x50);
  }
  r.ata(0x40, 0, 8);
  CHECK(r.in(0x1F7) == 0x50);
}

TEST_CASE("ide: read-only, failing and truncated images; FLUSH CACHE reaches the backend") {
  Rig r;
  auto img = patterned_image(16);
  auto* disk = new MemBackend(img);
  r.ide.attach_disk(0, 0, std::unique_ptr<BlockBackend>(disk));
  TempFile ro_file(img);
  r.ide.attach_disk(0, 1, std::make_unique<RawImage>(ro_file.path(), RawImage::Mode::kReadOnly));
  r.enable();
  r.out(0x1F7, 0xE7);
  CHECK(r.in(0x1F7) == 0x50);
  CHECK(disk->flushes == 1);
  r.out(0x1F7, 0xEA);
  CHECK(disk->flushes == 2);
  disk->fail_flush = true;
  r.out(0x1F7, 0xE7);
  CHECK(r.in(0x1F7) == 0x41);
  // Reads that fail on the host: UNC, the failing sector in the registers.
  disk->fail_reads = true;
  r.ata(0x20, 6, 2);
  CHECK(r.in(0x1F7) == 0x41);
  CHECK(r.in(0x1F1) == 0x40);
  CHECK(r.in(0x1F3) == 6);
  disk->fail_reads = false;
  // Writes that fail: ABRT after the block.
  disk->fail_writes = true;
  r.ata(0x30, 2, 1);
  std::vector<uint8_t> junk(512, 0xEE);
  r.write_pio(junk.data(), 512);
  CHECK(r.in(0x1F7) == 0x41);
  CHECK(r.in(0x1F1) == 0x04);
  disk->fail_writes = false;
  // The read-only slave refuses writes before any data moves; the file is untouched.
  r.ata(0x30, 0, 1, 1);
  CHECK(r.in(0x1F7) == 0x41);
  CHECK(r.in(0x1F1) == 0x04);
  r.ata(0xCA, 0, 1, 1);
  CHECK(r.in(0x1F7) == 0x41);
  r.out(0x1F7, 0xE7);
  CHECK(r.in(0x1F7) == 0x50);
  CHECK(ro_file.contents() == img);
  // A file truncated behind our back: the read fails with UNC, nothing crashes.
  REQUIRE(::truncate(ro_file.path().c_str(), 4 * 512) == 0);
  r.ata(0x20, 8, 1, 1);
  CHECK(r.in(0x1F7) == 0x41);
  CHECK(r.in(0x1F1) == 0x40);
  r.ata(0x20, 1, 1, 1);
  CHECK(r.in(0x1F7) == 0x58);
  CHECK(r.read_pio(512) == sectors_of(img, 1, 1));
}

TEST_CASE("ide: soft reset, nIEN, EXECUTE DEVICE DIAGNOSTIC and signatures") {
  Rig r;
  r.ide.attach_disk(0, 0, std::make_unique<MemBackend>(patterned_image(16)));
  r.ide.attach_cdrom(0, 1);
  r.enable();
  r.ata(0x20, 0, 2);
  r.out(0x3F6, 0x04);  // SRST
  CHECK(r.in(0x3F6) == 0x80);
  r.out(0x1F7, 0xEC);  // ignored while in reset
  r.out(0x3F6, 0x00);
  CHECK(r.in(0x1F7) == 0x50);
  CHECK(r.in(0x1F1) == 0x01);
  CHECK(r.in(0x1F2) == 1);
  CHECK(r.in(0x1F3) == 1);
  CHECK(r.in(0x1F4) == 0);
  CHECK(r.in(0x1F5) == 0);
  CHECK(r.inw(0x1F0) == 0);  // the transfer is gone
  r.out(0x1F6, 0xB0);
  CHECK(r.in(0x1F7) == 0x00);
  CHECK(r.in(0x1F4) == 0x14);
  CHECK(r.in(0x1F5) == 0xEB);
  // nIEN: no interrupt line, no bus-master interrupt bit.
  r.out(0x1F6, 0xA0);
  r.out(kBmBase + 2, 0x04);
  r.out(0x3F6, 0x02);
  r.out(0x1F7, 0xE5);
  CHECK_FALSE(r.pic.level[14]);
  CHECK((r.bm_status() & 0x04) == 0);
  r.out(0x3F6, 0x00);  // the pending interrupt shows once enabled
  CHECK(r.pic.level[14]);
  r.in(0x1F7);
  // Diagnostic: both devices report, device 0 is selected and interrupts.
  r.out(0x1F6, 0xB0);
  r.out(0x1F7, 0x90);
  CHECK(r.in(0x1F6) == 0xA0);
  CHECK(r.pic.level[14]);
  CHECK(r.in(0x1F1) == 0x01);
  CHECK(r.in(0x1F7) == 0x50);
}

// --- ATAPI ------------------------------------------------------------------------------

struct CdRig : Rig {
  std::vector<uint8_t> iso = patterned_image(4 * 100);  // 100 CD blocks
  CdRig() {
    ide.attach_cdrom(1, 0, std::make_unique<MemBackend>(iso));
    enable();
    out(0x176, 0xA0);
  }
  struct Result {
    uint8_t status, error;
    std::vector<uint8_t> data;
    unsigned chunks = 0;
  };
  // Sends a packet on the secondary channel and collects the data by PIO.
  Result packet(std::vector<uint8_t> cdb, uint16_t limit = 0xFFFE) {
    cdb.resize(12, 0);
    out(0x171, 0);
    out(0x174, limit & 0xFF);
    out(0x175, static_cast<uint8_t>(limit >> 8));
    out(0x177, 0xA0);
    REQUIRE((in(0x376) & 0x08) != 0);
    REQUIRE(in(0x172) == 0x01);  // CoD: waiting for the packet
    for (int i = 0; i < 12; i += 2) outw(0x170, static_cast<uint16_t>(cdb[i] | cdb[i + 1] << 8));
    Result res;
    for (;;) {
      REQUIRE(pic.level[15]);
      uint8_t st = in(0x177);
      if (!(st & 0x08)) {
        res.status = st;
        res.error = in(0x171);
        CHECK(in(0x172) == 0x03);
        return res;
      }
      CHECK(in(0x172) == 0x02);
      unsigned n = in(0x174) | in(0x175) << 8;
      CHECK(n <= (limit & ~1u));
      res.chunks++;
      for (unsigned i = 0; i < n; i += 2) {
        uint16_t w = inw(0x170);
        res.data.push_back(w & 0xFF);
        if (i + 1 < n) res.data.push_back(static_cast<uint8_t>(w >> 8));
      }
    }
  }
  std::vector<uint8_t> sense() { return packet({0x03, 0, 0, 0, 18}).data; }
  std::vector<uint8_t> blocks(uint32_t lba, uint32_t n) {
    return std::vector<uint8_t>(iso.begin() + lba * 2048, iso.begin() + (lba + n) * 2048);
  }
};

TEST_CASE("atapi: IDENTIFY DEVICE aborts with the signature; IDENTIFY PACKET DEVICE") {
  CdRig r;
  r.out(0x177, 0xEC);
  CHECK(r.in(0x177) == 0x41);
  CHECK(r.in(0x174) == 0x14);
  CHECK(r.in(0x175) == 0xEB);
  r.out(0x177, 0xA1);
  CHECK(r.in(0x177) == 0x58);
  std::vector<uint8_t> id;
  for (int i = 0; i < 256; i++) {
    uint16_t w = r.inw(0x170);
    id.push_back(w & 0xFF), id.push_back(static_cast<uint8_t>(w >> 8));
  }
  CHECK((id[0] | id[1] << 8) == 0x85C0);
  CHECK(((id[98] | id[99] << 8) & 0x0200) != 0);  // LBA
}

TEST_CASE("atapi: TEST UNIT READY, INQUIRY, READ CAPACITY and READ(10) by PIO in byte-count-limited chunks") {
  CdRig r;
  auto res = r.packet({0x00});
  CHECK(res.status == 0x50);
  res = r.packet({0x12, 0, 0, 0, 36});
  REQUIRE(res.data.size() == 36);
  CHECK(res.data[0] == 0x05);
  CHECK(res.data[1] == 0x80);
  CHECK(std::string(res.data.begin() + 8, res.data.begin() + 13) == "KASOU");
  res = r.packet({0x12, 0, 0, 0, 5});  // allocation length cuts the reply
  CHECK(res.data.size() == 5);
  res = r.packet({0x25});
  REQUIRE(res.data.size() == 8);
  CHECK(res.data == std::vector<uint8_t>{0, 0, 0, 99, 0, 0, 0x08, 0});
  // READ(10) of 5 blocks at 7 with a 4 KiB limit: chunks 4096, 4096, 2048.
  res = r.packet({0x28, 0, 0, 0, 0, 7, 0, 0, 5}, 4096);
  CHECK(res.status == 0x50);
  CHECK(res.chunks == 3);
  CHECK(res.data == r.blocks(7, 5));
  // A limit smaller than a block, and odd: chunks of 1000 bytes.
  res = r.packet({0x28, 0, 0, 0, 0, 1, 0, 0, 1}, 1001);
  CHECK(res.chunks == 3);
  CHECK(res.data == r.blocks(1, 1));
  // READ(12), reaching the last block.
  res = r.packet({0xA8, 0, 0, 0, 0, 97, 0, 0, 0, 3});
  CHECK(res.data == r.blocks(97, 3));
}

TEST_CASE("atapi: READ(12) by DMA") {
  CdRig r;
  r.io.write(kBmBase + 8 + 4, 0x1000, 4);
  r.mem.write(0x1000, 0x20000, 4);
  r.mem.write(0x1004, 0x80000000u | (3 * 2048), 4);
  r.out(kBmBase + 8, 0x09);
  std::vector<uint8_t> cdb = {0xA8, 0, 0, 0, 0, 10, 0, 0, 0, 3, 0, 0};
  r.out(0x171, 0x01);  // DMA
  r.out(0x177, 0xA0);
  for (int i = 0; i < 12; i += 2) r.outw(0x170, static_cast<uint16_t>(cdb[i] | cdb[i + 1] << 8));
  CHECK(r.pic.level[15]);
  CHECK(r.in(0x177) == 0x50);
  CHECK(r.in(0x172) == 0x03);
  CHECK(r.in(kBmBase + 10) == 0x04);
  std::vector<uint8_t> got(3 * 2048);
  r.mem.read_bytes(0x20000, got.data(), got.size());
  CHECK(got == r.blocks(10, 3));
}

TEST_CASE("atapi: READ TOC formats 0 and 1, LBA and MSF") {
  CdRig r;
  auto res = r.packet({0x43, 0, 0, 0, 0, 0, 0, 0, 100});
  REQUIRE(res.data.size() == 20);
  CHECK(res.data[1] == 18);
  CHECK(res.data[2] == 1);
  CHECK(res.data[3] == 1);
  CHECK(res.data[5] == 0x14);
  CHECK(res.data[6] == 1);
  CHECK(res.data[14] == 0xAA);
  CHECK(res.data[19] == 100);  // lead-out at LBA 100
  res = r.packet({0x43, 0x02, 0, 0, 0, 0, 0, 0, 100});  // MSF
  CHECK(res.data[9] == 0);
  CHECK(res.data[10] == 2);  // track 1 at 00:02:00
  CHECK(res.data[11] == 0);
  CHECK(res.data[17] == 0);
  CHECK(res.data[18] == 3);  // lead-out: 250 frames = 00:03:25
  CHECK(res.data[19] == 25);
  res = r.packet({0x43, 0, 0x01, 0, 0, 0, 0, 0, 12});  // session info
  REQUIRE(res.data.size() == 12);
  CHECK(res.data[1] == 0x0A);
  CHECK(res.data[6] == 1);
  res = r.packet({0x43, 0, 0, 0, 0, 0, 0xAA, 0, 100});  // from the lead-out only
  CHECK(res.data.size() == 12);
  res = r.packet({0x43, 0, 0x05});  // unsupported format
  CHECK(res.status == 0x41);
  CHECK(res.error == 0x50);
  CHECK(r.sense()[12] == 0x24);
}

TEST_CASE("atapi: sense keys for bad requests, no disc, and a new disc") {
  CdRig r;
  auto res = r.packet({0x28, 0, 0, 0, 0, 99, 0, 0, 2});  // past the end
  CHECK(res.status == 0x41);
  CHECK(res.error == 0x50);  // ILLEGAL REQUEST
  auto s = r.sense();
  CHECK(s[0] == 0x70);
  CHECK(s[2] == 5);
  CHECK(s[12] == 0x21);
  CHECK(r.sense()[2] == 0);  // REQUEST SENSE clears it
  res = r.packet({0xFF});
  CHECK(res.error == 0x50);
  CHECK(r.sense()[12] == 0x20);
  res = r.packet({0x5A, 0, 0xEA, 0, 0, 0, 0, 0x01, 0});  // MODE SENSE saved values
  CHECK(r.sense()[12] == 0x39);
  // Host ejects the disc: NOT READY / MEDIUM NOT PRESENT.
  CHECK(r.ide.channel(1).eject_media(0));
  res = r.packet({0x00});
  CHECK(res.error == 0x20);
  CHECK(r.sense()[12] == 0x3A);
  res = r.packet({0x25});
  CHECK(res.error == 0x20);
  // A new disc: the next command gets UNIT ATTENTION once, then all is well.
  r.ide.channel(1).insert_media(0, std::make_unique<MemBackend>(r.iso));
  res = r.packet({0x00});
  CHECK(res.error == 0x60);
  CHECK(r.sense()[12] == 0x28);
  res = r.packet({0x00});
  CHECK(res.status == 0x50);
  // INQUIRY is answered even with a unit attention pending.
  r.ide.channel(1).insert_media(0, std::make_unique<MemBackend>(r.iso));
  res = r.packet({0x12, 0, 0, 0, 36});
  CHECK(res.status == 0x50);
  auto rs = r.sense();
  CHECK(rs[2] == 6);  // REQUEST SENSE reports the pending unit attention
  CHECK(r.packet({0x00}).status == 0x50);
}

TEST_CASE("atapi: MODE SENSE, GET CONFIGURATION, GET EVENT STATUS NOTIFICATION") {
  CdRig r;
  auto res = r.packet({0x5A, 0, 0x2A, 0, 0, 0, 0, 0x01, 0});
  REQUIRE(res.data.size() == 28);
  CHECK(res.data[8] == 0x2A);
  CHECK(res.data[9] == 18);
  res = r.packet({0x1A, 0, 0x3F, 0, 255});
  CHECK(res.data[0] == res.data.size() - 1);
  res = r.packet({0x5A, 0, 0x33, 0, 0, 0, 0, 0x01, 0});  // no such page
  CHECK(res.error == 0x50);
  res = r.packet({0x46, 0, 0, 0, 0, 0, 0, 0x01, 0});
  REQUIRE(res.data.size() > 8);
  CHECK(res.data[7] == 0x08);  // current profile: CD-ROM
  res = r.packet({0x46, 2, 0, 1, 0, 0, 0, 0x01, 0});  // just the core feature
  REQUIRE(res.data.size() == 16);
  CHECK(res.data[9] == 0x01);
  CHECK(res.data[15] == 0x02);  // ATAPI
  // Events: nothing pending, then a removal.
  res = r.packet({0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8});
  REQUIRE(res.data.size() == 8);
  CHECK(res.data[4] == 0);
  CHECK(res.data[5] == 0x02);
  r.ide.channel(1).eject_media(0);
  res = r.packet({0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8});
  CHECK(res.data[4] == 3);
  CHECK(res.data[5] == 0x01);
  res = r.packet({0x4A, 0, 0, 0, 0x10, 0, 0, 0, 8});  // asynchronous: not supported
  CHECK(res.error == 0x50);
}

TEST_CASE("atapi: PREVENT ALLOW MEDIUM REMOVAL and START STOP UNIT (eject, load)") {
  CdRig r;
  CHECK(r.packet({0x1E, 0, 0, 0, 1}).status == 0x50);  // lock
  auto res = r.packet({0x1B, 0, 0, 0, 0x02});            // eject
  CHECK(res.error == 0x50);
  auto s = r.sense();
  CHECK(s[12] == 0x53);
  CHECK(s[13] == 0x02);
  // The host's eject button on a locked drive: only an event.
  CHECK_FALSE(r.ide.channel(1).eject_media(0));
  CHECK(r.packet({0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8}).data[4] == 1);
  CHECK(r.packet({0x00}).status == 0x50);
  CHECK(r.packet({0x1E, 0, 0, 0, 0}).status == 0x50);  // unlock
  CHECK(r.packet({0x1B, 0, 0, 0, 0x02}).status == 0x50);
  CHECK(r.packet({0x00}).error == 0x20);
  CHECK(r.packet({0x1B, 0, 0, 0, 0x03}).status == 0x50);  // load: the same disc comes back
  CHECK(r.packet({0x00}).error == 0x60);
  CHECK(r.packet({0x00}).status == 0x50);
  auto data = r.packet({0x28, 0, 0, 0, 0, 0, 0, 0, 1}).data;
  CHECK(data == r.blocks(0, 1));
  // DEVICE RESET: signature, no interrupt.
  unsigned rises = r.pic.rises[15];
  r.out(0x177, 0x08);
  CHECK(r.pic.rises[15] == rises);
  CHECK(r.in(0x177) == 0x00);
  CHECK(r.in(0x174) == 0x14);
}

TEST_CASE("ide: save and load restore a transfer in the middle") {
  auto img = patterned_image(32);
  Rig a;
  a.ide.attach_disk(0, 0, std::make_unique<MemBackend>(img));
  a.enable();
  a.ata(0x20, 4, 2);
  a.in(0x1F7);
  auto first = a.read_pio(300);
  StateWriter w;
  a.ide.save(w);
  Rig b;
  b.ide.attach_disk(0, 0, std::make_unique<MemBackend>(img));
  StateReader rd(w.data());
  b.ide.load(rd);
  CHECK(b.ide.decoding(0));
  auto rest = b.read_pio(212);
  first.insert(first.end(), rest.begin(), rest.end());
  CHECK(b.in(0x1F7) == 0x58);
  auto second = b.read_pio(512);
  first.insert(first.end(), second.begin(), second.end());
  CHECK(first == sectors_of(img, 4, 2));
  CHECK(b.in(0x1F7) == 0x50);
}

}  // namespace
}  // namespace kasou
