#!/bin/sh
# The ssh config as OpenSSH reads it (docs/ssh.md): User, Port and HostName in the label, ProxyJump
# through lab nodes carried in chimera's own process, ConnectTimeout, ServerAliveInterval,
# StrictHostKeyChecking, IdentityFile (several, ~) with IdentitiesOnly, ssh-agent, ~/.ssh/config by
# default, host key errors with the key's fingerprint and the known_hosts file and line, and a bad
# config line named by file and line.
. "$E2E_DIR/lib.sh"
LAB_BASE=221
start
W="$E2E_WORK/$TEST_NAME"
B=127.$LAB_BASE.0
HELPERS=""
trap 'for p in $HELPERS; do kill "$p" 2>/dev/null; done; cleanup' EXIT
trap 'exit 130' INT TERM

expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
LAB="$STATE/lab"	# the lab's client key and known_hosts
N0PID=$(ch lab status --json | jq -r '.list[0].pid')
N1PID=$(ch lab status --json | jq -r '.list[1].pid')
FP=$(ssh-keygen -lf "$LAB/known_hosts" | awk -v h="$B.10" '$3 == h { print $2 }')

# A TCP relay from $1:$2 to $3:22 (a node's sshd on another port), and a listener on $1:$2 that
# never says a word; both in the background until the test ends.
relay() {
	python3 -c '
import socket, sys, threading
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2]))); l.listen(16)
while True:
    c, _ = l.accept()
    u = socket.create_connection((sys.argv[3], 22))
    for x, y in ((c, u), (u, c)):
        threading.Thread(target=pipe, args=(x, y), daemon=True).start()
' "$@" &
	HELPERS="$HELPERS $!"
}
silent() {
	python3 -c '
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2]))); l.listen(16)
time.sleep(600)
' "$@" &
	HELPERS="$HELPERS $!"
}
# On a node: where its SSH connection comes from (the TCP peer's process and its mount namespace).
PROBE='P=$(echo "$SSH_CONNECTION" | cut -d" " -f2); O=$(ss -Htnp "sport = :$P" | sed -n "s/.*pid=\([0-9]*\).*/\1/p" | head -1); echo "peer=$(cat /proc/$O/comm) ns=$(readlink /proc/$O/ns/mnt)"'
NS0=$(readlink /proc/$N0PID/ns/mnt)
NS1=$(readlink /proc/$N1PID/ns/mnt)
relay $B.11 2222 $B.11
silent $B.13 22
# until both listen (python takes a moment to start)
for i in $(seq 50); do
	[ "$(ss -Htln | grep -c -e "$B.11:2222 " -e "$B.13:22 ")" = 2 ] && break
	sleep 0.1
done

CFG="$W/ssh_config"
cat >"$CFG" <<EOF
# the test's own ssh config; the lab's (Host $B.*) is read before it
Host n0-root
  HostName $B.10
  User root
Host n0-bogus
  HostName $B.10
  User nosuchuser
Host n1-2222
  HostName $B.11
  Port 2222
  StrictHostKeyChecking accept-new
  UserKnownHostsFile $W/kh_2222
Host n2-via-n0
  HostName $B.12
  ProxyJump n0-root
Host n2-via-n0-n1
  HostName $B.12
  ProxyJump n0-root,root@$B.11:22
Host n2-bad-jump
  HostName $B.12
  ProxyJump nosuchuser@n0-root
Host n0-alive
  HostName $B.10
  ServerAliveInterval 1
Host slow
  HostName $B.13
  ConnectTimeout 1
Host n0-changed
  HostName $B.10
  UserKnownHostsFile $W/kh_changed
Host n0-unknown
  HostName $B.10
  UserKnownHostsFile $W/kh_empty
Host n0-pc
  HostName $B.10
  ProxyCommand nc %h %p
Host n* slow
  User root
  IdentityFile $LAB/id_ed25519
  UserKnownHostsFile $LAB/known_hosts
  GlobalKnownHostsFile none
  StrictHostKeyChecking yes
# IdentityFile lines add up: these two get no other
Host agent-n0 agent-only-n0
  HostName $B.10
  User root
  IdentityFile $W/no-such-key
  UserKnownHostsFile $LAB/known_hosts
Host agent-only-n0
  IdentitiesOnly yes
EOF
line_of() { grep -n "$1" "$CFG" | head -1 | cut -d: -f1; }
chs() { ch --ssh-config "$CFG" "$@"; }

# 1. User: the config's is used (root works, a bogus one is refused at auth); one written in the
# target beats it.
expect_exit 0 "User root from the config" chs exec -t n0-root -- 'id -un'
check "labelled with the real user@host:port" contains "$OUT" "root@$B.10:22: exit 0"
check "ran as root" contains "$OUT" "  root"
expect_exit 1 "User nosuchuser from the config is refused" chs exec -t n0-bogus -- true
check "the label and the error name the config's user" contains "$OUT" "nosuchuser@$B.10:22: FAILED at connect: nosuchuser@$B.10:22: public key authentication refused"
expect_exit 0 "a user written in the target beats the config's" chs exec -t root@n0-bogus -- 'id -un'
check "as root@" contains "$OUT" "root@$B.10:22: exit 0"

# 2. Port (and HostName) in the label, the ledger and known_hosts; StrictHostKeyChecking accept-new.
expect_exit 0 "Port 2222 from the config" chs exec --json -t n1-2222 -- 'echo "$SSH_CONNECTION"'
check "the node is root@$B.11:2222" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[0].target')" = "root@$B.11:2222" ]
check "reached through the relay on 2222" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[0].stdout' | cut -d' ' -f3,4)" = "$B.11 22" ]
check "the ledger names it :2222" [ "$(ch events --json --topic node.exec | jq -r '.node' | tail -1)" = "root@$B.11:2222" ]
check "accept-new added [host]:2222 to its UserKnownHostsFile" grep -q "^\[$B.11\]:2222 ssh-ed25519 " "$W/kh_2222"

# Machines of chimera.toml: an alias as target, or ssh_options (read before the ssh config) with a
# ProxyJump; a machine is still itself (here: for --exclude) under its resolved target.
cat >"$W/chimera.toml" <<EOF
[machines.web]
target = "n1-2222"

[machines.jumped]
target = "$B.12"
ssh_options = ["ProxyJump=n0-root"]
EOF
inv() { ch --config "$W/chimera.toml" --ssh-config "$CFG" "$@"; }
expect_exit 0 "machines: an alias, and ssh_options with a ProxyJump" inv exec --json -t web,jumped -- "$PROBE"
check "web is root@$B.11:2222" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[0].target')" = "root@$B.11:2222" ]
check "jumped is root@$B.12:22" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[1].target')" = "root@$B.12:22" ]
check "jumped was reached through node 0" contains "$(printf '%s\n' "$OUT" | jq -r '.nodes[1].stdout')" "peer=sshd ns=$NS0"
expect_exit 0 "--exclude a machine by name" inv exec --json -t all --exclude web -- true
check "leaves the other" [ "$(printf '%s\n' "$OUT" | jq -r '[.nodes[].target] | join(",")')" = "root@$B.12:22" ]
expect_exit 0 "--exclude a machine by its resolved target" inv exec --json -t all --exclude "root@$B.11:2222" -- true
check "leaves the other" [ "$(printf '%s\n' "$OUT" | jq -r '[.nodes[].target] | join(",")')" = "root@$B.12:22" ]

# 3. ProxyJump: node 2 reached through node 0 (and through 0 then 1), inside chimera's process:
# on node 2, the TCP peer of the session is an sshd in that jump node's mount namespace.
expect_exit 0 "ProxyJump n0-root" chs exec -t n2-via-n0 -- "$PROBE"
check "labelled as node 2" contains "$OUT" "root@$B.12:22: exit 0"
check "node 2's peer is node 0's sshd" contains "$OUT" "peer=sshd ns=$NS0"
expect_exit 0 "ProxyJump n0-root,root@$B.11:22" chs exec -t n2-via-n0-n1 -- "$PROBE"
check "node 2's peer is node 1's sshd" contains "$OUT" "peer=sshd ns=$NS1"
expect_exit 0 "node 2 directly, for contrast" chs exec -t $B.12 -- "$PROBE"
check "its peer is chimera itself" contains "$OUT" "peer=chimera"
check "no ssh process was started for the jumps" [ -z "$(live_procs "ssh -W")" ]
expect_exit 1 "a jump host that refuses the login" chs exec -t n2-bad-jump -- true
check "names the jump host and the ProxyJump line" contains "$OUT" "through jump host nosuchuser@$B.10:22 (ProxyJump at $CFG:$(line_of 'ProxyJump nosuchuser')): nosuchuser@$B.10:22: public key authentication refused"
expect_exit 1 "ProxyCommand is refused, named" chs exec -t n0-pc -- true
check "with its file:line" contains "$OUT" "ProxyCommand at $CFG:$(line_of 'ProxyCommand nc') is not supported"

# 4. ConnectTimeout from the config; --connect-timeout beats it.
T0=$(date +%s%N)
expect_exit 1 "ConnectTimeout 1 to a host that never answers" chs exec -t slow -- true
MS=$(( ($(date +%s%N) - T0) / 1000000 ))
check "timed out after 1s" contains "$OUT" "root@$B.13:22: connect timed out after 1s"
check "in under 4 s (took $MS ms)" [ "$MS" -lt 4000 ]
expect_exit 1 "--connect-timeout 2 beats it" chs exec -t slow --connect-timeout 2 -- true
check "timed out after 2s" contains "$OUT" "connect timed out after 2s"

# 5. ServerAliveInterval: keepalives while the node is silent.
expect_exit 0 "ServerAliveInterval 1 over a silent 2.5 s command" chs -vv exec -t n0-alive -- 'sleep 2.5'
check "at least two keepalives sent" [ "$(printf '%s\n' "$ERR" | grep -c 'sent keepalive node=root@'"$B"'.10:22')" -ge 2 ]

# 6. Host keys: a changed one names its fingerprint and the file:line of the old one; an unknown one the file.
printf '# the next line holds another key for node 0\n%s.10 %s\n' "$B" "$(cut -d' ' -f1,2 "$LAB/id_ed25519.pub")" >"$W/kh_changed"
: >"$W/kh_empty"
expect_exit 1 "a changed host key is refused" chs exec -t n0-changed -- true
check "naming the key's type and fingerprint and the known_hosts line" contains "$OUT" "host key ssh-ed25519 $FP does not match the one $W/kh_changed:2 holds for $B.10"
expect_exit 1 "an unknown host key is refused" chs exec -t n0-unknown -- true
check "naming the fingerprint and the file" contains "$OUT" "host key ssh-ed25519 $FP for $B.10 is not in $W/kh_empty"
expect_exit 1 "a changed key is refused even with --accept-new-host-keys" chs exec --accept-new-host-keys -t n0-changed -- true
expect_exit 0 "--accept-new-host-keys adds an unknown one" chs exec --accept-new-host-keys -t n0-unknown -- true
check "now in the file" grep -q "^$B.10 ssh-ed25519 " "$W/kh_empty"

# 7. Keys: ssh-agent when IdentitiesOnly is off, not when it is on.
eval "$(ssh-agent -s -a "$W/agent.sock")" >/dev/null
HELPERS="$HELPERS $SSH_AGENT_PID"
unset SSH_AUTH_SOCK
SSH_AUTH_SOCK="$W/agent.sock" ssh-add -q "$LAB/id_ed25519" 2>/dev/null
expect_exit 0 "the agent's key logs in" env SSH_AUTH_SOCK="$W/agent.sock" "$CHIMERA" --state-dir "$STATE" --ssh-config "$CFG" exec -t agent-n0 -- true
expect_exit 1 "without the agent the missing IdentityFile is all there is" env -u SSH_AUTH_SOCK "$CHIMERA" --state-dir "$STATE" --ssh-config "$CFG" exec -t agent-n0 -- true
check "the error lists what was tried" contains "$OUT" "tried: $W/no-such-key (No such file or directory)"
expect_exit 1 "IdentitiesOnly yes leaves the agent out" env SSH_AUTH_SOCK="$W/agent.sock" "$CHIMERA" --state-dir "$STATE" --ssh-config "$CFG" exec -t agent-only-n0 -- true

# 8. ~/.ssh/config by default, with ~ in IdentityFile (the first one missing) and UserKnownHostsFile.
mkdir -p "$W/home/.ssh"
cp "$LAB/id_ed25519" "$W/home/.ssh/lab_key"
cp "$LAB/known_hosts" "$W/home/.ssh/known_hosts"
cat >"$W/home/.ssh/config" <<EOF
Host home-n1
  HostName $B.11
  IdentityFile ~/.ssh/missing_key
  IdentityFile ~/.ssh/lab_key
  IdentitiesOnly yes
EOF
expect_exit 0 "~/.ssh/config is read when no --ssh-config is given" env -u SSH_AUTH_SOCK HOME="$W/home" "$CHIMERA" --state-dir "$STATE" exec -t home-n1 -- true
check "as root@$B.11:22" contains "$OUT" "root@$B.11:22: exit 0"

# 9. A bad line names its file and line and the expected form (exit 2).
printf 'Host x\n  User root\n  Port 22x\n' >"$W/bad_port"
expect_exit 2 "a bad Port line" ch --ssh-config "$W/bad_port" exec -t x -- true
check "names file:line" contains "$ERR" "$W/bad_port:3: bad Port '22x': expected a port number 1-65535"
printf 'Host x\n  ProxyJump a:99999\n' >"$W/bad_jump"
expect_exit 2 "a bad ProxyJump line" ch --ssh-config "$W/bad_jump" exec -t x -- true
check "names file:line" contains "$ERR" "$W/bad_jump:2: bad ProxyJump 'a:99999': expected none, or [user@]host[:port]"
printf 'Host x\n  Frobnicate yes\n' >"$W/bad_key"
expect_exit 2 "an unknown keyword" ch --ssh-config "$W/bad_key" exec -t x -- true
check "names file:line" contains "$ERR" "$W/bad_key:2: unknown keyword 'Frobnicate'"
expect_exit 1 "a missing --ssh-config file" ch --ssh-config "$W/nope" exec -t x -- true
check "is named" contains "$ERR" "no ssh config at '$W/nope'"

finish
