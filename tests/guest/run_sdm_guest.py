#!/usr/bin/env python3
"""Runs a guest test program that checks itself against the Intel SDM where QEMU
7.2 (the usual oracle, run_guest.py) is known to differ (ORACLES.md): kasou only.
The program prints one line per check and exits through the debug-exit port with
the number of failed checks; the test passes when it exits with 0 (status 1).

  run_sdm_guest.py --elf sys_sdm.elf --kasou build/kasou --engine jit [--kasou-arg=--single-step]

Exit status: 0 pass, 1 fail."""
import argparse
import subprocess
import sys

# The JIT translates every block on first sight here (not after two interpreted
# runs, the default): these programs run most of their code once, and the test is
# of the translator. The reference interpreter ignores the option.
TRANSLATE_AT_ONCE = ["--translate-after", "0"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elf", required=True)
    ap.add_argument("--kasou", required=True)
    ap.add_argument("--engine", default="jit")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--kasou-arg", action="append", default=[], help="extra kasou argument (repeatable)")
    a = ap.parse_args()
    cmd = [a.kasou, "run", "--kernel", a.elf, "--engine", a.engine, *TRANSLATE_AT_ONCE, "--serial", "stdio", "-q",
           "--timeout", str(a.timeout)] + a.kasou_arg
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=a.timeout + 15)
    except subprocess.TimeoutExpired:
        print("FAIL: kasou did not stop")
        return 1
    out, err = p.stdout.decode("latin-1"), p.stderr.decode("latin-1")
    sys.stdout.write(out)
    if err.strip():
        print("kasou stderr:\n" + "\n".join("  " + l for l in err.strip().splitlines()[-20:]))
    ok = p.returncode == 1 and not any(l.startswith("kasou:") for l in err.splitlines())
    print("PASS" if ok else f"FAIL: exit status {p.returncode} (1 = the guest exited with 0 failures)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
