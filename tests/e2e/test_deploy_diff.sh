#!/bin/sh
# deploy --dry-run --diff on lab nodes (issue 18): after deploying a closure, a dry run of the
# next one shows, per node, the closure the node runs (read on it) against the one it would
# get: the dependency that changed version, the one added, with sizes; and nothing changes on
# the nodes. One node runs an older version, so its difference is its own.
. "$E2E_DIR/lib.sh"
LAB_BASE=236
start
W="$E2E_WORK/$TEST_NAME"
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false\nflake-registry =')"
export NIX_CONFIG

N() { echo "root@127.$LAB_BASE.0.1$1:22"; }
on() { i=$1; shift; ssh -F "$STATE/lab/ssh_config" "127.$LAB_BASE.0.1$i" "$@"; }
# Per node: its profile's path and how many generations it has, space separated.
state() {
	for i in 0 1 2; do
		printf '%s:%s ' "$(on "$i" 'readlink -f /nix/var/nix/profiles/system' </dev/null 2>/dev/null)" \
			"$(on "$i" 'ls -d /nix/var/nix/profiles/system-*-link 2>/dev/null | wc -l' </dev/null 2>/dev/null)"
	done
}
node_diff() { printf '%s\n' "$OUT" | jq -c --arg n "$(N "$1")" ".nodes[] | select(.node == \$n) | .diff | $2"; }

cp "$E2E_DIR/../fixtures/nix/versions.nix" "$W/closure.nix"

expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
expect_exit 0 "deploy v1 to nodes 0 and 1" ch deploy --json -t "$(N 0),$(N 1)" -c "$W/closure.nix" -A v1
P1=$(printf '%s\n' "$OUT" | jq -r .path)
expect_exit 0 "deploy v0 to node 2" ch deploy --json -t "$(N 2)" -c "$W/closure.nix" -A v0
P0=$(printf '%s\n' "$OUT" | jq -r .path)
BEFORE=$(state)
check "the nodes run v1, v1, v0 ($BEFORE)" [ "$BEFORE" = "$P1:1 $P1:1 $P0:1 " ]

# The dry run with --diff, as text.
expect_exit 0 "deploy --dry-run --diff of v2" ch deploy -t @lab -c "$W/closure.nix" -A v2 --dry-run --diff
P2=$(printf '%s\n' "$OUT" | sed -n 's|^dry run [0-9A-Z]*: \(/nix/store/[^ ]*-app-1\) .*|\1|p')
check "the header names v2 ($P2)" sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' - "$P2" "$P1"
check "nodes 0 and 1 would have libdep 1.0 -> 2.0" [ "$(printf '%s\n' "$OUT" | grep -Ec '^      libdep +1\.0 -> 2\.0 ')" = 2 ]
check "node 2 would have libdep 0.9 -> 2.0" [ "$(printf '%s\n' "$OUT" | grep -Ec '^      libdep +0\.9 -> 2\.0 ')" = 1 ]
check "every node would get extra-tool" [ "$(printf '%s\n' "$OUT" | grep -Ec '^      extra-tool +0\.3 ')" = 3 ]
check "each node's section under its line" sh -c 'printf "%s\n" "$1" | grep -A3 "^$2 " | grep -q "libdep  *0\.9 -> 2\.0"' - "$OUT" "$(N 2)"
check "the summary counts 3 checked" contains "$OUT" "3 nodes: 3 checked, 0 failed"

# The same as JSON: per node, both ends and sizes.
expect_exit 0 "deploy --dry-run --diff --json" ch deploy --json -t @lab -c "$W/closure.nix" -A v2 --dry-run --diff
check "json: node 0 from v1 to v2" [ "$(node_diff 0 '[.a.path, .b.path]')" = "[\"$P1\",\"$P2\"]" ]
check "json: node 2 from v0" [ "$(node_diff 2 '.a.path')" = "\"$P0\"" ]
check "json: node 0's packages" [ "$(node_diff 0 '[.packages[] | [.name, .change]] | sort')" = '[["app","rebuilt"],["extra-tool","added"],["libdep","changed"]]' ]
check "json: node 2's libdep versions" [ "$(node_diff 2 '.packages[] | select(.name == "libdep") | [.versions_a, .versions_b]')" = '[["0.9"],["2.0"]]' ]
SA=$(nix --extra-experimental-features nix-command path-info -S "$P1" | awk '{print $2}')
SB=$(nix --extra-experimental-features nix-command path-info -S "$P2" | awk '{print $2}')
check "json: the node's closure bytes, read on it, are the same closure's here ($SA)" [ "$(node_diff 1 .a.bytes)" = "$SA" ]
check "json: the new closure's bytes ($SB)" [ "$(node_diff 1 .b.bytes)" = "$SB" ]
check "json: every node planned" [ "$(printf '%s\n' "$OUT" | jq '[.nodes[] | select(.outcome == "planned")] | length')" = 3 ]

# Nothing changed on the nodes: the same paths and generations, v2 not copied.
check "the nodes run what they ran, with no new generation" [ "$(state)" = "$BEFORE" ]
check "no node has v2 in its store" [ "$(for i in 0 1 2; do on "$i" "test -e $P2 && echo has" </dev/null; done)" = "" ]

expect_exit 2 "--diff without --dry-run" ch deploy -t @lab -c "$W/closure.nix" -A v2 --diff
check "says it goes with --dry-run" contains "$ERR" "--diff goes with --dry-run"
check "and still nothing changed" [ "$(state)" = "$BEFORE" ]
finish
