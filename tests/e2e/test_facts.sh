#!/bin/sh
# chimera facts on lab nodes: what is gathered (checked against the nodes' own answers), the
# profile after a deploy, tmux sessions, node.facts events and the projection (stored facts
# shown without connecting, also by machines show after lab down), --refresh, an unreachable
# machine, --json, and one round over 200 nodes.
. "$E2E_DIR/lib.sh"
LAB_BASE=210
start
W="$E2E_WORK/$TEST_NAME"
cd "$W" || exit 1
nix_offline
HELLO="$E2E_DIR/../../examples/hello/default.nix"
inv() { "$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" "$@"; }
# The first stdout line of COMMAND run on machine $1 (through chimera exec).
on() { m=$1; shift; inv --json exec -t "$m" -- "$@" | jq -r '.nodes[0].stdout' | head -n 1; }
# A member of machine $1's facts in the last --json output.
fact() { printf '%s\n' "$OUT" | jq -r --arg m "$1" ".nodes[] | select(.machine == \$m) | $2"; }

expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
# chimera.toml: the lab's targets as machines n0 n1 n2, and a ghost nobody answers for.
i=0
for t in $(ch lab targets | tr ',' ' '); do
	printf '[machines.n%d]\ntarget = "%s"\n\n' "$i" "$t"
	i=$((i + 1))
done > chimera.toml
printf '[machines.ghost]\ntarget = "127.%s.9.99"\n' "$LAB_BASE" >> chimera.toml
check "three lab machines in chimera.toml" [ "$(grep -c '^\[machines.n' chimera.toml)" = 3 ]
N0=$(ch lab targets | cut -d, -f1)
N1=$(ch lab targets | cut -d, -f2)

# 1. First gathering: every lab machine asked, each answer checked against the node itself.
expect_exit 0 "facts -t 'n*' --json" inv --json facts -t 'n*'
check "three nodes, all gathered now" [ "$(printf '%s\n' "$OUT" | jq -c '[.summary.nodes, .summary.gathered, .summary.stored, .summary.failed]')" = "[3,3,0,0]" ]
check "each from the node, with a seq and a time" [ "$(printf '%s\n' "$OUT" | jq '[.nodes[] | select(.from == "node" and .ok and .seq > 0 and (.gathered | test("^[0-9-]+T[0-9:.]+Z$")))] | length')" = 3 ]
FIRST="$OUT"
for m in n0 n1 n2; do
	OUT="$FIRST"
	check "$m: hostname" [ "$(fact $m .facts.hostname)" = "$(on $m hostname)" ]
	check "$m: kernel is uname -r" [ "$(fact $m .facts.kernel)" = "$(on $m uname -r)" ]
	check "$m: arch is uname -m" [ "$(fact $m .facts.arch)" = "$(on $m uname -m)" ]
	check "$m: cpus is nproc" [ "$(fact $m .facts.cpus)" = "$(on $m nproc)" ]
	check "$m: memory total is MemTotal" [ "$(fact $m .facts.memory.total)" = "$(( $(on $m "awk '/^MemTotal:/ {print \$2}' /proc/meminfo") * 1024 ))" ]
	check "$m: nix version from nix-store --version" [ "$(fact $m .facts.nix)" = "$(on $m nix-store --version | awk '{print $3}')" ]
	check "$m: os id from os-release" [ "$(fact $m .facts.os.id)" = "$(on $m '. /etc/os-release; echo $ID')" ]
	check "$m: / has a size, used <= size" [ "$(fact $m '.facts.disks["/"] | (.size > 0 and .used <= .size)')" = true ]
	check "$m: no profile yet" [ "$(fact $m '.facts.profile | "\(.target) \(.generation)"')" = "null null" ]
	check "$m: no sessions" [ "$(fact $m '.facts.sessions | length')" = 0 ]
	check "$m: load has three numbers, uptime a number" [ "$(fact $m '(.facts.load | length) == 3 and (.facts.uptime | type) == "number"')" = true ]
done
SEQ_N2=$(OUT="$FIRST"; fact n2 .seq)

# 2. Again without --refresh: from the ledger, nothing asked.
expect_exit 3 "facts again, no -t: every machine, the ghost failing" inv --json facts --connect-timeout 2
check "all four machines selected" [ "$(printf '%s\n' "$OUT" | jq '.nodes | length')" = 4 ]
check "n0-n2 from the ledger with their first seq" [ "$(printf '%s\n' "$OUT" | jq -c '[.nodes[] | select(.from == "ledger") | .machine]')" = '["n0","n1","n2"]' ]
check "n2's seq unchanged" [ "$(fact n2 .seq)" = "$SEQ_N2" ]
check "the ghost failed at connect" [ "$(fact ghost '"\(.ok) \(.step)"')" = "false connect" ]
check "the ghost has an error message" [ -n "$(fact ghost .error)" ]
expect_exit 3 "facts with the ghost: exit 3" inv facts --connect-timeout 2
check "text names the ghost's failure" contains "$OUT" "ghost (root@127.$LAB_BASE.9.99:22): FAILED at connect"
check "text shows stored facts with their time" contains "$OUT" "from the ledger)"
check "text summary" contains "$OUT" "4 nodes: 0 gathered now, 3 from the ledger, 1 failed"
expect_exit 1 "only the ghost: exit 1" inv facts -t ghost --connect-timeout 2

# 3. A deploy makes a profile generation; a tmux session shows up.
expect_exit 0 "deploy hello to n0" inv deploy -t n0 -c "$HELLO" --argstr version 1
PATH0=$(on n0 readlink -f /nix/var/nix/profiles/system)
expect_exit 0 "start a tmux session on n1" inv exec -t n1 -- tmux -L chimera new -d -s demo sleep 300
expect_exit 0 "facts --refresh -t n0,n1,n2" inv --json facts --refresh -t n0,n1,n2
check "all three gathered now" [ "$(printf '%s\n' "$OUT" | jq '[.nodes[] | select(.from == "node")] | length')" = 3 ]
check "n0: profile generation 1" [ "$(fact n0 .facts.profile.generation)" = 1 ]
check "n0: profile target is the deployed path" [ "$(fact n0 .facts.profile.target)" = "$PATH0" ]
check "n0: the link is system-1-link" [ "$(fact n0 .facts.profile.link)" = system-1-link ]
check "n1: the demo session" [ "$(fact n1 '.facts.sessions | tojson')" = '["demo"]' ]
check "n2: --refresh made a new seq" [ "$(fact n2 .seq)" -gt "$SEQ_N2" ]
SEQ_N0=$(fact n0 .seq)
expect_exit 0 "text output of one machine" inv facts -t n0
check "shows the generation" contains "$OUT" "generation 1 -> $PATH0"
check "shows the kernel" contains "$OUT" "kernel       $(on n0 uname -r)"
check "says where from" contains "$OUT" "seq $SEQ_N0, from the ledger)"

# 4. Events: node.facts per gathering, node column as other fleet events have it.
expect_exit 0 "events --topic node.facts --json" ch events --topic node.facts --json
check "six node.facts events (3 + 3 refreshed)" [ "$(printf '%s\n' "$OUT" | grep -c .)" = 6 ]
check "n0's node column is user@host:port" [ "$(printf '%s\n' "$OUT" | jq -r "select(.seq == $SEQ_N0) | .node")" = "$N0" ]
check "payloads carry the machine name" [ "$(printf '%s\n' "$OUT" | jq -r "select(.seq == $SEQ_N0) | .payload.machine")" = n0 ]
check "payloads carry the profile" [ "$(printf '%s\n' "$OUT" | jq -r "select(.seq == $SEQ_N0) | .payload.profile.generation")" = 1 ]
expect_exit 0 "ledger verify" ch ledger verify

# 5. With the lab down: machines show and facts answer from the projection.
expect_exit 0 "lab down" ch lab down
expect_exit 0 "machines show n0 (no node is up)" inv machines show n0
check "shows when they were gathered" contains "$OUT" "facts        gathered"
check "shows the seq" contains "$OUT" "seq $SEQ_N0)"
check "shows the generation" contains "$OUT" "generation 1 -> $PATH0"
check "shows the kernel" contains "$OUT" "kernel       $(uname -r)"
expect_exit 0 "machines show n1 --json" inv --json machines show n1
check "facts member with the session" [ "$(printf '%s\n' "$OUT" | jq -c .facts.sessions)" = '["demo"]' ]
check "facts_seq and facts_gathered" [ "$(printf '%s\n' "$OUT" | jq '(.facts_seq > 0) and (.facts_gathered | type == "string")')" = true ]
expect_exit 0 "machines show ghost" inv machines show ghost
check "never gathered" contains "$OUT" "facts        never gathered (run chimera facts -t ghost)"
expect_exit 0 "machines show ghost --json" inv --json machines show ghost
check "facts is null" [ "$(printf '%s\n' "$OUT" | jq -c .facts)" = null ]
expect_exit 0 "facts -t n0,n1 with the lab down: from the ledger" inv --json facts -t n0,n1
check "both from the ledger" [ "$(printf '%s\n' "$OUT" | jq -c '[.nodes[].from]')" = '["ledger","ledger"]' ]
check "with an age" [ "$(printf '%s\n' "$OUT" | jq '[.nodes[] | select(.age >= 0)] | length')" = 2 ]
expect_exit 1 "--refresh with the lab down: every node fails" inv facts -t n0,n1 --refresh --connect-timeout 2
check "each named with its error" [ "$(printf '%s\n' "$OUT" | grep -c 'FAILED at connect')" = 2 ]
expect_exit 3 "n0 stored, the ghost unreachable: exit 3" inv facts -t n0,ghost --connect-timeout 2
# A failed try is kept too: machines show says the facts it has are older than the last try.
check "node.facts.failed for n0, n1 and the ghost" \
	[ "$(inv --json events --topic node.facts.failed | jq -r .node | sort -u | tr '\n' ' ')" = "$(printf '%s\n' "$N0" "$N1" "root@127.$LAB_BASE.9.99:22" | sort | tr '\n' ' ')" ]
expect_exit 0 "machines show n0 after the failed try" inv machines show n0
check "says the last try failed at connect" contains "$OUT" "facts        the last try FAILED at connect"
check "and still shows what was gathered" contains "$OUT" "seq $SEQ_N0)"
expect_exit 0 "machines show n0 --json" inv --json machines show n0
check "facts_failed: connect, newer than the facts" \
	[ "$(printf '%s\n' "$OUT" | jq -r '"\(.facts_failed.step) \(.facts_failed.seq > .facts_seq) \(.facts_failed.error | length > 0)"')" = "connect true true" ]
expect_exit 0 "machines show ghost: never gathered, last try failed" inv machines show ghost
check "ghost: the failure" contains "$OUT" "the last try FAILED at connect"
check "ghost: never gathered" contains "$OUT" "never gathered"

# 6. No inventory and no -t: every node with stored facts; none at all is a usage error.
mkdir -p "$W/empty"
cd "$W/empty" || exit 1
expect_exit 0 "facts with no inventory and no -t" env -u CHIMERA_CONFIG "$CHIMERA" --state-dir "$STATE" --json facts
check "the three nodes with stored facts" [ "$(printf '%s\n' "$OUT" | jq -c '[.nodes[] | select(.from == "ledger")] | length')" = 3 ]
expect_exit 2 "with an empty state dir" env -u CHIMERA_CONFIG "$CHIMERA" --state-dir "$W/empty/state" facts
check "says what to give" contains "$ERR" "give -t TARGETS"
expect_exit 2 "an unknown option" ch facts --nope
cd "$W" || exit 1

# 7. 200 nodes in one round.
expect_exit 0 "lab up 200" ch lab up 200 --base $LAB_BASE
BEFORE=$(ch --json events --topic node.facts | wc -l)
T0=$(date +%s%N)
expect_exit 0 "facts -t @lab --refresh on 200 nodes" ch --json facts -t @lab --refresh --parallel 64
MS=$(( ($(date +%s%N) - T0) / 1000000 ))
echo "# 200 nodes gathered in $MS ms"
check "200 facts gathered" [ "$(printf '%s\n' "$OUT" | jq '[.nodes[] | select(.ok and .from == "node" and .facts.cpus > 0)] | length')" = 200 ]
# One round: one gathering command per node, so one event each (the time above is printed,
# not asserted; speed belongs to benchmarks).
check "200 new node.facts events, one per node" \
	[ "$(ch --json events --topic node.facts | tail -n +$((BEFORE + 1)) | jq -r .node | sort -u | wc -l)" = 200 ]
check "and no more" [ "$(ch --json events --topic node.facts | wc -l)" = $((BEFORE + 200)) ]
expect_exit 0 "facts -t @lab again: all from the ledger" ch --json facts -t @lab
check "200 from the ledger" [ "$(printf '%s\n' "$OUT" | jq '.summary.stored')" = 200 ]
expect_exit 0 "ledger verify after 200 more" ch ledger verify

finish
