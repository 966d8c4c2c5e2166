/* Deploy's repair of a node's store: send the paths Nix finds invalid (those gone from the disk: app/fleet/repair.c). */
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
