/* Nix profiles and their generations: validated profile paths and a node's generation list. */
#include "core/profile.h"
#include "core/ids.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static bool profile_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_' || c == '+' || c == '-' || c == '/';
}

int profile_path_check(const char *s)
{
	size_t len = strlen(s), i, comp = 0;
	char q[128];

	if (len == 0)
		return err_set(ERR_INVALID, "empty profile path; expected an absolute path like %s", PROFILE_DEFAULT);
	if (len > PROFILE_PATH_MAX)
		return err_set(ERR_INVALID, "profile path is %zu bytes, longer than %d", len, PROFILE_PATH_MAX);
	if (s[0] != '/')
		return err_set(ERR_INVALID, "profile path '%s' is not absolute; expected a path like %s",
			       err_quote(q, sizeof(q), s, len), PROFILE_DEFAULT);
	for (i = 0; i < len; i++)
		if (!profile_char_ok(s[i]))
			return err_set(ERR_INVALID,
				       "profile path '%s' has a character outside [A-Za-z0-9._+-/] at byte %zu",
				       err_quote(q, sizeof(q), s, len), i + 1);
	/* Walk the components after each '/'. */
	for (i = 1; i <= len; i++) {
		if (i < len && s[i] != '/')
			continue;
		{
			const char *c = s + comp + 1;
			size_t clen = i - comp - 1;

			if (clen == 0)
				return err_set(ERR_INVALID, "profile path '%s' has an empty component%s",
					       err_quote(q, sizeof(q), s, len), i == len ? " (trailing '/')" : "");
			if ((clen == 1 && c[0] == '.') || (clen == 2 && c[0] == '.' && c[1] == '.'))
				return err_set(ERR_INVALID, "profile path '%s' has a '.' or '..' component",
					       err_quote(q, sizeof(q), s, len));
		}
		comp = i;
	}
	return 0;
}

void gen_list_init(struct gen_list *l)
{
	memset(l, 0, sizeof(*l));
}

void gen_list_release(struct gen_list *l)
{
	free(l->items);
	gen_list_init(l);
}

uint32_t profile_link_generation(const char *base, const char *target, size_t len)
{
	size_t blen = strlen(base), i;
	const char *name = target;
	uint32_t num;

	for (i = 0; i < len; i++)
		if (target[i] == '/')
			name = target + i + 1;
	len -= (size_t)(name - target);
	if (len < blen + 7 || memcmp(name, base, blen) != 0 || name[blen] != '-' ||
	    memcmp(name + len - 5, "-link", 5) != 0)
		return 0;
	if (generation_parse(&num, name + blen + 1, len - blen - 6) < 0) {
		err_clear();
		return 0;
	}
	return num;
}

/* Note a malformed generation link (WHAT, printf-style) in L: the first one is named, the rest counted. */
static void gen_warn(struct gen_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void gen_warn(struct gen_list *l, const char *fmt, ...)
{
	va_list ap;

	if (l->malformed++ == 0) {
		va_start(ap, fmt);
		vsnprintf(l->warning, sizeof(l->warning), fmt, ap);
		va_end(ap);
	}
}

/* True when the LEN bytes at S end in "-NUM": a generation of another profile sharing the prefix (BASE-x-NUM-link). */
static bool other_profile(const char *s, size_t len)
{
	size_t d = 0;

	while (d < len && s[len - 1 - d] >= '0' && s[len - 1 - d] <= '9')
		d++;
	return d > 0 && d < len && s[len - 1 - d] == '-';
}

/*
 * Parse "NUM EPOCH STOREPATH" (LEN bytes of S) into G. Returns 1, or 0 for a line to
 * leave out: another profile's, or a malformed link of BASE's (noted in L).
 */
static int gen_line(struct gen_list *l, const char *base, struct generation *g, const char *s, size_t len)
{
	const char *sp1 = memchr(s, ' ', len), *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - s)) : NULL;
	size_t nlen = sp1 ? (size_t)(sp1 - s) : len, plen;
	char *end, q[128];
	long long t;

	if (generation_parse(&g->num, s, nlen) < 0) {
		err_clear();
		if (!other_profile(s, nlen))
			gen_warn(l, "generation link %s-%s-link has no generation number; skipped", base,
				 err_quote(q, sizeof(q), s, nlen));
		return 0;
	}
	if (!sp2) {
		gen_warn(l, "generation link %s-%u-link could not be read; skipped", base, g->num);
		return 0;
	}
	/* Digits only, between the two spaces: strtoll would skip spaces and read past the line. */
	t = 0;
	for (end = (char *)sp1 + 1; end < sp2 && *end >= '0' && *end <= '9' && t < 100000000000000LL; end++)
		t = t * 10 + (*end - '0');
	if (end != sp2 || end == sp1 + 1) {
		gen_warn(l, "generation link %s-%u-link has no time; skipped", base, g->num);
		return 0;
	}
	g->time = t;
	plen = len - (size_t)(sp2 + 1 - s);
	if (!storepath_valid(sp2 + 1, plen)) {
		gen_warn(l, "generation link %s-%u-link points at '%s', not a store path; skipped", base, g->num,
			 err_quote(q, sizeof(q), sp2 + 1, plen));
		return 0;
	}
	memcpy(g->path, sp2 + 1, plen);
	g->path[plen] = 0;
	return 1;
}

static int gen_cmp(const void *a, const void *b)
{
	const struct generation *x = a, *y = b;

	return x->num < y->num ? -1 : x->num > y->num;
}

int gen_list_parse(struct gen_list *l, const char *base, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *link = "";
	size_t cap = 0, link_len = 0;
	char q[128];
	int r, outside = 0;

	gen_list_init(l);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n >= 4 && memcmp(p, "gen ", 4) == 0) {
			struct generation g = { 0 };

			if (gen_line(l, base, &g, p + 4, n - 4) == 1) {
				if (l->n == cap) {
					size_t ncap = cap ? cap * 2 : 8;
					struct generation *m = realloc(l->items, ncap * sizeof(*m));

					if (!m) {
						r = err_set(ERR_NOMEM, "out of memory");
						goto fail;
					}
					l->items = m;
					cap = ncap;
				}
				l->items[l->n++] = g;
			}
		} else if (n >= 4 && memcmp(p, "link", 4) == 0 && (n == 4 || p[4] == ' ')) {
			l->current = n > 5 ? profile_link_generation(base, p + 5, n - 5) : 0;
			link = n > 5 ? p + 5 : "";
			link_len = n > 5 ? n - 5 : 0;
		} else if (n >= 4 && memcmp(p, "path", 4) == 0 && (n == 4 || p[4] == ' ')) {
			size_t plen = n > 5 ? n - 5 : 0;

			if (plen && !storepath_valid(p + 5, plen)) {
				/* Through a malformed generation link: as if there were no profile, so a deploy mends it. */
				char t[128];

				err_quote(q, sizeof(q), link, link_len);
				gen_warn(l, "the profile leads through %s to '%s', not a store path; taken as no profile",
					 link_len ? q : "its link", err_quote(t, sizeof(t), p + 5, plen));
				outside = 1;
				plen = 0;
			}
			memcpy(l->current_path, p + 5, plen);
			l->current_path[plen] = 0;
		} else if (n > 0) {
			r = err_set(ERR_INVALID, "unexpected line '%s' from the generations probe", err_quote(q, sizeof(q), p, n));
			goto fail;
		}
		p += n + 1;
	}
	if (outside)
		l->current = 0;	/* the generation it names is no store path: nothing to go back to */
	if (l->n)
		qsort(l->items, l->n, sizeof(*l->items), gen_cmp);
	return 0;
fail:
	gen_list_release(l);
	return r;
}

const struct generation *gen_list_find(const struct gen_list *l, uint32_t num)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->items[i].num == num)
			return &l->items[i];
	return NULL;
}

const struct generation *gen_list_previous(const struct gen_list *l)
{
	const struct generation *best = NULL;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->items[i].num < l->current)
			best = &l->items[i];
	return best;
}
