#!/usr/bin/env bash
# The test command: build, fetch the Linux guest, then run every test (unit,
# differential against the host CPU, guest programs against QEMU, Linux), then
# the device and disk tests again under AddressSanitizer (scripts/test-asan.sh). Under ~10 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
BUILD="${KASOU_BUILD_DIR:-build}"
# Debian's i386 kernel and busybox for tests/linux (apt-get download: the one
# sanctioned fetch). If it fails, the linux tests fail and say why.
bash scripts/linux-guest.sh "$BUILD/linux-guest" || echo "test: scripts/linux-guest.sh failed: the linux tests will fail"
ctest --test-dir "$BUILD" -j"${KASOU_JOBS:-2}" --output-on-failure --timeout 600
bash scripts/test-asan.sh
