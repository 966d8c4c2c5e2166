/* Selectors over machine names and tags, with fnmatch(3) for globs. */
#include "core/selector.h"
#include "util/err.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define ELEM_MAX 256

bool selector_is_glob(const char *elem, size_t len)
{
	return memchr(elem, '*', len) || memchr(elem, '?', len) || memchr(elem, '[', len);
}

bool selector_match(const char *elem, size_t len, const struct sel_machine *m)
{
	char e[ELEM_MAX];
	size_t i;

	if (len == 0 || len >= sizeof(e))
		return false;
	memcpy(e, elem, len);
	e[len] = '\0';
	if (strcmp(e, "all") == 0)
		return true;
	if (e[0] == '@') {
		for (i = 0; i < m->ntags; i++)
			if (strcmp(m->tags[i], e + 1) == 0)
				return true;
		return false;
	}
	if (selector_is_glob(e, len))
		return fnmatch(e, m->name, 0) == 0;
	return strcmp(e, m->name) == 0;
}

/* "web-1, web-2 (tags: edge, eu)" for a message: what could have been meant. */
static void known(const struct sel_machine *m, size_t n, char *out, size_t outlen)
{
	size_t i, k, o = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < n && o < outlen; i++) {
		w = snprintf(out + o, outlen - o, "%s%s", i ? ", " : "", m[i].name);
		o += w > 0 ? (size_t)w : 0;
	}
	for (i = 0, k = 0; i < n && o < outlen; i++) {
		size_t t;

		for (t = 0; t < m[i].ntags && o < outlen; t++) {
			char needle[ELEM_MAX + 2];

			/* Each tag once. */
			snprintf(needle, sizeof(needle), "@%s", m[i].tags[t]);
			if (strstr(out, needle))
				continue;
			w = snprintf(out + o, outlen - o, "%s@%s", k++ ? ", " : "; tags: ", m[i].tags[t]);
			o += w > 0 ? (size_t)w : 0;
		}
	}
	if (n == 0)
		snprintf(out, outlen, "the inventory has no machines");
}

/* Call FN for each comma-separated element of SPEC; an empty one is an error. */
static int each_elem(const char *spec, size_t len, const char *what,
		     int (*fn)(const char *e, size_t elen, void *ctx), void *ctx)
{
	size_t i = 0;
	int r;

	while (i <= len) {
		const char *c = memchr(spec + i, ',', len - i);
		size_t end = c ? (size_t)(c - spec) : len;

		if (end == i)
			return err_set(ERR_INVALID, "%s '%.*s' has an empty element; expected NAME, @TAG, a glob or all, "
				       "comma-separated", what, (int)(len > 200 ? 200 : len), spec);
		if ((r = fn(spec + i, end - i, ctx)) < 0)
			return r;
		i = end + 1;
	}
	return 0;
}

struct walk {
	const struct sel_machine *m;
	size_t n;
	selector_other_fn other;
	void *arg;
	size_t *order;
	size_t *norder;
	bool exclude;
	bool *in;		/* in[i]: machine i is in ORDER (no scan of ORDER per machine) */
};

static int no_match(struct walk *w, const char *e, size_t len)
{
	char list[1024];
	int r;

	if (w->other && (r = w->other(e, len, w->arg)) != ERR_NOTFOUND)
		return r;
	known(w->m, w->n, list, sizeof(list));
	return err_set(ERR_INVALID, "%s '%.*s' matches no machine (%s)", w->exclude ? "--exclude" : "selector",
		       (int)(len > 200 ? 200 : len), e, list);
}

static int select_elem(const char *e, size_t len, void *ctx)
{
	struct walk *w = ctx;
	size_t i, hits = 0;

	for (i = 0; i < w->n; i++) {
		if (!selector_match(e, len, &w->m[i]))
			continue;
		hits++;
		if (!w->in[i]) {
			w->in[i] = true;
			w->order[(*w->norder)++] = i;
		}
	}
	return hits ? 0 : no_match(w, e, len);
}

static int exclude_elem(const char *e, size_t len, void *ctx)
{
	struct walk *w = ctx;
	size_t i, hits = 0;

	/* Marked here; ORDER is compacted once, after every element. */
	for (i = 0; i < w->n; i++)
		if (selector_match(e, len, &w->m[i])) {
			hits++;
			w->in[i] = false;
		}
	return hits ? 0 : no_match(w, e, len);
}

/* W's membership marks from what ORDER holds now. */
static int walk_init(struct walk *w)
{
	size_t k;

	if (!(w->in = calloc(w->n ? w->n : 1, sizeof(*w->in))))
		return err_set(ERR_NOMEM, "out of memory");
	for (k = 0; k < *w->norder; k++)
		w->in[w->order[k]] = true;
	return 0;
}

int selector_select(const char *spec, size_t len, const struct sel_machine *m, size_t n, selector_other_fn other,
		    void *arg, size_t *order, size_t *norder)
{
	struct walk w = { m, n, other, arg, order, norder, false, NULL };
	int r;

	if ((r = walk_init(&w)) < 0)
		return r;
	r = each_elem(spec, len, "selector", select_elem, &w);
	free(w.in);
	return r;
}

int selector_exclude(const char *spec, size_t len, const struct sel_machine *m, size_t n, selector_other_fn other,
		     void *arg, size_t *order, size_t *norder)
{
	struct walk w = { m, n, other, arg, order, norder, true, NULL };
	size_t k, o = 0;
	int r;

	if ((r = walk_init(&w)) < 0)
		return r;
	if ((r = each_elem(spec, len, "--exclude", exclude_elem, &w)) == 0) {
		for (k = 0; k < *norder; k++)
			if (w.in[order[k]])
				order[o++] = order[k];
		*norder = o;
	}
	free(w.in);
	return r;
}
