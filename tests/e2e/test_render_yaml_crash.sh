#!/bin/sh
# Issue 16: a 51-byte render.yaml killed `chimera simulate --platform render` and `heal` with
# SIGSEGV inside libfyaml 0.7.12. Both must read it as what it is, a YAML syntax error: exit 3
# with one RND-YAML-1 at its place, never a signal. Needs no lab.
. "$E2E_DIR/lib.sh"
start
W="$E2E_WORK/$TEST_NAME"

mkdir -p "$W/site"
# c2VzOgo/ICBlCj8gIGVzOgo6Cj8gICBuYW1lOiAJCQkJCQkJCQkJCQkJCQkJCQkJCQk6 (the issue's base64): 21 tabs
printf 'ses:\n?  e\n?  es:\n:\n?   name: %s:' "$(printf '\t%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21)" \
	>"$W/site/render.yaml"
cp "$W/site/render.yaml" "$W/orig.yaml"
check "the file is the issue's 51 bytes" [ "$(wc -c <"$W/site/render.yaml")" -eq 51 ]
check "with its base64" [ "$(base64 -w0 <"$W/site/render.yaml")" = \
	"c2VzOgo/ICBlCj8gIGVzOgo6Cj8gICBuYW1lOiAJCQkJCQkJCQkJCQkJCQkJCQkJCQk6" ]

expect_exit 3 "simulate: a finding, not a signal" ch simulate --platform render "$W/site"
check "the syntax error at its place" contains "$OUT" \
	"render.yaml:5:32: critical RND-YAML-1: YAML syntax error: mapping values are not allowed in this context"
check "rejected" contains "$OUT" "1 critical, 0 high, 0 medium, 0 low"

expect_exit 3 "simulate --json" ch simulate --platform render --json "$W/site"
check "json: one RND-YAML-1 at 5:32, passed false" \
	[ "$(printf '%s\n' "$OUT" | jq -r '"\(.passed) \(.issues | length) \(.issues[0].rule) \(.issues[0].line):\(.issues[0].col)"')" = \
	"false 1 RND-YAML-1 5:32" ]

expect_exit 3 "heal: a finding, not a signal" ch heal --platform render "$W/site"
check "nothing it can change" contains "$OUT" "nothing to change"
check "the syntax error is still reported" contains "$OUT" "critical RND-YAML-1: YAML syntax error"

expect_exit 3 "heal --write --json" ch heal --platform render --json --write "$W/site"
check "json: no action, written false, the error before and after" \
	[ "$(printf '%s\n' "$OUT" | jq -r '"\(.actions | length) \(.written) \(.before.issues[0].rule) \(.after.issues[0].rule)"')" = \
	"0 false RND-YAML-1 RND-YAML-1" ]
check "the file is untouched" cmp -s "$W/site/render.yaml" "$W/orig.yaml"
check "and no backup was made" [ ! -e "$W/site/render.yaml.bak" ]

finish
