/* The bindings of a Nix attribute set, and a flake's inputs read from them. */
#include "formats/nix_edit_internal.h"
#include "util/err.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define LET_DEPTH_MAX 64

bool nix_tok_is(const struct nix_doc *d, size_t i, const char *word)
{
	const struct nix_tok *t = &d->t[i];

	return t->kind == NT_ID && t->len == strlen(word) && memcmp(d->text + t->off, word, t->len) == 0;
}

bool nix_tok_punct(const struct nix_doc *d, size_t i, char c)
{
	return d->t[i].kind == NT_PUNCT && d->text[d->t[i].off] == c;
}

/* True when token I opens something whose other end is its match. */
static bool opens(const struct nix_doc *d, size_t i)
{
	const struct nix_tok *t = &d->t[i];

	return t->kind == NT_STR_OPEN || t->kind == NT_INTERP ||
	       (t->kind == NT_PUNCT && strchr("{([", d->text[t->off]) && t->match > i);
}

const char *nix_tok_name(const struct nix_doc *d, size_t i, char *buf, size_t len)
{
	const struct nix_tok *t = &d->t[i];
	const char *s = d->text + t->off;
	size_t n = t->len;

	if (t->kind == NT_STR && n >= 2 && s[0] == '"') {
		s++;
		n -= 2;
		if (memchr(s, '\\', n) || memchr(s, '$', n))
			return NULL;
	} else if (t->kind != NT_ID) {
		return NULL;
	}
	if (n >= len)
		return NULL;
	memcpy(buf, s, n);
	buf[n] = 0;
	return buf;
}

/* Token I is '=' on its own (not part of ==, !=, <= or >=): a binding, which no value holds. */
static bool lone_equals(const struct nix_doc *d, size_t i)
{
	const struct nix_tok *t = &d->t[i];

	if (!nix_tok_punct(d, i, '='))
		return false;
	if (i > 0 && d->t[i - 1].kind == NT_PUNCT && d->t[i - 1].off + 1 == t->off && strchr("=!<>", d->text[t->off - 1]))
		return false;
	return !(nix_tok_punct(d, i + 1, '=') && d->t[i + 1].off == t->off + 1);
}

/* The value from START runs into the binding whose '=' is token EQ: name where that binding starts. */
static int missing_semi(const struct nix_doc *d, size_t start, size_t eq)
{
	char q[64];
	size_t b = eq;

	while (b > start + 1 && (d->t[b - 1].kind == NT_ID || d->t[b - 1].kind == NT_STR || nix_tok_punct(d, b - 1, '.')))
		b--;
	if (b == eq)
		b = eq - 1 > start ? eq - 1 : eq;
	return nix_doc_bad(d, start, "the value given here has no ';' before '%s' at %u:%u", nix_tok_quote(d, b, q, sizeof(q)),
			   d->t[b].line, d->t[b].col);
}

/*
 * From token I, the ';' that ends a binding's value: brackets are jumped over, `let` opens
 * bindings of its own until `in`, and `with E;` and `assert E;` take a ';' each.
 */
static int value_end(const struct nix_doc *d, size_t i, size_t close, size_t start, size_t *semi)
{
	unsigned pending[LET_DEPTH_MAX] = { 0 };
	size_t lets = 0;

	for (; i < close; i++) {
		if (opens(d, i)) {
			i = d->t[i].match;
		} else if (nix_tok_is(d, i, "let") && !nix_tok_punct(d, i + 1, '{')) {
			if (++lets == LET_DEPTH_MAX)
				return nix_doc_bad(d, i, "`let` nested more than %d deep", LET_DEPTH_MAX - 1);
			pending[lets] = 0;
		} else if (nix_tok_is(d, i, "in") && lets) {
			lets--;
		} else if (nix_tok_is(d, i, "with") || nix_tok_is(d, i, "assert")) {
			pending[lets]++;
		} else if (!lets && lone_equals(d, i)) {
			return missing_semi(d, start, i);
		} else if (nix_tok_punct(d, i, ';')) {
			if (pending[lets])
				pending[lets]--;
			else if (!lets) {
				*semi = i;
				return 0;
			}
		}
	}
	return nix_doc_bad(d, start, "the value given here has no ';' before the end of its set (at %u:%u)",
			   d->t[close].line, d->t[close].col);
}

/* An attribute path at I: names (identifiers, strings, ${...}) separated by '.'; *I after it. */
static int parse_path(const struct nix_doc *d, size_t *i, size_t close, struct nix_binding *b)
{
	char q[64];

	for (;;) {
		const struct nix_tok *t = &d->t[*i];

		if (*i >= close || !(t->kind == NT_ID || t->kind == NT_STR || t->kind == NT_STR_OPEN || t->kind == NT_INTERP))
			return nix_doc_bad(d, *i, "expected an attribute name, found '%s'", nix_tok_quote(d, *i, q, sizeof(q)));
		if (b->npath < NIX_PATH_MAX)
			b->path[b->npath] = *i;
		b->npath++;
		*i = (t->kind == NT_STR_OPEN || t->kind == NT_INTERP) ? t->match + 1 : *i + 1;
		if (!nix_tok_punct(d, *i, '.'))
			return 0;
		(*i)++;
	}
}

/* One binding at *I (before CLOSE) into B; *I after its ';'. */
static int parse_binding(const struct nix_doc *d, size_t *i, size_t close, struct nix_binding *b)
{
	int r;

	memset(b, 0, sizeof(*b));
	b->first = *i;
	if (nix_tok_is(d, *i, "inherit")) {
		b->inherit = true;
		if ((r = value_end(d, *i + 1, close, *i, &b->semi)) < 0)
			return r;
		*i = b->semi + 1;
		return 0;
	}
	if ((r = parse_path(d, i, close, b)) < 0)
		return r;
	if (*i >= close || !nix_tok_punct(d, *i, '='))
		return nix_doc_bad(d, *i, "expected '=' after the attribute name at %u:%u", d->t[b->first].line,
				   d->t[b->first].col);
	b->value = *i + 1;
	if (b->value >= close || nix_tok_punct(d, b->value, ';'))
		return nix_doc_bad(d, *i, "expected a value after '='");
	if ((r = value_end(d, b->value, close, b->value, &b->semi)) < 0)
		return r;
	*i = b->semi + 1;
	return 0;
}

void nix_set_release(struct nix_set *s)
{
	free(s->b);
	s->b = NULL;
	s->n = 0;
}

int nix_set_parse(const struct nix_doc *d, size_t open, struct nix_set *s)
{
	size_t i, cap = 0;
	int r;

	*s = (struct nix_set){ open, d->t[open].match, NULL, 0 };
	for (i = open + 1; i < s->close;) {
		if (s->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct nix_binding *b = realloc(s->b, ncap * sizeof(*b));

			if (!b) {
				nix_set_release(s);
				return err_set(ERR_NOMEM, "out of memory");
			}
			s->b = b;
			cap = ncap;
		}
		if ((r = parse_binding(d, &i, s->close, &s->b[s->n])) < 0) {
			nix_set_release(s);
			return r;
		}
		s->n++;
	}
	return 0;
}

int nix_doc_top(const struct nix_doc *d, struct nix_set *s)
{
	char q[64];
	size_t close;

	memset(s, 0, sizeof(*s));
	if (d->t[0].kind == NT_EOF)
		return nix_doc_bad(d, 0, "empty: expected the flake's attribute set '{ ... }'");
	if (!nix_tok_punct(d, 0, '{'))
		return nix_doc_bad(d, 0, "expected the flake's attribute set '{ ... }', found '%s'",
				   nix_tok_quote(d, 0, q, sizeof(q)));
	close = d->t[0].match;
	if (d->t[close + 1].kind != NT_EOF)
		return nix_doc_bad(d, close + 1, "unexpected '%s' after the flake's attribute set (closed at %u:%u)",
				   nix_tok_quote(d, close + 1, q, sizeof(q)), d->t[close].line, d->t[close].col);
	return nix_set_parse(d, 0, s);
}

bool nix_binding_is_set(const struct nix_doc *d, const struct nix_binding *b)
{
	return !b->inherit && nix_tok_punct(d, b->value, '{') && d->t[b->value].match + 1 == b->semi;
}

/* Path component K of B's name into BUF, or NULL (computed, or past what is kept). */
static const char *comp(const struct nix_doc *d, const struct nix_binding *b, size_t k, char *buf, size_t len)
{
	return k < b->npath && k < NIX_PATH_MAX ? nix_tok_name(d, b->path[k], buf, len) : NULL;
}

/* True when B's value is one "..." string without ${...}, or a bare URI. */
static bool plain_string(const struct nix_doc *d, const struct nix_binding *b)
{
	const struct nix_tok *t = &d->t[b->value];

	return b->value + 1 == b->semi && (t->kind == NT_URI || (t->kind == NT_STR && d->text[t->off] == '"'));
}

/* B's plain_string value, its escapes read, or NULL when out of memory. */
static char *value_string(const struct nix_doc *d, const struct nix_binding *b)
{
	const struct nix_tok *t = &d->t[b->value];
	const char *s = d->text + t->off;
	size_t n = t->len, i, o = 0;
	char *out;

	if (t->kind == NT_STR) {
		s++;
		n -= 2;
	}
	if (!(out = malloc(n + 1)))
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			out[o++] = s[i] == 'n' ? '\n' : s[i] == 't' ? '\t' : s[i] == 'r' ? '\r' : s[i];
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = 0;
	return out;
}

/* The entry for input NAME (added when new, named at token AT). */
static struct nix_input *input_entry(struct nix_inputs *in, const struct nix_doc *d, const char *name, size_t at)
{
	struct nix_input *m;
	size_t i;

	for (i = 0; i < in->n; i++)
		if (strcmp(in->v[i].name, name) == 0)
			return &in->v[i];
	if (!(m = realloc(in->v, (in->n + 1) * sizeof(*m))))
		return NULL;
	in->v = m;
	m = &in->v[in->n];
	memset(m, 0, sizeof(*m));
	if (!(m->name = strdup(name)))
		return NULL;
	m->line = d->t[at].line;
	m->col = d->t[at].col;
	in->n++;
	return m;
}

/* Set *FIELD (when not yet set) to B's string value. */
static int take_string(const struct nix_doc *d, const struct nix_binding *b, char **field)
{
	if (*field || !plain_string(d, b))
		return 0;
	if (!(*field = value_string(d, b)))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* What B (the path from component K on, under input M) says of M: url, follows, flake. */
static int input_attr(const struct nix_doc *d, const struct nix_binding *b, size_t k, struct nix_input *m);

/* Input M given as a set: each of its bindings. */
static int input_set(const struct nix_doc *d, const struct nix_binding *b, struct nix_input *m)
{
	struct nix_set s;
	size_t i;
	int r = 0;

	if ((r = nix_set_parse(d, b->value, &s)) < 0)
		return r;
	for (i = 0; i < s.n && r == 0; i++)
		if (!s.b[i].inherit)
			r = input_attr(d, &s.b[i], 0, m);
	nix_set_release(&s);
	return r;
}

static int input_attr(const struct nix_doc *d, const struct nix_binding *b, size_t k, struct nix_input *m)
{
	char buf[64];
	const char *a;

	if (k == b->npath)
		return nix_binding_is_set(d, b) ? input_set(d, b, m) : 0;
	if (!(a = comp(d, b, k, buf, sizeof(buf))) || k + 1 != b->npath)
		return 0;
	if (strcmp(a, "url") == 0)
		return take_string(d, b, &m->url);
	if (strcmp(a, "follows") == 0)
		return take_string(d, b, &m->follows);
	if (strcmp(a, "flake") == 0 && b->value + 1 == b->semi && nix_tok_is(d, b->value, "false"))
		m->no_flake = true;
	return 0;
}

/* Binding B names input (its component K) and says something of it from K + 1 on. */
static int input_from(struct nix_inputs *in, const struct nix_doc *d, const struct nix_binding *b, size_t k)
{
	char name[NIX_INPUT_NAME_MAX + 1];
	struct nix_input *m;

	if (b->inherit || !comp(d, b, k, name, sizeof(name)) || !name[0])
		return 0;
	if (!(m = input_entry(in, d, name, b->path[k])))
		return err_set(ERR_NOMEM, "out of memory");
	return input_attr(d, b, k + 1, m);
}

/* The inputs set (`inputs = { ... };`): each binding names an input. */
static int inputs_set(struct nix_inputs *in, const struct nix_doc *d, const struct nix_binding *b)
{
	struct nix_set s;
	size_t i;
	int r = 0;

	if (!nix_binding_is_set(d, b))
		return 0;
	if ((r = nix_set_parse(d, b->value, &s)) < 0)
		return r;
	for (i = 0; i < s.n && r == 0; i++)
		r = input_from(in, d, &s.b[i], 0);
	nix_set_release(&s);
	return r;
}

void nix_inputs_release(struct nix_inputs *in)
{
	size_t i;

	for (i = 0; i < in->n; i++) {
		free(in->v[i].name);
		free(in->v[i].url);
		free(in->v[i].follows);
	}
	free(in->v);
	free(in->description);
	memset(in, 0, sizeof(*in));
}

const struct nix_input *nix_inputs_find(const struct nix_inputs *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		if (strcmp(in->v[i].name, name) == 0)
			return &in->v[i];
	return NULL;
}

int nix_inputs_read(const char *text, size_t len, const char *file, struct nix_inputs *out)
{
	struct nix_doc d;
	struct nix_set top = { 0 };
	char buf[64];
	const char *a;
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = nix_lex(text, len, file, &d)) < 0 || (r = nix_doc_top(&d, &top)) < 0)
		goto out;
	for (i = 0; i < top.n && r == 0; i++) {
		const struct nix_binding *b = &top.b[i];

		if (b->inherit || !(a = comp(&d, b, 0, buf, sizeof(buf))))
			continue;
		if (strcmp(a, "inputs") == 0)
			r = b->npath == 1 ? inputs_set(out, &d, b) : input_from(out, &d, b, 1);
		else if (strcmp(a, "description") == 0 && b->npath == 1)
			r = take_string(&d, b, &out->description);
	}
out:
	nix_set_release(&top);
	nix_doc_release(&d);
	if (r < 0)
		nix_inputs_release(out);
	return r;
}

int nix_input_name_check(const char *name)
{
	static const char *const keywords[] = { "if", "then", "else", "assert", "with", "let", "in", "rec",
						"inherit", "or", "self", NULL };
	const char *const *k;
	size_t i, n = strlen(name);

	if (n == 0)
		return err_set(ERR_INVALID, "bad input name '': expected a Nix identifier (a letter or '_', then letters, "
					    "digits, '_', '-' or ''')");
	for (k = keywords; *k; k++)
		if (strcmp(name, *k) == 0)
			return err_bad_input("bad input name", name, n, strcmp(name, "self") == 0 ?
					     "'self' is the flake itself" : "a Nix keyword",
					     "expected another identifier");
	if (n > NIX_INPUT_NAME_MAX)
		return err_bad_input("bad input name", name, n, "too long",
				     "expected at most 100 bytes");
	if (!text_is_alpha((unsigned char)name[0]) && name[0] != '_')
		return err_bad_input("bad input name", name, n, NULL,
				     "expected a Nix identifier (a letter or '_', then letters, digits, '_', '-' or ''')");
	for (i = 1; i < n; i++)
		if (!text_is_alnum((unsigned char)name[i]) && !strchr("_-'", name[i]))
			return err_bad_input("bad input name", name, n, NULL,
					     "expected a Nix identifier (a letter or '_', then letters, digits, '_', '-' or ''')");
	return 0;
}
