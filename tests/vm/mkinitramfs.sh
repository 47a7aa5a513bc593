#!/bin/sh
# Build the initramfs of the mig test VMs.
#
#   tests/vm/mkinitramfs.sh OUT.cpio.gz [KVER]
#
# Contents: static busybox, the virtio/9p modules the guest needs to reach
# the host (decompressed, busybox insmod cannot do .xz/.zst) and
# tests/vm/init as /init. KVER defaults to the newest /boot/vmlinuz-*-amd64
# that has modules installed.
set -eu

usage() { echo "usage: $0 OUT.cpio.gz [KVER]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
out=$1
kver=${2:-}
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "$kver" ]; then
	for k in $(ls /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V); do
		[ -d "/lib/modules/$k/kernel" ] && kver=$k
	done
fi
[ -n "$kver" ] || { echo "$0: no /boot/vmlinuz-*-amd64 with modules" >&2; exit 1; }
[ -d "/lib/modules/$kver/kernel" ] || { echo "$0: no modules for $kver" >&2; exit 1; }

busybox=/bin/busybox
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	{ echo "$0: $busybox is not a static busybox (apt-get install busybox-static)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage" "$out.tmp.$$"' EXIT
mkdir -p "$stage/bin" "$stage/lib/mods" "$stage/proc" "$stage/sys" \
	"$stage/dev" "$stage/newroot"
# The kernel opens /dev/console for /init before anything is mounted.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
cp "$busybox" "$stage/bin/busybox"
cp "$here/init" "$stage/init"
chmod 755 "$stage/init"

# Top-level drivers; modprobe resolves their dependencies in load order.
# -C /dev/null: the host's modprobe.d (blacklists, options) must not leak in.
wanted="virtio_pci virtio_net virtio_console 9pnet_virtio 9p"
n=0
for mod in $wanted; do
	modprobe -C /dev/null --show-depends -S "$kver" "$mod"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$stage/order"

while read -r path; do
	n=$((n + 1))
	name=$(basename "$path")
	name=${name%%.ko*}
	dst=$(printf '%s/lib/mods/%02d-%s.ko' "$stage" "$n" "$name")
	case "$path" in
	*.ko.xz) xz -dc "$path" >"$dst" ;;
	*.ko.zst) zstd -qdc "$path" >"$dst" ;;
	*.ko.gz) gzip -dc "$path" >"$dst" ;;
	*.ko) cp "$path" "$dst" ;;
	*) echo "$0: unexpected module file $path" >&2; exit 1 ;;
	esac
done <"$stage/order"
rm "$stage/order"
[ "$n" -gt 0 ] || { echo "$0: no modules found for $kver" >&2; exit 1; }

# Write next to the target and rename, so a concurrent reader never sees a
# half-written archive.
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
echo "$0: wrote $out ($kver, $n modules)"
