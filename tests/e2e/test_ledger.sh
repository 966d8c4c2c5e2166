#!/bin/sh
# The ledger: append, verify, tampering behind chimera's back, concurrent writers.
. "$E2E_DIR/lib.sh"
start
W="$E2E_WORK/$TEST_NAME"

expect_exit 0 "append 10 events" ch ledger append --topic test.event --payload '{"b":2,"a":[1,"x"]}' --node root@h:22 --count 10
check "it reports the last seq" contains "$OUT" "last seq 10"
expect_exit 0 "verify an intact ledger" ch ledger verify
check "verify counts 10 events and the checkpoint recorded after them" contains "$OUT" "11 events checked, 1 checkpoint"
expect_exit 0 "events --json" ch events --json --limit 1
check "payload is stored canonical (keys sorted, compact)" [ "$(printf "%s\n" "$OUT" | jq -c .payload)" = '{"a":[1,"x"],"b":2}' ]
TIME=$(printf "%s\n" "$OUT" | jq -r .time)
check "time is UTC with milliseconds ($TIME)" expr "$TIME" : '[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]\{3\}Z$' >/dev/null
check "the first prev_hash is the genesis hash" [ "$(printf "%s\n" "$OUT" | jq -r .prev_hash)" = 0000000000000000000000000000000000000000000000000000000000000000 ]
DB="$STATE/chimera.db"
check "the database is in WAL mode" [ "$(sqlite3 "$DB" 'PRAGMA journal_mode')" = wal ]
check "the state dir is mode 0700" [ "$(stat -c %a "$STATE")" = 700 ]

expect_fail "the store refuses UPDATE" sqlite3 "$DB" "UPDATE events SET topic='x' WHERE seq=1"
check "with the append-only message" contains "$ERR" "append-only"
expect_fail "the store refuses DELETE" sqlite3 "$DB" "DELETE FROM events WHERE seq=1"

expect_exit 2 "a bad topic is refused" ch ledger append --topic 'Bad Topic'
expect_exit 2 "a non-object payload is refused" ch ledger append --topic test.x --payload '[1]'
expect_exit 2 "malformed JSON is refused" ch ledger append --topic test.x --payload '{"a":'

# tamper NAME SQL WANT: copy the ledger, edit it with triggers dropped, verify names seq WANT.
tamper() {
	name=$1 sql=$2 seq=$3
	rm -rf "$W/$name"; cp -r "$STATE" "$W/$name"
	sqlite3 "$W/$name/chimera.db" "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; $sql"
	expect_exit 1 "verify catches: $name" "$CHIMERA" --state-dir "$W/$name" ledger verify
	check "$name: it names seq $seq" contains "$OUT" "broken at seq $seq:"
	"$CHIMERA" --state-dir "$W/$name" ledger verify --json > "$W/$name.json"
	check "$name: --json names seq $seq" [ "$(jq -r .broken_seq "$W/$name.json")" = "$seq" ]
}
tamper payload "UPDATE events SET payload='{\"a\":[1,\"x\"],\"b\":3}' WHERE seq=4" 4
tamper topic "UPDATE events SET topic='test.other' WHERE seq=9" 9
tamper time "UPDATE events SET time='2020-01-01T00:00:00.000Z' WHERE seq=2" 2
tamper node "UPDATE events SET node=NULL WHERE seq=7" 7
tamper delete "DELETE FROM events WHERE seq=6" 6
tamper delete-last "DELETE FROM events WHERE seq=10; UPDATE events SET hash='00' WHERE seq=9" 9
tamper reorder "UPDATE events SET seq=-1 WHERE seq=3; UPDATE events SET seq=3 WHERE seq=8; UPDATE events SET seq=8 WHERE seq=-1" 3
tamper rehash "UPDATE events SET payload='{\"evil\":1}' WHERE seq=5; UPDATE events SET hash='$(printf '%064d' 5)' WHERE seq=5" 5
tamper first "UPDATE events SET prev_hash='$(printf '%064d' 1)' WHERE seq=1" 1

# Four processes appending at once never lose or fork the chain.
i=1
while [ $i -le 4 ]; do
	ch ledger append --topic test.concurrent --payload "{\"writer\":$i}" --count 1000 -q &
	i=$((i + 1))
done
wait
expect_exit 0 "verify after 4 concurrent writers x 1000" ch ledger verify
# 11 + 4 x 1000, and each writer's checkpoint at its 1000th event (CHECKPOINT_EVERY)
check "all 4015 events are there" contains "$OUT" "4015 events checked"
check "each writer's 1000 events landed" [ "$(sqlite3 "$DB" "SELECT group_concat(n) FROM (SELECT count(*) n FROM events WHERE topic='test.concurrent' GROUP BY payload)")" = "1000,1000,1000,1000" ]
check "seqs are 1..4015 without gaps" [ "$(sqlite3 "$DB" 'SELECT min(seq), max(seq), count(*) FROM events')" = "1|4015|4015" ]
check "5 checkpoints" [ "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE topic = 'ledger.checkpoint'")" = 5 ]

expect_exit 0 "a batch of 500 in one transaction" ch ledger append --topic test.batch --count 500 --batch
check "it ends at seq 4515" contains "$OUT" "last seq 4515"
expect_exit 0 "events --topic filters" ch events --topic test.batch --json
check "500 batch events listed" [ "$(printf "%s\n" "$OUT" | wc -l)" = 500 ]
expect_exit 0 "events --topic prefix.* and --since" ch events --topic 'test.*' --since 4505 --json
check "10 events after seq 4505" [ "$(printf "%s\n" "$OUT" | wc -l)" = 10 ]
expect_exit 0 "events --node filters" ch events --node root@h:22
check "10 events for that node" [ "$(printf "%s\n" "$OUT" | wc -l)" = 10 ]

# --follow prints events appended after it started.
"$CHIMERA" --state-dir "$STATE" events --follow --since 4516 --json > "$W/follow.out" &
FPID=$!
sleep 0.5
ch ledger append --topic test.follow -q
ch ledger append --topic test.follow -q
sleep 0.8
kill $FPID; wait $FPID 2>/dev/null
check "--follow saw both new events" [ "$(grep -c test.follow "$W/follow.out")" = 2 ]

# A database from a newer chimera is refused, not misread.
rm -rf "$W/newer"; cp -r "$STATE" "$W/newer"
sqlite3 "$W/newer/chimera.db" "PRAGMA user_version = 99"
expect_exit 1 "a newer schema is refused" "$CHIMERA" --state-dir "$W/newer" ledger verify
check "saying so" contains "$ERR" "newer"
finish
