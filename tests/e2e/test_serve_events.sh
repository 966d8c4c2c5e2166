#!/bin/sh
# chimera serve's live events and metrics against lab nodes: the SSE stream compared event by
# event with the ledger, resumed with Last-Event-ID after the client was killed mid-stream,
# filtered by topic and node; /metrics through promtool, and a real Prometheus on loopback
# that scrapes it and answers a query for the node states.
. "$E2E_DIR/lib.sh"
LAB_BASE=233
start
W="$E2E_WORK/$TEST_NAME"
nix_offline
SERVER= PROM= S1= S2=
trap 'for p in $SERVER $PROM $S1 $S2; do kill -9 "$p" 2>/dev/null; done; cleanup' EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# ids FILE: the "id:" lines of an SSE capture, one seq a line.
ids() { tr -d '\r' <"$1" | sed -n 's/^id: //p'; }

cp "$E2E_DIR/../fixtures/nix/tagged.nix" "$W/tagged.nix"
echo 'import ./tagged.nix { tag = "one"; name = "sse"; }' >"$W/one.nix"
P=$(nix-build --no-out-link "$W/one.nix" 2>>"$W/build.log")
check "built the configuration" [ -d "$P" ]
expect_exit 0 "lab up 4" ch lab up 4 --base $LAB_BASE
for i in 0 1 2 3; do printf '[machines.m%s]\ntarget = "127.%s.0.1%s"\nconfig = "%s"\n\n' "$i" "$LAB_BASE" "$i" "$W/one.nix"; done >"$W/chimera.toml"
expect_exit 0 "a viewer token" ch tokens create watcher --role viewer --json
TOK=$(printf '%s' "$OUT" | jq -r .token)
printf '%s\n' "$TOK" >"$W/token"
chmod 600 "$W/token"

"$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" serve --listen 127.0.0.1:0 --ready-file "$W/ready" \
	--interval 1 >"$W/serve.log" 2>&1 &
SERVER=$!
i=0
while [ ! -s "$W/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
URL=$(cat "$W/ready")
check "serve is listening" [ -n "$URL" ]
HEAD0=$(curl -s "$URL/api/v1/health" | jq .head)

# --- SSE: a subscriber from the start, killed mid-stream, resumed with Last-Event-ID ---
curl -s -N -H "Authorization: Bearer $TOK" -H "Last-Event-ID: $HEAD0" "$URL/api/v1/events/stream" >"$W/s1" &
S1=$!
curl -s -N -H "Authorization: Bearer $TOK" "$URL/api/v1/events/stream?topic=watch.round" >"$W/rounds" &
S2=$!
sleep 4
kill -9 $S1
wait $S1 2>/dev/null
S1=
LAST=$(ids "$W/s1" | tail -1)
check "the stream delivered events before it was killed (last id $LAST)" [ -n "$LAST" ]
check "each frame has id, event and data" sh -c "tr -d '\r' <'$W/s1' | awk '/^id: /{i++} /^event: /{e++} /^data: /{d++} END { exit !(i > 0 && i == e && e == d) }'"
sleep 2	# events go on while no one listens
curl -s -N -H "Authorization: Bearer $TOK" -H "Last-Event-ID: $LAST" "$URL/api/v1/events/stream" >"$W/s2" &
S1=$!
sleep 3
# A deployment's events while the resumed stream listens.
expect_exit 0 "a deploy to m0 meanwhile" ch --config "$W/chimera.toml" deploy -t m0 --expect "$P" --no-magic-rollback
sleep 2
kill $S1 $S2
wait $S1 $S2 2>/dev/null
S1= S2=
END=$(ids "$W/s2" | tail -1)
ids "$W/s1" >"$W/got"
ids "$W/s2" >>"$W/got"
ch events --since "$HEAD0" --json | jq -r .seq | awk -v end="$END" '$1 <= end' >"$W/want"
check "killed and resumed: the stream's seqs are the ledger's, none missing, none twice ($(wc -l <"$W/want") events)" \
	cmp -s "$W/got" "$W/want"
check "and the events are the ledger's (topics compared one by one)" sh -c "
	cat '$W/s1' '$W/s2' | tr -d '\r' | sed -n 's/^event: //p' >'$W/got_topics'
	$CHIMERA --state-dir '$STATE' events --since $HEAD0 --json | jq -r 'select(.seq <= $END) | .topic' >'$W/want_topics'
	cmp -s '$W/got_topics' '$W/want_topics'"
check "the deploy's events came through the resumed stream" grep -q '^event: chimera.deploy.complete' "$W/s2"
check "a data line is the event as chimera events --json prints it" sh -c "
	tr -d '\r' <'$W/s2' | sed -n 's/^data: //p' | head -1 | jq -e '.seq and .topic and .hash' >/dev/null"
check "?topic=watch.round gave only watch.round" sh -c "
	tr -d '\r' <'$W/rounds' | sed -n 's/^event: //p' | sort -u | grep -qx watch.round &&
	[ \"\$(tr -d '\r' <'$W/rounds' | sed -n 's/^event: //p' | sort -u | wc -l)\" = 1 ]"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" -H 'Last-Event-ID: x1' "$URL/api/v1/events/stream")
check "a malformed Last-Event-ID: 400" [ "$CODE" = 400 ]
CODE=$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/events/stream")
check "the stream needs a token: 401" [ "$CODE" = 401 ]

# --- metrics ---
curl -s -H "Authorization: Bearer $TOK" "$URL/metrics" >"$W/metrics"
check "promtool check metrics passes, silent" sh -c "promtool check metrics <'$W/metrics' >'$W/promtool.out' 2>&1 && [ ! -s '$W/promtool.out' ]"
check "nodes by state: 4 congruent" grep -qx 'chimera_nodes{state="congruent"} 4' "$W/metrics"
check "watch rounds counted" awk '/^chimera_watch_rounds_total /{ exit !($2 > 0) } END {}' "$W/metrics"
check "deploy steps timed" grep -q '^chimera_deploy_step_seconds_count{step="copy"}' "$W/metrics"
check "API requests counted by route and code" grep -q 'chimera_api_requests_total{route="/api/v1/events/stream",code="200"}' "$W/metrics"

PPORT=$(free_port)
SPORT=${URL##*:}
cat >"$W/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: chimera
    authorization:
      credentials_file: $W/token
    static_configs:
      - targets: ["127.0.0.1:$SPORT"]
EOF
prometheus --config.file="$W/prometheus.yml" --storage.tsdb.path="$W/tsdb" --web.listen-address="127.0.0.1:$PPORT" \
	>"$W/prometheus.log" 2>&1 &
PROM=$!
i=0
VAL=
while [ $i -lt 60 ]; do
	VAL=$(curl -s "http://127.0.0.1:$PPORT/api/v1/query?query=chimera_nodes%7Bstate%3D%22congruent%22%7D" |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null)
	[ "$VAL" = 4 ] && break
	sleep 0.5
	i=$((i + 1))
done
check "a real Prometheus scraped the server: chimera_nodes{state=congruent} = 4" [ "$VAL" = 4 ]
UP=$(curl -s "http://127.0.0.1:$PPORT/api/v1/query?query=up" | jq -r '.data.result[0].value[1] // empty')
check "and the target is up" [ "$UP" = 1 ]
kill $PROM
wait $PROM 2>/dev/null
PROM=
kill -TERM $SERVER
wait $SERVER
check "SIGTERM: exit 0" [ $? = 0 ]
SERVER=
finish
