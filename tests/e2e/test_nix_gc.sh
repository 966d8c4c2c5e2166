#!/bin/sh
# chimera nix gc on 10 lab nodes with 6 generations each: --keep 2 --older-than 0d leaves the
# current and the previous generation, and the bytes each node reports freed match what du
# sees its /nix/store lose; a node with an armed dead-man switch keeps the generation the
# switch goes back to (and the switch, firing later, still finds it); a node a running watch
# keeps on an older configuration keeps that generation; a node whose lease
# another operation holds is reported failed and left untouched; --dry-run changes nothing
# and foresees what the real run frees; bad --older-than and --keep are usage errors; --json;
# one nix.gc.completed per node.
. "$E2E_DIR/lib.sh"
LAB_BASE=235
start
W="$E2E_WORK/$TEST_NAME"
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false\nflake-registry =')"
export NIX_CONFIG

BG=
KILLED=
WATCH=
trap 'for p in $BG $KILLED $WATCH; do kill -9 "$p" 2>/dev/null; done; cleanup' EXIT
trap 'exit 130' INT TERM

N() { echo "root@127.$LAB_BASE.0.1$1:22"; }
ALL="0 1 2 3 4 5 6 7 8 9"
# Node $1's generation numbers, ascending, space separated (read from the host: a lab node's /nix is ours to see).
gens_of() {
	ls "$(node_root "$1")/nix/var/nix/profiles" | sed -n 's/^system-\([0-9]*\)-link$/\1/p' | sort -n | tr '\n' ' '
}
# What node $1's /nix/store holds on the disk, in bytes, as du counts it.
store_bytes() { du -s -B1 "$(node_root "$1")/nix/store" | cut -f1; }
# jfield DOC I EXPR: EXPR of node I's object in the report DOC.
jfield() { printf '%s\n' "$1" | jq -r --arg n "$(N "$2")" ".nodes[] | select(.node == \$n) | $3"; }
abs() { if [ "$1" -lt 0 ]; then echo $((-$1)); else echo "$1"; fi; }
last_deployment() { ch events --json --topic deploy.initiated | tail -1 | jq -r .deployment; }

# A configuration of two store paths: its data output, a 300 kB blob of its own, so each
# generation's closure is worth collecting, and its out, whose bin/activate names the data.
cat >"$W/gc.nix" <<'EOF'
{ version }:
derivation {
  name = "gcsys-${version}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  outputs = [ "out" "data" ];
  args = [ "-c" ''
    /bin/mkdir -p $data $out/bin
    /usr/bin/head -c 300000 /dev/urandom > $data/blob
    printf '#!/bin/sh\necho activated ${version}, data in %s\n' "$data" > $out/bin/activate
    /bin/chmod +x $out/bin/activate
  '' ];
}
EOF
build() { nix-build --no-out-link "$W/gc.nix" --argstr version "$1" 2>>"$W/build.log" | grep -v -e '-data$'; }
for v in 1 2 3 4 5 6 7 8; do eval "V$v=\$(build gc$v)"; done
check "eight configurations built" [ -d "$V1" -a -d "$V6" -a -d "$V7" -a -d "$V8" ]

expect_exit 0 "lab up 10" ch lab up 10 --base $LAB_BASE
for v in 1 2 3 4 5 6; do
	eval "P=\$V$v"
	expect_exit 0 "deploy configuration $v to the 10 nodes, no magic rollback" \
		ch deploy -t @lab --expect "$P" --no-magic-rollback
done
ok6=0
for i in $ALL; do [ "$(gens_of "$i")" = "1 2 3 4 5 6 " ] && ok6=$((ok6 + 1)); done
check "every node has generations 1 to 6 ($ok6 of 10)" [ "$ok6" = 10 ]

# Node 9: back on generation 3, then a deploy of configuration 7 killed while it activates:
# generation 7 is current and an armed dead-man switch will take the node back to 3.
expect_exit 0 "rollback node 9 to generation 3" ch rollback -t "$(N 9)" --generation 3
DM="$(node_root 9)/nix/var/chimera/deadman"
"$CHIMERA" --state-dir "$STATE" deploy -t "$(N 9)" --expect "$V7" --confirm-timeout 150 \
	--activate 'sleep 30; "$1"/bin/activate' >"$W/killed.out" 2>&1 &
KILLED=$!
n=0
until ls "$DM"/*/pid >/dev/null 2>&1 || [ $n -ge 600 ]; do sleep 0.1; n=$((n + 1)); done
kill -9 "$KILLED"
wait "$KILLED" 2>/dev/null
KILLED=
ARMER=$(last_deployment)
check "node 9 is on generation 7 with a switch armed that goes back to 3" \
	[ "$(gens_of 9)" = "1 2 3 4 5 6 7 " -a "$(sed -n 's/^gen //p' "$DM"/*/info)" = 3 ]
DUE=$(sed -n 's/^deadline //p' "$DM"/*/info)

# Node 7: a watch that keeps it on configuration 2 (--no-heal: it only reports the drift).
"$CHIMERA" --state-dir "$STATE" watch -t "$(N 7)" --expect "$V2" --no-heal --interval 2 >"$W/watch.out" 2>&1 &
WATCH=$!
n=0
until [ "$(ch events --json --topic watch.round | wc -l)" -ge 1 ] || [ $n -ge 300 ]; do sleep 0.1; n=$((n + 1)); done
WATCHID=$(ch events --json --topic watch.started | tail -1 | jq -r .deployment)
watching() { [ -n "$WATCHID" ] && kill -0 "$WATCH"; }
check "the watch is running on node 7 (watch $WATCHID)" watching

# The dry run: nothing changes, and it says what would go.
for i in $ALL; do eval "B$i=\$(store_bytes $i)"; done
# Lab nodes share this machine's /proc: Nix on one node takes a process of another node that
# has a store path of the same name open (a du, a collector deleting it) for a runtime root.
# One node at a time, the dry run's estimate is exact; the real run below goes in parallel.
expect_exit 0 "nix gc --dry-run --json --keep 2 --older-than 0d (--parallel 1)" \
	ch nix gc --json -t @lab --keep 2 --older-than 0d --dry-run --parallel 1
DRY=$OUT
check "one JSON document, a dry run" [ "$(printf '%s\n' "$DRY" | jq -s 'length')" = 1 -a "$(printf '%s\n' "$DRY" | jq .dry_run)" = true ]
check "it would delete 1 to 4 on nodes 0 to 6 and 8, keeping 5 (newest) and 6 (current, newest)" \
	[ "$(printf '%s\n' "$DRY" | jq -c '[.nodes[] | select(.generations_deleted == [1,2,3,4] and .kept[0].why == ["newest"] and .kept[1].why == ["current","newest"])] | length')" = 8 ]
check "and 1, 3 and 4 on node 7, keeping 2 for the watch" \
	[ "$(jfield "$DRY" 7 '"\(.generations_deleted) \(.kept[0].generation) \(.kept[0].why) \(.kept[0].by)"')" = "[1,3,4] 2 [\"watch\"] $WATCHID" ]
check "and 1, 2, 4 and 5 on node 9, keeping 3 for the switch of deployment $ARMER" \
	[ "$(jfield "$DRY" 9 '"\(.generations_deleted) \(.kept[0].generation) \(.kept[0].why) \(.kept[0].by)"')" = "[1,2,4,5] 3 [\"deadman\"] $ARMER" ]
changed=0
for i in $ALL; do eval "b=\$B$i"; [ "$(store_bytes "$i")" = "$b" ] || changed=$((changed + 1)); done
check "the dry run changed no store ($changed changed) and no profile" \
	[ "$changed" = 0 -a "$(gens_of 0)" = "1 2 3 4 5 6 " -a "$(gens_of 9)" = "1 2 3 4 5 6 7 " ]
check "it foresees 8 paths (4 closures of 2) on each node, 6 on node 7, and some bytes" \
	[ "$(printf '%s\n' "$DRY" | jq --arg n7 "$(N 7)" '[.nodes[] | select(.paths_removed == (if .node == $n7 then 6 else 8 end) and .freed_bytes > 850000)] | length')" = 10 ]

# Node 8 busy: a deploy of configuration 8 whose activation takes 40 s holds its lease.
"$CHIMERA" --state-dir "$STATE" deploy -t "$(N 8)" --expect "$V8" --no-magic-rollback \
	--activate 'sleep 40; "$1"/bin/activate' >"$W/bg.out" 2>&1 &
BG=$!
n=0
until [ -L "$(node_root 8)/nix/var/nix/profiles/system-7-link" ] || [ $n -ge 600 ]; do sleep 0.1; n=$((n + 1)); done
HOLDER=$(last_deployment)
check "node 8 switched to generation 7 and is activating" [ "$(gens_of 8)" = "1 2 3 4 5 6 7 " ]

for i in $ALL; do eval "B$i=\$(store_bytes $i)"; done
expect_exit 3 "nix gc --json -t @lab --keep 2 --older-than 0d --lock-wait 1: node 8 held" \
	ch nix gc --json -t @lab --keep 2 --older-than 0d --lock-wait 1
GC=$OUT
GCID=$(printf '%s\n' "$GC" | jq -r .gc)
check "summary: 10 nodes, 9 ok, 1 failed" \
	[ "$(printf '%s\n' "$GC" | jq -c '[.summary.nodes, .summary.ok, .summary.failed]')" = "[10,9,1]" ]
kept2=0
for i in 0 1 2 3 4 5 6; do [ "$(gens_of "$i")" = "5 6 " ] && kept2=$((kept2 + 1)); done
check "nodes 0 to 6 keep only the current and the previous generation ($kept2 of 7)" [ "$kept2" = 7 ]
check "and say so: deleted [1,2,3,4], kept [5,6]" \
	[ "$(printf '%s\n' "$GC" | jq -c '[.nodes[] | select(.ok and .generations_deleted == [1,2,3,4] and .generations_kept == [5,6])] | length')" = 7 ]
check "node 7 keeps 2 too, for the running watch" \
	[ "$(gens_of 7) $(jfield "$GC" 7 '"\(.generations_kept) \(.kept[0].why) \(.kept[0].by)"')" = "2 5 6  [2,5,6] [\"watch\"] $WATCHID" ]
check "node 9 keeps 3 (its switch's), 6 and 7" [ "$(gens_of 9)" = "3 6 7 " ]
check "and says 3 stays for the switch deployment $ARMER armed, which it left armed" \
	[ "$(jfield "$GC" 9 '"\(.generations_deleted) \(.generations_kept) \(.kept[0].why) \(.kept[0].by) \(.switches)"')" = "[1,2,4,5] [3,6,7] [\"deadman\"] $ARMER 1" ]
armed_alive() { [ ! -d "$(echo "$DM"/*)/claim" ] && [ "$(ls "$DM" | wc -l)" = 1 ] && kill -0 "$(cat "$DM"/*/pid)"; }
check "the switch is still armed: not claimed, its process alive" armed_alive
check "node 8 failed at its lease, naming deployment $HOLDER" \
	[ "$(jfield "$GC" 8 '"\(.ok) \(.step) \(.generations_deleted)"')" = "false lease []" ]
check "its error names the holder" contains "$(jfield "$GC" 8 .error)" "is held by deployment $HOLDER"
check "node 8 untouched: generations 1 to 7, its store as it was" \
	[ "$(gens_of 8)" = "1 2 3 4 5 6 7 " -a "$(store_bytes 8)" = "$B8" ]

# Freed bytes against du. gc measures each dead path with du on the node just before
# nix-store --gc and reports those gone after it, so the figure is what left the disk; the
# store directory's own blocks stay (ext4 never shrinks a directory), so the only other change
# du can see in /nix/store is Nix's bookkeeping there (.links, a lock or temporary file):
# 16 KiB, four blocks, is the margin.
bad=0
for i in 0 1 2 3 4 5 6 7 9; do
	eval "b=\$B$i"
	lost=$((b - $(store_bytes "$i")))
	freed=$(jfield "$GC" "$i" .freed_bytes)
	echo "  node $i: du lost $lost bytes, gc reports $freed ($(jfield "$GC" "$i" .measure)), Nix said $(jfield "$GC" "$i" .nix_freed_bytes)"
	[ "$(abs $((lost - freed)))" -le 16384 ] && [ "$lost" -gt 0 ] || bad=$((bad + 1))
done
check "every node's freed bytes match what du lost, within 16 KiB ($bad do not)" [ "$bad" = 0 ]
# What a node removed and what is left of the closures of its deleted generations make 8
# (4 closures of 2 paths; 6 on node 7): all removed unless another node's collector held one
# a moment (see the dry run). Where all went, the dry run foresaw the bytes.
closure_left() {
	c=0 r=$(node_root "$1")
	for v in $2; do eval "P=\$V$v"; for q in $(nix-store -qR "$P"); do [ -e "$r$q" ] && c=$((c + 1)); done; done
	echo $c
}
bad=0 whole=0 foreseen=0
for i in 0 1 2 3 4 5 6 7 9; do
	vs="1 2 3 4" all=8; [ "$i" = 9 ] && vs="1 2 4 5"; [ "$i" = 7 ] && vs="1 3 4" all=6
	removed=$(jfield "$GC" "$i" .paths_removed)
	[ $((removed + $(closure_left "$i" "$vs"))) = "$all" ] || bad=$((bad + 1))
	[ "$removed" = "$all" ] || continue
	whole=$((whole + 1))
	[ "$(abs $(( $(jfield "$GC" "$i" .freed_bytes) - $(jfield "$DRY" "$i" .freed_bytes) )))" -le 16384 ] && foreseen=$((foreseen + 1))
done
check "on every node the paths removed and the ones left of the deleted closures make them all ($bad do not)" [ "$bad" = 0 ]
check "the nodes that removed them all ($whole) freed what the dry run foresaw ($foreseen), within 16 KiB" \
	[ "$whole" -ge 1 -a "$foreseen" = "$whole" ]
check "Nix's own figure (file sizes) is there too, at most du's (blocks)" \
	[ "$(printf '%s\n' "$GC" | jq '[.nodes[] | select(.ok and .nix_freed_bytes > 0 and .nix_freed_bytes <= .freed_bytes)] | length')" = 9 ]
check "the summary adds the nodes up" \
	[ "$(printf '%s\n' "$GC" | jq '.summary.freed_bytes == ([.nodes[].freed_bytes // 0] | add) and .summary.generations_deleted == 35')" = true ]

expect_exit 0 "events of the gc" ch events --json --deployment "$GCID" --topic nix.gc.completed
check "one nix.gc.completed per node, its node column set" \
	[ "$(printf '%s\n' "$OUT" | jq -r .node | sort -u | wc -l)" = 10 -a "$(printf '%s\n' "$OUT" | wc -l)" = 10 ]
check "node 0's: generations deleted and kept, freed bytes and paths, not a dry run" \
	[ "$(printf '%s\n' "$OUT" | jq -c --arg n "$(N 0)" 'select(.node == $n) | .payload | [.node == $n, .profile, .generations_deleted, .generations_kept, .freed_bytes, .paths_removed, .dry_run]')" = "[true,\"/nix/var/nix/profiles/system\",[1,2,3,4],[5,6],$(jfield "$GC" 0 .freed_bytes),$(jfield "$GC" 0 .paths_removed),false]" ]
check "node 8's says it failed at its lease" \
	[ "$(printf '%s\n' "$OUT" | jq -r --arg n "$(N 8)" 'select(.node == $n) | "\(.payload.ok) \(.payload.step)"')" = "false lease" ]
DRYID=$(printf '%s\n' "$DRY" | jq -r .gc)
expect_exit 0 "events of the dry run" ch events --json --deployment "$DRYID" --topic nix.gc.completed
check "ten, each marked dry_run" [ "$(printf '%s\n' "$OUT" | jq -r 'select(.payload.dry_run) | .node' | sort -u | wc -l)" = 10 ]

expect_exit 0 "node 8's deploy, once its activation is done, ends well" wait "$BG"
BG=
kill -TERM "$WATCH"
wait "$WATCH"
WATCH=
check "the watch stopped (watch.stopped)" [ "$(ch events --json --deployment "$WATCHID" --topic watch.stopped | wc -l)" = 1 ]
expect_exit 0 "nodes 0 to 7 are still congruent with configuration 6" \
	ch status -t "$(N 0),$(N 1),$(N 2),$(N 3),$(N 4),$(N 5),$(N 6),$(N 7)" --expect "$V6"

# Again, text this time: nothing old is left to delete on node 0.
expect_exit 0 "nix gc on node 0 again (text)" ch nix gc -t "$(N 0)" --keep 2 --older-than 0d
check "it deleted nothing and kept 5 and 6" contains "$OUT" "deleted nothing; kept 5 (newest), 6 (current, newest)"
check "the summary line" contains "$OUT" "1 nodes: 1 ok, 0 failed; 0 generations deleted"

# Bad input: usage errors that name the form.
expect_exit 2 "--older-than 30x" ch nix gc -t @lab --older-than 30x
check "names the expected form" contains "$ERR" "bad --older-than '30x': expected a whole number and one unit, s, m, h, d or w"
expect_exit 2 "--older-than -1d" ch nix gc --older-than -1d
expect_exit 2 "--keep 0 --json" ch nix gc --json -t @lab --keep 0
check "a JSON error naming the range" [ "$(printf '%s\n' "$OUT" | jq -r .error)" = "bad --keep '0': expected a whole number from 1 to 1000" ]
expect_exit 2 "--keep two" ch nix gc --keep two
check "names it" contains "$ERR" "bad --keep 'two'"

# The controller itself, without -t: only a dry run here, since this machine's store is the
# one every other test builds into (a real collection would take their unrooted builds).
expect_exit 0 "nix gc --dry-run --json on the controller" ch nix gc --dry-run --json --profile /nix/var/nix/profiles/chimera-gc-e2e
check "one node, local, a dry run" [ "$(printf '%s\n' "$OUT" | jq -c '[.nodes[0].node, .nodes[0].ok, .dry_run]')" = '["local",true,true]' ]

# The switch fires when due, and finds the generation gc kept for it.
left=$((DUE + 5 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
n=0
until [ -e "$(echo "$DM"/*)/result" ] || [ $n -ge 60 ]; do sleep 1; n=$((n + 1)); done
check "node 9's switch fired and put it back on generation 3 (configuration 3)" \
	[ "$(cat "$DM"/*/result 2>/dev/null)" = rolled-back -a "$(readlink "$(node_root 9)/nix/var/nix/profiles/system")" = system-3-link ]
finish
