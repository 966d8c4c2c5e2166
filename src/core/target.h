/* Target: where a node is reached, [user@]host[:port]; and lists of them. */
#ifndef CHIMERA_CORE_TARGET_H
#define CHIMERA_CORE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TARGET_USER_MAX 32	/* longest user name */
#define TARGET_HOST_MAX 253	/* longest host name (RFC 1123) */
#define TARGET_TEXT_MAX 512	/* longest accepted input */
#define TARGET_FORMAT_MAX (TARGET_USER_MAX + TARGET_HOST_MAX + 16)
#define TARGET_DEFAULT_USER "root"
#define TARGET_DEFAULT_PORT 22
#define TARGET_LIST_MAX 100000	/* most targets in one list */

enum target_host_kind { TARGET_HOST_NAME, TARGET_HOST_IPV4, TARGET_HOST_IPV6 };

struct target {
	char user[TARGET_USER_MAX + 1];
	char host[TARGET_HOST_MAX + 1];	/* names lowercased; IPv6 without brackets */
	uint16_t port;
	enum target_host_kind kind;
};

/*
 * Parse LEN bytes of S as [user@]host[:port] into OUT (cleared first). User defaults to
 * "root", port to 22; IPv6 literals must be bracketed ("root@[::1]:2222"). Rejects
 * embedded NUL, whitespace, non-ASCII and anything a shell would interpret.
 * Returns 0, or ERR_INVALID with a message quoting S and the expected form.
 */
int target_parse(struct target *out, const char *s, size_t len);

/* Write the canonical form "user@host:port" ("user@[v6]:port") into BUF. Returns 0 or ERR_LIMIT. */
int target_format(const struct target *t, char *buf, size_t buflen);

/* True when A and B name the same user, host and port. */
bool target_equal(const struct target *a, const struct target *b);

struct target_list {
	struct target *items;	/* owned; NULL when empty */
	size_t n;
	size_t cap;
	size_t *slot;		/* owned dedupe index: 0 empty, else 1 + position in items */
	size_t nslot;		/* a power of two, at least twice n */
};

void target_list_init(struct target_list *l);
void target_list_release(struct target_list *l);

/*
 * Append T unless an equal target is already there (constant time). Returns 0, ERR_NOMEM,
 * or ERR_LIMIT past TARGET_LIST_MAX targets.
 */
int target_list_add(struct target_list *l, const struct target *t);

/* True when L holds T (through the dedupe index: no scan). */
bool target_list_has(const struct target_list *l, const struct target *t);

/*
 * Resolves an "@NAME" element of a list (NAME is LEN bytes, without the '@'): appends
 * its targets to L with target_list_add. Returns 0 or an error with a message.
 */
typedef int (*target_group_fn)(const char *name, size_t len, struct target_list *l, void *arg);

/*
 * Parse a comma-separated list (LEN bytes of S) and append its targets to L, dropping
 * duplicates of what L already holds and keeping first-seen order. Elements starting with
 * '@' go to GROUP (with ARG); without GROUP they are bad targets. An empty element is an
 * error. On failure L may hold part of S; release it. Returns 0, ERR_INVALID (the message
 * names the bad element), ERR_LIMIT, ERR_NOMEM, or GROUP's error.
 */
int target_list_append(struct target_list *l, const char *s, size_t len, target_group_fn group, void *arg);

/*
 * Parse a comma-separated list into L (cleared first), as target_list_append without
 * groups. On failure L is left empty.
 */
int target_list_parse(struct target_list *l, const char *s, size_t len);

#endif
