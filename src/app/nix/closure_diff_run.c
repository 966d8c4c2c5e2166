/* Use case: chimera nix diff, the closures of two store paths (or links to them) compared. */
#include "app/nix/closure_diff.h"
#include "util/err.h"
#include "util/json.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

int nix_store_path_resolve(const char *arg, char out[STOREPATH_MAX])
{
	char real[PATH_MAX], q[128];
	size_t top = STOREPATH_PREFIX_LEN + NIXHASH_LEN + 1, n;
	const char *slash;

	out[0] = '\0';
	err_quote(q, sizeof(q), arg, strlen(arg));
	if (!realpath(arg, real))
		return err_set(ERR_INVALID, "bad path '%s': %s; expected a store path, or a link to one (an out-link, a"
			       " profile)", q, strerror(errno));
	n = strlen(real);
	if (storepath_valid(real, n)) {
		memcpy(out, real, n + 1);
		return 0;
	}
	/* Inside a store path: name the store path to give instead. */
	if (n > top && strncmp(real, STOREPATH_PREFIX, STOREPATH_PREFIX_LEN) == 0 && (slash = strchr(real + top, '/')) &&
	    storepath_valid(real, (size_t)(slash - real)))
		return err_set(ERR_INVALID, "bad path '%s': it leads to %s, inside the store path %.*s; give that", q, real,
			       (int)(slash - real), real);
	return err_set(ERR_INVALID, "bad path '%s': it leads to %s, not a store path", q, real);
}

int nix_diff_run(struct nix *nx, const char *a, const char *b, struct nix_diff_report *rep)
{
	struct nix_closure ca = { 0 }, cb = { 0 };
	int r;

	memset(rep, 0, sizeof(*rep));
	snprintf(rep->a_given, sizeof(rep->a_given), "%s", a);
	snprintf(rep->b_given, sizeof(rep->b_given), "%s", b);
	if ((r = nix_store_path_resolve(a, rep->a)) < 0 || (r = nix_store_path_resolve(b, rep->b)) < 0)
		return r;
	if ((r = nx->ops->closure(nx, rep->a, &ca)) < 0 || (r = nx->ops->closure(nx, rep->b, &cb)) < 0)
		goto out;
	r = closure_diff(&ca, &cb, &rep->diff);
out:
	nix_closure_release(&ca);
	nix_closure_release(&cb);
	return r;
}

void nix_diff_report_release(struct nix_diff_report *rep)
{
	closure_diff_release(&rep->diff);
}

/* The side KEY of DOC gets the path as given and the store path. */
static void side(json_t *doc, const char *key, const char *given, const char *path)
{
	json_t *o = json_object_get(doc, key);

	json_object_set_new(o, "given", json_utf8_string(given, strlen(given)));
	json_object_set_new(o, "path", json_string(path));
}

char *nix_diff_report_json(const struct nix_diff_report *rep)
{
	json_t *doc = closure_diff_json(&rep->diff);

	if (!doc)
		return NULL;
	side(doc, "a", rep->a_given, rep->a);
	side(doc, "b", rep->b_given, rep->b);
	return json_render(doc);
}
