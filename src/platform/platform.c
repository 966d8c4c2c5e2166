/* The registry of platforms: the built-in rows, the ones added at run time, and their catalogs. */
#include "platform/platform.h"
#include "platform/netlify/netlify.h"
#include "platform/nix/nix.h"
#include "platform/render/render.h"
#include "util/err.h"

#include <string.h>
#include "util/banned.h"

/* The built-in platforms, in the order usage texts name them: add a platform here. */
static const struct platform *const builtin[] = {
	&platform_netlify,
	&platform_render,
	&platform_nix,
};

#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))
#define REGISTERED_MAX 8

static const struct platform *registered[REGISTERED_MAX];
static size_t nregistered;
static const struct yaml_parser *yaml;

void platform_use_yaml(const struct yaml_parser *yp)
{
	yaml = yp;
}

const struct yaml_parser *platform_yaml(void)
{
	return yaml;
}

const struct platform *platform_at(size_t i)
{
	if (i < NBUILTIN)
		return builtin[i];
	i -= NBUILTIN;
	return i < nregistered ? registered[i] : NULL;
}

const struct platform *platform_find(const char *name)
{
	const struct platform *p;
	size_t i;

	for (i = 0; name && (p = platform_at(i)); i++) {
		if (strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

int platform_register(const struct platform *p)
{
	if (!p || !p->name || !p->config_file)
		return err_set(ERR_INVALID, "a platform needs a name and a config file");
	if (platform_find(p->name))
		return err_set(ERR_INVALID, "platform '%s' is already registered", p->name);
	if (nregistered == REGISTERED_MAX)
		return err_set(ERR_LIMIT, "platform '%s': the registry is full (%d added)", p->name, REGISTERED_MAX);
	registered[nregistered++] = p;
	return 0;
}

void platform_unregister_all(void)
{
	memset(registered, 0, sizeof(registered));
	nregistered = 0;
}

bool platform_heals(const struct platform *p)
{
	return p->heal_text != NULL;
}

bool platform_reads_text(const struct platform *p)
{
	return p->simulate != NULL;
}

bool platform_builds(const struct platform *p)
{
	return p->build != NULL;
}

int platform_names(struct buf *out, bool (*want)(const struct platform *p), const char *sep, const char *last)
{
	const struct platform *p, *pending = NULL;
	size_t i, n = 0;

	for (i = 0; (p = platform_at(i)); i++) {
		if (want && !want(p))
			continue;
		if (pending)
			buf_printf(out, "%s%s", n > 1 ? sep : "", pending->name);
		pending = p;
		n++;
	}
	if (pending)
		buf_printf(out, "%s%s", n > 1 ? last : "", pending->name);
	return out->max && out->len >= out->max ? err_set(ERR_NOMEM, "platform names: out of room") : 0;
}

const struct platform_rule *platform_rule_find(const struct platform *p, const char *id)
{
	size_t i;

	for (i = 0; p && p->rules && i < p->nrules; i++) {
		if (strcmp(p->rules[i].id, id) == 0)
			return &p->rules[i];
	}
	return NULL;
}

json_t *platform_rules_json(const struct platform *p)
{
	json_t *rules = json_array();
	size_t i;

	for (i = 0; rules && p->rules && i < p->nrules; i++) {
		const struct platform_rule *r = &p->rules[i];

		json_array_append_new(rules, json_pack("{s:s, s:s, s:s, s:s}", "id", r->id, "severity",
						       sim_severity_name(r->severity), "fix", sim_fix_name(r->fix),
						       "message", r->message));
	}
	return json_pack("{s:s, s:s, s:o}", "platform", p->name, "config_file", p->config_file, "rules", rules);
}

int platform_rules_text(const struct platform *p, struct buf *out)
{
	size_t i;

	for (i = 0; p->rules && i < p->nrules; i++) {
		const struct platform_rule *r = &p->rules[i];

		buf_printf(out, "%-14s %-8s %-7s %s\n", r->id, sim_severity_name(r->severity), sim_fix_name(r->fix),
			   r->message);
	}
	return out->max && out->len >= out->max ? err_set(ERR_NOMEM, "rule catalog: out of room") : 0;
}
