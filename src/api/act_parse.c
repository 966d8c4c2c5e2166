/* The fleet routes' bodies and the secrets routes', checked (act_parse.h). */
#include "api/act_parse.h"
#include "app/fleet/secrets.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

int act_parse_deployment(json_t *body, struct act_req *r, char *msg, size_t len)
{
	static const char *const allowed[] = { ACT_FIELDS_REACH, ACT_FIELDS_SWITCH, ACT_FIELDS_LEASE,
					       ACT_FIELDS_SOURCE, ACT_FIELDS_DEPLOY, NULL };

	return act_check_fields(body, allowed, msg, len) < 0 || act_parse_fleet(body, r, msg, len) < 0 ||
			       act_parse_source(body, r, msg, len) < 0 || act_parse_deploy(body, r, msg, len) < 0
		       ? -1
		       : 0;
}

int act_parse_rollback(json_t *body, struct act_req *r, uint32_t *gen, char *msg, size_t len)
{
	static const char *const allowed[] = { ACT_FIELDS_REACH, ACT_FIELDS_SWITCH, ACT_FIELDS_LEASE, "generation",
					       NULL };
	long g = 0;

	*gen = 0;
	if (act_check_fields(body, allowed, msg, len) < 0 || act_parse_fleet(body, r, msg, len) < 0 ||
	    act_field_int(body, "generation", 1, INT32_MAX, &g, msg, len) < 0)
		return -1;
	*gen = (uint32_t)g;
	return 0;
}

int act_parse_exec(json_t *body, struct act_req *r, struct act_exec *e, char *msg, size_t len)
{
	static const char *const allowed[] = { ACT_FIELDS_REACH, "command", "record_output", NULL };

	memset(e, 0, sizeof(*e));
	if (act_check_fields(body, allowed, msg, len) < 0 || act_parse_fleet(body, r, msg, len) < 0 ||
	    act_field_str(body, "command", &e->command, msg, len) < 0 ||
	    act_field_bool(body, "record_output", &e->record_output, msg, len) < 0)
		return -1;
	if (!e->command) {
		snprintf(msg, len, "field 'command' is missing: expected the command line to run on every node, a string"
				   " (\"systemctl is-active nginx\")");
		return -1;
	}
	/* As `chimera exec`: no limit on the command unless one is asked for. */
	if (!json_object_get(body, "timeout"))
		r->reach.timeout = 0;
	return 0;
}

int act_parse_facts(json_t *body, struct act_req *r, char *msg, size_t len)
{
	static const char *const allowed[] = { ACT_FIELDS_REACH, "profile", NULL };

	return act_check_fields(body, allowed, msg, len) < 0 || act_parse_fleet_opt(body, r, msg, len) < 0 ? -1 : 0;
}

int act_parse_empty(json_t *body, char *msg, size_t len)
{
	static const char *const none[] = { NULL };

	return act_check_fields(body, none, msg, len);
}

int act_parse_node(const char *node, const struct inventory *inv, char name[TARGET_FORMAT_MAX], bool *machine,
		   char *msg, size_t len)
{
	const struct inv_machine *m = inv ? inventory_find(inv, node) : NULL;
	struct target t;

	name[0] = '\0';
	*machine = m != NULL;
	if (m) {
		fleet_node_name(&m->target, name, TARGET_FORMAT_MAX);
		return 0;
	}
	if (target_parse(&t, node, strlen(node)) < 0) {
		snprintf(msg, len, "node '%.200s' is neither a machine of chimera.toml nor a target: %s (expected a"
				   " machine's name, or the node as watch reports it: user@host:port)", node, err_msg());
		return -1;
	}
	fleet_node_name(&t, name, TARGET_FORMAT_MAX);
	*machine = inv && inventory_find_target(inv, &t) != NULL;
	return 0;
}

/* "keys": a non-empty array of non-empty strings, into G->keys (pointing into BODY). */
static int keys_field(json_t *keys, struct act_grant *g, char *msg, size_t len)
{
	json_t *e;
	size_t i;

	if (!json_is_array(keys) || !json_array_size(keys)) {
		snprintf(msg, len, "field 'keys' is %s: expected an array of grant keys, each a machine's name or"
				   " user@host:port ([\"web-1\", \"deploy@10.0.0.5:22\"])",
			 json_is_array(keys) ? "an empty array" : "not an array");
		return -1;
	}
	if (!(g->keys = calloc(json_array_size(keys), sizeof(*g->keys)))) {
		snprintf(msg, len, "out of memory");
		return -1;
	}
	json_array_foreach(keys, i, e) {
		if (!json_is_string(e) || !json_string_length(e) || json_string_length(e) > SECRETS_KEY_MAX ||
		    strlen(json_string_value(e)) != json_string_length(e)) {
			snprintf(msg, len, "field 'keys'[%zu] is %s: expected a machine's name or user@host:port", i,
				 !json_is_string(e) ? "not a string" : json_string_length(e) ? "too long or holds a NUL"
											: "empty");
			return -1;
		}
		g->keys[g->nkeys++] = json_string_value(e);
	}
	return 0;
}

int act_parse_grant(const char *name, json_t *body, struct act_grant *g, char *msg, size_t len)
{
	static const char *const allowed[] = { "targets", "keys", NULL };
	struct act_req r = { 0 };
	json_t *keys = json_object_get(body, "keys");

	memset(g, 0, sizeof(*g));
	g->name = name;
	if (secrets_name_check(name) < 0) {
		snprintf(msg, len, "%s", err_msg());
		return -1;
	}
	if (act_check_fields(body, allowed, msg, len) < 0)
		return -1;
	if (!keys == !json_object_get(body, "targets")) {
		snprintf(msg, len, "%s: give 'targets' (machine names, @TAG, globs or all) or 'keys' (grant keys"
				   " as kept: machine names or user@host:port), not both",
			 keys ? "both 'targets' and 'keys' given" : "fields 'targets' and 'keys' are missing");
		return -1;
	}
	if (keys)
		return keys_field(keys, g, msg, len);
	/* The targets field as the fleet routes take it; the rest of R is not used. */
	if (act_parse_fleet(body, &r, msg, len) < 0) {
		act_req_release(&r);
		return -1;
	}
	g->targets = r.targets;
	r.targets = NULL;
	act_req_release(&r);
	return 0;
}

void act_grant_release(struct act_grant *g)
{
	free(g->targets);
	free(g->keys);
	memset(g, 0, sizeof(*g));
}
