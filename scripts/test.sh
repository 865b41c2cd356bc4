#!/usr/bin/env bash
# The test command: build, then run every test (unit, differential against the
# host CPU, guest programs against QEMU). Under ~10 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
BUILD="${KASOU_BUILD_DIR:-build}"
ctest --test-dir "$BUILD" -j"${KASOU_JOBS:-2}" --output-on-failure --timeout 600
