#!/bin/sh
# chimera deploy, status and generations on lab nodes: a real build, real copies, real
# switches and activations; re-deploys, dry runs, dead, stopped and failing nodes, refused
# input, build errors, the local target, and the ledger events of each.
. "$E2E_DIR/lib.sh"
LAB_BASE=203
start
W="$E2E_WORK/$TEST_NAME"
# Nix on this machine: offline, no build users, no sandbox.
nix_offline
HELLO="$E2E_DIR/../../examples/hello/default.nix"

# A stopped sshd must be continued whatever happens, or lab down would hang on it.
STOPPED=
trap 'if [ -n "$STOPPED" ]; then kill -CONT "$STOPPED" 2>/dev/null; fi; cleanup' EXIT
trap 'exit 130' INT TERM

N() { echo "root@127.$LAB_BASE.0.1$1:22"; }
on() { i=$1; shift; ssh -F "$STATE/lab/ssh_config" "127.$LAB_BASE.0.1$i" "$@"; }
# The hello marker of every node, space separated ("-" where there is none).
# Run a shell command on every node at once; print each node's first output line, in node
# order, space separated ("-" for a node that printed nothing or could not be reached).
each() {
	for i in 0 1 2 3 4; do on "$i" "$1" >"$W/each.$i" 2>/dev/null </dev/null & done
	wait
	for i in 0 1 2 3 4; do m=$(head -1 "$W/each.$i"); printf '%s ' "${m:--}"; done
}
markers() { each 'cat /nix/var/chimera-hello/activated'; }
sshd_pid() { ch lab status --json | jq -r ".list[$1].pid"; }
# Per node: current generation, number of generations, current path.
gens() { ch generations --json -t @lab 2>/dev/null | jq -c '[.nodes[] | [.node, .current, (.generations | length), (.generations[] | select(.current) | .path)]]'; }
# A field of one node in the JSON in $OUT.
node_field() { printf "%s\n" "$OUT" | jq -r --arg n "$1" ".nodes[] | select(.node == \$n) | $2"; }
nodes_with() { printf "%s\n" "$OUT" | jq "[.nodes[] | select($1)] | length"; }
count_events() { ch events --json "$@" | wc -l; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

expect_exit 0 "lab up 5" ch lab up 5 --base $LAB_BASE
ROOT=$(lab_root)	# where the nodes' files are seen from here
accepted() { cat "$ROOT"/node-*/sshd.log | grep -c 'Accepted publickey'; }

# 1. The first deploy: built once, copied and activated everywhere.
expect_exit 0 "deploy hello 1 to @lab" ch deploy -t @lab -c "$HELLO" --argstr version 1
check "the summary says 5 deployed, 0 failed" contains "$OUT" "5 nodes: 5 deployed, 0 failed"
check "every node's line says deployed" [ "$(printf "%s\n" "$OUT" | grep -c '^root@127\.'$LAB_BASE'\.0\.1[0-4]:22  *deployed ')" = 5 ]
P1=$(printf "%s\n" "$OUT" | sed -n 's|^deployment [0-9A-Z]*: \(/nix/store/[^ ]*-hello-1\) .*|\1|p')
check "the header names the built store path ($P1)" test -d "${P1:-/nonexistent}"
check "each node's activation wrote version 1" [ "$(markers)" = "1 1 1 1 1 " ]
check "each node's profile points at the path" [ "$(each 'readlink -f /nix/var/nix/profiles/system')" = "$P1 $P1 $P1 $P1 $P1 " ]

# 2. status against version 1.
expect_exit 0 "status --expect hello 1" ch status -t @lab --expect "$P1"
check "5 congruent" [ "$(printf "%s\n" "$OUT" | grep -c ' congruent$')" = 5 ]
check "the summary counts 5 congruent" contains "$OUT" "5 nodes: 5 congruent, 0 drifted, 0 unreachable"
expect_exit 0 "status --json, building the expected path with -c" ch status --json -t @lab -c "$HELLO" --argstr version 1
check "json: expected is the built path" [ "$(printf "%s\n" "$OUT" | json .expected)" = "$P1" ]
check "json: not cached" [ "$(printf "%s\n" "$OUT" | json .cached)" = false ]
check "json: 5 nodes congruent on $P1, no reason" \
	[ "$(nodes_with ".state == \"congruent\" and .actual == \"$P1\" and .reason == null")" = 5 ]
check "json: nodes in target order" [ "$(printf "%s\n" "$OUT" | jq -r '.nodes[4].node')" = "$(N 4)" ]
check "status recorded a node.observed event per node" [ "$(count_events --topic node.observed)" -ge 10 ]

# 5. The same path again copies and switches nothing.
expect_exit 0 "deploy hello 1 again (--json)" ch deploy --json -t @lab -c "$HELLO" --argstr version 1
D_AGAIN=$(printf "%s\n" "$OUT" | json .deployment)
check "json: every node copied 0 paths, 0 bytes" [ "$(nodes_with '.copy.paths == 0 and .copy.bytes == 0')" = 5 ]
check "json: every node's previous was the same path, nothing to switch" [ "$(nodes_with ".previous == \"$P1\" and .would_switch == false and .outcome == \"deployed\"")" = 5 ]
check "json: the summary says 5 ok" [ "$(printf "%s\n" "$OUT" | jq -c .summary | jq -r '"\(.nodes) \(.ok) \(.failed)"')" = "5 5 0" ]
expect_exit 0 "events of that deployment" ch events --deployment "$D_AGAIN" --json
check "5 node.copy.complete events, all with paths 0" [ "$(printf "%s\n" "$OUT" | jq -s '[.[] | select(.topic == "node.copy.complete" and .payload.paths == 0 and .payload.bytes == 0)] | length')" = 5 ]
check "no node.copy.complete with paths > 0" [ "$(printf "%s\n" "$OUT" | jq -s '[.[] | select(.topic == "node.copy.complete" and .payload.paths > 0)] | length')" = 0 ]
check "starts with deploy.initiated, ends with chimera.deploy.complete success" \
	[ "$(printf "%s\n" "$OUT" | jq -s -r '"\(.[0].topic) \(.[-1].topic) \(.[-1].payload.result)"')" = "deploy.initiated chimera.deploy.complete success" ]
check "no new generation was made" [ "$(gens | jq '[.[] | select(.[1] == 1 and .[2] == 1)] | length')" = 5 ]

# 3. A second version makes a second generation everywhere.
expect_exit 0 "deploy hello 2" ch deploy --json -t @lab -c "$HELLO" --argstr version 2
P2=$(printf "%s\n" "$OUT" | json .path)
check "json: every node copied the 2-path closure and was on hello 1 before" [ "$(nodes_with ".copy.paths == 2 and .copy.bytes > 0 and .previous == \"$P1\" and .outcome == \"deployed\"")" = 5 ]
check "markers say 2" [ "$(markers)" = "2 2 2 2 2 " ]
expect_exit 0 "generations (text)" ch generations -t @lab
check "every node has 2 generations" [ "$(printf "%s\n" "$OUT" | grep -c ': 2 generations$')" = 5 ]
check "generation 2 is current on every node, on hello 2" [ "$(printf "%s\n" "$OUT" | grep -c "^ *2  .*  $P2  (current)\$")" = 5 ]
check "generation 1 is listed on every node, on hello 1, not current" [ "$(printf "%s\n" "$OUT" | grep -c "^ *1  [0-9-]*T[0-9:]*Z  $P1\$")" = 5 ]
expect_exit 0 "generations --json" ch generations --json -t @lab
check "json: every node ok, current 2, 2 generations" [ "$(nodes_with '.ok and .current == 2 and (.generations | length) == 2 and .error == null')" = 5 ]
check "json: generation 1 -> hello 1, generation 2 -> hello 2 (current)" \
	[ "$(nodes_with ".generations[0].generation == 1 and .generations[0].path == \"$P1\" and (.generations[0].current | not) and .generations[1].generation == 2 and .generations[1].path == \"$P2\" and .generations[1].current")" = 5 ]

# 6. A dry run reports what it would copy and changes nothing.
BEFORE=$(gens)
expect_exit 0 "deploy --dry-run hello 3" ch deploy --dry-run -t @lab -c "$HELLO" --argstr version 3
check "text: 5 planned, would copy 2 paths" [ "$(printf "%s\n" "$OUT" | grep -c ' planned   2 paths, ')" = 5 ]
check "text: says it would switch from hello 2" [ "$(printf "%s\n" "$OUT" | grep -c "would switch $P2 -> ")" = 5 ]
expect_exit 0 "deploy --dry-run --json hello 3" ch deploy --dry-run --json -t @lab -c "$HELLO" --argstr version 3
P3=$(printf "%s\n" "$OUT" | json .path)
D_DRY=$(printf "%s\n" "$OUT" | json .deployment)
check "json: dry_run true" [ "$(printf "%s\n" "$OUT" | json .dry_run)" = true ]
check "json: every node planned, would copy > 0 paths and bytes, would switch from hello 2" \
	[ "$(nodes_with ".outcome == \"planned\" and .copy.paths > 0 and .copy.bytes > 0 and .would_switch and .previous == \"$P2\"")" = 5 ]
check "generations are unchanged" [ "$(gens)" = "$BEFORE" ]
check "markers still say 2" [ "$(markers)" = "2 2 2 2 2 " ]
check "hello 3 was not copied to any node" [ "$(each "if test -e $P3; then echo there; else echo absent; fi")" = "absent absent absent absent absent " ]
expect_exit 0 "status: still all on hello 2" ch status -t @lab --expect "$P2"
check "the dry run's ledger records no copy, switch, activation or node deploy" \
	[ "$(ch events --deployment "$D_DRY" --json | jq -s '[.[] | select(.topic | test("^node\\.(copy|switch|activate|deploy)"))] | length')" = 0 ]
check "and says dry_run in chimera.deploy.complete" [ "$(ch events --deployment "$D_DRY" --topic chimera.deploy.complete --json | jq -r .payload.dry_run)" = true ]

# 12. --json is one JSON document.
expect_exit 0 "deploy hello 2 again --json" ch deploy --json -t @lab -c "$HELLO" --argstr version 2
check "stdout is one valid JSON document" sh -c 'printf "%s\n" "$1" | jq -e . >/dev/null && [ "$(printf "%s\n" "$1" | jq -s length)" = 1 ]' - "$OUT"

# 7. One node's sshd killed: the others deploy, it fails at connect.
kill "$(sshd_pid 1)"
sleep 0.2
expect_exit 3 "deploy hello 3 with node 1's sshd killed (text)" ch deploy -t @lab -c "$HELLO" --argstr version 3
check "the summary says 4 deployed, 1 failed" contains "$OUT" "5 nodes: 4 deployed, 1 failed"
check "node 1's line says failed" [ -n "$(printf "%s\n" "$OUT" | grep "^$(N 1)  *failed ")" ]
check "it failed at connect" contains "$OUT" "failed at connect: $(N 1): cannot connect"
expect_exit 3 "deploy hello 4 with node 1's sshd killed (--json)" ch deploy --json -t @lab -c "$HELLO" --argstr version 4
P4=$(printf "%s\n" "$OUT" | json .path)
D_DEAD=$(printf "%s\n" "$OUT" | json .deployment)
check "json: 4 deployed" [ "$(nodes_with '.outcome == "deployed"')" = 4 ]
check "json: node 1 failed at step connect" [ "$(node_field "$(N 1)" '"\(.outcome) \(.failed_step)"')" = "failed connect" ]
check "json: summary 4 ok, 1 failed" [ "$(printf "%s\n" "$OUT" | jq -r '"\(.summary.ok) \(.summary.failed)"')" = "4 1" ]
check "ledger: node.failed for node 1 with step connect in that deployment" \
	[ "$(ch events --deployment "$D_DEAD" --topic node.failed --json | jq -r '"\(.node) \(.payload.step)"')" = "$(N 1) connect" ]
check "ledger: chimera.deploy.complete says 4 ok, 1 failed" \
	[ "$(ch events --deployment "$D_DEAD" --topic chimera.deploy.complete --json | jq -r '"\(.payload.ok) \(.payload.failed)"')" = "4 1" ]
check "the others are on hello 4, node 1 unreachable" [ "$(markers)" = "4 - 4 4 4 " ]
expect_exit 0 "lab up 5 restarts node 1" ch lab up 5
check "node 1 kept its store: still on hello 2" [ "$(on 1 cat /nix/var/chimera-hello/activated)" = 2 ]
expect_exit 0 "deploy hello 4 to node 1 catches it up" ch deploy -t "$(N 1)" --expect "$P4"

# 8. One node's sshd stopped (SIGSTOP): it times out at connect, the rest is not held up.
STOPPED=$(sshd_pid 2)
kill -STOP "$STOPPED"
T0=$(date +%s%N)
expect_exit 3 "deploy hello 5 with node 2's sshd stopped, --connect-timeout 3" ch deploy --json --connect-timeout 3 -t @lab -c "$HELLO" --argstr version 5
MS=$(ms_since "$T0")
P5=$(printf "%s\n" "$OUT" | json .path)
check "finished within connect-timeout + 5 s (took $MS ms)" [ "$MS" -lt 8000 ]
check "it did wait for the connect timeout ($MS ms >= 2900)" [ "$MS" -ge 2900 ]
check "json: node 2 failed at connect" [ "$(node_field "$(N 2)" '"\(.outcome) \(.failed_step)"')" = "failed connect" ]
check "json: its error says the connect timed out after 3s" contains "$(node_field "$(N 2)" .error)" "timed out after 3s"
check "json: the other 4 deployed" [ "$(nodes_with '.outcome == "deployed"')" = 4 ]
T0=$(date +%s%N)
expect_exit 3 "status with node 2's sshd stopped, --connect-timeout 3" ch status --json --connect-timeout 3 -t @lab --expect "$P5"
MS=$(ms_since "$T0")
check "status finished within connect-timeout + 5 s (took $MS ms)" [ "$MS" -lt 8000 ]
check "json: node 2 unreachable, the reason says timed out" [ "$(node_field "$(N 2)" '"\(.state) \(.reason | contains("timed out after 3s"))"')" = "unreachable true" ]
check "json: the other 4 congruent on hello 5" [ "$(nodes_with ".state == \"congruent\" and .actual == \"$P5\"")" = 4 ]
kill -CONT "$STOPPED"
STOPPED=
check "node 2, continued, answers again and is still on hello 4" [ "$(on 2 cat /nix/var/chimera-hello/activated)" = 4 ]

# 9. Activation failing on one node: it is put back on its previous generation.
FAILNIX="$W/failing.nix"
cat > "$FAILNIX" <<'EOF'
# bin/activate fails (exit 42, with a message on stderr) on a node holding /nix/var/fail-activation.
{ tag ? "a" }:
derivation {
  name = "failing-${tag}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  inherit tag;
  args = [ "-c" ''
    /bin/mkdir -p $out/bin
    {
      echo '#!/bin/sh'
      echo 'if [ -e /nix/var/fail-activation ]; then echo "activation refused on this node" >&2; exit 42; fi'
      echo '/bin/mkdir -p /nix/var/chimera-hello'
      echo 'echo failing-'"$tag"' > /nix/var/chimera-hello/activated'
    } > $out/bin/activate
    /bin/chmod +x $out/bin/activate
  '' ];
}
EOF
ch deploy -t @lab --expect "$P5" >/dev/null 2>&1   # every node on hello 5 first
on 3 touch /nix/var/fail-activation
GEN3=$(ch generations --json -t "$(N 3)" 2>/dev/null | jq .nodes[0].current)
expect_exit 3 "deploy a configuration whose activation fails on node 3 (text)" ch deploy -t @lab -c "$FAILNIX" --argstr tag a
check "node 3 failed at activate with exit 42" contains "$OUT" "failed at activate (exit 42)"
check "its stderr tail is shown" contains "$OUT" "! activation refused on this node"
check "it says the profile was put back" contains "$OUT" "put back on the previous generation $GEN3"
check "the summary says 4 deployed, 1 failed" contains "$OUT" "5 nodes: 4 deployed, 1 failed"
expect_exit 3 "the same with --json" ch deploy --json -t @lab -c "$FAILNIX" --argstr tag b
D_ACT=$(printf "%s\n" "$OUT" | json .deployment)
PB=$(printf "%s\n" "$OUT" | json .path)
check "json: node 3 failed at activate, status 42" [ "$(node_field "$(N 3)" '"\(.outcome) \(.failed_step) \(.status)"')" = "failed activate 42" ]
check "json: its stderr_tail has the message" contains "$(node_field "$(N 3)" .stderr_tail)" "activation refused on this node"
check "json: restored_previous is true, previous was hello 5" [ "$(node_field "$(N 3)" '"\(.restored_previous) \(.previous)"')" = "true $P5" ]
check "json: the other 4 deployed" [ "$(nodes_with '.outcome == "deployed"')" = 4 ]
expect_exit 0 "status: node 3 is back on hello 5" ch status -t "$(N 3)" --expect "$P5"
check "on its previous generation ($GEN3)" [ "$(ch generations --json -t "$(N 3)" | jq .nodes[0].current)" = "$GEN3" ]
expect_exit 3 "status --json against the new path: 4 congruent, node 3 drifted" ch status --json -t @lab --expect "$PB"
check "node 3 drifted, on hello 5" [ "$(node_field "$(N 3)" '"\(.state) \(.actual)"')" = "drifted $P5" ]
check "the other 4 congruent" [ "$(nodes_with '.state == "congruent"')" = 4 ]
check "node 3's marker still says 5, the others failing-b" [ "$(markers)" = "failing-b failing-b failing-b 5 failing-b " ]
check "ledger: node.failed for node 3, step activate, status 42, restored" \
	[ "$(ch events --deployment "$D_ACT" --topic node.failed --json | jq -r '"\(.node) \(.payload.step) \(.payload.status) \(.payload.restored)"')" = "$(N 3) activate 42 1" ]
on 3 rm /nix/var/fail-activation

# 9b. An activation that hangs on node 3 is cut at --timeout and that node is put back too.
on 3 touch /nix/var/hang-activation
T0=$(date +%s%N)
expect_exit 3 "deploy hello 6 whose activation hangs on node 3, --timeout 3" ch deploy --json -t @lab -c "$HELLO" \
	--argstr version 6 --timeout 3 \
	--activate 'case "$1" in *-hello-6) if [ -e /nix/var/hang-activation ]; then sleep 30; fi;; esac; exec "$1/bin/activate"'
MS=$(ms_since "$T0")
check "node 3 failed at activate, timed out" [ "$(node_field "$(N 3)" '"\(.failed_step) \(.error | test("timed out after 3s"))"')" = "activate true" ]
check "json: node 3 restored_previous is true" [ "$(node_field "$(N 3)" .restored_previous)" = true ]
check "the other 4 deployed" [ "$(nodes_with '.outcome == "deployed"')" = 4 ]
check "the run was not held up by the hang (${MS} ms < 20000)" [ "$MS" -lt 20000 ]
expect_exit 0 "status: node 3 is back on hello 5" ch status -t "$(N 3)" --expect "$P5"
on 3 rm /nix/var/hang-activation

# 9c. A path on disk that Nix never registered (an interrupted import) is not taken for a
# copy: nix-env refuses it at switch, chimera asks Nix what is invalid and sends it.
PI=$(nix-build "$FAILNIX" --argstr tag unregistered --no-out-link 2>/dev/null)
on 2 "mkdir -p $PI/bin && echo junk > $PI/junk"
expect_exit 0 "deploy a path that node 2 holds unregistered" ch deploy --json -t @lab --expect "$PI"
check "node 2 deployed it anyway" [ "$(node_field "$(N 2)" .outcome)" = deployed ]
check "node 2's copy of it is now valid and the junk gone" on 2 "nix-store --check-validity $PI && test ! -e $PI/junk"
check "no node was sent more than the closure" [ "$(nodes_with '.copy.paths == 1')" = 5 ]

# 9d. A closure whose paths do not fit on one command line (sshd takes 256 KiB): the list
# goes to the node as a file, read by the check and removed after.
WIDENIX="$W/wide.nix"
cat > "$WIDENIX" <<'EOF'
# 900 outputs with long names (about 150 KiB of paths) and one path that refers to all of them.
let
  names = builtins.genList (i: "o${toString i}") 900;
  wide = derivation {
    name = "chimera-wide-closure-with-a-deliberately-long-name-so-that-its-store-paths-fill-a-command-line-quickly";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    outputs = names;
    args = [ "-c" ''for o in $outputs; do eval "/bin/mkdir -p \"\$$o\""; done'' ];
  };
in
derivation {
  name = "wide-top";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  refs = map (o: wide.${o}) names;
  passAsFile = [ "refs" ];
  args = [ "-c" "/bin/mkdir -p $out && /bin/cp $refsPath $out/refs" ];
}
EOF
PW=$(nix-build "$WIDENIX" --no-out-link 2>"$W/wide.log") || { tail -n 5 "$W/wide.log"; PW=/nonexistent; }
check "the wide closure has 901 paths" [ "$(nix-store -qR "$PW" | wc -l)" = 901 ]
check "and more than 128 KiB of names" [ "$(nix-store -qR "$PW" | wc -c)" -gt 131072 ]
expect_exit 0 "deploy the wide closure to nodes 0 and 1" ch deploy --json -t "$(N 0),$(N 1)" --expect "$PW" --activate none
check "both deployed, all 901 paths sent to each" [ "$(nodes_with '.outcome == "deployed" and .copy.paths == 901')" = 2 ]
check "node 0 holds every path, valid" on 0 "nix-store --check-validity \$(cat $PW/refs) $PW"
check "no list file is left on the nodes" [ "$(on 0 'ls /tmp' | grep -c chimera-paths)$(on 1 'ls /tmp' | grep -c chimera-paths)" = 00 ]
expect_exit 0 "status: both congruent" ch status -t "$(N 0),$(N 1)" --expect "$PW"
expect_exit 0 "a second deploy of it sends nothing" ch deploy --json -t "$(N 0)" --expect "$PW" --activate none
check "0 paths copied" [ "$(nodes_with '.copy.paths == 0')" = 1 ]

# 13. A build error: exit 1 with Nix's own message, nothing contacted.
printf '{ version ? "1" }:\nderivation { name = "x" ;; }\n' > "$W/broken.nix"
A0=$(accepted)
expect_exit 1 "deploy a Nix file with a syntax error" ch deploy -t @lab -c "$W/broken.nix"
check "Nix's error is shown" contains "$ERR" "syntax error, unexpected ';'"
check "with the file and position" contains "$ERR" "$W/broken.nix:2:"
expect_exit 1 "the same with --json" ch deploy --json -t @lab -c "$W/broken.nix"
check "json: one document, ok false, the Nix error" [ "$(printf "%s\n" "$OUT" | jq -r '"\(.ok) \(.error | contains("syntax error"))"')" = "false true" ]
expect_exit 1 "status -c on the broken file" ch status -t @lab -c "$W/broken.nix"
check "no node was contacted" [ "$(accepted)" = "$A0" ]

# 11. Bad input is refused before any connection and before the ledger hears of it.
I0=$(count_events --topic deploy.initiated)
E0=$(count_events)
A0=$(accepted)
refused() { # DESCRIPTION NEEDLE ARGS...
	d=$1; needle=$2; shift 2
	expect_exit 2 "$d" ch "$@"
	check "  the error names '$needle'" contains "$ERR" "$needle"
}
refused "a target with ';'" "root@127.0.0.1;touch /tmp/pwned" deploy -t 'root@127.0.0.1;touch /tmp/pwned' --expect "$P1"
refused "a target with \$(...)" '$(id)' deploy -t '$(id)' --expect "$P1"
refused "a lab target list with a bad element" 'a`b`' deploy -t "@lab,a\`b\`" --expect "$P1"
refused "-A with ';'" "a;b" deploy -t @lab -c "$HELLO" -A 'a;b'
refused "-A with \$(...)" '$(x)' deploy -t @lab -c "$HELLO" -A '$(x)'
refused "a relative --profile" "rel/path" deploy -t @lab --expect "$P1" --profile rel/path
refused "a --profile with '..'" "/a/../b" deploy -t @lab --expect "$P1" --profile /a/../b
refused "a --profile with ';'" "/x;y" deploy -t @lab --expect "$P1" --profile '/x;y'
refused "an --expect outside the store" "/tmp/foo" deploy -t @lab --expect /tmp/foo
refused "an --expect with ';'" "$P1;x" deploy -t @lab --expect "$P1;x"
refused "an --expect with '..'" "$P1/../.." deploy -t @lab --expect "$P1/../.."
refused "status: a bad target" '$(id)' status -t '$(id)' --expect "$P1"
refused "status: a bad --profile" "/x;y" status -t @lab --expect "$P1" --profile '/x;y'
refused "generations: a bad target" "h;reboot" generations -t 'h;reboot'
refused "generations: a bad --profile" "rel/path" generations -t @lab --profile rel/path
check "no deploy.initiated was added" [ "$(count_events --topic deploy.initiated)" = "$I0" ]
check "no event at all was added" [ "$(count_events)" = "$E0" ]
check "no node was contacted" [ "$(accepted)" = "$A0" ]
check "and nothing ran the injected command" [ ! -e /tmp/pwned ]

# 12. Exit 1 when no node is deployed: every sshd down.
for i in 0 1 2 3 4; do kill "$(sshd_pid $i)"; done
sleep 0.3
expect_exit 1 "deploy with every node's sshd down" ch deploy --json -t @lab --expect "$P1"
check "json: one document, 0 ok, 5 failed at connect" [ "$(printf "%s\n" "$OUT" | jq -s -r '"\(length) \(.[0].summary.ok) \([.[0].nodes[] | select(.failed_step == "connect")] | length)"')" = "1 0 5" ]
expect_exit 1 "status with every node down: exit 1, as every command that reached no node (issue 16)" ch status -t @lab --expect "$PB"
check "5 unreachable" contains "$OUT" "0 congruent, 0 drifted, 5 unreachable"
expect_exit 1 "generations with every node down" ch generations -t @lab
expect_exit 0 "status --cached answers from the ledger with every node down" ch status --cached --json -t @lab
check "cached: nodes 0 and 1 last seen on the wide closure of 9d, the rest on the path of 9c" \
	[ "$(printf "%s\n" "$OUT" | jq -r --arg p "$PI" --arg w "$PW" '"\([.nodes[] | select(.actual == $w)] | length) \([.nodes[] | select(.actual == $p)] | length)"')" = "2 3" ]
check "cached: all congruent with what chimera put there" [ "$(nodes_with '.state == "congruent"')" = 5 ]
expect_exit 0 "lab up 5 again" ch lab up 5

# 14. The local target: no SSH, the controller's own store and a profile of our choosing.
A0=$(accepted)
expect_exit 0 "deploy -t local to a profile in the work dir" ch deploy --json -t local --expect "$P1" --profile "$W/profiles/test" --activate none
check "json: local deployed, nothing to copy, activation none" [ "$(node_field local '"\(.outcome) \(.copy.paths) \(.activation)"')" = "deployed 0 none" ]
check "the profile link points at the path" [ "$(readlink -f "$W/profiles/test")" = "$P1" ]
check "no lab node was contacted" [ "$(accepted)" = "$A0" ]
expect_exit 0 "status -t local" ch status -t local --expect "$P1" --profile "$W/profiles/test"
check "local is congruent" contains "$OUT" "local                          congruent"
expect_exit 0 "deploy -t local hello 2" ch deploy -t local --expect "$P2" --profile "$W/profiles/test" --activate none
expect_exit 0 "generations -t local --json" ch generations --json -t local --profile "$W/profiles/test"
check "local: 2 generations, 2 current on hello 2" [ "$(node_field local '"\(.current) \(.generations | length) \(.generations[1].path)"')" = "2 2 $P2" ]
check "the controller's own system profile was not touched" [ "$(readlink -f /nix/var/nix/profiles/system 2>/dev/null)" != "$P2" ]

# The deployments projection: every deploy in the ledger, and one of them node by node.
expect_exit 0 "deployments --json" ch deployments --json
check "the activation deployment is listed as partial, 4 ok, 1 failed" \
	[ "$(printf "%s\n" "$OUT" | jq -r --arg d "$D_ACT" '.deployments[] | select(.deployment == $d) | "\(.result) \(.ok) \(.failed)"')" = "partial 4 1" ]
check "deployments are in time order, oldest first" \
	[ "$(printf "%s\n" "$OUT" | jq '[.deployments[].time] | . == sort')" = true ]
expect_exit 0 "deployments show" ch deployments show "$D_ACT" --json
check "show: node 3 failed at activate, the others deployed" \
	[ "$(printf "%s\n" "$OUT" | jq -r '[.outcomes[] | "\(.outcome)/\(.step)"] | join(" ")')" = "deployed/null deployed/null deployed/null failed/activate deployed/null" ]
expect_exit 2 "deployments show of an unknown id" ch deployments show 01AAAAAAAAAAAAAAAAAAAAAAAA

expect_exit 0 "the ledger verifies" ch ledger verify
expect_exit 0 "lab down" ch lab down
finish
