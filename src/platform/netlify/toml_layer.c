/* netlify.toml checks: the TOML layer: syntax errors read the way Netlify reports them, table order. */
#include "platform/netlify/check.h"
#include "util/banned.h"

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
		ntl_add(c, NTL_TOML_6, SIM_CRITICAL, at, SIM_FIX_SUGGEST,
		    "keep these keys in one place: either the inline table or dotted keys, or the [table] section",
		    "a table given as an inline table or dotted keys is defined again by a [header]: the build fails "
		    "with \"Cannot redefine existing key\" (%s)", m);
		return;
	}
	if (about(s, n, here, m, "headers"))
		ntl_add(c, NTL_TOML_4, SIM_CRITICAL, at, SIM_FIX_SUGGEST,
		    "open every header block with its own [[headers]] line and for = \"...\" above [headers.values]",
		    "a key or table is defined twice: the build fails with \"Cannot redefine existing key\" (%s)", m);
	else if (about(s, n, here, m, "plugins"))
		ntl_add(c, NTL_TOML_4, SIM_CRITICAL, at, SIM_FIX_SUGGEST,
		    "write every plugin as its own [[plugins]] block with one package = line",
		    "a key or table is defined twice: the build fails with \"Cannot redefine existing key\" (%s)", m);
	else
		ntl_add(c, NTL_TOML_4, SIM_CRITICAL, at, SIM_FIX_SUGGEST, "remove or merge one of the two definitions",
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
		ntl_add(c, NTL_CTX_3, SIM_CRITICAL, at, SIM_FIX_NONE, NULL,
		    "a branch name with characters a bare TOML key cannot hold must be quoted: [context.\"feat/x\"]");
		return true;
	}
	snprintf(fx, sizeof(fx), "quote the branch name: [context.\"%s\"]", Q(s + name, k - name));
	ntl_add(c, NTL_CTX_3, SIM_CRITICAL, at, SIM_FIX_HEAL, fx,
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
		snprintf(fx, sizeof(fx), "remove the line '%s' (TOML has no null: leave the key out)",
			 Q(s + ls, le - ls));
		ntl_add(c, NTL_TOML_2, SIM_CRITICAL, at, SIM_FIX_HEAL, fx,
		    "null is not a TOML value: the build fails with Expected ... but \"n\" found");
	} else if (s[off] == '$') {
		snprintf(fx, sizeof(fx), "quote it: \"%s\" (Netlify does not expand variables in netlify.toml)",
			 Q(s + off, end - off));
		ntl_add(c, NTL_TOML_2, SIM_CRITICAL, at, SIM_FIX_HEAL, fx,
		    "unquoted '%s' is not a TOML value: the build fails with Expected ... but \"$\" found",
		    Q(s + off, end - off));
	} else if (s[off] == '!' && strstr(m, "after the value")) {
		for (k = off; k > 0 && isdigit((unsigned char)s[k - 1]); k--)
			;
		snprintf(fx, sizeof(fx), "write status = %s and force = true", Q(s + k, off - k));
		ntl_add(c, NTL_TOML_2, SIM_CRITICAL, at, SIM_FIX_HEAL, fx,
		    "'%s!' is _redirects syntax, not a TOML value: in netlify.toml force is its own key",
		    Q(s + k, off - k));
	} else if (isalpha((unsigned char)s[off]) && strstr(m, "bad value")) {
		if (ntl_key_is_ci(s + off, end - off, "true") || ntl_key_is_ci(s + off, end - off, "false"))
			snprintf(fx, sizeof(fx), "write it in lower case: %s",
				 s[off] == 't' || s[off] == 'T' ? "true" : "false");
		else
			snprintf(fx, sizeof(fx), "quote it: \"%s\"", Q(s + off, end - off));
		ntl_add(c, NTL_TOML_2, SIM_CRITICAL, at, SIM_FIX_SUGGEST, fx,
		    "bare word '%s' is not a TOML value: strings need quotes", Q(s + off, end - off));
	}
}

/* A backslash TOML does not know ("^/a\.b", "C:\path"): Netlify's own check names it too. */
static void escape_error(struct ntl *c, const char *s, size_t n, size_t off, struct toml_span at)
{
	char fx[FIX_MAX], e = off + 1 < n ? s[off + 1] : ' ';

	if (!isgraph((unsigned char)e) || e == 'u' || e == 'U') {
		ntl_add(c, NTL_TOML_3, SIM_CRITICAL, at, SIM_FIX_SUGGEST,
		    "write the backslash twice, or use a single-quoted 'literal' string",
		    "a backslash that does not start a valid TOML escape: the build fails with \"the following "
		    "backslash should be escaped\"");
		return;
	}
	snprintf(fx, sizeof(fx), "write the backslash twice: \\\\%c instead of \\%c (or use a single-quoted "
		 "'literal' string)", e, e);
	ntl_add(c, NTL_TOML_3, SIM_CRITICAL, at, SIM_FIX_HEAL, fx,
	    "\\%c is not a TOML escape: the build fails with \"the following backslash should be escaped\"", e);
}

/* Report the parser's error as NTL-TOML-1, then name the Netlify trap it is, when it is one we know. */
void ntl_syntax_error(struct ntl *c, const char *s, size_t n)
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
	ntl_add(c, NTL_TOML_1, SIM_CRITICAL, at, SIM_FIX_NONE, NULL,
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

/* True when the file has redirect or header rules: what the table-order trap drops. */
static bool has_rules(const struct toml_value *root)
{
	return toml_array_len(toml_table_get(root, "redirects")) || toml_array_len(toml_table_get(root, "headers")) ||
	       ntl_is_type(toml_table_get(root, "redirects"), TOML_TABLE) ||
	       ntl_is_type(toml_table_get(root, "headers"), TOML_TABLE);
}

/* The first [header] among V and what is under it (len 0: none). */
static struct toml_span first_header(struct ntl *c, const struct toml_value *v, int depth)
{
	struct toml_span first = { 0, 0, 0, 0 };
	size_t i;

	if (ntl_is_type(v, TOML_TABLE)) {
		if (ntl_has_header(c, v))
			first = toml_value_span(v);
		first = earlier(first, ntl_order_walk(c, v, depth + 1));
	} else if (ntl_is_aot(v)) {
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
struct toml_span ntl_order_walk(struct ntl *c, const struct toml_value *t, int depth)
{
	struct toml_span first = { 0, 0, 0, 0 }, self = toml_value_span(t);
	const struct toml_value *v;
	char fx[FIX_MAX], hdr[QUOTE_MAX];
	size_t i;

	if (depth > WALK_DEPTH)
		return first;
	for (i = 0; (v = toml_table_at(t, i, NULL, NULL)); i++)
		first = earlier(first, first_header(c, v, depth));
	if (depth > 0 && ntl_has_header(c, t) && first.len && first.off < self.off) {
		ntl_val_text(c, t, hdr, sizeof(hdr));
		snprintf(fx, sizeof(fx), "move %s and its keys above line %u, before its sub-tables", hdr, first.line);
		if (has_rules(c->root))
			ntl_add(c, NTL_TOML_5, SIM_HIGH, self, SIM_FIX_HEAL, fx,
				"%s comes after its sub-table at line %u: valid TOML, but Netlify's post-processing fails "
				"with \"Key ... is already used as table key\" and drops the redirect and header rules",
				hdr, first.line);
		else
			ntl_add(c, NTL_TOML_5, SIM_MEDIUM, self, SIM_FIX_HEAL, fx,
				"%s comes after its sub-table at line %u: valid TOML, but Netlify's post-processing fails "
				"with \"Key ... is already used as table key\"; this file has no redirect or header rules for "
				"it to drop yet",
				hdr, first.line);
	}
	return first;
}
