/* A closure difference as aligned text. */
#include "cli/closure_text.h"
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

#define COL_MAX 40	/* widest name or versions column before lines go ragged */

/* The distinct versions of the N paths at P, joined by ", " ("-" for none), into OUT. */
static void versions(const struct closure_path *p, size_t n, char *out, size_t len)
{
	size_t i, k, used = 0;

	out[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		const char *v = closure_path_version(&p[i]);

		for (k = 0; k < i && strcmp(closure_path_version(&p[k]), v) != 0; k++)
			;
		if (k < i)
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", *v ? v : "-");
	}
}

/* PKG's versions column: "A -> B" when both sides have it. */
static void versions_col(const struct closure_pkg *pkg, char *out, size_t len)
{
	char a[256], b[256];

	versions(pkg->a, pkg->na, a, sizeof(a));
	versions(pkg->b, pkg->nb, b, sizeof(b));
	if (pkg->na && pkg->nb && pkg->change == CLOSURE_CHANGED)
		snprintf(out, len, "%s -> %s", a, b);
	else
		snprintf(out, len, "%s", pkg->na ? a : b);
}

/* "+1.5 KiB", "-300 B", "0 B". */
static void delta(uint64_t from, uint64_t to, char *out, size_t len)
{
	char b[32];

	cli_bytes(to >= from ? to - from : from - to, b, sizeof(b));
	snprintf(out, len, "%s%s", to == from ? "" : to > from ? "+" : "-", b);
}

/* PKG's sizes column: "A -> B", or the one side's. */
static void sizes_col(const struct closure_pkg *pkg, char *out, size_t len)
{
	char a[32], b[32];

	cli_bytes(pkg->bytes_a, a, sizeof(a));
	cli_bytes(pkg->bytes_b, b, sizeof(b));
	if (pkg->na && pkg->nb)
		snprintf(out, len, "%s -> %s", a, b);
	else
		snprintf(out, len, "%s", pkg->na ? a : b);
}

/* The paths of PKG that only one side has, with their NAR sizes. */
static void print_paths(const struct closure_pkg *pkg, const char *indent)
{
	size_t i;
	char b[32];

	for (i = 0; i < pkg->na + pkg->nb; i++) {
		const struct closure_path *p = i < pkg->na ? &pkg->a[i] : &pkg->b[i - pkg->na];

		if (p->shared)
			continue;
		cli_bytes(p->nar_size, b, sizeof(b));
		printf("%s    %c %s  %s\n", indent, i < pkg->na ? '-' : '+', p->path, b);
	}
}

/* Column widths: the widest name and versions of D's packages, each within COL_MAX. */
static void widths(const struct closure_diff *d, int *wname, int *wvers, int *wsize)
{
	char v[600];
	size_t i;

	*wname = *wvers = *wsize = 1;
	for (i = 0; i < d->n; i++) {
		int n = (int)strlen(d->pkgs[i].name);

		*wname = n > *wname ? (n < COL_MAX ? n : COL_MAX) : *wname;
		versions_col(&d->pkgs[i], v, sizeof(v));
		n = (int)strlen(v);
		*wvers = n > *wvers ? (n < COL_MAX ? n : COL_MAX) : *wvers;
		sizes_col(&d->pkgs[i], v, sizeof(v));
		n = (int)strlen(v);
		*wsize = n > *wsize ? n : *wsize;
	}
}

void closure_text_print(const struct closure_diff *d, const char *indent)
{
	static const enum closure_change order[] = { CLOSURE_CHANGED, CLOSURE_ADDED, CLOSURE_REMOVED, CLOSURE_REBUILT };
	char v[600], s[80], dl[40], ba[32], bb[32];
	int wname, wvers, wsize;
	size_t k, i;

	widths(d, &wname, &wvers, &wsize);
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		if (!d->count[order[k]])
			continue;
		printf("%s%s (%zu)\n", indent, closure_change_name(order[k]), d->count[order[k]]);
		for (i = 0; i < d->n; i++) {
			const struct closure_pkg *pkg = &d->pkgs[i];

			if (pkg->change != order[k])
				continue;
			versions_col(pkg, v, sizeof(v));
			sizes_col(pkg, s, sizeof(s));
			delta(pkg->bytes_a, pkg->bytes_b, dl, sizeof(dl));
			printf("%s  %-*s  %-*s  %*s  %s\n", indent, wname, pkg->name, wvers, v, wsize, s, dl);
			print_paths(pkg, indent);
		}
	}
	if (!d->n)
		printf("%sno package differs\n", indent);
	cli_bytes(d->bytes_a, ba, sizeof(ba));
	cli_bytes(d->bytes_b, bb, sizeof(bb));
	delta(d->bytes_a, d->bytes_b, dl, sizeof(dl));
	printf("%sclosure: %zu -> %zu paths, %s -> %s (%s)", indent, d->paths_a, d->paths_b, ba, bb, dl);
	cli_bytes(d->bytes_added, ba, sizeof(ba));
	cli_bytes(d->bytes_removed, bb, sizeof(bb));
	printf("; %zu paths added (%s), %zu removed (%s)\n", d->paths_added, ba, d->paths_removed, bb);
}
