#!/bin/sh
# The Symphony HostFactory provider with the qemu provider, driven as HostFactory drives it
# (tests/hostfactory/driver.sh, every output checked against the protocol's schema): request 2
# VMs; poll until complete (booted, deployed, congruent); return them; poll until done; no VM
# left: no QEMU process, nothing in chimera.toml, vm list empty; every act in the ledger.
. "$E2E_DIR/lib.sh"
LAB_BASE=238	# no lab here: the octet of the VMs' own addresses (every e2e test owns one)
start
W="$E2E_WORK/$TEST_NAME"
CHIMERA_VM_ADDRESS_PREFIX=127.$LAB_BASE.0.
export CHIMERA_VM_ADDRESS_PREFIX
. "$E2E_DIR/../hostfactory/driver.sh"
hf_env || { finish; exit 1; }
inv() { "$CHIMERA" --state-dir "$STATE" --config "$W/chimera.toml" "$@"; }
jqo() { printf '%s' "$HF_OUT" | jq -r "$1"; }
# Whatever VM the test leaves is removed by name, through chimera (never a broad kill).
vms() { inv --json vm list 2>/dev/null | jq -r '(.vms // .)[]?.name // empty' 2>/dev/null; }
trap 'for v in $(vms); do inv vm rm "$v" >/dev/null 2>&1; done; cleanup' EXIT

cp "$ROOT/examples/hello/default.nix" "$W/conf/hello.nix"
cat >"$W/conf/chimeraprov_templates.json" <<EOF
{"templates": [
  {"templateId": "vm-hello", "maxNumber": 2, "provider": "qemu", "cpus": 1, "memory": 512, "disk": 2,
   "config": "hello.nix"}
]}
EOF
cat >"$W/conf/chimeraprov_config.json" <<EOF
{"inventory": "$W/chimera.toml", "bootTimeout": 240, "logLevel": "info"}
EOF

hf_call getAvailableTemplates
hf_ok "getAvailableTemplates"
check "vm-hello: 2 available, 1 cpu, 512 MiB" [ "$(jqo '.templates[0] | "\(.availableNumber) \(.attributes.ncpus[1]) \(.attributes.nram[1])"')" = "2 1 512" ]
hf_call requestMachines '{"template": {"templateId": "vm-hello", "machineCount": 3}}'
hf_fails "3 VMs over maxNumber 2" "maxNumber 2"

# Request 2 VMs: QEMU runs when the reply comes, the guests boot meanwhile.
t0=$(date +%s)
hf_call requestMachines '{"template": {"templateId": "vm-hello", "machineCount": 2}}'
hf_ok "requestMachines 2 VMs"
REQ=$(jqo .requestId)
echo "requestMachines answered in $(($(date +%s) - t0)) s"
expect_exit 0 "vm list --json" inv --json vm list
check "two VMs listed" [ "$(vms | wc -l)" = 2 ]
expect_exit 0 "machines list --json" inv --json machines list
check "both in chimera.toml, tagged vm and hostfactory" [ "$(printf '%s' "$OUT" | jq '[.machines[] | select((.tags | index("hostfactory")) and (.tags | index("vm")))] | length')" = 2 ]

hf_poll "$REQ" 400
echo "complete after $(($(date +%s) - t0)) s"
check "request complete" [ "$HF_STATUS" = complete ]
check "both succeed and running" [ "$(jqo '[.requests[0].machines[] | select(.result == "succeed" and .status == "running")] | length')" = 2 ]
check "their addresses under $CHIMERA_VM_ADDRESS_PREFIX" [ "$(jqo '[.requests[0].machines[].privateIpAddress | startswith("'"$CHIMERA_VM_ADDRESS_PREFIX"'")] | all')" = true ]
[ "$HF_STATUS" = complete ] || { echo "  status: $HF_OUT" | head -40; tail -30 "$W/logs/chimera-hostfactory.log"; }
M1=$(jqo '.requests[0].machines[0].name')
M2=$(jqo '.requests[0].machines[1].name')

PATH_DEPLOYED=$(ch events --topic hostfactory.machine.configured --json | jq -r 'select(.payload.congruent) | .payload.path' | head -1)
expect_exit 0 "status -t @hostfactory --expect (congruent)" inv --json status -t @hostfactory --expect "$PATH_DEPLOYED"
check "both VMs congruent" [ "$(printf '%s' "$OUT" | jq .summary.congruent)" = 2 ]
expect_exit 0 "exec on both VMs" inv --json exec -t "$M1,$M2" -- cat /nix/var/chimera-hello/activated
check "the configuration was activated in both guests" [ "$(printf '%s' "$OUT" | jq -r '[.nodes[].stdout] | join(",")' | tr -d '\n ')" = "1,1" ]

hf_call getReturnRequests '{"machines": []}'
check "nothing taken back while both run" [ "$HF_RC $(jqo '.requests | length')" = "0 0" ]

hf_call requestReturnMachines "{\"machines\": [{\"name\": \"$M1\", \"machineId\": \"$M1\"}, {\"name\": \"$M2\", \"machineId\": \"$M2\"}]}"
hf_ok "requestReturnMachines both"
RET=$(jqo .requestId)
hf_poll "$RET" 120
check "return complete" [ "$HF_STATUS" = complete ]
check "both terminated, succeed" [ "$(jqo '[.requests[0].machines[] | select(.result == "succeed" and .status == "terminated")] | length')" = 2 ]

# No VM left.
check "vm list is empty" [ -z "$(vms)" ]
check "no QEMU process of $M1 or $M2" [ -z "$(live_procs "$M1")$(live_procs "$M2")" ]
expect_exit 0 "machines list --json" inv --json machines list
check "nothing left in chimera.toml" [ "$(printf '%s' "$OUT" | jq '.machines | length')" = 0 ]
check "$M1's directory is gone" [ ! -e "$STATE/vm/$M1" ]
check "$M2's directory is gone" [ ! -e "$STATE/vm/$M2" ]
hf_call getAvailableTemplates
check "vm-hello: 2 available again" [ "$(jqo '.templates[0].availableNumber')" = 2 ]

count() { ch events --topic "$1" --json | wc -l; }
check "vm.created x2 and vm.deleted x2" [ "$(count vm.created) $(count vm.deleted)" = "2 2" ]
check "hostfactory: 2 requests, 2 machines, 2 configured" \
	[ "$(count hostfactory.request.created) $(count hostfactory.machine.created) $(count hostfactory.machine.configured)" = "2 2 2" ]
expect_exit 0 "ledger verify" ch ledger verify
finish
