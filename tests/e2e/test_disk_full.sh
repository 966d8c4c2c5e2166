#!/bin/sh
# A node whose disk fills during the copy (issue 16): the deploy names the node, the step and
# the cause, the other node is deployed, and once there is room again the same deploy works.
. "$E2E_DIR/lib.sh"
LAB_BASE=225
nix_offline
start
HELLO="$E2E_DIR/../../examples/hello/default.nix"

expect_exit 0 "lab up 2" ch lab up 2 --base $LAB_BASE
N0=root@127.$LAB_BASE.0.10:22
PID=$(ch lab status --json | jq -r '.list[0].pid')
# Node 0's store becomes a 4 KiB file system (one page), inside the node's own mount namespace.
check "node 0's store is a tiny tmpfs" nsenter -t "$PID" -m mount -t tmpfs -o size=4k chimera-full /nix/store

expect_exit 3 "deploy to both" ch deploy -t @lab -c "$HELLO" --argstr version 7 --json
check "node 0 failed at copy" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[0] | "\(.outcome) \(.failed_step)"')" = "failed copy" ]
check "naming the cause" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[0].error')" = "copy failed: No space left on device (the node's disk is full)" ]
check "node 1 was deployed" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[1].outcome')" = deployed ]
expect_exit 0 "the failure is in the ledger" ch events --topic node.failed --json
check "with the node and the cause" [ "$(printf '%s\n' "$OUT" | jq -r 'select(.node == "'"$N0"'") | .payload.error')" = "copy failed: No space left on device (the node's disk is full)" ]
expect_exit 3 "as text" ch deploy -t @lab -c "$HELLO" --argstr version 7
check "the text names node, step and cause" contains "$OUT$ERR" "$N0: FAILED at copy: copy failed: No space left on device (the node's disk is full)"

check "room again" nsenter -t "$PID" -m umount /nix/store
expect_exit 0 "the same deploy now" ch deploy -t @lab -c "$HELLO" --argstr version 7
expect_exit 0 "the ledger verifies" ch ledger verify
finish
