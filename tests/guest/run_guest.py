#!/usr/bin/env python3
"""Runs one guest test program under QEMU (the oracle) and under kasou, and
requires the same COM1 transcript and the same exit status. The QEMU run must
itself end with the expected status (the programs check their own results and
exit with a non-zero code when a check fails), else the program or the oracle
is broken and the test fails before kasou is even run.

  run_guest.py --elf smc.elf --kasou build/kasou --engine jit [--qemu PATH]

Exit status: 0 pass, 1 fail, 77 skipped (qemu-system-i386 not installed)."""
import argparse
import os
import shutil
import subprocess
import sys
import time

# The JIT translates every block on first sight here (not after two interpreted
# runs, the default): these programs run most of their code once, and the test is
# of the translator. The reference interpreter ignores the option.
TRANSLATE_AT_ONCE = ["--translate-after", "0"]

QEMU_ARGS = ["-accel", "tcg", "-M", "pc", "-m", "128", "-cpu", "qemu32,+nx", "-display", "none",
             "-monitor", "none", "-serial", "stdio", "-no-reboot",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


def run(cmd, timeout):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        out, err, rc = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, err, rc = e.stdout or b"", (e.stderr or b"") + b"\n[run_guest: timed out]", None
    return out.decode("latin-1"), err.decode("latin-1"), rc, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elf", required=True)
    ap.add_argument("--kasou", required=True)
    ap.add_argument("--engine", default="jit")
    ap.add_argument("--qemu", default="")
    ap.add_argument("--expect-status", type=int, default=1, help="(exit code << 1) | 1; 1 = guest_exit(0)")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--kasou-arg", action="append", default=[],
                    help="extra kasou option (e.g. --trap-privileged, --single-step)")
    args = ap.parse_args()

    qemu = args.qemu if args.qemu and os.path.exists(args.qemu) else shutil.which("qemu-system-i386")
    if not qemu:
        print("SKIP: qemu-system-i386 not found (it is the oracle of the guest tests)")
        return 77
    name = os.path.basename(args.elf)
    exp, err, rc, dt = run([qemu] + QEMU_ARGS + ["-kernel", args.elf], args.timeout)
    print(f"qemu: {len(exp.splitlines())} lines, exit status {rc}, {dt:.2f}s")
    if rc != args.expect_status:
        print(f"FAIL: the oracle run of {name} ended with status {rc}, expected {args.expect_status}:")
        print(exp[-3000:])
        print(err[-2000:])
        return 1

    at_once = [] if any(x.startswith("--translate-after") for x in args.kasou_arg) else TRANSLATE_AT_ONCE
    cmd = [args.kasou, "run", "--kernel", args.elf, "--engine", args.engine, *at_once, "--serial", "stdio", "-q",
           "--timeout", str(args.timeout)] + args.kasou_arg
    got, err, rc2, dt = run(cmd, args.timeout + 15)
    print(f"kasou --engine {args.engine}: {len(got.splitlines())} lines, exit status {rc2}, {dt:.2f}s")
    ok = True
    if got != exp:
        ok = False
        e, a = exp.splitlines(), got.splitlines()
        n = 0
        for i in range(max(len(e), len(a))):
            x = e[i] if i < len(e) else "<missing>"
            y = a[i] if i < len(a) else "<missing>"
            if x != y:
                print(f"  line {i + 1}:\n    expected: {x}\n    got:      {y}")
                n += 1
                if n >= 10:
                    break
        print(f"transcripts differ ({len(e)} lines expected, {len(a)} received)")
    if rc2 != rc:
        ok = False
        print(f"exit status {rc2}, expected {rc}")
    # A guest exit (port 0xF4) with code 0 and an abnormal stop both give status 1;
    # with -q kasou prints nothing on stderr only for the former.
    if any(l.startswith("kasou:") for l in err.splitlines()):
        ok = False
        print("kasou did not stop through the guest's debug-exit port")
    if err.strip():
        print("kasou stderr:\n" + "\n".join("  " + l for l in err.strip().splitlines()[-20:]))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
