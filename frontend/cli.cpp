// kasou's command line (CLI11 lives in this one translation unit: it is slow to compile).
#include <CLI/CLI.hpp>

#include "frontend/run_command.h"

int main(int argc, char** argv) {
  CLI::App app{"kasou: a full-system x86 emulator by dynamic binary translation"};
  app.require_subcommand(1);

  kasou::RunOptions run;
  kasou::VmConfig flags;  // what the command line says about the VM (overrides the VM file)
  std::string vm_file, stats_format;
  CLI::App* run_cmd = app.add_subcommand("run", "run a guest (a VM file and/or the options below)");
  run_cmd->add_option("vm", vm_file, "VM file (TOML); options given here override it");
  run_cmd->add_option("--kernel", flags.kernel, "kernel to load: a multiboot (v1) ELF32 image or a Linux bzImage");
  run_cmd->add_option("--initrd", flags.initrd, "initial ramdisk for a Linux kernel");
  run_cmd->add_option("--append", flags.append, "kernel command line");
  std::vector<std::string> disks;
  run_cmd->add_option("--bios", flags.bios, "BIOS image for firmware boots (default: Debian's SeaBIOS)");
  run_cmd->add_option("--disk", disks, "hard-disk image (raw); repeat for more disks (IDE)");
  run_cmd->add_option("--cdrom", flags.cdrom, "CD-ROM image (ISO)");
  run_cmd->add_option("--boot", flags.boot_order, "firmware boot order: c = hard disk, d = CD-ROM (e.g. dc)");
  run_cmd->add_option("--serial", flags.serial, "COM1: stdio, none or file:PATH")->capture_default_str();
  run_cmd->add_option("--debugcon", run.debugcon,
                      "debug console (ports 0xE9 and 0x402, SeaBIOS's log): stdio, none or file:PATH "
                      "(default: stdio for multiboot kernels, none when SeaBIOS runs)");
  run_cmd->add_option("--engine", run.engine, "jit (translation) or interp (reference interpreter)")
      ->check(CLI::IsMember({"jit", "interp"}))->capture_default_str();
  run_cmd->add_option("-m,--memory", flags.memory_mib, "guest RAM in MiB")->capture_default_str();
  run_cmd->add_option("--max-instructions", run.max_instructions, "stop after this many guest instructions");
  run_cmd->add_option("--timeout", run.timeout_seconds, "stop after this many seconds of host time");
  run_cmd->add_option("--stats", stats_format, "print statistics at exit (text or json)")
      ->expected(0, 1)->check(CLI::IsMember({"", "text", "json"}));
  run_cmd->add_option("--stats-file", run.stats_file, "write statistics to this file instead of stderr");
  run_cmd->add_flag("--trace-blocks", run.trace_blocks, "print each new block: guest instructions and host code");
  run_cmd->add_flag("--trace-exec", run.trace_exec,
                    "print the CPU state at every block entry (every instruction with --single-step or the interpreter)");
  run_cmd->add_flag("--realtime", flags.realtime,
                    "virtual time follows the host clock (idle guests sleep; RTC from the host); default: deterministic");
  run_cmd->add_flag("--trap-privileged", run.trap_privileged,
                    "emulate every privileged instruction out of line, as classic trap-and-emulate (for comparison)");
  run_cmd->add_flag("--single-step", run.single_step, "translate blocks of one instruction");
  run_cmd->add_option("--translate-after", run.translate_after,
                      "run a block this many times in the interpreter before translating it (0: translate at once)")
      ->capture_default_str();
  run_cmd->add_flag("-q,--quiet", run.quiet, "no message when the guest stops normally");
  run_cmd->add_flag("--no-reboot", run.no_reboot,
                    "a guest reset (keyboard controller, 0xCF9, triple fault) ends the run instead of rebooting");
  std::string on_panic = "stop";
  run_cmd->add_option("--on-panic", on_panic,
                      "a Linux kernel panic on COM1: stop (end the run, status 4) or continue")
      ->check(CLI::IsMember({"stop", "continue"}))->capture_default_str();
  run_cmd->add_flag("--vga", flags.vga, "attach the VGA (std VGA with Bochs VBE); implied by --screen-dump and --screenshot");
  CLI::Option* dump_opt = run_cmd->add_option("--screen-dump", run.screen_dump,
                                              "write the VGA text screen to FILE at exit (UTF-8, one line per row)");
  run_cmd->add_option("--screen-dump-every", run.screen_dump_every_ms,
                      "also rewrite the screen dump every N milliseconds of virtual time")->needs(dump_opt);
  run_cmd->add_option("--screenshot", run.screenshot, "write the VGA picture to FILE (PNG) at exit");
  CLI::Option* keys_opt = run_cmd->add_option(
      "--keys", run.keys,
      "type TEXT on the PS/2 keyboard (US layout; escapes \\n or \\r = Enter, \\t, \\b, \\e = Escape, \\\\)");
  run_cmd->add_option("--keys-at-ms", run.keys_at_ms,
                      "virtual time of the first --keys key, in ms (the default comes after SeaBIOS's POST; "
                      "keys wait while the keyboard is disabled, but the firmware's keyboard reset drops earlier ones)")
      ->needs(keys_opt)->capture_default_str();
  run_cmd->add_option("--keys-interval-ms", run.keys_interval_ms, "virtual ms between two --keys keys")
      ->needs(keys_opt)->check(CLI::Range(1, 60000))->capture_default_str();
  run_cmd->add_option("--reboot-timeout", run.reboot_timeout_ms,
                      "SeaBIOS: ms to wait after 'No bootable device' before it resets the machine (the end of "
                      "the run with --no-reboot); as QEMU's -boot reboot-timeout; default: SeaBIOS's 60 s")
      ->check(CLI::Range(0, 65535 * 1000));
  run_cmd->add_flag("--boot-menu", flags.boot_menu,
                    "SeaBIOS offers its boot menu (ESC, then the device's number; e.g. --keys '\\e2'), "
                    "as QEMU's -boot menu=on");

  CLI11_PARSE(app, argc, argv);
  if (run_cmd->parsed()) {
    try {
      if (!vm_file.empty()) run.vm = kasou::load_vm_config(vm_file);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "kasou: error: %s\n", e.what());
      return 1;
    }
    auto given = [&](const char* opt) { return run_cmd->count(opt) > 0; };
    kasou::VmConfig& vm = run.vm;
    if (given("--kernel")) vm.kernel = flags.kernel;
    if (given("--initrd")) vm.initrd = flags.initrd;
    if (given("--append")) vm.append = flags.append;
    if (given("--serial")) vm.serial = flags.serial;
    if (given("--memory")) vm.memory_mib = flags.memory_mib;
    if (given("--realtime")) vm.realtime = flags.realtime;
    if (given("--vga")) vm.vga = flags.vga;
    if (given("--bios")) vm.bios = flags.bios;
    if (given("--cdrom")) vm.cdrom = flags.cdrom;
    if (given("--boot")) vm.boot_order = flags.boot_order;
    if (given("--boot-menu")) vm.boot_menu = flags.boot_menu;
    if (given("--disk")) {
      vm.disks.clear();
      for (const auto& d : disks) vm.disks.push_back({d, false});
    }
    if (vm_file.empty() && !given("--kernel") && !given("--disk") && !given("--cdrom") && !given("--bios")) {
      std::fprintf(stderr, "kasou: error: give a VM file, --kernel, or --disk/--cdrom to boot (see kasou run --help)\n");
      return 1;
    }
    run.stop_on_panic = on_panic == "stop";
    if (run_cmd->count("--stats")) {
      run.stats = true;
      run.stats_json = stats_format == "json";
    }
    return kasou::run_command(run);
  }
  return 0;
}
