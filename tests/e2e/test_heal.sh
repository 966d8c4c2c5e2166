#!/bin/sh
# chimera heal on netlify.toml and render.yaml: fixes applied to a copy, a unified diff,
# nothing written without --write; with it, an atomic write and a .bak; comments kept.
. "$E2E_DIR/lib.sh"
start
W="$E2E_WORK/$TEST_NAME"
mkdir -p "$W/site"
cat > "$W/site/netlify.toml" <<'EOF'
# Site settings; keep this comment.
[[build]]
  command = "hugo"   # the generator
  publish = "public"

[[redirects]]
  from = "old/*"
  to = "/new/:splat"
  status = 301
  force = "true"
EOF
cp "$W/site/netlify.toml" "$W/orig.toml"
expect_exit 3 "simulate finds the mistakes" ch simulate --platform netlify "$W/site"
expect_exit 0 "heal without --write: the healed text passes" ch heal --platform netlify "$W/site"
check "each fix reported fixed" [ "$(printf '%s\n' "$OUT" | grep -c ' fixed: ')" -ge 3 ]
check "a unified diff" contains "$OUT" "+++ b/netlify.toml"
check "[[build]] becomes [build] in it" contains "$OUT" "+[build]"
check "nothing written" cmp -s "$W/site/netlify.toml" "$W/orig.toml"
check "and it says how to" contains "$OUT" "run again with --write"
expect_exit 0 "heal --write" ch heal --platform netlify "$W/site" --write
check "the original kept as .bak" cmp -s "$W/site/netlify.toml.bak" "$W/orig.toml"
check "the comments and untouched lines are byte-identical" \
	sh -c 'grep -qxF "# Site settings; keep this comment." "$1" && grep -qxF "  command = \"hugo\"   # the generator" "$1" && grep -qxF "  to = \"/new/:splat\"" "$1"' - "$W/site/netlify.toml"
expect_exit 0 "simulate now passes" ch simulate --platform netlify "$W/site"
expect_exit 0 "heal again: nothing to change" ch heal --platform netlify "$W/site" --json
check "json: no action, empty diff, passed" [ "$(printf '%s\n' "$OUT" | jq -r '"\(.actions | length) \(.diff | length) \(.passed)"')" = "0 0 true" ]
expect_exit 2 "no netlify.toml" ch heal --platform netlify "$W"
mkdir -p "$W/blue"
cat > "$W/blue/render.yaml" <<'EOF'
# Blueprint; keep this comment.
services:
  - type: web
    name: app
    env: node
    plan: Starter
    buildCommand: npm ci
    startCommand: npm start
    envVars:
      - key: SECRET
EOF
cp "$W/blue/render.yaml" "$W/blue.orig"
expect_exit 3 "simulate render.yaml: the mistakes" ch simulate --platform render "$W/blue"
expect_exit 0 "heal --platform render --write" ch heal --platform render "$W/blue" --write
check "env renamed to runtime" grep -qxF "    runtime: node" "$W/blue/render.yaml"
check "the plan spelled as Render does" grep -qxF "    plan: starter" "$W/blue/render.yaml"
check "sync: false added to the variable without a value" grep -qxF "        sync: false" "$W/blue/render.yaml"
check "the comment kept" grep -qxF "# Blueprint; keep this comment." "$W/blue/render.yaml"
check "the original kept as .bak" cmp -s "$W/blue/render.yaml.bak" "$W/blue.orig"
expect_exit 0 "simulate render.yaml now passes" ch simulate --platform render "$W/blue"
finish
