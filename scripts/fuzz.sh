#!/bin/sh
# Runs every libFuzzer target built in BUILD/fuzz for SECONDS each, one after the other (or
# FUZZ_JOBS at a time), and goes on after a target crashes: a crash in one parser must not hide the others. Ends with a
# table (target, seconds, executions, exec/s, crashes) and exits 1 when any target crashed
# or could not run, naming the inputs that crashed it (kept under BUILD/artifacts).
# usage: [FUZZ_JOBS=N] scripts/fuzz.sh BUILD SECONDS NAME...
set -u
[ $# -ge 3 ] || { echo "usage: scripts/fuzz.sh BUILD SECONDS NAME..." >&2; exit 2; }
BUILD=$1 SECONDS_EACH=$2
shift 2
case "$SECONDS_EACH" in '' | *[!0-9]* | 0) echo "fuzz: FUZZ_SECONDS must be a whole number above 0, not '$SECONDS_EACH'" >&2; exit 2 ;; esac
mkdir -p "$BUILD/corpus" "$BUILD/artifacts"

# One target: its seeds, then libFuzzer for SECONDS_EACH; its table row in BUILD/fuzz-NAME.row,
# and BUILD/fuzz-NAME.bad when it crashed or could not run.
run_one() {
	n=$1
	log="$BUILD/fuzz-$n.log"
	rm -f "$BUILD/artifacts/$n-"* "$BUILD/fuzz-$n.row" "$BUILD/fuzz-$n.bad"
	if ! "$BUILD/fuzz/${n}_replay" --write-seeds "$BUILD/corpus/$n" >"$log" 2>&1; then
		echo "fuzz: $n: writing its seeds failed: $(tail -n 3 "$log")" >&2
		printf '| %-16s | %7s | %12s | %8s | %7s |\n' "$n" - - - "no run" >"$BUILD/fuzz-$n.row"
		: >"$BUILD/fuzz-$n.bad"
		return
	fi
	echo "fuzz: $n for ${SECONDS_EACH}s"
	t0=$(date +%s)
	rc=0
	"$BUILD/fuzz/$n" -max_total_time="$SECONDS_EACH" -max_len=4096 -print_final_stats=1 \
		-artifact_prefix="$BUILD/artifacts/$n-" "$BUILD/corpus/$n" 2>"$log" || rc=$?
	t1=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	[ -n "$rate" ] || rate=$(sed -n 's/^#[0-9].* exec\/s: \([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
	crashes=$(find "$BUILD/artifacts" -name "$n-*" -type f | wc -l)
	if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
		: >"$BUILD/fuzz-$n.bad"
		[ "$crashes" -gt 0 ] || crashes="exit $rc"
		echo "fuzz: $n crashed (exit $rc); the log's end:" >&2
		tail -n 40 "$log" >&2
		find "$BUILD/artifacts" -name "$n-*" -type f | sed 's/^/fuzz: crashing input: /' >&2
	fi
	printf '| %-16s | %7s | %12s | %8s | %7s |\n' "$n" "$((t1 - t0))" "${execs:-?}" "${rate:-?}" "$crashes" \
		>"$BUILD/fuzz-$n.row"
}

# FUZZ_JOBS targets at a time (default 1: each has the machine to itself, as the figures assume).
JOBS=${FUZZ_JOBS:-1}
case "$JOBS" in '' | *[!0-9]* | 0) echo "fuzz: FUZZ_JOBS must be a whole number above 0, not '$JOBS'" >&2; exit 2 ;; esac
running=0
for n in "$@"; do
	run_one "$n" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait
		running=0
	fi
done
wait

ROWS=""
bad=0
for n in "$@"; do
	ROWS="$ROWS$(cat "$BUILD/fuzz-$n.row" 2>/dev/null || printf '| %-16s | %7s | %12s | %8s | %7s |' "$n" - - - "no run")
"
	if [ -e "$BUILD/fuzz-$n.bad" ] || [ ! -e "$BUILD/fuzz-$n.row" ]; then bad=1; fi
done

echo "| target           | seconds |   executions |   exec/s | crashes |"
echo "|------------------|--------:|-------------:|---------:|--------:|"
printf '%s' "$ROWS"
if [ "$bad" -ne 0 ]; then
	echo "fuzz: some targets crashed or did not run (above); inputs in $BUILD/artifacts" >&2
	exit 1
fi
echo "fuzz: every target ran, no crash"
