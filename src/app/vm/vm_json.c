/* `chimera vm ... --json` and the API: one schema for a VM, a use case's report and the list. */
#include "app/vm/vm_internal.h"
#include "util/clock.h"
#include "util/json.h"

#include <jansson.h>
#include <string.h>
#include "util/banned.h"

static json_t *time_or_null(int64_t ms)
{
	char t[CLOCK_UTC_LEN];

	if (ms <= 0)
		return json_null();
	clock_format_utc(ms, t);
	return json_string(t);
}

static json_t *info_json(const struct vm_info *vi)
{
	json_t *snaps = json_array();
	const char *p = vi->snapshots;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		json_array_append_new(snaps, json_stringn(p, len));
		p = comma ? comma + 1 : NULL;
	}
	return json_pack("{s:s, s:s, s:s, s:i, s:o, s:i, s:i, s:i, s:s, s:i, s:s, s:o, s:o, s:I, s:o, s:s}", "name",
			 vi->spec.name, "state", vi->state, "accel", vi->accel, "pid", (int)vi->pid, "created",
			 time_or_null(vi->created_ms), "cpus", vi->spec.cpus, "memory_mib", vi->spec.memory_mib, "disk_gib",
			 vi->spec.disk_gib, "address", vi->spec.address, "port", vi->spec.port, "target", vi->target,
			 "started", time_or_null(vi->started_ms), "boot_ms",
			 vi->boot_ms > 0 ? json_integer(vi->boot_ms) : json_null(), "seq", (json_int_t)vi->seq, "snapshots",
			 snaps, "dir", vi->spec.dir);
}

char *vm_report_json(const struct vm_report *rep)
{
	json_t *o = json_pack("{s:s, s:b, s:o, s:I}", "op", rep->op, "ok", rep->ok, "vm", info_json(&rep->vm), "ms",
			      (json_int_t)rep->ms);
	if (!o)
		return NULL;
	if (rep->label[0])
		json_object_set_new(o, "label", json_string(rep->label));
	if (!strcmp(rep->op, "stop") || !strcmp(rep->op, "rm") || !strcmp(rep->op, "restore"))
		json_object_set_new(o, "forced", json_boolean(rep->forced));
	json_object_set_new(o, "accel_why", rep->accel_why[0] ? json_string(rep->accel_why) : json_null());
	json_object_set_new(o, "error", rep->ok ? json_null() : json_string(rep->message));
	json_object_set_new(o, "console", rep->console[0] ? json_string(rep->console) : json_null());
	return json_render(o);
}

char *vm_list_json(const struct vm_list *l)
{
	json_t *arr = json_array(), *o;
	size_t i;

	for (i = 0; i < l->n; i++)
		json_array_append_new(arr, info_json(&l->items[i]));
	if (!(o = json_pack("{s:o}", "vms", arr)))
		return NULL;
	return json_render(o);
}
