#!/usr/bin/env bash
# The first-run command: install the Debian packages kasou needs, build it, fetch
# Debian's i386 Linux kernel and busybox (scripts/linux-guest.sh: apt-get download,
# nothing installed on the host), build the initramfs, and boot Linux under kasou
# to a shell.
#  - On a terminal: the shell is yours (serial console on stdio, --realtime clock;
#    the terminal is in raw mode while the guest runs). `poweroff -f` ends it.
#  - Otherwise (CI, a pipe): boot, type `uname -a` and `poweroff -f`, and check that
#    the kernel answered and kasou ended with status 0.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
BUILD="${KASOU_BUILD_DIR:-build}"
GUEST="$BUILD/linux-guest"
bash scripts/linux-guest.sh "$GUEST"
KASOU=(
  "$BUILD/kasou" run --kernel "$GUEST/vmlinuz" --initrd "$GUEST/initrd.img" --append console=ttyS0
  --serial stdio --debugcon none
)

if [ -t 0 ] && [ -t 1 ]; then
  echo
  echo "== ${KASOU[*]} --realtime"
  echo "== Linux boots to a busybox shell on the serial console (a few seconds)."
  echo "== Type commands at 'kasou:/# '; 'poweroff -f' powers the machine off and ends kasou."
  echo
  saved=$(stty -g)
  trap 'stty "$saved"' EXIT
  stty raw -echo   # every key goes to the guest (Ctrl-C too); the guest echoes
  set +e
  "${KASOU[@]}" --realtime
  status=$?
  set -e
  stty "$saved"
  trap - EXIT
  echo
  echo "kasou ended with status $status. Run it again: ${KASOU[*]} --realtime"
  exit "$status"
fi

# Not a terminal: a scripted session through the tests' serial driver.
echo
echo "== ${KASOU[*]} (scripted: uname -a, poweroff -f)"
python3 - "$GUEST" "${KASOU[@]}" <<'EOF'
import os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "linux"))
from guest_session import GuestError, GuestSession

workdir = sys.argv[1]
s = GuestSession("setup", sys.argv[2:], workdir)
ok = False
try:
    s.wait_prompt(120)
    out, status = s.run("uname -a", 60, wait_prompt=False)
    s.type("poweroff -f\n")
    exit_status = s.wait_exit(60)
    ok = status == 0 and out.startswith("Linux kasou ") and exit_status == 0
    print(s.text())
    print(f"setup: the guest answered 'uname -a' with: {out.strip()}")
    print(f"setup: kasou ended with status {exit_status} after poweroff -f")
except GuestError as e:
    print(s.text())
    print(f"setup: {e}")
finally:
    s.close()
print(f"setup: transcript in {s.transcript_path}")
sys.exit(0 if ok else 1)
EOF
echo
echo "kasou is built: $BUILD/kasou (try: $BUILD/kasou run --help). Linux with a shell you can type into:"
echo "  ${KASOU[*]} --realtime"
