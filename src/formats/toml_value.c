/* TOML values: the tree of tables and arrays with their hash index, and the lookups of toml.h. */
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

/* Set and return ERR_NOMEM. */
int toml_nomem(void)
{
	return err_set(ERR_NOMEM, "out of memory");
}

/* ---- values and tables ---- */

/* A new empty value of type T, or NULL when out of memory. */
struct toml_value *toml_value_new(enum toml_type t)
{
	struct toml_value *v = calloc(1, sizeof(*v));

	if (v) {
		v->type = t;
		if (t == TOML_TABLE)
			v->u.tab.last_line = SIZE_MAX;
	}
	return v;
}

/* Free V and everything under it. NULL is fine. */
void toml_value_free(struct toml_value *v)
{
	size_t i;

	if (!v)
		return;
	switch (v->type) {
	case TOML_STRING:
		free(v->u.str.s);
		break;
	case TOML_ARRAY:
		for (i = 0; i < v->u.arr.n; i++)
			toml_value_free(v->u.arr.v[i]);
		free(v->u.arr.v);
		break;
	case TOML_TABLE:
		for (i = 0; i < v->u.tab.n; i++) {
			free(v->u.tab.kv[i].key);
			toml_value_free(v->u.tab.kv[i].val);
		}
		free(v->u.tab.kv);
		free(v->u.tab.idx);
		break;
	default:
		break;
	}
	free(v);
}

/* FNV-1a over the key's bytes. */
static uint32_t key_hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 16777619u;
	}
	return h;
}

/* Whether KV's key is the N bytes at K. */
static bool key_eq(const struct toml_kv *kv, const char *k, size_t n)
{
	return kv->keylen == n && memcmp(kv->key, k, n) == 0;
}

/* The value at key K in table T, or NULL. */
struct toml_value *toml_table_find(const struct toml_value *t, const char *k, size_t n)
{
	size_t i, mask;

	if (t->u.tab.idx_cap == 0) {
		for (i = 0; i < t->u.tab.n; i++) {
			if (key_eq(&t->u.tab.kv[i], k, n))
				return t->u.tab.kv[i].val;
		}
		return NULL;
	}
	mask = t->u.tab.idx_cap - 1;
	for (i = key_hash(k, n) & mask; t->u.tab.idx[i]; i = (i + 1) & mask) {
		const struct toml_kv *kv = &t->u.tab.kv[t->u.tab.idx[i] - 1];

		if (key_eq(kv, k, n))
			return kv->val;
	}
	return NULL;
}

/* Enter kv[AT] in T's index, which has a free slot. */
static void index_put(struct toml_value *t, size_t at)
{
	size_t mask = t->u.tab.idx_cap - 1;
	size_t i = key_hash(t->u.tab.kv[at].key, t->u.tab.kv[at].keylen) & mask;

	while (t->u.tab.idx[i])
		i = (i + 1) & mask;
	t->u.tab.idx[i] = (uint32_t)(at + 1);
}

/* Rebuild T's index with CAP slots. Returns 0 or ERR_NOMEM (the old index kept). */
static int index_rebuild(struct toml_value *t, size_t cap)
{
	uint32_t *idx = calloc(cap, sizeof(*idx));
	size_t i;

	if (!idx)
		return toml_nomem();
	free(t->u.tab.idx);
	t->u.tab.idx = idx;
	t->u.tab.idx_cap = cap;
	for (i = 0; i < t->u.tab.n; i++)
		index_put(t, i);
	return 0;
}

/*
 * Add key K (N bytes, malloc'd and NUL-terminated) with value V to table T; the key must
 * be absent. Takes K and V on success; on ERR_NOMEM the caller still owns both.
 */
int toml_table_add(struct toml_value *t, char *k, size_t n, struct toml_value *v)
{
	size_t need = t->u.tab.n + 1;
	int r;

	if (need > UINT32_MAX - 1)
		return err_set(ERR_LIMIT, "too many keys in one table");
	if (t->u.tab.n == t->u.tab.cap) {
		size_t cap = t->u.tab.cap ? t->u.tab.cap * 2 : 4;
		struct toml_kv *kv = realloc(t->u.tab.kv, cap * sizeof(*kv));

		if (!kv)
			return toml_nomem();
		t->u.tab.kv = kv;
		t->u.tab.cap = cap;
	}
	if (need > INDEX_MIN && need * 2 > t->u.tab.idx_cap) {
		if ((r = index_rebuild(t, t->u.tab.idx_cap ? t->u.tab.idx_cap * 2 : 32)) < 0)
			return r;
	}
	t->u.tab.kv[t->u.tab.n].key = k;
	t->u.tab.kv[t->u.tab.n].keylen = n;
	t->u.tab.kv[t->u.tab.n].val = v;
	if (t->u.tab.idx_cap)
		index_put(t, t->u.tab.n);
	t->u.tab.n++;
	return 0;
}

/* Append V to array A. Takes V on success; on ERR_NOMEM the caller still owns it. */
int toml_array_add(struct toml_value *a, struct toml_value *v)
{
	if (a->u.arr.n == a->u.arr.cap) {
		size_t cap = a->u.arr.cap ? a->u.arr.cap * 2 : 4;
		struct toml_value **p = realloc(a->u.arr.v, cap * sizeof(*p));

		if (!p)
			return toml_nomem();
		a->u.arr.v = p;
		a->u.arr.cap = cap;
	}
	a->u.arr.v[a->u.arr.n++] = v;
	return 0;
}



void toml_doc_free(struct toml_doc *doc)
{
	if (!doc)
		return;
	toml_value_free(doc->root);
	free(doc->src);
	free(doc);
}

/* ---- lookups ---- */

const struct toml_value *toml_doc_root(const struct toml_doc *doc)
{
	return doc->root;
}

const char *toml_doc_source(const struct toml_doc *doc, size_t *len)
{
	if (len)
		*len = doc->len;
	return doc->src;
}

enum toml_type toml_type(const struct toml_value *v)
{
	return v->type;
}

const char *toml_type_name(enum toml_type t)
{
	switch (t) {
	case TOML_STRING: return "string";
	case TOML_INTEGER: return "integer";
	case TOML_FLOAT: return "float";
	case TOML_BOOL: return "boolean";
	case TOML_DATETIME: return "offset date-time";
	case TOML_DATETIME_LOCAL: return "local date-time";
	case TOML_DATE_LOCAL: return "local date";
	case TOML_TIME_LOCAL: return "local time";
	case TOML_ARRAY: return "array";
	case TOML_TABLE: return "table";
	}
	return "unknown";
}

struct toml_span toml_value_span(const struct toml_value *v)
{
	return v->span;
}

struct toml_span toml_key_span(const struct toml_value *v)
{
	return v->key;
}

struct toml_span toml_stmt_span(const struct toml_value *v)
{
	return v->stmt;
}

const struct toml_value *toml_table_getn(const struct toml_value *table, const char *key, size_t keylen)
{
	if (!table || table->type != TOML_TABLE)
		return NULL;
	return toml_table_find(table, key, keylen);
}

const struct toml_value *toml_table_get(const struct toml_value *table, const char *key)
{
	return toml_table_getn(table, key, strlen(key));
}

size_t toml_table_len(const struct toml_value *table)
{
	return table && table->type == TOML_TABLE ? table->u.tab.n : 0;
}

const struct toml_value *toml_table_at(const struct toml_value *table, size_t i, const char **key, size_t *keylen)
{
	if (i >= toml_table_len(table))
		return NULL;
	if (key)
		*key = table->u.tab.kv[i].key;
	if (keylen)
		*keylen = table->u.tab.kv[i].keylen;
	return table->u.tab.kv[i].val;
}

size_t toml_array_len(const struct toml_value *a)
{
	return a && a->type == TOML_ARRAY ? a->u.arr.n : 0;
}

const struct toml_value *toml_array_get(const struct toml_value *a, size_t i)
{
	return i < toml_array_len(a) ? a->u.arr.v[i] : NULL;
}

/*
 * ERR_NOTFOUND for NULL, ERR_INVALID naming both types when V is not of type WANT (or a
 * date/time kind when WANT is 0), else 0.
 */
static int want_type(const struct toml_value *v, enum toml_type want)
{
	const char *name = want ? toml_type_name(want) : "date or time";

	if (!v)
		return err_set(ERR_NOTFOUND, "no value: expected %s", name);
	if (want ? v->type == want : (v->type >= TOML_DATETIME && v->type <= TOML_TIME_LOCAL))
		return 0;
	return err_set(ERR_INVALID, "%u:%u: expected %s, found %s", v->span.line, v->span.col, name,
		       toml_type_name(v->type));
}

int toml_get_string(const struct toml_value *v, const char **s, size_t *len)
{
	int r = want_type(v, TOML_STRING);

	*s = r < 0 ? "" : v->u.str.s;
	if (len)
		*len = r < 0 ? 0 : v->u.str.len;
	return r;
}

int toml_get_int(const struct toml_value *v, int64_t *out)
{
	int r = want_type(v, TOML_INTEGER);

	*out = r < 0 ? 0 : v->u.i;
	return r;
}

int toml_get_float(const struct toml_value *v, double *out)
{
	int r = want_type(v, TOML_FLOAT);

	*out = r < 0 ? 0 : v->u.f;
	return r;
}

int toml_get_bool(const struct toml_value *v, bool *out)
{
	int r = want_type(v, TOML_BOOL);

	*out = r < 0 ? false : v->u.b;
	return r;
}

int toml_get_datetime(const struct toml_value *v, struct toml_datetime *out)
{
	int r = want_type(v, 0);

	memset(out, 0, sizeof(*out));
	if (r == 0)
		*out = v->u.dt;
	return r;
}
