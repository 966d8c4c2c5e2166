/* Use case: `chimera config show`: each [defaults] setting in effect, with where it came from. */
#include "app/config/settings.h"
#include "util/json.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

size_t config_settings(const struct inventory *inv, struct config_setting out[CONFIG_SETTINGS_MAX])
{
	const struct inv_defaults *d;
	size_t i, n = 0;

	memset(out, 0, CONFIG_SETTINGS_MAX * sizeof(*out));
	d = &inv->defaults;
	out[n] = (struct config_setting){ "user", "", d->user_from, "CHIMERA_USER", NULL };
	snprintf(out[n++].value, sizeof(out[0].value), "%s", d->user);
	out[n] = (struct config_setting){ "port", "", d->port_from, "CHIMERA_PORT", NULL };
	snprintf(out[n++].value, sizeof(out[0].value), "%u", d->port);
	out[n] = (struct config_setting){ "profile", "", d->profile_from, "CHIMERA_PROFILE", "--profile" };
	snprintf(out[n++].value, sizeof(out[0].value), "%s", d->profile);
	out[n] = (struct config_setting){ "activation", "", d->activation_from, "CHIMERA_ACTIVATION", "--activate" };
	snprintf(out[n++].value, sizeof(out[0].value), "%s", d->activation);
	out[n] = (struct config_setting){ "goal", "", d->goal_from, "CHIMERA_GOAL", "--goal" };
	snprintf(out[n++].value, sizeof(out[0].value), "%s", d->goal);
	out[n] = (struct config_setting){ "sudo", "", d->sudo_from, NULL, "--sudo" };
	snprintf(out[n++].value, sizeof(out[0].value), "%s", d->sudo ? d->sudo_command : "false");
	out[n] = (struct config_setting){ "parallel", "", d->parallel_from, "CHIMERA_PARALLEL", "--parallel" };
	snprintf(out[n++].value, sizeof(out[0].value), "%ld", d->parallel);
	out[n] = (struct config_setting){ "connect_timeout", "", d->connect_timeout_from, "CHIMERA_CONNECT_TIMEOUT",
				 "--connect-timeout" };
	snprintf(out[n++].value, sizeof(out[0].value), "%ld", d->connect_timeout);
	out[n] = (struct config_setting){ "checks", "", d->checks_from, NULL, "--check" };
	for (i = 0; i < d->nchecks; i++) {
		size_t o = strlen(out[n].value);

		snprintf(out[n].value + o, sizeof(out[n].value) - o, "%s%s", i ? ", " : "", d->checks[i].text);
	}
	n++;
	return n;
}

char *config_settings_json(const struct inventory *inv, const char *source, const struct config_setting *s,
			   size_t n)
{
	json_t *set = json_object();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_set_new(set, s[i].name,
				    json_pack("{s:s, s:s, s:s*, s:s*}", "value", s[i].value, "from",
					      inv_source_name(s[i].from), "env", s[i].env, "flag", s[i].flag));
	return json_render(json_pack("{s:{s:s*, s:s, s:I}, s:o}", "inventory", "path", inv->path[0] ? inv->path : NULL,
				     "from", source, "machines", (json_int_t)inv->n, "settings", set));
}
