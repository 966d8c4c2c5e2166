/* Add an input to flake.nix as one insertion: every other byte, comments and layout included, stays. */
#include "formats/nix_edit_internal.h"
#include "util/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* Where the new binding goes and what it is. */
struct insertion {
	size_t at;		/* the byte of the text it goes before */
	const char *indent;	/* the whitespace before it, INDENT_LEN bytes (may be "") */
	size_t indent_len;
	const char *lead;	/* before that, on the same line ("" or " ") */
	const char *prefix;	/* "inputs." or "" */
	const char *tail;	/* after it: a line end, " " or "" */
};

/* "\r\n" when the text's lines end so, else "\n". */
static const char *line_end_of(const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);

	return nl && nl > text && nl[-1] == '\r' ? "\r\n" : "\n";
}

static size_t line_start(const char *text, size_t off)
{
	while (off > 0 && text[off - 1] != '\n')
		off--;
	return off;
}

/* The spaces and tabs that start the line holding OFF. */
static void line_indent(const char *text, size_t off, const char **s, size_t *n)
{
	size_t b = line_start(text, off);

	*s = text + b;
	*n = strspn(text + b, " \t");
	if (*n > off - b)
		*n = off - b;
}

/* True when only spaces and tabs lie between OFF's line start and OFF. */
static bool first_on_line(const char *text, size_t off)
{
	size_t b = line_start(text, off);

	return strspn(text + b, " \t") >= off - b;
}

/*
 * After byte OFF (just past a ';'): the start of the next line when the rest of this one is
 * blank or a # comment, else SIZE_MAX.
 */
static size_t next_line_after(const char *text, size_t len, size_t off)
{
	while (off < len && (text[off] == ' ' || text[off] == '\t' || text[off] == '\r'))
		off++;
	if (off < len && text[off] == '#')
		while (off < len && text[off] != '\n')
			off++;
	return off < len && text[off] == '\n' ? off + 1 : SIZE_MAX;
}

/* Into the set S: on a line of its own before its '}' when that starts a line, else just before it. */
static void into_set(const struct nix_doc *d, const struct nix_set *s, const char *prefix, struct insertion *ins)
{
	const struct nix_tok *open = &d->t[s->open], *close = &d->t[s->close];
	const char *text = d->text;

	ins->prefix = prefix;
	if (close->line != open->line && first_on_line(text, close->off)) {
		size_t last = s->n ? d->t[s->b[s->n - 1].first].off : 0;

		ins->at = line_start(text, close->off);
		ins->tail = line_end_of(text, d->len);
		if (s->n && first_on_line(text, last) && d->t[s->b[s->n - 1].first].line != open->line) {
			line_indent(text, last, &ins->indent, &ins->indent_len);
		} else {
			/* No binding on a line of its own to copy: the '}' line's indent and one step more. */
			line_indent(text, close->off, &ins->indent, &ins->indent_len);
			ins->lead = memchr(ins->indent, '\t', ins->indent_len) ? "\t" : "  ";
		}
		return;
	}
	ins->at = close->off;
	ins->lead = close->off > 0 && strchr(" \t\n", text[close->off - 1]) ? "" : " ";
	ins->tail = " ";
}

/* After binding B: on the next line when the rest of B's line is blank or a comment, else right after its ';'. */
static void after_binding(const struct nix_doc *d, const struct nix_binding *b, struct insertion *ins)
{
	size_t semi_end = d->t[b->semi].off + 1;
	size_t next = next_line_after(d->text, d->len, semi_end);

	ins->prefix = "inputs.";
	if (next != SIZE_MAX) {
		ins->at = next;
		line_indent(d->text, d->t[b->first].off, &ins->indent, &ins->indent_len);
		ins->tail = line_end_of(d->text, d->len);
	} else {
		ins->at = semi_end;
		ins->lead = " ";
	}
}

/* Before binding B: on a line of its own when B starts its line, else just before it. */
static void before_binding(const struct nix_doc *d, const struct nix_binding *b, struct insertion *ins)
{
	size_t off = d->t[b->first].off;

	ins->prefix = "inputs.";
	if (first_on_line(d->text, off)) {
		ins->at = line_start(d->text, off);
		line_indent(d->text, off, &ins->indent, &ins->indent_len);
		ins->tail = line_end_of(d->text, d->len);
	} else {
		ins->at = off;
		ins->tail = " ";
	}
}

/* The first component of B's name is WORD. */
static bool named(const struct nix_doc *d, const struct nix_binding *b, const char *word)
{
	char buf[32];
	const char *a;

	return !b->inherit && b->npath && (a = nix_tok_name(d, b->path[0], buf, sizeof(buf))) && strcmp(a, word) == 0;
}

/* Where the input goes in the flake D (top-level set TOP). */
static int place(const struct nix_doc *d, const struct nix_set *top, struct insertion *ins)
{
	const struct nix_binding *set = NULL, *dotted = NULL, *outputs = NULL;
	struct nix_set s;
	size_t i;
	int r;

	for (i = 0; i < top->n; i++) {
		const struct nix_binding *b = &top->b[i];

		if (named(d, b, "inputs") && b->npath == 1 && !set)
			set = b;
		else if (named(d, b, "inputs") && b->npath > 1)
			dotted = b;
		else if (named(d, b, "outputs") && !outputs)
			outputs = b;
	}
	if (set) {
		if (!nix_binding_is_set(d, set))
			return err_set(ERR_UNSUPPORTED, "%s:%u:%u: `inputs` is not written as a plain attribute set "
							"({ NAME.url = \"URL\"; ... }): add the input there by hand",
				       d->file, d->t[set->value].line, d->t[set->value].col);
		if ((r = nix_set_parse(d, set->value, &s)) < 0)
			return r;
		into_set(d, &s, "", ins);
		nix_set_release(&s);
	} else if (dotted) {
		after_binding(d, dotted, ins);
	} else if (outputs) {
		before_binding(d, outputs, ins);
	} else {
		into_set(d, top, "inputs.", ins);
	}
	return 0;
}

/* URL as the body of a Nix "..." string. */
static int add_escaped(struct buf *out, const char *url)
{
	int r = 0;

	for (; *url && r == 0; url++) {
		if (*url == '"' || *url == '\\' || *url == '$')
			r = buf_addc(out, '\\') < 0 ? ERR_NOMEM : buf_addc(out, *url);
		else if (*url == '\n')
			r = buf_adds(out, "\\n");
		else if (*url == '\r')
			r = buf_adds(out, "\\r");
		else if (*url == '\t')
			r = buf_adds(out, "\\t");
		else
			r = buf_addc(out, *url);
	}
	return r;
}

/* OUT = TEXT with INS (NAME of URL) put in; AT filled. */
static int write_out(const char *text, size_t len, const struct insertion *ins, const char *name, const char *url,
		     struct buf *out, struct nix_edit_at *at)
{
	size_t start, i;
	int r;

	buf_reset(out);
	if ((r = buf_add(out, text, ins->at)) < 0 || (r = buf_adds(out, ins->lead ? ins->lead : "")) < 0 ||
	    (r = buf_add(out, ins->indent ? ins->indent : "", ins->indent_len)) < 0)
		return r;
	start = out->len;
	if ((r = buf_printf(out, "%s%s.url = \"", ins->prefix, name)) < 0 || (r = add_escaped(out, url)) < 0 ||
	    (r = buf_adds(out, "\";")) < 0 || (r = buf_adds(out, ins->tail ? ins->tail : "")) < 0)
		return r;
	at->offset = ins->at;
	at->len = out->len - ins->at;
	if ((r = buf_add(out, text + ins->at, len - ins->at)) < 0)
		return r;
	at->line = 1;
	at->col = 1;
	for (i = 0; i < start; i++) {
		if (out->data[i] == '\n') {
			at->line++;
			at->col = 1;
		} else {
			at->col++;
		}
	}
	return 0;
}

/* The result reads back as the old inputs and the new one, in order, and nothing else. */
static int verify(const struct nix_inputs *old, const struct buf *out, const char *file, const char *name,
		  const char *url)
{
	struct nix_inputs now;
	const struct nix_input *m;
	size_t i, j;
	int r;

	if (nix_inputs_read(out->data, out->len, file, &now) < 0) {
		r = err_set(ERR_UNSUPPORTED, "%s: the edit would not read back (%s): add the input by hand", file, err_msg());
		goto out;
	}
	r = now.n == old->n + 1 && (m = nix_inputs_find(&now, name)) && m->url && strcmp(m->url, url) == 0 ? 0 : -1;
	for (i = j = 0; r == 0 && i < now.n; i++) {
		if (strcmp(now.v[i].name, name) == 0)
			continue;
		if (j >= old->n || strcmp(now.v[i].name, old->v[j].name) != 0 ||
		    !!now.v[i].url != !!old->v[j].url || (now.v[i].url && strcmp(now.v[i].url, old->v[j].url) != 0))
			r = -1;
		j++;
	}
	if (r < 0)
		r = err_set(ERR_UNSUPPORTED, "%s: the edit would change the inputs otherwise: add '%s' by hand", file, name);
out:
	nix_inputs_release(&now);
	return r;
}

int nix_edit_add_input(const char *text, size_t len, const char *file, const char *name, const char *url,
		       struct buf *out, struct nix_edit_at *at)
{
	struct nix_inputs old = { 0 };
	const struct nix_input *dup;
	struct nix_doc d = { 0 };
	struct nix_set top = { 0 };
	struct insertion ins = { 0 };
	struct nix_edit_at where;
	int r;

	buf_reset(out);
	if (!at)
		at = &where;
	memset(at, 0, sizeof(*at));
	if ((r = nix_input_name_check(name)) < 0 || (r = nix_inputs_read(text, len, file, &old)) < 0)
		goto out;
	if ((dup = nix_inputs_find(&old, name))) {
		r = err_set(ERR_EXISTS, "%s:%u:%u: input '%s' is there already", file, dup->line, dup->col, name);
		goto out;
	}
	if ((r = nix_lex(text, len, file, &d)) < 0 || (r = nix_doc_top(&d, &top)) < 0 || (r = place(&d, &top, &ins)) < 0 ||
	    (r = write_out(text, len, &ins, name, url, out, at)) < 0)
		goto out;
	r = verify(&old, out, file, name, url);
out:
	if (r < 0) {
		buf_reset(out);
		memset(at, 0, sizeof(*at));
	}
	nix_set_release(&top);
	nix_doc_release(&d);
	nix_inputs_release(&old);
	return r;
}
