#!/bin/sh
# Builds the small initramfs the IPVS test VM boots (test/vm/vm.ts):
#   busybox-static, the modules for virtio-pci + 9p (resolved with modprobe --show-depends for the
#   guest's kernel, not the host's) and an /init that mounts the host's root read-only over 9p,
#   mounts the writable share on /tmp/vmshare of it and switch_roots into it, running the share's
#   init2.sh as PID 1 (a real root: the kernel can then autoload ip_vs_* schedulers via modprobe).
#
#   build-initramfs.sh KVER OUT.cpio.gz
set -eu
KVER=$1
OUT=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin" "$WORK/dev" "$WORK/proc" "$WORK/sys" "$WORK/newroot" "$WORK/modules"
cp /bin/busybox "$WORK/bin/busybox"
: > "$WORK/modules/order"
for m in virtio_pci 9pnet_virtio 9p; do
  modprobe -S "$KVER" --show-depends "$m" | while read -r verb path _rest; do
    [ "$verb" = insmod ] || continue
    base=$(basename "$path")
    if ! grep -qx "$base" "$WORK/modules/order"; then
      case "$path" in
        *.ko) cp "$path" "$WORK/modules/$base" ;;
        *.ko.xz) xz -dc "$path" > "$WORK/modules/${base%.xz}"; base=${base%.xz} ;;
        *.ko.zst) zstd -qdc "$path" > "$WORK/modules/${base%.zst}"; base=${base%.zst} ;;
        *) echo "unknown module format: $path" >&2; exit 1 ;;
      esac
      echo "$base" >> "$WORK/modules/order"
    fi
  done
done
cat > "$WORK/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do insmod /modules/$m || echo "init: insmod $m failed"; done
fail() { echo "init: $*"; echo o > /proc/sysrq-trigger; sleep 5; }
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /newroot || fail "cannot mount the host root"
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp || fail "tmpfs on /tmp"
mount -t tmpfs tmpfs /newroot/run || fail "tmpfs on /run"
mkdir -p /newroot/tmp/vmshare
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share /newroot/tmp/vmshare || fail "cannot mount the share"
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
exec switch_root /newroot /bin/sh /tmp/vmshare/init2.sh
INIT
chmod +x "$WORK/init"
(cd "$WORK" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
