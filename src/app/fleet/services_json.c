/* The services report as JSON: what `chimera services --json` prints. */
#include "app/fleet/services.h"
#include "util/clock.h"
#include "util/json.h"

#include <jansson.h>
#include <string.h>
#include <time.h>
#include "util/banned.h"

static json_t *str_or_null(const char *s)
{
	return s[0] ? json_utf8_string(s, strlen(s)) : json_null();
}

/* T as ISO 8601 UTC ("2026-11-22T10:15:02Z") into OUT, or "" when its epoch is unknown. */
static void iso_utc(const struct sd_time *t, char *out, size_t len)
{
	out[0] = '\0';
	if (t->set && t->epoch >= 0)
		clock_format_utc_s(t->epoch, out, len);
}

static json_t *unit_json(const struct sd_unit *u)
{
	json_t *o = json_object();
	char iso[32];

	iso_utc(&u->since, iso, sizeof(iso));
	json_object_set_new(o, "id", json_utf8_string(u->id, strlen(u->id)));
	json_object_set_new(o, "description", json_utf8_string(u->description, strlen(u->description)));
	json_object_set_new(o, "load_state", str_or_null(u->load_state));
	json_object_set_new(o, "load_error", str_or_null(u->load_error));
	json_object_set_new(o, "active_state", str_or_null(u->active_state));
	json_object_set_new(o, "sub_state", str_or_null(u->sub_state));
	json_object_set_new(o, "unit_file_state", str_or_null(u->unit_file_state));
	json_object_set_new(o, "type", str_or_null(u->type));
	json_object_set_new(o, "result", str_or_null(u->result));
	json_object_set_new(o, "since", u->since.set ? json_utf8_string(u->since.text, strlen(u->since.text))
						     : json_null());
	json_object_set_new(o, "since_epoch", u->since.set && u->since.epoch >= 0 ? json_integer(u->since.epoch)
										  : json_null());
	json_object_set_new(o, "since_utc", iso[0] ? json_string(iso) : json_null());
	json_object_set_new(o, "main_pid", u->main_pid ? json_integer(u->main_pid) : json_null());
	json_object_set_new(o, "memory", u->memory_known ? json_integer((json_int_t)u->memory) : json_null());
	return o;
}

char *services_report_json(const struct services_report *rep)
{
	json_t *nodes = json_array(), *doc;
	size_t i, j;

	for (i = 0; i < rep->n; i++) {
		const struct services_node *n = &rep->nodes[i];
		json_t *o = json_object(), *units = json_array();

		for (j = 0; j < n->units.n; j++)
			json_array_append_new(units, unit_json(&n->units.items[j]));
		json_object_set_new(o, "target", json_string(n->name));
		json_object_set_new(o, "ok", json_boolean(services_node_ok(n)));
		json_object_set_new(o, "service_manager", n->manager ? json_string(n->manager) : json_null());
		json_object_set_new(o, "step", n->step ? json_string(n->step) : json_null());
		json_object_set_new(o, "error", n->err ? json_utf8_string(n->message, strlen(n->message)) : json_null());
		json_object_set_new(o, "action_exit", n->action_exit >= 0 ? json_integer(n->action_exit) : json_null());
		json_object_set_new(o, "units", units);
		json_object_set_new(o, "ms", json_integer(n->ms));
		json_object_set_new(o, "seq", json_integer(n->seq));
		json_array_append_new(nodes, o);
	}
	doc = json_pack("{s:s, s:s, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I}}", "run", rep->run_id, "action",
			services_action_name(rep->action), "unit",
			rep->unit[0] ? json_string(rep->unit) : json_null(), "nodes", nodes, "summary", "nodes",
			(json_int_t)rep->n, "ok", (json_int_t)rep->ok, "failed", (json_int_t)rep->failed,
			"no_service_manager", (json_int_t)rep->no_manager, "ms", (json_int_t)rep->ms);
	return json_render(doc);
}
