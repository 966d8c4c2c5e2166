/* Facts about a node: the line format the facts script prints, and its pure parser. */
#ifndef CHIMERA_CORE_FACTS_H
#define CHIMERA_CORE_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FACTS_FORMAT 1		/* the version the script announces on its first line */
#define FACTS_TEXT_MAX 256	/* hostname, os, kernel, arch, nix version */
#define FACTS_PATH_MAX 4096	/* profile, its link and its target */
#define FACTS_DISKS_MAX 8
#define FACTS_SESSIONS_MAX 1024

/* One file system as `df -P -k` sees it, in bytes. */
struct facts_disk {
	char path[FACTS_TEXT_MAX];	/* the directory asked about: "/", "/nix" */
	int64_t size;
	int64_t used;
	int64_t avail;
};

/*
 * What the facts script found on one node. Text fields are "" and numbers -1 when the
 * node did not say (a file missing there); generation is 0 when the profile is not a
 * generation link.
 */
struct facts {
	char hostname[FACTS_TEXT_MAX];
	char os_id[FACTS_TEXT_MAX];	/* os-release ID, unquoted */
	char os_version[FACTS_TEXT_MAX];	/* os-release VERSION_ID, unquoted */
	char kernel[FACTS_TEXT_MAX];	/* uname -r */
	char arch[FACTS_TEXT_MAX];	/* uname -m */
	int64_t cpus;
	int64_t mem_total;		/* bytes */
	int64_t mem_available;		/* bytes */
	int64_t uptime;			/* whole seconds */
	bool has_load;
	double load[3];			/* 1, 5 and 15 minutes */
	struct facts_disk disks[FACTS_DISKS_MAX];
	size_t ndisks;
	char nix_version[FACTS_TEXT_MAX];	/* "" when Nix is missing */
	char profile[FACTS_PATH_MAX];	/* the profile looked at */
	char profile_link[FACTS_PATH_MAX];	/* what its symlink holds; "" when there is no profile */
	char profile_target[FACTS_PATH_MAX];	/* the profile fully resolved; "" when none */
	uint32_t generation;		/* from profile_link ("system-7-link": 7); 0 when none */
	char **sessions;		/* chimera's tmux sessions; owned */
	size_t nsessions;
};

void facts_init(struct facts *f);

/* Free what F owns and make it empty again. */
void facts_release(struct facts *f);

/*
 * Parse LEN bytes of TEXT, the output of the facts script, into F (released and
 * initialised first). One "key=value" line each, split at the first '=':
 *   chimera-facts=1           first line: the format version
 *   hostname=H  kernel=K  arch=A
 *   os_id=ID  os_version=V    as /etc/os-release has them (quotes removed here)
 *   cpus=N                    a positive integer
 *   mem_total=N kB  mem_available=N kB   as /proc/meminfo has them
 *   uptime=S.SS               the first field of /proc/uptime
 *   load=A B C                the first three fields of /proc/loadavg
 *   disk=PATH SIZE USED AVAIL in KiB, once per path (at most FACTS_DISKS_MAX)
 *   nix=TEXT                  `nix-store --version` ("nix-store (Nix) 2.8.0"); empty: no Nix
 *   profile=P  profile_link=L  profile_target=T   L and T absent or empty: no profile
 *   session=NAME              one per tmux session (at most FACTS_SESSIONS_MAX)
 *   end=1                     last line: the output is whole
 * A trailing '\r' is dropped; empty lines and unknown keys are skipped (later formats may
 * add keys). Returns 0, ERR_NOMEM, or ERR_INVALID / ERR_LIMIT with a message naming the
 * bad line by number and quoting it; on failure F is left empty.
 */
int facts_parse(const char *text, size_t len, struct facts *f);

#endif
