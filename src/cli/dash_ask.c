/* chimera dash's requests: the machines, the status, a machine's detail, a rollback; here or of a server. */
#include "cli/dash_feed.h"
#include "app/config/machines.h"
#include "app/fleet/inspect.h"
#include "app/fleet/machine_detail.h"
#include "app/fleet/rollback.h"
#include "cli/remote.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"


/* The error a failed request printed on this thread (cli_last_error), into MSG. */
static int printed_error(char *msg, size_t len)
{
	snprintf(msg, len, "%s", cli_last_error()[0] ? cli_last_error() : "the request to the server failed");
	return ERR_IO;
}

static int remote_doc(struct dash_feed *f, const char *path, long timeout_ms, json_t **doc, char *msg, size_t len)
{
	cli_clear_error();
	if (remote_get(f->cli, path, CMD_ERROR, timeout_ms, doc) != CMD_OK)
		return printed_error(msg, len);
	return 0;
}

/* TEXT (a rendered document, taken) parsed into *DOC. */
static int parsed(char *text, json_t **doc, char *msg, size_t len)
{
	*doc = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (!*doc) {
		snprintf(msg, len, "out of memory");
		return ERR_NOMEM;
	}
	return 0;
}

int dash_feed_machines(struct dash_feed *f, json_t **doc, char *msg, size_t len)
{
	const struct inventory *inv;

	*doc = NULL;
	if (f->remote)
		return remote_doc(f, "/api/v1/machines", REMOTE_TIMEOUT_MS, doc, msg, len);
	if (cli_inventory(f->cli, &inv) < 0) {
		snprintf(msg, len, "%s", err_msg());
		return ERR_INVALID;
	}
	return parsed(machines_list_json(inv), doc, msg, len);
}

int dash_feed_status(struct dash_feed *f, bool probe, json_t **doc, char *msg, size_t len)
{
	struct status_report rep = { 0 };
	int r;

	*doc = NULL;
	if (f->remote)
		return remote_doc(f, probe ? "/api/v1/status?refresh=1" : "/api/v1/status",
				  probe ? REMOTE_PROBE_TIMEOUT_MS : REMOTE_TIMEOUT_MS, doc, msg, len);
	if (probe)
		r = status_run(&f->fleet.w.fleet, &f->fleet.targets, f->fleet.reach.profile, "", NULL, NULL, &rep);
	else
		r = status_cached(f->fleet.w.fleet.ledger, &f->fleet.targets, "", &rep);
	if (r < 0) {
		snprintf(msg, len, "%s", err_msg());
		status_report_release(&rep);
		return r;
	}
	r = parsed(status_report_json(&rep, !probe), doc, msg, len);
	status_report_release(&rep);
	return r;
}

/* The generations report's one node (GENS, taken) into DOC's "generations" and "generations_error". */
static void add_generations(json_t *doc, json_t *gens)
{
	const json_t *n = json_array_get(json_object_get(gens, "nodes"), 0);

	json_object_set(doc, "generations", json_is_array(json_object_get(n, "generations"))
						    ? json_object_get(n, "generations") : json_array());
	if (json_is_string(json_object_get(n, "error")))
		json_object_set(doc, "generations_error", json_object_get(n, "error"));
	json_decref(gens);
}

static int detail_local(struct dash_feed *f, const char *name, json_t **doc, char *msg, size_t len)
{
	struct ledger *l = f->fleet.w.fleet.ledger;
	struct cli_fleet one;
	struct gens_report rep = { 0 };
	const struct inventory *inv;
	const struct inv_machine *m;
	int64_t head = 0;
	int r;

	if (cli_inventory(f->cli, &inv) < 0 || !(m = inventory_find(inv, name))) {
		snprintf(msg, len, "no machine '%s' in the inventory", name);
		return ERR_NOTFOUND;
	}
	ledger_wait(l, INT64_MAX, 0, &head);
	if (!(*doc = machine_detail_json(l, inv, m, head))) {
		snprintf(msg, len, "%s", err_msg());
		return ERR_IO;
	}
	/* Its generations, read on the machine. */
	cli_fleet_init(&one);
	one.spec = name;
	if ((r = cli_fleet_open(f->cli, &one)) < 0) {
		json_object_set_new(*doc, "generations_error", json_string(err_msg()));
	} else if (generations_run(&one.w.fleet, &one.targets, one.reach.profile, &rep) < 0) {
		json_object_set_new(*doc, "generations_error", json_string(err_msg()));
	} else {
		char *text = gens_report_json(&rep);

		add_generations(*doc, text ? json_loads(text, 0, NULL) : NULL);
		free(text);
	}
	gens_report_release(&rep);
	cli_fleet_close(&one);
	return 0;
}

int dash_feed_detail(struct dash_feed *f, const char *name, json_t **doc, char *msg, size_t len)
{
	struct buf q = BUF_INIT(4096);
	json_t *gens = NULL;
	int r;

	*doc = NULL;
	if (!f->remote)
		return detail_local(f, name, doc, msg, len);
	if (buf_adds(&q, "/api/v1/machines/") < 0 || remote_path_segment(&q, name) < 0 || buf_addc(&q, '\0') < 0) {
		buf_release(&q);
		snprintf(msg, len, "the name is too long for a request");
		return ERR_INVALID;
	}
	r = remote_doc(f, q.data, REMOTE_TIMEOUT_MS, doc, msg, len);
	buf_reset(&q);
	if (r == 0 && buf_adds(&q, "/api/v1/generations") == 0 && remote_query(&q, "targets", name) == 0 &&
	    buf_addc(&q, '\0') == 0) {
		if (remote_doc(f, q.data, REMOTE_PROBE_TIMEOUT_MS, &gens, msg, len) == 0)
			add_generations(*doc, gens);
		else
			json_object_set_new(*doc, "generations_error", json_string(msg));
	}
	buf_release(&q);
	return r;
}

/* What a rollback report says of its one node, into MSG; 0 when it got there. */
static int rollback_said(const struct rollback_report *rep, const char *name, char *msg, size_t len)
{
	const struct rollback_node *n = rep->n ? &rep->nodes[0] : NULL;

	if (!n) {
		snprintf(msg, len, "rollback of %s: no node in the report", name);
		return ERR_IO;
	}
	if (rep->switched == rep->n) {
		snprintf(msg, len, "rolled %s back: generation %u -> %u (rollback %s)", name, n->from_gen, n->end_gen, rep->id);
		return 0;
	}
	snprintf(msg, len, "rollback of %s %s: %s", name, rollback_state_name(n->state),
		 n->fail.message[0] ? n->fail.message : "nothing switched");
	return ERR_IO;
}

static int rollback_remote(struct dash_feed *f, const char *name, char *msg, size_t len)
{
	struct rollback_report rep;
	json_t *body = json_pack("{s:s}", "targets", name), *job = NULL, *report;
	const char *result;
	bool quiet = f->cli->quiet;
	int r = ERR_IO;

	cli_clear_error();
	f->cli->quiet = true;	/* no progress display: the screen is the dash's */
	if (!body || remote_job(f->cli, "/api/v1/rollback", body, &job) != CMD_OK) {
		f->cli->quiet = quiet;
		return printed_error(msg, len);
	}
	f->cli->quiet = quiet;
	report = json_object_get(job, "report");
	if (!json_is_object(report) || rollback_report_from_json(report, &rep, &result) < 0) {
		snprintf(msg, len, "rollback of %s: %s", name, json_string_value(json_object_get(job, "error"))
							    ? json_string_value(json_object_get(job, "error")) : "no report");
	} else {
		r = rollback_said(&rep, name, msg, len);
		rollback_report_release(&rep);
	}
	json_decref(job);
	return r;
}

int dash_feed_rollback(struct dash_feed *f, const char *name, char *msg, size_t len)
{
	struct cli_fleet one;
	struct rollback_opts ro;
	struct rollback_report rep = { 0 };
	int r;

	if (f->remote)
		return rollback_remote(f, name, msg, len);
	cli_fleet_init(&one);
	one.spec = name;
	if ((r = cli_fleet_open(f->cli, &one)) < 0) {
		snprintf(msg, len, "%s", err_msg());
	} else {
		ro = (struct rollback_opts){ .profile = one.reach.profile, .activate = one.reach.activate,
					     .goal = cli_fleet_goal(&one) };
		if ((r = rollback_run(&one.w.fleet, &one.targets, &ro, &rep)) < 0)
			snprintf(msg, len, "%s", err_msg());
		else
			r = rollback_said(&rep, name, msg, len);
	}
	rollback_report_release(&rep);
	cli_fleet_close(&one);
	return r;
}
