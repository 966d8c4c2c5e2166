/*
 * The YAML port on libyaml: the event parser's events built into a struct yaml_node tree, with
 * the marks the port promises (where a scalar's own token starts, not its anchor or tag).
 */
#include "adapters/yaml/yaml_libyaml.h"
#include "util/err.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "util/banned.h"

#define ARENA_BLOCK (64u << 10)
/*
 * Collections nested deeper than this fail the parse. No check looks that far, and libyaml
 * 0.2.5 rescans its stack of possible simple keys, one per open flow collection, for every
 * token: 2 million '[' (a 4 MiB file) would take it hours.
 */
#define DEPTH_MAX 1024
#define ANCHORS_MIN 64		/* first size of the anchor table (a power of two) */

/* Bump allocation for the tree: freed all at once with the document. */
struct block {
	struct block *next;
	size_t used, cap;
	max_align_t data[];
};

/* A collection being filled: its node and what it holds so far (malloc'd, copied to the arena at its end). */
struct frame {
	struct yaml_node *node;
	void *v;			/* struct yaml_pair[] or struct yaml_node *[] */
	size_t n, cap;
	bool have_key;			/* mappings: a key waits for its value */
	struct yaml_node *key;
};

/* An anchor name seen in the current document (hashed, open addressing). */
struct anchor {
	const char *name;		/* in the arena; NULL for a free slot */
	size_t len;
	uint64_t hash;
};

struct ly_state {
	yaml_parser_t parser;
	bool parser_ready;
	const char *text;
	size_t len;
	size_t bom;			/* bytes of a UTF-8 byte order mark, which libyaml's marks leave out */
	size_t cur_chars, cur_bytes;	/* the last character index turned into a byte offset */
	yaml_parser_t scan;		/* a second scanner over the text, for marks (scalar_token_mark) */
	bool scan_ready, scan_done;
	size_t scalars;			/* scalar events that stand for a token, so far */
	size_t scanned;			/* scalar tokens the scanner has read */
	struct block *blocks;
	struct frame frames[DEPTH_MAX];
	size_t nframes;
	struct anchor *anchors;
	size_t nanchors, capanchors;
	int docs;			/* documents started */
	bool too_deep;			/* a collection opened past DEPTH_MAX, at deep_mark */
	yaml_mark_t deep_mark;
	int err;
};

static void *arena_alloc(struct ly_state *st, size_t n)
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

/* A NUL-terminated copy of N bytes of S in the arena. */
static char *arena_copy(struct ly_state *st, const void *s, size_t n)
{
	char *p = n < SIZE_MAX ? arena_alloc(st, n + 1) : NULL;

	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---- anchors ---- */

static uint64_t hash_name(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

static struct anchor *anchor_slot(struct anchor *tab, size_t cap, const char *s, size_t n, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	while (tab[i].name && !(tab[i].hash == h && tab[i].len == n && memcmp(tab[i].name, s, n) == 0))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static bool anchor_known(const struct ly_state *st, const char *s, size_t n)
{
	return st->capanchors && anchor_slot(st->anchors, st->capanchors, s, n, hash_name(s, n))->name;
}

/* Remember anchor S for the aliases after it in this document. */
static void anchor_add(struct ly_state *st, const char *s)
{
	size_t n = strlen(s), i, cap;
	uint64_t h = hash_name(s, n);
	struct anchor *tab, *slot;

	if (st->nanchors + 1 > st->capanchors / 2) {
		cap = st->capanchors ? st->capanchors * 2 : ANCHORS_MIN;
		if (!(tab = calloc(cap, sizeof(*tab)))) {
			st->err = err_set(ERR_NOMEM, "out of memory");
			return;
		}
		for (i = 0; i < st->capanchors; i++)
			if (st->anchors[i].name)
				*anchor_slot(tab, cap, st->anchors[i].name, st->anchors[i].len, st->anchors[i].hash) =
					st->anchors[i];
		free(st->anchors);
		st->anchors = tab;
		st->capanchors = cap;
	}
	slot = anchor_slot(st->anchors, st->capanchors, s, n, h);
	if (slot->name || !(slot->name = arena_copy(st, s, n)))
		return;
	slot->len = n;
	slot->hash = h;
	st->nanchors++;
}

/* A new document: its aliases name only its own anchors. */
static void anchors_clear(struct ly_state *st)
{
	if (st->anchors)
		memset(st->anchors, 0, st->capanchors * sizeof(*st->anchors));
	st->nanchors = 0;
}

/* ---- marks ---- */

/* The byte offset of libyaml's character INDEX (its marks count characters, after any BOM). */
static size_t byte_at(struct ly_state *st, size_t index)
{
	const unsigned char *s = (const unsigned char *)st->text;

	if (index < st->cur_chars) {
		st->cur_chars = 0;
		st->cur_bytes = st->bom;
	}
	while (st->cur_chars < index && st->cur_bytes < st->len) {
		st->cur_bytes++;
		while (st->cur_bytes < st->len && (s[st->cur_bytes] & 0xc0) == 0x80)
			st->cur_bytes++;
		st->cur_chars++;
	}
	return st->cur_bytes;
}

/* Step over byte I of the text, keeping LINE and COL (0-based, in characters) up to date. */
static size_t step(const struct ly_state *st, size_t i, int *line, int *col)
{
	const char *s = st->text;

	if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= st->len || s[i + 1] != '\n'))) {
		(*line)++;
		*col = 0;
	} else if (((unsigned char)s[i] & 0xc0) != 0x80 && s[i] != '\r') {
		(*col)++;
	}
	return i + 1;
}

/*
 * The start of the NTH (1-based) scalar token. A scalar event with an anchor or a tag starts
 * at those, so a second scanner over the same text follows the parser, lazily, to the token
 * itself: both read the same tokens in the same order. False when it cannot get there.
 */
static bool scalar_token_mark(struct ly_state *st, size_t nth, yaml_mark_t *m)
{
	yaml_token_t t;
	yaml_token_type_t type;

	if (!st->scan_ready) {
		if (!yaml_parser_initialize(&st->scan)) {
			st->err = err_set(ERR_NOMEM, "out of memory");
			return false;
		}
		st->scan_ready = true;
		yaml_parser_set_input_string(&st->scan, (const unsigned char *)st->text, st->len);
	}
	while (st->scanned < nth && !st->scan_done) {
		if (!yaml_parser_scan(&st->scan, &t)) {
			st->scan_done = true;
			break;
		}
		type = t.type;
		if (type == YAML_SCALAR_TOKEN && ++st->scanned == nth)
			*m = t.start_mark;
		yaml_token_delete(&t);
		/* after the end (or an error) libyaml gives YAML_NO_TOKEN forever */
		if (type == YAML_STREAM_END_TOKEN || type == YAML_NO_TOKEN)
			st->scan_done = true;
	}
	return st->scanned == nth;
}

/*
 * Mark scalar Y of event EV the way the port counts: where its own token starts (past any
 * anchor or tag), past the quote of a quoted scalar or the '*' of an alias, and at the start
 * of the line after the header of a block scalar ('|' or '>').
 */
static void mark_scalar(struct ly_state *st, struct yaml_node *y, const yaml_event_t *ev)
{
	yaml_mark_t m = ev->start_mark;
	size_t i;
	int line, col;

	if (ev->type == YAML_SCALAR_EVENT && (ev->data.scalar.anchor || ev->data.scalar.tag) &&
	    !scalar_token_mark(st, st->scalars, &m))
		m = ev->start_mark;
	i = byte_at(st, m.index);
	line = m.line < INT32_MAX ? (int)m.line : INT32_MAX;
	col = m.column < INT32_MAX ? (int)m.column : INT32_MAX;
	if (i < st->len && (y->style == YAML_STYLE_SINGLE_QUOTED || y->style == YAML_STYLE_DOUBLE_QUOTED ||
			    y->style == YAML_STYLE_ALIAS)) {
		i = step(st, i, &line, &col);
	} else if (y->style == YAML_STYLE_LITERAL || y->style == YAML_STYLE_FOLDED) {
		while (i < st->len && st->text[i] != '\n' && st->text[i] != '\r')
			i = step(st, i, &line, &col);
		if (i + 1 < st->len && st->text[i] == '\r' && st->text[i + 1] == '\n')
			i++;
		if (i < st->len)
			i = step(st, i, &line, &col);
	}
	y->has_mark = true;
	y->line = line;
	y->col = col;
	y->pos = i;
}

/* ---- the tree ---- */

static enum yaml_style style_of(yaml_scalar_style_t s)
{
	switch (s) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		return YAML_STYLE_SINGLE_QUOTED;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		return YAML_STYLE_DOUBLE_QUOTED;
	case YAML_LITERAL_SCALAR_STYLE:
		return YAML_STYLE_LITERAL;
	case YAML_FOLDED_SCALAR_STYLE:
		return YAML_STYLE_FOLDED;
	default:
		return YAML_STYLE_PLAIN;
	}
}

static struct yaml_node *node_new(struct ly_state *st, enum yaml_kind kind, enum yaml_style style)
{
	struct yaml_node *y = arena_alloc(st, sizeof(*y));

	if (y) {
		memset(y, 0, sizeof(*y));
		y->kind = kind;
		y->style = style;
	}
	return y;
}

/* Grow F's array of SIZE-byte entries to hold one more. */
static bool frame_grow(struct ly_state *st, struct frame *f, size_t size)
{
	size_t cap;
	void *v;

	if (f->n < f->cap)
		return true;
	cap = f->cap ? f->cap * 2 : 8;
	if (cap > SIZE_MAX / size || !(v = realloc(f->v, cap * size))) {
		st->err = err_set(ERR_NOMEM, "out of memory");
		return false;
	}
	f->v = v;
	f->cap = cap;
	return true;
}

/* Put finished node Y (NULL for none) where it belongs: the innermost open collection, or a root. */
static void attach(struct ly_state *st, struct yaml_doc *doc, struct yaml_node *y)
{
	struct frame *f;

	if (st->err)
		return;
	if (!st->nframes) {
		/* a document that is only a node left out has no root */
		if (y && y->kind == YAML_SCALAR && !y->has_mark && y->style == YAML_STYLE_PLAIN)
			y = NULL;
		if (st->docs == 1)
			doc->root = y;
		else
			doc->next_root = y;
		return;
	}
	f = &st->frames[st->nframes - 1];
	if (f->node->kind == YAML_SEQUENCE) {
		if (frame_grow(st, f, sizeof(struct yaml_node *)))
			((struct yaml_node **)f->v)[f->n++] = y;
	} else if (!f->have_key) {
		f->have_key = true;
		f->key = y;
	} else if (frame_grow(st, f, sizeof(struct yaml_pair))) {
		((struct yaml_pair *)f->v)[f->n++] = (struct yaml_pair){ f->key, y };
		f->have_key = false;
	}
}

/* A scalar or an alias; an empty plain scalar is kept as one with text "" and no mark. */
static struct yaml_node *scalar_node(struct ly_state *st, const yaml_event_t *ev)
{
	struct yaml_node *y;

	if (ev->type == YAML_ALIAS_EVENT) {
		const char *name = (const char *)ev->data.alias.anchor;

		if (!(y = node_new(st, YAML_SCALAR, YAML_STYLE_ALIAS)) ||
		    !(y->text = arena_copy(st, name, strlen(name))))
			return NULL;
		y->len = strlen(name);
		y->resolves = anchor_known(st, name, y->len);
		mark_scalar(st, y, ev);
		return y;
	}
	if (!(y = node_new(st, YAML_SCALAR, style_of(ev->data.scalar.style))) ||
	    !(y->text = arena_copy(st, ev->data.scalar.value, ev->data.scalar.length)))
		return NULL;
	y->len = ev->data.scalar.length;
	/* a plain scalar is never empty in the text: this one stands for a node left out */
	if (y->len || y->style != YAML_STYLE_PLAIN)
		mark_scalar(st, y, ev);
	return y;
}

/* Open a collection (on_event keeps them within DEPTH_MAX). */
static void open_collection(struct ly_state *st, enum yaml_kind kind)
{
	struct yaml_node *y = node_new(st, kind, YAML_STYLE_ANY);

	if (y)
		st->frames[st->nframes++] = (struct frame){ .node = y };
}

static void close_collection(struct ly_state *st, struct yaml_doc *doc)
{
	struct frame *f;
	struct yaml_node *y;
	size_t size;

	if (!st->nframes)
		return;
	f = &st->frames[--st->nframes];
	y = f->node;
	if (y->kind == YAML_MAPPING && f->have_key && frame_grow(st, f, sizeof(struct yaml_pair)))
		((struct yaml_pair *)f->v)[f->n++] = (struct yaml_pair){ f->key, NULL };
	size = y->kind == YAML_MAPPING ? sizeof(struct yaml_pair) : sizeof(struct yaml_node *);
	if (f->n && !st->err) {
		void *v = arena_alloc(st, f->n * size);

		if (v) {
			memcpy(v, f->v, f->n * size);
			if (y->kind == YAML_MAPPING)
				y->pairs = v, y->npairs = f->n;
			else
				y->items = v, y->nitems = f->n;
		}
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
	attach(st, doc, y);
}

/* ---- errors ---- */

/* The 1-based line and column of byte OFFSET (libyaml places reader errors by byte). */
static void place_of_offset(const struct ly_state *st, size_t offset, int *line, int *col)
{
	size_t i = 0;

	*line = *col = 0;
	while (i < offset && i < st->len)
		i = step(st, i, line, col);
	(*line)++;
	(*col)++;
}

static int clamp1(size_t v)
{
	return v < INT32_MAX ? (int)v + 1 : INT32_MAX;
}

static int take_error(struct ly_state *st, struct yaml_doc *doc)
{
	const yaml_parser_t *p = &st->parser;
	const char *problem = p->problem ? p->problem : "cannot parse";

	if (p->error == YAML_MEMORY_ERROR)
		return err_set(ERR_NOMEM, "out of memory");
	doc->failed = true;
	doc->root = doc->next_root = NULL;
	doc->has_next = false;
	if (p->error == YAML_READER_ERROR) {
		place_of_offset(st, p->problem_offset, &doc->err_line, &doc->err_col);
	} else {
		doc->err_line = clamp1(p->problem_mark.line);
		doc->err_col = clamp1(p->problem_mark.column);
	}
	if (p->context && (p->context_mark.line != p->problem_mark.line ||
			   p->context_mark.column != p->problem_mark.column))
		snprintf(doc->err_msg, sizeof(doc->err_msg), "%s (%s started at line %d, column %d)", problem, p->context,
			 clamp1(p->context_mark.line), clamp1(p->context_mark.column));
	else
		snprintf(doc->err_msg, sizeof(doc->err_msg), "%s", problem);
	return 0;
}

/* ---- the parser ---- */

/* Build one event into the tree; false once the reading is over (the second document's end, or the stream's). */
static bool on_event(struct ly_state *st, struct yaml_doc *doc, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++st->docs == 2)
			doc->has_next = true;
		anchors_clear(st);
		return true;
	case YAML_DOCUMENT_END_EVENT:
		return st->docs < 2;
	case YAML_STREAM_END_EVENT:
		return false;
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		break;
	default:
		break;
	}
	if ((ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT) &&
	    st->nframes >= DEPTH_MAX) {
		st->too_deep = true;
		st->deep_mark = ev->start_mark;
		return false;
	}
	/* an anchor counts from its node on, so a collection's own items may name it */
	if (anchor)
		anchor_add(st, (const char *)anchor);
	/* every scalar event but a left-out node's stands for a scalar token (scalar_token_mark) */
	if (ev->type == YAML_SCALAR_EVENT &&
	    (ev->data.scalar.length || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE))
		st->scalars++;
	if (ev->type == YAML_SCALAR_EVENT || ev->type == YAML_ALIAS_EVENT)
		attach(st, doc, scalar_node(st, ev));
	else if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT)
		open_collection(st, ev->type == YAML_SEQUENCE_START_EVENT ? YAML_SEQUENCE : YAML_MAPPING);
	else if (ev->type == YAML_SEQUENCE_END_EVENT || ev->type == YAML_MAPPING_END_EVENT)
		close_collection(st, doc);
	return true;
}

static void ly_release(struct yaml_doc *doc)
{
	struct ly_state *st = doc ? doc->impl : NULL;
	struct block *b;

	if (!st)
		return;
	while (st->nframes)
		free(st->frames[--st->nframes].v);
	if (st->parser_ready)
		yaml_parser_delete(&st->parser);
	if (st->scan_ready)
		yaml_parser_delete(&st->scan);
	free(st->anchors);
	while ((b = st->blocks)) {
		st->blocks = b->next;
		free(b);
	}
	free(st);
	doc->impl = NULL;
}

static int ly_parse(const char *text, size_t len, struct yaml_doc *doc)
{
	struct ly_state *st;
	yaml_event_t ev;
	bool more = true;

	memset(doc, 0, sizeof(*doc));
	if (!(st = calloc(1, sizeof(*st))))
		return err_set(ERR_NOMEM, "out of memory");
	doc->impl = st;
	if (!yaml_parser_initialize(&st->parser))
		return err_set(ERR_NOMEM, "out of memory");
	st->parser_ready = true;
	st->text = text;
	st->len = len;
	st->bom = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	st->cur_bytes = st->bom;
	yaml_parser_set_input_string(&st->parser, (const unsigned char *)text, len);
	while (more && !st->err) {
		if (!yaml_parser_parse(&st->parser, &ev))
			return take_error(st, doc);
		more = on_event(st, doc, &ev);
		yaml_event_delete(&ev);
	}
	if (st->too_deep && !st->err) {
		memset(doc, 0, offsetof(struct yaml_doc, impl));
		doc->failed = true;
		doc->err_line = clamp1(st->deep_mark.line);
		doc->err_col = clamp1(st->deep_mark.column);
		snprintf(doc->err_msg, sizeof(doc->err_msg), "collections nested more than %d deep", DEPTH_MAX);
	}
	return st->err;
}

const struct yaml_parser yaml_libyaml_parser = {
	.name = "libyaml",
	.parse = ly_parse,
	.release = ly_release,
};
