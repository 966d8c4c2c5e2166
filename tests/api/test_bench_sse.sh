#!/bin/sh
# bench_sse (bench/api/sse_clients.c), the SSE client of bench/api/bench_api.sh, against a
# fake stream (sse_fake_server.py): chunked frames cut inside lines, CRLF and LF lines, a
# keepalive; three subscribers, one with every event, one missing one, one with one twice.
# Its figures must say so: 1 complete, 1 gapped, 1 duplicated, the event no one got missing,
# every frame's delay at least the 40 ms the fake server dates its events back; a wrong
# token is refused; --duration ends a run by itself.
# usage: BENCH_SSE=build/bench_sse sh tests/api/test_bench_sse.sh
set -eu
BENCH_SSE=${BENCH_SSE:-build/bench_sse}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/test_bench_sse.XXXXXX")
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
[ -x "$BENCH_SSE" ] || fail "no bench_sse at $BENCH_SSE"

python3 "$here/sse_fake_server.py" "$work/port" tok123 &
pid=$!
i=0
while [ ! -s "$work/port" ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || fail "the fake server did not start"
	sleep 0.1
done
url="http://127.0.0.1:$(cat "$work/port")"
# figure KEY: one KEY=VALUE of the figures line
figure() { tail -n 1 "$work/out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
expect() {
	got=$(figure "$1")
	[ "$got" = "$2" ] || fail "$1=$got, expected $2 ($(tail -n 1 "$work/out"))"
}

# 1. Three subscribers (the server's plans in the order they connect), the last seq on stdin.
(sleep 1 && echo 7) | "$BENCH_SSE" "$url" tok123 3 --after 0 --grace 10 --trace "$work/trace" >"$work/out" 2>"$work/err" ||
	true # exit 1 is expected: the figures say what went wrong
[ "$(head -n 1 "$work/out")" = "ready 3" ] || fail "expected 'ready 3' first: $(cat "$work/out" "$work/err")"
expect subscribers 3
expect connected 3
expect failed 0
expect dropped 0
expect frames 18
expect undated 0
expect seqs 6
expect first 1
expect last 7
expect complete 1
expect gapped 1
expect duplicated 1
expect missing 1
p50=$(figure p50_ms) max=$(figure max_ms)
if [ "$p50" -lt 40 ] || [ "$max" -ge 5000 ]; then
	fail "delays p50 $p50 ms, max $max ms: expected 40 ms and more, under 5 s"
fi
[ "$(wc -l <"$work/trace")" -ge 5 ] || fail "the trace has $(wc -l <"$work/trace") lines"
awk '$4 != $3 - $2 || $4 < 40 { exit 1 }' "$work/trace" || fail "trace lines are not 'seq append delivery delay': $(head -n 2 "$work/trace")"

# 2. A wrong token: every subscriber refused, named, exit 1.
rc=0
"$BENCH_SSE" "$url" wrong 2 --after 0 --duration 1 </dev/null >"$work/out" 2>"$work/err" || rc=$?
[ "$rc" -eq 1 ] || fail "a refused run exited $rc, not 1"
expect connected 0
expect failed 2
grep -q "401" "$work/err" || fail "the error does not quote the answer: $(cat "$work/err")"

# 3. --duration: ends by itself, exit 0 when every subscriber stayed.
"$BENCH_SSE" "$url" tok123 3 --after 0 --duration 1 </dev/null >"$work/out" 2>"$work/err" ||
	fail "a --duration run failed: $(cat "$work/out" "$work/err")"
expect connected 3
expect dropped 0

# 4. Bad usage is named.
rc=0
"$BENCH_SSE" "https://127.0.0.1:1" t 1 2>"$work/err" || rc=$?
[ "$rc" -eq 2 ] || fail "a bad URL: exit $rc, not 2"
grep -q "expected http://IPV4:PORT" "$work/err" || fail "a bad URL: $(cat "$work/err")"
echo "test_bench_sse: ok"
