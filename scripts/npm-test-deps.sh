#!/bin/sh
# Install the test-only npm packages pinned by tests/package.json and tests/package-lock.json
# into BUILD_DIR/npm (never into the source tree): `npm ci`, from npm's cache when it can.
# A no-op when BUILD_DIR/npm/node_modules was installed from the same two files.
# usage: npm-test-deps.sh BUILD_DIR
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: npm-test-deps.sh BUILD_DIR" >&2
	exit 2
fi
src=$(cd "$(dirname "$0")/.." && pwd)/tests
dir=$1/npm
stamp=$dir/node_modules/.chimera-lock-hash

for f in package.json package-lock.json; do
	if [ ! -f "$src/$f" ]; then
		echo "npm-test-deps: $src/$f is missing" >&2
		exit 1
	fi
done
if ! command -v npm >/dev/null 2>&1; then
	echo "npm-test-deps: npm is not installed (Node.js 18 or later with npm is needed for the API tests)" >&2
	exit 1
fi

want=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
mkdir -p "$dir"

# One install at a time in a build tree (ctest -j may start two tests that need it).
exec 9>"$dir/.lock"
command -v flock >/dev/null 2>&1 && flock 9

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$dir/"
rm -f "$stamp"
# puppeteer-core drives Debian's chromium (scripts/deps.sh): nothing may fetch a browser.
if ! out=$(cd "$dir" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefer-offline --no-audit --no-fund --loglevel=error 2>&1); then
	printf '%s\n' "$out" >&2
	echo "npm-test-deps: npm ci failed in $dir" >&2
	exit 1
fi
printf '%s\n' "$want" >"$stamp"
