#!/usr/bin/env python3
"""Bad input that must stop the machine: sys_triple.elf with a case on the
command line (cr3, idt, gdt) ends in a triple fault. Under QEMU (-no-reboot) the
run must end without the guest continuing; kasou must stop with
"kasou: triple fault: ..." and a non-zero status. The case "loop" (a #GP handler
that returns to the faulting instruction forever) must be stopped by
--max-instructions and by --timeout, with their messages and statuses.

  run_triple.py --elf sys_triple.elf --kasou build/kasou --engine jit [--qemu PATH]

Exit status: 0 pass, 1 fail. Without QEMU only kasou is checked (the expected
outcome comes from the SDM: a fault while delivering #DF is a triple fault)."""
import argparse
import os
import shutil
import subprocess
import sys

# The JIT translates every block on first sight here (not after two interpreted
# runs, the default): these programs run most of their code once, and the test is
# of the translator. The reference interpreter ignores the option.
TRANSLATE_AT_ONCE = ["--translate-after", "0"]

QEMU_ARGS = ["-accel", "tcg", "-M", "pc", "-m", "128", "-cpu", "qemu32,+nx", "-display", "none",
             "-monitor", "none", "-serial", "stdio", "-no-reboot",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


def run(cmd, timeout=60):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stdout.decode("latin-1"), p.stderr.decode("latin-1")
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("latin-1"), (e.stderr or b"").decode("latin-1") + "[timed out]"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elf", required=True)
    ap.add_argument("--kasou", required=True)
    ap.add_argument("--engine", default="jit")
    ap.add_argument("--qemu", default="")
    a = ap.parse_args()
    qemu = a.qemu if a.qemu and os.path.exists(a.qemu) else shutil.which("qemu-system-i386")
    failures = []

    def check(name, ok, detail):
        print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
        if not ok:
            failures.append(name)

    for case in ("cr3", "idt", "gdt"):
        if qemu:
            rc, out, err = run([qemu] + QEMU_ARGS + ["-kernel", a.elf, "-append", case], timeout=30)
            check(f"qemu {case}: stops after 'triggering {case}'",
                  rc == 0 and f"triggering {case}" in out and "continued" not in out,
                  f"rc={rc} out={out[-300:]!r} err={err[-300:]!r}")
        rc, out, err = run([a.kasou, "run", "--kernel", a.elf, "--engine", a.engine, *TRANSLATE_AT_ONCE, "--append", case,
                            "--timeout", "20"])
        check(f"kasou {case}: triple fault",
              rc not in (None, 0) and "kasou: triple fault:" in err and f"triggering {case}" in out
              and "continued" not in out, f"rc={rc} out={out[-300:]!r} err={err[-300:]!r}")

    rc, out, err = run([a.kasou, "run", "--kernel", a.elf, "--engine", a.engine, *TRANSLATE_AT_ONCE, "--append", "loop",
                        "--max-instructions", "300000"])
    check("kasou loop: --max-instructions stops a guest looping in a fault handler",
          rc == 2 and "instruction limit" in err and "triggering loop" in out, f"rc={rc} err={err[-300:]!r}")
    rc, out, err = run([a.kasou, "run", "--kernel", a.elf, "--engine", a.engine, *TRANSLATE_AT_ONCE, "--append", "loop",
                        "--timeout", "1"], timeout=30)
    check("kasou loop: --timeout stops a guest looping in a fault handler",
          rc == 3 and "timeout" in err and "triggering loop" in out, f"rc={rc} err={err[-300:]!r}")

    print("PASS" if not failures else f"FAIL ({len(failures)})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
