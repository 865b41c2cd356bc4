// IDE: the PIIX3 IDE function (8086:7010 at 01.1) with its two ATA channels in
// compatibility mode and the bus-master IDE engine, ATA hard disks and ATAPI
// CD-ROM drives on BlockBackends.
//
// Channels: primary 0x1F0-0x1F7 + 0x3F6 on IRQ 14, secondary 0x170-0x177 + 0x376
// on IRQ 15, decoded while PCICMD.IOSE and the channel's IDETIM.IDE enable bit
// (config 0x40/0x42 bit 15) are set, as on the PIIX3. The command-block registers
// are written to both devices of a channel; the DEV bit picks the one that
// answers. A channel with no device floats (reads 0xFF); with one device, the
// other one reads as 0 (QEMU does the same; drivers rely on it to find devices).
// The selected device drives INTRQ unless nIEN is set; reading Status (not
// Alternate Status) or writing Command clears it. SRST in the device control
// register resets both devices (signatures: ATA 01/01/00/00, ATAPI 01/01/14/EB).
// HOB reads back the previous values of the LBA48 FIFO registers.
//
// ATA disk (ATA/ATAPI-6): IDENTIFY DEVICE, READ/WRITE SECTORS (PIO, per-sector
// DRQ blocks), READ/WRITE MULTIPLE after SET MULTIPLE MODE (blocks of 2-16
// sectors), READ/WRITE DMA, the EXT (LBA48) forms of all of them, READ VERIFY,
// LBA28/LBA48/CHS addressing (CHS through the current translation geometry,
// INITIALIZE DEVICE PARAMETERS changes it), FLUSH CACHE (-> BlockBackend::flush),
// SET FEATURES (transfer mode, write cache, read look-ahead, revert to defaults),
// IDLE/STANDBY/SLEEP/CHECK POWER MODE (no-ops), RECALIBRATE, SEEK, EXECUTE DEVICE
// DIAGNOSTIC, READ NATIVE MAX ADDRESS. Anything else aborts (ERR, ABRT).
// Addresses beyond the disk give IDNF; image read errors UNC; writes to a
// read-only image and write errors ABRT (logged). Every completed write has been
// handed to the backend (pwrite) before the device reports it done.
//
// Out-of-order input: a command written while the device is busy with a data
// transfer ends that transfer and is answered with ABRT; data-port reads with no
// DRQ read 0, writes with no DRQ are dropped; commands to an absent device are
// ignored (nobody answers); each case is logged.
//
// Bus master IDE (BAR4, 16 bytes; PIIX3 datasheet 2.7): per channel a command
// register (start, direction), status (active, error, interrupt, drive-capable
// bits) and the PRD table address. A DMA command waits until the guest sets Start
// (either order works); the engine then walks the PRD table (base, byte count, 0 =
// 64 KiB, EOT in bit 31) and moves the data. A PRD table or region that is not in
// RAM (or a direction that does not match the command) is a master abort: error
// bit, the command ends with ERR/ABRT and an interrupt; nothing outside guest RAM
// is touched. A PRD table shorter than the transfer ends it without an
// interrupt (as QEMU); a longer one leaves Active set with the interrupt bit (as
// the PIIX).
//
// ATAPI CD-ROM (ATA/ATAPI-6 PACKET protocol, MMC-2): IDENTIFY PACKET DEVICE,
// PACKET (PIO with the host's byte-count limit, or DMA), DEVICE RESET; SCSI/MMC
// commands TEST UNIT READY, REQUEST SENSE, INQUIRY, READ CAPACITY, READ(10),
// READ(12), READ TOC (formats 0 and 1, LBA or MSF), MODE SENSE(6/10) (pages 01,
// 0D, 0E, 2A, 3F), GET CONFIGURATION, GET EVENT STATUS NOTIFICATION (media
// class), START STOP UNIT (eject/load), PREVENT ALLOW MEDIUM REMOVAL, SEEK, SET
// CD SPEED; others give ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE. Sense
// keys: NOT READY / MEDIUM NOT PRESENT without a disc, UNIT ATTENTION / MEDIUM MAY
// HAVE CHANGED once after a disc is inserted, ILLEGAL REQUEST for bad fields and
// LBAs out of range, MEDIUM ERROR for image read errors. Media change from the
// host side: insert_media / eject_media (an eject request on a locked drive only
// reports the event, as pressing the button does).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "devices/device_log.h"
#include "devices/pci.h"
#include "disks/block_backend.h"

namespace kasou {

namespace ata {
// Status.
inline constexpr uint8_t kBsy = 0x80, kDrdy = 0x40, kDf = 0x20, kDsc = 0x10, kDrq = 0x08, kErr = 0x01;
// Error.
inline constexpr uint8_t kAbrt = 0x04, kIdnf = 0x10, kUnc = 0x40, kMc = 0x20, kMcr = 0x08;
// Device control.
inline constexpr uint8_t kNien = 0x02, kSrst = 0x04, kHob = 0x80;
// Bus master.
inline constexpr uint8_t kBmStart = 0x01, kBmWriteToMemory = 0x08;
inline constexpr uint8_t kBmActive = 0x01, kBmError = 0x02, kBmInterrupt = 0x04;
// ATAPI interrupt reason (sector count register).
inline constexpr uint8_t kCoD = 0x01, kIo = 0x02;
}  // namespace ata

// One device on an IDE channel: an ATA disk or an ATAPI CD-ROM drive.
class IdeDrive {
 public:
  enum class Kind : uint8_t { kNone, kDisk, kCdrom };
  // Everything the guest can observe, for save/load (plain data).
  struct State {
    // Command block registers as this device latched them, and the LBA48 FIFO.
    uint8_t feature, nsector, sector, lcyl, hcyl, select;
    uint8_t hob_feature, hob_nsector, hob_sector, hob_lcyl, hob_hcyl;
    uint8_t status, error;
    bool irq_pending;
    // The command in progress.
    uint8_t command;
    uint8_t phase;  // Phase below
    bool lba48;
    uint32_t buf_pos, buf_len;  // bytes of buf_ staged for the host / received from it
    uint32_t block_bytes;       // bytes per DRQ block (ATA PIO) or in this chunk (ATAPI PIO)
    uint64_t next_lba;          // next block to read/write on the medium
    uint64_t blocks_left;       // medium blocks not yet staged (data-in) / not yet written (data-out)
    uint64_t bytes_left;        // bytes of the whole transfer the host has not taken yet
    uint64_t first_lba;         // where the command started (for error reporting)
    // ATA settings.
    uint8_t multiple;  // sectors per block of READ/WRITE MULTIPLE (0: not set)
    uint16_t cur_cylinders, cur_heads, cur_sectors;
    uint8_t xfer_mode;
    bool write_cache, look_ahead;
    // ATAPI.
    uint8_t packet[12];
    bool dma;                  // this packet command moves its data by DMA
    uint16_t byte_limit;       // the host's byte count limit (PIO)
    uint8_t sense_key, asc, ascq;
    bool media_present, media_changed, locked;
    uint8_t media_event;       // pending GET EVENT STATUS NOTIFICATION media event
    bool stream_from_medium;   // data-in comes from the disc (else from buf_)
  };
  enum Phase : uint8_t { kIdle, kPioIn, kPioOut, kDmaIn, kDmaOut, kPacket };

  IdeDrive(Kind kind, std::unique_ptr<BlockBackend> backend, std::string serial, DeviceLog& log);
  Kind kind() const { return kind_; }
  bool present() const { return kind_ != Kind::kNone; }
  BlockBackend* backend() const { return backend_.get(); }
  const State& state() const { return st_; }

 private:
  friend class IdeChannel;
  Kind kind_;
  std::unique_ptr<BlockBackend> backend_;
  std::string serial_;
  DeviceLog& log_;
  State st_{};
  std::vector<uint8_t> buf_;
  uint16_t default_cylinders_ = 0;
};

// One channel: two drive positions, the control block and its bus-master registers.
class IdeChannel : public IoHandler {
 public:
  IdeChannel(unsigned index, IrqLine irq, PhysicalMemory& mem, DeviceLog& log);
  void attach(unsigned unit, IdeDrive::Kind kind, std::unique_ptr<BlockBackend> backend);
  IdeDrive& drive(unsigned unit) { return *drives_[unit & 1]; }
  const IdeDrive& drive(unsigned unit) const { return *drives_[unit & 1]; }
  unsigned index() const { return index_; }
  uint16_t command_base() const { return index_ ? 0x170 : 0x1F0; }
  uint16_t control_port() const { return index_ ? 0x376 : 0x3F6; }

  void reset();  // power-on: both devices reset, bus master idle
  // Command block (port offsets 0-7) and control block.
  const char* io_name() const override { return index_ ? "ide1" : "ide0"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;
  // Bus-master registers (offset 0-7 of this channel's half of BAR4).
  uint8_t bm_read(unsigned reg);
  void bm_write(unsigned reg, uint8_t value);
  // PCI bus mastering is enabled (PCICMD.BME); DMA waits while it is off.
  void set_bus_master_enabled(bool on);
  bool irq_level() const { return irq_level_; }

  // ATAPI media (unit must be a CD-ROM drive).
  void insert_media(unsigned unit, std::unique_ptr<BlockBackend> backend);
  // Returns false if the drive is locked (the guest then sees an eject request event).
  bool eject_media(unsigned unit, bool force = false);

  struct BusMaster {
    uint8_t command, status;
    uint32_t prd_address;
  };
  struct State {
    uint8_t control;
    BusMaster bm;
  };
  void save(StateWriter& w, const std::string& section) const;
  void load(StateReader& r, const std::string& section);

 private:
  IdeDrive& sel() { return *drives_[(drives_[0]->st_.select >> 4) & 1]; }
  uint8_t read_register(unsigned reg);
  void write_register(unsigned reg, uint8_t value);
  void write_control(uint8_t value);
  void update_irq();
  void raise(IdeDrive& d);
  uint32_t data_read(IdeDrive& d, unsigned size);
  void data_write(IdeDrive& d, uint32_t value, unsigned size);

  // ATA command set (ide.cpp).
  void execute(IdeDrive& d, uint8_t cmd);
  void soft_reset_drive(IdeDrive& d);
  void set_signature(IdeDrive& d);
  void complete(IdeDrive& d, bool irq = true);
  void abort_command(IdeDrive& d, uint8_t error = ata::kAbrt);
  bool start_rw(IdeDrive& d, uint8_t cmd);
  bool decode_address(IdeDrive& d, uint64_t& lba, uint64_t& count);
  void set_address(IdeDrive& d, uint64_t lba);
  bool stage_pio_in_block(IdeDrive& d);
  void pio_out_block_done(IdeDrive& d);
  void identify(IdeDrive& d);
  void identify_packet(IdeDrive& d);
  void set_features(IdeDrive& d);
  void start_pio_in_buffer(IdeDrive& d, size_t bytes);

  // DMA (ide.cpp).
  void try_dma();
  void dma_fail(IdeDrive& d, const std::string& why);

  // ATAPI (ide_atapi.cpp).
  void packet_command(IdeDrive& d);
  void atapi_execute(IdeDrive& d);
  void atapi_ok(IdeDrive& d);
  void atapi_error(IdeDrive& d, uint8_t key, uint8_t asc, uint8_t ascq = 0);
  void atapi_reply(IdeDrive& d, const std::vector<uint8_t>& data, size_t alloc);
  void atapi_read(IdeDrive& d, uint64_t lba, uint64_t blocks);
  void atapi_next_chunk(IdeDrive& d);
  void atapi_chunk_done(IdeDrive& d);
  bool atapi_stage_blocks(IdeDrive& d);
  bool atapi_media_ready(IdeDrive& d);
  uint64_t cd_blocks(const IdeDrive& d) const;
  std::vector<uint8_t> mode_page(const IdeDrive& d, uint8_t page, uint8_t control) const;

  unsigned index_;
  IrqLine irq_;
  PhysicalMemory& mem_;
  DeviceLog& log_;
  std::array<std::unique_ptr<IdeDrive>, 2> drives_;
  State st_{};
  bool irq_level_ = false;
  bool bus_master_enabled_ = false;
};

// The PIIX3 IDE PCI function.
class Piix3Ide final : public PciFunction {
 public:
  static constexpr uint8_t kIdeTim = 0x40, kSideTim = 0x44;
  Piix3Ide(PhysicalMemory& mem, IrqLine primary, IrqLine secondary);
  ~Piix3Ide() override;
  void reset() override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  IdeChannel& channel(unsigned i) { return *channels_[i & 1]; }
  // Attach before the guest runs. A disk needs a backend; a CD-ROM drive may be empty.
  void attach_disk(unsigned channel, unsigned unit, std::unique_ptr<BlockBackend> backend);
  void attach_cdrom(unsigned channel, unsigned unit, std::unique_ptr<BlockBackend> media = nullptr);
  // The legacy ports of a channel are decoded now.
  bool decoding(unsigned ch) const { return decoding_[ch & 1]; }

 protected:
  uint32_t bar_read(unsigned bar, uint32_t offset, unsigned size) override;
  void bar_write(unsigned bar, uint32_t offset, uint32_t value, unsigned size) override;
  void config_changed(uint8_t offset, unsigned size) override;
  void attached_to_bus() override { update_decoding(); }

 private:
  void update_decoding();

  std::array<std::unique_ptr<IdeChannel>, 2> channels_;
  bool decoding_[2] = {false, false};
};

}  // namespace kasou
