#!/bin/sh
# scripts/check-layers.sh and scripts/check-sizes.sh pass on the real tree. check-layers fails,
# naming the file and the header, on a copy where an app/ file includes sqlite3.h, libssh,
# libyaml's yaml.h (adapters/yaml/ may) or an adapter, core includes app, or banned.h is not
# last; check-sizes on a 101-line function and an 801-line file.
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
printf '#include <yaml.h>\n#include "util/banned.h"\n' >"$WORK/src/app/fleet/g.c"
expect_break "app/ including libyaml's yaml.h" 'app/fleet/g.c:1: includes <yaml.h>'
mk
mkdir -p "$WORK/src/adapters/yaml"
printf '#include <yaml.h>\n#include "ports/yaml.h"\n#include "util/banned.h"\n' >"$WORK/src/adapters/yaml/y.c"
if sh "$CHECK" "$WORK/src" >/dev/null 2>&1; then ok "adapters/yaml/ including yaml.h passes"; else not_ok "adapters/yaml/ including yaml.h fails"; fi
mk
printf '#include "adapters/sqlite/ledger_sqlite.h"\n#include "util/banned.h"\n' >"$WORK/src/app/fleet/d.c"
expect_break "app/ including an adapter" 'app/fleet/d.c:1: includes "adapters/sqlite/ledger_sqlite.h"'
mk
printf '#include "app/fleet/a.h"\n#include "util/banned.h"\n' >"$WORK/src/core/e.c"
expect_break "core/ including app/" 'core/e.c:1: includes "app/fleet/a.h"'
mk
printf '#include "util/banned.h"\n#include <stdio.h>\n' >"$WORK/src/core/f.c"
expect_break "banned.h not last" 'core/f.c: does not include "util/banned.h" as its last include'

# scripts/check-sizes.sh: the tree passes; a 101-line function and an 801-line file fail.
SIZES="$ROOT/scripts/check-sizes.sh"
if out=$(sh "$SIZES" "$ROOT/src" 2>&1); then ok "the tree keeps the size rules"; else not_ok "the tree breaks the size rules:"; echo "$out"; fi
rm -rf "$WORK/sz" && mkdir -p "$WORK/sz"
{ echo "int f(void)"; echo "{"; i=0; while [ $i -lt 97 ]; do echo "	x();"; i=$((i + 1)); done; echo "}"; } >"$WORK/sz/a.c"
if sh "$SIZES" "$WORK/sz" >/dev/null 2>&1; then ok "a 100-line function passes"; else not_ok "a 100-line function fails"; fi
{ echo "int f(void)"; echo "{"; i=0; while [ $i -lt 98 ]; do echo "	x();"; i=$((i + 1)); done; echo "}"; } >"$WORK/sz/a.c"
if out=$(sh "$SIZES" "$WORK/sz" 2>&1); then not_ok "a 101-line function passes"; else
	case $out in *"a.c:1: int f(void) is 101 lines"*) ok "a 101-line function fails: $out" ;; *) not_ok "a 101-line function fails without naming it: $out" ;; esac
fi
rm -f "$WORK/sz/a.c"; i=0; while [ $i -lt 801 ]; do echo "int v$i;"; i=$((i + 1)); done >"$WORK/sz/b.h"
if out=$(sh "$SIZES" "$WORK/sz" 2>&1); then not_ok "an 801-line file passes"; else
	case $out in *"b.h: 801 lines"*) ok "an 801-line file fails" ;; *) not_ok "an 801-line file fails without naming it: $out" ;; esac
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
