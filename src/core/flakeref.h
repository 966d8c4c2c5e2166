/* Flake references: where a flake comes from (github, path, git, tarball, registry id). */
#ifndef CHIMERA_CORE_FLAKEREF_H
#define CHIMERA_CORE_FLAKEREF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/attrpath.h"

#define FLAKEREF_TEXT_MAX 2048		/* longest accepted text, fragment included */
#define FLAKEREF_FORMAT_MAX (FLAKEREF_TEXT_MAX + 16)	/* buffer for flakeref_format */
#define FLAKEREF_NAME_MAX 100		/* registry id, github owner or repo */
#define FLAKEREF_REF_MAX 255		/* branch or tag */
#define FLAKEREF_REV_LEN 40		/* commit hash, lowercase hex */
#define FLAKEREF_PATH_MAX 1024		/* path, url path or dir */
#define FLAKEREF_USER_MAX 32
#define FLAKEREF_HOST_MAX 253

/*
 * Accepted forms, each optionally followed by "#attr.path" (see attrpath.h):
 *   nixpkgs, nixpkgs/REF, flake:nixpkgs, flake:nixpkgs/REF      registry id
 *   github:OWNER/REPO[/REF-OR-REV][?dir=DIR]
 *   path:/ABSOLUTE/PATH
 *   git+https://HOST[:PORT]/PATH[?dir=..&ref=..&rev=..]
 *   git+ssh://[USER@]HOST[:PORT]/PATH[?dir=..&ref=..&rev=..]
 *   https://HOST[:PORT]/PATH ending in .tar.gz .tgz .tar.xz .tar.bz2 or .zip
 * Ids are [A-Za-z][A-Za-z0-9_-]*; owner and repo [A-Za-z0-9._-] not starting with '-';
 * refs [A-Za-z0-9._/-] without "..", "//", a leading '-', '.' or '/', or a trailing
 * '/' or '.'; revs 40 lowercase hex digits. Paths are absolute and made of names of
 * [A-Za-z0-9._+-] other than "." and ".."; DIR is the same but relative. Hosts follow
 * target.h (names lowercased, IPv6 in brackets). Percent-escapes, whitespace, plain
 * http and anything else a shell would expand are rejected. Relative paths (".") are
 * rejected too: resolve them and pass path:/ABSOLUTE.
 */
enum flakeref_kind {
	FLAKEREF_INDIRECT,	/* registry id: id, ref */
	FLAKEREF_GITHUB,	/* owner, repo, ref, dir */
	FLAKEREF_PATH,		/* path */
	FLAKEREF_GIT_HTTPS,	/* host, port, path, ref, rev, dir */
	FLAKEREF_GIT_SSH,	/* user, host, port, path, ref, rev, dir */
	FLAKEREF_TARBALL,	/* host, port, path (an https url) */
};

/* Fields a kind does not use are "" or 0. Holds no pointers; may be copied by value. */
struct flakeref {
	enum flakeref_kind kind;
	char id[FLAKEREF_NAME_MAX + 1];
	char owner[FLAKEREF_NAME_MAX + 1];
	char repo[FLAKEREF_NAME_MAX + 1];
	char user[FLAKEREF_USER_MAX + 1];	/* git+ssh only, "" when not given */
	char host[FLAKEREF_HOST_MAX + 1];	/* IPv6 without brackets */
	uint16_t port;				/* 0 when not given */
	char path[FLAKEREF_PATH_MAX + 1];	/* starts with '/' */
	char ref[FLAKEREF_REF_MAX + 1];
	char rev[FLAKEREF_REV_LEN + 1];
	char dir[FLAKEREF_PATH_MAX + 1];
	bool has_attr;				/* a "#..." fragment was given */
	struct attrpath attr;
};

/*
 * Parse LEN bytes of S into OUT (cleared first). Returns 0, or ERR_INVALID with a message
 * quoting S and saying what was expected; OUT is then left cleared.
 */
int flakeref_parse(struct flakeref *out, const char *s, size_t len);

/*
 * Write the canonical form of F into BUF: registry ids as "flake:ID[/REF]", query
 * parameters in the order dir, ref, rev, hosts lowercased, names quoted only where
 * needed. Parsing the result gives F back. FLAKEREF_FORMAT_MAX bytes suffice for any
 * parsed reference. Returns 0, or ERR_LIMIT with BUF set to "".
 */
int flakeref_format(const struct flakeref *f, char *buf, size_t buflen);

/* Name of KIND ("github", "path", ...), never NULL. */
const char *flakeref_kind_name(enum flakeref_kind kind);

#endif
