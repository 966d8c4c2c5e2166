/* Deploy's repairs of a node's store: send the paths Nix finds invalid, unregister the ones gone from the disk. */
#include "app/fleet/deploy_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static void on_sent(uint64_t bytes, void *arg)
{
	struct deploy_node *n = arg;

	n->sent = bytes;
}

/* Send the N MISSING paths (sorted in place) with `nix-store --import`; counts what went. */
static int copy_paths(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
		      char **missing, size_t nmissing, struct exec_result *res)
{
	struct exec_input in = { .fd = -1, .sent = on_sent, .arg = n };
	struct buf cmd = BUF_INIT(0);
	int64_t t0 = clock_mono_ms();
	int r;

	deploy_job_enter(job, n, STEP_COPY);
	if ((r = deploy_spool_get(&job->spool, missing, nmissing, &in.fd, &in.len)) < 0) {
		fleet_fail(&n->fail, "copy", r);
		deploy_add_step_ms(n, STEP_COPY, t0);
		return r;
	}
	n->sent = 0;
	if ((r = remote_import(&cmd)) == 0 && (r = deploy_run_step(job, n, ex, s, STEP_COPY, cmd.data, &in, res)) == 0) {
		n->copy_paths += nmissing;
		n->copy_bytes += in.len;
	}
	buf_release(&cmd);
	return r;
}

/*
 * After a failed switch: ask Nix which closure paths are invalid on the node (present on
 * disk but never registered, e.g. after an interrupted import), send those, and say
 * whether there was anything to send. Returns 1 when paths were sent, 0 when none were
 * invalid, or an error.
 */
int deploy_copy_invalid(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
			const char *list, struct exec_result *res)
{
	struct buf cmd = BUF_INIT(0);
	struct gen_list none;
	char **invalid = NULL;
	size_t ninvalid = 0;
	int r;

	gen_list_init(&none);
	if ((r = remote_invalid_paths(&cmd, job->closure_paths, job->closure.n, list)) == 0 &&
	    (r = deploy_run_step(job, n, ex, s, STEP_CHECK, cmd.data, NULL, res)) == 0 &&
	    (r = fleet_parse_probe(n->profile, &res->out, &none, &invalid, &ninvalid)) < 0)
		fleet_fail(&n->fail, "check", r);
	if (r == 0 && ninvalid)
		r = copy_paths(job, n, ex, s, invalid, ninvalid, res);
	fleet_free_paths(invalid, ninvalid);
	gen_list_release(&none);
	buf_release(&cmd);
	return r < 0 ? r : ninvalid > 0;
}

/*
 * The copy found paths that are gone from the node's disk yet registered ("chimera-stale
 * P..." in RES): unregister and delete them so the next import brings them back. Nix
 * refuses while a valid path refers to one; that is reported, not forced.
 */
int deploy_purge_stale(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
		       struct exec_result *res)
{
	static const char mark[] = "chimera-stale ";
	const char *line = strstr(res->out.data, mark), *p;
	struct buf cmd = BUF_INIT(0);
	char **stale = NULL;
	size_t nstale = 0, len;
	int r = 0;

	if (!line) {
		fleet_fail(&n->fail, "copy", ERR_IO);
		return ERR_IO;
	}
	for (p = line + sizeof(mark) - 1; *p && *p != '\n'; p += len) {
		char **m;

		p += strspn(p, " ");
		len = strcspn(p, " \n");
		if (!len)
			break;
		if (!storepath_valid(p, len)) {
			r = err_set(ERR_INVALID, "unexpected stale-path report from the node");
			break;
		}
		if (!(m = realloc(stale, (nstale + 1) * sizeof(*m)))) {
			r = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		stale = m;
		if (!(stale[nstale] = strndup(p, len))) {
			r = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		nstale++;
	}
	if (r == 0 && nstale == 0)
		r = err_set(ERR_INVALID, "unexpected stale-path report from the node");
	log_kv(LOG_INFO, "deploy", "paths registered but gone from the disk; unregistering them", "node", n->name,
	       (const char *)NULL);
	if (r == 0 && (r = remote_purge(&cmd, stale, nstale)) == 0 &&
	    (r = deploy_run_step(job, n, ex, s, STEP_COPY, cmd.data, NULL, res)) < 0)
		err_set(r, "%zu path%s registered but gone from the disk (%s%s), and Nix would not unregister %s: %s",
			nstale, nstale > 1 ? "s are" : " is", stale[0], nstale > 1 ? ", ..." : "", nstale > 1 ? "them" : "it",
			n->fail.stderr_tail);
	if (r < 0) {
		n->fail.step = "copy";
		snprintf(n->fail.message, sizeof(n->fail.message), "%s", err_msg());
	}
	fleet_free_paths(stale, nstale);
	buf_release(&cmd);
	return r;
}
