/* deploy --dry-run --diff: the closure a node runs, read on the node, against the one it would get. */
#include "app/fleet/deploy_internal.h"
#include "app/nix/closure_diff.h"
#include "remote/closure.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* One path of the node's closure into the nix_closure ARG. */
static int add_item(const char *path, uint64_t nar_size, void *arg)
{
	struct nix_closure *c = arg;
	struct nix_path_info *m;

	if (!(m = realloc(c->items, (c->n + 1) * sizeof(*m))))
		return err_set(ERR_NOMEM, "out of memory");
	c->items = m;
	snprintf(m[c->n].path, sizeof(m[c->n].path), "%s", path);
	m[c->n].nar_size = nar_size;
	c->bytes += nar_size;
	c->n++;
	return 0;
}

/* The closure of N's current path on the node into CUR (empty when it has no profile). */
static int node_closure(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
			struct nix_closure *cur)
{
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	int r;

	if (!n->previous[0])
		return 0;
	exec_result_init(&res);
	if (!storepath_valid(n->previous, strlen(n->previous))) {
		r = err_set(ERR_INVALID, "the profile points at '%s', not a store path", n->previous);
		fleet_fail(&n->fail, "diff", r);
	} else if ((r = remote_closure_query(&cmd, n->previous)) < 0) {
		fleet_fail(&n->fail, "diff", r);
	} else if ((r = fleet_step(&job->ctx->fleet, ex, s, "diff", cmd.data, NULL, &res, &n->fail)) == 0 &&
		   (r = remote_closure_parse(res.out.data, res.out.len, add_item, cur)) < 0) {
		fleet_fail(&n->fail, "diff", r);
	}
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

int deploy_diff_node(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s)
{
	struct nix_closure cur = { 0 };
	int r;

	if ((r = node_closure(job, n, ex, s, &cur)) < 0)
		goto out;
	if (!(n->diff = calloc(1, sizeof(*n->diff)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		fleet_fail(&n->fail, "diff", r);
		goto out;
	}
	if ((r = closure_diff(&cur, &job->closure, n->diff)) < 0)
		fleet_fail(&n->fail, "diff", r);
out:
	nix_closure_release(&cur);
	if (r < 0)
		deploy_diff_free(n);
	return r;
}

void deploy_diff_free(struct deploy_node *n)
{
	if (!n->diff)
		return;
	closure_diff_release(n->diff);
	free(n->diff);
	n->diff = NULL;
}

json_t *deploy_diff_json(const struct deploy_node *n, const char *path)
{
	json_t *doc = closure_diff_json(n->diff);

	if (!doc)
		return NULL;
	json_object_set_new(json_object_get(doc, "a"), "path", n->previous[0] ? json_string(n->previous) : json_null());
	json_object_set_new(json_object_get(doc, "b"), "path", json_string(path));
	return doc;
}
