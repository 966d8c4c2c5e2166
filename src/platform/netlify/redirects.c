/* netlify.toml checks: [[redirects]]: fields, status, conditions, placeholders, shadowing. */
#include "platform/netlify/check.h"
#include "util/banned.h"

static const char *const condition_keys[] = { "Language", "Country", "Role", "Cookie", NULL };

/* A from/to must be a path or an http(s) URL. Fills HOST and PATH (host "" for a path); false when it is neither. */
static bool check_location(struct ntl *c, const struct toml_value *v, const char *field, struct rule *r)
{
	const char *s, *h;
	size_t n, k = 0;
	char fx[FIX_MAX];

	ntl_str_of(v, &s, &n);
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
		ntl_add(c, NTL_RED_5, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
		    "%s '%s' is not a valid URL: it has no host; Netlify keeps the rule, but it never matches", field,
		    Q(s, n));
		return false;
	}
	if (memmem(s, n, "://", 3)) {
		ntl_add(c, NTL_RED_5, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
		    "%s '%s' must be a path starting with / or an http(s):// URL; Netlify keeps the rule, but it never "
		    "matches", field, Q(s, n));
		return false;
	}
	snprintf(fx, sizeof(fx), "change %s to \"/%s\"", field, Q(s, n));
	ntl_add(c, NTL_RED_5, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_HEAL, fx,
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
		ntl_add(c, NTL_RED_3, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
		    "status %" PRId64 " is not an HTTP status code (100-599): Netlify drops the rule", code);
	else if (code == 307 || code == 308)
		ntl_add(c, NTL_RED_3, SIM_MEDIUM, ntl_at_val(v), SIM_FIX_SUGGEST,
			code == 307 ? "use status = 302" : "use status = 301",
			"status %" PRId64 " is not supported by Netlify's redirects: use %s", code,
			code == 307 ? "302" : "301");
	else if (!status_listed(code))
		ntl_add(c, NTL_RED_3, SIM_MEDIUM, ntl_at_val(v), SIM_FIX_NONE, NULL,
			"status %" PRId64
			" is not one Netlify documents for redirects (200, 301, 302, 404; 410, 451 and 503 "
			"are accepted)",
			code);
}

/* A status written as a string: "301" or _redirects' "200!". Returns the code, or -1. */
static int64_t check_status_string(struct ntl *c, const struct toml_value *v, bool *bang)
{
	const char *s;
	size_t n, i;
	int64_t code = 0;
	char fx[FIX_MAX];

	ntl_str_of(v, &s, &n);
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
		ntl_add(c, NTL_RED_3, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
		    "status '%s' is not a number: Netlify drops the rule with \"Invalid status code\"", Q(s, n));
		return -1;
	}
	if (*bang) {
		snprintf(fx, sizeof(fx), "write status = %" PRId64 " and force = true", code);
		ntl_add(c, NTL_RED_4, SIM_MEDIUM, ntl_at_val(v), SIM_FIX_HEAL, fx,
		    "status '%s' is _redirects syntax: in netlify.toml write the number and force = true", Q(s, n));
	} else {
		snprintf(fx, sizeof(fx), "write status = %" PRId64 " without quotes", code);
		ntl_add(c, NTL_RED_3, SIM_MEDIUM, ntl_at_val(v), SIM_FIX_HEAL, fx,
			"status must be an integer, not a string");
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
	if (ntl_is_type(v, TOML_INTEGER)) {
		toml_get_int(v, &code);
	} else if (ntl_is_type(v, TOML_FLOAT) && toml_get_float(v, &f) == 0 && ntl_whole(f)) {
		code = (int64_t)f;
		snprintf(fx, sizeof(fx), "write status = %" PRId64, code);
		ntl_add(c, NTL_TOML_7, SIM_MEDIUM, ntl_at_val(v), SIM_FIX_HEAL, fx,
			"status is a float: write it as an integer");
	} else if (ntl_is_type(v, TOML_STRING)) {
		if ((code = check_status_string(c, v, bang)) < 0)
			return -1;
	} else {
		ntl_add(c, NTL_RED_3, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
		    "status must be a whole number, not %s: Netlify drops the rule with \"Invalid status code\"",
		    ntl_a_type(v));
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

	if (!v || ntl_is_type(v, TOML_BOOL))
		return;
	ntl_str_of(v, &s, &n);
	t = ntl_key_is_ci(s, n, "true");
	f = ntl_key_is_ci(s, n, "false");
	ntl_add(c, NTL_RED_4,
		t   ? SIM_HIGH
		: f ? SIM_MEDIUM
		    : SIM_HIGH,
		ntl_at_val(v), t || f ? SIM_FIX_HEAL : SIM_FIX_NONE,
		t ? "write force = true without quotes" : "write force = false without quotes",
		"force must be a boolean, not %s%s", ntl_a_type(v), t ? ": the rule is not forced as meant" : "");
}

/* query: a table of strings (RED-11); conditions: Language/Country/Role/Cookie lists (RED-10). */
static void check_query(struct ntl *c, const struct toml_value *v)
{
	const struct toml_value *e;
	const char *k;
	size_t i, kn;

	if (!v)
		return;
	if (!ntl_is_type(v, TOML_TABLE)) {
		ntl_add(c, NTL_RED_11, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
		    "query must be a table of strings, not %s: Netlify drops the rule", ntl_a_type(v));
		return;
	}
	for (i = 0; (e = toml_table_at(v, i, &k, &kn)); i++) {
		if (!ntl_is_type(e, TOML_STRING))
			ntl_add(c, NTL_RED_11, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
			    "query parameter '%s' must be a string, not %s", Q(k, kn), ntl_a_type(e));
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

	if (ntl_str_of(e, &s, &n)) {
		for (p = s; p <= s + n; p = comma + 1) {
			if (!(comma = memchr(p, ',', (size_t)(s + n - p))))
				comma = s + n;
			if (!condition_value_ok(key, p, (size_t)(comma - p)))
				ntl_add(c, NTL_RED_10, SIM_MEDIUM, ntl_at_val(e), SIM_FIX_NONE, NULL,
				    "%s '%s' is not a valid %s", key, Q(p, (size_t)(comma - p)),
				    condition_what(key));
		}
		return;
	}
	if (!ntl_is_type(e, TOML_ARRAY)) {
		ntl_add(c, NTL_RED_10, SIM_MEDIUM, ntl_at_val(e), SIM_FIX_NONE, NULL,
		    "conditions.%s must be an array of strings, not %s", key, ntl_a_type(e));
		return;
	}
	for (i = 0; i < toml_array_len(e); i++) {
		x = toml_array_get(e, i);
		if (!ntl_str_of(x, &s, &n))
			ntl_add(c, NTL_RED_10, SIM_MEDIUM, ntl_at_val(x), SIM_FIX_NONE, NULL,
			    "conditions.%s must hold strings, not %s", key, ntl_a_type(x));
		else if (!condition_value_ok(key, s, n))
			ntl_add(c, NTL_RED_10, SIM_MEDIUM, ntl_at_val(x), SIM_FIX_NONE, NULL,
				"%s '%s' is not a valid %s", key, Q(s, n), condition_what(key));
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
	if (!ntl_is_type(v, TOML_TABLE)) {
		ntl_add(c, NTL_RED_10, SIM_MEDIUM, ntl_at_val(v), SIM_FIX_NONE, NULL,
			"conditions must be a table, not %s", ntl_a_type(v));
		return;
	}
	for (i = 0; (e = toml_table_at(v, i, &k, &kn)); i++) {
		canon = NULL;
		for (j = 0; condition_keys[j] && !canon; j++) {
			if (ntl_key_is(k, kn, condition_keys[j]) ||
			    (j < 3 && ntl_key_is_ci(k, kn, condition_keys[j]) && islower((unsigned char)k[0])))
				canon = condition_keys[j];
		}
		if (canon) {
			check_condition_values(c, canon, e);
			continue;
		}
		near = ntl_nearest(k, kn, condition_keys);
		if (near)
			snprintf(fx, sizeof(fx), "rename %s to %s", Q(k, kn), near);
		ntl_add(c, NTL_RED_10, SIM_MEDIUM, ntl_at_key(e), near ? SIM_FIX_SUGGEST : SIM_FIX_NONE,
			near ? fx : NULL, "unknown condition '%s' is ignored (Language, Country, Role, Cookie)",
			Q(k, kn));
	}
}

/* headers and signed only mean something on a proxy rule; they must be a table of strings and a string. */
static void check_proxy_fields(struct ntl *c, const struct toml_value *headers, const struct toml_value *sig)
{
	const struct toml_value *e;
	const char *k;
	size_t i, kn;

	if (headers && !ntl_is_type(headers, TOML_TABLE))
		ntl_add(c, NTL_RED_9, SIM_CRITICAL, ntl_at_val(headers), SIM_FIX_NONE, NULL,
		    "redirect headers must be a table, not %s: Netlify drops the rule", ntl_a_type(headers));
	for (i = 0; ntl_is_type(headers, TOML_TABLE) && (e = toml_table_at(headers, i, &k, &kn)); i++) {
		if (!ntl_is_type(e, TOML_STRING))
			ntl_add(c, NTL_RED_9, SIM_MEDIUM, ntl_at_val(e), SIM_FIX_NONE, NULL,
			    "redirect header '%s' must be a string, not %s", Q(k, kn), ntl_a_type(e));
	}
	if (sig && !ntl_is_type(sig, TOML_STRING))
		ntl_add(c, NTL_RED_9, SIM_CRITICAL, ntl_at_val(sig), SIM_FIX_NONE, NULL,
		    "signed must be the name of an environment variable (a string), not %s", ntl_a_type(sig));
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
	for (i = 0; ntl_is_type(query, TOML_TABLE) && (e = toml_table_at(query, i, NULL, NULL)); i++) {
		if (ntl_str_of(e, &s, &sn) && sn == n + 1 && s[0] == ':' && memcmp(s + 1, name, n) == 0)
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
		if (ntl_key_is(name, n, "splat")) {
			if (!memchr(r->path, '*', r->pathlen))
				ntl_add(c, NTL_RED_6, SIM_HIGH, ntl_at_val(to), SIM_FIX_NONE, NULL,
					"to uses :splat but from '%s' has no *: the redirect sends the literal text ':splat'",
					Q(r->path, r->pathlen));
		} else if (!placeholder_defined(r, query, name, n)) {
			ntl_add(c, NTL_RED_6, SIM_HIGH, ntl_at_val(to), SIM_FIX_NONE, NULL,
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

	if (!r->from || r->hostlen || !ntl_key_is(r->path, r->pathlen, "/*") || !ntl_str_of(to, &s, &n) ||
	    !ntl_key_is(s, n, "/index.html"))
		return;
	if (code == 301 || code == 302)
		ntl_add(c, NTL_RED_7, SIM_HIGH, status ? ntl_at_val(status) : ntl_at_val(t), SIM_FIX_HEAL,
		    status ? "change status to 200" : "add status = 200",
		    "the single-page-app fallback /* -> /index.html %s a %" PRId64 " redirect: every deep link is sent "
		    "to / instead of being rendered; it must be status = 200", status ? "is" : "defaults to", code);
	if (ntl_is_type(force, TOML_BOOL) && toml_get_bool(force, &forced) == 0 && forced)
		ntl_add(c, NTL_RED_7, SIM_HIGH, ntl_at_val(force), SIM_FIX_HEAL, "remove force = true",
			"force = true on the /* -> /index.html fallback also rewrites real files: scripts, styles and images "
			"are answered with index.html");
}

/* One [[redirects]] entry; fills R for the shadowing check. */
static void check_rule(struct ntl *c, const struct toml_value *t, struct rule *r)
{
	const struct toml_value *from = ntl_get_any(t, (const char *const[]){ "from", "origin", NULL }),
		*to = ntl_get_any(t, (const char *const[]){ "to", "destination", NULL }),
		*status = toml_table_get(t, "status"), *force = toml_table_get(t, "force"),
		*query = ntl_get_any(t, (const char *const[]){ "query", "params", "parameters", NULL }),
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
	if (ntl_is_type(force, TOML_BOOL))
		toml_get_bool(force, &r->forced);
	if (!from || (ntl_str_of(from, &s, &n) && n == 0))
		ntl_add(c, NTL_RED_1, SIM_CRITICAL, from ? ntl_at_val(from) : ntl_at_val(t), SIM_FIX_NONE, NULL,
		    "redirect has no from: Netlify drops the rule with 'Missing \"from\" field'");
	else if (!ntl_is_type(from, TOML_STRING))
		ntl_add(c, NTL_RED_1, SIM_CRITICAL, ntl_at_val(from), SIM_FIX_NONE, NULL,
		    "from must be a string, not %s: Netlify drops the rule", ntl_a_type(from));
	else if (check_location(c, from, "from", r))
		r->from = from;
	if (r->from && r->pathlen >= 9 && strncasecmp(r->path, "/.netlify", 9) == 0) {
		ntl_add(c, NTL_RED_5, SIM_CRITICAL, ntl_at_val(from), SIM_FIX_NONE, NULL,
		    "from must not start with /.netlify: Netlify drops the rule");
		r->from = NULL;
	}
	if (!to || (ntl_str_of(to, &ts, &tn) && tn == 0)) {
		if (!(r->from && r->pathlen >= 2 && memcmp(r->path + r->pathlen - 2, "/*", 2) == 0 && code >= 200 &&
		      code <= 299))
			ntl_add(c, NTL_RED_2, SIM_CRITICAL, to ? ntl_at_val(to) : ntl_at_val(t), SIM_FIX_NONE, NULL,
			    "redirect has no to: Netlify drops the rule with 'Missing \"to\" field' (only a 2xx "
			    "rule whose from ends in /* may leave it out)");
	} else if (!ntl_is_type(to, TOML_STRING)) {
		ntl_add(c, NTL_RED_2, SIM_CRITICAL, ntl_at_val(to), SIM_FIX_NONE, NULL,
		    "to must be a string, not %s: Netlify drops the rule", ntl_a_type(to));
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
	check_proxy_fields(c, toml_table_get(t, "headers"), ntl_get_any(t, (const char *const[]){ "signed", "sign",
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

	if (a->code != b->code || a->forced != b->forced || !ntl_str_of(a->to, &x, &xn) || !ntl_str_of(b->to, &y, &yn))
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
		if (shadows(&rules[j], &rules[i]) && !ntl_key_is(rules[i].path, rules[i].pathlen, "/*") && count++ == 0)
			first = i;
	}
	if (!count)
		return;
	snprintf(fx, sizeof(fx), "move the catch-all rule at line %u after the other rules",
		 toml_value_span(rules[j].tab).line);
	ntl_add(c, NTL_RED_8, SIM_HIGH, ntl_at_val(rules[j].from), SIM_FIX_HEAL, fx,
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
		if (rules[j].from && !rules[j].hostlen && ntl_key_is(rules[j].path, rules[j].pathlen, "/*"))
			check_catch_all(c, rules, n, j);
	}
	for (i = 1; i < n; i++) {
		for (j = 0; j < i && rules[i].from; j++) {
			catch_all = !rules[j].hostlen && ntl_key_is(rules[j].path, rules[j].pathlen, "/*");
			if (same_from(&rules[j], &rules[i]) && same_effect(&rules[j], &rules[i])) {
				ntl_add(c, NTL_RED_8, SIM_LOW, ntl_at_val(rules[i].from), SIM_FIX_SUGGEST,
					"remove this rule",
					"the rule at line %u already sends '%s' to the same place (Netlify matches paths with "
					"and without a trailing slash alike): this one is redundant",
					toml_value_span(rules[j].tab).line, Q(rules[i].path, rules[i].pathlen));
				break;
			}
			if (same_from(&rules[j], &rules[i])) {
				snprintf(fx, sizeof(fx), "remove this rule, or the one at line %u",
					 toml_value_span(rules[j].tab).line);
				ntl_add(c, NTL_RED_8, SIM_HIGH, ntl_at_val(rules[i].from), SIM_FIX_SUGGEST, fx,
				    "the rule at line %u has the same from '%s' and comes first: this one never runs",
				    toml_value_span(rules[j].tab).line, Q(rules[i].path, rules[i].pathlen));
				break;
			}
			if (!catch_all && shadows(&rules[j], &rules[i])) {
				snprintf(fx, sizeof(fx), "move this rule above the rule at line %u",
					 toml_value_span(rules[j].tab).line);
				ntl_add(c, NTL_RED_8, SIM_HIGH, ntl_at_val(rules[i].from), SIM_FIX_SUGGEST, fx,
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
void ntl_not_an_array(struct ntl *c, const struct toml_value *v, const char *name)
{
	char fx[FIX_MAX];

	snprintf(fx, sizeof(fx), "change [%s] to [[%s]]", name, name);
	if (ntl_is_type(v, TOML_TABLE))
		ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(v),
			ntl_has_header(c, v) ? SIM_FIX_HEAL : SIM_FIX_SUGGEST, fx,
			"%s must be an array of tables ([[%s]]), not a table: the build stops at configuration "
			"validation",
			name, name);
	else
		ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(v), SIM_FIX_NONE, NULL,
		    "%s must be an array of tables ([[%s]]), not %s", name, name, ntl_a_type(v));
}

void ntl_check_redirects(struct ntl *c, const struct toml_value *v)
{
	const struct toml_value *e;
	struct rule one, *rules;
	size_t i, n = 0;

	if (!ntl_is_type(v, TOML_ARRAY)) {
		ntl_not_an_array(c, v, "redirects");
		if (ntl_is_type(v, TOML_TABLE))
			check_rule(c, v, &one);
		return;
	}
	if (!(rules = calloc(toml_array_len(v) + 1, sizeof(*rules)))) {
		c->err = err_set(ERR_NOMEM, "out of memory");
		return;
	}
	for (i = 0; i < toml_array_len(v); i++) {
		e = toml_array_get(v, i);
		if (ntl_is_type(e, TOML_TABLE))
			check_rule(c, e, &rules[n++]);
		else
			ntl_add(c, NTL_TOP_3, SIM_CRITICAL, ntl_at_val(e), SIM_FIX_NONE, NULL,
			    "each redirect must be a table, not %s", ntl_a_type(e));
	}
	check_shadowing(c, rules, n);
	free(rules);
}
