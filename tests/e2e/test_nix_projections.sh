#!/bin/sh
# The Nix domain's projections (issue 18): chimera nix flakes, builds and gc-history read
# what the nix.* events say without running Nix; the live projection (STATE/projections/
# nix.json, caught up a few events at a time by each read) equals one rebuilt from every
# event, and a tampered or broken one is found, named, and rebuilt. The same views through
# chimera serve (GET /api/v1/nix/flakes, builds, gc), and nix build and gc as jobs.
. "$E2E_DIR/lib.sh"
start
W="$E2E_WORK/$TEST_NAME"
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false\nflake-registry =')"
export NIX_CONFIG
nix_events() { ch events --json | jq -s '[.[] | select(.topic | startswith("nix."))] | length'; }

# Nothing yet: empty views, and equal (both empty).
expect_exit 0 "nix flakes on an empty ledger" ch nix flakes
check "  says there are none" contains "$OUT" "no flakes in the ledger"
expect_exit 0 "nix projections on an empty ledger" ch nix projections

# Two flakes, the second an input of the first; a build; an evaluation.
expect_exit 0 "flake init (offline) of the first" ch nix flake init --template offline "$W/f1"
expect_exit 0 "flake init (offline) of the second" ch nix flake init --template offline "$W/f2"
expect_exit 0 "add-input dep" ch nix flake add-input dep "path:$W/f2" "$W/f1"
expect_exit 0 "build f1#hello" ch nix build "$W/f1#hello"
BUILT=$OUT
expect_exit 0 "eval" ch nix eval '1 + 2'
check "one nix event per command (5)" [ "$(nix_events)" = 5 ]

expect_exit 0 "nix flakes --json" ch --json nix flakes
F1=$(realpath "$W/f1")
LOCKED=$(jq -r '.nodes.dep.locked.narHash' "$W/f1/flake.lock")
check "  both flakes, f1 from the offline template" [ "$(printf '%s' "$OUT" | jq '.flakes | length')" = 2 ] &&
	[ "$(printf '%s' "$OUT" | jq -r --arg d "$F1" '.flakes[] | select(.dir == $d) | .template')" = offline ]
check "  f1's input dep with flake.lock's narHash ($LOCKED)" \
	[ "$(printf '%s' "$OUT" | jq -r --arg d "$F1" '.flakes[] | select(.dir == $d) | .inputs.dep.narHash')" = "$LOCKED" ]
check "  and the text names it" sh -c "'$CHIMERA' --state-dir '$STATE' nix flakes '$F1' | grep -q 'input dep '"
expect_exit 0 "nix builds --json" ch --json nix builds
check "  the path built, with its installable" [ "$(printf '%s' "$OUT" | jq -r '.builds[-1].path')" = "$BUILT" ] &&
	contains "$(printf '%s' "$OUT" | jq -r '.builds[-1].installable')" "#hello"
check "the live projection is on disk" [ -s "$STATE/projections/nix.json" ]

# The input changes and is updated: the live projection moves on from where it was.
printf '\n# changed\n' >>"$W/f2/flake.nix"
expect_exit 0 "flake update dep" ch nix flake update dep --dir "$W/f1"
NEW=$(jq -r '.nodes.dep.locked.narHash' "$W/f1/flake.lock")
check "  flake.lock moved ($LOCKED -> $NEW)" [ "$NEW" != "$LOCKED" ]
expect_exit 0 "nix flakes after the update" ch --json nix flakes "$F1"
check "  the new narHash" [ "$(printf '%s' "$OUT" | jq -r '.flakes[0].inputs.dep.narHash')" = "$NEW" ]
# A dry-run collection on the controller, on a profile of its own: a gc event with node local.
P=$(ch events --json | jq -r 'select(.topic == "nix.package.built") | .payload.path' | tail -n 1)
nix-env -p "$W/prof" --set "$P" >/dev/null 2>&1
nix-env -p "$W/prof" --set "$P" >/dev/null 2>&1
expect_exit 0 "nix gc --dry-run on a profile of the test's" ch nix gc --profile "$W/prof" --keep 1 --older-than 0d --dry-run
expect_exit 0 "nix gc-history --json" ch --json nix gc-history
check "  the controller's run, a dry one" [ "$(printf '%s' "$OUT" | jq -r '.gc.local[-1].dry_run')" = true ]

expect_exit 0 "nix projections: the live ones equal a rebuild" ch --json nix projections
check "  equal, at the ledger's last nix event" [ "$(printf '%s' "$OUT" | jq -r .equal)" = true ] &&
	[ "$(printf '%s' "$OUT" | jq -r .seq)" = "$(ch events --json | jq -s '[.[] | select(.topic | startswith("nix."))][-1].seq')" ]

# Tampered (a well-formed document that says another lock): found, then rebuilt.
jq -c --arg d "$F1" '.flakes[$d].inputs.dep.narHash = "sha256-tampered"' "$STATE/projections/nix.json" >"$W/t.json"
cp "$W/t.json" "$STATE/projections/nix.json"
expect_exit 1 "a tampered live projection differs from a rebuild" ch nix projections
check "  said so" contains "$OUT" "DIFFERENT"
expect_exit 0 "nix projections --rebuild" ch nix projections --rebuild
expect_exit 0 "equal again" ch nix projections
check "  and the view says flake.lock's again" [ "$(ch --json nix flakes "$F1" | jq -r '.flakes[0].inputs.dep.narHash')" = "$NEW" ]

# Not a projection at all: named; gone: rebuilt from the ledger by the next read.
echo 'not json' >"$STATE/projections/nix.json"
expect_exit 1 "a broken live projection" ch nix builds
check "  names the file and the way out" contains "$ERR" "projections/nix.json" && contains "$ERR" "--rebuild"
rm "$STATE/projections/nix.json"
expect_exit 0 "no live projection: rebuilt by the read" ch --json nix builds
check "  the build is there" [ "$(printf '%s' "$OUT" | jq -r '.builds[-1].path')" = "$BUILT" ]
expect_exit 0 "and equal" ch nix projections
# Through chimera serve: the same documents, and build and gc as jobs.
SERVER=
trap 'if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; fi; cleanup' EXIT
: >"$W/chimera.toml"
VIEW=$(ch tokens create nix-view --role viewer --json | jq -r .token)
OP=$(ch tokens create nix-op --role operator --json | jq -r .token)
serve_start --no-watch
check "chimera serve is up" [ -n "$URL" ]
api GET /api/v1/nix/flakes "$VIEW"
check "GET /nix/flakes: 200, what nix flakes --json prints" [ "$CODE" = 200 ] &&
	[ "$(printf '%s' "$BODY" | jq -cS .)" = "$(ch --json nix flakes | jq -cS .)" ]
api GET "/api/v1/nix/builds?limit=1" "$VIEW"
check "GET /nix/builds?limit=1: the build" [ "$CODE" = 200 ] && [ "$(printf '%s' "$BODY" | jq -r '.builds[0].path')" = "$BUILT" ]
api GET "/api/v1/nix/gc?node=local" "$VIEW"
check "GET /nix/gc?node=local: the dry run" [ "$CODE" = 200 ] && [ "$(printf '%s' "$BODY" | jq -r '.gc.local[-1].dry_run')" = true ]
api GET "/api/v1/nix/builds?limit=0" "$VIEW"
check "?limit=0: 400" [ "$CODE" = 400 ]
api POST /api/v1/nix/build "$VIEW" "{\"installable\": \"path:$F1#hello\"}"
check "POST /nix/build as a viewer: 403" [ "$CODE" = 403 ]
api POST /api/v1/nix/build "$OP" '{"installable": "hello.nix"}'
check "a relative installable: 400 naming the field" [ "$CODE" = 400 ] && contains "$BODY" "installable"
api POST /api/v1/nix/build "$OP" "{\"installable\": \"path:$F1#hello\", \"out\": 1}"
check "an unknown field: 400 naming it" [ "$CODE" = 400 ] && contains "$BODY" "'out'"
api POST /api/v1/nix/build "$OP" "{\"installable\": \"path:$F1#hello\"}"
JOB=$(printf '%s' "$BODY" | jq -r .job)
check "POST /nix/build: 202, a job" [ "$CODE" = 202 ] && [ -n "$JOB" ]
wait_job "$JOB" "$VIEW"
check "  the job built it" [ "$(printf '%s' "$BODY" | jq -r .state)" = succeeded ] &&
	[ "$(printf '%s' "$BODY" | jq -r .report.path)" = "$BUILT" ]
api POST /api/v1/nix/gc "$OP" "{\"targets\": \"local\", \"profile\": \"$W/prof\", \"keep\": 1, \"older_than\": \"soon\"}"
check "POST /nix/gc with a bad older_than: 400 naming it" [ "$CODE" = 400 ] && contains "$BODY" "older_than"
api POST /api/v1/nix/gc "$OP" "{\"targets\": \"local\", \"profile\": \"$W/prof\", \"keep\": 1, \"older_than\": \"0d\", \"dry_run\": true}"
JOB=$(printf '%s' "$BODY" | jq -r .job)
check "POST /nix/gc (dry run, the server's machine): 202" [ "$CODE" = 202 ]
wait_job "$JOB" "$VIEW"
check "  the job's report: a dry run on local" [ "$(printf '%s' "$BODY" | jq -r .state)" = succeeded ] &&
	[ "$(printf '%s' "$BODY" | jq -r '.report.dry_run')" = true ]
api GET "/api/v1/nix/gc?node=local" "$VIEW"
check "  and the history has both runs" [ "$(printf '%s' "$BODY" | jq '.gc.local | length')" = 2 ]
expect_exit 0 "the projections still equal a rebuild" ch nix projections
kill "$SERVER"
wait "$SERVER"
SERVER=
expect_exit 2 "nix builds --limit 0: a usage error" ch nix builds --limit 0
expect_exit 2 "nix projections --frob: a usage error" ch nix projections --frob
finish
