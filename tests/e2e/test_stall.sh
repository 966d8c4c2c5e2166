#!/bin/sh
# A frozen node (every process of it stopped with SIGSTOP) fails after --stall-timeout, not
# after the step's whole --timeout, while a node that is only quiet (a long activation that
# prints nothing) is not cut: chimera asks a silent node for an answer and only silence to
# that counts (issue 16). --activation-timeout bounds the activation on its own.
. "$E2E_DIR/lib.sh"
LAB_BASE=226
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false')"
export NIX_CONFIG
start
HELLO="$E2E_DIR/../../examples/hello/default.nix"
N1=root@127.$LAB_BASE.0.11:22

expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
PID1=$(ch lab status --json | jq -r '.list[1].pid')
# Every process in node 1's mount namespace: its sshd and each session's processes. One ps,
# not a readlink per process: with other tests' labs running, a walk of /proc in shell took
# longer than the activation it had to catch (make check at -j2).
node1_procs() {
	ns=$(readlink "/proc/$PID1/ns/mnt" | tr -dc 0-9)
	ps -eo pid=,mntns= | awk -v ns="$ns" '$2 == ns { print $1 }'
}
freeze() { for p in $(node1_procs); do kill -STOP "$p" 2>/dev/null; done; }
thaw() { for p in $(node1_procs); do kill -CONT "$p" 2>/dev/null; done; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# Quiet but alive: an activation that prints nothing for 8 s outlives a 3 s stall timeout.
T0=$(date +%s%N)
expect_exit 0 "a quiet 8 s activation with --stall-timeout 3" ch deploy -t @lab -c "$HELLO" --argstr version 1 \
	--activate 'sleep 8' --stall-timeout 3 --no-magic-rollback
check "every node deployed" contains "$OUT" "3 nodes: 3 deployed, 0 failed"
check "it took the 8 s (took $(ms_since "$T0") ms)" [ "$(ms_since "$T0")" -ge 8000 ]

# Frozen during its activation: node 1 fails at activate within the 6 s activation of the
# others plus the 4 s stall timeout (and some slack), with --timeout at 600.
( sleep 3; freeze ) &
T0=$(date +%s%N)
expect_exit 3 "node 1 frozen during a 6 s activation, --stall-timeout 4" ch deploy -t @lab -c "$HELLO" \
	--argstr version 2 --activate 'sleep 6' --stall-timeout 4 --timeout 600 --no-magic-rollback --json
MS=$(ms_since "$T0")
wait
check "the run ended within the healthy nodes' time plus the stall timeout (took $MS ms)" [ "$MS" -lt 16000 ]
check "node 1 failed at activate" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[1] | "\(.outcome) \(.failed_step)"')" = "failed activate" ]
check "saying it stalled" contains "$(printf '%s\n' "$OUT" | jq -r '.nodes[1].error')" "stalled: not a byte from the node for 4s"
check "the two others were deployed" [ "$(printf '%s\n' "$OUT" | jq '[.nodes[] | select(.outcome == "deployed")] | length')" = 2 ]
thaw

# exec: the same watch, on a command that outlives it on the frozen node only.
( sleep 2; freeze ) &
T0=$(date +%s%N)
expect_exit 3 "exec with node 1 frozen, --stall-timeout 3" ch exec -t @lab --stall-timeout 3 -- 'sleep 5; echo done'
MS=$(ms_since "$T0")
wait
check "it ended within 5 s plus 3 s and slack (took $MS ms)" [ "$MS" -lt 12000 ]
check "node 1 stalled" contains "$OUT" "$N1: FAILED"
check "the others ran" [ "$(printf '%s\n' "$OUT" | grep -c '^  done$')" = 2 ]
thaw

# --activation-timeout: a 30 s activation is cut after 3 s.
T0=$(date +%s%N)
expect_exit 1 "an activation past --activation-timeout 3" ch deploy -t "$N1" -c "$HELLO" --argstr version 3 \
	--activate 'sleep 30' --activation-timeout 3 --no-magic-rollback --json
check "cut at activate (took $(ms_since "$T0") ms)" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[0].failed_step')" = activate ]
check "after about 3 s" [ "$(ms_since "$T0")" -lt 15000 ]
check "naming the limit" contains "$(printf '%s\n' "$OUT" | jq -r '.nodes[0].error')" "timed out after 3s"
expect_exit 2 "--stall-timeout takes a number" ch deploy -t "$N1" -c "$HELLO" --stall-timeout soon
finish
