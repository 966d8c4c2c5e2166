/*
 * Target: where a node is reached and by which transport: [user@]host[:port] over ssh (the
 * default), "local" (the controller itself), or TRANSPORT:NAME for other transports
 * (e.g. qemu:vm1); and lists of them.
 */
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
#define TARGET_TRANSPORT_MAX 15	/* longest transport name */
#define TARGET_TRANSPORT_SSH "ssh"
#define TARGET_TRANSPORT_LOCAL "local"

enum target_host_kind { TARGET_HOST_NAME, TARGET_HOST_IPV4, TARGET_HOST_IPV6 };

struct target {
	char transport[TARGET_TRANSPORT_MAX + 1];	/* "ssh", "local", or TRANSPORT of TRANSPORT:NAME */
	char user[TARGET_USER_MAX + 1];
	char host[TARGET_HOST_MAX + 1];	/* names lowercased; IPv6 without brackets */
	uint16_t port;
	enum target_host_kind kind;
	/*
	 * TARGET_GIVEN_USER / TARGET_GIVEN_PORT: the user (port) was written out, not a
	 * default, so an ssh config's User (Port) does not replace it. Not part of equality.
	 */
	uint8_t given;
};

#define TARGET_GIVEN_USER 1u
#define TARGET_GIVEN_PORT 2u

/*
 * Parse LEN bytes of S as [user@]host[:port] into OUT (cleared first), transport "ssh". User
 * defaults to "root", port to 22 (OUT->given says which were written out); IPv6
 * literals must be bracketed ("root@[::1]:2222").
 * "local" is the transport "local" (host "local"); TRANSPORT:NAME, TRANSPORT of up to 15
 * lowercase letters and NAME a host name starting with a letter, is that transport with
 * host NAME (which transports exist is the executors' registry's business). Rejects
 * embedded NUL, whitespace, non-ASCII and anything a shell would interpret.
 * Returns 0, or ERR_INVALID with a message quoting S and the expected form.
 */
int target_parse(struct target *out, const char *s, size_t len);

/*
 * Write the canonical form into BUF: "user@host:port" ("user@[v6]:port") for ssh, "local",
 * or "TRANSPORT:NAME". Returns 0 or ERR_LIMIT.
 */
int target_format(const struct target *t, char *buf, size_t buflen);

/* True when A and B name the same transport, user, host and port. */
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
