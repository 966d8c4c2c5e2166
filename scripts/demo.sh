#!/bin/sh
# make demo: start a 3-node lab, run a command on every node through chimera, record it in the
# ledger, show a node failing without stopping the others, and verify the ledger.
set -eu
CHIMERA=${1:-build/chimera}
case "$CHIMERA" in /*) ;; *) CHIMERA="$(pwd)/$CHIMERA" ;; esac
STATE=${CHIMERA_DEMO_STATE:-$(pwd)/build/demo-state}
BASE=${CHIMERA_DEMO_BASE:-150}
ch() { "$CHIMERA" --state-dir "$STATE" "$@"; }
step() { printf '\n==> %s\n' "$*"; }

# The lab lives under the state dir, which must be outside /tmp and /run.
mkdir -p "$STATE"
step "chimera lab up 3: three sshd nodes on 127.$BASE.0.x, each with its own /nix, /root, /tmp, /run"
ch lab up 3 --base "$BASE"
ch lab status

step "chimera exec on every node (-t @lab), one SSH session per node, in parallel"
ch exec -t @lab -- 'echo "$(id -un)@$SSH_CONNECTION" | cut -d" " -f1,4; nix-store --version; ls /nix/store | wc -l'

step "stop node-0001's sshd: the others still succeed, and chimera exits 3 (partial)"
kill "$(ch lab status --json | sed -n 's/.*"pid": \([0-9]*\).*/\1/p' | sed -n 2p)"
sleep 0.2
set +e
ch exec -t @lab --connect-timeout 5 -- uptime
rc=$?
set -e
echo "exit status: $rc"
[ "$rc" -eq 3 ] || { echo "demo: expected exit 3 with one node down" >&2; exit 1; }

step "chimera lab up 3 brings the stopped node back"
ch lab up 3
ch exec -t @lab -q -- true

step "every step is in the ledger: chimera events --topic 'exec.*' and node.exec"
ch events --topic 'exec.*' | tail -n 6
ch events --topic node.exec --limit 3

step "chimera ledger verify: recompute the SHA3-256 hash chain"
ch ledger verify

if [ "${CHIMERA_DEMO_KEEP:-0}" = 1 ]; then
	step "the lab stays up; stop it with: $CHIMERA --state-dir $STATE lab down"
else
	step "chimera lab down (set CHIMERA_DEMO_KEEP=1 to keep the nodes)"
	ch lab down
fi
echo
echo "demo ok: state and ledger in $STATE"
