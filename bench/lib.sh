# Shared by the benchmarks under bench/: sourced after BENCH (the script's name, for messages),
# CHIMERA and STATE are set. SECS_FMT and RATIO_FMT (printf formats, default %.2f) set the
# precision of secs and ratio.
# shellcheck shell=sh

ch() { "$CHIMERA" --state-dir "$STATE" "$@"; }
now() { date +%s%N; }
secs() { echo "$1 $2" | awk -v f="${SECS_FMT:-%.2f}" '{ printf f, ($2 - $1) / 1e9 }'; }
ratio() { echo "$1 $2" | awk -v f="${RATIO_FMT:-%.2f}" '{ if ($2 > 0) printf f, $1 / $2; else print "inf" }'; }
# median X...: the middle value (the lower middle for an even count)
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# baseline_env BIN: for the BASELINE build, "env CHIMERA_LEDGER=sqlite:$STATE/baseline.db": it
# keeps a ledger of its own, so that builds whose ledger schemas differ can share a run (a
# build older than the --ledger option ignores it and uses chimera.db); nothing for others.
baseline_env() {
	if [ -n "${BASELINE:-}" ] && [ "$1" = "$BASELINE" ]; then echo "env CHIMERA_LEDGER=sqlite:$STATE/baseline.db"; fi
}
die() {
	echo "$BENCH: $*" >&2
	exit 1
}

# Peak RSS: GNU time's %M when there is one, else VmHWM polled from /proc.
if [ -x /usr/bin/time ] && /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
	GNU_TIME=/usr/bin/time
else
	GNU_TIME=""
	echo "$BENCH: GNU time not found (Debian package 'time'); peak RSS from polling VmHWM instead" >&2
fi

# Run "$@" with stdout to $OUT and stderr to $ERR, leaving its exit status in rc and its peak
# RSS in KiB in rss.
measured() {
	rc=0
	if [ -n "$GNU_TIME" ]; then
		"$GNU_TIME" -f %M -o "$STATE/rss" "$@" >"$OUT" 2>"$ERR" || rc=$?
		rss=$(tail -n 1 "$STATE/rss")
	else
		"$@" >"$OUT" 2>"$ERR" &
		pid=$!
		rss=0
		while kill -0 "$pid" 2>/dev/null; do
			h=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
			[ -n "$h" ] && [ "$h" -gt "$rss" ] && rss=$h
			sleep 0.05
		done
		wait "$pid" || rc=$?
	fi
}

# 1000 nodes: chimera and the tools it is measured against hold many sockets and pipes.
# shellcheck disable=SC3045 # dash and bash have ulimit -n and -H
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# A fresh state directory; on exit the lab goes down, and the directory too unless the run
# failed (set ok=1 at the end of a good run).
ok=0
cleanup() {
	ch lab down -q 2>/dev/null || true
	lab_weight_drop
	if [ "$ok" -eq 1 ]; then
		rm -rf "$STATE"
	else
		echo "$BENCH: failed; outputs kept in $STATE" >&2
	fi
}
bench_fresh_state() {
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	ch lab down -q 2>/dev/null || true
	rm -rf "$STATE"
	mkdir -p "$STATE"
}

# bench_lab N: the lab with exactly N fresh nodes on 127.$BASE; sets d (N's directory under
# STATE), up (seconds lab up took) and cfg (the lab's ssh_config), and writes $d/hosts,
# one node address a line.
bench_lab() {
	d="$STATE/n$1"
	mkdir -p "$d"
	ch lab down -q 2>/dev/null || true
	t0=$(now)
	ch lab up "$1" --base "$BASE" -q
	t1=$(now)
	up=$(secs "$t0" "$t1")
	ch lab targets | tr ',' '\n' | sed 's/^root@//; s/:22$//' >"$d/hosts"
	[ "$(wc -l <"$d/hosts")" -eq "$1" ] || die "lab targets lists $(wc -l <"$d/hosts") nodes, not $1"
	cfg="$STATE/lab/ssh_config"
}

# The lab's nodes stand in for other machines, whose sshd and Nix would not take this
# machine's cores from the controller. lab_weight_low puts every process of the lab (each
# node's sshd and all it starts later) in a CPU cgroup of its own with the lowest weight,
# so they run on what the controller's processes leave; lab_weight_even moves them back
# beside everything else. (nice cannot do it: with the kernel's autogroups every ssh
# session is a session of its own, weighed as much as the controller's.) It needs root and
# the cpu controller, cgroup v1 (/sys/fs/cgroup/cpu, cpu.shares 2) or v2 (cpu.weight 1);
# without them lab_weight_low returns 1 with the reason in LAB_WEIGHT_WHY.
LAB_CG="" LAB_WEIGHT_WHY=""
lab_weight_low() {
	if [ -z "$LAB_CG" ]; then
		if [ -w /sys/fs/cgroup/cpu ] && [ -f /sys/fs/cgroup/cpu/cpu.shares ]; then
			LAB_CG=/sys/fs/cgroup/cpu/chimera-bench-lab
			mkdir -p "$LAB_CG" && echo 2 >"$LAB_CG/cpu.shares" || LAB_CG=""
		elif [ -w /sys/fs/cgroup ] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
			echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
			LAB_CG=/sys/fs/cgroup/chimera-bench-lab
			mkdir -p "$LAB_CG" && echo 1 >"$LAB_CG/cpu.weight" 2>/dev/null || LAB_CG=""
		fi
		if [ -z "$LAB_CG" ]; then
			LAB_WEIGHT_WHY="no writable cgroup cpu controller here (root and cgroup v1's cpu or v2's cpu.weight)"
			return 1
		fi
	fi
	for p in $(ch lab status --json | jq -r '.list[].pid'); do
		echo "$p" >"$LAB_CG/cgroup.procs" || die "cannot move lab node $p into $LAB_CG"
	done
}
# lab_cg_empty TO: move every process in LAB_CG to the cgroup directory TO (a few passes:
# a node may fork meanwhile).
lab_cg_empty() {
	i=0
	while [ -s "$LAB_CG/cgroup.procs" ] && [ "$i" -lt 10 ]; do
		for p in $(cat "$LAB_CG/cgroup.procs"); do echo "$p" >"$1/cgroup.procs" 2>/dev/null || true; done
		i=$((i + 1))
	done
}
lab_weight_even() {
	[ -n "$LAB_CG" ] || return 0
	lab_cg_empty "$(dirname "$LAB_CG")"
}
lab_weight_drop() {
	[ -n "$LAB_CG" ] || return 0
	lab_cg_empty "$(dirname "$LAB_CG")"
	rmdir "$LAB_CG" 2>/dev/null || true
	LAB_CG=""
}

# bench_closure NAME: $STATE/fresh.nix, a closure of three paths named NAME-TAG: a top
# derivation whose bin/activate writes TAG to /nix/var/chimera-NAME/activated, and two
# dependencies, for build.
bench_closure() {
	sed "s/@NAME@/$1/g" >"$STATE/fresh.nix" <<'EOF'
{ tag }:
let
  dep = n: derivation {
    name = "@NAME@-dep${n}-${tag}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "/bin/mkdir -p $out && echo '@NAME@ ${tag} dependency ${n}' > $out/data" ];
  };
in
derivation {
  name = "@NAME@-${tag}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  a = dep "1";
  b = dep "2";
  inherit tag;
  args = [ "-c" ''
    /bin/mkdir -p $out/bin
    /bin/ln -s $a $out/a
    /bin/ln -s $b $out/b
    {
      echo '#!/bin/sh'
      echo 'set -e'
      echo '/bin/mkdir -p /nix/var/chimera-@NAME@'
      echo 'echo '"$tag"' > /nix/var/chimera-@NAME@/activated'
    } > $out/bin/activate
    /bin/chmod +x $out/bin/activate
  '' ];
}
EOF
}
# build TAG: $STATE/fresh.nix (bench_closure's, or the bench's own, of CLOSURE_PATHS paths:
# 3 by default) built for TAG, its path printed. Tags with $RUN in them are new to the store.
RUN="$(date +%s%N)-$$"
build() {
	p=$(nix-build --no-out-link "$STATE/fresh.nix" --argstr tag "$1" 2>"$STATE/build-$1.log") ||
		die "nix-build of tag $1 failed: $(tail -n 5 "$STATE/build-$1.log")"
	[ "$(nix-store -qR "$p" | wc -l)" -eq "${CLOSURE_PATHS:-3}" ] || die "closure of $p is not ${CLOSURE_PATHS:-3} paths"
	echo "$p"
}
