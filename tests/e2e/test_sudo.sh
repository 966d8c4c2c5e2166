#!/bin/sh
# Non-root targets with sudo (issue 16): the lab's user chimera-lab logs in, and every command
# runs as root through `sudo -n`, chosen by --sudo or by a machine's sudo = true. A deploy to
# 20 lab nodes this way; status, generations, rollback, exec and secrets too.
. "$E2E_DIR/lib.sh"
LAB_BASE=224
nix_offline
start
W="$E2E_WORK/$TEST_NAME"
HELLO="$E2E_DIR/../../examples/hello/default.nix"

expect_exit 0 "lab up 20" ch lab up 20 --base $LAB_BASE
U=chimera-lab
ALL=$(ch lab status --json | jq -r --arg u "$U" '[.list[].address | "\($u)@\(.)"] | join(",")')
N0=$(printf '%s' "$ALL" | cut -d, -f1)
check "20 node targets as $U" [ "$(printf '%s' "$ALL" | tr ',' '\n' | grep -c "^$U@127\.$LAB_BASE\.")" = 20 ]

expect_exit 0 "exec as the lab user" ch exec -t "$N0" -- 'id -un'
check "runs as $U" contains "$OUT" "  $U"
expect_exit 0 "exec --sudo" ch exec -t "$N0" --sudo -- 'id -un'
check "runs as root" contains "$OUT" "  root"

# Without sudo the user cannot write the node's store or profiles: the deploy fails, naming it.
expect_exit 1 "deploy as $U without --sudo" ch deploy -t "$N0" -c "$HELLO" --argstr version 1 --no-magic-rollback
check "it failed at copy, for want of permission" contains "$OUT" "failed at copy (exit 1): copy failed: Permission denied"

expect_exit 0 "deploy to 20 nodes as $U with --sudo" ch deploy -t "$ALL" --sudo -c "$HELLO" --argstr version 1 --json
check "20 deployed" [ "$(printf '%s\n' "$OUT" | jq '[.nodes[] | select(.outcome == "deployed")] | length')" = 20 ]
check "the nodes are named as $U" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[0].node')" = "$N0:22" ]
V1=$(printf '%s\n' "$OUT" | jq -r .path)
expect_exit 0 "the activation ran as root on every node" ch exec -t "$ALL" --sudo -- 'stat -c %U:%s /nix/var/chimera-hello/activated'
check "20 files owned by root" [ "$(printf '%s\n' "$OUT" | grep -c '^  root:2$')" = 20 ]
expect_exit 0 "status --sudo" ch status -t "$ALL" --sudo -c "$HELLO" --argstr version 1
check "all 20 congruent" contains "$OUT" "20 congruent"

# A machine with sudo = true needs no flag: deploy, generations, rollback.
cat >"$W/chimera.toml" <<EOF
[defaults]
user = "$U"

[machines.web]
target = "127.$LAB_BASE.0.11"
sudo = true
EOF
C="--config $W/chimera.toml"
expect_exit 0 "deploy version 2 to a machine with sudo = true" ch $C deploy -t web -c "$HELLO" --argstr version 2
expect_exit 0 "generations" ch $C generations -t web --json
check "two generations" [ "$(printf '%s\n' "$OUT" | jq '.nodes[0].generations | length')" = 2 ]
expect_exit 0 "rollback" ch $C rollback -t web
expect_exit 0 "status" ch $C status -t web -c "$HELLO" --argstr version 1
check "back on version 1" contains "$OUT" "1 congruent"

# Secrets pushed through sudo land as root's.
printf 's3cret' | ch secrets set db-pass >/dev/null
expect_exit 0 "grant" ch $C secrets grant db-pass -t web
expect_exit 0 "deploy pushes the secret through sudo" ch $C deploy -t web -c "$HELLO" --argstr version 1
expect_exit 0 "the secret on the node" ch $C exec -t web -- 'stat -c %U /run/chimera/secrets/db-pass'
check "owned by root" contains "$OUT" "  root"

# A bad sudo command is refused with the file and line.
printf '[machines.web]\ntarget = "%s@127.%s.0.11"\nsudo_command = "sudo; id"\n' "$U" "$LAB_BASE" >"$W/bad.toml"
expect_exit 2 "a sudo_command with a ';'" ch --config "$W/bad.toml" exec -t web -- true
check "named with its place" contains "$ERR" "bad.toml:3:16: 'sudo; id' is not a sudo command"
finish
