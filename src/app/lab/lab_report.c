/* `chimera lab`'s reports as JSON. */
#include "app/lab/lab_report.h"
#include "util/json.h"

#include <jansson.h>
#include "util/banned.h"

char *lab_status_json(const struct lab_status_report *rep)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct lab_report_node *n = &rep->nodes[i];

		json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:b, s:s, s:s}", "name", n->name, "address", n->addr,
						     "pid", (int)n->pid, "alive", n->alive, "target", n->addr, "dir",
						     n->dir));
	}
	return json_render(json_pack("{s:i, s:i, s:s, s:i, s:o}", "nodes", (int)rep->n, "alive", (int)rep->alive,
				     "root", rep->root, "base", rep->base, "list", arr));
}

char *lab_targets_json(const struct target_list *l)
{
	json_t *arr = json_array();
	char t[TARGET_FORMAT_MAX];
	size_t i;

	for (i = 0; i < l->n; i++) {
		target_format(&l->items[i], t, sizeof(t));
		json_array_append_new(arr, json_string(t));
	}
	return json_render(arr);
}

char *lab_up_json(int nodes, const char *ssh_config, const char *root, int64_t ms)
{
	return json_render(json_pack("{s:b, s:i, s:s, s:s, s:I}", "ok", 1, "nodes", nodes, "ssh_config", ssh_config,
				     "root", root, "ms", (json_int_t)ms));
}

char *lab_down_json(int stopped)
{
	return json_render(json_pack("{s:b, s:i}", "ok", 1, "stopped", stopped));
}
