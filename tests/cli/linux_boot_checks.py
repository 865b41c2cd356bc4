#!/usr/bin/env python3
"""How a Linux guest's run ends, booted with `kasou run --kernel --initrd` (the
direct boot through SeaBIOS and kasou's option ROM): one case per run.

  poweroff   the shell's `poweroff -f` powers off through PIIX4 PM: status 0 and
             "kasou: power off" on stderr
  no-reboot  `reboot -f` with --no-reboot: the reset ends the run, status 0,
             "kasou: reset"
  reboot     `reboot -f` without it: SeaBIOS boots the kernel again (two
             "Linux version" banners), then `poweroff -f`
  panic      rdinit=/nonexistent: no init in the initramfs, no root device, so the
             kernel panics ("VFS: Unable to mount root fs"); kasou ends the run
             with status 4 naming the panic line, and the serial transcript on
             stdout keeps the kernel's whole report

  linux_boot_checks.py --kasou build/kasou --guest build/linux-guest --case poweroff
Exits 77 (ctest: skipped) when the guest files are missing (scripts/linux-guest.sh).
"""
import argparse
import os
import subprocess
import sys
import threading
import time

PROMPT = b"# "


class Run:
    """kasou with COM1 on pipes; collects stdout, lets the test type."""

    def __init__(self, argv):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.out = bytearray()
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            b = self.proc.stdout.read1(4096)
            with self.cond:
                if not b:
                    self.cond.notify_all()
                    return
                self.out += b
                self.cond.notify_all()

    def wait_for(self, needle, count=1, timeout=60):
        end = time.monotonic() + timeout
        with self.cond:
            while self.out.count(needle) < count:
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self.reader.is_alive():
                    return False
                self.cond.wait(min(left, 0.5))
        return True

    def type(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def finish(self, timeout=60):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(5)
        err = self.proc.stderr.read().decode(errors="replace")
        return self.proc.returncode, self.out.decode(errors="replace"), err


def shell_ready(run, count=1):
    # The initramfs shell's prompt after the kernel's boot messages.
    return run.wait_for(b"Linux version", count) and run.wait_for(PROMPT, count, timeout=90)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kasou", required=True)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--case", required=True, choices=["poweroff", "no-reboot", "reboot", "panic"])
    a = ap.parse_args()
    vmlinuz, initrd = os.path.join(a.guest, "vmlinuz"), os.path.join(a.guest, "initrd.img")
    if not (os.path.exists(vmlinuz) and os.path.exists(initrd)):
        print(f"skipped: {vmlinuz} / {initrd} missing (run scripts/linux-guest.sh)")
        return 77
    base = [a.kasou, "run", "--kernel", vmlinuz, "--initrd", initrd, "--timeout", "100"]
    append = "console=ttyS0"
    ok = True

    def check(what, cond, detail=""):
        nonlocal ok
        print(("ok   " if cond else "FAIL ") + what + ("" if cond else f"   [{detail}]"))
        ok = ok and cond

    t0 = time.monotonic()
    if a.case == "panic":
        r = Run(base + ["--append", append + " rdinit=/nonexistent"])
        rc, out, err = r.finish(120)
        line = next((l for l in err.splitlines() if "guest panic" in l), "")
        check("panic: status 4", rc == 4, f"rc={rc} err={err[-400:]}")
        check("panic: the message names the panic line",
              "Kernel panic - not syncing: VFS: Unable to mount root fs" in line, line or err[-400:])
        check("panic: the transcript on stdout has the kernel's whole report",
              "Kernel panic - not syncing: VFS" in out and "---[ end Kernel panic" in out, out[-400:])
    else:
        extra = ["--no-reboot"] if a.case == "no-reboot" else []
        r = Run(base + extra + ["--append", append])
        booted = shell_ready(r)
        check(f"{a.case}: the shell prompt appears", booted, r.out[-400:].decode(errors="replace"))
        if booted:
            if a.case == "poweroff":
                r.type("poweroff -f\n")
            else:
                r.type("reboot -f\n")
                if a.case == "reboot":
                    again = shell_ready(r, 2)
                    check("reboot: SeaBIOS boots the kernel again to a shell", again,
                          r.out[-400:].decode(errors="replace"))
                    r.type("poweroff -f\n")
        rc, out, err = r.finish(60)
        if a.case in ("poweroff", "reboot"):
            check(f"{a.case}: ends with status 0 and the power-off message",
                  rc == 0 and "kasou: power off" in err, f"rc={rc} err={err[-400:]}")
        else:
            check("no-reboot: the reset ends the run with status 0 and a message",
                  rc == 0 and "kasou: reset" in err, f"rc={rc} err={err[-400:]}")
        if a.case == "reboot":
            check("reboot: two boots in the transcript", out.count("Linux version") == 2, "")
    print(f"{a.case}: {time.monotonic() - t0:.1f} s")
    if not ok:
        print("--- stdout tail ---\n" + out[-2000:] + "\n--- stderr ---\n" + err[-2000:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
