#!/bin/sh
# chimera certify: only what passes is signed; --verify checks the Ed25519 signature against
# this controller's key and every file's SHA3-256, and names what changed.
. "$E2E_DIR/lib.sh"
start
W="$E2E_WORK/$TEST_NAME"
mkdir -p "$W/site" "$W/bad" "$W/blue"
cat > "$W/site/netlify.toml" <<'EOF'
[build]
  command = "hugo"
  publish = "public"
EOF
cat > "$W/blue/render.yaml" <<'EOF'
services:
  - type: web
    name: app
    runtime: node
    plan: starter
    buildCommand: npm ci
    startCommand: npm start
EOF
printf '[[build]]\n  command = "hugo"\n' > "$W/bad/netlify.toml"

expect_exit 0 "certify a clean netlify.toml" ch certify --platform netlify "$W/site"
CERT="$W/site/chimera-certificate.json"
check "the certificate is written" [ -f "$CERT" ]
check "the key was made, mode 0600" [ "$(stat -c %a "$STATE/keys/certify-ed25519.pem")" = 600 ]
check "version 1, the file's SHA3-256, a nonce, the key id, an ed25519 signature" \
	[ "$(jq -r '"\(.version) \(.files[0].path) \(.files[0].sha3_256 | length) \(.nonce | length) \(.key_id | length) \(.signature.alg) \(.signature.hex | length)"' "$CERT")" = "1 netlify.toml 64 32 16 ed25519 128" ]
check "the digest is the file's SHA3-256" [ "$(jq -r '.files[0].sha3_256' "$CERT")" = "$(openssl dgst -sha3-256 -r "$W/site/netlify.toml" | cut -d' ' -f1)" ]
check "all four checks recorded as passed" [ "$(jq -c '[.checks[]] | all' "$CERT")" = true ]
check "the healing report's digest: heal's pass over the file, with nothing to do" \
	[ "$(jq -r '.healing.sha3_256' "$CERT")" = "$(printf '[]' | openssl dgst -sha3-256 -r | cut -d' ' -f1)" ]
expect_exit 0 "verify it" ch certify --verify "$CERT" "$W/site"
check "says so" contains "$OUT" "signature and every digest match"

cp "$CERT" "$W/cert.orig"
echo '# an edit' >> "$W/site/netlify.toml"
expect_exit 3 "verify after netlify.toml was edited" ch certify --verify "$CERT" "$W/site"
check "names the file" contains "$ERR" "netlify.toml changed since it was certified"
sed -i '$d' "$W/site/netlify.toml"
expect_exit 0 "the edit undone: verifies again" ch certify --verify "$CERT" "$W/site"

jq '.time = "2000-01-01T00:00:00.000Z"' "$W/cert.orig" > "$W/tampered.json"
expect_exit 3 "a certificate changed after signing" ch certify --verify "$W/tampered.json" "$W/site"
check "the signature does not match" contains "$ERR" "the signature does not match"
expect_exit 3 "another controller's key" "$CHIMERA" --state-dir "$W/other-state" certify --verify "$CERT" "$W/site"
check "names both keys" contains "$ERR" "not by this controller's key"
echo '{"version": 1}' > "$W/junk.json"
expect_exit 2 "not a certificate" ch certify --verify "$W/junk.json" "$W/site"

expect_exit 3 "a netlify.toml with [[build]] is not certified" ch certify --platform netlify "$W/bad"
check "no certificate written" [ ! -e "$W/bad/chimera-certificate.json" ]
check "the failed checks are listed" contains "$OUT" "no_critical_issues   NO"
expect_exit 3 "the same with --json" ch certify --json --platform netlify "$W/bad"
check "json: certified false, NTL-TOP-2 in the simulation" \
	[ "$(printf '%s\n' "$OUT" | jq -r '"\(.certified) \([.simulation.issues[].rule] | index("NTL-TOP-2") != null)"')" = "false true" ]

expect_exit 0 "certify a render.yaml with an artifact, to a chosen file" \
	ch certify --platform render "$W/blue" --artifact /nix/store/00000000000000000000000000000000-site --out "$W/blue.cert"
check "the artifact is recorded" [ "$(jq -r .artifact "$W/blue.cert")" = /nix/store/00000000000000000000000000000000-site ]
expect_exit 0 "and verifies" ch certify --verify "$W/blue.cert" "$W/blue"
expect_exit 2 "an artifact that is not a store path" ch certify --platform render "$W/blue" --artifact /etc/passwd
expect_exit 2 "no platform" ch certify "$W/site"
finish
