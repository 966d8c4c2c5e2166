#!/bin/sh
# What a deploy and a watch do beyond the profile, on lab nodes: the secrets granted to each
# machine pushed before activation (and revoked ones removed), with the plaintext nowhere on
# the controller; `deploy -s SESSION -- CMD`; and the sessions a machine declares, which
# watch starts again when they are gone.
. "$E2E_DIR/lib.sh"
LAB_BASE=215
start
W="$E2E_WORK/$TEST_NAME"
cd "$W" || exit 1
nix_offline
HELLO="$E2E_DIR/../../examples/hello/default.nix"
inv() { "$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" "$@"; }
# Read a node over plain ssh, not exec: exec would put what it read (a secret) in the ledger.
host_of() { case "$1" in a) echo "$B.10" ;; b) echo "$B.11" ;; c) echo "$B.12" ;; esac; }
on() { ssh -F "$STATE/lab/ssh_config" "$(host_of "$1")" "$2" 2>/dev/null; }

B=127.$LAB_BASE.0
expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
cat > chimera.toml <<EOF
[machines.a]
target = "$B.10"

[machines.b]
target = "$B.11"
secrets_owner = "nobody"

[machines.c]
target = "$B.12"
sessions = { ticker = "while :; do date +%s >> /root/ticks; sleep 1; done" }
EOF

# 1. Secrets: granted to a and b, pushed by deploy before activation.
VALUE="chimera-e2e-$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
printf '%s' "$VALUE" | inv secrets set db-pass >/dev/null 2>&1
expect_exit 0 "grant db-pass to a and b" inv secrets grant db-pass -t a,b
# Every process's arguments, sampled while the deploy runs.
( while [ ! -e "$W/stop-sampling" ]; do cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' ' ' >>"$W/cmdlines"; done ) &
SAMPLER=$!
expect_exit 0 "deploy -t all pushes the secrets" inv deploy -t all -c "$HELLO"
touch "$W/stop-sampling"
wait $SAMPLER
printf '%s\n%s\n' "$OUT" "$ERR" >deploy1.log
check "a has db-pass with the value" [ "$(on a 'cat /run/chimera/secrets/db-pass')" = "$VALUE" ]
check "a's file is 0400 root" [ "$(on a 'stat -c %a:%U /run/chimera/secrets/db-pass')" = 400:root ]
check "b's belongs to its secrets_owner" [ "$(on b 'stat -c %a:%U /run/chimera/secrets/db-pass')" = 400:nobody ]
check "the directory is 0700" [ "$(on a 'stat -c %a /run/chimera/secrets')" = 700 ]
check "c has none" [ "$(on c 'ls /run/chimera/secrets 2>/dev/null | wc -l')" = 0 ]
first=$(inv --json events --node root@$B.10:22 | jq -r .topic | grep -E '^(secret.push|node.activate.complete)$' | head -1)
check "pushed before activation (secret.push before node.activate.complete)" [ "$first" = secret.push ]
expect_exit 0 "secret.push events" inv --json events --topic secret.push
check "one per node, naming db-pass for a" \
	[ "$(printf '%s\n' "$OUT" | jq -r 'select(.node == "root@'$B'.10:22") | .payload.written | join(",")')" = db-pass ]

# Revoked from a: the next deploy removes it there.
expect_exit 0 "revoke db-pass from a" inv secrets revoke db-pass -t a
expect_exit 0 "deploy again" inv deploy -t a,b -c "$HELLO"
printf '%s\n%s\n' "$OUT" "$ERR" >deploy2.log
check "removed from a" [ "$(on a 'test -e /run/chimera/secrets/db-pass && echo yes || echo no')" = no ]
check "still on b" [ "$(on b 'cat /run/chimera/secrets/db-pass')" = "$VALUE" ]
inv deploy -t a --dry-run -c "$HELLO" >/dev/null 2>&1
check "a dry run pushes nothing (3 + 2 pushes so far)" [ "$(inv --json events --topic secret.push | wc -l)" = 5 ]

# The plaintext is nowhere on the controller: the state dir (lab nodes' own /run aside),
# the ledger, the deploy's output, any process's arguments.
check "the value in no file of the state dir" sh -c "! grep -r -a -l -F '$VALUE' '$STATE' --exclude-dir=lab"
inv --json events >events.json
check "nor in the ledger" sh -c "[ -s '$W/events.json' ] && ! grep -q -F '$VALUE' '$W/events.json'"
check "nor in the deploys' output" sh -c "! grep -q -F '$VALUE' '$W/deploy1.log' '$W/deploy2.log'"
check "nor in any process's arguments" sh -c "[ -s '$W/cmdlines' ] && ! grep -q -F '$VALUE' '$W/cmdlines'"
check "the grep finds a value where it is (control)" grep -q -F "$VALUE" /dev/stdin <<EOF
$VALUE
EOF

# 2. deploy -s SESSION -- CMD: right after activation, in the new closure's PATH.
expect_exit 2 "-s without a command" inv deploy -t a -c "$HELLO" -s app
check "says so" contains "$ERR" "needs a command after '--'"
expect_exit 2 "a bad session name" inv deploy -t a -c "$HELLO" -s 'a.b' -- true
expect_exit 0 "deploy -s app -- hello" inv deploy -t a -c "$HELLO" -s app -- 'hello > /root/app.out; sleep 300'
sleep 1
check "the session ran the closure's hello" [ "$(on a 'cat /root/app.out')" = "hello, version 1" ]
check "and is listed" [ "$(inv --json sessions -t a | jq -r '[.nodes[0].sessions[].name] | index("app")')" != null ]
expect_exit 0 "deploy version 2 -s app replaces it" inv deploy -t a -c "$HELLO" --argstr version 2 -s app -- 'hello > /root/app.out; sleep 300'
sleep 1
check "now version 2" [ "$(on a 'cat /root/app.out')" = "hello, version 2" ]
check "session.start events say replaced" \
	[ "$(inv --json events --topic session.start --node root@$B.10:22 | tail -1 | jq -r .payload.replaced)" = true ]

# 3. Sessions a machine declares: watch starts them, and again once killed.
expect_exit 3 "watch --no-heal reports the missing session" inv --json watch -t c -c "$HELLO" --rounds 1 --interval 1 --no-heal
check "as drift" contains "$OUT" "session ticker is not running"
check "nothing started" [ "$(on c 'tmux -L chimera has-session -t =ticker 2>/dev/null && echo yes || echo no')" = no ]
expect_exit 0 "watch one round" inv --json watch -t c -c "$HELLO" --rounds 1 --interval 1
check "ticker is running" [ "$(on c 'tmux -L chimera has-session -t =ticker && echo yes')" = yes ]
check "watch.session.restarted recorded" [ "$(inv --json events --topic watch.session.restarted | wc -l)" = 1 ]
sleep 2
check "and ticking" [ "$(on c 'wc -l < /root/ticks')" -ge 1 ]
expect_exit 0 "kill it" inv sessions kill -t c ticker
expect_exit 0 "watch again" inv --json watch -t c -c "$HELLO" --rounds 1 --interval 1
check "ticker is back" [ "$(on c 'tmux -L chimera has-session -t =ticker && echo yes')" = yes ]
check "a second restart recorded" [ "$(inv --json events --topic watch.session.restarted | wc -l)" = 2 ]
expect_exit 0 "a third round with it running" inv --json watch -t c -c "$HELLO" --rounds 1 --interval 1
check "nothing restarted" [ "$(inv --json events --topic watch.session.restarted | wc -l)" = 2 ]

finish
