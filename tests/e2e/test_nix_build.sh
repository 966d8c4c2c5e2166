#!/bin/sh
# chimera nix eval, build, diff and search (issue 18), on this machine's Nix, offline, no lab:
# eval of an expression and of a file's attribute (as Nix prints it and as JSON), errors named
# with their position; builds of a file and of a path: flake, no ./result unless --out-link;
# the diff of two builds where one dependency changed version and one was added, its sizes
# held against nix-store's; search by a word of a description; one event per eval and build.
. "$E2E_DIR/lib.sh"
start
W="$E2E_WORK/$TEST_NAME"
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false\nflake-registry =')"
export NIX_CONFIG
count() { ch events --json --topic "$1" | wc -l; }
sha3() { printf '%s' "$1" | openssl dgst -sha3-256 -r | cut -d' ' -f1; }
# Run in an empty directory, so that anything left behind in the working directory shows.
mkdir -p "$W/cwd"
cd "$W/cwd" || exit 1

# 1. eval: an expression, as Nix prints it and as JSON.
EXPR='{ a = 1 + 2; b = [ "x" true null ]; c.d = "e"; }'
expect_exit 0 "eval an expression" ch nix eval "$EXPR"
check "printed as Nix prints it" [ "$OUT" = '{ a = 3; b = [ "x" true null ]; c = { d = "e"; }; }' ]
expect_exit 0 "eval --json" ch nix eval --json "$EXPR"
check "its value as JSON" [ "$(printf '%s\n' "$OUT" | jq -c .value)" = '{"a":3,"b":["x",true,null],"c":{"d":"e"}}' ]
check "the expression's digest is the SHA3-256 of its text" \
	[ "$(printf '%s\n' "$OUT" | jq -r .expression_sha256)" = "$(sha3 "$EXPR")" ]
check "the result's digest is the SHA3-256 of the JSON Nix printed" \
	[ "$(printf '%s\n' "$OUT" | jq -r .result_sha256)" = "$(sha3 '{"a":3,"b":["x",true,null],"c":{"d":"e"}}')" ]
expect_exit 0 "a function prints as Nix prints it" ch nix eval 'x: x'
check "<LAMBDA>" [ "$OUT" = "<LAMBDA>" ]

# A file and its attribute.
cat > "$W/vals.nix" <<'EOF'
{ greeting ? "hello" }:
{
  inherit greeting;
  nested.n = 6 * 7;
  nested.list = [ 1 2 3 ];
}
EOF
expect_exit 0 "eval -f FILE -A ATTR (the file is a function: called with its defaults)" ch nix eval -f "$W/vals.nix" -A nested
check "printed as Nix prints it" [ "$OUT" = "{ list = [ 1 2 3 ]; n = 42; }" ]
expect_exit 0 "eval -f FILE -A ATTR --json" ch nix eval -f "$W/vals.nix" -A nested.n --json
check "its value" [ "$(printf '%s\n' "$OUT" | jq -c '[.value, .file, .attr]')" = "[42,\"$W/vals.nix\",\"nested.n\"]" ]
FILE_SHA=$(openssl dgst -sha3-256 -r <"$W/vals.nix" | cut -d' ' -f1)
check "the digest is of the file's digest and the attribute" \
	[ "$(printf '%s\n' "$OUT" | jq -r .expression_sha256)" = "$(sha3 "$FILE_SHA
nested.n")" ]
EVALS=5

# Errors: Nix's message with the file and position.
printf '{\n  a = 1;\n  b = ;\n}\n' > "$W/bad.nix"
expect_exit 1 "a syntax error in a file" ch nix eval -f "$W/bad.nix"
check "Nix's message" contains "$ERR" "syntax error, unexpected ';'"
check "named with its file, line and column" contains "$ERR" "at $W/bad.nix:3:7:"
check "and the line quoted" contains "$ERR" "3|   b = ;"
expect_exit 1 "the same with --json" ch nix eval --json -f "$W/bad.nix"
check "ok false, the position as fields" \
	[ "$(printf '%s\n' "$OUT" | jq -c '[.ok, .position.file, .position.line, .position.column]')" = "[false,\"$W/bad.nix\",3,7]" ]
expect_exit 1 "a syntax error in an expression" ch nix eval '{ a = 1;'
check "named at the expression's own position" contains "$ERR" "at «string»:1:8:"
expect_exit 1 "an attribute that is not there" ch nix eval -f "$W/vals.nix" -A nope
check "Nix says so" contains "$ERR" "attribute 'nope' in selection path 'nope' not found"
expect_exit 2 "-A without -f" ch nix eval -A x
expect_exit 2 "a file that does not exist" ch nix eval -f "$W/none.nix"
check "named" contains "$ERR" "bad -f '$W/none.nix'"
check "one nix.expression.evaluated per evaluation, none for the failures" [ "$(count nix.expression.evaluated)" = $EVALS ]

# 2. build: a closure whose dependency changes version and gains one (tests/fixtures/nix/versions.nix).
cp "$E2E_DIR/../fixtures/nix/versions.nix" "$W/closure.nix"
expect_exit 0 "build a file's attribute with --out-link" ch nix build "$W/closure.nix" -A v1 --out-link "$W/r1"
P1=$OUT
check "it printed the store path ($P1)" test -d "$P1"
check "the out-link points at it" [ "$(readlink "$W/r1")" = "$P1" ]
check "registered as a GC root" sh -c 'for l in /nix/var/nix/gcroots/auto/*; do [ "$(readlink "$l")" = "$1" ] && exit 0; done; exit 1' - "$W/r1"
expect_exit 0 "build the other attribute, --json, no --out-link" ch nix build --json "$W/closure.nix" -A v2
P2=$(printf '%s\n' "$OUT" | jq -r .path)
check "json: the installable as its real path, the attribute, no link" \
	[ "$(printf '%s\n' "$OUT" | jq -c '[.installable, .attr, .out_link, .flake]')" = "[\"$W/closure.nix\",\"v2\",null,false]" ]
check "nothing was left in the working directory (no ./result)" [ -z "$(ls -A "$W/cwd")" ]
expect_exit 0 "--out-link over an existing link replaces it" ch nix build "$W/closure.nix" -A v2 --out-link "$W/r1"
check "it points at the new path" [ "$(readlink "$W/r1")" = "$P2" ]
ch nix build "$W/closure.nix" -A v1 --out-link "$W/r1" >/dev/null
echo "a file" > "$W/plain"
expect_exit 1 "--out-link over a file that is not a link" ch nix build "$W/closure.nix" -A v1 --out-link "$W/plain"
check "refused, naming it" contains "$ERR" "'$W/plain' exists and is not a symlink"
check "the file is untouched" [ "$(cat "$W/plain")" = "a file" ]

# A path: flake with packages that describe themselves; offline, builder /bin/sh.
SYS=$(nix-instantiate --eval --json -E builtins.currentSystem | tr -d '"')
mkdir -p "$W/fl"
cat > "$W/fl/flake.nix" <<EOF
{
  description = "chimera's test flake";
  outputs = { self }: let
    pkg = pname: version: description: derivation {
      name = "\${pname}-\${version}";
      system = "$SYS";
      builder = "/bin/sh";
      args = [ "-c" "echo \${pname} \${version} > \$out" ];
    } // { inherit pname version; meta.description = description; };
  in {
    packages.$SYS = {
      hello = pkg "hello" "2.12" "A program that waves hello to the world";
      cowsay = pkg "cowsay" "3.7" "Talking cow for terminals";
      default = self.packages.$SYS.hello;
    };
  };
}
EOF
expect_exit 0 "build a path: flake's package" ch nix build "path:$W/fl#hello"
check "the package's path" sh -c 'case "$1" in /nix/store/*-hello-2.12) exit 0;; esac; exit 1' - "$OUT"
check "built by its builder" [ "$(cat "$OUT")" = "hello 2.12" ]
expect_exit 0 "a directory as the flake (./fl#cowsay from its parent), --json" sh -c 'cd "$1" && "$2" --state-dir "$3" nix build --json ./fl#cowsay' - "$W" "$CHIMERA" "$STATE"
check "json: the installable is the path: flake there" \
	[ "$(printf '%s\n' "$OUT" | jq -c '[.installable, .flake]')" = "[\"path:$W/fl#cowsay\",true]" ]
expect_exit 2 "a flake reference without its attribute" ch nix build "path:$W/fl"
check "says so" contains "$ERR" "needs its attribute, REF#ATTR"
expect_exit 1 "a package the flake does not have" ch nix build "path:$W/fl#nope"
check "with Nix's error" contains "$ERR" "does not provide attribute"
check "the flake's directory gained no lock file (no input to lock)" [ ! -e "$W/fl/flake.lock" ]
BUILDS=6
check "one nix.package.built per build" [ "$(count nix.package.built)" = $BUILDS ]
check "the event carries the path, the installable and the out-link" \
	[ "$(ch events --json --topic nix.package.built | head -1 | jq -c '[.payload.path, .payload.installable, .payload.attr, .payload.out_link]')" = "[\"$P1\",\"$W/closure.nix\",\"v1\",\"$W/r1\"]" ]

# 3. diff of the two builds: the out-link (resolved) against the store path.
expect_exit 0 "diff an out-link and a store path" ch nix diff "$W/r1" "$P2"
check "libdep changed version" sh -c 'printf "%s\n" "$1" | grep -Eq "^  libdep +1\.0 -> 2\.0 "' - "$OUT"
check "extra-tool added" sh -c 'printf "%s\n" "$1" | grep -Eq "^  extra-tool +0\.3 "' - "$OUT"
check "under 'changed (1)' and 'added (1)'" sh -c 'printf "%s\n" "$1" | grep -q "^changed (1)$" && printf "%s\n" "$1" | grep -q "^added (1)$"' - "$OUT"
check "common is in both and not listed" sh -c '! printf "%s\n" "$1" | grep -q common' - "$OUT"
OLD=$(nix-store -qR "$P1" | grep -- '-libdep-1.0$')
NEW=$(nix-store -qR "$P2" | grep -- '-libdep-2.0$')
check "each changed path listed with its sign" sh -c 'printf "%s\n" "$1" | grep -q -- "- $2 " && printf "%s\n" "$1" | grep -q -- "+ $3 "' - "$OUT" "$OLD" "$NEW"
expect_exit 0 "diff --json" ch nix diff --json "$W/r1" "$P2"
D=$OUT
check "json: both ends resolved" [ "$(printf '%s\n' "$D" | jq -r '"\(.a.path) \(.b.path) \(.a.given)"')" = "$P1 $P2 $W/r1" ]
check "json: libdep changed 1.0 -> 2.0" \
	[ "$(printf '%s\n' "$D" | jq -c '.packages[] | select(.name == "libdep") | [.change, .versions_a, .versions_b]')" = '["changed",["1.0"],["2.0"]]' ]
check "json: extra-tool added, app rebuilt" \
	[ "$(printf '%s\n' "$D" | jq -c '[.packages[] | [.name, .change]] | sort')" = '[["app","rebuilt"],["extra-tool","added"],["libdep","changed"]]' ]
# Every path's NAR size as nix-store gives it; the totals as nix path-info -S gives the closures'.
BAD=$(printf '%s\n' "$D" | jq -r '.packages[] | (.paths_a + .paths_b)[] | "\(.path) \(.nar_size)"' |
	while read -r p s; do [ "$(nix-store -q --size "$p")" = "$s" ] || echo "$p"; done)
check "every path's NAR size is nix-store -q --size's" [ -z "$BAD" ]
check "the per-package delta is the sizes' difference" \
	[ "$(printf '%s\n' "$D" | jq '[.packages[] | select(.delta != .bytes_b - .bytes_a)] | length')" = 0 ]
SA=$(nix --extra-experimental-features nix-command path-info -S "$P1" | awk '{print $2}')
SB=$(nix --extra-experimental-features nix-command path-info -S "$P2" | awk '{print $2}')
check "closure A's bytes are nix path-info -S's ($SA)" [ "$(printf '%s\n' "$D" | jq .a.bytes)" = "$SA" ]
check "closure B's bytes are nix path-info -S's ($SB)" [ "$(printf '%s\n' "$D" | jq .b.bytes)" = "$SB" ]
check "the total delta" [ "$(printf '%s\n' "$D" | jq .summary.delta)" = "$((SB - SA))" ]
check "paths: 3 and 4" [ "$(printf '%s\n' "$D" | jq -c '[.a.paths, .b.paths, .summary.paths_added, .summary.paths_removed]')" = "[3,4,3,2]" ]
expect_exit 0 "a closure against itself" ch nix diff "$P1" "$W/r1"
check "no package differs" contains "$OUT" "no package differs"
expect_exit 2 "a path inside a store path" ch nix diff "$P2/refs" "$P1"
check "names the store path to give" contains "$ERR" "inside the store path $P2"
expect_exit 2 "a path that is not there" ch nix diff "$W/none" "$P1"

# 4. search, offline: by a word of a description, ranked; a word that is nowhere finds nothing.
expect_exit 0 "search a word of a description" ch nix search waves --flake "$W/fl"
check "finds hello (and default, the same package)" sh -c 'printf "%s\n" "$1" | grep -Eq "^hello +2\.12 +A program that waves hello"' - "$OUT"
check "not cowsay" sh -c '! printf "%s\n" "$1" | grep -q cowsay' - "$OUT"
expect_exit 0 "search --json, from the flake's directory (the default)" sh -c 'cd "$1/fl" && "$2" --state-dir "$3" nix search --json hello' - "$W" "$CHIMERA" "$STATE"
check "the name that is the word comes first, then the description's" \
	[ "$(printf '%s\n' "$OUT" | jq -c '[.[] | .attr]')" = '["hello","default"]' ]
check "with version and description" \
	[ "$(printf '%s\n' "$OUT" | jq -c '.[0] | [.attr, .version, .description]')" = '["hello","2.12","A program that waves hello to the world"]' ]
expect_exit 0 "search case aside: TALKING" ch nix search --json TALKING --flake "path:$W/fl"
check "finds cowsay" [ "$(printf '%s\n' "$OUT" | jq -c '[.[] | .attr]')" = '["cowsay"]' ]
expect_exit 0 "search a word that is nowhere" ch nix search --json zebra --flake "$W/fl"
check "finds nothing" [ "$OUT" = "[]" ]
expect_exit 0 "the same as text" ch nix search zebra --flake "$W/fl"
check "says no package matches" contains "$OUT" "no package of path:$W/fl"
expect_exit 2 "a flake reference with an attribute" ch nix search x --flake "$W/fl#hello"

# 5. The ledger: nothing more than one event per eval and build (diff and search record none).
check "still $EVALS evaluations and $BUILDS builds" [ "$(count nix.expression.evaluated) $(count nix.package.built)" = "$EVALS $BUILDS" ]
expect_exit 0 "the ledger verifies" ch ledger verify
finish
