/* render.yaml checks: envVars: values, secrets, and fromDatabase, fromService and fromGroup references. */
#include "platform/render/check.h"
#include "util/banned.h"

static const char *const ref_types[] = { "web", "cron", "worker", "pserv", "static", "dpg", "job",
					 "redis", "keyvalue", NULL };

static const char *const svc_props[] = { "host", "port", "hostport", "connectionString", NULL };

static const char *const db_props[] = { "connectionString", "host", "port", "user", "password",
					"database", NULL };

static const char *const env_item_keys[] = { "key", "value", "previewValue", "generateValue", "sync",
					      "fromDatabase", "fromService", "fromGroup", NULL };

/* ---- environment variables ---- */

static bool secret_key(const char *k, size_t n)
{
	static const char *const secret[] = { "SECRET", "TOKEN", "PASSWORD", "PASSWD", "API_KEY", "APIKEY",
					      "PRIVATE", NULL };
	static const char *const harmless[] = { "EXPIR", "TTL", "LIFETIME", "ALGORITHM", "LENGTH", "_URL",
						"_HOST", "_PORT", "_PATH", "_FILE", "_NAME", "_USER", "_ID",
						"_ENABLED", NULL };
	char up[64];
	size_t i;
	bool hit = false;

	if (n >= sizeof(up))
		return false;
	for (i = 0; i < n; i++)
		up[i] = (char)toupper((unsigned char)k[i]);
	up[n] = '\0';
	if (!strcmp(up, "DATABASE_URL"))
		return true;
	for (i = 0; secret[i]; i++)
		hit = hit || strstr(up, secret[i]);
	for (i = 0; hit && harmless[i]; i++)
		if (strstr(up, harmless[i]))
			return false;
	return hit;
}

/* True when S holds a URL with a password: scheme://user:pass@host. */
static bool url_with_password(const char *s, size_t n)
{
	const char *p = memmem(s, n, "://", 3), *end = s + n, *at, *colon;

	if (!p)
		return false;
	p += 3;
	at = memchr(p, '@', (size_t)(end - p));
	colon = memchr(p, ':', (size_t)(end - p));
	return at && colon && colon < at && !memchr(p, '/', (size_t)(at - p)) && at - colon > 1;
}

/* True when S refers to another variable as $NAME or ${NAME}. */
static bool has_var_ref(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if (s[i] == '$' && (s[i + 1] == '{' || s[i + 1] == '_' || isalpha((unsigned char)s[i + 1])))
			return true;
	return false;
}

/* RND-ENV-9, -10, -11: what a literal value says. */
static void check_value_text(struct ctx *c, const struct svc *s, struct yaml_node *key, struct yaml_node *v)
{
	char kq[Q];
	size_t kl, len;
	const char *k = rnd_text(key, &kl), *t = rnd_text(v, &len);

	if (!t || !k)
		return;
	rnd_qq(kq, key);
	if (has_var_ref(t, len))
		rnd_issue(c, v, RND_ENV_11, SIM_HIGH, SIM_FIX_SUGGEST,
		      "use sync: false, or fromService/fromGroup for a value declared elsewhere",
		      "%s: Blueprints do not expand $VARIABLES; the value is used literally", kq);
	else if ((len >= 8 && secret_key(k, kl) && rnd_classify(v) == SC_STR) || url_with_password(t, len))
		rnd_issue(c, v, RND_ENV_9, SIM_MEDIUM, SIM_FIX_SUGGEST,
		      strstr(kq, "URL") ? "use fromDatabase/fromService for a connection string"
					: "use generateValue: true for an app secret, or sync: false",
		      "%s looks like a secret written into render.yaml", kq);
	if (s && s->kind == K_WEB && rnd_eqn(k, kl, "PORT"))
		rnd_issue(c, key, RND_ENV_10, SIM_LOW, SIM_FIX_NONE, NULL,
		      "PORT is set by Render (10000 by default); hard-code it only if the app needs that port");
}

/* RND-ENV-7 and RND-YAML-4: a value must be a string or a number that keeps its text. */
static void check_env_value(struct ctx *c, const struct svc *s, struct yaml_pair *kp, struct yaml_pair *vp)
{
	struct yaml_node *v = rnd_val_of(vp);
	char kq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *t = rnd_text(v, &len);

	rnd_qq(kq, rnd_val_of(kp));
	rnd_quote_fix(fx, vp);
	if (v && yaml_is_alias(v))
		return;
	if (!v || (!t && !yaml_is_scalar(v))) {
		rnd_issue(c, rnd_at_val(vp), RND_ENV_7, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "%s: value must be a string or a number, not %s", kq, v ? rnd_shape_name(v) : "nothing");
		return;
	}
	switch (rnd_classify(v)) {
	case SC_NULL:
		rnd_issue(c, rnd_at_val(vp), RND_ENV_7, SIM_MEDIUM, SIM_FIX_SUGGEST,
			  "write value: \"\" or use sync: false", "%s: value is empty (null), not a string", kq);
		return;
	case SC_BOOL:
	case SC_BOOL11:
		rnd_issue(c, v, RND_ENV_7, SIM_MEDIUM, SIM_FIX_HEAL, fx,
		      "%s: value %s is a YAML boolean; Render's schema wants a string", kq, rnd_q(vq, v));
		return;
	case SC_INT:
	case SC_FLOAT:
		if (!rnd_number_keeps_text(t, len))
			rnd_issue(c, v, RND_YAML_4, SIM_HIGH, SIM_FIX_HEAL, fx,
				  "%s: value %s is read as a number and loses its text (3.10 becomes 3.1)", kq,
				  rnd_q(vq, v));
		return;
	default:
		check_value_text(c, s, rnd_val_of(kp), v);
	}
}

static bool svc_kind_matches(unsigned kind, const char *t, size_t len)
{
	if (rnd_eqn(t, len, "web"))
		return kind & (K_WEB | K_STATIC);
	if (rnd_eqn(t, len, "static"))
		return kind == K_STATIC;
	if (rnd_eqn(t, len, "worker"))
		return kind == K_WORKER;
	if (rnd_eqn(t, len, "pserv"))
		return kind == K_PSERV;
	if (rnd_eqn(t, len, "cron"))
		return kind == K_CRON;
	if (rnd_eqn(t, len, "keyvalue") || rnd_eqn(t, len, "redis"))
		return kind == K_KV;
	return true;
}

/* True when MAP's envVars (or a group of SC they pull in) declare KEY; also true when we cannot know. */
static bool declares(struct yaml_node *map, const struct scope *sc, const char *k, size_t kl, int depth)
{
	struct yaml_node *list = rnd_get(map, "envVars"), *item, *g;
	void *it = NULL;
	size_t len;
	const char *s;

	if (!list || !yaml_is_sequence(list) || depth > 2)
		return false;
	while ((item = yaml_sequence_iterate(list, &it))) {
		if ((s = rnd_text(rnd_get(item, "key"), &len)) && len == kl && !memcmp(s, k, kl))
			return true;
		if (!(s = rnd_text(rnd_get(item, "fromGroup"), &len)))
			continue;
		if (!(g = rnd_scope_find(sc, 2, s, len, NULL)) || declares(g, sc, k, kl, depth + 1))
			return true;
	}
	return false;
}

/* RND-SVC-6: services talk to what they reference over the private network of one region. */
static void same_region(struct ctx *c, const struct svc *s, struct yaml_node *target, struct yaml_node *at)
{
	char nq[Q];
	size_t a, b;
	const char *ra = rnd_region_of(s ? s->map : NULL, &a), *rb = rnd_region_of(target, &b);

	if (!s || s->kind == K_STATIC || (a == b && !memcmp(ra, rb, a)))
		return;
	rnd_issue(c, at, RND_SVC_6, SIM_HIGH, SIM_FIX_NONE, NULL,
	      "service %s runs in %.*s but references a resource in %.*s; the private network does not cross regions",
	      rnd_svc_name(s, nq), (int)a, ra, (int)b, rb);
}

/*
 * RND-ENV-5: fromDatabase names a database this file does not declare. Render resolves the
 * name against the workspace too (its own examples point at an existing database), so the
 * sync works when that database already exists: high, not critical.
 */
static void missing_database(struct ctx *c, const struct scope *sc, struct yaml_node *name, const char *vq)
{
	char near[Q], fx[FIX_MAX];
	size_t len;
	const char *s = rnd_text(name, &len), *n;

	if (rnd_elsewhere(c, sc, 1, s, len)) {
		rnd_issue(c, name, RND_ENV_5, SIM_HIGH, SIM_FIX_NONE, NULL,
		      "database '%s' is declared in another environment; references resolve only inside one, so a "
		      "database of that name must already exist", vq);
		return;
	}
	n = rnd_near_name(sc, 1, s, len, near);
	snprintf(fx, sizeof(fx), "write name: %s", n ? n : "");
	rnd_issue(c, name, RND_ENV_5, SIM_HIGH, n ? SIM_FIX_SUGGEST : SIM_FIX_NONE, fx,
	      "no database named '%s' is declared in this file: the database must already exist on Render", vq);
}

static void ref_missing(struct ctx *c, const struct scope *sc, int which, struct yaml_node *name, const char *what)
{
	char vq[Q], near[Q], fx[FIX_MAX];
	size_t len;
	const char *s = rnd_text(name, &len), *n;

	rnd_q(vq, name);
	if (which == 1) {
		missing_database(c, sc, name, vq);
		return;
	}
	if (rnd_elsewhere(c, sc, which, s, len)) {
		rnd_issue(c, name, RND_ENV_6, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "%s '%s' is declared in another environment; references resolve only inside one", what, vq);
		return;
	}
	n = rnd_near_name(sc, which, s, len, near);
	snprintf(fx, sizeof(fx), "write name: %s", n ? n : "");
	rnd_issue(c, name, RND_ENV_6, SIM_CRITICAL, n ? SIM_FIX_SUGGEST : SIM_FIX_NONE, fx,
	      "no %s named '%s' is declared in this file", what, vq);
}

static void check_from_db(struct ctx *c, const struct scope *sc, const struct svc *s, struct yaml_pair *fp)
{
	static const char *const keys[] = { "name", "property", NULL };
	struct yaml_node *m = rnd_val_of(fp), *name, *db;
	size_t len;
	const char *t;

	if (!yaml_is_mapping(m)) {
		rnd_issue(c, rnd_at_val(fp), RND_ENV_5, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "fromDatabase must be a mapping with name and property");
		return;
	}
	rnd_check_keys(c, m, keys, RND_ENV_5, SIM_CRITICAL, "fromDatabase");
	if (!rnd_has(m, "property"))
		rnd_issue(c, rnd_key_of(fp), RND_ENV_5, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			  "fromDatabase needs a property");
	else
		rnd_check_enum(c, m, "property", db_props, RND_ENV_5, "fromDatabase.property");
	name = rnd_get(m, "name");
	if (rnd_is_null(name) || !(t = rnd_text(name, &len))) {
		if (rnd_is_null(name))
			rnd_issue(c, rnd_key_of(fp), RND_ENV_5, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "fromDatabase needs a name");
		return;
	}
	if (!(db = rnd_scope_find(sc, 1, t, len, NULL)))
		ref_missing(c, sc, 1, name, "database");
	else
		same_region(c, s, db, name);
}

/* The fromService target: exists, has the type named, declares envVarKey (RND-ENV-6). */
static void check_svc_target(struct ctx *c, const struct scope *sc, const struct svc *s, struct yaml_node *m)
{
	struct yaml_node *name = rnd_get(m, "name"), *type = rnd_get(m, "type"), *key = rnd_get(m, "envVarKey"),
			 *target;
	char vq[Q], tq[Q], fx[FIX_MAX];
	size_t len, tl, kl;
	const char *n = rnd_text(name, &len), *t = rnd_text(type, &tl), *k = rnd_text(key, &kl);
	struct svc ts;
	int count;

	if (!n || rnd_is_null(name))
		return;
	if (rnd_eqn(t, tl, "dpg") || rnd_eqn(t, tl, "job"))
		return;
	if (!(target = rnd_scope_find(sc, 0, n, len, &count))) {
		ref_missing(c, sc, 0, name, "service");
		return;
	}
	rnd_svc_init(&ts, target);
	if (t && ts.kind && !svc_kind_matches(ts.kind, t, tl)) {
		snprintf(fx, sizeof(fx), "write type: %s", rnd_kind_name(ts.kind));
		rnd_issue(c, type, RND_ENV_6, SIM_CRITICAL, count == 1 ? SIM_FIX_HEAL : SIM_FIX_NONE, fx,
		      "fromService names '%s' with type %s, but that service is %s", rnd_q(vq, name), rnd_q(tq, type),
		      rnd_kind_name(ts.kind));
	}
	if (k && !rnd_is_null(key) && !declares(target, sc, k, kl, 0) && !(kl > 7 && !memcmp(k, "RENDER_", 7))) {
		snprintf(fx, sizeof(fx), "declare %s on %s (sync: false if it is a secret)", rnd_q(tq, key),
			 rnd_q(vq, name));
		rnd_issue(c, key, RND_ENV_6, SIM_CRITICAL, SIM_FIX_SUGGEST, fx,
		      "environment variable not found: '%s' is not declared on service '%s'", tq, vq);
	}
	if (!k && ts.kind != K_STATIC)
		same_region(c, s, target, name);
}

static void check_from_svc(struct ctx *c, const struct scope *sc, const struct svc *s, struct yaml_pair *fp)
{
	static const char *const keys[] = { "name", "type", "property", "envVarKey", NULL };
	struct yaml_node *m = rnd_val_of(fp), *prop;
	char vq[Q];
	size_t tl;
	const char *t;

	if (!yaml_is_mapping(m)) {
		rnd_issue(c, rnd_at_val(fp), RND_ENV_6, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "fromService must be a mapping with name, type and property or envVarKey");
		return;
	}
	rnd_check_keys(c, m, keys, RND_ENV_6, SIM_CRITICAL, "fromService");
	if (!rnd_has(m, "name"))
		rnd_issue(c, rnd_key_of(fp), RND_ENV_6, SIM_CRITICAL, SIM_FIX_NONE, NULL, "fromService needs a name");
	if (!rnd_has(m, "type"))
		rnd_issue(c, rnd_key_of(fp), RND_ENV_6, SIM_CRITICAL, SIM_FIX_NONE, NULL, "fromService needs a type");
	else
		rnd_check_enum(c, m, "type", ref_types, RND_ENV_6, "fromService.type");
	if (rnd_has(m, "property") == rnd_has(m, "envVarKey"))
		rnd_issue(c, rnd_key_of(fp), RND_ENV_6, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "fromService needs exactly one of property and envVarKey");
	prop = rnd_get(m, "property");
	/* connectionString is svc_props[3]: only a keyvalue has one */
	t = rnd_text(rnd_get(m, "type"), &tl);
	if (rnd_has(m, "property") &&
	    rnd_check_enum(c, m, "property", svc_props, RND_ENV_6, "fromService.property") == 3 && t &&
	    !rnd_eqn(t, tl, "keyvalue") && !rnd_eqn(t, tl, "redis"))
		rnd_issue(c, prop, RND_ENV_6, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "fromService.property %s is only for keyvalue services", rnd_q(vq, prop));
	check_svc_target(c, sc, s, m);
}

/*
 * RND-GRP-4. The catalog calls a dangling fromGroup an error, but groups can also be made in the
 * dashboard for the whole workspace, where this file cannot see them: medium, not critical.
 */
static void check_from_group(struct ctx *c, const struct scope *sc, struct yaml_pair *fp)
{
	struct yaml_node *v = rnd_val_of(fp);
	char vq[Q];
	size_t len;
	const char *t = rnd_text(v, &len);

	if (!rnd_value_ok(c, fp, T_STR, RND_ENV_1) || !t || rnd_scope_find(sc, 2, t, len, NULL))
		return;
	rnd_q(vq, v);
	if (rnd_elsewhere(c, sc, 2, t, len))
		rnd_issue(c, v, RND_GRP_4, SIM_HIGH, SIM_FIX_NONE, NULL,
		      "fromGroup '%s' is declared in another environment; groups resolve only inside one", vq);
	else
		rnd_issue(c, v, RND_GRP_4, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "fromGroup '%s' is not declared in this file; the sync fails unless the workspace has that group",
		      vq);
}

static int count_sources(struct yaml_node *item, struct yaml_pair **second)
{
	static const char *const sources[] = { "value", "generateValue", "sync", "fromDatabase", "fromService", NULL };
	int i, n = 0;
	struct yaml_pair *p;

	for (i = 0; sources[i]; i++)
		if ((p = rnd_pair_get(item, sources[i])) && n++ == 1)
			*second = p;
	return n;
}

/* RND-ENV-2: more than one value source. */
static void two_sources(struct ctx *c, struct yaml_node *item, struct yaml_pair *second, const char *kq)
{
	struct yaml_pair *vp = rnd_pair_get(item, "value");
	bool plain_only = !rnd_pair_get(item, "fromDatabase") && !rnd_pair_get(item, "fromService");
	char sq[Q];
	size_t len = 0;
	const char *t = rnd_text(rnd_val_of(vp), &len);

	if (plain_only && vp && t && len && !rnd_is_null(rnd_val_of(vp)))
		rnd_issue(c, rnd_key_of(second), RND_ENV_2, SIM_CRITICAL, SIM_FIX_HEAL,
		      "keep value, delete the other sources", "%s: cannot simultaneously specify value and %s", kq,
		      rnd_q(sq, rnd_key_of(second)));
	else if (plain_only && rnd_pair_get(item, "sync") && !rnd_pair_get(item, "generateValue"))
		rnd_issue(c, rnd_key_of(second), RND_ENV_2, SIM_CRITICAL, SIM_FIX_HEAL,
			  "keep sync: false, delete value", "%s: cannot simultaneously specify fields value and sync",
			  kq);
	else
		rnd_issue(c, rnd_key_of(second), RND_ENV_2, SIM_CRITICAL, SIM_FIX_SUGGEST,
		      "keep one of value, generateValue, sync, fromDatabase, fromService",
		      "%s has more than one value source", kq);
}

/* The source flags: generateValue must be true, sync false (RND-ENV-4); groups take no sync (RND-GRP-2). */
static void check_flags(struct ctx *c, struct yaml_node *item, bool group, const char *kq)
{
	struct yaml_pair *gp = rnd_typed(c, item, "generateValue", T_BOOL, RND_ENV_4);
	struct yaml_pair *sp = rnd_typed(c, item, "sync", T_BOOL, RND_ENV_4);

	if (gp && rnd_bool_value(rnd_val_of(gp)) == 0)
		rnd_issue(c, rnd_key_of(gp), RND_ENV_4, SIM_MEDIUM, SIM_FIX_HEAL, "delete generateValue: false",
		      "%s: generateValue: false does nothing", kq);
	if (sp && rnd_bool_value(rnd_val_of(sp)) == 1)
		rnd_issue(c, rnd_key_of(sp), RND_ENV_4, SIM_MEDIUM, SIM_FIX_HEAL, "delete sync: true",
		      "%s: sync: true does nothing (only sync: false asks for a value)", kq);
	if (sp && group)
		rnd_issue(c, rnd_key_of(sp), RND_GRP_2, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "%s: sync: false in an environment group; set the value on the group in the dashboard", kq);
}

/* An item of a group may only be key/value or key/generateValue (RND-GRP-2). */
bool rnd_group_refs(struct ctx *c, struct yaml_node *item, const char *kq)
{
	static const char *const refs[] = { "fromDatabase", "fromService", "fromGroup", NULL };
	struct yaml_pair *p;
	int i;
	bool any = false;

	for (i = 0; refs[i]; i++)
		if ((p = rnd_pair_get(item, refs[i]))) {
			rnd_issue(c, rnd_key_of(p), RND_GRP_2, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "%s: environment groups cannot use %s", kq, refs[i]);
			any = true;
		}
	return any;
}

static void check_from_group_item(struct ctx *c, const struct scope *sc, struct yaml_node *item,
				  struct yaml_pair *fg)
{
	if (yaml_mapping_count(item) > 1 && !rnd_pair_get(item, "<<")) {
		rnd_issue(c, rnd_key_of(fg), RND_ENV_1, SIM_CRITICAL, SIM_FIX_HEAL,
		      "move fromGroup into an envVars item of its own",
		      "an envVars item with fromGroup takes nothing else (must be from group or have a key and value)");
		return;
	}
	check_from_group(c, sc, fg);
}

static void check_envvar(struct ctx *c, const struct scope *sc, const struct svc *s, struct yaml_node *item, bool group)
{
	struct yaml_pair *kp, *second = NULL, *p;
	char kq[Q];
	int n;

	if (!yaml_is_mapping(item)) {
		if (!yaml_is_alias(item))
			rnd_issue(c, item, RND_ENV_1, SIM_CRITICAL, SIM_FIX_SUGGEST,
			      "write it as - key: NAME with value: VALUE",
			      "envVars entries must be mappings with a key and a value source");
		return;
	}
	rnd_check_keys(c, item, env_item_keys, RND_ENV_1, SIM_CRITICAL, "envVars entry");
	if ((p = rnd_pair_get(item, "fromGroup")) && !group) {
		check_from_group_item(c, sc, item, p);
		return;
	}
	kp = rnd_pair_get(item, "key");
	if (!kp || rnd_is_null(rnd_val_of(kp))) {
		if (!rnd_pair_get(item, "<<") && !(group && p))
			rnd_issue(c, kp ? rnd_key_of(kp) : item, RND_ENV_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "envVars entry has no key (must be from group or have a key and value)");
		if (group)
			rnd_group_refs(c, item, "envVars entry");
		return;
	}
	rnd_value_ok(c, kp, T_STR, RND_ENV_1);
	rnd_qq(kq, rnd_val_of(kp));
	if (group && rnd_group_refs(c, item, kq))
		return;
	n = count_sources(item, &second);
	if (n == 0 && !rnd_pair_get(item, "<<"))
		rnd_issue(c, rnd_val_of(kp), RND_ENV_3, SIM_CRITICAL, SIM_FIX_HEAL,
		      "add sync: false (Render asks for the value in the dashboard)",
		      "%s has no value (must be from group or have a key and value)", kq);
	else if (n > 1)
		two_sources(c, item, second, kq);
	if ((p = rnd_pair_get(item, "previewValue")) && !rnd_pair_get(item, "value"))
		rnd_issue(c, rnd_key_of(p), RND_ENV_2, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			  "%s: previewValue needs a value", kq);
	if ((p = rnd_pair_get(item, "value")))
		check_env_value(c, s, kp, p);
	if ((p = rnd_pair_get(item, "previewValue")))
		check_env_value(c, NULL, kp, p);
	check_flags(c, item, group, kq);
	if ((p = rnd_pair_get(item, "fromDatabase")))
		check_from_db(c, sc, s, p);
	if ((p = rnd_pair_get(item, "fromService")))
		check_from_svc(c, sc, s, p);
}

/* RND-ENV-8: the same key twice in one list. */
static void env_dup_keys(struct ctx *c, struct yaml_node *list)
{
	struct yaml_node *item;
	struct ents *e = &c->tmp;
	void *it = NULL;
	char kq[Q];
	size_t i;

	e->n = 0;
	while ((item = yaml_sequence_iterate(list, &it)))
		rnd_ents_push(c, e, rnd_get(item, "key"), item);
	rnd_ents_sort(e);
	for (i = 1; i < e->n; i++)
		if (e->v[i].len && rnd_ent_same(&e->v[i], &e->v[i - 1]))
			rnd_issue(c, e->v[i].at, RND_ENV_8, SIM_MEDIUM, SIM_FIX_NONE, NULL,
			      "%s is declared twice in one envVars list; the last one wins", rnd_qq(kq, e->v[i].at));
}

void rnd_check_envvars(struct ctx *c, const struct scope *sc, const struct svc *s, struct yaml_pair *lp,
			  bool group)
{
	struct yaml_node *list = rnd_val_of(lp), *item;
	void *it = NULL;

	if (!lp || rnd_is_null(list) || yaml_is_alias(list))
		return;
	if (!yaml_is_sequence(list)) {
		rnd_issue(c, rnd_at_val(lp), group ? RND_GRP_1 : RND_ENV_1, SIM_CRITICAL, SIM_FIX_SUGGEST,
		      "write a list: - key: NAME with value: VALUE",
		      "envVars must be a list of - key: ... entries, not %s", rnd_shape_name(list));
		return;
	}
	while ((item = yaml_sequence_iterate(list, &it)))
		check_envvar(c, sc, s, item, group);
	env_dup_keys(c, list);
}
