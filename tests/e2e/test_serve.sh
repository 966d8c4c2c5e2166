#!/bin/sh
# chimera serve against lab nodes: tokens and roles (401, 403, 429), the read routes, a deploy
# job through the API, the watch inside the server healing drift, limits (413, slow client),
# SIGHUP reload, a deploy through the API while a CLI deploy holds half the nodes, SIGTERM in
# the middle of a job, kill -9 and restart.
. "$E2E_DIR/lib.sh"
LAB_BASE=232
start
W="$E2E_WORK/$TEST_NAME"
nix_offline
SERVER=
trap 'if [ -n "$SERVER" ]; then kill -9 "$SERVER" 2>/dev/null; fi; cleanup' EXIT
trap 'exit 130' INT TERM

on() { i=$1; shift; ssh -F "$STATE/lab/ssh_config" -o ConnectTimeout=5 "127.$LAB_BASE.0.1$i" "$@"; }
profile_of() { on "$1" 'readlink -f /nix/var/nix/profiles/system'; }

cp "$E2E_DIR/../fixtures/nix/tagged.nix" "$W/tagged.nix"
echo 'import ./tagged.nix { tag = "one"; name = "served"; }' >"$W/one.nix"
P=$(nix-build --no-out-link "$W/one.nix" 2>>"$W/build.log")
P2=$(nix-build --no-out-link "$W/tagged.nix" --argstr tag two --argstr name served 2>>"$W/build.log")
check "built two configurations" [ -d "$P" -a -d "$P2" ]

expect_exit 0 "lab up 6" ch lab up 6 --base $LAB_BASE
{
	printf '[defaults]\nactivation = "auto"\n\n'
	for i in 0 1 2 3 4 5; do printf '[machines.n%s]\ntarget = "127.%s.0.1%s"\nconfig = "%s"\ntags = ["lab"]\n\n' \
		"$i" "$LAB_BASE" "$i" "$W/one.nix"; done
} >"$W/chimera.toml"

expect_exit 0 "tokens create viewer" ch tokens create v1 --role viewer --json
VIEW=$(printf '%s' "$OUT" | jq -r .token)
expect_exit 0 "tokens create operator" ch tokens create op1 --role operator --json
OP=$(printf '%s' "$OUT" | jq -r .token)
expect_exit 0 "tokens create admin" ch tokens create adm --role admin --json
ADM=$(printf '%s' "$OUT" | jq -r .token)

expect_exit 2 "serve on a non-loopback address without TLS is refused" ch serve --listen 0.0.0.0:0
check "it says what to do" contains "$ERR" "--insecure-http"
expect_exit 2 "serve --listen without a port" ch serve --listen 127.0.0.1
check "it names the expected form" contains "$ERR" "ADDR:PORT"

serve_start --interval 2
check "serve is listening" [ -n "$URL" ]

# --- tokens and roles ---
api GET /api/v1/health
check "health needs no token (200)" [ "$CODE" = 200 ]
api GET /api/v1/machines
check "no token: 401" [ "$CODE" = 401 ]
check "with WWW-Authenticate: Bearer" contains "$(header WWW-Authenticate)" Bearer
check "the error has the one shape" [ "$(printf '%s' "$BODY" | jq -r .error.code)" = unauthorized ]
api GET /api/v1/machines chm_not_a_real_token
check "a wrong token: 401" [ "$CODE" = 401 ]
api GET /api/v1/machines "$VIEW"
check "viewer reads the machines (200)" [ "$CODE" = 200 ]
check "six machines" [ "$(printf '%s' "$BODY" | jq '.machines | length')" = 6 ]
api POST /api/v1/deployments "$VIEW" "{\"targets\": \"n0\", \"expect\": \"$P\"}"
check "viewer cannot deploy: 403" [ "$CODE" = 403 ]
check "403 names the role needed" contains "$BODY" operator
# Failed authentication is limited per client: from another loopback address.
n=0
while [ $n -lt 10 ]; do curl -s -o /dev/null --interface 127.0.0.9 -H 'Authorization: Bearer chm_bad' "$URL/api/v1/status"; n=$((n + 1)); done
CODE=$(curl -s -o "$W/body" -D "$W/h" -w '%{http_code}' --interface 127.0.0.9 -H "Authorization: Bearer $VIEW" "$URL/api/v1/status")
check "after 10 failures, that client gets 429 even with a good token" [ "$CODE" = 429 ]
check "with Retry-After" [ -n "$(header Retry-After)" ]
api GET /api/v1/status "$VIEW"
check "another client is not limited" [ "$CODE" = 200 ]
expect_exit 0 "tokens revoke v1" ch tokens revoke v1
api GET /api/v1/machines "$VIEW"
check "a revoked token: 401 at the next request" [ "$CODE" = 401 ]
expect_exit 0 "tokens create v2 (viewer)" ch tokens create v2 --role viewer --json
VIEW=$(printf '%s' "$OUT" | jq -r .token)

# --- the watch inside the server puts every machine on its configuration ---
i=0
while [ $i -lt 120 ]; do
	api GET /api/v1/watch "$VIEW"
	[ "$(printf '%s' "$BODY" | jq '[.nodes[] | select(.state == "congruent")] | length')" = 6 ] && break
	sleep 0.5
	i=$((i + 1))
done
check "the server's watch healed all 6 nodes onto their configuration" \
	[ "$(printf '%s' "$BODY" | jq '[.nodes[] | select(.state == "congruent")] | length')" = 6 ]
check "node 3 is on it" [ "$(profile_of 3)" = "$P" ]
on 2 "nix-env -p /nix/var/nix/profiles/system --set $P2"
i=0
while [ $i -lt 60 ] && [ "$(profile_of 2)" != "$P" ]; do sleep 0.5; i=$((i + 1)); done
check "drift on node 2 (profile moved by hand) healed by the server" [ "$(profile_of 2)" = "$P" ]
check "watch.node.healed for it in the ledger" \
	[ "$(ch events --topic watch.node.healed --node "root@127.$LAB_BASE.0.12:22" --json | wc -l)" -ge 1 ]

# --- reads ---
api GET /api/v1/machines/n1 "$VIEW"
check "machine n1: its settings" [ "$(printf '%s' "$BODY" | jq -r .name)" = n1 ]
check "machine n1: its last events" [ "$(printf '%s' "$BODY" | jq '.events | length')" -ge 1 ]
api GET /api/v1/machines/nope "$VIEW"
check "an unknown machine: 404 naming it" [ "$CODE" = 404 ] && contains "$BODY" nope
api GET /api/v1/status "$VIEW"
check "status from the ledger: 6 nodes" [ "$(printf '%s' "$BODY" | jq '.nodes | length')" = 6 ]
api GET "/api/v1/status?refresh=1&expect=$P" "$VIEW"
check "status?refresh=1 probes: 6 congruent" [ "$(printf '%s' "$BODY" | jq '[.nodes[] | select(.state == "congruent")] | length')" = 6 ]
api GET /api/v1/generations?targets=n0 "$VIEW"
check "generations of n0" [ "$CODE" = 200 ] && [ "$(printf '%s' "$BODY" | jq '.nodes[0].generations | length')" -ge 1 ]
api GET "/api/v1/events?topic=watch.round&limit=2" "$VIEW"
check "events: two watch.round" [ "$(printf '%s' "$BODY" | jq '[.events[] | select(.topic == "watch.round")] | length')" = 2 ]
api GET "/api/v1/events?limit=abc" "$VIEW"
check "a bad ?limit= is 400 naming it" [ "$CODE" = 400 ] && contains "$BODY" limit
api GET /api/v1/ledger/verify "$VIEW"
check "ledger verify: ok" [ "$CODE" = 200 ] && [ "$(printf '%s' "$BODY" | jq -r .ok)" = true ]
api DELETE /api/v1/machines "$VIEW"
check "a wrong method: 405 with Allow" [ "$CODE" = 405 ] && contains "$(header Allow)" GET
api GET /api/v1/nothing "$VIEW"
check "an unknown route: 404" [ "$CODE" = 404 ]

# --- bodies and limits ---
api POST /api/v1/deployments "$OP" '{"targets": "n0", "goal": "sideways"}'
check "a bad goal: 400 naming the field and the expected words" [ "$CODE" = 400 ] && contains "$BODY" "'goal'" && contains "$BODY" dry-activate
api POST /api/v1/deployments "$OP" '{"targets": 5}'
check "targets of the wrong type: 400 naming it" [ "$CODE" = 400 ] && contains "$BODY" "'targets'"
api POST /api/v1/deployments "$OP" '{"targets": '
check "a body that is not JSON: 400 bad_body" [ "$CODE" = 400 ] && [ "$(printf '%s' "$BODY" | jq -r .error.code)" = bad_body ]
head -c 1048577 /dev/zero | tr '\0' ' ' >"$W/big"
CODE=$(curl -s -o "$W/body" -w '%{http_code}' -H "Authorization: Bearer $OP" -H 'Content-Type: application/json' --data-binary @"$W/big" "$URL/api/v1/deployments")
check "a body over 1 MiB: 413 with a JSON error" [ "$CODE" = 413 ] && [ "$(jq -r .error.code <"$W/body")" = too_large ]
BIG=$(head -c 10000 /dev/zero | tr '\0' a)
CODE=$(curl -s -o "$W/body" -w '%{http_code}' -H "X-Big: $BIG" "$URL/api/v1/health")
check "request headers over 8 KiB: 431 with a JSON error" [ "$CODE" = 431 ] && [ "$(jq -r .error.code <"$W/body")" = headers_too_large ]
# A slow client that never finishes its headers is dropped; others are served meanwhile.
PORT=${URL##*:}
python3 - "$PORT" >"$W/loris" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.time()
try:
    for ch in b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 60:
        s.send(bytes([ch]))
        time.sleep(0.5)
        s.settimeout(0.01)
        try:
            if s.recv(1) == b"":
                break
        except socket.timeout:
            pass
        s.settimeout(None)
except OSError:
    pass
print("dropped after %.1f s" % (time.time() - t0))
PY
LORIS=$!
sleep 1
api GET /api/v1/health
check "served while a slow client dribbles its headers" [ "$CODE" = 200 ]
wait $LORIS
check "the slow client was dropped within 13 s ($(cat "$W/loris"))" \
	awk '{ exit !($3 < 13) }' "$W/loris"

# --- kill -9 in the middle of a job; started again, the job is interrupted and the watch goes on ---
api POST /api/v1/deployments "$OP" "{\"targets\": \"n4,n5\", \"expect\": \"$P\", \"activate\": \"sleep 6\", \"confirm_timeout\": 0}"
JOB=$(printf '%s' "$BODY" | jq -r .job)
check "a slow deploy job accepted" [ "$CODE" = 202 ]
sleep 2
kill -9 "$SERVER"
wait "$SERVER" 2>/dev/null
ROUNDS=$(ch events --topic watch.round --json | wc -l)
serve_start --interval 2
check "started again after kill -9" [ -n "$URL" ]
api GET "/api/v1/jobs/$JOB" "$VIEW"
check "the job the dead server ran shows interrupted" [ "$(printf '%s' "$BODY" | jq -r .state)" = interrupted ]
check "job.interrupted is in the ledger" [ "$(ch events --topic job.interrupted --deployment "$JOB" --json | wc -l)" = 1 ]
sleep 5
check "the watch loop goes on (new watch.round events)" [ "$(ch events --topic watch.round --json | wc -l)" -gt "$ROUNDS" ]
kill -TERM "$SERVER"
wait "$SERVER"
check "SIGTERM: exit 0" [ $? = 0 ]
check "serve.stopped recorded" [ "$(ch events --topic serve.stopped --json | wc -l)" -ge 1 ]
check "the watch recorded watch.stopped" [ "$(ch events --topic watch.stopped --json | wc -l)" -ge 1 ]

# --- without the watch: deploy jobs, a CLI deploy holding half the nodes, SIGHUP, SIGTERM mid-job ---
serve_start --no-watch
api POST /api/v1/deployments "$OP" "{\"targets\": [\"n0\", \"n1\"], \"expect\": \"$P2\", \"confirm_timeout\": 0}"
check "operator deploys: 202" [ "$CODE" = 202 ]
JOB=$(printf '%s' "$BODY" | jq -r .job)
check "with a Location to the job" [ "$(header Location)" = "/api/v1/jobs/$JOB" ]
wait_job "$JOB" "$VIEW"
check "the job succeeded" [ "$(printf '%s' "$BODY" | jq -r .state)" = succeeded ]
check "its report is deploy's: 2 nodes deployed" [ "$(printf '%s' "$BODY" | jq '.report.summary.ok')" = 2 ]
check "per-node progress: both done" [ "$(printf '%s' "$BODY" | jq '[.nodes[] | select(.done and .ok)] | length')" = 2 ]
check "node 0 runs P2 now" [ "$(profile_of 0)" = "$P2" ]
check "job.accepted carries the token's name" \
	[ "$(ch events --topic job.accepted --deployment "$JOB" --json | jq -r .payload | jq -r .by)" = op1 ]
RAN=$(printf '%s' "$BODY" | jq -r .report.deployment)
check "job.finished names the deployment it ran ($RAN)" \
	[ "$(ch events --topic job.finished --deployment "$JOB" --json | jq -r .payload | jq -r '.operations[0]')" = "$RAN" ]
check "no token anywhere in the ledger" sh -c "! $CHIMERA --state-dir '$STATE' events --json | grep -q -e '$OP' -e '$VIEW' -e '$ADM'"
api GET /api/v1/jobs "$VIEW"
check "GET /jobs lists it" contains "$BODY" "$JOB"
api GET "/api/v1/deployments" "$VIEW"
DEP=$(printf '%s' "$BODY" | jq -r '.deployments[-1].deployment')
check "GET /deployments lists deployments" [ -n "$DEP" ] && [ "$DEP" != null ]
api GET "/api/v1/deployments/$DEP" "$VIEW"
check "GET /deployments/{id}" [ "$CODE" = 200 ] && [ "$(printf '%s' "$BODY" | jq -r .deployment)" = "$DEP" ]

# Every other act route, on the lab nodes and on a project on the server's disk.
api POST /api/v1/rollback "$OP" '{"targets": ["n0", "n1"], "confirm_timeout": 3}'
check "rollback: 400 for a field it does not take, named" [ "$CODE" = 400 ] && contains "$BODY" confirm_timeout
api POST /api/v1/rollback "$OP" '{"targets": ["n0", "n1"]}'
JOB=$(printf '%s' "$BODY" | jq -r .job)
wait_job "$JOB" "$VIEW"
check "rollback job succeeded" [ "$(printf '%s' "$BODY" | jq -r .state)" = succeeded ]
check "node 0 is back on P" [ "$(profile_of 0)" = "$P" ]
api POST /api/v1/exec "$OP" '{"targets": "@lab", "command": "echo hi-from-api"}'
JOB=$(printf '%s' "$BODY" | jq -r .job)
wait_job "$JOB" "$VIEW"
check "exec job on 6 nodes succeeded" [ "$(printf '%s' "$BODY" | jq -r .state)" = succeeded ]
check "its report is exec's, 6 nodes" [ "$(printf '%s' "$BODY" | jq '.report.nodes | length')" = 6 ]
api POST /api/v1/facts/refresh "$OP" '{"targets": "n3"}'
JOB=$(printf '%s' "$BODY" | jq -r .job)
wait_job "$JOB" "$VIEW"
check "facts/refresh job succeeded" [ "$(printf '%s' "$BODY" | jq -r .state)" = succeeded ]
api GET /api/v1/machines/n3 "$VIEW"
check "n3's facts are served" [ "$(printf '%s' "$BODY" | jq -r '.facts != null')" = true ]
api POST /api/v1/watch/release/n4 "$OP" '{}'
check "watch/release: 200" [ "$CODE" = 200 ]
check "watch.node.released by the token's name" \
	[ "$(ch events --topic watch.node.released --json | tail -1 | jq -r .payload | jq -r .by)" = op1 ]
api POST /api/v1/watch/release/nowhere "$OP" '{}'
check "watch/release of an unknown node: 404" [ "$CODE" = 404 ]
mkdir -p "$W/site"
printf '[build]\n  publish = "public"\n  command = "true"\n' >"$W/site/netlify.toml"
mkdir -p "$W/site/public" && echo hi >"$W/site/public/index.html"
api POST /api/v1/simulate "$OP" "{\"platform\": \"netlify\", \"dir\": \"$W/site\"}"
JOB=$(printf '%s' "$BODY" | jq -r .job)
wait_job "$JOB" "$VIEW"
check "simulate job ended with simulate's report" [ "$(printf '%s' "$BODY" | jq -r '.report != null')" = true ]
api POST /api/v1/certify "$OP" "{\"platform\": \"netlify\", \"dir\": \"$W/site\", \"out\": \"../elsewhere.json\"}"
check "certify with out outside dir: 400" [ "$CODE" = 400 ]
api GET /api/v1/secrets "$OP"
check "secrets need admin: 403 for an operator" [ "$CODE" = 403 ]
printf 'pw' | ch secrets set db-pass
api POST /api/v1/secrets/db-pass/grant "$ADM" '{"targets": "n0"}'
check "admin grants a secret: 200" [ "$CODE" = 200 ]
api GET /api/v1/secrets "$ADM"
check "secrets list: names and grants, never the value" [ "$(printf '%s' "$BODY" | jq -r '.. | strings' | grep -c '^pw$')" = 0 ] && contains "$BODY" db-pass
api POST /api/v1/secrets/db-pass/revoke "$ADM" '{"targets": "n0"}'
check "admin revokes it: 200" [ "$CODE" = 200 ]
check "secret.grant recorded by the token's name" \
	[ "$(ch events --topic secret.grant --json | tail -1 | jq -r .payload | jq -r .by)" = adm ]

# DELETE /jobs/{id}: the node in flight finishes, the rest are not started.
api POST /api/v1/exec "$OP" '{"targets": "@lab", "command": "sleep 2; echo slept", "parallel": 1}'
JOB=$(printf '%s' "$BODY" | jq -r .job)
sleep 1
api DELETE "/api/v1/jobs/$JOB" "$OP"
check "DELETE a running job: 202" [ "$CODE" = 202 ]
wait_job "$JOB" "$VIEW"
check "the job ended cancelled" [ "$(printf '%s' "$BODY" | jq -r .state)" = cancelled ]
check "the node in flight finished its command" [ "$(printf '%s' "$BODY" | jq '[.report.nodes[] | select(.step == null and .exit == 0)] | length')" -ge 1 ]
check "at least 4 nodes were not started (step cancelled)" [ "$(printf '%s' "$BODY" | jq '[.report.nodes[] | select(.step == "cancelled")] | length')" -ge 4 ]
check "job.cancel recorded with the token's name" \
	[ "$(ch events --topic job.cancel --deployment "$JOB" --json | jq -r .payload | jq -r .by)" = op1 ]
api DELETE "/api/v1/jobs/$JOB" "$OP"
check "DELETE an ended job: 409" [ "$CODE" = 409 ]

# A CLI deploy holds n0-n2 (a slow activation) while the API deploys to all six.
ch --config "$W/chimera.toml" deploy -t n0,n1,n2 --expect "$P" --activate "sleep 8" --no-magic-rollback >"$W/cli.out" 2>&1 &
CLI=$!
sleep 3
api POST /api/v1/deployments "$OP" "{\"targets\": \"@lab\", \"expect\": \"$P\", \"lock_wait\": 0, \"confirm_timeout\": 0}"
JOB=$(printf '%s' "$BODY" | jq -r .job)
wait_job "$JOB" "$VIEW"
check "the API deploy while the CLI holds half: partial" [ "$(printf '%s' "$BODY" | jq -r .state)" = partial ]
check "the 3 held nodes failed at lease, naming the holder" \
	[ "$(printf '%s' "$BODY" | jq '[.report.nodes[] | select(.failed_step == "lease")] | length')" = 3 ]
check "the other 3 deployed" [ "$(printf '%s' "$BODY" | jq '.report.summary.ok')" = 3 ]
wait $CLI
check "the CLI deploy finished its 3 nodes untouched by the API" [ $? = 0 ]

# SIGHUP: chimera.toml read again; a broken one keeps the old.
printf '[machines.n6]\ntarget = "127.%s.0.200"\n' "$LAB_BASE" >>"$W/chimera.toml"
kill -HUP "$SERVER"
sleep 1
api GET /api/v1/machines "$VIEW"
check "SIGHUP: the new machine is served" [ "$(printf '%s' "$BODY" | jq '.machines | length')" = 7 ]
echo '[machines.broken' >>"$W/chimera.toml"
kill -HUP "$SERVER"
sleep 1
api GET /api/v1/machines "$VIEW"
check "SIGHUP with a broken chimera.toml keeps the old one" [ "$(printf '%s' "$BODY" | jq '.machines | length')" = 7 ]
check "serve.reloaded ok=false recorded" \
	[ "$(ch events --topic serve.reloaded --json | tail -1 | jq -r .payload | jq -r .ok)" = false ]

# SIGTERM in the middle of a job: the node in flight finishes, the rest are not started.
api POST /api/v1/deployments "$OP" "{\"targets\": \"n0,n1,n2,n3,n4,n5\", \"expect\": \"$P2\", \"parallel\": 1, \"activate\": \"sleep 2\", \"confirm_timeout\": 0}"
JOB=$(printf '%s' "$BODY" | jq -r .job)
sleep 1
kill -TERM "$SERVER"
wait "$SERVER"
check "SIGTERM during a job: exit 0" [ $? = 0 ]
SERVER=
FINISHED=$(ch events --deployment "$JOB" --topic job.finished --json | jq -r .payload | jq -r .state)
check "the job was recorded interrupted" [ "$FINISHED" = interrupted ]
DEPID=$(ch events --topic deploy.initiated --json | tail -1 | jq -r .deployment)
check "the node in flight finished: one deployed" [ "$(ch events --deployment "$DEPID" --topic node.deploy.complete --json | wc -l)" -ge 1 ]
check "the rest were not started: failed at cancelled" \
	[ "$(ch events --deployment "$DEPID" --topic node.failed --json | jq -r .payload | jq -r .step | grep -c cancelled)" -ge 3 ]

# TLS: a certificate made here; a client that trusts it gets the API over https.
sed -i '/^\[machines.broken/d' "$W/chimera.toml"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
serve_start --no-watch --tls-cert "$W/cert.pem" --tls-key "$W/key.pem"
check "serve with TLS says https" contains "$URL" https://
CODE=$(curl -s -o "$W/body" -w '%{http_code}' --cacert "$W/cert.pem" -H "Authorization: Bearer $VIEW" "$URL/api/v1/machines")
check "GET over TLS: 200" [ "$CODE" = 200 ]
CODE=$(curl -s -o /dev/null -w '%{http_code}' "http${URL#https}/api/v1/health")
check "plain HTTP to the TLS port gets no answer" [ "$CODE" != 200 ]
kill -TERM "$SERVER"
wait "$SERVER"
SERVER=
expect_exit 2 "--tls-cert without --tls-key" ch serve --tls-cert "$W/cert.pem"
expect_exit 1 "a key that does not match names the files" ch serve --listen 127.0.0.1:0 --tls-cert "$W/cert.pem" --tls-key "$W/cert.pem"
check "the error names the file" contains "$ERR" cert.pem

finish
