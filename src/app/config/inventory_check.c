/* The checks inventory parsing shares: names, paths made absolute, typed TOML values, located messages. */
#include "app/config/inventory_internal.h"
#include "util/buf.h"
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

/* ---- names ---- */

bool inv_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* [A-Za-z0-9][A-Za-z0-9._-]*, at most MAX bytes (0: no limit). */
bool inv_word_valid(const char *s, size_t n, size_t max)
{
	size_t i;

	if (n == 0 || (max && n > max) || !inv_is_alnum(s[0]))
		return false;
	for (i = 1; i < n; i++) {
		if (!inv_is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

/* The same rule as target.c's user names, so a defaults user always makes a valid target. */
bool inv_user_valid(const char *u, size_t n)
{
	size_t i;

	if (n == 0 || n > TARGET_USER_MAX)
		return false;
	if (!((u[0] >= 'a' && u[0] <= 'z') || (u[0] >= 'A' && u[0] <= 'Z') || u[0] == '_'))
		return false;
	for (i = 1; i < n; i++) {
		if (!inv_is_alnum(u[i]) && u[i] != '.' && u[i] != '_' && u[i] != '-')
			return false;
	}
	return true;
}

/* ---- paths ---- */

/*
 * Make REL (LEN bytes) absolute against the directory of BASE (a file path; relative
 * ones against the working directory), resolving "." and ".." textually. *OUT is malloc'd.
 */
int inv_abs_join(const char *base, const char *rel, size_t len, char **out)
{
	struct buf in = BUF_INIT(0), res = BUF_INIT(0);
	char cwd[4096];
	const char *slash, *p, *end;
	int r = 0;

	*out = NULL;
	if (len == 0 || rel[0] != '/') {
		slash = strrchr(base, '/');
		if (slash == NULL || base[0] != '/') {
			if (getcwd(cwd, sizeof(cwd)) == NULL) {
				r = err_set_errno(ERR_IO, errno, "cannot resolve '%.*s': getcwd", (int)len, rel);
				goto done;
			}
			if ((r = buf_adds(&in, cwd)) < 0 || (r = buf_addc(&in, '/')) < 0)
				goto done;
		}
		if (slash != NULL && (r = buf_add(&in, base, (size_t)(slash - base) + 1)) < 0)
			goto done;
	}
	if ((r = buf_add(&in, rel, len)) < 0)
		goto done;

	p = in.data;
	end = in.data + in.len;
	while (p < end) {
		const char *e = memchr(p, '/', (size_t)(end - p));
		size_t n;

		if (e == NULL)
			e = end;
		n = (size_t)(e - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *last = res.len ? memrchr(res.data, '/', res.len) : NULL;

			res.len = last ? (size_t)(last - res.data) : 0;
			res.data[res.len] = '\0';
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			if ((r = buf_addc(&res, '/')) < 0 || (r = buf_add(&res, p, n)) < 0)
				goto done;
		}
		p = e + 1;
	}
	if (res.len == 0 && (r = buf_addc(&res, '/')) < 0)
		goto done;
	*out = buf_detach(&res, NULL);
	if (*out == NULL)
		r = ERR_NOMEM;
done:
	buf_release(&in);
	buf_release(&res);
	return r;
}

/* ERR_INVALID "PATH:LINE:COL: ..." at SP. */
int __attribute__((format(printf, 3, 4))) inv_bad(const struct pctx *c, struct toml_span sp, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(ERR_INVALID, "%s:%u:%u: %s", c->path, sp.line, sp.col, msg);
}

/* Where a key was written; its value's place when it has no key of its own. */
struct toml_span inv_key_pos(const struct toml_value *v)
{
	struct toml_span sp = toml_key_span(v);

	return sp.len ? sp : toml_value_span(v);
}

/* Another module's message (err_msg) as the tail of ours: copied first, err_set reuses its buffer. */
int inv_bad_from(const struct pctx *c, struct toml_span sp, const char *what)
{
	char sub[MSG_MAX];

	snprintf(sub, sizeof(sub), "%s", err_msg());
	return inv_bad(c, sp, "%s: %s", what, sub);
}

/* "a string", "an integer": for "found ..." */
const char *inv_a_type(const struct toml_value *v)
{
	switch (toml_type(v)) {
	case TOML_STRING:
		return "a string";
	case TOML_INTEGER:
		return "an integer";
	case TOML_FLOAT:
		return "a float";
	case TOML_BOOL:
		return "a boolean";
	case TOML_DATETIME:
		return "an offset date-time";
	case TOML_DATETIME_LOCAL:
		return "a local date-time";
	case TOML_DATE_LOCAL:
		return "a local date";
	case TOML_TIME_LOCAL:
		return "a local time";
	case TOML_ARRAY:
		return "an array";
	case TOML_TABLE:
		return "a table";
	}
	return "a value";
}

int inv_want_type(const struct pctx *c, const struct toml_value *v, enum toml_type t, const char *what,
		     const char *expect)
{
	if (toml_type(v) == t)
		return 0;
	return inv_bad(c, toml_value_span(v), "%s must be %s, found %s", what, expect, inv_a_type(v));
}

/* A string without NUL bytes, at most MAX bytes (0: no limit), not empty. */
int inv_want_str(const struct pctx *c, const struct toml_value *v, const char *what, const char *expect,
		    size_t max, const char **s)
{
	size_t n;
	int r;

	if ((r = inv_want_type(c, v, TOML_STRING, what, expect)) < 0)
		return r;
	toml_get_string(v, s, &n);
	if (n == 0 || strlen(*s) != n || (max && n > max))
		return inv_bad(c, toml_value_span(v), "%s must be %s%s", what, expect,
			   n == 0 ? ", found an empty string" : strlen(*s) != n ? ", without NUL bytes" : ", too long");
	return 0;
}

int inv_want_int(const struct pctx *c, const struct toml_value *v, const char *what, long lo, long hi,
		    long *out)
{
	char expect[64];
	int64_t i;
	int r;

	snprintf(expect, sizeof(expect), "an integer %ld-%ld", lo, hi);
	if ((r = inv_want_type(c, v, TOML_INTEGER, what, expect)) < 0)
		return r;
	toml_get_int(v, &i);
	if (i < lo || i > hi)
		return inv_bad(c, toml_value_span(v), "%s must be %s, found %lld", what, expect, (long long)i);
	*out = (long)i;
	return 0;
}

/* An array of at most MAX elements (each checked by the caller). */
int inv_want_array(const struct pctx *c, const struct toml_value *v, const char *what, const char *expect,
		      size_t max)
{
	int r;

	if ((r = inv_want_type(c, v, TOML_ARRAY, what, expect)) < 0)
		return r;
	if (toml_array_len(v) > max)
		return inv_bad(c, toml_value_span(v), "%s has %zu elements; at most %zu allowed", what,
			   toml_array_len(v), max);
	return 0;
}

char *inv_dup_str(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		err_set(ERR_NOMEM, "out of memory");
	return d;
}

/* "'KEY' in [TABLE]" into WHAT. */
void inv_what_key(const struct pctx *c, char *what, size_t len, const char *key)
{
	snprintf(what, len, "'%s' in %s", key, c->where);
}
