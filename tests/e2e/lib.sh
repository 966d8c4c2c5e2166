# Shared set-up for the e2e tests: a private state dir, a lab base, checks and cleanup.
# Each test sources this, sets LAB_BASE to an octet no other test uses, and calls start.
set -u

: "${CHIMERA:?CHIMERA must point at the chimera binary}"
: "${E2E_WORK:=$(pwd)/e2e-work}"
TEST_NAME=$(basename "$0" .sh)
STATE="$E2E_WORK/$TEST_NAME/state"
FAILS=0
PASSES=0

ch() { "$CHIMERA" --state-dir "$STATE" "$@"; }

# Nix for the tests: offline (no substituter), no build users, no sandbox (builders are /bin/sh).
nix_offline() {
	NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false')"
	export NIX_CONFIG
}

start() {
	# The lab can't live under /tmp or /run: nodes replace both.
	if [ -d "$STATE" ]; then ch lab down >/dev/null 2>&1 || true; fi
	rm -rf "$E2E_WORK/$TEST_NAME"
	mkdir -p "$E2E_WORK/$TEST_NAME"
	trap cleanup EXIT
}

cleanup() {
	ch lab down >/dev/null 2>&1 || true
}

ok() { PASSES=$((PASSES + 1)); echo "ok - $*"; }
not_ok() { FAILS=$((FAILS + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: passes when COMMAND exits 0.
check() {
	d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# check_all DESCRIPTION 'CONDITION': passes when the whole shell CONDITION holds (a list
# joined by && counts in full; after `check D cmd && [ ... ]` only cmd would).
check_all() {
	if eval "$2"; then ok "$1"; else not_ok "$1"; fi
}

# expect_exit CODE DESCRIPTION COMMAND...: runs COMMAND, output in $OUT and $ERR.
expect_exit() {
	want=$1; d=$2; shift 2
	"$@" >"$E2E_WORK/$TEST_NAME/out" 2>"$E2E_WORK/$TEST_NAME/err"
	got=$?
	OUT=$(cat "$E2E_WORK/$TEST_NAME/out")
	ERR=$(cat "$E2E_WORK/$TEST_NAME/err")
	if [ "$got" -eq "$want" ]; then
		ok "$d (exit $got)"
	else
		not_ok "$d: exit $got, expected $want"
		echo "  stdout: $(printf "%s\n" "$OUT" | head -20)"
		echo "  stderr: $(echo "$ERR" | head -20)"
	fi
}

# expect_fail DESCRIPTION COMMAND...: passes when COMMAND exits non-zero.
expect_fail() {
	d=$1; shift
	"$@" >"$E2E_WORK/$TEST_NAME/out" 2>"$E2E_WORK/$TEST_NAME/err"
	got=$?
	OUT=$(cat "$E2E_WORK/$TEST_NAME/out")
	ERR=$(cat "$E2E_WORK/$TEST_NAME/err")
	if [ "$got" -ne 0 ]; then ok "$d (exit $got)"; else not_ok "$d: exited 0"; fi
}

contains() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }

# json FILTER: read a field of the JSON on stdin.
json() { jq -r "$1"; }

# Where the lab keeps its node files on this machine, as `chimera lab status --json` says: under
# STATE/lab/nodes, or under /var/lib/chimera when STATE is under /tmp, /root, /run or /nix
# (which the nodes replace). Never assume the first. $1 (optional): another state dir.
lab_root() { "$CHIMERA" --state-dir "${1:-$STATE}" lab status --json | jq -r .root; }
# node_root N [STATE]: lab node N's directory; what the node sees as /nix, /root, /run and
# /tmp are its nix/, home/, run/ and tmp/. Empty when the lab has no node N (or does not say):
# callers must not then write under "$(node_root N)/...", which would be the controller's own.
node_root() {
	"$CHIMERA" --state-dir "${2:-$STATE}" lab status --json | jq -r --argjson i "$1" '.list[$i].dir // empty'
}

# Live (non-zombie) processes whose command line mentions $1.
live_procs() {
	ps -eo stat=,args= | awk -v pat="$1" '$1 !~ /^Z/ && index($0, pat) > 0' | grep -v awk || true
}

# serve_start [ARGS...]: chimera serve in the background on a free loopback port, with
# $W/chimera.toml, logging to $W/serve.log; sets SERVER (the server's own pid, not a
# subshell's: run directly, not through ch) and URL (empty when it did not start in 10 s).
serve_start() {
	rm -f "$W/ready"
	"$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" serve --listen 127.0.0.1:0 --ready-file "$W/ready" \
		"$@" >>"$W/serve.log" 2>&1 &
	SERVER=$!
	i=0
	while [ ! -s "$W/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	URL=$(cat "$W/ready" 2>/dev/null)
}

# For the API tests (after serve_start): api METHOD PATH [TOKEN] [BODY]: the status in $CODE, the body in $BODY, headers in $W/h.
api() {
	m=$1 p=$2 tok=${3:-} data=${4:-}
	set -- -s -o "$W/body" -D "$W/h" -w '%{http_code}' -X "$m"
	[ -n "$tok" ] && set -- "$@" -H "Authorization: Bearer $tok"
	[ -n "$data" ] && set -- "$@" -H 'Content-Type: application/json' --data-binary "$data"
	CODE=$(curl "$@" "$URL$p")
	BODY=$(cat "$W/body")
}
header() { tr -d '\r' <"$W/h" | awk -v h="$1" 'BEGIN { IGNORECASE = 1 } index(tolower($0), tolower(h) ":") == 1 { sub(/^[^:]*: */, ""); print }'; }
# wait_job ID TOKEN: until the job ends (at most 120 s); its document in $BODY.
wait_job() {
	i=0
	while [ $i -lt 240 ]; do
		api GET "/api/v1/jobs/$1" "$2"
		case $(printf '%s' "$BODY" | jq -r .state) in queued | running) ;; *) return 0 ;; esac
		sleep 0.5
		i=$((i + 1))
	done
}

finish() {
	echo "$PASSES passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
}
