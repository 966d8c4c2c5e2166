/* TOML parsing: values, arrays, inline tables, [headers], key/value lines and the document. */
#include "formats/toml.h"
#include "formats/toml_internal.h"
#include "util/err.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* ---- values ---- */

static int set_dotted(struct parser *p, struct toml_value *t, struct keypath *kp, struct toml_value *e);

/* At '[': an array of values. */
static int parse_array(struct parser *p, struct toml_value *v)
{
	size_t start = p->i;
	char f[48];
	int r;

	v->type = TOML_ARRAY;
	p->i++;
	for (;;) {
		struct toml_value *e;

		if ((r = toml_skip_blank(p)) < 0)
			return r;
		if (toml_peek(p) == ']')
			break;
		if (toml_peek(p) == -1)
			return toml_perr(p, start, "unterminated array");
		if ((r = toml_parse_value(p, &e)) < 0)
			return r;
		if ((r = toml_array_add(v, e)) < 0) {
			toml_value_free(e);
			return r;
		}
		if ((r = toml_skip_blank(p)) < 0)
			return r;
		if (toml_peek(p) == ',') {
			p->i++;
			continue;
		}
		if (toml_peek(p) == ']')
			break;
		if (toml_peek(p) == -1)
			return toml_perr(p, start, "unterminated array");
		return toml_perr(p, p->i, "expected ',' or ']' after an array element, found %s", toml_found(p, f, sizeof(f), p->i));
	}
	p->i++;
	return 0;
}

/* At '{': an inline table, all on one line, closed for good once read. */
static int parse_inline(struct parser *p, struct toml_value *v)
{
	struct keypath kp = { 0 };
	char f[48];
	int r = 0;

	v->type = TOML_TABLE;
	v->u.tab.last_line = SIZE_MAX;
	p->i++;
	toml_skip_ws(p);
	if (toml_peek(p) == '}') {
		p->i++;
		goto out;
	}
	for (;;) {
		struct toml_value *e;

		toml_skip_ws(p);
		toml_keypath_release(&kp);
		if ((r = toml_parse_key(p, &kp)) < 0)
			goto out;
		if (toml_peek(p) != '=') {
			r = toml_perr(p, p->i, "expected '=' after a key, found %s", toml_found(p, f, sizeof(f), p->i));
			goto out;
		}
		p->i++;
		toml_skip_ws(p);
		if ((r = toml_parse_value(p, &e)) < 0 || (r = set_dotted(p, v, &kp, e)) < 0)
			goto out;
		toml_skip_ws(p);
		if (toml_peek(p) == ',') {
			p->i++;
			toml_skip_ws(p);
			if (toml_peek(p) == '}') {
				r = toml_perr(p, p->i, "trailing comma in an inline table");
				goto out;
			}
			continue;
		}
		if (toml_peek(p) == '}') {
			p->i++;
			break;
		}
		if (toml_peek(p) == '\n' || toml_peek(p) == '\r')
			r = toml_perr(p, p->i, "inline tables must be on one line: expected ',' or '}'");
		else
			r = toml_perr(p, p->i, "expected ',' or '}' in an inline table, found %s", toml_found(p, f, sizeof(f), p->i));
		goto out;
	}
out:
	toml_keypath_release(&kp);
	v->flags |= VF_INLINE;
	return r;
}

/* Any value at p->i into *OUT (a new value the caller owns); p->i moves past it. */
int toml_parse_value(struct parser *p, struct toml_value **out)
{
	struct toml_value *v;
	size_t start = p->i;
	int c = toml_peek(p), r = 0;
	char f[48], q[64];
	/* before the values inside, so columns are counted once per line */
	struct toml_span sp = toml_span_at(p, start, 0);

	*out = NULL;
	if (!(v = toml_value_new(TOML_STRING)))
		return toml_nomem();
	if (c == '"' || c == '\'') {
		if ((r = toml_parse_string(p)) < 0)
			goto fail;
		if (!(v->u.str.s = toml_memdup0(p->tmp.data, p->tmp.len))) {
			r = toml_nomem();
			goto fail;
		}
		v->u.str.len = p->tmp.len;
	} else if (c == '[' || c == '{') {
		if (p->depth >= TOML_MAX_DEPTH) {
			r = toml_perr_code(p, ERR_LIMIT, p->i, "values nested more than %d deep", TOML_MAX_DEPTH);
			goto fail;
		}
		p->depth++;
		r = c == '[' ? parse_array(p, v) : parse_inline(p, v);
		p->depth--;
		if (r < 0)
			goto fail;
	} else if (toml_is_digit(c) &&
		   ((toml_is_digit(toml_peek_at(p, 1)) && toml_peek_at(p, 2) == ':') ||
		    (toml_is_digit(toml_peek_at(p, 1)) && toml_is_digit(toml_peek_at(p, 2)) &&
		     toml_is_digit(toml_peek_at(p, 3)) && toml_peek_at(p, 4) == '-'))) {
		if ((r = toml_parse_datetime(p, v)) < 0)
			goto fail;
	} else {
		size_t end = start;

		while (end < p->len && toml_word_char((unsigned char)p->s[end]))
			end++;
		if (end == start) {
			r = toml_perr(p, start, "expected a value, found %s", toml_found(p, f, sizeof(f), start));
			goto fail;
		}
		if (end - start == 4 && memcmp(p->s + start, "true", 4) == 0) {
			v->type = TOML_BOOL;
			v->u.b = true;
		} else if (end - start == 5 && memcmp(p->s + start, "false", 5) == 0) {
			v->type = TOML_BOOL;
		} else if ((r = toml_parse_number(p, start, end - start, v)) < 0) {
			goto fail;
		}
		p->i = end;
	}
	/* what follows a value must end it */
	switch (toml_peek(p)) {
	case -1: case ' ': case '\t': case '\n': case '\r': case '#': case ',': case ']': case '}':
		break;
	default:
		r = toml_perr(p, p->i, "unexpected %s after the value '%s'", toml_found(p, f, sizeof(f), p->i),
			      toml_quote(p, q, sizeof(q), start, p->i - start));
		goto fail;
	}
	v->flags |= VF_TEXT;
	v->span = sp;
	v->span.len = p->i - start;
	*out = v;
	return 0;
fail:
	toml_value_free(v);
	return r;
}

/* ---- putting values into tables ---- */

/* A new table made at key part SEG with FLAGS, added under T. Takes SEG->s. */
static int add_table(struct parser *p, struct toml_value *t, struct key_seg *seg, unsigned flags,
		     struct toml_value **out)
{
	struct toml_value *x = toml_value_new(TOML_TABLE);
	int r;

	*out = NULL;
	if (!x)
		return toml_nomem();
	x->flags = flags;
	x->key = x->span = seg->sp;
	if ((r = toml_table_add(t, seg->s, seg->len, x)) < 0) {
		toml_value_free(x);
		return r;
	}
	seg->s = NULL;
	*out = x;
	return 0;
}

/* "a table", "an integer", ... for messages. */
static const char *a_type(const struct toml_value *v)
{
	switch (v->type) {
	case TOML_STRING: return "a string";
	case TOML_INTEGER: return "an integer";
	case TOML_FLOAT: return "a float";
	case TOML_BOOL: return "a boolean";
	case TOML_DATETIME: return "an offset date-time";
	case TOML_DATETIME_LOCAL: return "a local date-time";
	case TOML_DATE_LOCAL: return "a local date";
	case TOML_TIME_LOCAL: return "a local time";
	case TOML_ARRAY: return v->flags & VF_AOT ? "an array of tables" : "an array";
	case TOML_TABLE: return v->flags & VF_INLINE ? "an inline table" : "a table";
	}
	return "a value";
}

/*
 * Key/value semantics: put E at dotted key KP under table T, making the parent tables it
 * needs. Takes E (frees it on failure) and the key parts it uses.
 */
static int set_dotted(struct parser *p, struct toml_value *t, struct keypath *kp, struct toml_value *e)
{
	struct key_seg *seg;
	struct toml_value *x;
	size_t k;
	char q[100];
	int r = 0;

	for (k = 0; k + 1 < kp->n; k++) {
		seg = &kp->seg[k];
		x = toml_table_find(t, seg->s, seg->len);
		if (!x) {
			if ((r = add_table(p, t, seg, VF_DOTTED, &x)) < 0)
				goto fail;
		} else if (x->type != TOML_TABLE || (x->flags & VF_INLINE)) {
			r = toml_perr(p, seg->off, "cannot add keys to '%s': it is %s (defined at %u:%u)", toml_keyq(p, q, sizeof(q), kp, k),
				      a_type(x), x->key.line, x->key.col);
			goto fail;
		} else if (x->flags & VF_EXPLICIT) {
			r = toml_perr(p, seg->off, "cannot add keys to table '%s' with a dotted key: it has a [header] at %u:%u",
				      toml_keyq(p, q, sizeof(q), kp, k), x->span.line, x->span.col);
			goto fail;
		} else if (x->flags & VF_IMPLICIT) {
			/* defined now, by dotted keys: no [header] may define it later */
			x->flags = (x->flags & ~(unsigned)VF_IMPLICIT) | VF_DOTTED;
		}
		t = x;
	}
	seg = &kp->seg[kp->n - 1];
	if ((x = toml_table_find(t, seg->s, seg->len))) {
		r = toml_perr(p, seg->off, "duplicate key '%s' (first defined at %u:%u)", toml_keyq(p, q, sizeof(q), kp, kp->n - 1),
			      x->key.line, x->key.col);
		goto fail;
	}
	e->key = seg->sp;
	if ((r = toml_table_add(t, seg->s, seg->len, e)) < 0)
		goto fail;
	seg->s = NULL;
	return 0;
fail:
	toml_value_free(e);
	return r;
}

/* At '[': a [table] or [[array of tables]] header line starting at LINE_OFF. */
static int parse_header(struct parser *p, size_t line_off)
{
	struct keypath kp = { 0 };
	struct toml_value *t = p->root, *x, *tab = NULL;
	struct key_seg *seg;
	size_t start = p->i, k;
	bool aot = toml_peek_at(p, 1) == '[';
	struct toml_span hdr;
	char f[48], q[100];
	int r;

	/* spans are asked for in source order, so columns are counted once per line */
	hdr = toml_span_at(p, start, 0);
	p->i += aot ? 2 : 1;
	toml_skip_ws(p);
	if ((r = toml_parse_key(p, &kp)) < 0)
		goto out;
	if (toml_peek(p) != ']' || (aot && toml_peek_at(p, 1) != ']')) {
		r = toml_perr(p, p->i, "expected '%s' to close the table header, found %s", aot ? "]]" : "]",
			      toml_found(p, f, sizeof(f), p->i));
		goto out;
	}
	p->i += aot ? 2 : 1;
	hdr.len = p->i - start;
	for (k = 0; k + 1 < kp.n; k++) {
		seg = &kp.seg[k];
		x = toml_table_find(t, seg->s, seg->len);
		if (!x) {
			if ((r = add_table(p, t, seg, VF_IMPLICIT, &x)) < 0)
				goto out;
		} else if (x->type == TOML_ARRAY && (x->flags & VF_AOT)) {
			x = x->u.arr.v[x->u.arr.n - 1];
		} else if (x->type != TOML_TABLE || (x->flags & VF_INLINE)) {
			r = toml_perr(p, seg->off, "cannot add a table under '%s': it is %s (defined at %u:%u)",
				      toml_keyq(p, q, sizeof(q), &kp, k), a_type(x), x->key.line, x->key.col);
			goto out;
		}
		t = x;
	}
	seg = &kp.seg[kp.n - 1];
	x = toml_table_find(t, seg->s, seg->len);
	if (aot) {
		struct toml_value *arr = x;

		if (!arr) {
			if (!(arr = toml_value_new(TOML_ARRAY))) {
				r = toml_nomem();
				goto out;
			}
			arr->flags = VF_AOT;
			arr->span = hdr;
			arr->key = seg->sp;
			if ((r = toml_table_add(t, seg->s, seg->len, arr)) < 0) {
				toml_value_free(arr);
				goto out;
			}
			seg->s = NULL;
		} else if (arr->type != TOML_ARRAY || !(arr->flags & VF_AOT)) {
			r = toml_perr(p, seg->off, "cannot make '%s' an array of tables: it is already %s (defined at %u:%u)",
				      toml_keyq(p, q, sizeof(q), &kp, kp.n - 1), a_type(arr), arr->key.line, arr->key.col);
			goto out;
		}
		if (!(tab = toml_value_new(TOML_TABLE))) {
			r = toml_nomem();
			goto out;
		}
		if ((r = toml_array_add(arr, tab)) < 0) {
			toml_value_free(tab);
			goto out;
		}
		tab->key = seg->sp;
	} else if (!x) {
		if ((r = add_table(p, t, seg, 0, &tab)) < 0)
			goto out;
	} else if (x->type == TOML_TABLE && !(x->flags & (VF_EXPLICIT | VF_DOTTED | VF_INLINE))) {
		tab = x;
		tab->key = seg->sp;
	} else {
		if (x->type == TOML_TABLE)
			r = toml_perr(p, seg->off, "table '%s' is already defined (at %u:%u)", toml_keyq(p, q, sizeof(q), &kp, kp.n - 1),
				      x->span.line, x->span.col);
		else
			r = toml_perr(p, seg->off, "cannot define table '%s': it is already %s (defined at %u:%u)",
				      toml_keyq(p, q, sizeof(q), &kp, kp.n - 1), a_type(x), x->key.line, x->key.col);
		goto out;
	}
	tab->flags = (tab->flags & ~(unsigned)VF_IMPLICIT) | VF_EXPLICIT | VF_SECTION;
	tab->span = hdr;
	p->cur = p->section = tab;
	if ((r = toml_end_line(p, "the table header")) < 0)
		goto out;
	tab->stmt = toml_span_at(p, line_off, p->i - line_off);
	tab->u.tab.sect_end = p->i;
out:
	toml_keypath_release(&kp);
	return r;
}

/* A key = value line starting at LINE_OFF, into the current table. */
static int parse_keyval(struct parser *p, size_t line_off)
{
	struct keypath kp = { 0 };
	struct toml_value *e = NULL;
	struct toml_value *sec = p->section;
	char f[48], q[100];
	int r;

	if ((r = toml_parse_key(p, &kp)) < 0)
		goto out;
	if (toml_peek(p) != '=') {
		r = toml_perr(p, p->i, "expected '=' after the key '%s', found %s", toml_keyq(p, q, sizeof(q), &kp, kp.n - 1),
			      toml_found(p, f, sizeof(f), p->i));
		goto out;
	}
	p->i++;
	toml_skip_ws(p);
	if ((r = toml_parse_value(p, &e)) < 0 || (r = set_dotted(p, p->cur, &kp, e)) < 0)
		goto out;
	if ((r = toml_end_line(p, "the value")) < 0)
		goto out;
	e->stmt = toml_span_at(p, line_off, p->i - line_off);
	sec->u.tab.sect_end = p->i;
	sec->u.tab.last_line = line_off;
	if (sec != p->root)
		sec->stmt.len = p->i - sec->stmt.off;
out:
	toml_keypath_release(&kp);
	return r;
}

/* The whole document, line by line. */
static int parse_doc(struct parser *p)
{
	int r;

	while (p->i < p->len) {
		size_t line_off = p->i;
		int c;

		toml_skip_ws(p);
		c = toml_peek(p);
		if (c == '[')
			r = parse_header(p, line_off);
		else if (c == '#' || c == '\n' || c == '\r' || c == -1)
			r = toml_end_line(p, "a comment");
		else
			r = parse_keyval(p, line_off);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Free what the parser holds (not the values it made). */
void toml_parser_release(struct parser *p)
{
	free(p->lines);
	buf_release(&p->tmp);
}

int toml_parse(const char *src, size_t len, struct toml_doc **out)
{
	struct parser p = { 0 };
	struct toml_doc *doc;
	const char *nl;
	int r;

	*out = NULL;
	if (!(doc = calloc(1, sizeof(*doc))) || !(doc->src = toml_memdup0(src, len)) ||
	    !(doc->root = toml_value_new(TOML_TABLE))) {
		toml_doc_free(doc);
		return toml_nomem();
	}
	doc->len = len;
	if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
		doc->start = 3;
	nl = memchr(doc->src, '\n', len);
	doc->crlf = nl && nl > doc->src && nl[-1] == '\r';
	p.s = doc->src;
	p.len = len;
	p.i = doc->start;
	p.root = p.cur = p.section = doc->root;
	buf_init(&p.tmp, 0);
	if ((r = toml_scan_lines(&p)) < 0)
		goto out;
	p.lines[0] = doc->start;
	doc->root->flags = VF_SECTION;
	doc->root->u.tab.sect_end = doc->start;
	r = parse_doc(&p);
	doc->root->span = toml_span_at(&p, doc->start, len - doc->start);
out:
	toml_parser_release(&p);
	if (r < 0) {
		toml_doc_free(doc);
		return r;
	}
	*out = doc;
	return 0;
}
