#!/bin/sh
# chimera simulate --platform nix: builds with the real nix-build and reports Nix's errors
# with their rule and position, in text and JSON; exit statuses.
. "$E2E_DIR/lib.sh"
start
W="$E2E_WORK/$TEST_NAME"
# No binary caches to ask, no nixbld group here.
nix_offline

mk() { mkdir -p "$W/$1" && cat > "$W/$1/default.nix"; }

mk good <<'EOF2'
derivation {
  name = "chimera-sim-good";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo hi > $out" ];
}
EOF2
expect_exit 0 "a good derivation builds" ch simulate --platform nix "$W/good"
P=$(nix-build "$W/good/default.nix" --no-out-link 2>/dev/null)
check "nix-build itself gives a store path" contains "$P" /nix/store/
check "the text names the store path" contains "$OUT" "built $P"
check "and says passed" contains "$OUT" "passed"
expect_exit 0 "the same with --json" ch simulate --platform nix --json "$W/good"
check "json: built, passed, no issues, files" \
	[ "$(printf '%s\n' "$OUT" | jq -r '"\(.built) \(.passed) \(.issues | length) \(.files[0]) \(.platform)"')" = "$P true 0 default.nix nix" ]

mk syntax <<'EOF2'
let
  x = 1;
in {
  a = x
  b = 2;
}
EOF2
expect_exit 3 "a syntax error" ch simulate --platform nix "$W/syntax"
check "NIX-SYNTAX at 5:5 in the text" contains "$OUT" \
	"default.nix:5:5: critical NIX-SYNTAX: syntax error, unexpected '=', expecting ';'"
check "no store path" sh -c '! printf "%s\n" "$1" | grep -q "^built "' - "$OUT"
expect_exit 3 "a syntax error, --json" ch simulate --platform nix --json "$W/syntax"
check "json: NIX-SYNTAX critical at 5:5, built null, one issue" \
	[ "$(printf '%s\n' "$OUT" | jq -r '"\(.issues[0].rule) \(.issues[0].severity) \(.issues[0].file):\(.issues[0].line):\(.issues[0].col) \(.built) \(.issues | length) \(.passed)"')" = "NIX-SYNTAX critical default.nix:5:5 null 1 false" ]

mk undefined <<'EOF2'
let
  x = 1;
in
  x + foo
EOF2
expect_exit 3 "an undefined variable" ch simulate --platform nix --json "$W/undefined"
check "NIX-EVAL at 4:7 with Nix's message" \
	[ "$(printf '%s\n' "$OUT" | jq -r '.issues[] | "\(.rule) \(.line):\(.col) \(.message)"')" = "NIX-EVAL 4:7 undefined variable 'foo'" ]

mk builder <<'EOF2'
derivation {
  name = "chimera-sim-fails";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo boom >&2; exit 1" ];
}
EOF2
expect_exit 3 "a failing builder" ch simulate --platform nix "$W/builder"
check "NIX-BUILD naming the derivation" contains "$OUT" "default.nix: critical NIX-BUILD: builder for '/nix/store/"
check "and its exit code" contains "$OUT" "-chimera-sim-fails.drv' failed with exit code 1"

# -c and -A; an error in an imported file is named relative to the project directory.
mkdir -p "$W/proj/nix/lib"
cat > "$W/proj/nix/machine.nix" <<'EOF2'
{
  web = import ./lib/web.nix { port = "80"; };
  good = import ../../good/default.nix;
}
EOF2
cat > "$W/proj/nix/lib/web.nix" <<'EOF2'
{ port }:
{
  value = port + 1;
}
EOF2
expect_exit 3 "an error in an imported file" ch simulate --platform nix "$W/proj" -c "$W/proj/nix/machine.nix" -A web.value
check "at its own file, line and column" contains "$OUT" "nix/lib/web.nix:3:18: critical NIX-EVAL: cannot coerce an integer to a string"
expect_exit 3 "an attribute that is not there" ch simulate --platform nix "$W/proj" -c "$W/proj/nix/machine.nix" -A nope
check "NIX-EVAL naming it" contains "$OUT" "nix/machine.nix: critical NIX-EVAL: attribute 'nope' in selection path 'nope' not found"
expect_exit 0 "an attribute that builds" ch simulate --platform nix "$W/proj" -c "$W/proj/nix/machine.nix" -A good
check "the same store path" contains "$OUT" "built $P"
mk two <<'EOF2'
let
  mk = n: derivation { name = "chimera-sim-${n}"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo ${n} > $out" ]; };
in [ (mk "one") (mk "two") ]
EOF2
expect_exit 3 "two store paths" ch simulate --platform nix --json "$W/two"
check "NIX-OUTPUT" [ "$(printf '%s\n' "$OUT" | jq -r '.issues[0].rule')" = NIX-OUTPUT ]

mkdir -p "$W/empty"
expect_exit 2 "no default.nix" ch simulate --platform nix "$W/empty"
check "names the file it looked for" contains "$ERR" "$W/empty/default.nix"
expect_exit 2 "a -c file that is not there" ch simulate --platform nix "$W" -c "$W/nothere.nix"
check "names it" contains "$ERR" "$W/nothere.nix"
expect_exit 2 "-A with another platform" ch simulate --platform render "$W/good" -A x
expect_exit 1 "no nix-build on PATH" env PATH=/nonexistent "$CHIMERA" --state-dir "$STATE" simulate --platform nix "$W/good"
check "says what is missing" contains "$ERR" "nix-build"
finish
