#!/bin/sh
# chimera toml-decode as toml-test's decoder interface: TOML on stdin, typed JSON on stdout,
# exit 1 with LINE:COL on invalid input. Checked on files of the official suite.
. "$E2E_DIR/lib.sh"
start
T="$SHARED_DIR/conformance/toml-test/tests"

same_json() { jq -S . "$1" >"$E2E_WORK/$TEST_NAME/a.json" && printf '%s\n' "$OUT" | jq -S . >"$E2E_WORK/$TEST_NAME/b.json" && cmp -s "$E2E_WORK/$TEST_NAME/a.json" "$E2E_WORK/$TEST_NAME/b.json"; }

for f in valid/example valid/spec-example-1 valid/table/array-implicit valid/string/escapes valid/datetime/local; do
	if [ ! -f "$T/$f.toml" ]; then
		not_ok "the suite has $f.toml"
		continue
	fi
	expect_exit 0 "toml-decode $f.toml" sh -c '"$1" toml-decode < "$2"' - "$CHIMERA" "$T/$f.toml"
	check "$f: the JSON equals the suite's" same_json "$T/$f.json"
done
for f in invalid/table/duplicate-key-01 invalid/string/bad-escape-01 invalid/control/bare-null; do
	if [ ! -f "$T/$f.toml" ]; then
		not_ok "the suite has $f.toml"
		continue
	fi
	expect_exit 1 "toml-decode $f.toml is refused" sh -c '"$1" toml-decode < "$2"' - "$CHIMERA" "$T/$f.toml"
	check "$f: the message starts with LINE:COL" sh -c 'printf "%s\n" "$1" | grep -Eq "[0-9]+:[0-9]+: "' - "$ERR"
	check "$f: nothing on stdout" [ -z "$OUT" ]
done
expect_exit 0 "an empty document is an empty table" sh -c 'printf "" | "$1" toml-decode' - "$CHIMERA"
check "{}" [ "$(printf '%s\n' "$OUT" | jq -c .)" = "{}" ]
finish
