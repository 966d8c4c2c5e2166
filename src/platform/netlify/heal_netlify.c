/* Heal a netlify.toml: apply the fixes sim_netlify names, with targeted edits, and check each by simulating again. */
#include "platform/heal.h"
#include "platform/netlify/netlify.h"
#include "platform/netlify/rules.h"
#include "formats/toml.h"
#include "util/buf.h"
#include "util/err.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define NO_FIX "no automatic fix for this rule yet"

enum { APPLIED = HEAL_APPLIED, NOT_APPLIED = HEAL_NOT_APPLIED };


/* ---- text helpers ---- */

static bool parses(const char *s, size_t n)
{
	struct toml_doc *d = NULL;

	if (toml_parse(s, n, &d) < 0)
		return false;
	toml_doc_free(d);
	return true;
}

/* Fixes that move a block: the issue's place and the line numbers in its text change. */
static bool moves(const char *rule)
{
	return strcmp(rule, NTL_ID(NTL_RED_8)) == 0 || strcmp(rule, NTL_ID(NTL_TOML_5)) == 0;
}

static bool wanted(const struct sim_issue *is)
{
	return (is->severity == SIM_CRITICAL || is->severity == SIM_HIGH) && is->fix == SIM_FIX_HEAL;
}

/* ---- finding what an issue is about ---- */

struct hit {
	const struct toml_value *v, *parent;
};

/* The value under T whose value span (or key span, when BYKEY) starts at LINE:COL, of type TYPE (0: any). */
static bool find_at(const struct toml_value *t, unsigned line, unsigned col, bool bykey, enum toml_type type,
		    struct hit *h, int depth)
{
	const struct toml_value *v;
	struct toml_span sp;
	size_t i;
	bool arr = toml_type(t) == TOML_ARRAY;

	if (depth > 64)
		return false;
	for (i = 0; (v = arr ? toml_array_get(t, i) : toml_table_at(t, i, NULL, NULL)); i++) {
		sp = bykey ? toml_key_span(v) : toml_value_span(v);
		if (sp.len && sp.line == line && sp.col == col && (!type || toml_type(v) == type)) {
			h->v = v;
			h->parent = t;
			return true;
		}
		if ((toml_type(v) == TOML_TABLE || toml_type(v) == TOML_ARRAY) &&
		    find_at(v, line, col, bykey, type, h, depth + 1))
			return true;
	}
	return false;
}

/* ---- the fixes ---- */

struct ctx {
	struct heal_step st;		/* first: heal_run's callbacks get &st */
	struct toml_doc *doc;		/* st.cur parsed, or NULL */
	const char *file, *dir;
};

static int no(struct ctx *x, const char *why, const char *more)
{
	snprintf(x->st.why, sizeof(x->st.why), "%s%s", why, more ? more : "");
	return NOT_APPLIED;
}

/* The edit's result: an error of the toml layer is a reason, not a failure (but for memory). */
static int edited(struct ctx *x, int r)
{
	if (r == ERR_NOMEM)
		return r;
	if (r < 0)
		return no(x, "the edit failed: ", err_msg());
	return APPLIED;
}

/* A textual edit on a document that parsed must leave it parsing. */
static int checked(struct ctx *x, int r)
{
	if (r < 0)
		return r == ERR_NOMEM ? r : no(x, "the edit failed: ", err_msg());
	if (x->doc && !parses(x->st.out.data, x->st.out.len))
		return no(x, "the edit would make the file invalid TOML", NULL);
	return APPLIED;
}

static const struct toml_value *value_at(struct ctx *x, const struct sim_issue *is, bool bykey, enum toml_type t,
					 const struct toml_value **parent)
{
	struct hit h = { NULL, NULL };

	if (!x->doc || !find_at(toml_doc_root(x->doc), (unsigned)is->line, (unsigned)is->col, bykey, t, &h, 0))
		return NULL;
	if (parent)
		*parent = h.parent;
	return h.v;
}

/* Replace V with the basic string S. */
static int replace_string(struct ctx *x, const struct toml_value *v, const char *s, size_t n)
{
	struct buf t = BUF_INIT(0);
	int r;

	if ((r = toml_format_string(&t, s, n)) == 0)
		r = toml_edit_replace(x->doc, v, t.data, t.len, &x->st.out);
	buf_release(&t);
	return edited(x, r);
}

/* NTL-TOP-2 [[build]] -> [build]; NTL-TOP-3 [redirects] -> [[redirects]]. The issue is at the header. */
static int fix_header(struct ctx *x, const struct sim_issue *is, bool to_array)
{
	const char *s = x->st.cur->data;
	size_t n = x->st.cur->len, off = heal_offset_at(s, n, is->line, is->col), e, close;
	struct buf t = BUF_INIT(0);
	int r;

	if (off >= n || s[off] != '[')
		return no(x, "no table header where the issue is", NULL);
	e = heal_line_end(s, n, off);
	if (to_array) {
		if (off + 1 < n && s[off + 1] == '[')
			return no(x, "the header is already [[...]]", NULL);
		for (close = off + 1; close < e && s[close] != ']'; close++)
			;
		if (close == e)
			return no(x, "no closing bracket on the header line", NULL);
		if ((r = buf_addc(&t, '[')) < 0 || (r = buf_add(&t, s + off, close - off + 1)) < 0 ||
		    (r = buf_addc(&t, ']')) < 0)
			goto out;
		r = checked(x, heal_splice(&x->st.out, s, n, off, close - off + 1, t.data, t.len));
	} else {
		if (off + 1 >= n || s[off + 1] != '[')
			return no(x, "the header is not [[...]]", NULL);
		for (close = off + 2; close + 1 < e && !(s[close] == ']' && s[close + 1] == ']'); close++)
			;
		if (close + 1 >= e)
			return no(x, "no closing brackets on the header line", NULL);
		if ((r = buf_add(&t, s + off + 1, close - off)) < 0)
			goto out;
		r = checked(x, heal_splice(&x->st.out, s, n, off, close - off + 2, t.data, t.len));
	}
out:
	buf_release(&t);
	return r;
}

/* NTL-RED-5: from "path" -> "/path". */
static int fix_slash(struct ctx *x, const struct sim_issue *is)
{
	const struct toml_value *v = value_at(x, is, false, TOML_STRING, NULL);
	struct buf t = BUF_INIT(0);
	const char *s;
	size_t n;
	int r;

	if (!v || toml_get_string(v, &s, &n) < 0)
		return no(x, "no string where the issue is", NULL);
	if ((r = buf_addc(&t, '/')) < 0 || (r = buf_add(&t, s, n)) < 0) {
		buf_release(&t);
		return r;
	}
	r = replace_string(x, v, t.data, t.len);
	buf_release(&t);
	return r;
}

/* NTL-RED-4: force = "true" -> force = true. */
static int fix_force(struct ctx *x, const struct sim_issue *is)
{
	const struct toml_value *v = value_at(x, is, false, TOML_STRING, NULL);
	bool t = strstr(is->fix_text, "force = true") != NULL;

	if (!v || (!strstr(is->fix_text, "force = true") && !strstr(is->fix_text, "force = false")) ||
	    !strstr(is->fix_text, "without quotes"))
		return no(x, "not a quoted force value", NULL);
	return edited(x, toml_edit_replace(x->doc, v, t ? "true" : "false", t ? 4 : 5, &x->st.out));
}

/* NTL-BUILD-2: environment = "K=V K2=V2" -> { K = "V", K2 = "V2" }; a non-string value -> its text quoted. */
static int fix_env(struct ctx *x, const struct sim_issue *is)
{
	const struct toml_value *v = value_at(x, is, false, 0, NULL);
	struct buf t = BUF_INIT(0);
	const char *s;
	size_t n, i = 0, k, eq, pairs = 0;
	struct toml_span sp;
	int r = 0;

	if (!v)
		return no(x, "no value where the issue is", NULL);
	if (toml_type(v) != TOML_STRING) {
		if (toml_type(v) == TOML_ARRAY || toml_type(v) == TOML_TABLE || !strstr(is->fix_text, "quote it"))
			return no(x, "not a value that can be quoted", NULL);
		sp = toml_value_span(v);
		return replace_string(x, v, x->st.cur->data + sp.off, sp.len);
	}
	toml_get_string(v, &s, &n);
	if ((r = buf_adds(&t, "{ ")) < 0)
		goto out;
	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		if (i == n)
			break;
		for (k = i, eq = (size_t)-1; k < n && s[k] != ' ' && s[k] != '\t' && s[k] != ','; k++) {
			if (s[k] == '=' && eq == (size_t)-1)
				eq = k;
		}
		if (eq == (size_t)-1 || eq == i) {
			buf_release(&t);
			return no(x, "the string is not K=V pairs", NULL);
		}
		if ((pairs++ && (r = buf_adds(&t, ", ")) < 0) || (r = toml_format_key(&t, s + i, eq - i)) < 0 ||
		    (r = buf_adds(&t, " = ")) < 0 || (r = toml_format_string(&t, s + eq + 1, k - eq - 1)) < 0)
			goto out;
		i = k;
	}
	if (!pairs) {
		buf_release(&t);
		return no(x, "the string holds no K=V pair", NULL);
	}
	if ((r = buf_adds(&t, " }")) < 0)
		goto out;
	r = edited(x, toml_edit_replace(x->doc, v, t.data, t.len, &x->st.out));
out:
	buf_release(&t);
	return r;
}

/* The quoted text after PREFIX in FIX up to the next '"' (no escapes), into DST. */
static bool quoted_after(const char *fix, const char *prefix, char *dst, size_t n)
{
	const char *p = strstr(fix, prefix), *e;

	if (!p)
		return false;
	p += strlen(prefix);
	if (!(e = strchr(p, '"')) || memchr(p, '\\', (size_t)(e - p)) || (size_t)(e - p) >= n)
		return false;
	memcpy(dst, p, (size_t)(e - p));
	dst[e - p] = '\0';
	return true;
}

/* NTL-BUILD-6: publish = "base/dist" -> "dist", as the fix text says. */
static int fix_publish(struct ctx *x, const struct sim_issue *is)
{
	const struct toml_value *v = value_at(x, is, false, TOML_STRING, NULL);
	char p[SIM_MSG_MAX];

	if (!v || !quoted_after(is->fix_text, "change publish to \"", p, sizeof(p)) || !*p)
		return no(x, "cannot read the new publish path from the fix", NULL);
	return replace_string(x, v, p, strlen(p));
}

/* NTL-BUILD-1, NTL-TOP-1 "rename K to N": the key's text becomes N, when N is not there already. */
static int fix_rename(struct ctx *x, const struct sim_issue *is)
{
	const struct toml_value *parent = NULL, *v = value_at(x, is, true, 0, &parent);
	const char *to = strstr(is->fix_text, " to ");
	struct toml_span sp;
	size_t i, tn;

	if (strncmp(is->fix_text, "rename ", 7) != 0 || !to)
		return no(x, NO_FIX "", NULL);
	to += 4;
	tn = strlen(to);
	for (i = 0; i < tn; i++) {
		if (!isalnum((unsigned char)to[i]) && to[i] != '_' && to[i] != '-')
			return no(x, "the new key is not a bare key", NULL);
	}
	if (!v || !parent || toml_type(parent) != TOML_TABLE)
		return no(x, "no key where the issue is", NULL);
	if (toml_table_getn(parent, to, tn))
		return no(x, "the table already has the key the fix names: merge them by hand", NULL);
	sp = toml_key_span(v);
	return checked(x, heal_splice(&x->st.out, x->st.cur->data, x->st.cur->len, sp.off, sp.len, to, tn));
}

/* True when the [[redirects]] element T has sub-tables of its own headers, which would not move with it. */
static bool has_sub_sections(struct ctx *x, const struct toml_value *t)
{
	const struct toml_value *v, *e;
	struct toml_span sp;
	size_t i, j;

	for (i = 0; (v = toml_table_at(t, i, NULL, NULL)); i++) {
		sp = toml_value_span(v);
		if (toml_type(v) == TOML_TABLE && sp.len && x->st.cur->data[sp.off] == '[')
			return true;
		for (j = 0; toml_type(v) == TOML_ARRAY && (e = toml_array_get(v, j)); j++) {
			sp = toml_value_span(e);
			if (toml_type(e) == TOML_TABLE && sp.len && x->st.cur->data[sp.off] == '[')
				return true;
		}
	}
	return false;
}

/* NTL-RED-8: the catch-all [[redirects]] block goes to the end of the document. */
static int fix_move_last(struct ctx *x, const struct sim_issue *is)
{
	const struct toml_value *t = NULL, *from = value_at(x, is, false, 0, &t);
	struct toml_span sp;
	int r;

	if (!from || !t || toml_type(t) != TOML_TABLE)
		return no(x, "no redirect rule where the issue is", NULL);
	sp = toml_stmt_span(t);
	if (!sp.len || x->st.cur->data[toml_value_span(t).off] != '[' || has_sub_sections(x, t))
		return no(x, "the rule is not one [[redirects]] block that can be moved as it is", NULL);
	if ((r = toml_edit_remove(x->doc, t, &x->st.out)) < 0)
		return edited(x, r);
	if (x->st.out.len && x->st.out.data[x->st.out.len - 1] != '\n' && (r = buf_addc(&x->st.out, '\n')) < 0)
		return r;
	if (x->st.out.len && (x->st.out.len < 2 || x->st.out.data[x->st.out.len - 2] != '\n') &&
	    (r = buf_addc(&x->st.out, '\n')) < 0)
		return r;
	if ((r = buf_add(&x->st.out, x->st.cur->data + sp.off, sp.len)) < 0)
		return r;
	if (x->st.out.data[x->st.out.len - 1] != '\n' && (r = buf_addc(&x->st.out, '\n')) < 0)
		return r;
	return checked(x, 0);
}

/* NTL-RED-7: the SPA fallback's status becomes 200, and it is not forced. */
static int fix_spa(struct ctx *x, const struct sim_issue *is)
{
	const struct toml_value *v;

	if (strcmp(is->fix_text, "change status to 200") == 0) {
		if (!(v = value_at(x, is, false, 0, NULL)) || toml_type(v) == TOML_TABLE || toml_type(v) == TOML_ARRAY)
			return no(x, "no status value where the issue is", NULL);
		return edited(x, toml_edit_replace(x->doc, v, "200", 3, &x->st.out));
	}
	if (strcmp(is->fix_text, "add status = 200") == 0) {
		if (!(v = value_at(x, is, false, TOML_TABLE, NULL)))
			return no(x, "no redirect rule where the issue is", NULL);
		return edited(x, toml_edit_insert(x->doc, v, "status", 6, "200", 3, &x->st.out));
	}
	if (strcmp(is->fix_text, "remove force = true") == 0) {
		if (!(v = value_at(x, is, false, TOML_BOOL, NULL)))
			return no(x, "no force value where the issue is", NULL);
		return edited(x, toml_edit_remove(x->doc, v, &x->st.out));
	}
	return no(x, NO_FIX "", NULL);
}

/* NTL-TOML-5 "move [x] and its keys above line N": the parent's section goes before its first sub-table. */
static int fix_table_order(struct ctx *x, const struct sim_issue *is)
{
	const struct toml_value *t = value_at(x, is, false, TOML_TABLE, NULL);
	const char *p = strstr(is->fix_text, "above line "), *s = x->st.cur->data;
	size_t n = x->st.cur->len, at;
	struct toml_span sp;
	long line;
	int r;

	if (!t || !p || (line = strtol(p + 11, NULL, 10)) < 1 || line >= is->line)
		return no(x, "cannot tell where the table goes", NULL);
	sp = toml_stmt_span(t);
	at = heal_offset_at(s, n, (int)line, 1);
	if (!sp.len || at >= sp.off || s[sp.off + sp.len - 1] != '\n')
		return no(x, "the table's lines cannot be moved as they are", NULL);
	buf_reset(&x->st.out);
	if ((r = buf_add(&x->st.out, s, at)) < 0 || (r = buf_add(&x->st.out, s + sp.off, sp.len)) < 0 ||
	    (r = buf_add(&x->st.out, s + at, sp.off - at)) < 0 ||
	    (r = buf_add(&x->st.out, s + sp.off + sp.len, n - sp.off - sp.len)) < 0)
		return r;
	return checked(x, 0);
}

/* NTL-TOML-2 and -3 on a file that does not parse: edits of the raw text at the issue's place. */
static int fix_raw(struct ctx *x, const struct sim_issue *is)
{
	const char *s = x->st.cur->data;
	size_t n = x->st.cur->len, off = heal_offset_at(s, n, is->line, is->col), ls, le, e;
	struct buf t = BUF_INIT(0);
	int r;

	if (off >= n)
		return no(x, "the issue's place is not in the text", NULL);
	if (strcmp(is->rule, NTL_ID(NTL_TOML_3)) == 0) {
		if (s[off] != '\\' || strncmp(is->fix_text, "write the backslash twice", 25) != 0)
			return no(x, "no backslash where the issue is", NULL);
		return checked(x, heal_splice(&x->st.out, s, n, off, 0, "\\", 1));
	}
	if (strncmp(is->fix_text, "remove the line", 15) == 0) {
		if (n - off < 4 || memcmp(s + off, "null", 4) != 0)
			return no(x, "no null where the issue is", NULL);
		ls = heal_line_start(s, off);
		le = heal_line_end(s, n, off);
		return checked(x, heal_splice(&x->st.out, s, n, ls, le < n ? le - ls + 1 : le - ls, "", 0));
	}
	if (strncmp(is->fix_text, "quote it: ", 10) == 0 && s[off] == '$') {
		for (e = off; e < n && !isspace((unsigned char)s[e]) && !strchr(",]}#", s[e]); e++)
			;
		if ((r = toml_format_string(&t, s + off, e - off)) == 0)
			r = checked(x, heal_splice(&x->st.out, s, n, off, e - off, t.data, t.len));
		buf_release(&t);
		return r;
	}
	return no(x, NO_FIX "", NULL);
}

/* Apply IS's fix to x->st.cur into x->out: APPLIED, NOT_APPLIED (x->st.why says why) or a negative error. */
static int apply(struct heal_step *st, const struct sim_issue *is)
{
	struct ctx *x = (struct ctx *)st;
	const char *r = is->rule;
	int rc;

	toml_doc_free(x->doc);
	x->doc = NULL;
	rc = toml_parse(x->st.cur->data, x->st.cur->len, &x->doc);
	if (rc == ERR_NOMEM)
		return rc;
	if (!x->doc && strcmp(r, NTL_ID(NTL_TOML_2)) != 0 && strcmp(r, NTL_ID(NTL_TOML_3)) != 0)
		return no(x, "the file does not parse", NULL);
	if (strcmp(r, NTL_ID(NTL_TOP_2)) == 0 && strcmp(is->fix_text, "change [[build]] to [build]") == 0)
		return fix_header(x, is, false);
	if (strcmp(r, NTL_ID(NTL_TOP_3)) == 0 && strncmp(is->fix_text, "change [", 8) == 0)
		return fix_header(x, is, true);
	if (strcmp(r, NTL_ID(NTL_RED_5)) == 0 && strncmp(is->fix_text, "change from to \"/", 17) == 0)
		return fix_slash(x, is);
	if (strcmp(r, NTL_ID(NTL_RED_4)) == 0)
		return fix_force(x, is);
	if (strcmp(r, NTL_ID(NTL_BUILD_2)) == 0)
		return fix_env(x, is);
	if (strcmp(r, NTL_ID(NTL_BUILD_6)) == 0)
		return fix_publish(x, is);
	if (strcmp(r, NTL_ID(NTL_BUILD_1)) == 0 || strcmp(r, NTL_ID(NTL_TOP_1)) == 0)
		return fix_rename(x, is);
	if (strcmp(r, NTL_ID(NTL_RED_8)) == 0 && strncmp(is->fix_text, "move the catch-all rule", 23) == 0)
		return fix_move_last(x, is);
	if (strcmp(r, NTL_ID(NTL_RED_7)) == 0)
		return fix_spa(x, is);
	if (strcmp(r, NTL_ID(NTL_TOML_5)) == 0)
		return fix_table_order(x, is);
	if (!x->doc && (strcmp(r, NTL_ID(NTL_TOML_2)) == 0 || strcmp(r, NTL_ID(NTL_TOML_3)) == 0))
		return fix_raw(x, is);
	return no(x, NO_FIX "", NULL);
}

/* ---- the loop (heal_run) ---- */

static int simulate(struct heal_step *st, const struct buf *text, struct sim_report *rep)
{
	struct ctx *x = (struct ctx *)st;

	return sim_netlify_text(x->file, text->data, text->len, x->dir, rep);
}

int heal_netlify_text(const char *file, const char *text, size_t len, const char *dir, struct heal_result *res)
{
	static const struct heal_ops ops = { .platform = "netlify", .simulate = simulate, .wanted = wanted,
					     .moves = moves, .apply = apply };
	struct ctx x = { .st = { .out = BUF_INIT(0) }, .file = file, .dir = dir };
	int r = heal_run(&ops, &x.st, text, len, res);

	toml_doc_free(x.doc);
	buf_release(&x.st.out);
	return r;
}
