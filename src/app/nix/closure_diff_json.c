/* A closure difference as JSON (closure_diff_json). */
#include "app/nix/closure_diff.h"

#include <jansson.h>
#include <string.h>
#include "util/banned.h"

/* The distinct versions of the N paths at P, in their order (by version). */
static json_t *versions_json(const struct closure_path *p, size_t n)
{
	json_t *arr = json_array();
	size_t i, k;

	for (i = 0; arr && i < n; i++) {
		const char *v = closure_path_version(&p[i]);

		for (k = 0; k < json_array_size(arr); k++)
			if (strcmp(json_string_value(json_array_get(arr, k)), v) == 0)
				break;
		if (k == json_array_size(arr))
			json_array_append_new(arr, json_string(v));
	}
	return arr;
}

static json_t *paths_json(const struct closure_path *p, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:b}", "path", p[i].path, "version",
						     closure_path_version(&p[i]), "nar_size", (json_int_t)p[i].nar_size,
						     "shared", p[i].shared));
	return arr;
}

static json_t *pkg_json(const struct closure_pkg *pkg)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:o, s:o}", "name", pkg->name, "change",
			 closure_change_name(pkg->change), "versions_a", versions_json(pkg->a, pkg->na), "versions_b",
			 versions_json(pkg->b, pkg->nb), "bytes_a", (json_int_t)pkg->bytes_a, "bytes_b",
			 (json_int_t)pkg->bytes_b, "delta", (json_int_t)pkg->bytes_b - (json_int_t)pkg->bytes_a,
			 "paths_a", paths_json(pkg->a, pkg->na), "paths_b", paths_json(pkg->b, pkg->nb));
}

json_t *closure_diff_json(const struct closure_diff *d)
{
	json_t *pkgs = json_array(), *summary;
	size_t i;

	for (i = 0; pkgs && i < d->n; i++)
		json_array_append_new(pkgs, pkg_json(&d->pkgs[i]));
	summary = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "changed",
			    (json_int_t)d->count[CLOSURE_CHANGED], "added", (json_int_t)d->count[CLOSURE_ADDED], "removed",
			    (json_int_t)d->count[CLOSURE_REMOVED], "rebuilt", (json_int_t)d->count[CLOSURE_REBUILT],
			    "paths_added", (json_int_t)d->paths_added, "paths_removed", (json_int_t)d->paths_removed,
			    "bytes_added", (json_int_t)d->bytes_added, "bytes_removed", (json_int_t)d->bytes_removed,
			    "delta", (json_int_t)d->bytes_b - (json_int_t)d->bytes_a);
	return json_pack("{s:{s:I, s:I}, s:{s:I, s:I}, s:o, s:o}", "a", "paths", (json_int_t)d->paths_a, "bytes",
			 (json_int_t)d->bytes_a, "b", "paths", (json_int_t)d->paths_b, "bytes", (json_int_t)d->bytes_b,
			 "summary", summary, "packages", pkgs);
}
