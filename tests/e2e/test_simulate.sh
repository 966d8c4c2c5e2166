#!/bin/sh
# chimera simulate from the command line: exit statuses, text and JSON reports, positions,
# on real files of ../shared/corpus and on copies with one known mistake.
. "$E2E_DIR/lib.sh"
start
W="$E2E_WORK/$TEST_NAME"
C="$SHARED_DIR/corpus"

expect_exit 2 "no --platform" ch simulate "$W"
expect_exit 2 "an unknown platform" ch simulate --platform vercel "$W"
check "names it and the choices" contains "$ERR" "--platform 'vercel': expected netlify or render"
mkdir -p "$W/empty"
expect_exit 2 "a directory without netlify.toml" ch simulate --platform netlify "$W/empty"
check "names the file it looked for" contains "$ERR" "$W/empty/netlify.toml"
expect_exit 2 "a directory without render.yaml" ch simulate --platform render "$W/empty"

# Every real file: a report, never a crash, never a syntax error.
n=0 bad=0
for f in "$C"/netlify/*netlify.toml; do
	mkdir -p "$W/n"
	cp "$f" "$W/n/netlify.toml"
	"$CHIMERA" simulate --platform netlify --json "$W/n" >"$W/n.json" 2>"$W/n.err"
	rc=$?
	n=$((n + 1))
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then bad=$((bad + 1)); echo "# $f: exit $rc"; fi
	if jq -e '.issues[] | select(.rule == "NTL-TOML-1")' "$W/n.json" >/dev/null 2>&1; then bad=$((bad + 1)); echo "# $f: syntax error"; fi
done
check "netlify corpus: $n files, each a report, no crash, no syntax error" [ "$bad" = 0 -a "$n" -gt 50 ]
n=0 bad=0
for f in "$C"/render/*; do
	mkdir -p "$W/r"
	cp "$f" "$W/r/render.yaml"
	"$CHIMERA" simulate --platform render --json "$W/r" >"$W/r.json" 2>"$W/r.err"
	rc=$?
	n=$((n + 1))
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then bad=$((bad + 1)); echo "# $f: exit $rc"; fi
	if jq -e '.issues[] | select(.rule == "RND-YAML-1")' "$W/r.json" >/dev/null 2>&1; then bad=$((bad + 1)); echo "# $f: syntax error"; fi
done
check "render corpus: $n files, each a report, no crash, no syntax error" [ "$bad" = 0 -a "$n" -gt 50 ]

# A clean file passes; one known mistake makes it fail with the rule, its position and a fix.
mkdir -p "$W/site"
cat > "$W/site/netlify.toml" <<'EOF'
[build]
  command = "hugo"
  publish = "public"

[[redirects]]
  from = "/old/*"
  to = "/new/:splat"
  status = 301
EOF
expect_exit 0 "a clean netlify.toml passes" ch simulate --platform netlify "$W/site"
check "the summary says passed" contains "$OUT" "passed"
sed -i 's|from = "/old/\*"|from = "old/*"|' "$W/site/netlify.toml"
expect_exit 3 "a redirect from without its leading slash" ch simulate --platform netlify --json "$W/site"
check "NTL-RED-5 at 6:10, critical, healable" \
	[ "$(printf '%s\n' "$OUT" | jq -r '.issues[] | select(.rule == "NTL-RED-5") | "\(.severity) \(.line):\(.col) \(.fix)"')" = "critical 6:10 heal" ]
check "json: passed false, one critical" [ "$(printf '%s\n' "$OUT" | jq -r '"\(.passed) \(.counts.critical)"')" = "false 1" ]
expect_exit 3 "the text report" ch simulate --platform netlify "$W/site"
check "file:line:col, severity, rule" contains "$OUT" "netlify.toml:6:10: critical NTL-RED-5:"
check "and the fix" contains "$OUT" "fix:"
expect_exit 3 "options may follow the directory" ch simulate "$W/site" --platform netlify --json
check "the same report" [ "$(printf '%s\n' "$OUT" | jq -r '.issues[0].rule')" = NTL-RED-5 ]
finish
