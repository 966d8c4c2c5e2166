/* A small Nix lexer: comments, strings ("..." and ''...'' with ${...}), URIs, and brackets matched. */
#include "formats/nix_edit_internal.h"
#include "util/err.h"
#include "util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

enum frame_kind {
	F_OPEN,		/* '{', '(', '[' or "${": closed by CLOSER */
	F_DQ,		/* inside "..." */
	F_IND,		/* inside ''...'' */
};

struct frame {
	enum frame_kind kind;
	char closer;
	size_t tok;	/* the token that opened it */
};

struct lexer {
	struct nix_doc *d;
	size_t pos;
	unsigned line, col;
	size_t cap;
	struct frame stack[NIX_LEX_DEPTH_MAX];
	size_t depth;
};

void nix_doc_release(struct nix_doc *d)
{
	free(d->t);
	d->t = NULL;
	d->n = 0;
}

/* "FILE:LINE:COL: MSG" */
static int vbad(const char *file, unsigned line, unsigned col, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

static int vbad(const char *file, unsigned line, unsigned col, int code, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return err_set(code, "%s:%u:%u: %s", file, line, col, msg);
}

int nix_doc_bad(const struct nix_doc *d, size_t i, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vbad(d->file, d->t[i].line, d->t[i].col, ERR_INVALID, fmt, ap);
	va_end(ap);
	return r;
}

const char *nix_tok_quote(const struct nix_doc *d, size_t i, char *buf, size_t len)
{
	return err_quote(buf, len, d->text + d->t[i].off, d->t[i].len > 40 ? 40 : d->t[i].len);
}

static int lex_bad(const struct lexer *lx, unsigned line, unsigned col, int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int lex_bad(const struct lexer *lx, unsigned line, unsigned col, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vbad(lx->d->file, line, col, code, fmt, ap);
	va_end(ap);
	return r;
}

static int cur(const struct lexer *lx, size_t ahead)
{
	return lx->pos + ahead < lx->d->len ? (unsigned char)lx->d->text[lx->pos + ahead] : -1;
}

/* Move N bytes on, counting lines. */
static void advance(struct lexer *lx, size_t n)
{
	while (n-- && lx->pos < lx->d->len) {
		if (lx->d->text[lx->pos++] == '\n') {
			lx->line++;
			lx->col = 1;
		} else {
			lx->col++;
		}
	}
}

/* Append a token of LEN bytes starting here (not moving). Returns its index, or -1 (ERR_NOMEM set). */
static long emit(struct lexer *lx, enum nix_tok_kind kind, size_t len)
{
	struct nix_doc *d = lx->d;

	if (d->n == lx->cap) {
		size_t ncap = lx->cap ? lx->cap * 2 : 256;
		struct nix_tok *t = realloc(d->t, ncap * sizeof(*t));

		if (!t) {
			err_set(ERR_NOMEM, "out of memory");
			return -1;
		}
		d->t = t;
		lx->cap = ncap;
	}
	d->t[d->n] = (struct nix_tok){ kind, lx->pos, len, lx->line, lx->col, 0 };
	return (long)d->n++;
}

static int push(struct lexer *lx, enum frame_kind kind, char closer, size_t tok)
{
	if (lx->depth == NIX_LEX_DEPTH_MAX)
		return lex_bad(lx, lx->d->t[tok].line, lx->d->t[tok].col, ERR_LIMIT,
			       "brackets and strings nested more than %d deep", NIX_LEX_DEPTH_MAX);
	lx->stack[lx->depth++] = (struct frame){ kind, closer, tok };
	return 0;
}

/* Skip whitespace and comments. */
static int skip_space(struct lexer *lx)
{
	for (;;) {
		int c = cur(lx, 0);

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			advance(lx, 1);
		} else if (c == '#') {
			while (cur(lx, 0) != -1 && cur(lx, 0) != '\n')
				advance(lx, 1);
		} else if (c == '/' && cur(lx, 1) == '*') {
			unsigned line = lx->line, col = lx->col;
			const char *end = NULL;

			if (lx->pos + 2 < lx->d->len)
				end = memmem(lx->d->text + lx->pos + 2, lx->d->len - lx->pos - 2, "*/", 2);
			if (!end)
				return lex_bad(lx, line, col, ERR_INVALID, "the comment opened here is never closed ('*/')");
			advance(lx, (size_t)(end + 2 - (lx->d->text + lx->pos)));
		} else {
			return 0;
		}
	}
}

static bool is_id_start(int c)
{
	return text_is_alpha(c) || c == '_';
}

static bool is_id_char(int c)
{
	return text_is_alnum(c) || c == '_' || c == '\'' || c == '-';
}

static bool is_uri_char(int c)
{
	return c > 0 && (text_is_alnum(c) || strchr("%/?:@&=+$,-_.!~*'", c));
}

/* An identifier, or a URI when a scheme and ':' and a URI character follow (as Nix reads `x:y`). */
static int lex_word(struct lexer *lx)
{
	size_t n = 0;

	if (text_is_alpha(cur(lx, 0))) {
		while (text_is_alnum(cur(lx, n)) || cur(lx, n) == '+' || cur(lx, n) == '-' || cur(lx, n) == '.')
			n++;
		if (cur(lx, n) == ':' && is_uri_char(cur(lx, n + 1))) {
			n++;
			while (is_uri_char(cur(lx, n)))
				n++;
			if (emit(lx, NT_URI, n) < 0)
				return ERR_NOMEM;
			advance(lx, n);
			return 0;
		}
	}
	for (n = 0; is_id_char(cur(lx, n)); n++)
		;
	if (emit(lx, NT_ID, n) < 0)
		return ERR_NOMEM;
	advance(lx, n);
	return 0;
}

/* A number: digits with an optional fraction and exponent, or .DIGITS. */
static int lex_number(struct lexer *lx)
{
	size_t n = 0;

	while (text_is_digit(cur(lx, n)))
		n++;
	if (cur(lx, n) == '.') {
		n++;
		while (text_is_digit(cur(lx, n)))
			n++;
	}
	if ((cur(lx, n) == 'e' || cur(lx, n) == 'E') &&
	    (text_is_digit(cur(lx, n + 1)) ||
	     ((cur(lx, n + 1) == '+' || cur(lx, n + 1) == '-') && text_is_digit(cur(lx, n + 2))))) {
		n += 2;
		while (text_is_digit(cur(lx, n)))
			n++;
	}
	if (emit(lx, NT_NUM, n) < 0)
		return ERR_NOMEM;
	advance(lx, n);
	return 0;
}

/* A closing bracket: it must close the innermost open one. */
static int lex_close(struct lexer *lx, int c)
{
	struct frame *f = lx->depth ? &lx->stack[lx->depth - 1] : NULL;
	long t;

	if (!f || f->kind != F_OPEN)
		return lex_bad(lx, lx->line, lx->col, ERR_INVALID, "'%c' closes nothing", c);
	if (f->closer != c) {
		const struct nix_tok *o = &lx->d->t[f->tok];

		return lex_bad(lx, lx->line, lx->col, ERR_INVALID, "found '%c' where the '%.*s' opened at %u:%u needs '%c'",
			       c, (int)o->len, lx->d->text + o->off, o->line, o->col, f->closer);
	}
	if ((t = emit(lx, NT_PUNCT, 1)) < 0)
		return ERR_NOMEM;
	lx->d->t[t].match = f->tok;
	lx->d->t[f->tok].match = (size_t)t;
	lx->depth--;
	advance(lx, 1);
	return 0;
}

/* One token of code (not inside a string). */
static int lex_code(struct lexer *lx)
{
	int c = cur(lx, 0), c1 = cur(lx, 1);
	long t;

	if (c == '"' || (c == '\'' && c1 == '\'')) {
		size_t n = c == '"' ? 1 : 2;

		if ((t = emit(lx, NT_STR_OPEN, n)) < 0)
			return ERR_NOMEM;
		advance(lx, n);
		return push(lx, c == '"' ? F_DQ : F_IND, 0, (size_t)t);
	}
	if ((c == '$' && c1 == '{') || c == '{' || c == '(' || c == '[') {
		size_t n = c == '$' ? 2 : 1;

		if ((t = emit(lx, c == '$' ? NT_INTERP : NT_PUNCT, n)) < 0)
			return ERR_NOMEM;
		advance(lx, n);
		return push(lx, F_OPEN, c == '(' ? ')' : c == '[' ? ']' : '}', (size_t)t);
	}
	if (c == '}' || c == ')' || c == ']')
		return lex_close(lx, c);
	if (is_id_start(c))
		return lex_word(lx);
	if (text_is_digit(c) || (c == '.' && text_is_digit(c1)))
		return lex_number(lx);
	if (c > 0 && strchr(";=.,:@?!+-*/<>&|~", c)) {
		if (emit(lx, NT_PUNCT, 1) < 0)
			return ERR_NOMEM;
		advance(lx, 1);
		return 0;
	}
	if (c >= 0x21 && c < 0x7f)
		return lex_bad(lx, lx->line, lx->col, ERR_INVALID, "unexpected character '%c'", c);
	return lex_bad(lx, lx->line, lx->col, ERR_INVALID, "unexpected byte 0x%02x outside a string or comment", c);
}

/* The string's end at this byte: close it (a whole NT_STR when it had no ${...}). */
static int string_end(struct lexer *lx, size_t quote_len)
{
	struct frame *f = &lx->stack[lx->depth - 1];
	struct nix_tok *open = &lx->d->t[f->tok];
	long t;

	if (f->tok == lx->d->n - 1) {
		open->kind = NT_STR;
		open->len = lx->pos + quote_len - open->off;
	} else {
		if ((t = emit(lx, NT_STR_CLOSE, quote_len)) < 0)
			return ERR_NOMEM;
		lx->d->t[t].match = f->tok;
		lx->d->t[f->tok].match = (size_t)t;
	}
	lx->depth--;
	advance(lx, quote_len);
	return 0;
}

/* Read string text up to its end or to a ${ (an interpolation, then code until its '}'). */
static int lex_string(struct lexer *lx)
{
	struct frame *f = &lx->stack[lx->depth - 1];
	bool dq = f->kind == F_DQ;
	long t;

	for (;;) {
		int c = cur(lx, 0), c1 = cur(lx, 1);

		if (c == -1) {
			const struct nix_tok *o = &lx->d->t[f->tok];

			return lex_bad(lx, o->line, o->col, ERR_INVALID, "the string opened here is never closed (%s)",
				       dq ? "'\"'" : "\"''\"");
		}
		if (c == '$' && c1 == '{') {
			if ((t = emit(lx, NT_INTERP, 2)) < 0)
				return ERR_NOMEM;
			advance(lx, 2);
			return push(lx, F_OPEN, '}', (size_t)t);
		}
		if (c == '$' && c1 == '$') {
			advance(lx, 2);
		} else if (dq && c == '\\') {
			advance(lx, 2);
		} else if (dq && c == '"') {
			return string_end(lx, 1);
		} else if (!dq && c == '\'' && c1 == '\'') {
			int c2 = cur(lx, 2);

			if (c2 == '\'' || c2 == '$')
				advance(lx, 3);
			else if (c2 == '\\')
				advance(lx, 4);
			else
				return string_end(lx, 2);
		} else {
			advance(lx, 1);
		}
	}
}

/* At the end: an open bracket is named where it was opened. */
static int lex_unclosed(struct lexer *lx)
{
	const struct nix_tok *o = &lx->d->t[lx->stack[lx->depth - 1].tok];

	return lex_bad(lx, o->line, o->col, ERR_INVALID, "the '%.*s' opened here is never closed (expected '%c')",
		       (int)o->len, lx->d->text + o->off, lx->stack[lx->depth - 1].closer);
}

int nix_lex(const char *text, size_t len, const char *file, struct nix_doc *d)
{
	struct lexer *lx;
	int r = 0;

	*d = (struct nix_doc){ text, len, file, NULL, 0 };
	if (len > NIX_EDIT_TEXT_MAX)
		return err_set(ERR_LIMIT, "%s: %zu bytes, more than a flake.nix may have (%u)", file, len, NIX_EDIT_TEXT_MAX);
	if (memchr(text, 0, len))
		return err_set(ERR_INVALID, "%s: holds a NUL byte: not a Nix file", file);
	if (!(lx = calloc(1, sizeof(*lx))))
		return err_set(ERR_NOMEM, "out of memory");
	*lx = (struct lexer){ .d = d, .line = 1, .col = 1 };
	for (;;) {
		if (lx->depth && lx->stack[lx->depth - 1].kind != F_OPEN) {
			r = lex_string(lx);
		} else if ((r = skip_space(lx)) == 0) {
			if (cur(lx, 0) == -1)
				break;
			r = lex_code(lx);
		}
		if (r < 0)
			break;
	}
	if (r == 0 && lx->depth)
		r = lex_unclosed(lx);
	if (r == 0 && emit(lx, NT_EOF, 0) < 0)
		r = ERR_NOMEM;
	free(lx);
	if (r < 0)
		nix_doc_release(d);
	return r;
}
