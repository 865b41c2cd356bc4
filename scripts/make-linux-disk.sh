#!/usr/bin/env bash
# Builds a bootable raw disk image with the Linux guest of scripts/linux-guest.sh,
# from Debian packages and without root: an MBR partition table (sfdisk, package
# fdisk) with one bootable FAT16 partition at 1 MiB (mkfs.vfat from dosfstools,
# files copied with mtools), SYSLINUX installed in it (syslinux + syslinux-common;
# syslinux works on an image file through mtools) and syslinux's MBR boot code.
# syslinux.cfg boots vmlinuz + initrd.img with console=ttyS0, as the direct boot.
#
#   scripts/make-linux-disk.sh [GUEST_DIR [IMAGE]]
#   (defaults: build/linux-guest and GUEST_DIR/linux-disk.img)
#
# Boot it with `kasou run --disk IMAGE` (SeaBIOS -> MBR -> syslinux -> Linux) or
# `qemu-system-i386 -hda IMAGE`.
set -euo pipefail
cd "$(dirname "$0")/.."
GUEST="${1:-build/linux-guest}"
IMAGE="${2:-$GUEST/linux-disk.img}"
MBR_BIN=/usr/lib/syslinux/mbr/mbr.bin

die() { echo "make-linux-disk: $*" >&2; exit 1; }
for f in "$GUEST/vmlinuz" "$GUEST/initrd.img"; do
  [ -f "$f" ] || die "$f is missing (make the guest with: bash scripts/linux-guest.sh $GUEST)"
done
for tool in sfdisk mkfs.vfat mcopy syslinux; do
  command -v "$tool" >/dev/null || die "$tool not found (bash scripts/install-deps.sh installs fdisk, dosfstools, mtools, syslinux)"
done
[ -f "$MBR_BIN" ] || die "$MBR_BIN not found (package syslinux-common)"

PART_START_SECTORS=2048   # 1 MiB, where partitioning tools put the first partition
kernel_bytes=$(stat -c %s "$GUEST/vmlinuz")
initrd_bytes=$(stat -c %s "$GUEST/initrd.img")
# FAT16 needs at least ~16 MiB; leave room for the files and syslinux.
part_mib=$(( (kernel_bytes + initrd_bytes) / 1048576 + 8 ))
[ "$part_mib" -ge 32 ] || part_mib=32
disk_mib=$((part_mib + 1))

mkdir -p "$(dirname "$IMAGE")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
part="$work/part.img"

# The partition's filesystem, made in its own file, then copied in at 1 MiB.
# -h: the "hidden sectors" of the boot sector = the partition's first LBA, which
# syslinux's boot sector adds to find its files.
truncate -s "${part_mib}M" "$part"
mkfs.vfat -F 16 -h "$PART_START_SECTORS" -n KASOU "$part" >/dev/null
cat > "$work/syslinux.cfg" <<'EOF'
SERIAL 0 115200
PROMPT 0
TIMEOUT 0
DEFAULT linux
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND console=ttyS0
EOF
export MTOOLS_SKIP_CHECK=1
mcopy -i "$part" "$GUEST/vmlinuz" ::/vmlinuz
mcopy -i "$part" "$GUEST/initrd.img" ::/initrd.img
mcopy -i "$part" "$work/syslinux.cfg" ::/syslinux.cfg
syslinux --install "$part"

rm -f "$IMAGE"
truncate -s "${disk_mib}M" "$IMAGE"
printf 'label: dos\nlabel-id: 0x6b61736f\nstart=%d, type=6, bootable\n' "$PART_START_SECTORS" | sfdisk --quiet "$IMAGE"
dd if="$part" of="$IMAGE" bs=512 seek="$PART_START_SECTORS" conv=notrunc status=none
# syslinux's MBR code (440 bytes: the partition table after it stays).
dd if="$MBR_BIN" of="$IMAGE" bs=440 count=1 conv=notrunc status=none
echo "make-linux-disk: $IMAGE (${disk_mib} MiB: MBR, FAT16 partition at 1 MiB with syslinux, vmlinuz, initrd.img)"
