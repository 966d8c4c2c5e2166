#!/bin/sh
# chimera.toml: machines list/show/add/rm (comments and untouched lines kept byte for byte),
# config show and its precedence, selectors (@tag, globs, all, --exclude) on lab nodes,
# and errors that name the bad key or selector.
. "$E2E_DIR/lib.sh"
LAB_BASE=209
start
W="$E2E_WORK/$TEST_NAME"
cd "$W" || exit 1
inv() { "$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" "$@"; }

expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
cat > chimera.toml <<EOF
# The fleet; keep this comment.
[defaults]
parallel = 8   # a comment after a value
connect_timeout = 5

# web nodes
[machines.web-1]
target = "127.$LAB_BASE.0.10"
tags = ["web", "eu"]

[machines.web-2]
target = "root@127.$LAB_BASE.0.11:22"
tags = ["web", "us"]
# trailing comment of web-2

[machines.db-1]
target = "127.$LAB_BASE.0.12"
tags = ["db", "eu"]
checks = ["tcp:{host}:22"]
EOF
cp chimera.toml orig.toml

# 1. list and show.
expect_exit 0 "machines list" inv machines list
check "three machines listed" contains "$OUT" "3 machines in $W/chimera.toml"
check "web-2's tags" sh -c "printf '%s\n' '$OUT' | grep -q '^web-2 .*web,us'"
expect_exit 0 "machines show db-1 --json" inv --json machines show db-1
check "target with the default user and port" [ "$(printf '%s\n' "$OUT" | jq -r .target)" = "root@127.$LAB_BASE.0.12:22" ]
check "its own check" [ "$(printf '%s\n' "$OUT" | jq -r '.checks[0]')" = "tcp:{host}:22" ]
expect_exit 2 "show an unknown machine" inv machines show db-9
check "names it" contains "$ERR" "no machine 'db-9'"

# 2. Selectors on real nodes.
nodes_of() { printf '%s\n' "$OUT" | jq -r '[.nodes[].target] | join(" ")'; }
expect_exit 0 "exec -t @web" inv --json exec -t @web -- true
check "web-1 and web-2" [ "$(nodes_of)" = "root@127.$LAB_BASE.0.10:22 root@127.$LAB_BASE.0.11:22" ]
expect_exit 0 "exec -t 'db-*,web-1'" inv --json exec -t 'db-*,web-1' -- true
check "in the order given" [ "$(nodes_of)" = "root@127.$LAB_BASE.0.12:22 root@127.$LAB_BASE.0.10:22" ]
expect_exit 0 "exec -t all --exclude @us" inv --json exec -t all --exclude @us -- true
check "web-1 and db-1" [ "$(nodes_of)" = "root@127.$LAB_BASE.0.10:22 root@127.$LAB_BASE.0.12:22" ]
expect_exit 0 "exec -t @eu,127.$LAB_BASE.0.11 (a target written out)" inv --json exec -t "@eu,127.$LAB_BASE.0.11" -- true
check "three nodes" [ "$(printf '%s\n' "$OUT" | jq '.nodes | length')" = 3 ]
expect_exit 2 "a selector that matches nothing" inv exec -t web-9 -- true
check "names it and lists the machines" contains "$ERR" "selector 'web-9' matches no machine (web-1, web-2, db-1"
expect_exit 2 "an unknown tag" inv exec -t @nope -- true
check "names it" contains "$ERR" "'@nope' matches no machine"
expect_exit 2 "--exclude that matches nothing" inv exec -t all --exclude 'x-*' -- true
check "names it" contains "$ERR" "--exclude: selector 'x-*' matches no machine"
expect_exit 2 "everything excluded" inv exec -t @web --exclude @web -- true
check "says so" contains "$ERR" "no targets left after --exclude"
expect_exit 0 "status with @lab still works beside an inventory" inv --json exec -t @lab -- true

# 3. config show: file, then the environment over it, then built-in defaults.
expect_exit 0 "config show" inv --json config show
check "parallel 8 from the file" [ "$(printf '%s\n' "$OUT" | jq -r '.settings.parallel | "\(.value) \(.from)"')" = "8 file" ]
check "profile from the defaults" [ "$(printf '%s\n' "$OUT" | jq -r '.settings.profile.from')" = default ]
check "the inventory from the flag" [ "$(printf '%s\n' "$OUT" | jq -r '.inventory.from')" = flag ]
expect_exit 0 "CHIMERA_PARALLEL over the file" env CHIMERA_PARALLEL=3 "$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" --json config show
check "parallel 3 from env" [ "$(printf '%s\n' "$OUT" | jq -r '.settings.parallel | "\(.value) \(.from)"')" = "3 env" ]
expect_exit 2 "a bad CHIMERA_PORT" env CHIMERA_PORT=99999 "$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" config show
check "names the variable" contains "$ERR" "CHIMERA_PORT"
expect_exit 0 "./chimera.toml is found without --config" ch --json config show
check "from the working directory" [ "$(printf '%s\n' "$OUT" | jq -r '.inventory | "\(.path) \(.from)"')" = "chimera.toml file" ]
expect_exit 0 "CHIMERA_CONFIG" env CHIMERA_CONFIG="$W/orig.toml" "$CHIMERA" --state-dir "$STATE" --json config show
check "names it, from env" [ "$(printf '%s\n' "$OUT" | jq -r '.inventory | "\(.path) \(.from)"')" = "$W/orig.toml env" ]

# 4. add and rm keep every other byte.
expect_exit 0 "machines add cache-1" inv machines add cache-1 --target "127.$LAB_BASE.0.13:22" --tag cache
check "the old text is kept as the start, byte for byte" cmp -s orig.toml "$(head -c "$(wc -c < orig.toml)" chimera.toml > head.toml; echo head.toml)"
expect_exit 2 "the same target twice is refused" inv machines add cache-2 --target "root@127.$LAB_BASE.0.10:22"
check "cache-2 not written" [ "$(grep -c 'cache-2' chimera.toml)" = 0 ]
expect_exit 2 "a duplicate name" inv machines add web-1 --target 127.1.2.3
expect_exit 2 "a bad name" inv machines add 'no/slash' --target 127.1.2.3
inv machines rm cache-1 >/dev/null
check "rm cache-1 gives back the original file" cmp -s orig.toml chimera.toml
expect_exit 0 "machines rm web-2" inv machines rm web-2
check "web-2's table is gone" [ "$(grep -c '^\[machines.web-2\]\|127.$LAB_BASE.0.11' chimera.toml)" = 0 ]
check "the comments stay" sh -c "grep -qxF '# The fleet; keep this comment.' chimera.toml && grep -qxF '# web nodes' chimera.toml && grep -qxF '# trailing comment of web-2' chimera.toml && grep -qF 'parallel = 8   # a comment after a value' chimera.toml"
# What rm took away is exactly web-2's three lines, and it added nothing.
check "only web-2's lines removed" [ "$(diff orig.toml chimera.toml | grep '^<' | tr '\n' '|')" = "< [machines.web-2]|< target = \"root@127.$LAB_BASE.0.11:22\"|< tags = [\"web\", \"us\"]|" ]
check "no line added" [ -z "$(diff orig.toml chimera.toml | grep '^>')" ]
expect_exit 2 "rm an unknown machine" inv machines rm web-2
check "names it" contains "$ERR" "no machine 'web-2'"
expect_exit 0 "machines add to a new file" "$CHIMERA" --state-dir "$STATE" --config "$W/new.toml" machines add solo --target 127.1.1.1
check "the file was made and reads" sh -c "'$CHIMERA' --state-dir '$STATE' --config '$W/new.toml' --json machines list | jq -e '.machines[0].name == \"solo\"' >/dev/null"

# 5. A bad inventory is named at its line and column.
printf '[defaults]\nparallel = 8\n\n[machines.a]\ntarget = "127.1.1.1"\ntagz = ["x"]\n' > bad.toml
expect_exit 2 "an unknown key" "$CHIMERA" --state-dir "$STATE" --config "$W/bad.toml" machines list
check "file:line:col and the key" contains "$ERR" "bad.toml:6:1: unknown key 'tagz'"
printf '[machinez.a]\ntarget = "127.1.1.1"\n' > bad2.toml
expect_exit 2 "an unknown table" "$CHIMERA" --state-dir "$STATE" --config "$W/bad2.toml" machines list
check "names the line" contains "$ERR" "bad2.toml:1:"
expect_exit 2 "a missing --config file" "$CHIMERA" --state-dir "$STATE" --config "$W/none.toml" machines list
check "names it" contains "$ERR" "none.toml"

# 6. Without an inventory, "all" and globs are refused, not taken for host names.
mkdir -p "$W/empty"
cd "$W/empty" || exit 1
expect_exit 2 "-t all without an inventory" env -u CHIMERA_CONFIG "$CHIMERA" --state-dir "$STATE" exec -t all -- true
check "says there is none" contains "$ERR" "'all' selects machines of an inventory, and there is none"
expect_exit 2 "-t 'web-*' without an inventory" env -u CHIMERA_CONFIG "$CHIMERA" --state-dir "$STATE" exec -t 'web-*' -- true
expect_exit 2 "an empty element" env -u CHIMERA_CONFIG "$CHIMERA" --state-dir "$STATE" exec -t '127.0.0.1,,127.0.0.2' -- true
check "names its place" contains "$ERR" "element 2 is empty"

finish
