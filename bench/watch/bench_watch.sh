#!/bin/sh
# Watch benchmark: chimera watch's warm rounds against a cold pdsh round of the same check,
# on the same lab nodes, in the same run.
#   watch: chimera watch --expect PATH --rounds ROUNDS --interval 1 --json (sessions stay open;
#          round 1 opens them and is reported apart as the cold round; the warm round is the
#          median "ms" of rounds 2..ROUNDS)
#   pdsh:  pdsh -R ssh -f 32 readlink -f PROFILE (cold, PDSH_RUNS times, median)
#   RSS:   the controller's rss_kb at round 2 and at round ROUNDS, and the growth between them;
#          its peak, both the largest rss_kb the rounds report and GNU time's %M
# Every node is first put on a 2-path closure built for this run (not timed). Prints the
# figures and the ratios beside their targets; it fails only when a command fails or watch's
# output is not what was asked for, never on a ratio.
# usage: bench/watch/bench_watch.sh [CHIMERA] [N...]   (default build/chimera, 200 nodes)
#        N or N_LIST="200 1000" in the environment also choose the node counts;
#        ROUNDS (default 50, at least 2) how many watch rounds;
#        PDSH_RUNS (default 3) how many cold pdsh rounds (median compared);
#        WATCH_RUNS (default 1) how many watch runs (the median warm round is compared);
#        BASELINE=PATH another chimera binary (an earlier build) whose watch runs beside each
#        of CHIMERA's on the same nodes (first in odd runs, second in even ones): its
#        figures and the ratio CHIMERA/BASELINE are printed.
set -eu
CHIMERA=${1:-build/chimera}
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then N_LIST="$*"; else N_LIST=${N_LIST:-${N:-200}}; fi
case "$CHIMERA" in /*) ;; *) CHIMERA="$(pwd)/$CHIMERA" ;; esac
STATE="$(pwd)/build/bench-watch-state"
BASE=${BENCH_WATCH_BASE:-153}
PROFILE=/nix/var/nix/profiles/system
PDSH_FANOUT=32
ROUNDS=${ROUNDS:-50}
PDSH_RUNS=${PDSH_RUNS:-3}
WATCH_RUNS=${WATCH_RUNS:-1}
BASELINE=${BASELINE:-}
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false')"
export NIX_CONFIG

BENCH=bench_watch
SECS_FMT=%.3f RATIO_FMT=%.3f
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"

for n in $N_LIST; do
	case "$n" in '' | *[!0-9]* | 0) die "not a node count: $n" ;; esac
done
[ -n "$N_LIST" ] || die "no node counts given"
case "$ROUNDS" in '' | *[!0-9]* | 0 | 1) die "ROUNDS must be a whole number of at least 2, not '$ROUNDS'" ;; esac
case "$PDSH_RUNS" in '' | *[!0-9]* | 0) die "PDSH_RUNS must be a whole number above 0, not '$PDSH_RUNS'" ;; esac
case "$WATCH_RUNS" in '' | *[!0-9]* | 0) die "WATCH_RUNS must be a whole number above 0, not '$WATCH_RUNS'" ;; esac
if [ -n "$BASELINE" ]; then
	case "$BASELINE" in /*) ;; *) BASELINE="$(pwd)/$BASELINE" ;; esac
	[ -x "$BASELINE" ] || die "BASELINE=$BASELINE is not an executable chimera binary"
fi
[ -x "$CHIMERA" ] || die "no chimera binary at $CHIMERA (build it: cmake --build build)"
for c in pdsh nix-build nix-store jq awk; do
	command -v "$c" >/dev/null 2>&1 ||
		die "$c not found; install it (sh scripts/deps.sh installs pdsh and nix-bin; jq is Debian's 'jq')"
done
pdsh -L 2>/dev/null | grep -q '^Module: rcmd/ssh' || die "pdsh has no ssh rcmd module (Debian's pdsh has it)"
"$CHIMERA" watch --help >/dev/null 2>&1 || die "$CHIMERA has no watch command"
if [ -n "$GNU_TIME" ]; then RSS_SRC="GNU time %M"; else RSS_SRC="VmHWM"; fi

bench_fresh_state

# A closure of two paths: a top derivation and one dependency; no activation script.
cat >"$STATE/fresh.nix" <<'EOF'
{ tag }:
let
  dep = derivation {
    name = "watch-dep-${tag}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "/bin/mkdir -p $out && echo 'watch ${tag} dependency' > $out/data" ];
  };
in
derivation {
  name = "watch-${tag}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  inherit dep tag;
  args = [ "-c" ''
    /bin/mkdir -p $out
    /bin/ln -s $dep $out/dep
    echo "$tag" > $out/tag
  '' ];
}
EOF
CLOSURE_PATHS=2

# run_watch BIN LABEL: BIN's watch, ROUNDS rounds back to back, one JSON object a line per
# round; sets watch_total, watch_rss, cold, warm, rss2, rssR, growth and peak_json.
run_watch() {
	OUT="$d/watch-$2.out" ERR="$d/watch-$2.err"
	t0=$(now)
	# shellcheck disable=SC2046 # the words of baseline_env
	measured $(baseline_env "$1") "$1" --state-dir "$STATE" watch -t @lab --expect "$path" \
		--rounds "$ROUNDS" --interval 1 --json
	t1=$(now)
	[ "$rc" -eq 0 ] || die "$2 watch exited $rc: $(tail -n 3 "$OUT") $(tail -n 3 "$ERR")"
	watch_total=$(secs "$t0" "$t1")
	watch_rss=$rss
	# One line per round: round ms nodes congruent rss_kb (a missing field shows as "null").
	jq -r 'select(type == "object" and has("round"))
		| [.round, .ms, .nodes, .congruent, .rss_kb] | map(tostring) | join(" ")' \
		<"$OUT" >"$d/rounds-$2" 2>"$d/jq-$2.err" ||
		die "$2 watch --json printed something jq cannot read: $(head -n 3 "$d/jq-$2.err")"
	got=$(wc -l <"$d/rounds-$2")
	[ "$got" -eq "$ROUNDS" ] || die "$2 watch printed $got rounds, not $ROUNDS"
	bad=$(awk -v n="$n" '
		$1 != NR { print "line " NR " is round " $1; exit }
		$2 !~ /^[0-9.]+$/ { print "round " $1 ": ms is " $2; exit }
		$5 !~ /^[0-9]+$/ { print "round " $1 ": rss_kb is " $5; exit }
		$3 != n || $4 != n { print "round " $1 ": " $4 " of " $3 " nodes congruent, not " n " of " n; exit }
	' "$d/rounds-$2")
	[ -z "$bad" ] || die "$2 watch, $n nodes: $bad"
	cold_ms=$(awk 'NR == 1 { print $2 }' "$d/rounds-$2")
	# shellcheck disable=SC2046 # one word per round
	warm_ms=$(median $(awk 'NR >= 2 { print $2 }' "$d/rounds-$2"))
	warm=$(echo "$warm_ms" | awk '{ printf "%.3f", $1 / 1000 }')
	cold=$(echo "$cold_ms" | awk '{ printf "%.3f", $1 / 1000 }')
	rss2=$(awk 'NR == 2 { print $5 }' "$d/rounds-$2")
	rssR=$(awk -v r="$ROUNDS" 'NR == r { print $5 }' "$d/rounds-$2")
	[ "$rss2" -gt 0 ] || die "$2 watch reports rss_kb 0 at round 2"
	growth=$(echo "$rss2 $rssR" | awk '{ printf "%.2f", ($2 - $1) * 100 / $1 }')
	peak_json=$(awk 'NR == 1 || $5 > m { m = $5 } END { print m }' "$d/rounds-$2")
}

# baseline_watch: BASELINE's watch (run_watch), its warm and cold rounds kept.
baseline_watch() {
	run_watch "$BASELINE" baseline
	bl_warm_all="$bl_warm_all $warm" bl_cold_all="$bl_cold_all $cold"
}

mb() { echo "$1" | awk '{ printf "%.1f", $1 / 1024 }'; }
ROWS=""
FIGS=""
for n in $N_LIST; do
	bench_lab "$n"

	# The configuration that watch and pdsh look for, deployed beforehand (not timed).
	path=$(build "watch-$RUN-$n")
	ch deploy -t @lab --expect "$path" --no-magic-rollback >"$d/deploy.out" 2>"$d/deploy.err" ||
		die "deploy of $path failed: $(tail -n 3 "$d/deploy.out") $(tail -n 3 "$d/deploy.err")"

	# 1. chimera watch, WATCH_RUNS times; with BASELINE, its watch beside each on the same
	# nodes, first in odd runs and second in even ones, so that neither side always follows.
	warm_all="" bl_warm_all="" bl_cold_all=""
	i=0
	while [ "$i" -lt "$WATCH_RUNS" ]; do
		i=$((i + 1))
		[ -n "$BASELINE" ] && [ $((i % 2)) -eq 1 ] && baseline_watch
		run_watch "$CHIMERA" chimera
		warm_all="$warm_all $warm"
		c_total=$watch_total c_rss=$watch_rss c_cold=$cold c_rss2=$rss2 c_rssR=$rssR c_growth=$growth c_peak=$peak_json
		[ -n "$BASELINE" ] && [ $((i % 2)) -eq 0 ] && baseline_watch
	done
	# chimera's figures of its last run, whatever ran after it
	watch_total=$c_total watch_rss=$c_rss cold=$c_cold rss2=$c_rss2 rssR=$c_rssR growth=$c_growth peak_json=$c_peak
	# shellcheck disable=SC2086 # one word per run
	warm=$(median $warm_all)

	# 2. pdsh over OpenSSH with the lab's keys, known_hosts and config; every run cold.
	pdsh_all=""
	i=0
	while [ "$i" -lt "$PDSH_RUNS" ]; do
		i=$((i + 1))
		t0=$(now)
		PDSH_RCMD_TYPE=ssh PDSH_SSH_ARGS="-F $cfg -o BatchMode=yes -x -l%u %h" \
			pdsh -R ssh -f $PDSH_FANOUT -w "$(paste -sd, "$d/hosts")" readlink -f "$PROFILE" \
			>"$d/pdsh.out" 2>"$d/pdsh.err" || die "pdsh failed: $(head -n 3 "$d/pdsh.err")"
		t1=$(now)
		pdsh_all="$pdsh_all $(secs "$t0" "$t1")"
		answered=$(grep -c ": $path\$" "$d/pdsh.out" || true)
		[ "$answered" -eq "$n" ] || die "pdsh: $answered of $n nodes answered $path: $(head -n 3 "$d/pdsh.err")"
	done
	# shellcheck disable=SC2086 # one word per run
	pdsh_med=$(median $pdsh_all)
	w_ratio=$(ratio "$warm" "$pdsh_med")
	if [ -n "$BASELINE" ]; then
		# shellcheck disable=SC2086 # one word per run
		bl_warm=$(median $bl_warm_all)
		BLFIGS="baseline $BASELINE watch warm round, $n nodes: $bl_warm s (median of runs:$bl_warm_all; cold rounds:$bl_cold_all)
baseline ratio warm round/pdsh, $n nodes: $(ratio "$bl_warm" "$pdsh_med")
chimera/baseline warm round, $n nodes: $(ratio "$warm" "$bl_warm")
"
	else
		BLFIGS=""
	fi

	ROWS="$ROWS$(printf '| %5s | %9s s | %9s s | %9s s | %5s | %8s MB | %8s MB | %6s %% | %8s MB | %8s MB |' \
		"$n" "$warm" "$cold" "$pdsh_med" "$w_ratio" "$(mb "$rss2")" "$(mb "$rssR")" "$growth" \
		"$(mb "$peak_json")" "$(mb "$watch_rss")")
"
	FIGS="${FIGS}lab up $n nodes: $up s
chimera watch warm round, $n nodes: $warm s (median of rounds 2..$ROUNDS; runs:$warm_all)
chimera watch cold round (round 1), $n nodes: $cold s
chimera watch, $ROUNDS rounds, $n nodes: $watch_total s in all
pdsh -f $PDSH_FANOUT readlink, $n nodes: $pdsh_med s (median of$pdsh_all)
ratio warm round/pdsh, $n nodes: $w_ratio (target <= 0.04)
${BLFIGS}chimera watch RSS, $n nodes: $(mb "$rss2") MB at round 2, $(mb "$rssR") MB at round $ROUNDS
chimera watch RSS growth round 2..$ROUNDS, $n nodes: $growth % (target < 5 %)
chimera watch peak RSS, $n nodes: $(mb "$peak_json") MB (largest rss_kb), $(mb "$watch_rss") MB ($RSS_SRC)
"
	if [ "$n" -ge 1000 ]; then
		FIGS="${FIGS}chimera watch warm round, $n nodes: $warm s (target < 2.5 s)
chimera watch peak RSS, $n nodes: $(mb "$peak_json") MB (largest rss_kb), $(mb "$watch_rss") MB ($RSS_SRC) (target < 64 MB)
"
	fi
	t0=$(now)
	ch lab down -q
	t1=$(now)
	FIGS="${FIGS}lab down $n nodes: $(secs "$t0" "$t1") s
"
done

echo "watch benchmark, $(nproc) cores; chimera watch keeps its sessions open ($ROUNDS rounds, --interval 1: back to back while a round takes longer), pdsh connects anew each run"
echo "| nodes | warm round  | cold round  | pdsh -f $PDSH_FANOUT  | ratio | RSS round 2 | RSS round $ROUNDS | growth | peak rss_kb | peak (time) |"
echo "|------:|------------:|------------:|------------:|------:|------------:|------------:|-------:|------------:|------------:|"
printf '%s' "$ROWS"
echo "targets: ratio warm round/pdsh <= 0.04, RSS growth < 5 %; at 1000 nodes and more, warm round < 2.5 s and peak RSS < 64 MB"
printf '%s' "$FIGS"
ok=1
