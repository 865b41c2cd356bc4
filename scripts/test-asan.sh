#!/usr/bin/env bash
# The device and disk unit tests (kasou_device_tests, ctest label "devices") again
# under AddressSanitizer and UBSan: guest input (DMA tables, IDE commands, fw_cfg
# requests, bad disk images) must never become a host out-of-bounds access or
# undefined behaviour. A Debug build (-DKASOU_ASAN=ON, quick to compile) of that
# one target in build-asan (or $KASOU_ASAN_BUILD_DIR), run as one process; any
# sanitizer report fails it. scripts/test.sh runs it after the main suite.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${KASOU_ASAN_BUILD_DIR:-build-asan}"
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKASOU_ASAN=ON
fi
ninja -C "$BUILD" -j"${KASOU_JOBS:-2}" kasou_device_tests
echo "test-asan: device and disk tests under AddressSanitizer + UBSan"
# (The devices' own warnings about the bad input the tests feed them are filtered
# out; the SeaBIOS run that waits through the boot-failure path is left out for time.)
set +e
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  "$BUILD/tests/unit/kasou_device_tests" --no-intro=true --test-case-exclude="seabios: with nothing*" 2>&1 | grep -v '^\[device\]'
status=${PIPESTATUS[0]}
set -e
exit "$status"
