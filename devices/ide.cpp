// IDE: channels, the ATA command set, PIO and bus-master DMA, the PIIX3 function.
#include "devices/ide.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/state_io.h"

namespace kasou {

namespace {
constexpr uint32_t kSector = 512;
constexpr uint8_t kMaxMultiple = 16;
constexpr uint32_t kDmaChunkSectors = 128;  // staged per step of a DMA transfer (64 KiB)
constexpr unsigned kMaxPrdEntries = 8192;   // a PRD table lives in one 64 KiB page

// ATA commands.
enum : uint8_t {
  kNop = 0x00, kDeviceReset = 0x08, kRecalibrate = 0x10, kReadSectors = 0x20, kReadSectorsNoRetry = 0x21,
  kReadSectorsExt = 0x24, kReadDmaExt = 0x25, kReadNativeMaxExt = 0x27, kReadMultipleExt = 0x29,
  kWriteSectors = 0x30, kWriteSectorsNoRetry = 0x31, kWriteSectorsExt = 0x34, kWriteDmaExt = 0x35,
  kWriteMultipleExt = 0x39, kReadVerify = 0x40, kReadVerifyNoRetry = 0x41, kReadVerifyExt = 0x42, kSeek = 0x70,
  kDiagnostic = 0x90, kInitParams = 0x91, kPacket = 0xA0, kIdentifyPacket = 0xA1, kReadMultiple = 0xC4,
  kWriteMultiple = 0xC5, kSetMultiple = 0xC6, kReadDma = 0xC8, kReadDmaNoRetry = 0xC9, kWriteDma = 0xCA,
  kWriteDmaNoRetry = 0xCB, kStandbyImmediate = 0xE0, kIdleImmediate = 0xE1, kStandby = 0xE2, kIdle = 0xE3,
  kCheckPowerMode = 0xE5, kSleep = 0xE6, kFlushCache = 0xE7, kIdentify = 0xEC, kFlushCacheExt = 0xEA,
  kSetFeatures = 0xEF, kReadNativeMax = 0xF8,
};

void put_string(uint16_t* words, unsigned first, unsigned count, const std::string& s) {
  // ATA strings: two characters per word, the first in the high byte, space padded.
  for (unsigned i = 0; i < count; i++) {
    char a = 2 * i < s.size() ? s[2 * i] : ' ';
    char b = 2 * i + 1 < s.size() ? s[2 * i + 1] : ' ';
    words[first + i] = static_cast<uint16_t>(static_cast<uint8_t>(a) << 8 | static_cast<uint8_t>(b));
  }
}

std::vector<uint8_t> words_to_bytes(const uint16_t* w) {
  std::vector<uint8_t> out(512);
  for (unsigned i = 0; i < 256; i++) out[2 * i] = w[i] & 0xFF, out[2 * i + 1] = static_cast<uint8_t>(w[i] >> 8);
  // Integrity word: signature A5h, then the checksum that makes all 512 bytes sum to 0.
  out[510] = 0xA5;
  uint8_t sum = 0;
  for (unsigned i = 0; i < 511; i++) sum = static_cast<uint8_t>(sum + out[i]);
  out[511] = static_cast<uint8_t>(-sum);
  return out;
}
}  // namespace

IdeDrive::IdeDrive(Kind kind, std::unique_ptr<BlockBackend> backend, std::string serial, DeviceLog& log)
    : kind_(kind), backend_(std::move(backend)), serial_(std::move(serial)), log_(log) {
  if (kind_ == Kind::kDisk) {
    uint64_t sectors = backend_->sectors();
    default_cylinders_ = static_cast<uint16_t>(std::clamp<uint64_t>(sectors / (16 * 63), 1, 16383));
  }
}

// --- channel ----------------------------------------------------------------------

IdeChannel::IdeChannel(unsigned index, IrqLine irq, PhysicalMemory& mem, DeviceLog& log)
    : index_(index), irq_(irq), mem_(mem), log_(log) {
  for (auto& d : drives_) d = std::make_unique<IdeDrive>(IdeDrive::Kind::kNone, nullptr, "", log_);
  reset();
}

void IdeChannel::attach(unsigned unit, IdeDrive::Kind kind, std::unique_ptr<BlockBackend> backend) {
  std::string serial = fmt::format("KS{:04X}{}{}", 0xD15C, index_, unit & 1);
  drives_[unit & 1] = std::make_unique<IdeDrive>(kind, std::move(backend), serial, log_);
  IdeDrive& d = *drives_[unit & 1];
  d.st_.media_present = kind == IdeDrive::Kind::kCdrom && d.backend_;
  soft_reset_drive(d);
  d.st_.select = drives_[unit ^ 1]->st_.select;
}

void IdeChannel::reset() {
  st_ = State{};
  irq_level_ = false;
  irq_.set(false);
  for (auto& p : drives_) p->st_.select = 0xA0;
  for (auto& p : drives_) {
    IdeDrive& d = *p;
    if (!d.present()) continue;
    const bool media = d.st_.media_present;
    d.st_ = IdeDrive::State{};
    d.st_.media_present = media;
    d.st_.select = 0xA0;
    soft_reset_drive(d);
  }
}

void IdeChannel::set_signature(IdeDrive& d) {
  d.st_.nsector = 1;
  d.st_.sector = 1;
  if (d.kind() == IdeDrive::Kind::kCdrom) {
    d.st_.lcyl = 0x14;
    d.st_.hcyl = 0xEB;
  } else {
    d.st_.lcyl = 0;
    d.st_.hcyl = 0;
  }
  d.st_.select &= 0xF0;  // head bits cleared, DEV kept
}

// The state after SRST, DEVICE RESET or power-on (ATA-6 9.2): signature, diagnostic
// code 01h in Error, settings back to their defaults.
void IdeChannel::soft_reset_drive(IdeDrive& d) {
  IdeDrive::State& s = d.st_;
  s.phase = IdeDrive::kIdle;
  s.command = 0;
  s.buf_pos = s.buf_len = 0;
  s.bytes_left = s.blocks_left = 0;
  s.irq_pending = false;
  s.error = 0x01;
  set_signature(d);
  s.hob_feature = s.hob_nsector = s.hob_sector = s.hob_lcyl = s.hob_hcyl = 0;
  if (d.kind() == IdeDrive::Kind::kDisk) {
    s.status = ata::kDrdy | ata::kDsc;
    s.multiple = kMaxMultiple;
    s.cur_cylinders = d.default_cylinders_;
    s.cur_heads = 16;
    s.cur_sectors = 63;
    s.write_cache = true;
    s.look_ahead = true;
  } else {
    s.status = 0;
    s.sense_key = s.asc = s.ascq = 0;
  }
  d.buf_.clear();
}

void IdeChannel::update_irq() {
  IdeDrive& d = sel();
  const bool level = d.present() && d.st_.irq_pending && !(st_.control & ata::kNien);
  if (level == irq_level_) return;
  if (level) st_.bm.status |= ata::kBmInterrupt;  // set on the rising edge of the IDE interrupt
  irq_level_ = level;
  irq_.set(level);
}

void IdeChannel::raise(IdeDrive& d) {
  d.st_.irq_pending = true;
  update_irq();
}

void IdeChannel::complete(IdeDrive& d, bool irq) {
  d.st_.phase = IdeDrive::kIdle;
  d.st_.status = ata::kDrdy | ata::kDsc;
  d.st_.error = 0;
  d.st_.buf_pos = d.st_.buf_len = 0;
  if (irq) raise(d);
}

void IdeChannel::abort_command(IdeDrive& d, uint8_t error) {
  d.st_.phase = IdeDrive::kIdle;
  d.st_.status = ata::kDrdy | ata::kErr;
  d.st_.error = error;
  d.st_.buf_pos = d.st_.buf_len = 0;
  if (d.kind() == IdeDrive::Kind::kCdrom && d.st_.command == kPacket) d.st_.nsector = ata::kIo | ata::kCoD;
  raise(d);
}

// --- registers ----------------------------------------------------------------------

uint8_t IdeChannel::read_register(unsigned reg) {
  const IdeDrive& m = *drives_[0];
  const IdeDrive& s = *drives_[1];
  if (!m.present() && !s.present()) return 0xFF;  // nothing drives the bus
  IdeDrive& d = sel();
  const IdeDrive::State& t = d.st_;
  const bool hob = st_.control & ata::kHob;
  if (reg == 6) return t.select;
  if (!d.present()) return 0;
  switch (reg) {
    case 1: return hob ? t.hob_feature : t.error;
    case 2: return hob ? t.hob_nsector : t.nsector;
    case 3: return hob ? t.hob_sector : t.sector;
    case 4: return hob ? t.hob_lcyl : t.lcyl;
    case 5: return hob ? t.hob_hcyl : t.hcyl;
    case 7:
      d.st_.irq_pending = false;
      update_irq();
      return t.status;
  }
  return 0xFF;
}

void IdeChannel::write_register(unsigned reg, uint8_t v) {
  if (st_.control & ata::kSrst) return;  // devices in reset ignore the registers
  if (reg >= 1 && reg <= 5) st_.control &= static_cast<uint8_t>(~ata::kHob);
  for (auto& p : drives_) {
    IdeDrive::State& t = p->st_;
    switch (reg) {
      case 1: t.hob_feature = t.feature, t.feature = v; break;
      case 2: t.hob_nsector = t.nsector, t.nsector = v; break;
      case 3: t.hob_sector = t.sector, t.sector = v; break;
      case 4: t.hob_lcyl = t.lcyl, t.lcyl = v; break;
      case 5: t.hob_hcyl = t.hcyl, t.hcyl = v; break;
      case 6: t.select = v | 0xA0; break;
    }
  }
  if (reg == 6) update_irq();
  if (reg == 7) {
    IdeDrive& d = sel();
    if (!d.present()) {
      log_.warn(fmt::format("{}: command {:#04x} to the absent device {} ignored", io_name(), v, (d.st_.select >> 4) & 1));
      return;
    }
    d.st_.irq_pending = false;
    update_irq();
    execute(d, v);
  }
}

void IdeChannel::write_control(uint8_t v) {
  const uint8_t old = st_.control;
  st_.control = v;
  if (!(old & ata::kSrst) && (v & ata::kSrst)) {
    for (auto& p : drives_) {
      if (!p->present()) continue;
      p->st_.phase = IdeDrive::kIdle;
      p->st_.status = ata::kBsy;
      p->st_.irq_pending = false;
    }
  } else if ((old & ata::kSrst) && !(v & ata::kSrst)) {
    for (auto& p : drives_)
      if (p->present()) soft_reset_drive(*p);
  }
  update_irq();
}

uint32_t IdeChannel::io_read(uint16_t port, unsigned size) {
  if (port == control_port()) {
    const IdeDrive& m = *drives_[0];
    const IdeDrive& s = *drives_[1];
    if (!m.present() && !s.present()) return 0xFF;
    IdeDrive& d = sel();
    return d.present() ? d.st_.status : 0;  // alternate status: no side effects
  }
  const unsigned reg = port - command_base();
  if (reg == 0) return data_read(sel(), size);
  uint32_t v = 0;
  for (unsigned i = 0; i < size; i++) v |= uint32_t{reg + i <= 7 ? read_register(reg + i) : uint8_t{0xFF}} << (8 * i);
  return v;
}

void IdeChannel::io_write(uint16_t port, uint32_t value, unsigned size) {
  if (port == control_port()) {
    write_control(static_cast<uint8_t>(value));
    return;
  }
  const unsigned reg = port - command_base();
  if (reg == 0) {
    if (!(st_.control & ata::kSrst)) data_write(sel(), value, size);
    return;
  }
  for (unsigned i = 0; i < size && reg + i <= 7; i++) write_register(reg + i, static_cast<uint8_t>(value >> (8 * i)));
}

// --- PIO data -------------------------------------------------------------------------

uint32_t IdeChannel::data_read(IdeDrive& d, unsigned size) {
  uint32_t v = 0;
  const unsigned units = size == 4 ? 2 : 1;  // 32-bit PIO: two 16-bit transfers (PIIX3)
  for (unsigned u = 0; u < units; u++) {
    IdeDrive::State& s = d.st_;
    if (!d.present() || s.phase != IdeDrive::kPioIn || !(s.status & ata::kDrq)) {
      if (d.present()) log_.warn(fmt::format("{}: data register read with no data ready (status {:#04x})", io_name(), s.status));
      return v;
    }
    uint16_t w = 0;
    if (d.kind() == IdeDrive::Kind::kCdrom && s.command == kPacket) {
      // ATAPI: the chunk may end on an odd byte; the disc is staged as it is read.
      for (unsigned b = 0; b < 2 && s.block_bytes > 0; b++) {
        if (s.buf_pos == s.buf_len && !(s.stream_from_medium && atapi_stage_blocks(d))) return v;
        w = static_cast<uint16_t>(w | d.buf_[s.buf_pos++] << (8 * b));
        s.block_bytes--;
        s.bytes_left--;
      }
      v |= uint32_t{w} << (16 * u);
      if (s.block_bytes == 0) atapi_chunk_done(d);
      continue;
    }
    w = static_cast<uint16_t>(d.buf_[s.buf_pos] | d.buf_[s.buf_pos + 1] << 8);
    s.buf_pos += 2;
    v |= uint32_t{w} << (16 * u);
    if (s.buf_pos >= s.buf_len) {
      // The DRQ block is done: the next one, or the end of the command (no interrupt).
      if (s.stream_from_medium && s.blocks_left > 0) {
        stage_pio_in_block(d);
      } else {
        s.phase = IdeDrive::kIdle;
        s.status = ata::kDrdy | ata::kDsc;
      }
    }
  }
  return size == 1 ? v & 0xFF : v;
}

void IdeChannel::data_write(IdeDrive& d, uint32_t value, unsigned size) {
  const unsigned units = size == 4 ? 2 : 1;
  for (unsigned u = 0; u < units; u++) {
    IdeDrive::State& s = d.st_;
    if (!d.present() || (s.phase != IdeDrive::kPioOut && s.phase != IdeDrive::kPacket) || !(s.status & ata::kDrq)) {
      if (d.present()) log_.warn(fmt::format("{}: data register write with no transfer in progress ignored", io_name()));
      return;
    }
    const uint16_t w = static_cast<uint16_t>(value >> (16 * u));
    d.buf_[s.buf_pos] = w & 0xFF;
    d.buf_[s.buf_pos + 1] = static_cast<uint8_t>(w >> 8);
    s.buf_pos += 2;
    if (s.buf_pos < s.buf_len) continue;
    if (s.phase == IdeDrive::kPacket) {
      std::memcpy(s.packet, d.buf_.data(), 12);
      atapi_execute(d);
    } else {
      pio_out_block_done(d);
    }
  }
}

// --- ATA commands ---------------------------------------------------------------------

void IdeChannel::execute(IdeDrive& d, uint8_t cmd) {
  IdeDrive::State& s = d.st_;
  const bool cd = d.kind() == IdeDrive::Kind::kCdrom;
  if (cmd == kDeviceReset && cd) {
    // Allowed at any time; ends whatever the device was doing, no interrupt.
    soft_reset_drive(d);
    return;
  }
  if (s.phase != IdeDrive::kIdle || (s.status & (ata::kBsy | ata::kDrq))) {
    log_.warn(fmt::format("{}: command {:#04x} written while command {:#04x} is transferring data: both aborted",
                          io_name(), cmd, s.command));
    s.command = cmd;
    abort_command(d);
    return;
  }
  s.command = cmd;
  switch (cmd) {
    case kIdentify:
      if (cd) {
        set_signature(d);  // tells the host to use IDENTIFY PACKET DEVICE
        abort_command(d);
      } else {
        identify(d);
      }
      return;
    case kIdentifyPacket:
      if (cd) identify_packet(d);
      else abort_command(d);
      return;
    case kPacket:
      if (cd) packet_command(d);
      else abort_command(d);
      return;
    case kReadSectors: case kReadSectorsNoRetry: case kReadSectorsExt:
    case kWriteSectors: case kWriteSectorsNoRetry: case kWriteSectorsExt:
    case kReadMultiple: case kReadMultipleExt: case kWriteMultiple: case kWriteMultipleExt:
    case kReadDma: case kReadDmaNoRetry: case kReadDmaExt:
    case kWriteDma: case kWriteDmaNoRetry: case kWriteDmaExt:
    case kReadVerify: case kReadVerifyNoRetry: case kReadVerifyExt:
      if (cd) {
        set_signature(d);
        abort_command(d);
      } else {
        start_rw(d, cmd);
      }
      return;
    case kSetMultiple:
      if (cd || s.nsector > kMaxMultiple || (s.nsector & (s.nsector - 1))) return abort_command(d);
      s.multiple = s.nsector;
      return complete(d);
    case kInitParams:
      if (cd || s.nsector == 0) return abort_command(d);
      s.cur_sectors = s.nsector;
      s.cur_heads = static_cast<uint16_t>((s.select & 0x0F) + 1);
      s.cur_cylinders = static_cast<uint16_t>(
          std::min<uint64_t>(65535, d.backend()->sectors() / (uint64_t{s.cur_heads} * s.cur_sectors)));
      return complete(d);
    case kFlushCache: case kFlushCacheExt:
      if (!cd && !d.backend()->read_only()) {
        try {
          d.backend()->flush();
        } catch (const DiskError& e) {
          log_.warn(fmt::format("{}: FLUSH CACHE failed: {}", io_name(), e.what()));
          return abort_command(d);
        }
      }
      return complete(d);
    case kSetFeatures:
      return set_features(d);
    case kStandbyImmediate: case kIdleImmediate: case kStandby: case kIdle: case kSleep:
      return complete(d);  // no power management: the disk is always spinning
    case kCheckPowerMode:
      s.nsector = 0xFF;  // active or idle
      return complete(d);
    case kSeek:
      if (cd) return abort_command(d);
      return complete(d);
    case kDiagnostic:
      // Both devices run their diagnostics; device 0 reports for both and is selected.
      for (auto& p : drives_)
        if (p->present()) soft_reset_drive(*p);
      for (auto& p : drives_) p->st_.select &= static_cast<uint8_t>(~0x10);
      if (drives_[0]->present()) raise(*drives_[0]);
      update_irq();
      return;
    case kReadNativeMax: case kReadNativeMaxExt: {
      if (cd) return abort_command(d);
      const uint64_t max = d.backend()->sectors() - 1;
      s.lba48 = cmd == kReadNativeMaxExt;
      s.select |= 0x40;
      set_address(d, s.lba48 ? max : std::min<uint64_t>(max, 0x0FFFFFFF));
      return complete(d);
    }
    default:
      if (cmd >= kRecalibrate && cmd <= kRecalibrate + 0x0F && !cd) {
        s.sector = 1, s.lcyl = s.hcyl = 0;
        return complete(d);
      }
      log_.warn(fmt::format("{}: command {:#04x} not supported: aborted", io_name(), cmd));
      return abort_command(d);
  }
}

void IdeChannel::set_features(IdeDrive& d) {
  IdeDrive::State& s = d.st_;
  switch (s.feature) {
    case 0x03: {  // set transfer mode (nsector): PIO default/flow control, multiword DMA, UDMA
      const uint8_t mode = s.nsector;
      const uint8_t cls = mode >> 3, sub = mode & 7;
      const bool ok = (cls == 0 && sub <= 1) || (cls == 1 && sub <= 4) || (cls == 4 && sub <= 2) || (cls == 8 && sub <= 5);
      if (!ok) return abort_command(d);
      s.xfer_mode = mode;
      return complete(d);
    }
    case 0x02: s.write_cache = true; return complete(d);
    case 0x82: s.write_cache = false; return complete(d);
    case 0xAA: s.look_ahead = true; return complete(d);
    case 0x55: s.look_ahead = false; return complete(d);
    case 0x66: case 0xCC:  // (no) reverting to power-on defaults
    case 0x31: case 0x95: case 0x85: case 0x05: case 0x42: case 0xC2:  // media status, APM, AAM: accepted, nothing to do
      return complete(d);
    default:
      log_.warn(fmt::format("{}: SET FEATURES subcommand {:#04x} not supported: aborted", io_name(), s.feature));
      return abort_command(d);
  }
}

bool IdeChannel::decode_address(IdeDrive& d, uint64_t& lba, uint64_t& count) {
  const IdeDrive::State& s = d.st_;
  if (s.lba48) {
    lba = uint64_t{s.hob_hcyl} << 40 | uint64_t{s.hob_lcyl} << 32 | uint64_t{s.hob_sector} << 24 |
          uint64_t{s.hcyl} << 16 | uint64_t{s.lcyl} << 8 | s.sector;
    count = uint64_t{s.hob_nsector} << 8 | s.nsector;
    if (count == 0) count = 65536;
  } else {
    count = s.nsector ? s.nsector : 256;
    if (s.select & 0x40) {
      lba = uint64_t{s.select & 0x0Fu} << 24 | uint64_t{s.hcyl} << 16 | uint64_t{s.lcyl} << 8 | s.sector;
    } else {
      const unsigned cyl = s.lcyl | s.hcyl << 8, head = s.select & 0x0F, sec = s.sector;
      if (sec == 0 || sec > s.cur_sectors || head >= s.cur_heads || cyl >= s.cur_cylinders) return false;
      lba = (uint64_t{cyl} * s.cur_heads + head) * s.cur_sectors + sec - 1;
    }
  }
  return lba < d.backend()->sectors() && count <= d.backend()->sectors() - lba;
}

void IdeChannel::set_address(IdeDrive& d, uint64_t lba) {
  IdeDrive::State& s = d.st_;
  if (s.lba48) {
    s.sector = lba & 0xFF, s.lcyl = (lba >> 8) & 0xFF, s.hcyl = (lba >> 16) & 0xFF;
    s.hob_sector = (lba >> 24) & 0xFF, s.hob_lcyl = (lba >> 32) & 0xFF, s.hob_hcyl = (lba >> 40) & 0xFF;
  } else if (s.select & 0x40) {
    s.sector = lba & 0xFF, s.lcyl = (lba >> 8) & 0xFF, s.hcyl = (lba >> 16) & 0xFF;
    s.select = static_cast<uint8_t>((s.select & 0xF0) | ((lba >> 24) & 0x0F));
  } else if (s.cur_heads && s.cur_sectors) {
    const uint64_t track = lba / s.cur_sectors;
    const uint64_t cyl = track / s.cur_heads;
    s.sector = static_cast<uint8_t>(lba % s.cur_sectors + 1);
    s.lcyl = cyl & 0xFF, s.hcyl = (cyl >> 8) & 0xFF;
    s.select = static_cast<uint8_t>((s.select & 0xF0) | (track % s.cur_heads));
  }
}

bool IdeChannel::start_rw(IdeDrive& d, uint8_t cmd) {
  IdeDrive::State& s = d.st_;
  s.lba48 = cmd == kReadSectorsExt || cmd == kWriteSectorsExt || cmd == kReadMultipleExt ||
            cmd == kWriteMultipleExt || cmd == kReadDmaExt || cmd == kWriteDmaExt || cmd == kReadVerifyExt;
  const bool multiple = cmd == kReadMultiple || cmd == kReadMultipleExt || cmd == kWriteMultiple || cmd == kWriteMultipleExt;
  const bool write = cmd == kWriteSectors || cmd == kWriteSectorsNoRetry || cmd == kWriteSectorsExt ||
                     cmd == kWriteMultiple || cmd == kWriteMultipleExt || cmd == kWriteDma || cmd == kWriteDmaNoRetry ||
                     cmd == kWriteDmaExt;
  const bool dma = cmd == kReadDma || cmd == kReadDmaNoRetry || cmd == kReadDmaExt || cmd == kWriteDma ||
                   cmd == kWriteDmaNoRetry || cmd == kWriteDmaExt;
  const bool verify = cmd == kReadVerify || cmd == kReadVerifyNoRetry || cmd == kReadVerifyExt;
  if (multiple && s.multiple == 0) {
    log_.warn(fmt::format("{}: READ/WRITE MULTIPLE before SET MULTIPLE MODE: aborted", io_name()));
    abort_command(d);
    return false;
  }
  uint64_t lba = 0, count = 0;
  if (!decode_address(d, lba, count)) {
    abort_command(d, ata::kIdnf);
    return false;
  }
  if (write && d.backend()->read_only()) {
    log_.warn(fmt::format("{}: write to the read-only image '{}' refused", io_name(), d.backend()->name()));
    abort_command(d);
    return false;
  }
  if (verify) {
    set_address(d, lba + count - 1);
    complete(d);
    return true;
  }
  s.first_lba = s.next_lba = lba;
  s.blocks_left = count;
  s.bytes_left = count * kSector;
  s.stream_from_medium = true;
  s.block_bytes = (multiple ? s.multiple : 1) * kSector;
  s.buf_pos = s.buf_len = 0;
  if (dma) {
    s.phase = write ? IdeDrive::kDmaOut : IdeDrive::kDmaIn;
    s.status = ata::kDrdy | ata::kDsc | ata::kDrq;
    try_dma();
    return true;
  }
  if (!write) {
    s.phase = IdeDrive::kPioIn;
    return stage_pio_in_block(d);
  }
  s.phase = IdeDrive::kPioOut;
  const uint64_t n = std::min<uint64_t>(s.blocks_left, s.block_bytes / kSector);
  d.buf_.assign(n * kSector, 0);
  s.buf_len = static_cast<uint32_t>(n * kSector);
  s.status = ata::kDrdy | ata::kDsc | ata::kDrq;  // the first block needs no interrupt
  return true;
}

bool IdeChannel::stage_pio_in_block(IdeDrive& d) {
  IdeDrive::State& s = d.st_;
  const uint64_t n = std::min<uint64_t>(s.blocks_left, s.block_bytes / kSector);
  d.buf_.resize(n * kSector);
  try {
    d.backend()->read(s.next_lba * kSector, d.buf_.data(), n * kSector);
  } catch (const DiskError& e) {
    log_.warn(fmt::format("{}: read error: {}", io_name(), e.what()));
    set_address(d, s.next_lba);
    abort_command(d, ata::kUnc);
    return false;
  }
  s.next_lba += n;
  s.blocks_left -= n;
  s.buf_pos = 0;
  s.buf_len = static_cast<uint32_t>(n * kSector);
  set_address(d, s.next_lba - 1);
  s.status = ata::kDrdy | ata::kDsc | ata::kDrq;
  raise(d);
  return true;
}

void IdeChannel::pio_out_block_done(IdeDrive& d) {
  IdeDrive::State& s = d.st_;
  const uint64_t n = s.buf_len / kSector;
  try {
    d.backend()->write(s.next_lba * kSector, d.buf_.data(), s.buf_len);
  } catch (const DiskError& e) {
    log_.warn(fmt::format("{}: write error: {}", io_name(), e.what()));
    set_address(d, s.next_lba);
    abort_command(d);
    return;
  }
  s.next_lba += n;
  s.blocks_left -= n;
  set_address(d, s.next_lba - 1);
  if (s.blocks_left == 0) return complete(d);
  const uint64_t next = std::min<uint64_t>(s.blocks_left, s.block_bytes / kSector);
  s.buf_pos = 0;
  s.buf_len = static_cast<uint32_t>(next * kSector);
  d.buf_.assign(s.buf_len, 0);
  s.status = ata::kDrdy | ata::kDsc | ata::kDrq;
  raise(d);
}

void IdeChannel::start_pio_in_buffer(IdeDrive& d, size_t bytes) {
  IdeDrive::State& s = d.st_;
  s.phase = IdeDrive::kPioIn;
  s.stream_from_medium = false;
  s.blocks_left = 0;
  s.buf_pos = 0;
  s.buf_len = static_cast<uint32_t>(bytes);
  s.status = ata::kDrdy | ata::kDsc | ata::kDrq;
  raise(d);
}

void IdeChannel::identify(IdeDrive& d) {
  const IdeDrive::State& s = d.st_;
  const uint64_t sectors = d.backend()->sectors();
  uint16_t w[256] = {};
  w[0] = 0x0040;  // fixed device
  w[1] = d.default_cylinders_;
  w[3] = 16;
  w[6] = 63;
  put_string(w, 10, 10, d.serial_);
  put_string(w, 23, 4, "1.0");
  put_string(w, 27, 20, "KASOU HARDDISK");
  w[47] = 0x8000 | kMaxMultiple;
  w[48] = 0x0001;                        // dword I/O
  w[49] = (1 << 11) | (1 << 9) | (1 << 8);  // IORDY, LBA, DMA
  w[50] = 0x4000;
  w[51] = 0x0200, w[52] = 0x0200;         // PIO / DMA timing (obsolete fields)
  w[53] = 0x0007;                        // words 54-58, 64-70 and 88 are valid
  w[54] = s.cur_cylinders, w[55] = s.cur_heads, w[56] = s.cur_sectors;
  const uint32_t chs = uint32_t{s.cur_cylinders} * s.cur_heads * s.cur_sectors;
  w[57] = chs & 0xFFFF, w[58] = static_cast<uint16_t>(chs >> 16);
  if (s.multiple) w[59] = 0x0100 | s.multiple;
  const uint32_t lba28 = static_cast<uint32_t>(std::min<uint64_t>(sectors, 0x0FFFFFFF));
  w[60] = lba28 & 0xFFFF, w[61] = static_cast<uint16_t>(lba28 >> 16);
  const uint8_t mode = s.xfer_mode;
  w[62] = 0x0007 | ((mode >> 3) == 2 ? 0x100 << (mode & 7) : 0);
  w[63] = 0x0007 | ((mode >> 3) == 4 ? 0x100 << (mode & 7) : 0);  // multiword DMA 0-2
  w[64] = 0x0003;                                                  // PIO 3 and 4
  w[65] = w[66] = w[67] = w[68] = 120;
  w[80] = 0x007E;  // ATA-1 .. ATA-6
  w[81] = 0x0019;
  w[82] = (1 << 14) | (1 << 6) | (1 << 5);  // NOP, look-ahead, write cache
  w[83] = (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10);  // FLUSH CACHE (EXT), LBA48
  w[84] = 1 << 14;
  w[85] = static_cast<uint16_t>((1 << 14) | (s.look_ahead ? 1 << 6 : 0) | (s.write_cache ? 1 << 5 : 0));
  w[86] = (1 << 13) | (1 << 12) | (1 << 10);
  w[87] = 1 << 14;
  w[88] = 0x003F | ((mode >> 3) == 8 ? 0x100 << (mode & 7) : 0);  // UDMA 0-5
  for (unsigned i = 0; i < 4; i++) w[100 + i] = static_cast<uint16_t>(sectors >> (16 * i));
  d.buf_ = words_to_bytes(w);
  start_pio_in_buffer(d, 512);
}

void IdeChannel::identify_packet(IdeDrive& d) {
  const uint8_t mode = d.st_.xfer_mode;
  uint16_t w[256] = {};
  w[0] = 0x85C0;  // ATAPI, CD-ROM, removable, accelerated DRQ, 12-byte packets
  put_string(w, 10, 10, d.serial_);
  put_string(w, 23, 4, "1.0");
  put_string(w, 27, 20, "KASOU CD-ROM");
  w[49] = (1 << 9) | (1 << 8);  // LBA, DMA
  w[53] = 0x0006;                // words 64-70 and 88 valid
  w[62] = 0x0007;
  w[63] = 0x0007 | ((mode >> 3) == 4 ? 0x100 << (mode & 7) : 0);
  w[64] = 0x0003;
  w[65] = w[66] = w[67] = w[68] = 120;
  w[71] = 30, w[72] = 30;        // packet and service release times
  w[80] = 0x001E;                // ATA/ATAPI-1 .. 4
  w[82] = (1 << 14) | (1 << 9) | (1 << 4);  // NOP, DEVICE RESET, PACKET
  w[83] = 1 << 14;
  w[84] = 1 << 14;
  w[85] = w[82];
  w[87] = 1 << 14;
  w[88] = 0x003F | ((mode >> 3) == 8 ? 0x100 << (mode & 7) : 0);
  d.buf_ = words_to_bytes(w);
  start_pio_in_buffer(d, 512);
}

// --- bus master -----------------------------------------------------------------------

uint8_t IdeChannel::bm_read(unsigned reg) {
  switch (reg) {
    case 0: return st_.bm.command;
    case 2: return st_.bm.status;
    case 4: case 5: case 6: case 7: return static_cast<uint8_t>(st_.bm.prd_address >> (8 * (reg - 4)));
  }
  return 0;
}

void IdeChannel::bm_write(unsigned reg, uint8_t v) {
  BusMaster& bm = st_.bm;
  switch (reg) {
    case 0: {
      const uint8_t old = bm.command;
      // The direction may not change while the engine runs (datasheet); Start may.
      bm.command = static_cast<uint8_t>((old & ata::kBmStart) ? (old & ata::kBmWriteToMemory) | (v & ata::kBmStart)
                                                              : v & (ata::kBmStart | ata::kBmWriteToMemory));
      if (!(old & ata::kBmStart) && (v & ata::kBmStart)) {
        bm.status |= ata::kBmActive;
        try_dma();
      } else if ((old & ata::kBmStart) && !(v & ata::kBmStart)) {
        bm.status &= static_cast<uint8_t>(~ata::kBmActive);
      }
      break;
    }
    case 2:
      bm.status = static_cast<uint8_t>((bm.status & ~(0x60 | (v & (ata::kBmError | ata::kBmInterrupt)))) | (v & 0x60));
      break;
    case 4: case 5: case 6: case 7: {
      const unsigned shift = 8 * (reg - 4);
      bm.prd_address = ((bm.prd_address & ~(0xFFu << shift)) | uint32_t{v} << shift) & ~3u;
      break;
    }
  }
}

void IdeChannel::set_bus_master_enabled(bool on) {
  bus_master_enabled_ = on;
  if (on) try_dma();
}

void IdeChannel::dma_fail(IdeDrive& d, const std::string& why) {
  log_.warn(fmt::format("{}: DMA aborted: {}", io_name(), why));
  st_.bm.status = static_cast<uint8_t>((st_.bm.status | ata::kBmError) & ~ata::kBmActive);
  abort_command(d);
}

void IdeChannel::try_dma() {
  IdeDrive& d = sel();
  IdeDrive::State& s = d.st_;
  BusMaster& bm = st_.bm;
  if (!d.present() || (s.phase != IdeDrive::kDmaIn && s.phase != IdeDrive::kDmaOut)) return;
  if (!(bm.command & ata::kBmStart) || !(bm.status & ata::kBmActive)) return;
  if (!bus_master_enabled_) {
    log_.warn(fmt::format("{}: DMA started with PCI bus mastering disabled: waiting", io_name()));
    return;
  }
  const bool to_memory = s.phase == IdeDrive::kDmaIn;
  if (to_memory != bool(bm.command & ata::kBmWriteToMemory))
    return dma_fail(d, to_memory ? "the engine is set to read memory for a device-to-memory command"
                                 : "the engine is set to write memory for a memory-to-device command");
  const bool cd = d.kind() == IdeDrive::Kind::kCdrom;
  uint64_t prd = bm.prd_address;
  unsigned entries = 0;
  bool eot = false;
  uint64_t region = 0;
  uint64_t region_left = 0;
  auto is_ram = [&](uint64_t a, uint64_t n) {
    for (uint64_t p = a & ~(kPageBytes - 1); p < a + n; p += kPageBytes)
      if (mem_.page(p).kind != PageKind::kRam) return false;
    return a + n <= mem_.ram_bytes();
  };
  while (s.bytes_left > 0) {
    if (region_left == 0) {
      if (eot) break;  // the PRD table ended before the data
      if (entries == kMaxPrdEntries) return dma_fail(d, "PRD table without an end-of-table entry");
      if (!is_ram(prd, 8)) return dma_fail(d, fmt::format("PRD table entry at {:#x} is not in RAM", prd));
      uint32_t e[2];
      mem_.read_bytes(prd, e, 8);
      region = e[0] & ~1u;
      region_left = (e[1] & 0xFFFF) ? (e[1] & 0xFFFE) : 0x10000;
      eot = e[1] & 0x80000000u;
      prd = (prd & ~0xFFFFull) | ((prd + 8) & 0xFFFF);  // the table wraps inside its 64 KiB page
      entries++;
      if (region_left == 0) continue;
    }
    if (to_memory) {
      if (s.buf_pos == s.buf_len) {
        if (!s.stream_from_medium || s.blocks_left == 0) break;  // nothing more to give (cannot happen)
        if (cd) {
          if (!atapi_stage_blocks(d)) {
            st_.bm.status &= static_cast<uint8_t>(~ata::kBmActive);
            return;
          }
        } else {
          const uint64_t n = std::min<uint64_t>(s.blocks_left, kDmaChunkSectors);
          d.buf_.resize(n * kSector);
          try {
            d.backend()->read(s.next_lba * kSector, d.buf_.data(), n * kSector);
          } catch (const DiskError& e) {
            log_.warn(fmt::format("{}: read error: {}", io_name(), e.what()));
            set_address(d, s.next_lba);
            st_.bm.status &= static_cast<uint8_t>(~ata::kBmActive);
            return abort_command(d, ata::kUnc);
          }
          s.next_lba += n;
          s.blocks_left -= n;
          s.buf_pos = 0;
          s.buf_len = static_cast<uint32_t>(n * kSector);
        }
      }
      const uint64_t n = std::min<uint64_t>({region_left, s.buf_len - s.buf_pos, s.bytes_left});
      if (!is_ram(region, n)) return dma_fail(d, fmt::format("PRD region {:#x}+{:#x} is not in RAM", region, n));
      mem_.write_bytes(region, d.buf_.data() + s.buf_pos, n);
      s.buf_pos += static_cast<uint32_t>(n);
      s.bytes_left -= n;
      region += n;
      region_left -= n;
    } else {
      if (s.buf_len == 0) {
        const uint64_t n = std::min<uint64_t>(s.blocks_left, kDmaChunkSectors);
        d.buf_.assign(n * kSector, 0);
        s.buf_pos = 0;
        s.buf_len = static_cast<uint32_t>(n * kSector);
      }
      const uint64_t n = std::min<uint64_t>({region_left, s.buf_len - s.buf_pos, s.bytes_left});
      if (!is_ram(region, n)) return dma_fail(d, fmt::format("PRD region {:#x}+{:#x} is not in RAM", region, n));
      mem_.read_bytes(region, d.buf_.data() + s.buf_pos, n);
      s.buf_pos += static_cast<uint32_t>(n);
      s.bytes_left -= n;
      region += n;
      region_left -= n;
      if (s.buf_pos == s.buf_len) {
        try {
          d.backend()->write(s.next_lba * kSector, d.buf_.data(), s.buf_len);
        } catch (const DiskError& e) {
          log_.warn(fmt::format("{}: write error: {}", io_name(), e.what()));
          set_address(d, s.next_lba);
          st_.bm.status &= static_cast<uint8_t>(~ata::kBmActive);
          return abort_command(d);
        }
        s.next_lba += s.buf_len / kSector;
        s.blocks_left -= s.buf_len / kSector;
        s.buf_len = s.buf_pos = 0;
      }
    }
  }
  if (s.bytes_left > 0) {
    // PRDs too short: the engine stops, the command ends without an interrupt (as QEMU).
    log_.warn(fmt::format("{}: PRD table ({} entries) shorter than the transfer; {} bytes left", io_name(), entries,
                          s.bytes_left));
    bm.status &= static_cast<uint8_t>(~ata::kBmActive);
    s.phase = IdeDrive::kIdle;
    s.status = ata::kDrdy | ata::kDsc;
    return;
  }
  // Done. Active stays set if the PRD table describes more memory than was moved.
  if (eot && region_left == 0) bm.status &= static_cast<uint8_t>(~ata::kBmActive);
  if (cd) {
    atapi_ok(d);
  } else {
    set_address(d, s.next_lba - 1);
    complete(d);
  }
}

// --- host side: media -----------------------------------------------------------------

void IdeChannel::insert_media(unsigned unit, std::unique_ptr<BlockBackend> backend) {
  IdeDrive& d = *drives_[unit & 1];
  if (d.kind() != IdeDrive::Kind::kCdrom) throw std::logic_error("ide: media go into CD-ROM drives");
  d.backend_ = std::move(backend);
  d.st_.media_present = d.backend_ != nullptr;
  d.st_.media_changed = d.st_.media_present;
  d.st_.media_event = d.st_.media_present ? 2 : 3;  // NewMedia / MediaRemoval
}

bool IdeChannel::eject_media(unsigned unit, bool force) {
  IdeDrive& d = *drives_[unit & 1];
  if (d.kind() != IdeDrive::Kind::kCdrom) return false;
  if (d.st_.locked && !force) {
    d.st_.media_event = 1;  // EjectRequest: the guest decides
    return false;
  }
  d.backend_.reset();
  d.st_.media_present = false;
  d.st_.media_changed = false;
  d.st_.media_event = 3;  // MediaRemoval
  return true;
}

// --- save/load ------------------------------------------------------------------------

void IdeChannel::save(StateWriter& w, const std::string& section) const {
  w.begin_section(section, 1);
  w.put(st_);
  w.put(irq_level_);
  for (const auto& p : drives_) {
    w.put(p->st_);
    w.put(static_cast<uint32_t>(p->buf_.size()));
    if (!p->buf_.empty()) w.put_bytes(p->buf_.data(), p->buf_.size());
  }
  w.end_section();
}

void IdeChannel::load(StateReader& r, const std::string& section) {
  if (r.open_section(section) != 1) throw StateError("state: unknown version of " + section);
  r.get(st_);
  bool level;
  r.get(level);
  for (auto& p : drives_) {
    r.get(p->st_);
    uint32_t n;
    r.get(n);
    if (n > (1u << 20)) throw StateError("state: " + section + ": buffer too large");
    p->buf_.resize(n);
    if (n) r.get_bytes(p->buf_.data(), n);
    if (p->st_.buf_len > n || p->st_.buf_pos > p->st_.buf_len) throw StateError("state: " + section + ": bad buffer");
    if (p->kind() == IdeDrive::Kind::kCdrom && p->st_.media_present && !p->backend_) {
      log_.warn(section + ": the saved state has a disc in the drive but none is attached");
      p->st_.media_present = false;
    }
  }
  irq_level_ = !level;
  update_irq();
  if (irq_level_ != level) irq_.set(irq_level_);
}

// --- the PCI function -----------------------------------------------------------------

Piix3Ide::Piix3Ide(PhysicalMemory& mem, IrqLine primary, IrqLine secondary)
    : PciFunction("piix3-ide", Identity{0x8086, 0x7010, 0x00, 0x010180, 0, 0, 0, 0}) {
  init16(pci::kCommand, 0, pci::kCmdIo | pci::kCmdMaster);
  init8(pci::kLatencyTimer, 0, 0xF0);
  add_io_bar(4, 16, 1 | 2 | 4);
  init16(kIdeTim, 0x0000, 0xF3FF);
  init16(kIdeTim + 2, 0x0000, 0xF3FF);
  init8(kSideTim, 0x00, 0xFF);
  channels_[0] = std::make_unique<IdeChannel>(0, primary, mem, log_);
  channels_[1] = std::make_unique<IdeChannel>(1, secondary, mem, log_);
}

Piix3Ide::~Piix3Ide() = default;

void Piix3Ide::attach_disk(unsigned channel, unsigned unit, std::unique_ptr<BlockBackend> backend) {
  if (!backend) throw std::logic_error("ide: a disk needs an image");
  channels_[channel & 1]->attach(unit, IdeDrive::Kind::kDisk, std::move(backend));
}

void Piix3Ide::attach_cdrom(unsigned channel, unsigned unit, std::unique_ptr<BlockBackend> media) {
  channels_[channel & 1]->attach(unit, IdeDrive::Kind::kCdrom, std::move(media));
}

void Piix3Ide::reset() {
  PciFunction::reset();
  for (auto& c : channels_) c->reset();
}

void Piix3Ide::update_decoding() {
  if (!attached()) return;
  for (unsigned ch = 0; ch < 2; ch++) {
    IdeChannel& c = *channels_[ch];
    const bool want = (command() & pci::kCmdIo) && (cfg16(static_cast<uint8_t>(kIdeTim + 2 * ch)) & 0x8000);
    if (want == decoding_[ch]) continue;
    if (!want) {
      for (unsigned p = 0; p < 8; p++)
        if (io().handler(static_cast<uint16_t>(c.command_base() + p)) == &c) io().unregister_ports(static_cast<uint16_t>(c.command_base() + p), 1);
      if (io().handler(c.control_port()) == &c) io().unregister_ports(c.control_port(), 1);
      decoding_[ch] = false;
      continue;
    }
    bool free = io().handler(c.control_port()) == nullptr;
    for (unsigned p = 0; p < 8; p++) free = free && io().handler(static_cast<uint16_t>(c.command_base() + p)) == nullptr;
    if (!free) {
      log_.warn(fmt::format("{}: ports {:#x}/{:#x} are taken by another device; channel not decoded", c.io_name(),
                            c.command_base(), c.control_port()));
      continue;
    }
    io().register_ports(c.command_base(), 8, &c, 1 | 2 | 4);
    io().register_ports(c.control_port(), 1, &c, 1);
    decoding_[ch] = true;
  }
}

void Piix3Ide::config_changed(uint8_t offset, unsigned size) {
  if (overlaps(offset, size, pci::kCommand, 2) || overlaps(offset, size, kIdeTim, 4)) update_decoding();
  if (overlaps(offset, size, pci::kCommand, 2))
    for (auto& c : channels_) c->set_bus_master_enabled(bus_master());
}

uint32_t Piix3Ide::bar_read(unsigned bar, uint32_t offset, unsigned size) {
  if (bar != 4) return PciFunction::bar_read(bar, offset, size);
  uint32_t v = 0;
  for (unsigned i = 0; i < size; i++) {
    const uint32_t o = offset + i;
    v |= uint32_t{o < 16 ? channels_[o >> 3]->bm_read(o & 7) : uint8_t{0xFF}} << (8 * i);
  }
  return v;
}

void Piix3Ide::bar_write(unsigned bar, uint32_t offset, uint32_t value, unsigned size) {
  if (bar != 4) return;
  // Write the PRD address bytes before the command byte so a dword write is coherent.
  for (unsigned i = size; i-- > 0;) {
    const uint32_t o = offset + i;
    if (o < 16) channels_[o >> 3]->bm_write(o & 7, static_cast<uint8_t>(value >> (8 * i)));
  }
}

void Piix3Ide::save(StateWriter& w) const {
  PciFunction::save(w);
  channels_[0]->save(w, "piix3-ide:0");
  channels_[1]->save(w, "piix3-ide:1");
}

void Piix3Ide::load(StateReader& r) {
  PciFunction::load(r);
  channels_[0]->load(r, "piix3-ide:0");
  channels_[1]->load(r, "piix3-ide:1");
  for (auto& c : channels_) c->set_bus_master_enabled(bus_master());
}

}  // namespace kasou
