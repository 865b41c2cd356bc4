#!/usr/bin/env python3
"""A Linux guest that panics, booted with `kasou run --kernel --initrd` (the direct
boot through SeaBIOS and kasou's option ROM):

  panic      rdinit=/nonexistent: no init in the initramfs, no root device, so the
             kernel panics ("VFS: Unable to mount root fs"); kasou ends the run
             with status 4 naming the panic line, and the serial transcript on
             stdout keeps the kernel's whole report

How a run that powers off or resets ends is checked by tests/linux (linux.poweroff,
linux.reboot, linux.no-reboot), through the guest's shell.

  linux_boot_checks.py --kasou build/kasou --guest build/linux-guest --case panic
Exits 77 (ctest: skipped) when the guest files are missing (scripts/linux-guest.sh).
"""
import argparse
import os
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kasou", required=True)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--case", required=True, choices=["panic"])
    a = ap.parse_args()
    vmlinuz, initrd = os.path.join(a.guest, "vmlinuz"), os.path.join(a.guest, "initrd.img")
    if not (os.path.exists(vmlinuz) and os.path.exists(initrd)):
        print(f"skipped: {vmlinuz} / {initrd} missing (run scripts/linux-guest.sh)")
        return 77
    argv = [a.kasou, "run", "--kernel", vmlinuz, "--initrd", initrd, "--timeout", "100",
            "--append", "console=ttyS0 rdinit=/nonexistent"]
    ok = True

    def check(what, cond, detail=""):
        nonlocal ok
        print(("ok   " if cond else "FAIL ") + what + ("" if cond else f"   [{detail}]"))
        ok = ok and cond

    t0 = time.monotonic()
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        rc, out, err = r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        rc, out, err = None, (e.stdout or b"").decode(errors="replace"), (e.stderr or b"").decode(errors="replace")
    line = next((l for l in err.splitlines() if "guest panic" in l), "")
    check("panic: status 4", rc == 4, f"rc={rc} err={err[-400:]}")
    check("panic: the message names the panic line",
          "Kernel panic - not syncing: VFS: Unable to mount root fs" in line, line or err[-400:])
    check("panic: the transcript on stdout has the kernel's whole report",
          "Kernel panic - not syncing: VFS" in out and "---[ end Kernel panic" in out, out[-400:])
    print(f"{a.case}: {time.monotonic() - t0:.1f} s")
    if not ok:
        print("--- stdout tail ---\n" + out[-2000:] + "\n--- stderr ---\n" + err[-2000:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
