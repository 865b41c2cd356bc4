// `kasou run`: build a machine from command-line options, load the guest, run it,
// and report how it ended (and the statistics, if asked).
#pragma once

#include <cstdint>
#include <string>

#include "frontend/vm_config.h"
#include "jit/jit_engine.h"

namespace kasou {

// What to run (the VM: from a TOML file and/or command-line flags) and how.
struct RunOptions {
  VmConfig vm;
  std::string debugcon;  // "" = stdio for multiboot kernels, none when SeaBIOS runs
  std::string engine = "jit";   // jit | interp
  uint64_t max_instructions = 0;
  double timeout_seconds = 0;
  bool stats = false;
  bool stats_json = false;
  std::string stats_file;       // empty: stderr
  bool trace_blocks = false;
  bool trace_exec = false;
  bool single_step = false;
  bool trap_privileged = false;
  unsigned translate_after = JitOptions{}.translate_after;  // runs of a block in the interpreter before translating it
  // A guest reset (i8042, 0xCF9, port 0x92, triple fault) ends the run instead of
  // rebooting the firmware (QEMU -no-reboot). Without firmware it always does.
  bool no_reboot = false;
  // A Linux kernel panic on COM1 ends the run with kPanicExitStatus.
  bool stop_on_panic = true;
  bool quiet = false;
  // Display: the VGA is attached when vm.vga, --screen-dump or --screenshot asks for it.
  std::string screen_dump;            // the text screen, written at exit...
  uint64_t screen_dump_every_ms = 0;  // ...and every N virtual milliseconds (0: at exit only)
  std::string screenshot;             // PNG of the display at exit
  // --keys: text typed into the PS/2 keyboard (escapes as parse_key_text() reads
  // them), from keys_at_ms of virtual time on, one key every keys_interval_ms.
  std::string keys;
  uint64_t keys_at_ms = 1000;
  uint64_t keys_interval_ms = 10;
  // SeaBIOS: milliseconds to wait after "No bootable device" before it reboots
  // (fw_cfg etc/boot-fail-wait, QEMU's -boot reboot-timeout); -1: its default (60 s).
  int reboot_timeout_ms = -1;
};

// The exit status of a run that ended in a guest kernel panic.
inline constexpr int kPanicExitStatus = 4;

// Returns the process exit status.
int run_command(const RunOptions& opts);

}  // namespace kasou
