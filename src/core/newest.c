/* The newest event per node among a stream of (node, seq), for ledgers that answer `latest` by scanning. */
#include "core/newest.h"
#include "util/err.h"
#include "util/grow.h"

#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

int newest_add(struct newest *nw, const char *node, int64_t seq)
{
	struct newest_seen *v = grow_array(nw->v, &nw->cap, nw->n, sizeof(*v), 64);
	char *copy;

	if (!v)
		return ERR_NOMEM;
	nw->v = v;
	if (!(copy = strdup(node)))
		return err_set(ERR_NOMEM, "out of memory");
	nw->v[nw->n].node = copy;
	nw->v[nw->n++].seq = seq;
	return 0;
}

static int seen_cmp(const void *a, const void *b)
{
	const struct newest_seen *x = a, *y = b;
	int c = strcmp(x->node, y->node);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int seq_cmp(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

int newest_finish(struct newest *nw)
{
	size_t i;

	free(nw->keep);
	nw->keep = NULL;
	nw->nkeep = 0;
	if (nw->n == 0)
		return 0;
	qsort(nw->v, nw->n, sizeof(*nw->v), seen_cmp);
	if (!(nw->keep = malloc(nw->n * sizeof(*nw->keep))))
		return err_set(ERR_NOMEM, "out of memory");
	/* Sorted by node, then seq: the last of each node's run is its newest. */
	for (i = 0; i < nw->n; i++)
		if (i + 1 == nw->n || strcmp(nw->v[i].node, nw->v[i + 1].node) != 0)
			nw->keep[nw->nkeep++] = nw->v[i].seq;
	qsort(nw->keep, nw->nkeep, sizeof(*nw->keep), seq_cmp);
	return 0;
}

bool newest_keeps(const struct newest *nw, int64_t seq)
{
	return nw->nkeep && bsearch(&seq, nw->keep, nw->nkeep, sizeof(*nw->keep), seq_cmp) != NULL;
}

int64_t newest_first(const struct newest *nw)
{
	return nw->nkeep ? nw->keep[0] : 0;
}

void newest_release(struct newest *nw)
{
	size_t i;

	for (i = 0; i < nw->n; i++)
		free(nw->v[i].node);
	free(nw->v);
	free(nw->keep);
	memset(nw, 0, sizeof(*nw));
}
