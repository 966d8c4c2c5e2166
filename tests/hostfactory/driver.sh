# A HostFactory driver acting as Symphony does, sourced by the e2e tests after tests/e2e/lib.sh:
# it writes each operation's input file, calls the provider's script as HostFactory would
# (scripts/hostfactory/<op>.sh -f FILE, with HF_PROVIDER_CONFDIR/WORKDIR/LOGDIR set), and checks
# every output against tests/hostfactory/hf_schema.json with ajv (Node.js; the packages of
# tests/package.json installed into the build tree by scripts/npm-test-deps.sh).
#
# A test sources it and calls hf_env first.
HF_HERE=${HF_HERE:-$E2E_DIR/../hostfactory}
HF_SCHEMA=$HF_HERE/hf_schema.json
HF_N=0

# hf_env: HostFactory's environment for the test in $W, as Symphony sets it: $W/conf the
# provider's configuration directory, $STATE its work dir (chimera's state dir), $W/logs its
# log dir; CHIMERA_BIN the binary under test. Sets ROOT, HF_SCRIPTS, HF_DIR and HF_NPM, and
# installs the schema validator. Returns 1 (a failed check) when node or the packages are missing.
hf_env() {
	ROOT=$(cd "$E2E_DIR/../.." && pwd)
	build=$(cd "$(dirname "$CHIMERA")" && pwd)
	if ! command -v node >/dev/null 2>&1 || ! sh "$ROOT/scripts/npm-test-deps.sh" "$build" >"$W/npm.log" 2>&1; then
		not_ok "the schema validator (node and the npm packages of tests/package.json): $(tail -3 "$W/npm.log" 2>/dev/null)"
		return 1
	fi
	HF_SCRIPTS=$ROOT/scripts/hostfactory
	HF_DIR=$W/hf
	HF_NPM=$build/npm
	mkdir -p "$HF_DIR" "$W/conf" "$W/logs"
	HF_PROVIDER_CONFDIR=$W/conf
	HF_PROVIDER_WORKDIR=$STATE
	HF_PROVIDER_LOGDIR=$W/logs
	CHIMERA_BIN=$CHIMERA
	export HF_PROVIDER_CONFDIR HF_PROVIDER_WORKDIR HF_PROVIDER_LOGDIR CHIMERA_BIN
}

# hf_call OP [INPUT]: run OP with INPUT (JSON text) written to a file first, as HostFactory
# does; no INPUT: no -f at all. Sets HF_OUT (stdout), HF_RC (exit status) and HF_FILE. The
# output must match the schema: OP's shape when HF_RC is 0, the failure shape otherwise (a
# mismatch is a failed check). Nothing but the JSON may be on stdout.
hf_call() {
	op=$1
	HF_N=$((HF_N + 1))
	HF_FILE="$HF_DIR/in-$HF_N-$op.json"
	if [ $# -ge 2 ]; then
		printf '%s\n' "$2" >"$HF_FILE"
		"$HF_SCRIPTS/$op.sh" -f "$HF_FILE" >"$HF_DIR/out-$HF_N.json" 2>"$HF_DIR/err-$HF_N"
	else
		"$HF_SCRIPTS/$op.sh" >"$HF_DIR/out-$HF_N.json" 2>"$HF_DIR/err-$HF_N"
	fi
	HF_RC=$?
	HF_OUT=$(cat "$HF_DIR/out-$HF_N.json")
	def=$op
	[ "$HF_RC" -ne 0 ] && def=failure
	if out=$(node "$HF_HERE/validate.mjs" "$HF_NPM" "$HF_SCHEMA" "$def" "$HF_DIR/out-$HF_N.json" 2>&1); then
		HF_SCHEMA_OK=$((${HF_SCHEMA_OK:-0} + 1))
	else
		not_ok "$op's output matches the schema's $def: $out"
		echo "  output: $(head -c 600 "$HF_DIR/out-$HF_N.json")"
	fi
}

# hf_ok DESCRIPTION: the last call exited 0.
hf_ok() {
	if [ "$HF_RC" -eq 0 ]; then ok "$1"; else not_ok "$1: exit $HF_RC: $HF_OUT"; fi
}

# hf_fails DESCRIPTION WORDS: the last call failed, its message containing WORDS.
hf_fails() {
	msg=$(printf '%s' "$HF_OUT" | jq -r .message 2>/dev/null)
	if [ "$HF_RC" -ne 0 ] && contains "$msg" "$2"; then
		ok "$1 (exit $HF_RC: $msg)"
	else
		not_ok "$1: exit $HF_RC, message '$msg', expected one naming '$2'"
	fi
}

# hf_poll REQUEST SECONDS: getRequestStatus until REQUEST is no longer running (or SECONDS
# pass), the way HostFactory polls; HF_STATUS is its last status.
hf_poll() {
	t0=$(date +%s)
	while :; do
		hf_call getRequestStatus "{\"requests\": [{\"requestId\": \"$1\"}]}"
		HF_STATUS=$(printf '%s' "$HF_OUT" | jq -r '.requests[0].status' 2>/dev/null)
		[ "$HF_RC" -ne 0 ] && return
		[ "$HF_STATUS" != running ] && return
		[ $(($(date +%s) - t0)) -ge "$2" ] && return
		sleep 2
	done
}
