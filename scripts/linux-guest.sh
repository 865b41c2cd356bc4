#!/usr/bin/env bash
# Fetches Debian's own i386 Linux kernel (686-pae flavour) and busybox-static as
# packages (apt-get download; nothing is installed on the host), unpacks them
# with dpkg -x, and builds a busybox initramfs. Output in $OUT (default
# build/linux-guest): vmlinuz, initrd.img, and the unpacked packages.
set -euo pipefail
SCRIPTS="$(cd "$(dirname "$0")" && pwd)"
cd "$SCRIPTS/.."
OUT="${1:-build/linux-guest}"
mkdir -p "$OUT/debs"
OUT="$(cd "$OUT" && pwd)"

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! dpkg --print-foreign-architectures | grep -qx i386; then
  $SUDO dpkg --add-architecture i386
  $SUDO apt-get update -qq || true   # a mirror mid-sync must not stop us: the download checks below will
fi
if ! apt-cache show busybox-static:i386 >/dev/null 2>&1; then
  $SUDO apt-get update -qq || true
fi

# The kernel package behind the 686-pae meta package (e.g. linux-image-6.1.0-50-686-pae).
KPKG=$(apt-cache depends linux-image-686-pae:i386 2>/dev/null | awk '/Depends: linux-image-6/ {print $2; exit}')
KPKG=${KPKG%:i386}
[ -n "$KPKG" ] || { echo "linux-guest: cannot resolve linux-image-686-pae:i386 (apt-get update failed?)" >&2; exit 1; }

cd "$OUT/debs"
if ! ls "${KPKG}"_*_i386.deb >/dev/null 2>&1; then apt-get download "$KPKG:i386"; fi
if ! ls busybox-static_*_i386.deb >/dev/null 2>&1; then apt-get download busybox-static:i386; fi
rm -rf "$OUT/kernel" "$OUT/busybox"
dpkg -x "$(ls "${KPKG}"_*_i386.deb | head -1)" "$OUT/kernel"
dpkg -x "$(ls busybox-static_*_i386.deb | head -1)" "$OUT/busybox"
cp "$OUT"/kernel/boot/vmlinuz-* "$OUT/vmlinuz"

# The initramfs: busybox, /init, a profile.
ROOT="$OUT/initramfs-root"
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,etc,proc,sys,dev,tmp,root}
cp "$OUT/busybox/bin/busybox" "$ROOT/bin/busybox"
cp "$SCRIPTS/initramfs/init" "$ROOT/init"
cp "$SCRIPTS/initramfs/profile" "$ROOT/etc/profile"
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9 -n) > "$OUT/initrd.img"
echo "linux-guest: $OUT/vmlinuz ($(basename "$(ls "$OUT"/kernel/boot/vmlinuz-*)")), $OUT/initrd.img"
