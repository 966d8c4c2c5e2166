/* netlify.toml checks: [[headers]] and [[plugins]]. */
#include "platform/netlify/check.h"
#include "util/banned.h"

static const char *const plugin_keys[] = { "package", "inputs", "pinned_version", NULL };

static int header_use_cmp(const void *a, const void *b)
{
	const struct header_use *x = a, *y = b;
	size_t i;
	int d;

	if (x->pathlen != y->pathlen)
		return x->pathlen < y->pathlen ? -1 : 1;
	if ((d = memcmp(x->path, y->path, x->pathlen)))
		return d;
	if (x->namelen != y->namelen)
		return x->namelen < y->namelen ? -1 : 1;
	for (i = 0; i < x->namelen; i++) {
		if ((d = tolower((unsigned char)x->name[i]) - tolower((unsigned char)y->name[i])))
			return d;
	}
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The value of one header: a string, or an array of strings Netlify joins with ", ". */
static void check_header_value(struct ntl *c, const char *k, size_t kn, const struct toml_value *e)
{
	char fx[FIX_MAX], txt[QUOTE_MAX];
	size_t i, blank;

	for (blank = 0; blank < kn && (k[blank] == ' ' || k[blank] == '\t'); blank++)
		;
	if (blank == kn)
		ntl_add(c, NTL_HDR_3, SIM_CRITICAL, ntl_at_key(e), SIM_FIX_NONE, NULL,
		    "a header name is empty: Netlify rejects the header rules");
	if (ntl_is_type(e, TOML_STRING) || ntl_all_strings(e))
		return;
	if (ntl_is_type(e, TOML_ARRAY)) {
		for (i = 0; i < toml_array_len(e) && ntl_is_type(toml_array_get(e, i), TOML_STRING); i++)
			;
		ntl_add(c, NTL_HDR_3, SIM_CRITICAL, ntl_at_val(toml_array_get(e, i)), SIM_FIX_NONE, NULL,
		    "header '%s' must hold strings, not %s", Q(k, kn), ntl_a_type(toml_array_get(e, i)));
	} else if (ntl_is_scalar(e)) {
		snprintf(fx, sizeof(fx), "quote it: %s = \"%s\"", Q(k, kn), ntl_val_text(c, e, txt, sizeof(txt)));
		ntl_add(c, NTL_HDR_3, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_HEAL, fx,
		    "header '%s' is %s: header values must be strings", Q(k, kn), ntl_a_type(e));
	} else {
		ntl_add(c, NTL_HDR_3, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
		    "header '%s' is a table: header values must be strings", Q(k, kn));
	}
}

static void check_header_for(struct ntl *c, const struct toml_value *t, const struct toml_value *f)
{
	const char *s;
	size_t n;
	char fx[FIX_MAX];

	if (!f) {
		ntl_add(c, NTL_HDR_1, SIM_CRITICAL, ntl_at_val(t), SIM_FIX_NONE, NULL,
		    "header block has no for: Netlify rejects the header rules");
		return;
	}
	if (!ntl_str_of(f, &s, &n)) {
		ntl_add(c, NTL_HDR_1, SIM_CRITICAL, ntl_at_val(f), SIM_FIX_NONE, NULL, "for must be a string, not %s",
		    ntl_a_type(f));
		return;
	}
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	if (n == 0) {
		ntl_add(c, NTL_HDR_1, SIM_CRITICAL, ntl_at_val(f), SIM_FIX_NONE, NULL,
		    "for is empty: Netlify rejects the header rules");
	} else if (s[0] != '/' && !(n >= 7 && strncasecmp(s, "http://", 7) == 0) &&
		   !(n >= 8 && strncasecmp(s, "https://", 8) == 0)) {
		snprintf(fx, sizeof(fx), "write for = \"/%s\"", Q(s, n));
		ntl_add(c, NTL_HDR_1, SIM_MEDIUM, ntl_at_val(f), SIM_FIX_SUGGEST, fx,
		    "for '%s' does not start with /: request paths always do, so it matches nothing", Q(s, n));
	}
}

/* One [[headers]] block; the headers it sets go into USES for the duplicate check. */
static void check_header_block(struct ntl *c, const struct toml_value *t, struct header_use *uses, size_t *nuses,
			       size_t cap)
{
	const struct toml_value *f = toml_table_get(t, "for"), *vals = toml_table_get(t, "values"), *e;
	const char *k, *path = NULL;
	size_t i, kn, pathlen = 0, stray = 0;

	check_header_for(c, t, f);
	ntl_str_of(f, &path, &pathlen);
	for (i = 0; (e = toml_table_at(t, i, &k, &kn)); i++) {
		if (ntl_key_is(k, kn, "for") || ntl_key_is(k, kn, "values"))
			continue;
		stray++;
		ntl_add(c, NTL_HDR_2, SIM_HIGH, ntl_at_key(e), SIM_FIX_SUGGEST, "move it under [headers.values]",
		    "'%s' is not read from a header block (only for and values are): the header is not sent", Q(k, kn));
	}
	if (!vals) {
		if (!stray)
			ntl_add(c, NTL_HDR_2, SIM_MEDIUM, ntl_at_val(t), SIM_FIX_NONE, NULL,
			    "header block has no values: Netlify ignores it");
		return;
	}
	if (!ntl_is_type(vals, TOML_TABLE)) {
		ntl_add(c, NTL_HDR_2, SIM_HIGH, ntl_at_val(vals), SIM_FIX_NONE, NULL,
			"values must be a table of headers ([headers.values]), not %s: the block is dropped",
			ntl_a_type(vals));
		return;
	}
	if (toml_table_len(vals) == 0)
		ntl_add(c, NTL_HDR_2, SIM_MEDIUM, ntl_at_val(vals), SIM_FIX_NONE, NULL,
		    "values is empty: Netlify ignores the block");
	for (i = 0; (e = toml_table_at(vals, i, &k, &kn)); i++) {
		check_header_value(c, k, kn, e);
		if (path && *nuses < cap) {
			size_t slot = (*nuses)++;	/* one read, one write: the slot is also the use's order */

			uses[slot] = (struct header_use){ path, k, pathlen, kn, slot, e };
		}
	}
}

/* The same header set twice for the same path: Netlify sends both. */
static void check_header_duplicates(struct ntl *c, struct header_use *uses, size_t n)
{
	size_t i;

	if (n < 2)
		return;
	qsort(uses, n, sizeof(*uses), header_use_cmp);
	for (i = 1; i < n; i++) {
		struct header_use a = uses[i - 1], b = uses[i];

		if (a.pathlen != b.pathlen || memcmp(a.path, b.path, a.pathlen) || a.namelen != b.namelen ||
		    strncasecmp(a.name, b.name, a.namelen))
			continue;
		ntl_add(c, NTL_HDR_5, SIM_LOW, ntl_at_key(b.v), SIM_FIX_NONE, NULL,
		    "header '%s' for '%s' is also set at line %u: Netlify sends both values", Q(b.name, b.namelen),
		    Q(b.path, b.pathlen), ntl_at_key(a.v).line);
	}
}

void ntl_check_headers(struct ntl *c, const struct toml_value *v)
{
	const struct toml_value *e;
	struct header_use *uses;
	size_t i, n = 0, cap = 0;

	if (!ntl_is_type(v, TOML_ARRAY)) {
		ntl_not_an_array(c, v, "headers");
		if (ntl_is_type(v, TOML_TABLE))
			check_header_block(c, v, NULL, &n, 0);
		return;
	}
	for (i = 0; i < toml_array_len(v); i++)
		cap += toml_table_len(toml_table_get(toml_array_get(v, i), "values"));
	if (!(uses = calloc(cap + 1, sizeof(*uses)))) {
		c->err = err_set(ERR_NOMEM, "out of memory");
		return;
	}
	for (i = 0; i < toml_array_len(v); i++) {
		e = toml_array_get(v, i);
		if (ntl_is_type(e, TOML_TABLE))
			check_header_block(c, e, uses, &n, cap);
		else
			ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
			    "each header block must be a table, not %s", ntl_a_type(e));
	}
	check_header_duplicates(c, uses, n);
	free(uses);
}

/* ---- [[plugins]] ---- */

/* Why S is not a plugin package (an npm name, or a local path starting with . or /), or NULL when it is one. */
static const char *bad_package(const char *s, size_t n)
{
	const char *slash, *name;
	size_t i, at = n && s[0] == '@';

	if (n == 0)
		return "it is empty";
	if (s[0] == '.' || s[0] == '/')
		return NULL;
	if (memchr(s, ':', n))
		return "git, github and URL sources are not allowed: only an npm package name or a local path";
	if (memchr(s + at, '@', n - at))
		return "a version does not go in the name: use pinned_version";
	if (n > 214)
		return "it is longer than npm allows";
	slash = memchr(s, '/', n);
	if (at &&
	    (!slash || slash == s + 1 || slash == s + n - 1 || memchr(slash + 1, '/', (size_t)(s + n - slash - 1))))
		return "a scoped name is @scope/name";
	if (!at && slash)
		return "only a scoped name (@scope/name) may hold a /";
	for (i = at; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && !(s[i] && strchr("-._~/", s[i])))
			return "it holds characters npm names cannot";
	}
	name = at ? slash + 1 : s;
	if (name[0] == '.' || name[0] == '_')
		return "an npm name cannot start with . or _";
	return NULL;
}

static void check_package(struct ntl *c, const struct toml_value *t, const struct toml_value *pkg)
{
	const char *s, *why, *at;
	size_t n;
	char fx[FIX_MAX];

	if (!pkg) {
		if (toml_table_get(toml_table_get(t, "inputs"), "package"))
			ntl_add(c, NTL_PLUGIN_2, SIM_CRITICAL, ntl_at_val(t), SIM_FIX_SUGGEST,
			    "move package = ... above [plugins.inputs]",
			    "plugin has no package: its package line sits inside [plugins.inputs]; the build fails");
		else
			ntl_add(c, NTL_PLUGIN_2, SIM_CRITICAL, ntl_at_val(t), SIM_FIX_NONE, NULL,
			    "plugin has no package: the build fails at configuration validation");
		return;
	}
	if (!ntl_str_of(pkg, &s, &n)) {
		ntl_add(c, NTL_PLUGIN_2, SIM_CRITICAL, ntl_at_val(pkg), SIM_FIX_NONE, NULL,
		    "package must be a string, not %s", ntl_a_type(pkg));
		return;
	}
	if (!(why = bad_package(s, n)))
		return;
	at = n > 1 ? memchr(s + 1, '@', n - 1) : NULL;
	if (at && !memchr(s, ':', n))
		snprintf(fx, sizeof(fx), "write package = \"%s\" and pinned_version = \"%s\"", Q(s, (size_t)(at - s)),
			 Q(at + 1, (size_t)(s + n - at - 1)));
	ntl_add(c, NTL_PLUGIN_2, SIM_CRITICAL, ntl_at_val(pkg),
		at && !memchr(s, ':', n) ? SIM_FIX_SUGGEST : SIM_FIX_NONE, at ? fx : NULL,
		"package '%s' is not a plugin Netlify can install: %s", Q(s, n), why);
}

static void check_plugin(struct ntl *c, const struct toml_value *t)
{
	const struct toml_value *e;
	const char *k, *near;
	size_t i, kn;
	char fx[FIX_MAX];

	for (i = 0; (e = toml_table_at(t, i, &k, &kn)); i++) {
		if (ntl_key_is(k, kn, "inputs") && !ntl_is_type(e, TOML_TABLE)) {
			ntl_add(c, NTL_PLUGIN_4, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
			    "plugin inputs must be a table, not %s", ntl_a_type(e));
		} else if (ntl_key_is(k, kn, "pinned_version") && !ntl_is_type(e, TOML_STRING)) {
			ntl_add(c, NTL_PLUGIN_4, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
			    "pinned_version must be a string, not %s", ntl_a_type(e));
		} else if (!ntl_in_list(k, kn, plugin_keys, false)) {
			near = ntl_nearest(k, kn, plugin_keys);
			snprintf(fx, sizeof(fx), near ? "rename %s to %s" : "move %s into [plugins.inputs]", Q(k, kn),
				 near);
			ntl_add(c, NTL_PLUGIN_1, SIM_CRITICAL, ntl_at_key(e), SIM_FIX_SUGGEST, fx,
				"unknown plugin key '%s': a plugin takes only package, inputs and pinned_version; the build "
				"fails at configuration validation",
				Q(k, kn));
		}
	}
	check_package(c, t, toml_table_get(t, "package"));
}

/* The same package twice in the top-level [[plugins]]: the build refuses it. */
static void check_plugin_duplicates(struct ntl *c, const struct toml_value *v)
{
	const struct toml_value *a, *b;
	const char *as, *bs;
	size_t i, j, an, bn;

	for (j = 1; j < toml_array_len(v); j++) {
		b = toml_table_get(toml_array_get(v, j), "package");
		if (!ntl_str_of(b, &bs, &bn))
			continue;
		for (i = 0; i < j; i++) {
			a = toml_table_get(toml_array_get(v, i), "package");
			if (ntl_str_of(a, &as, &an) && an == bn && memcmp(as, bs, an) == 0) {
				ntl_add(c, NTL_PLUGIN_3, SIM_CRITICAL, ntl_at_val(b), SIM_FIX_SUGGEST,
				    "merge the two blocks into one",
				    "plugin '%s' is listed twice (also at line %u): the build fails with \"must not be "
				    "specified twice\"", Q(bs, bn), ntl_at_val(a).line);
				break;
			}
		}
	}
}

void ntl_check_plugins(struct ntl *c, const struct toml_value *v, const char *where, bool top)
{
	const struct toml_value *e;
	size_t i;

	if (!ntl_is_type(v, TOML_ARRAY)) {
		ntl_not_an_array(c, v, top ? "plugins" : where);
		if (ntl_is_type(v, TOML_TABLE))
			check_plugin(c, v);
		return;
	}
	for (i = 0; i < toml_array_len(v); i++) {
		e = toml_array_get(v, i);
		if (ntl_is_type(e, TOML_TABLE))
			check_plugin(c, e);
		else
			ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
			    "each plugin must be a table, not %s", ntl_a_type(e));
	}
	if (top)
		check_plugin_duplicates(c, v);
}
