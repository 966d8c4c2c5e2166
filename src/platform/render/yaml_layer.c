/* render.yaml checks: sorted names, YAML syntax errors, aliases, duplicate keys, and the scopes names resolve in. */
#include "platform/render/check.h"
#include "util/banned.h"

/* ---- sorted names ---- */

/* Where N starts in the file, to keep the first of equal names first. */
static size_t order_of(struct yaml_node *n)
{
	return n && n->kind == YAML_SCALAR && n->has_mark ? n->pos : SIZE_MAX;
}

/* Add the text of scalar AT (skipped when it has none) naming OWNER. */
void rnd_ents_push(struct ctx *c, struct ents *e, struct yaml_node *at, struct yaml_node *owner)
{
	struct ent *m;
	size_t len;
	const char *s = rnd_text(at, &len);

	if (!s || rnd_is_null(at) || c->err)
		return;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;

		if (!(m = realloc(e->v, cap * sizeof(*m)))) {
			c->err = err_set(ERR_NOMEM, "out of memory");
			return;
		}
		e->v = m;
		e->cap = cap;
	}
	e->v[e->n++] = (struct ent){ s, len, order_of(at), at, owner };
}

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int d = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	if (d)
		return d;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

bool rnd_ent_same(const struct ent *x, const struct ent *y)
{
	return x->len == y->len && !memcmp(x->s, y->s, x->len);
}

void rnd_ents_sort(struct ents *e)
{
	if (e->n > 1)
		qsort(e->v, e->n, sizeof(e->v[0]), ent_cmp);
}

void rnd_ents_free(struct ents *e)
{
	free(e->v);
	memset(e, 0, sizeof(*e));
}

const struct ent *rnd_ents_next_repeat(const struct ents *e, size_t *i, const struct ent **first, int *first_line)
{
	int col;

	for (; *i < e->n; (*i)++) {
		if (!*first || !rnd_ent_same(&e->v[*i], *first)) {
			*first = &e->v[*i];
			continue;
		}
		if (!rnd_where((*first)->at, first_line, &col))
			*first_line = 0;
		return &e->v[(*i)++];
	}
	return NULL;
}

/* The first entry of sorted E with text S, and in COUNT (if not NULL) how many have it; NULL if none. */
const struct ent *rnd_ents_find(const struct ents *e, const char *s, size_t len, int *count)
{
	struct ent key = { s, len, 0, NULL, NULL };
	size_t lo = 0, hi = e->n, mid, i;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ent_cmp(&e->v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < e->n && rnd_ent_same(&e->v[i], &key); i++)
		;
	if (count)
		*count = (int)(i - lo < INT_MAX ? i - lo : INT_MAX);
	return i > lo ? &e->v[lo] : NULL;
}

/* ---- syntax ---- */

/* The 1-based column of the '*' when line LINE of the text is an unquoted schedule starting with one; else 0. */
static int cron_alias_col(const struct ctx *c, int line)
{
	const char *s = c->text, *end = c->text + c->len, *nl, *bol;
	int n;

	for (n = 1; n < line && s < end; n++) {
		if (!(nl = memchr(s, '\n', (size_t)(end - s))))
			return 0;
		s = nl + 1;
	}
	for (bol = s; s < end && (*s == ' ' || *s == '-' || *s == '\t'); s++)
		;
	if ((size_t)(end - s) < 9 || memcmp(s, "schedule", 8) != 0)
		return 0;
	for (s += 8; s < end && (*s == ' ' || *s == '\t'); s++)
		;
	if (s >= end || *s++ != ':')
		return 0;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s < end && *s == '*' && s - bol < INT_MAX ? (int)(s - bol) + 1 : 0;
}

void rnd_syntax_issue(struct ctx *c, const struct yaml_doc *doc)
{
	const char *m = doc->err_msg[0] ? doc->err_msg : "cannot parse";
	char msg[256];
	int line = doc->err_line, col = doc->err_col, cline, ccol = 0;

	err_quote(msg, sizeof(msg), m, strlen(m));
	if (c->err)
		return;
	cline = line;
	if (line && (!(ccol = cron_alias_col(c, cline)) && line > 1))
		ccol = cron_alias_col(c, --cline);
	if (ccol) {
		if (sim_add(c->rep, RND_ID(RND_YAML_1), SIM_CRITICAL, c->file, cline, ccol, SIM_FIX_HEAL,
			    "quote the cron expression: schedule: \"*/5 * * * *\"",
			    "YAML syntax error: an unquoted schedule starting with '*' is read as an alias (%s)",
			    msg) < 0)
			c->err = ERR_NOMEM;
		return;
	}
	if (sim_add(c->rep, RND_ID(RND_YAML_1), SIM_CRITICAL, c->file, line, col, SIM_FIX_NONE, NULL,
		    "YAML syntax error: %s", msg) < 0)
		c->err = ERR_NOMEM;
}

/* An alias with no anchor is an error to every YAML loader; the parser leaves it to resolution. */
static void check_alias(struct ctx *c, struct yaml_node *n)
{
	char aq[Q];
	size_t len = 0;
	const char *s;

	if (!n || !yaml_is_alias(n) || n->resolves)
		return;
	s = yaml_scalar(n, &len);
	rnd_issue(c, n, RND_YAML_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "YAML error: alias '*%s' names no anchor",
	      err_quote(aq, sizeof(aq), s ? s : "", s ? len : 0));
}

/* Duplicate keys of MAP (RND-YAML-2); the parser keeps them so we can say where. */
static void dup_keys(struct ctx *c, struct yaml_node *map)
{
	struct yaml_pair *p;
	struct ents *e = &c->tmp;
	const struct ent *first = NULL, *again;
	void *it = NULL;
	char kq[Q];
	size_t i = 0;
	int line;

	e->n = 0;
	while ((p = yaml_mapping_iterate(map, &it)))
		rnd_ents_push(c, e, rnd_key_of(p), rnd_val_of(p));
	rnd_ents_sort(e);
	while ((again = rnd_ents_next_repeat(e, &i, &first, &line))) {
		if (rnd_eqn(first->s, first->len, "env") &&
		    (yaml_is_sequence(first->owner) || yaml_is_sequence(again->owner)))
			rnd_issue(c, again->at, RND_YAML_2, SIM_CRITICAL, SIM_FIX_HEAL,
			      "rename the list-valued env to envVars",
			      "duplicate key 'env' (first at line %d): its variables belong in envVars", line);
		else
			rnd_issue(c, again->at, RND_YAML_2, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "duplicate key '%s' (first at line %d)", rnd_q(kq, again->at), line);
	}
}

/*
 * Walk the tree for what the YAML parser lets through: aliases without an anchor (RND-YAML-1) and
 * duplicate keys (RND-YAML-2).
 */
void rnd_walk(struct ctx *c, struct yaml_node *n, int depth)
{
	struct yaml_pair *p;
	struct yaml_node *item;
	void *it = NULL;

	if (!n || depth > DEPTH_MAX || c->err)
		return;
	check_alias(c, n);
	if (yaml_is_sequence(n)) {
		while ((item = yaml_sequence_iterate(n, &it)))
			rnd_walk(c, item, depth + 1);
		return;
	}
	if (!yaml_is_mapping(n))
		return;
	dup_keys(c, n);
	while ((p = yaml_mapping_iterate(n, &it))) {
		check_alias(c, rnd_key_of(p));
		rnd_walk(c, rnd_val_of(p), depth + 1);
	}
}

/* ---- scopes ---- */

void rnd_scope_add(struct ctx *c, const struct scope *sc)
{
	struct scope *m;

	if (c->nscopes == c->capscopes) {
		size_t cap = c->capscopes ? c->capscopes * 2 : 8;

		if (!(m = realloc(c->scopes, cap * sizeof(*m)))) {
			c->err = err_set(ERR_NOMEM, "out of memory");
			return;
		}
		c->scopes = m;
		c->capscopes = cap;
	}
	c->scopes[c->nscopes++] = *sc;
}

/* The mapping of SC's list WHICH (0 services, 1 databases, 2 groups) named S; COUNT as ents_find. */
struct yaml_node *rnd_scope_find(const struct scope *sc, int which, const char *s, size_t len, int *count)
{
	const struct ent *e = rnd_ents_find(&sc->names[which], s, len, count);

	return e ? e->owner : NULL;
}

/* A name of SC's list WHICH close to S, for "did you mean". */
const char *rnd_near_name(const struct scope *sc, int which, const char *s, size_t len, char out[Q])
{
	const struct ents *e = &sc->names[which];
	size_t i;

	for (i = 0; i < e->n && i < NEAR_MAX; i++) {
		if (e->v[i].len >= Q || memchr(e->v[i].s, 0, e->v[i].len))
			continue;
		memcpy(out, e->v[i].s, e->v[i].len);
		out[e->v[i].len] = '\0';
		if (rnd_close_to(s, len, out))
			return out;
	}
	return NULL;
}

/* The lists of SC chosen by WHICH: 0 services, 1 databases, 2 environment groups. */
struct yaml_node *const *rnd_scope_lists(const struct scope *sc, int which)
{
	return which == 0 ? sc->svcs : which == 1 ? sc->dbs : sc->groups;
}

/* True when some scope other than SC has a resource named S in the list chosen by WHICH. */
bool rnd_elsewhere(const struct ctx *c, const struct scope *sc, int which, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < c->nscopes; i++) {
		const struct scope *o = &c->scopes[i];

		if (o != sc && rnd_scope_find(o, which, s, len, NULL))
			return true;
	}
	return false;
}
