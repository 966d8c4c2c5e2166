/* The inventory's machines as JSON: what `chimera machines --json`, `show`, `add` and `rm --json` print. */
#include "app/config/machines.h"
#include "util/json.h"

#include <jansson.h>
#include "util/banned.h"

static json_t *strings_json(char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *machines_machine_json(const struct inventory *inv, const struct inv_machine *m)
{
	char t[TARGET_FORMAT_MAX];
	json_t *checks = json_array(), *from_defaults = json_array();
	size_t i;

	target_format(&m->target, t, sizeof(t));
	for (i = 0; i < (m->nchecks ? m->nchecks : inv->defaults.nchecks); i++)
		json_array_append_new(checks, json_string(m->nchecks ? m->checks[i].text : inv->defaults.checks[i].text));
	/* The settings above that the machine takes from [defaults] (text output marks them). */
	if (!m->profile)
		json_array_append_new(from_defaults, json_string("profile"));
	if (!m->activation)
		json_array_append_new(from_defaults, json_string("activation"));
	if (!m->goal)
		json_array_append_new(from_defaults, json_string("goal"));
	if (!m->nchecks)
		json_array_append_new(from_defaults, json_string("checks"));
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s?, s:o, s:o, s:s?, s:s?, s:s?, s:i, s:o}", "name", m->name,
			 "target", t, "tags", strings_json(m->tags, m->ntags), "profile",
			 m->profile ? m->profile : inv->defaults.profile, "activation",
			 m->activation ? m->activation : inv->defaults.activation, "goal", inventory_goal(inv, m, NULL),
			 "sudo", inventory_sudo(inv, m, 0) ? inventory_sudo_command(inv, m) : NULL, "checks", checks,
			 "ssh_options",
			 strings_json(m->ssh_options, m->nssh_options), "config", m->config_file, "attr", m->config_attr,
			 "flake", m->flake, "line", m->line, "from_defaults", from_defaults);
}

char *machines_list_json(const struct inventory *inv)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < inv->n; i++)
		json_array_append_new(a, machines_machine_json(inv, &inv->machines[i]));
	return json_render(json_pack("{s:s, s:o}", "inventory", inv->path, "machines", a));
}

char *machines_show_json(const struct inventory *inv, const struct inv_machine *m, const struct machines_facts *mf)
{
	json_t *j = machines_machine_json(inv, m), *failure = NULL;

	json_object_set_new(j, "facts", mf->facts ? json_incref(mf->facts) : json_null());
	json_object_set_new(j, "facts_seq", mf->facts ? json_integer(mf->seq) : json_null());
	json_object_set_new(j, "facts_gathered", mf->facts ? json_string(mf->time) : json_null());
	if (mf->failure && (failure = json_copy(mf->failure))) {
		json_object_set_new(failure, "seq", json_integer(mf->failure_seq));
		json_object_set_new(failure, "time", json_string(mf->failure_time));
	}
	json_object_set_new(j, "facts_failed", failure ? failure : json_null());
	json_object_set_new(j, "inventory", json_string(inv->path));
	return json_render(j);
}

char *machines_added_json(const char *name, const char *target, const char *path)
{
	return json_render(json_pack("{s:s, s:s, s:s}", "added", name, "target", target, "inventory", path));
}

char *machines_removed_json(const char *name, const char *path)
{
	return json_render(json_pack("{s:s, s:s}", "removed", name, "inventory", path));
}
