/* One node's deploy command as it runs: its step markers read as they come, the check answered on stdin. */
#include "app/fleet/deploy_internal.h"
#include "app/ledger/witness.h"
#include "remote/deadman.h"
#include "remote/witness.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

static void conv_sent(uint64_t bytes, void *arg)
{
	struct conv *c = arg;

	c->n->sent = bytes > c->in.head_len ? bytes - c->in.head_len : 0;
}

/* The end of step DONE: its time (added: the check may have had a part before), and NEXT begins. */
static unsigned conv_mark(struct conv *c, enum deploy_step done, enum deploy_step next)
{
	int64_t now = clock_mono_ms();

	const struct fleet *f = &c->job->ctx->fleet;

	c->n->step_ms[done] = (c->n->step_ms[done] > 0 ? c->n->step_ms[done] : 0) + now - c->t;
	c->t = now;
	c->limit_s = next == STEP_ACTIVATE ? fleet_activation_limit(f) : f->step_timeout_s;
	if (c->n->step != next)
		deploy_job_enter(c->job, c->n, next);
	return EXEC_WATCH_RESTART;
}

/*
 * The check's output (the LEN bytes at OUT) into CHECK without remote_deadman_any's line;
 * *ANY says whether it was there.
 */
static int take_check(const char *out, size_t len, struct buf *check, int *any)
{
	static const char mark[] = REMOTE_DEADMAN_ANY "\n";
	const size_t mlen = sizeof(mark) - 1;
	size_t i;

	*any = 0;
	for (i = 0; i + mlen <= len; i++)
		if ((i == 0 || out[i - 1] == '\n') && memcmp(out + i, mark, mlen) == 0) {
			*any = 1;
			return buf_add(check, out, i) < 0 || buf_add(check, out + i + mlen, len - i - mlen) < 0
				       ? err_set(ERR_NOMEM, "out of memory")
				       : 0;
		}
	return buf_add(check, out, len) < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}

/*
 * The ledger's signed head, for the node to keep (the fleet witnesses the ledger:
 * app/ledger/witness.h), then WITNESS_END; only WITNESS_END when the ledger signs none.
 */
static int add_witness(struct conv *c)
{
	struct ledger *l = c->job->ctx->fleet.ledger;
	struct buf text = BUF_INIT(0);

	if (l && l->trust) {
		if (witness_text(l, &text) == 0) {
			if (text.len && text.data[text.len - 1] != '\n' && buf_addc(&text, '\n') < 0)
				buf_reset(&text);
			if (buf_add(&c->head, text.data, text.len) < 0)
				return err_set(ERR_NOMEM, "out of memory");
		} else {
			log_kv(LOG_WARN, "ledger", "cannot leave the witness", "node", c->n->name, "error", err_msg(),
			       (const char *)NULL);
		}
	}
	buf_release(&text);
	return buf_adds(&c->head, WITNESS_END "\n") < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}

/* The check is done (its output is the first LEN bytes of OUT): answer it. */
static unsigned conv_ready(struct conv *c, const char *out, size_t len)
{
	const struct deploy_opts *o = c->job->opts;
	struct deploy_node *n = c->n;
	struct buf check = BUF_INIT(0);
	const char *mode;
	char gen[16] = "-";
	size_t i;
	int any, r;

	c->ready = 1;
	if ((r = take_check(out, len, &check, &any)) == 0)
		r = fleet_parse_probe(n->profile, &check, &c->gens, &c->missing, &c->nmissing);
	buf_release(&check);
	conv_mark(c, STEP_CHECK, STEP_CHECK);
	if (r < 0) {
		fleet_fail(&n->fail, "check", r);
		c->stop = 1;
		c->err = r;
		return EXEC_WATCH_RELEASE;
	}
	if (c->gens.warning[0])	/* a malformed generation link: skipped (core/profile.h), the deploy goes on */
		log_kv(LOG_WARN, "deploy", c->gens.warning, "node", n->name, "profile", n->profile, (const char *)NULL);
	snprintf(n->previous, sizeof(n->previous), "%s", c->gens.current_path);
	n->previous_gen = c->gens.current;
	if (o->dry_run) {
		n->copy_paths = c->nmissing;
		for (i = 0; i < c->nmissing; i++)
			n->copy_bytes += deploy_job_nar_size(c->job, c->missing[i]);
		c->stop = 1;
		return EXEC_WATCH_RELEASE;
	}
	/* Switches left by earlier operations come first: stop here, settle them, start again. */
	if (any && !c->settled) {
		c->settle = 1;
		c->stop = 1;
		return EXEC_WATCH_RELEASE;
	}
	mode = deploy_switches(n, c->job->rep->path) ? "set" : "valid";
	if (o->confirm_s > 0 && n->previous_gen > 0)
		snprintf(gen, sizeof(gen), "%u", n->previous_gen);
	if (c->nmissing) {
		if ((r = deploy_spool_get(&c->job->spool, c->missing, c->nmissing, &c->in.fd, &c->in.len)) < 0) {
			fleet_fail(&n->fail, "copy", r);
			n->step_ms[STEP_COPY] = clock_mono_ms() - c->t;
			c->stop = 1;
			c->err = r;
			return EXEC_WATCH_RELEASE;
		}
		c->copying = 1;
		n->sent = 0;
		deploy_job_enter(c->job, n, STEP_COPY);
	} else {
		n->step_ms[STEP_COPY] = 0;
		deploy_job_enter(c->job, n, STEP_SWITCH);
	}
	buf_reset(&c->head);
	if (buf_printf(&c->head, "%s %s %s\n", c->nmissing ? "copy" : "-", mode, gen) < 0 ||
	    (r = add_witness(c)) < 0) {
		fleet_fail(&n->fail, c->copying ? "copy" : "switch", ERR_NOMEM);
		c->stop = 1;
		c->err = ERR_NOMEM;
		return EXEC_WATCH_RELEASE;
	}
	c->in.head_len = c->head.len;
	c->in.head = c->head.data;
	return EXEC_WATCH_RELEASE | EXEC_WATCH_RESTART;
}

/* Called as output arrives: act on each whole new marker line. */
static unsigned conv_watch(const struct exec_result *res, void *arg)
{
	static const char act[] = "chimera-activation ", prof[] = "chimera-profile ", armed[] = "chimera-armed ";
	struct conv *c = arg;
	const char *data = res->out.data;
	unsigned flags = 0;

	for (;;) {
		const char *line = data + c->scanned;
		const char *nl = memchr(line, '\n', res->out.len - c->scanned);
		size_t len;

		if (!nl)
			break;
		len = (size_t)(nl - line);
		c->scanned += len + 1;
#define IS(lit) (len == sizeof(lit) - 1 && memcmp(line, lit, len) == 0)
		if (!c->ready && !c->switched && IS("chimera-ready"))
			flags |= conv_ready(c, data, (size_t)(line - data));
		else if (c->ready && IS(WITNESS_FAILED))
			log_kv(LOG_WARN, "ledger", "cannot leave the witness", "node", c->n->name, "error",
			       "writing " WITNESS_PATH " failed on the node", (const char *)NULL);
		else if (c->copying && !c->copied && IS("chimera-copied"))
			c->copied = 1, flags |= conv_mark(c, STEP_COPY, STEP_SWITCH);
		else if (!c->switched && IS("chimera-switched"))
			c->switched = 1, flags |= conv_mark(c, STEP_SWITCH, STEP_ACTIVATE);
		else if (c->switched && !c->activated && !c->kind[0] && len > sizeof(act) - 1 &&
			 memcmp(line, act, sizeof(act) - 1) == 0)
			snprintf(c->kind, sizeof(c->kind), "%.*s", (int)(len - (sizeof(act) - 1)), line + sizeof(act) - 1),
				c->act_from = c->scanned;
		else if (c->switched && !c->activated && !c->armed[0] && len > sizeof(armed) - 1 &&
			 memcmp(line, armed, sizeof(armed) - 1) == 0 &&
			 remote_token_check(line + sizeof(armed) - 1, len - (sizeof(armed) - 1)) == 0) {
			snprintf(c->armed, sizeof(c->armed), "%.*s", (int)(len - (sizeof(armed) - 1)), line + sizeof(armed) - 1);
			c->armed_at = clock_mono_ms();
		} else if (c->switched && !c->activated && IS("chimera-activated"))
			c->activated = 1, c->act_to = (size_t)(line - data), flags |= conv_mark(c, STEP_ACTIVATE, STEP_CONFIRM);
		else if (c->activated && len > sizeof(prof) - 1 && memcmp(line, prof, sizeof(prof) - 1) == 0) {
			snprintf(c->profile, sizeof(c->profile), "%.*s", (int)(len - (sizeof(prof) - 1)),
				 line + sizeof(prof) - 1);
			c->confirmed = 1;
			c->n->step_ms[STEP_CONFIRM] = clock_mono_ms() - c->t;
		}
#undef IS
	}
	return flags;
}

/*
 * Run CMD (a remote_deploy command) and judge it by the step it was in. With CHECK, the
 * command starts with the check and waits for conv_ready's answer on stdin.
 */
int deploy_converse(struct conv *c, struct executor *ex, struct exec_session *s, const char *cmd, int check,
		    struct exec_result *res)
{
	struct exec_opts o = { .timeout_s = c->job->ctx->fleet.step_timeout_s, .input = check ? &c->in : NULL,
			       .hold_input = check, .watch = conv_watch, .watch_arg = c, .restart_timeout_s = &c->limit_s };
	int r;

	c->limit_s = c->job->ctx->fleet.step_timeout_s;
	exec_result_release(res);
	exec_result_init(res);
	c->scanned = 0;
	c->t = clock_mono_ms();
	err_clear();
	r = ex->ops->run(s, cmd, &o, res);
	if (c->stop && c->err)
		return c->err;
	return fleet_judge(&c->n->fail, deploy_step_name(c->n->step), r, res);
}

/* Back to a conversation not yet started (the session and node stay). */
void deploy_conv_reset(struct conv *c)
{
	fleet_free_paths(c->missing, c->nmissing);
	gen_list_release(&c->gens);
	gen_list_init(&c->gens);
	buf_reset(&c->head);
	*c = (struct conv){ .job = c->job, .n = c->n, .in = { .fd = -1, .sent = conv_sent, .arg = c }, .gens = c->gens,
			    .head = c->head };
	memset(&c->n->fail, 0, sizeof(c->n->fail));
}

void deploy_conv_init(struct conv *c, struct deploy_job *job, struct deploy_node *n)
{
	*c = (struct conv){ .job = job, .n = n, .in = { .fd = -1, .sent = conv_sent, .arg = c }, .head = BUF_INIT(0) };
	gen_list_init(&c->gens);
}

void deploy_conv_release(struct conv *c)
{
	fleet_free_paths(c->missing, c->nmissing);
	gen_list_release(&c->gens);
	buf_release(&c->head);
}
