#!/bin/sh
# HostFactory's getAvailableTemplates: getAvailableTemplates.sh -f FILE (see invoke.sh for the environment it honours).
exec "$(dirname "$0")/invoke.sh" getAvailableTemplates "$@"
