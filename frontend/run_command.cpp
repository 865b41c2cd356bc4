// `kasou run`: assembles a Machine (board, engine, guest) and runs it.
#include "frontend/run_command.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "core/interp/interp_engine.h"
#include "core/machine.h"
#include "devices/board.h"
#include "devices/vga.h"
#include "firmware/acpi.h"
#include "firmware/linux_boot.h"
#include "devices/fw_cfg.h"
#include "firmware/multiboot.h"
#include "firmware/seabios.h"
#include "frontend/panic_watch.h"
#include "frontend/key_input.h"
#include "frontend/stats_output.h"
#include "jit/jit_engine.h"

namespace kasou {
namespace {

// After the panic line, the kernel prints its report (registers, call trace) and
// "---[ end Kernel panic"; the run ends there, or after this much virtual time.
constexpr uint64_t kPanicGraceNs = 500'000'000;

std::unique_ptr<CharSink> open_sink(const std::string& spec, const char* what) {
  if (spec == "stdio") return std::make_unique<FileSink>(stdout);
  if (spec == "none") return nullptr;
  if (spec.rfind("file:", 0) == 0) {
    std::FILE* f = std::fopen(spec.c_str() + 5, "wb");
    if (!f) throw std::runtime_error(fmt::format("{}: cannot open {} for writing", what, spec.substr(5)));
    return std::make_unique<FileSink>(f);
  }
  throw std::runtime_error(fmt::format("{}: '{}' is not stdio, none or file:PATH", what, spec));
}

void write_text_file(const std::string& path, const std::string& text, const char* what) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error(fmt::format("{}: cannot open {} for writing", what, path));
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) throw std::runtime_error(fmt::format("{}: cannot write {}", what, path));
}

// No BIOS runs before a multiboot or Linux kernel: leave the VGA in 80x25 text mode
// as the BIOS would, with the 8x16 font of Debian's VGA BIOS when it is installed.
void vga_text_mode_without_bios(Vga& vga, bool want_font) {
  std::optional<std::array<uint8_t, 4096>> font;
  if (std::filesystem::exists(kDefaultVgaBiosPath)) font = find_vga_font16(read_vga_bios());
  if (!font && want_font)
    fmt::print(stderr, "kasou: note: no 8x16 font found in {} (Debian package seabios): the screenshot "
               "shows text without glyphs\n", kDefaultVgaBiosPath);
  vga.set_text_mode3(font ? font->data() : nullptr);
}

// --screen-dump-every: rewrites the dump every `period_ns` of virtual time.
void schedule_screen_dumps(Scheduler& s, Vga& vga, const std::string& path, uint64_t period_ns) {
  auto kind = std::make_shared<EventKind>();
  *kind = s.register_kind("screen-dump", [&s, &vga, path, period_ns, kind](uint64_t, int64_t) {
    write_text_file(path, vga.text_dump(), "--screen-dump");
    s.schedule_in(period_ns, *kind);
  });
  s.schedule_in(period_ns, *kind);
}

}  // namespace

int run_command(const RunOptions& o) {
  try {
    const VmConfig& vm = o.vm;
    // A multiboot kernel runs on the bare board, started by kasou's loader. A Linux
    // bzImage boots through SeaBIOS like a disk would (QEMU's -kernel): kasou's
    // option ROM loads it from fw_cfg. Without a kernel the machine boots its
    // firmware from the disks and CD-ROM, as a PC does.
    std::vector<uint8_t> kernel_image;
    if (!vm.kernel.empty()) kernel_image = read_file(vm.kernel);
    const bool linux_boot = !vm.kernel.empty() && is_bzimage(kernel_image);
    const bool firmware_boot = vm.kernel.empty() || linux_boot;
    if (!vm.kernel.empty() && !linux_boot && !vm.initrd.empty())
      throw LoadError("--initrd needs a Linux bzImage kernel (multiboot kernels take --module)");
    MachineConfig cfg;
    cfg.ram_bytes = vm.memory_mib << 20;
    // A reset reboots the firmware (as QEMU does) unless --no-reboot; a guest
    // without firmware has nothing to reboot into, so there a reset ends the run.
    const bool reboot = firmware_boot && !o.no_reboot;
    cfg.reset_on_triple_fault = reboot;
    cfg.stop_on_reset = !reboot;
    cfg.deterministic = !vm.realtime;
    // Checked before the machine is built (a bad kernel or initrd is a clear error at once).
    std::optional<LinuxBoot> linux;
    if (linux_boot) {
      std::vector<uint8_t> initrd;
      if (!vm.initrd.empty()) initrd = read_file(vm.initrd);
      linux = prepare_linux_boot(kernel_image, vm.kernel, std::move(initrd), vm.append, cfg.ram_bytes);
      kernel_image = {};
    }
    Machine m(cfg);
    auto serial = open_sink(vm.serial, "--serial");
    // The debug console carries SeaBIOS's log (port 0x402) on firmware boots: off
    // unless asked for, as in QEMU; multiboot test programs print there (0xE9).
    const std::string debugcon_spec = !o.debugcon.empty() ? o.debugcon : (firmware_boot ? "none" : "stdio");
    auto debugcon = open_sink(debugcon_spec, "--debugcon");
    // A Linux kernel panic on COM1 ends the run (a little later, so that the
    // kernel's report is complete in the transcript).
    std::unique_ptr<PanicWatchSink> panic_watch;
    if (o.stop_on_panic) {
      Machine* mp = &m;
      auto panic_line = std::make_shared<std::string>();
      auto stop = [mp, panic_line] {
        mp->request_stop(StopReason::kGuestPanic, kPanicExitStatus, "Linux kernel panic: " + *panic_line);
      };
      auto grace_kind = std::make_shared<EventKind>();
      *grace_kind = m.scheduler().register_kind("panic-grace", [stop](uint64_t, int64_t) { stop(); });
      panic_watch = std::make_unique<PanicWatchSink>(
          serial.get(),
          [mp, panic_line, grace_kind](const std::string& line) {
            *panic_line = line;
            mp->scheduler().schedule_in(kPanicGraceNs, *grace_kind);
          },
          stop);
    }
    CharSink* com1_out = panic_watch ? panic_watch.get() : serial.get();
    // With COM1 on stdout, stdin feeds COM1's receiver (a shell on the serial console).
    std::unique_ptr<CharSource> serial_in;
    if (vm.serial == "stdio") serial_in = std::make_unique<FdSource>(0);
    BoardOptions board_opts{com1_out, debugcon.get()};
    board_opts.serial_in = serial_in.get();
    board_opts.vga = vm.vga || firmware_boot || !o.screen_dump.empty() || !o.screenshot.empty();
    std::vector<uint8_t> bios;
    if (firmware_boot) {
      bios = read_bios_image(vm.bios);
      board_opts.vga_rom = read_vga_rom_image(vm.vga_bios);
      ChipsetOptions& cs = board_opts.chipset;
      cs.enabled = true;
      // IDE: disks at primary master, primary slave, secondary slave; the CD-ROM
      // drive at secondary master (where QEMU's -cdrom puts it).
      const unsigned disk_slot[3] = {0, 1, 3};
      for (size_t i = 0; i < vm.disks.size() && i < 3; i++)
        cs.ide[disk_slot[i]] = IdeDriveOptions{IdeDriveOptions::Kind::kDisk, vm.disks[i].file, vm.disks[i].read_only};
      cs.ide[2] = IdeDriveOptions{IdeDriveOptions::Kind::kCdrom, vm.cdrom, true};
      // kasou's own ACPI tables (no MADT: there is no APIC), not SeaBIOS's built-in ones.
      PcAcpiConfig acpi;
      acpi.ram_below_4g_bytes = cfg.ram_bytes;
      cs.firmware_files = build_pc_acpi_tables(acpi);
      cs.boot_fail_wait_ms = o.reboot_timeout_ms;
      cs.boot_menu = vm.boot_menu;
      // The Linux boot ROM boots first; SeaBIOS runs genroms/ files as option ROMs.
      if (linux) {
        cs.firmware_files.emplace_back(kLinuxBootRomFile, linuxboot_option_rom());
        cs.boot_order.push_back(kLinuxBootRomBootPath);
      }
      for (char c : vm.boot_order) {
        if (c == 'c' && !vm.disks.empty()) cs.boot_order.push_back(FwCfg::ide_boot_path(0, 0));
        if (c == 'd') cs.boot_order.push_back(FwCfg::ide_boot_path(1, 0));
      }
    }
    Board board = build_board(m, board_opts);
    if (o.engine == "interp") {
      m.set_engine(std::make_unique<InterpEngine>(m.decoder(), o.trace_exec));
    } else {
      JitOptions jo;
      jo.trace_blocks = o.trace_blocks;
      jo.single_step = o.single_step;
      jo.trace_exec = o.trace_exec;
      jo.trap_privileged = o.trap_privileged;
      jo.translate_after = o.translate_after;
      m.set_engine(make_jit_engine(m, jo));
    }
    if (firmware_boot) {
      if (linux)
        for (auto& [key, data] : linux->take_fw_cfg_items()) board.fw_cfg->set_item(key, std::move(data));
      map_bios(m.memory(), bios);
      m.reset_cpu();  // the CPU at F000:FFF0 (the devices are at their power-on state)
    } else {
      load_multiboot(m, kernel_image, vm.kernel, vm.append);
    }
    if (board.vga) {
      if (!firmware_boot) vga_text_mode_without_bios(*board.vga, !o.screenshot.empty());
      if (!o.screen_dump.empty()) {
        write_text_file(o.screen_dump, board.vga->text_dump(), "--screen-dump");  // a bad path fails now
        if (o.screen_dump_every_ms)
          schedule_screen_dumps(m.scheduler(), *board.vga, o.screen_dump, o.screen_dump_every_ms * 1000000);
      }
    }

    if (!o.keys.empty()) {
      KeyTyping typing{parse_key_text(o.keys), o.keys_at_ms * 1000000, o.keys_interval_ms * 1000000};
      schedule_keys(m.scheduler(), *board.i8042, typing);
    }

    RunLimits limits;
    limits.max_instructions = o.max_instructions;
    limits.timeout_seconds = o.timeout_seconds;
    StopReason why = m.run(limits);
    if (serial) serial->flush();
    if (debugcon) debugcon->flush();
    if (board.vga && !o.screen_dump.empty()) write_text_file(o.screen_dump, board.vga->text_dump(), "--screen-dump");
    if (board.vga && !o.screenshot.empty()) write_png(o.screenshot, board.vga->render());

    int status;
    if (why == StopReason::kGuestExit || why == StopReason::kPowerOff || why == StopReason::kReset) {
      // The guest ended the run itself: power-off and (with no reboot) reset are normal ends.
      status = m.exit_code();
      if (!o.quiet && why != StopReason::kGuestExit)
        fmt::print(stderr, "kasou: {}: {}\n", stop_reason_name(why), m.stop_message());
    } else {
      status = m.exit_code() ? m.exit_code() : 1;
      fmt::print(stderr, "kasou: {}: {}\n", stop_reason_name(why), m.stop_message());
    }
    if (o.stats) write_stats(m, o.stats_json, o.stats_file);
    return status;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "kasou: error: {}\n", e.what());
    return 1;
  }
}

}  // namespace kasou
