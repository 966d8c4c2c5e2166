#!/bin/sh
# Checks the layering rules on every #include under a source tree (default: src/ beside this
# script), and that every .c file includes util/banned.h last. Prints each break as
# FILE:LINE: what and why, and exits 1 when there is one. docs/internals/layers.md explains
# the rules; CMake's per-folder libraries carry the same ones as link dependencies.
# usage: scripts/check-layers.sh [SRC_DIR]
set -eu
SRC=${1:-$(dirname "$0")/../src}
[ -d "$SRC" ] || { echo "check-layers: no source directory '$SRC'" >&2; exit 2; }
cd "$SRC"
files=$(find . -name '*.[ch]' | sed 's#^\./##' | sort)
[ -n "$files" ] || { echo "check-layers: no C files under '$SRC'" >&2; exit 2; }

# shellcheck disable=SC2086
awk '
# The project folders a file may include ("allowed", space-separated prefixes) and the
# third-party headers it may (a regular expression; "" for none), by where it lives.
function rules(f) {
	allowed = ""; libs = ""
	if (f == "util/hash.c") { allowed = "util"; libs = "^(jansson\\.h|openssl/evp\\.h)$" }
	else if (f ~ /^util\//) { allowed = "util"; libs = "^jansson\\.h$" }
	else if (f ~ /^core\//) { allowed = "core util" }
	else if (f ~ /^formats\//) { allowed = "formats ports core util"; libs = "^jansson\\.h$" }
	else if (f ~ /^ports\//) { allowed = "ports core util" }
	else if (f ~ /^remote\//) { allowed = "remote formats core util" }
	else if (f ~ /^platform\//) { allowed = "platform ports formats core util"; libs = "^jansson\\.h$" }
	else if (f ~ /^app\//) { allowed = "app platform remote ports formats core util"; libs = "^jansson\\.h$" }
	else if (f ~ /^adapters\//) {
		split(f, part, "/")
		allowed = "adapters/" part[2] " ports formats core util"
		lib["ssh"] = "libssh/"; lib["sqlite"] = "sqlite3\\.h"; lib["curl"] = "curl/"
		lib["openssl"] = "openssl/"; lib["yaml"] = "yaml\\.h"; lib["postgres"] = "libpq-fe\\.h"
		lib["mhd"] = "microhttpd\\.h"; lib["curses"] = "n?curses\\.h"
		libs = "^(jansson\\.h" (part[2] in lib ? "|" lib[part[2]] : "") ")"
	}
	else if (f ~ /^runtime\//) { allowed = "runtime app platform remote ports formats core util adapters"; libs = "^jansson\\.h$" }
	else if (f ~ /^api\//) { allowed = "api runtime app platform remote ports formats core util"; libs = "^jansson\\.h$" }
	else if (f == "cli/cmd_lab.c") { allowed = "cli runtime app platform remote ports formats core util adapters/lab"; libs = "^jansson\\.h$" }
	else if (f ~ /^cli\//) { allowed = "cli api runtime app platform remote ports formats core util"; libs = "^jansson\\.h$" }
}
function finish_file() {
	if (cur ~ /\.c$/ && last !~ /"util\/banned\.h"/)
		printf "%s: does not include \"util/banned.h\" as its last include\n", cur
}
FNR == 1 { if (cur != "") finish_file(); cur = FILENAME; last = ""; rules(cur) }
/^[ \t]*#[ \t]*include/ {
	last = $0
	if (match($0, /"[^"]*"/)) {
		inc = substr($0, RSTART + 1, RLENGTH - 2)
		n = split(allowed, a, " "); ok = 0
		for (i = 1; i <= n; i++) if (index(inc, a[i] "/") == 1) ok = 1
		if (!ok) printf "%s:%d: includes \"%s\": %s may include only %s\n", cur, FNR, inc, cur, (allowed == "" ? "nothing of the project" : allowed)
	} else if (match($0, /<[^>]*>/)) {
		inc = substr($0, RSTART + 1, RLENGTH - 2)
		if (inc ~ /^(sqlite3\.h|libssh\/|curl\/|openssl\/|yaml\.h|jansson\.h|cmocka\.h|microhttpd\.h|libpq-fe\.h|n?curses\.h)/ && (libs == "" || inc !~ libs))
			printf "%s:%d: includes <%s>: a third-party header belongs to its adapter under adapters/\n", cur, FNR, inc
	}
}
END { if (cur != "") finish_file() }
' $files >"${TMPDIR:-/tmp}/check-layers.$$"
fails=$(wc -l <"${TMPDIR:-/tmp}/check-layers.$$")
cat "${TMPDIR:-/tmp}/check-layers.$$"
rm -f "${TMPDIR:-/tmp}/check-layers.$$"
if [ "$fails" -gt 0 ]; then
	echo "check-layers: $fails break(s) of the layering rules (docs/internals/layers.md)"
	exit 1
fi
echo "check-layers: $(printf '%s\n' "$files" | wc -l) files keep the layering rules"
