#!/bin/sh
# The Symphony HostFactory provider with the lab provider, driven as HostFactory drives it
# (tests/hostfactory/driver.sh: input files, the five scripts, every output checked against
# the protocol's JSON schema): templates; request 2 machines; poll until complete; both
# reachable and congruent; return them; poll until done; nothing left in chimera.toml; every
# bad input; every act in the ledger.
. "$E2E_DIR/lib.sh"
LAB_BASE=237
start
W="$E2E_WORK/$TEST_NAME"
. "$E2E_DIR/../hostfactory/driver.sh"
hf_env || { finish; exit 1; }
inv() { "$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" "$@"; }
jqo() { printf '%s' "$HF_OUT" | jq -r "$1"; }

expect_exit 0 "lab up 2" ch lab up 2 --base $LAB_BASE
cp "$ROOT/examples/hello/default.nix" "$W/conf/hello.nix"
cat >"$W/conf/chimeraprov_templates.json" <<EOF
{"templates": [
  {"templateId": "lab-hello", "maxNumber": 2, "provider": "lab", "config": "hello.nix",
   "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "1"], "nram": ["Numeric", "512"]}},
  {"templateId": "lab-other", "maxNumber": 5, "provider": "lab", "config": "$W/conf/hello.nix", "attr": ""}
]}
EOF
cat >"$W/conf/chimeraprov_config.json" <<EOF
{"inventory": "$W/chimera.toml", "bootTimeout": 120, "gracePeriod": 30, "logLevel": "info"}
EOF

# A template file that does not parse is named (attr "" is not a non-empty string).
hf_call getAvailableTemplates
hf_fails "a bad templates file is named with its field" "'attr'"
sed -i 's/, "attr": ""//' "$W/conf/chimeraprov_templates.json"

# 1. Templates.
hf_call getAvailableTemplates
hf_ok "getAvailableTemplates"
check "two templates" [ "$(jqo '.templates | length')" = 2 ]
check "lab-hello: 2 available of 2, 512 MiB" [ "$(jqo '.templates[0] | "\(.templateId) \(.maxNumber) \(.availableNumber) \(.attributes.nram[1])"')" = "lab-hello 2 2 512" ]
check "no log on stdout; the log file has it" grep -q getAvailableTemplates "$W/logs/chimera-hostfactory.log"

# 2. Bad inputs, before anything is made.
hf_call requestMachines '{"template": {"templateId": "lab-hello", "machineCount": 3}}'
hf_fails "3 machines over maxNumber 2" "maxNumber 2"
hf_call requestMachines '{"template": {"templateId": "nope", "machineCount": 1}}'
hf_fails "an unknown template" "unknown template 'nope'"
hf_call requestMachines '{"template": {"templateId": "lab-hello", "machineCount": 1}'
hf_fails "malformed JSON" "requestMachines"
hf_call requestMachines
hf_fails "no -f FILE" "-f FILE"
hf_call getRequestStatus '{"requests": [{"requestId": "req-00000000-0000-4000-8000-000000000000"}]}'
hf_fails "an unknown request" "unknown request 'req-00000000-0000-4000-8000-000000000000'"
hf_call getRequestStatus '{"requests": [{"requestId": "req-42"}]}'
hf_fails "a request id of the wrong form" "requests[0].requestId"
hf_call requestReturnMachines '{"machines": [{"name": "hf-nope-1", "machineId": "hf-nope-1"}]}'
hf_fails "returning an unknown machine" "unknown machine 'hf-nope-1'"
hf_call requestReturnMachines '{"machines": []}'
hf_fails "returning no machine" "machines"
check "nothing written into chimera.toml by bad requests" [ ! -s "$W/chimera.toml" ]

# 3. Request 2 machines: lab nodes claimed into chimera.toml at once.
hf_call requestMachines '{"template": {"templateId": "lab-hello", "machineCount": 2}}'
hf_ok "requestMachines 2 of lab-hello"
REQ=$(jqo .requestId)
check "a req- id" contains "$REQ" "req-"
expect_exit 0 "machines list --json" inv --json machines list
check "two machines tagged hostfactory" [ "$(printf '%s' "$OUT" | jq '[.machines[] | select(.tags | index("hostfactory"))] | length')" = 2 ]
hf_call getAvailableTemplates
check "lab-hello: none available now" [ "$(jqo '.templates[0].availableNumber')" = 0 ]
hf_call requestMachines '{"template": {"templateId": "lab-other", "machineCount": 1}}'
hf_ok "a third machine from another template is taken (its request made)"
OTHER=$(jqo .requestId)
hf_poll "$OTHER" 30
check "with no lab node left it fails: complete_with_error" [ "$HF_STATUS" = complete_with_error ]
check "its machine failed, saying why" contains "$(jqo '.requests[0].machines[0] | "\(.result) \(.message)"')" "fail every running lab node"

# 4. Poll until complete.
hf_poll "$REQ" 240
check "request complete" [ "$HF_STATUS" = complete ]
check "two machines, both succeed and running" [ "$(jqo '[.requests[0].machines[] | select(.result == "succeed" and .status == "running")] | length')" = 2 ]
check "their private addresses are the lab's" [ "$(jqo '[.requests[0].machines[].privateIpAddress | startswith("127.'$LAB_BASE'.")] | all')" = true ]
M1=$(jqo '.requests[0].machines[0].name')
M2=$(jqo '.requests[0].machines[1].name')

# 5. Both reachable and congruent.
PATH_DEPLOYED=$(ch events --topic hostfactory.machine.configured --json | jq -r 'select(.payload.congruent) | .payload.path' | head -1)
check "the configuration's store path is recorded" contains "$PATH_DEPLOYED" "/nix/store/"
expect_exit 0 "status -t @hostfactory --expect (congruent)" inv --json status -t @hostfactory --expect "$PATH_DEPLOYED"
check "both congruent" [ "$(printf '%s' "$OUT" | jq .summary.congruent)" = 2 ]
expect_exit 0 "exec on both" inv --json exec -t "$M1,$M2" -- cat /nix/var/chimera-hello/activated
check "the template's configuration was activated on both" [ "$(printf '%s' "$OUT" | jq -r '[.nodes[].stdout] | join(",")' | tr -d '\n ')" = "1,1" ]

# 6. Nothing to take back while both run.
hf_call getReturnRequests '{"machines": []}'
hf_ok "getReturnRequests"
check "no machine taken back" [ "$(jqo '.requests | length')" = 0 ]

# 6b. Quarantined by watch (its event, as watch records it): taken back with the grace period.
T1=$(inv --json machines show "$M1" | jq -r .target)
expect_exit 0 "watch quarantines $M1 (event appended)" ch ledger append --topic watch.node.quarantined --node "$T1" --payload '{"failures": 3}'
hf_call getReturnRequests "{\"machines\": [{\"name\": \"$M1\", \"machineId\": \"$M1\"}, {\"name\": \"$M2\", \"machineId\": \"$M2\"}]}"
check "the quarantined machine is taken back with gracePeriod 30" [ "$(jqo '.requests | map("\(.machine) \(.gracePeriod)") | join(",")')" = "$M1 30" ]
expect_exit 0 "watch releases it" ch ledger append --topic watch.node.released --node "$T1" --payload '{"by": "test"}'
hf_call getReturnRequests '{"machines": []}'
check "released: no longer taken back" [ "$(jqo '.requests | length')" = 0 ]

# 6c. Gone out of band: the lab shrinks to one node, so the second node stops.
A2=$(inv --json machines show "$M2" | jq -r .target)
expect_exit 0 "lab up 1 (the second node stops)" ch lab up 1 --base $LAB_BASE
hf_call getReturnRequests '{"machines": []}'
if contains "$A2" "127.$LAB_BASE.0.11"; then GONE=$M2; else GONE=$M1; fi
check "the machine whose node stopped is taken back at once (gracePeriod 0)" [ "$(jqo '.requests | map("\(.machine) \(.gracePeriod)") | join(",")')" = "$GONE 0" ]

# 7. Return them; poll the return until done.
hf_call requestReturnMachines "{\"machines\": [{\"name\": \"$M1\", \"machineId\": \"$M1\"}, {\"name\": \"$M2\", \"machineId\": \"$M2\"}]}"
hf_ok "requestReturnMachines both"
RET=$(jqo .requestId)
check "a ret- id" contains "$RET" "ret-"
hf_poll "$RET" 60
check "return complete" [ "$HF_STATUS" = complete ]
check "both returned, succeed" [ "$(jqo '[.requests[0].machines[] | select(.result == "succeed" and .status == "returned")] | length')" = 2 ]
hf_call requestReturnMachines "{\"machines\": [{\"name\": \"$M1\"}]}"
hf_fails "returning a machine twice" "returned already"
expect_exit 0 "machines list --json" inv --json machines list
check "nothing left in chimera.toml" [ "$(printf '%s' "$OUT" | jq '.machines | length')" = 0 ]
hf_call getAvailableTemplates
check "lab-hello: 2 available again" [ "$(jqo '.templates[0].availableNumber')" = 2 ]
hf_call getRequestStatus "{\"requests\": [{\"requestId\": \"$REQ\"}, {\"requestId\": \"$RET\"}]}"
check "both requests in one status reply" [ "$(jqo '[.requests[].requestId] | join(" ")')" = "$REQ $RET" ]

# 8. Every act in the ledger, the chain sound.
count() { ch events --topic "$1" --json | wc -l; }
check "3 requests created (2 req-, 1 ret-)" [ "$(count hostfactory.request.created)" = 3 ]
check "3 machines created" [ "$(count hostfactory.machine.created)" = 3 ]
check "2 machines configured" [ "$(count hostfactory.machine.configured)" = 2 ]
check "machine moves: running x2, shutting-down x2, returned x2, failed x1" \
	[ "$(ch events --topic hostfactory.machine.updated --json | jq -r .payload.state | sort | uniq -c | tr -s ' ' | tr '\n' ';')" = " 1 failed; 2 returned; 2 running; 2 shutting-down;" ]
check "request moves recorded" [ "$(count hostfactory.request.updated)" -ge 3 ]
expect_exit 0 "ledger verify" ch ledger verify
# 9. The same operations under /api/v1/hostfactory (chimera serve, this environment's files).
expect_exit 0 "tokens create viewer" ch tokens create hv --role viewer --json
VIEW=$(printf '%s' "$OUT" | jq -r .token)
expect_exit 0 "tokens create operator" ch tokens create hop --role operator --json
OP=$(printf '%s' "$OUT" | jq -r .token)
SERVER=
trap 'if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null; fi; cleanup' EXIT
serve_start --no-watch
check "serve is listening" [ -n "$URL" ]
api GET /api/v1/hostfactory/templates "$VIEW"
check "GET templates (viewer): 200, lab-hello 2 available" [ "$CODE $(printf '%s' "$BODY" | jq -r '.templates[0].availableNumber')" = "200 2" ]
api POST /api/v1/hostfactory/requests "$VIEW" '{"template": {"templateId": "lab-hello", "machineCount": 1}}'
check "POST requests as a viewer: 403" [ "$CODE" = 403 ]
api POST /api/v1/hostfactory/requests "$OP" '{"template": {"templateId": "nope", "machineCount": 1}}'
check "an unknown template: 400 bad_input" [ "$CODE $(printf '%s' "$BODY" | jq -r .error.code)" = "400 bad_input" ]
check "naming it" contains "$BODY" "unknown template 'nope'"
api POST /api/v1/hostfactory/requests "$OP" '{"template": {"templateId": "lab-hello", "machineCount": 1}}'
AREQ=$(printf '%s' "$BODY" | jq -r .requestId)
check "POST requests (operator): 200 and a req- id" [ "$CODE $(printf '%.4s' "$AREQ")" = "200 req-" ]
i=0
while [ $i -lt 60 ]; do
	api POST /api/v1/hostfactory/requests/status "$OP" "{\"requests\": [{\"requestId\": \"$AREQ\"}]}"
	[ "$(printf '%s' "$BODY" | jq -r '.requests[0].status')" != running ] && break
	sleep 2
	i=$((i + 1))
done
check "its status polled to complete over the API" [ "$CODE $(printf '%s' "$BODY" | jq -r '.requests[0].status')" = "200 complete" ]
AM=$(printf '%s' "$BODY" | jq -r '.requests[0].machines[0].name')
api GET "/api/v1/hostfactory/returns/status?machines=$AM" "$VIEW"
check "GET returns/status (viewer): 200, nothing taken back" [ "$CODE $(printf '%s' "$BODY" | jq '.requests | length')" = "200 0" ]
expect_exit 0 "watch quarantines $AM (event appended)" ch ledger append --topic watch.node.quarantined --node "$(inv --json machines show "$AM" | jq -r .target)" --payload '{"failures": 3}'
api GET "/api/v1/hostfactory/returns/status?machines=$AM" "$VIEW"
check "GET returns/status: the quarantined machine, gracePeriod 30" [ "$CODE $(printf '%s' "$BODY" | jq -r '.requests | map("\(.machine) \(.gracePeriod)") | join(",")')" = "200 $AM 30" ]
api POST /api/v1/hostfactory/returns "$OP" "{\"machines\": [{\"name\": \"$AM\"}]}"
check "POST returns: 200 and a ret- id" [ "$CODE $(printf '%s' "$BODY" | jq -r .requestId | cut -c1-4)" = "200 ret-" ]
expect_exit 0 "machines list --json" inv --json machines list
check "nothing left in chimera.toml after the API's cycle" [ "$(printf '%s' "$OUT" | jq '.machines | length')" = 0 ]
kill "$SERVER" 2>/dev/null
wait "$SERVER" 2>/dev/null
SERVER=

# 10. getRequestStatus answers while a machine's configuration builds in a process of its
# own (executing); that process killed (-9, its whole session): the machine fails, saying so,
# and is taken back. The configuration's build sleeps 60 s (a name of its own: never cached)
# and then fails, so that a builder left behind by the kill makes nothing in the store.
nix_offline
NONCE=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
cat >"$W/conf/slow.nix" <<EOF
derivation { name = "hf-slow-$NONCE"; system = builtins.currentSystem; builder = "/bin/sh";
  args = [ "-c" "/bin/sleep 60; exit 1" ]; }
EOF
jq '.templates += [{"templateId": "lab-slow", "maxNumber": 1, "provider": "lab", "config": "slow.nix"}]' \
	"$W/conf/chimeraprov_templates.json" >"$W/conf/t.json" && mv "$W/conf/t.json" "$W/conf/chimeraprov_templates.json"
hf_call requestMachines '{"template": {"templateId": "lab-slow", "machineCount": 1}}'
hf_ok "requestMachines 1 of lab-slow"
SREQ=$(jqo .requestId)
T0=$(date +%s)
hf_call getRequestStatus "{\"requests\": [{\"requestId\": \"$SREQ\"}]}"
T1=$(date +%s)
check "getRequestStatus answered in $((T1 - T0)) s (under 15) while the 60 s build runs elsewhere" [ $((T1 - T0)) -lt 15 ]
check "the machine is executing, the request running" \
	[ "$(jqo '"\(.requests[0].status) \(.requests[0].machines[0].result)"')" = "running executing" ]
SM=$(jqo '.requests[0].machines[0].name')
marks() { ch events --topic hostfactory.machine.configuring --json | jq -r --arg m "$SM" 'select(.payload.machine == $m) | .payload.pid'; }
CPID=$(marks | tail -1)
check "a configuring process recorded, and running (pid $CPID)" kill -0 "$CPID"
hf_call getRequestStatus "{\"requests\": [{\"requestId\": \"$SREQ\"}]}"
check "asked again: still executing, no second process" \
	[ "$(jqo '.requests[0].machines[0].result') $(marks | wc -l)" = "executing 1" ]
kill -9 -"$CPID"
dead() { ! kill -0 "$CPID" 2>/dev/null || grep -q '^State:.*Z' "/proc/$CPID/status" 2>/dev/null; }
i=0
while ! dead && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
hf_call getRequestStatus "{\"requests\": [{\"requestId\": \"$SREQ\"}]}"
check "its process killed: the request complete_with_error, the machine fail" \
	[ "$(jqo '"\(.requests[0].status) \(.requests[0].machines[0].result)"')" = "complete_with_error fail" ]
check "saying its configuration's process ended without a result" \
	contains "$(jqo '.requests[0].machines[0].message')" "ended without a result"
expect_exit 0 "machines list --json" inv --json machines list
check "taken back: nothing left in chimera.toml" [ "$(printf '%s' "$OUT" | jq '.machines | length')" = 0 ]

echo "schema checks passed: ${HF_SCHEMA_OK:-0}"
check "every output was checked against the schema" [ "${HF_SCHEMA_OK:-0}" -ge 20 ]
finish
