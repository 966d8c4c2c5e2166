#!/bin/sh
# A ledger that cannot be quietly shortened or rewritten (issue 15, item 4). Behind
# chimera's back, with sqlite3 and the triggers dropped: the tail deleted, rows rewritten
# with the chain recomputed, a page overwritten with random bytes, the checkpoint file
# removed. Each is named by `ledger verify` in its own words, and appends are refused
# (ledger append, exec, an operation on nodes). Then the fleet as witness: an older copy of chimera.db restored
# after further deploys is locally consistent, but `verify --witnesses` names the nodes that
# witnessed a later head.
. "$E2E_DIR/lib.sh"
LAB_BASE=218
start
W="$E2E_WORK/$TEST_NAME"
nix_offline
HELLO="$E2E_DIR/../../examples/hello/default.nix"
RECHAIN="$E2E_DIR/rechain.py"

on() { i=$1; shift; ssh -F "$STATE/lab/ssh_config" -o ConnectTimeout=5 "127.$LAB_BASE.0.1$i" "$@"; }
N() { echo "root@127.$LAB_BASE.0.1$1:22"; }
# chimera on the copy of the state dir named $1.
cs() { d=$1; shift; "$CHIMERA" --state-dir "$W/$d" "$@"; }
head_seq() { sqlite3 "$1/chimera.db" 'SELECT max(seq) FROM events'; }
kind() { jq -r .kind; }
# copy NAME: a copy of the state dir (the database, its checkpoint file and the key).
copy() { rm -rf "$W/$1"; mkdir -p "$W/$1"; cp -a "$STATE/chimera.db" "$STATE/chimera.db.checkpoint" "$STATE/keys" "$W/$1/"; }
# refused NAME WHAT: appends to the copy NAME are refused with exit 1, and none lands.
refused() {
	before=$(head_seq "$W/$1")
	expect_exit 1 "$1: ledger append is refused" cs "$1" ledger append --topic test.after
	check "$1: saying why and what to do" contains "$ERR" "refusing to append"
	check "$1: ... naming the $2" contains "$ERR" "$2"
	expect_exit 1 "$1: exec is refused" cs "$1" exec -t local -- true
	# Every operation that changes nodes asks before it starts (fleet_op_begin), not only deploy.
	expect_exit 1 "$1: sessions kill is refused before it acts" cs "$1" sessions kill -t local chimera-trust-none
	check "$1: ... saying why" contains "$ERR" "refusing to append"
	check "$1: nothing was appended" [ "$(head_seq "$W/$1")" = "$before" ]
}

# 1. A history: events by hand, then a deploy to three lab nodes.
expect_exit 0 "append 40 events" ch ledger append --topic test.history --count 40
expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
expect_exit 0 "deploy hello 1 to @lab" ch deploy -t @lab -c "$HELLO" --argstr version 1
check "3 deployed" contains "$OUT" "3 nodes: 3 deployed, 0 failed"
expect_exit 0 "verify an intact ledger" ch ledger verify
check "it counts checkpoints" contains "$OUT" "checkpoints, the checkpoint file seals seq"
check "the last event is a checkpoint" [ "$(sqlite3 "$STATE/chimera.db" 'SELECT topic FROM events ORDER BY seq DESC LIMIT 1')" = ledger.checkpoint ]
check "every node keeps a witness" [ "$(for i in 0 1 2; do on $i 'head -1 /nix/var/chimera/witness'; done | grep -c '^chimera-checkpoint v1$')" = 3 ]
expect_exit 0 "verify --witnesses: every node is accounted for" ch ledger verify --witnesses -t @lab
check "3 accounted for" contains "$OUT" "3 nodes: 3 accounted for, 0 unaccounted"

# 2. The tail deleted (triggers dropped): verify names the missing events and the checkpoint.
copy trunc
sqlite3 "$W/trunc/chimera.db" "DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq > (SELECT max(seq) - 10 FROM events)"
expect_exit 1 "truncated: verify fails" cs trunc ledger verify
check "truncated: it names the missing tail" contains "$OUT" "events after seq $(head_seq "$W/trunc") are missing: checkpoint at seq"
cs trunc ledger verify --json > "$W/trunc.json"
check "truncated: --json kind" [ "$(kind < "$W/trunc.json")" = truncated ]
refused trunc truncated

# 3. Rows rewritten and the chain recomputed, as core/chain.c computes it.
copy control
sqlite3 "$W/control/chimera.db" "DROP TRIGGER events_no_update"
python3 "$RECHAIN" "$W/control/chimera.db" 5 '{}'
expect_exit 0 "control: re-hashing unchanged rows keeps the ledger valid (the script hashes as chimera does)" cs control ledger verify
copy rewrite
sqlite3 "$W/rewrite/chimera.db" "DROP TRIGGER events_no_update"
python3 "$RECHAIN" "$W/rewrite/chimera.db" 5 '{"evil":1}'
check "rewrite: the chain itself is intact" [ "$(sqlite3 "$W/rewrite/chimera.db" 'SELECT count(*) FROM events e JOIN events p ON p.seq = e.seq - 1 WHERE e.prev_hash != p.hash')" = 0 ]
expect_exit 1 "rewrite: verify fails" cs rewrite ledger verify
check "rewrite: it names the rewrite" contains "$OUT" "was rewritten at or before seq"
cs rewrite ledger verify --json > "$W/rewrite.json"
check "rewrite: --json kind" [ "$(kind < "$W/rewrite.json")" = rewritten ]
refused rewrite rewritten

# 4. A changed checkpoint signature: bad_signature.
copy badsig
# The signature's first hex digit flipped: still well formed, no longer ours.
sed -i 's/^sig 0/sig X/; s/^sig [1-9a-f]/sig 0/; s/^sig X/sig 1/' "$W/badsig/chimera.db.checkpoint"
expect_exit 1 "bad signature: verify fails" cs badsig ledger verify --json
check "bad signature: --json kind" [ "$(printf "%s\n" "$OUT" | kind)" = bad_signature ]
refused badsig bad_signature

# 5. A page overwritten with random bytes (page 2: the events table's root).
copy corrupt
dd if=/dev/urandom of="$W/corrupt/chimera.db" bs=4096 seek=1 count=1 conv=notrunc 2>/dev/null
expect_exit 1 "corrupt: verify fails" cs corrupt ledger verify
check "corrupt: it names a corrupt file" contains "$OUT" "is corrupt"
check "corrupt: and what to do" contains "$OUT" "restore chimera.db"
cs corrupt ledger verify --json > "$W/corrupt.json"
check "corrupt: --json kind" [ "$(kind < "$W/corrupt.json")" = corrupt ]
expect_exit 1 "corrupt: ledger append is refused" cs corrupt ledger append --topic test.after
check "corrupt: saying so" contains "$ERR" "corrupt"
expect_exit 1 "corrupt: exec is refused" cs corrupt exec -t local -- true
copy header
dd if=/dev/urandom of="$W/header/chimera.db" bs=100 count=1 conv=notrunc 2>/dev/null
expect_exit 1 "a garbled header: verify fails" cs header ledger verify --json
check "a garbled header: kind corrupt (SQLITE_NOTADB)" [ "$(printf "%s\n" "$OUT" | kind)" = corrupt ]
check "a garbled header: SQLite's code named" contains "$OUT" "SQLITE_NOTADB"

# 6. The checkpoint file removed: unsealed, appends refused until `ledger seal`.
copy unsealed
rm "$W/unsealed/chimera.db.checkpoint"
expect_exit 1 "unsealed: verify fails" cs unsealed ledger verify --json
check "unsealed: --json kind" [ "$(printf "%s\n" "$OUT" | kind)" = unsealed ]
refused unsealed unsealed
expect_exit 0 "unsealed: ledger seal" cs unsealed ledger seal
expect_exit 0 "unsealed: appends again" cs unsealed ledger append --topic test.after
expect_exit 1 "seal refuses a truncated ledger" cs trunc ledger seal
check "saying why" contains "$ERR" "truncated"

# 7. An older copy restored after further deploys: locally consistent, caught by the fleet.
cp -a "$STATE/chimera.db" "$STATE/chimera.db.checkpoint" "$W/"
expect_exit 0 "deploy hello 2 to nodes 0 and 1" ch deploy -t "$(N 0),$(N 1)" -c "$HELLO" --argstr version 2
expect_exit 0 "verify --witnesses before the restore" ch ledger verify --witnesses -t @lab --json
check "3 accounted for" [ "$(printf "%s\n" "$OUT" | jq .witnessed)" = 3 ]
on 2 'rm -f /nix/var/chimera/witness'
cp -a "$W/chimera.db" "$W/chimera.db.checkpoint" "$STATE/"
expect_exit 0 "the restored copy verifies on its own" ch ledger verify
expect_exit 1 "verify --witnesses names the nodes that saw a later head" ch ledger verify --witnesses -t @lab
check "node 0 is named" contains "$(printf "%s\n" "$OUT" | grep "$(N 0)")" "unaccounted"
check "node 1 is named" contains "$(printf "%s\n" "$OUT" | grep "$(N 1)")" "unaccounted"
check "beyond the ledger's head" contains "$OUT" "beyond the ledger's head"
check "node 2 has no witness, listed as such" contains "$(printf "%s\n" "$OUT" | grep "$(N 2)")" "absent"
expect_exit 1 "verify --witnesses --json fails the same way" ch ledger verify --witnesses -t @lab --json
printf '%s\n' "$OUT" >"$W/witnesses.json"
printf '%s\n' "$ERR" >"$W/witnesses.err"
check "--json: 2 unaccounted, 1 absent" [ "$(jq -c '[.unaccounted, .absent, .ok]' "$W/witnesses.json")" = '[2,1,false]' ]
expect_exit 2 "--witnesses without targets is a usage error" ch ledger verify --witnesses
check "naming the form" contains "$ERR" "-t TARGETS"
finish
