#!/bin/sh
# chimera's MCP server against lab nodes, driven by the official TypeScript SDK client
# (tests/mcp/mcp_client.mjs): over stdio (`chimera mcp`) and over Streamable HTTP
# (`chimera serve` at /mcp): initialize, tools and resources, fleet_status, a deploy with
# progress, a rollback, a cancelled deploy, bad arguments; a viewer token sees no
# destructive tool and is refused one by name; every job a tool ran is in the ledger.
. "$E2E_DIR/lib.sh"
LAB_BASE=243
start
W="$E2E_WORK/$TEST_NAME"
nix_offline
SERVER=
trap 'if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; fi; cleanup' EXIT
trap 'exit 130' INT TERM
ROOT=$(cd "$E2E_DIR/../.." && pwd)
BUILD_DIR=$(cd "$(dirname "$CHIMERA")" && pwd)

on() { i=$1; shift; ssh -F "$STATE/lab/ssh_config" -o ConnectTimeout=5 "127.$LAB_BASE.0.1$i" "$@"; }
profile_of() { on "$1" 'readlink -f /nix/var/nix/profiles/system'; }
# Who asked for each job the ledger shows accepted.
askers() { ch events --topic job.accepted --json | jq -r '.payload | (if type == "string" then fromjson else . end) | .by'; }

if ! command -v node >/dev/null 2>&1; then
	not_ok "node is not installed (Node.js 18 or later runs the SDK client)"
	finish
	exit 1
fi
check "the SDK is installed (scripts/npm-test-deps.sh)" sh "$ROOT/scripts/npm-test-deps.sh" "$BUILD_DIR"
NPM="$BUILD_DIR/npm"

cp "$E2E_DIR/../fixtures/nix/tagged.nix" "$W/tagged.nix"
P=$(nix-build --no-out-link "$W/tagged.nix" --argstr tag one --argstr name mcp 2>>"$W/build.log")
P2=$(nix-build --no-out-link "$W/tagged.nix" --argstr tag two --argstr name mcp 2>>"$W/build.log")
check "built two configurations" [ -d "$P" -a -d "$P2" ]

expect_exit 0 "lab up 4" ch lab up 4 --base $LAB_BASE
for i in 0 1 2 3; do printf '[machines.n%s]\ntarget = "127.%s.0.1%s"\ntags = ["lab"]\n\n' "$i" "$LAB_BASE" "$i"; done \
	>"$W/chimera.toml"
ALL=n0,n1,n2,n3

# node's "ok"/"not ok" lines count as this test's; JOB lines are kept.
client() {
	node "$ROOT/tests/mcp/mcp_client.mjs" "$NPM" "$@" >"$W/client.out" 2>"$W/client.err"
	rc=$?
	grep -E '^(not )?ok - ' "$W/client.out"
	PASSES=$((PASSES + $(grep -c '^ok - ' "$W/client.out")))
	FAILS=$((FAILS + $(grep -c '^not ok - ' "$W/client.out")))
	grep '^JOB ' "$W/client.out" | cut -d' ' -f2 >>"$W/jobs"
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' "$W/client.out"; then
		not_ok "the client exited $rc: $(tail -5 "$W/client.err")"
	fi
}

# --- stdio: the local user acts ---
client stdio "$CHIMERA" "$STATE" "$W/chimera.toml" \
	"{\"targets\": \"n0,n1\", \"all\": \"$ALL\", \"nodes\": 4, \"p\": \"$P\", \"p2\": \"$P2\"}"
# The cancelled deploy went one node at a time from n0: n0 finished it, n1 was not started.
check "stdio: n0, in flight when cancelled, finished: on the second configuration" [ "$(profile_of 0)" = "$P2" ]
check "stdio: n1, rolled back and then not started, is on the first" [ "$(profile_of 1)" = "$P" ]
# stdout is the protocol's alone: every line a JSON-RPC message, logs on stderr (-v: there are some).
# stdin stays open until the five answers came (its end would cancel a call still running).
mkfifo "$W/stdin"
: >"$W/stdio.out"
"$CHIMERA" -v --state-dir "$STATE" --config "$W/chimera.toml" mcp <"$W/stdin" >"$W/stdio.out" 2>"$W/stdio.err" &
MCP=$!
exec 3>"$W/stdin"
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05"}}' \
	'{"jsonrpc":"2.0","method":"notifications/initialized"}' 'not json' \
	'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"fleet_status","arguments":{"refresh":true}}}' >&3
# A line of 3 MiB: not kept (read to its end and dropped), answered -32600; the session goes on.
{ head -c 3145728 /dev/zero | tr '\0' x; printf '\n%s\n' '{"jsonrpc":"2.0","id":3,"method":"ping"}'; } >&3
i=0
while [ "$(wc -l <"$W/stdio.out")" -lt 5 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
exec 3>&-
wait "$MCP"
check "stdio: chimera mcp exits 0 once stdin ends" [ $? = 0 ]
five_messages() {
	[ "$(wc -l <"$W/stdio.out")" = 5 ] && [ "$(jq -c 'select(.jsonrpc == "2.0")' "$W/stdio.out" | wc -l)" = 5 ]
}
check "stdio: five answers on stdout (the parse error's and the long line's too), each a JSON-RPC 2.0 message" five_messages
check "stdio: the line over 1 MiB answered -32600 saying so" \
	[ "$(jq -r 'select(.error.code == -32600) | .error.message' "$W/stdio.out")" = "a message over 1 MiB is not taken" ]
check "stdio: and the ping after it answered" [ "$(jq -c 'select(.id == 3) | .result' "$W/stdio.out")" = "{}" ]
check "stdio: 2024-11-05 asked, 2024-11-05 spoken" [ "$(jq -r 'select(.id == 1) | .result.protocolVersion' "$W/stdio.out")" = 2024-11-05 ]
check "stdio: the probe of 4 nodes answered" [ "$(jq -r 'select(.id == 2) | .result.structuredContent.nodes | length' "$W/stdio.out")" = 4 ]
check "stdio: the logs went to stderr" [ -s "$W/stdio.err" ]
STDIO_JOBS=$(wc -l <"$W/jobs")

# --- Streamable HTTP: behind the API's tokens ---
expect_exit 0 "tokens create operator" ch tokens create mcp-op --role operator --json
OP=$(printf '%s' "$OUT" | jq -r .token)
expect_exit 0 "tokens create viewer" ch tokens create mcp-view --role viewer --json
VIEW=$(printf '%s' "$OUT" | jq -r .token)
serve_start --no-watch
check "serve is listening" [ -n "$URL" ]
client http "$URL" "$OP" \
	"{\"targets\": \"n2,n3\", \"all\": \"$ALL\", \"nodes\": 4, \"p\": \"$P\", \"p2\": \"$P2\"}"
check "http: n2, rolled back and then not started, is on the first configuration" [ "$(profile_of 2)" = "$P" ]
client http "$URL" "$VIEW" "{\"viewer\": true, \"targets\": \"n0\", \"p\": \"$P\"}"
CODE=$(curl -s -o "$W/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data '{"jsonrpc":"2.0","id":1,"method":"ping"}' "$URL/mcp")
check "/mcp without a token: 401" [ "$CODE" = 401 ]
CODE=$(curl -s -o "$W/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $VIEW" \
	-H 'Content-Type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' "$URL/mcp")
check "/mcp without a session: 400" [ "$CODE" = 400 ]
CODE=$(curl -s -o "$W/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $VIEW" -H 'Origin: http://127.evil.example' \
	-H 'Content-Type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"ping"}' "$URL/mcp")
check "/mcp from a foreign Origin: 403 (DNS rebinding)" [ "$CODE" = 403 ]
CODE=$(curl -s -o "$W/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $VIEW" -H 'MCP-Protocol-Version: 1999-01-01' \
	-H 'Content-Type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"ping"}' "$URL/mcp")
check "/mcp with an unsupported MCP-Protocol-Version: 400" [ "$CODE" = 400 ]
kill "$SERVER"
wait "$SERVER"
check "chimera serve stops with its /mcp sessions on SIGTERM (exit 0)" [ $? = 0 ]
SERVER=

# --- the ledger: every job a tool ran, who asked ---
# Each job of $W/jobs has job.accepted and job.finished (and job.cancel when it was cancelled).
jobs_in_ledger() {
	[ "$(wc -l <"$W/jobs")" -ge 8 ] || return 1
	for id in $(cat "$W/jobs"); do
		topics=$(ch events --deployment "$id" --topic 'job.*' --json | jq -r .topic | sort -u | tr '\n' ' ')
		case $topics in
		"job.accepted job.finished " | "job.accepted job.cancel job.finished ") ;;
		*) echo "  job $id: the ledger has '$topics'"; return 1 ;;
		esac
	done
}
check "every job the tools ran ($(wc -l <"$W/jobs")) is in the ledger, accepted and finished" jobs_in_ledger
check "stdio's jobs name the local user" [ "$(askers | grep -c '^mcp-stdio:')" -ge "$STDIO_JOBS" ]
check "HTTP's jobs name the token" [ "$(askers | grep -c '^mcp-op$')" -ge 4 ]
check "the cancels are in the ledger, by whom" [ "$(ch events --topic job.cancel --json | wc -l)" = 2 ]
check "each deploy's own events are there too" [ "$(ch events --topic deploy.initiated --json | wc -l)" -ge 6 ]
check "the viewer started nothing" [ "$(askers | grep -c '^mcp-view$')" = 0 ]
finish
