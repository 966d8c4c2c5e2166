/* What ssh_config_parse.c and ssh_config_resolve.c share: the parsed lines. */
#ifndef CHIMERA_FORMATS_SSH_CONFIG_INTERNAL_H
#define CHIMERA_FORMATS_SSH_CONFIG_INTERNAL_H

#include "formats/ssh_config.h"

/* The keywords resolution looks at; everything else that parses is dropped. */
enum sshcfg_kw {
	KW_FILE_BEGIN,		/* a file starts: NUM 1 for a top-level one, 0 for an Include */
	KW_FILE_END,
	KW_HOST,		/* ARGV: the patterns */
	KW_MATCH,		/* ARGV: criterion, [argument,] ... ("!host", "a,b", "all") */
	KW_HOSTNAME,
	KW_USER,
	KW_PORT,		/* NUM */
	KW_IDENTITY_FILE,
	KW_IDENTITIES_ONLY,	/* NUM 0/1 */
	KW_IDENTITY_AGENT,
	KW_PROXY_JUMP,		/* ARGV[0]: "none" or the list */
	KW_PROXY_COMMAND,	/* NUM 1 when it is "none" */
	KW_CONNECT_TIMEOUT,	/* NUM seconds */
	KW_ALIVE_INTERVAL,	/* NUM seconds */
	KW_ALIVE_COUNT,		/* NUM */
	KW_STRICT,		/* NUM enum sshcfg_strict */
	KW_USER_KNOWN_HOSTS,	/* ARGV: the files */
	KW_GLOBAL_KNOWN_HOSTS,
	KW_KEX,
	KW_CIPHERS,
	KW_MACS,
	KW_HOSTKEYS,
	KW_PUBKEY_ALGOS,
	KW_BIND_ADDRESS,
	KW_COMPRESSION,		/* NUM 0/1 */
	KW_TAG,
	KW_IGNORED,		/* known to OpenSSH, no effect on chimera: not stored */
};

struct sshcfg_line {
	enum sshcfg_kw kw;
	int argc;
	char **argv;		/* owned, each owned */
	long num;
	unsigned file;		/* index into files */
	unsigned line;
};

struct sshcfg {
	struct sshcfg_line *lines;
	size_t n, cap;
	char **files;		/* names, owned; origins point at them */
	size_t nfiles, files_cap;
	char *ignore;		/* IgnoreUnknown's pattern list, owned; NULL none */
	bool has_final;		/* a Match canonical or final: resolve twice */
	bool system;		/* the top-level file being added is the system's */
	int depth;		/* Include nesting while adding */
	sshcfg_include_fn include;
	void *include_arg;
};

/* True when S matches the wildcard pattern P (PLEN bytes): '*' any run, '?' one byte. */
bool sshcfg_wild(const char *s, const char *p, size_t plen, bool fold);

/* A comma-separated list with !negations: 1 matched, 0 not, -1 a negation matched. */
int sshcfg_wild_list(const char *s, const char *list, bool fold);

/* Parse a ProxyJump element (LEN bytes at S, "ssh://" allowed) into T. Returns 0 or ERR_INVALID. */
int sshcfg_jump_parse(const char *s, size_t len, struct target *t);

#endif
