#!/bin/sh
# chimera lab: up, grow, shrink, status, targets, ssh -F, down, and the clear errors.
. "$E2E_DIR/lib.sh"
LAB_BASE=201
start

expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
expect_exit 0 "lab status: all alive" ch lab status --json
check "status lists 3 alive nodes" [ "$(printf "%s\n" "$OUT" | json .alive)" = 3 ]
check "node 0 is on 127.$LAB_BASE.0.10" [ "$(printf "%s\n" "$OUT" | json '.list[0].address')" = "127.$LAB_BASE.0.10" ]
PID0=$(printf "%s\n" "$OUT" | json '.list[0].pid')
check "status gives the base octet" [ "$(printf "%s\n" "$OUT" | json .base)" = "$LAB_BASE" ]
# Where the node files are: under STATE/lab/nodes, or /var/lib/chimera when STATE is under /tmp.
LR=$(printf "%s\n" "$OUT" | json .root)
check "status gives each node's directory under the lab's root" \
	[ "$(printf "%s\n" "$OUT" | json '[.list[].dir] | join(" ")')" = "$LR/node-0000 $LR/node-0001 $LR/node-0002" ]
P1=$(printf "%s\n" "$OUT" | json '.list[1].pid')
node1_files() { [ -d "$(node_root 1)/nix/store" ] && [ "$(cat "$(node_root 1)/run/sshd.pid")" = "$P1" ]; }
check "node_root 1 holds node 1's store and its sshd pid" node1_files

expect_exit 0 "plain ssh -F reaches a node" ssh -F "$STATE/lab/ssh_config" 127.$LAB_BASE.0.11 'echo $HOME; ls -d /nix/store /nix/var/nix; ls /tmp | wc -l'
check "the node's root home is its own" contains "$OUT" "/root"

# Each node has its own store: a file made on node 0 is not on node 1.
ssh -F "$STATE/lab/ssh_config" 127.$LAB_BASE.0.10 'touch /nix/store/only-on-node-0' >/dev/null 2>&1
expect_exit 1 "node 1 does not see node 0's store" ssh -F "$STATE/lab/ssh_config" 127.$LAB_BASE.0.11 'test -e /nix/store/only-on-node-0'
check "the controller's /nix does not see it either" [ ! -e /nix/store/only-on-node-0 ]

expect_exit 0 "nix-copy-closure reaches a node" sh -c "
	p=\$(NIX_CONFIG='substituters =' nix-store --add '$E2E_DIR/lib.sh') &&
	NIX_SSHOPTS='-F $STATE/lab/ssh_config' nix-copy-closure --to root@127.$LAB_BASE.0.12 \$p &&
	ssh -F '$STATE/lab/ssh_config' 127.$LAB_BASE.0.12 \"test -f \$p\""

expect_exit 0 "lab up 3 again is idempotent" ch lab up 3
PID0B=$(ch lab status --json | json '.list[0].pid')
check "a running node is kept (same pid)" [ "$PID0" = "$PID0B" ]

expect_exit 0 "lab up 5 grows" ch lab up 5
check "5 nodes alive" [ "$(ch lab status --json | json .alive)" = 5 ]
expect_exit 0 "lab targets" ch lab targets
check "targets list has 5 entries" [ "$(printf "%s\n" "$OUT" | tr ',' '\n' | grep -c '^root@127\.')" = 5 ]

PID4=$(ch lab status --json | json '.list[4].pid')
expect_exit 0 "lab up 2 shrinks" ch lab up 2
check "2 nodes listed" [ "$(ch lab status --json | json .nodes)" = 2 ]
gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
check "node 4's sshd is gone" gone "$PID4"
check "node 4's directory is gone" [ ! -d "$LR/node-0004" ]

# A dead node comes back with lab up.
kill "$(ch lab status --json | json '.list[1].pid')"
sleep 0.3
expect_exit 3 "status reports a dead node (exit 3)" ch lab status
check "status says down" contains "$OUT" "down"
expect_exit 0 "lab up 2 restarts it" ch lab up 2
check "2 alive again" [ "$(ch lab status --json | json .alive)" = 2 ]

# A process left running in a node outlives its sshd; lab up and lab down still clear it.
ssh -F "$STATE/lab/ssh_config" 127.$LAB_BASE.0.10 'setsid sleep 4241 </dev/null >/dev/null 2>&1 &' 
ssh -F "$STATE/lab/ssh_config" 127.$LAB_BASE.0.11 'setsid sleep 4242 </dev/null >/dev/null 2>&1 &'
check "the first leftover process runs" [ -n "$(live_procs 'sleep 4241')" ]
check "the second leftover process runs" [ -n "$(live_procs 'sleep 4242')" ]
kill "$(ch lab status --json | json '.list[0].pid')"
sleep 0.3
expect_exit 0 "lab up restarts the node whose sshd died" ch lab up 2
check "its leftover process went with its old namespace" [ -z "$(live_procs 'sleep 4241')" ]
check "the other node's process is untouched" [ -n "$(live_procs 'sleep 4242')" ]
kill "$(ch lab status --json | json '.list[1].pid')"
sleep 0.3

expect_exit 0 "lab down" ch lab down
check "a process of a node whose sshd was killed is gone too" [ -z "$(live_procs 'sleep 4242')" ]
check "no live process of this lab remains" [ -z "$(live_procs "$LR")" ]
check "no mount of this lab remains anywhere" [ -z "$(grep -l "$LR" /proc/[0-9]*/mountinfo 2>/dev/null)" ]
check "node directories are removed" [ -z "$(ls "$LR" 2>/dev/null | grep node-)" ]

# A node that cannot start (its address is taken by another lab) fails the whole call cleanly.
OTHER="$E2E_WORK/$TEST_NAME/other"
expect_exit 0 "a first lab holds 127.$LAB_BASE.0.11" ch lab up 2
"$CHIMERA" --state-dir "$OTHER" lab down >/dev/null 2>&1
expect_exit 1 "a second lab on the same addresses fails" "$CHIMERA" --state-dir "$OTHER" lab up 3 --base $LAB_BASE
check "naming the node and the cause" contains "$ERR" "did not start" && contains "$ERR" "in use"
check "the second lab records no nodes" [ "$("$CHIMERA" --state-dir "$OTHER" lab status --json | json .nodes)" = 0 ]
check "and has no process left" [ -z "$(live_procs "$(lab_root "$OTHER")")" ]
check "the first lab is untouched" [ "$(ch lab status --json | json .alive)" = 2 ]
# A pidfile that names another lab's sshd (a recycled pid) must not make this lab claim
# that process, in status or in down: both labs have a node-0000.
expect_exit 0 "the second lab starts on its own addresses" "$CHIMERA" --state-dir "$OTHER" lab up 1 --base $((LAB_BASE + 40))
OTHER_PID=$("$CHIMERA" --state-dir "$OTHER" lab status --json | json '.list[0].pid')
kill "$(ch lab status --json | json '.list[0].pid')"
sleep 0.3
rm -f "$LR/node-0000/mntns"
echo "$OTHER_PID" > "$LR/node-0000/run/sshd.pid"
expect_exit 3 "status does not take the other lab's sshd for this node" ch lab status
check "node-0000 is reported down" [ "$(ch lab status --json | json '.list[0].alive')" = false ]
expect_exit 0 "lab down the first" ch lab down
check "the other lab's node-0000 is still alive" [ "$("$CHIMERA" --state-dir "$OTHER" lab status --json | json '.alive')" = 1 ]
expect_exit 0 "lab down the second" "$CHIMERA" --state-dir "$OTHER" lab down

# Missing prerequisites: one clear error each, exit 1, nothing started.
TOOLS="$E2E_WORK/$TEST_NAME/tools"
mkdir -p "$TOOLS"
for t in sh mount unshare sshd ssh-keygen nix-store; do ln -sf "$(command -v $t)" "$TOOLS/$t"; done
without() { rm -f "$TOOLS/$1"; PATH="$TOOLS" ch lab up 2 --base 201; rc=$?; ln -sf "$(command -v $1)" "$TOOLS/$1"; return $rc; }
for t in sshd unshare nix-store; do
	expect_exit 1 "lab up without $t fails" without $t
	check "the error names $t" contains "$ERR" "'$t'"
	check "nothing was started without $t" [ -z "$(live_procs "$LR")" ]
	check "no node directory without $t" [ ! -d "$LR/node-0000" ]
done
if command -v setpriv >/dev/null; then
	chmod 755 "$E2E_WORK" "$E2E_WORK/$TEST_NAME" 2>/dev/null
	expect_exit 1 "lab up as a non-root user fails" setpriv --reuid 65534 --regid 65534 --clear-groups "$CHIMERA" --state-dir "$E2E_WORK/$TEST_NAME/nobody" lab up 1
	check "the error says root is needed" contains "$ERR" "needs root"
	check "and started nothing" [ ! -d "$(lab_root "$E2E_WORK/$TEST_NAME/nobody")" ]
fi

expect_exit 2 "lab up with a bad count is a usage error" ch lab up many
expect_exit 2 "lab with an unknown subcommand" ch lab explode
check "the error names it" contains "$ERR" "explode"
finish
