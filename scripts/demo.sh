#!/bin/sh
# make demo: start a 3-node lab, deploy examples/hello version 1 then 2 with chimera, list the
# generations, roll the fleet back to version 1, check it, let watch heal a node moved by
# hand, run the pipeline (nix: a failed check rolls the fleet back; netlify: a dry run that
# heals), and verify the ledger.
set -eu
CHIMERA=${1:-build/chimera}
case "$CHIMERA" in /*) ;; *) CHIMERA="$(pwd)/$CHIMERA" ;; esac
STATE=${CHIMERA_DEMO_STATE:-$(pwd)/build/demo-state}
BASE=${CHIMERA_DEMO_BASE:-150}
HELLO="$(pwd)/examples/hello/default.nix"
ch() { "$CHIMERA" --state-dir "$STATE" "$@"; }
step() { printf '\n==> %s\n' "$*"; }

# No network here: Nix must not look for a binary cache. The derivations need only /bin/sh,
# so they build outside the sandbox, as root without a nixbld group.
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false')"
export NIX_CONFIG

T0=$(date +%s)
# The lab lives under the state dir, which must be outside /tmp and /run.
mkdir -p "$STATE"
step "chimera lab up 3: three sshd nodes on 127.$BASE.0.x, each with its own /nix, /root, /tmp, /run"
ch lab up 3 --base "$BASE"

step "chimera deploy -t @lab -c examples/hello --argstr version 1: build once, copy, switch, activate, confirm"
ch deploy -t @lab -c "$HELLO" --argstr version 1
V1=$(ch deploy -q --json -t @lab -c "$HELLO" --argstr version 1 --dry-run | sed -n 's/^  "path": "\(.*\)",$/\1/p')

step "chimera status against version 1: every node congruent"
ch status -t @lab -c "$HELLO" --argstr version 1

step "what the activation did on a node (bin/activate writes a marker)"
ch exec -t @lab -- 'echo "activated version $(cat /nix/var/chimera-hello/activated)"'

step "chimera deploy version 2: only the two new paths travel"
ch deploy -t @lab -c "$HELLO" --argstr version 2

step "chimera generations: two per node, version 2 current"
ch generations -t @lab

G1=$(ch generations -t @lab --json | jq -r --arg p "$V1" \
	'[.nodes[0].generations[] | select(.path == $p) | .generation] | max')
step "chimera rollback --generation $G1: every node back on version 1, or none"
ch rollback -t @lab --generation "$G1"

step "chimera status against version 1 again"
ch status -t @lab -c "$HELLO" --argstr version 1
ch exec -t @lab -- 'echo "activated version $(cat /nix/var/chimera-hello/activated)"'

step "drift: node 1's profile moved by hand to version 2; chimera watch --once heals it"
N1=$(ch lab targets --json | jq -r '.[1]')
ch exec -q -t "$N1" -- 'nix-env -p /nix/var/nix/profiles/system --switch-generation 2 >/dev/null 2>&1; readlink -f /nix/var/nix/profiles/system'
ch watch -t @lab -c "$HELLO" --argstr version 1 --once --check 'cmd:test -e /nix/var/chimera-hello/activated'

step "chimera pipeline --platform nix, version 3, whose check wants version 1: certified, deployed, verification fails, every node rolled back"
# Exit 3 is the pipeline reporting ROLLBACK, which is what this step shows.
ch pipeline --platform nix "$(dirname "$HELLO")" --argstr version 3 -t @lab --cert "$STATE/hello-certificate.json" \
	--check 'cmd:grep -qx 1 /nix/var/chimera-hello/activated' --check-retries 0 2>/dev/null || [ $? -eq 3 ]
ch exec -t @lab -- 'echo "activated version $(cat /nix/var/chimera-hello/activated)"'

step "chimera pipeline --platform netlify --dry-run on examples/site: the mistake healed in memory, checked, nothing posted"
ch pipeline --platform netlify "$(pwd)/examples/site" --dry-run 2>/dev/null

step "the ledger: this run's deploy events, then chimera ledger verify"
ch events --topic 'chimera.*' | tail -n 6
ch ledger verify

if [ "${CHIMERA_DEMO_KEEP:-0}" = 1 ]; then
	step "the lab stays up; stop it with: $CHIMERA --state-dir $STATE lab down"
else
	step "chimera lab down (set CHIMERA_DEMO_KEEP=1 to keep the nodes)"
	ch lab down
fi
echo
echo "demo ok in $(( $(date +%s) - T0 ))s: state and ledger in $STATE"
