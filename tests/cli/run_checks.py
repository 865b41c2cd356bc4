#!/usr/bin/env python3
"""kasou's command line on good and bad input: each check runs `kasou run` and
looks at the exit status and the message. Prints one line per check."""
import argparse
import json
import os
import subprocess
import sys


def run(args, timeout=60):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("latin-1"), p.stderr.decode("latin-1")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kasou", required=True)
    ap.add_argument("--demo", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    demo = open(a.demo, "rb").read()
    failures = []

    def check(name, cond, detail=""):
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
        if not cond:
            failures.append(name)

    def write(name, data):
        path = os.path.join(a.workdir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    # A good run: the demo exits through the debug-exit port with (0 << 1) | 1.
    rc, out, err = run([a.kasou, "run", "--kernel", a.demo, "-q"])
    check("demo runs and exits with status 1", rc == 1 and "primes below" in out, f"rc={rc} err={err[-300:]}")

    for engine in ("jit", "interp"):
        rc, out, err = run([a.kasou, "run", "--kernel", a.demo, "--engine", engine, "--stats=json",
                            "--stats-file", os.path.join(a.workdir, "stats.json"), "-q"])
        stats = json.load(open(os.path.join(a.workdir, "stats.json")))
        check(f"--stats=json ({engine}) is JSON with instructions_retired",
              rc == 1 and stats.get("instructions_retired", 0) > 1000000, f"rc={rc}")
        if engine == "jit":
            check("jit statistics are present", stats.get("jit.blocks_translated", 0) > 10 and
                  stats.get("jit.chain_patches", 0) > 0 and stats.get("tlb_hits", 0) > 0, str(stats)[:300])

    # Cold blocks run in the interpreter first (--translate-after): the same
    # transcript and instruction count, fewer translations, and a block that
    # runs often enough is still translated and chained.
    runs = {}
    for after in ("0", "2", "1000000"):
        path = os.path.join(a.workdir, f"stats-after-{after}.json")
        rc, out, err = run([a.kasou, "run", "--kernel", a.demo, "--translate-after", after, "--stats=json",
                            "--stats-file", path, "-q"])
        runs[after] = (rc, out, json.load(open(path)))
    base_rc, base_out, base = runs["0"]
    for after in ("2", "1000000"):
        rc, out, st = runs[after]
        check(f"--translate-after {after}: same transcript and instruction count",
              rc == base_rc == 1 and out == base_out and st["instructions_retired"] == base["instructions_retired"],
              f"rc={rc}")
    check("--translate-after 0 interprets no cold block", base.get("jit.cold_block_runs", -1) == 0, str(base)[:200])
    st2 = runs["2"][2]
    check("--translate-after 2: fewer blocks translated, cold runs interpreted, hot loops still chained",
          0 < st2["jit.blocks_translated"] < base["jit.blocks_translated"] and st2["jit.cold_block_runs"] > 0 and
          st2["jit.chain_patches"] > 0, f"{st2['jit.blocks_translated']} vs {base['jit.blocks_translated']}")
    never = runs["1000000"][2]
    check("--translate-after 1000000: nothing translated, every instruction interpreted",
          never["jit.blocks_translated"] == 0 and never["jit.cold_insns_interpreted"] == never["instructions_retired"],
          f"{never['jit.blocks_translated']} {never['jit.cold_insns_interpreted']} {never['instructions_retired']}")

    rc, out, err = run([a.kasou, "run", "--kernel", a.demo, "--stats"])
    check("--stats prints text on stderr", "instructions_retired" in err and "mips" in err, err[-300:])

    # Limits stop the guest with their own message and status.
    rc, out, err = run([a.kasou, "run", "--kernel", a.demo, "--max-instructions", "100000"])
    check("--max-instructions stops the guest", rc == 2 and "instruction limit" in err, f"rc={rc} {err[-200:]}")
    rc, out, err = run([a.kasou, "run", "--kernel", a.demo, "--max-instructions", "100000", "--engine", "interp"])
    check("--max-instructions stops the interpreter too", rc == 2, f"rc={rc}")

    # A guest that spins forever: jmp $ (multiboot a.out kludge image built here).
    import struct
    hdr = struct.pack("<III", 0x1BADB002, 0x10000, (-(0x1BADB002 + 0x10000)) & 0xFFFFFFFF)
    load = 0x100000
    img = hdr + struct.pack("<IIIII", load, load, 0, 0, load + 32) + b"\x90" * 0 + b"\xeb\xfe"
    spin = write("spin.bin", img)
    rc, out, err = run([a.kasou, "run", "--kernel", spin, "--timeout", "1"], timeout=30)
    check("--timeout stops a spinning guest", rc == 3 and "timeout" in err, f"rc={rc} {err[-200:]}")

    # HLT with interrupts off ends the run with a message instead of hanging.
    img = hdr + struct.pack("<IIIII", load, load, 0, 0, load + 32) + b"\xfa\xf4"
    rc, out, err = run([a.kasou, "run", "--kernel", write("hlt.bin", img)], timeout=30)
    check("HLT with IF=0 stops with a message", rc != 0 and "HLT" in err, f"rc={rc} {err[-200:]}")

    # An undefined opcode without an IDT: a clear report, non-zero status.
    img = hdr + struct.pack("<IIIII", load, load, 0, 0, load + 32) + b"\x0f\x0b"
    rc, out, err = run([a.kasou, "run", "--kernel", write("ud2.bin", img)], timeout=30)
    check("#UD without an IDT is reported", rc != 0 and "#UD" in err and "00100020" in err, f"rc={rc} {err[-200:]}")

    # Bad kernel files: a clear error naming the file, status 1, no crash.
    bad = {
        "missing file": (os.path.join(a.workdir, "does-not-exist.elf"), "cannot open"),
        "empty file": (write("empty.elf", b""), "no multiboot header"),
        "truncated ELF": (write("trunc.elf", demo[:0x1100]), "past the end of the file"),
        "not multiboot": (write("zeros.elf", bytes(10000)), "no multiboot header"),
    }
    wrong_machine = bytearray(demo)
    wrong_machine[18:20] = struct.pack("<H", 62)  # EM_X86_64
    bad["wrong machine"] = (write("x86_64.elf", bytes(wrong_machine)), "is not i386")
    for name, (path, needle) in bad.items():
        rc, out, err = run([a.kasou, "run", "--kernel", path])
        check(f"{name}: clear error", rc == 1 and needle in err and os.path.basename(path) in err and
              "Segmentation" not in err, f"rc={rc} err={err[-300:]}")

    rc, out, err = run([a.kasou, "run", "--kernel", a.demo, "--memory", "1"])
    check("too little memory: clear error", rc == 1 and "error" in err, f"rc={rc} {err[-200:]}")
    rc, out, err = run([a.kasou, "run", "--kernel", a.demo, "--serial", "bogus"])
    check("bad --serial value: clear error", rc != 0 and "--serial" in err, f"rc={rc} {err[-200:]}")

    # SeaBIOS's log (port 0x402) stays off stdout unless --debugcon asks for it
    # (QEMU attaches no debug console by default either); multiboot programs keep
    # theirs on stdout (the demo above).
    blank = write("blank.img", bytes(512 * 64))  # no boot signature
    fw = [a.kasou, "run", "--disk", blank, "--serial", "none", "--max-instructions", "20000000", "-q"]
    rc, out, err = run(fw)
    check("firmware boot: no SeaBIOS log on stdout by default", "SeaBIOS" not in out, out[:200])
    rc, out, err = run(fw + ["--debugcon", "stdio"])
    check("firmware boot: --debugcon stdio shows SeaBIOS's log", "SeaBIOS (version" in out, f"rc={rc} {out[:200]}")

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
