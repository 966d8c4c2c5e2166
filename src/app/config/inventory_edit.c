/* Editing chimera.toml: add or remove a machine, every other byte kept. */
#include "app/config/inventory_internal.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* Bytes [A, B) are spaces, tabs and '\r' only. */
static bool blank(const char *a, const char *b)
{
	for (; a < b; a++) {
		if (*a != ' ' && *a != '\t' && *a != '\r')
			return false;
	}
	return true;
}

int inventory_edit_add(const char *path, const char *text, size_t len, const char *name, const char *target,
		       const char *const *tags, size_t ntags, struct buf *out)
{
	struct inventory inv;
	struct target t;
	char q[QUOTE_MAX];
	size_t i, j;
	int r;

	buf_reset(out);
	inventory_init(&inv);
	if ((r = inventory_parse(path, text, len, &inv)) < 0)
		return r;
	err_quote(q, sizeof(q), name, strlen(name));
	if (!inv_word_valid(name, strlen(name), INV_NAME_MAX)) {
		r = err_set(ERR_INVALID, "bad machine name '%s'; expected " NAME_FORM, q);
		goto out;
	}
	if (inventory_find(&inv, name) != NULL) {
		r = err_set(ERR_INVALID, "machine '%s' exists already in %s (line %d)", q, path,
			    inventory_find(&inv, name)->line);
		goto out;
	}
	if ((r = target_parse(&t, target, strlen(target))) < 0)
		goto out;
	if (ntags > INV_TAGS_MAX) {
		r = err_set(ERR_INVALID, "%zu tags for machine '%s'; at most %d allowed", ntags, q, INV_TAGS_MAX);
		goto out;
	}
	for (i = 0; i < ntags; i++) {
		char tq[QUOTE_MAX];

		err_quote(tq, sizeof(tq), tags[i], strlen(tags[i]));
		if (!inv_word_valid(tags[i], strlen(tags[i]), 0)) {
			r = err_set(ERR_INVALID, "bad tag '%s'; expected " TAG_FORM, tq);
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(tags[i], tags[j]) == 0) {
				r = err_set(ERR_INVALID, "duplicate tag '%s'", tq);
				goto out;
			}
		}
	}

	if ((r = buf_add(out, text, len)) < 0)
		goto out;
	if (len > 0 && text[len - 1] != '\n' && (r = buf_addc(out, '\n')) < 0)
		goto out;
	/* a blank line before the new table, unless there is one already (or nothing at all) */
	if (len > 0 && text[len - 1] == '\n') {
		const char *nl = len > 1 ? memrchr(text, '\n', len - 1) : NULL;

		if (!blank(nl ? nl + 1 : text, text + len - 1) && (r = buf_addc(out, '\n')) < 0)
			goto out;
	} else if (len > 0 && (r = buf_addc(out, '\n')) < 0) {
		goto out;
	}
	if ((r = buf_adds(out, "[machines.")) < 0 || (r = toml_format_key(out, name, strlen(name))) < 0 ||
	    (r = buf_adds(out, "]\ntarget = ")) < 0 || (r = toml_format_string(out, target, strlen(target))) < 0 ||
	    (r = buf_addc(out, '\n')) < 0)
		goto out;
	if (ntags > 0) {
		if ((r = buf_adds(out, "tags = [")) < 0)
			goto out;
		for (i = 0; i < ntags; i++) {
			if ((i && (r = buf_adds(out, ", ")) < 0) ||
			    (r = toml_format_string(out, tags[i], strlen(tags[i]))) < 0)
				goto out;
		}
		if ((r = buf_adds(out, "]\n")) < 0)
			goto out;
	}
	/* the result must be a good inventory too: this catches a target another machine has */
	inventory_release(&inv);
	r = inventory_parse(path, out->data, out->len, &inv);
out:
	inventory_release(&inv);
	if (r < 0)
		buf_reset(out);
	return r;
}

/*
 * Lenient on purpose: only the TOML has to parse, so a machine that makes the inventory
 * invalid can still be removed.
 */
int inventory_edit_rm(const char *path, const char *text, size_t len, const char *name, struct buf *out)
{
	struct toml_doc *doc = NULL;
	const struct toml_value *m;
	struct toml_span sp;
	const char *src, *a, *b, *nl;
	char q[QUOTE_MAX];
	size_t srclen;
	int r;

	buf_reset(out);
	if ((r = toml_parse(text, len, &doc)) < 0) {
		char sub[MSG_MAX];

		snprintf(sub, sizeof(sub), "%s", err_msg());
		return err_set(r, "%s:%s", path, sub);
	}
	err_quote(q, sizeof(q), name, strlen(name));
	m = toml_table_get(toml_table_get(toml_doc_root(doc), "machines"), name);
	if (m == NULL || toml_type(m) != TOML_TABLE) {
		r = err_set(ERR_NOTFOUND, "no machine '%s' in %s", q, path);
		goto out;
	}
	sp = toml_stmt_span(m);
	if (sp.len == 0) {
		sp = toml_value_span(m);
		r = err_set(ERR_UNSUPPORTED, "%s:%u:%u: machine '%s' has no [machines.%s] section of its own; remove it by hand",
			    path, sp.line, sp.col, q, q);
		goto out;
	}
	/* spans are byte offsets into TEXT itself (a byte order mark included) */
	src = text;
	srclen = len;
	a = src + sp.off;
	b = a + sp.len;
	/* a blank line on both sides would become two in a row: drop the one after */
	if (a > src && b < src + srclen) {
		const char *pl = a - 1 > src ? memrchr(src, '\n', (size_t)(a - 1 - src)) : NULL;

		nl = memchr(b, '\n', (size_t)(src + srclen - b));
		if (nl != NULL && blank(pl ? pl + 1 : src, a - 1) && blank(b, nl))
			b = nl + 1;
	}
	/* The last table: the blank line that set it apart goes with it (what add put there). */
	if (b == src + srclen && a - src >= 2 && a[-1] == '\n' && a[-2] == '\n')
		a--;
	if ((r = buf_add(out, src, (size_t)(a - src))) < 0 || (r = buf_add(out, b, (size_t)(src + srclen - b))) < 0)
		goto out;
out:
	toml_doc_free(doc);
	if (r < 0)
		buf_reset(out);
	return r;
}
