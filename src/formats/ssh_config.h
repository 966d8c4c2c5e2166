/*
 * OpenSSH client configuration (ssh_config(5)): files parsed once, checked line by line,
 * then one host's effective settings resolved the way ssh does it: the first value
 * obtained wins, Host patterns (* ? !negation) match the name as given, Match host / user /
 * originalhost / localuser / tagged / all / canonical / final, Include inlined. No I/O here:
 * Include reaches the caller's callback, which reads the files and adds them.
 */
#ifndef CHIMERA_FORMATS_SSH_CONFIG_H
#define CHIMERA_FORMATS_SSH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/target.h"

#define SSHCFG_PATH_MAX 512		/* longest path after expansion, with its NUL */
#define SSHCFG_IDENTITIES_MAX 16	/* IdentityFile lines that apply to one host */
#define SSHCFG_KNOWN_HOSTS_MAX 4	/* files on one UserKnownHostsFile / GlobalKnownHostsFile line */
#define SSHCFG_JUMPS_MAX 8		/* hosts on one ProxyJump line */
#define SSHCFG_ALGOS_MAX 1024		/* a KexAlgorithms, Ciphers, MACs, ... list */
#define SSHCFG_INCLUDE_DEPTH 16		/* nested Include, as OpenSSH */
#define SSHCFG_LINES_MAX 100000		/* lines of all files together */

enum sshcfg_strict {
	SSHCFG_STRICT_ASK,		/* the default: chimera cannot ask, so it refuses an unknown key (as yes) */
	SSHCFG_STRICT_YES,
	SSHCFG_STRICT_ACCEPT_NEW,
	SSHCFG_STRICT_NO,		/* taken as accept-new: chimera never connects to a changed key */
};

/* Where a value came from: "FILE" and its 1-based line; file NULL when not from a file. */
struct sshcfg_origin {
	const char *file;		/* owned by the struct sshcfg it came from */
	unsigned line;
};

/* Parsed files, in the order they were added. Opaque: see ssh_config_internal.h. */
struct sshcfg;

/*
 * Called for each Include line, with one of its (unexpanded) arguments: read the files it
 * names (a relative PATTERN is under ~/.ssh, or /etc/ssh when SYSTEM) and add each with
 * sshcfg_add_include. Returns 0 or an error with a message.
 */
typedef int (*sshcfg_include_fn)(struct sshcfg *c, const char *pattern, bool system, void *arg);

/* An empty configuration; NULL when out of memory. Freed with sshcfg_free. */
struct sshcfg *sshcfg_new(void);
void sshcfg_free(struct sshcfg *c);

/*
 * Parse LEN bytes of TEXT, named FILE in messages, as one top-level file (a user's config,
 * or the system's when SYSTEM), checking every line: an unknown keyword (not in an
 * IgnoreUnknown), a bad value, a missing argument. INCLUDE may be NULL (Include is then an
 * error). Returns 0, or ERR_INVALID "FILE:LINE: what is wrong; expected ...", ERR_LIMIT or
 * ERR_NOMEM; after a failure C is only good for sshcfg_free.
 */
int sshcfg_add(struct sshcfg *c, const char *file, const char *text, size_t len, bool system,
	       sshcfg_include_fn include, void *arg);

/* Add a file named by an Include, from inside the include callback. Same returns. */
int sshcfg_add_include(struct sshcfg *c, const char *file, const char *text, size_t len);

/* Lines held (for tests and limits). */
size_t sshcfg_lines(const struct sshcfg *c);

/* Who asks, about which host. */
struct sshcfg_query {
	const char *host;		/* the name as given (lowercase), what Host patterns match */
	const char *user;		/* written with the target: beats User; NULL when not */
	unsigned port;			/* written with the target: beats Port; 0 when not */
	const char *default_user;	/* when neither names one ("root") */
	const char *local_user;		/* %u, Match localuser */
	const char *home;		/* ~ and %d */
	const char *local_host;		/* %l; %L is it up to the first dot */
	unsigned long uid;		/* %i */
	/* ${NAME} in paths; may be NULL (then ${...} is an error). */
	const char *(*getenv)(const char *name, void *arg);
	void *env_arg;
};

/* One host's effective settings. */
struct sshcfg_host {
	char name[TARGET_HOST_MAX + 1];		/* as asked */
	char hostname[TARGET_HOST_MAX + 1];	/* HostName with %h applied, else NAME */
	char user[TARGET_USER_MAX + 1];
	uint16_t port;
	struct sshcfg_origin hostname_at, user_at, port_at;	/* file NULL: not from the config */

	char identity[SSHCFG_IDENTITIES_MAX][SSHCFG_PATH_MAX];	/* expanded; the defaults when none is set */
	size_t nidentity;
	bool identity_default;			/* IDENTITY is OpenSSH's default list */
	bool identities_only;
	char agent[SSHCFG_PATH_MAX];		/* IdentityAgent expanded; "" unset (SSH_AUTH_SOCK), "none" */
	struct sshcfg_origin agent_at;

	struct target jump[SSHCFG_JUMPS_MAX];	/* ProxyJump, in order; given flags say what was written */
	size_t njump;
	struct sshcfg_origin proxy_at;		/* ProxyJump or ProxyCommand (first one wins) */
	bool proxy_command;			/* a ProxyCommand other than none: chimera does not run one */

	long connect_timeout;			/* seconds; 0 unset */
	struct sshcfg_origin connect_timeout_at;
	long alive_interval;			/* ServerAliveInterval seconds; 0 off */
	long alive_count_max;			/* ServerAliveCountMax; 3 */
	enum sshcfg_strict strict;
	struct sshcfg_origin strict_at;
	char known_hosts[SSHCFG_KNOWN_HOSTS_MAX][SSHCFG_PATH_MAX];	/* UserKnownHostsFile, expanded */
	size_t nknown_hosts;
	char global_known_hosts[SSHCFG_KNOWN_HOSTS_MAX][SSHCFG_PATH_MAX];
	size_t nglobal_known_hosts;

	/* Passed to libssh as written; "" unset. */
	char kex[SSHCFG_ALGOS_MAX], ciphers[SSHCFG_ALGOS_MAX], macs[SSHCFG_ALGOS_MAX];
	char hostkeys[SSHCFG_ALGOS_MAX], pubkey_algos[SSHCFG_ALGOS_MAX];
	struct sshcfg_origin kex_at, ciphers_at, macs_at, hostkeys_at, pubkey_algos_at;
	char bind_address[SSHCFG_ALGOS_MAX];
	struct sshcfg_origin bind_address_at;
	int compression;			/* -1 unset, 0 no, 1 yes */
	char tag[SSHCFG_ALGOS_MAX];
};

/*
 * Resolve Q against the configurations CFGS[0..N-1], read in that order as one (a NULL
 * entry is skipped), into OUT. Returns 0, or ERR_INVALID naming FILE:LINE for a Match this
 * resolver cannot evaluate (exec, localnetwork), a token it does not know or a path too long.
 */
int sshcfg_resolve(const struct sshcfg *const *cfgs, size_t n, const struct sshcfg_query *q, struct sshcfg_host *out);

/* "FILE:LINE" of O into BUF ("" when O names no file). Returns BUF. */
const char *sshcfg_origin_format(const struct sshcfg_origin *o, char *buf, size_t len);

#endif
