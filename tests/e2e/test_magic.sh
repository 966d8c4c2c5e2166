#!/bin/sh
# Magic rollback: a configuration whose activation locks the controller out (it moves the
# node's authorized_keys away) is undone by the node itself, because chimera cannot confirm
# over a new connection; nodes that confirm keep the new configuration. Then health checks
# after deploy: a node failing one goes back to its previous generation.
. "$E2E_DIR/lib.sh"
LAB_BASE=205
start
W="$E2E_WORK/$TEST_NAME"
nix_offline

N() { echo "root@127.$LAB_BASE.0.1$1:22"; }
on() { i=$1; shift; ssh -F "$STATE/lab/ssh_config" -o ConnectTimeout=5 "127.$LAB_BASE.0.1$i" "$@"; }
node_field() { printf "%s\n" "$OUT" | jq -r --arg n "$1" ".nodes[] | select(.node == \$n) | $2"; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# Dead-man processes (the switch's sh and its sleep) inside this test's nodes.
deadmen() {
	c=0
	for p in $(pgrep -f 'chimera-deadman|^sleep [0-9]+$'); do
		for i in 0 1 2; do
			if [ /proc/$p/root/nix -ef "$ROOT/node-000$i/nix" ]; then c=$((c + 1)); fi
		done
	done
	echo $c
}

# cut=yes moves authorized_keys away on a node holding /nix/var/cut-me; cut=no puts it back.
cat > "$W/magic.nix" <<'EOF'
{ tag, cut ? "no" }:
derivation {
  name = "magic-${tag}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  inherit tag cut;
  args = [ "-c" ''
    /bin/mkdir -p $out/bin
    {
      echo '#!/bin/sh'
      echo 'set -e'
      echo 'k=/root/.ssh/authorized_keys'
      echo 'if [ "'"$cut"'" = yes ] && [ -e /nix/var/cut-me ]; then /bin/mv "$k" "$k.cut"; fi'
      echo 'if [ "'"$cut"'" = no ] && [ -e "$k.cut" ]; then /bin/mv "$k.cut" "$k"; fi'
      echo '/bin/mkdir -p /nix/var/chimera-magic'
      echo 'echo '"$tag"' > /nix/var/chimera-magic/activated'
    } > $out/bin/activate
    /bin/chmod +x $out/bin/activate
  '' ];
}
EOF
build() { nix-build --no-out-link "$W/magic.nix" --argstr tag "$1" --argstr cut "$2" 2>>"$W/build.log"; }
GOOD=$(build good no)
BAD=$(build bad yes)
check "built both versions" [ -d "$GOOD" -a -d "$BAD" ]

expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
ROOT=$(lab_root)	# where the nodes' files are seen from here
expect_exit 0 "deploy the good version everywhere" ch deploy -t @lab --expect "$GOOD" --confirm-timeout 5
on 1 'touch /nix/var/cut-me'

# The bad version: node 1 locks the controller out; the others confirm.
T0=$(date +%s%N)
expect_exit 3 "deploy the lock-out version, --confirm-timeout 5" ch deploy --json -t @lab --expect "$BAD" --confirm-timeout 5
MS=$(ms_since "$T0")
check "node 1: failed, rolled back by the node" [ "$(node_field "$(N 1)" '"\(.outcome) \(.rolled_back_by_node) \(.failed_step)"')" = "failed true confirm" ]
check "node 1's error says so" contains "$(node_field "$(N 1)" .error)" "rolled itself back to generation 1"
check "nodes 0 and 2 deployed" [ "$(node_field "$(N 0)" .outcome) $(node_field "$(N 2)" .outcome)" = "deployed deployed" ]
check "the deploy ended within confirm-timeout + 10 s + the rest (${MS} ms < 25000)" [ "$MS" -lt 25000 ]
check "node 1 is reachable again" on 1 true
check "node 1 is back on the good version" [ "$(on 1 'readlink -f /nix/var/nix/profiles/system')" = "$GOOD" ]
check "node 1 ran the good activation again" [ "$(on 1 'cat /nix/var/chimera-magic/activated')" = good ]
expect_exit 0 "status: node 1 congruent with the good version" ch status -t "$(N 1)" --expect "$GOOD"
expect_exit 0 "events: the node's own rollback" ch events --json --topic chimera.rollback.triggered
check "chimera.rollback.triggered by the node, for node 1" \
	[ "$(printf '%s\n' "$OUT" | jq -r 'select(.payload.by == "node") | .node' | sort -u)" = "$(N 1)" ]
expect_exit 0 "events: node.rollback.complete" ch events --json --topic node.rollback.complete
check "node.rollback.complete ok, by the node" \
	[ "$(printf '%s\n' "$OUT" | jq -r 'select(.payload.by == "node") | "\(.payload.ok) \(.payload.generation)"')" = "true 1" ]

# The confirmed nodes keep the new version after their switch was due.
sleep 6
check "nodes 0 and 2 still on the new version after the confirm timeout" \
	[ "$(on 0 'readlink -f /nix/var/nix/profiles/system') $(on 2 'readlink -f /nix/var/nix/profiles/system')" = "$BAD $BAD" ]
GOOD2=$(build good2 no)
expect_exit 0 "deploy a third version to nodes 0 and 2, --confirm-timeout 60" \
	ch deploy -t "$(N 0),$(N 2)" --expect "$GOOD2" --confirm-timeout 60
check "confirming stopped their dead-man switches at once" [ "$(deadmen)" = 0 ]
check "no dead-man directory is left on any node" \
	[ "$(for i in 0 1 2; do on "$i" 'ls /tmp /nix/var/chimera/deadman 2>/dev/null'; done | grep -c 'chimera-confirm\|^[0-9A-Z]*\.')" = 0 ]

# Without magic rollback the same version leaves node 1 locked out: what the switch is for.
expect_exit 0 "deploy the lock-out version to node 1 with --no-magic-rollback" \
	ch deploy -t "$(N 1)" --expect "$BAD" --no-magic-rollback
expect_fail "node 1 now refuses the controller" on 1 true
mv "$ROOT/node-0001/home/.ssh/authorized_keys.cut" "$ROOT/node-0001/home/.ssh/authorized_keys"
check "keys put back by hand: node 1 answers" on 1 true

# The dead-man switch is not armed when there is no previous generation to go back to.
on 2 'rm -f /nix/var/nix/profiles/system*'
expect_exit 0 "a first deploy to an empty profile" ch deploy --json -t "$(N 2)" --expect "$GOOD" --confirm-timeout 5
check "deployed" [ "$(node_field "$(N 2)" .outcome)" = deployed ]
check "without a dead-man directory" [ "$(on 2 'ls /tmp /nix/var/chimera/deadman 2>/dev/null' | grep -c 'chimera-confirm\|^[0-9A-Z]*\.')" = 0 ]
# Health checks after deploy: nodes 0 and 2 answer HTTP on port 8080, node 1 does not.
HTTPD=""
trap 'for h in $HTTPD; do kill "$h" 2>/dev/null; done; cleanup' EXIT
for i in 0 2; do
	/usr/bin/python3 -m http.server --bind "127.$LAB_BASE.0.1$i" --directory "$W" 8080 >"$W/httpd.$i.log" 2>&1 &
	HTTPD="$HTTPD $!"
done
for i in 0 2; do
	n=0
	until curl -s -o /dev/null "http://127.$LAB_BASE.0.1$i:8080/" || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
done
expect_exit 0 "the good version everywhere first" ch deploy -t @lab --expect "$GOOD" --confirm-timeout 5
expect_exit 3 "deploy with --check http:http://{host}:8080/ --check-retries 1" \
	ch deploy --json -t @lab --expect "$GOOD2" --confirm-timeout 5 --check 'http:http://{host}:8080/' --check-retries 1 --check-timeout 2
check "node 1 failed at health" [ "$(node_field "$(N 1)" '"\(.outcome) \(.failed_step) \(.restored_previous)"')" = "failed health true" ]
check "its error names the check and what it saw" contains "$(node_field "$(N 1)" .error)" "http:http://{host}:8080/: connection refused"
check "nodes 0 and 2 passed and deployed" [ "$(node_field "$(N 0)" .outcome) $(node_field "$(N 2)" .outcome)" = "deployed deployed" ]
check "node 1 is back on the previous version" [ "$(on 1 'readlink -f /nix/var/nix/profiles/system')" = "$GOOD" ]
check "nodes 0 and 2 are on the new one" \
	[ "$(on 0 'readlink -f /nix/var/nix/profiles/system') $(on 2 'readlink -f /nix/var/nix/profiles/system')" = "$GOOD2 $GOOD2" ]
expect_exit 0 "events: the health rollback" ch events --json --topic chimera.rollback.triggered --node "$(N 1)"
check "chimera.rollback.triggered with reason health check failed" \
	[ "$(printf '%s\n' "$OUT" | jq -r '.payload.reason' | tail -n 1)" = "health check failed" ]
expect_exit 1 "the same on node 1 alone with --on-failure keep (no node deployed: exit 1)" \
	ch deploy --json -t "$(N 1)" --expect "$GOOD2" --confirm-timeout 5 --check 'tcp:{host}:8080' --check-retries 0 --on-failure keep
check "node 1 failed at health but keeps the new version" \
	[ "$(node_field "$(N 1)" .failed_step) $(on 1 'readlink -f /nix/var/nix/profiles/system')" = "health $GOOD2" ]
expect_exit 0 "a cmd check that passes everywhere" ch deploy -t @lab --expect "$GOOD2" --check 'cmd:test -e /nix/var/chimera-magic/activated'
expect_exit 2 "a malformed check is refused before anything runs" ch deploy -t @lab --expect "$GOOD" --check 'ftp://x'
check "the message names it and the expected forms" contains "$ERR" "'ftp://x': expected http:URL[=STATUS], tcp:HOST:PORT or cmd:COMMAND"

expect_exit 0 "lab down" ch lab down
finish
