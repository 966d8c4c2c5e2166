/* Heal a render.yaml: apply the fixes sim_render names, as targeted text edits, and check each by simulating again. */
#include "platform/heal.h"
#include "platform/render/render.h"
#include "platform/render/rules.h"
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

/* The line ending the line holding OFF uses: CRLF or LF. */
static const char *eol_of(const char *s, size_t n, size_t off)
{
	size_t e = heal_line_end(s, n, off);

	return e > 0 && e < n && s[e - 1] == '\r' ? "\r\n" : "\n";
}

/* True when the line holding OFF opens a flow collection before OFF. */
static bool in_flow(const char *s, size_t off)
{
	size_t i;

	for (i = heal_line_start(s, off); i < off; i++)
		if (s[i] == '{' || s[i] == '[')
			return true;
	return false;
}

/* The end of the scalar starting at OFF (quoted or plain, on one line); OFF when there is none. */
static size_t scalar_end(const char *s, size_t n, size_t off)
{
	size_t e = heal_line_end(s, n, off), i;
	bool flow = in_flow(s, off);

	if (off >= n)
		return off;
	if (s[off] == '"') {
		for (i = off + 1; i < e; i++) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				return i + 1;
		}
		return off;
	}
	if (s[off] == '\'') {
		for (i = off + 1; i < e; i++) {
			if (s[i] == '\'' && i + 1 < e && s[i + 1] == '\'')
				i++;
			else if (s[i] == '\'')
				return i + 1;
		}
		return off;
	}
	for (i = off; i < e; i++) {
		if (s[i] == '#' && i > off && (s[i - 1] == ' ' || s[i - 1] == '\t'))
			break;
		if (flow && (s[i] == ',' || s[i] == ']' || s[i] == '}'))
			break;
	}
	while (i > off && (s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\r'))
		i--;
	return i;
}

/* True when [A, B) of S holds only blanks and list dashes (a block context). */
static bool only_indent(const char *s, size_t a, size_t b)
{
	for (; a < b; a++)
		if (s[a] != ' ' && s[a] != '-')
			return false;
	return true;
}

/* The offset of the key whose value starts at OFF ("KEY: value" on one line); N when not so. */
static size_t key_before(const char *s, size_t n, size_t off, const char *key)
{
	size_t p = off, kl = strlen(key), ls = heal_line_start(s, off);

	while (p > ls && (s[p - 1] == ' ' || s[p - 1] == '\t'))
		p--;
	if (p == ls || s[p - 1] != ':')
		return n;
	p--;
	while (p > ls && (s[p - 1] == ' ' || s[p - 1] == '\t'))
		p--;
	if (p - ls < kl || memcmp(s + p - kl, key, kl) != 0)
		return n;
	p -= kl;
	if (p > ls && (isalnum((unsigned char)s[p - 1]) || s[p - 1] == '_'))
		return n;
	return p;
}

/* Count the issues of RULE in REP. */
static size_t count_rule(const struct sim_report *rep, const char *rule)
{
	size_t i, k = 0;

	for (i = 0; i < rep->n; i++)
		k += strcmp(rep->issues[i].rule, rule) == 0;
	return k;
}

static bool wanted(const struct sim_issue *is)
{
	if (is->fix != SIM_FIX_HEAL)
		return false;
	if (is->severity == SIM_CRITICAL || is->severity == SIM_HIGH)
		return true;
	/* the legacy spellings the heal is asked for, though only medium */
	return is->severity == SIM_MEDIUM && (strcmp(is->fix_text, "rename env to runtime") == 0 ||
					      strcmp(is->fix_text, "rename type redis to keyvalue") == 0);
}

/* ---- the fixes ---- */

struct ctx {
	struct heal_step st;		/* first: heal_run's callbacks get &st */
	const char *file;
};

static int no(struct ctx *x, const char *why)
{
	snprintf(x->st.why, sizeof(x->st.why), "%s", why);
	return NOT_APPLIED;
}

/* The offset of the issue's place in the current text; N when out of range. */
static size_t at(struct ctx *x, const struct sim_issue *is)
{
	return heal_offset_at(x->st.cur->data, x->st.cur->len, is->line, is->col);
}

/* Replace the scalar at the issue's place with the plain text V. */
static int replace_scalar(struct ctx *x, const struct sim_issue *is, const char *v)
{
	const char *s = x->st.cur->data;
	size_t n = x->st.cur->len, off = at(x, is), e;

	if (off >= n || (e = scalar_end(s, n, off)) == off)
		return no(x, "no scalar where the issue is");
	if (heal_splice(&x->st.out, s, n, off, e - off, v, strlen(v)) < 0)
		return ERR_NOMEM;
	return APPLIED;
}

/* "write KEY: VALUE": the scalar becomes VALUE. */
static int fix_write(struct ctx *x, const struct sim_issue *is)
{
	const char *p = strstr(is->fix_text, ": "), *v;

	if (strncmp(is->fix_text, "write ", 6) != 0 || !p)
		return no(x, NO_FIX);
	for (v = p + 2; *v; v++)
		if (!isalnum((unsigned char)*v) && *v != '-' && *v != ' ' && *v != '_' && *v != '.')
			return no(x, "the new value is not a plain word");
	if (!p[2])
		return no(x, "the fix names no value");
	return replace_scalar(x, is, p + 2);
}

/* Append N spaces (an indentation) to T. */
static int add_spaces(struct buf *t, size_t n)
{
	int r = 0;

	while (n-- > 0 && (r = buf_addc(t, ' ')) == 0)
		;
	return r;
}

/* Make T, the whole text a fix built, the step's output: APPLIED, or the buffer's error. */
static int take_text(struct ctx *x, const struct buf *t)
{
	int r;

	buf_reset(&x->st.out);
	r = buf_add(&x->st.out, t->data, t->len);
	return r < 0 ? r : APPLIED;
}

/* Wrap the plain scalar at the issue's place in double quotes. */
static int fix_quote(struct ctx *x, const struct sim_issue *is)
{
	const char *s = x->st.cur->data;
	size_t n = x->st.cur->len, off = at(x, is), e, i;
	struct buf t = BUF_INIT(0);
	int r = 0;

	if (off >= n || s[off] == '"' || s[off] == '\'' || (e = scalar_end(s, n, off)) == off)
		return no(x, "no plain scalar where the issue is");
	if ((r = buf_addc(&t, '"')) < 0)
		goto out;
	for (i = off; i < e; i++)
		if ((strchr("\"\\", s[i]) && (r = buf_addc(&t, '\\')) < 0) || (r = buf_addc(&t, s[i])) < 0)
			goto out;
	if ((r = buf_addc(&t, '"')) < 0 || (r = heal_splice(&x->st.out, s, n, off, e - off, t.data, t.len)) < 0)
		goto out;
	r = APPLIED;
out:
	buf_release(&t);
	return r;
}

/* "rename env to N": the key env at the issue's place becomes N. */
static int fix_rename_env(struct ctx *x, const struct sim_issue *is, const char *to)
{
	const char *s = x->st.cur->data;
	size_t n = x->st.cur->len, off = at(x, is), p;

	if (off >= n || n - off < 3 || memcmp(s + off, "env", 3) != 0)
		return no(x, "no key env where the issue is");
	for (p = off + 3; p < n && (s[p] == ' ' || s[p] == '\t'); p++)
		;
	if (p >= n || s[p] != ':')
		return no(x, "no key env where the issue is");
	if (strcmp(to, "envVars") == 0) {
		/* only a list-valued env: nothing after the colon, or a flow list */
		for (p++; p < n && (s[p] == ' ' || s[p] == '\t'); p++)
			;
		if (p < n && s[p] != '\n' && s[p] != '\r' && s[p] != '#' && s[p] != '[')
			return no(x, "this env is not the list-valued one");
	}
	if (heal_splice(&x->st.out, s, n, off, 3, to, strlen(to)) < 0)
		return ERR_NOMEM;
	return APPLIED;
}

/* "rename K to N" (an unknown key that is a typo of exactly one known key): the key K at the issue's place becomes N. */
static int fix_rename_key(struct ctx *x, const struct sim_issue *is)
{
	const char *s = x->st.cur->data, *from = is->fix_text + 7, *to = strstr(from, " to ");
	size_t n = x->st.cur->len, off = at(x, is), kn, p;

	if (!to || off >= n)
		return no(x, "no key where the issue is");
	kn = (size_t)(to - from);
	to += 4;
	for (p = 0; to[p]; p++)
		if (!isalnum((unsigned char)to[p]) && to[p] != '_')
			return no(x, "the new key is not a plain word");
	if (n - off < kn || memcmp(s + off, from, kn) != 0)
		return no(x, "the key at the issue's place is not the one to rename");
	for (p = off + kn; p < n && (s[p] == ' ' || s[p] == '\t'); p++)
		;
	if (p >= n || s[p] != ':')
		return no(x, "the key at the issue's place is not a plain key");
	if (heal_splice(&x->st.out, s, n, off, kn, to, strlen(to)) < 0)
		return ERR_NOMEM;
	return APPLIED;
}

/* RND-ENV-3: sync: false after the key: line, indented as the key (or inside the flow mapping). */
static int fix_sync(struct ctx *x, const struct sim_issue *is)
{
	const char *s = x->st.cur->data;
	size_t n = x->st.cur->len, off = at(x, is), k, ls, le, e, p;
	struct buf t = BUF_INIT(0);
	const char *eol;
	int r = 0;

	if (off >= n || (k = key_before(s, n, off, "key")) >= n)
		return no(x, "no key: NAME where the issue is");
	ls = heal_line_start(s, k);
	for (p = k; p > ls && (s[p - 1] == ' ' || s[p - 1] == '\t'); p--)
		;
	if (p > ls && (s[p - 1] == '{' || s[p - 1] == ',')) {
		if ((e = scalar_end(s, n, off)) == off)
			return no(x, "no key value where the issue is");
		if (heal_splice(&x->st.out, s, n, e, 0, ", sync: false", 13) < 0)
			return ERR_NOMEM;
		return APPLIED;
	}
	if (!only_indent(s, ls, k))
		return no(x, "the key: line is not a plain block mapping line");
	if ((e = scalar_end(s, n, off)) == off)
		return no(x, "no key value where the issue is");
	eol = eol_of(s, n, off);
	le = heal_line_end(s, n, off);
	if (le < n)
		le++;
	else if ((r = buf_adds(&t, eol)) < 0)
		goto out;
	if ((r = add_spaces(&t, k - ls)) < 0)
		goto out;
	if ((r = buf_adds(&t, "sync: false")) < 0 || (r = buf_adds(&t, eol)) < 0 ||
	    (r = heal_splice(&x->st.out, s, n, le, 0, t.data, t.len)) < 0)
		goto out;
	r = APPLIED;
out:
	buf_release(&t);
	return r;
}

/* The indentation of the line starting at LS (spaces), or -1 when it is blank or a comment. */
static long indent_of(const char *s, size_t n, size_t ls)
{
	size_t i = ls;

	while (i < n && s[i] == ' ')
		i++;
	if (i >= n || s[i] == '\n' || s[i] == '\r' || s[i] == '#')
		return -1;
	return (long)(i - ls);
}

/* Delete the key at OFF with its value: its line and the deeper lines after it. */
static int delete_key(struct ctx *x, size_t off)
{
	const char *s = x->st.cur->data;
	size_t n = x->st.cur->len, ls = heal_line_start(s, off), end, next;
	long col = (long)(off - ls), ind;

	if (!only_indent(s, ls, off) || memchr(s + ls, '-', off - ls))
		return no(x, "the key starts a list item or shares its line");
	end = heal_line_end(s, n, off);
	end = end < n ? end + 1 : end;
	for (next = end; next < n;) {
		size_t le = heal_line_end(s, n, next);

		ind = indent_of(s, n, next);
		if (ind >= 0 && ind <= col)
			break;
		if (ind > col)
			end = le < n ? le + 1 : le;
		next = le < n ? le + 1 : le;
	}
	if (heal_splice(&x->st.out, s, n, ls, end - ls, "", 0) < 0)
		return ERR_NOMEM;
	return APPLIED;
}

/* "delete KEY": the key at the issue's place, when it is KEY. */
static int fix_delete(struct ctx *x, const struct sim_issue *is)
{
	const char *s = x->st.cur->data, *key = is->fix_text + 7;
	size_t n = x->st.cur->len, off = at(x, is), kl = strlen(key);

	if (strncmp(is->fix_text, "delete ", 7) != 0 || strchr(key, ' '))
		return no(x, NO_FIX);
	if (off >= n || n - off < kl || memcmp(s + off, key, kl) != 0)
		return no(x, "the key the fix names is not where the issue is");
	return delete_key(x, off);
}

/* RND-ENV-2 "keep value, delete the other sources": the second source, at the issue's place, goes. */
static int fix_keep_value(struct ctx *x, const struct sim_issue *is)
{
	static const char *const sources[] = { "generateValue", "sync", "fromDatabase", "fromService", NULL };
	const char *s = x->st.cur->data;
	size_t n = x->st.cur->len, off = at(x, is), kl;
	int i;

	for (i = 0; sources[i]; i++) {
		kl = strlen(sources[i]);
		if (off < n && n - off > kl && memcmp(s + off, sources[i], kl) == 0 &&
		    (s[off + kl] == ':' || s[off + kl] == ' '))
			return delete_key(x, off);
	}
	return no(x, "no value source where the issue is");
}

/* True when S at I holds KEY followed by optional blanks and a colon. */
static bool key_here(const char *s, size_t n, size_t i, const char *key)
{
	size_t kl = strlen(key);

	if (n - i < kl + 1 || memcmp(s + i, key, kl) != 0)
		return false;
	for (i += kl; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	return i < n && s[i] == ':';
}

/* Where the block list item holding the key at OFF starts: the offset of its '-'; N when not found. */
static size_t item_dash(const char *s, size_t n, size_t off)
{
	size_t ls = heal_line_start(s, off), kc = off - ls, i;

	for (;;) {
		for (i = ls; i < n && s[i] == ' '; i++)
			;
		if (i < n && s[i] == '-' && i - ls < kc) {
			size_t c = i + 1;

			while (c < n && s[c] == ' ')
				c++;
			return c - ls == kc ? i : n;
		}
		if (indent_of(s, n, ls) >= 0 && (size_t)indent_of(s, n, ls) < kc)
			return n;
		if (ls == 0)
			return n;
		ls = heal_line_start(s, ls - 1);
	}
}

/* The offset of sibling KEY of the block mapping key at OFF (same item), or N. */
static size_t sibling(const char *s, size_t n, size_t off, const char *key)
{
	size_t ls = heal_line_start(s, off), kc = off - ls, dash = item_dash(s, n, off), l, i;
	long ind;

	if (dash >= n)
		return n;
	/* from the item's first line down to its end */
	for (l = heal_line_start(s, dash); l < n;) {
		size_t le = heal_line_end(s, n, l);

		for (i = l; i < le && (s[i] == ' ' || (l == heal_line_start(s, dash) && (s[i] == '-'))); i++)
			;
		ind = indent_of(s, n, l);
		if (l != heal_line_start(s, dash) && ind >= 0 && (size_t)ind < kc)
			break;
		if (i - l == kc && key_here(s, n, i, key))
			return i;
		l = le < n ? le + 1 : le;
	}
	return n;
}

/* RND-ENV-2 "keep sync: false, delete value": the item's value key goes. */
static int fix_keep_sync(struct ctx *x, const struct sim_issue *is)
{
	const char *s = x->st.cur->data;
	size_t n = x->st.cur->len, off = at(x, is), v;

	if (off >= n || (v = sibling(s, n, off, "value")) >= n)
		return no(x, "cannot find the item's value key");
	return delete_key(x, v);
}

/* RND-ENV-1 "move fromGroup into an envVars item of its own": fromGroup becomes an item before the rest. */
static int fix_from_group(struct ctx *x, const struct sim_issue *is)
{
	const char *s = x->st.cur->data;
	size_t n = x->st.cur->len, off = at(x, is), dash, ls, dls, le, p, e;
	struct buf t = BUF_INIT(0);
	int r = 0;

	if (off >= n || !key_here(s, n, off, "fromGroup") || (dash = item_dash(s, n, off)) >= n)
		return no(x, "fromGroup is not a key of a block list item");
	ls = heal_line_start(s, off);
	dls = heal_line_start(s, dash);
	le = heal_line_end(s, n, off);
	if (le >= n)
		return no(x, "fromGroup is on the last line");
	/* fromGroup's value is one scalar on its line */
	for (p = off + 9; p < le && s[p] != ':'; p++)
		;
	for (p++; p < le && s[p] == ' '; p++)
		;
	if (p >= le || (e = scalar_end(s, n, p)) == p)
		return no(x, "fromGroup's value is not on its line");
	if (ls == dls) {
		/* "- fromGroup: g" starts the item: the next key starts an item of its own */
		size_t nl = le + 1, ni = nl;

		while (ni < n && s[ni] == ' ')
			ni++;
		if (ni - nl != off - ls || ni >= n || s[ni] == '\n' || s[ni] == '#')
			return no(x, "the next line is not a key of the item");
		if ((r = buf_add(&t, s, nl)) < 0 || (r = buf_add(&t, s + ls, off - ls)) < 0 ||
		    (r = buf_add(&t, s + ni, n - ni)) < 0)
			goto out;
	} else {
		/* a later key: its line goes, and "- fromGroup: g" goes before the item */
		if (!only_indent(s, ls, off) || memchr(s + ls, '-', off - ls))
			return no(x, "fromGroup shares its line");
		/* prefix up to the item, then "<indent>- fromGroup: g\n" */
		if ((r = buf_add(&t, s, dls)) < 0 || (r = buf_add(&t, s + dls, dash - dls)) < 0 ||
		    (r = buf_adds(&t, "- ")) < 0 || (r = buf_add(&t, s + off, le + 1 - off)) < 0 ||
		    (r = buf_add(&t, s + dls, ls - dls)) < 0 || (r = buf_add(&t, s + le + 1, n - le - 1)) < 0)
			goto out;
	}
	r = take_text(x, &t);
out:
	buf_release(&t);
	return r;
}

/*
 * Append to T the line LINE to go in at K, before the key there (its line starts at LS):
 * LINE, the text's line end, then K's indentation for the key that moves down.
 */
static int add_line_before(struct buf *t, const char *s, size_t n, size_t ls, size_t k, const char *line)
{
	int r;

	if ((r = buf_adds(t, line)) < 0 || (r = buf_adds(t, eol_of(s, n, k))) < 0)
		return r;
	return add_spaces(t, k - ls);
}

/* RND-KV-1: ipAllowList: [] on the keyvalue service. */
static int fix_allow_list(struct ctx *x, const struct sim_issue *is)
{
	const char *s = x->st.cur->data;
	size_t n = x->st.cur->len, off = at(x, is), ls, p, e;
	struct buf t = BUF_INIT(0);
	int r = 0;

	if (off >= n)
		return no(x, "the issue's place is not in the text");
	if (n - off > 11 && memcmp(s + off, "ipAllowList", 11) == 0) {
		for (p = off + 11; p < n && (s[p] == ' ' || s[p] == '\t'); p++)
			;
		if (p >= n || s[p] != ':')
			return no(x, "no ipAllowList key where the issue is");
		p++;
		for (e = p; e < n && (s[e] == ' ' || s[e] == '\t'); e++)
			;
		e = (e < n && s[e] != '\n' && s[e] != '#') ? scalar_end(s, n, e) : p;
		if (heal_splice(&x->st.out, s, n, p, e - p, " []", 3) < 0)
			return ERR_NOMEM;
		return APPLIED;
	}
	ls = heal_line_start(s, off);
	if (in_flow(s, off)) {
		if (heal_splice(&x->st.out, s, n, off, 0, "ipAllowList: [], ", 17) < 0)
			return ERR_NOMEM;
		return APPLIED;
	}
	if (!only_indent(s, ls, off))
		return no(x, "the service is not a block mapping");
	if ((r = add_line_before(&t, s, n, ls, off, "ipAllowList: []")) == 0 &&
	    (r = heal_splice(&x->st.out, s, n, off, 0, t.data, t.len)) == 0)
		r = APPLIED;
	buf_release(&t);
	return r;
}

/* RND-SVC-1 "set type: web and runtime: static": type becomes web, runtime: static goes above it. */
static int fix_static(struct ctx *x, const struct sim_issue *is)
{
	const char *s = x->st.cur->data;
	size_t n = x->st.cur->len, off = at(x, is), k, ls, e;
	struct buf t = BUF_INIT(0);
	int r = 0;

	if (off >= n || (k = key_before(s, n, off, "type")) >= n || (e = scalar_end(s, n, off)) == off)
		return no(x, "no type: static where the issue is");
	ls = heal_line_start(s, k);
	if (!only_indent(s, ls, k))
		return no(x, "the type is not on a block mapping line");
	/* the value first (it is after the insertion point, so offsets before it hold) */
	if ((r = buf_add(&t, s, k)) < 0 || (r = add_line_before(&t, s, n, ls, k, "runtime: static")) < 0 ||
	    (r = buf_add(&t, s + k, off - k)) < 0 || (r = buf_adds(&t, "web")) < 0 ||
	    (r = buf_add(&t, s + e, n - e)) < 0)
		goto out;
	r = take_text(x, &t);
out:
	buf_release(&t);
	return r;
}

/* Apply IS's fix to x->st.cur into x->out: APPLIED, NOT_APPLIED (x->st.why says why) or a negative error. */
static int apply_raw(struct ctx *x, const struct sim_issue *is)
{
	const char *r = is->rule, *f = is->fix_text;

	if (strcmp(r, RND_ID(RND_YAML_1)) == 0 && strncmp(f, "quote the cron expression", 25) == 0)
		return fix_quote(x, is);
	if ((strcmp(r, RND_ID(RND_YAML_3)) == 0 || strcmp(r, RND_ID(RND_YAML_4)) == 0) &&
	    strncmp(f, "quote it: ", 10) == 0)
		return fix_quote(x, is);
	if (strcmp(r, RND_ID(RND_SVC_3)) == 0 && strcmp(f, "rename env to runtime") == 0)
		return fix_rename_env(x, is, "runtime");
	if (strcmp(r, RND_ID(RND_SVC_3)) == 0 && strcmp(f, "rename env to envVars") == 0)
		return fix_rename_env(x, is, "envVars");
	if (strcmp(r, RND_ID(RND_YAML_2)) == 0 && strcmp(f, "rename the list-valued env to envVars") == 0)
		return fix_rename_env(x, is, "envVars");
	if (strcmp(r, RND_ID(RND_ENV_3)) == 0 && strncmp(f, "add sync: false", 15) == 0)
		return fix_sync(x, is);
	if (strcmp(r, RND_ID(RND_SVC_1)) == 0 && strcmp(f, "rename type redis to keyvalue") == 0)
		return replace_scalar(x, is, "keyvalue");
	if (strcmp(r, RND_ID(RND_SVC_1)) == 0 && strcmp(f, "set type: web and runtime: static") == 0)
		return fix_static(x, is);
	if (strcmp(r, RND_ID(RND_KV_1)) == 0 && strncmp(f, "add ipAllowList: []", 19) == 0)
		return fix_allow_list(x, is);
	if (strcmp(r, RND_ID(RND_STATIC_2)) == 0)
		return fix_delete(x, is);
	if (strcmp(r, RND_ID(RND_ENV_2)) == 0 && strcmp(f, "keep value, delete the other sources") == 0)
		return fix_keep_value(x, is);
	if (strcmp(r, RND_ID(RND_ENV_2)) == 0 && strcmp(f, "keep sync: false, delete value") == 0)
		return fix_keep_sync(x, is);
	if (strcmp(r, RND_ID(RND_ENV_1)) == 0 && strcmp(f, "move fromGroup into an envVars item of its own") == 0)
		return fix_from_group(x, is);
	if (strncmp(f, "rename ", 7) == 0 && is->fix == SIM_FIX_HEAL)
		return fix_rename_key(x, is);
	if (strncmp(f, "write ", 6) == 0)
		return fix_write(x, is);
	return no(x, NO_FIX);
}

static int simulate(struct heal_step *st, const struct buf *text, struct sim_report *rep)
{
	return sim_render_text(((struct ctx *)st)->file, text->data, text->len, NULL, rep);
}

/* An edit must not add syntax errors or duplicate keys. */
static int apply(struct heal_step *st, const struct sim_issue *is)
{
	struct ctx *x = (struct ctx *)st;
	struct sim_report a, b;
	int r;

	if ((r = apply_raw(x, is)) != APPLIED)
		return r;
	sim_report_init(&a, "render");
	sim_report_init(&b, "render");
	if ((r = simulate(st, x->st.cur, &a)) < 0 || (r = simulate(st, &x->st.out, &b)) < 0)
		goto out;
	if (count_rule(&b, RND_ID(RND_YAML_1)) > count_rule(&a, RND_ID(RND_YAML_1)) ||
	    count_rule(&b, RND_ID(RND_YAML_2)) > count_rule(&a, RND_ID(RND_YAML_2)))
		r = no(x, "the edit would break the YAML (a syntax error or a duplicate key)");
	else
		r = APPLIED;
out:
	sim_report_release(&a);
	sim_report_release(&b);
	return r;
}

/* ---- the loop (heal_run) ---- */

int heal_render_text(const char *file, const char *text, size_t len, const char *dir, struct heal_result *res)
{
	static const struct heal_ops ops = { .platform = "render", .simulate = simulate, .wanted = wanted,
					     .apply = apply };
	struct ctx x = { .st = { .out = BUF_INIT(0) }, .file = file };
	int r;

	(void)dir;
	r = heal_run(&ops, &x.st, text, len, res);
	buf_release(&x.st.out);
	return r;
}
