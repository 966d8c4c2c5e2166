#!/bin/sh
# Capture tests/fixtures/systemd/*.txt from a real systemd: this machine's own systemd binary,
# started as a user manager inside private mount and PID namespaces, so that nothing of the
# host changes (its /run is a fresh tmpfs, its config and data live in a temporary directory,
# and every process it starts dies with the namespace). The units are this script's own.
# usage: scripts/capture-systemd.sh [OUTDIR]   (as root; OUTDIR defaults to tests/fixtures/systemd)
set -eu

die() { echo "capture-systemd: $*" >&2; exit 1; }

if [ "${1:-}" = --inside ]; then
	out=$2 work=$3 props=$4
	mount -t tmpfs -o mode=0755 tmpfs /run
	# sd_booted(): the user manager only starts where the system looks booted with systemd.
	mkdir -p /run/systemd/system /run/user/0
	chmod 0700 /run/user/0
	export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" \
		XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache" XDG_RUNTIME_DIR=/run/user/0
	unset DBUS_SESSION_BUS_ADDRESS
	units="$XDG_CONFIG_HOME/systemd/user"
	mkdir -p "$HOME" "$units"

	cat >"$units/app.service" <<-'EOF'
	[Unit]
	Description=Chimera fixture: a long-running application
	Wants=app-metrics.service

	[Service]
	ExecStart=/bin/sleep infinity
	MemoryAccounting=yes

	[Install]
	WantedBy=default.target
	EOF
	cat >"$units/backup.service" <<-'EOF'
	[Unit]
	Description=Chimera fixture: a backup that was never started

	[Service]
	Type=oneshot
	ExecStart=/bin/true

	[Install]
	WantedBy=default.target
	EOF
	cat >"$units/broken.service" <<-'EOF'
	[Unit]
	Description=Chimera fixture: a daemon that exits with an error

	[Service]
	ExecStart=/bin/sh -c 'sleep 1; exit 3'
	EOF
	cat >"$units/setup.service" <<-'EOF'
	[Unit]
	Description=Chimera fixture: one-time setup

	[Service]
	Type=oneshot
	RemainAfterExit=yes
	ExecStart=/bin/sleep 1
	EOF
	cat >"$units/worker@.service" <<-'EOF'
	[Unit]
	Description=Chimera fixture: worker %I

	[Service]
	Type=exec
	ExecStart=/bin/sleep infinity
	EOF

	/lib/systemd/systemd --user >"$work/manager.log" 2>&1 &
	manager=$!
	i=0
	until systemctl --user is-system-running >/dev/null 2>&1 ||
		[ "$(systemctl --user is-system-running 2>/dev/null || true)" = degraded ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$work/manager.log" >&2; die "the user manager did not start"; }
		kill -0 "$manager" 2>/dev/null || { cat "$work/manager.log" >&2; die "the user manager exited"; }
		sleep 0.1
	done

	# A second or more between the steps, so that each timestamp tells which step it is.
	systemctl --user enable app.service 2>/dev/null
	systemctl --user start app.service
	sleep 1
	systemctl --user start setup.service # active a second after it left inactive
	systemctl --user start worker@1.service 'worker@a\x2db.service' broken.service
	i=0
	until systemctl --user is-failed --quiet broken.service; do # failed a second after it started
		i=$((i + 1))
		[ $i -lt 100 ] || die "broken.service did not fail"
		sleep 0.1
	done

	show() { TZ=UTC0 LC_ALL=C systemctl --user show --no-pager --all -p "$props" -- "$@"; }
	show app.service >"$out/running.txt"
	show backup.service >"$out/inactive.txt"
	show broken.service >"$out/failed.txt"
	show nosuch.service >"$out/not-found.txt"
	show setup.service >"$out/oneshot.txt"
	show worker@1.service >"$out/templated.txt"
	show '*.service' >"$out/multi.txt"
	systemctl --user --version | head -n 1 >"$work/version"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "run as root (it mounts a tmpfs on /run inside its own mount namespace)"
[ -x /lib/systemd/systemd ] || die "/lib/systemd/systemd not found (Debian package systemd)"
command -v systemctl >/dev/null || die "systemctl not found (Debian package systemd)"
command -v unshare >/dev/null || die "unshare not found (Debian package util-linux)"

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/tests/fixtures/systemd}
[ -d "$out" ] || die "$out: not a directory"
out=$(cd "$out" && pwd)
# The property list chimera asks for, read from the header that defines it.
props=$(sed -n '/#define SYSTEMD_SHOW_PROPERTIES/,/^$/p' "$root/src/formats/systemd_show.h" |
	grep -o '"[^"]*"' | tr -d '"\n')
[ -n "$props" ] || die "SYSTEMD_SHOW_PROPERTIES not found in src/formats/systemd_show.h"

# The manager makes cgroups below its own, in every hierarchy, and a manager in the root cgroup
# moves what it finds there: give it a cgroup of its own in each, which it takes as its root,
# and remove them all afterwards.
hierarchies=$(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts)
cg=chimera-capture.$$
cleanup() {
	for h in $hierarchies; do
		[ -d "$h/$cg" ] || continue
		echo $$ >"$h/cgroup.procs" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			find "$h/$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
			[ -d "$h/$cg" ] || break
			sleep 0.2
		done
		[ -d "$h/$cg" ] && echo "capture-systemd: could not remove $h/$cg" >&2
	done
	rm -rf "$work"
}
work=$(mktemp -d /tmp/chimera-systemd.XXXXXX)
trap cleanup EXIT
for h in $hierarchies; do
	mkdir "$h/$cg" || die "cannot make the cgroup $h/$cg"
	if [ -f "$h/cpuset.cpus" ]; then # a v1 cpuset takes no task before it has CPUs and nodes
		cat "$h/cpuset.cpus" >"$h/$cg/cpuset.cpus" && cat "$h/cpuset.mems" >"$h/$cg/cpuset.mems"
	fi
	echo $$ >"$h/$cg/cgroup.procs" || die "cannot move into the cgroup $h/$cg"
done
unshare --mount --propagation private --pid --fork --mount-proc \
	sh "$0" --inside "$out" "$work" "$props"
echo "capture-systemd: $(cat "$work/version"): wrote 7 captures (running, inactive, failed, not-found, oneshot, templated, multi) to $out"
