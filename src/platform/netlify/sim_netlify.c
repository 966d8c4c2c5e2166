/* The netlify.toml simulator: the checks Netlify's config, redirect and header parsers run, on a parsed document. */
#include "platform/netlify/netlify.h"
#include "platform/netlify/rules.h"
#include "formats/toml.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/text.h"
#include "util/fs.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define TOML_FILE_MAX (16u << 20)	/* the most of a netlify.toml we read */
#define WALK_DEPTH 64			/* deeper than any real config nests; fuzzed ones stop here */
#define QUOTE_MAX 96
#define NAME_MAX_LEN 40			/* longer names are never taken for typos */
#define FIX_MAX SIM_MSG_MAX

/* Quote N bytes at S for a message; the text lives until the end of the enclosing block. */
#define Q(s, n) err_quote((char[QUOTE_MAX]){ 0 }, QUOTE_MAX, (s), (n))

struct ntl {
	struct sim_report *rep;
	const char *file;
	const char *dir;		/* the project, or NULL when only the text is known */
	const char *src;		/* the document's source */
	size_t len;
	const struct toml_value *root;
	int base_depth;			/* how deep [build] base is in the repository; -1 when it leaves it */
	int err;			/* the first failure of sim_add */
};

/* How a [build]-like table is read: top-level [build], [context.NAME], or [context.NAME.build]. */
enum build_kind { KIND_BUILD, KIND_CONTEXT, KIND_NESTED };

static const char *const top_keys[] = { "build", "context", "redirects", "headers", "plugins", "functions",
					"edge_functions", "dev", "template", "images", "integrations", "database",
					"spa_fallback", NULL };
static const char *const build_keys[] = { "base", "publish", "command", "functions", "edge_functions", "ignore",
					  "environment", "processing", NULL };
static const char *const context_keys[] = { "base", "publish", "command", "functions", "edge_functions", "ignore",
					    "environment", "processing", "plugins", "build", "redirects", "headers",
					    NULL };
static const char *const func_props[] = { "directory", "node_bundler", "external_node_modules",
					  "ignored_node_modules", "included_files", "deno_import_map", "memory",
					  "region", "vcpu", "schedule", "background", NULL };
static const char *const node_bundlers[] = { "esbuild", "nft", "zisi", "none", NULL };
static const char *const edge_keys[] = { "function", "path", "pattern", "excludedPath", "excludedPattern", "cache",
					 "method", "header", "name", NULL };
static const char *const http_methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", NULL };
static const char *const plugin_keys[] = { "package", "inputs", "pinned_version", NULL };
static const char *const condition_keys[] = { "Language", "Country", "Role", "Cookie", NULL };
static const char *const dev_keys[] = { "command", "port", "targetPort", "functionsPort", "staticServerPort",
					"publish", "jwtRolePath", "jwtSecret", "autoLaunch", "framework", "https",
					"envFiles", "functions", "live", "base", "pollingStrategies", "watchIgnore",
					"edge_functions", "environment", NULL };

/* ---- reporting ---- */

static void add(struct ntl *c, enum ntl_rule rule, enum sim_severity sev, struct toml_span at, enum sim_fix fix,
		const char *fix_text, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void add(struct ntl *c, enum ntl_rule rule, enum sim_severity sev, struct toml_span at, enum sim_fix fix,
		const char *fix_text, const char *fmt, ...)
{
	char msg[SIM_MSG_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = sim_add(c->rep, NTL_ID(rule), sev, c->file, (int)at.line, (int)at.col, fix, fix_text, "%s", msg);
	if (r < 0 && !c->err)
		c->err = r;
}

/* Where an issue about V itself goes: its key when it has one, else its text. */
static struct toml_span at_key(const struct toml_value *v)
{
	struct toml_span sp = toml_key_span(v);

	return sp.len ? sp : toml_value_span(v);
}

static struct toml_span at_val(const struct toml_value *v)
{
	return toml_value_span(v);
}

/* The source text of V's span, quoted for a message or a fix. */
static const char *val_text(const struct ntl *c, const struct toml_value *v, char *dst, size_t n)
{
	struct toml_span sp = toml_value_span(v);

	if (sp.off > c->len || sp.len > c->len - sp.off)
		sp.len = 0;
	return err_quote(dst, n, c->src + sp.off, sp.len);
}

/* ---- values ---- */

static bool is_type(const struct toml_value *v, enum toml_type t)
{
	return v && toml_type(v) == t;
}

static bool str_of(const struct toml_value *v, const char **s, size_t *n)
{
	*s = "";
	*n = 0;
	return is_type(v, TOML_STRING) && toml_get_string(v, s, n) == 0;
}

static bool is_scalar(const struct toml_value *v)
{
	return v && toml_type(v) != TOML_ARRAY && toml_type(v) != TOML_TABLE;
}

static const char *a_type(const struct toml_value *v)
{
	switch (toml_type(v)) {
	case TOML_STRING: return "a string";
	case TOML_INTEGER: return "an integer";
	case TOML_FLOAT: return "a float";
	case TOML_BOOL: return "a boolean";
	case TOML_ARRAY: return "an array";
	case TOML_TABLE: return "a table";
	default: return "a date-time";
	}
}

/* An array made by [[header]] lines: its span is the first header, which comes before its key. */
static bool is_aot(const struct toml_value *v)
{
	return is_type(v, TOML_ARRAY) && toml_key_span(v).len && toml_key_span(v).off > toml_value_span(v).off;
}

/* True when table T was made by a [header] line of its own. */
static bool has_header(const struct ntl *c, const struct toml_value *t)
{
	struct toml_span sp = toml_value_span(t);

	return is_type(t, TOML_TABLE) && t != c->root && sp.len >= 2 && sp.off < c->len && c->src[sp.off] == '[';
}

static bool all_strings(const struct toml_value *a)
{
	size_t i;

	if (!is_type(a, TOML_ARRAY))
		return false;
	for (i = 0; i < toml_array_len(a); i++) {
		if (!is_type(toml_array_get(a, i), TOML_STRING))
			return false;
	}
	return true;
}

/* A float that holds a whole number small enough to be a status or a port (NaN is not). */
static bool whole(double f)
{
	return f > -1e6 && f < 1e6 && f == (double)(int64_t)f;
}

/* ---- names ---- */

static bool key_is(const char *k, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(k, name, n) == 0;
}

static bool key_is_ci(const char *k, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(k, name, n) == 0 && !memchr(k, 0, n);
}

static bool in_list(const char *k, size_t n, const char *const *list, bool ci)
{
	for (; *list; list++) {
		if (ci ? key_is_ci(k, n, *list) : key_is(k, n, *list))
			return true;
	}
	return false;
}

/* The value at the first of the NULL-terminated NAMES present in T (a key and its legacy aliases). */
static const struct toml_value *get_any(const struct toml_value *t, const char *const *names)
{
	const struct toml_value *v;

	for (; *names; names++) {
		if ((v = toml_table_get(t, *names)))
			return v;
	}
	return NULL;
}

/* The value of NAME in T, matched without case (Netlify normalises Command, Publish, ...). */
static const struct toml_value *get_ci(const struct toml_value *t, const char *name)
{
	const struct toml_value *v;
	const char *k;
	size_t i, n;

	if ((v = toml_table_get(t, name)))
		return v;
	for (i = 0; (v = toml_table_at(t, i, &k, &n)); i++) {
		if (key_is_ci(k, n, name))
			return v;
	}
	return NULL;
}

/* Edit distance between A and B, ignoring case; SIZE_MAX for names too long to be typos. */
static size_t distance(const char *a, size_t an, const char *b, size_t bn)
{
	return an > NAME_MAX_LEN || bn > NAME_MAX_LEN ? SIZE_MAX : text_distance(a, an, b, bn);
}

/* The name in LIST that K is a typo of (one edit for short names, two for longer), or NULL. */
static const char *nearest(const char *k, size_t n, const char *const *list)
{
	size_t best = SIZE_MAX, allow = n <= 4 ? 1 : 2, d;
	const char *found = NULL;

	for (; *list; list++) {
		d = distance(k, n, *list, strlen(*list));
		if (d <= allow && d < best) {
			best = d;
			found = *list;
		}
	}
	return found;
}

/* How many names in LIST K is a typo of (by nearest's measure): 1 means the rename cannot pick wrong. */
static size_t typos_of(const char *k, size_t n, const char *const *list)
{
	size_t allow = n <= 4 ? 1 : 2, count = 0;

	for (; *list; list++)
		count += distance(k, n, *list, strlen(*list)) <= allow;
	return count;
}

/* UPPER_CASE: what an environment variable put in the wrong table looks like. */
static bool env_like(const char *k, size_t n)
{
	size_t i;
	bool letter = false;

	if (n == 0 || isdigit((unsigned char)k[0]))
		return false;
	for (i = 0; i < n; i++) {
		if (isupper((unsigned char)k[i]))
			letter = true;
		else if (!isdigit((unsigned char)k[i]) && k[i] != '_')
			return false;
	}
	return letter;
}

/* ---- paths ---- */

/*
 * How deep P ends up when read from DEPTH levels below the repository root, the way Netlify
 * resolves it (leading slashes stripped, "." and ".." followed), or -1 when it leaves the root.
 */
static int path_depth(const char *p, size_t n, int depth)
{
	size_t i = 0, start;

	while (i < n) {
		while (i < n && p[i] == '/')
			i++;
		start = i;
		while (i < n && p[i] != '/')
			i++;
		if (i - start == 0 || (i - start == 1 && p[start] == '.'))
			continue;
		if (i - start == 2 && p[start] == '.' && p[start + 1] == '.') {
			if (--depth < 0)
				return -1;
		} else if (depth < INT_MAX) {
			depth++;
		}
	}
	return depth;
}

/* P without leading "/" and "./" or trailing "/": the form two spellings of a path share. */
static void path_trim(const char **p, size_t *n)
{
	for (;;) {
		if (*n >= 1 && (*p)[0] == '/') {
			(*p)++;
			(*n)--;
		} else if (*n >= 2 && (*p)[0] == '.' && (*p)[1] == '/') {
			*p += 2;
			*n -= 2;
		} else {
			break;
		}
	}
	while (*n > 0 && (*p)[*n - 1] == '/')
		(*n)--;
	if (*n == 1 && (*p)[0] == '.')
		*n = 0;
}

/* True when DIR/A[/B] is a directory. Paths with NUL bytes or too long never are. */
static bool dir_exists(const char *dir, const char *a, size_t an, const char *b, size_t bn)
{
	char path[PATH_MAX];
	struct stat st;
	int n;

	if (!dir || an > 4096 || bn > 4096 || memchr(a, 0, an) || (b && memchr(b, 0, bn)))
		return false;
	if (b)
		n = snprintf(path, sizeof(path), "%s/%.*s/%.*s", dir, (int)an, a, (int)bn, b);
	else
		n = snprintf(path, sizeof(path), "%s/%.*s", dir, (int)an, a);
	return n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A path property (publish, functions directory, ...) read BASE_DEPTH levels down: it must stay in the repository. */
static void check_path(struct ntl *c, const struct toml_value *v, const char *what, int base_depth)
{
	const char *s;
	size_t n;

	if (!str_of(v, &s, &n) || base_depth < 0)
		return;
	if (path_depth(s, n, base_depth) < 0)
		add(c, NTL_BUILD_5, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
		    "%s '%s' resolves outside the repository root: the build fails with \"must be inside the "
		    "repository root directory\"", what, Q(s, n));
}

/* A property that must be a string path; returns true when it is one. */
static bool check_path_type(struct ntl *c, const struct toml_value *v, const char *what, int base_depth)
{
	if (!is_type(v, TOML_STRING)) {
		add(c, NTL_BUILD_5, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
		    "%s must be a string path, not %s: the build stops at configuration validation", what, a_type(v));
		return false;
	}
	check_path(c, v, what, base_depth);
	return true;
}

/* ---- the TOML layer: syntax errors ---- */

/* Byte offset of LINE:COL (1-based, COL in characters) in S, clamped to the end of its line. */
static size_t offset_of(const char *s, size_t n, unsigned long line, unsigned long col)
{
	size_t i = n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	const char *nl;

	while (line > 1 && i < n) {
		if (!(nl = memchr(s + i, '\n', n - i)))
			return n;
		i = (size_t)(nl - s) + 1;
		line--;
	}
	while (col > 1 && i < n && s[i] != '\n') {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		col--;
	}
	return i;
}

/* "L:C" at P: fills LINE and COL, returns true when both are there. */
static bool read_pos(const char *p, unsigned long *line, unsigned long *col)
{
	char *end;

	if (!isdigit((unsigned char)*p))
		return false;
	*line = strtoul(p, &end, 10);
	if (*end != ':' || !isdigit((unsigned char)end[1]))
		return false;
	*col = strtoul(end + 1, &end, 10);
	return *line > 0 && *line <= UINT_MAX && *col > 0 && *col <= UINT_MAX;
}

/* Where the value or key at OFF ends: the run of bare characters a TOML value or key is made of. */
static size_t word_end(const char *s, size_t n, size_t off)
{
	while (off < n && (isalnum((unsigned char)s[off]) || (s[off] && strchr("_-.+:$", s[off]))))
		off++;
	return off;
}

/* The line holding OFF: its first non-blank byte and its end. */
static void line_of(const char *s, size_t n, size_t off, size_t *start, size_t *end)
{
	size_t a = off, b = off;

	while (a > 0 && s[a - 1] != '\n')
		a--;
	while (a < n && (s[a] == ' ' || s[a] == '\t'))
		a++;
	while (b < n && s[b] != '\n' && s[b] != '\r')
		b++;
	*start = a;
	*end = b < a ? a : b;
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(s, prefix, k) == 0;
}

/* True when the [header] line above OFF (or the message M) is about NAME: where a duplicate sits. */
static bool about(const char *s, size_t n, size_t off, const char *m, const char *name)
{
	size_t ls, le, k = strlen(name);

	if (strstr(m, name))
		return true;
	while (off > 0) {
		line_of(s, n, off, &ls, &le);
		if (ls < le && s[ls] == '[')
			return memmem(s + ls, le - ls, name, k) != NULL;
		while (off > 0 && s[off - 1] != '\n')
			off--;
		if (off > 0)
			off--;
	}
	return false;
}

/* A redefinition: a key or table written twice, or an inline table / dotted key mixed with a [header]. */
static void classify_redefinition(struct ntl *c, const char *s, size_t n, struct toml_span at, const char *m,
				  size_t here)
{
	const char *p = strstr(m, "at "), *q;
	unsigned long line, col;
	size_t off, end, ls, le;
	bool mixed = false;

	/* the message ends "(... at L:C)": the first definition */
	for (q = p; q; q = strstr(q + 3, "at "))
		p = q;
	if (p && read_pos(p + 3, &line, &col)) {
		off = offset_of(s, n, line, col);
		for (end = off; end < n && (isalnum((unsigned char)s[end]) || s[end] == '_' || s[end] == '-'); end++)
			;
		while (end < n && (s[end] == ' ' || s[end] == '\t'))
			end++;
		line_of(s, n, off, &ls, &le);
		mixed = off < n && (s[off] == '{' || (s[ls] != '[' && end < n && end > off && s[end] == '.'));
	}
	if (mixed) {
		add(c, NTL_TOML_6, SIM_CRITICAL, at, SIM_FIX_SUGGEST,
		    "keep these keys in one place: either the inline table or dotted keys, or the [table] section",
		    "a table given as an inline table or dotted keys is defined again by a [header]: the build fails "
		    "with \"Cannot redefine existing key\" (%s)", m);
		return;
	}
	if (about(s, n, here, m, "headers"))
		add(c, NTL_TOML_4, SIM_CRITICAL, at, SIM_FIX_SUGGEST,
		    "open every header block with its own [[headers]] line and for = \"...\" above [headers.values]",
		    "a key or table is defined twice: the build fails with \"Cannot redefine existing key\" (%s)", m);
	else if (about(s, n, here, m, "plugins"))
		add(c, NTL_TOML_4, SIM_CRITICAL, at, SIM_FIX_SUGGEST,
		    "write every plugin as its own [[plugins]] block with one package = line",
		    "a key or table is defined twice: the build fails with \"Cannot redefine existing key\" (%s)", m);
	else
		add(c, NTL_TOML_4, SIM_CRITICAL, at, SIM_FIX_SUGGEST, "remove or merge one of the two definitions",
		    "a key or table is defined twice: the build fails with \"Cannot redefine existing key\" (%s)", m);
}

/* A branch context written without quotes: [context.feat/x]. True when that is what the line is. */
static bool classify_context_name(struct ntl *c, const char *s, size_t n, size_t off, struct toml_span at)
{
	size_t ls, le, name, k;
	char fx[FIX_MAX];

	line_of(s, n, off, &ls, &le);
	if (starts_with(s + ls, le - ls, "[[context."))
		name = ls + 10;
	else if (starts_with(s + ls, le - ls, "[context."))
		name = ls + 9;
	else
		return false;
	if (off < name || off >= le)
		return false;
	for (k = name; k < le && s[k] != ']' && s[k] != '"' && s[k] != '\'' && s[k] != '#'; k++)
		;
	if (k == le || s[k] != ']') {
		add(c, NTL_CTX_3, SIM_CRITICAL, at, SIM_FIX_NONE, NULL,
		    "a branch name with characters a bare TOML key cannot hold must be quoted: [context.\"feat/x\"]");
		return true;
	}
	snprintf(fx, sizeof(fx), "quote the branch name: [context.\"%s\"]", Q(s + name, k - name));
	add(c, NTL_CTX_3, SIM_CRITICAL, at, SIM_FIX_HEAL, fx,
	    "branch context '%s' is not quoted: '/' cannot be part of a bare TOML key", Q(s + name, k - name));
	return true;
}

/* A value TOML has no word for: null, an unquoted $VAR, a bare word, or _redirects' "200!". */
static void classify_value(struct ntl *c, const char *s, size_t n, size_t off, struct toml_span at, const char *m)
{
	size_t end = word_end(s, n, off), ls, le, k;
	char fx[FIX_MAX];

	if (off >= n)
		return;
	if (n - off >= 4 && memcmp(s + off, "null", 4) == 0 && end == off + 4) {
		line_of(s, n, off, &ls, &le);
		snprintf(fx, sizeof(fx), "remove the line '%s' (TOML has no null: leave the key out)", Q(s + ls, le - ls));
		add(c, NTL_TOML_2, SIM_CRITICAL, at, SIM_FIX_HEAL, fx,
		    "null is not a TOML value: the build fails with Expected ... but \"n\" found");
	} else if (s[off] == '$') {
		snprintf(fx, sizeof(fx), "quote it: \"%s\" (Netlify does not expand variables in netlify.toml)",
			 Q(s + off, end - off));
		add(c, NTL_TOML_2, SIM_CRITICAL, at, SIM_FIX_HEAL, fx,
		    "unquoted '%s' is not a TOML value: the build fails with Expected ... but \"$\" found",
		    Q(s + off, end - off));
	} else if (s[off] == '!' && strstr(m, "after the value")) {
		for (k = off; k > 0 && isdigit((unsigned char)s[k - 1]); k--)
			;
		snprintf(fx, sizeof(fx), "write status = %s and force = true", Q(s + k, off - k));
		add(c, NTL_TOML_2, SIM_CRITICAL, at, SIM_FIX_HEAL, fx,
		    "'%s!' is _redirects syntax, not a TOML value: in netlify.toml force is its own key",
		    Q(s + k, off - k));
	} else if (isalpha((unsigned char)s[off]) && strstr(m, "bad value")) {
		if (key_is_ci(s + off, end - off, "true") || key_is_ci(s + off, end - off, "false"))
			snprintf(fx, sizeof(fx), "write it in lower case: %s",
				 s[off] == 't' || s[off] == 'T' ? "true" : "false");
		else
			snprintf(fx, sizeof(fx), "quote it: \"%s\"", Q(s + off, end - off));
		add(c, NTL_TOML_2, SIM_CRITICAL, at, SIM_FIX_SUGGEST, fx,
		    "bare word '%s' is not a TOML value: strings need quotes", Q(s + off, end - off));
	}
}

/* A backslash TOML does not know ("^/a\.b", "C:\path"): Netlify's own check names it too. */
static void escape_error(struct ntl *c, const char *s, size_t n, size_t off, struct toml_span at)
{
	char fx[FIX_MAX], e = off + 1 < n ? s[off + 1] : ' ';

	if (!isgraph((unsigned char)e) || e == 'u' || e == 'U') {
		add(c, NTL_TOML_3, SIM_CRITICAL, at, SIM_FIX_SUGGEST,
		    "write the backslash twice, or use a single-quoted 'literal' string",
		    "a backslash that does not start a valid TOML escape: the build fails with \"the following "
		    "backslash should be escaped\"");
		return;
	}
	snprintf(fx, sizeof(fx), "write the backslash twice: \\\\%c instead of \\%c (or use a single-quoted "
		 "'literal' string)", e, e);
	add(c, NTL_TOML_3, SIM_CRITICAL, at, SIM_FIX_HEAL, fx,
	    "\\%c is not a TOML escape: the build fails with \"the following backslash should be escaped\"", e);
}

/* Report the parser's error as NTL-TOML-1, then name the Netlify trap it is, when it is one we know. */
static void syntax_error(struct ntl *c, const char *s, size_t n)
{
	char msg[SIM_MSG_MAX];
	unsigned long line = 0, col = 0;
	struct toml_span at = { 0, 0, 0, 0 };
	const char *m = msg;
	size_t off;

	snprintf(msg, sizeof(msg), "%s", err_msg());
	if (read_pos(msg, &line, &col) && (m = strstr(msg, ": "))) {
		m += 2;
		at.line = (unsigned)line;
		at.col = (unsigned)col;
	} else {
		m = msg;
		line = 0;
	}
	add(c, NTL_TOML_1, SIM_CRITICAL, at, SIM_FIX_NONE, NULL,
	    "not valid TOML, so the build fails reading its configuration: %s", m);
	if (!line)
		return;
	off = offset_of(s, n, line, col);
	if (strstr(m, "escape") && off < n && s[off] == '\\') {
		escape_error(c, s, n, off, at);
	} else if (strstr(m, "already defined") || strstr(m, "duplicate key") || strstr(m, "cannot make") ||
		   strstr(m, "cannot define") || strstr(m, "cannot add")) {
		classify_redefinition(c, s, n, at, m, off);
	} else if (!(strstr(m, "table header") && classify_context_name(c, s, n, off, at))) {
		classify_value(c, s, n, off, at, m);
	}
}

/* ---- the TOML layer: table order (NTL-TOML-5) ---- */

static struct toml_span earlier(struct toml_span a, struct toml_span b)
{
	if (!a.len)
		return b;
	if (!b.len)
		return a;
	return b.off < a.off ? b : a;
}

static struct toml_span order_walk(struct ntl *c, const struct toml_value *t, int depth);

/* True when the file has redirect or header rules: what the table-order trap drops. */
static bool has_rules(const struct toml_value *root)
{
	return toml_array_len(toml_table_get(root, "redirects")) || toml_array_len(toml_table_get(root, "headers")) ||
	       is_type(toml_table_get(root, "redirects"), TOML_TABLE) ||
	       is_type(toml_table_get(root, "headers"), TOML_TABLE);
}

/* The first [header] among V and what is under it (len 0: none). */
static struct toml_span first_header(struct ntl *c, const struct toml_value *v, int depth)
{
	struct toml_span first = { 0, 0, 0, 0 };
	size_t i;

	if (is_type(v, TOML_TABLE)) {
		if (has_header(c, v))
			first = toml_value_span(v);
		first = earlier(first, order_walk(c, v, depth + 1));
	} else if (is_aot(v)) {
		for (i = 0; i < toml_array_len(v); i++)
			first = earlier(first, first_header(c, toml_array_get(v, i), depth));
	}
	return first;
}

/*
 * Netlify's post-processing reads netlify.toml again with a stricter parser that refuses a
 * [table] written after one of its sub-tables; reports T when it is one. Returns the first
 * header under T.
 */
static struct toml_span order_walk(struct ntl *c, const struct toml_value *t, int depth)
{
	struct toml_span first = { 0, 0, 0, 0 }, self = toml_value_span(t);
	const struct toml_value *v;
	char fx[FIX_MAX], hdr[QUOTE_MAX];
	size_t i;

	if (depth > WALK_DEPTH)
		return first;
	for (i = 0; (v = toml_table_at(t, i, NULL, NULL)); i++)
		first = earlier(first, first_header(c, v, depth));
	if (depth > 0 && has_header(c, t) && first.len && first.off < self.off) {
		val_text(c, t, hdr, sizeof(hdr));
		snprintf(fx, sizeof(fx), "move %s and its keys above line %u, before its sub-tables", hdr, first.line);
		if (has_rules(c->root))
			add(c, NTL_TOML_5, SIM_HIGH, self, SIM_FIX_HEAL, fx,
			    "%s comes after its sub-table at line %u: valid TOML, but Netlify's post-processing fails "
			    "with \"Key ... is already used as table key\" and drops the redirect and header rules", hdr,
			    first.line);
		else
			add(c, NTL_TOML_5, SIM_MEDIUM, self, SIM_FIX_HEAL, fx,
			    "%s comes after its sub-table at line %u: valid TOML, but Netlify's post-processing fails "
			    "with \"Key ... is already used as table key\"; this file has no redirect or header rules for "
			    "it to drop yet", hdr, first.line);
	}
	return first;
}

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
		if (eq == SIZE_MAX || eq == i || !env_like(s + i, eq - i) || memchr(s + i, 0, k - i) ||
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

	if (str_of(v, &s, &n)) {
		bool heal = env_string_fix(s, n, where, fx, sizeof(fx));

		add(c, NTL_BUILD_2, SIM_CRITICAL, at_val(v), heal ? SIM_FIX_HEAL : SIM_FIX_NONE, heal ? fx : NULL,
		    "%s.environment must be a table of strings, not a string: the build fails with \"cannot unmarshal "
		    "string into ... map[string]string\"", where);
		return;
	}
	if (!is_type(v, TOML_TABLE)) {
		add(c, NTL_BUILD_2, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
		    "%s.environment must be a table of strings, not %s", where, a_type(v));
		return;
	}
	for (i = 0; (e = toml_table_at(v, i, &k, &kn)); i++) {
		if (is_type(e, TOML_STRING))
			continue;
		if (is_type(e, TOML_TABLE) && key_is(k, kn, "environment")) {
			snprintf(fx, sizeof(fx), "move the keys of %s.environment.environment up into [%s.environment]", where,
				 where);
			add(c, NTL_BUILD_3, SIM_HIGH, at_key(e), SIM_FIX_HEAL, fx,
			    "environment nested in environment makes one variable literally named 'environment': the "
			    "variables inside it are never set");
		} else if (is_scalar(e)) {
			snprintf(fx, sizeof(fx), "quote it: %s = \"%s\"", Q(k, kn), val_text(c, e, txt, sizeof(txt)));
			add(c, NTL_BUILD_2, SIM_MEDIUM, at_val(e), SIM_FIX_HEAL, fx,
			    "environment variable '%s' is %s: environment values are strings", Q(k, kn), a_type(e));
		} else {
			add(c, NTL_BUILD_2, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL,
			    "environment variable '%s' is %s: the build fails, environment values must be strings", Q(k, kn),
			    a_type(e));
		}
	}
}

static void check_processing(struct ntl *c, const struct toml_value *v, const char *where)
{
	static const char *const groups[] = { "css", "js", "html", "images", NULL };
	const struct toml_value *g, *e;
	const char *k, *gk;
	size_t i, j, kn, gn;

	if (!is_type(v, TOML_TABLE)) {
		add(c, NTL_BUILD_10, SIM_MEDIUM, at_val(v), SIM_FIX_NONE, NULL,
		    "%s.processing must be a table, not %s", where, a_type(v));
		return;
	}
	for (i = 0; (g = toml_table_at(v, i, &gk, &gn)); i++) {
		if (key_is(gk, gn, "skip_processing")) {
			if (!is_type(g, TOML_BOOL))
				add(c, NTL_BUILD_10, SIM_MEDIUM, at_val(g), SIM_FIX_NONE, NULL,
				    "skip_processing must be a boolean, not %s", a_type(g));
			continue;
		}
		if (!in_list(gk, gn, groups, false) || !is_type(g, TOML_TABLE)) {
			add(c, NTL_BUILD_10, SIM_MEDIUM, at_key(g), SIM_FIX_NONE, NULL,
			    "unknown processing setting '%s': ignored", Q(gk, gn));
			continue;
		}
		if (!key_is(gk, gn, "html"))
			add(c, NTL_BUILD_10, SIM_MEDIUM, at_key(g), SIM_FIX_NONE, NULL,
			    "processing.%s is legacy asset optimization that Netlify no longer documents", Q(gk, gn));
		for (j = 0; (e = toml_table_at(g, j, &k, &kn)); j++) {
			if (!is_type(e, TOML_BOOL))
				add(c, NTL_BUILD_10, SIM_MEDIUM, at_val(e), SIM_FIX_NONE, NULL,
				    "processing.%s.%s must be a boolean, not %s", Q(gk, gn), Q(k, kn), a_type(e));
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

	if (!c->dir || bn > 4096 || memchr(base, 0, bn) || path_depth(base, bn, 0) < 0)
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

#define WORDS_MAX 24

struct words {
	const char *w[WORDS_MAX];
	size_t n[WORDS_MAX];
	size_t count;
};

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
	return i < w->count && key_is(w->w[i], w->n[i], s);
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

			if (w->n[i] >= fl && memcmp(w->w[i], flags[k], fl) == 0 && (w->n[i] == fl || w->w[i][fl] == '='))
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

	return in_list(s, n, names, false);
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
			if (key_is(name, n, slash ? slash + 1 : dep))
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
		if (key_is(name, n, k))
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

			if (!near && nearest(w.w[script], w.n[script], one))
				near = sk;
		}
	}
	if (near)
		snprintf(fx, sizeof(fx), "run the script '%s', which package.json has", Q(near, strlen(near)));
	add(c, NTL_BUILD_8, SIM_CRITICAL, at_val(cmd), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE, near ? fx : NULL,
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

	str_of(base, &b, &bn);
	path_trim(&b, &bn);
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

	if (!str_of(v, &s, &n)) {
		add(c, NTL_BUILD_8, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
		    "%s.command must be a string, not %s: the build stops at configuration validation", where, a_type(v));
		return;
	}
	check_scripts(c, v, s, n, base);
}

/* base must stay in the repository and, when the tree is here, exist. */
static void check_base(struct ntl *c, const struct toml_value *v, const char *where)
{
	const char *s;
	size_t n;

	if (!check_path_type(c, v, "base", 0))
		return;
	str_of(v, &s, &n);
	path_trim(&s, &n);
	if (n && c->dir && path_depth(s, n, 0) >= 0 && !dir_exists(c->dir, s, n, NULL, 0))
		add(c, NTL_BUILD_4, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
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

	if (!str_of(pub, &p, &pn) || !str_of(base, &b, &bn))
		return;
	path_trim(&p, &pn);
	path_trim(&b, &bn);
	if (bn == 0 || pn < bn || memcmp(p, b, bn) != 0 || (pn > bn && p[bn] != '/'))
		return;
	/* a nested folder of that name really exists: then the path is right */
	if (dir_exists(c->dir, b, bn, p, pn))
		return;
	if (pn == bn) {
		add(c, NTL_BUILD_6, SIM_HIGH, at_val(pub), SIM_FIX_SUGGEST,
		    "leave publish out (or write publish = \".\") to deploy the base directory itself",
		    "%s.publish '%s' is resolved inside base '%s', so Netlify deploys '%s/%s', which does not exist",
		    where, Q(p, pn), Q(b, bn), Q(b, bn), Q(p, pn));
		return;
	}
	snprintf(fx, sizeof(fx), "change publish to \"%s\" (strip the base prefix '%s/')", Q(p + bn + 1, pn - bn - 1),
		 Q(b, bn));
	add(c, NTL_BUILD_6, SIM_HIGH, at_val(pub), SIM_FIX_HEAL, fx,
	    "%s.publish '%s' repeats base '%s': publish is resolved inside base, so the deploy fails with \"Deploy "
	    "directory '%s/%s' does not exist\"", where, Q(p, pn), Q(b, bn), Q(b, bn), Q(p, pn));
}

static void check_functions(struct ntl *c, const struct toml_value *v, const char *where);
static void check_edge_functions(struct ntl *c, const struct toml_value *v, const char *where);
static void check_plugins(struct ntl *c, const struct toml_value *v, const char *where, bool top);
static void check_build_table(struct ntl *c, const struct toml_value *t, const char *where,
			      const struct toml_value *inherited_base, enum build_kind kind);

/* A key Netlify does not read in [build] or [context.NAME]: an env var, a typo, an unquoted branch name. */
static void unknown_build_key(struct ntl *c, const char *where, const char *k, size_t kn, const struct toml_value *v,
			      enum build_kind kind)
{
	static const char *const renames[][2] = { { "public", "publish" }, { "cmd", "command" }, { "env", "environment" },
						  { "publish_dir", "publish" }, { "build_command", "command" } };
	const char *near = NULL;
	char fx[FIX_MAX];
	size_t i;

	if (env_like(k, kn) && is_scalar(v)) {
		snprintf(fx, sizeof(fx), "move %s into [%s.environment]", Q(k, kn), where);
		add(c, kind == KIND_CONTEXT ? NTL_CTX_2 : NTL_BUILD_1, SIM_HIGH, at_key(v), SIM_FIX_HEAL, fx,
		    "'%s' directly under [%s] is not an environment variable: Netlify ignores it (variables go in "
		    "[%s.environment])", Q(k, kn), where, where);
		return;
	}
	for (i = 0; i < sizeof(renames) / sizeof(renames[0]) && !near; i++) {
		if (key_is_ci(k, kn, renames[i][0]))
			near = renames[i][1];
	}
	if (near || (near = nearest(k, kn, kind == KIND_CONTEXT ? context_keys : build_keys))) {
		snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
		add(c, NTL_BUILD_1, SIM_HIGH, at_key(v), SIM_FIX_HEAL, fx,
		    "unknown key '%s' in [%s] is ignored: did you mean '%s'?", Q(k, kn), where, near);
	} else if (kind == KIND_CONTEXT && is_type(v, TOML_TABLE)) {
		snprintf(fx, sizeof(fx), "quote the branch name: [context.\"%s.%s\"]", where + 8, Q(k, kn));
		add(c, NTL_CTX_3, SIM_HIGH, at_key(v), has_header(c, v) ? SIM_FIX_HEAL : SIM_FIX_SUGGEST, fx,
		    "[%s.%s] is a table inside context '%s', not a context of its own: a branch name with a dot must be "
		    "quoted", where, Q(k, kn), where + 8);
	} else if (key_is_ci(k, kn, "node_version")) {
		snprintf(fx, sizeof(fx), "set NODE_VERSION in [%s.environment] instead", where);
		add(c, NTL_BUILD_1, SIM_MEDIUM, at_key(v), SIM_FIX_SUGGEST, fx,
		    "unknown key '%s' in [%s] is ignored: the Node.js version comes from NODE_VERSION or .nvmrc",
		    Q(k, kn), where);
	} else {
		add(c, NTL_BUILD_1, SIM_MEDIUM, at_key(v), SIM_FIX_NONE, NULL,
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

	if (str_of(base, &s, &n))
		depth = path_depth(s, n, 0);
	snprintf(what, sizeof(what), "%s.%s", where, Q(k, kn));
	if (key_is_ci(k, kn, "base")) {
		check_base(c, v, where);
	} else if (key_is_ci(k, kn, "publish")) {
		check_path_type(c, v, what, depth);
	} else if (key_is_ci(k, kn, "command")) {
		check_command(c, v, where, base);
	} else if (key_is_ci(k, kn, "ignore")) {
		if (!is_type(v, TOML_STRING))
			add(c, NTL_BUILD_11, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
			    "%s must be a string (a shell command), not %s", what, a_type(v));
	} else if (key_is_ci(k, kn, "environment")) {
		check_environment(c, v, where);
	} else if (key_is_ci(k, kn, "processing")) {
		check_processing(c, v, where);
	} else if (key_is_ci(k, kn, "functions")) {
		if (kind != KIND_BUILD && is_type(v, TOML_TABLE))
			check_functions(c, v, what);
		else if (check_path_type(c, v, what, depth) &&
			 !toml_table_get(toml_table_get(c->root, "functions"), "directory"))
			add(c, NTL_BUILD_9, SIM_LOW, at_key(v), SIM_FIX_SUGGEST,
			    "write it as [functions] directory = ... instead",
			    "%s (the functions directory) is deprecated in favour of [functions] directory", what);
	} else if (key_is_ci(k, kn, "edge_functions")) {
		if (kind != KIND_BUILD && is_type(v, TOML_ARRAY))
			check_edge_functions(c, v, what);
		else
			check_path_type(c, v, what, depth);
	} else if (kind == KIND_CONTEXT && key_is(k, kn, "plugins")) {
		check_plugins(c, v, what, false);
	} else if (kind == KIND_CONTEXT && key_is(k, kn, "build")) {
		snprintf(sub, sizeof(sub), "%s.build", where);
		if (is_type(v, TOML_TABLE))
			check_build_table(c, v, sub, base, KIND_NESTED);
		else
			add(c, NTL_TOP_3, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL, "%s must be a table, not %s", sub,
			    a_type(v));
	} else if (kind == KIND_CONTEXT && (key_is(k, kn, "redirects") || key_is(k, kn, "headers"))) {
		snprintf(sub, sizeof(sub), "move them to the top-level [[%s]] (or a per-branch _%s file)", k, k);
		add(c, NTL_CTX_1, SIM_HIGH, at_key(v), SIM_FIX_SUGGEST, sub,
		    "%s inside [%s] are ignored: Netlify applies redirects and headers to every context", k, where);
	} else {
		unknown_build_key(c, where, k, kn, v, kind);
	}
}

/* [build], [context.NAME] or [context.NAME.build]: INHERITED_BASE is [build] base, for contexts that set none. */
static void check_build_table(struct ntl *c, const struct toml_value *t, const char *where,
			      const struct toml_value *inherited_base, enum build_kind kind)
{
	const struct toml_value *v, *base = get_ci(t, "base"), *pub = get_ci(t, "publish");
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
static const struct toml_value *build_table(const struct toml_value *root)
{
	const struct toml_value *b = get_any(root, (const char *const[]){ "build", "Build", NULL });

	if (is_type(b, TOML_TABLE))
		return b;
	if (is_type(b, TOML_ARRAY) && toml_array_len(b) >= 1 && is_type(toml_array_get(b, 0), TOML_TABLE))
		return toml_array_get(b, 0);
	return NULL;
}

static void check_build(struct ntl *c, const struct toml_value *v)
{
	size_t n = toml_array_len(v);
	char fx[FIX_MAX];

	if (is_type(v, TOML_TABLE)) {
		check_build_table(c, v, "build", NULL, KIND_BUILD);
		return;
	}
	if (is_aot(v)) {
		snprintf(fx, sizeof(fx), "merge the %zu [[build]] blocks into one [build] table", n);
		add(c, NTL_TOP_2, SIM_CRITICAL, at_val(v), n == 1 ? SIM_FIX_HEAL : SIM_FIX_SUGGEST,
		    n == 1 ? "change [[build]] to [build]" : fx,
		    "[[build]] makes build an array of tables: the build fails with \"build must be a plain object\"");
		if (n == 1)
			check_build_table(c, toml_array_get(v, 0), "build", NULL, KIND_BUILD);
		return;
	}
	add(c, NTL_TOP_2, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
	    "build must be a table ([build]), not %s: the build fails with \"build must be a plain object\"", a_type(v));
}

static void check_contexts(struct ntl *c, const struct toml_value *v, const struct toml_value *build)
{
	const struct toml_value *t, *base = get_ci(build, "base");
	char where[QUOTE_MAX + 16];
	const char *k;
	size_t i, kn;

	if (!is_type(v, TOML_TABLE)) {
		add(c, NTL_TOP_3, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL, "context must be a table, not %s",
		    a_type(v));
		return;
	}
	for (i = 0; (t = toml_table_at(v, i, &k, &kn)); i++) {
		snprintf(where, sizeof(where), "context.%s", Q(k, kn));
		if (is_type(t, TOML_TABLE))
			check_build_table(c, t, where, base, KIND_CONTEXT);
		else
			add(c, NTL_TOP_3, SIM_CRITICAL, at_val(t), is_aot(t) ? SIM_FIX_SUGGEST : SIM_FIX_NONE,
			    "write [context.NAME] with single brackets",
			    "%s must be a table, not %s: the build stops at configuration validation", where, a_type(t));
	}
}

/* No publish: Netlify deploys the base directory (or what the UI says), rarely what a build meant. */
static void check_missing_publish(struct ntl *c, const struct toml_value *root)
{
	const struct toml_value *b = build_table(root), *cmd = get_ci(b, "command"), *prod;
	const char *s;
	size_t n;

	prod = toml_table_get(toml_table_get(root, "context"), "production");
	if (!b || get_ci(b, "publish") || get_ci(prod, "publish") || !str_of(cmd, &s, &n) || n == 0)
		return;
	/* Next.js sites are deployed by Netlify's Next.js runtime, which sets its own output */
	if (memmem(s, n, "next", 4))
		return;
	add(c, NTL_BUILD_7, SIM_MEDIUM, at_val(b), SIM_FIX_SUGGEST,
	    "set publish to the folder the build writes (dist for Vite/Astro, build for CRA/Docusaurus, public for "
	    "Hugo/Gatsby, _site for Eleventy/Jekyll)",
	    "[build] runs a command but sets no publish: unless the Netlify UI sets one, the base directory itself is "
	    "deployed");
}

/* ---- [[redirects]] ---- */

/* What the shadowing check needs to know of one rule. */
struct rule {
	const struct toml_value *tab;
	const struct toml_value *from;	/* NULL when missing or bad */
	const char *host, *path;
	size_t hostlen, pathlen;
	bool plain;			/* no query and no conditions: it takes every request to its path */
	const struct toml_value *to;
	int64_t code;
	bool forced;
};

/* A from/to must be a path or an http(s) URL. Fills HOST and PATH (host "" for a path); false when it is neither. */
static bool check_location(struct ntl *c, const struct toml_value *v, const char *field, struct rule *r)
{
	const char *s, *h;
	size_t n, k = 0;
	char fx[FIX_MAX];

	str_of(v, &s, &n);
	r->host = "";
	r->hostlen = 0;
	if (n && s[0] == '/') {
		r->path = s;
		r->pathlen = n;
		return true;
	}
	if (n >= 7 && strncasecmp(s, "http://", 7) == 0)
		k = 7;
	else if (n >= 8 && strncasecmp(s, "https://", 8) == 0)
		k = 8;
	if (k) {
		for (h = s + k; h < s + n && *h != '/' && *h != '?' && *h != '#'; h++)
			;
		r->host = s + k;
		r->hostlen = (size_t)(h - s) - k;
		r->path = h < s + n ? h : "/";
		r->pathlen = h < s + n ? n - (size_t)(h - s) : 1;
		if (r->hostlen)
			return true;
		add(c, NTL_RED_5, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
		    "%s '%s' is not a valid URL: it has no host; Netlify keeps the rule, but it never matches", field,
		    Q(s, n));
		return false;
	}
	if (memmem(s, n, "://", 3)) {
		add(c, NTL_RED_5, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
		    "%s '%s' must be a path starting with / or an http(s):// URL; Netlify keeps the rule, but it never "
		    "matches", field, Q(s, n));
		return false;
	}
	snprintf(fx, sizeof(fx), "change %s to \"/%s\"", field, Q(s, n));
	add(c, NTL_RED_5, SIM_CRITICAL, at_val(v), SIM_FIX_HEAL, fx,
	    "%s '%s' does not start with / or http(s)://: Netlify keeps the rule, but it never matches", field,
	    Q(s, n));
	return false;
}

static bool status_listed(int64_t code)
{
	return code == 200 || code == 301 || code == 302 || code == 404 || code == 410 || code == 451 || code == 503;
}

/* A whole status code: in range, and one Netlify documents. */
static void check_status_code(struct ntl *c, const struct toml_value *v, int64_t code)
{
	if (code < 100 || code > 599)
		add(c, NTL_RED_3, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
		    "status %" PRId64 " is not an HTTP status code (100-599): Netlify drops the rule", code);
	else if (code == 307 || code == 308)
		add(c, NTL_RED_3, SIM_MEDIUM, at_val(v), SIM_FIX_SUGGEST,
		    code == 307 ? "use status = 302" : "use status = 301",
		    "status %" PRId64 " is not supported by Netlify's redirects: use %s", code, code == 307 ? "302" : "301");
	else if (!status_listed(code))
		add(c, NTL_RED_3, SIM_MEDIUM, at_val(v), SIM_FIX_NONE, NULL,
		    "status %" PRId64 " is not one Netlify documents for redirects (200, 301, 302, 404; 410, 451 and 503 "
		    "are accepted)", code);
}

/* A status written as a string: "301" or _redirects' "200!". Returns the code, or -1. */
static int64_t check_status_string(struct ntl *c, const struct toml_value *v, bool *bang)
{
	const char *s;
	size_t n, i;
	int64_t code = 0;
	char fx[FIX_MAX];

	str_of(v, &s, &n);
	/* the redirect parser reads it with parseInt, which skips blanks */
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	for (i = 0; i < n && i < 6 && isdigit((unsigned char)s[i]); i++)
		code = code * 10 + (s[i] - '0');
	*bang = i > 0 && i + 1 == n && s[i] == '!';
	if (i == 0 || (i != n && !*bang)) {
		add(c, NTL_RED_3, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
		    "status '%s' is not a number: Netlify drops the rule with \"Invalid status code\"", Q(s, n));
		return -1;
	}
	if (*bang) {
		snprintf(fx, sizeof(fx), "write status = %" PRId64 " and force = true", code);
		add(c, NTL_RED_4, SIM_MEDIUM, at_val(v), SIM_FIX_HEAL, fx,
		    "status '%s' is _redirects syntax: in netlify.toml write the number and force = true", Q(s, n));
	} else {
		snprintf(fx, sizeof(fx), "write status = %" PRId64 " without quotes", code);
		add(c, NTL_RED_3, SIM_MEDIUM, at_val(v), SIM_FIX_HEAL, fx, "status must be an integer, not a string");
	}
	return code;
}

/* The rule's status (301 when unset), or -1 when Netlify cannot read it. */
static int64_t check_status(struct ntl *c, const struct toml_value *v, bool *bang)
{
	int64_t code = -1;
	double f = 0;
	char fx[FIX_MAX];

	*bang = false;
	if (!v)
		return 301;
	if (is_type(v, TOML_INTEGER)) {
		toml_get_int(v, &code);
	} else if (is_type(v, TOML_FLOAT) && toml_get_float(v, &f) == 0 && whole(f)) {
		code = (int64_t)f;
		snprintf(fx, sizeof(fx), "write status = %" PRId64, code);
		add(c, NTL_TOML_7, SIM_MEDIUM, at_val(v), SIM_FIX_HEAL, fx, "status is a float: write it as an integer");
	} else if (is_type(v, TOML_STRING)) {
		if ((code = check_status_string(c, v, bang)) < 0)
			return -1;
	} else {
		add(c, NTL_RED_3, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
		    "status must be a whole number, not %s: Netlify drops the rule with \"Invalid status code\"",
		    a_type(v));
		return -1;
	}
	check_status_code(c, v, code);
	return code;
}

static void check_force(struct ntl *c, const struct toml_value *v)
{
	const char *s;
	size_t n;
	bool t, f;

	if (!v || is_type(v, TOML_BOOL))
		return;
	str_of(v, &s, &n);
	t = key_is_ci(s, n, "true");
	f = key_is_ci(s, n, "false");
	add(c, NTL_RED_4, t ? SIM_HIGH : f ? SIM_MEDIUM : SIM_HIGH, at_val(v), t || f ? SIM_FIX_HEAL : SIM_FIX_NONE,
	    t ? "write force = true without quotes" : "write force = false without quotes",
	    "force must be a boolean, not %s%s", a_type(v), t ? ": the rule is not forced as meant" : "");
}

/* query: a table of strings (RED-11); conditions: Language/Country/Role/Cookie lists (RED-10). */
static void check_query(struct ntl *c, const struct toml_value *v)
{
	const struct toml_value *e;
	const char *k;
	size_t i, kn;

	if (!v)
		return;
	if (!is_type(v, TOML_TABLE)) {
		add(c, NTL_RED_11, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
		    "query must be a table of strings, not %s: Netlify drops the rule", a_type(v));
		return;
	}
	for (i = 0; (e = toml_table_at(v, i, &k, &kn)); i++) {
		if (!is_type(e, TOML_STRING))
			add(c, NTL_RED_11, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL,
			    "query parameter '%s' must be a string, not %s", Q(k, kn), a_type(e));
	}
}

/* One condition value: 2-letter country codes, xx or xx-YY languages. */
static bool condition_value_ok(const char *key, const char *s, size_t n)
{
	size_t i, lead;

	while (n && *s == ' ') {
		s++;
		n--;
	}
	while (n && s[n - 1] == ' ')
		n--;
	if (strcmp(key, "Country") == 0)
		return n == 2 && isalpha((unsigned char)s[0]) && isalpha((unsigned char)s[1]);
	if (strcmp(key, "Language") != 0)
		return n > 0;
	for (lead = 0; lead < n && isalpha((unsigned char)s[lead]); lead++)
		;
	if (lead != 2)
		return false;
	if (n == 2)
		return true;
	for (i = 3; i < n && isalpha((unsigned char)s[i]); i++)
		;
	return n == 5 && (s[2] == '-' || s[2] == '_') && i == n;
}

static const char *condition_what(const char *key)
{
	if (strcmp(key, "Language") == 0)
		return "language (xx or xx-YY)";
	if (strcmp(key, "Country") == 0)
		return "ISO 3166 country code (two letters)";
	return "value";
}

/* The values of one condition: an array of strings, or one comma-separated string. */
static void check_condition_values(struct ntl *c, const char *key, const struct toml_value *e)
{
	const struct toml_value *x;
	const char *s, *p, *comma;
	size_t i, n;

	if (str_of(e, &s, &n)) {
		for (p = s; p <= s + n; p = comma + 1) {
			if (!(comma = memchr(p, ',', (size_t)(s + n - p))))
				comma = s + n;
			if (!condition_value_ok(key, p, (size_t)(comma - p)))
				add(c, NTL_RED_10, SIM_MEDIUM, at_val(e), SIM_FIX_NONE, NULL,
				    "%s '%s' is not a valid %s", key, Q(p, (size_t)(comma - p)),
				    condition_what(key));
		}
		return;
	}
	if (!is_type(e, TOML_ARRAY)) {
		add(c, NTL_RED_10, SIM_MEDIUM, at_val(e), SIM_FIX_NONE, NULL,
		    "conditions.%s must be an array of strings, not %s", key, a_type(e));
		return;
	}
	for (i = 0; i < toml_array_len(e); i++) {
		x = toml_array_get(e, i);
		if (!str_of(x, &s, &n))
			add(c, NTL_RED_10, SIM_MEDIUM, at_val(x), SIM_FIX_NONE, NULL,
			    "conditions.%s must hold strings, not %s", key, a_type(x));
		else if (!condition_value_ok(key, s, n))
			add(c, NTL_RED_10, SIM_MEDIUM, at_val(x), SIM_FIX_NONE, NULL, "%s '%s' is not a valid %s", key,
			    Q(s, n), condition_what(key));
	}
}

static void check_conditions(struct ntl *c, const struct toml_value *v)
{
	const struct toml_value *e;
	const char *k, *near, *canon;
	size_t i, kn, j;
	char fx[FIX_MAX];

	if (!v)
		return;
	if (!is_type(v, TOML_TABLE)) {
		add(c, NTL_RED_10, SIM_MEDIUM, at_val(v), SIM_FIX_NONE, NULL, "conditions must be a table, not %s",
		    a_type(v));
		return;
	}
	for (i = 0; (e = toml_table_at(v, i, &k, &kn)); i++) {
		canon = NULL;
		for (j = 0; condition_keys[j] && !canon; j++) {
			if (key_is(k, kn, condition_keys[j]) ||
			    (j < 3 && key_is_ci(k, kn, condition_keys[j]) && islower((unsigned char)k[0])))
				canon = condition_keys[j];
		}
		if (canon) {
			check_condition_values(c, canon, e);
			continue;
		}
		near = nearest(k, kn, condition_keys);
		if (near)
			snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
		add(c, NTL_RED_10, SIM_MEDIUM, at_key(e), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE, near ? fx : NULL,
		    "unknown condition '%s' is ignored (Language, Country, Role, Cookie)", Q(k, kn));
	}
}

/* headers and signed only mean something on a proxy rule; they must be a table of strings and a string. */
static void check_proxy_fields(struct ntl *c, const struct toml_value *headers, const struct toml_value *sig)
{
	const struct toml_value *e;
	const char *k;
	size_t i, kn;

	if (headers && !is_type(headers, TOML_TABLE))
		add(c, NTL_RED_9, SIM_CRITICAL, at_val(headers), SIM_FIX_NONE, NULL,
		    "redirect headers must be a table, not %s: Netlify drops the rule", a_type(headers));
	for (i = 0; is_type(headers, TOML_TABLE) && (e = toml_table_at(headers, i, &k, &kn)); i++) {
		if (!is_type(e, TOML_STRING))
			add(c, NTL_RED_9, SIM_MEDIUM, at_val(e), SIM_FIX_NONE, NULL,
			    "redirect header '%s' must be a string, not %s", Q(k, kn), a_type(e));
	}
	if (sig && !is_type(sig, TOML_STRING))
		add(c, NTL_RED_9, SIM_CRITICAL, at_val(sig), SIM_FIX_NONE, NULL,
		    "signed must be the name of an environment variable (a string), not %s", a_type(sig));
}

/* True when :NAME (N bytes) is a placeholder of PATH (a /:name segment) or a query value ":name". */
static bool placeholder_defined(const struct rule *r, const struct toml_value *query, const char *name, size_t n)
{
	const struct toml_value *e;
	const char *p = r->path, *end = r->path + r->pathlen, *s;
	size_t i, sn;

	for (; p + 1 < end; p++) {
		if (p[0] == '/' && p[1] == ':' && (size_t)(end - p - 2) >= n && memcmp(p + 2, name, n) == 0 &&
		    (p + 2 + n == end || !(isalnum((unsigned char)p[2 + n]) || p[2 + n] == '_')))
			return true;
	}
	for (i = 0; is_type(query, TOML_TABLE) && (e = toml_table_at(query, i, NULL, NULL)); i++) {
		if (str_of(e, &s, &sn) && sn == n + 1 && s[0] == ':' && memcmp(s + 1, name, n) == 0)
			return true;
	}
	return false;
}

/* :splat needs a * in from; every other :name in to needs a :name in from or query. */
static void check_placeholders(struct ntl *c, const struct rule *r, const struct toml_value *to,
			       const struct toml_value *query)
{
	struct rule dst = { 0 };
	const char *p, *end, *name;
	size_t n;

	if (!check_location(c, to, "to", &dst))
		return;
	end = dst.path + dst.pathlen;
	for (p = dst.path; p + 1 < end; p++) {
		if (p[0] != ':' || !isalpha((unsigned char)p[1]) || (p > dst.path && (isalnum((unsigned char)p[-1]) ||
										  p[-1] == '_')))
			continue;
		name = p + 1;
		for (n = 0; name + n < end && (isalnum((unsigned char)name[n]) || name[n] == '_'); n++)
			;
		if (key_is(name, n, "splat")) {
			if (!memchr(r->path, '*', r->pathlen))
				add(c, NTL_RED_6, SIM_HIGH, at_val(to), SIM_FIX_NONE, NULL,
				    "to uses :splat but from '%s' has no *: the redirect sends the literal text ':splat'",
				    Q(r->path, r->pathlen));
		} else if (!placeholder_defined(r, query, name, n)) {
			add(c, NTL_RED_6, SIM_HIGH, at_val(to), SIM_FIX_NONE, NULL,
			    "to uses :%s, which neither from nor query defines: the redirect sends the literal text",
			    Q(name, n));
		}
		p = name + n - 1;
	}
}

/* The single-page-app fallback (every path to /index.html) must be a 200 rewrite, and not forced. */
static void check_spa(struct ntl *c, const struct toml_value *t, const struct rule *r, const struct toml_value *to,
		      const struct toml_value *status, int64_t code, const struct toml_value *force)
{
	const char *s;
	size_t n;
	bool forced = false;

	if (!r->from || r->hostlen || !key_is(r->path, r->pathlen, "/*") || !str_of(to, &s, &n) ||
	    !key_is(s, n, "/index.html"))
		return;
	if (code == 301 || code == 302)
		add(c, NTL_RED_7, SIM_HIGH, status ? at_val(status) : at_val(t), SIM_FIX_HEAL,
		    status ? "change status to 200" : "add status = 200",
		    "the single-page-app fallback /* -> /index.html %s a %" PRId64 " redirect: every deep link is sent "
		    "to / instead of being rendered; it must be status = 200", status ? "is" : "defaults to", code);
	if (is_type(force, TOML_BOOL) && toml_get_bool(force, &forced) == 0 && forced)
		add(c, NTL_RED_7, SIM_HIGH, at_val(force), SIM_FIX_HEAL, "remove force = true",
		    "force = true on the /* -> /index.html fallback also rewrites real files: scripts, styles and images "
		    "are answered with index.html");
}

/* One [[redirects]] entry; fills R for the shadowing check. */
static void check_rule(struct ntl *c, const struct toml_value *t, struct rule *r)
{
	const struct toml_value *from = get_any(t, (const char *const[]){ "from", "origin", NULL }),
		*to = get_any(t, (const char *const[]){ "to", "destination", NULL }),
		*status = toml_table_get(t, "status"), *force = toml_table_get(t, "force"),
		*query = get_any(t, (const char *const[]){ "query", "params", "parameters", NULL }),
		*cond = toml_table_get(t, "conditions");
	const char *s, *ts;
	size_t n, tn;
	int64_t code;
	bool bang;

	memset(r, 0, sizeof(*r));
	r->tab = t;
	r->plain = (!query || toml_table_len(query) == 0) && (!cond || toml_table_len(cond) == 0);
	r->to = to;
	r->code = code = check_status(c, status, &bang);
	if (is_type(force, TOML_BOOL))
		toml_get_bool(force, &r->forced);
	if (!from || (str_of(from, &s, &n) && n == 0))
		add(c, NTL_RED_1, SIM_CRITICAL, from ? at_val(from) : at_val(t), SIM_FIX_NONE, NULL,
		    "redirect has no from: Netlify drops the rule with 'Missing \"from\" field'");
	else if (!is_type(from, TOML_STRING))
		add(c, NTL_RED_1, SIM_CRITICAL, at_val(from), SIM_FIX_NONE, NULL,
		    "from must be a string, not %s: Netlify drops the rule", a_type(from));
	else if (check_location(c, from, "from", r))
		r->from = from;
	if (r->from && r->pathlen >= 9 && strncasecmp(r->path, "/.netlify", 9) == 0) {
		add(c, NTL_RED_5, SIM_CRITICAL, at_val(from), SIM_FIX_NONE, NULL,
		    "from must not start with /.netlify: Netlify drops the rule");
		r->from = NULL;
	}
	if (!to || (str_of(to, &ts, &tn) && tn == 0)) {
		if (!(r->from && r->pathlen >= 2 && memcmp(r->path + r->pathlen - 2, "/*", 2) == 0 && code >= 200 &&
		      code <= 299))
			add(c, NTL_RED_2, SIM_CRITICAL, to ? at_val(to) : at_val(t), SIM_FIX_NONE, NULL,
			    "redirect has no to: Netlify drops the rule with 'Missing \"to\" field' (only a 2xx "
			    "rule whose from ends in /* may leave it out)");
	} else if (!is_type(to, TOML_STRING)) {
		add(c, NTL_RED_2, SIM_CRITICAL, at_val(to), SIM_FIX_NONE, NULL,
		    "to must be a string, not %s: Netlify drops the rule", a_type(to));
	} else if (r->from) {
		check_placeholders(c, r, to, query);
	} else {
		struct rule dst;

		check_location(c, to, "to", &dst);
	}
	if (!bang)
		check_force(c, force);
	check_query(c, query);
	check_conditions(c, cond);
	check_proxy_fields(c, toml_table_get(t, "headers"), get_any(t, (const char *const[]){ "signed", "sign",
											      "signing", NULL }));
	check_spa(c, t, r, to, status, code, force);
}

/* True when rule A takes every request rule B would: A is plain, its from ends in a slash and splat, B is under it. */
static bool shadows(const struct rule *a, const struct rule *b)
{
	size_t prefix = a->pathlen - 1;

	if (!a->from || !b->from || !a->plain || a->pathlen < 2 || a->path[prefix] != '*' || a->path[prefix - 1] != '/')
		return false;
	if (memchr(a->path, ':', a->pathlen) || memchr(a->path, '*', prefix))
		return false;
	if (a->hostlen && (a->hostlen != b->hostlen || strncasecmp(a->host, b->host, a->hostlen) != 0))
		return false;
	return b->pathlen >= prefix && memcmp(b->path, a->path, prefix) == 0;
}

/* Two rules with the same from (trailing slash aside) and no conditions: the second never runs. */
static bool same_from(const struct rule *a, const struct rule *b)
{
	size_t an = a->pathlen, bn = b->pathlen;

	if (!a->from || !b->from || !a->plain)
		return false;
	while (an > 1 && a->path[an - 1] == '/')
		an--;
	while (bn > 1 && b->path[bn - 1] == '/')
		bn--;
	return an == bn && memcmp(a->path, b->path, an) == 0 && a->hostlen == b->hostlen &&
	       strncasecmp(a->host, b->host, a->hostlen) == 0;
}

/* Two rules that send a request to the same place the same way. */
static bool same_effect(const struct rule *a, const struct rule *b)
{
	const char *x, *y;
	size_t xn, yn;

	if (a->code != b->code || a->forced != b->forced || !str_of(a->to, &x, &xn) || !str_of(b->to, &y, &yn))
		return false;
	while (xn > 1 && x[xn - 1] == '/')
		xn--;
	while (yn > 1 && y[yn - 1] == '/')
		yn--;
	return xn == yn && memcmp(x, y, xn) == 0;
}

/* Report a catch-all (every path) that comes before other rules: first match wins, so they never run. */
static void check_catch_all(struct ntl *c, const struct rule *rules, size_t n, size_t j)
{
	size_t i, count = 0, first = 0;
	char fx[FIX_MAX];

	for (i = j + 1; i < n; i++) {
		if (shadows(&rules[j], &rules[i]) && !key_is(rules[i].path, rules[i].pathlen, "/*") && count++ == 0)
			first = i;
	}
	if (!count)
		return;
	snprintf(fx, sizeof(fx), "move the catch-all rule at line %u after the other rules",
		 toml_value_span(rules[j].tab).line);
	add(c, NTL_RED_8, SIM_HIGH, at_val(rules[j].from), SIM_FIX_HEAL, fx,
	    "catch-all rule from '%s' comes before %zu more specific rule%s (first at line %u): the first match wins, "
	    "so they never run", Q(rules[j].path, rules[j].pathlen), count, count == 1 ? "" : "s",
	    toml_value_span(rules[first].tab).line);
}

/* Rules that an earlier one always wins over. Catch-alls are reported once, on themselves. */
static void check_shadowing(struct ntl *c, const struct rule *rules, size_t n)
{
	size_t i, j;
	bool catch_all;
	char fx[FIX_MAX];

	for (j = 0; j < n; j++) {
		if (rules[j].from && !rules[j].hostlen && key_is(rules[j].path, rules[j].pathlen, "/*"))
			check_catch_all(c, rules, n, j);
	}
	for (i = 1; i < n; i++) {
		for (j = 0; j < i && rules[i].from; j++) {
			catch_all = !rules[j].hostlen && key_is(rules[j].path, rules[j].pathlen, "/*");
			if (same_from(&rules[j], &rules[i]) && same_effect(&rules[j], &rules[i])) {
				add(c, NTL_RED_8, SIM_LOW, at_val(rules[i].from), SIM_FIX_SUGGEST, "remove this rule",
				    "the rule at line %u already sends '%s' to the same place (Netlify matches paths with "
				    "and without a trailing slash alike): this one is redundant",
				    toml_value_span(rules[j].tab).line, Q(rules[i].path, rules[i].pathlen));
				break;
			}
			if (same_from(&rules[j], &rules[i])) {
				snprintf(fx, sizeof(fx), "remove this rule, or the one at line %u",
					 toml_value_span(rules[j].tab).line);
				add(c, NTL_RED_8, SIM_HIGH, at_val(rules[i].from), SIM_FIX_SUGGEST, fx,
				    "the rule at line %u has the same from '%s' and comes first: this one never runs",
				    toml_value_span(rules[j].tab).line, Q(rules[i].path, rules[i].pathlen));
				break;
			}
			if (!catch_all && shadows(&rules[j], &rules[i])) {
				snprintf(fx, sizeof(fx), "move this rule above the rule at line %u",
					 toml_value_span(rules[j].tab).line);
				add(c, NTL_RED_8, SIM_HIGH, at_val(rules[i].from), SIM_FIX_SUGGEST, fx,
				    "the rule at line %u (from '%s') comes first and matches everything this one does: "
				    "this one never runs", toml_value_span(rules[j].tab).line,
				    Q(rules[j].path, rules[j].pathlen));
				break;
			}
			if (catch_all && shadows(&rules[j], &rules[i]))
				break;
		}
	}
}

/* redirects / headers / plugins written as one [table] instead of [[table]]s. */
static void not_an_array(struct ntl *c, const struct toml_value *v, const char *name)
{
	char fx[FIX_MAX];

	snprintf(fx, sizeof(fx), "change [%s] to [[%s]]", name, name);
	if (is_type(v, TOML_TABLE))
		add(c, NTL_TOP_3, SIM_CRITICAL, at_val(v), has_header(c, v) ? SIM_FIX_HEAL : SIM_FIX_SUGGEST, fx,
		    "%s must be an array of tables ([[%s]]), not a table: the build stops at configuration "
		    "validation", name, name);
	else
		add(c, NTL_TOP_3, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
		    "%s must be an array of tables ([[%s]]), not %s", name, name, a_type(v));
}

static void check_redirects(struct ntl *c, const struct toml_value *v)
{
	const struct toml_value *e;
	struct rule one, *rules;
	size_t i, n = 0;

	if (!is_type(v, TOML_ARRAY)) {
		not_an_array(c, v, "redirects");
		if (is_type(v, TOML_TABLE))
			check_rule(c, v, &one);
		return;
	}
	if (!(rules = calloc(toml_array_len(v) + 1, sizeof(*rules)))) {
		c->err = err_set(ERR_NOMEM, "out of memory");
		return;
	}
	for (i = 0; i < toml_array_len(v); i++) {
		e = toml_array_get(v, i);
		if (is_type(e, TOML_TABLE))
			check_rule(c, e, &rules[n++]);
		else
			add(c, NTL_TOP_3, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL,
			    "each redirect must be a table, not %s", a_type(e));
	}
	check_shadowing(c, rules, n);
	free(rules);
}

/* ---- [[headers]] ---- */

/* One header set by one block, for the duplicate check. */
struct header_use {
	const char *path, *name;
	size_t pathlen, namelen, order;
	const struct toml_value *v;
};

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
		add(c, NTL_HDR_3, SIM_CRITICAL, at_key(e), SIM_FIX_NONE, NULL,
		    "a header name is empty: Netlify rejects the header rules");
	if (is_type(e, TOML_STRING) || all_strings(e))
		return;
	if (is_type(e, TOML_ARRAY)) {
		for (i = 0; i < toml_array_len(e) && is_type(toml_array_get(e, i), TOML_STRING); i++)
			;
		add(c, NTL_HDR_3, SIM_CRITICAL, at_val(toml_array_get(e, i)), SIM_FIX_NONE, NULL,
		    "header '%s' must hold strings, not %s", Q(k, kn), a_type(toml_array_get(e, i)));
	} else if (is_scalar(e)) {
		snprintf(fx, sizeof(fx), "quote it: %s = \"%s\"", Q(k, kn), val_text(c, e, txt, sizeof(txt)));
		add(c, NTL_HDR_3, SIM_CRITICAL, at_val(e), SIM_FIX_HEAL, fx,
		    "header '%s' is %s: header values must be strings", Q(k, kn), a_type(e));
	} else {
		add(c, NTL_HDR_3, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL,
		    "header '%s' is a table: header values must be strings", Q(k, kn));
	}
}

static void check_header_for(struct ntl *c, const struct toml_value *t, const struct toml_value *f)
{
	const char *s;
	size_t n;
	char fx[FIX_MAX];

	if (!f) {
		add(c, NTL_HDR_1, SIM_CRITICAL, at_val(t), SIM_FIX_NONE, NULL,
		    "header block has no for: Netlify rejects the header rules");
		return;
	}
	if (!str_of(f, &s, &n)) {
		add(c, NTL_HDR_1, SIM_CRITICAL, at_val(f), SIM_FIX_NONE, NULL, "for must be a string, not %s",
		    a_type(f));
		return;
	}
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	if (n == 0) {
		add(c, NTL_HDR_1, SIM_CRITICAL, at_val(f), SIM_FIX_NONE, NULL,
		    "for is empty: Netlify rejects the header rules");
	} else if (s[0] != '/' && !(n >= 7 && strncasecmp(s, "http://", 7) == 0) &&
		   !(n >= 8 && strncasecmp(s, "https://", 8) == 0)) {
		snprintf(fx, sizeof(fx), "write for = \"/%s\"", Q(s, n));
		add(c, NTL_HDR_1, SIM_MEDIUM, at_val(f), SIM_FIX_SUGGEST, fx,
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
	str_of(f, &path, &pathlen);
	for (i = 0; (e = toml_table_at(t, i, &k, &kn)); i++) {
		if (key_is(k, kn, "for") || key_is(k, kn, "values"))
			continue;
		stray++;
		add(c, NTL_HDR_2, SIM_HIGH, at_key(e), SIM_FIX_SUGGEST, "move it under [headers.values]",
		    "'%s' is not read from a header block (only for and values are): the header is not sent", Q(k, kn));
	}
	if (!vals) {
		if (!stray)
			add(c, NTL_HDR_2, SIM_MEDIUM, at_val(t), SIM_FIX_NONE, NULL,
			    "header block has no values: Netlify ignores it");
		return;
	}
	if (!is_type(vals, TOML_TABLE)) {
		add(c, NTL_HDR_2, SIM_HIGH, at_val(vals), SIM_FIX_NONE, NULL,
		    "values must be a table of headers ([headers.values]), not %s: the block is dropped", a_type(vals));
		return;
	}
	if (toml_table_len(vals) == 0)
		add(c, NTL_HDR_2, SIM_MEDIUM, at_val(vals), SIM_FIX_NONE, NULL,
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
		add(c, NTL_HDR_5, SIM_LOW, at_key(b.v), SIM_FIX_NONE, NULL,
		    "header '%s' for '%s' is also set at line %u: Netlify sends both values", Q(b.name, b.namelen),
		    Q(b.path, b.pathlen), at_key(a.v).line);
	}
}

static void check_headers(struct ntl *c, const struct toml_value *v)
{
	const struct toml_value *e;
	struct header_use *uses;
	size_t i, n = 0, cap = 0;

	if (!is_type(v, TOML_ARRAY)) {
		not_an_array(c, v, "headers");
		if (is_type(v, TOML_TABLE))
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
		if (is_type(e, TOML_TABLE))
			check_header_block(c, e, uses, &n, cap);
		else
			add(c, NTL_TOP_3, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL,
			    "each header block must be a table, not %s", a_type(e));
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
	if (at && (!slash || slash == s + 1 || slash == s + n - 1 || memchr(slash + 1, '/', (size_t)(s + n - slash - 1))))
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
			add(c, NTL_PLUGIN_2, SIM_CRITICAL, at_val(t), SIM_FIX_SUGGEST,
			    "move package = ... above [plugins.inputs]",
			    "plugin has no package: its package line sits inside [plugins.inputs]; the build fails");
		else
			add(c, NTL_PLUGIN_2, SIM_CRITICAL, at_val(t), SIM_FIX_NONE, NULL,
			    "plugin has no package: the build fails at configuration validation");
		return;
	}
	if (!str_of(pkg, &s, &n)) {
		add(c, NTL_PLUGIN_2, SIM_CRITICAL, at_val(pkg), SIM_FIX_NONE, NULL,
		    "package must be a string, not %s", a_type(pkg));
		return;
	}
	if (!(why = bad_package(s, n)))
		return;
	at = n > 1 ? memchr(s + 1, '@', n - 1) : NULL;
	if (at && !memchr(s, ':', n))
		snprintf(fx, sizeof(fx), "write package = \"%s\" and pinned_version = \"%s\"", Q(s, (size_t)(at - s)),
			 Q(at + 1, (size_t)(s + n - at - 1)));
	add(c, NTL_PLUGIN_2, SIM_CRITICAL, at_val(pkg), at && !memchr(s, ':', n) ? SIM_FIX_SUGGEST : SIM_FIX_NONE,
	    at ? fx : NULL, "package '%s' is not a plugin Netlify can install: %s", Q(s, n), why);
}

static void check_plugin(struct ntl *c, const struct toml_value *t)
{
	const struct toml_value *e;
	const char *k, *near;
	size_t i, kn;
	char fx[FIX_MAX];

	for (i = 0; (e = toml_table_at(t, i, &k, &kn)); i++) {
		if (key_is(k, kn, "inputs") && !is_type(e, TOML_TABLE)) {
			add(c, NTL_PLUGIN_4, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL,
			    "plugin inputs must be a table, not %s", a_type(e));
		} else if (key_is(k, kn, "pinned_version") && !is_type(e, TOML_STRING)) {
			add(c, NTL_PLUGIN_4, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL,
			    "pinned_version must be a string, not %s", a_type(e));
		} else if (!in_list(k, kn, plugin_keys, false)) {
			near = nearest(k, kn, plugin_keys);
			snprintf(fx, sizeof(fx), near ? "rename %s to %s" : "move %s into [plugins.inputs]", Q(k, kn), near);
			add(c, NTL_PLUGIN_1, SIM_CRITICAL, at_key(e), SIM_FIX_SUGGEST, fx,
			    "unknown plugin key '%s': a plugin takes only package, inputs and pinned_version; the build "
			    "fails at configuration validation", Q(k, kn));
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
		if (!str_of(b, &bs, &bn))
			continue;
		for (i = 0; i < j; i++) {
			a = toml_table_get(toml_array_get(v, i), "package");
			if (str_of(a, &as, &an) && an == bn && memcmp(as, bs, an) == 0) {
				add(c, NTL_PLUGIN_3, SIM_CRITICAL, at_val(b), SIM_FIX_SUGGEST,
				    "merge the two blocks into one",
				    "plugin '%s' is listed twice (also at line %u): the build fails with \"must not be "
				    "specified twice\"", Q(bs, bn), at_val(a).line);
				break;
			}
		}
	}
}

static void check_plugins(struct ntl *c, const struct toml_value *v, const char *where, bool top)
{
	const struct toml_value *e;
	size_t i;

	if (!is_type(v, TOML_ARRAY)) {
		not_an_array(c, v, top ? "plugins" : where);
		if (is_type(v, TOML_TABLE))
			check_plugin(c, v);
		return;
	}
	for (i = 0; i < toml_array_len(v); i++) {
		e = toml_array_get(v, i);
		if (is_type(e, TOML_TABLE))
			check_plugin(c, e);
		else
			add(c, NTL_TOP_3, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL,
			    "each plugin must be a table, not %s", a_type(e));
	}
	if (top)
		check_plugin_duplicates(c, v);
}

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
	static const char *const macros[] = { "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly", NULL };
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
		return in_list(s, n, macros, true);
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

	if (is_type(v, TOML_INTEGER))
		return toml_get_int(v, &x) == 0 && x > 0;
	if (is_type(v, TOML_FLOAT))
		return toml_get_float(v, &f) == 0 && f > 0;
	if (!str_of(v, &s, &n))
		return false;
	for (i = 0; i < n && (isdigit((unsigned char)s[i]) || s[i] == '.'); i++)
		;
	if (i == 0)
		return false;
	while (i < n && s[i] == ' ')
		i++;
	return key_is_ci(s + i, n - i, "mb") || key_is_ci(s + i, n - i, "gb") || key_is_ci(s + i, n - i, "m") ||
	       key_is_ci(s + i, n - i, "g") || key_is_ci(s + i, n - i, "mib") || key_is_ci(s + i, n - i, "gib") ||
	       i == n;
}

static void func_bad(struct ntl *c, const struct toml_value *v, const char *what, const char *want)
{
	add(c, NTL_FUNC_2, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
	    "%s must be %s, not %s: the build stops at configuration validation", what, want, a_type(v));
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

	if (key_is(k, kn, "directory")) {
		if (!top)
			add(c, NTL_FUNC_3, SIM_CRITICAL, at_key(v), SIM_FIX_SUGGEST,
			    "move directory to the top-level [functions] table",
			    "%s: directory can only be set in the top-level [functions] table, not per function", what);
		else if (!is_type(v, TOML_STRING))
			func_bad(c, v, what, "a string path");
		else
			check_path(c, v, what, c->base_depth);
	} else if (key_is(k, kn, "node_bundler")) {
		if (!str_of(v, &s, &n)) {
			func_bad(c, v, what, "one of esbuild, nft, zisi, none");
		} else if (!in_list(s, n, node_bundlers, false)) {
			near = nearest(s, n, node_bundlers);
			if (near)
				snprintf(fx, sizeof(fx), "write node_bundler = \"%s\"", near);
			add(c, NTL_FUNC_2, SIM_CRITICAL, at_val(v), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE, near ? fx : NULL,
			    "node_bundler '%s' is not one of esbuild, nft, zisi, none", Q(s, n));
		}
	} else if (key_is(k, kn, "external_node_modules") || key_is(k, kn, "ignored_node_modules") ||
		   key_is(k, kn, "included_files")) {
		if (!all_strings(v))
			func_bad(c, v, what, "an array of strings");
	} else if (key_is(k, kn, "deno_import_map")) {
		if (!is_type(v, TOML_STRING))
			func_bad(c, v, what, "a string path");
		else
			check_path(c, v, what, c->base_depth);
	} else if (key_is(k, kn, "memory")) {
		if (!memory_ok(v))
			func_bad(c, v, what, "a number of megabytes or a size such as \"2gb\"");
	} else if (key_is(k, kn, "region")) {
		if (!is_type(v, TOML_STRING))
			func_bad(c, v, what, "a string");
	} else if (key_is(k, kn, "vcpu")) {
		if (is_type(v, TOML_INTEGER) && toml_get_int(v, &x) == 0)
			f = (double)x;
		else if (is_type(v, TOML_FLOAT))
			toml_get_float(v, &f);
		if (!(f >= 0.5 && f <= 2))
			add(c, NTL_FUNC_2, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
			    "%s must be a number from 0.5 to 2", what);
	} else if (key_is(k, kn, "schedule")) {
		if (!str_of(v, &s, &n) || !cron_ok(s, n))
			add(c, NTL_FUNC_4, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL,
			    "%s is not a cron expression (five fields, or @hourly, @daily, @weekly, @monthly, @yearly): "
			    "the build fails", what);
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
	bool top = key_is(name, nn, "*");

	for (i = 0; (e = toml_table_at(t, i, &k, &kn)); i++) {
		snprintf(what, sizeof(what), "%s.%s.%s", where, Q(name, nn), Q(k, kn));
		if (in_list(k, kn, func_props, false)) {
			check_func_prop(c, k, kn, e, top, what);
			continue;
		}
		near = nearest(k, kn, func_props);
		if (near)
			snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
		add(c, NTL_FUNC_1, SIM_MEDIUM, at_key(e), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE, near ? fx : NULL,
		    "unknown function setting '%s' is ignored%s", Q(k, kn),
		    key_is(k, kn, "timeout") ? " (the timeout is set in the Netlify UI, not in netlify.toml)" : "");
	}
}

static void check_functions(struct ntl *c, const struct toml_value *v, const char *where)
{
	const struct toml_value *e;
	const char *k, *near;
	char what[2 * QUOTE_MAX + 16], fx[FIX_MAX];
	size_t i, kn;

	if (!is_type(v, TOML_TABLE)) {
		add(c, NTL_TOP_3, SIM_CRITICAL, at_val(v), is_aot(v) ? SIM_FIX_SUGGEST : SIM_FIX_NONE,
		    "write [functions] with single brackets", "%s must be a table, not %s", where, a_type(v));
		return;
	}
	for (i = 0; (e = toml_table_at(v, i, &k, &kn)); i++) {
		snprintf(what, sizeof(what), "%s.%s", where, Q(k, kn));
		/* a table is a function's own settings, whatever its name: the build tells them apart by type */
		if (is_type(e, TOML_TABLE)) {
			check_function_config(c, e, where, k, kn);
		} else if (in_list(k, kn, func_props, false)) {
			check_func_prop(c, k, kn, e, true, what);
		} else {
			near = nearest(k, kn, func_props);
			if (near)
				snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
			add(c, NTL_FUNC_1, SIM_MEDIUM, at_key(e), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE, near ? fx : NULL,
			    "unknown [functions] setting '%s' is ignored%s", Q(k, kn),
			    key_is(k, kn, "timeout") ? " (the timeout is set in the Netlify UI, not in netlify.toml)" : "");
		}
	}
}

/* ---- [[edge_functions]] ---- */

static bool method_ok(const struct toml_value *v)
{
	const char *s;
	size_t n, i;

	if (str_of(v, &s, &n))
		return in_list(s, n, http_methods, true);
	if (!is_type(v, TOML_ARRAY) || toml_array_len(v) == 0)
		return false;
	for (i = 0; i < toml_array_len(v); i++) {
		if (!str_of(toml_array_get(v, i), &s, &n) || !in_list(s, n, http_methods, true))
			return false;
	}
	return true;
}

static bool header_match_ok(const struct toml_value *v)
{
	const struct toml_value *e;
	size_t i;

	if (!is_type(v, TOML_TABLE))
		return false;
	for (i = 0; (e = toml_table_at(v, i, NULL, NULL)); i++) {
		if (!is_type(e, TOML_STRING) && !is_type(e, TOML_BOOL))
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
		if (!in_list(k, kn, edge_keys, false)) {
			near = nearest(k, kn, edge_keys);
			if (near)
				snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
			add(c, NTL_EDGE_1, SIM_CRITICAL, at_key(e), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE, near ? fx : NULL,
			    "unknown edge function key '%s'%s: the build fails at configuration validation", Q(k, kn),
			    key_is(k, kn, "generator") ? " (generator is set by the platform only)" : "");
		} else if ((key_is(k, kn, "excludedPath") || key_is(k, kn, "excludedPattern")) &&
			   !is_type(e, TOML_STRING) && !all_strings(e)) {
			add(c, NTL_EDGE_4, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL,
			    "%s must be a string or an array of strings, not %s", Q(k, kn), a_type(e));
		} else if (key_is(k, kn, "cache") &&
			   (!str_of(e, &s, &n) || !(key_is(s, n, "manual") || key_is(s, n, "off")))) {
			add(c, NTL_EDGE_5, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL,
			    "cache must be \"manual\" or \"off\"");
		} else if (key_is(k, kn, "method") && !method_ok(e)) {
			add(c, NTL_EDGE_5, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL,
			    "method must be GET, POST, PUT, PATCH, DELETE or OPTIONS, or a non-empty array of them");
		} else if (key_is(k, kn, "header") && !header_match_ok(e)) {
			add(c, NTL_EDGE_5, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL,
			    "header must be a table of strings or booleans");
		} else if (key_is(k, kn, "name") && !is_type(e, TOML_STRING)) {
			add(c, NTL_EDGE_5, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL, "name must be a string, not %s",
			    a_type(e));
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

	if (!fn || !is_type(fn, TOML_STRING))
		add(c, NTL_EDGE_2, SIM_CRITICAL, fn ? at_val(fn) : at_val(t), SIM_FIX_NONE, NULL,
		    fn ? "function must be a string (the edge function's name)" : "edge function declaration has no function");
	if (!path && !pat)
		add(c, NTL_EDGE_3, SIM_CRITICAL, at_val(t), SIM_FIX_NONE, NULL,
		    "edge function declaration needs a path or a pattern");
	else if (path && pat)
		add(c, NTL_EDGE_3, SIM_CRITICAL, at_key(pat), SIM_FIX_NONE, NULL,
		    "path and pattern cannot both be set: use one");
	if (path && !str_of(path, &s, &n)) {
		add(c, NTL_EDGE_3, SIM_CRITICAL, at_val(path), SIM_FIX_NONE, NULL, "path must be a string, not %s",
		    a_type(path));
	} else if (path && (n == 0 || s[0] != '/')) {
		snprintf(fx, sizeof(fx), "write path = \"/%s\"", Q(s, n));
		add(c, NTL_EDGE_3, SIM_CRITICAL, at_val(path), SIM_FIX_SUGGEST, fx, "path '%s' must start with /",
		    Q(s, n));
	}
	if (pat && !is_type(pat, TOML_STRING))
		add(c, NTL_EDGE_3, SIM_CRITICAL, at_val(pat), SIM_FIX_NONE, NULL, "pattern must be a string, not %s",
		    a_type(pat));
	if (toml_table_get(t, "excludedPath") && toml_table_get(t, "excludedPattern"))
		add(c, NTL_EDGE_4, SIM_CRITICAL, at_key(toml_table_get(t, "excludedPattern")), SIM_FIX_NONE, NULL,
		    "excludedPath and excludedPattern cannot both be set");
	check_edge_fields(c, t);
}

static void check_edge_functions(struct ntl *c, const struct toml_value *v, const char *where)
{
	const struct toml_value *e;
	size_t i;

	if (!is_type(v, TOML_ARRAY)) {
		not_an_array(c, v, where);
		return;
	}
	for (i = 0; i < toml_array_len(v); i++) {
		e = toml_array_get(v, i);
		if (is_type(e, TOML_TABLE))
			check_edge_function(c, e);
		else
			add(c, NTL_TOP_3, SIM_CRITICAL, at_val(e), SIM_FIX_NONE, NULL,
			    "each edge function declaration must be a table, not %s", a_type(e));
	}
}

/* ---- [dev] (netlify dev only: nothing here reaches a deploy) ---- */

static void check_dev_port(struct ntl *c, const char *k, size_t kn, const struct toml_value *v)
{
	const char *s;
	size_t n, i;
	double f;
	char fx[FIX_MAX] = "";

	if (is_type(v, TOML_INTEGER))
		return;
	if (is_type(v, TOML_FLOAT) && toml_get_float(v, &f) == 0 && whole(f)) {
		snprintf(fx, sizeof(fx), "write %s = %.0f", Q(k, kn), f);
		add(c, NTL_TOML_7, SIM_MEDIUM, at_val(v), SIM_FIX_HEAL, fx, "dev.%s is a float: ports are integers",
		    Q(k, kn));
		return;
	}
	for (i = 0; str_of(v, &s, &n) && i < n && isdigit((unsigned char)s[i]); i++)
		;
	if (is_type(v, TOML_STRING) && i == n && n > 0)
		snprintf(fx, sizeof(fx), "write %s = %s without quotes", Q(k, kn), Q(s, n));
	add(c, NTL_DEV_2, SIM_MEDIUM, at_val(v), is_type(v, TOML_STRING) && i == n && n ? SIM_FIX_SUGGEST : SIM_FIX_NONE,
	    fx, "dev.%s must be a port number, not %s", Q(k, kn), a_type(v));
}

static void check_dev_key(struct ntl *c, const char *k, size_t kn, const struct toml_value *v)
{
	static const char *const strings[] = { "command", "publish", "jwtRolePath", "jwtSecret", "framework",
					       "functions", "base", "edge_functions", NULL };
	static const char *const lists[] = { "envFiles", "pollingStrategies", "watchIgnore", NULL };
	static const char *const frameworks[] = { "#auto", "#static", "#custom", NULL };
	const char *s;
	size_t n;

	if (key_is(k, kn, "port") || key_is(k, kn, "targetPort") || key_is(k, kn, "functionsPort") ||
	    key_is(k, kn, "staticServerPort"))
		check_dev_port(c, k, kn, v);
	else if (in_list(k, kn, strings, false) && !is_type(v, TOML_STRING))
		add(c, NTL_DEV_2, SIM_MEDIUM, at_val(v), SIM_FIX_NONE, NULL, "dev.%s must be a string, not %s",
		    Q(k, kn), a_type(v));
	else if (in_list(k, kn, lists, false) && !all_strings(v))
		add(c, NTL_DEV_2, SIM_MEDIUM, at_val(v), SIM_FIX_NONE, NULL, "dev.%s must be an array of strings",
		    Q(k, kn));
	else if ((key_is(k, kn, "autoLaunch") || key_is(k, kn, "live")) && !is_type(v, TOML_BOOL))
		add(c, NTL_DEV_2, SIM_MEDIUM, at_val(v), SIM_FIX_NONE, NULL, "dev.%s must be a boolean, not %s",
		    Q(k, kn), a_type(v));
	else if (key_is(k, kn, "https") && (!is_type(toml_table_get(v, "certFile"), TOML_STRING) ||
					    !is_type(toml_table_get(v, "keyFile"), TOML_STRING)))
		add(c, NTL_DEV_2, SIM_MEDIUM, at_val(v), SIM_FIX_NONE, NULL,
		    "dev.https must be a table with certFile and keyFile strings");
	else if (key_is(k, kn, "framework") && str_of(v, &s, &n) && n && s[0] == '#' && !in_list(s, n, frameworks, false))
		add(c, NTL_DEV_2, SIM_MEDIUM, at_val(v), SIM_FIX_NONE, NULL,
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
		add(c, NTL_DEV_1, SIM_MEDIUM, at_key(port), SIM_FIX_HEAL, "add framework = \"#custom\" to [dev]",
		    "[dev] sets command and targetPort without framework = \"#custom\": netlify dev refuses to start");
	else if (!str_of(fw, &s, &n) || !key_is(s, n, "#custom"))
		add(c, NTL_DEV_1, SIM_MEDIUM, at_val(fw), SIM_FIX_SUGGEST, "set framework = \"#custom\"",
		    "[dev] sets command and targetPort, so framework must be \"#custom\": netlify dev refuses to start");
}

static void check_dev(struct ntl *c, const struct toml_value *v)
{
	const struct toml_value *e;
	const char *k, *near;
	size_t i, kn;
	char fx[FIX_MAX];

	if (!is_type(v, TOML_TABLE)) {
		add(c, NTL_TOP_3, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL, "dev must be a table, not %s", a_type(v));
		return;
	}
	for (i = 0; (e = toml_table_at(v, i, &k, &kn)); i++) {
		if (key_is(k, kn, "environment")) {
			add(c, NTL_CTX_4, SIM_MEDIUM, at_key(e), SIM_FIX_HEAL,
			    "move [dev.environment] to [context.dev.environment]",
			    "[dev] has no environment: netlify dev takes its variables from [context.dev.environment]");
		} else if (in_list(k, kn, dev_keys, false)) {
			check_dev_key(c, k, kn, e);
		} else {
			near = nearest(k, kn, dev_keys);
			if (near)
				snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
			add(c, NTL_DEV_3, SIM_MEDIUM, at_key(e), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE, near ? fx : NULL,
			    "unknown [dev] setting '%s' is ignored by netlify dev", Q(k, kn));
		}
	}
	check_dev_custom(c, v);
}

/* ---- the rest of the top level ---- */

static void check_database(struct ntl *c, const struct toml_value *v)
{
	const struct toml_value *m = toml_table_get(v, "migrations"), *p = toml_table_get(m, "path");

	if (!is_type(v, TOML_TABLE)) {
		add(c, NTL_TOP_3, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL, "database must be a table, not %s",
		    a_type(v));
		return;
	}
	if (m && !is_type(m, TOML_TABLE))
		add(c, NTL_TOP_3, SIM_CRITICAL, at_val(m), SIM_FIX_NONE, NULL,
		    "database.migrations must be a table, not %s", a_type(m));
	else if (p)
		check_path_type(c, p, "database.migrations.path", c->base_depth);
}

/* An unknown top-level key: a typo of exactly one known key heals by renaming, a guess is only suggested. */
static void unknown_top_key(struct ntl *c, const char *k, size_t kn, const struct toml_value *v)
{
	const char *near = nearest(k, kn, top_keys);
	char fx[FIX_MAX];

	if (near) {
		snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
		add(c, NTL_TOP_1, SIM_HIGH, at_key(v), typos_of(k, kn, top_keys) == 1 ? SIM_FIX_HEAL : SIM_FIX_SUGGEST, fx,
		    "unknown top-level key '%s' is ignored by Netlify: did you mean '%s'?", Q(k, kn), near);
	} else {
		add(c, NTL_TOP_1, SIM_MEDIUM, at_key(v), SIM_FIX_NONE, NULL,
		    "unknown top-level key '%s' is ignored by Netlify", Q(k, kn));
	}
}

static void check_top_key(struct ntl *c, const char *k, size_t kn, const struct toml_value *v)
{
	if (key_is(k, kn, "build") || key_is(k, kn, "Build"))
		check_build(c, v);
	else if (key_is(k, kn, "context"))
		check_contexts(c, v, build_table(c->root));
	else if (key_is(k, kn, "redirects"))
		check_redirects(c, v);
	else if (key_is(k, kn, "headers"))
		check_headers(c, v);
	else if (key_is(k, kn, "plugins"))
		check_plugins(c, v, "plugins", true);
	else if (key_is(k, kn, "functions"))
		check_functions(c, v, "functions");
	else if (key_is(k, kn, "edge_functions"))
		check_edge_functions(c, v, "edge_functions");
	else if (key_is(k, kn, "dev"))
		check_dev(c, v);
	else if (key_is(k, kn, "database"))
		check_database(c, v);
	else if (key_is(k, kn, "spa_fallback") && !is_type(v, TOML_BOOL))
		add(c, NTL_TOP_3, SIM_CRITICAL, at_val(v), SIM_FIX_NONE, NULL, "spa_fallback must be a boolean, not %s",
		    a_type(v));
	else if (!in_list(k, kn, top_keys, false) && !key_is(k, kn, "Settings"))
		unknown_top_key(c, k, kn, v);
}

/* Which of functions' directories wins: [functions] directory over [build] functions. */
static void check_functions_dirs(struct ntl *c, const struct toml_value *root)
{
	const struct toml_value *b = build_table(root), *old = get_ci(b, "functions");

	if (is_type(old, TOML_STRING) && toml_table_get(toml_table_get(root, "functions"), "directory"))
		add(c, NTL_BUILD_9, SIM_MEDIUM, at_key(old), SIM_FIX_SUGGEST, "remove build.functions",
		    "build.functions is ignored: [functions] directory is also set and wins");
}

static void check_doc(struct ntl *c, const struct toml_value *root)
{
	const struct toml_value *v;
	const char *k, *s;
	size_t i, kn, n;

	c->root = root;
	c->base_depth = 0;
	if (str_of(get_ci(build_table(root), "base"), &s, &n))
		c->base_depth = path_depth(s, n, 0);
	for (i = 0; (v = toml_table_at(root, i, &k, &kn)); i++)
		check_top_key(c, k, kn, v);
	check_missing_publish(c, root);
	check_functions_dirs(c, root);
	order_walk(c, root, 0);
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
		syntax_error(&c, text, len);
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
			return err_set(ERR_NOTFOUND, "no netlify.toml: '%s' does not exist, and Netlify no longer reads "
				       "%s (NTL-FILE-1): convert it to netlify.toml", path, old[i]);
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
