#!/usr/bin/env python3
"""Runs the differential test (tests/diff): the native program's transcript is the
expected one (the host CPU is the oracle); the guest build runs under kasou (or
QEMU) and its transcript must be identical, and the guest must exit through the
debug-exit port with code 0 (status 1).

  run_diff.py --native diff_native --guest diff_guest.elf --kasou kasou --engine jit
  run_diff.py --native diff_native --guest diff_guest.elf --qemu qemu-system-i386
  run_diff.py --native diff_native --against-native diff_native_corrupt --expect-mismatch
  (--filter LIST: comma-separated name prefixes to run, "-prefix" to exclude)

Exit status: 0 pass, 1 fail, 77 skipped (no QEMU binary)."""
import argparse
import collections
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
        out, err, rc = e.stdout or b"", (e.stderr or b"") + b"\n[run_diff: timed out]", None
    return out.decode("latin-1"), err.decode("latin-1"), rc, time.monotonic() - t0


def compare(expected, got, label):
    """Returns the number of differing lines and prints a report."""
    exp, act = expected.splitlines(), got.splitlines()
    bad = []
    for i in range(max(len(exp), len(act))):
        e = exp[i] if i < len(exp) else None
        a = act[i] if i < len(act) else None
        if e != a:
            bad.append((i, e, a))
    if not bad:
        print(f"{label}: {len(exp)} transcript lines identical")
        return 0
    print(f"{label}: {len(bad)} of {len(exp)} lines differ ({len(act)} lines received)")
    for i, e, a in bad[:12]:
        print(f"  line {i + 1}:")
        print(f"    expected: {e if e is not None else '<missing>'}")
        print(f"    got:      {a if a is not None else '<missing>'}")
    forms = collections.OrderedDict()
    for i, e, a in bad:
        name = (e or a or "").split(" ", 1)[0]
        forms[name] = forms.get(name, 0) + 1
    shown = list(forms.items())[:40]
    print(f"  {len(forms)} forms differ; first ones: " + ", ".join(f"{n}({c})" for n, c in shown))
    return len(bad)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--native", required=True)
    ap.add_argument("--guest")
    ap.add_argument("--kasou")
    ap.add_argument("--engine", default="jit")
    ap.add_argument("--qemu")
    ap.add_argument("--against-native")
    ap.add_argument("--expect-mismatch", action="store_true")
    ap.add_argument("--filter")
    ap.add_argument("--timeout", type=float, default=150)
    ap.add_argument("--save", help="directory to write expected.txt / actual.txt into")
    args = ap.parse_args()

    fil = [f"filter={args.filter}"] if args.filter else []
    expected, err, rc, dt = run([args.native] + fil, 60)
    if rc != 0:
        print(f"native run failed (status {rc}):\n{err}")
        return 1
    print(f"native: {len(expected.splitlines())} lines in {dt:.2f}s")

    if args.against_native:
        args.kasou = None
        label, cmd, want_rc = "native vs " + os.path.basename(args.against_native), [args.against_native] + fil, 0
    elif args.qemu is not None:
        qemu = args.qemu if args.qemu and os.path.exists(args.qemu) else shutil.which("qemu-system-i386")
        if not qemu:
            print("SKIP: qemu-system-i386 not found")
            return 77
        label = "qemu"
        cmd = [qemu] + QEMU_ARGS + ["-kernel", args.guest] + (["-append", fil[0]] if fil else [])
        want_rc = 1
    else:
        label = f"kasou --engine {args.engine}"
        cmd = [args.kasou, "run", "--kernel", args.guest, "--engine", args.engine, *TRANSLATE_AT_ONCE, "--serial", "stdio", "-q",
               "--timeout", str(args.timeout)] + (["--append", fil[0]] if fil else [])
        want_rc = 1
    got, err, rc, dt = run(cmd, args.timeout + 15)
    print(f"{label}: {len(got.splitlines())} lines in {dt:.2f}s, exit status {rc}")
    if args.save:
        os.makedirs(args.save, exist_ok=True)
        open(os.path.join(args.save, "expected.txt"), "w").write(expected)
        open(os.path.join(args.save, "actual.txt"), "w").write(got)
    nbad = compare(expected, got, label)
    if err.strip():
        print(f"{label} stderr:\n" + "\n".join("  " + l for l in err.strip().splitlines()[-20:]))
    if args.expect_mismatch:
        if nbad == 0:
            print("FAIL: expected the comparison to find a difference")
            return 1
        print("PASS: the comparison found the planted difference")
        return 0
    if rc != want_rc:
        print(f"FAIL: exit status {rc}, expected {want_rc} (guest exit code 0)")
        return 1
    if args.kasou and any(l.startswith("kasou:") for l in err.splitlines()):
        print("FAIL: kasou did not stop through the guest's debug-exit port")
        return 1
    return 1 if nbad else 0


if __name__ == "__main__":
    sys.exit(main())
