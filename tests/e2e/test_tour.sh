#!/bin/sh
# The README's tour, run line by line from the checkout as a new user would: every line must
# end with the exit status the tour gives it (0, or the "exit N" its comment names), must do
# what its comment says (each line's effect is checked right after it, in effect_of below:
# a tour line without a check fails), and the checkout must be as clean afterwards as before.
# The lines are read from README.md itself, so the tour cannot drift from what chimera does.
# What the test changes, and why:
#   - `chimera` is this build; HOME is a private directory, so ~/.local/state/chimera is too,
#     and TMPDIR is this test's, so the tour's scratch space (mktemp -d) is under it;
#   - the lines run as in one shell: what a line assigns or exports (T, B, NIX_CONFIG,
#     CHIMERA_CONFIG) the lines after it see;
#   - `lab up 3` gets `--base $LAB_BASE` (an octet no other test uses); the tour reads B back
#     from the lab as a reader's would;
#   - the two lines that do not end by themselves (watch until Ctrl-C, events --follow) get
#     SIGINT after a while, as a user's Ctrl-C; while events --follow runs, the test appends
#     an event (test.tour) for it to follow;
#   - the netlify line with a real build hook is skipped: it needs the internet and a site
#     of one's own (SITE, ID), and test_pipeline covers that path against a local server.
. "$E2E_DIR/lib.sh"
LAB_BASE=219
TOUR_HOME="$E2E_WORK/$TEST_NAME/home"
STATE="$TOUR_HOME/.local/state/chimera"
start
W="$E2E_WORK/$TEST_NAME"
mkdir -p "$TOUR_HOME" "$W/tmp"
CHECKOUT=$(cd "$E2E_DIR/../.." && pwd)
unset CHIMERA_STATE_DIR XDG_STATE_HOME CHIMERA_LEDGER CHIMERA_CONFIG
export CHIMERA

# The tour's lines, continuation lines joined, one per line.
awk '/^## A tour/ { t = 1; next } t && /^```sh/ { b = 1; next } b && /^```/ { exit }
	b { if (sub(/\\$/, "")) { acc = acc $0; next } print acc $0; acc = "" }' \
	"$CHECKOUT/README.md" >"$W/tour"
n=$(wc -l <"$W/tour")
check "the README has a tour of more than 20 lines (it has $n)" [ "$n" -gt 20 ]
check "no tour command has a placeholder a reader would copy literally (127.B.)" \
	sh -c '! sed "s/  *# .*//" "$1" | grep -q "127\.B\."' sh "$W/tour"

clean_before=$(git -C "$CHECKOUT" status --porcelain --untracked-files=all 2>/dev/null)

chimera() { "$CHIMERA" "$@"; }
# Run a tour line as a reader's shell would, after the lines before it: their variables
# are in $W/env (every assignment is exported, and the whole environment kept after it).
: >"$W/env"
run_line() {
	(
		. "$W/env"
		cd "$CHECKOUT" || exit 99
		export HOME="$TOUR_HOME" TMPDIR="$W/tmp"
		set -a
		eval "$1"
		rc=$?
		set +a
		export -p >"$W/env.next"
		exit $rc
	) >"$W/line.out" 2>"$W/line.err" </dev/null
	rc=$?
	[ -s "$W/env.next" ] && mv "$W/env.next" "$W/env"
	return $rc
}
# Run a command in the tour's environment as it now is (for the checks).
tour_env() { (. "$W/env" && cd "$CHECKOUT" && export HOME="$TOUR_HOME" && "$@"); }
tch() { tour_env "$CHIMERA" "$@"; }
tvar() { tour_env sh -c "printf '%s' \"\$$1\""; }

N() { echo "root@127.$LAB_BASE.0.1$1:22"; }
# What node $1 has activated (examples/hello writes its version there), seen from here.
activated() { r=$(node_root "$1"); cat "${r:-/nonexistent}/nix/var/chimera-hello/activated" 2>/dev/null; }
activated_all() { echo "$(activated 0) $(activated 1) $(activated 2)"; }
# Node $1's profile link as the node has it (system-N-link), seen from here.
profile_link() { r=$(node_root "$1"); readlink "${r:-/nonexistent}/nix/var/nix/profiles/system"; }
gens_json() { ch generations -t @lab --json; }
# Events of topic $1 appended since seq $2, one JSON object a line.
events_since() { ch events --json --topic "$1" --since "$2"; }
head_seq() { [ -f "$STATE/chimera.db" ] || { echo 0; return; }; ch events --json | tail -n 1 | jq -r '.seq // 0'; }
out_has() { grep -q -F -e "$1" "$W/line.out"; }
listed() { for x in "$@"; do out_has "$x" || return 1; done; }
lines_matching() { grep -c -e "$1" "$W/line.out"; }
lab_gone() { [ "$(jq -r .nodes "$STATE/lab/lab.json")" = 0 ] && [ -z "$(ls -d "$LAB_ROOT"/node-* 2>/dev/null)" ] &&
	[ -z "$(live_procs "$LAB_ROOT")" ]; }

# effect_of LINE: what the line's comment (or the tour's story) says it does, checked.
effect_of() {
	effects=$((effects + 1))
	case "$1" in
	'export NIX_CONFIG='*)
		check "  NIX_CONFIG, offline, is set for the lines after it" contains "$(tvar NIX_CONFIG)" "substituters =" ;;
	'T=$(mktemp -d)'*)
		T=$(tvar T)
		check "  T is a new empty directory outside the checkout ($T)" \
			sh -c '[ -d "$1" ] && [ -z "$(ls -A "$1")" ] && case "$1" in "$2"/*) exit 0;; esac; exit 1' sh "$T" "$W/tmp" ;;
	*'lab up 3'*)
		LAB_ROOT=$(lab_root)
		check "  three nodes are alive" [ "$(ch lab status --json | jq .alive)" = 3 ]
		check "  it printed B, on 127.$LAB_BASE.x.y" out_has "127.$LAB_BASE." ;;
	'B=$('*)
		check "  B is the lab's octet ($(tvar B))" [ "$(tvar B)" = "$LAB_BASE" ] ;;
	*'deploy -t @lab -c '*'version 1'*)
		check "  every node activated version 1 ($(activated_all))" [ "$(activated_all)" = "1 1 1" ] ;;
	*'status -t @lab -c '*'version 1'*)
		check "  every node is congruent with version 1" [ "$(lines_matching "^root@.*  congruent$")" = 3 ]
		check "  as the summary says" out_has "3 nodes: 3 congruent, 0 drifted" ;;
	*'deploy -t @lab -c '*'version 2 --json'*)
		check "  the JSON says 3 nodes ok" [ "$(jq .summary.ok "$W/line.out")" = 3 ]
		check "  every node activated version 2 ($(activated_all))" [ "$(activated_all)" = "2 2 2" ] ;;
	*'generations -t @lab'*)
		check "  two generations per node, 2 current" \
			[ "$(gens_json | jq -c '[.nodes[] | "\(.generations | length) \(.current)"] | unique')" = '["2 2"]' ]
		check "  it lists them" [ "$(lines_matching '/nix/store/')" -ge 6 ] ;;
	*'rollback -t @lab'*)
		check "  generation 1 is current on every node" [ "$(gens_json | jq -c '[.nodes[].current] | unique')" = '[1]' ]
		check "  every node activated version 1 again ($(activated_all))" [ "$(activated_all)" = "1 1 1" ]
		V1=$(gens_json | jq -r '.nodes[0].generations[] | select(.generation == 1) | .path') ;;
	'ssh -F '*'--switch-generation 2'*)
		check "  node 0's profile is on generation 2 ($(profile_link 0))" [ "$(profile_link 0)" = system-2-link ]
		check "  the others stay on 1" [ "$(profile_link 1) $(profile_link 2)" = "system-1-link system-1-link" ] ;;
	*'watch -t @lab'*'--once'*)
		check "  it healed node 0, and only node 0" \
			[ "$(events_since watch.node.healed "$seq0" | jq -r .node | tr '\n' ' ')" = "$(N 0) " ]
		check "  it saw node 0 drift" [ "$(events_since watch.node.drifted "$seq0" | jq -r .node | tr '\n' ' ')" = "$(N 0) " ]
		check "  node 0's profile is version 1's path again" \
			[ "$(tour_env ssh -F "$STATE/lab/ssh_config" "127.$LAB_BASE.0.10" readlink -f /nix/var/nix/profiles/system)" = "$V1" ] ;;
	*'until Ctrl-C'*)
		check "  it ran rounds until interrupted (at least 2: one every 10 s for 25 s)" \
			[ "$(events_since watch.round "$seq0" | wc -l)" -ge 2 ]
		check "  with nothing to heal" [ -z "$(events_since watch.node.healed "$seq0")" ] ;;
	*'status --cached'*)
		check "  every node congruent, from the ledger" [ "$(lines_matching "^root@.*  congruent on ")" = 3 ]
		check "  no node contacted: nothing appended" [ "$(head_seq)" = "$seq0" ] ;;
	'chimera deployments '*)
		ids=$(ch events --json --topic deploy.initiated | jq -r .deployment)
		check "  the ledger has the two deploys" [ "$(printf '%s\n' "$ids" | grep -c .)" -ge 2 ]
		check "  it lists each by its id" listed $ids ;;
	*'pipeline --platform nix'*)
		check "  every node runs version 2, verified ($(activated_all))" [ "$(activated_all)" = "2 2 2" ]
		check "  the certificate is in the scratch space" [ -s "$T/hello-certificate.json" ]
		check "  and not in the checkout" [ ! -e "$CHECKOUT/examples/hello/chimera-certificate.json" ] ;;
	*'pipeline --platform netlify examples/site --dry-run'*)
		check "  it healed the redirect in memory: examples/site is unchanged" \
			[ -z "$(git -C "$CHECKOUT" status --porcelain --untracked-files=all -- examples/site)" ]
		check "  and says it healed" grep -q -i 'heal' "$W/line.out" ;;
	'export CHIMERA_CONFIG='*)
		check "  the inventory is in the scratch space" [ "$(tvar CHIMERA_CONFIG)" = "$T/chimera.toml" ] ;;
	*'machines add web-1'*)
		check "  web-1 is node 0's address, in \$CHIMERA_CONFIG" \
			grep -q -x "target = \"127.$LAB_BASE.0.10\"" "$T/chimera.toml"
		check "  nothing written in the checkout" [ ! -e "$CHECKOUT/chimera.toml" ] ;;
	*'machines add web-2'*)
		check "  web-2 is node 1's address" grep -q -x "target = \"127.$LAB_BASE.0.11\"" "$T/chimera.toml"
		check "  both tagged web" [ "$(tch machines list --json | jq -c '[.machines[] | select(.tags | index("web")) | .name]')" = '["web-1","web-2"]' ] ;;
	*'--exclude web-1'*)
		check "  one node ran" [ "$(grep -c ': exit ' "$W/line.out")" = 1 ]
		check "  web-2 (node 1)" out_has "$(N 1): exit 0"
		check "  ok" out_has "1 nodes: 1 ok, 0 failed" ;;
	*'config show'*)
		check "  it names the inventory and where it came from" out_has "$T/chimera.toml (env), 2 machines" ;;
	*'facts -t @web'*)
		check "  facts of web-1 and web-2" [ "$(ch events --json --topic node.facts --since "$seq0" | jq -r .node | sort | tr '\n' ' ')" = "$(N 0) $(N 1) " ] ;;
	*'run -t @web -s worker'*)
		check "  a worker session on web-1 and web-2" \
			[ "$(tch sessions -t @web --json | jq -c '[.nodes[] | .sessions[]? | select(.name == "worker")] | length')" = 2 ] ;;
	*'sessions -t @web'*)
		check "  it lists the worker on each" [ "$(lines_matching worker)" -ge 2 ] ;;
	*'secrets set db-pass'*)
		check "  db-pass is granted to web-1 and web-2" \
			[ "$(tch secrets list --json | jq -r '.secrets[] | select(.name == "db-pass") | .grants | join(",")')" = "web-1,web-2" ] ;;
	*'deploy -t @web'*)
		s0=$(cat "$(node_root 0)/run/chimera/secrets/db-pass" 2>/dev/null)
		s1=$(cat "$(node_root 1)/run/chimera/secrets/db-pass" 2>/dev/null)
		check "  web-1 and web-2 have /run/chimera/secrets/db-pass" [ "$s0 $s1" = "s3cret s3cret" ]
		check "  node 2, not a web machine, has not" [ ! -e "$(node_root 2)/run/chimera/secrets/db-pass" ] ;;
	*'services list'*)
		check "  no service manager, said for each" [ "$(cat "$W/line.out" "$W/line.err" | grep -c 'no service manager')" -ge 2 ] ;;
	*'lab status'*)
		check "  three nodes, all alive" out_has "3 nodes, 3 alive" ;;
	*'exec -t @lab -- uname -r'*)
		check "  on every node" out_has "3 nodes: 3 ok, 0 failed" ;;
	*'exec -t root@'*'--json'*)
		check "  on the two nodes named" [ "$(jq -r '[.nodes[] | select(.ok) | .target] | join(",")' "$W/line.out")" = "$(N 0),$(N 1)" ]
		NIXV=$(jq -r '.nodes[0].stdout' "$W/line.out") ;;
	*'events --topic node.exec'*)
		check "  it lists the runs' node.exec events (6 nodes in 3 runs)" [ "$(lines_matching 'node.exec')" -ge 6 ]
		check "  without their output ('$NIXV')" sh -c '! grep -q -F -e "$1" "$2"' sh "$NIXV" "$W/line.out" ;;
	*'events --follow'*)
		wait "$APPENDER"
		check "  one JSON object a line" [ "$(jq -c .seq "$W/line.out" 2>/dev/null | wc -l)" = "$(wc -l <"$W/line.out")" ]
		check "  every event there was, in order ($seq0)" \
			[ "$(head -n "$seq0" "$W/line.out" | jq -r .seq | tr '\n' ' ')" = "$(seq 1 "$seq0" | tr '\n' ' ')" ]
		check "  then the one appended while it followed" \
			[ "$(jq -r --argjson s "$seq0" 'select(.seq > $s) | .topic' "$W/line.out" | head -n 1)" = test.tour ] ;;
	*'ledger verify --witnesses'*)
		check "  every node's witness is accounted for" [ "$(lines_matching "$(printf '127.%s.0.1' "$LAB_BASE")")" -ge 3 ] ;;
	*'ledger verify'*)
		check "  the ledger is ok" out_has "ledger ok" ;;
	*'lab down'*)
		check "  no node directory and no process left" lab_gone ;;
	'rm -r "$T"'*)
		check "  the scratch space is gone" [ ! -e "$T" ] ;;
	*)
		effects=$((effects - 1))
		not_ok "  no check of what this line does: add one to test_tour.sh" ;;
	esac
}

i=0 skipped=0 effects=0 T= LAB_ROOT= V1= NIXV=
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
	cmd=$(printf '%s\n' "$line" | sed "s/lab up 3 /lab up 3 --base $LAB_BASE /")
	case "$line" in
	*'until Ctrl-C'* | *'--follow'*)
		case "$line" in *'--follow'*) after=3 ;; *) after=25 ;; esac
		cmd="timeout --preserve-status -s INT $after $(printf '%s' "$cmd" | sed 's/^chimera /"$CHIMERA" /')"
		;;
	esac
	seq0=$(head_seq)
	APPENDER=
	case "$line" in
	*'--follow'*) # something to follow: an event appended a second after it started
		(sleep 1 && ch ledger append --topic test.tour --payload '{"by":"test_tour"}' >/dev/null) &
		APPENDER=$!
		;;
	esac
	run_line "$cmd"
	got=$?
	cp "$W/line.out" "$W/line-$i.out"
	cp "$W/line.err" "$W/line-$i.err"
	if [ "$got" -eq "$want" ]; then
		ok "tour line $i (exit $got): $line"
	else
		not_ok "tour line $i: exit $got, expected $want: $line"
		echo "  ran: $cmd"
		echo "  stdout: $(head -n 10 "$W/line.out")"
		echo "  stderr: $(head -n 10 "$W/line.err")"
	fi
	effect_of "$line" </dev/null
done <"$W/tour"
check "exactly one tour line was skipped (skipped $skipped)" [ "$skipped" -eq 1 ]
check "every line that ran had its effect checked ($effects of $((n - skipped)))" [ "$effects" -eq $((n - skipped)) ]

clean_after=$(git -C "$CHECKOUT" status --porcelain --untracked-files=all 2>/dev/null)
check "the tour leaves the checkout as it found it" [ "$clean_before" = "$clean_after" ]
[ "$clean_before" = "$clean_after" ] || printf '  before:\n%s\n  after:\n%s\n' "$clean_before" "$clean_after"
nothing_written() { [ ! -e "$CHECKOUT/chimera.toml" ] && [ ! -e "$CHECKOUT/examples/hello/chimera-certificate.json" ]; }
check "it wrote no chimera.toml and no certificate there" nothing_written
finish
