#!/bin/sh
# Lists C functions longer than MAX (default 100) lines under the given paths (default src/):
# a function runs from a line that starts a definition at column 0 to the next line that is "}".
# usage: scripts/long-functions.sh [MAX] [PATH...]
set -eu
max=${1:-100}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- src
find "$@" -name '*.c' | sort | xargs awk -v max="$max" '
	FNR == 1 { start = 0 }
	/^[a-zA-Z_][a-zA-Z0-9_ \*]*[ \*]\**[a-zA-Z_][a-zA-Z0-9_]*\(/ && !/;[ \t]*$/ { start = FNR; name = $0; sub(/\(.*/, "", name); sub(/.*[ \*]/, "", name) }
	/^}/ && start { n = FNR - start + 1; if (n > max) printf "%s:%d: %s is %d lines\n", FILENAME, start, name, n; start = 0 }
'
