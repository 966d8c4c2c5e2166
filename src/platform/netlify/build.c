/* netlify.toml checks: [build] and [context.*]: environment, processing, command, base and publish. */
#include "platform/netlify/check.h"
#include "util/banned.h"

static const char *const build_keys[] = { "base", "publish", "command", "functions", "edge_functions", "ignore",
					  "environment", "processing", NULL };

static const char *const context_keys[] = { "base", "publish", "command", "functions", "edge_functions", "ignore",
					    "environment", "processing", "plugins", "build", "redirects", "headers",
					    NULL };

/* ---- [build] and [context.*] ---- */

/* Split "K=V K2=V2" into a table's lines for the fix; false when S is not that shape. */
static bool env_string_fix(const char *s, size_t n, const char *where, char *fx, size_t fxn)
{
	size_t i = 0, k, eq, used, pairs = 0;
	int w;

	w = snprintf(fx, fxn, "replace the string with a table: [%s.environment]", where);
	used = w > 0 ? (size_t)w : 0;
	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		if (i == n)
			break;
		for (k = i, eq = SIZE_MAX; k < n && s[k] != ' ' && s[k] != '\t' && s[k] != ','; k++) {
			if (s[k] == '=' && eq == SIZE_MAX)
				eq = k;
		}
		if (eq == SIZE_MAX || eq == i || !ntl_env_like(s + i, eq - i) || memchr(s + i, 0, k - i) ||
		    memchr(s + i, '"', k - i) || memchr(s + i, '\\', k - i))
			return false;
		if (used < fxn) {
			w = snprintf(fx + used, fxn - used, " %.*s = \"%.*s\"", (int)(eq - i), s + i, (int)(k - eq - 1),
				     s + eq + 1);
			used += w > 0 ? (size_t)w : 0;
		}
		pairs++;
		i = k;
	}
	return pairs > 0;
}

/* environment: a table of strings, as the buildbot unmarshals it into map[string]string. */
static void check_environment(struct ntl *c, const struct toml_value *v, const char *where)
{
	const struct toml_value *e;
	char fx[FIX_MAX], txt[QUOTE_MAX];
	const char *s, *k;
	size_t i, n, kn;

	if (ntl_str_of(v, &s, &n)) {
		bool heal = env_string_fix(s, n, where, fx, sizeof(fx));

		ntl_add(c, NTL_BUILD_2, SIM_CRITICAL, ntl_at_val(v), heal ? SIM_FIX_HEAL : SIM_FIX_NONE,
			heal ? fx : NULL,
			"%s.environment must be a table of strings, not a string: the build fails with \"cannot unmarshal "
			"string into ... map[string]string\"",
			where);
		return;
	}
	if (!ntl_is_type(v, TOML_TABLE)) {
		ntl_add(c, NTL_BUILD_2, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
		    "%s.environment must be a table of strings, not %s", where, ntl_a_type(v));
		return;
	}
	for (i = 0; (e = toml_table_at(v, i, &k, &kn)); i++) {
		if (ntl_is_type(e, TOML_STRING))
			continue;
		if (ntl_is_type(e, TOML_TABLE) && ntl_key_is(k, kn, "environment")) {
			snprintf(fx, sizeof(fx), "move the keys of %s.environment.environment up into [%s.environment]",
				 where, where);
			ntl_add(c, NTL_BUILD_3, SIM_HIGH, ntl_at_key(e), SIM_FIX_HEAL, fx,
			    "environment nested in environment makes one variable literally named 'environment': the "
			    "variables inside it are never set");
		} else if (ntl_is_scalar(e)) {
			snprintf(fx, sizeof(fx), "quote it: %s = \"%s\"", Q(k, kn),
				 ntl_val_text(c, e, txt, sizeof(txt)));
			ntl_add(c, NTL_BUILD_2, SIM_MEDIUM, ntl_at_val(e), SIM_FIX_HEAL, fx,
			    "environment variable '%s' is %s: environment values are strings", Q(k, kn), ntl_a_type(e));
		} else {
			ntl_add(c, NTL_BUILD_2, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
				"environment variable '%s' is %s: the build fails, environment values must be strings",
				Q(k, kn), ntl_a_type(e));
		}
	}
}

static void check_processing(struct ntl *c, const struct toml_value *v, const char *where)
{
	static const char *const groups[] = { "css", "js", "html", "images", NULL };
	const struct toml_value *g, *e;
	const char *k, *gk;
	size_t i, j, kn, gn;

	if (!ntl_is_type(v, TOML_TABLE)) {
		ntl_add(c, NTL_BUILD_10, SIM_MEDIUM, ntl_at_val(v), SIM_FIX_NONE, NULL,
		    "%s.processing must be a table, not %s", where, ntl_a_type(v));
		return;
	}
	for (i = 0; (g = toml_table_at(v, i, &gk, &gn)); i++) {
		if (ntl_key_is(gk, gn, "skip_processing")) {
			if (!ntl_is_type(g, TOML_BOOL))
				ntl_add(c, NTL_BUILD_10, SIM_MEDIUM, ntl_at_val(g), SIM_FIX_NONE, NULL,
				    "skip_processing must be a boolean, not %s", ntl_a_type(g));
			continue;
		}
		if (!ntl_in_list(gk, gn, groups, false) || !ntl_is_type(g, TOML_TABLE)) {
			ntl_add(c, NTL_BUILD_10, SIM_MEDIUM, ntl_at_key(g), SIM_FIX_NONE, NULL,
			    "unknown processing setting '%s': ignored", Q(gk, gn));
			continue;
		}
		if (!ntl_key_is(gk, gn, "html"))
			ntl_add(c, NTL_BUILD_10, SIM_MEDIUM, ntl_at_key(g), SIM_FIX_NONE, NULL,
			    "processing.%s is legacy asset optimization that Netlify no longer documents", Q(gk, gn));
		for (j = 0; (e = toml_table_at(g, j, &k, &kn)); j++) {
			if (!ntl_is_type(e, TOML_BOOL))
				ntl_add(c, NTL_BUILD_10, SIM_MEDIUM, ntl_at_val(e), SIM_FIX_NONE, NULL,
				    "processing.%s.%s must be a boolean, not %s", Q(gk, gn), Q(k, kn), ntl_a_type(e));
		}
	}
}

/* ---- build commands and package.json ---- */

/* DIR/BASE/package.json as a JSON object, or NULL when it is missing, does not parse or BASE leaves the tree. */
static json_t *load_package(const struct ntl *c, const char *base, size_t bn)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *pkg;
	int n;

	if (!c->dir || bn > 4096 || memchr(base, 0, bn) || ntl_path_depth(base, bn, 0) < 0)
		return NULL;
	n = snprintf(path, sizeof(path), "%s/%.*s%spackage.json", c->dir, (int)bn, base, bn ? "/" : "");
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;
	pkg = json_load_file(path, 0, &jerr);
	if (!json_is_object(pkg)) {
		json_decref(pkg);
		return NULL;
	}
	return pkg;
}

/* Split one shell command at blanks; false when it uses quoting or expansions this reading does not follow. */
static bool split_words(const char *s, size_t n, struct words *w)
{
	size_t i = 0, start;

	w->count = 0;
	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i == n)
			break;
		start = i;
		for (; i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r'; i++) {
			if (!s[i] || strchr("\"'`$()<>{}\\*?", s[i]))
				return false;
		}
		if (w->count == WORDS_MAX)
			return false;
		w->w[w->count] = s + start;
		w->n[w->count++] = i - start;
	}
	return true;
}

static bool word_is(const struct words *w, size_t i, const char *s)
{
	return i < w->count && ntl_key_is(w->w[i], w->n[i], s);
}

/* NAME=value before a command. */
static bool is_assignment(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && (isalnum((unsigned char)s[i]) || s[i] == '_'); i++)
		;
	return i > 0 && i < n && s[i] == '=' && !isdigit((unsigned char)s[0]);
}

/* Flags that move the command to another package or make a missing script fine. */
static bool has_elsewhere_flag(const struct words *w, size_t from)
{
	static const char *const flags[] = { "--prefix", "-C", "--dir", "--cwd", "-w", "--workspace", "-ws",
					     "--workspaces", "--filter", "-F", "-r", "--recursive", "--if-present",
					     "--silent-if-missing", NULL };
	size_t i, k;

	for (i = from; i < w->count; i++) {
		for (k = 0; flags[k]; k++) {
			size_t fl = strlen(flags[k]);

			if (w->n[i] >= fl && memcmp(w->w[i], flags[k], fl) == 0 &&
			    (w->n[i] == fl || w->w[i][fl] == '='))
				return true;
		}
	}
	return false;
}

/* A word `yarn X` / `pnpm X` may name besides a script: one of their own commands or a well-known binary. */
static bool runs_other_than_script(const char *s, size_t n)
{
	static const char *const names[] = {
		/* yarn and pnpm commands */
		"add", "audit", "autoclean", "bin", "cache", "check", "config", "constraints", "create", "dedupe",
		"deploy", "dlx", "doctor", "env", "exec", "explain", "fetch", "generate-lock-entry", "global", "help",
		"i", "import", "info", "init", "install", "licenses", "link", "list", "login", "logout", "ls", "node",
		"npm", "outdated", "owner", "pack", "patch", "plugin", "policies", "prune", "publish", "rebuild",
		"recursive", "remove", "rm", "root", "search", "server", "set", "setup", "stage", "store", "tag",
		"team", "unlink", "unplug", "up", "update", "upgrade", "upgrade-interactive", "version", "versions",
		"why", "workspace", "workspaces", "ci",
		/* binaries of common build tools, which yarn and pnpm run when no script has the name */
		"astro", "build-storybook", "cross-env", "docusaurus", "eleventy", "elm", "ember", "esbuild",
		"eslint", "gatsby", "gridsome", "grunt", "gulp", "hexo", "hugo", "jest", "lerna", "mkdocs", "netlify",
		"next", "ng", "node", "npm-run-all", "nuxi", "nuxt", "nx", "pagefind", "parcel", "postcss",
		"prettier", "prisma", "quasar", "react-scripts", "remix", "rimraf", "rollup", "run-p", "run-s",
		"sapper", "sass", "storybook", "svelte-kit", "tailwindcss", "tsc", "tsup", "tsx", "ts-node", "turbo",
		"vite", "vitepress", "vitest", "vue-cli-service", "vuepress", "webpack", "wrangler", "zola", NULL,
	};

	return ntl_in_list(s, n, names, false);
}

/* True when a dependency of PKG provides a binary probably called NAME (its name without the scope). */
static bool dependency_named(json_t *pkg, const char *name, size_t n)
{
	static const char *const fields[] = { "dependencies", "devDependencies", "optionalDependencies",
					      "peerDependencies", NULL };
	const char *dep, *slash;
	json_t *deps, *v;
	size_t i;

	for (i = 0; fields[i]; i++) {
		if (!json_is_object(deps = json_object_get(pkg, fields[i])))
			continue;
		json_object_foreach(deps, dep, v) {
			slash = strrchr(dep, '/');
			if (ntl_key_is(name, n, slash ? slash + 1 : dep))
				return true;
		}
	}
	return false;
}

static bool has_script(json_t *pkg, const char *name, size_t n)
{
	json_t *scripts = json_object_get(pkg, "scripts");
	const char *k;
	json_t *v;

	if (!json_is_object(scripts))
		return false;
	json_object_foreach(scripts, k, v) {
		if (ntl_key_is(name, n, k))
			return true;
	}
	return false;
}

/* One command of a build command line: report an npm script it runs that package.json lacks. False after `cd`. */
static bool check_segment(struct ntl *c, const struct toml_value *cmd, const char *s, size_t n, json_t *pkg,
			  const char *base, size_t bn)
{
	struct words w;
	size_t k = 0, script;
	bool strict = true;
	char fx[FIX_MAX];
	const char *near = NULL, *sk;
	json_t *scripts, *sv;

	if (!split_words(s, n, &w))
		return true;
	while (k < w.count && is_assignment(w.w[k], w.n[k]))
		k++;
	if (k == w.count)
		return true;
	if (word_is(&w, k, "cd") || word_is(&w, k, "pushd"))
		return false;
	if (word_is(&w, k, "npm") && (word_is(&w, k + 1, "run") || word_is(&w, k + 1, "run-script"))) {
		script = k + 2;
	} else if ((word_is(&w, k, "yarn") || word_is(&w, k, "pnpm")) && k + 1 < w.count) {
		if (word_is(&w, k + 1, "run")) {
			script = k + 2;
			strict = word_is(&w, k, "pnpm");
		} else {
			script = k + 1;
			strict = false;
		}
	} else {
		return true;
	}
	if (script >= w.count || w.w[script][0] == '-' || has_elsewhere_flag(&w, k + 1) ||
	    has_script(pkg, w.w[script], w.n[script]))
		return true;
	if (!strict && (runs_other_than_script(w.w[script], w.n[script]) ||
			dependency_named(pkg, w.w[script], w.n[script])))
		return true;
	if (json_is_object(scripts = json_object_get(pkg, "scripts"))) {
		json_object_foreach(scripts, sk, sv) {
			const char *one[] = { sk, NULL };

			if (!near && ntl_nearest(w.w[script], w.n[script], one))
				near = sk;
		}
	}
	if (near)
		snprintf(fx, sizeof(fx), "run the script '%s', which package.json has", Q(near, strlen(near)));
	ntl_add(c, NTL_BUILD_8, SIM_CRITICAL, ntl_at_val(cmd), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE, near ? fx : NULL,
	    "the command runs the script '%s', which %s%spackage.json does not define: the build fails with "
	    "\"Missing script\"", Q(w.w[script], w.n[script]), bn ? Q(base, bn) : "", bn ? "/" : "");
	return true;
}

/* The scripts a build command runs through npm, yarn or pnpm must be in package.json, when there is one. */
static void check_scripts(struct ntl *c, const struct toml_value *cmd, const char *s, size_t n,
			  const struct toml_value *base)
{
	const char *b = "";
	size_t bn = 0, i = 0, start = 0;
	json_t *pkg;

	ntl_str_of(base, &b, &bn);
	ntl_path_trim(&b, &bn);
	if (!(pkg = load_package(c, b, bn)))
		return;
	while (start <= n) {
		for (i = start; i < n && s[i] != ';' && s[i] != '\n' && s[i] != '|' && s[i] != '&'; i++)
			;
		if (!check_segment(c, cmd, s + start, i - start, pkg, b, bn) || i >= n)
			break;
		start = i + (i + 1 < n && (s[i + 1] == '&' || s[i + 1] == '|') && s[i + 1] == s[i] ? 2 : 1);
	}
	json_decref(pkg);
}

static void check_command(struct ntl *c, const struct toml_value *v, const char *where, const struct toml_value *base)
{
	const char *s;
	size_t n;

	if (!ntl_str_of(v, &s, &n)) {
		ntl_add(c, NTL_BUILD_8, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
			"%s.command must be a string, not %s: the build stops at configuration validation", where,
			ntl_a_type(v));
		return;
	}
	check_scripts(c, v, s, n, base);
}

/* base must stay in the repository and, when the tree is here, exist. */
static void check_base(struct ntl *c, const struct toml_value *v, const char *where)
{
	const char *s;
	size_t n;

	if (!ntl_check_path_type(c, v, "base", 0))
		return;
	ntl_str_of(v, &s, &n);
	ntl_path_trim(&s, &n);
	if (n && c->dir && ntl_path_depth(s, n, 0) >= 0 && !ntl_dir_exists(c->dir, s, n, NULL, 0))
		ntl_add(c, NTL_BUILD_4, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
		    "%s.base '%s' is not a directory of the repository: the build fails with \"Base directory does not "
		    "exist\"", where, Q(s, n));
}

/* publish is resolved inside base: repeating base's name makes base/base/... */
static void check_publish_repeats_base(struct ntl *c, const struct toml_value *pub, const struct toml_value *base,
				       const char *where)
{
	const char *p, *b;
	size_t pn, bn;
	char fx[FIX_MAX];

	if (!ntl_str_of(pub, &p, &pn) || !ntl_str_of(base, &b, &bn))
		return;
	ntl_path_trim(&p, &pn);
	ntl_path_trim(&b, &bn);
	if (bn == 0 || pn < bn || memcmp(p, b, bn) != 0 || (pn > bn && p[bn] != '/'))
		return;
	/* a nested folder of that name really exists: then the path is right */
	if (ntl_dir_exists(c->dir, b, bn, p, pn))
		return;
	if (pn == bn) {
		ntl_add(c, NTL_BUILD_6, SIM_HIGH, ntl_at_val(pub), SIM_FIX_SUGGEST,
		    "leave publish out (or write publish = \".\") to deploy the base directory itself",
		    "%s.publish '%s' is resolved inside base '%s', so Netlify deploys '%s/%s', which does not exist",
		    where, Q(p, pn), Q(b, bn), Q(b, bn), Q(p, pn));
		return;
	}
	snprintf(fx, sizeof(fx), "change publish to \"%s\" (strip the base prefix '%s/')", Q(p + bn + 1, pn - bn - 1),
		 Q(b, bn));
	ntl_add(c, NTL_BUILD_6, SIM_HIGH, ntl_at_val(pub), SIM_FIX_HEAL, fx,
	    "%s.publish '%s' repeats base '%s': publish is resolved inside base, so the deploy fails with \"Deploy "
	    "directory '%s/%s' does not exist\"", where, Q(p, pn), Q(b, bn), Q(b, bn), Q(p, pn));
}

static void check_build_table(struct ntl *c, const struct toml_value *t, const char *where,
			      const struct toml_value *inherited_base, enum build_kind kind);

/* A key Netlify does not read in [build] or [context.NAME]: an env var, a typo, an unquoted branch name. */
static void unknown_build_key(struct ntl *c, const char *where, const char *k, size_t kn, const struct toml_value *v,
			      enum build_kind kind)
{
	static const char *const renames[][2] = { { "public", "publish" },
						  { "cmd", "command" },
						  { "env", "environment" },
						  { "publish_dir", "publish" },
						  { "build_command", "command" } };
	const char *near = NULL;
	char fx[FIX_MAX];
	size_t i;

	if (ntl_env_like(k, kn) && ntl_is_scalar(v)) {
		snprintf(fx, sizeof(fx), "move %s into [%s.environment]", Q(k, kn), where);
		ntl_add(c, kind == KIND_CONTEXT ? NTL_CTX_2 : NTL_BUILD_1, SIM_HIGH, ntl_at_key(v), SIM_FIX_HEAL, fx,
		    "'%s' directly under [%s] is not an environment variable: Netlify ignores it (variables go in "
		    "[%s.environment])", Q(k, kn), where, where);
		return;
	}
	for (i = 0; i < sizeof(renames) / sizeof(renames[0]) && !near; i++) {
		if (ntl_key_is_ci(k, kn, renames[i][0]))
			near = renames[i][1];
	}
	if (near || (near = ntl_nearest(k, kn, kind == KIND_CONTEXT ? context_keys : build_keys))) {
		snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
		ntl_add(c, NTL_BUILD_1, SIM_HIGH, ntl_at_key(v), SIM_FIX_HEAL, fx,
		    "unknown key '%s' in [%s] is ignored: did you mean '%s'?", Q(k, kn), where, near);
	} else if (kind == KIND_CONTEXT && ntl_is_type(v, TOML_TABLE)) {
		snprintf(fx, sizeof(fx), "quote the branch name: [context.\"%s.%s\"]", where + 8, Q(k, kn));
		ntl_add(c, NTL_CTX_3, SIM_HIGH, ntl_at_key(v), ntl_has_header(c, v) ? SIM_FIX_HEAL : SIM_FIX_SUGGEST,
			fx,
			"[%s.%s] is a table inside context '%s', not a context of its own: a branch name with a dot must be "
			"quoted",
			where, Q(k, kn), where + 8);
	} else if (ntl_key_is_ci(k, kn, "node_version")) {
		snprintf(fx, sizeof(fx), "set NODE_VERSION in [%s.environment] instead", where);
		ntl_add(c, NTL_BUILD_1, SIM_MEDIUM, ntl_at_key(v), SIM_FIX_SUGGEST, fx,
		    "unknown key '%s' in [%s] is ignored: the Node.js version comes from NODE_VERSION or .nvmrc",
		    Q(k, kn), where);
	} else {
		ntl_add(c, NTL_BUILD_1, SIM_MEDIUM, ntl_at_key(v), SIM_FIX_NONE, NULL,
		    "unknown key '%s' in [%s] is ignored by Netlify", Q(k, kn), where);
	}
}

/* One key of a [build]-like table. */
static void check_build_key(struct ntl *c, const char *where, const char *k, size_t kn, const struct toml_value *v,
			    const struct toml_value *base, enum build_kind kind)
{
	char what[QUOTE_MAX + 64], sub[QUOTE_MAX + 64];
	const char *s;
	size_t n;
	int depth = 0;

	if (ntl_str_of(base, &s, &n))
		depth = ntl_path_depth(s, n, 0);
	snprintf(what, sizeof(what), "%s.%s", where, Q(k, kn));
	if (ntl_key_is_ci(k, kn, "base")) {
		check_base(c, v, where);
	} else if (ntl_key_is_ci(k, kn, "publish")) {
		ntl_check_path_type(c, v, what, depth);
	} else if (ntl_key_is_ci(k, kn, "command")) {
		check_command(c, v, where, base);
	} else if (ntl_key_is_ci(k, kn, "ignore")) {
		if (!ntl_is_type(v, TOML_STRING))
			ntl_add(c, NTL_BUILD_11, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
			    "%s must be a string (a shell command), not %s", what, ntl_a_type(v));
	} else if (ntl_key_is_ci(k, kn, "environment")) {
		check_environment(c, v, where);
	} else if (ntl_key_is_ci(k, kn, "processing")) {
		check_processing(c, v, where);
	} else if (ntl_key_is_ci(k, kn, "functions")) {
		if (kind != KIND_BUILD && ntl_is_type(v, TOML_TABLE))
			ntl_check_functions(c, v, what);
		else if (ntl_check_path_type(c, v, what, depth) &&
			 !toml_table_get(toml_table_get(c->root, "functions"), "directory"))
			ntl_add(c, NTL_BUILD_9, SIM_LOW, ntl_at_key(v), SIM_FIX_SUGGEST,
			    "write it as [functions] directory = ... instead",
			    "%s (the functions directory) is deprecated in favour of [functions] directory", what);
	} else if (ntl_key_is_ci(k, kn, "edge_functions")) {
		if (kind != KIND_BUILD && ntl_is_type(v, TOML_ARRAY))
			ntl_check_edge_functions(c, v, what);
		else
			ntl_check_path_type(c, v, what, depth);
	} else if (kind == KIND_CONTEXT && ntl_key_is(k, kn, "plugins")) {
		ntl_check_plugins(c, v, what, false);
	} else if (kind == KIND_CONTEXT && ntl_key_is(k, kn, "build")) {
		snprintf(sub, sizeof(sub), "%s.build", where);
		if (ntl_is_type(v, TOML_TABLE))
			check_build_table(c, v, sub, base, KIND_NESTED);
		else
			ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
				"%s must be a table, not %s", sub, ntl_a_type(v));
	} else if (kind == KIND_CONTEXT && (ntl_key_is(k, kn, "redirects") || ntl_key_is(k, kn, "headers"))) {
		snprintf(sub, sizeof(sub), "move them to the top-level [[%s]] (or a per-branch _%s file)", k, k);
		ntl_add(c, NTL_CTX_1, SIM_HIGH, ntl_at_key(v), SIM_FIX_SUGGEST, sub,
		    "%s inside [%s] are ignored: Netlify applies redirects and headers to every context", k, where);
	} else {
		unknown_build_key(c, where, k, kn, v, kind);
	}
}

/* [build], [context.NAME] or [context.NAME.build]: INHERITED_BASE is [build] base, for contexts that set none. */
static void check_build_table(struct ntl *c, const struct toml_value *t, const char *where,
			      const struct toml_value *inherited_base, enum build_kind kind)
{
	const struct toml_value *v, *base = ntl_get_ci(t, "base"), *pub = ntl_get_ci(t, "publish");
	const char *k;
	size_t i, kn;

	if (!base)
		base = inherited_base;
	for (i = 0; (v = toml_table_at(t, i, &k, &kn)); i++)
		check_build_key(c, where, k, kn, v, base, kind);
	if (pub)
		check_publish_repeats_base(c, pub, base, where);
}

/* [build] (or its alias [Build]) must be one table. Returns it, or the one element of a [[build]]. */
const struct toml_value *ntl_build_table(const struct toml_value *root)
{
	const struct toml_value *b = ntl_get_any(root, (const char *const[]){ "build", "Build", NULL });

	if (ntl_is_type(b, TOML_TABLE))
		return b;
	if (ntl_is_type(b, TOML_ARRAY) && toml_array_len(b) >= 1 && ntl_is_type(toml_array_get(b, 0), TOML_TABLE))
		return toml_array_get(b, 0);
	return NULL;
}

void ntl_check_build(struct ntl *c, const struct toml_value *v)
{
	size_t n = toml_array_len(v);
	char fx[FIX_MAX];

	if (ntl_is_type(v, TOML_TABLE)) {
		check_build_table(c, v, "build", NULL, KIND_BUILD);
		return;
	}
	if (ntl_is_aot(v)) {
		snprintf(fx, sizeof(fx), "merge the %zu [[build]] blocks into one [build] table", n);
		ntl_add(c, NTL_TOP_2, SIM_CRITICAL, ntl_at_val(v), n == 1 ? SIM_FIX_HEAL : SIM_FIX_SUGGEST,
		    n == 1 ? "change [[build]] to [build]" : fx,
		    "[[build]] makes build an array of tables: the build fails with \"build must be a plain object\"");
		if (n == 1)
			check_build_table(c, toml_array_get(v, 0), "build", NULL, KIND_BUILD);
		return;
	}
	ntl_add(c, NTL_TOP_2, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
		"build must be a table ([build]), not %s: the build fails with \"build must be a plain object\"",
		ntl_a_type(v));
}

void ntl_check_contexts(struct ntl *c, const struct toml_value *v, const struct toml_value *build)
{
	const struct toml_value *t, *base = ntl_get_ci(build, "base");
	char where[QUOTE_MAX + 16];
	const char *k;
	size_t i, kn;

	if (!ntl_is_type(v, TOML_TABLE)) {
		ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
			"context must be a table, not %s", ntl_a_type(v));
		return;
	}
	for (i = 0; (t = toml_table_at(v, i, &k, &kn)); i++) {
		snprintf(where, sizeof(where), "context.%s", Q(k, kn));
		if (ntl_is_type(t, TOML_TABLE))
			check_build_table(c, t, where, base, KIND_CONTEXT);
		else
			ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(t),
				ntl_is_aot(t) ? SIM_FIX_SUGGEST : SIM_FIX_NONE,
				"write [context.NAME] with single brackets",
				"%s must be a table, not %s: the build stops at configuration validation", where,
				ntl_a_type(t));
	}
}

/* No publish: Netlify deploys the base directory (or what the UI says), rarely what a build meant. */
void ntl_check_missing_publish(struct ntl *c, const struct toml_value *root)
{
	const struct toml_value *b = ntl_build_table(root), *cmd = ntl_get_ci(b, "command"), *prod;
	const char *s;
	size_t n;

	prod = toml_table_get(toml_table_get(root, "context"), "production");
	if (!b || ntl_get_ci(b, "publish") || ntl_get_ci(prod, "publish") || !ntl_str_of(cmd, &s, &n) || n == 0)
		return;
	/* Next.js sites are deployed by Netlify's Next.js runtime, which sets its own output */
	if (memmem(s, n, "next", 4))
		return;
	ntl_add(c, NTL_BUILD_7, SIM_MEDIUM, ntl_at_val(b), SIM_FIX_SUGGEST,
	    "set publish to the folder the build writes (dist for Vite/Astro, build for CRA/Docusaurus, public for "
	    "Hugo/Gatsby, _site for Eleventy/Jekyll)",
	    "[build] runs a command but sets no publish: unless the Netlify UI sets one, the base directory itself is "
	    "deployed");
}
