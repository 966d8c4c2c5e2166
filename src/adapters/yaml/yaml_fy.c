/* The YAML port on libfyaml: parse with collected errors and copy the document into a struct yaml_node tree. */
#include "adapters/yaml/yaml_fy.h"
#include "util/err.h"

#include <libfyaml.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define ARENA_BLOCK (64u << 10)
#define DEPTH_MAX 1024		/* deeper collections are kept empty: no check looks that far */

/* Bump allocation for the tree: freed all at once with the document. */
struct block {
	struct block *next;
	size_t used, cap;
	max_align_t data[];
};

struct fy_state {
	struct fy_diag *diag;
	struct fy_parser *fyp;
	struct fy_document *fyd, *next;
	struct block *blocks;
	int err;
};

static void *arena_alloc(struct fy_state *st, size_t n)
{
	struct block *b = st->blocks;
	size_t cap;
	void *p;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (!b || b->cap - b->used < n) {
		cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		if (!(b = malloc(sizeof(*b) + cap))) {
			st->err = err_set(ERR_NOMEM, "out of memory");
			return NULL;
		}
		b->next = st->blocks;
		b->used = 0;
		b->cap = cap;
		st->blocks = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

static enum yaml_style style_of(struct fy_node *n)
{
	switch (fy_node_get_style(n)) {
	case FYNS_PLAIN:
		return YAML_STYLE_PLAIN;
	case FYNS_SINGLE_QUOTED:
		return YAML_STYLE_SINGLE_QUOTED;
	case FYNS_DOUBLE_QUOTED:
		return YAML_STYLE_DOUBLE_QUOTED;
	case FYNS_LITERAL:
		return YAML_STYLE_LITERAL;
	case FYNS_FOLDED:
		return YAML_STYLE_FOLDED;
	case FYNS_ALIAS:
		return YAML_STYLE_ALIAS;
	default:
		return YAML_STYLE_ANY;
	}
}

static struct yaml_node *convert(struct fy_state *st, struct fy_node *n, int depth);

/* A scalar (or alias): its text and the start of its token. */
static void convert_scalar(struct fy_node *n, struct yaml_node *y)
{
	struct fy_token *t = fy_node_get_scalar_token(n);
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;

	y->kind = YAML_SCALAR;
	y->style = style_of(n);
	y->text = fy_node_get_scalar(n, &y->len);
	if (!y->text)
		y->len = 0;
	if (m) {
		y->has_mark = true;
		y->line = m->line;
		y->col = m->column;
		y->pos = m->input_pos;
	}
	if (y->style == YAML_STYLE_ALIAS)
		y->resolves = fy_node_resolve_alias(n) != NULL;
}

static void convert_mapping(struct fy_state *st, struct fy_node *n, struct yaml_node *y, int depth)
{
	int count = fy_node_mapping_item_count(n);
	struct fy_node_pair *p;
	void *it = NULL;
	size_t i = 0;

	y->kind = YAML_MAPPING;
	if (count <= 0 || depth >= DEPTH_MAX || !(y->pairs = arena_alloc(st, (size_t)count * sizeof(*y->pairs))))
		return;
	while (i < (size_t)count && (p = fy_node_mapping_iterate(n, &it))) {
		y->pairs[i].key = convert(st, fy_node_pair_key(p), depth + 1);
		y->pairs[i].value = convert(st, fy_node_pair_value(p), depth + 1);
		i++;
	}
	y->npairs = i;
}

static void convert_sequence(struct fy_state *st, struct fy_node *n, struct yaml_node *y, int depth)
{
	int count = fy_node_sequence_item_count(n);
	struct fy_node *e;
	void *it = NULL;
	size_t i = 0;

	y->kind = YAML_SEQUENCE;
	if (count <= 0 || depth >= DEPTH_MAX || !(y->items = arena_alloc(st, (size_t)count * sizeof(*y->items))))
		return;
	while (i < (size_t)count && (e = fy_node_sequence_iterate(n, &it)))
		y->items[i++] = convert(st, e, depth + 1);
	y->nitems = i;
}

/* N as a tree node in the arena; NULL for no node, or out of memory (st->err says). */
static struct yaml_node *convert(struct fy_state *st, struct fy_node *n, int depth)
{
	struct yaml_node *y;

	if (!n || st->err || !(y = arena_alloc(st, sizeof(*y))))
		return NULL;
	memset(y, 0, sizeof(*y));
	if (fy_node_is_mapping(n))
		convert_mapping(st, n, y, depth);
	else if (fy_node_is_sequence(n))
		convert_sequence(st, n, y, depth);
	else
		convert_scalar(n, y);
	return y;
}

static void discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

/* A diagnostics sink that collects errors instead of printing them: chimera prints only its own report. */
static struct fy_diag *diag_new(void)
{
	struct fy_diag_cfg dc;
	struct fy_diag *d;

	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = discard;
	dc.colorize = false;
	if (!(d = fy_diag_create(&dc)))
		return NULL;
	fy_diag_set_collect_errors(d, true);
	return d;
}

/* True when libfyaml reported an error; FIRST gets the first (NULL when it gave none). Warnings do not count. */
static bool diag_error(struct fy_diag *diag, struct fy_diag_error **first)
{
	struct fy_diag_error *e;
	void *it = NULL;

	*first = NULL;
	while ((e = fy_diag_errors_iterate(diag, &it)))
		if (e->type >= FYET_ERROR && !*first)
			*first = e;
	return *first || fy_diag_got_error(diag);
}

static void take_error(struct yaml_doc *doc, const struct fy_diag_error *e)
{
	doc->failed = true;
	if (!e)
		return;
	doc->err_line = e->line > 0 ? e->line : 1;
	doc->err_col = e->column > 0 ? e->column : 1;
	snprintf(doc->err_msg, sizeof(doc->err_msg), "%s", e->msg ? e->msg : "");
}

static void fy_release(struct yaml_doc *doc)
{
	struct fy_state *st = doc ? doc->impl : NULL;
	struct block *b;

	if (!st)
		return;
	if (st->next)
		fy_parse_document_destroy(st->fyp, st->next);
	if (st->fyd)
		fy_parse_document_destroy(st->fyp, st->fyd);
	if (st->fyp)
		fy_parser_destroy(st->fyp);
	if (st->diag)
		fy_diag_destroy(st->diag);
	while ((b = st->blocks)) {
		st->blocks = b->next;
		free(b);
	}
	free(st);
	doc->impl = NULL;
}

static int fy_parse(const char *text, size_t len, struct yaml_doc *doc)
{
	struct fy_parse_cfg cfg = { NULL, FYPCF_QUIET | FYPCF_ALLOW_DUPLICATE_KEYS | FYPCF_JSON_NONE, NULL, NULL };
	struct fy_diag_error *first;
	struct fy_state *st;
	struct fy_node *root;

	memset(doc, 0, sizeof(*doc));
	if (!(st = calloc(1, sizeof(*st))))
		return err_set(ERR_NOMEM, "out of memory");
	doc->impl = st;
	cfg.diag = st->diag = diag_new();
	if (!st->diag || !(st->fyp = fy_parser_create(&cfg)) || fy_parser_set_string(st->fyp, text, len) != 0)
		return err_set(ERR_NOMEM, "out of memory");
	st->fyd = fy_parse_load_document(st->fyp);
	if (st->fyd && !diag_error(st->diag, &first))
		st->next = fy_parse_load_document(st->fyp);
	if (diag_error(st->diag, &first)) {
		take_error(doc, first);
		return 0;
	}
	if (!st->fyd || !(root = fy_document_root(st->fyd)))
		return 0;
	doc->root = convert(st, root, 0);
	if (st->next) {
		doc->has_next = true;
		doc->next_root = convert(st, fy_document_root(st->next), 0);
	}
	return st->err;
}

const struct yaml_parser yaml_fy_parser = {
	.name = "libfyaml",
	.parse = fy_parse,
	.release = fy_release,
};
