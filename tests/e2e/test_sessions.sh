#!/bin/sh
# chimera run, sessions and attach: tmux sessions that outlive the SSH connection on lab
# nodes, names already taken, --replace, a closure on PATH, nix-shell, kill, attach, and the
# same on this machine with a private tmux server.
. "$E2E_DIR/lib.sh"
LAB_BASE=211
start
W="$E2E_WORK/$TEST_NAME"
nix_offline
HELLO="$E2E_DIR/../../examples/hello/default.nix"
# This machine's sessions go to a private tmux server, never a user's.
TMUX_TMPDIR="$W/tmux"
export TMUX_TMPDIR
mkdir -p "$TMUX_TMPDIR"
unset TMUX
TERM=xterm
export TERM
trap 'tmux -L chimera kill-server >/dev/null 2>&1; cleanup' EXIT
trap 'exit 130' INT TERM

N() { echo "root@127.$LAB_BASE.0.1$1:22"; }
N0=$(N 0) N1=$(N 1) N2=$(N 2)
on() { i=$1; shift; ssh -F "$STATE/lab/ssh_config" "127.$LAB_BASE.0.1$i" "$@" </dev/null; }
# created time of session $2 on node $1 from `sessions --json` ("" when absent)
created() { ch sessions -t "$(N "$1")" --json | jq -r --arg s "$2" '.sessions[] | select(.name == $s) | .created'; }
# wait_file NODE FILE: up to 10 s for FILE to be non-empty on NODE
wait_file() {
	for _ in $(seq 50); do
		if on "$1" "test -s $2"; then return 0; fi
		sleep 0.2
	done
	return 1
}

expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE

# A loop on every node, left running after chimera and its SSH sessions are gone.
LOOP='while :; do date +%s >> /root/ticks; sleep 1; done'
expect_exit 0 "run a loop in session 'loop' on every node" ch run -t @lab -s loop -- "$LOOP"
check "each node reports it started" [ "$(printf "%s\n" "$OUT" | grep -c ': started session loop$')" = 3 ]
check "the summary counts 3 ok" contains "$OUT" "3 nodes: 3 ok, 0 failed"
expect_exit 0 "sessions --json on every node" ch sessions -t @lab --json
printf "%s\n" "$OUT" > "$W/list.json"
check "loop is listed on all 3 nodes" [ "$(jq '[.sessions[] | select(.name == "loop")] | length' "$W/list.json")" = 3 ]
check "each entry names its node" [ "$(jq -r '[.sessions[].node] | sort | join(",")' "$W/list.json")" = "$N0,$N1,$N2" ]
check "the command is the one given" [ "$(jq -r '.sessions[0].command' "$W/list.json")" = "$LOOP" ]
check "created is epoch seconds, attached is 0" [ "$(jq '[.sessions[] | select((.created | type) == "number" and .created > 1600000000 and .attached == 0)] | length' "$W/list.json")" = 3 ]
check "nodes and summary are there" [ "$(jq -c '[.summary.nodes, .summary.ok, .summary.failed, (.nodes | length), .nodes[0].ok]' "$W/list.json")" = "[3,3,0,3,true]" ]
expect_exit 0 "sessions in text" ch sessions -t @lab
check "the text table has a header and 3 rows" [ "$(printf "%s\n" "$OUT" | grep -c ' loop ')" = 3 ]
check "the text says 3 sessions" contains "$OUT" "3 sessions on 3 nodes (0 failed)"
T0=$(on 0 'wc -l < /root/ticks'); T2=$(on 2 'wc -l < /root/ticks')
sleep 3
U0=$(on 0 'wc -l < /root/ticks'); U2=$(on 2 'wc -l < /root/ticks')
check "ticks keep growing on node 0 ($T0 -> $U0)" [ "$U0" -ge $((T0 + 2)) ]
check "ticks keep growing on node 2 ($T2 -> $U2)" [ "$U2" -ge $((T2 + 2)) ]
check "the node's own tmux lists it" [ "$(on 1 'tmux -L chimera ls -F "#{session_name}"')" = loop ]

# The same name again: refused per node, the old session left alone.
C1=$(created 1 loop)
expect_exit 1 "running 'loop' again fails everywhere" ch run -t @lab -s loop -- 'sleep 1000'
check "it says the session exists" contains "$OUT" "$N1: EXISTS: session 'loop' already exists on $N1 (use --replace)"
check "the old session is untouched (same created time)" [ "$(created 1 loop)" = "$C1" ]
check "and still runs its loop" [ "$(ch sessions -t "$N1" --json | jq -r '.sessions[0].command')" = "$LOOP" ]
expect_exit 0 "a session only on node 0" ch run -t "$N0" -s solo -- 'sleep 600'
expect_exit 3 "'solo' on every node: exists on one, started on two" ch run -t @lab -s solo --json -- 'sleep 600'
check "json outcomes per node" [ "$(printf "%s\n" "$OUT" | jq -r '[.nodes[] | .outcome] | join(",")')" = "exists,started,started" ]
check "json: the existing one is not ok and says why" [ "$(printf "%s\n" "$OUT" | jq -r '.nodes[0] | "\(.ok) \(.step) \(.error)"')" = "false start session 'solo' already exists on $N0 (use --replace)" ]
check "json summary" [ "$(printf "%s\n" "$OUT" | jq -c '[.session, .summary.ok, .summary.failed, .store_path]')" = '["solo",2,1,null]' ]

# --replace restarts it.
sleep 1.1
expect_exit 0 "--replace on node 1" ch run -t "$N1" -s loop --replace --json -- 'while :; do date +%s >> /root/ticks2; sleep 1; done'
check "reported as replaced" [ "$(printf "%s\n" "$OUT" | jq -r '.nodes[0].outcome')" = replaced ]
C1B=$(created 1 loop)
check "the created time changed ($C1 -> $C1B)" test -n "$C1B" -a "$C1B" != "$C1"
check "the new command runs" wait_file 1 /root/ticks2
check "one 'loop' session on node 1" [ "$(on 1 'tmux -L chimera ls -F "#{session_name}"' | grep -c '^loop$')" = 1 ]

# A closure built here, copied to every node, its bin/ first on PATH.
expect_exit 0 "run -c examples/hello" ch run -t @lab -s hello -c "$HELLO" --json -- 'hello > /root/hello.out; command -v hello > /root/hello.path; sleep 600'
HP=$(printf "%s\n" "$OUT" | jq -r .store_path)
check "json names the store path" contains "$HP" "/nix/store/"
check "3 started" [ "$(printf "%s\n" "$OUT" | jq '[.nodes[] | select(.ok and .outcome == "started")] | length')" = 3 ]
for i in 0 1 2; do
	check "node $i: hello's output landed" wait_file "$i" /root/hello.out
	check "node $i: it says hello, version 1" [ "$(on "$i" 'cat /root/hello.out')" = "hello, version 1" ]
	check "node $i: hello came from the closure" [ "$(on "$i" 'cat /root/hello.path')" = "$HP/bin/hello" ]
done
check "the run profile keeps the closure on node 2" [ "$(on 2 'readlink -f /nix/var/nix/profiles/chimera/run-hello')" = "$HP" ]
RUN=$(printf "%s\n" "$OUT" | jq -r .run)
expect_exit 0 "events of that run" ch events --deployment "$RUN" --json
check "3 session.start events after the copy" [ "$(printf "%s\n" "$OUT" | jq -s '[.[] | select(.topic == "session.start" and .payload.store_path == "'"$HP"'")] | length')" = 3 ]
check "the copy's node.deploy.complete events are there too" [ "$(printf "%s\n" "$OUT" | jq -s '[.[] | select(.topic == "node.deploy.complete")] | length')" = 3 ]

# nix-shell FILE on a node: the file goes over, NIX_CONFIG reaches nix-shell, which builds the input.
cat > "$W/shell.nix" <<'EOF'
let
  dep = derivation {
    name = "chimera-sessions-dep";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "/bin/mkdir -p $out && echo built-in-nix-shell > $out/greeting" ];
  };
in
derivation {
  name = "chimera-sessions-shell";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo unused > $out" ];
  inherit dep;
  GREETING = "from-shell-nix";
}
EOF
expect_exit 0 "run --nix-shell on node 2" ch run -t "$N2" -s nsh --nix-shell "$W/shell.nix" --json -- 'cat "$dep/greeting" > /root/nsh.tmp; echo "$GREETING" >> /root/nsh.tmp; printf "%s" "$NIX_CONFIG" > /root/nsh.cfg; mv /root/nsh.tmp /root/nsh.out; sleep 600'
check "json names the file on the node" [ "$(printf "%s\n" "$OUT" | jq -r '.nodes[0].file')" = /root/.local/state/chimera/run/nsh.nix ]
check "the file on the node is ours" [ "$(on 2 'cat /root/.local/state/chimera/run/nsh.nix' | md5sum)" = "$(md5sum < "$W/shell.nix")" ]
check "node 0 did not get it" [ "$(on 0 'test -e /root/.local/state/chimera/run/nsh.nix && echo yes || echo no')" = no ]
check "nix-shell ran the command" wait_file 2 /root/nsh.out
check "with the built input and the shell's variables" [ "$(on 2 'cat /root/nsh.out' | tr '\n' ' ')" = "built-in-nix-shell from-shell-nix " ]
check "NIX_CONFIG reached nix-shell" contains "$(on 2 'cat /root/nsh.cfg')" "sandbox = false"
check "the session shows the nix-shell command" contains "$(ch sessions -t "$N2" --json | jq -r '.sessions[] | select(.name == "nsh") | .command')" "nix-shell /root/.local/state/chimera/run/nsh.nix --run "
expect_exit 1 "--nix-shell 'nsh' again is refused before the file is touched" ch run -t "$N2" -s nsh --nix-shell "$W/shell.nix" -- true
check "it says so" contains "$OUT" "already exists"

# kill: on the selected nodes only.
expect_exit 0 "kill loop on nodes 0 and 1" ch sessions kill -t "$N0,$N1" loop
check "it says killed twice" [ "$(printf "%s\n" "$OUT" | grep -c ': killed session loop$')" = 2 ]
check "loop is gone from nodes 0 and 1" [ "$(created 0 loop)$(created 1 loop)" = "" ]
check "node 2 still has it" [ -n "$(created 2 loop)" ]
check "and its loop still ticks" [ "$(on 2 'wc -l < /root/ticks')" -gt "$U2" ]
expect_exit 1 "killing a missing session" ch sessions kill -t "$N0" loop
check "names the session and node" contains "$OUT" "no session 'loop' on $N0"
expect_exit 3 "kill on all when only node 2 has it" ch sessions kill -t @lab loop --json
check "json outcomes" [ "$(printf "%s\n" "$OUT" | jq -r '[.nodes[].outcome] | join(",")')" = "missing,missing,killed" ]
check "json: missing is an error naming it" [ "$(printf "%s\n" "$OUT" | jq -r '.nodes[1].error')" = "no session 'loop' on $N1" ]
expect_exit 0 "session.kill events" ch events --topic session.kill --json
check "6 session.kill events, 3 ok" [ "$(printf "%s\n" "$OUT" | jq -s -c '[length, ([.[] | select(.payload.ok)] | length)]')" = "[6,3]" ]

# attach
expect_exit 0 "attach --print" ch attach -t "$N2" --print nsh
check "the ssh argv" [ "$OUT" = "ssh -F $STATE/lab/ssh_config -t -p 22 -l root -- 127.$LAB_BASE.0.12 'tmux -L chimera attach-session -t =nsh'" ]
expect_exit 0 "attach --dry-run --json" ch attach -t "$N2" --dry-run --json nsh
check "json argv" [ "$(printf "%s\n" "$OUT" | jq -c '.argv[-3:]')" = "[\"--\",\"127.$LAB_BASE.0.12\",\"tmux -L chimera attach-session -t =nsh\"]" ]
check "json node and session" [ "$(printf "%s\n" "$OUT" | jq -r '"\(.node) \(.session)"')" = "$N2 nsh" ]
expect_exit 1 "attach to a missing session" ch attach -t "$N2" nope
check "names it and the node" contains "$ERR" "no session 'nope' on $N2"
expect_exit 2 "attach with a selector of 3 nodes" ch attach -t @lab nsh
check "says how many it matched" contains "$ERR" "-t '@lab' matches 3 nodes: attach needs exactly one"
expect_exit 2 "attach without a session" ch attach -t "$N2"
# A real attach through a pseudo-terminal: attached while we look, then C-b d detaches.
(sleep 3; printf '\002d'; sleep 3) | script -qfc "\"$CHIMERA\" --state-dir \"$STATE\" attach -t $N2 nsh" /dev/null > "$W/attach.out" 2>&1 &
APID=$!
sleep 2
check "while attached, sessions shows 1 client" [ "$(ch sessions -t "$N2" --json | jq '.sessions[] | select(.name == "nsh") | .attached')" = 1 ]
wait $APID
check "the client said it detached" grep -q 'detached (from session nsh)' "$W/attach.out"
check "after detaching: 0 clients, still there" [ "$(ch sessions -t "$N2" --json | jq '.sessions[] | select(.name == "nsh") | .attached')" = 0 ]

# This machine, with no -t: its own tmux (the private server of this test).
expect_exit 0 "run locally" ch run -s loc -- "echo local-ran > '$W/loc.out'; sleep 600"
check "reported for local" contains "$OUT" "local: started session loc"
for _ in $(seq 50); do [ -s "$W/loc.out" ] && break; sleep 0.1; done
check "the command ran here" [ "$(cat "$W/loc.out" 2>/dev/null)" = local-ran ]
check "in the private tmux server" [ "$(tmux -L chimera ls -F '#{session_name}')" = loc ]
expect_exit 1 "locally again: exists" ch run -s loc -- true
expect_exit 0 "sessions locally" ch sessions --json
check "lists loc on local" [ "$(printf "%s\n" "$OUT" | jq -r '.sessions[] | "\(.node) \(.name)"')" = "local loc" ]
expect_exit 0 "attach --print locally" ch attach --print loc
check "the local argv" [ "$OUT" = "tmux -L chimera attach-session -t =loc" ]
expect_exit 1 "attach locally to a missing one" ch attach nope
check "names it" contains "$ERR" "no session 'nope' on local"
expect_exit 0 "kill locally" ch sessions kill loc
check "gone from the private server" [ -z "$(tmux -L chimera ls -F '#{session_name}' 2>/dev/null)" ]
expect_exit 1 "kill locally again" ch sessions kill loc
check "names it" contains "$OUT" "no session 'loc' on local"

# A machine of chimera.toml runs in its own profile too (issue 16): the machine's profile
# and activation are its system's, never the session's; before the fix, run switched the
# system profile to the session's closure and activated it.
cat > "$W/chimera.toml" <<EOF
[machines.web-1]
target = "127.$LAB_BASE.0.11"
EOF
SYS1=$(on 1 'readlink -f /nix/var/nix/profiles/system 2>/dev/null || echo none')
GENS1=$(on 1 'ls -d /nix/var/nix/profiles/system-*-link 2>/dev/null | wc -l')
ACT1=$(on 1 'cat /nix/var/chimera-hello/activated 2>/dev/null || echo none')
expect_exit 0 "run -c on machine web-1 of chimera.toml" "$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" \
	run -t web-1 -s w5 -c "$HELLO" --argstr version 5 --json -- 'sleep 600'
W5=$(printf "%s\n" "$OUT" | jq -r .store_path)
check "web-1's run profile holds the session's closure" [ "$(on 1 'readlink -f /nix/var/nix/profiles/chimera/run-w5')" = "$W5" ]
check "its system profile is where it was ($SYS1)" [ "$(on 1 'readlink -f /nix/var/nix/profiles/system 2>/dev/null || echo none')" = "$SYS1" ]
check "with no new system generation" [ "$(on 1 'ls -d /nix/var/nix/profiles/system-*-link 2>/dev/null | wc -l')" = "$GENS1" ]
check "and nothing activated" [ "$(on 1 'cat /nix/var/chimera-hello/activated 2>/dev/null || echo none')" = "$ACT1" ]
expect_exit 0 "kill w5" ch sessions kill -t "$N1" w5

# Bad input.
expect_exit 2 "run without -s" ch run -t "$N0" -- true
check "asks for -s" contains "$ERR" "-s SESSION"
expect_exit 2 "a bad session name" ch run -t "$N0" -s 'a.b' -- true
check "names it and the form" contains "$ERR" "bad session name 'a.b': expected 1 to 64 of A-Z a-z 0-9 _ -"
expect_exit 2 "no command" ch run -t "$N0" -s x
expect_exit 2 "--nix-shell with -c" ch run -t "$N0" -s x -c "$HELLO" --nix-shell "$W/shell.nix" -- true
expect_exit 1 "a missing --nix-shell file" ch run -t "$N0" -s x --nix-shell "$W/nope.nix" -- true
check "names the file" contains "$ERR" "cannot read --nix-shell file '$W/nope.nix'"
expect_exit 2 "an unknown sessions action" ch sessions stop x
check "names it" contains "$ERR" "unknown action 'stop': expected list or kill"
expect_exit 2 "sessions kill without a name" ch sessions kill -t "$N0"
expect_exit 2 "sessions kill with a bad name" ch sessions kill -t "$N0" 'x y'
check "quotes it" contains "$ERR" "bad session name 'x y'"
expect_exit 0 "run --help" ch run --help
check "help names the socket" contains "$OUT" "tmux -L chimera"
expect_exit 0 "sessions --help" ch sessions --help
expect_exit 0 "attach --help" ch attach --help

expect_exit 0 "session.start events" ch events --topic session.start --json
check "each records ok, outcome and session" [ "$(printf "%s\n" "$OUT" | jq -s '[.[] | select((.payload.ok | type) == "boolean" and (.payload.outcome | type) == "string" and (.payload.session | type) == "string")] | length > 15')" = true ]
expect_exit 0 "the ledger verifies" ch ledger verify
finish
