#!/bin/sh
# Runs one HostFactory operation with chimera: invoke.sh OPERATION -f FILE.
# The five <operation>.sh scripts beside this one are what Symphony's HostFactory calls.
#   HF_PROVIDER_CONFDIR  chimeraprov_templates.json and chimeraprov_config.json (required)
#   HF_PROVIDER_WORKDIR  chimera's state dir when neither CHIMERA_STATE_DIR nor the config's
#                        stateDir says otherwise
#   HF_PROVIDER_LOGDIR   where stderr (chimera's logs) goes: chimera-hostfactory.log there
#   CHIMERA_BIN          the chimera binary; else one beside these scripts, in ../../build,
#                        or on PATH
# Only the reply is written on stdout.
op=$1
shift
here=$(cd "$(dirname "$0")" && pwd)

if [ -n "${HF_PROVIDER_LOGDIR:-}" ]; then
	mkdir -p "$HF_PROVIDER_LOGDIR" && exec 2>>"$HF_PROVIDER_LOGDIR/chimera-hostfactory.log"
fi
if [ -z "${CHIMERA_STATE_DIR:-}" ] && [ -n "${HF_PROVIDER_WORKDIR:-}" ]; then
	CHIMERA_STATE_DIR=$HF_PROVIDER_WORKDIR
	export CHIMERA_STATE_DIR
fi

bin=${CHIMERA_BIN:-}
if [ -z "$bin" ]; then
	for c in "$here/chimera" "$here/../../build/chimera"; do
		if [ -x "$c" ]; then bin=$c; break; fi
	done
fi
if [ -z "$bin" ]; then
	bin=$(command -v chimera 2>/dev/null) || bin=
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	echo "chimera hostfactory $op: no chimera binary: set CHIMERA_BIN" >&2
	printf '{"message": "no chimera binary found: set CHIMERA_BIN"}\n'
	exit 1
fi
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $op $*" >&2
exec "$bin" hostfactory "$op" "$@"
