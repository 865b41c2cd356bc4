#!/usr/bin/env python3
"""End-to-end PC tests: build/kasou run as a user runs it, booting Debian's SeaBIOS,
next to QEMU (the oracle) booting the same firmware with the same disk or CD.

  run_pc.py CHECK --kasou build/kasou --bin-dir BUILD/tests/pc --workdir DIR [--qemu PATH]

CHECK is one of:
  no-boot      SeaBIOS with nothing to boot: banner, boot attempts and "No bootable
               device" on the debug console (both) and on the screen (kasou's
               --screen-dump; QEMU's text buffer saved through its monitor).
  disk-boot    disk_boot.bin on a raw image made here: INT 13h CHS and LBA reads,
               INT 10h and COM1 output, INT 1Ah RTC, INT 14h, two keys through
               INT 16h (kasou: --keys; QEMU: the monitor's sendkey), INT 13h writes
               (checked in the image file afterwards), exit through port 0xF4.
  cd-boot      an El Torito ISO made here with xorriso around cd_boot.bin.
  boot-menu    that ISO and the disk: ESC and the CD's number in SeaBIOS's boot
               menu (kasou: --boot-menu --keys; QEMU: -boot menu=on, sendkey).
  bad-input    missing, truncated, empty and unwritable disk images, a read-only
               disk in a VM file, a VM file with an unknown key, bad --keys text.

Exit status: 0 pass, 1 fail, 77 skipped (a program this check needs is missing)."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

BIOS = "/usr/share/seabios/bios-256k.bin"
SECTOR = 512
DISK_BYTES = 1 << 20
# kasou's deterministic real-time clock starts at MachineConfig::rtc_epoch
# (core/machine.h): 2024-01-01 00:00:00 UTC. QEMU is given the same with -rtc base=.
EPOCH_DATE = "2024-01-01"
QEMU_RTC = ["-rtc", "base=2024-01-01T00:00:00,clock=vm"]
QEMU_COMMON = ["-accel", "tcg", "-M", "pc", "-m", "128", "-bios", BIOS, "-display", "none",
               "-no-reboot", "-nic", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
# SeaBIOS's lines that must appear on the debug console under both machines.
KEY_LINE = re.compile(r"^(SeaBIOS \(version [^)]*\)|Booting from .*|Boot failed: .*|No bootable device\..*)$")


class Fail(Exception):
    pass


def check(cond, what, detail=""):
    if not cond:
        raise Fail(what + ("\n" + detail if detail else ""))
    print(f"ok: {what}")


def read(path, mode="r"):
    with open(path, mode, **({} if "b" in mode else {"encoding": "utf-8", "errors": "replace"})) as f:
        return f.read()


def run(cmd, timeout, **kw):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, **kw)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = None, e.stdout or b"", (e.stderr or b"") + b"\n[run_pc: timed out]"
    dt = time.monotonic() - t0
    print(f"$ {' '.join(cmd)}\n  -> status {rc} in {dt:.2f} s")
    return rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def kasou(args, *extra, timeout=30):
    """kasou run with the firmware, a host-time and an instruction limit as the way out."""
    return run([args.kasou, "run", "--bios", "auto", "--timeout", "20", "--max-instructions", "2000000000",
                *extra], timeout)


def qemu_with_monitor(cmd, wait_file, wait_text, commands, timeout=20, steps=None):
    """Runs QEMU with its monitor on stdin; once wait_text appears in wait_file,
    sends the monitor commands (or, with steps, each (file, text, commands) in
    turn). Returns QEMU's exit status."""
    steps = list(steps or [(wait_file, wait_text, commands)])
    print(f"$ {' '.join(cmd)}")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = 0
    try:
        while p.poll() is None and time.monotonic() - t0 < timeout:
            if done < len(steps):
                f, text, cmds = steps[done]
                if os.path.exists(f) and text in read(f):
                    time.sleep(0.3)  # the guest may still be printing the rest of the screen
                    try:
                        for c in cmds:
                            p.stdin.write((c + "\n").encode())
                            p.stdin.flush()
                            time.sleep(0.2)
                        done += 1
                    except BrokenPipeError:  # QEMU ended first: reported below
                        break
            time.sleep(0.05)
        if p.poll() is None:
            p.kill()
            p.wait()
            raise Fail(f"QEMU did not finish within {timeout} s ({done} of {len(steps)} monitor steps sent)")
    finally:
        if p.stdin:
            try:
                p.stdin.close()
            except BrokenPipeError:
                pass
    err = p.stderr.read().decode("utf-8", "replace")
    print(f"  -> status {p.returncode} in {time.monotonic() - t0:.2f} s {err.strip()}")
    for f, text, cmds in steps:
        check(steps.index((f, text, cmds)) < done, f"QEMU printed {text!r} and got {cmds}")
    return p.returncode


def text_screen(vga_bytes):
    """The 80x25 text buffer (character, attribute pairs) as kasou's --screen-dump writes it."""
    rows = [bytes(vga_bytes[(r * 80 + c) * 2] for c in range(80)).decode("cp437").rstrip() for r in range(25)]
    return "\n".join(rows).rstrip("\n")


def key_lines(text):
    return [l.strip() for l in text.splitlines() if KEY_LINE.match(l.strip())]


def find_qemu(args):
    q = args.qemu if args.qemu and os.path.exists(args.qemu) else shutil.which("qemu-system-i386")
    return q


# ---- no-boot -------------------------------------------------------------------

def check_no_boot(args, qemu):
    w = args.workdir
    log, scr = os.path.join(w, "nb-kasou.log"), os.path.join(w, "nb-kasou.screen")
    stats = os.path.join(w, "nb-kasou.stats.json")
    # SeaBIOS waits --reboot-timeout ms after "No bootable device", then resets the
    # machine; --no-reboot makes that reset the end of the run.
    rc, out, err = kasou(args, "--debugcon", f"file:{log}", "--serial", "none", "--screen-dump", scr,
                         "--reboot-timeout", "5000", "--no-reboot", "--stats=json", "--stats-file", stats)
    k_log, k_scr = read(log), read(scr)
    virtual_s = json.loads(read(stats))["virtual_time"]
    check(5.0 <= virtual_s < 6.0, "SeaBIOS waited the 5 s of --reboot-timeout (virtual time) before its reset",
          f"virtual time {virtual_s} s")
    # (status 0, as QEMU -no-reboot exits when the guest resets the machine)
    check(rc == 0 and "reset" in err, "kasou ends the run at SeaBIOS's reset after the boot-fail wait",
          f"status {rc}: {err}")
    check(re.search(r"^SeaBIOS \(version \S+\)$", k_log, re.M) is not None, "banner on kasou's debug console")
    check("No bootable device.  Retrying in 5 seconds." in k_log and "Rebooting." in k_log,
          "'No bootable device' and 'Rebooting' on kasou's debug console")
    check(re.search(r"^SeaBIOS \(version \S+\)$", k_scr, re.M) is not None, "banner on kasou's screen dump")
    check("No bootable device.  Retrying in 5 seconds." in k_scr, "'No bootable device' on kasou's screen dump",
          k_scr)
    if not qemu:
        return 77
    qlog, qvga = os.path.join(w, "nb-qemu.log"), os.path.join(w, "nb-qemu.vga")
    for f in (qlog, qvga):
        if os.path.exists(f):
            os.unlink(f)
    # QEMU: the same machine with an empty CD-ROM drive first in the boot order (as
    # kasou's); its screen is read from guest memory through the monitor once the
    # message is out (within the 5 s SeaBIOS waits), then QEMU quits.
    cmd = [qemu, *QEMU_COMMON, "-nodefaults", "-vga", "std", "-serial", "none", "-monitor", "stdio",
           "-boot", "reboot-timeout=5000", "-chardev", f"file,id=dbg,path={qlog}",
           "-device", "isa-debugcon,iobase=0x402,chardev=dbg",
           "-drive", "if=none,id=cd,media=cdrom", "-device", "ide-cd,drive=cd,bus=ide.1,unit=0,bootindex=0"]
    qemu_with_monitor(cmd, qlog, "No bootable device.  Retrying in 5 seconds.\n",
                      [f'pmemsave 0xb8000 4000 "{qvga}"', "quit"])
    q_log = read(qlog)
    q_scr = text_screen(read(qvga, "rb"))
    print("--- kasou screen ---\n" + k_scr.rstrip() + "\n--- QEMU screen ---\n" + q_scr)
    kl, ql = key_lines(k_log), key_lines(q_log)
    # The order of the attempts after the CD differs (QEMU's floppy controller is
    # registered with SeaBIOS, kasou has none), so the lines are compared as sets.
    check(sorted(set(kl)) == sorted(set(ql)), "the same SeaBIOS key lines on both debug consoles",
          f"kasou: {kl}\nqemu:  {ql}")
    check(sorted(set(key_lines(k_scr))) == sorted(set(key_lines(q_scr))),
          "the same SeaBIOS key lines on both screens", f"kasou:\n{k_scr}\nqemu:\n{q_scr}")
    check(k_scr.splitlines()[:3] == q_scr.splitlines()[:3], "the same first three screen lines (banner, CD attempt)")
    return 0


# ---- disk-boot -----------------------------------------------------------------

def make_disk(args, name):
    path = os.path.join(args.workdir, name)
    data = read(os.path.join(args.bin_dir, "disk_boot.bin"), "rb")
    with open(path, "wb") as f:
        f.write(data + bytes(DISK_BYTES - len(data)))
    return path, data


BCD_DATE = re.compile(r"^INT 1Ah RTC: (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$", re.M)
BCD_AFTER = re.compile(r"^INT 1Ah RTC after the keys: (\d\d):(\d\d):(\d\d)$", re.M)


def check_disk_image(path, original, who):
    img = read(path, "rb")
    check(len(img) == DISK_BYTES, f"{who}: the image keeps its size")
    lba5, lba6 = img[5 * SECTOR:6 * SECTOR], img[6 * SECTOR:7 * SECTOR]
    t5, t6 = b"kasou-pc: written through INT 13h AH=43h\0", b"kasou-pc: written through INT 13h AH=03h\0"
    check(lba5 == t5 + b"\xa5" * (SECTOR - len(t5)), f"{who}: LBA 5 holds what INT 13h AH=43h wrote")
    check(lba6 == t6 + b"\x3c" * (SECTOR - len(t6)), f"{who}: LBA 6 holds what INT 13h AH=03h wrote")
    rest = img[:5 * SECTOR] + img[7 * SECTOR:]
    check(rest == (original + bytes(DISK_BYTES - len(original)))[:5 * SECTOR] + bytes(DISK_BYTES - 7 * SECTOR),
          f"{who}: every other sector is unchanged")


def check_disk_boot(args, qemu):
    w = args.workdir
    disk, original = make_disk(args, "disk-kasou.img")
    ser, scr = os.path.join(w, "disk-kasou.serial"), os.path.join(w, "disk-kasou.screen")
    # The keys come at 3 s of virtual time: the boot program waits in INT 16h and
    # then reads the clock again, which must say 00:00:03.
    rc, out, err = kasou(args, "--disk", disk, "--serial", f"file:{ser}", "--debugcon", "none",
                         "--screen-dump", scr, "--keys", "K\\n", "--keys-at-ms", "3000")
    k_ser, k_scr = read(ser), read(scr)
    print("--- kasou COM1 ---\n" + k_ser)
    check(rc == (0x10 << 1 | 1), "kasou: the boot program exits through port 0xF4 with 0x10 (status 33)",
          f"status {rc}: {err}")
    expect_serial = [
        "kasou-pc: boot sector running",
        "INT 13h AH=02h (CHS): read LBA 1-2",
        "INT 13h AH=41h: extensions present",
        "INT 13h AH=42h (LBA): read LBA 3: this text is LBA 3, read through the INT 13h extensions",
        "INT 14h: this line went through the BIOS serial service",
        "INT 16h key: 254B K",      # shift+K: scan code 25h, 'K'
        "INT 16h key: 1C0D",        # Enter: scan code 1Ch, CR
        "INT 13h AH=43h (LBA): wrote LBA 5",
        "INT 13h AH=03h (CHS): wrote LBA 6",
        "kasou-pc: done",
    ]
    lines = [l.rstrip("\r") for l in k_ser.splitlines()]
    for e in expect_serial:
        check(e in lines, f"kasou COM1: {e!r}")
    m = BCD_DATE.search(k_ser)
    check(m is not None, "kasou: the RTC line is well-formed BCD (decimal digits only)")
    check(f"{m[1]}-{m[2]}-{m[3]}" == EPOCH_DATE and m[4] == "00" and m[5] == "00" and int(m[6]) < 3,
          f"kasou: the RTC is the deterministic epoch {EPOCH_DATE} 00:00:0x", m[0])
    m = BCD_AFTER.search(k_ser)
    check(m is not None and m.groups() == ("00", "00", "03"),
          "kasou: after --keys-at-ms 3000 the RTC says 00:00:03", m[0] if m else k_ser)
    # The screen: every line printed through INT 10h (the INT 14h line only went to COM1).
    for e in expect_serial:
        if e.startswith("INT 14h"):
            check(e not in k_scr, "kasou screen: the INT 14h line is on COM1 only")
        elif len(e) <= 80:
            check(e in k_scr.splitlines(), f"kasou screen: {e!r}")
    check("this text is LBA 3, read through the INT 13h e" in k_scr, "kasou screen: the LBA 3 text (wrapped)")
    check_disk_image(disk, original, "kasou")

    if not qemu:
        return 77
    qdisk, _ = make_disk(args, "disk-qemu.img")
    qser = os.path.join(w, "disk-qemu.serial")
    if os.path.exists(qser):
        os.unlink(qser)
    cmd = [qemu, *QEMU_COMMON, *QEMU_RTC, "-drive", f"file={qdisk},format=raw,if=ide",
           "-serial", f"file:{qser}", "-monitor", "stdio"]
    rc = qemu_with_monitor(cmd, qser, "press two keys", ["sendkey shift-k", "sendkey ret"])
    q_ser = read(qser)
    print("--- QEMU COM1 ---\n" + q_ser)
    check(rc == (0x10 << 1 | 1), "QEMU: the boot program exits with status 33", f"status {rc}")
    m = BCD_DATE.search(q_ser)
    check(m is not None and f"{m[1]}-{m[2]}-{m[3]}" == EPOCH_DATE, f"QEMU: the RTC date is {EPOCH_DATE}")
    # The clock lines depend on when each machine got there (QEMU's clock follows the
    # host's): the time digits are masked; everything else must be the same.
    mask = lambda s: re.sub(r"(RTC[^:]*: .*?)\d\d:\d\d:\d\d", r"\1hh:mm:ss", s)
    check(mask(k_ser) == mask(q_ser), "the same COM1 transcript under kasou and QEMU (RTC times masked)",
          f"kasou:\n{mask(k_ser)}\nqemu:\n{mask(q_ser)}")
    check_disk_image(qdisk, original, "QEMU")
    return 0


# ---- cd-boot -------------------------------------------------------------------

def make_iso(args):
    """The El Torito ISO around cd_boot.bin, or None without xorriso."""
    w = args.workdir
    xorriso = shutil.which("xorriso")
    if not xorriso:
        print("SKIP: xorriso not found (Debian package xorriso; scripts/install-deps.sh installs it)")
        return None
    tree, iso = os.path.join(w, "cd-tree"), os.path.join(w, "cd.iso")
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(tree)
    shutil.copy(os.path.join(args.bin_dir, "cd_boot.bin"), os.path.join(tree, "boot.bin"))
    with open(os.path.join(tree, "README.TXT"), "w") as f:
        f.write("kasou tests/pc\n")
    if os.path.exists(iso):
        os.unlink(iso)
    rc, out, err = run([xorriso, "-as", "mkisofs", "-quiet", "-V", "KASOU_PC_TEST", "-b", "boot.bin",
                        "-no-emul-boot", "-boot-load-size", "4", "-o", iso, tree], 60)
    check(rc == 0 and os.path.exists(iso), "xorriso builds the El Torito ISO", err)
    return iso


CD_TRANSCRIPT = ["kasou-pc: El Torito boot image running, drive E0",
                 "INT 13h AH=42h: volume descriptor CD001, label KASOU_PC_TEST",
                 "kasou-pc: CD done"]


def check_cd_boot(args, qemu):
    w = args.workdir
    iso = make_iso(args)
    if not iso:
        return 77
    ser, scr = os.path.join(w, "cd-kasou.serial"), os.path.join(w, "cd-kasou.screen")
    rc, out, err = kasou(args, "--cdrom", iso, "--boot", "d", "--serial", f"file:{ser}", "--debugcon", "none",
                         "--screen-dump", scr)
    k_ser, k_scr = read(ser), read(scr)
    print("--- kasou COM1 ---\n" + k_ser)
    check(rc == (0x12 << 1 | 1), "kasou: the CD boot image exits through port 0xF4 with 0x12 (status 37)",
          f"status {rc}: {err}")
    for e in CD_TRANSCRIPT:
        check(e in k_ser.splitlines(), f"kasou COM1: {e!r}")
        check(e in k_scr.splitlines(), f"kasou screen: {e!r}")
    check("Booting from DVD/CD..." in k_scr, "kasou screen: SeaBIOS's 'Booting from DVD/CD...'")
    if not qemu:
        return 77
    qser = os.path.join(w, "cd-qemu.serial")
    rc, out, err = run([qemu, *QEMU_COMMON, "-monitor", "none", "-cdrom", iso, "-boot", "d",
                        "-serial", f"file:{qser}"], 20)
    q_ser = read(qser)
    check(rc == (0x12 << 1 | 1), "QEMU: the CD boot image exits with status 37", f"status {rc}: {err}")
    check(k_ser == q_ser, "the same COM1 transcript under kasou and QEMU", f"kasou:\n{k_ser}\nqemu:\n{q_ser}")
    return 0


# ---- boot-menu -----------------------------------------------------------------

def check_boot_menu(args, qemu):
    """A hard disk first in the boot order and a CD: ESC in SeaBIOS's boot menu,
    then the CD's number. Without the menu (or the keys) the disk would boot, and
    its program waits for keys that never come."""
    w = args.workdir
    iso = make_iso(args)
    if not iso:
        return 77
    disk, _ = make_disk(args, "menu-kasou.img")
    log, ser, scr = (os.path.join(w, f"menu-kasou.{x}") for x in ("log", "serial", "screen"))
    rc, out, err = kasou(args, "--disk", disk, "--cdrom", iso, "--boot", "cd", "--boot-menu", "--keys", "\\e2",
                         "--debugcon", f"file:{log}", "--serial", f"file:{ser}", "--screen-dump", scr)
    k_log, k_ser, k_scr = read(log), read(ser), read(scr)
    print("--- kasou screen ---\n" + k_scr.rstrip())
    check(rc == (0x12 << 1 | 1) and k_ser.splitlines() == CD_TRANSCRIPT,
          "kasou: ESC, 2 in the boot menu boots the CD (its transcript, status 37)", f"status {rc}: {err}\n{k_ser}")
    menu = ["Press ESC for boot menu.", "Select boot device:",
            "1. ata0-0: KASOU HARDDISK ATA-6 Hard-Disk (1 MiBytes)",
            "2. DVD/CD [ata1-0: KASOU CD-ROM ATAPI-4 DVD/CD] (KASOU_PC_TEST)", "Booting from DVD/CD..."]
    for e in menu:
        check(e in k_scr.splitlines(), f"kasou screen: {e!r}")
        check(e in k_log.splitlines(), f"kasou debug console: {e!r}")
    check("Booting from Hard Disk..." not in k_log, "kasou: the disk (first in the boot order) was not booted")
    if not qemu:
        return 77
    qdisk, _ = make_disk(args, "menu-qemu.img")
    qlog, qser = os.path.join(w, "menu-qemu.log"), os.path.join(w, "menu-qemu.serial")
    for f in (qlog, qser):
        if os.path.exists(f):
            os.unlink(f)
    # QEMU's menu has two more entries (its "Legacy option rom" kvmvapic.bin and a
    # floppy drive), so its CD is number 4.
    cmd = [qemu, *QEMU_COMMON, "-drive", f"file={qdisk},format=raw,if=ide", "-cdrom", iso, "-boot", "menu=on",
           "-serial", f"file:{qser}", "-monitor", "stdio", "-chardev", f"file,id=dbg,path={qlog}",
           "-device", "isa-debugcon,iobase=0x402,chardev=dbg"]
    rc = qemu_with_monitor(cmd, None, None, None, steps=[(qlog, "Press ESC for boot menu.", ["sendkey esc"]),
                                                         (qlog, "Select boot device:", ["sendkey 4"])])
    q_log, q_ser = read(qlog), read(qser)
    check(rc == (0x12 << 1 | 1) and q_ser == k_ser, "QEMU: the same CD transcript and status after its menu",
          f"status {rc}\n{q_ser}")
    for e in menu:
        # the drive models differ: QEMU HARDDISK ATA-7, QEMU DVD-ROM
        e = e.replace("KASOU HARDDISK ATA-6", "QEMU HARDDISK ATA-7").replace("KASOU CD-ROM", "QEMU DVD-ROM")
        e = re.sub(r"^2\. ", "4. ", e)
        check(e in q_log.splitlines(), f"QEMU debug console: {e!r}")
    return 0


# ---- bad-input -----------------------------------------------------------------

def expect_error(args, what, cmd_args, pattern, status=1):
    rc, out, err = run([args.kasou, "run", "--timeout", "10", *cmd_args], 30)
    status_ok = rc == status if status is not None else rc is not None and 0 < rc < 128
    check(status_ok and re.search(pattern, err) is not None and "Traceback" not in err,
          f"{what}: exit status {status or 'non-zero'} and a message matching {pattern!r}", f"status {rc}, stderr: {err}")


def check_bad_input(args, qemu):
    w = args.workdir
    d = lambda name: os.path.join(w, name)
    missing = d("no-such-disk.img")
    if os.path.exists(missing):
        os.unlink(missing)
    expect_error(args, "missing disk image", ["--disk", missing], r"disk image '.*no-such-disk\.img' cannot be opened: No such file")
    with open(d("truncated.img"), "wb") as f:
        f.write(bytes(1000))
    expect_error(args, "truncated disk image", ["--disk", d("truncated.img")],
                 r"'.*truncated\.img' is 1000 bytes, not a whole number of 512-byte sectors")
    open(d("empty.img"), "wb").close()
    expect_error(args, "zero-length disk image", ["--disk", d("empty.img")], r"'.*empty\.img' is empty")
    expect_error(args, "missing CD image", ["--cdrom", d("no-such.iso")], r"no-such\.iso' cannot be opened")

    # A file the user may not write, attached writable: refused with a message that
    # says to attach it read-only (kasou never silently drops a guest's writes). Root
    # may write any file, so that check runs as the user 'nobody' when run as root.
    disk, original = make_disk(args, "unwritable.img")
    os.chmod(disk, 0o444)
    prefix = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv:
            prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
            os.chmod(w, 0o755)
    if os.geteuid() != 0 or prefix:
        rc, out, err = run(prefix + [args.kasou, "run", "--disk", disk, "--serial", "none", "--debugcon", "none",
                                     "--timeout", "10"], 30)
        check(rc == 1 and re.search(r"cannot be opened for writing \(Permission denied\); attach it read-only", err),
              "unwritable image attached writable: clear message, status 1", f"status {rc}: {err}")
    else:
        print("note: running as root without setpriv: the unwritable-image check is left out")

    # The same image read-only in a VM file: the guest boots, its INT 13h write fails
    # (the program prints FAIL and exits with 0x33) and the file is unchanged.
    ser = d("ro.serial")
    vm = d("ro.toml")
    with open(vm, "w") as f:
        f.write(f'name = "ro"\n[firmware]\nbios = "auto"\n[[disk]]\nfile = "{os.path.basename(disk)}"\n'
                f'read_only = true\n[serial]\ncom1 = "file:{ser}"\n')
    rc, out, err = run([args.kasou, "run", vm, "--debugcon", "none", "--keys", "ab", "--timeout", "20"], 30)
    k_ser = read(ser)
    check(rc == (0x33 << 1 | 1) and "FAIL INT 13h AH=43h" in k_ser,
          "read-only disk in a VM file: the guest boots and its INT 13h write fails", f"status {rc}: {err}\n{k_ser}")
    check("INT 16h key: 1E61 a" in k_ser and "INT 16h key: 3062 b" in k_ser, "--keys 'ab' reaches INT 16h")
    check(read(disk, "rb") == original + bytes(DISK_BYTES - len(original)), "read-only disk: the image is unchanged")
    check("read-only" in err, "read-only disk: kasou says the write was refused", err)
    os.chmod(disk, 0o644)

    with open(d("unknown.toml"), "w") as f:
        f.write('name = "x"\nmemory_mib = 64\nfrobnicate = 3\n')
    expect_error(args, "VM file with an unknown key", [d("unknown.toml")],
                 r"unknown\.toml:3: unknown key 'frobnicate'")
    with open(d("badtype.toml"), "w") as f:
        f.write('name = "x"\nmemory_mib = "lots"\n')
    expect_error(args, "VM file with a wrong type", [d("badtype.toml")], r"badtype\.toml:2: .*memory_mib")

    with open(d("good.img"), "wb") as f:
        f.write(bytes(DISK_BYTES))
    expect_error(args, "--keys with an unknown escape", ["--disk", d("good.img"), "--keys", "a\\qb"],
                 r"--keys: unknown escape \\q at position 2")
    expect_error(args, "--keys with a character no key types", ["--disk", d("good.img"), "--keys", "caf\u00e9"],
                 r"--keys: character 0xC3 at position 3 has no key")
    expect_error(args, "--keys-at-ms without --keys", ["--disk", d("good.img"), "--keys-at-ms", "5"],
                 r"--keys-at-ms requires --keys", status=None)
    return 0


CHECKS = {"no-boot": check_no_boot, "disk-boot": check_disk_boot, "cd-boot": check_cd_boot,
          "boot-menu": check_boot_menu, "bad-input": check_bad_input}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("check", choices=sorted(CHECKS))
    ap.add_argument("--kasou", required=True)
    ap.add_argument("--bin-dir", required=True, help="where CMake put disk_boot.bin and cd_boot.bin")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--qemu", default="")
    args = ap.parse_args()
    args.workdir = os.path.join(os.path.abspath(args.workdir), args.check)
    os.makedirs(args.workdir, exist_ok=True)
    if not os.path.exists(BIOS):
        print(f"SKIP: {BIOS} not found (Debian package seabios)")
        return 77
    qemu = find_qemu(args)
    try:
        status = CHECKS[args.check](args, qemu)
    except Fail as e:
        print(f"FAIL: {e}")
        return 1
    if status == 77:
        print("SKIP (after the kasou checks passed): qemu-system-i386 not found, no comparison with QEMU")
    else:
        print("PASS")
    return status


if __name__ == "__main__":
    sys.exit(main())
