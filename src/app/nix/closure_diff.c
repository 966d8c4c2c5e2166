/* The difference between two closures, grouped by package name. */
#include "app/nix/closure_diff.h"
#include "util/err.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static const char *const change_names[CLOSURE_CHANGE_COUNT] = { "changed", "added", "removed", "rebuilt" };

const char *closure_change_name(enum closure_change c)
{
	return (unsigned)c < CLOSURE_CHANGE_COUNT ? change_names[c] : "unknown";
}

int closure_name_split(const char *s, size_t len, struct closure_name *out)
{
	size_t i, from = 0;
	char q[96];

	memset(out, 0, sizeof(*out));
	if (len >= STOREPATH_PREFIX_LEN && memcmp(s, STOREPATH_PREFIX, STOREPATH_PREFIX_LEN) == 0) {
		if (!storepath_valid(s, len))
			return err_set(ERR_INVALID, "bad store path '%s': expected /nix/store/HASH-NAME",
				       err_quote(q, sizeof(q), s, len));
		from = STOREPATH_PREFIX_LEN + NIXHASH_LEN + 1;
	}
	if (len == from || memchr(s, '\0', len))
		return err_set(ERR_INVALID, "bad package name '%s': expected a store path or a name",
			       err_quote(q, sizeof(q), s, len));
	out->name_len = len - from;
	out->version = s + len;
	for (i = from; i + 1 < len; i++)
		if (s[i] == '-' && !isalpha((unsigned char)s[i + 1])) {
			out->name_len = i - from;
			out->version = s + i + 1;
			break;
		}
	return 0;
}

/* The next component of the version at *P (a run of digits, or of other characters), *P moved past it and a separator. */
static size_t version_part(const char **p, const char **start)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == '.' || *s == '-')
		s++;
	*start = s;
	if (isdigit((unsigned char)*s))
		while (isdigit((unsigned char)s[n]))
			n++;
	else
		while (s[n] && s[n] != '.' && s[n] != '-' && !isdigit((unsigned char)s[n]))
			n++;
	*p = s + n;
	return n;
}

/* A run of digits compared as a number: longer (without leading zeros) is bigger. */
static int number_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	int c;

	while (na > 1 && *a == '0')
		a++, na--;
	while (nb > 1 && *b == '0')
		b++, nb--;
	if (na != nb)
		return na < nb ? -1 : 1;
	c = memcmp(a, b, na);
	return c;
}

/* Whether component A sorts before B, by Nix's rules. */
static bool part_less(const char *a, size_t na, const char *b, size_t nb)
{
	bool da = na && isdigit((unsigned char)*a), db = nb && isdigit((unsigned char)*b);
	int c;

	if (da && db)
		return number_cmp(a, na, b, nb) < 0;
	if (na == 0 && db)
		return true;
	if (na == 3 && memcmp(a, "pre", 3) == 0)
		return !(nb == 3 && memcmp(b, "pre", 3) == 0);
	if (nb == 3 && memcmp(b, "pre", 3) == 0)
		return false;
	if (db)
		return true;
	if (da)
		return false;
	c = memcmp(a, b, na < nb ? na : nb);
	return c < 0 || (c == 0 && na < nb);
}

int closure_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		const char *sa, *sb;
		size_t na = version_part(&a, &sa), nb = version_part(&b, &sb);

		if (part_less(sa, na, sb, nb))
			return -1;
		if (part_less(sb, nb, sa, na))
			return 1;
	}
	return 0;
}

/* One path of either closure while the diff is made. */
struct rec {
	const struct nix_path_info *pi;
	struct closure_name nm;
	const char *name;	/* into pi->path */
	int side;		/* 0: A, 1: B */
	bool shared;
};

static int info_cmp(const void *x, const void *y)
{
	return strcmp((*(const struct nix_path_info *const *)x)->path, (*(const struct nix_path_info *const *)y)->path);
}

static int rec_cmp(const void *x, const void *y)
{
	const struct rec *a = x, *b = y;
	size_t n = a->nm.name_len < b->nm.name_len ? a->nm.name_len : b->nm.name_len;
	int c = memcmp(a->name, b->name, n);

	if (c || a->nm.name_len != b->nm.name_len)
		return c ? c : a->nm.name_len < b->nm.name_len ? -1 : 1;
	if (a->side != b->side)
		return a->side - b->side;
	if ((c = closure_version_cmp(a->nm.version, b->nm.version)))
		return c;
	return strcmp(a->pi->path, b->pi->path);
}

/* C's items, sorted by path, each once, into *OUT (an array of N pointers; free it). */
static int sorted_unique(const struct nix_closure *c, const struct nix_path_info ***out, size_t *n)
{
	const struct nix_path_info **v = calloc(c->n ? c->n : 1, sizeof(*v));
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	if (!v)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < c->n; i++)
		v[i] = &c->items[i];
	qsort(v, c->n, sizeof(*v), info_cmp);
	for (i = 0; i < c->n; i++)
		if (k == 0 || strcmp(v[k - 1]->path, v[i]->path) != 0)
			v[k++] = v[i];
	*out = v;
	*n = k;
	return 0;
}

/* The records of both sorted lists, each marked shared when the other side has it too. */
static int make_recs(const struct nix_path_info **a, size_t na, const struct nix_path_info **b, size_t nb,
		     struct rec *recs)
{
	size_t i = 0, j = 0, k = 0;

	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i]->path, b[j]->path);

		if (c <= 0)
			recs[k++] = (struct rec){ .pi = a[i++], .side = 0, .shared = c == 0 };
		if (c >= 0)
			recs[k++] = (struct rec){ .pi = b[j++], .side = 1, .shared = c == 0 };
	}
	for (i = 0; i < k; i++) {
		const char *p = recs[i].pi->path;
		int r = closure_name_split(p, strlen(p), &recs[i].nm);

		if (r < 0)
			return r;
		recs[i].name = p + STOREPATH_PREFIX_LEN + NIXHASH_LEN + 1;
	}
	return 0;
}

/* True when one of the N paths at P has version V. */
static bool has_version(const struct closure_path *p, size_t n, const char *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(closure_path_version(&p[i]), v) == 0)
			return true;
	return false;
}

/* True when the N paths at A and the M at B have the same set of versions. */
static bool same_versions(const struct closure_path *a, size_t n, const struct closure_path *b, size_t m)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!has_version(b, m, closure_path_version(&a[i])))
			return false;
	for (i = 0; i < m; i++)
		if (!has_version(a, n, closure_path_version(&b[i])))
			return false;
	return true;
}

/* The package of the N records at R (one name, A's first): its paths, sizes and change. */
static int make_pkg(const struct rec *r, size_t n, struct closure_pkg *pkg)
{
	size_t i;

	memcpy(pkg->name, r->name, r->nm.name_len);
	pkg->name[r->nm.name_len] = '\0';
	for (i = 0; i < n; i++) {
		if (r[i].side)
			pkg->nb++;
		else
			pkg->na++;
	}
	pkg->a = calloc(pkg->na ? pkg->na : 1, sizeof(*pkg->a));
	pkg->b = calloc(pkg->nb ? pkg->nb : 1, sizeof(*pkg->b));
	if (!pkg->a || !pkg->b)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		struct closure_path *p = r[i].side ? &pkg->b[i - pkg->na] : &pkg->a[i];
		const char *path = r[i].pi->path;

		memcpy(p->path, path, strlen(path) + 1);
		p->version_at = *r[i].nm.version ? (uint16_t)(r[i].nm.version - path) : 0;
		p->shared = r[i].shared;
		p->nar_size = r[i].pi->nar_size;
		if (r[i].side)
			pkg->bytes_b += p->nar_size;
		else
			pkg->bytes_a += p->nar_size;
	}
	if (!pkg->na)
		pkg->change = CLOSURE_ADDED;
	else if (!pkg->nb)
		pkg->change = CLOSURE_REMOVED;
	else
		pkg->change = same_versions(pkg->a, pkg->na, pkg->b, pkg->nb) ? CLOSURE_REBUILT : CLOSURE_CHANGED;
	return 0;
}

/* Group the N sorted records by name into D's packages, keeping those with a path not shared. */
static int group(const struct rec *recs, size_t n, struct closure_diff *d)
{
	size_t i = 0, j;
	int r;

	while (i < n) {
		bool differs = false;

		for (j = i; j < n && recs[j].nm.name_len == recs[i].nm.name_len &&
			    memcmp(recs[j].name, recs[i].name, recs[i].nm.name_len) == 0;
		     j++)
			differs |= !recs[j].shared;
		if (differs) {
			struct closure_pkg *pkg = &d->pkgs[d->n++];

			if ((r = make_pkg(recs + i, j - i, pkg)) < 0)
				return r;
			d->count[pkg->change]++;
		}
		i = j;
	}
	return 0;
}

/* The totals of the N records: each side's, and what only one side has. */
static void totals(const struct rec *recs, size_t n, struct closure_diff *d)
{
	size_t *paths[2] = { &d->paths_a, &d->paths_b }, *only[2] = { &d->paths_removed, &d->paths_added };
	uint64_t *bytes[2] = { &d->bytes_a, &d->bytes_b }, *only_bytes[2] = { &d->bytes_removed, &d->bytes_added };
	size_t i;

	for (i = 0; i < n; i++) {
		int side = recs[i].side;

		(*paths[side])++;
		*bytes[side] += recs[i].pi->nar_size;
		if (!recs[i].shared) {
			(*only[side])++;
			*only_bytes[side] += recs[i].pi->nar_size;
		}
	}
}

int closure_diff(const struct nix_closure *a, const struct nix_closure *b, struct closure_diff *out)
{
	const struct nix_path_info **sa = NULL, **sb = NULL;
	struct rec *recs = NULL;
	size_t na = 0, nb = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = sorted_unique(a, &sa, &na)) < 0 || (r = sorted_unique(b, &sb, &nb)) < 0)
		goto out;
	recs = calloc(na + nb ? na + nb : 1, sizeof(*recs));
	out->pkgs = calloc(na + nb ? na + nb : 1, sizeof(*out->pkgs));
	if (!recs || !out->pkgs) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = make_recs(sa, na, sb, nb, recs)) < 0)
		goto out;
	qsort(recs, na + nb, sizeof(*recs), rec_cmp);
	totals(recs, na + nb, out);
	r = group(recs, na + nb, out);
out:
	free(sa);
	free(sb);
	free(recs);
	if (r < 0)
		closure_diff_release(out);
	return r;
}

void closure_diff_release(struct closure_diff *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->pkgs[i].a);
		free(d->pkgs[i].b);
	}
	free(d->pkgs);
	memset(d, 0, sizeof(*d));
}
