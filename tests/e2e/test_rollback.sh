#!/bin/sh
# chimera rollback on lab nodes: back to the previous generation and forward to a named one,
# all or nothing when a node lacks the generation or cannot be reached, failures put back,
# refused input, and the ledger events of each.
. "$E2E_DIR/lib.sh"
LAB_BASE=204
start
W="$E2E_WORK/$TEST_NAME"
nix_offline
HELLO="$E2E_DIR/../../examples/hello/default.nix"

N() { echo "root@127.$LAB_BASE.0.1$1:22"; }
on() { i=$1; shift; ssh -F "$STATE/lab/ssh_config" "127.$LAB_BASE.0.1$i" "$@"; }
# Run a shell command on every node at once; print each node's first output line, in node
# order, space separated ("-" for a node that printed nothing or could not be reached).
each() {
	for i in 0 1 2 3 4; do on "$i" "$1" >"$W/each.$i" 2>/dev/null </dev/null & done
	wait
	for i in 0 1 2 3 4; do m=$(head -1 "$W/each.$i"); printf '%s ' "${m:--}"; done
}
markers() { each 'cat /nix/var/chimera-hello/activated'; }
sshd_pid() { ch lab status --json | jq -r ".list[$1].pid"; }
# Per node: current generation, number of generations, current path.
gens() { ch generations --json -t @lab 2>/dev/null | jq -c '[.nodes[] | [.node, .current, (.generations | length), (.generations[] | select(.current) | .path)]]'; }
# The current profile target of every node, space separated.
paths() { each 'readlink -f /nix/var/nix/profiles/system'; }
node_field() { printf "%s\n" "$OUT" | jq -r --arg n "$1" ".nodes[] | select(.node == \$n) | $2"; }
nodes_with() { printf "%s\n" "$OUT" | jq "[.nodes[] | select($1)] | length"; }
count_events() { ch events --json | wc -l; }
build() { nix-build --no-out-link "$HELLO" --argstr version "$1" 2>/dev/null; }

expect_exit 0 "lab up 5" ch lab up 5 --base $LAB_BASE
P1=$(build 1) P2=$(build 2) P3=$(build 3)
check "hello 1, 2 and 3 built" [ -d "$P1" -a -d "$P2" -a -d "$P3" ]
expect_exit 0 "deploy hello 1" ch deploy -t @lab --expect "$P1"
expect_exit 0 "deploy hello 2" ch deploy -t @lab --expect "$P2"
check "markers say 2" [ "$(markers)" = "2 2 2 2 2 " ]

# 4. Back to the previous generation, then forward to a named one.
expect_exit 0 "rollback (to the previous generation)" ch rollback -t @lab
check "every node switched 2 -> 1, ending on hello 1" [ "$(printf "%s\n" "$OUT" | grep -c "  switched  *generation 2 -> 1, ended on 1 ($P1)\$")" = 5 ]
check "the summary says success, 5 switched" contains "$OUT" "5 nodes: success, 5 switched, 0 put back"
RB1=$(printf "%s\n" "$OUT" | sed -n 's/.*(rollback \([0-9A-Z]*\))$/\1/p')
check "every node's profile is on hello 1" [ "$(paths)" = "$P1 $P1 $P1 $P1 $P1 " ]
check "activation ran: markers say 1" [ "$(markers)" = "1 1 1 1 1 " ]
expect_exit 0 "status against hello 1: congruent" ch status -t @lab --expect "$P1"
check "5 congruent" [ "$(printf "%s\n" "$OUT" | grep -c ' congruent$')" = 5 ]
expect_exit 0 "generations --json" ch generations --json -t @lab
check "generation 1 current, 2 still there, on every node" [ "$(nodes_with ".current == 1 and (.generations | length) == 2 and .generations[0].current and .generations[1].path == \"$P2\"")" = 5 ]
expect_exit 0 "rollback events" ch events --deployment "$RB1" --json
check "triggered, 5 node.rollback.complete, complete" \
	[ "$(printf "%s\n" "$OUT" | jq -r .topic | sort | uniq -c | awk '{printf "%s %s,", $1, $2}')" = "1 chimera.rollback.complete,1 chimera.rollback.triggered,5 node.rollback.complete," ]
check "chimera.rollback.complete says success" [ "$(printf "%s\n" "$OUT" | jq -r 'select(.topic == "chimera.rollback.complete") | .payload.result')" = success ]

expect_exit 0 "rollback --generation 2 --json" ch rollback --json -t @lab --generation 2
check "json: result success" [ "$(printf "%s\n" "$OUT" | json .result)" = success ]
check "json: every node switched 1 -> 2, ended on hello 2, no error" \
	[ "$(nodes_with ".state == \"switched\" and .from_generation == 1 and .from_path == \"$P1\" and .to_generation == 2 and .ended_generation == 2 and .ended_path == \"$P2\" and .error == null")" = 5 ]
check "every node's profile is on hello 2" [ "$(paths)" = "$P2 $P2 $P2 $P2 $P2 " ]
check "markers say 2" [ "$(markers)" = "2 2 2 2 2 " ]
expect_exit 0 "status against hello 2: congruent" ch status -t @lab --expect "$P2"
expect_exit 0 "rollback -g 2 again: already there" ch rollback -t @lab -g 2
check "still on hello 2" [ "$(paths)" = "$P2 $P2 $P2 $P2 $P2 " ]

# 10. One node lacks the generation: refused, nothing switched anywhere.
expect_exit 0 "deploy hello 3 to nodes 0-3 only (generation 3 there)" ch deploy -t "$(N 0),$(N 1),$(N 2),$(N 3)" --expect "$P3"
expect_exit 0 "roll those back to generation 2" ch rollback -t "$(N 0),$(N 1),$(N 2),$(N 3)" -g 2
BEFORE=$(gens)
check "nodes 0-3 have 3 generations, node 4 two, all on 2" \
	[ "$(printf "%s\n" "$BEFORE" | jq -r 'map("\(.[1])/\(.[2])") | join(" ")')" = "2/3 2/3 2/3 2/3 2/2" ]
expect_exit 1 "rollback -g 3 when node 4 lacks generation 3" ch rollback -t @lab -g 3
check "it says refused, nothing switched" contains "$OUT" "rollback refused: nothing was switched"
check "it names node 4 as lacking generation 3" [ -n "$(printf "%s\n" "$OUT" | grep "$(N 4) .*has no generation 3")" ]
check "it names no other node" [ "$(printf "%s\n" "$OUT" | grep -c 'has no generation')" = 1 ]
check "the summary says refused, 0 switched" contains "$OUT" "5 nodes: refused, 0 switched"
check "generations unchanged" [ "$(gens)" = "$BEFORE" ]
check "every profile still on hello 2" [ "$(paths)" = "$P2 $P2 $P2 $P2 $P2 " ]
check "no activation ran: markers say 2" [ "$(markers)" = "2 2 2 2 2 " ]
expect_exit 1 "the same with --json" ch rollback --json -t @lab -g 3
RB_REF=$(printf "%s\n" "$OUT" | json .rollback)
check "json: result refused" [ "$(printf "%s\n" "$OUT" | json .result)" = refused ]
check "json: node 4 missing-generation, failed at check" [ "$(node_field "$(N 4)" '"\(.state) \(.failed_step) \(.error)"')" = "missing-generation check has no generation 3" ]
check "json: no node switched, every node ended where it was (generation 2, hello 2)" \
	[ "$(nodes_with ".state != \"switched\" and .ended_generation == 2 and .ended_path == \"$P2\"")" = 5 ]
check "ledger: the only node.rollback.complete is node 4's, missing-generation, not ok" \
	[ "$(ch events --deployment "$RB_REF" --topic node.rollback.complete --json | jq -r '"\(.node) \(.payload.state) \(.payload.ok)"')" = "$(N 4) missing-generation false" ]
check "ledger: chimera.rollback.complete says refused, 0 switched" [ "$(ch events --deployment "$RB_REF" --topic chimera.rollback.complete --json | jq -r '"\(.payload.result) \(.payload.switched)"')" = "refused 0" ]
expect_exit 0 "status: still all congruent on hello 2" ch status -t @lab --expect "$P2"

# One node unreachable: refused too.
kill "$(sshd_pid 2)"
sleep 0.2
expect_exit 1 "rollback with node 2's sshd down" ch rollback -t @lab -g 1
check "refused, naming node 2 unreachable" [ -n "$(printf "%s\n" "$OUT" | grep "$(N 2) .*unreachable")" ]
check "it says nothing was switched" contains "$OUT" "nothing was switched"
expect_exit 0 "lab up 5" ch lab up 5
check "every profile still on hello 2" [ "$(paths)" = "$P2 $P2 $P2 $P2 $P2 " ]

# An activation failing on one node: that node and every node touched is put back.
on 1 touch /nix/var/fail-rollback
FAILCMD="if [ -e /nix/var/fail-rollback ] && [ \"\$1\" = $P1 ]; then echo rollback-refused-here >&2; exit 5; fi; \$1/bin/activate"
expect_exit 3 "rollback -g 1 --parallel 1 with activation failing on node 1" ch rollback --json --parallel 1 -t @lab -g 1 --activate "$FAILCMD"
check "json: result reverted" [ "$(printf "%s\n" "$OUT" | json .result)" = reverted ]
check "json: node 1 reverted, failed at activate with exit 5" \
	[ "$(node_field "$(N 1)" '"\(.state) \(.failed_step) \(.error)"')" = "reverted activate activate exited with status 5" ]
check "json: node 0 (touched first) reverted" [ "$(node_field "$(N 0)" .state)" = reverted ]
check "json: nodes 2-4 were never started" [ "$(nodes_with '.state == "skipped"')" = 3 ]
check "json: every node ended on generation 2, hello 2" [ "$(nodes_with ".ended_generation == 2 and .ended_path == \"$P2\"")" = 5 ]
check "every profile is on hello 2" [ "$(paths)" = "$P2 $P2 $P2 $P2 $P2 " ]
check "node 0 was re-activated on hello 2" [ "$(markers)" = "2 2 2 2 2 " ]
expect_exit 0 "status: congruent on hello 2" ch status -t @lab --expect "$P2"
on 1 rm /nix/var/fail-rollback
expect_exit 0 "with the failure gone, the same rollback succeeds" ch rollback -t @lab -g 1 --activate "$FAILCMD"
check "every profile is on hello 1" [ "$(paths)" = "$P1 $P1 $P1 $P1 $P1 " ]
check "markers say 1" [ "$(markers)" = "1 1 1 1 1 " ]

# Bad input: usage errors, no event, no connection.
E0=$(count_events)
expect_exit 2 "rollback -g 0" ch rollback -t @lab -g 0
expect_exit 2 "rollback -g abc" ch rollback -t @lab -g abc
check "the error names it" contains "$ERR" "abc"
expect_exit 2 "rollback -g -1" ch rollback -t @lab -g -1
expect_exit 2 "rollback to a target with ';'" ch rollback -t 'root@127.0.0.1;touch /tmp/pwned'
check "the error names it" contains "$ERR" "root@127.0.0.1;touch /tmp/pwned"
expect_exit 2 "rollback with a bad --profile" ch rollback -t @lab --profile '/x;y'
check "the error names it" contains "$ERR" "/x;y"
expect_exit 2 "rollback with no targets" ch rollback -g 1
check "no event was added" [ "$(count_events)" = "$E0" ]
check "every profile still on hello 1" [ "$(paths)" = "$P1 $P1 $P1 $P1 $P1 " ]

expect_exit 0 "the ledger verifies" ch ledger verify
expect_exit 0 "lab down" ch lab down
finish
