#!/bin/sh
# Checks the size rules under a source tree (default: src/ beside this script): no file over
# FILE_MAX (800) lines, no function over FUNC_MAX (100) lines. A function body is what lies
# between a "{" and a "}" that each stand alone at the start of a line (the project's style);
# it is named by the line before its "{". Prints each break and exits 1 when there is one.
# usage: scripts/check-sizes.sh [SRC_DIR]
set -eu
SRC=${1:-$(dirname "$0")/../src}
FILE_MAX=${FILE_MAX:-800}
FUNC_MAX=${FUNC_MAX:-100}
[ -d "$SRC" ] || { echo "check-sizes: no source directory '$SRC'" >&2; exit 2; }
cd "$SRC"
out=$(find . -name '*.[ch]' | sed 's#^\./##' | sort | xargs awk -v fmax="$FILE_MAX" -v gmax="$FUNC_MAX" '
	FNR == 1 && NR > 1 && lines > fmax { printf "%s: %d lines (more than %d)\n", file, lines, fmax }
	FNR == 1 { file = FILENAME; start = 0 }
	{ lines = FNR }
	/^\{[ \t]*$/ { start = FNR; name = prev }
	/^\}/ && start { n = FNR - start + 2; if (n > gmax) printf "%s:%d: %s is %d lines (more than %d)\n", file, start - 1, name, n, gmax; start = 0 }
	/./ { prev = $0 }
	END { if (lines > fmax) printf "%s: %d lines (more than %d)\n", file, lines, fmax }
')
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	echo "check-sizes: $(printf '%s\n' "$out" | wc -l) break(s) of the size rules (docs/internals/layers.md)"
	exit 1
fi
echo "check-sizes: no file over $FILE_MAX lines, no function over $FUNC_MAX"
