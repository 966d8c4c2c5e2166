#!/bin/sh
# The CLI as a client of chimera serve (--server, --token-file, CHIMERA_SERVER/CHIMERA_TOKEN):
# status, deploy, rollback, deployments, events, machines and watch --status through a server
# print what the same command prints here, text and --json, with the same exit status; a 403,
# a token file others can read, no token, a refused connection, a command that does not go
# through a server.
. "$E2E_DIR/lib.sh"
LAB_BASE=234
start
W="$E2E_WORK/$TEST_NAME"
nix_offline
unset CHIMERA_SERVER CHIMERA_TOKEN CHIMERA_TOKEN_FILE
SERVER=
trap 'if [ -n "$SERVER" ]; then kill -9 "$SERVER" 2>/dev/null; fi; cleanup' EXIT
trap 'exit 130' INT TERM

on() { i=$1; shift; ssh -F "$STATE/lab/ssh_config" -o ConnectTimeout=5 "127.$LAB_BASE.0.1$i" "$@"; }
profile_of() { on "$1" 'readlink -f /nix/var/nix/profiles/system'; }

serve_stop() { kill -TERM "$SERVER"; wait "$SERVER"; SERVER=; }

# The command here (the inventory is read) and through the server (it is not: -t names the server's).
here() { "$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" "$@"; }
there() { "$CHIMERA" --state-dir "$W/elsewhere" --server "$URL" --token-file "$W/op.token" "$@"; }

# Timings and deployment ids differ from one run to the next: both made into words.
norm() {
	sed -E -e 's/[0-9]+\.[0-9]{2}s/T/g' -e 's/[0-9A-HJKMNP-TV-Z]{26}/ID/g' \
		-e 's/"(ms|build_ms|connect|check|copy|switch|activate|confirm|health)": [0-9]+/"\1": N/' "$1"
}

# same DESC [-n] ARGS...: the command here and through the server, text and --json: the same
# stdout (byte for byte; -n: after norm) and exit status. The exit status is left in $RC.
same() {
	d=$1
	shift
	n=
	if [ "$1" = -n ]; then n=1; shift; fi
	for j in "" --json; do
		here $j "$@" >"$W/here.out" 2>"$W/here.err"
		a=$?
		there $j "$@" >"$W/there.out" 2>"$W/there.err"
		b=$?
		if [ -n "$n" ]; then
			norm "$W/here.out" >"$W/here.cmp"
			norm "$W/there.out" >"$W/there.cmp"
		else
			cp "$W/here.out" "$W/here.cmp"
			cp "$W/there.out" "$W/there.cmp"
		fi
		if [ "$a" = "$b" ] && cmp -s "$W/here.cmp" "$W/there.cmp" && [ -s "$W/there.out" ]; then
			ok "$d${j:+ ($j)}: the same output and exit $a"
		else
			not_ok "$d${j:+ ($j)}: exit $a here, $b through the server"
			diff "$W/here.cmp" "$W/there.cmp" | head -20
			head -5 "$W/there.err"
		fi
	done
	RC=$a
}

cp "$E2E_DIR/../fixtures/nix/tagged.nix" "$W/tagged.nix"
echo 'import ./tagged.nix { tag = "one"; name = "client"; }' >"$W/one.nix"
P=$(nix-build --no-out-link "$W/one.nix" 2>>"$W/build.log")
P2=$(nix-build --no-out-link "$W/tagged.nix" --argstr tag two --argstr name client 2>>"$W/build.log")
check "built two configurations" [ -d "$P" -a -d "$P2" ]

expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
{
	printf '[defaults]\nactivation = "auto"\n\n'
	for i in 0 1 2; do printf '[machines.n%s]\ntarget = "127.%s.0.1%s"\nconfig = "%s"\ntags = ["lab"]\n\n' \
		"$i" "$LAB_BASE" "$i" "$W/one.nix"; done
} >"$W/chimera.toml"

expect_exit 0 "tokens create operator" ch tokens create op --role operator --json
printf '%s\n' "$(printf '%s' "$OUT" | jq -r .token)" >"$W/op.token"
expect_exit 0 "tokens create viewer" ch tokens create view --role viewer --json
printf '%s\n' "$(printf '%s' "$OUT" | jq -r .token)" >"$W/view.token"
chmod 600 "$W/op.token" "$W/view.token"

expect_exit 0 "deploy P here to start from" here deploy -t all --expect "$P" --no-magic-rollback
serve_start --no-watch
check "serve is listening" [ -n "$URL" ]

# --- reads: byte for byte ---
same "machines" machines
same "machines list" machines list
same "machines show n1" machines show n1
expect_exit 2 "machines show of an unknown machine: exit 2, as here" there machines show nope
check "  the server's 404, naming it" contains "$ERR" "the server answered 404" && contains "$ERR" nope
same "deployments" deployments
same "deployments --limit 1" deployments --limit 1
DEP=$(here --json deployments | jq -r '.deployments[-1].deployment')
same "deployments show" deployments show "$DEP"
same "events" events
same "events --topic node.* --limit 5 --since 3" events --topic 'node.*' --limit 5 --since 3
same "events --node --deployment" events --node "root@127.$LAB_BASE.0.11:22" --deployment "$DEP"
# Not through there(): the pid of a function run in the background is its subshell's.
"$CHIMERA" --server "$URL" --token-file "$W/op.token" events --follow --topic 'test.*' >"$W/follow.out" 2>"$W/follow.err" &
F=$!
sleep 1.5
ch ledger append --topic test.drill --payload '{"n": 1}' >/dev/null
sleep 2
kill -TERM "$F"
wait "$F"
FRC=$?
check "events --follow through the server: the new event, then exit 0 on SIGTERM" \
	[ "$FRC" = 0 ] && [ "$(grep -c ' test.drill ' "$W/follow.out")" = 1 ]
# It read the event stream (one request, answered 200), not page after page.
streams=$(curl -sf -H "Authorization: Bearer $(cat "$W/op.token")" "$URL/metrics" |
	sed -n 's|^chimera_api_requests_total{route="/api/v1/events/stream",code="200"} ||p')
check "  through GET /api/v1/events/stream (requests: ${streams:-none})" [ "${streams:-0}" -ge 1 ]
# --limit ends a follow once it has printed that many; --deployment is applied to the stream too.
"$CHIMERA" --server "$URL" --token-file "$W/op.token" events --follow --topic 'test.*' --since "$(here events --json | tail -n 1 | jq .seq)" \
	--limit 2 --json >"$W/follow2.out" 2>"$W/follow2.err" &
F=$!
sleep 1
ch ledger append --topic test.drill --payload '{"n": 2}' >/dev/null
ch ledger append --topic test.drill --payload '{"n": 3}' >/dev/null
i=0
while kill -0 "$F" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$F" 2>/dev/null && kill -TERM "$F"
wait "$F"
FRC=$?
check "events --follow --limit 2: the two new events, then exit 0 by itself" [ "$FRC" = 0 ] && [ $i -lt 100 ] &&
	[ "$(jq -r .payload.n "$W/follow2.out" | tr '\n' ' ')" = "2 3 " ]
same "status --cached" -n status -t all --cached
same "status --cached of some" -n status -t n0,n2 --cached
same "status --expect (every node probed)" -n status -t all --expect "$P"
check "  exit 0 both ways" [ "$RC" = 0 ]
same "status --expect, drifted" -n status -t @lab --expect "$P2"
check "  exit 3 both ways" [ "$RC" = 3 ]
# --exclude is sent (?exclude=), --targets-file is read here and its lines sent as targets.
same "status --cached --exclude" -n status -t all --exclude n1 --cached
check "  two nodes" [ "$(jq '.nodes | length' "$W/there.out")" = 2 ]
printf 'n0   # the first\n\n  n2\n' >"$W/targets"
same "status --cached --targets-file" -n status --targets-file "$W/targets" --cached
check "  the file's two" [ "$(jq '.nodes | length' "$W/there.out")" = 2 ]
expect_exit 2 "a --targets-file that is not there: a usage error naming it" there status --targets-file "$W/nope" --cached
check "  naming it" contains "$ERR" "$W/nope"

# --- deploy and rollback: the same report, text and --json, and the same exit status ---
expect_exit 0 "deploy P2 through the server" there deploy -t all --expect "$P2" --no-magic-rollback
check "  every node runs P2" [ "$(profile_of 0)" = "$P2" ] && [ "$(profile_of 2)" = "$P2" ]
check "  the report as text" contains "$OUT" "3 nodes: 3 deployed, 0 failed"
check "  the nodes' steps on stderr" contains "$ERR" "root@127.$LAB_BASE.0.12:22"
check "  the job named on stderr" contains "$ERR" "job "
RDEP=$(printf '%s\n' "$OUT" | sed -n 's/^deployment \([0-9A-Z]*\):.*/\1/p')
same "deployments show of the server's deployment" deployments show "$RDEP"
same "deploy (already there)" -n deploy -t all --expect "$P2" --no-magic-rollback
check "  exit 0 both ways" [ "$RC" = 0 ]
same "deploy --dry-run" -n deploy -t all --expect "$P" --dry-run
# Activating P fails; activating the path it was on (P2) again works: put back.
same "deploy whose activation fails (put back)" -n deploy -t n0 --expect "$P" --activate "[ \"\$1\" != $P ]" \
	--no-magic-rollback
check "  exit 1 both ways" [ "$RC" = 1 ]
check "  --json says which generation it went back to" contains "$(cat "$W/there.out")" '"previous_generation": '
there deploy -t n0 --expect "$P" --activate "[ \"\$1\" != $P ]" --no-magic-rollback >"$W/t.out" 2>/dev/null
check "  and the text" grep -q "profile put back on the previous generation [1-9][0-9]* and activated" "$W/t.out"
check "  n0 is on P2 again" [ "$(profile_of 0)" = "$P2" ]
same "deploy whose activation fails twice (not put back)" -n deploy -t n0 --expect "$P" --activate 'exit 3' \
	--no-magic-rollback
there deploy -t n0 --expect "$P" --activate 'exit 3' --no-magic-rollback >"$W/t.out" 2>/dev/null
check "  the text names the generation" grep -q "putting it back on generation [1-9][0-9]* failed" "$W/t.out"
on 1 'touch /root/fail-me'
same "deploy, one of three failing (partial)" -n deploy -t all --expect "$P2" --activate '[ ! -e /root/fail-me ]' \
	--no-magic-rollback
check "  exit 3 both ways" [ "$RC" = 3 ]
same "rollback refused (no generation 999)" -n rollback -t all --generation 999
check "  exit 1 both ways" [ "$RC" = 1 ]
expect_exit 0 "rollback through the server" there rollback -t n1
check "  its report" contains "$OUT" "switched"
expect_exit 0 "rollback --json through the server" there --json rollback -t n2
check "  one JSON document" [ "$(printf '%s' "$OUT" | jq -r .result)" = success ]
check "  nothing on stderr with --json" [ -z "$ERR" ]
same "deploy --exclude (dry run)" -n deploy -t all --exclude 'n1,n2' --expect "$P" --dry-run
check "  one node" [ "$(jq '.nodes | length' "$W/there.out")" = 1 ]
# --stall-timeout and --activation-timeout reach the server's job: an activation cut at 2 s.
expect_exit 1 "--activation-timeout 2 through the server" there --json deploy -t n0 --expect "$P" --activate 'sleep 30' \
	--activation-timeout 2 --stall-timeout 20 --no-magic-rollback
check "  cut at activate, naming the limit" [ "$(printf '%s' "$OUT" | jq -r '.nodes[0].failed_step')" = activate ] &&
	contains "$(printf '%s' "$OUT" | jq -r '.nodes[0].error')" "timed out after 2s"

# --- errors ---
expect_exit 1 "a viewer cannot deploy" "$CHIMERA" --server "$URL" --token-file "$W/view.token" deploy -t n0 --expect "$P"
check "  403, naming the role needed" contains "$ERR" "the server answered 403" && contains "$ERR" operator
check "  the token is not printed" sh -c "! grep -qF '$(cat "$W/view.token")' '$W/err'"
expect_exit 0 "a viewer reads" "$CHIMERA" --server "$URL" --token-file "$W/view.token" deployments
chmod 644 "$W/view.token"
expect_exit 2 "a token file others can read is refused" "$CHIMERA" --server "$URL" --token-file "$W/view.token" deployments
check "  naming it and the fix" contains "$ERR" "view.token" && contains "$ERR" "chmod 600"
expect_exit 1 "no token: 401" "$CHIMERA" --server "$URL" deployments
check "  saying how to give one" contains "$ERR" "401" && contains "$ERR" "--token-file"
expect_exit 2 "a bad body is the server's 400: exit 2" there deploy -t n0 -c /nonexistent/x.nix
check "  its message" contains "$ERR" "the server answered 400"
expect_exit 2 "a command that does not go through a server" there exec -t n0 -- true
check "  says so" contains "$ERR" "does not run through a server"
expect_exit 2 "machines add with --server" there machines add n9 --target 127.0.0.9
expect_exit 0 "CHIMERA_SERVER and CHIMERA_TOKEN" env CHIMERA_SERVER="$URL" CHIMERA_TOKEN="$(cat "$W/op.token")" \
	"$CHIMERA" --state-dir "$W/elsewhere" deployments
check "  the same list" [ "$OUT" = "$(here deployments)" ]
expect_exit 1 "watch --status of a server without a watch" there watch --status
check "  says it does not run" contains "$OUT" "not running"
expect_exit 2 "watch --status without a server" here watch --status

serve_stop
expect_exit 1 "a server that is not there" there deployments
check "  the message names the URL" contains "$ERR" "cannot connect to the server at $URL"

# --- watch --status of a server that keeps the fleet ---
serve_start --interval 1
i=0
while [ $i -lt 120 ]; do
	there --json watch --status >"$W/watch.json" 2>/dev/null
	[ "$(jq '[.nodes[] | select(.state == "congruent")] | length' "$W/watch.json" 2>/dev/null)" = 3 ] && break
	sleep 0.5
	i=$((i + 1))
done
expect_exit 0 "watch --status: every node congruent" there watch --status
check "  a line per node" [ "$(printf '%s\n' "$OUT" | grep -c "^root@127.$LAB_BASE.0.1[012]:22 *congruent")" = 3 ]
check "  and the counts" contains "$OUT" "3 nodes: 3 congruent"
expect_exit 0 "watch status (the word)" there watch status
serve_stop

finish
