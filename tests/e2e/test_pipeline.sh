#!/bin/sh
# chimera pipeline: netlify and render deploy through a build hook served by a small HTTP
# server on 127.0.0.1 that this test starts (tests/e2e/hookserver.py), nix through lab nodes.
# Healing, rejection, the certificate, hook retries, verification, rollback, the ledger.
. "$E2E_DIR/lib.sh"
LAB_BASE=208
start
W="$E2E_WORK/$TEST_NAME"
nix_offline
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	ch lab down >/dev/null 2>&1 || true
}

# The hook server: answers from $W/plan.json, logs each request to $W/requests.jsonl.
GEN=0
plan() { GEN=$((GEN + 1)); printf '{"gen": %d, "paths": %s}\n' $GEN "$1" > "$W/plan.json"; : > "$W/requests.jsonl"; }
plan '{}'
python3 "$E2E_DIR/hookserver.py" "$W/plan.json" "$W/requests.jsonl" "$W/port" &
SERVER_PID=$!
i=0
while [ ! -s "$W/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(cat "$W/port")
check "the hook server listens on 127.0.0.1" [ -n "$PORT" ]
URL="http://127.0.0.1:$PORT"
SECRET=b7f3c1d2e4a5968778695a4b3c2d1e0f
HOOK="$URL/build_hooks/$SECRET"
requests() { grep -c "\"path\": \"$1" "$W/requests.jsonl"; }
# Hooks restart numbering at each plan(), so a path's statuses apply per run.
fast="--hook-backoff-ms 50"

site() {
	rm -rf "$W/$1"; mkdir -p "$W/$1"
	cat > "$W/$1/netlify.toml"
}
clean_site() {
	site "$1" <<'EOF'
# The site; keep this comment.
[build]
  command = "hugo"
  publish = "public"

[[redirects]]
  from = "/old"
  to = "/new"
EOF
}
# A catch-all redirect before a specific one: high, and heal moves it last.
catchall_site() {
	site "$1" <<'EOF'
[build]
  command = "hugo"
  publish = "public"

[[redirects]]
  from = "/*"
  to = "/index.html"
  status = 200

[[redirects]]
  from = "/old"
  to = "/new"
EOF
}
state_of() { printf '%s\n' "$OUT" | jq -r '.state'; }
states_of() { printf '%s\n' "$OUT" | jq -r '.states | join(",")'; }

# 1. A clean site goes through every state and the hook is POSTed once.
clean_site s1
plan "{\"/build_hooks/$SECRET\": [200], \"/health\": [200]}"
expect_exit 0 "netlify: a clean site" ch --json pipeline --platform netlify "$W/s1" --hook "$HOOK" \
	--check "http:$URL/health=200"
check "SUCCESS through every state but HEALING" \
	[ "$(states_of)" = "IDLE,SIMULATING,CERTIFYING,DEPLOYING,VERIFYING,SUCCESS" ]
check "one POST to the hook, one GET of the health URL" [ "$(requests /build_hooks/) $(requests /health)" = "1 1" ]
ID=$(printf '%s\n' "$OUT" | jq -r '.pipeline')
BODY=$(head -1 "$W/requests.jsonl" | jq -r '.body')
check "the POST body names the pipeline and the certificate's nonce" \
	[ "$(printf '%s' "$BODY" | jq -r '.chimera.pipeline')" = "$ID" -a \
	  "$(printf '%s' "$BODY" | jq -r '.chimera.nonce')" = "$(jq -r '.nonce' "$W/s1/chimera-certificate.json")" ]
check "the hook's answer is in the report" \
	[ "$(printf '%s\n' "$OUT" | jq -r '.stages.deploy.hook.response.body | fromjson | .status')" = 200 ]
expect_exit 0 "the certificate it wrote verifies" ch certify --verify "$W/s1/chimera-certificate.json" "$W/s1"
ch events --json > "$W/events.json"
TOPICS=$(jq -r --arg id "$ID" 'select(.deployment == $id) | .topic' "$W/events.json" | grep -v '^pipeline.state$' | tr '\n' ' ')
check "the topics in order: $TOPICS" [ "$TOPICS" = "deploy.initiated chimera.simulate.start chimera.simulate.complete deploy.certified chimera.deploy.start chimera.deploy.complete chimera.verify.complete pipeline.complete " ]
check "a pipeline.state event at each of the 5 transitions" \
	[ "$(jq -r --arg id "$ID" 'select(.deployment == $id and .topic == "pipeline.state") | "\(.payload.from)>\(.payload.to)"' "$W/events.json" | tr '\n' ' ')" = "IDLE>SIMULATING SIMULATING>CERTIFYING CERTIFYING>DEPLOYING DEPLOYING>VERIFYING VERIFYING>SUCCESS " ]
check "the hook's secret is in no event" [ "$(grep -c "$SECRET" "$W/events.json")" = 0 ]
check "the hook is recorded masked" grep -q "build_hooks/\*\*\*" "$W/events.json"
expect_exit 0 "deployments lists it" ch deployments
check "as success" contains "$(printf '%s\n' "$OUT" | grep "$ID")" "success"

# 2. A healable mistake is healed, written with a .bak, certified and deployed.
catchall_site s2
cp "$W/s2/netlify.toml" "$W/s2.orig"
plan "{\"/build_hooks/$SECRET\": [200]}"
expect_exit 0 "netlify: a catch-all redirect first" ch pipeline --platform netlify "$W/s2" --hook "$HOOK"
check "HEALING, then SUCCESS" contains "$OUT" "SUCCESS"
check "the heal is shown as a diff" contains "$OUT" "+++ b/netlify.toml"
check "the catch-all is last now" [ "$(grep -n 'from = "/\*"' "$W/s2/netlify.toml" | cut -d: -f1)" -gt "$(grep -n 'from = "/old"' "$W/s2/netlify.toml" | cut -d: -f1)" ]
check "the original kept as .bak" cmp -s "$W/s2/netlify.toml.bak" "$W/s2.orig"
expect_exit 0 "simulate passes on the healed file" ch simulate --platform netlify "$W/s2"
expect_exit 0 "the certificate covers the healed file" ch certify --verify "$W/s2/chimera-certificate.json" "$W/s2"
check "the certificate has a healing digest" [ "$(jq -r '.healing.sha3_256 | length' "$W/s2/chimera-certificate.json")" = 64 ]
check "one POST" [ "$(requests /build_hooks/)" = 1 ]

# 3. --no-heal: the same mistake is rejected, and nothing is deployed or written.
catchall_site s3
cp "$W/s3/netlify.toml" "$W/s3.orig"
plan "{\"/build_hooks/$SECRET\": [200]}"
expect_exit 3 "--no-heal rejects it" ch --json pipeline --platform netlify "$W/s3" --hook "$HOOK" --no-heal
check "REJECTED after SIMULATING" [ "$(states_of)" = "IDLE,SIMULATING,REJECTED" ]
check "the reason names the rule" contains "$(printf '%s\n' "$OUT" | jq -r .reason)" "NTL-RED-8"
check "no POST" [ "$(requests /build_hooks/)" = 0 ]
check "the file untouched, no .bak, no certificate" \
	sh -c "cmp -s '$W/s3/netlify.toml' '$W/s3.orig' && [ ! -e '$W/s3/netlify.toml.bak' ] && [ ! -e '$W/s3/chimera-certificate.json' ]"

# 4. A mistake with no safe fix (a redirect without from) is rejected before anything else.
site s4 <<'EOF'
[build]
  command = "hugo"
  publish = "public"

[[redirects]]
  to = "/new"
EOF
plan "{\"/build_hooks/$SECRET\": [200]}"
expect_exit 3 "a critical issue heal cannot fix" ch --json pipeline --platform netlify "$W/s4" --hook "$HOOK"
check "REJECTED after SIMULATING" [ "$(states_of)" = "IDLE,SIMULATING,REJECTED" ]
check "the reason names NTL-RED-1 at 5:1" contains "$(printf '%s\n' "$OUT" | jq -r .reason)" "netlify.toml:5:1 NTL-RED-1"
check "no POST" [ "$(requests /build_hooks/)" = 0 ]
ch events --json > "$W/events.json"
ID4=$(printf '%s\n' "$OUT" | jq -r '.pipeline')
check "no chimera.deploy event for it" [ "$(jq -r --arg id "$ID4" 'select(.deployment == $id) | .topic' "$W/events.json" | grep -c '^chimera.deploy')" = 0 ]

# 5. --dry-run heals and checks in memory: nothing written, signed or POSTed.
catchall_site s5
cp "$W/s5/netlify.toml" "$W/s5.orig"
plan "{\"/build_hooks/$SECRET\": [200]}"
expect_exit 0 "--dry-run" ch --json pipeline --platform netlify "$W/s5" --hook "$HOOK" --dry-run
check "SUCCESS without VERIFYING" [ "$(states_of)" = "IDLE,SIMULATING,HEALING,CERTIFYING,DEPLOYING,SUCCESS" ]
check "would POST to the masked hook" [ "$(printf '%s\n' "$OUT" | jq -r '.stages.deploy.would_post')" = "$URL/build_hooks/***" ]
check "nothing written or signed" sh -c "cmp -s '$W/s5/netlify.toml' '$W/s5.orig' && [ ! -e '$W/s5/chimera-certificate.json' ]"
check "no POST" [ "$(requests /build_hooks/)" = 0 ]

# 6. The hook fails twice with 502 and 503, then accepts: three POSTs, SUCCESS.
clean_site s6
plan "{\"/build_hooks/$SECRET\": [502, 503, 201]}"
expect_exit 0 "a hook that fails twice then accepts" ch --json pipeline --platform netlify "$W/s6" --hook "$HOOK" $fast
check "3 attempts, HTTP 201" [ "$(printf '%s\n' "$OUT" | jq -r '.stages.deploy.hook | "\(.attempts) \(.status)"')" = "3 201" ]
check "three POSTs" [ "$(requests /build_hooks/)" = 3 ]

# 7. A hook that keeps failing: 1 + 3 retries, then REJECTED.
plan "{\"/build_hooks/$SECRET\": [503]}"
expect_exit 3 "a hook that always answers 503" ch --json pipeline --platform netlify "$W/s6" --hook "$HOOK" $fast
check "REJECTED at DEPLOYING" [ "$(states_of)" = "IDLE,SIMULATING,CERTIFYING,DEPLOYING,REJECTED" ]
check "four POSTs" [ "$(requests /build_hooks/)" = 4 ]
check "the reason says the hook did not accept it" contains "$(printf '%s\n' "$OUT" | jq -r .reason)" "did not accept the deploy after 4 attempts: HTTP 503"

# 8. A 404 is final: asking again cannot help.
plan '{}'
expect_exit 3 "a hook URL that is not found" ch --json pipeline --platform netlify "$W/s6" --hook "$HOOK" $fast
check "one POST only" [ "$(requests /build_hooks/)" = 1 ]

# 9. Nothing listens: connection refused, retried, REJECTED.
expect_exit 3 "a hook nobody listens on" ch --json pipeline --platform netlify "$W/s6" --hook "http://127.0.0.1:9/h" $fast --hook-retries 1
check "2 attempts, connection refused" contains "$(printf '%s\n' "$OUT" | jq -r '.stages.deploy.hook | "\(.attempts) \(.detail)"')" "2 "
check "named in the reason" contains "$(printf '%s\n' "$OUT" | jq -r .reason)" "http://127.0.0.1:9/***"

# 10. Verification fails and a rollback hook is given: ROLLBACK, the rollback hook POSTed.
plan "{\"/build_hooks/$SECRET\": [200], \"/health\": [503], \"/rollback/$SECRET\": [200]}"
expect_exit 3 "a failing check with --rollback-hook" ch --json pipeline --platform netlify "$W/s6" --hook "$HOOK" \
	--rollback-hook "$URL/rollback/$SECRET" --check "http:$URL/health" --check-retries 1 $fast
check "ROLLBACK after VERIFYING" [ "$(states_of)" = "IDLE,SIMULATING,CERTIFYING,DEPLOYING,VERIFYING,ROLLBACK" ]
check "the check was tried twice" [ "$(requests /health)" = 2 ]
check "the rollback hook was POSTed once" [ "$(requests /rollback/)" = 1 ]
check "rollback_failed is false" [ "$(printf '%s\n' "$OUT" | jq -r .rollback_failed)" = false ]
check "the reason is the failed check" contains "$(printf '%s\n' "$OUT" | jq -r .reason)" "verification failed: http:$URL/health: HTTP 503 (expected 2xx)"
ID10=$(printf '%s\n' "$OUT" | jq -r '.pipeline')
ch events --json > "$W/events.json"
check "chimera.rollback.triggered recorded with the reason" \
	contains "$(jq -r --arg id "$ID10" 'select(.deployment == $id and .topic == "chimera.rollback.triggered") | .payload.reason' "$W/events.json")" "verification failed"
expect_exit 0 "deployments lists it" ch deployments
check "as rolled back" contains "$(printf '%s\n' "$OUT" | grep "$ID10")" "rolled back"

# 11. The same without a rollback hook: REJECTED, and the report says the deploy stays.
plan "{\"/build_hooks/$SECRET\": [200], \"/health\": [503]}"
expect_exit 3 "a failing check without a rollback hook" ch --json pipeline --platform netlify "$W/s6" --hook "$HOOK" \
	--check "http:$URL/health" --check-retries 0
check "REJECTED after VERIFYING" [ "$(states_of)" = "IDLE,SIMULATING,CERTIFYING,DEPLOYING,VERIFYING,REJECTED" ]
check "no rollback stage" [ "$(printf '%s\n' "$OUT" | jq -r '.stages.rollback')" = null ]

# 12. The rollback hook fails too: ROLLBACK with rollback_failed, exit 1.
plan "{\"/build_hooks/$SECRET\": [200], \"/health\": [503], \"/rollback/$SECRET\": [500]}"
expect_exit 1 "a rollback hook that fails" ch --json pipeline --platform netlify "$W/s6" --hook "$HOOK" \
	--rollback-hook "$URL/rollback/$SECRET" --check "http:$URL/health" --check-retries 0 $fast --hook-retries 1
check "rollback_failed" [ "$(printf '%s\n' "$OUT" | jq -r .rollback_failed)" = true ]
check "the reason names the check and the rollback hook" contains "$(printf '%s\n' "$OUT" | jq -r .reason)" "; rollback: the rollback hook"

# 13. The hook from the environment; cmd: checks run here.
plan "{\"/build_hooks/$SECRET\": [200]}"
expect_exit 0 "CHIMERA_BUILD_HOOK and a cmd check" env CHIMERA_BUILD_HOOK="$HOOK" "$CHIMERA" --state-dir "$STATE" \
	pipeline --platform netlify "$W/s6" --check "cmd:test -f $W/s6/chimera-certificate.json"
check "one POST" [ "$(requests /build_hooks/)" = 1 ]

# 14. render: a plan spelled "Starter" is healed to "starter", then deployed.
mkdir -p "$W/r1"
cat > "$W/r1/render.yaml" <<'EOF'
# Blueprint; keep this comment.
services:
  - type: web
    name: app
    runtime: node
    plan: Starter
    buildCommand: npm ci
    startCommand: npm start
EOF
plan "{\"/deploy/srv-$SECRET\": [200]}"
expect_exit 0 "render: heal the plan, deploy" ch --json pipeline --platform render "$W/r1" --hook "$URL/deploy/srv-$SECRET?key=$SECRET"
check "through HEALING to SUCCESS (VERIFYING with no checks passes)" [ "$(states_of)" = "IDLE,SIMULATING,HEALING,CERTIFYING,DEPLOYING,VERIFYING,SUCCESS" ]
check "plan: starter, the comment kept" sh -c "grep -qxF '    plan: starter' '$W/r1/render.yaml' && grep -qxF '# Blueprint; keep this comment.' '$W/r1/render.yaml'"
check "the key and service id masked" [ "$(printf '%s\n' "$OUT" | jq -r '.stages.deploy.hook.url')" = "$URL/deploy/***?***" ]
check "one POST" [ "$(requests /deploy/)" = 1 ]

# 15. Bad usage names what is wrong.
expect_exit 2 "no --platform" ch pipeline "$W/s1"
check "says which" contains "$ERR" "give --platform netlify, render or nix"
expect_exit 2 "no hook and no --dry-run" env -u CHIMERA_BUILD_HOOK "$CHIMERA" --state-dir "$STATE" pipeline --platform netlify "$W/s1"
check "says how to give one" contains "$ERR" "give --hook URL (or set CHIMERA_BUILD_HOOK)"
expect_exit 2 "a hook that is not http" ch pipeline --platform netlify "$W/s1" --hook "ftp://x/y"
check "names the form" contains "$ERR" "expected https://HOST/PATH"
expect_exit 2 "{host} with netlify" ch pipeline --platform netlify "$W/s1" --hook "$HOOK" --check 'tcp:{host}:80'
expect_exit 2 "a directory without netlify.toml" ch pipeline --platform netlify "$W/r1" --hook "$HOOK"
check "names the file" contains "$ERR" "netlify.toml"
expect_exit 2 "-t with netlify" ch pipeline --platform netlify "$W/s1" --hook "$HOOK" -t @lab
expect_exit 0 "--help" ch pipeline --help
check "lists the states" contains "$OUT" "IDLE -> SIMULATING -> HEALING -> CERTIFYING -> DEPLOYING ->"

# ---- nix: the fleet deploy on lab nodes ----
expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
mkdir -p "$W/nix"
cp "$E2E_DIR/../../examples/hello/default.nix" "$W/nix/default.nix"
on() { i=$1; shift; ssh -F "$STATE/lab/ssh_config" "127.$LAB_BASE.0.1$i" "$@"; }
markers() { for i in 0 1 2; do printf '%s ' "$(on $i cat /nix/var/chimera-hello/activated 2>/dev/null </dev/null)"; done; }
profiles() { for i in 0 1 2; do printf '%s ' "$(on $i readlink -f /nix/var/nix/profiles/system </dev/null)"; done; }
P1=$(nix-build --no-out-link "$W/nix/default.nix" --argstr version 1 2>/dev/null)

# 16. Build, certify, deploy, verify on every node.
expect_exit 0 "nix: version 1" ch --json pipeline --platform nix "$W/nix" --argstr version 1 -t @lab \
	--check 'cmd:grep -qx 1 /nix/var/chimera-hello/activated' --check 'tcp:{host}:22'
check "SUCCESS through every state but HEALING" [ "$(states_of)" = "IDLE,SIMULATING,CERTIFYING,DEPLOYING,VERIFYING,SUCCESS" ]
check "every node activated version 1" [ "$(markers)" = "1 1 1 " ]
check "the certificate names the store path deployed" [ "$(jq -r .artifact "$W/nix/chimera-certificate.json")" = "$P1" ]
check "6 checks passed" [ "$(printf '%s\n' "$OUT" | jq '[.stages.verify.nodes[].checks[] | select(.ok)] | length')" = 6 ]
ID16=$(printf '%s\n' "$OUT" | jq -r '.pipeline')
ch events --json > "$W/events.json"
check "the node events are under the pipeline's id" \
	[ "$(jq -r --arg id "$ID16" 'select(.deployment == $id and .topic == "node.deploy.complete") | .node' "$W/events.json" | wc -l)" = 3 ]
check "one deploy.initiated for it" \
	[ "$(jq -r --arg id "$ID16" 'select(.deployment == $id and .topic == "deploy.initiated") | .topic' "$W/events.json" | wc -l)" = 1 ]

# 17. Version 2 fails its check: every node goes back to version 1.
expect_exit 3 "nix: version 2 fails verification" ch --json pipeline --platform nix "$W/nix" --argstr version 2 -t @lab \
	--check 'cmd:grep -qx 1 /nix/var/chimera-hello/activated' --check-retries 0
check "ROLLBACK after VERIFYING" [ "$(states_of)" = "IDLE,SIMULATING,CERTIFYING,DEPLOYING,VERIFYING,ROLLBACK" ]
check "every node is on version 1 again" [ "$(markers)" = "1 1 1 " ]
check "every profile points at version 1" [ "$(profiles)" = "$P1 $P1 $P1 " ]
check "3 nodes switched back" [ "$(printf '%s\n' "$OUT" | jq -r '.stages.rollback.switched')" = 3 ]
ID17=$(printf '%s\n' "$OUT" | jq -r '.pipeline')
ch events --json > "$W/events.json"
check "chimera.rollback.triggered under the pipeline's id, with the reason" \
	contains "$(jq -r --arg id "$ID17" 'select(.deployment == $id and .topic == "chimera.rollback.triggered") | .payload.reason' "$W/events.json")" "verification failed on 3 of 3 nodes"

# 18. A syntax error: REJECTED, NIX-SYNTAX at its place, no node touched.
mkdir -p "$W/nixbad"
printf '{ version ? "1" }:\nderivation {\n  name = "x"\n  system = builtins.currentSystem;\n}\n' > "$W/nixbad/default.nix"
expect_exit 3 "nix: a syntax error" ch --json pipeline --platform nix "$W/nixbad" -t @lab
check "REJECTED after SIMULATING" [ "$(states_of)" = "IDLE,SIMULATING,REJECTED" ]
check "NIX-SYNTAX at 4:10" contains "$(printf '%s\n' "$OUT" | jq -r .reason)" "default.nix:4:10 NIX-SYNTAX"
check "the nodes still on version 1" [ "$(profiles)" = "$P1 $P1 $P1 " ]

# 19. --dry-run plans the deploy and changes nothing.
expect_exit 0 "nix: --dry-run of version 3" ch --json pipeline --platform nix "$W/nix" --argstr version 3 -t @lab --dry-run
check "SUCCESS without VERIFYING" [ "$(states_of)" = "IDLE,SIMULATING,CERTIFYING,DEPLOYING,SUCCESS" ]
check "every node planned" [ "$(printf '%s\n' "$OUT" | jq -r '[.stages.deploy.nodes[].outcome] | unique | join(",")')" = planned ]
check "the nodes still on version 1" [ "$(profiles)" = "$P1 $P1 $P1 " ]

# 20. A node that cannot be reached fails the deploy: the two switched are put back.
kill "$(ch lab status --json | jq -r '.list[2].pid')"
expect_exit 3 "nix: version 4 with node 3 down" ch --json pipeline --platform nix "$W/nix" --argstr version 4 -t @lab \
	--connect-timeout 2
check "ROLLBACK after DEPLOYING" [ "$(states_of)" = "IDLE,SIMULATING,CERTIFYING,DEPLOYING,ROLLBACK" ]
check "2 nodes switched back" [ "$(printf '%s\n' "$OUT" | jq -r '.stages.rollback.switched')" = 2 ]
M20=$(markers)
check "nodes 1 and 2 on version 1 again (markers: '$M20')" [ "$M20" = "1 1  " ]
check "node 3 named as failed at connect" contains "$(printf '%s\n' "$OUT" | jq -r .reason)" "1 of 3 nodes failed; first: root@127.$LAB_BASE.0.12:22 at connect"

# 21. Usage for nix.
expect_exit 2 "nix without targets" ch pipeline --platform nix "$W/nix"
check "says so" contains "$ERR" "give -t TARGETS"
expect_exit 2 "nix without default.nix" ch pipeline --platform nix "$W/s1" -t @lab
check "names the file" contains "$ERR" "default.nix"
expect_exit 2 "nix with --hook" ch pipeline --platform nix "$W/nix" -t @lab --hook "$HOOK"

finish
