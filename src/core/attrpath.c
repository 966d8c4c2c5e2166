/* Attribute paths: parse, build and print dot-separated Nix attribute names. */
#include "core/attrpath.h"

#include <string.h>

#include "util/err.h"
#include "util/banned.h"

#define QUOTE_MAX 128

static const char attrpath_form[] =
    "expected names separated by '.', like packages.x86_64-linux.default";

static int is_bare_first(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_';
}

static int is_bare_char(int c)
{
	return is_bare_first(c) || c == '\'' || c == '-';
}

/* What may stand between double quotes: printable ASCII but no quoting or expansion. */
static int is_quoted_char(int c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '$' && c != '`';
}

static int needs_quotes(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || !is_bare_first((unsigned char)name[0]))
		return 1;
	for (i = 1; i < len; i++) {
		if (!is_bare_char((unsigned char)name[i]))
			return 1;
	}
	return 0;
}

/* Length of NAME as attrpath_format writes it. */
static size_t formatted_len(const char *name, size_t len)
{
	return len + (needs_quotes(name, len) ? 2 : 0);
}

static size_t path_formatted_len(const struct attrpath *p)
{
	size_t i, total = 0;

	for (i = 0; i < p->n; i++) {
		const char *name = p->buf + p->off[i];

		total += formatted_len(name, strlen(name)) + (i > 0);
	}
	return total;
}

/* Store a name already checked; the caller has checked that it fits. */
static void push(struct attrpath *p, const char *name, size_t len)
{
	p->off[p->n++] = (uint16_t)p->used;
	memcpy(p->buf + p->used, name, len);
	p->buf[p->used + len] = '\0';
	p->used += len + 1;
}

void attrpath_init(struct attrpath *p)
{
	memset(p, 0, sizeof(*p));
}

static int bad_attrpath(const char *s, size_t len, const char *why)
{
	return err_bad_input("bad attribute path", s, len, why, attrpath_form);
}

int attrpath_parse(struct attrpath *out, const char *s, size_t len)
{
	const char *why = attrpath_form;
	size_t i = 0, j;
	int r = ERR_INVALID;

	attrpath_init(out);
	if (len == 0)
		goto out;
	if (len > ATTRPATH_TEXT_MAX) {
		why = "longer than 1024 bytes";
		goto out;
	}
	for (;;) {
		if (out->n == ATTRPATH_SEGMENTS_MAX) {
			why = "more than 64 names";
			goto out;
		}
		if (i < len && s[i] == '"') {
			for (j = i + 1; j < len && s[j] != '"'; j++) {
				if (!is_quoted_char((unsigned char)s[j])) {
					why = "quoted names may hold printable ASCII except "
					    "'\"', '\\', '$' and '`'";
					goto out;
				}
			}
			if (j == len) {
				why = "unterminated quote";
				goto out;
			}
			if (j == i + 1) {
				why = "empty name";
				goto out;
			}
			push(out, s + i + 1, j - i - 1);
			i = j + 1;
		} else {
			for (j = i; j < len && s[j] != '.'; j++) {
				if (!is_bare_char((unsigned char)s[j])) {
					why = "bad character in a name; write other names in "
					    "double quotes";
					goto out;
				}
			}
			if (j == i) {
				why = "empty name";
				goto out;
			}
			if (!is_bare_first((unsigned char)s[i])) {
				why = "names starting with '-' or an apostrophe must be quoted";
				goto out;
			}
			push(out, s + i, j - i);
			i = j;
		}
		if (i == len)
			break;
		if (s[i] != '.') {
			why = "expected '.' after a quoted name";
			goto out;
		}
		if (++i == len) {
			why = "empty name";
			goto out;
		}
	}
	r = 0;
out:
	if (r != 0) {
		attrpath_init(out);
		bad_attrpath(s, len, why);
	}
	return r;
}

int attrpath_append(struct attrpath *p, const char *name, size_t len)
{
	char q[QUOTE_MAX];
	size_t i, total;

	for (i = 0; i < len; i++) {
		if (!is_quoted_char((unsigned char)name[i]))
			break;
	}
	if (len == 0 || i < len) {
		err_quote(q, sizeof(q), name, len);
		return err_set(ERR_INVALID, "bad attribute name '%s': expected printable ASCII "
		    "except '\"', '\\', '$' and '`'", q);
	}
	total = path_formatted_len(p) + (p->n > 0) + formatted_len(name, len);
	if (p->n == ATTRPATH_SEGMENTS_MAX || total > ATTRPATH_TEXT_MAX ||
	    p->used + len + 1 > sizeof(p->buf)) {
		err_quote(q, sizeof(q), name, len);
		return err_set(ERR_LIMIT, "cannot add '%s': attribute paths hold at most "
		    "64 names and 1024 bytes", q);
	}
	push(p, name, len);
	return 0;
}

int attrpath_format(const struct attrpath *p, char *buf, size_t buflen)
{
	size_t i, o = 0, need;

	if (buflen > 0)
		buf[0] = '\0';
	need = path_formatted_len(p);
	if (need >= buflen)
		return err_set(ERR_LIMIT, "attribute path of %zu bytes does not fit in %zu",
		    need, buflen);
	for (i = 0; i < p->n; i++) {
		const char *name = p->buf + p->off[i];
		size_t len = strlen(name);
		int quote = needs_quotes(name, len);

		if (i > 0)
			buf[o++] = '.';
		if (quote)
			buf[o++] = '"';
		memcpy(buf + o, name, len);
		o += len;
		if (quote)
			buf[o++] = '"';
	}
	buf[o] = '\0';
	return 0;
}

size_t attrpath_count(const struct attrpath *p)
{
	return p->n;
}

const char *attrpath_segment(const struct attrpath *p, size_t i)
{
	if (i >= p->n)
		return NULL;
	return p->buf + p->off[i];
}

bool attrpath_equal(const struct attrpath *a, const struct attrpath *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		if (strcmp(attrpath_segment(a, i), attrpath_segment(b, i)) != 0)
			return false;
	}
	return true;
}
