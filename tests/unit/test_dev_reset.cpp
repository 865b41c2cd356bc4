// Guest resets (8042 pulse on port 0x64, port 0x92 bit 0, 0xCF9 on the chipset):
// with MachineConfig::stop_on_reset (kasou run --no-reboot, or a guest without
// firmware) the request ends the run with StopReason::kReset and status 0, as
// QEMU's -no-reboot exits; otherwise the machine resets and starts again at the
// reset vector.
#include <doctest/doctest.h>

#include "core/interp/interp_engine.h"
#include "core/machine.h"
#include "devices/board.h"

using namespace kasou;

namespace {

// A machine whose reset vector holds CLI; HLT (the run ends "halted forever").
struct ResetBox {
  explicit ResetBox(bool stop_on_reset) : m(config(stop_on_reset)) {
    BoardOptions o;
    o.chipset.enabled = true;  // 0xCF9 is the PIIX3's reset control register
    build_board(m, o);
    std::vector<uint8_t> rom(0x10000, 0xF4);
    rom[0xFFF0] = 0xFA;  // cli
    m.memory().add_rom(0xFFFF0000ull, rom, "reset-vector");
    m.set_engine(std::make_unique<InterpEngine>(m.decoder()));
  }
  static MachineConfig config(bool stop_on_reset) {
    MachineConfig c;
    c.ram_bytes = 16ull << 20;
    c.stop_on_reset = stop_on_reset;
    return c;
  }
  // Runs from a program in RAM at 0x1000 that writes `value` to `port` and spins.
  StopReason run_program(uint16_t port, uint8_t value) {
    const uint8_t prog[] = {0xBA, static_cast<uint8_t>(port), static_cast<uint8_t>(port >> 8),  // mov dx, port
                            0xB0, value,                                                        // mov al, value
                            0xEE,                                                               // out dx, al
                            0xEB, 0xFE};                                                        // jmp $
    m.memory().write_bytes(0x1000, prog, sizeof prog);
    CpuState& s = m.vcpu().s;
    s.seg[kCs].base = 0, s.seg[kCs].selector = 0;
    s.rip = 0x1000;
    m.engine().state_changed(m.vcpu());
    RunLimits limits;
    limits.max_instructions = 1'000'000;
    return m.run(limits);
  }
  Machine m;
};
}  // namespace

TEST_CASE("reset: with stop_on_reset every kind of reset request ends the run with status 0") {
  for (auto [port, value] : {std::pair<uint16_t, uint8_t>{0x64, 0xFE}, {0x92, 0x01}, {0xCF9, 0x06}}) {
    INFO("port " << port);
    ResetBox b(true);
    CHECK(b.run_program(port, value) == StopReason::kReset);
    CHECK(b.m.exit_code() == 0);
    CHECK(b.m.stop_message().find("reset") != std::string::npos);
    CHECK(b.m.resets() == 0);
  }
}

TEST_CASE("reset: without stop_on_reset the machine resets and runs from the reset vector") {
  ResetBox b(false);
  CHECK(b.run_program(0x64, 0xFE) == StopReason::kHaltedForever);
  CHECK(b.m.resets() == 1);
  CHECK(b.m.vcpu().s.seg[kCs].selector == 0xF000);
}
