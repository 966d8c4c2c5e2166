#!/bin/sh
# chimera exec on lab nodes: output, exit codes, a stopped node, timeouts, targets, ledger events
# (the output only as sizes and SHA-256 digests unless --record-output; node files found via node_root).
. "$E2E_DIR/lib.sh"
LAB_BASE=202
start
W="$E2E_WORK/$TEST_NAME"

expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
N0=root@127.$LAB_BASE.0.10:22 N1=root@127.$LAB_BASE.0.11:22 N2=root@127.$LAB_BASE.0.12:22

expect_exit 0 "exec on every node" ch exec -t @lab -- 'echo out-$((6*7)); echo err-line >&2'
check "each node printed its stdout" [ "$(printf "%s\n" "$OUT" | grep -c '^  out-42$')" = 3 ]
check "stderr is shown marked" [ "$(printf "%s\n" "$OUT" | grep -c '^  ! err-line$')" = 3 ]
check "the summary counts 3 ok" contains "$OUT" "3 nodes: 3 ok, 0 failed"

expect_exit 0 "exec --json" ch exec --json -t "$N2,$N0" -- hostname
check "json lists nodes in the order given" [ "$(printf "%s\n" "$OUT" | jq -r '[.nodes[].target] | join(",")')" = "$N2,$N0" ]
check "json has exit 0 and ok for each" [ "$(printf "%s\n" "$OUT" | jq '[.nodes[] | select(.ok and .exit == 0)] | length')" = 2 ]
RUN=$(printf "%s\n" "$OUT" | jq -r .run)

# A command failing on one node only: exit 3, the others still succeed.
expect_exit 3 "a command failing on one node gives exit 3" ch exec -t @lab -- "case \$(cat /proc/sys/kernel/hostname)-\$SSH_CONNECTION in *127.$LAB_BASE.0.11*) exit 7;; esac; echo fine"
check "the failing node shows its exit status" contains "$OUT" "$N1: exit 7"
check "the others ran" [ "$(printf "%s\n" "$OUT" | grep -c '^  fine$')" = 2 ]

expect_exit 1 "a command failing everywhere gives exit 1" ch exec -t @lab -- false

# One node's sshd stopped: exit 3, the others succeed, the stopped one is reported quickly.
kill "$(ch lab status --json | jq -r '.list[1].pid')"
sleep 0.2
T0=$(date +%s%N)
expect_exit 3 "exec with one node's sshd stopped" ch exec -t @lab --connect-timeout 5 -- echo alive
T1=$(date +%s%N)
MS=$(( (T1 - T0) / 1000000 ))
check "the two live nodes answered" [ "$(printf "%s\n" "$OUT" | grep -c '^  alive$')" = 2 ]
check "the stopped node is reported as a connect failure" contains "$OUT" "$N1: FAILED at connect"
check "within the 5 s connect timeout (took ${MS} ms)" [ "$MS" -lt 5000 ]

# A node whose key is no longer authorised fails at auth, alone.
ch lab up 3 >/dev/null
AK="$(node_root 2)/home/.ssh/authorized_keys"
check "the lab says where node 2's files are" [ -f "$AK" ]
[ -f "$AK" ] && mv "$AK" "$W/ak.bak"
expect_exit 3 "exec with one node refusing the key" ch exec -t @lab -- true
check "it is reported as refused authentication" contains "$OUT" "$N2: FAILED at connect"
check "naming public key authentication" contains "$OUT" "public key authentication refused"
[ -f "$W/ak.bak" ] && mv "$W/ak.bak" "$AK"

# A host key missing from known_hosts (issue 16): refused, naming the option; and exec
# takes that option, which adds the key.
cp "$STATE/lab/known_hosts" "$W/kh.bak"
grep -v "^127\.$LAB_BASE\.0\.10 " "$W/kh.bak" >"$STATE/lab/known_hosts"
expect_exit 1 "exec to a node whose key is not in known_hosts" ch exec -t "$N0" -- true
check "the error names the option to pass" contains "$OUT$ERR" "--accept-new-host-keys"
expect_exit 0 "exec --accept-new-host-keys" ch exec -t "$N0" --accept-new-host-keys -- echo accepted
check "the node ran the command" contains "$OUT" "accepted"
check "known_hosts holds a key for it again" [ "$(wc -l <"$STATE/lab/known_hosts")" -eq 3 ]
expect_exit 0 "exec without the option now" ch exec -t "$N0" -- true
cp "$W/kh.bak" "$STATE/lab/known_hosts"

# A command that outlives --timeout.
expect_exit 3 "a command past --timeout fails on that node" ch exec -t @lab --timeout 1 -- "if [ \"\${SSH_CONNECTION#*127.$LAB_BASE.0.10 }\" != \"\$SSH_CONNECTION\" ]; then sleep 30; fi; echo quick"
check "it is reported as timed out" contains "$OUT" "timed out after 1s"

# An unreachable address times out within --connect-timeout (nothing listens on 127.$LAB_BASE.9.9).
expect_exit 1 "an address with no sshd" ch exec -t root@127.$LAB_BASE.9.9 --connect-timeout 2 -- true
check "reported at connect" contains "$OUT" "FAILED at connect"

# Targets: files, duplicates, bad input.
printf '# lab nodes\n%s\n\n%s  # again\n%s\n' "$N0" "$N0" "127.$LAB_BASE.0.12" > "$W/targets"
expect_exit 0 "--targets-file with comments and a duplicate" ch exec --targets-file "$W/targets" --json -- true
check "duplicates are dropped (2 nodes)" [ "$(printf "%s\n" "$OUT" | jq '.nodes | length')" = 2 ]
printf '%s\n\n# blank lines and comments count as lines\n\nroot@@bad\n' "$N0" > "$W/badtargets"
expect_exit 2 "a bad line in --targets-file" ch exec --targets-file "$W/badtargets" -- true
check "the error names file and line 5" contains "$ERR" "$W/badtargets:5:"
expect_exit 2 "an unknown @group" ch exec -t @nosuch -- true
check "the error names it" contains "$ERR" "unknown group '@nosuch'"
expect_exit 2 "a bad target is a usage error" ch exec -t 'root@@h' -- true
check "the error quotes it and the expected form" contains "$ERR" "[user@]host[:port]"
expect_exit 2 "a shell metacharacter in a target is refused" ch exec -t 'h;reboot' -- true
expect_exit 2 "no command" ch exec -t @lab
expect_exit 2 "no targets" ch exec -- true
expect_exit 2 "a bad --parallel" ch exec -t @lab --parallel 0 -- true

# Every run is in the ledger.
expect_exit 0 "events for the --json run" ch events --deployment "$RUN" --json
check "exec.start, 2 node.exec, exec.complete" [ "$(printf "%s\n" "$OUT" | jq -r .topic | tr '\n' ' ')" = "exec.start node.exec node.exec exec.complete " ]
expect_exit 0 "node.exec events of the stopped node" ch events --topic node.exec --node "$N1" --json
check "the stopped node's failure is recorded with its step" [ "$(printf "%s\n" "$OUT" | jq -r 'select(.payload.step == "connect") | .payload.ok' | head -1)" = false ]
# Output stays out of the ledger by default (issue 16): a file only the node has, printed by
# exec, reaches the user but not the ledger, which keeps its size and SHA-256 instead.
SECRET="known-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
N0DIR=$(node_root 0)
check "the lab says where node 0's files are" [ -d "$N0DIR/nix/store" ]
# (Without it, write nowhere: an empty N0DIR would be the controller's own /run.)
[ -d "$N0DIR/nix/store" ] || N0DIR="$W/no-node-dir"
mkdir -p "$N0DIR/run/chimera/secrets"
printf '%s\n' "$SECRET" >"$N0DIR/run/chimera/secrets/known"
printf '%s\n' "$SECRET" >"$W/known"
WANT_SHA=$(sha256sum <"$W/known" | cut -d' ' -f1)
WANT_BYTES=$(wc -c <"$W/known")
expect_exit 0 "exec cat of a file only the node has" ch exec -t "$N0" -- cat /run/chimera/secrets/known
check "the user sees the output" [ "$(printf '%s\n' "$OUT" | grep -c "^  $SECRET\$")" = 1 ]
RUN_K=$(printf '%s\n' "$OUT" | sed -n 's/.*(run \(.*\))$/\1/p')
expect_exit 0 "node.exec events" ch events --topic node.exec --json
printf '%s\n' "$OUT" >"$W/exec-events.json"
EV=$(jq -c --arg r "$RUN_K" 'select(.deployment == $r)' "$W/exec-events.json")
check "the run has its node.exec event" [ -n "$EV" ]
check "the event keeps the command" [ "$(printf '%s\n' "$EV" | jq -r .payload.command)" = "cat /run/chimera/secrets/known" ]
check "the event has the output's byte count ($WANT_BYTES)" [ "$(printf '%s\n' "$EV" | jq .payload.stdout_bytes)" = "$WANT_BYTES" ]
check "the event has the output's sha256, as sha256sum gives it" [ "$(printf '%s\n' "$EV" | jq -r .payload.stdout_sha256)" = "$WANT_SHA" ]
check "and the empty stderr's" [ "$(printf '%s\n' "$EV" | jq -r '"\(.payload.stderr_bytes) \(.payload.stderr_sha256)"')" = "0 $(printf '' | sha256sum | cut -d' ' -f1)" ]
check "the event has no output text" [ "$(printf '%s\n' "$EV" | jq -c '[.payload.stdout_tail, .payload.stderr_tail]')" = "[null,null]" ]
check "no event shows the output" sh -c '! grep -a -q -F -e "$1" "$2"' sh "$SECRET" "$W/exec-events.json"
expect_exit 0 "every event" ch events --json
check "no event of any topic shows it" sh -c '! printf "%s\n" "$2" | grep -a -q -F -e "$1"' sh "$SECRET" "$OUT"
check "the ledger's files do not hold it" sh -c '! cat "$2"/chimera.db* | grep -a -q -F -e "$1"' sh "$SECRET" "$STATE"
check "the search finds it where it is" grep -a -q -F -e "$SECRET" "$W/known"
# With --record-output the text is kept, as before.
expect_exit 0 "exec --record-output" ch exec -t "$N0" --record-output --json -- cat /run/chimera/secrets/known
RUN_R=$(printf '%s\n' "$OUT" | jq -r .run)
check "the user sees the same output" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[0].stdout')" = "$SECRET" ]
expect_exit 0 "its events" ch events --deployment "$RUN_R" --topic node.exec --json
check "its event has the text" [ "$(printf '%s\n' "$OUT" | jq -r .payload.stdout_tail)" = "$SECRET" ]
check "and the same size and digest" [ "$(printf '%s\n' "$OUT" | jq -r '"\(.payload.stdout_bytes) \(.payload.stdout_sha256)"')" = "$WANT_BYTES $WANT_SHA" ]
expect_exit 0 "the ledger verifies" ch ledger verify
finish
