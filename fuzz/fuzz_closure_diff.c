/*
 * Fuzz target for app/nix/closure_diff: closure_name_split and closure_version_cmp of any
 * line, and closure_diff of two closures made from the lines (first byte: the side and the
 * hash, so paths repeat and are shared; the rest: the name), held against its totals.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/nix/closure_diff.h"
#include "fuzz.h"
#include "util/err.h"

#define LINES_MAX 64

const char *const fuzz_seeds[] = {
	"ahello-1.0\nbhello-2.0\ncglibc-2.37\ndglibc-2.37\n",
	"alib-1.9\nclib-1.10\nblib-1.9\ndlib-2.0\n",
	"anew-tool-3\nbnew-tool-3-man\nhold-0.1\n",
	"aconf-1.0\nbconf-1.0\n",
	"asource\nbsource\ncsource\n",
	"aa--b\nbfoo-_bar\ncx-1.0pre1\ndx-1.0\n",
	"",
	"a\nb.hidden\nc-\nd bad name\n",
	NULL,
};

static void check_split(const char *s, size_t len)
{
	struct closure_name nm;
	size_t from, i;
	int r;

	fuzz_err_mark();
	r = closure_name_split(s, len, &nm);
	if (r < 0) {
		fuzz_check_failure("closure_name_split", r, false);
		return;
	}
	from = len >= STOREPATH_PREFIX_LEN && memcmp(s, STOREPATH_PREFIX, STOREPATH_PREFIX_LEN) == 0
		       ? STOREPATH_PREFIX_LEN + NIXHASH_LEN + 1
		       : 0;
	FUZZ_CHECK(from + nm.name_len <= len, "name past the end");
	if (nm.version == s + len) {
		FUZZ_CHECK(from + nm.name_len == len, "no version, yet the name is not the rest");
	} else {
		FUZZ_CHECK(nm.version == s + from + nm.name_len + 1 && s[from + nm.name_len] == '-',
			   "the version does not follow the name and a dash");
		FUZZ_CHECK(!isalpha((unsigned char)*nm.version), "the version starts with a letter");
	}
	for (i = from; i < from + nm.name_len; i++)
		FUZZ_CHECK(s[i] != '-' || i + 1 >= len || isalpha((unsigned char)s[i + 1]), "an earlier dash splits");
}

/* The lines of DATA as two closures: side and hash from the first byte, the name after it. */
static void closures_of(const char *data, size_t size, struct nix_closure *a, struct nix_closure *b)
{
	static const char nix32[] = "0123456789abcdfghijklmnpqrsvwxyz";
	const char *p = data, *end = data + size;

	a->items = calloc(LINES_MAX, sizeof(*a->items));
	b->items = calloc(LINES_MAX, sizeof(*b->items));
	if (!a->items || !b->items)
		abort();
	while (p < end && a->n + b->n < LINES_MAX) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n) {
			struct nix_closure *c = (*p & 1) ? b : a;
			struct nix_path_info *pi = &c->items[c->n++];
			char hash[NIXHASH_LEN + 1];
			size_t name = n - 1 > STOREPATH_NAME_MAX ? STOREPATH_NAME_MAX : n - 1;

			memset(hash, nix32[((unsigned char)*p >> 1) % 32], NIXHASH_LEN);
			hash[NIXHASH_LEN] = '\0';
			snprintf(pi->path, sizeof(pi->path), "/nix/store/%s-%.*s", hash, (int)name, p + 1);
			/* A store path has one NAR size, whichever closure holds it. */
			pi->nar_size = (uint64_t)strlen(pi->path) * 1000 + (unsigned char)pi->path[strlen(pi->path) - 1];
		}
		p += n + 1;
	}
}

/* How many distinct paths C holds, and their bytes; whether P is among them. */
static size_t distinct(const struct nix_closure *c, uint64_t *bytes, const char *p, bool *has)
{
	size_t i, k, n = 0;

	*bytes = 0;
	*has = false;
	for (i = 0; i < c->n; i++) {
		for (k = 0; k < i && strcmp(c->items[k].path, c->items[i].path) != 0; k++)
			;
		if (p && strcmp(c->items[i].path, p) == 0)
			*has = true;
		if (k < i)
			continue;
		n++;
		*bytes += c->items[i].nar_size;
	}
	return n;
}

static void check_pkg(const struct closure_pkg *pkg, const struct nix_closure *a, const struct nix_closure *b)
{
	size_t i, unshared = 0;
	uint64_t bytes;
	bool in_a, in_b;

	FUZZ_CHECK(pkg->na || pkg->nb, "package '%s' has no path", pkg->name);
	FUZZ_CHECK((pkg->change == CLOSURE_ADDED) == (pkg->na == 0), "'%s' added with %zu paths in A", pkg->name, pkg->na);
	FUZZ_CHECK((pkg->change == CLOSURE_REMOVED) == (pkg->nb == 0), "'%s' removed with %zu in B", pkg->name, pkg->nb);
	for (i = 0; i < pkg->na + pkg->nb; i++) {
		const struct closure_path *p = i < pkg->na ? &pkg->a[i] : &pkg->b[i - pkg->na];

		distinct(a, &bytes, p->path, &in_a);
		distinct(b, &bytes, p->path, &in_b);
		FUZZ_CHECK(i < pkg->na ? in_a : in_b, "'%s' is not on its side", p->path);
		FUZZ_CHECK(p->shared == (in_a && in_b), "'%s' shared %d", p->path, p->shared);
		unshared += !p->shared;
		if (i && i != pkg->na)
			FUZZ_CHECK(closure_version_cmp(closure_path_version(p - 1), closure_path_version(p)) <= 0,
				   "'%s' is out of version order", p->path);
	}
	FUZZ_CHECK(unshared > 0, "package '%s' listed with every path shared", pkg->name);
}

static void check_diff(const struct nix_closure *a, const struct nix_closure *b)
{
	struct closure_diff d;
	size_t i, counted[CLOSURE_CHANGE_COUNT] = { 0 };
	uint64_t ba, bb;
	bool has;
	int r;

	fuzz_err_mark();
	r = closure_diff(a, b, &d);
	if (r < 0) {
		fuzz_check_failure("closure_diff", r, false);
		FUZZ_CHECK(d.n == 0 && !d.pkgs, "a failed diff left packages");
		return;
	}
	FUZZ_CHECK(d.paths_a == distinct(a, &ba, NULL, &has) && d.bytes_a == ba, "A's totals");
	FUZZ_CHECK(d.paths_b == distinct(b, &bb, NULL, &has) && d.bytes_b == bb, "B's totals");
	FUZZ_CHECK(d.bytes_b - d.bytes_added == d.bytes_a - d.bytes_removed, "shared bytes differ");
	FUZZ_CHECK(d.paths_b - d.paths_added == d.paths_a - d.paths_removed, "shared paths differ");
	for (i = 0; i < d.n; i++) {
		check_pkg(&d.pkgs[i], a, b);
		counted[d.pkgs[i].change]++;
		if (i)
			FUZZ_CHECK(strcmp(d.pkgs[i - 1].name, d.pkgs[i].name) < 0, "packages out of order");
	}
	FUZZ_CHECK(memcmp(counted, d.count, sizeof(counted)) == 0, "the counts are not the packages'");
	closure_diff_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl;
	struct nix_closure a = { 0 }, b = { 0 };
	size_t first;

	fuzz_begin(data, size);
	nl = memchr(s, '\n', size);
	first = nl ? (size_t)(nl - s) : size;
	check_split(s, first);
	if (first > 1) {
		char *x = fuzz_strndup(data, first / 2), *y = fuzz_strndup(data + first / 2, first - first / 2);
		int xy = closure_version_cmp(x, y), yx = closure_version_cmp(y, x);

		FUZZ_CHECK((xy > 0) - (xy < 0) == -((yx > 0) - (yx < 0)), "version order not antisymmetric");
		FUZZ_CHECK(closure_version_cmp(x, x) == 0, "'%s' differs from itself", x);
		free(x);
		free(y);
	}
	closures_of(s, size, &a, &b);
	check_diff(&a, &b);
	nix_closure_release(&a);
	nix_closure_release(&b);
	return 0;
}
