#!/bin/sh
# Node leases: two deploys of different configurations to the same nodes at once change
# each node exactly once (the other reports it held, naming the holder); a watch beside a
# slow deploy never heals a node the deploy holds; a deploy killed with -9 is recorded as
# interrupted (per-node states) by the run that takes its leases over, and --resume
# finishes exactly the nodes a killed run left.
. "$E2E_DIR/lib.sh"
LAB_BASE=216
start
W="$E2E_WORK/$TEST_NAME"
nix_offline

N() { echo "root@127.$LAB_BASE.0.$(($1 + 10)):22"; }
on() { n=$1; shift; ssh -F "$STATE/lab/ssh_config" -o ConnectTimeout=5 "127.$LAB_BASE.0.$((n + 10))" "$@"; }
# The nodes FROM..TO as a target list.
range() { i=$1; l=""; while [ "$i" -le "$2" ]; do l="$l${l:+,}$(N "$i")"; i=$((i + 1)); done; echo "$l"; }
profile_of() { on "$1" 'readlink -f /nix/var/nix/profiles/system'; }
SLOW='sleep 2; exec "$1"/bin/activate'
# Nodes deployed since the event numbered $1.
done_since() { sqlite3 "$STATE/chimera.db" "SELECT count(*) FROM events WHERE seq > $1 AND topic = 'node.deploy.complete'"; }

cat > "$W/hello.nix" <<'EOF'
{ tag }:
derivation {
  name = "hello-${tag}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  inherit tag;
  args = [ "-c" ''
    /bin/mkdir -p $out/bin
    { echo '#!/bin/sh'; echo 'echo '"$tag"' > /tmp/hello-activated'; } > $out/bin/activate
    /bin/chmod +x $out/bin/activate
  '' ];
}
EOF
build() { nix-build --no-out-link "$W/hello.nix" --argstr tag "$1" 2>>"$W/build.log"; }
V1=$(build v1); V2=$(build v2); V3=$(build v3); V4=$(build v4)
check "built four versions" [ -d "$V1" -a -d "$V2" -a -d "$V3" -a -d "$V4" ]

expect_exit 0 "lab up 50" ch lab up 50 --base $LAB_BASE
LAB_ROOT=$(lab_root)	# where the nodes' files are seen from here
expect_exit 0 "every node on v1" ch deploy -t @lab --expect "$V1" --no-magic-rollback

# (a) Two deploys of different configurations to the same 20 nodes at once, B naming them in
# the reverse order: each takes some first, holds them over 3 s of activation, and gives up
# on the others after --lock-wait 1 (long before the holder lets go).
T20=$(range 0 19)
R20=$(printf '%s\n' "$T20" | tr ',' '\n' | tac | paste -sd,)
SLOW3='sleep 3; exec "$1"/bin/activate'
"$CHIMERA" --state-dir "$STATE" deploy --json -t "$T20" --expect "$V2" --no-magic-rollback \
	--activate "$SLOW3" --lock-wait 1 >"$W/a.json" 2>"$W/a.err" &
PA=$!
"$CHIMERA" --state-dir "$STATE" deploy --json -t "$R20" --expect "$V3" --no-magic-rollback \
	--activate "$SLOW3" --lock-wait 1 >"$W/b.json" 2>"$W/b.err" &
PB=$!
wait $PA; EA=$?
wait $PB; EB=$?
IDA=$(jq -r .deployment "$W/a.json"); IDB=$(jq -r .deployment "$W/b.json")
DA=$(jq '[.nodes[] | select(.outcome == "deployed")] | length' "$W/a.json")
DB=$(jq '[.nodes[] | select(.outcome == "deployed")] | length' "$W/b.json")
# Which run wins which nodes is a race (a slow build may lose them all): each exits 3 when it
# got some and met held ones, 1 when every node was held, 0 when it met none held.
exit_for() { if [ "$1" -eq 20 ]; then echo 0; elif [ "$1" -eq 0 ]; then echo 1; else echo 3; fi; }
check "each deploy's exit says what it got ($EA for $DA of 20, $EB for $DB of 20)" \
	[ "$EA" -eq "$(exit_for "$DA")" -a "$EB" -eq "$(exit_for "$DB")" ]
check "every node deployed by exactly one of them ($DA + $DB = 20)" [ $((DA + DB)) -eq 20 ]
check "A's failures: held by B, at step lease, naming B's id, pid and host" \
	[ "$(jq -r --arg b "$IDB" '[.nodes[] | select(.outcome == "failed") | select(.failed_step == "lease" and (.error | test("is held by deployment " + $b + " \\(pid [0-9]+ on .+ since [0-9:]+\\)")))] | length' "$W/a.json")" -eq $((20 - DA)) ]
check "B's failures: held by A" \
	[ "$(jq -r --arg a "$IDA" '[.nodes[] | select(.outcome == "failed") | select(.error | contains("is held by deployment " + $a))] | length' "$W/b.json")" -eq $((20 - DB)) ]
expect_exit 0 "events: node.deploy.complete" ch events --json --topic node.deploy.complete
printf '%s\n' "$OUT" | jq -r --arg a "$IDA" --arg b "$IDB" \
	'select(.deployment == $a or .deployment == $b) | "\(.node) \(.payload.path)"' | sort >"$W/complete"
check "one node.deploy.complete per node across both" [ "$(cut -d' ' -f1 "$W/complete" | sort -u | wc -l)" -eq 20 -a "$(wc -l <"$W/complete")" -eq 20 ]
bad=0
for i in $(seq 0 19); do
	want=$(awk -v n="$(N "$i")" '$1 == n { print $2 }' "$W/complete")
	[ "$(profile_of "$i")" = "$want" ] || bad=$((bad + 1))
done
check "each node's profile is the path its one deploy recorded ($bad wrong)" [ "$bad" -eq 0 ]
# Changed by exactly one: one generation on top of v1's (two deploys fighting leave two).
bad=0
for i in $(seq 0 19); do
	[ "$(on "$i" 'ls /nix/var/nix/profiles' | grep -c '^system-[0-9]*-link$')" -eq 2 ] || bad=$((bad + 1))
done
check "each node got exactly one new generation ($bad did not)" [ "$bad" -eq 0 ]
expect_exit 0 "no lease is left behind" sqlite3 "$STATE/chimera.db" 'SELECT count(*) FROM leases'
check "the leases table is empty" [ "$OUT" = 0 ]

# (b) A watch of v1 beside a slow deploy of v2: the nodes drift while the deploy holds them,
# and the watch must leave them alone (held) until the deploy lets go.
T10=$(range 20 29)
"$CHIMERA" --state-dir "$STATE" watch -t "$T10" --expect "$V1" --interval 1 --rounds 15 --no-magic-rollback \
	--json >"$W/watch.json" 2>"$W/watch.err" &
PW=$!
sleep 1
expect_exit 0 "a slow deploy of v2 beside the watch deploys every node" \
	ch deploy --json -t "$T10" --expect "$V2" --no-magic-rollback --activate 'sleep 3; exec "$1"/bin/activate'
IDD=$(printf '%s\n' "$OUT" | jq -r .deployment)
wait $PW
expect_exit 0 "events of the watch and the deploy" ch events --json
printf '%s\n' "$OUT" >"$W/events.json"
HELD=$(jq -r 'select(.topic == "watch.node.held") | .node' "$W/events.json" | wc -l)
check "the watch met held nodes and said so ($HELD watch.node.held)" [ "$HELD" -gt 0 ]
check "watch.node.held names the deploy" \
	[ "$(jq -r --arg d "$IDD" 'select(.topic == "watch.node.held") | .payload.error | contains($d)' "$W/events.json" | sort -u)" = true ]
early=0
for i in $(seq 20 29); do
	done_seq=$(jq -r --arg d "$IDD" --arg n "$(N "$i")" 'select(.topic == "node.deploy.complete" and .deployment == $d and .node == $n) | .seq' "$W/events.json")
	heals=$(jq -r --arg n "$(N "$i")" --argjson s "${done_seq:-0}" 'select(.topic == "watch.node.healed" and .node == $n and .seq < $s) | .seq' "$W/events.json" | wc -l)
	early=$((early + heals))
done
check "no heal of a node before the deploy let it go ($early)" [ "$early" -eq 0 ]

# (c) kill -9 a 50-node deploy at about 30%, with magic rollback (its dead-man switches armed
# on the nodes it reached), then the same deploy again.
expect_exit 0 "every node back on v1" ch deploy -t @lab --expect "$V1" --no-magic-rollback
S0=$(sqlite3 "$STATE/chimera.db" "SELECT max(seq) FROM events")
"$CHIMERA" --state-dir "$STATE" deploy -t @lab --expect "$V2" --confirm-timeout 30 --parallel 10 \
	--activate "$SLOW" >"$W/k1.out" 2>&1 &
PK=$!
# Killed once 10 nodes are done and some others have their switches armed (seen from the
# host: a lab node's /nix is a directory of ours), however slow this build is.
n=0
until [ "$(done_since "$S0")" -ge 10 ] &&
	[ -n "$(ls "$LAB_ROOT"/node-*/nix/var/chimera/deadman/*/pid 2>/dev/null)" ] || [ $n -ge 1200 ]; do
	sleep 0.1; n=$((n + 1))
done
kill -9 $PK
wait $PK 2>/dev/null
K1=$(sqlite3 "$STATE/chimera.db" "SELECT deployment FROM events WHERE topic = 'deploy.initiated' ORDER BY seq DESC LIMIT 1")
ARMED1=$(ls "$LAB_ROOT"/node-*/nix/var/chimera/deadman/"$K1".*/info 2>/dev/null | wc -l)
check "the killed run left switches armed ($ARMED1)" [ "$ARMED1" -gt 0 ]
# When the last of them is due (the nodes share this machine's clock).
DUE1=$(cat "$LAB_ROOT"/node-*/nix/var/chimera/deadman/"$K1".*/info | sed -n 's/^deadline //p' | sort -n | tail -1)
check "the killed run left leases behind" [ "$(sqlite3 "$STATE/chimera.db" "SELECT count(*) FROM leases WHERE op = '$K1'")" -gt 0 ]
expect_exit 0 "the same deploy again deploys all 50" ch deploy --json -t @lab --expect "$V2" --confirm-timeout 10
expect_exit 0 "events: lease.takeover" ch events --json --topic lease.takeover
check "the take-over names the dead run and its pid" \
	[ "$(printf '%s\n' "$OUT" | jq -r --arg k "$K1" 'select(.deployment == $k) | "\(.payload.pid) \(.payload.reason)"' | head -1)" = "$PK holder gone" ]
expect_exit 0 "deployments show the killed run" ch deployments show "$K1" --json
printf '%s\n' "$OUT" >"$W/k1.json"
check "its result is interrupted" [ "$(jq -r .result "$W/k1.json")" = interrupted ]
DONE1=$(jq '[.outcomes[] | select(.outcome == "deployed")] | length' "$W/k1.json")
INT1=$(jq '[.outcomes[] | select(.outcome == "interrupted")] | length' "$W/k1.json")
check "killed at about 30%: $DONE1 deployed, $INT1 interrupted, none pending" \
	[ "$DONE1" -ge 5 -a "$DONE1" -le 35 -a $((DONE1 + INT1)) -eq 50 ]
check "every interrupted node has the state read from it (new or old)" \
	[ "$(jq -r '[.outcomes[] | select(.outcome == "interrupted") | .state] | map(select(. == "new" or . == "old")) | length' "$W/k1.json")" -eq "$INT1" ]
expect_exit 0 "the list says interrupted" ch deployments
check "deployments lists $K1 as interrupted" contains "$(printf '%s\n' "$OUT" | grep "$K1")" interrupted
# The killed run's switches were settled by the second: past their deadline, no node went back.
left=$((DUE1 + 10 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
bad=0
for i in $(seq 0 49); do [ "$(profile_of "$i")" = "$V2" ] || bad=$((bad + 1)); done
check "10 s after the killed run's switches were due, all 50 nodes still on v2 ($bad not)" [ "$bad" -eq 0 ]
expect_exit 0 "events: node.rollback.complete" ch events --json --topic node.rollback.complete
check "no node rolled itself back" [ "$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.payload.by == "node")] | length')" -eq 0 ]
expect_exit 0 "events: node.deadman.settled" ch events --json --topic node.deadman.settled
# (A node the killed run's session was still arming when counted may add one.)
check "the second run settled the killed run's switches (at least the $ARMED1 counted)" \
	[ "$(printf '%s\n' "$OUT" | jq -s --arg k "$K1" '[.[] | select(.payload.armed_by == $k) | .node] | unique | length')" -ge "$ARMED1" ]
check "and left none of them on any node" [ -z "$(ls -d "$LAB_ROOT"/node-*/nix/var/chimera/deadman/"$K1".* 2>/dev/null)" ]

# A third run killed the same way, then --resume finishes exactly what it left.
S0=$(sqlite3 "$STATE/chimera.db" "SELECT max(seq) FROM events")
"$CHIMERA" --state-dir "$STATE" deploy -t @lab --expect "$V3" --no-magic-rollback --parallel 10 \
	--activate "$SLOW" >"$W/k3.out" 2>&1 &
PK=$!
n=0
until [ "$(done_since "$S0")" -ge 10 ] || [ $n -ge 1200 ]; do sleep 0.1; n=$((n + 1)); done
kill -9 $PK
wait $PK 2>/dev/null
K3=$(sqlite3 "$STATE/chimera.db" "SELECT deployment FROM events WHERE topic = 'deploy.initiated' ORDER BY seq DESC LIMIT 1")
expect_exit 0 "deployments show the third run" ch deployments show "$K3" --json
LEFT=$(printf '%s\n' "$OUT" | jq '[.outcomes[] | select(.outcome != "deployed")] | length')
check "the third run left some nodes unfinished ($LEFT)" [ "$LEFT" -gt 0 -a "$LEFT" -lt 50 ]
expect_exit 0 "deploy --resume finishes it" ch deploy --json --resume "$K3"
check "--resume ran exactly the $LEFT unfinished nodes" [ "$(printf '%s\n' "$OUT" | jq '.nodes | length')" -eq "$LEFT" ]
check "all of them deployed" [ "$(printf '%s\n' "$OUT" | jq '[.nodes[] | select(.outcome == "deployed")] | length')" -eq "$LEFT" ]
check "with the third run's path" [ "$(printf '%s\n' "$OUT" | jq -r .path)" = "$V3" ]
bad=0
for i in $(seq 0 49); do [ "$(profile_of "$i")" = "$V3" ] || bad=$((bad + 1)); done
check "all 50 nodes on v3 ($bad not)" [ "$bad" -eq 0 ]
expect_exit 2 "--resume of a finished deployment" ch deploy --resume "$K3"
check "the error names it finished" contains "$ERR" "deployment $K3 is finished"
expect_exit 2 "--resume of an unknown id" ch deploy --resume 01ARZ3NDEKTSV4RRFFQ69G5FAV
check "the error names the id" contains "$ERR" "no deployment '01ARZ3NDEKTSV4RRFFQ69G5FAV'"
expect_exit 2 "--resume with -t" ch deploy --resume "$K3" -t @lab
expect_exit 0 "ledger verify" ch ledger verify
finish
