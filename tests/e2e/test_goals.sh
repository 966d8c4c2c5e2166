#!/bin/sh
# deploy, rollback, watch and the machine key with --goal switch|boot|test|dry-activate, on a
# closure whose bin/switch-to-configuration records the verb it was given (issue 16).
. "$E2E_DIR/lib.sh"
LAB_BASE=223
nix_offline
start
W="$E2E_WORK/$TEST_NAME"
G="$E2E_DIR/../fixtures/nix/goals.nix"
N0=root@127.$LAB_BASE.0.10:22
P=/nix/var/nix/profiles/system

expect_exit 0 "lab up 2" ch lab up 2 --base $LAB_BASE
verbs() { ch exec -t "$1" -- 'cat /nix/var/chimera-goals/verbs 2>/dev/null' | sed -n 's/^  //p' | tr '\n' ';'; }
asked() { ch exec -t "$1" -- 'cat /nix/var/chimera-goals/asked 2>/dev/null' | sed -n 's/^  //p' | tr '\n' ';'; }
profile() { ch exec -t "$1" -- "readlink -f $P" | sed -n 's/^  //p'; }

expect_exit 0 "deploy version 1 (goal switch, the default)" ch deploy -t @lab -c "$G" --argstr version 1 --json
check "the report names the goal" [ "$(printf "%s\n" "$OUT" | jq -r '[.nodes[].goal] | unique | join(",")')" = switch ]
V1=$(printf "%s\n" "$OUT" | jq -r .path)
check "switch-to-configuration was given 'switch'" [ "$(verbs $N0)" = "switch 1;" ]

# boot: the profile moves, the activation is switch-to-configuration boot.
expect_exit 0 "deploy version 2 --goal boot" ch deploy -t "$N0" -c "$G" --argstr version 2 --goal boot --json
V2=$(printf "%s\n" "$OUT" | jq -r .path)
check "boot was the verb" [ "$(verbs $N0)" = "switch 1;boot 2;" ]
check "the profile points at version 2" [ "$(profile $N0)" = "$V2" ]
check "a generation was made" [ "$(ch generations -t "$N0" --json | jq '.nodes[0].generations | length')" = 2 ]

# test: activated, the profile stays on version 2.
expect_exit 0 "deploy version 3 --goal test" ch deploy -t "$N0" -c "$G" --argstr version 3 --goal test --json
V3=$(printf "%s\n" "$OUT" | jq -r .path)
check "test was the verb" [ "$(verbs $N0)" = "switch 1;boot 2;test 3;" ]
check "the profile still points at version 2" [ "$(profile $N0)" = "$V2" ]
check "no generation was made" [ "$(ch generations -t "$N0" --json | jq '.nodes[0].generations | length')" = 2 ]
check "the event says goal test" [ "$(ch events --topic node.activate.complete --json | jq -r 'select(.payload.path == "'"$V3"'") | .payload.goal')" = test ]

# dry-activate: nothing changes; the report shows what switch-to-configuration said.
expect_exit 0 "deploy version 4 --goal dry-activate" ch deploy -t "$N0" -c "$G" --argstr version 4 --goal dry-activate --json
check "it was asked to dry-activate" [ "$(asked $N0)" = "switch;boot;test;dry-activate;" ]
check "nothing was activated" [ "$(verbs $N0)" = "switch 1;boot 2;test 3;" ]
check "the profile still points at version 2" [ "$(profile $N0)" = "$V2" ]
check "the report shows what it would do" contains "$(printf "%s\n" "$OUT" | jq -r '.nodes[0].dry_activation')" "would start goals-4.service"
expect_exit 0 "the same as text" ch deploy -t "$N0" -c "$G" --argstr version 4 --goal dry-activate
check "the text shows it too" contains "$OUT" "would start goals-4.service"

# A bad goal is a usage error naming the four.
expect_exit 2 "--goal reboot" ch deploy -t "$N0" -c "$G" --goal reboot
check "the error names the goals" contains "$ERR" "'reboot' is not a goal: expected switch, boot, test or dry-activate"

# rollback --goal test: generation 1 activated, the profile stays.
expect_exit 0 "rollback -g 1 --goal test" ch rollback -t "$N0" -g 1 --goal test
check "generation 1 was activated with test" [ "$(verbs $N0)" = "switch 1;boot 2;test 3;test 1;" ]
check "the profile still points at version 2" [ "$(profile $N0)" = "$V2" ]
expect_exit 0 "rollback -g 1 --goal boot" ch rollback -t "$N0" -g 1 --goal boot
check "then with boot, the profile moves" [ "$(profile $N0)" = "$V1" ]
check "and boot was the verb" [ "$(verbs $N0)" = "switch 1;boot 2;test 3;test 1;boot 1;" ]

# watch: test and dry-activate are refused; boot heals the profile with the boot verb.
expect_exit 2 "watch --goal test is refused" ch watch -t "$N0" -c "$G" --argstr version 5 --goal test --once
check "saying why" contains "$ERR" "--goal test leaves the profile alone"
expect_exit 0 "watch --goal boot --once heals drift" ch watch -t "$N0" -c "$G" --argstr version 5 --goal boot --once
check "boot was the verb of the heal" contains "$(verbs $N0)" "boot 5;"

# The machine key: goal = "test" in chimera.toml, and --goal over it.
N1=127.$LAB_BASE.0.11
cat >"$W/chimera.toml" <<EOF
[machines.m1]
target = "$N1"
goal = "test"
EOF
expect_exit 0 "deploy to a machine whose goal is test" ch --config "$W/chimera.toml" deploy -t m1 -c "$G" --argstr version 6 --json
check "its report says test" [ "$(printf "%s\n" "$OUT" | jq -r '.nodes[0].goal')" = test ]
check "it was activated with test" contains "$(verbs "root@$N1:22")" "test 6;"
check "its profile stayed on version 1" [ "$(profile "root@$N1:22")" = "$V1" ]
expect_exit 0 "--goal switch over the machine's goal" ch --config "$W/chimera.toml" deploy -t m1 -c "$G" --argstr version 6 --goal switch
check "now switched" contains "$(verbs "root@$N1:22")" "switch 6;"
printf '[machines.m1]\ntarget = "%s"\ngoal = "reboot"\n' "$N1" >"$W/bad.toml"
expect_exit 2 "a bad goal in chimera.toml" ch --config "$W/bad.toml" deploy -t m1 -c "$G"
check "the error names the file, line and the goals" contains "$ERR" "bad.toml:3:8: 'reboot' is not a goal"

finish
