/*
 * What runs inside a guest, as text: the first init (in the initramfs), the second (PID 1 of
 * the root it assembles), the power button's handler and sshd's settings. The guest's root
 * is a tmpfs holding the host's /usr (9p, read-only), the host's /etc under a writable
 * tmpfs overlay, and the VM's own disk for /nix and /root: so it runs this machine's
 * programs (sshd, nix-store, sh) without a download, with a store of its own.
 */
#include "adapters/qemu/qemu_internal.h"
#include "core/sshd_node.h"
#include "util/banned.h"

/* Kernel command line words it reads: chimera.name=NAME (the hostname), chimera.probe=1 (say so and power off). */
const char qemu_guest_init1[] =
	"#!/bin/busybox sh\n"
	"# chimera VM, first init: modules, the root, the network; then the second init.\n"
	"/bin/busybox mkdir -p /proc /sys /dev /newroot\n"
	"/bin/busybox --install -s /bin\n"
	"mount -t proc proc /proc\n"
	"mount -t sysfs sys /sys\n"
	"mount -t devtmpfs dev /dev\n"
	"grep -q chimera.probe=1 /proc/cmdline && { echo chimera-probe: init reached >/dev/ttyS0; poweroff -f; }\n"
	"fail() { echo \"chimera-vm: $*\" >/dev/ttyS0; sleep 2; poweroff -f; }\n"
	"for m in $(cat /modules.order); do insmod \"$m\" 2>/dev/null; done\n"
	"mount -t tmpfs -o mode=0755 root /newroot || fail cannot make the root\n"
	"cd /newroot || fail no root\n"
	"mkdir -p usr etc nix root run tmp proc sys dev var mnt/disk .chimera/etc-lower .chimera/etc-upper\n"
	"ln -s usr/bin bin; ln -s usr/sbin sbin; ln -s usr/lib lib; ln -s usr/lib64 lib64\n"
	"o=trans=virtio,version=9p2000.L,ro,cache=loose\n"
	"mount -t 9p -o $o usr /newroot/usr || fail cannot mount the host /usr\n"
	"mount -t 9p -o $o etc /newroot/.chimera/etc-lower || fail cannot mount the host /etc\n"
	"mount -t tmpfs tmpfs /newroot/.chimera/etc-upper && mkdir -p /newroot/.chimera/etc-upper/u "
	"/newroot/.chimera/etc-upper/w\n"
	"mount -t overlay -o lowerdir=/newroot/.chimera/etc-lower,upperdir=/newroot/.chimera/etc-upper/u,"
	"workdir=/newroot/.chimera/etc-upper/w overlay /newroot/etc || fail cannot make /etc\n"
	"mount -t ext4 /dev/vda /newroot/mnt/disk || fail cannot mount the disk /dev/vda\n"
	"mkdir -p /newroot/mnt/disk/nix /newroot/mnt/disk/root\n"
	"mount --bind /newroot/mnt/disk/nix /newroot/nix\n"
	"mount --bind /newroot/mnt/disk/root /newroot/root\n"
	"mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp\n"
	"mount -t tmpfs -o mode=0755 tmpfs /newroot/run\n"
	"mount -t tmpfs -o mode=0755 tmpfs /newroot/var\n"
	"ip link set lo up\n"
	"ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 "
	"|| fail no network\n"
	"cp /bin/busybox /init2 /poweroff /sshd_config /newroot/.chimera/\n"
	"mount --move /proc /newroot/proc; mount --move /sys /newroot/sys; mount --move /dev /newroot/dev\n"
	"exec switch_root /newroot /.chimera/busybox sh /.chimera/init2\n";

const char qemu_guest_init2[] =
	"# chimera VM, second init (PID 1): sshd, the power button, a shell on the serial console.\n"
	"export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root\n"
	"B=/.chimera/busybox\n"
	"for w in $(cat /proc/cmdline); do case $w in chimera.name=*) $B hostname \"${w#chimera.name=}\";; esac; done\n"
	"mkdir -p /run/sshd /run/acpi\n"
	"# busybox acpid runs ./ACTION in its directory for an event whose name holds KEY (\"KEY ACTION\" lines).\n"
	"ln -s /.chimera/poweroff /run/acpi/poweroff\n"
	"echo 'PWRF poweroff' >/run/acpid.conf\n"
	"$B acpid -c /run/acpi -a /run/acpid.conf -p /run/acpid.pid -l /run/acpid.log\n"
	"if /usr/sbin/sshd -f /.chimera/sshd_config -E /run/sshd.log; then echo chimera-vm: sshd started >/dev/ttyS0;\n"
	"else echo chimera-vm: sshd did not start: $(tail -n 3 /run/sshd.log) >/dev/ttyS0; fi\n"
	"( while :; do $B setsid -c $B sh -l </dev/ttyS0 >/dev/ttyS0 2>&1; $B sleep 1; done ) &\n"
	"while :; do $B sleep 1; done\n";

const char qemu_guest_poweroff[] =
	"#!/.chimera/busybox sh\n"
	"# chimera VM: the power button (QMP system_powerdown): stop everything, write the disk, off.\n"
	"B=/.chimera/busybox\n"
	"echo chimera-vm: power button, going down >/dev/ttyS0\n"
	"# The shell's own kill: kill(-1) spares its caller, so this script lives on.\n"
	"kill -TERM -1 2>/dev/null; $B sleep 1; kill -KILL -1 2>/dev/null\n"
	"$B sync\n"
	"$B umount /nix /root 2>/dev/null; $B mount -o remount,ro /mnt/disk 2>/dev/null\n"
	"$B sync\n"
	"$B poweroff -f\n";

const char qemu_guest_sshd_config[] =
	"# chimera VM: sshd on the guest's port 22, forwarded from a loopback address of the host\n"
	"ListenAddress 0.0.0.0:22\n"
	"PidFile /run/sshd.pid\n"
	"HostKey /mnt/disk/chimera/host_ed25519\n" SSHD_NODE_OPTIONS;

/* The modules the first init loads (with what they need), in this order. */
const char *const qemu_guest_modules[] = { "virtio_pci", "virtio_blk", "virtio_net", "9pnet_virtio", "9p",
					  "overlay", "ext4", "button", "evdev", "virtio_rng", NULL };
