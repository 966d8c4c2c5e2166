#!/bin/sh
# HostFactory's getRequestStatus: getRequestStatus.sh -f FILE (see invoke.sh for the environment it honours).
exec "$(dirname "$0")/invoke.sh" getRequestStatus "$@"
