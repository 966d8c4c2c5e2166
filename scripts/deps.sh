#!/bin/sh
# Install the Debian packages that the build, the tests and the demo need; a no-op when present.
# usage: deps.sh [fuzz]   (fuzz: also clang and its libFuzzer runtime, for make fuzz)
set -eu

PKGS="cmake make gcc libc6-dev pkg-config git
libssl-dev libsqlite3-dev libssh-dev libjansson-dev libcmocka-dev libcurl4-openssl-dev libyaml-dev
openssh-server openssh-client nix-bin sqlite3 jq util-linux procps pdsh time python3 curl
tmux age sudo libmicrohttpd-dev libncurses-dev prometheus wrk chromium
qemu-system-x86 qemu-utils linux-image-amd64 busybox-static cpio e2fsprogs kmod"
[ "${1:-}" = fuzz ] && PKGS="$PKGS clang libclang-rt-14-dev"
# The API's tests run an OpenAPI validator from the npm registry (tests/package.json), and the
# dashboard's drive chromium (above) with puppeteer-core from there: Debian's
# node and npm, unless this machine has an npm of its own already.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	"install ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing; run as root or install them with apt-get" >&2
	exit 1
fi

echo "deps: installing$missing" >&2
# Keep package scripts from starting services (openssh-server would listen on every address).
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	guard=1
fi
trap '[ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
