/* The provider's files: chimeraprov_templates.json and chimeraprov_config.json, read strictly. */
#include "app/hostfactory/hostfactory.h"
#include "util/err.h"
#include "util/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* ID as messages quote it (its control and non-ASCII bytes as \xNN). */
#define QUOTED(buf, s) err_quote(buf, sizeof(buf), s, strlen(s))

/* "bad FIELD in PATH (template ID): expected FORM". */
static int bad(const char *path, const char *id, const char *field, const char *form)
{
	char q[128];

	if (id && *id)
		return err_set(ERR_INVALID, "bad '%s' in %s (template '%s'): expected %s", field, path, QUOTED(q, id), form);
	return err_set(ERR_INVALID, "bad '%s' in %s: expected %s", field, path, form);
}

/* "PATH:LINE:COL: malformed JSON: what jansson said". */
static int malformed(const char *path, const json_error_t *je)
{
	char q[200];

	return err_set(ERR_INVALID, "%s:%d:%d: malformed JSON: %s", path, je->line, je->column, QUOTED(q, je->text));
}

/* Every member of O must be one of ALLOWED (NULL-ended). */
static int fields_known(const char *path, const char *id, const json_t *o, const char *const *allowed)
{
	const char *key, *const *a;
	char qk[128], qi[128];
	json_t *v;

	json_object_foreach((json_t *)o, key, v) {
		for (a = allowed; *a && strcmp(*a, key) != 0; a++)
			;
		if (!*a)
			return id && *id ? err_set(ERR_INVALID, "unknown field '%s' in %s (template '%s')", QUOTED(qk, key),
						   path, QUOTED(qi, id))
					 : err_set(ERR_INVALID, "unknown field '%s' in %s", QUOTED(qk, key), path);
	}
	return 0;
}

/* An optional integer member KEY of O in [MIN, MAX] into *OUT. */
static int int_of(const char *path, const char *id, const json_t *o, const char *key, long min, long max, long *out)
{
	const json_t *v = json_object_get(o, key);
	char form[64];

	if (!v)
		return 0;
	snprintf(form, sizeof(form), "a whole number from %ld to %ld", min, max);
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return bad(path, id, key, form);
	*out = (long)json_integer_value(v);
	return 0;
}

/* An optional non-empty string member KEY of O, malloc'd into *OUT (NULL when absent). */
static int str_dup(const char *path, const char *id, const json_t *o, const char *key, char **out)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v) || !*json_string_value(v))
		return bad(path, id, key, "a non-empty string");
	if (!(*out = strdup(json_string_value(v))))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* attributes: {"type": ["String", S], "ncpus": ["Numeric", "N"], "nram": ["Numeric", "N"]}, each optional. */
static int attributes(const char *path, struct hf_tmpl *t, const json_t *a)
{
	static const char *const keys[] = { "type", "ncpus", "nram", NULL };
	const char *k;
	size_t i;
	int r;

	if (!json_is_object(a))
		return bad(path, t->id, "attributes", "an object");
	if ((r = fields_known(path, t->id, a, keys)) < 0)
		return r;
	for (i = 0; (k = keys[i]); i++) {
		const json_t *v = json_object_get(a, k);
		const char *kind = i == 0 ? "String" : "Numeric", *s;
		char field[32], *end;
		unsigned long n;

		if (!v)
			continue;
		snprintf(field, sizeof(field), "attributes.%s", k);
		s = json_string_value(json_array_get(v, 1));
		if (json_array_size(v) != 2 || !json_is_string(json_array_get(v, 0)) ||
		    strcmp(json_string_value(json_array_get(v, 0)), kind) != 0 || !s || !*s)
			return bad(path, t->id, field, i == 0 ? "[\"String\", \"X86_64\"]" : "[\"Numeric\", \"N\"]");
		if (i == 0) {
			snprintf(t->type, sizeof(t->type), "%s", s);
			continue;
		}
		n = strtoul(s, &end, 10);
		if (*end || n == 0 || n > 1048576)
			return bad(path, t->id, field, "[\"Numeric\", \"N\"] with N a whole number from 1");
		if (i == 1)
			t->ncpus = (unsigned)n;
		else
			t->nram = n;
	}
	return 0;
}

/* CONFIG relative to the templates file's directory made absolute (in place). */
static int config_abs(const char *path, char **config)
{
	const char *slash = strrchr(path, '/');
	char *abs;

	if (**config == '/' || !slash)
		return 0;
	if (asprintf(&abs, "%.*s/%s", (int)(slash - path), path, *config) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	free(*config);
	*config = abs;
	return 0;
}

static int one_template(const char *path, const json_t *o, struct hf_tmpl *t)
{
	static const char *const keys[] = { "templateId", "maxNumber", "attributes", "provider", "cpus", "memory",
					    "disk", "config", "attr", "flake", NULL };
	const char *id = json_string_value(json_object_get(o, "templateId"));
	const char *prov = json_string_value(json_object_get(o, "provider"));
	long max = 0, cpus = 0, mem = 0, disk = 0;
	int r;

	if (!id || !*id || strlen(id) > HF_NAME_MAX)
		return bad(path, NULL, "templateId", "a string of 1 to 255 bytes");
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->type, sizeof(t->type), "X86_64");
	if ((r = fields_known(path, id, o, keys)) < 0)
		return r;
	if (!json_object_get(o, "maxNumber"))
		return bad(path, id, "maxNumber", "a whole number from 1 to 1000");
	if (!prov || (strcmp(prov, "qemu") != 0 && strcmp(prov, "lab") != 0))
		return bad(path, id, "provider", "\"qemu\" or \"lab\"");
	snprintf(t->provider, sizeof(t->provider), "%s", prov);
	if ((r = int_of(path, id, o, "maxNumber", 1, 1000, &max)) < 0 || (r = int_of(path, id, o, "cpus", 1, 64, &cpus)) < 0 ||
	    (r = int_of(path, id, o, "memory", 128, 65536, &mem)) < 0 || (r = int_of(path, id, o, "disk", 1, 1024, &disk)) < 0)
		return r;
	t->max_number = (unsigned)max;
	t->cpus = (int)cpus;
	t->memory_mib = (int)mem;
	t->disk_gib = (int)disk;
	t->ncpus = cpus ? (unsigned)cpus : 1;
	t->nram = mem ? (unsigned long)mem : 1024;
	if (json_object_get(o, "attributes") && (r = attributes(path, t, json_object_get(o, "attributes"))) < 0)
		return r;
	if ((r = str_dup(path, id, o, "config", &t->config)) < 0 || (r = str_dup(path, id, o, "attr", &t->attr)) < 0 ||
	    (r = str_dup(path, id, o, "flake", &t->flake)) < 0)
		return r;
	if (!t->config == !t->flake)
		return bad(path, id, "config", "either \"config\" (a .nix file, with \"attr\" when needed) or \"flake\"");
	if (t->attr && !t->config)
		return bad(path, id, "attr", "\"attr\" only with \"config\"");
	return t->config ? config_abs(path, &t->config) : 0;
}

int hf_templates_parse(const char *path, const char *text, size_t len, struct hf_templates *out)
{
	json_error_t je;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *list;
	size_t i, k;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (!doc)
		return malformed(path, &je);
	list = json_object_get(doc, "templates");
	if (!json_is_object(doc) || json_object_size(doc) != 1 || !json_is_array(list) ||
	    json_array_size(list) > HF_TEMPLATES_MAX) {
		r = err_set(ERR_INVALID, "%s: expected {\"templates\": [...]} with at most %d templates", path,
			    HF_TEMPLATES_MAX);
		goto out;
	}
	if (json_array_size(list) && !(out->items = calloc(json_array_size(list), sizeof(*out->items)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < json_array_size(list); i++) {
		const json_t *o = json_array_get(list, i);

		out->n = i + 1;
		if (!json_is_object(o)) {
			r = err_set(ERR_INVALID, "%s: template %zu is not an object", path, i + 1);
			goto out;
		}
		if ((r = one_template(path, o, &out->items[i])) < 0)
			goto out;
		for (k = 0; k < i; k++)
			if (strcmp(out->items[k].id, out->items[i].id) == 0) {
				char q[128];

				r = err_set(ERR_INVALID, "%s: template '%s' is there twice", path, QUOTED(q, out->items[i].id));
				goto out;
			}
	}
out:
	json_decref(doc);
	if (r < 0)
		hf_templates_release(out);
	return r;
}

void hf_templates_release(struct hf_templates *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->items[i].config);
		free(t->items[i].attr);
		free(t->items[i].flake);
	}
	free(t->items);
	memset(t, 0, sizeof(*t));
}

const struct hf_tmpl *hf_templates_find(const struct hf_templates *t, const char *id)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->items[i].id, id) == 0)
			return &t->items[i];
	return NULL;
}

void hf_config_init(struct hf_config *c)
{
	memset(c, 0, sizeof(*c));
	c->boot_timeout_s = HF_BOOT_TIMEOUT_S_DEFAULT;
	c->grace_period_s = HF_GRACE_PERIOD_S_DEFAULT;
}

/* An optional string member KEY of O into OUT (LEN bytes). */
static int str_into(const char *path, const json_t *o, const char *key, char *out, size_t len)
{
	const json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_string(v) || !*json_string_value(v) || strlen(json_string_value(v)) >= len)
		return bad(path, NULL, key, "a non-empty string");
	snprintf(out, len, "%s", json_string_value(v));
	return 0;
}

int hf_config_parse(const char *path, const char *text, size_t len, struct hf_config *c)
{
	static const char *const keys[] = { "stateDir", "inventory", "ledger", "bootTimeout", "gracePeriod", "logLevel",
					    NULL };
	enum log_level lvl;
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	int r;

	if (!o)
		return malformed(path, &je);
	if (!json_is_object(o))
		r = err_set(ERR_INVALID, "%s: expected a JSON object", path);
	else if ((r = fields_known(path, NULL, o, keys)) == 0 &&
		 (r = str_into(path, o, "stateDir", c->state_dir, sizeof(c->state_dir))) == 0 &&
		 (r = str_into(path, o, "inventory", c->inventory, sizeof(c->inventory))) == 0 &&
		 (r = str_into(path, o, "ledger", c->ledger, sizeof(c->ledger))) == 0 &&
		 (r = str_into(path, o, "logLevel", c->log_level, sizeof(c->log_level))) == 0 &&
		 (r = int_of(path, NULL, o, "bootTimeout", 1, 86400, &c->boot_timeout_s)) == 0 &&
		 (r = int_of(path, NULL, o, "gracePeriod", 0, 86400, &c->grace_period_s)) == 0 && c->log_level[0] &&
		 log_level_parse(c->log_level, &lvl) < 0)
		r = bad(path, NULL, "logLevel", "error, warn, info, debug or trace");
	json_decref(o);
	return r;
}
