#!/bin/sh
# Fan-out benchmark: chimera against the usual tools on the same lab nodes, in the same run.
#   status: chimera status --expect PATH  vs  pdsh -R ssh -f 32 readlink -f PROFILE
#           (STATUS_RUNS rounds each, alternating; medians compared)
#   deploy: chimera deploy --expect PATH --parallel 64 --no-magic-rollback  vs  a colmena-style script
#           (10 nodes at a time: nix-copy-closure --to, then ssh nix-env --set && activate);
#           then chimera deploy with its defaults (magic rollback: a second connection per
#           node to confirm), reported beside it
# Every connection is new (cold). Each deploy copies a fresh 3-path closure to every node
# (different closures, made for this run, so none finds anything on the nodes), built on the
# controller beforehand so build time is in neither figure. Prints the figures and the ratios
# beside their targets; it fails only when a command fails, never on a ratio.
# usage: bench/fanout/bench_fanout.sh [CHIMERA] [N...]   (default build/chimera, 200 nodes)
#        N or N_LIST="200 1000" in the environment also choose the node counts;
#        STATUS_RUNS (default 3) how many cold status rounds each side gets (medians compared);
#        DEPLOY_RUNS (default 1) how many deploy rounds each side gets (medians compared);
#        BASELINE=PATH another chimera binary (an earlier build) measured in the same rounds
#        on the same nodes, beside CHIMERA (first in odd rounds, second in even ones): its
#        figures and the ratio CHIMERA/BASELINE of each measure are printed.
set -eu
CHIMERA=${1:-build/chimera}
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then N_LIST="$*"; else N_LIST=${N_LIST:-${N:-200}}; fi
case "$CHIMERA" in /*) ;; *) CHIMERA="$(pwd)/$CHIMERA" ;; esac
STATE="$(pwd)/build/bench-fanout-state"
BASE=${BENCH_FANOUT_BASE:-152}
PROFILE=/nix/var/nix/profiles/system
PAR=64        # chimera deploy --parallel
PDSH_FANOUT=32
SCRIPT_PAR=10 # colmena's default --parallel
STATUS_RUNS=${STATUS_RUNS:-3} # status rounds per side; the medians are compared
DEPLOY_RUNS=${DEPLOY_RUNS:-1} # deploy rounds per side; the medians are compared
BASELINE=${BASELINE:-}
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false')"
export NIX_CONFIG

BENCH=bench_fanout
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"

for n in $N_LIST; do
	case "$n" in '' | *[!0-9]*) die "not a node count: $n" ;; esac
done
case "$STATUS_RUNS" in '' | *[!0-9]* | 0) die "STATUS_RUNS must be a whole number above 0, not '$STATUS_RUNS'" ;; esac
case "$DEPLOY_RUNS" in '' | *[!0-9]* | 0) die "DEPLOY_RUNS must be a whole number above 0, not '$DEPLOY_RUNS'" ;; esac
if [ -n "$BASELINE" ]; then
	case "$BASELINE" in /*) ;; *) BASELINE="$(pwd)/$BASELINE" ;; esac
	[ -x "$BASELINE" ] || die "BASELINE=$BASELINE is not an executable chimera binary"
fi
[ -x "$CHIMERA" ] || die "no chimera binary at $CHIMERA (build it: cmake --build build)"
for c in pdsh nix-copy-closure nix-build nix-env ssh xargs; do
	command -v "$c" >/dev/null 2>&1 ||
		die "$c not found; install it (sh scripts/deps.sh installs pdsh, nix-bin and openssh-client)"
done
pdsh -L 2>/dev/null | grep -q '^Module: rcmd/ssh' || die "pdsh has no ssh rcmd module (Debian's pdsh has it)"

bench_fresh_state
bench_closure fanout

# What colmena does per node by default (10 nodes at once): copy the closure, then set the
# profile and activate, the way chimera's --activate auto does for a closure with bin/activate.
cat >"$STATE/colmena_one.sh" <<'EOF'
#!/bin/sh
# usage: colmena_one.sh SSH_CONFIG PROFILE PATH HOST
set -eu
NIX_SSHOPTS="-F $1 -o BatchMode=yes" nix-copy-closure --to "root@$4" "$3"
ssh -F "$1" -o BatchMode=yes "root@$4" "nix-env -p $2 --set $3 && $3/bin/activate"
EOF


# congruent PATH N LABEL: chimera status says all N nodes are on PATH
congruent() {
	ch status -t @lab --expect "$1" >"$STATE/verify-$3.out" 2>"$STATE/verify-$3.err" ||
		die "after $3, not every node is on $1: $(grep -v congruent "$STATE/verify-$3.out" | head -n 5)"
	tail -n 1 "$STATE/verify-$3.out" | grep -q "^$2 nodes: $2 congruent" ||
		die "after $3: $(tail -n 1 "$STATE/verify-$3.out")"
}

# timed_status BIN LABEL: BIN status finds all n nodes on $base; sets took (seconds).
timed_status() {
	OUT="$d/status-$2.out" ERR="$d/status-$2.err"
	t0=$(now)
	# shellcheck disable=SC2046 # the words of baseline_env
	measured $(baseline_env "$1") "$1" --state-dir "$STATE" status -t @lab --expect "$base"
	t1=$(now)
	[ "$rc" -eq 0 ] || die "$2 status exited $rc: $(tail -n 3 "$OUT")"
	tail -n 1 "$OUT" | grep -q "^$n nodes: $n congruent" || die "$2 status: $(tail -n 1 "$OUT")"
	took=$(secs "$t0" "$t1")
}

# timed_deploy BIN LABEL [OPTION]: BIN deploys a fresh closure (built first, not timed) to
# all n nodes, checked afterwards; sets took (seconds) and rss (peak KiB).
timed_deploy() {
	fresh=$(build "$2-$RUN-$n")
	OUT="$d/deploy-$2.out" ERR="$d/deploy-$2.err"
	t0=$(now)
	# shellcheck disable=SC2046 # the words of baseline_env
	measured $(baseline_env "$1") "$1" --state-dir "$STATE" deploy -t @lab --expect "$fresh" --parallel $PAR ${3:+"$3"}
	t1=$(now)
	[ "$rc" -eq 0 ] || die "$2 deploy exited $rc: $(tail -n 3 "$OUT")"
	took=$(secs "$t0" "$t1")
	congruent "$fresh" "$n" "$2-deploy-$n"
}

# baseline_deploys: BASELINE's two deploys of a round, their times kept.
baseline_deploys() {
	timed_deploy "$BASELINE" "baseline-$i" --no-magic-rollback
	dp_bl_all="$dp_bl_all $took"
	timed_deploy "$BASELINE" "baseline-magic-$i"
	mg_bl_all="$mg_bl_all $took"
}

ROWS=""
FIGS=""
for n in $N_LIST; do
	bench_lab "$n"

	# The configuration that status looks for, deployed beforehand (not timed).
	base=$(build "base-$RUN-$n")
	ch deploy -t @lab --expect "$base" --parallel $PAR >"$d/deploy-base.out" 2>"$d/deploy-base.err" ||
		die "deploy of $base failed: $(tail -n 3 "$d/deploy-base.out")"

	# 1. Status, STATUS_RUNS times each, alternating; every run is cold (new sessions,
	# new processes), and each side's median is compared.
	st_ch_all="" st_pdsh_all="" st_bl_all=""
	i=0
	while [ "$i" -lt "$STATUS_RUNS" ]; do
		i=$((i + 1))
		# 1a. chimera status, one new SSH session per node (BASELINE's beside it: first in
		# odd rounds, second in even ones).
		if [ -n "$BASELINE" ] && [ $((i % 2)) -eq 1 ]; then
			timed_status "$BASELINE" baseline
			st_bl_all="$st_bl_all $took"
		fi
		timed_status "$CHIMERA" chimera
		st_ch_all="$st_ch_all $took"
		if [ -n "$BASELINE" ] && [ $((i % 2)) -eq 0 ]; then
			timed_status "$BASELINE" baseline
			st_bl_all="$st_bl_all $took"
		fi

		# 1b. pdsh over OpenSSH with the lab's keys, known_hosts and config.
		t0=$(now)
		PDSH_RCMD_TYPE=ssh PDSH_SSH_ARGS="-F $cfg -o BatchMode=yes -x -l%u %h" \
			pdsh -R ssh -f $PDSH_FANOUT -w "$(paste -sd, "$d/hosts")" readlink -f "$PROFILE" \
			>"$d/pdsh.out" 2>"$d/pdsh.err" || die "pdsh failed: $(head -n 3 "$d/pdsh.err")"
		t1=$(now)
		st_pdsh_all="$st_pdsh_all $(secs "$t0" "$t1")"
		answered=$(grep -c ": $base\$" "$d/pdsh.out" || true)
		[ "$answered" -eq "$n" ] || die "pdsh: $answered of $n nodes answered $base: $(head -n 3 "$d/pdsh.err")"
	done
	# shellcheck disable=SC2086 # one word per run
	st_ch=$(median $st_ch_all)
	# shellcheck disable=SC2086 # one word per run
	st_pdsh=$(median $st_pdsh_all)
	st_ratio=$(ratio "$st_ch" "$st_pdsh")

	# 2. DEPLOY_RUNS rounds, each with fresh closures built now (one per deploy): chimera
	# doing what the script does (copy, switch, activate; no magic rollback, which colmena
	# does not have), chimera with its defaults (magic rollback confirms every node over a
	# second, new connection), BASELINE's two deploys beside them when there is one (first
	# in odd rounds, second in even ones), then the
	# colmena-style script, $SCRIPT_PAR nodes at a time.
	dp_ch_all="" dp_mg_all="" dp_sc_all="" dp_bl_all="" mg_bl_all="" dp_rss=0
	i=0
	while [ "$i" -lt "$DEPLOY_RUNS" ]; do
		i=$((i + 1))
		[ -n "$BASELINE" ] && [ $((i % 2)) -eq 1 ] && baseline_deploys
		timed_deploy "$CHIMERA" "chimera-$i" --no-magic-rollback
		dp_ch_all="$dp_ch_all $took"
		[ "$rss" -gt "$dp_rss" ] && dp_rss=$rss
		timed_deploy "$CHIMERA" "magic-$i"
		dp_mg_all="$dp_mg_all $took"
		[ -n "$BASELINE" ] && [ $((i % 2)) -eq 0 ] && baseline_deploys

		fresh_sc=$(build "script-$i-$RUN-$n")
		t0=$(now)
		xargs -P $SCRIPT_PAR -I{} sh "$STATE/colmena_one.sh" "$cfg" "$PROFILE" "$fresh_sc" {} \
			<"$d/hosts" >"$d/script.out" 2>"$d/script.err" || die "colmena-style script failed: $(tail -n 3 "$d/script.err")"
		t1=$(now)
		dp_sc_all="$dp_sc_all $(secs "$t0" "$t1")"
		congruent "$fresh_sc" "$n" "script-deploy-$i-$n"
	done
	# shellcheck disable=SC2086 # one word per run
	{
		dp_ch=$(median $dp_ch_all)
		dp_mg=$(median $dp_mg_all)
		dp_sc=$(median $dp_sc_all)
	}
	dp_rss=$(echo "$dp_rss" | awk '{ printf "%.1f", $1 / 1024 }')
	dp_ratio=$(ratio "$dp_ch" "$dp_sc")
	mg_ratio=$(ratio "$dp_mg" "$dp_sc")
	BLFIGS=""
	if [ -n "$BASELINE" ]; then
		# shellcheck disable=SC2086 # one word per run
		{
			st_bl=$(median $st_bl_all)
			dp_bl=$(median $dp_bl_all)
			mg_bl=$(median $mg_bl_all)
		}
		BLFIGS="baseline $BASELINE status, $n nodes: $st_bl s (median of$st_bl_all; ratio to pdsh $(ratio "$st_bl" "$st_pdsh"))
baseline deploy --no-magic-rollback, $n nodes: $dp_bl s (median of$dp_bl_all; ratio to script $(ratio "$dp_bl" "$dp_sc"))
baseline deploy with magic rollback, $n nodes: $mg_bl s (median of$mg_bl_all; ratio to script $(ratio "$mg_bl" "$dp_sc"))
chimera/baseline, $n nodes: status $(ratio "$st_ch" "$st_bl"), deploy $(ratio "$dp_ch" "$dp_bl"), deploy with magic rollback $(ratio "$dp_mg" "$mg_bl")
"
	fi

	ROWS="$ROWS$(printf '| %5s | %12s s | %17s s | %5s | %12s s | %18s s | %5s | %13s MB |' \
		"$n" "$st_ch" "$st_pdsh" "$st_ratio" "$dp_ch" "$dp_sc" "$dp_ratio" "$dp_rss")
"
	FIGS="${FIGS}lab up $n nodes: $up s
chimera status, $n nodes: $st_ch s (median of$st_ch_all)
pdsh -f $PDSH_FANOUT readlink, $n nodes: $st_pdsh s (median of$st_pdsh_all)
status ratio chimera/pdsh, $n nodes: $st_ratio (target <= 0.2)
chimera deploy --parallel $PAR --no-magic-rollback, $n nodes: $dp_ch s (median of$dp_ch_all)
colmena-style script (-P $SCRIPT_PAR), $n nodes: $dp_sc s (median of$dp_sc_all)
deploy ratio chimera/script, $n nodes: $dp_ratio (target <= 0.3)
chimera deploy --parallel $PAR with magic rollback (the default), $n nodes: $dp_mg s (median of$dp_mg_all; ratio $mg_ratio)
chimera deploy peak RSS, $n nodes: $dp_rss MB (target < 100 MB)
$BLFIGS"
	t0=$(now)
	ch lab down -q
	t1=$(now)
	FIGS="${FIGS}lab down $n nodes: $(secs "$t0" "$t1") s
"
done

echo "fan-out benchmark, $(nproc) cores, cold connections; deploys copy a fresh 3-path closure to every node"
echo "| nodes | chimera status | pdsh -f $PDSH_FANOUT readlink | ratio | chimera deploy | colmena-style script | ratio | chimera peak RSS |"
echo "|------:|---------------:|-------------------:|------:|---------------:|---------------------:|------:|-----------------:|"
printf '%s' "$ROWS"
echo "targets: status ratio <= 0.2, deploy ratio <= 0.3, peak RSS < 100 MB (ratio = chimera time / other time)"
printf '%s' "$FIGS"
ok=1
