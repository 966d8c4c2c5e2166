/* render.yaml checks: databases, environment groups, unique names, projects and the root. */
#include "platform/render/check.h"
#include "util/banned.h"

static const char *const pg_versions[] = { "10", "11", "12", "13", "14", "15", "16", "17", "18", NULL };

static const char *const root_keys[] = { "services", "databases", "envVarGroups", "projects", "ungrouped",
					 "previews", "version", "previewsEnabled",
					 "previewsExpireAfterDays", NULL };

static const char *const resource_keys[] = { "services", "databases", "envVarGroups", NULL };

static const struct field db_fields[] = {
	{ "name", T_STR, K_ALL, RND_DB_1 },
	{ "databaseName", T_STR, K_ALL, RND_DB_2 },
	{ "user", T_STR, K_ALL, RND_DB_2 },
	{ "region", T_STR, K_ALL, RND_SVC_6 },
	{ "plan", T_STR, K_ALL, RND_SVC_5 },
	{ "previewPlan", T_STR, K_ALL, RND_SVC_5 },
	{ "diskSizeGB", T_ANY, K_ALL, RND_DB_3 },
	{ "previewDiskSizeGB", T_ANY, K_ALL, RND_DB_3 },
	{ "storageAutoscalingEnabled", T_BOOL, K_ALL, RND_DB_2 },
	{ "postgresMajorVersion", T_ANY, K_ALL, RND_DB_4 },
	{ "highAvailability", T_ANY, K_ALL, RND_DB_5 },
	{ "ipAllowList", T_ANY, K_ALL, RND_SVC_11 },
	{ "readReplicas", T_ANY, K_ALL, RND_DB_6 },
	{ NULL, T_ANY, 0, RND_RULES },
};

/* ---- databases and groups ---- */

static bool flexible_plan(const char *s, size_t len)
{
	return (len > 6 && !strncmp(s, "basic-", 6)) || (len > 4 && !strncmp(s, "pro-", 4)) ||
	       (len > 12 && !strncmp(s, "accelerated-", 12));
}

static void check_db_plans(struct ctx *c, struct yaml_node *map)
{
	struct yaml_pair *pp = rnd_pair_get(map, "plan"), *vp = rnd_pair_get(map, "previewPlan");
	size_t a, b;
	const char *pa = rnd_text(rnd_val_of(pp), &a), *pb = rnd_text(rnd_val_of(vp), &b);

	if (pp && rnd_check_plan(c, pp))
		rnd_issue(c, rnd_val_of(pp), RND_DB_8, SIM_LOW, SIM_FIX_NONE, NULL,
		      "a free Postgres database expires after 30 days, and a workspace gets only one");
	if (vp)
		rnd_check_plan(c, vp);
	if (pa && pb && rnd_in_list(pa, a, rnd_plans) && rnd_in_list(pb, b, rnd_plans) &&
	    flexible_plan(pa, a) != flexible_plan(pb, b))
		rnd_issue(c, rnd_val_of(vp), RND_DB_7, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "plan and previewPlan mix a flexible plan (basic-/pro-/accelerated-) with a legacy one");
}

static void check_pg_version(struct ctx *c, struct yaml_pair *p)
{
	struct yaml_node *v = rnd_val_of(p);
	char vq[Q], fx[FIX_MAX];
	size_t len;
	const char *t = rnd_text(v, &len);

	if (!p || rnd_is_null(v) || yaml_is_alias(v))
		return;
	if (!t) {
		rnd_issue(c, v, RND_DB_4, SIM_CRITICAL, SIM_FIX_NONE, NULL, "postgresMajorVersion must be a string");
		return;
	}
	rnd_q(vq, v);
	if (!rnd_in_list(t, len, pg_versions)) {
		rnd_issue(c, v, RND_DB_4, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "postgresMajorVersion '%s' is not one Render offers (\"10\" to \"18\")", vq);
		return;
	}
	if (rnd_plain(v)) {
		snprintf(fx, sizeof(fx), "quote it: postgresMajorVersion: \"%s\"", vq);
		rnd_issue(c, v, RND_YAML_4, SIM_MEDIUM, SIM_FIX_HEAL, fx,
		      "postgresMajorVersion: %s is read as a number; Render's schema wants the string \"%s\"", vq, vq);
	}
}

static void check_db_disk(struct ctx *c, struct yaml_node *map, const char *key)
{
	struct yaml_pair *p = rnd_pair_get(map, key);
	long v = rnd_int_range(c, map, key, 1, LONG_MAX, 1, RND_DB_3);
	char fx[FIX_MAX];

	if (p && v > 1 && v % 5) {
		snprintf(fx, sizeof(fx), "write %s: %ld", key, (v + 4) / 5 * 5);
		rnd_issue(c, rnd_val_of(p), RND_DB_3, SIM_CRITICAL, SIM_FIX_SUGGEST, fx,
		      "%s must be 1 or a multiple of 5, not %ld", key, v);
	}
}

static void check_db_extras(struct ctx *c, struct yaml_node *map)
{
	static const char *const ha_keys[] = { "enabled", NULL };
	static const char *const rr_keys[] = { "name", NULL };
	struct yaml_pair *p;
	struct yaml_node *item;
	void *it = NULL;

	if ((p = rnd_typed(c, map, "highAvailability", T_ANY, RND_DB_5))) {
		rnd_check_keys(c, rnd_val_of(p), ha_keys, RND_DB_5, SIM_CRITICAL, "highAvailability");
		if (!rnd_pair_get(rnd_val_of(p), "enabled"))
			rnd_issue(c, rnd_key_of(p), RND_DB_5, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "highAvailability needs enabled");
		rnd_typed(c, rnd_val_of(p), "enabled", T_BOOL, RND_DB_5);
	}
	if (!(p = rnd_typed(c, map, "readReplicas", T_ANY, RND_DB_6)))
		return;
	if (yaml_sequence_is_empty(rnd_val_of(p)))
		rnd_issue(c, rnd_key_of(p), RND_DB_6, SIM_HIGH, SIM_FIX_NONE, NULL,
		      "readReplicas: [] deletes every read replica of the database on sync");
	while ((item = yaml_sequence_iterate(rnd_val_of(p), &it))) {
		if (!yaml_is_mapping(item)) {
			rnd_issue(c, item, RND_DB_6, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "readReplicas entries must be {name: ...}");
			continue;
		}
		rnd_check_keys(c, item, rr_keys, RND_DB_6, SIM_CRITICAL, "read replica");
		if (!rnd_has(item, "name"))
			rnd_issue(c, item, RND_DB_6, SIM_CRITICAL, SIM_FIX_NONE, NULL, "read replica has no name");
	}
}

static void check_db(struct ctx *c, struct yaml_node *map)
{
	struct yaml_pair *p;
	const struct field *f;
	void *it = NULL;
	size_t len;
	const char *k;

	if (!yaml_is_mapping(map)) {
		if (!yaml_is_alias(map))
			rnd_issue(c, map, RND_DB_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "databases entries must be mappings");
		return;
	}
	while ((p = yaml_mapping_iterate(map, &it))) {
		if (!(k = rnd_text(rnd_key_of(p), &len)) || rnd_eqn(k, len, "<<"))
			continue;
		if (!(f = rnd_field_find(db_fields, k, len)))
			rnd_unknown_key(c, p, RND_DB_2, SIM_CRITICAL, "a database",
					rnd_nearest_field(k, len, db_fields), rnd_sure_of(k, len, NULL, db_fields));
		else if (f->type != T_ANY)
			rnd_value_ok(c, p, f->type, f->rule);
	}
	if (!rnd_has(map, "name") && !rnd_pair_get(map, "<<"))
		rnd_issue(c, map, RND_DB_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "database has no name");
	rnd_check_region(c, map);
	check_db_plans(c, map);
	check_db_disk(c, map, "diskSizeGB");
	check_db_disk(c, map, "previewDiskSizeGB");
	check_pg_version(c, rnd_pair_get(map, "postgresMajorVersion"));
	rnd_check_ip_allow(c, map);
	check_db_extras(c, map);
}

static void check_group(struct ctx *c, const struct scope *sc, struct yaml_node *map)
{
	static const char *const keys[] = { "name", "envVars", NULL };
	struct yaml_pair *p;

	if (!yaml_is_mapping(map)) {
		if (!yaml_is_alias(map))
			rnd_issue(c, map, RND_GRP_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "envVarGroups entries must be mappings");
		return;
	}
	rnd_check_keys(c, map, keys, RND_GRP_1, SIM_CRITICAL, "an environment group");
	if (rnd_pair_get(map, "<<"))
		return;
	if (!rnd_has(map, "name"))
		rnd_issue(c, map, RND_GRP_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "environment group has no name");
	else
		rnd_typed(c, map, "name", T_STR, RND_GRP_1);
	p = rnd_pair_get(map, "envVars");
	if (!p || rnd_is_null(rnd_val_of(p)))
		rnd_issue(c, p ? rnd_key_of(p) : map, RND_GRP_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "environment group needs envVars (a list)");
	else
		rnd_check_envvars(c, sc, NULL, p, true);
}

/* ---- scopes and names ---- */

static void check_scope(struct ctx *c, const struct scope *sc)
{
	struct yaml_node *item;
	void *it;
	size_t len;
	const char *t;
	char vq[Q];
	int i;

	for (i = 0; i < 2; i++) {
		for (it = NULL; (item = rnd_next_item(sc->svcs[i], &it));)
			rnd_check_service(c, sc, item);
		for (it = NULL; (item = rnd_next_item(sc->dbs[i], &it));)
			check_db(c, item);
		for (it = NULL; (item = rnd_next_item(sc->groups[i], &it));) {
			check_group(c, sc, item);
			if ((t = rnd_text(rnd_get(item, "name"), &len)) && len &&
			    !rnd_ents_find(&sc->group_refs, t, len, NULL))
				rnd_issue(c, rnd_get(item, "name"), RND_GRP_5, SIM_LOW, SIM_FIX_NONE, NULL,
					  "environment group '%s' is not used by any service",
					  rnd_q(vq, rnd_get(item, "name")));
		}
	}
}

/* Report the later of equal names in sorted E under RULE. */
static void report_dups(struct ctx *c, const struct ents *e, enum rnd_rule rule, const char *what)
{
	const struct ent *first = NULL, *again;
	char vq[Q];
	size_t i = 0;
	int line;

	while ((again = rnd_ents_next_repeat(e, &i, &first, &line)))
		rnd_issue(c, again->at, rule, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "two %ss are named '%s' (the first at line %d)", what, rnd_q(vq, again->at), line);
}

/*
 * Names unique within the Blueprint (RND-SVC-2, RND-DB-1, RND-GRP-3). A database named like a
 * service is only hygiene: Render's own examples (posthog, forem, strapi) do it and sync.
 */
static void check_unique(struct ctx *c)
{
	static const enum rnd_rule rules[] = { RND_SVC_2, RND_DB_1, RND_GRP_3 };
	static const char *const what[] = { "service", "database", "environment group" };
	struct ents all[3];
	char vq[Q];
	size_t i, j;
	int w;

	memset(all, 0, sizeof(all));
	for (w = 0; w < 3; w++) {
		for (i = 0; i < c->nscopes; i++)
			for (j = 0; j < c->scopes[i].names[w].n; j++)
				rnd_ents_push(c, &all[w], c->scopes[i].names[w].v[j].at,
					      c->scopes[i].names[w].v[j].owner);
		rnd_ents_sort(&all[w]);
		report_dups(c, &all[w], rules[w], what[w]);
	}
	for (i = 0; i < all[1].n; i++)
		if ((i == 0 || !rnd_ent_same(&all[1].v[i], &all[1].v[i - 1])) &&
		    rnd_ents_find(&all[0], all[1].v[i].s, all[1].v[i].len, NULL))
			rnd_issue(c, all[1].v[i].at, RND_SVC_2, SIM_LOW, SIM_FIX_NONE, NULL,
			      "database '%s' has the name of a service; distinct names read better",
			      rnd_q(vq, all[1].v[i].at));
	for (w = 0; w < 3; w++)
		rnd_ents_free(&all[w]);
}

/* Index the names of SC's services, databases and groups, and the groups its services pull in. */
static void scope_index(struct ctx *c, struct scope *sc)
{
	struct yaml_node *item, *env;
	void *it, *it2;
	int w, k;

	for (w = 0; w < 3; w++) {
		for (k = 0; k < 2; k++)
			for (it = NULL; (item = rnd_next_item(rnd_scope_lists(sc, w)[k], &it));)
				rnd_ents_push(c, &sc->names[w], rnd_get(item, "name"), item);
		rnd_ents_sort(&sc->names[w]);
	}
	for (k = 0; k < 2; k++)
		for (it = NULL; (item = rnd_next_item(sc->svcs[k], &it));)
			for (it2 = NULL; (env = rnd_next_item(rnd_get(item, "envVars"), &it2));)
				rnd_ents_push(c, &sc->group_refs, rnd_get(env, "fromGroup"), item);
	rnd_ents_sort(&sc->group_refs);
}

/* ---- root, projects, previews ---- */

static void check_root_previews(struct ctx *c, struct yaml_node *root)
{
	static const char *const keys[] = { "generation", "expireAfterDays", NULL };
	struct yaml_pair *p = rnd_typed(c, root, "previews", T_MAP, RND_PREV_1);
	struct yaml_pair *en = rnd_pair_get(root, "previewsEnabled"),
			 *ex = rnd_pair_get(root, "previewsExpireAfterDays");
	int g;

	if (p) {
		rnd_check_keys(c, rnd_val_of(p), keys, RND_PREV_1, SIM_CRITICAL, "previews");
		g = rnd_check_enum(c, rnd_val_of(p), "generation", rnd_generations, RND_PREV_1, "previews.generation");
		rnd_int_range(c, rnd_val_of(p), "expireAfterDays", 1, LONG_MAX, 1, RND_PREV_1);
		c->previews_on = g == 0 || g == 1;
	}
	if (en && rnd_value_ok(c, en, T_BOOL, RND_PREV_2)) {
		bool on = rnd_bool_value(rnd_val_of(en)) == 1;

		rnd_issue(c, rnd_key_of(en), RND_PREV_2, SIM_MEDIUM, p ? SIM_FIX_SUGGEST : SIM_FIX_HEAL,
		      on && !p ? "replace it with previews: {generation: automatic}" : "delete previewsEnabled",
		      "previewsEnabled is deprecated; use previews.generation");
		c->previews_on = c->previews_on || (on && !p);
	}
	if (ex && rnd_value_ok(c, ex, T_INT, RND_PREV_2))
		rnd_issue(c, rnd_key_of(ex), RND_PREV_2, SIM_MEDIUM, SIM_FIX_HEAL,
			  "move it to previews.expireAfterDays",
			  "previewsExpireAfterDays is deprecated; use previews.expireAfterDays");
}

/* The services, databases and envVarGroups of MAP into slot I of SC, each checked to be a list. */
static void take_resources(struct ctx *c, struct yaml_node *map, struct scope *sc, int i, enum rnd_rule rule)
{
	struct yaml_pair *p;

	if ((p = rnd_typed(c, map, "services", T_SEQ, rule)))
		sc->svcs[i] = rnd_val_of(p);
	if ((p = rnd_typed(c, map, "databases", T_SEQ, rule)))
		sc->dbs[i] = rnd_val_of(p);
	if ((p = rnd_typed(c, map, "envVarGroups", T_SEQ, rule)))
		sc->groups[i] = rnd_val_of(p);
}

static void check_environment(struct ctx *c, struct yaml_node *env)
{
	static const char *const keys[] = { "name", "services", "databases", "envVarGroups", "networking",
					    "permissions", NULL };
	static const char *const net_keys[] = { "isolation", NULL };
	static const char *const perm_keys[] = { "protection", NULL };
	struct scope sc;
	struct yaml_pair *p;

	memset(&sc, 0, sizeof(sc));
	if (!yaml_is_mapping(env)) {
		rnd_issue(c, env, RND_PRJ_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "environments entries must be mappings");
		return;
	}
	rnd_check_keys(c, env, keys, RND_PRJ_1, SIM_CRITICAL, "an environment");
	if (!rnd_has(env, "name") && !rnd_pair_get(env, "<<"))
		rnd_issue(c, env, RND_PRJ_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "environment has no name");
	rnd_typed(c, env, "name", T_STR, RND_PRJ_1);
	if ((p = rnd_typed(c, env, "networking", T_MAP, RND_PRJ_1))) {
		rnd_check_keys(c, rnd_val_of(p), net_keys, RND_PRJ_1, SIM_CRITICAL, "networking");
		rnd_check_enum(c, rnd_val_of(p), "isolation", rnd_on_off, RND_PRJ_1, "networking.isolation");
	}
	if ((p = rnd_typed(c, env, "permissions", T_MAP, RND_PRJ_1))) {
		rnd_check_keys(c, rnd_val_of(p), perm_keys, RND_PRJ_1, SIM_CRITICAL, "permissions");
		rnd_check_enum(c, rnd_val_of(p), "protection", rnd_on_off, RND_PRJ_1, "permissions.protection");
	}
	take_resources(c, env, &sc, 0, RND_PRJ_1);
	rnd_scope_add(c, &sc);
}

/* Names of the mappings in SEQ unique (RULE, WHAT). */
static void unique_in(struct ctx *c, struct yaml_node *seq, enum rnd_rule rule, const char *what)
{
	struct yaml_node *item;
	void *it = NULL;

	c->tmp.n = 0;
	while ((item = yaml_sequence_iterate(seq, &it)))
		rnd_ents_push(c, &c->tmp, rnd_get(item, "name"), item);
	rnd_ents_sort(&c->tmp);
	report_dups(c, &c->tmp, rule, what);
}

static void check_projects(struct ctx *c, struct yaml_node *root)
{
	static const char *const keys[] = { "name", "environments", NULL };
	struct yaml_pair *p = rnd_typed(c, root, "projects", T_SEQ, RND_ROOT_3), *ep;
	struct yaml_node *prj, *env;
	void *it = NULL, *it2;

	while (p && (prj = yaml_sequence_iterate(rnd_val_of(p), &it))) {
		if (!yaml_is_mapping(prj)) {
			rnd_issue(c, prj, RND_PRJ_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "projects entries must be mappings");
			continue;
		}
		rnd_check_keys(c, prj, keys, RND_PRJ_1, SIM_CRITICAL, "a project");
		if (!rnd_has(prj, "name") && !rnd_pair_get(prj, "<<"))
			rnd_issue(c, prj, RND_PRJ_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "project has no name");
		rnd_typed(c, prj, "name", T_STR, RND_PRJ_1);
		if (!rnd_has(prj, "environments") && !rnd_pair_get(prj, "<<"))
			rnd_issue(c, prj, RND_PRJ_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "project has no environments");
		if (!(ep = rnd_typed(c, prj, "environments", T_SEQ, RND_PRJ_1)))
			continue;
		unique_in(c, rnd_val_of(ep), RND_PRJ_1, "environment");
		for (it2 = NULL; (env = yaml_sequence_iterate(rnd_val_of(ep), &it2));)
			check_environment(c, env);
	}
	if (p)
		unique_in(c, rnd_val_of(p), RND_PRJ_1, "project");
}

static void check_version(struct ctx *c, struct yaml_node *root)
{
	struct yaml_pair *p = rnd_pair_get(root, "version");
	struct yaml_node *v = rnd_val_of(p);

	if (!p || rnd_is_null(v) || yaml_is_alias(v))
		return;
	if (!rnd_is(v, "1"))
		rnd_issue(c, rnd_at_val(p), RND_ROOT_3, SIM_CRITICAL, SIM_FIX_NONE, NULL, "version must be \"1\"");
	else if (rnd_plain(v))
		rnd_issue(c, v, RND_YAML_4, SIM_MEDIUM, SIM_FIX_HEAL, "quote it: version: \"1\"",
		      "version: 1 is read as a number; Render's schema wants the string \"1\"");
}

static bool empty_seq(struct yaml_node *seq)
{
	return !seq || !yaml_is_sequence(seq) || yaml_sequence_is_empty(seq);
}

/* The root: known keys, the root scope (root plus ungrouped), projects, and something to deploy. */
void rnd_check_root(struct ctx *c, struct yaml_node *root)
{
	struct scope sc;
	struct yaml_pair *up;
	size_t i;

	memset(&sc, 0, sizeof(sc));
	rnd_check_keys(c, root, root_keys, RND_ROOT_1, SIM_CRITICAL, "the root");
	check_version(c, root);
	check_root_previews(c, root);
	take_resources(c, root, &sc, 0, RND_ROOT_3);
	if ((up = rnd_typed(c, root, "ungrouped", T_MAP, RND_ROOT_3))) {
		rnd_check_keys(c, rnd_val_of(up), resource_keys, RND_ROOT_1, SIM_CRITICAL, "ungrouped");
		take_resources(c, rnd_val_of(up), &sc, 1, RND_ROOT_3);
	}
	rnd_scope_add(c, &sc);
	check_projects(c, root);
	for (i = 0; i < c->nscopes; i++)
		scope_index(c, &c->scopes[i]);
	if (c->err)
		return;
	for (i = 0; i < c->nscopes; i++)
		if (!empty_seq(c->scopes[i].svcs[0]) || !empty_seq(c->scopes[i].svcs[1]) ||
		    !empty_seq(c->scopes[i].dbs[0]) || !empty_seq(c->scopes[i].dbs[1]))
			break;
	if (i == c->nscopes && !rnd_pair_get(root, "<<"))
		rnd_issue(c, root, RND_ROOT_2, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "the Blueprint declares no services and no databases: there is nothing to sync");
	check_unique(c);
	for (i = 0; i < c->nscopes && !c->err; i++)
		check_scope(c, &c->scopes[i]);
}
