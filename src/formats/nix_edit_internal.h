/* Shared by nix_edit's files: the Nix lexer's tokens and the bindings of an attribute set. */
#ifndef CHIMERA_FORMATS_NIX_EDIT_INTERNAL_H
#define CHIMERA_FORMATS_NIX_EDIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/nix_edit.h"

#define NIX_LEX_DEPTH_MAX 200	/* brackets, strings and interpolations open at once */
#define NIX_PATH_MAX 16		/* components of an attribute path we look at */

enum nix_tok_kind {
	NT_EOF,
	NT_ID,		/* an identifier or a keyword */
	NT_STR,		/* a whole string ("..." or ''...'') without ${...} */
	NT_STR_OPEN,	/* the opening quote of a string with ${...}: its text is no token */
	NT_STR_CLOSE,	/* the closing quote of such a string */
	NT_INTERP,	/* "${", in a string or not, closed by a '}' token */
	NT_URI,		/* a bare URI (github:o/r) */
	NT_NUM,
	NT_PUNCT,	/* one character of punctuation or of an operator */
};

struct nix_tok {
	enum nix_tok_kind kind;
	size_t off, len;	/* its bytes in the text */
	unsigned line, col;	/* 1-based */
	size_t match;		/* brackets and strings: the index of the other end; else 0 */
};

/* A lexed text: the tokens (comments and whitespace left out), ending with NT_EOF. */
struct nix_doc {
	const char *text;
	size_t len;
	const char *file;	/* for messages */
	struct nix_tok *t;
	size_t n;
};

/* One binding of an attribute set: PATH = VALUE; (or inherit ...;). */
struct nix_binding {
	size_t first;		/* its first token */
	size_t npath;		/* components of its attribute path (at most NIX_PATH_MAX kept) */
	size_t path[NIX_PATH_MAX];	/* each component's first token */
	size_t value;		/* the value's first token (after '=') */
	size_t semi;		/* its ';' */
	bool inherit;
};

struct nix_set {
	size_t open, close;	/* the '{' and the '}' */
	struct nix_binding *b;
	size_t n;
};

/* Lex TEXT into D (released by nix_doc_release, also after a failure). Errors as nix_inputs_read. */
int nix_lex(const char *text, size_t len, const char *file, struct nix_doc *d);

void nix_doc_release(struct nix_doc *d);

/* ERR_INVALID "FILE:LINE:COL: " and the message, at token I of D. */
int nix_doc_bad(const struct nix_doc *d, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The bindings of the set whose '{' is token OPEN into S (released by nix_set_release). */
int nix_set_parse(const struct nix_doc *d, size_t open, struct nix_set *s);

void nix_set_release(struct nix_set *s);

/* The top-level set of a flake.nix: TEXT must be `{ ... }` and nothing else. */
int nix_doc_top(const struct nix_doc *d, struct nix_set *s);

/*
 * The name of the attribute path component at token I into BUF (LEN bytes): an identifier,
 * or a string without ${...} or escapes. Returns BUF, or NULL for a computed name.
 */
const char *nix_tok_name(const struct nix_doc *d, size_t i, char *buf, size_t len);

/* Token I's text (its first 40 bytes) quoted by err_quote into BUF (LEN bytes); returns BUF. */
const char *nix_tok_quote(const struct nix_doc *d, size_t i, char *buf, size_t len);

/* True when token I is the identifier WORD. */
bool nix_tok_is(const struct nix_doc *d, size_t i, const char *word);

/* True when token I is the punctuation C. */
bool nix_tok_punct(const struct nix_doc *d, size_t i, char c);

/* True when binding B's value is exactly one attribute set ({ ... }, no `rec`, no operator). */
bool nix_binding_is_set(const struct nix_doc *d, const struct nix_binding *b);

#endif
