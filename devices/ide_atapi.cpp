// IDE: the ATAPI CD-ROM drive (PACKET protocol and the SCSI/MMC commands it carries).
// Part of devices/ide.* (declared in ide.h).
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "devices/ide.h"

namespace kasou {

namespace {
constexpr uint32_t kCdBlock = 2048;
constexpr uint32_t kStageBlocks = 32;  // disc blocks staged per read (64 KiB)

// SCSI/MMC operation codes.
enum : uint8_t {
  kTestUnitReady = 0x00, kRequestSense = 0x03, kInquiry = 0x12, kModeSense6 = 0x1A, kStartStopUnit = 0x1B,
  kPreventAllow = 0x1E, kReadCapacity = 0x25, kRead10 = 0x28, kSeek10 = 0x2B, kReadToc = 0x43,
  kGetConfiguration = 0x46, kGetEventStatus = 0x4A, kModeSense10 = 0x5A, kRead12 = 0xA8, kSetCdSpeed = 0xBB,
};
// Sense keys and additional sense codes.
enum : uint8_t { kNoSense = 0, kNotReady = 2, kMediumError = 3, kIllegalRequest = 5, kUnitAttention = 6 };
enum : uint8_t {
  kAscUnrecoveredRead = 0x11, kAscInvalidOpcode = 0x20, kAscLbaOutOfRange = 0x21, kAscInvalidField = 0x24,
  kAscMediumChanged = 0x28, kAscSavingNotSupported = 0x39, kAscMediumNotPresent = 0x3A,
  kAscRemovalPrevented = 0x53,
};

uint32_t be16(const uint8_t* p) { return uint32_t{p[0]} << 8 | p[1]; }
uint32_t be32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; }
void put16(std::vector<uint8_t>& v, size_t at, uint32_t x) {
  v[at] = static_cast<uint8_t>(x >> 8);
  v[at + 1] = static_cast<uint8_t>(x);
}
void put32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
  put16(v, at, x >> 16);
  put16(v, at + 2, x & 0xFFFF);
}
// A CD address as 4 bytes: LBA, or reserved/M/S/F with the 2-second lead-in.
void put_address(std::vector<uint8_t>& v, size_t at, uint32_t lba, bool msf) {
  if (!msf) return put32(v, at, lba);
  const uint32_t f = lba + 150;
  v[at] = 0;
  v[at + 1] = static_cast<uint8_t>(f / (75 * 60));
  v[at + 2] = static_cast<uint8_t>((f / 75) % 60);
  v[at + 3] = static_cast<uint8_t>(f % 75);
}
}  // namespace

uint64_t IdeChannel::cd_blocks(const IdeDrive& d) const {
  return d.st_.media_present && d.backend() ? d.backend()->size() / kCdBlock : 0;
}

void IdeChannel::packet_command(IdeDrive& d) {
  IdeDrive::State& s = d.st_;
  s.dma = s.feature & 1;
  s.byte_limit = static_cast<uint16_t>(s.lcyl | s.hcyl << 8);
  s.phase = IdeDrive::kPacket;
  d.buf_.assign(12, 0);
  s.buf_pos = 0;
  s.buf_len = 12;
  s.nsector = ata::kCoD;  // waiting for the command packet; no interrupt (accelerated DRQ)
  s.status = ata::kDrdy | ata::kDsc | ata::kDrq;
}

void IdeChannel::atapi_ok(IdeDrive& d) {
  IdeDrive::State& s = d.st_;
  s.phase = IdeDrive::kIdle;
  s.status = ata::kDrdy | ata::kDsc;
  s.error = 0;
  s.nsector = ata::kIo | ata::kCoD;
  s.buf_pos = s.buf_len = 0;
  raise(d);
}

void IdeChannel::atapi_error(IdeDrive& d, uint8_t key, uint8_t asc, uint8_t ascq) {
  IdeDrive::State& s = d.st_;
  s.sense_key = key, s.asc = asc, s.ascq = ascq;
  s.phase = IdeDrive::kIdle;
  s.status = ata::kDrdy | ata::kErr;
  s.error = static_cast<uint8_t>(key << 4);
  s.nsector = ata::kIo | ata::kCoD;
  s.buf_pos = s.buf_len = 0;
  raise(d);
}

bool IdeChannel::atapi_media_ready(IdeDrive& d) {
  if (cd_blocks(d) > 0) return true;
  atapi_error(d, kNotReady, kAscMediumNotPresent);
  return false;
}

// Data-in from a buffer, cut to the allocation length the command gave.
void IdeChannel::atapi_reply(IdeDrive& d, const std::vector<uint8_t>& data, size_t alloc) {
  IdeDrive::State& s = d.st_;
  const size_t n = std::min(data.size(), alloc);
  if (n == 0) return atapi_ok(d);
  d.buf_.assign(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
  s.stream_from_medium = false;
  s.blocks_left = 0;
  s.buf_pos = 0;
  s.buf_len = static_cast<uint32_t>(n);
  s.bytes_left = n;
  if (s.dma) {
    s.phase = IdeDrive::kDmaIn;
    s.status = ata::kDrdy | ata::kDsc | ata::kDrq;
    s.nsector = ata::kIo;
    return try_dma();
  }
  s.phase = IdeDrive::kPioIn;
  atapi_next_chunk(d);
}

void IdeChannel::atapi_read(IdeDrive& d, uint64_t lba, uint64_t blocks) {
  IdeDrive::State& s = d.st_;
  if (!atapi_media_ready(d)) return;
  if (lba > cd_blocks(d) || blocks > cd_blocks(d) - lba) return atapi_error(d, kIllegalRequest, kAscLbaOutOfRange);
  if (blocks == 0) return atapi_ok(d);
  s.stream_from_medium = true;
  s.first_lba = s.next_lba = lba;
  s.blocks_left = blocks;
  s.bytes_left = blocks * kCdBlock;
  s.buf_pos = s.buf_len = 0;
  if (s.dma) {
    s.phase = IdeDrive::kDmaIn;
    s.status = ata::kDrdy | ata::kDsc | ata::kDrq;
    s.nsector = ata::kIo;
    return try_dma();
  }
  s.phase = IdeDrive::kPioIn;
  atapi_next_chunk(d);
}

bool IdeChannel::atapi_stage_blocks(IdeDrive& d) {
  IdeDrive::State& s = d.st_;
  const uint64_t n = std::min<uint64_t>(s.blocks_left, kStageBlocks);
  if (n == 0 || !d.backend()) {
    atapi_error(d, kNotReady, kAscMediumNotPresent);
    return false;
  }
  d.buf_.resize(n * kCdBlock);
  try {
    d.backend()->read(s.next_lba * kCdBlock, d.buf_.data(), n * kCdBlock);
  } catch (const DiskError& e) {
    log_.warn(fmt::format("{}: CD read error: {}", io_name(), e.what()));
    atapi_error(d, kMediumError, kAscUnrecoveredRead);
    return false;
  }
  s.next_lba += n;
  s.blocks_left -= n;
  s.buf_pos = 0;
  s.buf_len = static_cast<uint32_t>(n * kCdBlock);
  return true;
}

// One DRQ data block of a PIO packet command: at most the host's byte count limit.
void IdeChannel::atapi_next_chunk(IdeDrive& d) {
  IdeDrive::State& s = d.st_;
  uint32_t limit = s.byte_limit;
  if (limit == 0 || limit == 0xFFFF) limit = 0xFFFE;  // 0 is invalid; odd limits round down
  limit &= ~1u;
  const uint32_t chunk = static_cast<uint32_t>(std::min<uint64_t>(s.bytes_left, limit));
  s.block_bytes = chunk;
  s.lcyl = chunk & 0xFF;
  s.hcyl = static_cast<uint8_t>(chunk >> 8);
  s.nsector = ata::kIo;
  s.status = ata::kDrdy | ata::kDsc | ata::kDrq;
  raise(d);
}

void IdeChannel::atapi_chunk_done(IdeDrive& d) {
  if (d.st_.bytes_left > 0) return atapi_next_chunk(d);
  atapi_ok(d);
}

std::vector<uint8_t> IdeChannel::mode_page(const IdeDrive& d, uint8_t page, uint8_t control) const {
  std::vector<uint8_t> p;
  switch (page) {
    case 0x01:  // read error recovery
      p = {0x01, 0x06, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00};
      break;
    case 0x0D:  // CD device parameters: 60 seconds per minute, 75 frames per second
      p = {0x0D, 0x06, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x4B};
      break;
    case 0x0E:  // CD audio control: immediate, ports 0/1 to channels 0/1 at full volume
      p = {0x0E, 0x0E, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xFF, 0x02, 0xFF, 0x00, 0x00, 0x00, 0x00};
      break;
    case 0x2A: {  // capabilities and mechanical status
      p.assign(20, 0);
      p[0] = 0x2A;
      p[1] = 18;
      p[2] = 0x01;  // reads CD-R media
      p[4] = 0x71;  // audio play, mode 2 form 1/2, multi-session
      p[5] = 0x01;  // CD-DA commands
      p[6] = static_cast<uint8_t>(0x29 | (d.st_.locked ? 0x02 : 0));  // tray, eject, lock (+ state)
      put16(p, 8, 8 * 176);   // maximum speed (KB/s)
      put16(p, 10, 2);        // volume levels
      put16(p, 12, 512);      // buffer (KB)
      put16(p, 14, 8 * 176);  // current speed
      break;
    }
    default:
      return {};
  }
  if (control == 1) std::fill(p.begin() + 2, p.end(), 0);  // changeable values: none
  return p;
}

void IdeChannel::atapi_execute(IdeDrive& d) {
  IdeDrive::State& s = d.st_;
  const uint8_t* c = s.packet;
  const uint8_t op = c[0];
  // A new disc is reported once, to the first command that may not ignore it.
  if (s.media_changed && op != kInquiry && op != kRequestSense && op != kGetConfiguration && op != kGetEventStatus) {
    s.media_changed = false;
    return atapi_error(d, kUnitAttention, kAscMediumChanged);
  }
  switch (op) {
    case kTestUnitReady:
      if (atapi_media_ready(d)) atapi_ok(d);
      return;
    case kRequestSense: {
      std::vector<uint8_t> r(18, 0);
      r[0] = 0x70;  // current error, fixed format
      r[7] = 10;
      if (s.sense_key == kNoSense && s.media_changed) {
        s.media_changed = false;
        s.sense_key = kUnitAttention, s.asc = kAscMediumChanged, s.ascq = 0;
      }
      r[2] = s.sense_key;
      r[12] = s.asc;
      r[13] = s.ascq;
      s.sense_key = s.asc = s.ascq = 0;
      return atapi_reply(d, r, c[4]);
    }
    case kInquiry: {
      if (c[1] & 1) return atapi_error(d, kIllegalRequest, kAscInvalidField);  // no VPD pages
      std::vector<uint8_t> r(36, ' ');
      r[0] = 0x05;  // CD/DVD device
      r[1] = 0x80;  // removable
      r[2] = 0x00;
      r[3] = 0x21;  // ATAPI, response data format 1
      r[4] = 31;
      r[5] = r[6] = r[7] = 0;
      std::memcpy(&r[8], "KASOU   ", 8);
      std::memcpy(&r[16], "CD-ROM          ", 16);
      std::memcpy(&r[32], "1.0 ", 4);
      return atapi_reply(d, r, be16(c + 3));
    }
    case kReadCapacity: {
      if (!atapi_media_ready(d)) return;
      std::vector<uint8_t> r(8, 0);
      put32(r, 0, static_cast<uint32_t>(std::min<uint64_t>(cd_blocks(d) - 1, 0xFFFFFFFF)));
      put32(r, 4, kCdBlock);
      return atapi_reply(d, r, r.size());
    }
    case kRead10:
      return atapi_read(d, be32(c + 2), be16(c + 7));
    case kRead12:
      return atapi_read(d, be32(c + 2), be32(c + 6));
    case kSeek10:
      if (!atapi_media_ready(d)) return;
      if (be32(c + 2) >= cd_blocks(d)) return atapi_error(d, kIllegalRequest, kAscLbaOutOfRange);
      return atapi_ok(d);
    case kSetCdSpeed:
      return atapi_ok(d);
    case kReadToc: {
      if (!atapi_media_ready(d)) return;
      const bool msf = c[1] & 2;
      uint8_t format = c[2] & 0x0F;
      if (format == 0) format = c[9] >> 6;  // the older SFF-8020 place for it
      const uint8_t track = c[6];
      const uint32_t blocks = static_cast<uint32_t>(std::min<uint64_t>(cd_blocks(d), 0xFFFFFFFF));
      std::vector<uint8_t> r;
      if (format == 0) {
        if (track > 1 && track != 0xAA) return atapi_error(d, kIllegalRequest, kAscInvalidField);
        r.assign(4, 0);
        r[2] = 1, r[3] = 1;  // first and last track
        if (track <= 1) {
          const size_t at = r.size();
          r.resize(at + 8, 0);
          r[at + 1] = 0x14;  // ADR 1, data track
          r[at + 2] = 1;
          put_address(r, at + 4, 0, msf);
        }
        const size_t at = r.size();
        r.resize(at + 8, 0);
        r[at + 1] = 0x14;
        r[at + 2] = 0xAA;  // lead-out
        put_address(r, at + 4, blocks, msf);
      } else if (format == 1) {  // session information: one session starting at track 1, LBA 0
        r.assign(12, 0);
        r[2] = 1, r[3] = 1;
        r[5] = 0x14;
        r[6] = 1;
        put_address(r, 8, 0, msf);
      } else {
        return atapi_error(d, kIllegalRequest, kAscInvalidField);
      }
      put16(r, 0, static_cast<uint32_t>(r.size() - 2));
      return atapi_reply(d, r, be16(c + 7));
    }
    case kModeSense6:
    case kModeSense10: {
      const uint8_t page = c[2] & 0x3F, control = c[2] >> 6;
      if (control == 3) return atapi_error(d, kIllegalRequest, kAscSavingNotSupported);
      std::vector<uint8_t> pages;
      if (page == 0x3F) {
        for (uint8_t p : {0x01, 0x0D, 0x0E, 0x2A}) {
          auto one = mode_page(d, p, control);
          pages.insert(pages.end(), one.begin(), one.end());
        }
      } else {
        pages = mode_page(d, page, control);
        if (pages.empty()) return atapi_error(d, kIllegalRequest, kAscInvalidField);
      }
      const uint8_t medium = s.media_present ? 0x01 : 0x70;  // 120 mm data disc / no disc
      std::vector<uint8_t> r;
      if (op == kModeSense10) {
        r.assign(8, 0);
        r[2] = medium;
        r.insert(r.end(), pages.begin(), pages.end());
        put16(r, 0, static_cast<uint32_t>(r.size() - 2));
        return atapi_reply(d, r, be16(c + 7));
      }
      r.assign(4, 0);
      r[1] = medium;
      r.insert(r.end(), pages.begin(), pages.end());
      r[0] = static_cast<uint8_t>(std::min<size_t>(r.size() - 1, 255));
      return atapi_reply(d, r, c[4]);
    }
    case kGetConfiguration: {
      const uint8_t rt = c[1] & 3;
      const uint32_t start = be16(c + 2);
      if (rt == 3) return atapi_error(d, kIllegalRequest, kAscInvalidField);
      const bool media = cd_blocks(d) > 0;
      struct Feature {
        uint16_t code;
        bool current;
        std::vector<uint8_t> data;  // after the 4-byte feature header
      };
      const uint8_t removable = 0x29;  // tray, eject, lock
      const std::vector<Feature> features = {
          {0x0000, true, {0x00, 0x08, static_cast<uint8_t>(media ? 1 : 0), 0x00}},  // profile list: CD-ROM
          {0x0001, true, {0x00, 0x00, 0x00, 0x02}},                                  // core: ATAPI
          {0x0002, true, {0x00, 0x00, 0x00, 0x00}},                                  // morphing
          {0x0003, true, {removable, 0x00, 0x00, 0x00}},                             // removable medium
          {0x0010, media, {0x00, 0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00}},         // random readable, 2048
          {0x001E, media, {0x00, 0x00, 0x00, 0x00}},                                 // CD read
      };
      std::vector<uint8_t> r(8, 0);
      put16(r, 6, media ? 0x0008 : 0x0000);  // current profile
      for (const Feature& f : features) {
        if (rt == 2 ? f.code != start : (f.code < start || (rt == 1 && !f.current))) continue;
        const size_t at = r.size();
        r.resize(at + 4, 0);
        put16(r, at, f.code);
        r[at + 2] = static_cast<uint8_t>(0x02 | (f.current ? 1 : 0));  // version 0, persistent, current
        r[at + 3] = static_cast<uint8_t>(f.data.size());
        r.insert(r.end(), f.data.begin(), f.data.end());
      }
      put32(r, 0, static_cast<uint32_t>(r.size() - 4));
      return atapi_reply(d, r, be16(c + 7));
    }
    case kGetEventStatus: {
      if (!(c[1] & 1)) return atapi_error(d, kIllegalRequest, kAscInvalidField);  // only polled
      std::vector<uint8_t> r;
      if (c[4] & 0x10) {  // media class
        r.assign(8, 0);
        put16(r, 0, 6);
        r[2] = 0x04;  // media class
        r[3] = 0x10;  // supported classes: media
        r[4] = s.media_event;
        r[5] = s.media_present ? 0x02 : 0x01;  // disc present / tray open
        s.media_event = 0;
      } else {
        r.assign(4, 0);
        put16(r, 0, 2);
        r[2] = 0x80;  // no event available
        r[3] = 0x10;
      }
      return atapi_reply(d, r, be16(c + 7));
    }
    case kStartStopUnit: {
      const bool loej = c[4] & 2, start = c[4] & 1;
      if (loej && !start) {
        if (s.locked) return atapi_error(d, kIllegalRequest, kAscRemovalPrevented, 0x02);
        if (s.media_present) {
          s.media_present = false;  // the tray opens; the disc stays in it
          s.media_event = 3;
        }
      } else if (loej && start && !s.media_present && d.backend()) {
        s.media_present = true;  // the tray closes on the same disc
        s.media_changed = true;
        s.media_event = 2;
      }
      return atapi_ok(d);
    }
    case kPreventAllow:
      s.locked = c[4] & 1;
      return atapi_ok(d);
    default:
      log_.warn(fmt::format("{}: ATAPI command {:#04x} not supported", io_name(), op));
      return atapi_error(d, kIllegalRequest, kAscInvalidOpcode);
  }
}

}  // namespace kasou
