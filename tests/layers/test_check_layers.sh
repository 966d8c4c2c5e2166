#!/bin/sh
# scripts/check-layers.sh: passes on the real tree, and fails, naming the file and the header,
# on a copy where an app/ file includes sqlite3.h, libssh, or an adapter, or a file lacks banned.h.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHECK="$ROOT/scripts/check-layers.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fails=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $*"; }
not_ok() { fails=$((fails + 1)); echo "not ok - $*"; }

if out=$(sh "$CHECK" "$ROOT/src" 2>&1); then ok "the tree keeps the rules"; else not_ok "the tree breaks the rules:"; echo "$out"; fi

# A small tree that keeps the rules, then one break at a time.
mk() {
	rm -rf "$WORK/src"
	mkdir -p "$WORK/src/app/fleet" "$WORK/src/util" "$WORK/src/adapters/sqlite" "$WORK/src/core"
	printf '#include "util/x.h"\n#include <string.h>\n#include "util/banned.h"\n' >"$WORK/src/app/fleet/a.c"
	printf '#include "core/c.h"\n#include "util/x.h"\n' >"$WORK/src/app/fleet/a.h"
	printf '#include <sqlite3.h>\n#include "ports/ledger.h"\n#include "util/banned.h"\n' >"$WORK/src/adapters/sqlite/s.c"
	printf '#include "util/x.h"\n#include "util/banned.h"\n' >"$WORK/src/core/c.c"
}
expect_break() {
	what=$1 pattern=$2
	if out=$(sh "$CHECK" "$WORK/src" 2>&1); then
		not_ok "$what passes"
	elif printf '%s\n' "$out" | grep -q "$pattern"; then
		ok "$what fails: $(printf '%s\n' "$out" | grep "$pattern" | head -n 1)"
	else
		not_ok "$what fails without naming it: $out"
	fi
}

mk
if sh "$CHECK" "$WORK/src" >/dev/null 2>&1; then ok "a small tree that keeps the rules passes"; else not_ok "a small tree that keeps the rules fails"; fi
mk
printf '#include <sqlite3.h>\n#include "util/banned.h"\n' >"$WORK/src/app/fleet/b.c"
expect_break "app/ including sqlite3.h" 'app/fleet/b.c:1: includes <sqlite3.h>'
mk
printf '#include <libssh/libssh.h>\n' >"$WORK/src/app/fleet/c.h"
expect_break "app/ including libssh" 'app/fleet/c.h:1: includes <libssh/libssh.h>'
mk
printf '#include "adapters/sqlite/ledger_sqlite.h"\n#include "util/banned.h"\n' >"$WORK/src/app/fleet/d.c"
expect_break "app/ including an adapter" 'app/fleet/d.c:1: includes "adapters/sqlite/ledger_sqlite.h"'
mk
printf '#include "app/fleet/a.h"\n#include "util/banned.h"\n' >"$WORK/src/core/e.c"
expect_break "core/ including app/" 'core/e.c:1: includes "app/fleet/a.h"'
mk
printf '#include "util/banned.h"\n#include <stdio.h>\n' >"$WORK/src/core/f.c"
expect_break "banned.h not last" 'core/f.c: does not include "util/banned.h" as its last include'

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
