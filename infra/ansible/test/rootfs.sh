#!/usr/bin/env bash
# Builds (once) the root filesystem of the Ansible test hosts: Debian 12 from the apt mirror with
# debootstrap, systemd as init, python3 for Ansible's modules, and the .debs the playbook installs
# downloaded (not installed) into its apt cache, so four hosts do not fetch the same 70 MB four
# times while the playbook still installs them. Cached as a tarball under /var/cache: a second run
# reuses it. Prints the tarball's path.
#   rootfs.sh [--rebuild]
set -euo pipefail
cache=/var/cache/flotilla/ansible-test
tarball="$cache/debian12-systemd.tar"
suite=bookworm
mirror="${FLOTILLA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# What the playbook installs (roles/common), fetched into the image's apt cache only.
playbook_debs=(docker.io nats-server iptables iproute2 ca-certificates)

if [ "${1:-}" != "--rebuild" ] && [ -s "$tarball" ]; then echo "$tarball"; exit 0; fi
command -v debootstrap >/dev/null || { echo "rootfs.sh: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
mkdir -p "$cache"
work="$(mktemp -d "$cache/build.XXXXXX")"
cleanup() {
  for m in proc sys dev/pts dev; do umount "$work/rootfs/$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "rootfs.sh: debootstrap $suite into $work/rootfs (a few minutes, once)" >&2
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,procps,ca-certificates,gzip \
  "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }

root="$work/rootfs"
cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
SOURCES
mount -t proc proc "$root/proc"; mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"; mount --bind /dev/pts "$root/dev/pts"
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" apt-get update -qq
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --download-only "${playbook_debs[@]}" >/dev/null
# Keep the downloaded .debs (docker-clean would delete them after each install).
rm -f "$root/etc/apt/apt.conf.d/docker-clean"
# A container has no consoles, no udev and no kernel to tune: units that would only fail.
for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
  systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount sys-fs-fuse-connections.mount \
  systemd-remount-fs.service systemd-firstboot.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
echo 'container' >"$root/etc/hostname"
: >"$root/etc/machine-id"
for m in dev/pts dev sys proc; do umount "$root/$m"; done
tar -C "$root" -cf "$tarball.part" .
mv "$tarball.part" "$tarball"
echo "rootfs.sh: $(du -h "$tarball" | cut -f1) in $tarball" >&2
echo "$tarball"
