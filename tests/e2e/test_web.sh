#!/bin/sh
# The web dashboard of `chimera serve` in real Chromium (tests/web/dashboard.mjs): its files'
# headers (CSP, frames denied, ETag), a viewer who watches a CLI deploy and cannot act, an
# operator who rolls a machine back from its page and finds it in the ledger; a screenshot of
# each view under the build tree; the tokens in no log.
. "$E2E_DIR/lib.sh"
LAB_BASE=240
start
W="$E2E_WORK/$TEST_NAME"
nix_offline
SERVER=
trap 'if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; fi; cleanup' EXIT
trap 'exit 130' INT TERM
root=$(cd "$E2E_DIR/../.." && pwd)
npm_dir=$(dirname "$CHIMERA")
if ! command -v node >/dev/null 2>&1 || [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
	echo "test_web: needs node and Debian's chromium (scripts/deps.sh installs both)" >&2
	exit 1
fi
sh "$root/scripts/npm-test-deps.sh" "$npm_dir" || exit 1

cp "$E2E_DIR/../fixtures/nix/tagged.nix" "$W/tagged.nix"
for t in one two; do echo "import ./tagged.nix { tag = \"$t\"; name = \"web\"; }" >"$W/$t.nix"; done
P1=$(nix-build --no-out-link "$W/one.nix" 2>>"$W/build.log")
P2=$(nix-build --no-out-link "$W/two.nix" 2>>"$W/build.log")
check_all "built two configurations" '[ -d "$P1" ] && [ -d "$P2" ]'
expect_exit 0 "lab up 3" ch lab up 3 --base $LAB_BASE
# web-0 is kept by the watch inside the server (its configuration is one.nix); web-1 and
# db-0 are not (no configuration), so nothing heals them back after the deploy and rollback.
{
	printf '[machines.web-0]\ntarget = "127.%s.0.10"\nconfig = "%s"\ntags = ["web"]\n\n' $LAB_BASE "$W/one.nix"
	printf '[machines.web-1]\ntarget = "127.%s.0.11"\ntags = ["web"]\n\n' $LAB_BASE
	printf '[machines.db-0]\ntarget = "127.%s.0.12"\ntags = ["db"]\n' $LAB_BASE
} >"$W/chimera.toml"
expect_exit 0 "deploy one to every machine" ch --config "$W/chimera.toml" deploy -t all --expect "$P1" --no-magic-rollback
expect_exit 0 "deploy two to db-0 (its generation 2)" ch --config "$W/chimera.toml" deploy -t db-0 --expect "$P2" --no-magic-rollback
# For db-0's page: its facts, a session chimera started there, and a secret granted to it.
expect_exit 0 "facts of db-0" ch --config "$W/chimera.toml" facts -t db-0 --refresh
expect_exit 0 "a session on db-0" ch --config "$W/chimera.toml" run -t db-0 -s web-sleeper -- 'sleep 600'
printf 'not shown\n' >"$W/secret"
expect_exit 0 "a secret" ch secrets set web.pass --file "$W/secret"
expect_exit 0 "granted to db-0" ch --config "$W/chimera.toml" secrets grant web.pass -t db-0
expect_exit 0 "a viewer token" ch tokens create web-viewer --role viewer --json
VT=$(printf '%s' "$OUT" | jq -r .token)
expect_exit 0 "an operator token" ch tokens create web-operator --role operator --json
OT=$(printf '%s' "$OUT" | jq -r .token)

# A pipeline run for the pipelines view: a site whose catch-all redirect heal moves, dry run
# (nothing is posted to the hook, nothing signed).
mkdir -p "$W/site"
printf '[build]\n  command = "hugo"\n  publish = "public"\n\n[[redirects]]\n  from = "/*"\n  to = "/index.html"\n  status = 200\n\n[[redirects]]\n  from = "/old"\n  to = "/new"\n' >"$W/site/netlify.toml"
expect_exit 0 "a dry-run pipeline that heals one issue" ch pipeline --platform netlify "$W/site" \
	--hook http://127.0.0.1:9/build_hooks/web --dry-run

serve_start --interval 2
check "serve is listening" [ -n "$URL" ]

api GET /
check "GET /: 200 text/html" sh -c "[ '$CODE' = 200 ] && grep -qi '^content-type: text/html' '$W/h'"
check "with a CSP of its own files only, no inline script, no frame around it" sh -c "
	grep -i '^content-security-policy:' '$W/h' | grep -q \"default-src 'self'; script-src 'self'; style-src 'self'\" &&
	grep -i '^content-security-policy:' '$W/h' | grep -q \"frame-ancestors 'none'\" &&
	! grep -i '^content-security-policy:' '$W/h' | grep -q unsafe-inline"
check "X-Frame-Options DENY, nosniff" sh -c "grep -qi '^x-frame-options: DENY' '$W/h' && grep -qi '^x-content-type-options: nosniff' '$W/h'"
check "the page has no inline script or style" sh -c "! grep -Eqi '<script>|<script [^>]*>[^<]|<style|style=' '$W/body'"
api GET /assets/app.js
ETAG=$(header ETag)
check "GET /assets/app.js: text/javascript with an ETag" sh -c "[ '$CODE' = 200 ] && [ -n '$ETAG' ] && grep -qi '^content-type: text/javascript' '$W/h'"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$URL/assets/app.js")
check "asked again with If-None-Match: 304" [ "$CODE" = 304 ]
api GET /assets/app.css
check "GET /assets/app.css: text/css" sh -c "[ '$CODE' = 200 ] && grep -qi '^content-type: text/css' '$W/h'"
api GET /assets/no-such.js
check "an unknown asset: 404" [ "$CODE" = 404 ]
api GET /api/v1/whoami "$VT"
check "GET /api/v1/whoami: the viewer's name and role" [ "$(printf '%s' "$BODY" | jq -r '.name + " " + .role')" = "web-viewer viewer" ]

rm -rf "$W/shots"
DEPLOY_CMD="'$CHIMERA' --state-dir '$STATE' --config '$W/chimera.toml' deploy -t @web --expect '$P2' --no-magic-rollback" \
SLOW_DEPLOY_CMD="'$CHIMERA' --state-dir '$STATE' --config '$W/chimera.toml' deploy -t web-1 --expect '$P1' --no-magic-rollback --check 'cmd:sleep 3'" \
DEPLOY_PATH=$P2 ROLLBACK_MACHINE=db-0 \
	timeout 150 node "$root/tests/web/dashboard.mjs" "$npm_dir/npm" "$URL/" "$VT" "$OT" "$W/shots" >"$W/browser.log" 2>&1
rc=$?
cat "$W/browser.log"
PASSES=$((PASSES + $(grep -c '^ok - ' "$W/browser.log")))
FAILS=$((FAILS + $(grep -c '^not ok - ' "$W/browser.log")))
check "the browser run ended well (exit $rc)" [ "$rc" = 0 ]
for v in fleet fleet-phone machine ledger deployments deployment watch jobs job; do
	check "a screenshot of the $v view" sh -c "[ -s '$W/shots/$v.png' ] && head -c 8 '$W/shots/$v.png' | od -An -c | grep -q 'P   N   G'"
done

expect_exit 0 "the ledger's job.accepted events" ch events --topic job.accepted --json
check "the rollback is in the ledger under the operator token's name" sh -c "
	jq -e -s 'map(select(.payload.by == \"web-operator\" and .payload.kind == \"rollback\")) | length == 1' '$W/out' >/dev/null"
check "db-0 is at generation 1's store path again" sh -c "
	'$CHIMERA' --state-dir '$STATE' --config '$W/chimera.toml' status -t db-0 --expect '$P1' --json | jq -e --arg p '$P1' '.nodes[0].actual == \$p' >/dev/null"
check "neither token is in the server's log or the ledger" sh -c "
	! grep -qF '$VT' '$W/serve.log' && ! grep -qF '$OT' '$W/serve.log' &&
	! '$CHIMERA' --state-dir '$STATE' events --json | grep -qF '$OT'"
finish
