/* netlify.toml checks: reporting an issue, reading TOML values, names and typos, paths. */
#include "platform/netlify/check.h"
#include "util/banned.h"

void ntl_add(struct ntl *c, enum ntl_rule rule, enum sim_severity sev, struct toml_span at, enum sim_fix fix,
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
struct toml_span ntl_at_key(const struct toml_value *v)
{
	struct toml_span sp = toml_key_span(v);

	return sp.len ? sp : toml_value_span(v);
}

struct toml_span ntl_at_val(const struct toml_value *v)
{
	return toml_value_span(v);
}

/* The source text of V's span, quoted for a message or a fix. */
const char *ntl_val_text(const struct ntl *c, const struct toml_value *v, char *dst, size_t n)
{
	struct toml_span sp = toml_value_span(v);

	if (sp.off > c->len || sp.len > c->len - sp.off)
		sp.len = 0;
	return err_quote(dst, n, c->src + sp.off, sp.len);
}

/* ---- values ---- */

bool ntl_is_type(const struct toml_value *v, enum toml_type t)
{
	return v && toml_type(v) == t;
}

bool ntl_str_of(const struct toml_value *v, const char **s, size_t *n)
{
	*s = "";
	*n = 0;
	return ntl_is_type(v, TOML_STRING) && toml_get_string(v, s, n) == 0;
}

bool ntl_is_scalar(const struct toml_value *v)
{
	return v && toml_type(v) != TOML_ARRAY && toml_type(v) != TOML_TABLE;
}

const char *ntl_a_type(const struct toml_value *v)
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
bool ntl_is_aot(const struct toml_value *v)
{
	return ntl_is_type(v, TOML_ARRAY) && toml_key_span(v).len && toml_key_span(v).off > toml_value_span(v).off;
}

/* True when table T was made by a [header] line of its own. */
bool ntl_has_header(const struct ntl *c, const struct toml_value *t)
{
	struct toml_span sp = toml_value_span(t);

	return ntl_is_type(t, TOML_TABLE) && t != c->root && sp.len >= 2 && sp.off < c->len && c->src[sp.off] == '[';
}

bool ntl_all_strings(const struct toml_value *a)
{
	size_t i;

	if (!ntl_is_type(a, TOML_ARRAY))
		return false;
	for (i = 0; i < toml_array_len(a); i++) {
		if (!ntl_is_type(toml_array_get(a, i), TOML_STRING))
			return false;
	}
	return true;
}

/* A float that holds a whole number small enough to be a status or a port (NaN is not). */
bool ntl_whole(double f)
{
	return f > -1e6 && f < 1e6 && f == (double)(int64_t)f;
}

/* ---- names ---- */

bool ntl_key_is(const char *k, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(k, name, n) == 0;
}

bool ntl_key_is_ci(const char *k, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(k, name, n) == 0 && !memchr(k, 0, n);
}

bool ntl_in_list(const char *k, size_t n, const char *const *list, bool ci)
{
	for (; *list; list++) {
		if (ci ? ntl_key_is_ci(k, n, *list) : ntl_key_is(k, n, *list))
			return true;
	}
	return false;
}

/* The value at the first of the NULL-terminated NAMES present in T (a key and its legacy aliases). */
const struct toml_value *ntl_get_any(const struct toml_value *t, const char *const *names)
{
	const struct toml_value *v;

	for (; *names; names++) {
		if ((v = toml_table_get(t, *names)))
			return v;
	}
	return NULL;
}

/* The value of NAME in T, matched without case (Netlify normalises Command, Publish, ...). */
const struct toml_value *ntl_get_ci(const struct toml_value *t, const char *name)
{
	const struct toml_value *v;
	const char *k;
	size_t i, n;

	if ((v = toml_table_get(t, name)))
		return v;
	for (i = 0; (v = toml_table_at(t, i, &k, &n)); i++) {
		if (ntl_key_is_ci(k, n, name))
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
const char *ntl_nearest(const char *k, size_t n, const char *const *list)
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
size_t ntl_typos_of(const char *k, size_t n, const char *const *list)
{
	size_t allow = n <= 4 ? 1 : 2, count = 0;

	for (; *list; list++)
		count += distance(k, n, *list, strlen(*list)) <= allow;
	return count;
}

/* UPPER_CASE: what an environment variable put in the wrong table looks like. */
bool ntl_env_like(const char *k, size_t n)
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
int ntl_path_depth(const char *p, size_t n, int depth)
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
void ntl_path_trim(const char **p, size_t *n)
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
bool ntl_dir_exists(const char *dir, const char *a, size_t an, const char *b, size_t bn)
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
void ntl_check_path(struct ntl *c, const struct toml_value *v, const char *what, int base_depth)
{
	const char *s;
	size_t n;

	if (!ntl_str_of(v, &s, &n) || base_depth < 0)
		return;
	if (ntl_path_depth(s, n, base_depth) < 0)
		ntl_add(c, NTL_BUILD_5, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
		    "%s '%s' resolves outside the repository root: the build fails with \"must be inside the "
		    "repository root directory\"", what, Q(s, n));
}

/* A property that must be a string path; returns true when it is one. */
bool ntl_check_path_type(struct ntl *c, const struct toml_value *v, const char *what, int base_depth)
{
	if (!ntl_is_type(v, TOML_STRING)) {
		ntl_add(c, NTL_BUILD_5, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
			"%s must be a string path, not %s: the build stops at configuration validation", what,
			ntl_a_type(v));
		return false;
	}
	ntl_check_path(c, v, what, base_depth);
	return true;
}
