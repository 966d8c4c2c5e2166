#!/bin/sh
# Each machine's own settings from chimera.toml on lab nodes: its configuration (deploy
# with no -c builds each distinct one once), profile, activation, checks and ssh_options,
# in deploy, status, generations, rollback and watch (which, with no -c, keeps each machine on
# its own configuration); flags and CHIMERA_* over them.
. "$E2E_DIR/lib.sh"
LAB_BASE=214
start
W="$E2E_WORK/$TEST_NAME"
cd "$W" || exit 1
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false\nexperimental-features = nix-command flakes')"
export NIX_CONFIG
HELLO="$E2E_DIR/../../examples/hello/default.nix"
inv() { "$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" "$@"; }
on() { inv exec -t "$1" -- "$2" 2>/dev/null | sed -n 2p | sed 's/^  //'; }

expect_exit 0 "lab up 4" ch lab up 4 --base $LAB_BASE
B=127.$LAB_BASE.0

# A flake of its own for one machine: version 3 of hello.
# (Flakes evaluate purely: no builtins.currentSystem, so the system is written out.)
mkdir -p flake
cat > flake/flake.nix <<'EOF'
{
  outputs = { self }: {
    packages.x86_64-linux.default = derivation {
      name = "hello-3";
      system = "x86_64-linux";
      builder = "/bin/sh";
      args = [ "-c" ''
        /bin/mkdir -p $out/bin
        printf '#!/bin/sh\n/bin/mkdir -p /nix/var/chimera-hello\necho 3 > /nix/var/chimera-hello/activated\n' > $out/bin/activate
        /bin/chmod +x $out/bin/activate
      '' ];
    };
  };
}
EOF

cat > chimera.toml <<EOF
[defaults]
checks = ["cmd:test -d /nix/store"]

[machines.a]
target = "$B.10"
config = "$HELLO"
profile = "/nix/var/nix/profiles/hello"

[machines.b]
target = "$B.11"
config = "$HELLO"
activation = "none"

[machines.c]
target = "$B.12"
flake = "path:$W/flake#default"
checks = ["cmd:test -e /nix/var/chimera-hello/activated"]

[machines.d]
target = "$B.13"
ssh_options = ["KexAlgorithms=diffie-hellman-group1-sha1"]
EOF

# 1. No -c: a machine without a configuration is named.
expect_exit 2 "deploy -t all with no -c: d has no configuration" inv deploy -t all
check "names d" contains "$ERR" "no configuration to deploy to 'd'"

# 2. Each machine its own configuration: two distinct ones, built once each.
expect_exit 0 "deploy -t a,b,c with no -c" inv --json deploy -t a,b,c
printf '%s\n' "$OUT" >groups.json
check "two configurations" [ "$(jq '.summary.configurations' groups.json)" = 2 ]
check "three nodes deployed" [ "$(jq '.summary.ok' groups.json)" = 3 ]
check "a and b share the file's build" \
	[ "$(jq -r '.configurations[] | select(.source.file != null) | .nodes | join(" ")' groups.json)" = "root@$B.10:22 root@$B.11:22" ]
check "c got the flake's" \
	[ "$(jq -r '.configurations[] | select(.source.flake != null) | .deployment.path' groups.json | grep -c 'hello-3$')" = 1 ]
check "one deploy.initiated per configuration" \
	[ "$(inv --json events --topic deploy.initiated | wc -l)" = 2 ]

# 3. Profiles and activations of their own.
check "a's profile is its own" [ "$(on a 'readlink /nix/var/nix/profiles/hello')" = hello-1-link ]
check "a has no system profile" [ "$(on a 'test -e /nix/var/nix/profiles/system && echo yes || echo no')" = no ]
check "a was activated (auto)" [ "$(on a 'cat /nix/var/chimera-hello/activated')" = 1 ]
check "b was not activated (activation = none)" \
	[ "$(on b 'cat /nix/var/chimera-hello/activated 2>/dev/null || echo none')" = none ]
check "c on version 3, activated" [ "$(on c 'cat /nix/var/chimera-hello/activated')" = 3 ]
check "node.deploy.complete names a's profile" \
	[ "$(inv --json events --topic node.deploy.complete --node root@$B.10:22 | jq -r .payload.profile)" = /nix/var/nix/profiles/hello ]

# 4. Checks: the defaults' for a and b, c's own; --check replaces both.
check "health step ran on a" [ "$(jq '[.configurations[].deployment.nodes[] | select(.steps_ms.health != null)] | length' groups.json)" = 3 ]
cat >> chimera.toml <<EOF

[machines.e]
target = "$B.13"
config = "$HELLO"
checks = ["cmd:false"]
EOF
sed -i '/^\[machines.d\]/,/^ssh_options/d' chimera.toml
expect_exit 1 "e's own failing check fails its deploy" inv deploy -t e
check "the check is named" contains "$OUT" "cmd:false"
expect_exit 0 "--check overrides e's checks" inv deploy -t e --check 'cmd:true'

# 5. status, generations and rollback use a's profile.
expect_exit 0 "generations -t a" inv --json generations -t a
check "a's generations come from its profile" \
	[ "$(printf '%s\n' "$OUT" | jq -r '.nodes[0].generations | length')" = 1 ]
inv deploy -t a,b -c "$HELLO" --argstr version 2 >/dev/null 2>&1
check "a is on generation 2 of its profile" [ "$(on a 'readlink /nix/var/nix/profiles/hello')" = hello-2-link ]
expect_exit 0 "rollback -t a" inv rollback -t a
check "a back on generation 1 of its profile" [ "$(on a 'readlink /nix/var/nix/profiles/hello')" = hello-1-link ]
check "rollback activated a (auto)" [ "$(on a 'cat /nix/var/chimera-hello/activated')" = 1 ]

# 6. CHIMERA_PROFILE and --profile win over a machine's profile.
expect_exit 0 "CHIMERA_PROFILE over a's profile" env CHIMERA_PROFILE=/nix/var/nix/profiles/other \
	"$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" deploy -t a -c "$HELLO"
check "a got the variable's profile" [ "$(on a 'readlink /nix/var/nix/profiles/other')" = other-1-link ]
expect_exit 0 "--profile over a's profile" inv deploy -t a -c "$HELLO" --profile /nix/var/nix/profiles/flag
check "a got the flag's profile" [ "$(on a 'readlink /nix/var/nix/profiles/flag')" = flag-1-link ]

# 7. watch heals a on its own profile.
on a 'nix-env -p /nix/var/nix/profiles/hello --rollback >/dev/null 2>&1; rm -f /nix/var/nix/profiles/hello; true' >/dev/null
expect_exit 0 "watch one round heals a" inv --json watch -t a -c "$HELLO" --rounds 1 --interval 1
check "a's profile is back" [ "$(on a 'readlink /nix/var/nix/profiles/hello')" != "" ]
check "and the system profile untouched" [ "$(on a 'test -e /nix/var/nix/profiles/system && echo yes || echo no')" = no ]

# 7b. watch with no -c keeps each machine on its own configuration: b (moved to version 2
# by the deploy in 5) back on the file's build, c (its profile removed) back on its flake's.
expect_exit 0 "watch -t a,b,c --once with no -c heals b" inv --json watch -t a,b,c --once
printf '%s\n' "$OUT" >watch1.json
check "a and c congruent, b healed" [ "$(jq -r '"\(.congruent) \(.healed) \(.nodes)"' watch1.json)" = "2 1 3" ]
check "the problem is b, expected on the file's build" \
	[ "$(jq -r '.problems[] | "\(.node) \(.expected | test("hello-1$"))"' watch1.json)" = "root@$B.11:22 true" ]
check "two configurations: no single path" [ "$(jq -r .path watch1.json)" = null ]
check "b's system profile is the file's build" \
	contains "$(on b 'readlink -f /nix/var/nix/profiles/system')" "hello-1"
inv --json events --topic watch.started | tail -n 1 >started.json
check "watch.started lists both configurations" \
	[ "$(jq -r '.payload.configurations | map("\(.nodes) \(.path | test("hello-[13]$"))") | join(",")' started.json)" = "2 true,1 true" ]
on c 'rm -f /nix/var/nix/profiles/system' >/dev/null
expect_exit 0 "watch heals c to its flake's build" inv --json watch -t a,b,c --once
check "c healed" [ "$(printf '%s\n' "$OUT" | jq -r '.problems[] | "\(.node) \(.state)"')" = "root@$B.12:22 healed" ]
check "c's profile is the flake's hello-3" contains "$(on c 'readlink -f /nix/var/nix/profiles/system')" "hello-3"
expect_exit 2 "watch with no -c on a target that is no machine" inv watch -t a,root@$B.99 --once
check "names it" contains "$ERR" "no configuration to watch 'root@$B.99:22'"

# 8. ssh_options: applied to their machine only, and checked when read.
cat >> chimera.toml <<EOF

[machines.f]
target = "$B.13:22"
ssh_options = ["KexAlgorithms=diffie-hellman-group1-sha1"]
EOF
sed -i '/^\[machines.e\]/,/^checks = \["cmd:false"\]/d' chimera.toml
expect_exit 3 "exec -t a,f: f's own KexAlgorithms refused by its sshd" inv exec -t a,f -- true
check "f failed at connect on kex" contains "$OUT" "kex"
check "with f's own KexAlgorithms offered" contains "$OUT" "client [diffie-hellman-group1-sha1]"
sed -i 's/KexAlgorithms=diffie-hellman-group1-sha1/Compression=yes/' chimera.toml
expect_exit 0 "with Compression=yes instead f is reached" inv exec -t f -- true
sed -i 's/Compression=yes/ForwardX11=yes/' chimera.toml
expect_exit 2 "an option libssh does not apply is refused" inv exec -t f -- true
check "names it with file:line:col" contains "$ERR" "unknown ssh option 'ForwardX11'"

finish
