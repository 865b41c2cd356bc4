#!/usr/bin/env python3
"""Runs a guest program that draws on the VGA under QEMU (the oracle) and under
kasou, like run_guest.py (same COM1 transcript, same exit status), and also checks
what kasou's display shows at exit: the --screen-dump text must equal the expected
screen file (if one is given), and the --screenshot PNG must have the expected
size and equal QEMU's screendump of the same program pixel for pixel (QEMU runs it
a second time without the debug-exit device, so that it stays up after the
program's last line, and is asked over QMP). Text pictures need the VGA BIOS's
font (Debian package seabios); without it only their size is checked.

  run_screen.py --elf vga_text.elf --screen vga_text.screen --kasou build/kasou --engine jit
  run_screen.py --elf vga_gfx.elf --append mode13h --size 640x400 --kasou build/kasou

With --periodic, kasou also runs the program with "hang" on its command line (it
spins instead of exiting) and --screen-dump-every: the dump must show the expected
screen while the guest still runs.

Exit status: 0 pass, 1 fail, 77 skipped (qemu-system-i386 not installed)."""
import argparse
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_guest import QEMU_ARGS, run  # noqa: E402

# The JIT translates every block on first sight here (not after two interpreted
# runs, the default): these programs run most of their code once, and the test is
# of the translator. The reference interpreter ignores the option.
TRANSLATE_AT_ONCE = ["--translate-after", "0"]

VGA_BIOS = "/usr/share/seabios/vgabios-stdvga.bin"


def read_png(path):
    """Width, height and rows of RGBA pixels of an 8-bit RGBA, non-interlaced PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype != 6 or interlace:
                raise ValueError(f"unexpected PNG format depth={depth} colour type={ctype}")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride, bpp, rows, prev = width * 4, 4, [], bytearray(width * 4)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append([tuple(line[x * 4:x * 4 + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def qemu_screendump(qemu, elf, append, last_line, timeout, tmp):
    """QEMU's picture of the screen once the program has printed `last_line`."""
    sock, serial, ppm = (os.path.join(tmp, n) for n in ("qmp.sock", "qemu.serial", "qemu.ppm"))
    args = [qemu, "-accel", "tcg", "-M", "pc", "-m", "128", "-cpu", "qemu32,+nx", "-display", "none",
            "-monitor", "none", "-serial", "file:" + serial, "-no-reboot",
            "-qmp", f"unix:{sock},server=on,wait=off", "-kernel", elf] + (["-append", append] if append else [])
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not (os.path.exists(serial) and last_line in open(serial, encoding="latin-1").read()):
            if time.monotonic() > deadline or p.poll() is not None:
                raise RuntimeError("QEMU did not reach the program's last line")
            time.sleep(0.05)
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        f = s.makefile("rw")

        def qmp(cmd, **a):
            f.write(json.dumps({"execute": cmd, "arguments": a} if a else {"execute": cmd}) + "\n")
            f.flush()
            while True:
                r = json.loads(f.readline())
                if "return" in r or "error" in r:
                    return r

        json.loads(f.readline())  # greeting
        qmp("qmp_capabilities")
        r = qmp("screendump", filename=ppm)
        if "error" in r:
            raise RuntimeError(f"screendump: {r['error']}")
        qmp("quit")
        s.close()
        p.wait(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
    data = open(ppm, "rb").read()
    magic, w, h, maxval, body = data.split(maxsplit=4)
    if magic != b"P6" or maxval != b"255":
        raise RuntimeError("unexpected screendump format")
    w, h = int(w), int(h)
    return w, h, [[tuple(body[(y * w + x) * 3:(y * w + x) * 3 + 3]) for x in range(w)] for y in range(h)]


def periodic_dump(args, want, tmp):
    """--screen-dump-every: the dump shows the screen while the guest still runs."""
    dump = os.path.join(tmp, "periodic.txt")
    cmd = [args.kasou, "run", "--kernel", args.elf, "--engine", args.engine, *TRANSLATE_AT_ONCE, "--serial", "none", "-q",
           "--append", "hang", "--screen-dump", dump, "--screen-dump-every", "5"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = ""
    try:
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and p.poll() is None:
            if os.path.exists(dump):
                seen = open(dump, encoding="utf-8").read()
                if seen == want:
                    break
            time.sleep(0.05)
        running = p.poll() is None
    finally:
        p.kill()
        p.wait()
    if seen == want and running:
        print("--screen-dump-every: the dump showed the screen while the guest was running")
        return True
    print(f"--screen-dump-every: guest running={running}, last dump:\n{seen}")
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elf", required=True)
    ap.add_argument("--screen", help="expected --screen-dump text (a text-mode picture)")
    ap.add_argument("--append", default="", help="the program's command line")
    ap.add_argument("--size", default="720x400", help="expected picture size")
    ap.add_argument("--kasou", required=True)
    ap.add_argument("--engine", default="jit")
    ap.add_argument("--qemu", default="")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--periodic", action="store_true", help="also check --screen-dump-every on a running guest")
    args = ap.parse_args()

    qemu = args.qemu if args.qemu and os.path.exists(args.qemu) else shutil.which("qemu-system-i386")
    if not qemu:
        print("SKIP: qemu-system-i386 not found (it is the oracle of the guest tests)")
        return 77
    name = os.path.basename(args.elf)
    append_q = ["-append", args.append] if args.append else []
    append_k = ["--append", args.append] if args.append else []
    exp, err, rc, dt = run([qemu] + QEMU_ARGS + ["-kernel", args.elf] + append_q, args.timeout)
    print(f"qemu: {len(exp.splitlines())} lines, exit status {rc}, {dt:.2f}s")
    if rc != 1:
        print(f"FAIL: the oracle run of {name} ended with status {rc}:\n{exp[-3000:]}\n{err[-2000:]}")
        return 1

    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        dump, png = os.path.join(tmp, "screen.txt"), os.path.join(tmp, "screen.png")
        cmd = [args.kasou, "run", "--kernel", args.elf, "--engine", args.engine, *TRANSLATE_AT_ONCE, "--serial", "stdio", "-q",
               "--timeout", str(args.timeout), "--screen-dump", dump, "--screenshot", png] + append_k
        got, err, rc2, dt = run(cmd, args.timeout + 15)
        print(f"kasou --engine {args.engine}: {len(got.splitlines())} lines, exit status {rc2}, {dt:.2f}s")
        if got != exp:
            ok = False
            print("transcripts differ:\n--- qemu\n" + exp + "--- kasou\n" + got)
        if rc2 != rc:
            ok = False
            print(f"exit status {rc2}, expected {rc}")
        if any(line.startswith("kasou:") and not line.startswith("kasou: note:") for line in err.splitlines()):
            ok = False
            print("kasou did not stop through the guest's debug-exit port:\n" + err[-2000:])
        # Outside text modes the screen dump is empty.
        want = open(args.screen, encoding="utf-8").read() if args.screen else ""
        screen = open(dump, encoding="utf-8").read() if os.path.exists(dump) else "<no screen dump written>"
        if screen != want:
            ok = False
            print("screen dump differs:\n--- expected\n" + want + "--- kasou\n" + screen)
        else:
            print(f"screen dump: {len(want.splitlines())} lines as expected")
        size = tuple(int(v) for v in args.size.split("x"))
        if not os.path.exists(png):
            ok = False
            print("no screenshot written")
        else:
            w, h, rows = read_png(png)
            if (w, h) != size:
                ok = False
                print(f"screenshot is {w}x{h}, expected {args.size}")
            elif not args.screen or os.path.exists(VGA_BIOS):
                last = exp.strip().splitlines()[-1]
                try:
                    qw, qh, qrows = qemu_screendump(qemu, args.elf, args.append, last, args.timeout, tmp)
                    bad = [(x, y) for y in range(min(h, qh)) for x in range(min(w, qw)) if rows[y][x] != qrows[y][x]]
                    if (qw, qh) != (w, h) or bad:
                        ok = False
                        print(f"screenshot differs from QEMU's screendump ({qw}x{qh}): {len(bad)} pixels, "
                              f"first at {bad[:5]}")
                    else:
                        print("screenshot: equal to QEMU's screendump pixel for pixel")
                except (RuntimeError, OSError, ValueError) as e:
                    ok = False
                    print(f"QEMU screendump: {e}")
        if args.periodic and args.screen:
            ok &= periodic_dump(args, want, tmp)
    if err.strip():
        print("kasou stderr:\n" + "\n".join("  " + line for line in err.strip().splitlines()[-20:]))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
