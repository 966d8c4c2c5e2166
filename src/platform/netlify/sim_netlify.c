/* The netlify.toml simulator: the top-level keys, the document walk and the entry points. */
#include "platform/netlify/check.h"
#include "util/banned.h"

static const char *const top_keys[] = { "build", "context", "redirects", "headers", "plugins", "functions",
					"edge_functions", "dev", "template", "images", "integrations", "database",
					"spa_fallback", NULL };

/* An unknown top-level key: a typo of exactly one known key heals by renaming, a guess is only suggested. */
static void unknown_top_key(struct ntl *c, const char *k, size_t kn, const struct toml_value *v)
{
	const char *near = ntl_nearest(k, kn, top_keys);
	char fx[FIX_MAX];

	if (near) {
		snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
		ntl_add(c, NTL_TOP_1, SIM_HIGH, ntl_at_key(v),
			ntl_typos_of(k, kn, top_keys) == 1 ? SIM_FIX_HEAL : SIM_FIX_SUGGEST, fx,
			"unknown top-level key '%s' is ignored by Netlify: did you mean '%s'?", Q(k, kn), near);
	} else {
		ntl_add(c, NTL_TOP_1, SIM_MEDIUM, ntl_at_key(v), SIM_FIX_NONE, NULL,
		    "unknown top-level key '%s' is ignored by Netlify", Q(k, kn));
	}
}

static void check_top_key(struct ntl *c, const char *k, size_t kn, const struct toml_value *v)
{
	if (ntl_key_is(k, kn, "build") || ntl_key_is(k, kn, "Build"))
		ntl_check_build(c, v);
	else if (ntl_key_is(k, kn, "context"))
		ntl_check_contexts(c, v, ntl_build_table(c->root));
	else if (ntl_key_is(k, kn, "redirects"))
		ntl_check_redirects(c, v);
	else if (ntl_key_is(k, kn, "headers"))
		ntl_check_headers(c, v);
	else if (ntl_key_is(k, kn, "plugins"))
		ntl_check_plugins(c, v, "plugins", true);
	else if (ntl_key_is(k, kn, "functions"))
		ntl_check_functions(c, v, "functions");
	else if (ntl_key_is(k, kn, "edge_functions"))
		ntl_check_edge_functions(c, v, "edge_functions");
	else if (ntl_key_is(k, kn, "dev"))
		ntl_check_dev(c, v);
	else if (ntl_key_is(k, kn, "database"))
		ntl_check_database(c, v);
	else if (ntl_key_is(k, kn, "spa_fallback") && !ntl_is_type(v, TOML_BOOL))
		ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
			"spa_fallback must be a boolean, not %s", ntl_a_type(v));
	else if (!ntl_in_list(k, kn, top_keys, false) && !ntl_key_is(k, kn, "Settings"))
		unknown_top_key(c, k, kn, v);
}

/* Which of functions' directories wins: [functions] directory over [build] functions. */
static void check_functions_dirs(struct ntl *c, const struct toml_value *root)
{
	const struct toml_value *b = ntl_build_table(root), *old = ntl_get_ci(b, "functions");

	if (ntl_is_type(old, TOML_STRING) && toml_table_get(toml_table_get(root, "functions"), "directory"))
		ntl_add(c, NTL_BUILD_9, SIM_MEDIUM, ntl_at_key(old), SIM_FIX_SUGGEST, "remove build.functions",
		    "build.functions is ignored: [functions] directory is also set and wins");
}

static void check_doc(struct ntl *c, const struct toml_value *root)
{
	const struct toml_value *v;
	const char *k, *s;
	size_t i, kn, n;

	c->root = root;
	c->base_depth = 0;
	if (ntl_str_of(ntl_get_ci(ntl_build_table(root), "base"), &s, &n))
		c->base_depth = ntl_path_depth(s, n, 0);
	for (i = 0; (v = toml_table_at(root, i, &k, &kn)); i++)
		check_top_key(c, k, kn, v);
	ntl_check_missing_publish(c, root);
	check_functions_dirs(c, root);
	ntl_order_walk(c, root, 0);
}

/* ---- entry points ---- */

int sim_netlify_text(const char *file, const char *text, size_t len, const char *dir, struct sim_report *rep)
{
	struct ntl c = { .rep = rep, .file = file, .dir = dir, .src = text, .len = len };
	struct toml_doc *doc = NULL;
	int64_t start = clock_mono_us();
	int r;

	if ((r = toml_parse(text, len, &doc)) == ERR_NOMEM)
		return r;
	if (r < 0) {
		ntl_syntax_error(&c, text, len);
	} else {
		c.src = toml_doc_source(doc, &c.len);
		check_doc(&c, toml_doc_root(doc));
	}
	toml_doc_free(doc);
	rep->us += clock_mono_us() - start;
	return c.err;
}

/* ERR_NOTFOUND for PATH; the old netlify.yml / netlify.json beside it are named, as Netlify no longer reads them. */
static int not_found(const char *dir, const char *path)
{
	static const char *const old[] = { "netlify.yml", "netlify.yaml", "netlify.json" };
	char other[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		if ((size_t)snprintf(other, sizeof(other), "%s/%s", dir, old[i]) < sizeof(other) && fs_exists(other))
			return err_set(ERR_NOTFOUND,
				       "no netlify.toml: '%s' does not exist, and Netlify no longer reads "
				       "%s (NTL-FILE-1): convert it to netlify.toml",
				       path, old[i]);
	}
	return err_set(ERR_NOTFOUND, "no netlify.toml: '%s' does not exist", path);
}

int sim_netlify(const char *dir, struct sim_report *rep)
{
	struct buf text = BUF_INIT(TOML_FILE_MAX);
	char path[PATH_MAX];
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/netlify.toml", dir) >= sizeof(path))
		return err_set(ERR_INVALID, "project path '%s' is too long", dir);
	if ((r = fs_read_file(path, &text)) < 0) {
		if (r == ERR_NOTFOUND)
			r = not_found(dir, path);
		else if (r == ERR_LIMIT)
			r = err_set(ERR_IO, "'%s' is bigger than %u bytes", path, TOML_FILE_MAX);
		goto out;
	}
	if (rep->nfiles < sizeof(rep->files) / sizeof(rep->files[0]))
		snprintf(rep->files[rep->nfiles++], sizeof(rep->files[0]), "netlify.toml");
	r = sim_netlify_text("netlify.toml", text.data, text.len, dir, rep);
out:
	buf_release(&text);
	return r;
}
