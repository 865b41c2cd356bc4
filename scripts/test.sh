#!/usr/bin/env bash
# The test command: build, then run every test (unit, differential against the
# host CPU, guest programs against QEMU), then the device and disk tests again
# under AddressSanitizer (scripts/test-asan.sh). Under ~10 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
BUILD="${KASOU_BUILD_DIR:-build}"
ctest --test-dir "$BUILD" -j"${KASOU_JOBS:-2}" --output-on-failure --timeout 600
bash scripts/test-asan.sh
