#!/bin/sh
# chimera dash through tmux: a detached 80x24 pane against 25 lab nodes; the header's counts,
# rows changing during a deploy started from the CLI, pages, the filter, the probe interval,
# a machine's detail, rollback with its confirmation (and in the ledger), a resize, colours
# and NO_COLOR, the terminal given back on q, SIGTERM and SIGINT; through a server as a viewer (R
# refused with the server's 403) and as an operator (R rolls back); a machine unreachable.
. "$E2E_DIR/lib.sh"
LAB_BASE=242
start
W="$E2E_WORK/$TEST_NAME"
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false\nflake-registry =')"
export NIX_CONFIG
unset CHIMERA_SERVER CHIMERA_TOKEN CHIMERA_TOKEN_FILE NO_COLOR
# Each dash gets a tmux server of its own (a new socket name): a new session on a server still
# going away from kill-server was lost under load ("no server running").
SOCK_N=0
SOCK="chimera-e2e-dash-$$-0"
SERVER=
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/chimera-e2e-dash-$$-"*; if [ -n "$SERVER" ]; then kill -9 "$SERVER" 2>/dev/null; fi; cleanup' EXIT
trap 'exit 130' INT TERM
HELLO="$E2E_DIR/../../examples/hello/default.nix"

here() { "$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" "$@"; }
T() { tmux -L "$SOCK" "$@"; }
screen() { T capture-pane -p -t dash; }
keys() { T send-keys -t dash "$@"; }
rows() { screen | grep -c '^m[0-9][0-9] '; }
row() { screen | grep "^$1 "; }
# wait_for TEXT [SECONDS]: until the screen shows TEXT (default 20 s); 0 when it did.
wait_for() {
	i=0
	while [ $i -lt $((${2:-20} * 10)) ]; do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "  the screen, waiting for '$1':"
	screen | sed 's/^/  | /'
	return 1
}
# dash ARGS...: chimera dash in a new detached 80x24 pane; the terminal's settings before and
# after it in $W/stty.before and $W/stty.after, its exit status in $W/exit. ENV: variables for it.
dash() {
	T kill-server 2>/dev/null
	SOCK_N=$((SOCK_N + 1))
	SOCK="chimera-e2e-dash-$$-$SOCK_N"
	rm -f "$W/exit" "$W/stty.before" "$W/stty.after"
	T -f /dev/null new-session -d -s dash -x 80 -y 24 \
		"stty -a >'$W/stty.before'; env TERM=xterm-256color ${ENV:-} '$CHIMERA' $* 2>'$W/dash.err'; echo \$? >'$W/exit'; stty -a >'$W/stty.after'; sleep 600"
	T set-option -g remain-on-exit on >/dev/null
}
dash_pid() { pgrep -P "$(T display -p -t dash '#{pane_pid}')" -f 'dash' | head -1; }
# ended: the dash exited (within 10 s), with the terminal as it found it.
ended() {
	i=0
	while [ ! -s "$W/stty.after" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$W/stty.after" ] && cmp -s "$W/stty.before" "$W/stty.after" &&
		[ "$(T display -p -t dash '#{alternate_on}')" = 0 ] && [ "$(T display -p -t dash '#{cursor_flag}')" = 1 ]
}
gen_of() { here generations --json -t "$1" | jq -r '.nodes[0].current'; }

expect_exit 0 "lab up 25" ch lab up 25 --base $LAB_BASE
{
	printf '[defaults]\nactivation = "auto"\n\n'
	i=0
	for a in $(ch lab status --json | jq -r '.list[].address'); do
		printf '[machines.m%02d]\ntarget = "%s"\n\n' $i "$a"
		i=$((i + 1))
	done
} >"$W/chimera.toml"
check "25 machines in chimera.toml" [ "$(grep -c '^\[machines' "$W/chimera.toml")" = 25 ]
P1=$(nix-build --no-out-link "$HELLO" --argstr version 1 2>/dev/null)
P2=$(nix-build --no-out-link "$HELLO" --argstr version 2 2>/dev/null)
check "hello 1 and 2 built" [ -d "$P1" -a -d "$P2" ]
H1=$(basename "$P1" | cut -c1-7) H2=$(basename "$P2" | cut -c1-7)
expect_exit 0 "deploy hello 1 to all" here deploy -t all --expect "$P1"

expect_exit 2 "dash without a terminal: a usage error" here dash
check "it says it needs a terminal" contains "$ERR" "needs a terminal"
expect_exit 2 "dash --json: a usage error" here --json dash
check "it says it has no --json" contains "$ERR" "has no --json"
expect_exit 0 "dash --help" here dash --help
check "--help names the keys" contains "$OUT" "R roll the machine back"

# 1. Here: the header, the first page, the probe's generations.
dash --state-dir "$STATE" --config "$W/chimera.toml" dash
check "the header counts 25 congruent machines" wait_for "25 machines: 25 congruent"
check "the title says local, page 1/2" wait_for "chimera dash  local  probe 10s  page 1/2"
check "20 rows on the page" [ "$(rows)" = 20 ]
check "m00 on generation 1, hello 1, after the first probe" wait_for "$(printf '%-16s %-12s %4s %s' m00 congruent 1 "$H1")"

# 2. A deploy from the CLI: rows go deploying, then congruent on generation 2.
here deploy -t all --expect "$P2" >"$W/deploy.out" 2>&1 &
DEPLOY=$!
check "rows show deploying during the deploy" wait_for "deploying" 30
check "the header counts machines deploying" [ -n "$(screen | sed -n 2p | grep ' deploying')" ]
wait "$DEPLOY"
check "the deploy succeeded" grep -q '25 deployed, 0 failed' "$W/deploy.out"
check "m00 is congruent on generation 2, hello 2" wait_for "$(printf '%-16s %-12s %4s %s' m00 congruent 2 "$H2")" 30
check "the header is back to 25 congruent" wait_for "25 machines: 25 congruent"

# 3. Pages, the probe interval, the filter.
keys n
check "n: page 2/2" wait_for "page 2/2"
check_all "page 2 holds m20 to m24" '[ "$(rows)" = 5 ] && [ -n "$(row m24)" ] && [ -z "$(row m00)" ]'
keys p
check_all "p: page 1/2 again, from m00" 'wait_for "page 1/2" && [ -n "$(row m00)" ]'
keys +
check "+: probe every 11 s" wait_for "probe 11s"
keys - -
check "- -: probe every 9 s" wait_for "probe 9s"
keys / m 2 Enter
check_all "/m2: the filter narrows to 5 rows" 'wait_for "filter '\''m2'\'': 5 of 25 machines" && [ "$(rows)" = 5 ]'
check "only m2x rows" [ "$(screen | grep '^m[0-9][0-9] ' | grep -vc '^m2')" = 0 ]
keys / BSpace BSpace Enter
check_all "an empty filter: every machine again" 'wait_for "no filter: 25 machines" && [ "$(rows)" = 20 ]'

# 4. A resize redraws; colours are on.
T resize-window -t dash -x 120 -y 45
check "at 120x45 the table is 120 wide" wait_for "$(printf '%-70s ' PATH)CHECKED"
check "and the event log shows below it" [ -n "$(screen | grep ' node.deploy.complete m')" ]
T resize-window -t dash -x 80 -y 24
check_all "back at 80x24: 20 rows, 80 wide" 'wait_for "$(printf '\''%-30s'\'' PATH) CHECKED" && [ "$(rows)" = 20 ]'
check "congruent rows are green (SGR 32)" [ -n "$(T capture-pane -e -p -t dash | grep "$(printf '\033')\[32m")" ]
keys '?'
check "?: the help" wait_for "chimera dash: keys"
keys x
check "any key: the table again" wait_for "25 machines:"

# 5. A machine's detail, and rollback with its confirmation.
keys Enter
check "Enter: m00's detail" wait_for "m00  root@127.$LAB_BASE.0.10:22"
check_all "its generations, 2 current" 'wait_for "*    2  " && [ -n "$(screen | grep "^     1  .*$P1")" ]'
check "its events" [ -n "$(screen | grep 'node.deploy.complete')" ]
keys R
check "R asks first" wait_for "roll m00 back to its previous generation? y to confirm"
keys n
check "n cancels" wait_for "rollback of m00 cancelled"
check "still on generation 2" [ "$(gen_of m00)" = 2 ]
keys R y
check "R y rolls back" wait_for "rolled m00 back: generation 2 -> 1" 30
check "m00 is on generation 1" [ "$(gen_of m00)" = 1 ]
check "the detail shows generation 1 current" wait_for "*    1  "
check "the ledger has the rollback of m00" [ "$(here events --topic node.rollback.complete --json | jq -r 'select(.node | test("127.242.0.10:")) | .payload.ended_generation')" = 1 ]
keys q
check "q in the detail: the table, m00 on generation 1" wait_for "$(printf '%-16s %-12s %4s %s' m00 congruent 1 "$H1")" 20
keys q
check_all "q: exit 0" 'ended && [ "$(cat "$W/exit")" = 0 ]'
check "the terminal is as it was (stty -a, main screen, cursor)" ended

# 6. NO_COLOR, and SIGTERM gives the terminal back.
ENV="NO_COLOR=1" dash --state-dir "$STATE" --config "$W/chimera.toml" dash
check "NO_COLOR: the table shows" wait_for "25 machines:"
T capture-pane -e -p -t dash >"$W/nocolor"
check_all "NO_COLOR: reverse video (the bars) but no colour on screen" \
	'grep -q "$(printf "\033")\[7m" "$W/nocolor" && ! grep -q "$(printf "\033")\[3[0-7]m" "$W/nocolor"'
PID=$(dash_pid)
check "a dash to send SIGTERM to" [ -n "$PID" ]
kill -TERM "$PID"
check "SIGTERM: it ends with the terminal as it was" ended
check "SIGTERM: it ended by itself, exit 0" [ "$(cat "$W/exit")" = 0 ]

# 7. Through a server: a viewer cannot roll back, an operator can.
expect_exit 0 "tokens create viewer" ch tokens create view --role viewer --json
printf '%s\n' "$(printf '%s' "$OUT" | jq -r .token)" >"$W/view.token"
expect_exit 0 "tokens create operator" ch tokens create op --role operator --json
printf '%s\n' "$(printf '%s' "$OUT" | jq -r .token)" >"$W/op.token"
chmod 600 "$W/view.token" "$W/op.token"
serve_start
check "the server is up" [ -n "$URL" ]
dash --state-dir "$W/elsewhere" --server "$URL" --token-file "$W/view.token" dash
check_all "viewer: the server's machines" 'wait_for "chimera dash  $URL" && wait_for "25 machines: 25 congruent"'
check "viewer: m00 on generation 1 from the server's probe" wait_for "$(printf '%-16s %-12s %4s %s' m00 congruent 1 "$H1")"
keys j R y
check "viewer: R y is refused with the server's 403" wait_for "403" 20
check "m01 still on generation 2" [ "$(gen_of m01)" = 2 ]
keys C-c
check "viewer: Ctrl-C (SIGINT) ends it, the terminal as it was" ended
dash --state-dir "$W/elsewhere" --server "$URL" --token-file "$W/op.token" dash
check "operator: the server's machines" wait_for "25 machines:"
keys j R y
check "operator: R y rolls m01 back" wait_for "rolled m01 back: generation 2 -> 1" 30
check "m01 is on generation 1" [ "$(gen_of m01)" = 1 ]
check "the ledger has the job under the operator's token" \
	[ "$(here events --topic job.accepted --json | jq -r 'select(.payload.kind == "rollback") | .payload.by')" = op ]
check "the rollback shows in the dash's event log" [ -n "$(T resize-window -t dash -x 100 -y 40; sleep 0.5; screen | grep 'chimera.rollback.complete')" ]
T resize-window -t dash -x 80 -y 24	# stty -a tells the size too
keys q
check "operator: q ends it" ended
kill -TERM "$SERVER"
wait "$SERVER"
SERVER=

# 8. A machine that cannot be reached: the probe says so, the ledger's answer does not undo it.
expect_exit 0 "lab up 24: m24's node is gone" ch lab up 24 --base $LAB_BASE
dash --state-dir "$STATE" --config "$W/chimera.toml" dash --interval 2
check "the header counts 24 congruent, 1 unreachable" wait_for "25 machines: 24 congruent, 1 unreachable"
keys n
check "m24's row says unreachable" wait_for "$(printf '%-16s %-12s' m24 unreachable)"
keys r
sleep 1
check "and still after another probe" [ -n "$(row m24 | grep unreachable)" ]
keys q
check "q ends it" ended
finish
