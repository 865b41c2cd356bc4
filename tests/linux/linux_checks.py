#!/usr/bin/env python3
"""Boots Debian's i386 kernel with the busybox initramfs (scripts/linux-guest.sh)
under kasou (or QEMU), types commands on the serial shell and checks what comes
back. One check per invocation (ctest runs each as its own test):

  serial      kasou: uname -a, /proc/cpuinfo against kasou's CPUID, /proc/interrupts,
              a busybox workload against the same commands on the host, repeated
              vfork + exec (busybox time), dmesg clean
  qemu        QEMU TCG: the same workload, same host-computed answers
  poweroff    kasou: `poweroff -f` ends the run with status 0 and a power-off message
  reboot      kasou: `reboot -f` boots the kernel again to a working shell
  no-reboot   kasou --no-reboot: `reboot -f` ends the run with status 0
  vga         kasou with console=tty0: commands typed on the PS/2 keyboard (--keys), the
              VGA text screen (--screen-dump) shows the kernel's messages, the shell
              prompt, the typed command and its output
  disk        kasou --disk IMG (SeaBIOS -> syslinux -> the same kernel): uname -a
  disk-qemu   QEMU -hda IMG: the same

Truth comes from outside: the kernel release from the Debian package, CPUID from
a bare-metal program run on the same CPU model, the workload's answers from the
host's coreutils, QEMU for the same workload and disk image.
Exit status 0 = pass, 1 = a check failed (the transcript is printed), 2 = bad set-up
(e.g. the guest files are missing).
"""

import argparse
import base64
import glob
import gzip
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guest_session import GuestError, GuestSession, clean  # noqa: E402

BOOT_TIMEOUT_S = 60      # power-on to the shell prompt (kasou ~6 s, QEMU ~7 s here)
COMMAND_TIMEOUT_S = 30
EXIT_TIMEOUT_S = 20
VGA_KEYS_AT_MS = 30000   # virtual time of the first --keys key: the shell is up at ~5 s

QEMU_BASE = ["-accel", "tcg", "-m", "128", "-nographic", "-no-reboot", "-monitor", "none"]

# The busybox workload: each command runs in the guest (in /tmp) and on the host
# (bash, LC_ALL=C, in a temporary directory); the outputs must be identical.
WORKLOAD = [
    "dd if=/dev/zero bs=1M count=4 2>/dev/null | tr '\\000' 'k' | sha256sum",
    "seq 1 20000 | sed 's/^\\(.\\)\\(.*\\)$/\\2\\1/' > {d}/r; sort -n {d}/r | sha256sum; "
    "sort {d}/r | md5sum; sort -rn {d}/r | head -3; sort -u {d}/r | wc -l",
    "cat {d}/r {d}/r {d}/r {d}/r > {d}/n; gzip -c {d}/n > {d}/n.gz; gunzip -c {d}/n.gz | sha256sum; "
    "wc -c < {d}/n",
    "seq 1 1000 | awk '{s += $1 * $1; q += $1 / 7} END {print s, q, s / 3}'",
    "seq 1 5000 | sed 's/1/one/g' | grep -c one; seq 1 5000 | cut -c2- | sort -u | wc -l",
]

# Lines in the kernel log that mean something went wrong (issue 5).
BAD_LOG_RE = re.compile(r"\bOops\b|\bBUG:|\bWARNING:|clocksource.*unstable|[Ss]purious|Call Trace|cut here|"
                        r"[Kk]ernel panic|segfault at")

# Linux's names for the CPUID bits (arch/x86/include/asm/cpufeatures.h): leaf 1 EDX,
# leaf 1 ECX, leaf 0x80000001 EDX.
LEAF1_EDX = {0: "fpu", 1: "vme", 2: "de", 3: "pse", 4: "tsc", 5: "msr", 6: "pae", 7: "mce", 8: "cx8",
             9: "apic", 11: "sep", 12: "mtrr", 13: "pge", 14: "mca", 15: "cmov", 16: "pat", 17: "pse36",
             18: "pn", 19: "clflush", 21: "dts", 22: "acpi", 23: "mmx", 24: "fxsr", 25: "sse", 26: "sse2",
             27: "ss", 28: "ht", 29: "tm", 30: "ia64", 31: "pbe"}
LEAF1_ECX = {0: "pni", 1: "pclmulqdq", 2: "dtes64", 3: "monitor", 4: "ds_cpl", 5: "vmx", 6: "smx", 7: "est",
             8: "tm2", 9: "ssse3", 10: "cid", 11: "sdbg", 12: "fma", 13: "cx16", 14: "xtpr", 15: "pdcm",
             17: "pcid", 18: "dca", 19: "sse4_1", 20: "sse4_2", 21: "x2apic", 22: "movbe", 23: "popcnt",
             24: "tsc_deadline_timer", 25: "aes", 26: "xsave", 28: "avx", 29: "f16c", 30: "rdrand",
             31: "hypervisor"}
EXT_EDX = {11: "syscall", 19: "mp", 20: "nx", 22: "mmxext", 25: "fxsr_opt", 26: "pdpe1gb", 27: "rdtscp",
           29: "lm", 30: "3dnowext", 31: "3dnow"}
# What Debian's 686-pae kernel needs, and what kasou implements (issue 5).
REQUIRED_FLAGS = ["fpu", "pae", "nx", "sep", "tsc", "cx8", "cmov", "mmx", "fxsr", "pse", "pge", "msr"]


class CheckFailed(Exception):
    pass


class SetupError(Exception):
    pass


# -- the guest files -----------------------------------------------------------
class Guest:
    """The files scripts/linux-guest.sh produced, and what the packages say."""

    def __init__(self, directory):
        self.dir = directory
        self.vmlinuz = os.path.join(directory, "vmlinuz")
        self.initrd = os.path.join(directory, "initrd.img")
        missing = [p for p in (self.vmlinuz, self.initrd) if not os.path.isfile(p)]
        if missing:
            raise SetupError(f"the Linux guest files are missing: {', '.join(missing)}\n"
                             f"  make them with: bash scripts/linux-guest.sh {directory}\n"
                             f"  (scripts/test.sh does this before running the tests)")
        kernels = glob.glob(os.path.join(directory, "kernel", "boot", "vmlinuz-*"))
        debs = glob.glob(os.path.join(directory, "debs", "linux-image-*_i386.deb"))
        if not kernels or not debs:
            raise SetupError(f"{directory}: no unpacked kernel package (kernel/boot/vmlinuz-*, "
                             f"debs/linux-image-*.deb); rerun scripts/linux-guest.sh {directory}")
        self.release = os.path.basename(kernels[0])[len("vmlinuz-"):]
        self.version = subprocess.run(["dpkg-deb", "-f", debs[0], "Version"], check=True,
                                      capture_output=True, text=True).stdout.strip()


# -- command lines ---------------------------------------------------------------
def kasou_argv(args, guest, append="console=ttyS0", extra=()):
    debugcon = os.path.join(args.workdir, f"{args.check}.debugcon.txt")
    return [args.kasou, "run", "--kernel", guest.vmlinuz, "--initrd", guest.initrd, "--append", append,
            "--serial", "stdio", "--debugcon", f"file:{debugcon}", *extra]


def qemu_argv(args, guest):
    return [args.qemu, *QEMU_BASE, "-kernel", guest.vmlinuz, "-initrd", guest.initrd, "-append", "console=ttyS0"]


def boot(args, name, argv):
    s = GuestSession(name, argv, args.workdir)
    s.wait_for(r"Linux version", BOOT_TIMEOUT_S, "the kernel's banner")
    s.wait_prompt(BOOT_TIMEOUT_S)
    s.quiet_kernel_console()
    return s


# -- checks on a running shell ---------------------------------------------------
def check_uname(s, guest):
    out = s.check("uname -a").strip()
    want = [guest.release, f"Debian {guest.version}", "i686"]
    missing = [w for w in want if w not in out]
    if missing:
        raise CheckFailed(f"uname -a: {out!r} lacks {missing} (package {guest.release} {guest.version})")
    print(f"ok: uname -a: {out}")


def read_cpuid(args):
    """Runs the bare-metal CPUID program under kasou: what the CPU reports."""
    r = subprocess.run([args.kasou, "run", "--kernel", args.cpuid_elf, "-q"], capture_output=True,
                       text=True, timeout=30)
    text = r.stdout
    m0 = re.search(r"^cpuid vendor=(\S+)", text, re.M)
    m1 = re.search(r"^cpuid 1 eax=([0-9a-f]+) ecx=([0-9a-f]+) edx=([0-9a-f]+)", text, re.M)
    m2 = re.search(r"^cpuid 80000001 edx=([0-9a-f]+)", text, re.M)
    mb = re.search(r"^cpuid brand=(.*?)\s*$", text, re.M)
    if not (m0 and m1 and m2):
        raise SetupError(f"{args.cpuid_elf} under kasou printed no CPUID report (status {r.returncode}):\n"
                         f"{text}{r.stderr}")
    ecx, edx, ext = int(m1.group(2), 16), int(m1.group(3), 16), int(m2.group(1), 16)
    flags = {name for bit, name in LEAF1_EDX.items() if edx >> bit & 1}
    flags |= {name for bit, name in LEAF1_ECX.items() if ecx >> bit & 1}
    flags |= {name for bit, name in EXT_EDX.items() if ext >> bit & 1}
    return m0.group(1), (mb.group(1) if mb else None), flags


def check_cpuinfo(s, args):
    out = s.check("cat /proc/cpuinfo")
    fields = {}
    for line in out.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            fields.setdefault(k.strip(), v.strip())
    flags = set(fields.get("flags", "").split())
    problems = []
    for f in REQUIRED_FLAGS:
        if f not in flags:
            problems.append(f"flag {f} missing")
    vendor, brand, cpuid_flags = read_cpuid(args)
    if fields.get("vendor_id") != vendor:
        problems.append(f"vendor_id {fields.get('vendor_id')!r}, CPUID says {vendor!r}")
    if brand and fields.get("model name") != brand:
        problems.append(f"model name {fields.get('model name')!r}, CPUID brand {brand!r}")
    mapped = set(LEAF1_EDX.values()) | set(LEAF1_ECX.values()) | set(EXT_EDX.values())
    invented = sorted((flags & mapped) - cpuid_flags)
    hidden = cpuid_flags - flags
    # Linux's intel.c clears PAT on family 6 before model 15 (an erratum of
    # Pentium III / Core Duo); kasou reports family 6 model 6.
    if fields.get("cpu family") == "6" and int(fields.get("model", "99")) < 15:
        hidden.discard("pat")
    hidden = sorted(hidden)
    if invented:
        problems.append(f"flags the CPU does not report in CPUID: {invented}")
    if hidden:
        problems.append(f"CPUID features the kernel does not show (not usable?): {hidden}")
    if fields.get("fpu") != "yes" or fields.get("fpu_exception") != "yes" or fields.get("wp") != "yes":
        problems.append(f"fpu/fpu_exception/wp: {fields.get('fpu')}/{fields.get('fpu_exception')}/{fields.get('wp')}")
    if problems:
        raise CheckFailed("/proc/cpuinfo:\n  " + "\n  ".join(problems) + f"\n--- /proc/cpuinfo ---\n{out}")
    print(f"ok: /proc/cpuinfo: {vendor}, {fields.get('model name')}, flags: {' '.join(sorted(flags))}")


def check_interrupts(s):
    out = s.check("cat /proc/interrupts")
    counts = {}
    problems = []
    for line in out.splitlines():
        m = re.match(r"\s*(\w+):\s+(\d+)\s*(.*)$", line)
        if m:
            counts[m.group(1)] = (int(m.group(2)), m.group(3))
    timer = [c for irq, (c, desc) in counts.items() if irq == "0" and "timer" in desc]
    serial = [c for irq, (c, desc) in counts.items() if "ttyS0" in desc]
    if not timer or timer[0] == 0:
        problems.append("IRQ 0 (timer) missing or never counted")
    if not serial or serial[0] == 0:
        problems.append("the ttyS0 interrupt missing or never counted")
    for key in ("ERR", "MIS"):
        if key in counts and counts[key][0] != 0:
            problems.append(f"{key}: {counts[key][0]} (spurious or missed interrupts)")
    if problems:
        raise CheckFailed("/proc/interrupts:\n  " + "\n  ".join(problems) + f"\n--- /proc/interrupts ---\n{out}")
    print(f"ok: /proc/interrupts: timer {timer[0]}, ttyS0 {serial[0]}, "
          f"ERR {counts.get('ERR', (0,))[0]}, MIS {counts.get('MIS', (0,))[0]}")


def check_dmesg(s):
    out = s.check("dmesg", 60)
    if "Linux version" not in out:
        raise CheckFailed(f"dmesg does not start with the kernel's banner:\n{out[:2000]}")
    bad = [line for line in out.splitlines() if BAD_LOG_RE.search(line)]
    if bad:
        raise CheckFailed("the kernel log has lines that mean trouble:\n  " + "\n  ".join(bad))
    print(f"ok: dmesg: {len(out.splitlines())} lines, none with oops/BUG/WARNING/unstable/spurious/panic")


def host_workload():
    """The workload's answers from the host's own tools."""
    answers = []
    with tempfile.TemporaryDirectory() as d:
        for cmd in WORKLOAD:
            r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd.replace("{d}", d)], capture_output=True,
                               text=True, cwd=d, env=dict(os.environ, LC_ALL="C"))
            if r.returncode != 0:
                raise SetupError(f"host: {cmd!r} failed ({r.returncode}): {r.stderr}")
            answers.append(r.stdout)
    return answers


def gzip_payload():
    """Data the host compresses and the guest must decompress (and the reverse)."""
    return "".join(f"kasou {i} {i * i}\n" for i in range(1, 401)).encode()


def check_workload(s):
    expected = host_workload()
    failures = []
    for cmd, want in zip(WORKLOAD, expected):
        t0 = time.monotonic()
        got = s.check(cmd.replace("{d}", "/tmp"), 120)
        took = time.monotonic() - t0
        if got != want:
            failures.append(f"{cmd}\n  guest: {got!r}\n  host:  {want!r}")
        else:
            print(f"ok: {cmd}  ({took:.2f} s)")
    # Host gzip -> guest gunzip, typed in as base64 in short lines.
    data = gzip_payload()
    blob = base64.b64encode(gzip.compress(data, 9, mtime=0)).decode()
    s.check("rm -f /tmp/h.b64")
    for i in range(0, len(blob), 400):
        s.check(f"echo '{blob[i:i + 400]}' >> /tmp/h.b64")
    got = s.check("base64 -d /tmp/h.b64 | gunzip | sha256sum").split()[0:1]
    want = [hashlib.sha256(data).hexdigest()]
    if got != want:
        failures.append(f"host gzip -> guest gunzip: sha256 {got} != {want}")
    else:
        print(f"ok: host gzip -9 ({len(blob)} base64 chars) -> guest base64 -d | gunzip: same sha256")
    # Guest gzip -> host gunzip.
    s.check("base64 -d /tmp/h.b64 | gunzip > /tmp/h.txt")
    out = s.check("gzip -9 -c /tmp/h.txt | base64")
    try:
        back = gzip.decompress(base64.b64decode("".join(out.split())))
    except (ValueError, OSError, EOFError) as e:
        back = f"undecodable: {e}".encode()
    if back != data:
        failures.append(f"guest gzip -> host gunzip: {len(back)} bytes, not the {len(data)} sent")
    else:
        print("ok: guest gzip -9 | base64 -> host gunzip: the same data")
    if failures:
        raise CheckFailed("the workload's results differ from the host's:\n" + "\n".join(failures))
    out = s.check("time sh -c 'dd if=/dev/zero bs=1M count=4 2>/dev/null | sha256sum'", 120)
    print("info: in-guest time of sha256sum over 4 MB: " + " ".join(out.split()))


def check_processes(s):
    """busybox `time` vforks and execs; run several in a row (each one's parent
    resumes after its child exec'd into a new address space)."""
    out, status = s.run("for i in 1 2 3 4; do time true; time sh -c true; done 2>&1", 60)
    runs = len(re.findall(r"^real\s", out, re.M))
    if status != 0 or runs != 8:
        raise CheckFailed(f"8 x `time CMD` (vfork + exec): status {status}, {runs} reports:\n{out}")
    print("ok: 8 x `time CMD` (vfork + exec) in a row")


# -- the checks ----------------------------------------------------------------------
def run_serial(args, guest):
    s = boot(args, "serial", kasou_argv(args, guest))
    try:
        print(f"info: shell prompt after {s.elapsed_s():.1f} s")
        check_uname(s, guest)
        check_cpuinfo(s, args)
        check_workload(s)
        check_processes(s)
        check_interrupts(s)
        check_dmesg(s)
    finally:
        s.close()
    return s


def run_trap_privileged(args, guest):
    """The same guest with every privileged instruction emulated out of line
    (classic trap-and-emulate): the same answers as the translated run (the
    workload is left to linux.serial: out-of-line emulation is several times slower)."""
    s = boot(args, "trap-privileged", kasou_argv(args, guest, extra=["--trap-privileged"]))
    try:
        check_uname(s, guest)
        check_processes(s)
        check_dmesg(s)
    finally:
        s.close()
    return s


def run_qemu(args, guest):
    s = boot(args, "qemu", qemu_argv(args, guest))
    try:
        print(f"info: QEMU shell prompt after {s.elapsed_s():.1f} s")
        check_uname(s, guest)
        check_workload(s)
        check_processes(s)
    finally:
        s.close()
    return s


def run_poweroff(args, guest):
    s = boot(args, "poweroff", kasou_argv(args, guest))
    try:
        check_uname(s, guest)
        s.type("poweroff -f\n")
        status = s.wait_exit(EXIT_TIMEOUT_S)
        text = s.text()
        if "reboot: Power down" not in text:
            raise CheckFailed("no 'reboot: Power down' from the kernel after poweroff -f")
        after = text[text.index("reboot: Power down"):]
        if not re.search(r"power(ed)?[ -]?off", after, re.IGNORECASE):
            raise CheckFailed("kasou printed no power-off message")
        if status != 0:
            raise CheckFailed(f"kasou exited with status {status} after poweroff -f (expected 0)")
        print(f"ok: poweroff -f: exit status 0 after {s.elapsed_s():.1f} s")
    finally:
        s.close()
    return s


def run_reboot(args, guest):
    s = boot(args, "reboot", kasou_argv(args, guest))
    try:
        s.check("echo first-boot > /tmp/marker")
        s.type("reboot -f\n")
        s.wait_for(r"reboot: Restarting system", EXIT_TIMEOUT_S, "the kernel's restart message")
        s.wait_for(r"Linux version", BOOT_TIMEOUT_S, "the kernel's banner of the second boot")
        s.wait_prompt(BOOT_TIMEOUT_S)
        banners = s.text().count("Linux version")
        if banners != 2:
            raise CheckFailed(f"{banners} kernel banners in the transcript (expected 2)")
        # A fresh boot: the initramfs is new, the marker file is gone.
        out, status = s.run("cat /tmp/marker")
        if status == 0:
            raise CheckFailed(f"/tmp/marker survived the reboot ({out!r}): not a new boot")
        check_uname(s, guest)
        print(f"ok: reboot -f: the kernel booted again to a shell, {s.elapsed_s():.1f} s in all")
        s.type("poweroff -f\n")
        status = s.wait_exit(EXIT_TIMEOUT_S)
        if status != 0:
            raise CheckFailed(f"kasou exited with status {status} after poweroff -f on the second boot")
    finally:
        s.close()
    return s


def run_no_reboot(args, guest):
    s = boot(args, "no-reboot", kasou_argv(args, guest, extra=["--no-reboot"]))
    try:
        s.type("reboot -f\n")
        status = s.wait_exit(EXIT_TIMEOUT_S)
        text = s.text()
        if "reboot: Restarting system" not in text:
            raise CheckFailed("no 'reboot: Restarting system' from the kernel after reboot -f")
        if text.count("Linux version") != 1:
            raise CheckFailed("the kernel booted again despite --no-reboot")
        if "kasou: reset" not in text[text.index("reboot: Restarting system"):]:
            raise CheckFailed("kasou printed no 'kasou: reset' message when the run ended")
        if status != 0:
            raise CheckFailed(f"kasou --no-reboot exited with status {status} on the guest's reset (expected 0)")
        print(f"ok: --no-reboot: reboot -f ended the run with status 0 after {s.elapsed_s():.1f} s")
    finally:
        s.close()
    return s


def read_screen(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def run_vga(args, guest):
    """The shell on the VGA console: console=tty0 last makes tty0 /dev/console, so
    init's shell runs there; commands are typed on the PS/2 keyboard (--keys, at a
    virtual time well after the shell is up) and read back from the screen dump.
    The serial line still gets the kernel's messages (console=ttyS0)."""
    screen = os.path.join(args.workdir, "vga.screen.txt")
    if os.path.exists(screen):
        os.remove(screen)
    keys = "uname -r\\necho vga-check-$((6 * 7))\\n"
    s = GuestSession("vga", kasou_argv(args, guest, append="console=ttyS0 console=tty0",
                                       extra=["--screen-dump", screen, "--screen-dump-every", "100",
                                              "--keys", keys, "--keys-at-ms", str(VGA_KEYS_AT_MS)]),
                     args.workdir)
    try:
        s.wait_for(r"Run /init as init process", BOOT_TIMEOUT_S, "the kernel starting init (on ttyS0)")
        deadline = time.monotonic() + 30
        want = {
            "a kernel message": re.compile(r"^\[\s*\d+\.\d+\] \S", re.M),
            "the shell prompt": re.compile(r"kasou:/# "),
            "uname -r typed on the keyboard": re.compile(r"kasou:/# uname -r$", re.M),
            f"its output ({guest.release})": re.compile(rf"^{re.escape(guest.release)}$", re.M),
            "a computed output (vga-check-42)": re.compile(r"^vga-check-42$", re.M),
        }
        while True:
            text = read_screen(screen)
            missing = [k for k, r in want.items() if not r.search(text)]
            if not missing:
                break
            if time.monotonic() > deadline or s.proc.poll() is not None:
                raise CheckFailed(f"the VGA screen ({screen}) lacks {missing}:\n{text}")
            time.sleep(0.3)
        print("ok: the VGA text screen shows kernel messages, the shell prompt, keyboard input and command output")
        print("--- screen ---\n" + text.rstrip() + "\n--------------")
    finally:
        s.close()
    return s


def run_disk(args, guest, qemu):
    if not args.disk or not os.path.isfile(args.disk):
        raise SetupError(f"no disk image {args.disk!r} (scripts/make-linux-disk.sh makes it)")
    if qemu:
        argv = [args.qemu, *QEMU_BASE, "-drive", f"file={args.disk},format=raw,if=ide,snapshot=on"]
    else:
        debugcon = os.path.join(args.workdir, f"{args.check}.debugcon.txt")
        argv = [args.kasou, "run", "--disk", args.disk, "--serial", "stdio", "--debugcon", f"file:{debugcon}"]
    s = boot(args, args.check, argv)
    try:
        print(f"info: shell prompt after {s.elapsed_s():.1f} s (firmware, syslinux, kernel, initramfs)")
        check_uname(s, guest)
        cmdline = s.check("cat /proc/cmdline")
        if "console=ttyS0" not in cmdline or "BOOT_IMAGE=" not in cmdline:
            raise CheckFailed(f"/proc/cmdline {cmdline!r}: not the command line of syslinux.cfg")
        print(f"ok: booted by syslinux: /proc/cmdline {cmdline.strip()}")
    finally:
        s.close()
    return s


CHECKS = {
    "serial": run_serial,
    "qemu": run_qemu,
    "poweroff": run_poweroff,
    "reboot": run_reboot,
    "no-reboot": run_no_reboot,
    "trap-privileged": run_trap_privileged,
    "vga": run_vga,
    "disk": lambda a, g: run_disk(a, g, False),
    "disk-qemu": lambda a, g: run_disk(a, g, True),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("check", choices=sorted(CHECKS))
    ap.add_argument("--kasou", required=True)
    ap.add_argument("--guest", required=True, help="output directory of scripts/linux-guest.sh")
    ap.add_argument("--workdir", required=True, help="where transcripts go")
    ap.add_argument("--qemu", default="qemu-system-i386")
    ap.add_argument("--cpuid-elf", help="tests/linux/cpuid_dump.elf (for the serial check)")
    ap.add_argument("--disk", help="the image of scripts/make-linux-disk.sh (for disk, disk-qemu)")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    try:
        guest = Guest(args.guest)
        CHECKS[args.check](args, guest)
        return 0
    except SetupError as e:
        print(f"linux {args.check}: FAILED (set-up): {e}", file=sys.stderr)
        return 2
    except (CheckFailed, GuestError) as e:
        print(f"linux {args.check}: FAILED: {e}", file=sys.stderr)
        path = os.path.join(args.workdir, f"{args.check}.transcript.txt")
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                print(f"--- transcript ({path}) ---\n{clean(f.read())}\n--- end of transcript ---",
                      file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
