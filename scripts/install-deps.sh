#!/usr/bin/env bash
# Installs what kasou needs to build, test and run, from Debian 12's packages only.
set -euo pipefail
PACKAGES=(
  cmake ninja-build g++ ccache pkg-config python3
  libasmjit-dev libzydis-dev libzycore-dev libcli11-dev doctest-dev libfmt-dev
  libsdl2-dev libimgui-dev libtomlplusplus-dev libzstd-dev
  nasm gcc-multilib g++-multilib cpio acpica-tools xorriso
  fdisk dosfstools mtools syslinux syslinux-common
  qemu-system-x86 seabios
  xvfb xauth
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
