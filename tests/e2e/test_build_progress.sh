#!/bin/sh
# Build progress from Nix's structured log (issue 16): off a terminal one line per derivation
# started and finished, with its time; on a terminal (script(1)'s pty) a redrawn status line
# with the last log line; a failed derivation's last log lines in the error; --json output
# unchanged. And Nix's build-users-group as root: chimera's own builds work without a nixbld
# group, and a group that does not exist, or a daemon that is not there, is named with what
# to set. The builds need no node: the one target is an address of this test's LAB_BASE that
# nothing listens on, so every deploy ends failing at connect, after its build.
. "$E2E_DIR/lib.sh"
LAB_BASE=220
start
W="$E2E_WORK/$TEST_NAME"
T="root@127.$LAB_BASE.0.1"
nix_offline

# Two derivations, progress-top depending on progress-dep; STAMP makes them new each run.
cat > "$W/two.nix" <<'EOF2'
{ stamp }:
let
  dep = derivation {
    name = "progress-dep";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo dep line one; echo dep line two >&2; /bin/sleep 1; echo dep done; /bin/mkdir $out; echo x > $out/x" ];
    inherit stamp;
  };
in derivation {
  name = "progress-top";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo top starting; /bin/sleep 1; echo top ends; /bin/mkdir $out; /bin/cp ${dep}/x $out/x" ];
  inherit stamp;
}
EOF2
cat > "$W/fail.nix" <<'EOF2'
{ stamp }:
derivation {
  name = "progress-fail";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "i=1; while [ $i -le 30 ]; do echo fail line $i; i=$((i+1)); done; echo about to fail >&2; exit 3" ];
  inherit stamp;
}
EOF2
n=0
stamp() { n=$((n + 1)); echo "$$-$(date +%s%N)-$n"; }
deploy() { f=$1; shift; ch deploy -t "$T" -c "$W/$f" --argstr stamp "$(stamp)" --connect-timeout 5 "$@"; }

# Off a terminal: one line per derivation started and finished, in order, with its time.
expect_exit 1 "a build, then the one node unreachable" deploy two.nix
check "the build produced progress-top" contains "$OUT" "-progress-top (1 paths"
LINES=$(printf '%s\n' "$ERR" | grep '^build: ')
check "a line per derivation started and finished, in build order" [ "$(printf '%s\n' "$LINES" | sed 's/ in [0-9.]*s / in Xs /')" = "$(printf '%s\n' \
	'build: progress-dep started' 'build: progress-dep built in Xs (1/2)' \
	'build: progress-top started' 'build: progress-top built in Xs (2/2)')" ]
check "each took about its builder's second" sh -c 'printf "%s\n" "$1" | grep -Eq "progress-dep built in (0\.9|1\.|2\.)"' - "$LINES"

# On a terminal: the status line names the derivation building and its last log line.
STAMP=$(stamp)
script -qec "$CHIMERA --state-dir $STATE deploy -t $T -c $W/two.nix --argstr stamp $STAMP --connect-timeout 5" \
	/dev/null >"$W/pty.out" 2>&1
check "the status line shows progress-dep's last line" grep -q 'building 0/2: progress-dep — dep line two' "$W/pty.out"
check "then progress-top's" grep -q 'building 1/2: progress-top — top starting' "$W/pty.out"
check "no plain lines on a terminal" sh -c '! grep -q "^build: " "$1"' - "$W/pty.out"
check "the node counter is there as before" grep -q '1/1 done, 1 failed' "$W/pty.out"

# A failed derivation: its name and its last 25 log lines in the error.
expect_exit 1 "a failing derivation" deploy fail.nix
check "its plain line says FAILED" contains "$ERR" "build: progress-fail FAILED after"
check "the error names it and its last 25 lines" contains "$ERR" "progress-fail failed; the last 25 lines of its log:
> fail line 7
> fail line 8"
check "down to its last line" contains "$ERR" "> fail line 30
> about to fail"
check "and no earlier line" sh -c '! printf "%s\n" "$1" | grep -q "> fail line 6$"' - "$ERR"
check "with Nix's own error" contains "$ERR" "failed with exit code 3"

# --json: the same document, no progress anywhere.
expect_exit 1 "a build with --json" deploy two.nix --json
check "stdout is the report, with the keys it had" \
	[ "$(printf '%s\n' "$OUT" | jq -c 'keys')" = '["build_ms","closure","deployment","dry_run","nodes","path","summary"]' ]
check "its path is progress-top" sh -c 'printf "%s\n" "$1" | jq -e ".path | endswith(\"-progress-top\")" >/dev/null' - "$OUT"
check "no progress on stderr" sh -c '! printf "%s\n" "$1" | grep -q "^build\(ing\)\?[ :]"' - "$ERR"
expect_exit 1 "a failing build with --json" deploy fail.nix --json
check "the error document carries the log lines" \
	[ "$(printf '%s\n' "$OUT" | jq -r '"\(.ok) \(.error | contains("progress-fail failed; the last 25 lines of its log:\n> fail line 7"))"')" = "false true" ]

# A Nix that does not know --log-format: its plain output is read instead, once refused.
mkdir -p "$W/oldnix"
cat > "$W/oldnix/nix-build" <<EOF2
#!/bin/sh
for a in "\$@"; do
	if [ "\$a" = --log-format ]; then
		echo "error: unrecognised flag '--log-format'" >&2
		echo "Try 'nix-build --help' for more information." >&2
		exit 1
	fi
done
exec $(command -v nix-build) "\$@"
EOF2
chmod +x "$W/oldnix/nix-build"
OLDPATH=$PATH
PATH="$W/oldnix:$PATH"
expect_exit 1 "a nix-build without --log-format" deploy two.nix
check "it built all the same" contains "$OUT" "-progress-top (1 paths"
check "with no derivation lines to give" sh -c '! printf "%s\n" "$1" | grep -q "^build: "' - "$ERR"
expect_exit 1 "and a failing build with it" deploy fail.nix
check "the error ends with Nix's output as before" contains "$ERR" "about to fail
error: builder for"
PATH=$OLDPATH

# build-users-group. As root without a nixbld group or a daemon, a NIX_CONFIG that does not
# empty build-users-group leaves Nix's default, nixbld: chimera's builds go without build users.
if [ "$(id -u)" = 0 ] && ! getent group nixbld >/dev/null && [ ! -e /nix/var/nix/daemon-socket/socket ]; then
	DEFAULT_CONFIG=$NIX_CONFIG
	NIX_CONFIG="$(printf 'substituters =\nsandbox = false')"
	expect_exit 1 "root, no nixbld group, Nix's default" deploy two.nix
	check "it built" contains "$ERR" "build: progress-top built in"
	check "no nixbld error" sh -c '! printf "%s\n" "$1" | grep -q "nixbld"' - "$ERR"
	NIX_CONFIG="$(printf 'substituters =\nsandbox = false\nbuild-users-group = chimera-no-such-group')"
	expect_exit 1 "a build-users-group that does not exist, set by the user" deploy two.nix
	check "the error says what to set" contains "$ERR" \
		"build-users-group setting names the group 'chimera-no-such-group', which does not exist here"
	check "naming NIX_CONFIG's line" contains "$ERR" 'NIX_CONFIG="build-users-group ="'
	NIX_CONFIG=$DEFAULT_CONFIG
	export NIX_REMOTE=daemon
	expect_exit 1 "NIX_REMOTE=daemon with no daemon" deploy two.nix
	unset NIX_REMOTE
	check "the error says no daemon listens, and what to do" contains "$ERR" \
		"no Nix daemon listens on /nix/var/nix/daemon-socket/socket"
	check "naming NIX_REMOTE" contains "$ERR" "unset NIX_REMOTE"
else
	echo "# build-users-group checks need root without a nixbld group or a Nix daemon: not run"
fi
finish
