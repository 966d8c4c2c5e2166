#!/bin/sh
# HostFactory's requestReturnMachines: requestReturnMachines.sh -f FILE (see invoke.sh for the environment it honours).
exec "$(dirname "$0")/invoke.sh" requestReturnMachines "$@"
