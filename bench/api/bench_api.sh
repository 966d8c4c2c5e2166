#!/bin/sh
# API benchmark: chimera serve's figures from issue 17, each beside its target and a peer
# measured in the same run, on N lab nodes named in a chimera.toml.
#   GET:  wrk -t2 -c50 -d${WRK_SECS}s --latency on GET /api/v1/status, the N machines' state
#         from the ledger (put there by one `chimera status`; the server caches the answer per
#         ledger head, so this is the warm figure), against the same wrk on the server's own
#         GET /api/v1/health (no token, no ledger: the HTTP layer's ceiling). No static C
#         server is on this machine without an install (python3 -m http.server is too slow to
#         mean anything), so there is no outside peer: the ceiling only. Also printed: the
#         body's size (and as compact JSON), and the server's CPU seconds during each wrk.
#   SSE:  bench_sse (bench/api/sse_clients.c) holds SUBS subscribers to /api/v1/events/stream
#         (all from the same seq) while `chimera deploy` puts a fresh closure on DEPLOY_N of
#         the nodes from the CLI: delay from an event's append (its "time") to its delivery,
#         p50, p99 and max over every subscriber and frame, and how many subscribers got every
#         event, each once and in order; the CPU seconds of the server, of bench_sse and
#         of the whole machine meanwhile. Twice: first with the lab's processes in a CPU
#         cgroup of the lowest weight (lab_weight_low in bench/lib.sh: the nodes stand in for
#         other machines, which take none of the controller's cores; the target's
#         condition), then with them beside the server as equals (on 2 cores, 200 nodes' ssh
#         sessions, each weighed as much as the server, leave it a small share). Each is the
#         other's peer.
#   RSS:  serve with its watch on the N machines (each on a configuration: a Nix file that
#         evaluates to the closure they are on) --interval 10 and WATCH_SUBS subscribers:
#         VmRSS and VmHWM after round 3 (GET /api/v1/watch .round >= 3). Peer: `chimera watch`
#         alone on the same machines (--rounds 3 --interval 10 --json: its rss_kb at round 3,
#         and its peak); the difference is the cost of serving. The subscribers' delays are
#         printed too, the first one's event by event.
# Prints the figures, their targets and the ratios; it fails only when a command fails or an
# output is not what was asked for, never on a figure.
# usage: bench/api/bench_api.sh [CHIMERA] [N...]   (default build/chimera, 1000 nodes)
#        N or N_LIST="200 1000" in the environment also choose the node counts (N=200: a
#        quick run); BENCH_SSE the bench_sse binary (default: beside CHIMERA);
#        SUBS (1000) SSE subscribers during the deploy, DEPLOY_N (200) nodes it deploys to
#        (at most N), WATCH_SUBS (100) subscribers during the watch, WRK_SECS (10) each wrk
#        run's length, BENCH_API_BASE (155) the lab's octet.
# Take /tmp/chimera-e2e.lock around it (flock /tmp/chimera-e2e.lock sh bench/api/...) so it
# does not run beside the e2e tests' labs.
set -eu
CHIMERA=${1:-build/chimera}
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then N_LIST="$*"; else N_LIST=${N_LIST:-${N:-1000}}; fi
case "$CHIMERA" in /*) ;; *) CHIMERA="$(pwd)/$CHIMERA" ;; esac
BENCH_SSE=${BENCH_SSE:-$(dirname "$CHIMERA")/bench_sse}
case "$BENCH_SSE" in /*) ;; *) BENCH_SSE="$(pwd)/$BENCH_SSE" ;; esac
STATE="$(pwd)/build/bench-api-state"
BASE=${BENCH_API_BASE:-155}
SUBS=${SUBS:-1000}
DEPLOY_N=${DEPLOY_N:-200}
WATCH_SUBS=${WATCH_SUBS:-100}
WRK_SECS=${WRK_SECS:-10}
WATCH_ROUNDS=3
INTERVAL=10
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false')"
export NIX_CONFIG

BENCH=bench_api
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"

for n in $N_LIST; do
	case "$n" in '' | *[!0-9]* | 0) die "not a node count: $n" ;; esac
done
[ -n "$N_LIST" ] || die "no node counts given"
whole() { case "$2" in '' | *[!0-9]* | 0) die "$1 must be a whole number above 0, not '$2'" ;; esac; }
whole SUBS "$SUBS"
whole DEPLOY_N "$DEPLOY_N"
whole WATCH_SUBS "$WATCH_SUBS"
whole WRK_SECS "$WRK_SECS"
[ -x "$CHIMERA" ] || die "no chimera binary at $CHIMERA (build it: cmake --build build)"
[ -x "$BENCH_SSE" ] || die "no bench_sse at $BENCH_SSE (cmake --build build --target bench_sse, or set BENCH_SSE)"
for c in wrk curl jq nix-build nix-store awk mkfifo; do
	command -v "$c" >/dev/null 2>&1 ||
		die "$c not found; install it (wrk, curl and jq are Debian's packages of those names; sh scripts/deps.sh installs nix-bin)"
done
"$CHIMERA" serve --help >/dev/null 2>&1 || die "$CHIMERA has no serve command"

load0=$(cut -d' ' -f1-3 /proc/loadavg)
bench_fresh_state
server_pid="" sse_pid=""
# The server and the subscribers go too, whatever ends the run (they hold the flock's file).
api_cleanup() {
	exec 3>&-
	for p in $sse_pid $server_pid; do
		kill "$p" 2>/dev/null || true
	done
	for p in $sse_pid $server_pid; do
		wait "$p" 2>/dev/null || true
	done
	cleanup
}
trap api_cleanup EXIT
bench_closure api
export CHIMERA_CONFIG="$STATE/chimera.toml"

# serve_start LABEL OPTION...: chimera serve on 127.0.0.1, any port; sets server_pid and URL.
serve_start() {
	label=$1
	shift
	rm -f "$STATE/ready"
	"$CHIMERA" --state-dir "$STATE" serve --listen 127.0.0.1:0 --ready-file "$STATE/ready" "$@" \
		>"$d/serve-$label.out" 2>"$d/serve-$label.err" &
	server_pid=$!
	i=0
	while [ ! -s "$STATE/ready" ]; do
		kill -0 "$server_pid" 2>/dev/null || die "serve ($label) exited: $(tail -n 3 "$d/serve-$label.err")"
		i=$((i + 1))
		[ "$i" -le 600 ] || die "serve ($label) wrote no --ready-file in 60 s"
		sleep 0.1
	done
	URL=$(cat "$STATE/ready")
	case "$URL" in http://127.*) ;; *) die "serve ($label) is at '$URL', not http://127.x" ;; esac
}
serve_stop() {
	kill "$server_pid"
	rc=0
	wait "$server_pid" || rc=$?
	server_pid=""
	[ "$rc" -eq 0 ] || die "serve exited $rc after SIGTERM: $(tail -n 3 "$d"/serve-*.err)"
}
get() { curl -sf -H "Authorization: Bearer $TOK" "$URL$1"; }

# lat P LABEL: wrk's latency at percentile P ("50%    1.96ms": us, ms or s) in ms
lat() {
	awk -v p="$1" '$1 == p {
		v = $2; u = v; sub(/^[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
		printf "%.2f", v }' "$d/wrk-$2.out"
}
# wrk_run LABEL PATH [TOKEN]: wrk against URL/PATH (with the bearer TOKEN); sets rps, p50
# and p99 (ms).
wrk_run() {
	if [ $# -gt 2 ]; then
		set -- "$1" "$2" -H "Authorization: Bearer $3"
	fi
	label=$1 path=$2
	shift 2
	c0=$(cpu_ticks "$server_pid")
	wrk -t2 -c50 -d"${WRK_SECS}s" --latency "$@" "$URL$path" >"$d/wrk-$label.out" 2>&1 ||
		die "wrk on $path failed: $(tail -n 3 "$d/wrk-$label.out")"
	! grep -q -e '^ *Non-2xx' -e '^ *Socket errors' "$d/wrk-$label.out" ||
		die "wrk on $path: $(grep -e 'Non-2xx' -e 'Socket errors' "$d/wrk-$label.out")"
	rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$d/wrk-$label.out")
	xfer=$(awk '/^Transfer\/sec:/ { print $2 }' "$d/wrk-$label.out")
	srv_cpu=$(cpu_secs "$c0" "$(cpu_ticks "$server_pid")")
	p50=$(lat 50% "$label")
	p99=$(lat 99% "$label")
	if [ -z "$rps" ] || [ -z "$p50" ] || [ -z "$p99" ]; then
		die "wrk on $path printed no figures: $(head -n 5 "$d/wrk-$label.out")"
	fi
}
# sse_figure KEY FILE: one KEY=VALUE of bench_sse's figures line
sse_figure() { tail -n 1 "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# wait_ready FILE COUNT: bench_sse said "ready COUNT"
wait_ready() {
	i=0
	while ! grep -q '^ready ' "$1" 2>/dev/null; do
		kill -0 "$sse_pid" 2>/dev/null || die "bench_sse exited: $(tail -n 3 "$1") $(tail -n 3 "${1%.out}.err")"
		i=$((i + 1))
		[ "$i" -le 1200 ] || die "bench_sse's subscribers were not all connected in 120 s"
		sleep 0.1
	done
	got=$(sed -n 's/^ready //p' "$1")
	[ "$got" -eq "$2" ] || die "bench_sse: $got of $2 subscribers connected: $(tail -n 3 "${1%.out}.err")"
}
# last_seq: the ledger's last seq
last_seq() { ch events --json | tail -n 1 | jq -r .seq; }
mb() { echo "$1" | awk '{ printf "%.1f", $1 / 1024 }'; }
# cpu_ticks PID: its user + system time in clock ticks; busy_ticks: the whole machine's
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# cpu_secs T0 T1: ticks as seconds
cpu_secs() { echo "$1 $2 $TICK" | awk '{ printf "%.1f", ($2 - $1) / $3 }'; }
vm() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$server_pid/status"; }

# sse_deploy LABEL DESCRIPTION: SUBS subscribers, all from the current head, while the CLI
# deploys a fresh closure to dn nodes; then the ledger's last seq tells them where to stop.
# Sets sse_p99 and sse_line (its figures, for FIGS).
sse_deploy() {
	F=$(build "f-$RUN-$n-$1")
	s0=$(last_seq)
	rm -f "$STATE/sse.fifo"
	mkfifo "$STATE/sse.fifo"
	"$BENCH_SSE" "$URL" "$TOK" "$SUBS" --after "$s0" --grace 60 <"$STATE/sse.fifo" \
		>"$d/sse-deploy-$1.out" 2>"$d/sse-deploy-$1.err" &
	sse_pid=$!
	exec 3>"$STATE/sse.fifo"
	wait_ready "$d/sse-deploy-$1.out" "$SUBS"
	srv0=$(cpu_ticks "$server_pid") all0=$(busy_ticks)
	t0=$(now)
	ch deploy -t @deploy --expect "$F" --no-magic-rollback >"$d/deploy-f-$1.out" 2>"$d/deploy-f-$1.err" ||
		die "deploy of $F to $dn nodes failed: $(tail -n 3 "$d/deploy-f-$1.out") $(tail -n 3 "$d/deploy-f-$1.err")"
	t1=$(now)
	dp_secs=$(secs "$t0" "$t1")
	last=$(last_seq)
	echo "$last" >&3
	exec 3>&-
	rc=0
	wait "$sse_pid" || rc=$?
	srv1=$(cpu_ticks "$server_pid") all1=$(busy_ticks) t2=$(now)
	sse_wall=$(secs "$t0" "$t2")
	sse_pid=""
	f=$d/sse-deploy-$1.out
	[ -n "$(sse_figure frames "$f")" ] || die "bench_sse printed no figures (exit $rc): $(tail -n 3 "$d/sse-deploy-$1.err")"
	sse_frames=$(sse_figure frames "$f") sse_p50=$(sse_figure p50_ms "$f") sse_p99=$(sse_figure p99_ms "$f")
	sse_max=$(sse_figure max_ms "$f") sse_complete=$(sse_figure complete "$f") sse_gapped=$(sse_figure gapped "$f")
	sse_dup=$(sse_figure duplicated "$f") sse_missing=$(sse_figure missing "$f") sse_seqs=$(sse_figure seqs "$f")
	sse_dropped=$(sse_figure dropped "$f") sse_cpu=$(sse_figure cpu_s "$f") sse_undated=$(sse_figure undated "$f")
	[ "$sse_frames" -gt 0 ] || die "bench_sse's subscribers received no frame during the deploy"
	[ "$sse_undated" -eq 0 ] || die "$sse_undated frames had no \"time\" bench_sse could read (UTC with milliseconds)"
	sse_line="SSE, $SUBS subscribers during a $dn-node CLI deploy ($dp_secs s), $2: $sse_frames frames ($sse_seqs events each), append to delivery p50 $sse_p50 ms, p99 $sse_p99 ms, max $sse_max ms
  subscribers that got every event once and in order: $sse_complete of $SUBS (gapped $sse_gapped, duplicated $sse_dup, dropped $sse_dropped; events no subscriber got: $sse_missing)
  CPU from the deploy's start to the last delivery ($sse_wall s on $(nproc) cores): serve $(cpu_secs "$srv0" "$srv1") s, bench_sse $sse_cpu s (its whole run), the whole machine $(cpu_secs "$all0" "$all1") s
"
}

FIGS=""
for n in $N_LIST; do
	bench_lab "$n"
	dn=$DEPLOY_N
	[ "$dn" -le "$n" ] || dn=$n

	# The inventory: every lab node a machine, on one configuration (a Nix file that evaluates
	# to closure P); the first dn tagged "deploy". P is put on every node first (not timed).
	tag="p-$RUN-$n"
	P=$(build "$tag")
	printf 'import ./fresh.nix { tag = "%s"; }\n' "$tag" >"$STATE/config.nix"
	ch lab status --json | jq -r '.list[] | "\(.name) \(.target)"' | awk -v dn="$dn" '
		{ printf "[machines.%s]\ntarget = \"%s\"\nconfig = \"config.nix\"\n", $1, $2
		  if (NR <= dn) print "tags = [\"deploy\"]"
		  print "" }' >"$STATE/chimera.toml"
	[ "$(grep -c '^\[machines\.' "$STATE/chimera.toml")" -eq "$n" ] || die "chimera.toml does not have $n machines"
	ch deploy -t all --expect "$P" --no-magic-rollback >"$d/deploy-p.out" 2>"$d/deploy-p.err" ||
		die "deploy of $P failed: $(tail -n 3 "$d/deploy-p.out") $(tail -n 3 "$d/deploy-p.err")"
	ch status -t all --expect "$P" >"$d/status.out" 2>"$d/status.err" ||
		die "status: $(tail -n 3 "$d/status.out") $(tail -n 3 "$d/status.err")"
	tail -n 1 "$d/status.out" | grep -q "^$n nodes: $n congruent" || die "status: $(tail -n 1 "$d/status.out")"
	TOK=$(ch tokens create "bench-$n" --role viewer --json | jq -r .token)

	# 1. GET /api/v1/status against GET /api/v1/health, same wrk, same server.
	serve_start get --no-watch
	got=$(get /api/v1/status | jq '.nodes | length') || die "GET /api/v1/status failed"
	[ "$got" -eq "$n" ] || die "GET /api/v1/status answers $got nodes, not $n"
	body=$(get /api/v1/status | wc -c)
	compact=$(get /api/v1/status | jq -c . | wc -c)
	wrk_run status /api/v1/status "$TOK"
	st_rps=$rps st_p50=$p50 st_p99=$p99 st_xfer=$xfer st_cpu=$srv_cpu
	wrk_run health /api/v1/health
	hl_rps=$rps hl_p50=$p50 hl_p99=$p99 hl_cpu=$srv_cpu

	# 2. SSE during a deploy, twice: the lab's nodes at the lowest CPU weight (as other
	# machines would be: the target's condition), then beside the server as equals.
	sse_low_line="" sse_low_p99=""
	if lab_weight_low; then
		sse_deploy low "the lab's nodes at the lowest CPU weight (standing in for other machines)"
		sse_low_line=$sse_line sse_low_p99=$sse_p99
		lab_weight_even
	else
		sse_low_line="SSE with the lab's nodes at the lowest CPU weight: not measured, $LAB_WEIGHT_WHY
"
	fi
	sse_deploy even "the lab's nodes beside the server (each node's ssh sessions weighed as much as the server)"
	sse_even_line=$sse_line sse_even_p99=$sse_p99
	serve_stop

	# 3. RSS with the watch: the same machines back on P (not timed), then chimera watch alone,
	# then serve with its watch and WATCH_SUBS subscribers.
	ch deploy -t @deploy --expect "$P" --no-magic-rollback >"$d/deploy-back.out" 2>"$d/deploy-back.err" ||
		die "deploy of $P back to $dn nodes failed: $(tail -n 3 "$d/deploy-back.out")"
	OUT="$d/watch.out" ERR="$d/watch.err"
	measured "$CHIMERA" --state-dir "$STATE" watch -t all --rounds "$WATCH_ROUNDS" --interval "$INTERVAL" --json
	[ "$rc" -eq 0 ] || die "chimera watch exited $rc: $(tail -n 3 "$OUT") $(tail -n 3 "$ERR")"
	jq -r 'select(type == "object" and has("round")) | [.round, .nodes, .congruent, .rss_kb, .ms] | map(tostring) | join(" ")' \
		<"$OUT" >"$d/watch-rounds" || die "chimera watch --json printed something jq cannot read"
	[ "$(wc -l <"$d/watch-rounds")" -eq "$WATCH_ROUNDS" ] || die "chimera watch printed $(wc -l <"$d/watch-rounds") rounds, not $WATCH_ROUNDS"
	bad=$(awk -v n="$n" '$2 != n || $3 != n { print "round " $1 ": " $3 " of " $2 " nodes congruent"; exit }' "$d/watch-rounds")
	[ -z "$bad" ] || die "chimera watch, $n nodes: $bad"
	w_rss=$(awk -v r="$WATCH_ROUNDS" '$1 == r { print $4 }' "$d/watch-rounds")
	w_peak=$rss
	w_ms=$(awk -v r="$WATCH_ROUNDS" '$1 == r { print $5 }' "$d/watch-rounds")

	serve_start watch --interval "$INTERVAL"
	"$BENCH_SSE" "$URL" "$TOK" "$WATCH_SUBS" --duration 3600 --trace "$d/sse-watch.trace" </dev/null >"$d/sse-watch.out" 2>"$d/sse-watch.err" &
	sse_pid=$!
	wait_ready "$d/sse-watch.out" "$WATCH_SUBS"
	t0=$(now)
	while :; do
		get /api/v1/watch >"$d/watch.json" || die "GET /api/v1/watch failed"
		round=$(jq -r .round "$d/watch.json")
		[ "$round" -ge "$WATCH_ROUNDS" ] && break
		err=$(jq -r .error "$d/watch.json")
		[ -z "$err" ] || die "the server's watch: $err"
		[ "$(secs "$t0" "$(now)" | cut -d. -f1)" -lt 600 ] || die "the server's watch did not reach round $WATCH_ROUNDS in 600 s"
		sleep 0.5
	done
	s_rss=$(vm VmRSS) s_hwm=$(vm VmHWM)
	s_ms=$(jq -r .round_ms "$d/watch.json")
	s_nodes=$(jq '.nodes | length' "$d/watch.json")
	s_congruent=$(jq '[.nodes[] | select(.state == "congruent")] | length' "$d/watch.json")
	[ "$s_nodes" -eq "$n" ] || die "GET /api/v1/watch lists $s_nodes nodes, not $n"
	sleep 1 # the last round's event on its way to the subscribers
	kill "$sse_pid"
	wait "$sse_pid" || true
	sse_pid=""
	ws_frames=$(sse_figure frames "$d/sse-watch.out") ws_p99=$(sse_figure p99_ms "$d/sse-watch.out")
	ws_dropped=$(sse_figure dropped "$d/sse-watch.out")
	# the first subscriber's frames: topic and delay each
	ws_each="none"
	if [ -s "$d/sse-watch.trace" ]; then
		ch events --since "$(($(head -n 1 "$d/sse-watch.trace" | cut -d' ' -f1) - 1))" --json |
			jq -r '"\(.seq) \(.topic)"' | sort >"$d/sse-watch.topics"
		ws_each=$(sort "$d/sse-watch.trace" | join - "$d/sse-watch.topics" | sort -n |
			awk '{ printf "%s%s %s ms", (NR > 1 ? ", " : ""), $5, $4 }')
	fi
	serve_stop

	FIGS="${FIGS}lab up $n nodes: $up s
GET /api/v1/status, $n machines ($body bytes, $compact as compact JSON; warm: the server caches it per ledger head), wrk -t2 -c50 -d${WRK_SECS}s: $st_rps req/s ($st_xfer/s; serve's CPU $st_cpu s), p50 $st_p50 ms, p99 $st_p99 ms
GET /api/v1/health (the HTTP layer's ceiling), same wrk: $hl_rps req/s (serve's CPU $hl_cpu s), p50 $hl_p50 ms, p99 $hl_p99 ms
ratio status/health: req/s $(ratio "$st_rps" "$hl_rps"), p99 $(ratio "$st_p99" "$hl_p99")
outside peer (a static server with the same bytes): none; no C static server on this machine without an install
status req/s / target 5000: $(ratio "$st_rps" 5000) (target >= 1); status p99 / target 20 ms: $(ratio "$st_p99" 20) (target < 1)
${sse_low_line}${sse_even_line}SSE p99 / target 100 ms, the lab at the lowest weight: $([ -n "$sse_low_p99" ] && ratio "$sse_low_p99" 100 || echo "not measured") (target < 1); beside the server: $(ratio "$sse_even_p99" 100)
serve with its watch, $n machines, --interval $INTERVAL, $WATCH_SUBS subscribers, at round $round: VmRSS $(mb "$s_rss") MB, VmHWM $(mb "$s_hwm") MB (round $s_ms ms; $s_congruent of $s_nodes congruent; subscribers got $ws_frames frames, p99 $ws_p99 ms, dropped $ws_dropped; the first one's: $ws_each)
chimera watch alone, same machines, round $WATCH_ROUNDS: rss_kb $(mb "$w_rss") MB, peak $(mb "$w_peak") MB (round $w_ms ms)
serving's cost (serve VmRSS - watch rss_kb): $(echo "$s_rss $w_rss" | awk '{ printf "%.1f", ($1 - $2) / 1024 }') MB; ratio serve/watch RSS $(ratio "$s_rss" "$w_rss")
serve VmRSS / target 96 MB: $(ratio "$s_rss" 98304) (target < 1)
"
	t0=$(now)
	ch lab down -q
	t1=$(now)
	FIGS="${FIGS}lab down $n nodes: $(secs "$t0" "$t1") s
"
done

echo "API benchmark, $(nproc) cores (load average $load0 at the start); server, wrk, bench_sse and the lab on the same machine, all on 127.x"
echo "targets (issue 17, at 1000 machines): GET /status >= 5000 req/s with p99 < 20 ms; SSE p99 < 100 ms; RSS < 96 MB"
printf '%s' "$FIGS"
ok=1
