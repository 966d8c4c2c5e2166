#!/bin/sh
# chimera nix flake: init from both templates (git init outside a repository), add-input that
# keeps flake.nix byte for byte apart from the one insertion, lock, update after an input
# changed, metadata, show, check (and a broken flake), the refusals (overwrite, duplicate,
# bad name, bad URL, cycle, bad reference), --json of each, one event per command, --help.
# No lab: everything runs on the controller, offline (path: flakes, builder = /bin/sh).
. "$E2E_DIR/lib.sh"
start
W="$E2E_WORK/$TEST_NAME"
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false\nflake-registry =\nexperimental-features = nix-command flakes')"
export NIX_CONFIG
# The work dir lies inside chimera's own checkout: git must not find that repository.
GIT_CEILING_DIRECTORIES="$W"
export GIT_CEILING_DIRECTORIES
TEMPLATES="$E2E_DIR/../../templates"
SYS=$(nix eval --impure --raw --expr builtins.currentSystem)
events() { ch --json events --topic "$1" | grep -c .; }
same() { cmp -s "$1" "$2"; }

# --help of each verb: the verb's synopsis.
for v in "init [--template fleet|offline] DIR" "add-input NAME URL [DIR]" "lock [DIR]" \
	"update [INPUT] [--dir DIR]" "metadata [DIR]" "show [DIR]" "check [DIR]"; do
	verb=${v%% *}
	expect_exit 0 "nix flake $verb --help" ch nix flake "$verb" --help
	check "$verb --help gives its synopsis" contains "$OUT" "chimera nix flake $v"
done
expect_exit 0 "nix --help lists nix flake" ch nix --help
check "nix --help lists it" contains "$OUT" "nix flake"

# Usage errors: the verb's own synopsis.
expect_exit 2 "no verb" ch nix flake
check "names the verbs" contains "$ERR" "no verb: expected init, add-input, lock, update, metadata, show or check"
expect_exit 2 "an unknown verb" ch nix flake frobnicate
check "names it" contains "$ERR" "unknown verb 'frobnicate'"
expect_exit 2 "init without DIR" ch nix flake init
check "init's usage" contains "$ERR" "usage: chimera nix flake init [--template fleet|offline] DIR"
expect_exit 2 "init with an unknown template" ch nix flake init --template nope "$W/x"
check "names the templates" contains "$ERR" "unknown template 'nope': expected fleet or offline"
check "nothing made" [ ! -e "$W/x" ]
expect_exit 1 "init into a path Nix cannot name" ch nix flake init "$W/with space"
check "says why" contains "$ERR" "flake directory $W/with space: Nix's flake references cannot name a path with ' ' in it"
check "nothing left there" [ ! -e "$W/with space" ]
expect_exit 2 "lock with two operands" ch nix flake lock a b
check "lock's usage" contains "$ERR" "usage: chimera nix flake lock [DIR]"
expect_exit 2 "an unknown option" ch nix flake show --frob
check "names the option" contains "$ERR" "unknown option '--frob'"

# 1. init: the fleet template, a git repository made and its files added.
expect_exit 0 "init (fleet, the default)" ch nix flake init "$W/fleet"
check "says what it wrote" contains "$OUT" "created the flake $W/fleet from the template fleet"
for f in flake.nix chimera.toml machines/web-1.nix machines/db-1.nix; do
	check "fleet: $f as shipped" same "$W/fleet/$f" "$TEMPLATES/fleet/$f"
done
check "a git repository, the files tracked" \
	[ "$(git -C "$W/fleet" ls-files | tr '\n' ' ')" = "chimera.toml flake.nix machines/db-1.nix machines/web-1.nix " ]
expect_exit 0 "init --template offline --json" ch --json nix flake init --template offline "$W/lib"
check "json: dir, template, files, git_init" \
	[ "$(printf '%s' "$OUT" | jq -r '"\(.dir) \(.template) \(.files | join(",")) \(.git_init)"')" = "$W/lib offline flake.nix true" ]
check "offline: flake.nix as shipped" same "$W/lib/flake.nix" "$TEMPLATES/offline/flake.nix"

# Inside a work tree already: no new repository.
mkdir -p "$W/repo" && git -C "$W/repo" init -q
expect_exit 0 "init inside a work tree" ch --json nix flake init --template offline "$W/repo/sub"
check "no git init there, and a note why" \
	[ "$(printf '%s' "$OUT" | jq -r '"\(.git_init) \(.git_note | test("inside a git work tree"))"')" = "false true" ]
check "no repository of its own" [ ! -e "$W/repo/sub/.git" ]

# The fleet's chimera.toml names configurations the flake has: each builds.
expect_exit 0 "the fleet's chimera.toml reads" ch --config "$W/fleet/chimera.toml" --json machines
printf '%s\n' "$OUT" | jq -r '.machines[].flake' >"$W/refs"
check "two machines with a flake key each" [ "$(grep -c "^path:$W/fleet#" "$W/refs")" = 2 ]
while read -r ref; do
	check "nix builds $ref" nix build --no-link "$ref"
done <"$W/refs"

# Refusals of init: a file there already (each named), nothing written over.
cp "$W/fleet/flake.nix" "$W/fleet.before"
expect_exit 1 "init over an existing flake" ch nix flake init --template fleet "$W/fleet"
check "names flake.nix" contains "$ERR" "refusing to overwrite $W/fleet/flake.nix"
check "and chimera.toml" contains "$ERR" "$W/fleet/chimera.toml"
check "flake.nix untouched" same "$W/fleet/flake.nix" "$W/fleet.before"
expect_exit 1 "init --json over an existing flake" ch --json nix flake init --template offline "$W/lib"
check "json error names it" [ "$(printf '%s' "$OUT" | jq -r '"\(.ok) \(.error | test("refusing to overwrite"))"')" = "false true" ]

# 2. add-input: a second local flake into the fleet's `inputs = { ... };`.
expect_exit 0 "add-input lib" ch --json nix flake add-input lib "path:$W/lib" "$W/fleet"
printf '%s\n' "$OUT" >"$W/added.json"
check "json: input, url, where" [ "$(jq -r '"\(.input) \(.url) \(.line):\(.column)"' "$W/added.json")" = "lib path:$W/lib 13:5" ]
LINE="    lib.url = \"path:$W/lib\";"
check "the one line inserted" [ "$(grep -c -x -F "$LINE" "$W/fleet/flake.nix")" = 1 ]
grep -v -x -F "$LINE" "$W/fleet/flake.nix" >"$W/fleet.without"
check "every other byte, comments included, as before" same "$W/fleet.without" "$W/fleet.before"
check "the comments are there" contains "$(cat "$W/fleet/flake.nix")" "# Other flakes this one builds from"
check "flake.lock names the input" [ "$(jq -r '.nodes.root.inputs.lib' "$W/fleet/flake.lock")" = lib ]
check "locked at lib's path" [ "$(jq -r '.nodes.lib.locked.path' "$W/fleet/flake.lock")" = "$W/lib" ]
HASH1=$(jq -r '.nodes.lib.locked.narHash' "$W/fleet/flake.lock")
check "the report's lock is flake.lock's" [ "$(jq -r '.locked.narHash' "$W/added.json")" = "$HASH1" ]
expect_exit 0 "the fleet builds with its input" nix build --no-link "path:$W/fleet#web-1"

# The dotted style (inputs.X.url = ...;), and an offline flake with no inputs at all.
mkdir -p "$W/app"
cat >"$W/app/flake.nix" <<'EOF'
{
  description = "an app";
  inputs.lib.url = "path:LIB"; # the packages
  outputs = { self, lib, ... }: {
    packages.SYS.default = lib.packages.SYS.hello; /* re-exported */
  };
}
EOF
sed -i "s#LIB#$W/lib#; s#SYS#$SYS#g" "$W/app/flake.nix"
cp "$W/app/flake.nix" "$W/app.before"
expect_exit 0 "add-input fleet to the dotted app" ch nix flake add-input fleet "path:$W/fleet" "$W/app"
check "says where" contains "$OUT" "added input 'fleet' (path:$W/fleet) to $W/app/flake.nix at 4:3"
LINE2="  inputs.fleet.url = \"path:$W/fleet\";"
check "inserted after the last inputs line" [ "$(sed -n 4p "$W/app/flake.nix")" = "$LINE2" ]
grep -v -x -F "$LINE2" "$W/app/flake.nix" >"$W/app.without"
check "app: every other byte as before" same "$W/app.without" "$W/app.before"
cp "$W/repo/sub/flake.nix" "$W/sub.before"
expect_exit 0 "add-input to a flake with no inputs" ch nix flake add-input lib "path:$W/lib" "$W/repo/sub"
LINE3="  inputs.lib.url = \"path:$W/lib\";"
check "inserted before outputs" [ "$(grep -A1 -x -F "$LINE3" "$W/repo/sub/flake.nix" | sed -n 2p)" = "  outputs = { self, ... }:" ]
grep -v -x -F "$LINE3" "$W/repo/sub/flake.nix" >"$W/sub.without"
check "sub: every other byte as before" same "$W/sub.without" "$W/sub.before"
check "the offline flake builds with its new input" nix build --no-link "path:$W/repo/sub#hello"

# 3. lock: nothing new to lock.
expect_exit 0 "lock --json" ch --json nix flake lock "$W/fleet"
check "json: lib's lock, nothing updated" \
	[ "$(printf '%s' "$OUT" | jq -r '"\(.verb) \(.inputs.lib.narHash) \(.updated | length)"')" = "lock $HASH1 0" ]
expect_exit 0 "lock (text)" ch nix flake lock "$W/fleet"
check "text names the input and its hash" contains "$OUT" "lib              path $W/lib narHash $HASH1"

# 4. update after the input changed: its narHash changes and the report lists it.
sed -i 's/Prints a friendly greeting/Prints a warm greeting/' "$W/lib/flake.nix"
expect_exit 0 "update --json" ch --json nix flake update --dir "$W/fleet"
printf '%s\n' "$OUT" >"$W/updated.json"
HASH2=$(jq -r '.nodes.lib.locked.narHash' "$W/fleet/flake.lock")
check "the narHash changed" [ -n "$HASH2" -a "$HASH2" != "$HASH1" ]
check "json: updated lists lib, with its new hash" \
	[ "$(jq -r '"\(.verb) \(.updated | join(",")) \(.inputs.lib.narHash)"' "$W/updated.json")" = "update lib $HASH2" ]
check "the event lists it" \
	[ "$(ch --json events --topic nix.flake.updated | tail -1 | jq -r '.payload.updated | join(",")')" = lib ]
expect_exit 0 "update lib --json (unchanged since)" ch --json nix flake update lib --dir "$W/fleet"
check "json: input lib, nothing updated" \
	[ "$(printf '%s' "$OUT" | jq -r '"\(.input) \(.updated | length)"')" = "lib 0" ]
expect_exit 1 "update of an input that is not there" ch nix flake update nope --dir "$W/fleet"
check "names it and the inputs there" contains "$ERR" "no input 'nope' in $W/fleet/flake.nix: expected one of lib"

# 5. metadata: from flake.lock, nested inputs too.
expect_exit 0 "metadata --json" ch --json nix flake metadata "$W/fleet"
check "json: lib's path, hash, lastModified" \
	[ "$(printf '%s' "$OUT" | jq -r '.inputs[0] | "\(.name) \(.url) \(.narHash) \(.lastModified > 0)"')" = "lib path:$W/lib $HASH2 true" ]
check "json: the description" [ "$(printf '%s' "$OUT" | jq -r .description)" = "A fleet of machines deployed by chimera" ]
expect_exit 0 "metadata (text)" ch nix flake metadata "$W/fleet"
check "text: the input, url and hash" contains "$OUT" "lib: path:$W/lib"
check "text: the hash" contains "$OUT" "narHash $HASH2"
expect_exit 0 "metadata of app: fleet's own input nested" ch --json nix flake metadata "$W/app"
check "json: fleet/lib in the tree" \
	[ "$(printf '%s' "$OUT" | jq -r '[.inputs[] | .inputs[]? | .path] | join(",")')" = "fleet/lib" ]

# 6. show.
expect_exit 0 "show --json" ch --json nix flake show "$W/lib"
check "json: hello's description" \
	[ "$(printf '%s' "$OUT" | jq -r --arg s "$SYS" '.outputs.packages[$s].hello.description')" = "Prints a warm greeting" ]
expect_exit 0 "show (text)" ch nix flake show "$W/fleet"
check "text: web-1's configuration" contains "$OUT" "web-1: derivation web-1-configuration"

# 7. check: the fleet passes; a broken flake fails, named.
expect_exit 0 "check the fleet" ch nix flake check "$W/fleet"
check "passes" contains "$OUT" "flake $W/fleet passes its checks"
expect_exit 0 "check --json" ch --json nix flake check "$W/lib"
check "json: ok" [ "$(printf '%s' "$OUT" | jq -r .ok)" = true ]
mkdir -p "$W/broken"
cat >"$W/broken/flake.nix" <<EOF
{
  outputs = { self }: {
    checks.$SYS.fails = derivation {
      name = "fails"; system = "$SYS"; builder = "/bin/sh"; args = [ "-c" "echo broken >&2; exit 3" ];
    };
  };
}
EOF
expect_exit 1 "check a broken flake" ch nix flake check "$W/broken"
check "names the flake" contains "$ERR" "flake $W/broken: nix flake check failed"
expect_exit 1 "check --json of a broken flake" ch --json nix flake check "$W/broken"
check "json: not ok, the error names it" \
	[ "$(printf '%s' "$OUT" | jq -r '"\(.ok) \(.error | contains("'"$W"'/broken"))"')" = "false true" ]

# 8. Refusals of add-input, flake.nix left alone.
cp "$W/fleet/flake.nix" "$W/fleet.locked"
expect_exit 1 "add-input: a duplicate" ch nix flake add-input lib "path:$W/app" "$W/fleet"
check "names where it is" contains "$ERR" "$W/fleet/flake.nix:13:5: input 'lib' is there already"
expect_exit 2 "add-input: a bad name" ch nix flake add-input 9lives "path:$W/app" "$W/fleet"
check "names it" contains "$ERR" "bad input name '9lives'"
expect_exit 2 "add-input: a bad URL" ch nix flake add-input other "path:relative/dir" "$W/fleet"
check "names it" contains "$ERR" "bad flake reference 'path:relative/dir'"
expect_exit 2 "add-input --json: a URL with an attribute" ch --json nix flake add-input other "path:$W/app#x" "$W/fleet"
check "json: names it" [ "$(printf '%s' "$OUT" | jq -r '.error | test("without .#ATTR")')" = true ]
expect_exit 1 "add-input: a directory that is not there" ch nix flake add-input other "path:$W/nowhere" "$W/fleet"
check "names the input and the URL" contains "$ERR" "input 'other' (path:$W/nowhere) of $W/fleet: bad reference: no directory"
check "fleet's flake.nix untouched" same "$W/fleet/flake.nix" "$W/fleet.locked"
cp "$W/lib/flake.nix" "$W/lib.before"
expect_exit 1 "add-input: a cycle" ch nix flake add-input app "path:$W/app" "$W/lib"
check "names each input and URL of the cycle" contains "$ERR" \
	"inputs form a cycle: $W/lib -> input 'app' (path:$W/app) -> $W/app -> input 'lib' (path:$W/lib) -> $W/lib again"
check "lib's flake.nix untouched" same "$W/lib/flake.nix" "$W/lib.before"

# A cycle and a bad reference already in the files: lock names them before Nix runs.
mkdir -p "$W/c1" "$W/c2" "$W/bad"
printf '{\n  inputs.two.url = "path:%s/c2";\n  outputs = { self, two }: { };\n}\n' "$W" >"$W/c1/flake.nix"
printf '{\n  inputs.one.url = "path:%s/c1";\n  outputs = { self, one }: { };\n}\n' "$W" >"$W/c2/flake.nix"
expect_exit 1 "lock a cycle" ch nix flake lock "$W/c1"
check "names both inputs" contains "$ERR" "$W/c1 -> input 'two' (path:$W/c2) -> $W/c2 -> input 'one' (path:$W/c1) -> $W/c1 again"
printf '{\n  inputs.gone.url = "path:%s/gone";\n  outputs = { self, gone }: { };\n}\n' "$W" >"$W/bad/flake.nix"
expect_exit 1 "lock --json a bad reference" ch --json nix flake lock "$W/bad"
check "json: names the input and the URL" contains "$OUT" "input 'gone' (path:$W/gone) of $W/bad: bad reference"
check "no flake.lock written" [ ! -e "$W/bad/flake.lock" -a ! -e "$W/c1/flake.lock" ]

# 9. One event per command that changed something, none for the others or for refusals.
check "nix.flake.created: fleet, lib, repo/sub" [ "$(events nix.flake.created)" = 3 ]
check "nix.flake.input_added: lib, fleet, lib" [ "$(events nix.flake.input_added)" = 3 ]
check "nix.flake.locked: two locks" [ "$(events nix.flake.locked)" = 2 ]
check "nix.flake.updated: two updates" [ "$(events nix.flake.updated)" = 2 ]
ch --json events --topic nix.flake.input_added | head -1 >"$W/ev.json"
check "input_added: dir, input, url, locked" \
	[ "$(jq -r '.payload | "\(.dir) \(.input) \(.url) \(.locked.narHash)"' "$W/ev.json")" = "$W/fleet lib path:$W/lib $HASH1" ]
check "created: dir, template, git_init" \
	[ "$(ch --json events --topic nix.flake.created | head -1 | jq -r '.payload | "\(.dir) \(.template) \(.git_init)"')" = "$W/fleet fleet true" ]
check "locked: every direct input's lock" \
	[ "$(ch --json events --topic nix.flake.locked | head -1 | jq -r '.payload.inputs.lib.narHash')" = "$HASH1" ]
expect_exit 0 "the ledger verifies" ch ledger verify

finish
