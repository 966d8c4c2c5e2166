#!/bin/sh
# A/B of two chimera builds on one fan-out deploy, nothing else: on the same lab nodes, ROUNDS
# rounds, each a deploy of a fresh 3-path closure by BASELINE and then by CHIMERA (the order
# alternates round by round), both with MODE's options. Prints every figure, each side's
# median and the ratio CHIMERA/BASELINE. For a hot-path change whose effect is smaller than
# the noise between separate bench_fanout runs; bench_fanout stays the figure against peers.
# usage: bench/fanout/compare_deploy.sh CHIMERA BASELINE [N]   (default 200 nodes)
#        ROUNDS (default 5); MODE=plain (--no-magic-rollback, the default) or magic.
set -eu
[ $# -ge 2 ] || { echo "usage: bench/fanout/compare_deploy.sh CHIMERA BASELINE [N]" >&2; exit 2; }
CHIMERA=$1 BASELINE=$2 N=${3:-200}
case "$CHIMERA" in /*) ;; *) CHIMERA="$(pwd)/$CHIMERA" ;; esac
case "$BASELINE" in /*) ;; *) BASELINE="$(pwd)/$BASELINE" ;; esac
STATE="$(pwd)/build/bench-compare-state"
BASE=${BENCH_COMPARE_BASE:-154}
ROUNDS=${ROUNDS:-5}
MODE=${MODE:-plain}
PAR=64
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false')"
export NIX_CONFIG

BENCH=compare_deploy
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"

case "$N" in '' | *[!0-9]* | 0) die "not a node count: $N" ;; esac
case "$ROUNDS" in '' | *[!0-9]* | 0) die "ROUNDS must be a whole number above 0, not '$ROUNDS'" ;; esac
case "$MODE" in plain) OPT=--no-magic-rollback ;; magic) OPT="" ;; *) die "MODE must be plain or magic, not '$MODE'" ;; esac
[ -x "$CHIMERA" ] || die "no chimera binary at $CHIMERA"
[ -x "$BASELINE" ] || die "no baseline binary at $BASELINE"

bench_fresh_state
bench_closure compare

# one BIN LABEL: BIN deploys a fresh closure to every node, checked after; sets took.
one() {
	fresh=$(build "$2-$RUN")
	OUT="$d/$2.out" ERR="$d/$2.err"
	t0=$(now)
	# shellcheck disable=SC2046,SC2086 # the words of baseline_env; OPT is one word or none
	measured $(baseline_env "$1") "$1" --state-dir "$STATE" deploy -t @lab --expect "$fresh" --parallel $PAR $OPT
	t1=$(now)
	[ "$rc" -eq 0 ] || die "$2 deploy exited $rc: $(tail -n 3 "$OUT")"
	ch status -t @lab --expect "$fresh" >"$d/verify-$2.out" 2>&1 || die "after $2, not every node is on $fresh"
	took=$(secs "$t0" "$t1")
}

bench_lab "$N"
ch deploy -t @lab --expect "$(build "base-$RUN")" --parallel $PAR --no-magic-rollback >"$d/base.out" 2>&1 ||
	die "the first deploy failed: $(tail -n 3 "$d/base.out")"
ch_all="" bl_all=""
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	i=$((i + 1))
	if [ $((i % 2)) -eq 1 ]; then
		one "$BASELINE" "baseline-$i"; bl_all="$bl_all $took"
		one "$CHIMERA" "chimera-$i"; ch_all="$ch_all $took"
	else
		one "$CHIMERA" "chimera-$i"; ch_all="$ch_all $took"
		one "$BASELINE" "baseline-$i"; bl_all="$bl_all $took"
	fi
done
# shellcheck disable=SC2086 # one word per round
{
	ch_med=$(median $ch_all)
	bl_med=$(median $bl_all)
}
echo "deploy A/B, $N nodes, $ROUNDS rounds, mode $MODE, $(nproc) cores"
echo "chimera  $CHIMERA: median $ch_med s (rounds:$ch_all)"
echo "baseline $BASELINE: median $bl_med s (rounds:$bl_all)"
echo "chimera/baseline deploy ($MODE), $N nodes: $(ratio "$ch_med" "$bl_med")"
ok=1
