#!/bin/sh
# chimera vm (issue 19): a QEMU VM made, booted, written into chimera.toml and used as a machine
# (deploy, status, generations, rollback, watch heals drift made on it), snapshotted and
# restored, powered down over QMP and booted again from its disk, killed behind chimera's back,
# and removed (out of chimera.toml and the process table). Errors: a taken name, a bad name, an
# address in use, a guest that never answers, an unknown snapshot, two operations at once.
. "$E2E_DIR/lib.sh"
LAB_BASE=239	# no lab here: the octet of the VMs' own addresses (every e2e test owns one)
CHIMERA_VM_ADDRESS_PREFIX=127.$LAB_BASE.0.
export CHIMERA_VM_ADDRESS_PREFIX
start
W="$E2E_WORK/$TEST_NAME"
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false\nflake-registry =')"
export NIX_CONFIG
CFG="$W/chimera.toml"
HELLO="$E2E_DIR/../../examples/hello/default.nix"
A=127.239.0.10
c() { ch --config "$CFG" "$@"; }
on() { ssh -F "$STATE/vm/ssh_config" -o ConnectTimeout=5 "$A" "$@" </dev/null; }
# A live process (a zombie no init reaped yet is not one).
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }
dead() { [ "$1" -gt 0 ] && ! alive "$1"; }
vm_json() { c vm list --json | jq -r ".vms[] | select(.name == \"vm1\") | $1"; }
cleanup() {
	for d in "$STATE"/vm/*/; do
		[ -f "$d/qemu.pid" ] && kill -9 "$(cat "$d/qemu.pid")" 2>/dev/null
	done
	mountpoint -q "$W/small" && umount "$W/small"
	true
}
: >"$CFG"

expect_exit 0 "vm create vm1 --tag web" c --json vm create vm1 --tag web --memory 512
check "created and running" [ "$(printf '%s' "$OUT" | jq -r '"\(.ok) \(.vm.state)"')" = "true running" ]
check "at the first address of the prefix" [ "$(printf '%s' "$OUT" | jq -r .vm.target)" = "$A" ]
ACCEL=$(printf '%s' "$OUT" | jq -r .vm.accel)
check "an accelerator named ($ACCEL; $(printf '%s' "$OUT" | jq -r .accel_why))" sh -c '[ "$1" = kvm ] || [ "$1" = tcg ]' - "$ACCEL"
check "its boot time recorded ($(printf '%s' "$OUT" | jq -r .vm.boot_ms) ms)" [ "$(printf '%s' "$OUT" | jq -r '.vm.boot_ms > 0')" = true ]
check "chimera.toml has machine vm1 at $A with tags vm and web" \
	sh -c 'grep -q "^\[machines.vm1\]" "$1" && grep -q "^target = \"$2\"" "$1" && grep -q "^tags = \[\"vm\", \"web\"\]" "$1"' - "$CFG" "$A"
PID=$(vm_json .pid)
check "vm list: running, its QEMU alive (pid $PID)" alive "$PID"
check "QEMU user networking with restrict=on, forwarded to loopback only" \
	sh -c 'tr "\0" " " </proc/$1/cmdline | grep -q "user,id=net0,restrict=on,hostfwd=tcp:$2:22-:22"' - "$PID" "$A"
check "nothing of it listens beyond loopback" sh -c '! ss -Htlnp | grep "pid=$1," | grep -vq " 127\."' - "$PID"
check "the guest runs sshd and Nix with its own store" on 'pgrep -x sshd >/dev/null && nix-store --version >/dev/null && test -d /nix/store && mountpoint -q /nix'

# A machine like any other: deploy, status, generations, rollback.
expect_exit 0 "deploy hello v1 to vm1 (by its machine name)" c deploy --json -t vm1 -c "$HELLO"
P1=$(printf '%s' "$OUT" | jq -r .path)
expect_exit 0 "deploy hello v2 to @vm" c deploy --json -t @vm -c "$HELLO" --argstr version 2
P2=$(printf '%s' "$OUT" | jq -r .path)
expect_exit 0 "status: congruent on v2" c status -t vm1 --expect "$P2"
expect_exit 0 "generations: two" c generations -t vm1 --json
check "it has two generations, the current on v2" [ "$(printf '%s' "$OUT" | jq -c '[(.nodes[0].generations | length), (.nodes[0].generations[] | select(.current) | .path)]')" = "[2,\"$P2\"]" ]
expect_exit 0 "rollback vm1 to the previous generation" c rollback -t vm1
check "it activated v1 again" [ "$(on cat /nix/var/chimera-hello/activated)" = 1 ]
check "its profile is v1" [ "$(on readlink -f /nix/var/nix/profiles/system)" = "$P1" ]

# Drift made on it by hand; watch puts it back.
on "nix-env -p /nix/var/nix/profiles/system --set $P2" >/dev/null 2>&1
expect_exit 0 "watch --once heals the drift" c watch -t vm1 --expect "$P1" --once --json
check "vm1 healed" [ "$(printf '%s' "$OUT" | jq -r '.problems[0].state')" = healed ]
check "back on v1" [ "$(on readlink -f /nix/var/nix/profiles/system)" = "$P1" ]

# The serial console: a root shell, and its log.
OUTC=$(printf 'echo chimera-$((6*7))\n' | c vm console vm1 2>&1)
check "the console answers a command (chimera-42)" contains "$OUTC" chimera-42
expect_exit 0 "console --tail 50" c vm console vm1 --tail 50
check "the log holds the guest's boot" contains "$OUT" "chimera-vm: sshd started"

# Snapshot, change, restore.
on sync
expect_exit 0 "snapshot s1 while running" c vm snapshot vm1 s1
expect_exit 0 "deploy v2 after the snapshot" c deploy -t vm1 -c "$HELLO" --argstr version 2
expect_exit 1 "restore of an unknown snapshot" c vm restore vm1 nope
check "it names the snapshots there are" contains "$ERR" "its snapshots: s1"
expect_exit 2 "a bad label" c vm snapshot vm1 'bad label'
expect_exit 0 "restore s1" c --json vm restore vm1 s1
check "running again after the restore" [ "$(printf '%s' "$OUT" | jq -r .vm.state)" = running ]
check "its profile is v1 again, as in the snapshot" [ "$(on readlink -f /nix/var/nix/profiles/system)" = "$P1" ]

# Power down over QMP, boot again from its disk.
PID=$(vm_json .pid)
expect_exit 0 "vm stop" c --json vm stop vm1
check "powered down by its own init, not forced" [ "$(printf '%s' "$OUT" | jq -r .forced)" = false ]
check "no QEMU left for it" dead "$PID"
check "vm list: stopped" [ "$(vm_json .state)" = stopped ]
expect_exit 1 "status of a stopped VM: unreachable" c status -t vm1 --expect "$P1"
expect_exit 0 "vm start" c vm start vm1
expect_exit 0 "status after the reboot: congruent, from its disk" c status -t vm1 --expect "$P1"
expect_exit 1 "vm start of a running VM" c vm start vm1
check "it says so" contains "$ERR" "runs already"

# Two operations on one VM at once: the second is refused, not interleaved.
c vm stop vm1 >/dev/null 2>&1 &
BG=$!
sleep 0.3
expect_exit 1 "snapshot while a stop holds the VM" c vm snapshot vm1 s2
check "refused: another operation changes it" contains "$ERR" "being changed by another chimera operation"
wait $BG
check "the stop ended" [ "$(vm_json .state)" = stopped ]
expect_exit 0 "vm start again" c vm start vm1

# QEMU killed behind chimera's back.
kill -9 "$(vm_json .pid)"
sleep 0.5
check "vm list: stopped after the kill" [ "$(vm_json .state)" = stopped ]
expect_exit 0 "vm start after the kill" c vm start vm1
expect_exit 0 "congruent after the kill (the disk's journal)" c status -t vm1 --expect "$P1"

# Errors that say what to do.
expect_exit 1 "create with a taken name" c vm create vm1
check "it names the VM" contains "$ERR" "a VM named 'vm1' exists already"
expect_exit 2 "create with a bad name" c vm create 'no/good'
check "it names the expected form" contains "$ERR" "expected 1 to 63 of A-Z a-z 0-9 - _"
python3 -c 'import socket,time,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.239.0.50",22)); s.listen(1); time.sleep(60)' &
LISTENER=$!
i=0
while [ $i -lt 100 ] && ! ss -Htln | grep -q '127.239.0.50:22 '; do sleep 0.1; i=$((i + 1)); done
BEFORE=$(cat "$CFG")
expect_exit 1 "create at an address in use" c vm create vm2 --address 127.239.0.50
kill $LISTENER 2>/dev/null
check "it names the address" contains "$ERR" "127.239.0.50:22 is in use"
check "nothing left of vm2: no directory, chimera.toml as it was" sh -c '[ ! -e "$1/vm/vm2" ] && [ "$(cat "$2")" = "$3" ]' - "$STATE" "$CFG" "$BEFORE"
expect_exit 1 "create whose guest cannot answer in 1 s" c vm create vm3 --timeout 1
check "it says the sshd did not answer" contains "$ERR" "did not answer on 127.239.0.11:22 within 1 s"
check "with the console's last lines" contains "$ERR" "its console's last lines"
check "vm3 taken back: no directory, no machine, no process" \
	sh -c '[ ! -e "$1/vm/vm3" ] && ! grep -q vm3 "$2" && ! ps -eo stat=,args= | grep -v "^Z" | grep -q "[c]himera-vm-vm3"' - "$STATE" "$CFG"
expect_exit 0 "events of vm3" c events --node vm3 --json
check "vm3's life: created, deleted (it did not boot)" [ "$(printf '%s\n' "$OUT" | jq -rs 'map(.topic) | join(" ")')" = "vm.created vm.deleted" ]
# A disk that cannot be made: the state dir on a full file system.
mkdir -p "$W/small" && mount -t tmpfs -o size=3m tmpfs "$W/small" && : >"$W/small/c.toml"
expect_exit 1 "create on a file system with no room" "$CHIMERA" --state-dir "$W/small/state" --config "$W/small/c.toml" vm create full
check "it names the disk and what to do" contains "$ERR" "cannot make VM full's 8 GiB disk in '$W/small/state/vm/full' (free some space, or give a smaller --disk)"
check "and why" contains "$ERR" "No space left on device"
check "nothing left of it: no directory, no machine" sh -c '[ ! -e "$1/state/vm/full" ] && [ ! -s "$1/c.toml" ]' - "$W/small"
umount "$W/small"
expect_exit 1 "without qemu on PATH" env PATH=/nonexistent "$CHIMERA" --state-dir "$STATE" --config "$CFG" vm list
check "it names the package" contains "$ERR" "apt-get install qemu-system-x86"

# Gone: rm.
PID=$(vm_json .pid)
expect_exit 0 "vm rm" c vm rm vm1
check "not in chimera.toml" sh -c '! grep -q "machines.vm1" "$1"' - "$CFG"
check "not in the process table (pid $PID)" dead "$PID"
check "its directory gone" [ ! -e "$STATE/vm/vm1" ]
check "vm list: none" [ "$(c vm list --json | jq '.vms | length')" = 0 ]
expect_exit 0 "events of vm1" c events --node vm1 --json
check "its life in the ledger, in order" sh -c 'printf "%s\n" "$1" | jq -rs "map(.topic | select(startswith(\"vm.\"))) | join(\" \")" | grep -q "^vm.created vm.started vm.snapshotted vm.stopped vm.started vm.restored vm.stopped vm.started vm.stopped vm.started vm.started vm.stopped vm.deleted$"' - "$OUT"
expect_exit 0 "ledger verify" c ledger verify
finish
