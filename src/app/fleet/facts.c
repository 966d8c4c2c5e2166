/* Use case: gather facts about nodes in one command each, keep them in the ledger, read them back. */
#include "app/fleet/facts.h"
#include "app/fleet/deadman.h"
#include "app/config/inventory.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/pool.h"
#include "util/shell.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/banned.h"

static json_t *text_or_null(const char *s)
{
	return s[0] ? json_utf8_string(s, strlen(s)) : json_null();
}

static json_t *int_or_null(int64_t v)
{
	return v >= 0 ? json_integer((json_int_t)v) : json_null();
}

json_t *facts_json(const struct facts *f, const char *machine)
{
	json_t *o = json_object(), *disks = json_object(), *sessions = json_array(), *load, *profile;
	size_t i;

	if (!o || !disks || !sessions)
		goto fail;
	for (i = 0; i < f->ndisks; i++)
		json_object_set_new(disks, f->disks[i].path,
				    json_pack("{s:I, s:I, s:I}", "size", (json_int_t)f->disks[i].size, "used",
					      (json_int_t)f->disks[i].used, "available", (json_int_t)f->disks[i].avail));
	for (i = 0; i < f->nsessions; i++)
		json_array_append_new(sessions, json_utf8_string(f->sessions[i], strlen(f->sessions[i])));
	load = f->has_load ? json_pack("[f, f, f]", f->load[0], f->load[1], f->load[2]) : json_null();
	profile = json_pack("{s:o, s:o, s:o, s:o}", "path", text_or_null(f->profile), "link",
			    text_or_null(f->profile_link), "target", text_or_null(f->profile_target), "generation",
			    f->generation ? json_integer(f->generation) : json_null());
	json_object_set_new(o, "format", json_integer(FACTS_FORMAT));
	json_object_set_new(o, "hostname", text_or_null(f->hostname));
	json_object_set_new(o, "os", json_pack("{s:o, s:o}", "id", text_or_null(f->os_id), "version",
					       text_or_null(f->os_version)));
	json_object_set_new(o, "kernel", text_or_null(f->kernel));
	json_object_set_new(o, "arch", text_or_null(f->arch));
	json_object_set_new(o, "cpus", int_or_null(f->cpus));
	json_object_set_new(o, "memory", json_pack("{s:o, s:o}", "total", int_or_null(f->mem_total), "available",
						   int_or_null(f->mem_available)));
	json_object_set_new(o, "uptime", int_or_null(f->uptime));
	json_object_set_new(o, "load", load);
	json_object_set_new(o, "disks", disks);
	json_object_set_new(o, "nix", text_or_null(f->nix_version));
	json_object_set_new(o, "profile", profile);
	json_object_set_new(o, "sessions", sessions);
	if (machine)
		json_object_set_new(o, "machine", json_string(machine));
	/* A member that could not be made is missing: treat it as out of memory. */
	if (json_object_size(o) != (machine ? 14u : 13u) || !json_object_get(o, "os") || !load || !profile)
		goto fail_o;
	return o;
fail:
	json_decref(disks);
	json_decref(sessions);
fail_o:
	json_decref(o);
	return NULL;
}

struct stored_one {
	json_t *facts;
	int64_t seq;
	char time[CLOCK_UTC_LEN];
};

static int take_stored(const struct ledger_event *ev, void *arg)
{
	struct stored_one *s = arg;
	json_error_t jerr;

	json_decref(s->facts);
	if (!(s->facts = json_loads(ev->payload, 0, &jerr)) || !json_is_object(s->facts))
		return err_set(ERR_CORRUPT, "%s event %lld holds no JSON object", ev->topic, (long long)ev->seq);
	s->seq = ev->seq;
	memcpy(s->time, ev->time, CLOCK_UTC_LEN);
	return 0;
}

/* The newest TOPIC event of NODE, as facts_stored. */
static int stored_latest(struct ledger *l, const char *topic, const char *node, json_t **facts, int64_t *seq,
			 char time[CLOCK_UTC_LEN])
{
	struct stored_one s = { 0 };
	int r;

	*facts = NULL;
	*seq = 0;
	time[0] = '\0';
	if ((r = ledger_latest(l, topic, node, take_stored, &s)) < 0) {
		json_decref(s.facts);
		return r;
	}
	if (!s.facts)
		return 0;
	*facts = s.facts;
	*seq = s.seq;
	memcpy(time, s.time, CLOCK_UTC_LEN);
	return 1;
}

int facts_stored(struct ledger *l, const char *node, json_t **facts, int64_t *seq, char time[CLOCK_UTC_LEN])
{
	return stored_latest(l, FACTS_TOPIC, node, facts, seq, time);
}

int facts_failure(struct ledger *l, const char *node, json_t **failure, int64_t *seq, char time[CLOCK_UTC_LEN])
{
	return stored_latest(l, FACTS_FAILED_TOPIC, node, failure, seq, time);
}

struct stored_all {
	facts_stored_fn fn;
	void *arg;
};

static int visit_stored(const struct ledger_event *ev, void *arg)
{
	struct stored_all *sa = arg;
	json_error_t jerr;
	json_t *p = json_loads(ev->payload, 0, &jerr);
	int r;

	if (!p || !json_is_object(p)) {
		json_decref(p);
		return err_set(ERR_CORRUPT, "node.facts event %lld holds no JSON object", (long long)ev->seq);
	}
	r = sa->fn(ev->node, p, ev->seq, ev->time, sa->arg);
	json_decref(p);
	return r;
}

int facts_stored_all(struct ledger *l, facts_stored_fn fn, void *arg)
{
	struct stored_all sa = { fn, arg };

	return ledger_latest(l, FACTS_TOPIC, NULL, visit_stored, &sa);
}

static int add_stored_node(const char *node, const json_t *payload, int64_t seq, const char *time, void *arg)
{
	struct buf *spec = arg;

	if (spec->len && buf_addc(spec, ',') < 0)
		return ERR_NOMEM;
	return buf_adds(spec, node) < 0 ? ERR_NOMEM : 0;
}

int facts_stored_targets(struct ledger *l, struct buf *spec)
{
	int r = facts_stored_all(l, add_stored_node, spec);

	if (r == ERR_NOMEM)
		return err_set(ERR_NOMEM, "out of memory");
	if (r == 0 && spec->len == 0)
		return err_set(ERR_INVALID, "no targets: give -t TARGETS (there is no inventory, and no node has "
					    "stored facts yet)");
	return r;
}

struct facts_job {
	const struct facts_ctx *ctx;
	const struct facts_request *req;
	struct facts_report *rep;
	size_t *todo;		/* indexes of the nodes to gather */
	pthread_mutex_t lock;
	size_t done;
	size_t total;
};

/* The time of event SEQ, read back: the ledger sets it. */
static int time_of(const struct ledger_event *ev, void *arg)
{
	memcpy(arg, ev->time, CLOCK_UTC_LEN);
	return 1;
}

static int gather(struct facts_job *job, const struct facts_request *q, struct facts_node *n)
{
	const struct fleet *fl = job->ctx->fleet;
	struct executor *ex = NULL;
	struct exec_session *s = NULL;
	struct exec_result res;
	struct buf cmd = BUF_INIT(0);
	struct facts f;
	struct ledger_filter back = { .topic = FACTS_TOPIC, .limit = 1 };
	int r;

	exec_result_init(&res);
	facts_init(&f);
	if ((r = fleet_connect(fl, &q->target, &ex, &s, &n->fail)) < 0)
		goto out;
	/* The dead-man glob first: its lines come before the facts' header, where the parser skips noise. */
	if ((r = remote_deadman_fired(&cmd)) < 0 || (r = facts_script(&cmd, q->profile)) < 0) {
		fleet_fail(&n->fail, "facts", r);
		goto out;
	}
	if ((r = fleet_step(fl, ex, s, "facts", cmd.data, NULL, &res, &n->fail)) < 0)
		goto out;
	if (deadman_fired_seen(&res.out))
		deadman_notice(fl, ex, s, n->name, "facts", NULL);
	if ((r = facts_parse(res.out.data ? res.out.data : "", res.out.len, &f)) < 0) {
		fleet_fail(&n->fail, "parse", r);
		goto out;
	}
	if (!(n->facts = facts_json(&f, q->machine))) {
		r = err_set(ERR_NOMEM, "out of memory");
		fleet_fail(&n->fail, "facts", r);
		goto out;
	}
	/* fleet_record takes a reference: keep ours for the report. */
	json_incref(n->facts);
	if ((r = fleet_record(fl->ledger, FACTS_TOPIC, NULL, n->name, n->facts, &n->seq)) < 0) {
		pthread_mutex_lock(&job->lock);
		fleet_keep_ledger_error(r, &job->rep->ledger_err, job->rep->ledger_msg, sizeof(job->rep->ledger_msg));
		pthread_mutex_unlock(&job->lock);
		r = 0;	/* the node answered; the report says the ledger did not take it */
		goto out;
	}
	back.since = n->seq - 1;
	if (ledger_scan(fl->ledger, &back, time_of, n->time) < 0)
		clock_format_utc(clock_wall_ms(), n->time);
out:
	if (s)
		ex->ops->disconnect(s);
	facts_release(&f);
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

static void gather_one(size_t i, void *arg)
{
	struct facts_job *job = arg;
	size_t k = job->todo[i];
	struct facts_node *n = &job->rep->nodes[k];
	int64_t t0 = clock_mono_ms();
	int r;

	if (fleet_stopped(job->ctx->fleet)) {
		fleet_fail_cancelled(&n->fail);
		r = ERR_BUSY;
	} else {
		r = gather(job, &job->req[k], n);
	}
	n->ms = clock_mono_ms() - t0;
	if (r < 0) {
		log_kv(LOG_WARN, "facts", "node failed", "node", n->name, "step", n->fail.step, "error",
		       n->fail.message, (const char *)NULL);
		/* So that the facts kept are known to be older than the last try. */
		if (fleet_record(job->ctx->fleet->ledger, FACTS_FAILED_TOPIC, NULL, n->name,
				 json_pack("{s:s, s:s}", "step", n->fail.step ? n->fail.step : "facts", "error",
					   n->fail.message),
				 NULL) < 0) {
			pthread_mutex_lock(&job->lock);
			fleet_keep_ledger_error(ERR_IO, &job->rep->ledger_err, job->rep->ledger_msg,
						sizeof(job->rep->ledger_msg));
			pthread_mutex_unlock(&job->lock);
		}
	}
	pthread_mutex_lock(&job->lock);
	if (r < 0)
		job->rep->failed++;
	else
		job->rep->gathered++;
	job->done++;
	if (job->ctx->progress.node_done)
		job->ctx->progress.node_done(n, job->done, job->total, job->ctx->progress.arg);
	pthread_mutex_unlock(&job->lock);
}

int facts_run(const struct facts_ctx *ctx, const struct facts_request *req, size_t n, struct facts_report *rep)
{
	struct facts_job job = { .ctx = ctx, .req = req, .rep = rep };
	int64_t t0 = clock_mono_ms();
	size_t i, ntodo = 0;
	int r = 0;

	memset(rep, 0, sizeof(*rep));
	if (!(rep->nodes = calloc(n ? n : 1, sizeof(*rep->nodes))) || !(job.todo = calloc(n ? n : 1, sizeof(size_t)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	rep->n = n;
	for (i = 0; i < n; i++) {
		struct facts_node *fn = &rep->nodes[i];

		fn->target = req[i].target;
		fn->machine = req[i].machine;
		fleet_node_name(&req[i].target, fn->name, sizeof(fn->name));
		if (!ctx->refresh) {
			if ((r = facts_stored(ctx->fleet->ledger, fn->name, &fn->facts, &fn->seq, fn->time)) < 0)
				goto out;
			if (r == 1) {
				fn->from_ledger = true;
				rep->stored++;
				continue;
			}
		}
		job.todo[ntodo++] = i;
	}
	r = 0;
	job.total = ntodo;
	if (ntodo) {
		r = fleet_fanout(ntodo, ctx->fleet->parallel, gather_one, &job, &job.lock);
	}
	rep->ms = clock_mono_ms() - t0;
out:
	free(job.todo);
	return r;
}

void facts_report_release(struct facts_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		json_decref(rep->nodes[i].facts);
	free(rep->nodes);
	memset(rep, 0, sizeof(*rep));
}

int64_t facts_age_s(const char *time, int64_t now_ms)
{
	struct tm tm = { 0 };
	int ms = 0;
	char z = 0;
	time_t t;

	if (!time || sscanf(time, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			    &tm.tm_min, &tm.tm_sec, &ms, &z) != 8 || z != 'Z')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	return now_ms / 1000 >= (int64_t)t ? now_ms / 1000 - (int64_t)t : 0;
}

void facts_duration(int64_t s, char *out, size_t len)
{
	if (s < 60)
		snprintf(out, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, len, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(out, len, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(out, len, "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

/* "1.5 GiB" into OUT. */
static void bytes_text(json_int_t b, char *out, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, len, "%lld B", (long long)b);
	else
		snprintf(out, len, "%.1f %s", v, unit[u]);
}

static const char *str_or_dash(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "-";
}

static int describe_disk(const char *indent, const char *path, const json_t *d, struct buf *out)
{
	char size[32], used[32], avail[32];

	if (!json_is_object(d))
		return buf_printf(out, "%sdisk %-7s -\n", indent, path);
	bytes_text(json_integer_value(json_object_get(d, "size")), size, sizeof(size));
	bytes_text(json_integer_value(json_object_get(d, "used")), used, sizeof(used));
	bytes_text(json_integer_value(json_object_get(d, "available")), avail, sizeof(avail));
	return buf_printf(out, "%sdisk %-7s %s used of %s, %s free\n", indent, path, used, size, avail);
}

int facts_describe(const json_t *facts, const char *indent, struct buf *out)
{
	const json_t *os = json_object_get(facts, "os"), *mem = json_object_get(facts, "memory"),
		     *load = json_object_get(facts, "load"), *disks = json_object_get(facts, "disks"),
		     *prof = json_object_get(facts, "profile"), *sess = json_object_get(facts, "sessions"), *v;
	const char *path;
	char a[32], b[32];
	size_t i;
	int r = 0;

	r |= buf_printf(out, "%shost         %s\n", indent, str_or_dash(json_object_get(facts, "hostname")));
	r |= buf_printf(out, "%sos           %s %s\n", indent, str_or_dash(json_object_get(os, "id")),
			json_is_string(json_object_get(os, "version")) ? json_string_value(json_object_get(os, "version"))
								       : "");
	r |= buf_printf(out, "%skernel       %s (%s)\n", indent, str_or_dash(json_object_get(facts, "kernel")),
			str_or_dash(json_object_get(facts, "arch")));
	v = json_object_get(facts, "cpus");
	if (json_is_integer(v))
		r |= buf_printf(out, "%scpus         %lld\n", indent, (long long)json_integer_value(v));
	else
		r |= buf_printf(out, "%scpus         -\n", indent);
	if (json_is_integer(json_object_get(mem, "total"))) {
		bytes_text(json_integer_value(json_object_get(mem, "total")), a, sizeof(a));
		if (json_is_integer(json_object_get(mem, "available")))
			bytes_text(json_integer_value(json_object_get(mem, "available")), b, sizeof(b));
		else
			snprintf(b, sizeof(b), "-");
		r |= buf_printf(out, "%smemory       %s, %s available\n", indent, a, b);
	} else {
		r |= buf_printf(out, "%smemory       -\n", indent);
	}
	v = json_object_get(facts, "uptime");
	if (json_is_integer(v)) {
		facts_duration(json_integer_value(v), a, sizeof(a));
		r |= buf_printf(out, "%suptime       %s\n", indent, a);
	} else {
		r |= buf_printf(out, "%suptime       -\n", indent);
	}
	if (json_array_size(load) == 3)
		r |= buf_printf(out, "%sload         %.2f %.2f %.2f\n", indent, json_number_value(json_array_get(load, 0)),
				json_number_value(json_array_get(load, 1)), json_number_value(json_array_get(load, 2)));
	else
		r |= buf_printf(out, "%sload         -\n", indent);
	if (!json_object_get(disks, "/"))
		r |= describe_disk(indent, "/", NULL, out);
	json_object_foreach((json_t *)disks, path, v)
		r |= describe_disk(indent, path, v, out);
	r |= buf_printf(out, "%snix          %s\n", indent,
			json_is_string(json_object_get(facts, "nix")) ? json_string_value(json_object_get(facts, "nix"))
								      : "none");
	if (json_is_string(json_object_get(prof, "target"))) {
		v = json_object_get(prof, "generation");
		if (json_is_integer(v))
			snprintf(a, sizeof(a), "generation %lld", (long long)json_integer_value(v));
		else
			snprintf(a, sizeof(a), "no generation");
		r |= buf_printf(out, "%sprofile      %s, %s -> %s\n", indent, str_or_dash(json_object_get(prof, "path")), a,
				json_string_value(json_object_get(prof, "target")));
	} else {
		r |= buf_printf(out, "%sprofile      %s: none\n", indent, str_or_dash(json_object_get(prof, "path")));
	}
	r |= buf_printf(out, "%ssessions     ", indent);
	for (i = 0; i < json_array_size(sess); i++)
		r |= buf_printf(out, "%s%s", i ? ", " : "", str_or_dash(json_array_get(sess, i)));
	r |= buf_adds(out, json_array_size(sess) ? "\n" : "none\n");
	return r < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}

int facts_requests(const struct fleet *f, const struct inventory *inv, const struct target_list *targets,
		   const char *profile, struct facts_request **out)
{
	struct facts_request *req = calloc(targets->n ? targets->n : 1, sizeof(*req));
	size_t i;

	*out = NULL;
	if (!req)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < targets->n; i++) {
		const struct inv_machine *m = inv ? inventory_find_target(inv, &targets->items[i]) : NULL;

		req[i].target = targets->items[i];
		req[i].machine = m ? m->name : NULL;
		req[i].profile = fleet_profile(f, &targets->items[i], profile);
	}
	*out = req;
	return 0;
}

char *facts_report_json(const struct facts_report *rep)
{
	json_t *nodes = json_array();
	int64_t now = clock_wall_ms(), age;
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct facts_node *n = &rep->nodes[i];
		bool ok = n->facts != NULL;

		age = ok ? facts_age_s(n->time, now) : -1;
		json_array_append_new(nodes, json_pack("{s:s, s:o, s:b, s:s, s:o, s:o, s:o, s:O?, s:o, s:o}",
						       "node", n->name,
						       "machine", n->machine ? json_string(n->machine) : json_null(),
						       "ok", ok, "from", n->from_ledger ? "ledger" : "node",
						       "seq", ok && n->seq ? json_integer(n->seq) : json_null(),
						       "gathered", ok && n->time[0] ? json_string(n->time) : json_null(),
						       "age", age >= 0 ? json_integer(age) : json_null(),
						       "facts", n->facts,
						       "step", ok ? json_null() : json_string(n->fail.step ? n->fail.step : "facts"),
						       "error", ok ? json_null()
								   : json_utf8_string(n->fail.message, strlen(n->fail.message))));
	}
	return json_render(json_pack("{s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}}", "nodes", nodes, "summary",
				 "nodes", (json_int_t)rep->n, "ok", (json_int_t)(rep->gathered + rep->stored),
				 "gathered", (json_int_t)rep->gathered, "stored", (json_int_t)rep->stored,
				 "failed", (json_int_t)rep->failed, "ms", (json_int_t)rep->ms));
}
