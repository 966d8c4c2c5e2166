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

# The project folders a folder's files may include, and the third-party headers they may.
# Third-party headers are recognised by these patterns; anything else in <...> is the C library or POSIX.
THIRD_PARTY='sqlite3\.h|libssh/|curl/|openssl/|libfyaml\.h|jansson\.h|cmocka\.h|microhttpd\.h|libpq-fe\.h|n?curses\.h'

rules() {
	case $1 in
	util/hash.c) echo "util|jansson\.h|openssl/evp\.h" ;;
	util/*) echo "util|jansson\.h" ;;
	core/*) echo "core util|" ;;
	formats/*) echo "formats core util|jansson\.h" ;;
	ports/*) echo "ports core util|" ;;
	remote/*) echo "remote formats core util|" ;;
	platform/*) echo "platform ports formats core util|jansson\.h" ;;
	app/*) echo "app platform remote ports formats core util|jansson\.h" ;;
	adapters/ssh/*) echo "adapters/ssh ports formats core util|libssh/|jansson\.h" ;;
	adapters/sqlite/*) echo "adapters/sqlite ports formats core util|sqlite3\.h|jansson\.h" ;;
	adapters/curl/*) echo "adapters/curl ports formats core util|curl/|jansson\.h" ;;
	adapters/openssl/*) echo "adapters/openssl ports formats core util|openssl/|jansson\.h" ;;
	adapters/yaml/*) echo "adapters/yaml ports formats core util|libfyaml\.h|jansson\.h" ;;
	adapters/postgres/*) echo "adapters/postgres ports formats core util|libpq-fe\.h|jansson\.h" ;;
	adapters/*) a=${1#adapters/}; echo "adapters/${a%%/*} ports formats core util|jansson\.h" ;;
	runtime/*) echo "runtime app platform remote ports formats core util adapters|jansson\.h" ;;
	cli/cmd_lab.c) echo "cli runtime app platform remote ports formats core util adapters/lab|jansson\.h" ;;
	cli/*) echo "cli runtime app platform remote ports formats core util|jansson\.h" ;;
	*) echo "|" ;;
	esac
}

fails=0
for f in $(find . -name '*.[ch]' | sed 's#^\./##' | sort); do
	r=$(rules "$f")
	allowed=${r%%|*}
	libs=${r#*|}
	# Project includes: "folder/file.h".
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
		n=${line%%:*}
		inc=$(printf '%s\n' "$line" | sed 's/.*include[[:space:]]*"\([^"]*\)".*/\1/')
		ok=
		for a in $allowed; do
			case $inc in "$a"/*) ok=1 ;; esac
		done
		[ -n "$ok" ] || echo "$f:$n: includes \"$inc\": ${f%%/*}/ may include only ${allowed:-nothing of the project}"
	done
	# Third-party headers: <...> matching THIRD_PARTY must match the folder's own.
	grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($THIRD_PARTY)" "$f" | while IFS= read -r line; do
		n=${line%%:*}
		inc=$(printf '%s\n' "$line" | sed 's/.*include[[:space:]]*<\([^>]*\)>.*/\1/')
		if [ -z "$libs" ] || ! printf '%s\n' "$inc" | grep -qE "^($libs)"; then
			echo "$f:$n: includes <$inc>: a third-party header belongs to its adapter under adapters/"
		fi
	done
	# banned.h, last, in every .c file.
	case $f in
	*.c)
		last=$(grep -E '^[[:space:]]*#[[:space:]]*include' "$f" | tail -n 1)
		case $last in
		*'"util/banned.h"'*) ;;
		*) echo "$f: does not include \"util/banned.h\" as its last include" ;;
		esac
		;;
	esac
done >"${TMPDIR:-/tmp}/check-layers.$$"
if [ -s "${TMPDIR:-/tmp}/check-layers.$$" ]; then
	cat "${TMPDIR:-/tmp}/check-layers.$$"
	fails=$(wc -l <"${TMPDIR:-/tmp}/check-layers.$$")
fi
rm -f "${TMPDIR:-/tmp}/check-layers.$$"
if [ "$fails" -gt 0 ]; then
	echo "check-layers: $fails break(s) of the layering rules (docs/internals/layers.md)"
	exit 1
fi
echo "check-layers: $(find . -name '*.[ch]' | wc -l) files keep the layering rules"
