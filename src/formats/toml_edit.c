/* TOML writing: strings and keys formatted for a file, and byte-preserving edits of a document. */
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

/* ---- writing ---- */

int toml_format_string(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run = 0;
	int r;

	if ((r = buf_addc(b, '"')) < 0)
		return r;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7] = "\\u00";
		size_t n = 2;

		if (!toml_is_control(c) && c != '"' && c != '\\')
			continue;
		if ((r = buf_add(b, s + run, i - run)) < 0)
			return r;
		run = i + 1;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\n': esc[1] = 'n'; break;
		case '\f': esc[1] = 'f'; break;
		case '\r': esc[1] = 'r'; break;
		default:
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		if ((r = buf_add(b, esc, n)) < 0)
			return r;
	}
	if ((r = buf_add(b, s + run, len - run)) < 0)
		return r;
	return buf_addc(b, '"');
}

int toml_format_key(struct buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && toml_bare_char((unsigned char)s[i]); i++)
		;
	if (len > 0 && i == len)
		return buf_add(b, s, len);
	return toml_format_string(b, s, len);
}

/* TEXT must be exactly one TOML value. Returns 0 or ERR_INVALID quoting it. */
static int check_value_text(const char *text, size_t len)
{
	struct parser p = { 0 };
	struct toml_value *v = NULL;
	char q[64], f[48];
	int r;

	p.s = text;
	p.len = len;
	buf_init(&p.tmp, 0);
	if ((r = toml_scan_lines(&p)) == 0 && (r = toml_parse_value(&p, &v)) == 0 && p.i != len)
		r = toml_perr(&p, p.i, "unexpected %s after the value", toml_found(&p, f, sizeof(f), p.i));
	toml_value_free(v);
	toml_parser_release(&p);
	if (r == ERR_INVALID || r == ERR_LIMIT) {
		char msg[600];

		snprintf(msg, sizeof(msg), "%s", err_msg());
		r = err_set(r, "bad value text '%s': %s", err_quote(q, sizeof(q), text, len), msg);
	}
	return r;
}

/* Parse the edited text in OUT to check it; on failure empty OUT and say why. */
static int finish_edit(int r, struct buf *out)
{
	struct toml_doc *d;

	if (r < 0) {
		buf_reset(out);
		return toml_bufr(r);
	}
	if ((r = toml_parse(out->data, out->len, &d)) < 0) {
		char msg[600];

		snprintf(msg, sizeof(msg), "%s", err_msg());
		buf_reset(out);
		return r == ERR_NOMEM ? r : err_set(ERR_INVALID, "edit makes bad toml: %s", msg);
	}
	toml_doc_free(d);
	return 0;
}

/* Append SRC with the LEN bytes at OFF replaced by REP (RLEN bytes). */
static int splice(struct buf *out, const struct toml_doc *doc, size_t off, size_t len, const char *rep, size_t rlen)
{
	int r;

	if ((r = buf_add(out, doc->src, off)) < 0 || (r = buf_add(out, rep, rlen)) < 0)
		return r;
	return buf_add(out, doc->src + off + len, doc->len - off - len);
}

int toml_edit_replace(const struct toml_doc *doc, const struct toml_value *v, const char *text, size_t len,
		      struct buf *out)
{
	int r;

	buf_reset(out);
	if (!v || !(v->flags & VF_TEXT))
		return err_set(ERR_UNSUPPORTED, "%u:%u: this %s is not written as a value, so its text cannot be replaced",
			       v ? v->span.line : 0, v ? v->span.col : 0, v ? toml_type_name(v->type) : "value");
	if ((r = check_value_text(text, len)) < 0)
		return r;
	return finish_edit(splice(out, doc, v->span.off, v->span.len, text, len), out);
}

int toml_edit_remove(const struct toml_doc *doc, const struct toml_value *v, struct buf *out)
{
	buf_reset(out);
	if (!v || v->stmt.len == 0)
		return err_set(ERR_UNSUPPORTED, "%u:%u: this %s has no lines of its own to remove",
			       v ? v->span.line : 0, v ? v->span.col : 0, v ? toml_type_name(v->type) : "value");
	return finish_edit(splice(out, doc, v->stmt.off, v->stmt.len, "", 0), out);
}

int toml_edit_insert(const struct toml_doc *doc, const struct toml_value *table, const char *key, size_t keylen,
		     const char *text, size_t len, struct buf *out)
{
	const char *nl = doc->crlf ? "\r\n" : "\n";
	size_t at, indent = 0;
	char q[64];
	int r;

	buf_reset(out);
	if (!table || table->type != TOML_TABLE || !(table->flags & VF_SECTION))
		return err_set(ERR_UNSUPPORTED, "%u:%u: keys can only be added to the root or to a table with a [header]",
			       table ? table->span.line : 0, table ? table->span.col : 0);
	if (toml_table_find(table, key, keylen))
		return err_set(ERR_INVALID, "key '%s' already exists", err_quote(q, sizeof(q), key, keylen));
	if ((r = check_value_text(text, len)) < 0)
		return r;
	at = table->u.tab.sect_end;
	if (table->u.tab.last_line != SIZE_MAX) {
		while (doc->src[table->u.tab.last_line + indent] == ' ' || doc->src[table->u.tab.last_line + indent] == '\t')
			indent++;
	}
	if ((r = buf_add(out, doc->src, at)) < 0)
		goto out;
	if (at > doc->start && doc->src[at - 1] != '\n' && (r = buf_adds(out, nl)) < 0)
		goto out;
	if ((r = buf_add(out, doc->src + (indent ? table->u.tab.last_line : 0), indent)) < 0 ||
	    (r = toml_format_key(out, key, keylen)) < 0 || (r = buf_adds(out, " = ")) < 0 ||
	    (r = buf_add(out, text, len)) < 0 || (r = buf_adds(out, nl)) < 0)
		goto out;
	r = buf_add(out, doc->src + at, doc->len - at);
out:
	return finish_edit(r, out);
}

int toml_edit_add_table(const struct toml_doc *doc, const char *const *keys, size_t nkeys, bool array,
			struct buf *out)
{
	const char *nl = doc->crlf ? "\r\n" : "\n";
	size_t i;
	int r;

	buf_reset(out);
	if (nkeys == 0)
		return err_set(ERR_INVALID, "a table needs a key");
	if ((r = buf_add(out, doc->src, doc->len)) < 0)
		goto out;
	if (doc->len > doc->start) {
		if (doc->src[doc->len - 1] != '\n' && (r = buf_adds(out, nl)) < 0)
			goto out;
		if ((r = buf_adds(out, nl)) < 0)
			goto out;
	}
	if ((r = buf_adds(out, array ? "[[" : "[")) < 0)
		goto out;
	for (i = 0; i < nkeys; i++) {
		if ((i && (r = buf_addc(out, '.')) < 0) || (r = toml_format_key(out, keys[i], strlen(keys[i]))) < 0)
			goto out;
	}
	if ((r = buf_adds(out, array ? "]]" : "]")) < 0)
		goto out;
	r = buf_adds(out, nl);
out:
	return finish_edit(r, out);
}
