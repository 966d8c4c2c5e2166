#!/bin/sh
# The README's tour, run line by line from the checkout as a new user would: every line must
# end with the exit status the tour gives it (0, or the "exit N" its comment names), and the
# checkout must be as clean afterwards as before. The lines are read from README.md itself, so
# the tour cannot drift from what chimera does. What the test changes, and why:
#   - `chimera` is this build; HOME is a private directory, so ~/.local/state/chimera is too;
#   - `lab up 3` gets `--base $LAB_BASE` (an octet no other test uses), and B in the
#     addresses is that octet;
#   - the two lines that do not end by themselves (watch until Ctrl-C, events --follow) get
#     SIGINT after a while, as a user's Ctrl-C;
#   - the netlify line with a real build hook is skipped: it needs the internet and a site
#     of one's own (SITE, ID), and test_pipeline covers that path against a local server.
. "$E2E_DIR/lib.sh"
LAB_BASE=219
TOUR_HOME="$E2E_WORK/$TEST_NAME/home"
STATE="$TOUR_HOME/.local/state/chimera"
start
mkdir -p "$TOUR_HOME"
CHECKOUT=$(cd "$E2E_DIR/../.." && pwd)
W="$E2E_WORK/$TEST_NAME"

# The tour's lines, continuation lines joined, one per line.
awk '/^## A tour/ { t = 1; next } t && /^```sh/ { b = 1; next } b && /^```/ { exit }
	b { if (sub(/\\$/, "")) { acc = acc $0; next } print acc $0; acc = "" }' \
	"$CHECKOUT/README.md" >"$W/tour"
n=$(wc -l <"$W/tour")
check "the README has a tour of more than 20 lines (it has $n)" [ "$n" -gt 20 ]

clean_before=$(git -C "$CHECKOUT" status --porcelain 2>/dev/null)

chimera() { "$CHIMERA" "$@"; }
run_line() {
	(
		cd "$CHECKOUT" || exit 99
		export HOME="$TOUR_HOME"
		unset CHIMERA_STATE_DIR XDG_STATE_HOME CHIMERA_LEDGER
		eval "$1"
	) >"$W/line.out" 2>"$W/line.err" </dev/null
}

i=0 skipped=0
while IFS= read -r line; do
	i=$((i + 1))
	case "$line" in
	*api.netlify.com*)
		skipped=$((skipped + 1))
		echo "# skipped tour line $i (the internet and a site of one's own): $line"
		continue
		;;
	esac
	want=0
	case "$line" in *'# '*'exit '[0-9]*) want=$(printf '%s\n' "$line" | sed 's/.*# .*exit \([0-9]*\).*/\1/') ;; esac
	cmd=$(printf '%s\n' "$line" | sed "s/lab up 3 /lab up 3 --base $LAB_BASE /; s/127\.B\./127.$LAB_BASE./g")
	case "$line" in
	*'until Ctrl-C'* | *'--follow'*)
		case "$line" in *'--follow'*) after=3 ;; *) after=25 ;; esac
		cmd="timeout --preserve-status -s INT $after $(printf '%s' "$cmd" | sed 's/^chimera /"$CHIMERA" /')"
		;;
	esac
	export CHIMERA
	run_line "$cmd"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "tour line $i (exit $got): $line"
	else
		not_ok "tour line $i: exit $got, expected $want: $line"
		echo "  ran: $cmd"
		echo "  stdout: $(head -n 10 "$W/line.out")"
		echo "  stderr: $(head -n 10 "$W/line.err")"
	fi
done <"$W/tour"
check "exactly one tour line was skipped (skipped $skipped)" [ "$skipped" -eq 1 ]

clean_after=$(git -C "$CHECKOUT" status --porcelain 2>/dev/null)
check "the tour leaves the checkout as it found it" [ "$clean_before" = "$clean_after" ]
[ "$clean_before" = "$clean_after" ] || printf '  before:\n%s\n  after:\n%s\n' "$clean_before" "$clean_after"
lab_gone() { [ "$(jq -r .nodes "$STATE/lab/lab.json")" = 0 ] && [ -z "$(ls -d "$STATE"/lab/nodes/node-* 2>/dev/null)" ] &&
	[ -z "$(live_procs "$STATE/lab")" ]; }
check "the tour took the lab down: no node directory and no process left" lab_gone
finish
