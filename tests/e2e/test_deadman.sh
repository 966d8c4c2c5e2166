#!/bin/sh
# Dead-man switches with an owner (issue 15, finding 1). A deploy with magic rollback that
# is killed leaves its switches armed: the next deploy of the same path confirms them (and
# says so in the ledger) instead of letting them roll the nodes back later, silently. A
# switch that fires with nobody left to notice is noticed by the next `chimera status`,
# which records it once as the node's own rollback under the deployment that armed it.
. "$E2E_DIR/lib.sh"
LAB_BASE=217
start
W="$E2E_WORK/$TEST_NAME"
nix_offline
HELLO="$E2E_DIR/../../examples/hello/default.nix"

KILLED=
trap 'if [ -n "$KILLED" ]; then kill -9 "$KILLED" 2>/dev/null; fi; cleanup' EXIT
trap 'exit 130' INT TERM

N() { echo "root@127.$LAB_BASE.0.1$1:22"; }
on() { i=$1; shift; ssh -F "$STATE/lab/ssh_config" -o ConnectTimeout=5 "127.$LAB_BASE.0.1$i" "$@"; }
profile_of() { on "$1" 'readlink -f /nix/var/nix/profiles/system'; }
# Switch directories on node $1 (under the known place, and the old one in /tmp).
switches() { on "$1" 'ls /nix/var/chimera/deadman 2>/dev/null; ls -d /tmp/chimera-confirm.* 2>/dev/null' | wc -l; }
all_switches() { echo $(( $(switches 0) + $(switches 1) + $(switches 2) )); }
last_deployment() { ch events --json --topic deploy.initiated | tail -1 | jq -r .deployment; }
# Switches armed on any node (started: their pid written), seen from the host: a lab node's
# /nix is a directory of ours.
armed() { ls "$LAB_ROOT"/node-*/nix/var/chimera/deadman/*/pid 2>/dev/null | wc -l; }
# Start a deploy in the background with a slow activation, and kill -9 it once $1 switches
# are armed (the nodes are then activating: the activation sleeps 5 s). Waiting for the
# switches, not a fixed time, keeps this true on a slow build (the sanitizers').
deploy_killed() {
	want=$1; shift
	"$CHIMERA" --state-dir "$STATE" deploy "$@" --activate 'sleep 5; "$1"/bin/activate' \
		>"$W/killed.out" 2>&1 &
	KILLED=$!
	n=0
	until [ "$(armed)" -ge "$want" ] || [ $n -ge 600 ]; do sleep 0.1; n=$((n + 1)); done
	kill -9 "$KILLED"
	wait "$KILLED" 2>/dev/null
	KILLED=
}
build() { nix-build --no-out-link "$HELLO" --argstr version "$1" 2>>"$W/build.log"; }
V1=$(build dm1)
V2=$(build dm2)
V3=$(build dm3)
check "built three versions" [ -d "$V1" -a -d "$V2" -a -d "$V3" ]

expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
LAB_ROOT=$(lab_root)	# where the nodes' files are seen from here
expect_exit 0 "v1 everywhere" ch deploy -t @lab --expect "$V1" --confirm-timeout 10

# Finding 1: a deploy of v2 killed while its nodes activate leaves three switches armed.
deploy_killed 3 -t @lab --expect "$V2" --confirm-timeout 30
FIRST=$(last_deployment)
# When the last of them is due (the nodes share this machine's clock).
DUE=$(cat "$LAB_ROOT"/node-*/nix/var/chimera/deadman/*/info | sed -n 's/^deadline //p' | sort -n | tail -1)
check "the killed deploy switched every node to v2" \
	[ "$(profile_of 0) $(profile_of 1) $(profile_of 2)" = "$V2 $V2 $V2" ]
check "and left a switch armed on each, under /nix/var/chimera/deadman ($(all_switches))" [ "$(all_switches)" = 3 ]
check "each switch is tagged with the deployment that armed it" \
	[ "$(on 0 'cat /nix/var/chimera/deadman/*/info' | sed -n 's/^op //p')" = "$FIRST" ]
check "and the path it protects" [ "$(on 1 'cat /nix/var/chimera/deadman/*/info' | sed -n 's/^path //p')" = "$V2" ]

expect_exit 0 "deploy v2 again: exit 0" ch deploy -t @lab --expect "$V2" --confirm-timeout 10
SECOND=$(last_deployment)
check "it names 3 nodes deployed" contains "$OUT" "3 nodes: 3 deployed, 0 failed"
check "no switch directory is left on any node" [ "$(all_switches)" = 0 ]
expect_exit 0 "events of the second deploy: node.deadman.settled" \
	ch events --json --deployment "$SECOND" --topic node.deadman.settled
check "the second deploy confirmed the first one's three switches" \
	[ "$(printf '%s\n' "$OUT" | jq -r 'select(.payload.armed_by == "'"$FIRST"'" and .payload.action == "confirmed" and .payload.path == "'"$V2"'") | .node' | sort -u | wc -l)" = 3 ]
check "each settled before the node's copy" \
	[ "$(ch events --json --deployment "$SECOND" --node "$(N 0)" | jq -r .topic | head -1)" = node.deadman.settled ]

left=$((DUE + 10 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
check "every node is still on v2 10 s after the old switches were due" \
	[ "$(profile_of 0) $(profile_of 1) $(profile_of 2)" = "$V2 $V2 $V2" ]
expect_exit 0 "status: all congruent with v2" ch status -t @lab --expect "$V2"
expect_exit 0 "events: no rollback by a node" ch events --json --topic node.rollback.complete
check "none at all" [ -z "$OUT" ]

# A switch that does not protect what the next operation wants is disarmed: a killed v3
# deploy, then v1 deployed over it.
deploy_killed 1 -t "$(N 2)" --expect "$V3" --confirm-timeout 30
THIRD=$(last_deployment)
check "node 2 is on v3 with a switch armed" [ "$(profile_of 2) $(switches 2)" = "$V3 1" ]
expect_exit 0 "deploy v1 to node 2" ch deploy -t "$(N 2)" --expect "$V1" --confirm-timeout 10
FOURTH=$(last_deployment)
expect_exit 0 "events: node.deadman.settled" ch events --json --deployment "$FOURTH" --topic node.deadman.settled
check "v3's switch was disarmed by the v1 deploy" \
	[ "$(printf '%s\n' "$OUT" | jq -r '"\(.payload.armed_by) \(.payload.action) \(.payload.path)"')" = "$THIRD disarmed $V3" ]
check "and its directory removed" [ "$(switches 2)" = 0 ]
check "node 2 on v1" [ "$(profile_of 2)" = "$V1" ]

# Nobody left: a killed deploy's switches fire. The next contact records it, once.
deploy_killed 2 -t "$(N 0),$(N 1)" --expect "$V3" --confirm-timeout 5
FIFTH=$(last_deployment)
n=0
until [ "$(on 0 'cat /nix/var/chimera/deadman/*/result' 2>/dev/null)$(on 1 'cat /nix/var/chimera/deadman/*/result' 2>/dev/null)" = rolled-backrolled-back ] || [ $n -ge 60 ]; do
	sleep 1; n=$((n + 1))
done
check "both switches fired and rolled their nodes back to v2 (${n} s)" \
	[ "$(profile_of 0) $(profile_of 1)" = "$V2 $V2" ]
expect_exit 0 "no rollback recorded yet" ch events --json --deployment "$FIFTH" --topic node.rollback.complete
check "none" [ -z "$OUT" ]
expect_exit 3 "status --json of node 0 against v3" ch status --json -t "$(N 0)" --expect "$V3"
check "it reports node 0 rolled back by its switch under the killed deployment" \
	[ "$(printf '%s\n' "$OUT" | jq -r '.nodes[0] | "\(.state) \(.deadman.armed_by) \(.deadman.result)"')" = "drifted $FIFTH rolled-back" ]
expect_exit 3 "status of node 1 against v3" ch status -t "$(N 1)" --expect "$V3"
check "it says node 1 was rolled back by its dead-man switch" \
	contains "$OUT" "rolled back by its dead-man switch (deployment $FIFTH)"
expect_exit 3 "status of both again" ch status --json -t "$(N 0),$(N 1)" --expect "$V3"
check "the second look reports no switch" [ "$(printf '%s\n' "$OUT" | jq -r '[.nodes[].deadman] | map(select(. != null)) | length')" = 0 ]
expect_exit 0 "events of the killed deployment: node.rollback.complete" \
	ch events --json --deployment "$FIFTH" --topic node.rollback.complete
check "exactly one per node, by the node, under the deployment that armed it" \
	[ "$(printf '%s\n' "$OUT" | jq -r 'select(.payload.by == "node" and .payload.ok and .payload.noticed_by == "status") | .node' | sort | tr '\n' ' ')" = "$(N 0) $(N 1) " ]
check "no switch directory left on any node" [ "$(all_switches)" = 0 ]
finish
