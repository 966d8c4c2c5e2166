#!/bin/sh
# chimera tokens: create prints the token once, list never shows a secret, revoke, bad input (no lab).
. "$E2E_DIR/lib.sh"
LAB_BASE=230
start

expect_exit 0 "tokens --help" ch tokens --help
check "shows the usage" contains "$OUT" "usage: chimera tokens create NAME --role viewer|operator|admin"
check "explains the roles" contains "$OUT" "operator    also deploys"
check "--help lists tokens" contains "$("$CHIMERA" --help)" "  tokens "

# create: the token alone on stdout, the shown-once note on stderr.
expect_exit 0 "create a token" ch tokens create ci --role operator --expires 30d
TOKEN=$OUT
check "stdout is the token alone" sh -c 'expr "$1" : "chm_[A-Za-z0-9_-]\{43\}\$" >/dev/null' - "$TOKEN"
check "says it is shown only once" contains "$ERR" "shown only once"
check "names the role and expiry" contains "$ERR" "role operator, expires 20"
check "the file is 0600" [ "$(stat -c %a "$STATE/tokens.json")" = 600 ]
check "the file does not hold the token" sh -c '! grep -qF "$1" "$2"' - "${TOKEN#chm_}" "$STATE/tokens.json"
HASH=$(printf '%s' "$TOKEN" | openssl dgst -sha3-256 -r | cut -d' ' -f1)
check "it holds its SHA3-256" grep -qF "$HASH" "$STATE/tokens.json"

expect_exit 0 "create with --json" ch --json tokens create bot --role admin
check "json has the token" [ "$(printf '%s\n' "$OUT" | json .token | cut -c1-4)" = chm_ ]
check "json has the name and role" [ "$(printf '%s\n' "$OUT" | json '.name + " " + .role')" = "bot admin" ]
check "json expires null for never" [ "$(printf '%s\n' "$OUT" | json .expires)" = null ]
BOT=$(printf '%s\n' "$OUT" | json .token)
check "two tokens differ" [ "$BOT" != "$TOKEN" ]

expect_exit 1 "a live name again" ch tokens create ci --role viewer
check "names the token" contains "$ERR" "a live token is named 'ci'"

# list: never a token or a hash.
expect_exit 0 "list" ch tokens list
check "list shows ci" contains "$OUT" "ci"
check "list shows no token" sh -c '! printf "%s" "$1" | grep -q chm_' - "$OUT"
expect_exit 0 "list --json" ch --json tokens list
check "two rows" [ "$(printf '%s\n' "$OUT" | json length)" = 2 ]
check "ci is an active operator" [ "$(printf '%s\n' "$OUT" | json '.[0].name + " " + .[0].role + " " + .[0].state')" = "ci operator active" ]
check "no secret in list --json" sh -c '! printf "%s" "$1" | grep -qe chm_ -e "$2" -e hash' - "$OUT" "$HASH"

# revoke
expect_exit 0 "revoke ci" ch tokens revoke ci
expect_exit 0 "list --json after revoke" ch --json tokens list
check "ci is revoked" [ "$(printf '%s\n' "$OUT" | json '.[0].state')" = revoked ]
check "bot is still active" [ "$(printf '%s\n' "$OUT" | json '.[1].state')" = active ]
expect_exit 1 "revoke it again" ch tokens revoke ci
check "says there is none to revoke" contains "$ERR" "no token named 'ci' to revoke"
expect_exit 0 "a revoked name can be used again" ch tokens create ci --role viewer
expect_exit 0 "revoke --json" ch --json tokens revoke ci
check "json revoked" [ "$(printf '%s\n' "$OUT" | json .revoked)" = true ]

# the ledger: names and roles, never the token or its hash.
expect_exit 0 "token events" ch --json events --topic 'token.*'
check "created and revoked are recorded" [ "$(printf '%s\n' "$OUT" | json '.topic' | tr '\n' ' ')" = "token.created token.created token.revoked token.created token.revoked " ]
check "with name and role" [ "$(printf '%s\n' "$OUT" | json 'select(.topic == "token.created") | .payload.name + ":" + .payload.role' | tr '\n' ' ')" = "ci:operator bot:admin ci:viewer " ]
check "the ledger has no token" sh -c '! printf "%s" "$1" | grep -qe chm_ -e "$2"' - "$OUT" "$HASH"

# bad input: exit 2, naming it.
expect_exit 2 "a bad --role" ch tokens create x --role root
check "names the role" contains "$ERR" "bad role 'root': expected viewer, operator or admin"
expect_exit 2 "a bad --role, --json" ch --json tokens create x --role root
check "json error names it" contains "$(printf '%s\n' "$OUT" | json .error)" "bad role 'root'"
expect_exit 2 "--expires 3x" ch tokens create x --role viewer --expires 3x
check "names the duration and the form" contains "$ERR" "bad --expires '3x': expected a whole number with s, m, h, d or w"
expect_exit 2 "--expires 0d" ch tokens create x --role viewer --expires 0d
expect_exit 2 "a bad name" ch tokens create 'no/slash' --role viewer
check "names the name" contains "$ERR" "bad token name 'no/slash'"
expect_exit 2 "no --role" ch tokens create x
check "says --role is needed" contains "$ERR" "needs --role"
expect_exit 2 "an unknown subcommand" ch tokens show
check "names it" contains "$ERR" "unknown subcommand 'show'"
expect_exit 0 "nothing was made by bad input" ch --json tokens list
check "still three rows" [ "$(printf '%s\n' "$OUT" | json length)" = 3 ]

finish
