/* The node-side script that gathers facts (facts_parse in core/facts reads its output). */
#ifndef CHIMERA_REMOTE_FACTS_H
#define CHIMERA_REMOTE_FACTS_H

#include "util/buf.h"

/*
 * Append to CMD the POSIX sh script that prints PROFILE's node's facts in the format
 * facts_parse reads. PROFILE must pass profile_path_check (it is quoted all the same).
 */
int facts_script(struct buf *cmd, const char *profile);

#endif
