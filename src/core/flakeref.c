/* Flake references: parse and print the forms chimera deploys from. */
#include "core/flakeref.h"

#include <stdio.h>
#include <string.h>

#include "core/target.h"
#include "util/err.h"
#include "util/text.h"
#include "util/banned.h"

#define QUOTE_MAX 128

/* Query parameters a kind takes. */
#define Q_DIR 1u
#define Q_REF 2u
#define Q_REV 4u

#define HAS_PREFIX(s, len, lit) \
	((len) >= sizeof(lit) - 1 && memcmp((s), (lit), sizeof(lit) - 1) == 0)

static const char flakeref_form[] =
    "expected github:owner/repo, path:/dir, git+https://host/path, "
    "git+ssh://[user@]host/path, https://host/file.tar.gz or a registry id like nixpkgs, "
    "optionally followed by #attr.path";

/* Everything before '#' is made of these; no '%', '~', whitespace or shell syntax. */
static int is_url_char(int c)
{
	return text_is_alnum(c) || (c != '\0' && strchr("._-+/:@?=&[]", c) != NULL);
}

static void copy(char *dst, const char *s, size_t n)
{
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Registry id: a letter, then [A-Za-z0-9_-]. */
static int id_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > FLAKEREF_NAME_MAX || !text_is_alpha((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++) {
		if (!text_is_alnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	}
	return 1;
}

/* GitHub owner or repo: [A-Za-z0-9._-], not "." or "..", not starting with '-'. */
static int name_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > FLAKEREF_NAME_MAX || s[0] == '-')
		return 0;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (i = 0; i < n; i++) {
		if (!text_is_alnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return 0;
	}
	return 1;
}

/* Branch or tag: [A-Za-z0-9._/-], no "..", "//", odd first or last character. */
static int ref_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > FLAKEREF_REF_MAX)
		return 0;
	if (s[0] == '-' || s[0] == '.' || s[0] == '/' || s[n - 1] == '/' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (!text_is_alnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' &&
		    s[i] != '-' && s[i] != '/')
			return 0;
		if (i > 0 && (s[i] == '.' || s[i] == '/') && s[i - 1] == s[i])
			return 0;
	}
	return 1;
}

static int rev_valid(const char *s, size_t n)
{
	size_t i;

	if (n != FLAKEREF_REV_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		if (!text_is_digit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return 0;
	}
	return 1;
}

/*
 * A path of names of [A-Za-z0-9._+-] other than "." and "..", separated by single '/'.
 * ABSOLUTE: it starts with '/', and ROOT allows "/" alone; else it must not.
 */
static int path_valid(const char *s, size_t n, int absolute, int root)
{
	size_t i, start;

	if (n == 0 || n > FLAKEREF_PATH_MAX || (s[0] == '/') != absolute)
		return 0;
	if (absolute && n == 1)
		return root;
	start = absolute ? 1 : 0;
	for (i = start; i <= n; i++) {
		if (i < n && s[i] != '/') {
			if (!text_is_alnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' &&
			    s[i] != '+' && s[i] != '-')
				return 0;
			continue;
		}
		if (i == start)
			return 0;
		if (s[start] == '.' && (i - start == 1 || (i - start == 2 && s[start + 1] == '.')))
			return 0;
		start = i + 1;
	}
	return 1;
}

static const char *parse_query(struct flakeref *f, const char *q, size_t n, unsigned allowed)
{
	const char *p, *eq, *v;
	size_t i, plen, vlen;

	if (n == 0)
		return "empty query after '?'";
	for (i = 0; i <= n; i += plen + 1) {
		const char *amp = memchr(q + i, '&', n - i);

		p = q + i;
		plen = amp ? (size_t)(amp - p) : n - i;
		if (plen == 0)
			return "empty query parameter";
		if ((eq = memchr(p, '=', plen)) == NULL)
			return "query parameter without '='";
		v = eq + 1;
		vlen = plen - (size_t)(v - p);
		if (eq - p == 3 && memcmp(p, "dir", 3) == 0 && (allowed & Q_DIR)) {
			if (f->dir[0] != '\0')
				return "repeated query parameter 'dir'";
			if (!path_valid(v, vlen, 0, 0))
				return "bad dir, a relative path without '.' or '..' allowed";
			copy(f->dir, v, vlen);
		} else if (eq - p == 3 && memcmp(p, "ref", 3) == 0 && (allowed & Q_REF)) {
			if (f->ref[0] != '\0')
				return "repeated query parameter 'ref'";
			if (!ref_valid(v, vlen))
				return "bad ref, [A-Za-z0-9._/-] without '..' allowed";
			copy(f->ref, v, vlen);
		} else if (eq - p == 3 && memcmp(p, "rev", 3) == 0 && (allowed & Q_REV)) {
			if (f->rev[0] != '\0')
				return "repeated query parameter 'rev'";
			if (!rev_valid(v, vlen))
				return "bad rev, 40 lowercase hex digits allowed";
			copy(f->rev, v, vlen);
		} else {
			return "unknown query parameter";
		}
	}
	return NULL;
}

/* ID[/REF] */
static const char *parse_indirect(struct flakeref *f, const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	size_t idlen = slash ? (size_t)(slash - s) : n;

	f->kind = FLAKEREF_INDIRECT;
	if (!id_valid(s, idlen))
		return "bad registry id, a letter then [A-Za-z0-9_-] allowed";
	copy(f->id, s, idlen);
	if (slash != NULL) {
		if (!ref_valid(slash + 1, n - idlen - 1))
			return "bad ref, [A-Za-z0-9._/-] without '..' allowed";
		copy(f->ref, slash + 1, n - idlen - 1);
	}
	return NULL;
}

/* OWNER/REPO[/REF] */
static const char *parse_github(struct flakeref *f, const char *s, size_t n)
{
	const char *end = s + n, *s1, *s2;
	size_t olen, rlen;

	f->kind = FLAKEREF_GITHUB;
	if ((s1 = memchr(s, '/', n)) == NULL)
		return "expected github:owner/repo";
	s2 = memchr(s1 + 1, '/', (size_t)(end - s1 - 1));
	olen = (size_t)(s1 - s);
	rlen = (size_t)((s2 ? s2 : end) - s1 - 1);
	if (!name_valid(s, olen) || !name_valid(s1 + 1, rlen))
		return "bad owner or repo, [A-Za-z0-9._-] allowed";
	copy(f->owner, s, olen);
	copy(f->repo, s1 + 1, rlen);
	if (s2 != NULL) {
		if (!ref_valid(s2 + 1, (size_t)(end - s2 - 1)))
			return "bad ref, [A-Za-z0-9._/-] without '..' allowed";
		copy(f->ref, s2 + 1, (size_t)(end - s2 - 1));
	}
	return NULL;
}

/* [USER@]HOST[:PORT], checked by the target parser; USER only when ALLOW_USER. */
static const char *parse_authority(struct flakeref *f, const char *s, size_t n,
    int allow_user)
{
	struct target t;
	const char *at = memchr(s, '@', n), *h, *rb;
	int port_given;

	if (n == 0)
		return "missing host";
	if (at != NULL && !allow_user)
		return "user names are not allowed in https urls";
	if (target_parse(&t, s, n) != 0)
		return allow_user ? "bad host, [user@]host[:port] allowed" :
		    "bad host, host[:port] allowed";
	h = at ? at + 1 : s;
	if (*h == '[') {
		rb = memchr(h, ']', (size_t)(s + n - h));
		port_given = rb != NULL && rb + 1 < s + n;
	} else {
		port_given = memchr(h, ':', (size_t)(s + n - h)) != NULL;
	}
	if (at != NULL)
		snprintf(f->user, sizeof(f->user), "%s", t.user);
	snprintf(f->host, sizeof(f->host), "%s", t.host);
	f->port = port_given ? t.port : 0;
	return NULL;
}

/* HOST/PATH after "git+https://", "git+ssh://" or "https://". */
static const char *parse_url(struct flakeref *f, const char *s, size_t n, int allow_user)
{
	const char *slash = memchr(s, '/', n), *why;
	size_t alen;

	if (slash == NULL)
		return "missing path after the host";
	alen = (size_t)(slash - s);
	if ((why = parse_authority(f, s, alen, allow_user)) != NULL)
		return why;
	if (!path_valid(slash, n - alen, 1, 0))
		return "bad url path, names of [A-Za-z0-9._+-] other than '.' and '..' allowed";
	copy(f->path, slash, n - alen);
	return NULL;
}

static const char *parse_tarball(struct flakeref *f, const char *s, size_t n)
{
	static const char *const suffix[] = { ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".zip" };
	const char *why, *base;
	size_t i, blen, slen;

	f->kind = FLAKEREF_TARBALL;
	if ((why = parse_url(f, s, n, 0)) != NULL)
		return why;
	base = strrchr(f->path, '/') + 1;
	blen = strlen(base);
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		slen = strlen(suffix[i]);
		if (blen > slen && strcmp(base + blen - slen, suffix[i]) == 0)
			return NULL;
	}
	return "https urls must name a .tar.gz, .tgz, .tar.xz, .tar.bz2 or .zip file";
}

int flakeref_parse(struct flakeref *out, const char *s, size_t len)
{
	char q[QUOTE_MAX], inner[512];
	const char *hash, *qmark, *why = flakeref_form;
	size_t i, blen, plen;
	unsigned allowed = 0;
	int r = ERR_INVALID;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		goto out;
	if (len > FLAKEREF_TEXT_MAX) {
		why = "longer than 2048 bytes";
		goto out;
	}
	hash = memchr(s, '#', len);
	blen = hash ? (size_t)(hash - s) : len;
	for (i = 0; i < blen; i++) {
		if (!is_url_char((unsigned char)s[i])) {
			why = "character outside [A-Za-z0-9._+/:@?=&[]-] before '#'";
			goto out;
		}
	}
	qmark = memchr(s, '?', blen);
	plen = qmark ? (size_t)(qmark - s) : blen;

	if (HAS_PREFIX(s, plen, "github:")) {
		why = parse_github(out, s + 7, plen - 7);
		allowed = Q_DIR;
	} else if (HAS_PREFIX(s, plen, "path:")) {
		out->kind = FLAKEREF_PATH;
		why = NULL;
		if (!path_valid(s + 5, plen - 5, 1, 1))
			why = "bad path, an absolute path of names of [A-Za-z0-9._+-] "
			    "other than '.' and '..' allowed";
		else
			copy(out->path, s + 5, plen - 5);
	} else if (HAS_PREFIX(s, plen, "git+https://")) {
		out->kind = FLAKEREF_GIT_HTTPS;
		why = parse_url(out, s + 12, plen - 12, 0);
		allowed = Q_DIR | Q_REF | Q_REV;
	} else if (HAS_PREFIX(s, plen, "git+ssh://")) {
		out->kind = FLAKEREF_GIT_SSH;
		why = parse_url(out, s + 10, plen - 10, 1);
		allowed = Q_DIR | Q_REF | Q_REV;
	} else if (HAS_PREFIX(s, plen, "https://")) {
		why = parse_tarball(out, s + 8, plen - 8);
	} else if (HAS_PREFIX(s, plen, "http://") || HAS_PREFIX(s, plen, "git+http://")) {
		why = "plain http is not allowed, use https";
	} else if (HAS_PREFIX(s, plen, "flake:")) {
		why = parse_indirect(out, s + 6, plen - 6);
	} else if (memchr(s, ':', plen) != NULL) {
		why = "unknown scheme";
	} else if (plen > 0 && (s[0] == '/' || s[0] == '.')) {
		why = "relative and bare paths are not accepted, use path:/absolute/dir";
	} else {
		why = parse_indirect(out, s, plen);
	}
	if (why != NULL)
		goto out;
	if (qmark != NULL) {
		why = allowed ? parse_query(out, qmark + 1, blen - plen - 1, allowed) :
		    "query parameters are not allowed here";
		if (why != NULL)
			goto out;
	}
	if (hash != NULL) {
		if (attrpath_parse(&out->attr, hash + 1, len - blen - 1) != 0) {
			snprintf(inner, sizeof(inner), "%s", err_msg());
			why = inner;
			goto out;
		}
		out->has_attr = true;
	}
	/*
	 * The canonical form can be longer than the input (an IPv6 host written out in full,
	 * "flake:" before a registry id); refuse what could not be read back once written.
	 */
	{
		char canon[FLAKEREF_FORMAT_MAX + 64];

		if (flakeref_format(out, canon, sizeof(canon)) != 0 || strlen(canon) > FLAKEREF_TEXT_MAX) {
			why = "longer than 2048 bytes once written in canonical form";
			goto out;
		}
	}
	r = 0;
out:
	if (r != 0) {
		memset(out, 0, sizeof(*out));
		err_quote(q, sizeof(q), s, len);
		err_set(ERR_INVALID, "bad flake reference '%s': %s", q, why);
	}
	return r;
}

/* Appends to a fixed buffer and remembers whether anything was cut. */
struct writer {
	char *buf;
	size_t len;
	size_t pos;
	int over;
};

static void put(struct writer *w, const char *s)
{
	size_t n = strlen(s);

	if (w->over || w->pos + n >= w->len) {
		w->over = 1;
		return;
	}
	memcpy(w->buf + w->pos, s, n + 1);
	w->pos += n;
}

static void put_authority(struct writer *w, const struct flakeref *f)
{
	char port[8];

	if (f->user[0] != '\0') {
		put(w, f->user);
		put(w, "@");
	}
	if (strchr(f->host, ':') != NULL) {
		put(w, "[");
		put(w, f->host);
		put(w, "]");
	} else {
		put(w, f->host);
	}
	if (f->port != 0) {
		snprintf(port, sizeof(port), ":%u", (unsigned)f->port);
		put(w, port);
	}
}

static void put_param(struct writer *w, const char **sep, const char *key, const char *val)
{
	if (val[0] == '\0')
		return;
	put(w, *sep);
	put(w, key);
	put(w, val);
	*sep = "&";
}

int flakeref_format(const struct flakeref *f, char *buf, size_t buflen)
{
	struct writer w = { buf, buflen, 0, 0 };
	char attr[ATTRPATH_FORMAT_MAX];
	const char *sep = "?";

	if (buflen > 0)
		buf[0] = '\0';
	switch (f->kind) {
	case FLAKEREF_INDIRECT:
		put(&w, "flake:");
		put(&w, f->id);
		if (f->ref[0] != '\0') {
			put(&w, "/");
			put(&w, f->ref);
		}
		break;
	case FLAKEREF_GITHUB:
		put(&w, "github:");
		put(&w, f->owner);
		put(&w, "/");
		put(&w, f->repo);
		if (f->ref[0] != '\0') {
			put(&w, "/");
			put(&w, f->ref);
		}
		put_param(&w, &sep, "dir=", f->dir);
		break;
	case FLAKEREF_PATH:
		put(&w, "path:");
		put(&w, f->path);
		break;
	case FLAKEREF_GIT_HTTPS:
	case FLAKEREF_GIT_SSH:
		put(&w, f->kind == FLAKEREF_GIT_SSH ? "git+ssh://" : "git+https://");
		put_authority(&w, f);
		put(&w, f->path);
		put_param(&w, &sep, "dir=", f->dir);
		put_param(&w, &sep, "ref=", f->ref);
		put_param(&w, &sep, "rev=", f->rev);
		break;
	case FLAKEREF_TARBALL:
		put(&w, "https://");
		put_authority(&w, f);
		put(&w, f->path);
		break;
	}
	if (f->has_attr) {
		if (attrpath_format(&f->attr, attr, sizeof(attr)) != 0)
			w.over = 1;
		put(&w, "#");
		put(&w, attr);
	}
	if (w.over) {
		if (buflen > 0)
			buf[0] = '\0';
		return err_set(ERR_LIMIT, "flake reference does not fit in %zu bytes", buflen);
	}
	return 0;
}

const char *flakeref_kind_name(enum flakeref_kind kind)
{
	static const char *const names[] = {
		[FLAKEREF_INDIRECT] = "indirect",
		[FLAKEREF_GITHUB] = "github",
		[FLAKEREF_PATH] = "path",
		[FLAKEREF_GIT_HTTPS] = "git+https",
		[FLAKEREF_GIT_SSH] = "git+ssh",
		[FLAKEREF_TARBALL] = "tarball",
	};

	if ((unsigned)kind >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[kind];
}
