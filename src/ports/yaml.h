/* The YAML port: a parsed document as a tree of nodes with positions, filled by a parser adapter (adapters/yaml). */
#ifndef CHIMERA_PORTS_YAML_H
#define CHIMERA_PORTS_YAML_H

#include <stdbool.h>
#include <stddef.h>

enum yaml_kind {
	YAML_SCALAR,		/* an alias is a scalar of style YAML_STYLE_ALIAS */
	YAML_MAPPING,
	YAML_SEQUENCE,
};

enum yaml_style {
	YAML_STYLE_ANY,		/* collections */
	YAML_STYLE_PLAIN,
	YAML_STYLE_SINGLE_QUOTED,
	YAML_STYLE_DOUBLE_QUOTED,
	YAML_STYLE_LITERAL,
	YAML_STYLE_FOLDED,
	YAML_STYLE_ALIAS,
};

struct yaml_pair;

struct yaml_node {
	enum yaml_kind kind;
	enum yaml_style style;
	const char *text;		/* scalars: the value, LEN bytes (an alias: its name) */
	size_t len;
	bool has_mark;			/* scalars: where its token starts is known (not for a node left out) */
	int line, col;			/* that place, 0-based, columns in characters: past an anchor or tag, past
					 * the quote of a quoted scalar or the '*' of an alias, and at the start of
					 * the line after the header of a block scalar */
	size_t pos;			/* and its byte offset in the input */
	bool resolves;			/* aliases: an anchor of that name precedes it */
	struct yaml_pair *pairs;	/* mappings, in document order (duplicate keys kept) */
	size_t npairs;
	struct yaml_node **items;	/* sequences */
	size_t nitems;
};

/*
 * A node left out of the text (`key:` with nothing after, an empty item, a key without a
 * value) is a plain scalar with text "" and no mark. Readers still take NULL for any node.
 */
struct yaml_pair {
	struct yaml_node *key;
	struct yaml_node *value;
};

/* What a parse gives: the first document, whether another follows, or the first syntax error. */
struct yaml_doc {
	struct yaml_node *root;		/* the first document's root; NULL when the text holds none, or an empty one */
	bool has_next;			/* a second document follows the first */
	struct yaml_node *next_root;	/* its root (may be NULL) */
	bool failed;			/* a syntax error: nothing above is set but these */
	int err_line, err_col;		/* the first error's place, 1-based; 0 when the parser named no error */
	char err_msg[256];		/* its message; "" when it gave none */
	void *impl;			/* the adapter's own state */
};

struct yaml_parser {
	const char *name;
	/*
	 * Parse LEN bytes of TEXT (UTF-8; the caller checks that) into DOC (cleared here). Keys
	 * repeated in a mapping are kept, so they can be reported. Returns 0 (a syntax error
	 * too: DOC->failed says) or ERR_NOMEM. DOC needs release either way; its nodes and
	 * their text point into memory DOC owns.
	 */
	int (*parse)(const char *text, size_t len, struct yaml_doc *doc);
	/* Free what DOC holds; DOC may be cleared or already released. */
	void (*release)(struct yaml_doc *doc);
};

/* Readers. NULL nodes are allowed: each gives what an absent node has. */
static inline bool yaml_is_scalar(const struct yaml_node *n)
{
	return n && n->kind == YAML_SCALAR;
}

static inline bool yaml_is_alias(const struct yaml_node *n)
{
	return n && n->kind == YAML_SCALAR && n->style == YAML_STYLE_ALIAS;
}

static inline bool yaml_is_mapping(const struct yaml_node *n)
{
	return n && n->kind == YAML_MAPPING;
}

static inline bool yaml_is_sequence(const struct yaml_node *n)
{
	return n && n->kind == YAML_SEQUENCE;
}

static inline enum yaml_style yaml_style(const struct yaml_node *n)
{
	return n ? n->style : YAML_STYLE_ANY;
}

/* A scalar's text and length; NULL (and 0) when it has none. */
static inline const char *yaml_scalar(const struct yaml_node *n, size_t *len)
{
	*len = n && n->text ? n->len : 0;
	return n ? n->text : NULL;
}

static inline struct yaml_node *yaml_pair_key(const struct yaml_pair *p)
{
	return p ? p->key : NULL;
}

static inline struct yaml_node *yaml_pair_value(const struct yaml_pair *p)
{
	return p ? p->value : NULL;
}

/* The I-th pair of mapping N, or NULL. */
static inline struct yaml_pair *yaml_mapping_at(const struct yaml_node *n, size_t i)
{
	return yaml_is_mapping(n) && i < n->npairs ? &n->pairs[i] : NULL;
}

static inline size_t yaml_mapping_count(const struct yaml_node *n)
{
	return yaml_is_mapping(n) ? n->npairs : 0;
}

/* The I-th item of sequence N, or NULL. */
static inline struct yaml_node *yaml_sequence_at(const struct yaml_node *n, size_t i)
{
	return yaml_is_sequence(n) && i < n->nitems ? n->items[i] : NULL;
}

static inline bool yaml_sequence_is_empty(const struct yaml_node *n)
{
	return !yaml_is_sequence(n) || n->nitems == 0;
}

/* The pair after *IT in mapping N (the first when *IT is NULL), or NULL at the end; *IT follows. */
static inline struct yaml_pair *yaml_mapping_iterate(const struct yaml_node *n, void **it)
{
	struct yaml_pair *p = *it ? (struct yaml_pair *)*it + 1 : yaml_is_mapping(n) ? n->pairs : NULL;

	if (!p || !yaml_is_mapping(n) || p >= n->pairs + n->npairs)
		return NULL;
	*it = p;
	return p;
}

/* The item after *IT in sequence N (the first when *IT is NULL), or NULL at the end; *IT follows. */
static inline struct yaml_node *yaml_sequence_iterate(const struct yaml_node *n, void **it)
{
	struct yaml_node **p = *it ? (struct yaml_node **)*it + 1 : yaml_is_sequence(n) ? n->items : NULL;

	if (!p || !yaml_is_sequence(n) || p >= n->items + n->nitems)
		return NULL;
	*it = p;
	return *p;
}

#endif
