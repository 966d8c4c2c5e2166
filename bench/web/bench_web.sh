#!/bin/sh
# Web dashboard benchmark, in Debian's chromium (tests/web/browser.mjs): a `chimera serve
# --no-watch` whose chimera.toml holds N machines (default 1000, each at a loopback address
# 127.241.x.y where nothing listens: no node is needed), and the dashboard signed in with a viewer token.
#   first render: from navigation start to the fleet table drawn with N rows (the page's own
#                 mark), RUNS fresh pages (default 5), median and worst
#   burst:        N node events (one watch.node.drifted per machine) as Server-Sent Events
#                 text, through the page's SSE parser and store, until the frame that drew
#                 them (BURSTS times, median and worst)
# Targets: first render under 1 s, a burst under 200 ms. Prints the figures beside them; fails
# only when something does not run, never on a figure.
# usage: bench/web/bench_web.sh [CHIMERA] [BUILD_DIR]   (default build/chimera, build)
#        N, RUNS, BURSTS in the environment
set -eu
BENCH=bench_web
CHIMERA=${1:-build/chimera}
BUILD=${2:-$(dirname "$CHIMERA")}
case "$CHIMERA" in /*) ;; *) CHIMERA="$(pwd)/$CHIMERA" ;; esac
case "$BUILD" in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
root=$(cd "$(dirname "$0")/../.." && pwd)
STATE="$BUILD/bench-web-state"
N=${N:-1000}
BASE=${BENCH_WEB_BASE:-241}	# loopback addresses 127.BASE.x.y where nothing listens
RUNS=${RUNS:-5}
BURSTS=${BURSTS:-5}
. "$root/bench/lib.sh"

[ -x "$CHIMERA" ] || die "no chimera binary at $CHIMERA"
sh "$root/scripts/npm-test-deps.sh" "$BUILD" || die "the npm packages did not install"
rm -rf "$STATE"
mkdir -p "$STATE"
i=0
while [ $i -lt "$N" ]; do
	printf '[machines.node-%04d]\ntarget = "root@127.%d.%d.%d"\ntags = ["rack-%d", "%s"]\n\n' $i "$BASE" $((i / 250)) \
		$((i % 250 + 1)) $((i % 20)) \
		"$([ $((i % 3)) = 0 ] && echo db || echo web)"
	i=$((i + 1))
done >"$STATE/chimera.toml"
TOK=$(ch tokens create bench --role viewer --json | jq -r .token)
"$CHIMERA" --state-dir "$STATE" --config "$STATE/chimera.toml" serve --no-watch --listen 127.0.0.1:0 \
	--ready-file "$STATE/ready" >"$STATE/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
i=0
while [ ! -s "$STATE/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$STATE/ready" ] || die "chimera serve did not start: $(cat "$STATE/serve.log")"
node "$root/bench/web/bench_web.mjs" "$BUILD/npm" "$(cat "$STATE/ready")/" "$TOK" "$N" "$RUNS" "$BURSTS"
