#!/bin/sh
# docs/api/openapi.json: valid OpenAPI 3.1 (checked by @seriousme/openapi-schema-validator
# against the official schema, its schemas by ajv against JSON Schema 2020-12), and true to
# the routes `chimera serve` registers: none missing, none extra, each operation's role the
# route's, 401 (with WWW-Authenticate) wherever a token is needed, Location on every 202.
# Then against a running server (--no-watch, on 127.0.0.1, a state of its own): the document
# it serves is the file, and its answers (without a token, errors, the read routes, a job)
# match the document's statuses and schemas.
#
# env: CHIMERA     the chimera binary (its `serve --routes --json` is the truth)
#      BUILD_DIR   where the npm packages go (BUILD_DIR/npm, by scripts/npm-test-deps.sh)
#      OPENAPI_DOC the document to check (default: the source tree's docs/api/openapi.json)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${CHIMERA:?set CHIMERA to the chimera binary}"
: "${BUILD_DIR:?set BUILD_DIR to the build directory}"
doc=${OPENAPI_DOC:-$root/docs/api/openapi.json}

if ! command -v node >/dev/null 2>&1; then
	echo "test_openapi: node is not installed (Node.js 18 or later is needed)" >&2
	exit 1
fi
sh "$root/scripts/npm-test-deps.sh" "$BUILD_DIR"

tmp=$(mktemp -d)
server=
trap 'rc=$?; if [ -n "$server" ]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; fi; rm -rf "$tmp"; exit $rc' EXIT
trap 'exit 130' INT TERM
# The API's routes (under /api/, and /metrics): the dashboard's files at / and /assets/NAME
# are public static pages, not API operations; tests/e2e/test_web.sh checks them.
"$CHIMERA" serve --routes --json | jq -c 'select((.path | startswith("/api/")) or .path == "/metrics")' \
	>"$tmp/routes.jsonl"
echo "test_openapi: the server registers $(grep -c . "$tmp/routes.jsonl") API routes"

node "$here/openapi_check.mjs" "$BUILD_DIR/npm" "$doc" "$tmp/routes.jsonl"

# A server of its own: a machine whose address answers nothing (port 1 of loopback), and
# this host (target local: a job that runs `sleep 2` here, to be cancelled).
printf '[machines.api-test]\ntarget = "root@127.0.0.1:1"\n\n[machines.api-local]\ntarget = "local"\n' \
	>"$tmp/chimera.toml"
if ! token=$("$CHIMERA" --state-dir "$tmp/state" --config "$tmp/chimera.toml" tokens create api-test --role admin \
	2>"$tmp/tokens.log"); then
	cat "$tmp/tokens.log" >&2
	exit 1
fi
"$CHIMERA" --state-dir "$tmp/state" --config "$tmp/chimera.toml" serve --no-watch --listen 127.0.0.1:0 \
	--ready-file "$tmp/ready" >"$tmp/serve.log" 2>&1 &
server=$!
i=0
while [ ! -s "$tmp/ready" ] && [ $i -lt 300 ] && kill -0 "$server" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -s "$tmp/ready" ]; then
	echo "test_openapi: chimera serve did not start:" >&2
	cat "$tmp/serve.log" >&2
	exit 1
fi
node "$here/openapi_live.mjs" "$BUILD_DIR/npm" "$doc" "$(cat "$tmp/ready")" "$token" api-test api-local
