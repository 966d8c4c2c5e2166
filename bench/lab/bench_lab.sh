#!/bin/sh
# Lab benchmark: time to start and stop N lab nodes, and one command on all of them through
# chimera exec against the same command through parallel OpenSSH clients, in the same run.
# usage: bench/lab/bench_lab.sh [CHIMERA] [N]   (default build/chimera, 200 nodes)
set -eu
CHIMERA=${1:-build/chimera}
N=${2:-200}
case "$CHIMERA" in /*) ;; *) CHIMERA="$(pwd)/$CHIMERA" ;; esac
STATE="$(pwd)/build/bench-lab-state"
BASE=${BENCH_LAB_BASE:-151}
PAR=64
ch() { "$CHIMERA" --state-dir "$STATE" "$@"; }
now() { date +%s%N; }
secs() { echo "$1 $2" | awk '{ printf "%.2f", ($2 - $1) / 1e9 }'; }

ch lab down -q 2>/dev/null || true
rm -rf "$STATE"

t0=$(now); ch lab up "$N" --base "$BASE" -q; t1=$(now)
alive=$(ch lab status | tail -n 1)
up=$(secs "$t0" "$t1")
# Where the node files are (STATE/lab/nodes, or /var/lib/chimera when STATE is under /tmp or /root).
ROOT=$(ch lab status --json | jq -r .root)

# One connection per node each way, at most $PAR at once.
t0=$(now); ch exec -t @lab --parallel $PAR -q -- true > "$STATE/exec.out"; t1=$(now)
chimera_exec=$(secs "$t0" "$t1")
ok=$(tail -n 1 "$STATE/exec.out")

ch lab targets | tr ',' '\n' | sed 's/^root@//; s/:22$//' > "$STATE/hosts"
t0=$(now)
xargs -P $PAR -I{} ssh -F "$STATE/lab/ssh_config" -o BatchMode=yes {} true < "$STATE/hosts"
t1=$(now)
openssh_exec=$(secs "$t0" "$t1")

t0=$(now); ch lab down -q; t1=$(now)
down=$(secs "$t0" "$t1")
left=$(ps -eo stat=,args= | awk -v p="$ROOT" '$1 !~ /^Z/ && index($0, p) > 0' | grep -vc awk || true)
mounts=$(grep -l "$ROOT" /proc/[0-9]*/mountinfo 2>/dev/null | wc -l)

ratio=$(echo "$openssh_exec $chimera_exec" | awk '{ printf "%.2f", $1 / $2 }')
row() { printf '  %-34s %8s s   %s\n' "$1" "$2" "$3"; }
echo "lab benchmark, $N nodes, $(nproc) cores"
row "lab up $N" "$up" "($alive)"
row "chimera exec true (--parallel $PAR)" "$chimera_exec" "($ok)"
row "ssh true via xargs -P $PAR" "$openssh_exec" ""
printf '  %-34s %8sx\n' "OpenSSH time / chimera time" "$ratio"
row "lab down" "$down" "(live processes left: $left, mounts left: $mounts)"
rm -rf "$STATE"
[ "$left" -eq 0 ] && [ "$mounts" -eq 0 ]
