#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Installs what building mig and running its virtual cluster need on a
# Debian 12 machine, and nothing when all of it is already there. With
# "bench": also what make bench compares with (criu, openssl).
set -eu

PACKAGES="make gcc libc6-dev pkg-config libnl-3-dev libnl-genl-3-dev
	linux-headers-amd64 linux-image-amd64 qemu-system-x86 busybox-static
	cpio iproute2 kmod procps util-linux python3 python3-cryptography
	golang-go"
[ "${1:-}" = bench ] && PACKAGES="$PACKAGES criu openssl"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
	command -v sudo >/dev/null || {
		echo "run as root, or install:$missing" >&2
		exit 1
	}
else
	SUDO=
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
