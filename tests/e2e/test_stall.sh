#!/bin/sh
# A frozen node (every process of it stopped with SIGSTOP) fails after --stall-timeout, not
# after the step's whole --timeout, while a node that is only quiet (a long activation that
# prints nothing) is not cut: chimera asks a silent node for an answer and only silence to
# that counts (issue 16). --activation-timeout bounds the activation on its own.
. "$E2E_DIR/lib.sh"
LAB_BASE=226
nix_offline
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
# Freeze node 1 once a process whose command line is exactly $1 runs in it: its activation or
# its exec has begun (a line that only holds $1 may be the copy step's). A fixed sleep froze it
# too early or too late under make check's load at -j2. The time of the freeze goes to
# frozen_at in the test's work dir.
freeze_when_running() {
	rm -f "$E2E_WORK/$TEST_NAME/frozen_at"
	ns=$(readlink "/proc/$PID1/ns/mnt" | tr -dc 0-9)
	i=0
	while [ $i -lt 1200 ]; do
		if ps -eo mntns=,args= | awk -v ns="$ns" -v pat="$1" '{ m = $1; $1 = ""; sub(/^ +/, "") } m == ns && $0 == pat { f = 1 } END { exit !f }'; then
			freeze
			date +%s%N >"$E2E_WORK/$TEST_NAME/frozen_at"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "freeze_when_running: no process running '$1' on node 1 within 120 s" >&2
}
ms_after_freeze() { echo $(( ($(date +%s%N) - $(cat "$E2E_WORK/$TEST_NAME/frozen_at" 2>/dev/null || date +%s%N)) / 1000000 )); }
thaw() { for p in $(node1_procs); do kill -CONT "$p" 2>/dev/null; done; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# Quiet but alive: an activation that prints nothing for 8 s outlives a 3 s stall timeout.
T0=$(date +%s%N)
expect_exit 0 "a quiet 8 s activation with --stall-timeout 3" ch deploy -t @lab -c "$HELLO" --argstr version 1 \
	--activate 'sleep 8' --stall-timeout 3 --no-magic-rollback
check "every node deployed" contains "$OUT" "3 nodes: 3 deployed, 0 failed"
check "it took the 8 s (took $(ms_since "$T0") ms)" [ "$(ms_since "$T0")" -ge 8000 ]

# Frozen during its activation: node 1 fails at activate within the rest of the others' 6 s
# activation and the 4 s stall timeout (and some slack) after the freeze, with --timeout at 600.
freeze_when_running 'sleep 6' &
expect_exit 3 "node 1 frozen during a 6 s activation, --stall-timeout 4" ch deploy -t @lab -c "$HELLO" \
	--argstr version 2 --activate 'sleep 6' --stall-timeout 4 --timeout 600 --no-magic-rollback --json
MS=$(ms_after_freeze)
wait
check "node 1 was frozen during its activation" [ -s "$E2E_WORK/$TEST_NAME/frozen_at" ]
check "the run ended within the healthy nodes' time plus the stall timeout after the freeze (took $MS ms)" [ "$MS" -lt 14000 ]
check "node 1 failed at activate" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[1] | "\(.outcome) \(.failed_step)"')" = "failed activate" ]
check "saying it stalled" contains "$(printf '%s\n' "$OUT" | jq -r '.nodes[1].error')" "stalled: not a byte from the node for 4s"
check "the two others were deployed" [ "$(printf '%s\n' "$OUT" | jq '[.nodes[] | select(.outcome == "deployed")] | length')" = 2 ]
thaw

# exec: the same watch, on a command that outlives it on the frozen node only.
freeze_when_running 'sleep 5' &
expect_exit 3 "exec with node 1 frozen, --stall-timeout 3" ch exec -t @lab --stall-timeout 3 -- 'sleep 5; echo done'
MS=$(ms_after_freeze)
wait
check "node 1 was frozen while the command ran" [ -s "$E2E_WORK/$TEST_NAME/frozen_at" ]
check "it ended within 5 s plus 3 s and slack after the freeze (took $MS ms)" [ "$MS" -lt 11000 ]
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
