/* Magic rollback: confirm a node over a new connection, else wait for its dead-man switch and see where it went. */
#include "app/fleet/deploy_internal.h"
#include "util/clock.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

/*
 * The node was not confirmed (WHY says how that went): its dead-man switch fires at
 * armed_at + confirm_s. Wait for that, reconnect (retrying, for up to 20 s more) and see
 * where the profile is: back on the previous generation is "rolled back by the node".
 */
int deploy_magic_wait(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct conv *c,
		      const char *why)
{
	const int64_t fires = c->armed_at + job->opts->confirm_s * 1000, give_up = fires + 20000;
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	struct gen_list gens;
	struct fleet_failure ignored;
	char result[64] = "", last[256] = "";
	int back = 0, reached = 0;

	exec_result_init(&res);
	gen_list_init(&gens);
	deploy_job_record(job, n, "chimera.rollback.triggered",
	       json_pack("{s:s, s:s, s:s, s:s, s:I}", "reason", "not confirmed", "detail", why, "by", "node", "to",
			 n->previous, "to_generation", (json_int_t)n->previous_gen));
	while (clock_mono_ms() < fires + 1000)
		clock_sleep_ms(200);
	while (!reached && clock_mono_ms() < give_up) {
		struct exec_session *s2 = NULL;
		int64_t tried = clock_mono_ms();

		if (ex->ops->connect(ex, &n->target, &s2) < 0) {
			snprintf(last, sizeof(last), "%s", err_msg());
			while (clock_mono_ms() < tried + 1000)
				clock_sleep_ms(100);
			continue;
		}
		reached = 1;
		buf_reset(&cmd);
		if (remote_deadman_report(&cmd, c->armed) == 0 && deploy_quiet_run(job, ex, s2, cmd.data, &res) == 0)
			snprintf(result, sizeof(result), "%.*s", (int)strcspn(res.out.data, "\n"), res.out.data);
		gen_list_release(&gens);
		gen_list_init(&gens);
		back = fleet_read_profile(&job->ctx->fleet, ex, s2, "confirm", n->profile, n->previous, &gens,
					  &ignored) == 0 &&
		       strcmp(gens.current_path, n->previous) == 0;
		ex->ops->disconnect(s2);
	}
	n->rolled_back_by_node = back;
	n->restored = back ? 1 : -1;
	if (back)
		err_set(ERR_IO, "no confirmation over a new connection (%s): the node rolled itself back to generation %u",
			why, n->previous_gen);
	else if (reached)
		err_set(ERR_IO, "no confirmation over a new connection (%s), and the node is not back on generation %u"
			" (dead-man switch: %s)", why, n->previous_gen, result[0] ? result : "no result");
	else
		err_set(ERR_IO, "no confirmation over a new connection (%s), and still unreachable after its dead-man"
			" switch was due: %s", why, last);
	if (!back)
		snprintf(n->restore_error, sizeof(n->restore_error), "%s", err_msg());
	fleet_fail(&n->fail, "confirm", ERR_IO);
	deploy_job_record(job, n, "node.rollback.complete",
	       json_pack("{s:b, s:s, s:s, s:I, s:s}", "ok", back, "by", "node", "path", n->previous, "generation",
			 (json_int_t)n->previous_gen, "error", back ? "" : n->fail.message));
	gen_list_release(&gens);
	exec_result_release(&res);
	buf_release(&cmd);
	return ERR_IO;
}

/* Confirm the activation over a new connection, which is what the new configuration must still allow. */
int deploy_magic_confirm(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct conv *c)
{
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	struct exec_session *s2 = NULL;
	char why[300] = "";
	int64_t t0 = clock_mono_ms();
	int r;

	exec_result_init(&res);
	if (n->step != STEP_CONFIRM)
		deploy_job_enter(job, n, STEP_CONFIRM);
	if ((r = ex->ops->connect(ex, &n->target, &s2)) < 0) {
		snprintf(why, sizeof(why), "%s", err_msg());
	} else {
		if ((r = remote_confirm(&cmd, c->armed)) == 0 && (r = deploy_quiet_run(job, ex, s2, cmd.data, &res)) < 0)
			snprintf(why, sizeof(why), "the node's own switch had already fired");
		ex->ops->disconnect(s2);
	}
	deploy_add_step_ms(n, STEP_CONFIRM, t0);
	exec_result_release(&res);
	buf_release(&cmd);
	if (r == 0)
		return 0;
	/* The wait for the node's own switch counts from here: the attempt is counted above. */
	t0 = clock_mono_ms();
	r = deploy_magic_wait(job, n, ex, c, why);
	deploy_add_step_ms(n, STEP_CONFIRM, t0);
	return r;
}

