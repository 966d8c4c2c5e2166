/* netlify.toml checks: [functions], [[edge_functions]], [dev] and [database]. */
#include "platform/netlify/check.h"
#include "util/banned.h"

static const char *const func_props[] = { "directory", "node_bundler", "external_node_modules",
					  "ignored_node_modules", "included_files", "deno_import_map", "memory",
					  "region", "vcpu", "schedule", "background", NULL };

static const char *const node_bundlers[] = { "esbuild", "nft", "zisi", "none", NULL };

static const char *const edge_keys[] = { "function", "path", "pattern", "excludedPath", "excludedPattern", "cache",
					 "method", "header", "name", NULL };

static const char *const http_methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", NULL };

static const char *const dev_keys[] = { "command", "port", "targetPort", "functionsPort", "staticServerPort",
					"publish", "jwtRolePath", "jwtSecret", "autoLaunch", "framework", "https",
					"envFiles", "functions", "live", "base", "pollingStrategies", "watchIgnore",
					"edge_functions", "environment", NULL };

/* ---- [functions] ---- */

/* One field of a cron expression: numbers in [LO, HI], *, ?, ranges, lists, steps and names. */
static bool cron_field_ok(const char *s, size_t n, long lo, long hi)
{
	size_t i = 0;
	long x;
	char prev = 0;

	if (n == 0)
		return false;
	while (i < n) {
		if (isdigit((unsigned char)s[i])) {
			for (x = 0; i < n && isdigit((unsigned char)s[i]); i++)
				x = x < 100000 ? x * 10 + (s[i] - '0') : x;
			/* after / a step and after # the nth weekday: counts, not values of the field */
			if ((prev == '/' || prev == '#') ? x < 1 : (x < lo || x > hi))
				return false;
			prev = '0';
		} else if (isalpha((unsigned char)s[i]) || (s[i] && strchr("*?,-/#", s[i]))) {
			prev = s[i++];
		} else {
			return false;
		}
	}
	return true;
}

/* A schedule the build accepts: five (or six, with seconds) cron fields, or @hourly and friends. */
static bool cron_ok(const char *s, size_t n)
{
	static const char *const macros[] = {
		"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly", NULL
	};
	static const long lo[] = { 0, 0, 0, 1, 1, 0 }, hi[] = { 59, 59, 23, 31, 12, 7 };
	const char *f[7];
	size_t fn[7], k = 0, i = 0, start, skip;

	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	if (n && s[0] == '@')
		return ntl_in_list(s, n, macros, true);
	while (i < n) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i == n)
			break;
		if (k == 7)
			return false;
		for (start = i; i < n && !isspace((unsigned char)s[i]); i++)
			;
		f[k] = s + start;
		fn[k++] = i - start;
	}
	if (k != 5 && k != 6)
		return false;
	skip = k == 5 ? 1 : 0;
	for (i = 0; i < k; i++) {
		if (!cron_field_ok(f[i], fn[i], lo[i + skip], hi[i + skip]))
			return false;
	}
	return true;
}

/* memory: megabytes as a number, or a string with a unit ("2gb"). */
static bool memory_ok(const struct toml_value *v)
{
	const char *s;
	size_t n, i;
	double f;
	int64_t x;

	if (ntl_is_type(v, TOML_INTEGER))
		return toml_get_int(v, &x) == 0 && x > 0;
	if (ntl_is_type(v, TOML_FLOAT))
		return toml_get_float(v, &f) == 0 && f > 0;
	if (!ntl_str_of(v, &s, &n))
		return false;
	for (i = 0; i < n && (isdigit((unsigned char)s[i]) || s[i] == '.'); i++)
		;
	if (i == 0)
		return false;
	while (i < n && s[i] == ' ')
		i++;
	return ntl_key_is_ci(s + i, n - i, "mb") || ntl_key_is_ci(s + i, n - i, "gb") ||
	       ntl_key_is_ci(s + i, n - i, "m") || ntl_key_is_ci(s + i, n - i, "g") ||
	       ntl_key_is_ci(s + i, n - i, "mib") || ntl_key_is_ci(s + i, n - i, "gib") || i == n;
}

static void func_bad(struct ntl *c, const struct toml_value *v, const char *what, const char *want)
{
	ntl_add(c, NTL_FUNC_2, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
	    "%s must be %s, not %s: the build stops at configuration validation", what, want, ntl_a_type(v));
}

/* One property of [functions] (TOP) or of a [functions.NAME] table. */
static void check_func_prop(struct ntl *c, const char *k, size_t kn, const struct toml_value *v, bool top,
			    const char *what)
{
	const char *s, *near;
	size_t n;
	double f = 0;
	int64_t x;
	char fx[FIX_MAX];

	if (ntl_key_is(k, kn, "directory")) {
		if (!top)
			ntl_add(c, NTL_FUNC_3, SIM_CRITICAL, ntl_at_key(v), SIM_FIX_SUGGEST,
			    "move directory to the top-level [functions] table",
			    "%s: directory can only be set in the top-level [functions] table, not per function", what);
		else if (!ntl_is_type(v, TOML_STRING))
			func_bad(c, v, what, "a string path");
		else
			ntl_check_path(c, v, what, c->base_depth);
	} else if (ntl_key_is(k, kn, "node_bundler")) {
		if (!ntl_str_of(v, &s, &n)) {
			func_bad(c, v, what, "one of esbuild, nft, zisi, none");
		} else if (!ntl_in_list(s, n, node_bundlers, false)) {
			near = ntl_nearest(s, n, node_bundlers);
			if (near)
				snprintf(fx, sizeof(fx), "write node_bundler = \"%s\"", near);
			ntl_add(c, NTL_FUNC_2, SIM_CRITICAL, ntl_at_val(v), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE,
				near ? fx : NULL, "node_bundler '%s' is not one of esbuild, nft, zisi, none", Q(s, n));
		}
	} else if (ntl_key_is(k, kn, "external_node_modules") || ntl_key_is(k, kn, "ignored_node_modules") ||
		   ntl_key_is(k, kn, "included_files")) {
		if (!ntl_all_strings(v))
			func_bad(c, v, what, "an array of strings");
	} else if (ntl_key_is(k, kn, "deno_import_map")) {
		if (!ntl_is_type(v, TOML_STRING))
			func_bad(c, v, what, "a string path");
		else
			ntl_check_path(c, v, what, c->base_depth);
	} else if (ntl_key_is(k, kn, "memory")) {
		if (!memory_ok(v))
			func_bad(c, v, what, "a number of megabytes or a size such as \"2gb\"");
	} else if (ntl_key_is(k, kn, "region")) {
		if (!ntl_is_type(v, TOML_STRING))
			func_bad(c, v, what, "a string");
	} else if (ntl_key_is(k, kn, "vcpu")) {
		if (ntl_is_type(v, TOML_INTEGER) && toml_get_int(v, &x) == 0)
			f = (double)x;
		else if (ntl_is_type(v, TOML_FLOAT))
			toml_get_float(v, &f);
		if (!(f >= 0.5 && f <= 2))
			ntl_add(c, NTL_FUNC_2, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
			    "%s must be a number from 0.5 to 2", what);
	} else if (ntl_key_is(k, kn, "schedule")) {
		if (!ntl_str_of(v, &s, &n) || !cron_ok(s, n))
			ntl_add(c, NTL_FUNC_4, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
				"%s is not a cron expression (five fields, or @hourly, @daily, @weekly, @monthly, @yearly): "
				"the build fails",
				what);
	}
}

/* A [functions.NAME] table (NAME may be a glob): function properties only. */
static void check_function_config(struct ntl *c, const struct toml_value *t, const char *where, const char *name,
				  size_t nn)
{
	const struct toml_value *e;
	const char *k, *near;
	char what[2 * QUOTE_MAX + 32], fx[FIX_MAX];
	size_t i, kn;
	bool top = ntl_key_is(name, nn, "*");

	for (i = 0; (e = toml_table_at(t, i, &k, &kn)); i++) {
		snprintf(what, sizeof(what), "%s.%s.%s", where, Q(name, nn), Q(k, kn));
		if (ntl_in_list(k, kn, func_props, false)) {
			check_func_prop(c, k, kn, e, top, what);
			continue;
		}
		near = ntl_nearest(k, kn, func_props);
		if (near)
			snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
		ntl_add(c, NTL_FUNC_1, SIM_MEDIUM, ntl_at_key(e), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE,
			near ? fx : NULL, "unknown function setting '%s' is ignored%s", Q(k, kn),
			ntl_key_is(k, kn, "timeout") ? " (the timeout is set in the Netlify UI, not in netlify.toml)"
						     : "");
	}
}

void ntl_check_functions(struct ntl *c, const struct toml_value *v, const char *where)
{
	const struct toml_value *e;
	const char *k, *near;
	char what[2 * QUOTE_MAX + 16], fx[FIX_MAX];
	size_t i, kn;

	if (!ntl_is_type(v, TOML_TABLE)) {
		ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(v), ntl_is_aot(v) ? SIM_FIX_SUGGEST : SIM_FIX_NONE,
		    "write [functions] with single brackets", "%s must be a table, not %s", where, ntl_a_type(v));
		return;
	}
	for (i = 0; (e = toml_table_at(v, i, &k, &kn)); i++) {
		snprintf(what, sizeof(what), "%s.%s", where, Q(k, kn));
		/* a table is a function's own settings, whatever its name: the build tells them apart by type */
		if (ntl_is_type(e, TOML_TABLE)) {
			check_function_config(c, e, where, k, kn);
		} else if (ntl_in_list(k, kn, func_props, false)) {
			check_func_prop(c, k, kn, e, true, what);
		} else {
			near = ntl_nearest(k, kn, func_props);
			if (near)
				snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
			ntl_add(c, NTL_FUNC_1, SIM_MEDIUM, ntl_at_key(e), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE,
				near ? fx : NULL, "unknown [functions] setting '%s' is ignored%s", Q(k, kn),
				ntl_key_is(k, kn, "timeout")
					? " (the timeout is set in the Netlify UI, not in netlify.toml)"
					: "");
		}
	}
}

/* ---- [[edge_functions]] ---- */

static bool method_ok(const struct toml_value *v)
{
	const char *s;
	size_t n, i;

	if (ntl_str_of(v, &s, &n))
		return ntl_in_list(s, n, http_methods, true);
	if (!ntl_is_type(v, TOML_ARRAY) || toml_array_len(v) == 0)
		return false;
	for (i = 0; i < toml_array_len(v); i++) {
		if (!ntl_str_of(toml_array_get(v, i), &s, &n) || !ntl_in_list(s, n, http_methods, true))
			return false;
	}
	return true;
}

static bool header_match_ok(const struct toml_value *v)
{
	const struct toml_value *e;
	size_t i;

	if (!ntl_is_type(v, TOML_TABLE))
		return false;
	for (i = 0; (e = toml_table_at(v, i, NULL, NULL)); i++) {
		if (!ntl_is_type(e, TOML_STRING) && !ntl_is_type(e, TOML_BOOL))
			return false;
	}
	return true;
}

/* The fields of one declaration besides function, path and pattern. */
static void check_edge_fields(struct ntl *c, const struct toml_value *t)
{
	const struct toml_value *e;
	const char *k, *s, *near;
	size_t i, kn, n;
	char fx[FIX_MAX];

	for (i = 0; (e = toml_table_at(t, i, &k, &kn)); i++) {
		if (!ntl_in_list(k, kn, edge_keys, false)) {
			near = ntl_nearest(k, kn, edge_keys);
			if (near)
				snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
			ntl_add(c, NTL_EDGE_1, SIM_CRITICAL, ntl_at_key(e), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE,
				near ? fx : NULL,
				"unknown edge function key '%s'%s: the build fails at configuration validation",
				Q(k, kn),
				ntl_key_is(k, kn, "generator") ? " (generator is set by the platform only)" : "");
		} else if ((ntl_key_is(k, kn, "excludedPath") || ntl_key_is(k, kn, "excludedPattern")) &&
			   !ntl_is_type(e, TOML_STRING) && !ntl_all_strings(e)) {
			ntl_add(c, NTL_EDGE_4, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
			    "%s must be a string or an array of strings, not %s", Q(k, kn), ntl_a_type(e));
		} else if (ntl_key_is(k, kn, "cache") &&
			   (!ntl_str_of(e, &s, &n) || !(ntl_key_is(s, n, "manual") || ntl_key_is(s, n, "off")))) {
			ntl_add(c, NTL_EDGE_5, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
			    "cache must be \"manual\" or \"off\"");
		} else if (ntl_key_is(k, kn, "method") && !method_ok(e)) {
			ntl_add(c, NTL_EDGE_5, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
			    "method must be GET, POST, PUT, PATCH, DELETE or OPTIONS, or a non-empty array of them");
		} else if (ntl_key_is(k, kn, "header") && !header_match_ok(e)) {
			ntl_add(c, NTL_EDGE_5, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
			    "header must be a table of strings or booleans");
		} else if (ntl_key_is(k, kn, "name") && !ntl_is_type(e, TOML_STRING)) {
			ntl_add(c, NTL_EDGE_5, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
				"name must be a string, not %s", ntl_a_type(e));
		}
	}
}

static void check_edge_function(struct ntl *c, const struct toml_value *t)
{
	const struct toml_value *fn = toml_table_get(t, "function"), *path = toml_table_get(t, "path"),
		*pat = toml_table_get(t, "pattern");
	const char *s;
	size_t n;
	char fx[FIX_MAX];

	if (!fn || !ntl_is_type(fn, TOML_STRING))
		ntl_add(c, NTL_EDGE_2, SIM_CRITICAL, fn ? ntl_at_val(fn) : ntl_at_val(t), SIM_FIX_NONE, NULL,
			fn ? "function must be a string (the edge function's name)"
			   : "edge function declaration has no function");
	if (!path && !pat)
		ntl_add(c, NTL_EDGE_3, SIM_CRITICAL, ntl_at_val(t), SIM_FIX_NONE, NULL,
		    "edge function declaration needs a path or a pattern");
	else if (path && pat)
		ntl_add(c, NTL_EDGE_3, SIM_CRITICAL, ntl_at_key(pat), SIM_FIX_NONE, NULL,
		    "path and pattern cannot both be set: use one");
	if (path && !ntl_str_of(path, &s, &n)) {
		ntl_add(c, NTL_EDGE_3, SIM_CRITICAL, ntl_at_val(path), SIM_FIX_NONE, NULL,
			"path must be a string, not %s", ntl_a_type(path));
	} else if (path && (n == 0 || s[0] != '/')) {
		snprintf(fx, sizeof(fx), "write path = \"/%s\"", Q(s, n));
		ntl_add(c, NTL_EDGE_3, SIM_CRITICAL, ntl_at_val(path), SIM_FIX_SUGGEST, fx,
			"path '%s' must start with /", Q(s, n));
	}
	if (pat && !ntl_is_type(pat, TOML_STRING))
		ntl_add(c, NTL_EDGE_3, SIM_CRITICAL, ntl_at_val(pat), SIM_FIX_NONE, NULL,
			"pattern must be a string, not %s", ntl_a_type(pat));
	if (toml_table_get(t, "excludedPath") && toml_table_get(t, "excludedPattern"))
		ntl_add(c, NTL_EDGE_4, SIM_CRITICAL, ntl_at_key(toml_table_get(t, "excludedPattern")), SIM_FIX_NONE,
			NULL, "excludedPath and excludedPattern cannot both be set");
	check_edge_fields(c, t);
}

void ntl_check_edge_functions(struct ntl *c, const struct toml_value *v, const char *where)
{
	const struct toml_value *e;
	size_t i;

	if (!ntl_is_type(v, TOML_ARRAY)) {
		ntl_not_an_array(c, v, where);
		return;
	}
	for (i = 0; i < toml_array_len(v); i++) {
		e = toml_array_get(v, i);
		if (ntl_is_type(e, TOML_TABLE))
			check_edge_function(c, e);
		else
			ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
			    "each edge function declaration must be a table, not %s", ntl_a_type(e));
	}
}

/* ---- [dev] (netlify dev only: nothing here reaches a deploy) ---- */

static void check_dev_port(struct ntl *c, const char *k, size_t kn, const struct toml_value *v)
{
	const char *s;
	size_t n, i;
	double f;
	char fx[FIX_MAX] = "";

	if (ntl_is_type(v, TOML_INTEGER))
		return;
	if (ntl_is_type(v, TOML_FLOAT) && toml_get_float(v, &f) == 0 && ntl_whole(f)) {
		snprintf(fx, sizeof(fx), "write %s = %.0f", Q(k, kn), f);
		ntl_add(c, NTL_TOML_7, SIM_MEDIUM, ntl_at_val(v), SIM_FIX_HEAL, fx,
			"dev.%s is a float: ports are integers", Q(k, kn));
		return;
	}
	for (i = 0; ntl_str_of(v, &s, &n) && i < n && isdigit((unsigned char)s[i]); i++)
		;
	if (ntl_is_type(v, TOML_STRING) && i == n && n > 0)
		snprintf(fx, sizeof(fx), "write %s = %s without quotes", Q(k, kn), Q(s, n));
	ntl_add(c, NTL_DEV_2, SIM_MEDIUM, ntl_at_val(v),
		ntl_is_type(v, TOML_STRING) && i == n && n ? SIM_FIX_SUGGEST : SIM_FIX_NONE, fx,
		"dev.%s must be a port number, not %s", Q(k, kn), ntl_a_type(v));
}

static void check_dev_key(struct ntl *c, const char *k, size_t kn, const struct toml_value *v)
{
	static const char *const strings[] = { "command", "publish", "jwtRolePath", "jwtSecret", "framework",
					       "functions", "base", "edge_functions", NULL };
	static const char *const lists[] = { "envFiles", "pollingStrategies", "watchIgnore", NULL };
	static const char *const frameworks[] = { "#auto", "#static", "#custom", NULL };
	const char *s;
	size_t n;

	if (ntl_key_is(k, kn, "port") || ntl_key_is(k, kn, "targetPort") || ntl_key_is(k, kn, "functionsPort") ||
	    ntl_key_is(k, kn, "staticServerPort"))
		check_dev_port(c, k, kn, v);
	else if (ntl_in_list(k, kn, strings, false) && !ntl_is_type(v, TOML_STRING))
		ntl_add(c, NTL_DEV_2, SIM_MEDIUM, ntl_at_val(v), SIM_FIX_NONE, NULL, "dev.%s must be a string, not %s",
		    Q(k, kn), ntl_a_type(v));
	else if (ntl_in_list(k, kn, lists, false) && !ntl_all_strings(v))
		ntl_add(c, NTL_DEV_2, SIM_MEDIUM, ntl_at_val(v), SIM_FIX_NONE, NULL,
			"dev.%s must be an array of strings", Q(k, kn));
	else if ((ntl_key_is(k, kn, "autoLaunch") || ntl_key_is(k, kn, "live")) && !ntl_is_type(v, TOML_BOOL))
		ntl_add(c, NTL_DEV_2, SIM_MEDIUM, ntl_at_val(v), SIM_FIX_NONE, NULL, "dev.%s must be a boolean, not %s",
		    Q(k, kn), ntl_a_type(v));
	else if (ntl_key_is(k, kn, "https") && (!ntl_is_type(toml_table_get(v, "certFile"), TOML_STRING) ||
					    !ntl_is_type(toml_table_get(v, "keyFile"), TOML_STRING)))
		ntl_add(c, NTL_DEV_2, SIM_MEDIUM, ntl_at_val(v), SIM_FIX_NONE, NULL,
		    "dev.https must be a table with certFile and keyFile strings");
	else if (ntl_key_is(k, kn, "framework") && ntl_str_of(v, &s, &n) && n && s[0] == '#' &&
		 !ntl_in_list(s, n, frameworks, false))
		ntl_add(c, NTL_DEV_2, SIM_MEDIUM, ntl_at_val(v), SIM_FIX_NONE, NULL,
		    "framework '%s' is not #auto, #static, #custom or a framework id", Q(s, n));
}

/* command and targetPort together mean netlify dev runs a custom server: framework must say "#custom". */
static void check_dev_custom(struct ntl *c, const struct toml_value *v)
{
	const struct toml_value *fw = toml_table_get(v, "framework"), *port = toml_table_get(v, "targetPort");
	const char *s;
	size_t n;

	if (!toml_table_get(v, "command") || !port)
		return;
	if (!fw)
		ntl_add(c, NTL_DEV_1, SIM_MEDIUM, ntl_at_key(port), SIM_FIX_HEAL,
			"add framework = \"#custom\" to [dev]",
			"[dev] sets command and targetPort without framework = \"#custom\": netlify dev refuses to start");
	else if (!ntl_str_of(fw, &s, &n) || !ntl_key_is(s, n, "#custom"))
		ntl_add(c, NTL_DEV_1, SIM_MEDIUM, ntl_at_val(fw), SIM_FIX_SUGGEST, "set framework = \"#custom\"",
			"[dev] sets command and targetPort, so framework must be \"#custom\": netlify dev refuses to start");
}

void ntl_check_dev(struct ntl *c, const struct toml_value *v)
{
	const struct toml_value *e;
	const char *k, *near;
	size_t i, kn;
	char fx[FIX_MAX];

	if (!ntl_is_type(v, TOML_TABLE)) {
		ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL, "dev must be a table, not %s",
			ntl_a_type(v));
		return;
	}
	for (i = 0; (e = toml_table_at(v, i, &k, &kn)); i++) {
		if (ntl_key_is(k, kn, "environment")) {
			ntl_add(c, NTL_CTX_4, SIM_MEDIUM, ntl_at_key(e), SIM_FIX_HEAL,
			    "move [dev.environment] to [context.dev.environment]",
			    "[dev] has no environment: netlify dev takes its variables from [context.dev.environment]");
		} else if (ntl_in_list(k, kn, dev_keys, false)) {
			check_dev_key(c, k, kn, e);
		} else {
			near = ntl_nearest(k, kn, dev_keys);
			if (near)
				snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
			ntl_add(c, NTL_DEV_3, SIM_MEDIUM, ntl_at_key(e), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE,
				near ? fx : NULL, "unknown [dev] setting '%s' is ignored by netlify dev", Q(k, kn));
		}
	}
	check_dev_custom(c, v);
}

/* ---- the rest of the top level ---- */

void ntl_check_database(struct ntl *c, const struct toml_value *v)
{
	const struct toml_value *m = toml_table_get(v, "migrations"), *p = toml_table_get(m, "path");

	if (!ntl_is_type(v, TOML_TABLE)) {
		ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
			"database must be a table, not %s", ntl_a_type(v));
		return;
	}
	if (m && !ntl_is_type(m, TOML_TABLE))
		ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(m), SIM_FIX_NONE, NULL,
		    "database.migrations must be a table, not %s", ntl_a_type(m));
	else if (p)
		ntl_check_path_type(c, p, "database.migrations.path", c->base_depth);
}
