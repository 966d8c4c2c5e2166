#!/bin/sh
# HostFactory's requestMachines: requestMachines.sh -f FILE (see invoke.sh for the environment it honours).
exec "$(dirname "$0")/invoke.sh" requestMachines "$@"
