#!/usr/bin/env bash
# Configures (once) and builds kasou into build/ (or $KASOU_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${KASOU_BUILD_DIR:-build}"
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
fi
ninja -C "$BUILD" -j"${KASOU_JOBS:-2}"
