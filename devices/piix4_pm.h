// Intel 82371AB (PIIX4) function 3: power management, the ACPI hardware of
// QEMU's pc machine, at 01.3 (vendor 8086, device 7113, revision 03, class 068000).
//
// Configuration: PMBA (0x40, 64 bytes of I/O, bits 15:6) and PMIOSE (0x80 bit 0)
// place the PM registers; SMBBA (0x90) and SMBHSTCFG (0xD2) are storage (no SMBus
// controller behind them); DEVACTB (0x58) has APMC_EN (bit 25) preset, which is
// how QEMU without SMM tells SeaBIOS "SMM is already initialised" (there is no SMM).
//
// PM I/O registers (PIIX4 datasheet 7.2, ACPI 1.0 PM1a/PM_TMR blocks):
//   +0x00 PMSTS  (write 1 to clear): TMROF_STS 0, BM_STS 4, GBL_STS 5, PWRBTN_STS 8, RTC_STS 10, WAK_STS 15
//   +0x02 PMEN:  TMROF_EN 0, GBL_EN 5, PWRBTN_EN 8, RTC_EN 10
//   +0x04 PMCNTRL: SCI_EN 0, BRLD_EN_BM 1, GBL_RLS 2, SUS_TYP 12:10, SUS_EN 13 (write-only)
//   +0x08 PMTMR: the 24-bit ACPI power management timer, 3.579545 MHz, computed
//         from the machine's virtual time (never host time); TMROF_STS is set each
//         time bit 23 changes (a scheduler event), which raises SCI with TMROF_EN.
//   others (GPSTS, GPEN, PCNTRL, GLBSTS, DEVSTS, GLBEN, GLBCTL, DEVCTL, GPI/GPO): storage.
// SUS_EN with SUS_TYP 0 (soft off, the \_S5 package of SeaBIOS's tables) powers
// the machine off; other sleep types are logged and ignored (the fw_cfg file
// etc/system-states tells the firmware that S3/S4 do not exist).
//
// SCI is ISA IRQ 9, level: asserted while SCI_EN is set and an enabled status bit
// (PM1 or GPE0) is set. Fixed ports, as on QEMU's pc machine: APM control/status
// 0xB2/0xB3 (writing ACPI_ENABLE 0xF1 / ACPI_DISABLE 0xF0 to 0xB2 sets / clears
// SCI_EN, the FADT's SMI_CMD protocol; other commands would be SMIs: ignored), the
// GPE0 block at 0xAFE0 (status, enable; 2 bytes each) and the PCI hot-plug
// registers at 0xAE00-0xAE13 (no hot-plug: reads 0).
#pragma once

#include <cstdint>
#include <functional>

#include "core/scheduler.h"
#include "devices/pci.h"

namespace kasou {

class Piix4Pm final : public PciFunction, public IoHandler {
 public:
  static constexpr uint64_t kTimerHz = 3579545;
  static constexpr uint8_t kPmBase = 0x40, kPmRegMisc = 0x80, kSmbBase = 0x90, kSmbHostConfig = 0xD2,
                           kDevActB = 0x58;
  static constexpr uint16_t kApmControlPort = 0xB2, kApmStatusPort = 0xB3, kGpe0Port = 0xAFE0,
                            kHotplugPort = 0xAE00;
  // PM1 bits.
  static constexpr uint16_t kTmrSts = 0x0001, kGblSts = 0x0020, kPwrBtnSts = 0x0100, kRtcSts = 0x0400,
                            kWakSts = 0x8000;
  static constexpr uint16_t kSciEn = 0x0001, kSusEn = 0x2000;

  // `now_ns` is the machine's virtual clock; `power_off` ends the run (S5).
  Piix4Pm(Scheduler& sched, std::function<uint64_t()> now_ns, IrqLine sci, std::function<void()> power_off);
  ~Piix4Pm() override;
  void reset() override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  // The fixed ports (APM, GPE0, hot-plug).
  const char* io_name() const override { return "piix4-pm"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, uint32_t value, unsigned size) override;

  // The power button (a front-panel press): PWRBTN_STS, SCI if enabled.
  void press_power_button();

  uint32_t timer() const;  // PMTMR now
  uint16_t pm_io_base() const { return mapped_base_; }  // 0 while the PM block is off
  bool sci_level() const { return sci_level_; }

  struct State {
    uint16_t pmsts, pmen, pmcntrl;
    uint16_t gpe_sts, gpe_en;
    uint8_t apmc, apms;
    uint8_t regs[64];  // the rest of the PM block, byte-addressed
  };
  const State& state() const { return st_; }

 protected:
  void config_changed(uint8_t offset, unsigned size) override;
  void attached_to_bus() override;

 private:
  struct PmBlock;
  uint8_t pm_read_byte(unsigned off, uint32_t tmr);
  void pm_write_byte(unsigned off, uint8_t value);
  void update_sci();
  void schedule_overflow();
  void on_overflow();
  void remap();

  Scheduler& sched_;
  std::function<uint64_t()> now_ns_;
  IrqLine sci_;
  std::function<void()> power_off_;
  EventKind overflow_kind_;
  std::unique_ptr<PmBlock> block_;
  uint16_t mapped_base_ = 0;
  bool sci_level_ = false;
  State st_{};
};

}  // namespace kasou
