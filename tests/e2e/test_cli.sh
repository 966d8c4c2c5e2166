#!/bin/sh
# The CLI skeleton: help, version, unknown commands, exit codes, state dir, logging.
. "$E2E_DIR/lib.sh"
start
W="$E2E_WORK/$TEST_NAME"

expect_exit 0 "chimera --help" "$CHIMERA" --help
MAIN_HELP=$OUT
check "--help explains the exit codes" contains "$MAIN_HELP" "3 partial"
for c in exec events ledger lab help version; do
	check "--help lists $c" contains "$MAIN_HELP" "  $c "
	expect_exit 0 "chimera $c --help" "$CHIMERA" $c --help
	check "$c --help shows usage" contains "$OUT" "usage: chimera $c"
done
expect_exit 0 "chimera help exec" "$CHIMERA" help exec
check "help exec shows exec's options" contains "$OUT" "--connect-timeout"
# A command of subcommands: each has its own --help and usage, and chimera help CMD SUB.
expect_exit 0 "chimera nix --help" "$CHIMERA" nix --help
check "  lists its subcommands" contains "$OUT" "  nix gc " && contains "$OUT" "  nix flakes "
expect_exit 0 "chimera nix gc --help" "$CHIMERA" nix gc --help
check "  the subcommand's own usage" contains "$OUT" "usage: chimera nix gc"
expect_exit 0 "chimera help nix diff" "$CHIMERA" help nix diff
check "  the subcommand's usage" contains "$OUT" "usage: chimera nix diff"
expect_exit 2 "chimera nix frob: a usage error" "$CHIMERA" nix frob
check "  naming it and the subcommands" contains "$ERR" "unknown subcommand 'frob'" && contains "$ERR" "gc-history"
expect_exit 2 "chimera nix builds --frob: the subcommand's usage" "$CHIMERA" nix builds --frob
check "  see 'chimera nix builds --help'" contains "$ERR" "chimera nix builds --help"
expect_exit 0 "chimera --version" "$CHIMERA" --version
check "it prints a version" expr "$OUT" : 'chimera [0-9]*\.[0-9]*\.[0-9]*$' >/dev/null
expect_exit 0 "version --json" "$CHIMERA" version --json
check "json version" [ -n "$(printf '%s\n' "$OUT" | jq -r .version)" ]

expect_exit 2 "no command" "$CHIMERA"
expect_exit 2 "an unknown command" "$CHIMERA" exce
check "names it" contains "$ERR" "unknown command 'exce'"
check "suggests the closest" contains "$ERR" "did you mean: exec"
expect_exit 2 "another unknown command" "$CHIMERA" evnts
check "suggests events" contains "$ERR" "events"
expect_exit 2 "an unknown option" ch events --frobnicate
check "names the option" contains "$ERR" "--frobnicate"
check "says it is unknown" contains "$ERR" "unknown option '--frobnicate'"
# A missing value is named as such, not as an unknown option (issue 16).
expect_exit 2 "deploy -c without its file" ch deploy -t local -c
check "-c needs a value" contains "$ERR" "option '-c' needs a value"
expect_exit 2 "status --expect without its path" ch status -t local --expect
check "--expect needs a value" contains "$ERR" "option '--expect' needs a value"
expect_exit 2 "watch --interval without seconds" ch watch -t local --expect /nix/store/x --interval
check "--interval needs a value" contains "$ERR" "option '--interval' needs a value"
expect_exit 2 "watch --interval 0 (a busy loop) is a usage error" ch watch -t local --expect /nix/store/x --interval 0
check "it names the range" contains "$ERR" "bad --interval '0': expected a whole number from 1 to 86400"
expect_exit 2 "sessions -t without targets" ch sessions -t
check "-t needs a value" contains "$ERR" "option '-t' needs a value"
expect_exit 2 "secrets push --lock-wait without seconds" ch secrets push --lock-wait
check "--lock-wait needs a value, for secrets push" contains "$ERR" "option '--lock-wait' needs a value for 'secrets push'"
expect_exit 2 "a value given to a flag" ch deploy -t local --expect /nix/store/x --dry-run=yes
check "--dry-run takes no value" contains "$ERR" "option '--dry-run' takes no value"
expect_exit 2 "an unknown short option" ch exec -Z -- true
check "-Z is unknown" contains "$ERR" "unknown option '-Z'"
expect_exit 2 "--json errors are JSON on stdout" ch --json exec -t 'a b' -- true
check "with ok false" [ "$(printf '%s\n' "$OUT" | jq -r .ok)" = false ]
expect_exit 2 "a bad --log-level" ch --log-level loud events
check "names the levels" contains "$ERR" "error, warn, info, debug or trace"

# State dir: --state-dir, then CHIMERA_STATE_DIR, then XDG_STATE_HOME, then HOME; made 0700.
unset CHIMERA_STATE_DIR XDG_STATE_HOME
expect_exit 0 "CHIMERA_STATE_DIR is used" env CHIMERA_STATE_DIR="$W/env-state" "$CHIMERA" ledger append --topic test.a
check "the ledger is there" [ -f "$W/env-state/chimera.db" ]
check "made with mode 0700" [ "$(stat -c %a "$W/env-state")" = 700 ]
expect_exit 0 "--state-dir wins over CHIMERA_STATE_DIR" env CHIMERA_STATE_DIR="$W/env-state" "$CHIMERA" --state-dir "$W/flag-state" ledger append --topic test.a
check "flag state dir used" [ -f "$W/flag-state/chimera.db" ]
expect_exit 0 "XDG_STATE_HOME is used" env XDG_STATE_HOME="$W/xdg" "$CHIMERA" ledger append --topic test.a
check "at XDG_STATE_HOME/chimera" [ -f "$W/xdg/chimera/chimera.db" ]
expect_exit 0 "HOME is the last resort" env HOME="$W/home" "$CHIMERA" ledger append --topic test.a
check "at ~/.local/state/chimera" [ -f "$W/home/.local/state/chimera/chimera.db" ]
check "made with mode 0700 there too" [ "$(stat -c %a "$W/home/.local/state/chimera")" = 700 ]

# Logging: JSON lines to a file, one object each with the documented keys.
expect_exit 0 "--log-format json --log-file" ch -v --log-format json --log-file "$W/log.json" ledger append --topic test.log
check "the log file has JSON records" [ "$(jq -r 'select(.component == "ledger") | .message' "$W/log.json")" = appended ]
check "with time, level, component, message, fields" [ "$(jq -c 'select(.component == "ledger") | [has("time"), has("level"), has("component"), has("message"), (.fields.topic)]' "$W/log.json")" = '[true,true,true,true,"test.log"]' ]
check "nothing went to stderr" [ -z "$ERR" ]
expect_exit 0 "text logs on stderr with -v" ch -v ledger append --topic test.log
check "stderr has the record" contains "$ERR" "info  ledger: appended"
expect_exit 0 "-q keeps stderr quiet" ch -q ledger append --topic test.log
check "nothing on stderr" [ -z "$ERR" ]
i=0
while [ $i -lt 12 ]; do ch -v --log-file "$W/rot.log" --log-max-size 300 ledger append --topic test.rot >/dev/null; i=$((i + 1)); done
check "the log rotated (rot.log.1 exists)" [ -f "$W/rot.log.1" ]
check "at most 3 rotated files are kept" [ ! -e "$W/rot.log.4" ]
check "the current file is small" [ "$(stat -c %s "$W/rot.log")" -lt 600 ]
# The ledger by URL: --ledger over CHIMERA_LEDGER over the state dir's chimera.db.
expect_exit 0 "--ledger sqlite:PATH" ch --ledger "sqlite:$W/by-flag.db" ledger verify
check "the ledger is at PATH" [ -f "$W/by-flag.db" ]
expect_exit 0 "CHIMERA_LEDGER" env CHIMERA_LEDGER="sqlite:$W/by-env.db" "$CHIMERA" --state-dir "$W/url-state" ledger verify
check "the ledger is where CHIMERA_LEDGER says" [ -f "$W/by-env.db" ]
check "and not in the state dir" [ ! -e "$W/url-state/chimera.db" ]
expect_exit 0 "--ledger wins over CHIMERA_LEDGER" env CHIMERA_LEDGER="sqlite:$W/by-env2.db" "$CHIMERA" --state-dir "$W/url-state" --ledger "sqlite:$W/by-flag2.db" ledger verify
check "the flag's ledger is used" [ -f "$W/by-flag2.db" ]
check "not the variable's" [ ! -e "$W/by-env2.db" ]
expect_exit 1 "an unknown ledger URL" ch --ledger "bogus:x" ledger verify
check "names it and the expected form" contains "$ERR" "unknown ledger 'bogus:x': expected sqlite:PATH"

# Targets carry a transport: TRANSPORT:NAME reaches that transport's executor, or says there is none.
expect_exit 1 "a transport nobody registered" ch exec -t qemu:vm1 -- true
check "names the transport and those there are" contains "$OUT" "no transport 'qemu' to reach 'qemu:vm1': expected one of: ssh, local"
expect_exit 0 "local reaches the controller without SSH" ch exec -t local -- true
finish
