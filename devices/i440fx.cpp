// i440FX host bridge: identity, PAM shadow control, SMRAM register.
#include "devices/i440fx.h"

namespace kasou {

namespace {
constexpr uint8_t kSmramDOpen = 0x40, kSmramDCls = 0x20, kSmramDLck = 0x10, kSmramGSmrame = 0x08,
                  kSmramCBaseSeg = 0x02;
}

I440fx::I440fx(PhysicalMemory& mem, std::function<void()> tlb_flush)
    : PciFunction("i440fx", Identity{0x8086, 0x1237, 0x02, 0x060000, 0x1AF4, 0x1100, 0, 0}),
      mem_(mem), tlb_flush_(std::move(tlb_flush)) {
  // PCICMD: memory access and bus master are hardwired on (datasheet: 0006h).
  init16(pci::kCommand, pci::kCmdMemory | pci::kCmdMaster, pci::kCmdParity | pci::kCmdSerr);
  init8(pci::kLatencyTimer, 0, 0xF8);
  init8(0x50, 0x00, 0xFF);        // PMCCFG
  init8(0x51, 0x80, 0xFF);        // DETURBO
  init8(0x52, 0x00, 0xFF);        // DBC
  init8(0x53, 0x80, 0xFF);        // AXC
  init16(0x54, 0x0000, 0xFFFF);   // DRAMR
  init8(0x57, 0x01, 0xFF);        // DRAMC
  init8(0x58, 0x10, 0xFF);        // DRAMT
  init8(kPam0, 0x00, 0x30);       // PAM0: only the 0xF0000 nibble exists
  for (uint8_t i = 1; i <= 6; i++) init8(static_cast<uint8_t>(kPam0 + i), 0x00, 0x33);
  for (uint8_t i = 0; i < 8; i++) init8(static_cast<uint8_t>(0x60 + i), 0x01, 0xFF);  // DRB0-7
  init8(0x68, 0x00, 0xFF);        // FDHC
  init8(0x70, 0x00, 0xFF);        // MTT
  init8(0x71, 0x10, 0xFF);        // CLT
  init8(kSmram, kSmramCBaseSeg, 0); // written by hand in config_changed (lock rules)
  init8(0x90, 0x00, 0xFF);        // ERRCMD
  init8(0x91, 0x00, 0xFF);        // ERRSTS
  init8(0x93, 0x00, 0xFF);        // TRC
  config_changed(0, 256);
}

void I440fx::config_changed(uint8_t offset, unsigned size) {
  if (size == 256) pam_applied_ = false;  // reset or restore: apply every PAM again
  if (offset <= kPam0 + 6 && offset + size > kPam0) apply_pam();
}

bool I440fx::config_write_byte(uint8_t off, uint8_t value) {
  if (off != kSmram) return false;
  const uint8_t old = cfg8(kSmram);
  uint8_t v;
  if (old & kSmramDLck) {
    // Locked: only D_CLS still changes; D_OPEN stays 0, G_SMRAME and D_LCK stay.
    v = static_cast<uint8_t>((old & (kSmramGSmrame | kSmramDLck)) | (value & kSmramDCls));
  } else {
    v = value & (kSmramDOpen | kSmramDCls | kSmramDLck | kSmramGSmrame);
    if (v & kSmramDLck) v &= static_cast<uint8_t>(~kSmramDOpen);
  }
  set_cfg8(kSmram, static_cast<uint8_t>(v | kSmramCBaseSeg));
  if ((v & kSmramDOpen) && !(old & kSmramDOpen))
    log_.warn("SMRAM opened (D_OPEN); there is no SMM, the A/B segment keeps showing the VGA");
  return true;
}

void I440fx::apply_pam() {
  bool changed = !pam_applied_;
  for (unsigned i = 0; i < 7; i++) changed = changed || applied_pam_[i] != cfg8(static_cast<uint8_t>(kPam0 + i));
  if (!changed) return;
  for (unsigned i = 0; i < 7; i++) {
    uint8_t pam = cfg8(static_cast<uint8_t>(kPam0 + i));
    if (pam_applied_ && pam == applied_pam_[i]) continue;
    if (i == 0) {
      mem_.set_shadow(0xF0000, 0x10000, pam & 0x10, pam & 0x20);
    } else {
      uint64_t base = 0xC0000 + (i - 1) * 0x8000;
      mem_.set_shadow(base, 0x4000, pam & 0x01, pam & 0x02);
      mem_.set_shadow(base + 0x4000, 0x4000, pam & 0x10, pam & 0x20);
    }
    applied_pam_[i] = pam;
  }
  pam_applied_ = true;
  if (tlb_flush_) tlb_flush_();
}

}  // namespace kasou
