#!/bin/sh
# chimera watch against lab nodes, by fault injection: a profile moved by hand, a store path
# deleted, --no-heal, an sshd killed during a multi-round watch, a stopped sshd, a node that
# cannot be healed (quarantine, release), and 30 rounds over 20 nodes.
. "$E2E_DIR/lib.sh"
LAB_BASE=207
start
W="$E2E_WORK/$TEST_NAME"
nix_offline
STOPPED=
trap 'if [ -n "$STOPPED" ]; then kill -CONT "$STOPPED" 2>/dev/null; fi; cleanup' EXIT
trap 'exit 130' INT TERM

N() { echo "root@127.$LAB_BASE.0.1$1:22"; }
on() { i=$1; shift; ssh -F "$STATE/lab/ssh_config" -o ConnectTimeout=5 "127.$LAB_BASE.0.1$i" "$@"; }
absent() { ! on "$1" "test -e $2"; }
profile_of() { on "$1" 'readlink -f /nix/var/nix/profiles/system'; }
sshd_pid() { ch lab status --json | jq -r ".list[$1].pid"; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# A field of the JSON round in $OUT (one line) or of its line N.
round() { printf '%s\n' "$OUT" | jq -s -r ".[${2:--1}] | $1"; }
problem() { printf '%s\n' "$OUT" | jq -s -r --arg n "$1" ".[${3:--1}].problems[] | select(.node == \$n) | $2"; }

cp "$E2E_DIR/../fixtures/nix/tagged.nix" "$W/w.nix"
P=$(nix-build --no-out-link "$W/w.nix" --argstr tag one 2>>"$W/build.log")
DEP=$(nix-store -qR "$P" | grep watch-dep-one)
check "built the watched configuration" [ -d "$P" -a -d "$DEP" ]

expect_exit 0 "lab up 5" ch lab up 5 --base $LAB_BASE
ROOT=$(lab_root)	# where the nodes' files are seen from here
expect_exit 0 "deploy it to @lab" ch deploy -t @lab --expect "$P"
expect_exit 0 "watch --once: all congruent" ch watch -t @lab --expect "$P" --once --json
check "round 1: 5 of 5 congruent, no problems" [ "$(round '"\(.round) \(.congruent) \(.problems | length)"')" = "1 5 0" ]

# A profile moved by hand (another path, as a manual nix-env --set would).
on 1 "nix-env -p /nix/var/nix/profiles/system --set $DEP"
expect_exit 0 "watch --once after node 1's profile was moved by hand" ch watch -t @lab --expect "$P" --once --json
check "node 1 healed" [ "$(problem "$(N 1)" .state)" = healed ]
check "its reason names the drift" contains "$(problem "$(N 1)" .reason)" "the profile points at $DEP"
check "the others congruent" [ "$(round .congruent)" = 4 ]
check "node 1 is on the path again" [ "$(profile_of 1)" = "$P" ]
check "and was activated again" [ "$(on 1 'cat /nix/var/chimera-watch/activated')" = one ]

# A store path of the closure deleted (the profile's target, unregistered with --ignore-liveness).
on 2 "nix-store --delete --ignore-liveness $P >/dev/null 2>&1"
check "node 2 lost the path" absent 2 "$P"
expect_exit 0 "watch --once after node 2's path was deleted" ch watch -t @lab --expect "$P" --once --json
check "node 2 healed" [ "$(problem "$(N 2)" .state)" = healed ]
check "the reason: the path was missing" contains "$(problem "$(N 2)" .reason)" "closure path missing"
check "node 2 has it again, valid" on 2 "nix-store --check-validity $P"
# The same path removed from the disk behind Nix's back.
on 3 "rm -rf $P"
expect_exit 0 "watch --once after node 3's path was removed behind Nix's back" ch watch -t @lab --expect "$P" --once --json
check "node 3 healed" [ "$(problem "$(N 3)" .state)" = healed ]
check "node 3's copy verifies" on 3 "nix-store --verify-path $P"

# --no-heal reports and changes nothing.
on 4 "nix-env -p /nix/var/nix/profiles/system --set $DEP"
expect_exit 3 "watch --once --no-heal with node 4 drifted" ch watch -t @lab --expect "$P" --once --no-heal --json
check "node 4 reported drifted" [ "$(problem "$(N 4)" .state)" = drifted ]
check "and left as it was" [ "$(profile_of 4)" = "$DEP" ]
expect_exit 0 "events: watch.node.drifted for node 4" ch events --json --topic watch.node.drifted --node "$(N 4)"
check "one drift event with the reason" contains "$OUT" "the profile points at $DEP"
expect_exit 0 "watch --once heals it" ch watch -t @lab --expect "$P" --once

# The activated system differs from the profile (where /run/current-system exists), and a
# health check fails on one node: both named in the report.
on 2 "ln -sfn $DEP /run/current-system"
on 3 "touch /nix/var/chimera-watch/sick"
expect_exit 3 "watch --once --no-heal with a stale current-system and a failing check" \
	ch watch -t @lab --expect "$P" --once --no-heal --check 'cmd:test ! -e /nix/var/chimera-watch/sick' --check-retries 0 --json
check "node 2: the activated system differs" contains "$(problem "$(N 2)" .reason)" "the activated system is $DEP"
check "node 3: the check failed" contains "$(problem "$(N 3)" .reason)" "check cmd:test ! -e /nix/var/chimera-watch/sick failed"
check "the other 3 congruent" [ "$(round .congruent)" = 3 ]
on 2 "ln -sfn $P /run/current-system"
on 3 "rm /nix/var/chimera-watch/sick"
expect_exit 0 "fixed by hand: congruent again" ch watch -t @lab --expect "$P" --once --check 'cmd:test ! -e /nix/var/chimera-watch/sick'
on 2 "rm /run/current-system"

# An sshd killed during a multi-round watch, its profile moved while it is down.
ch watch -t @lab --expect "$P" --rounds 8 --interval 1 --connect-timeout 2 --json >"$W/multi.out" 2>"$W/multi.err" &
WATCH=$!
sleep 1.5
# The whole sshd: the listener and the per-connection processes holding watch's session.
L=$(sshd_pid 3)
pkill -KILL -P "$L"
kill -KILL "$L"
ln -sfn "$DEP" "$ROOT/node-0003/nix/var/nix/profiles/system"
sleep 3
ch lab up 5 >/dev/null 2>&1
wait "$WATCH"
RC=$?
OUT=$(cat "$W/multi.out")
check "the multi-round watch ended well (exit $RC)" [ "$RC" = 0 ]
check "8 rounds" [ "$(printf '%s\n' "$OUT" | wc -l)" = 8 ]
check "some rounds saw node 3 unreachable" [ "$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.unreachable == 1)] | length')" -ge 2 ]
check "while the other 4 were checked each round" [ "$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.congruent + .healed >= 4)] | length')" = 8 ]
check "node 3 was healed once back" [ "$(printf '%s\n' "$OUT" | jq -s -r --arg n "$(N 3)" '[.[].problems[] | select(.node == $n) | .state] | index("healed") != null')" = true ]
check "and the last round is all congruent" [ "$(round .congruent)" = 5 ]
check "node 3 is on the path" [ "$(profile_of 3)" = "$P" ]

# A stopped sshd: the round still ends within the connect timeout.
STOPPED=$(sshd_pid 4)
kill -STOP "$STOPPED"
T0=$(date +%s%N)
expect_exit 3 "watch --once --connect-timeout 2 with node 4 stopped" ch watch -t @lab --expect "$P" --once --connect-timeout 2 --json
MS=$(ms_since "$T0")
kill -CONT "$STOPPED"
STOPPED=
check "node 4 unreachable, the rest congruent" [ "$(round '"\(.unreachable) \(.congruent)"')" = "1 4" ]
check "the round took less than the connect timeout and a margin (${MS} ms < 5000)" [ "$MS" -lt 5000 ]

# A stopped sshd under a watch whose sessions are open: the probe is cut at the connect timeout.
ch watch -t @lab --expect "$P" --rounds 4 --interval 1 --connect-timeout 2 --json >"$W/stop.out" 2>"$W/stop.err" &
WATCH=$!
sleep 1.3
STOPPED=$(sshd_pid 4)
pkill -STOP -P "$STOPPED"
kill -STOP "$STOPPED"
wait "$WATCH"
pkill -CONT -P "$STOPPED"
kill -CONT "$STOPPED"
STOPPED=
OUT=$(cat "$W/stop.out")
check "with node 4 stopped, its rounds still ended within the connect timeout and a margin" \
	[ "$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.unreachable == 1 and .ms < 4000)] | length')" -ge 2 ]
check "and the other 4 were checked each of them" [ "$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.congruent >= 4)] | length')" = 4 ]

# The Nix file changes under a running watch: it rebuilds and heals to the new path; SIGTERM ends it.
cp "$W/w.nix" "$W/live.nix"
# Started directly (not through the ch function), so $! is chimera itself.
"$CHIMERA" --state-dir "$STATE" watch -t @lab -c "$W/live.nix" --argstr tag one --interval 1 --json \
	>"$W/live.out" 2>"$W/live.err" &
WATCH=$!
sleep 1.5
sed 's/echo ${tag} > $out\/share\/data/echo ${tag} two > $out\/share\/data/' "$W/w.nix" > "$W/live.nix.new"
mv "$W/live.nix.new" "$W/live.nix"
touch -d '+2 seconds' "$W/live.nix"
P2=$(nix-build --no-out-link "$W/live.nix" --argstr tag one 2>>"$W/build.log")
n=0
until [ "$(profile_of 0)" = "$P2" ] || [ $n -ge 100 ]; do sleep 0.2; n=$((n + 1)); done
kill -TERM "$WATCH"
wait "$WATCH"
RC=$?
check "the changed file was rebuilt to a new path" [ "$P2" != "$P" ]
check "node 0 healed onto it" [ "$(profile_of 0)" = "$P2" ]
check "SIGTERM ended the watch with status 3 or 0 (exit $RC)" [ "$RC" = 0 -o "$RC" = 3 ]
expect_exit 0 "events: watch.config.changed" ch events --json --topic watch.config.changed
check "from the old path to the new" [ "$(printf '%s\n' "$OUT" | jq -r '"\(.payload.from) \(.payload.to)"' | tail -n 1)" = "$P $P2" ]
expect_exit 0 "events: watch.stopped by the signal" ch events --json --topic watch.stopped
check "watch.stopped says signal" [ "$(printf '%s\n' "$OUT" | jq -r .payload.reason | tail -n 1)" = signal ]
expect_exit 0 "back to the first configuration" ch deploy -t @lab --expect "$P"

# A node that cannot be healed: a dependency gone from its disk whose registration no longer
# matches what was built (as after another build of it), so repair refuses to restore it.
DB="$ROOT/node-0000/nix/var/nix/db/db.sqlite"
HASH=$(sqlite3 "$DB" "select hash from ValidPaths where path = '$DEP'")
sqlite3 "$DB" "update ValidPaths set hash = (select hash from ValidPaths where path = '$P') where path = '$DEP'"
on 0 "rm -rf $DEP"
expect_exit 3 "watch 12 rounds, node 0 unhealable" ch watch -t @lab --expect "$P" --rounds 12 --interval 1 --json
check "node 0 quarantined at the end" [ "$(problem "$(N 0)" .state)" = quarantined ]
check "after 3 failed heals" [ "$(problem "$(N 0)" .heal_failures)" = 3 ]
check "the others congruent throughout" [ "$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.congruent == 4)] | length')" = 12 ]
expect_exit 0 "events: watch.node.quarantined" ch events --json --topic watch.node.quarantined --node "$(N 0)"
check "one quarantine event" [ "$(printf '%s\n' "$OUT" | wc -l)" = 1 ]
check "heals were spaced out (back-off): 3 heal_failed events" \
	[ "$(ch events --json --topic watch.node.heal_failed --node "$(N 0)" | wc -l)" = 3 ]
expect_exit 3 "a new watch leaves it quarantined" ch watch -t @lab --expect "$P" --once --json
check "still quarantined" [ "$(problem "$(N 0)" .state)" = quarantined ]
check "no new heal" [ "$(ch events --json --topic watch.node.heal_failed --node "$(N 0)" | wc -l)" = 3 ]
expect_exit 0 "watch --release node 0" ch watch --release "$(N 0)"
expect_exit 3 "released, it is tried again (and fails again)" ch watch -t @lab --expect "$P" --once --json
check "node 0 failed, not quarantined" [ "$(problem "$(N 0)" .state)" = failed ]
# Failed heals count across runs: with the one above, the next failure is the second in a row.
expect_exit 3 "one more failed heal quarantines it again" ch watch -t @lab --expect "$P" --rounds 3 --interval 4 --max-heal-attempts 2 --json
check "quarantined again, at its second failed heal in a row" [ "$(problem "$(N 0)" '"\(.state) \(.heal_failures)"' 0)" = "quarantined 2" ]
# Put the registration back by hand; a successful deploy (which restores the path) also lifts a quarantine.
sqlite3 "$DB" "update ValidPaths set hash = '$HASH' where path = '$DEP'"
expect_exit 0 "deploy to node 0 succeeds once its registration is back" ch deploy -t "$(N 0)" --expect "$P"
expect_exit 0 "the next watch finds node 0 released and congruent" ch watch -t @lab --expect "$P" --once --json
check "all 5 congruent" [ "$(round .congruent)" = 5 ]

# 15 rounds over 20 nodes (under the sanitizer build, make check SANITIZE=1 runs this too).
expect_exit 0 "lab up 20" ch lab up 20
expect_exit 0 "deploy to the 20" ch deploy -t @lab --expect "$P"
on 1 "nix-env -p /nix/var/nix/profiles/system --set $DEP"
ROUNDS0=$(ch events --json --topic watch.round | wc -l)
expect_exit 0 "watch 15 rounds over 20 nodes, --verify-every 7" ch watch -t @lab --expect "$P" --rounds 15 --interval 1 --verify-every 7 --json
check "15 rounds, all 20 congruent at the end" [ "$(printf '%s\n' "$OUT" | wc -l) $(round .congruent)" = "15 20" ]
check "node 1 healed in round 1" [ "$(problem "$(N 1)" .state 0)" = healed ]
check "no error output" [ -z "$ERR" ]
check "events: 15 more watch.round" [ "$(ch events --json --topic watch.round | wc -l)" = "$((ROUNDS0 + 15))" ]
expect_exit 0 "the ledger verifies" ch ledger verify
expect_exit 0 "lab down" ch lab down
finish
