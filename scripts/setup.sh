#!/usr/bin/env bash
# The first-run command: install the Debian packages kasou needs, build it, and
# boot the bundled demo guest (built from source in tests/guest/demo.c) under the
# translator, with statistics.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
BUILD="${KASOU_BUILD_DIR:-build}"
echo
echo "== kasou run --kernel $BUILD/tests/guest/demo.elf --stats"
set +e
"$BUILD/kasou" run --kernel "$BUILD/tests/guest/demo.elf" --stats
status=$?
set -e
# The demo exits through the debug-exit port with status (0 << 1) | 1 = 1.
[ "$status" -eq 1 ] || { echo "setup: the demo guest ended with status $status (expected 1)"; exit 1; }
echo
echo "kasou is built: $BUILD/kasou (try: $BUILD/kasou run --help)"
