#!/bin/sh
# Every topic-shaped string literal in src/ must be a topic of the event catalog (src/core/topics.c).
# Usage: scripts/check-topics.sh [SOURCE_DIR]   (default: the repository holding this script)
set -eu
ROOT=${1:-$(dirname "$0")/..}
CATALOG="$ROOT/src/core/topics.c"
[ -f "$CATALOG" ] || { echo "check-topics: no catalog at $CATALOG" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The catalog's rows: lines that open with { "name", VERSION,
sed -n 's/^[[:space:]]*{ "\([a-z0-9_.*-]*\)", [0-9][0-9]*,.*/\1/p' "$CATALOG" | sort -u >"$TMP/rows"
[ -s "$TMP/rows" ] || { echo "check-topics: no rows found in $CATALOG" >&2; exit 2; }
grep -v '\.\*$' "$TMP/rows" >"$TMP/exact" || true
sed -n 's/\.\*$/./p' "$TMP/rows" >"$TMP/namespaces"

# Topic-shaped: a literal "WORD.word[.word...]" whose first word names a topic family, either
# one of the catalog's or one events were ever filed under. File names ("chimera.toml",
# "lab.json", "node.js") are shaped alike and left out by their extension.
FAMILIES=$(sed 's/\..*//' "$TMP/rows" | sort -u | tr '\n' '|')
FAMILIES="${FAMILIES}node|watch|deploy|chimera|pipeline|ledger|lab|exec|secret|secrets|session|facts|services|machines|rollback|status"
grep -rnoE --include='*.c' --include='*.h' "\"($FAMILIES)\.[a-z0-9_-]+(\.[a-z0-9_-]+)*\"" "$ROOT/src" |
	grep -v "^$ROOT/src/core/topics\.c:" |
	grep -vE '\.(toml|json|js|db|nix|yaml|yml|md|sh|age|service|conf|txt|lock|pem|key|pub|sock|log)"$' \
	>"$TMP/literals" || true

bad=0
while IFS= read -r hit; do
	lit=${hit##*:}
	topic=$(printf '%s' "$lit" | tr -d '"')
	where=${hit%:*}
	where=${where#"$ROOT/"}
	if grep -qxF "$topic" "$TMP/exact"; then
		continue
	fi
	ok=0
	while IFS= read -r ns; do
		case "$topic" in "$ns"?*) ok=1 ;; esac
	done <"$TMP/namespaces"
	[ $ok = 1 ] && continue
	echo "$where: topic '$topic' is not in the event catalog (src/core/topics.c, docs/events.md)" >&2
	bad=1
done <"$TMP/literals"

# A row no code names any more is stale: say so, without failing (a topic may be built at run time).
while IFS= read -r topic; do
	if ! grep -q "\"$topic\"" "$TMP/literals"; then
		echo "check-topics: note: catalog topic '$topic' appears in no literal in src/" >&2
	fi
done <"$TMP/exact"

if [ $bad = 0 ]; then
	echo "check-topics: $(wc -l <"$TMP/literals") topic literals in src/, all in the catalog of $(wc -l <"$TMP/rows") rows"
fi
exit $bad
