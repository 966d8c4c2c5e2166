/* Store repair without a binary cache: registered paths gone from a node's disk or changed, restored from the controller's copy. */
#include "app/fleet/repair.h"
#include "app/fleet/deploy_internal.h"
#include "remote/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

/*
 * The failure of N's repair of PATH: R, with a message that names the path and WHY. ERR
 * goes in N->fail.err: the executor's error, or 0 when the node ran the command and refused.
 */
static int repair_failed(struct deploy_node *n, int r, int err, const char *path, const char *why)
{
	err_set(r, "cannot repair %s: %s", path, why);
	n->fail.step = "copy";
	n->fail.err = err;
	snprintf(n->fail.message, sizeof(n->fail.message), "%s", err_msg());
	return r;
}

/* The controller's NAR of PATH, in a new unlinked file under the job's spool directory: *FD and *LEN. */
static int dump_nar(struct deploy_job *job, const char *path, int *fd, uint64_t *len)
{
	struct nix *nx = job->ctx->nix;
	char tmpl[4096];
	struct stat st;
	int r;

	if (!nx->ops->dump_path)
		return err_set(ERR_UNSUPPORTED, "the %s nix cannot dump store paths", nx->ops->name);
	snprintf(tmpl, sizeof(tmpl), "%s/chimera-nar-XXXXXX", job->spool.dir ? job->spool.dir : "/tmp");
	if ((*fd = mkostemp(tmpl, O_CLOEXEC)) < 0)
		return err_set_errno(ERR_IO, errno, "cannot make a file for the NAR in '%s'", job->spool.dir);
	unlink(tmpl);
	if ((r = nx->ops->dump_path(nx, path, *fd)) == 0 && fstat(*fd, &st) < 0)
		r = err_set_errno(ERR_IO, errno, "cannot stat the NAR of %s", path);
	if (r < 0) {
		close(*fd);
		*fd = -1;
		return r;
	}
	*len = (uint64_t)st.st_size;
	return 0;
}

/* Why remote_store_restore ended with K (not REPAIR_DONE; REG and GOT its hashes), in WHY. */
static void restore_why(const struct deploy_node *n, enum remote_repair_result k, const char *reg, const char *got,
			char *why, size_t len)
{
	switch (k) {
	case REPAIR_MISMATCH:
		snprintf(why, len,
			 "the node registered its NAR hash as %s but the controller's copy hashes to %s (not the same "
			 "build); left as it is",
			 reg[0] ? reg : "?", got[0] ? got : "?");
		break;
	case REPAIR_UNREGISTERED:
		snprintf(why, len, "it is not registered on the node");
		break;
	case REPAIR_READONLY:
		snprintf(why, len, "/nix/store is read-only on the node and could not be remounted writable");
		break;
	default:
		snprintf(why, len, "%s%s%.300s", n->fail.message, n->fail.stderr_tail[0] ? ": " : "",
			 n->fail.stderr_tail);
		break;
	}
}

/* Restore PATH on N from the controller's copy; WAS ("gone", "modified") goes in node.store.repaired. */
static int repair_one(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
		      const char *path, const char *was)
{
	struct exec_input in = { .fd = -1 };
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	int64_t t0 = clock_mono_ms();
	char why[700], reg[REMOTE_HASH_MAX], got[REMOTE_HASH_MAX];
	enum remote_repair_result k;
	int r;

	exec_result_init(&res);
	if ((r = dump_nar(job, path, &in.fd, &in.len)) < 0) {
		snprintf(why, sizeof(why), "%s", err_msg());
		repair_failed(n, r, r, path, why);
		goto out;
	}
	if ((r = remote_store_restore(&cmd, path)) < 0)
		goto out;
	log_kv(LOG_INFO, "repair", "restoring a store path from the controller's copy", "node", n->name, "path", path,
	       "was", was, (const char *)NULL);
	r = deploy_run_step(job, n, ex, s, STEP_COPY, cmd.data, &in, &res);
	if ((k = remote_store_restore_parse(&res.out, reg, got)) != REPAIR_DONE || r < 0) {
		restore_why(n, k, reg, got, why, sizeof(why));
		r = repair_failed(n, r < 0 ? r : ERR_IO, n->fail.err, path, why);
		goto out;
	}
	n->copy_bytes += in.len;
	deploy_job_record(job, n, "node.store.repaired",
			  json_pack("{s:s, s:s, s:I, s:I}", "path", path, "was", was, "bytes", (json_int_t)in.len, "ms",
				    (json_int_t)(clock_mono_ms() - t0)));
out:
	if (in.fd >= 0)
		close(in.fd);
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

int deploy_repair_stale(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
			struct exec_result *res)
{
	static const char mark[] = "chimera-stale ";
	const char *line = strstr(res->out.data, mark), *p;
	char **stale = NULL;
	size_t nstale = 0, len, i;
	int r = 0;

	if (!line) {
		fleet_fail(&n->fail, "copy", ERR_IO);
		return ERR_IO;
	}
	for (p = line + sizeof(mark) - 1; *p && *p != '\n'; p += len) {
		char **m;

		p += strspn(p, " ");
		if (!(len = strcspn(p, " \n")))
			break;
		if (!storepath_valid(p, len)) {
			r = err_set(ERR_INVALID, "unexpected stale-path report from the node");
			break;
		}
		if (!(m = realloc(stale, (nstale + 1) * sizeof(*m))) || !(m[nstale] = strndup(p, len))) {
			stale = m ? m : stale;
			r = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		stale = m;
		nstale++;
	}
	if (r == 0 && nstale == 0)
		r = err_set(ERR_INVALID, "unexpected stale-path report from the node");
	if (r < 0)
		fleet_fail(&n->fail, "copy", r);
	else
		log_kv(LOG_INFO, "deploy", "paths registered but gone from the disk; restoring them", "node", n->name,
		       (const char *)NULL);
	for (i = 0; r == 0 && i < nstale; i++)
		r = repair_one(job, n, ex, s, stale[i], "gone");
	fleet_free_paths(stale, nstale);
	return r;
}

int deploy_repair_closure(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s)
{
	struct buf cmd = BUF_INIT(0), list = BUF_INIT(0);
	struct exec_result res;
	struct exec_input in = { .fd = -1 };
	char **damaged = NULL;
	size_t ndamaged = 0, i;
	int r = 0;

	exec_result_init(&res);
	for (i = 0; r == 0 && i < job->closure.n; i++)
		if (buf_adds(&list, job->closure_paths[i]) < 0 || buf_addc(&list, '\n') < 0)
			r = err_set(ERR_NOMEM, "out of memory");
	in.head = list.data;
	in.head_len = list.len;
	if (r == 0 && (r = remote_store_scan(&cmd)) == 0)
		r = deploy_run_step(job, n, ex, s, STEP_CHECK, cmd.data, &in, &res);	/* N->fail filled when it fails */
	if (r == 0 && (r = remote_store_scan_parse(&res.out, &damaged, &ndamaged)) < 0)
		fleet_fail(&n->fail, "check", r);
	else if (r < 0 && !n->fail.step)
		fleet_fail(&n->fail, "check", r);
	if (r == 0 && ndamaged)
		log_kv(LOG_INFO, "deploy", "closure paths changed on the node's disk; restoring them", "node", n->name,
		       (const char *)NULL);
	for (i = 0; r == 0 && i < ndamaged; i++)
		r = repair_one(job, n, ex, s, damaged[i], "modified");
	fleet_free_paths(damaged, ndamaged);
	exec_result_release(&res);
	buf_release(&cmd);
	buf_release(&list);
	return r < 0 ? r : (int)ndamaged;
}
