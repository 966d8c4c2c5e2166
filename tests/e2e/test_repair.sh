#!/bin/sh
# Store repair without a binary cache on lab nodes: status notices the profile's own path
# gone from the disk; deploy and watch restore registered paths whose files are gone or
# changed from the controller's copy (a read-only store too), and nix-store --verify-path
# passes after; failed heals add up to a quarantine across separate `watch --once` runs;
# a malformed generation link is reported and deploy and generations still work.
. "$E2E_DIR/lib.sh"
LAB_BASE=222
start
W="$E2E_WORK/$TEST_NAME"
nix_offline

N() { echo "root@127.$LAB_BASE.0.1$1:22"; }
on() { i=$1; shift; ssh -F "$STATE/lab/ssh_config" -o ConnectTimeout=5 "127.$LAB_BASE.0.1$i" "$@"; }
# Node I's copy of store path P, as the host sees it (the node's /nix is a directory of the lab's).
host_path() { echo "$ROOT/node-000$1$2"; }
verifies() { ch exec -t "$(N "$1")" -- nix-store --verify-path "$2" >/dev/null 2>&1; }
not() { ! "$@"; }
# node.store.repaired events of node I as "WAS PATH" lines.
repaired() { ch events --json --topic node.store.repaired --node "$(N "$1")" | jq -r '"\(.payload.was) \(.payload.path)"'; }
round() { printf '%s\n' "$OUT" | jq -s -r ".[-1] | $1"; }
problem() { printf '%s\n' "$OUT" | jq -s -r --arg n "$1" ".[-1].problems[] | select(.node == \$n) | $2"; }
count() { ch events --json --topic "$1" --node "$(N "$2")" | wc -l; }

cp "$E2E_DIR/../fixtures/nix/tagged.nix" "$W/r.nix"
P=$(nix-build --no-out-link "$W/r.nix" --argstr name repair --argstr tag one 2>>"$W/build.log")
P2=$(nix-build --no-out-link "$W/r.nix" --argstr name repair --argstr tag two 2>>"$W/build.log")
DEP=$(nix-store -qR "$P" | grep repair-dep-one)
check "built two configurations" [ -d "$P" -a -d "$P2" -a -d "$DEP" ]

expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
ROOT=$(ch lab status --json | jq -r .root)
expect_exit 0 "deploy to @lab" ch deploy -t @lab --expect "$P"

# 1. status: the profile's own store path removed from node 0's disk, still registered.
rm -rf "$(host_path 0 "$P")"
check "node 0 lost the path's files" [ ! -e "$(host_path 0 "$P")" ]
expect_exit 3 "status with node 0's profile path gone from its disk" ch status -t @lab --expect "$P"
check "node 0 is drifted, the path missing on disk" contains "$OUT" "$(N 0)"
check "and the output says so" contains "$(printf '%s\n' "$OUT" | grep "$(N 0)")" "the profile's path $P is missing on disk"
expect_exit 3 "status --json" ch status -t @lab --expect "$P" --json
check "json: node 0 drifted with the reason, the others congruent" \
	[ "$(printf '%s\n' "$OUT" | jq -r '[.nodes[] | "\(.state):\(.reason // "")"] | join(",")')" = \
	  "drifted:the profile's path $P is missing on disk,congruent:,congruent:" ]

# 2. deploy restores it in place (registered, so nix-store --import passes it by).
expect_exit 0 "deploy to node 0 restores the path" ch deploy -t "$(N 0)" --expect "$P"
check "the path verifies on node 0" verifies 0 "$P"
check "node.store.repaired: gone" [ "$(repaired 0)" = "gone $P" ]
expect_exit 0 "status: all congruent again" ch status -t @lab --expect "$P"

# A dependency of the current system gone from the disk: Nix would not unregister it.
rm -rf "$(host_path 1 "$DEP")"
expect_exit 0 "deploy to node 1 restores a dependency the profile refers to" ch deploy -t "$(N 1)" --expect "$P"
check "the dependency verifies on node 1" verifies 1 "$DEP"
check "its data is back" [ "$(on 1 "cat $DEP/share/data")" = one ]
# A file's contents overwritten: deploy --repair finds and restores it.
echo tampered > "$(host_path 1 "$DEP")/share/data"
check "the overwrite fails verify-path" not verifies 1 "$DEP"
expect_exit 0 "deploy --repair to node 1" ch deploy --repair -t "$(N 1)" --expect "$P"
check "the dependency verifies again" verifies 1 "$DEP"
check "with its data as built" [ "$(on 1 "cat $DEP/share/data")" = one ]
check "read-only files with mtime 1, as Nix leaves them" \
	[ "$(on 1 "stat -c '%a %Y' $DEP/share/data $DEP/share $DEP" | tr '\n' ' ')" = "444 1 555 1 555 1 " ]
check "node.store.repaired: gone, then modified" [ "$(repaired 1 | tr '\n' ' ')" = "gone $DEP modified $DEP " ]
check "nothing left in the store's temporary directories" [ -z "$(ls -a "$ROOT/node-0001/nix/store" | grep chimera-repair)" ]

# 3. watch --once heals the same, with no binary cache.
rm -rf "$(host_path 2 "$DEP")"
expect_exit 0 "watch --once with node 2's dependency gone from its disk" ch watch -t @lab --expect "$P" --once --json
check "node 2 healed" [ "$(problem "$(N 2)" .state)" = healed ]
check "the dependency verifies on node 2" verifies 2 "$DEP"
check "node.store.repaired for node 2: gone" [ "$(repaired 2)" = "gone $DEP" ]
chmod u+w "$(host_path 2 "$P")/bin/activate"
echo 'exit 1' >> "$(host_path 2 "$P")/bin/activate"
expect_exit 0 "watch --once --verify-every 1 with node 2's activation script changed" \
	ch watch -t @lab --expect "$P" --once --verify-every 1 --json
check "node 2 healed" [ "$(problem "$(N 2)" .state)" = healed ]
check "its reason: verify-path failed" contains "$(problem "$(N 2)" .reason)" "nix-store --verify-path failed"
check "the path verifies on node 2" verifies 2 "$P"
check "node.store.repaired for node 2: modified" [ "$(repaired 2 | tail -n 1)" = "modified $P" ]

# A read-only store (NixOS bind-mounts it so): the repair remounts it writable for itself only.
expect_exit 0 "node 0's store made read-only in its mount namespace" \
	ch exec -t "$(N 0)" -- 'mount --bind /nix/store /nix/store && mount -o remount,bind,ro /nix/store'
check "writing to it fails" not on 0 "touch /nix/store/x 2>/dev/null"
echo tampered > "$(host_path 0 "$DEP")/share/data"
expect_exit 0 "watch --once --verify-every 1 repairs it anyway" ch watch -t @lab --expect "$P" --once --verify-every 1 --json
check "node 0 healed" [ "$(problem "$(N 0)" .state)" = healed ]
check "the dependency verifies on node 0" verifies 0 "$DEP"
check "node 0's store is still read-only" not on 0 "touch /nix/store/x 2>/dev/null"
on 0 "umount /nix/store"

# 4. Heals that cannot succeed, counted across separate --once runs: node 1's registration of
# the dependency no longer matches what was built (another build), so repair refuses it.
DB="$ROOT/node-0001/nix/var/nix/db/db.sqlite"
HASH=$(sqlite3 "$DB" "select hash from ValidPaths where path = '$DEP'")
sqlite3 "$DB" "update ValidPaths set hash = (select hash from ValidPaths where path = '$P') where path = '$DEP'"
rm -rf "$(host_path 1 "$DEP")"
for n in 1 2; do
	expect_exit 3 "watch --once $n with node 1 unhealable" ch watch -t @lab --expect "$P" --once --json
	check "node 1 failed ($n failed heals in a row)" \
		[ "$(problem "$(N 1)" '"\(.state) \(.heal_failures)"')" = "failed $n" ]
done
check "why: the registration does not match the controller's copy" \
	contains "$(problem "$(N 1)" .reason)" "cannot repair $DEP: the node registered its NAR hash as"
expect_exit 3 "watch --once 3: the third failed heal quarantines node 1" ch watch -t @lab --expect "$P" --once --json
check "node 1 quarantined after 3 failed heals" [ "$(problem "$(N 1)" '"\(.state) \(.heal_failures)"')" = "quarantined 3" ]
check "three heal_failed events, one quarantine" [ "$(count watch.node.heal_failed 1) $(count watch.node.quarantined 1)" = "3 1" ]
expect_exit 3 "watch --once 4 leaves it quarantined" ch watch -t @lab --expect "$P" --once --json
check "still quarantined, no new heal" [ "$(problem "$(N 1)" .state) $(count watch.node.heal_failed 1)" = "quarantined 3" ]
check "the other nodes congruent" [ "$(round .congruent)" = 2 ]
sqlite3 "$DB" "update ValidPaths set hash = '$HASH' where path = '$DEP'"
expect_exit 0 "released" ch watch --release "$(N 1)"
expect_exit 0 "the next watch --once heals node 1" ch watch -t @lab --expect "$P" --once --json
check "node 1 healed" [ "$(problem "$(N 1)" .state)" = healed ]
check "the dependency verifies on node 1" verifies 1 "$DEP"

# 5. Malformed generation links: reported, and deploy and generations still work.
on 2 "ln -sfn /tmp/garbage /nix/var/nix/profiles/system-1-link && ln -s $P /nix/var/nix/profiles/system-foo-link"
expect_exit 0 "deploy to node 2 through a profile whose generation link points at garbage" \
	ch deploy -t "$(N 2)" --expect "$P2"
check "a warning names the link" contains "$ERR" "the profile leads through system-1-link to '/tmp/garbage'"
check "node 2 is on the new path" [ "$(on 2 'readlink -f /nix/var/nix/profiles/system')" = "$P2" ]
expect_exit 0 "generations on node 2" ch generations -t "$(N 2)"
check "lists the good generation" contains "$OUT" "$P2  (current)"
check "and warns of the malformed links" contains "$OUT" "warning: generation link system-1-link points at '/tmp/garbage', not a store path; skipped (and more like it)"
expect_exit 0 "generations --json" ch generations -t "$(N 2)" --json
check "json: one generation and the warning" \
	[ "$(printf '%s\n' "$OUT" | jq -r '.nodes[0] | "\(.generations | length) \(.warning | test("system-1-link"))"')" = "1 true" ]
on 2 "rm /nix/var/nix/profiles/system-1-link"
expect_exit 0 "generations with only the unnumbered link" ch generations -t "$(N 2)"
check "names it" contains "$OUT" "warning: generation link system-foo-link has no generation number; skipped"

expect_exit 0 "the ledger verifies" ch ledger verify
expect_exit 0 "lab down" ch lab down
finish
