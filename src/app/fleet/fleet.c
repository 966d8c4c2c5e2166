/* What deploy, status, generations and rollback share: executors per target, node probes. */
#include "app/fleet/fleet.h"
#include "util/err.h"
#include "util/pool.h"
#include "util/shell.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

bool fleet_is_local(const struct target *t)
{
	return strcmp(t->transport, TARGET_TRANSPORT_LOCAL) == 0;
}

struct executor *fleet_executor(const struct fleet *f, const struct target *t)
{
	return fleet_executor_in(&f->executors, t);
}

struct executor *fleet_executor_in(const struct executor_set *set, const struct target *t)
{
	struct executor *ex = executor_set_find(set, t->transport);
	char have[EXECUTOR_TRANSPORTS_MAX * (TARGET_TRANSPORT_MAX + 2) + 1] = "", name[TARGET_FORMAT_MAX];
	size_t i, len = 0;

	if (ex)
		return ex;
	for (i = 0; i < set->n; i++)
		len += (size_t)snprintf(have + len, sizeof(have) - len, "%s%s", i ? ", " : "", set->items[i].transport);
	target_format(t, name, sizeof(name));
	err_set(ERR_UNSUPPORTED, "no transport '%s' to reach '%s': expected one of: %s",
		t->transport[0] ? t->transport : TARGET_TRANSPORT_SSH, name, set->n ? have : "(none)");
	return NULL;
}

struct node_settings fleet_settings(const struct fleet *f, const struct target *t)
{
	struct node_settings ns = { 0 };

	if (f->node_settings)
		f->node_settings(t, &ns, f->node_settings_arg);
	return ns;
}

const char *fleet_profile(const struct fleet *f, const struct target *t, const char *dflt)
{
	struct node_settings ns = fleet_settings(f, t);

	return ns.profile ? ns.profile : dflt;
}

const char *fleet_activate(const struct fleet *f, const struct target *t, const char *dflt)
{
	struct node_settings ns = fleet_settings(f, t);

	return ns.activate ? ns.activate : dflt;
}

enum goal node_settings_goal(const struct node_settings *ns, enum goal dflt)
{
	enum goal g = dflt;

	/* The inventory checked the name; one that does not parse leaves DFLT. */
	if (ns->goal && goal_parse(ns->goal, &g) < 0)
		g = dflt;
	return g;
}

enum goal fleet_goal(const struct fleet *f, const struct target *t, enum goal dflt)
{
	struct node_settings ns = fleet_settings(f, t);

	return node_settings_goal(&ns, dflt);
}

void fleet_node_name(const struct target *t, char *buf, size_t len)
{
	target_format(t, buf, len);
}

void fleet_node_ident(const struct target_list *targets, size_t i, size_t *index, struct target *target,
		      char name[TARGET_FORMAT_MAX])
{
	*index = i;
	*target = targets->items[i];
	fleet_node_name(&targets->items[i], name, TARGET_FORMAT_MAX);
}

int fleet_fanout(size_t n, int parallel, pool_job_fn fn, void *job, pthread_mutex_t *lock)
{
	int r;

	pthread_mutex_init(lock, NULL);
	r = pool_run(n, parallel, fn, job);
	pthread_mutex_destroy(lock);
	return r;
}

int fleet_connect(const struct fleet *f, const struct target *t, struct executor **ex, struct exec_session **s,
		  struct fleet_failure *fail)
{
	int r = ERR_UNSUPPORTED;

	err_clear();
	*s = NULL;
	if ((*ex = fleet_executor(f, t)))
		r = (*ex)->ops->connect(*ex, t, s);
	if (r < 0)
		fleet_fail(fail, "connect", r);
	return r < 0 ? r : 0;
}

/* Keep the last FLEET_TAIL bytes of B, NUL-terminated, in OUT. */
static void tail_of(const struct buf *b, char *out)
{
	size_t from = b->len > FLEET_TAIL ? b->len - FLEET_TAIL : 0;

	memcpy(out, b->data + from, b->len - from);
	out[b->len - from] = 0;
}

void fleet_fail(struct fleet_failure *fail, const char *step, int r)
{
	fail->step = step;
	fail->err = r;
	fail->status = -1;
	snprintf(fail->message, sizeof(fail->message), "%s", err_msg());
}

void fleet_fail_cancelled(struct fleet_failure *fail)
{
	fail->step = "cancelled";
	fail->err = ERR_BUSY;
	fail->status = -1;
	snprintf(fail->message, sizeof(fail->message),
		 "not started: the operation was stopped before this node's turn (nothing was done to it)");
}

/*
 * What stopped a command, when its stderr says it in words a user looks for: the system's
 * own message for a full disk, a quota, a read-only store or a missing permission. NULL when
 * none is there.
 */
static const char *known_cause(const struct buf *err)
{
	static const char *const causes[][2] = {
		{ "No space left on device", "No space left on device (the node's disk is full)" },
		{ "Disk quota exceeded", "Disk quota exceeded" },
		{ "Read-only file system", "Read-only file system" },
		{ "Permission denied", "Permission denied" },
	};
	size_t i;

	for (i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		if (err->len && memmem(err->data, err->len, causes[i][0], strlen(causes[i][0])))
			return causes[i][1];
	return NULL;
}

int fleet_judge(struct fleet_failure *fail, const char *step, int r, const struct exec_result *res)
{
	const char *cause;

	if (r < 0) {
		fleet_fail(fail, step, r);
		tail_of(&res->err, fail->stderr_tail);
		return r;
	}
	if (res->status == 0)
		return 0;
	fail->step = step;
	fail->err = 0;
	fail->status = res->status;
	tail_of(&res->err, fail->stderr_tail);
	if (res->signal[0])
		snprintf(fail->message, sizeof(fail->message), "%s killed by signal %s", step, res->signal);
	else if ((cause = known_cause(&res->err)) != NULL)
		snprintf(fail->message, sizeof(fail->message), "%s failed: %s", step, cause);
	else
		snprintf(fail->message, sizeof(fail->message), "%s exited with status %d", step, res->status);
	return ERR_IO;
}

int fleet_step(const struct fleet *f, struct executor *ex, struct exec_session *s, const char *step,
	       const char *cmd, const struct exec_input *in, struct exec_result *res, struct fleet_failure *fail)
{
	struct exec_opts o = { .timeout_s = f->step_timeout_s, .input = in };

	err_clear();
	return fleet_judge(fail, step, ex->ops->run(s, cmd, &o, res), res);
}

long fleet_activation_limit(const struct fleet *f)
{
	if (f->activation_timeout_s <= 0)
		return f->step_timeout_s;
	if (f->step_timeout_s > 0 && f->step_timeout_s < f->activation_timeout_s)
		return f->step_timeout_s;
	return f->activation_timeout_s;
}

int fleet_step_activation(const struct fleet *f, struct executor *ex, struct exec_session *s, const char *step,
			  const char *cmd, struct exec_result *res, struct fleet_failure *fail)
{
	struct exec_opts o = { .timeout_s = fleet_activation_limit(f) };

	err_clear();
	return fleet_judge(fail, step, ex->ops->run(s, cmd, &o, res), res);
}

int fleet_read_profile(const struct fleet *f, struct executor *ex, struct exec_session *s, const char *step,
		       const char *profile, const char *expected, struct gen_list *gens, struct fleet_failure *fail)
{
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	size_t n, want = strlen(expected);
	int r;

	exec_result_init(&res);
	if (want && (r = remote_probe_resolved(&cmd, profile)) == 0 &&
	    fleet_step(f, ex, s, step, cmd.data, NULL, &res, fail) == 0) {
		for (n = res.out.len; n && res.out.data[n - 1] == '\n'; n--)
			;
		if (n == want && memcmp(res.out.data, expected, n) == 0) {
			snprintf(gens->current_path, sizeof(gens->current_path), "%s", expected);
			r = 0;
			goto out;
		}
	}
	memset(fail, 0, sizeof(*fail));
	buf_reset(&cmd);
	exec_result_release(&res);
	exec_result_init(&res);
	if ((r = remote_probe_current(&cmd, profile)) == 0 &&
	    (r = fleet_step(f, ex, s, step, cmd.data, NULL, &res, fail)) == 0 &&
	    (r = fleet_parse_probe(profile, &res.out, gens, NULL, NULL)) < 0)
		fleet_fail(fail, step, r);
out:
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

void fleet_free_paths(char **paths, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

int fleet_parse_probe(const char *profile, const struct buf *out, struct gen_list *gens, char ***missing,
		      size_t *nmissing)
{
	struct buf rest = BUF_INIT(out->len + 1);
	const char *p = out->data, *end = out->data + out->len, *base = strrchr(profile, '/');
	char **list = NULL, q[128];
	size_t n = 0, cap = 0;
	int r = 0;

	base = base ? base + 1 : profile;
	if (missing) {
		*missing = NULL;
		*nmissing = 0;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len >= STOREPATH_PREFIX_LEN && memcmp(p, STOREPATH_PREFIX, STOREPATH_PREFIX_LEN) == 0) {
			if (!missing || !storepath_valid(p, len)) {
				r = err_set(ERR_INVALID, "unexpected line '%s' from the node", err_quote(q, sizeof(q), p, len));
				goto out;
			}
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				char **m = realloc(list, ncap * sizeof(*m));

				if (!m) {
					r = err_set(ERR_NOMEM, "out of memory");
					goto out;
				}
				list = m;
				cap = ncap;
			}
			if (!(list[n] = strndup(p, len))) {
				r = err_set(ERR_NOMEM, "out of memory");
				goto out;
			}
			n++;
		} else if (buf_add(&rest, p, len) < 0 || buf_addc(&rest, '\n') < 0) {
			r = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
		p += len + 1;
	}
	r = gen_list_parse(gens, base, rest.data, rest.len);
out:
	buf_release(&rest);
	if (r < 0 || !missing) {
		fleet_free_paths(list, n);
	} else {
		*missing = list;
		*nmissing = n;
	}
	return r;
}

/* Append PAYLOAD (taking the reference) dumped with FLAGS. */
static int record_dumped(struct ledger *l, size_t flags, const char *topic, const char *deployment, const char *node,
			 json_t *payload, int64_t *seq)
{
	char *text = json_dumps(payload, flags);
	int r;

	json_decref(payload);
	if (!text)
		return err_set(ERR_NOMEM, "out of memory");
	r = ledger_append1(l, topic, deployment, node, text, seq);
	free(text);
	return r;
}

int fleet_record(struct ledger *l, const char *topic, const char *deployment, const char *node, void *payload,
		 int64_t *seq)
{
	return record_dumped(l, JSON_COMPACT | JSON_SORT_KEYS, topic, deployment, node, payload, seq);
}

int fleet_record_ordered(struct ledger *l, const char *topic, const char *deployment, const char *node, void *payload,
			 int64_t *seq)
{
	return record_dumped(l, JSON_COMPACT, topic, deployment, node, payload, seq);
}

void fleet_keep_ledger_error(int r, int *err, char *msg, size_t len)
{
	if (r < 0 && *err == 0) {
		*err = r;
		snprintf(msg, len, "%s", err_msg());
	}
}
