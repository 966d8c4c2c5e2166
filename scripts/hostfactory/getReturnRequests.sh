#!/bin/sh
# HostFactory's getReturnRequests: getReturnRequests.sh -f FILE (see invoke.sh for the environment it honours).
exec "$(dirname "$0")/invoke.sh" getReturnRequests "$@"
