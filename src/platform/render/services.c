/* render.yaml checks: a service: cron syntax, type, name, fields, runtime, plan, region and deploy settings. */
#include "platform/render/check.h"
#include "util/banned.h"

static const char *const runtimes[] = { "docker", "elixir", "go", "image", "node", "python",
					"ruby", "rust", "static", NULL };

static const char *const removed_plans[] = { "starter plus", "starter-plus", "standard plus",
					     "standard-plus", "individual", NULL };

static const char *const regions[] = { "oregon", "ohio", "virginia", "frankfurt", "singapore", NULL };

static const char *const svc_type_names[] = { "web", "worker", "pserv", "cron", "keyvalue", NULL };

static const char *const triggers[] = { "off", "commit", "checksPass", NULL };

static const struct field svc_fields[] = {
	{ "type", T_STR, K_ALL, RND_SVC_1 },
	{ "name", T_STR, K_ALL, RND_SVC_2 },
	{ "runtime", T_STR, K_GIT, RND_SVC_4 },
	{ "env", T_ANY, K_GIT, RND_SVC_3 },
	{ "region", T_STR, K_SERVER | K_CRON | K_KV, RND_SVC_6 },
	{ "plan", T_STR, K_SERVER | K_CRON | K_KV, RND_SVC_5 },
	{ "previewPlan", T_STR, K_SERVER | K_KV, RND_SVC_5 },
	{ "repo", T_STR, K_GIT, RND_SVC_7 },
	{ "branch", T_STR, K_GIT, RND_SVC_7 },
	{ "rootDir", T_STR, K_GIT, RND_SVC_7 },
	{ "image", T_MAP, K_SERVER | K_CRON, RND_IMG_1 },
	{ "dockerCommand", T_STR, K_SERVER | K_CRON, RND_SVC_7 },
	{ "dockerContext", T_STR, K_SERVER | K_CRON, RND_SVC_7 },
	{ "dockerfilePath", T_STR, K_SERVER | K_CRON, RND_SVC_7 },
	{ "registryCredential", T_MAP, K_SERVER | K_CRON, RND_SVC_7 },
	{ "buildCommand", T_STR, K_GIT, RND_CMD_2 },
	{ "startCommand", T_STR, K_SERVER | K_CRON, RND_CMD_1 },
	{ "preDeployCommand", T_STR, K_SERVER, RND_SVC_7 },
	{ "initialDeployHook", T_STR, K_SERVER, RND_SVC_7 },
	{ "schedule", T_STR, K_CRON, RND_CRON_2 },
	{ "numInstances", T_ANY, K_SERVER, RND_SVC_11 },
	{ "healthCheckPath", T_STR, K_SERVER, RND_HC_1 },
	{ "scaling", T_MAP, K_SERVER, RND_SCALE_1 },
	{ "disk", T_MAP, K_SERVER, RND_DISK_1 },
	{ "domain", T_STR, K_SERVER | K_STATIC, RND_SVC_11 },
	{ "domains", T_ANY, K_SERVER | K_STATIC, RND_SVC_11 },
	{ "envVars", T_ANY, K_GIT, RND_ENV_1 },
	{ "autoDeploy", T_BOOL, K_GIT, RND_SVC_8 },
	{ "autoDeployTrigger", T_ANY, K_GIT, RND_SVC_9 },
	{ "buildFilter", T_ANY, K_GIT, RND_SVC_10 },
	{ "previews", T_MAP, K_SERVER | K_STATIC, RND_SVC_7 },
	{ "pullRequestPreviewsEnabled", T_BOOL, K_SERVER | K_STATIC, RND_SVC_8 },
	{ "maxShutdownDelaySeconds", T_ANY, K_SERVER, RND_SVC_11 },
	{ "ipAllowList", T_ANY, K_SERVER | K_STATIC | K_KV, RND_SVC_11 },
	{ "renderSubdomainPolicy", T_ANY, K_SERVER, RND_SVC_7 },
	{ "staticPublishPath", T_STR, K_STATIC, RND_STATIC_1 },
	{ "headers", T_SEQ, K_STATIC, RND_STATIC_4 },
	{ "routes", T_SEQ, K_STATIC, RND_STATIC_3 },
	{ "maxmemoryPolicy", T_ANY, K_KV, RND_KV_2 },
	{ NULL, T_ANY, 0, RND_RULES },
};

/* ---- cron ---- */

static const char *const month_names[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN",
					   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL };

static const char *const day_names[] = { "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL };

static const struct cron_field cron_fields[5] = {
	{ "minute", 0, 59, NULL }, { "hour", 0, 23, NULL }, { "day of month", 1, 31, NULL },
	{ "month", 1, 12, month_names }, { "day of week", 0, 7, day_names },
};

/* One number or name of field F at S; returns its value or -1. */
static int cron_atom(const struct cron_field *f, const char *s, size_t n)
{
	int v = 0, i;
	size_t k;

	if (n == 3 && f->names) {
		for (i = 0; f->names[i]; i++)
			if (strncasecmp(s, f->names[i], 3) == 0)
				return f->lo + i;
		return -1;
	}
	if (n == 0 || n > 2)
		return -1;
	for (k = 0; k < n; k++) {
		if (!isdigit((unsigned char)s[k]))
			return -1;
		v = v * 10 + (s[k] - '0');
	}
	return v >= f->lo && v <= f->hi ? v : -1;
}

/* One comma-separated part: *, ?, a, a-b, each with an optional /step. */
static bool cron_part(const struct cron_field *f, bool dom_dow, const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n), *dash;
	size_t body = slash ? (size_t)(slash - s) : n;
	int a, b, step = 1;

	if (slash) {
		size_t sn = n - body - 1, k;

		if (sn == 0 || sn > 2)
			return false;
		for (step = 0, k = 0; k < sn; k++) {
			if (!isdigit((unsigned char)slash[1 + k]))
				return false;
			step = step * 10 + (slash[1 + k] - '0');
		}
		if (step < 1 || step > f->hi)
			return false;
	}
	if (body == 1 && (s[0] == '*' || (s[0] == '?' && dom_dow)))
		return true;
	dash = memchr(s, '-', body);
	if (!dash)
		return cron_atom(f, s, body) >= 0;
	a = cron_atom(f, s, (size_t)(dash - s));
	b = cron_atom(f, dash + 1, body - (size_t)(dash - s) - 1);
	return a >= 0 && b >= 0 && a <= b;
}

static bool cron_field_ok(const struct cron_field *f, bool dom_dow, const char *s, size_t n)
{
	const char *comma;

	while ((comma = memchr(s, ',', n))) {
		if (!cron_part(f, dom_dow, s, (size_t)(comma - s)))
			return false;
		n -= (size_t)(comma - s) + 1;
		s = comma + 1;
	}
	return cron_part(f, dom_dow, s, n);
}

/* Check a cron expression; on failure say why in WHY. */
bool rnd_cron_ok(const char *s, size_t n, char *why, size_t whylen)
{
	static const char *const macros[] = { "@yearly", "@annually", "@monthly", "@weekly", "@daily",
					      "@midnight", "@hourly", NULL };
	const char *tok[6], *end = s + n;
	size_t tl[6];
	int nt = 0, i;

	if (rnd_in_list(s, n, macros))
		return true;
	while (s < end) {
		while (s < end && isspace((unsigned char)*s))
			s++;
		if (s == end)
			break;
		if (nt == 6)
			break;
		tok[nt] = s;
		while (s < end && !isspace((unsigned char)*s))
			s++;
		tl[nt] = (size_t)(s - tok[nt]);
		nt++;
	}
	if (nt != 5) {
		snprintf(why, whylen, "has %s%d fields; Render wants 5 (minute hour day-of-month month day-of-week)",
			 nt == 6 ? "more than " : "", nt == 6 ? 5 : nt);
		return false;
	}
	for (i = 0; i < 5; i++)
		if (!cron_field_ok(&cron_fields[i], i == 2 || i == 4, tok[i], tl[i])) {
			snprintf(why, whylen, "has a bad %s field (%d-%d)", cron_fields[i].name, cron_fields[i].lo,
				 cron_fields[i].hi);
			return false;
		}
	return true;
}

/* ---- services: shape ---- */

const char *rnd_kind_name(unsigned kind)
{
	switch (kind) {
	case K_WEB:
		return "web";
	case K_WORKER:
		return "worker";
	case K_PSERV:
		return "pserv";
	case K_CRON:
		return "cron";
	case K_KV:
		return "keyvalue";
	case K_STATIC:
		return "static";
	default:
		return "workflow";
	}
}

const char *rnd_svc_name(const struct svc *s, char out[Q])
{
	if (!s->name || !rnd_text(s->name, &(size_t){ 0 })) {
		snprintf(out, Q, "%s", "(unnamed)");
		return out;
	}
	return rnd_qq(out, s->name);
}

void rnd_svc_init(struct svc *s, struct yaml_node *map)
{
	static const struct {
		const char *name;
		unsigned kind;
	} types[] = {
		{ "web", K_WEB }, { "worker", K_WORKER }, { "pserv", K_PSERV }, { "cron", K_CRON },
		{ "keyvalue", K_KV }, { "redis", K_KV }, { "workflow", K_WORKFLOW }, { "static", K_STATIC },
	};
	struct yaml_node *type = rnd_get(map, "type");
	size_t i;

	memset(s, 0, sizeof(*s));
	s->map = map;
	s->merged = rnd_pair_get(map, "<<") != NULL;
	s->name = rnd_get(map, "name");
	if (rnd_is_null(s->name))
		s->name = NULL;
	s->rt = rnd_text(rnd_get(map, "runtime"), &s->rtlen);
	if (!s->rt || !s->rtlen)
		s->rt = rnd_text(rnd_get(map, "env"), &s->rtlen);
	if (s->rt && !s->rtlen)
		s->rt = NULL;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (rnd_is(type, types[i].name))
			s->kind = types[i].kind;
	if (s->kind == K_WEB && rnd_eqn(s->rt, s->rtlen, "static"))
		s->kind = K_STATIC;
}

static void check_svc_type(struct ctx *c, struct svc *s)
{
	struct yaml_pair *p = rnd_pair_get(s->map, "type");
	struct yaml_node *v = rnd_val_of(p);
	char nq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *t = rnd_text(v, &len), *near;

	rnd_svc_name(s, nq);
	if (!p || rnd_is_null(v)) {
		if (!s->merged)
			rnd_issue(c, p ? rnd_key_of(p) : s->map, RND_SVC_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "service %s has no type (web, worker, pserv, cron or keyvalue)", nq);
		return;
	}
	if (!t) {
		if (!yaml_is_alias(v))
			rnd_issue(c, v, RND_SVC_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
				  "service %s: type must be a string", nq);
		return;
	}
	rnd_q(vq, v);
	if (rnd_eqn(t, len, "redis"))
		rnd_issue(c, v, RND_SVC_1, SIM_MEDIUM, SIM_FIX_HEAL, "rename type redis to keyvalue",
		      "service %s: type redis is the deprecated name of keyvalue", nq);
	else if (rnd_eqn(t, len, "static"))
		rnd_issue(c, v, RND_SVC_1, SIM_CRITICAL, SIM_FIX_HEAL, "set type: web and runtime: static",
		      "service %s: there is no type static; a static site is type: web with runtime: static", nq);
	else if (rnd_eqn(t, len, "postgres") || rnd_eqn(t, len, "postgresql") || rnd_eqn(t, len, "database") ||
		 rnd_eqn(t, len, "psql") || rnd_eqn(t, len, "pg"))
		rnd_issue(c, v, RND_SVC_1, SIM_CRITICAL, SIM_FIX_SUGGEST, "move it under databases:",
		      "service %s: type %s is not a service; PostgreSQL goes under databases:", nq, vq);
	else if (s->kind == K_WORKFLOW)
		rnd_issue(c, v, RND_SVC_1, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "service %s: type workflow is newer than Render's schema; only its name and envVars were checked",
		      nq);
	else if (!s->kind) {
		near = rnd_nearest(t, len, svc_type_names);
		snprintf(fx, sizeof(fx), "write type: %s", near ? near : "");
		rnd_issue(c, v, RND_SVC_1, SIM_CRITICAL, near ? SIM_FIX_SUGGEST : SIM_FIX_NONE, fx,
		      "service %s: unknown type '%s' (web, worker, pserv, cron or keyvalue)", nq, vq);
	}
}

static void check_svc_name(struct ctx *c, struct svc *s)
{
	struct yaml_pair *p = rnd_pair_get(s->map, "name");

	if (!p || rnd_is_null(rnd_val_of(p))) {
		if (!s->merged)
			rnd_issue(c, p ? rnd_key_of(p) : s->map, RND_SVC_2, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "service has no name");
		return;
	}
	rnd_value_ok(c, p, T_STR, RND_SVC_2);
}

/* A key the service's kind does not take (pair P, field F). */
static void not_allowed(struct ctx *c, struct svc *s, struct yaml_pair *p, const struct field *f)
{
	char nq[Q], fx[FIX_MAX];
	bool heal = !strcmp(f->key, "plan") || !strcmp(f->key, "region") || !strcmp(f->key, "numInstances");

	rnd_svc_name(s, nq);
	snprintf(fx, sizeof(fx), "delete %s", f->key);
	switch (s->kind) {
	case K_STATIC:
		rnd_issue(c, rnd_key_of(p), RND_STATIC_2, SIM_CRITICAL, heal ? SIM_FIX_HEAL : SIM_FIX_SUGGEST, fx,
		      "static site %s cannot have %s (no plan, region, start command, disk or scaling)", nq, f->key);
		break;
	case K_CRON:
		rnd_issue(c, rnd_key_of(p), RND_CRON_3, SIM_CRITICAL, SIM_FIX_SUGGEST, fx, "cron job %s cannot have %s",
		      nq, f->key);
		break;
	case K_KV:
		rnd_issue(c, rnd_key_of(p), RND_KV_3, SIM_CRITICAL, SIM_FIX_SUGGEST, fx,
		      "keyvalue %s cannot have %s (it runs no code of yours)", nq, f->key);
		break;
	default:
		if (f->kinds == K_STATIC)
			rnd_issue(c, rnd_key_of(p), RND_SVC_7, SIM_CRITICAL, SIM_FIX_SUGGEST,
			      "set runtime: static if this is a static site",
			      "service %s: %s is only for static sites (runtime: static)", nq, f->key);
		else
			rnd_issue(c, rnd_key_of(p), RND_SVC_7, SIM_CRITICAL, SIM_FIX_SUGGEST, fx,
			      "service %s: %s is not a field of this service type", nq, f->key);
		break;
	}
}

static void unknown_svc_key(struct ctx *c, struct svc *s, struct yaml_pair *p, const char *k, size_t len)
{
	char nq[Q], where_[Q + 16];

	if (s->kind == K_KV && rnd_eqn(k, len, "persistenceMode")) {
		rnd_issue(c, rnd_key_of(p), RND_KV_3, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "keyvalue %s: persistenceMode is newer than Render's schema; check it in the dashboard",
		      rnd_svc_name(s, nq));
		return;
	}
	snprintf(where_, sizeof(where_), "service %s", rnd_svc_name(s, nq));
	rnd_unknown_key(c, p, RND_SVC_7, SIM_CRITICAL, where_, rnd_nearest_field(k, len, svc_fields),
		    rnd_sure_of(k, len, NULL, svc_fields));
}

/* Every key of the service: known, allowed for its kind, of the right type (RND-SVC-7 and owners). */
static void check_svc_fields(struct ctx *c, struct svc *s)
{
	struct yaml_pair *p;
	const struct field *f;
	void *it = NULL;
	size_t len;
	const char *k;

	while ((p = yaml_mapping_iterate(s->map, &it))) {
		if (!(k = rnd_text(rnd_key_of(p), &len)) || rnd_eqn(k, len, "<<"))
			continue;
		if (!(f = rnd_field_find(svc_fields, k, len)))
			unknown_svc_key(c, s, p, k, len);
		else if (!(f->kinds & s->kind))
			not_allowed(c, s, p, f);
		else if (f->type != T_ANY && strcmp(f->key, "type") && strcmp(f->key, "name"))
			rnd_value_ok(c, p, f->type, f->rule);
	}
}

/* ---- services: runtime, plan, region ---- */

static void check_env_alias(struct ctx *c, struct svc *s, struct yaml_pair *rp, struct yaml_pair *ep)
{
	struct yaml_node *ev = rnd_val_of(ep);
	char nq[Q];
	size_t rl, el;
	const char *r = rnd_text(rnd_val_of(rp), &rl), *e = rnd_text(ev, &el);

	rnd_svc_name(s, nq);
	if (yaml_is_sequence(ev) || yaml_is_mapping(ev)) {
		bool free_slot = !rnd_pair_get(s->map, "envVars");

		rnd_issue(c, rnd_key_of(ep), RND_SVC_3, SIM_CRITICAL, free_slot ? SIM_FIX_HEAL : SIM_FIX_SUGGEST,
		      free_slot ? "rename env to envVars" : "move these variables into envVars",
		      "service %s: env names the runtime; environment variables go in envVars", nq);
		return;
	}
	if (!e || rnd_is_null(ev))
		return;
	if (!rp || rnd_is_null(rnd_val_of(rp)))
		rnd_issue(c, rnd_key_of(ep), RND_SVC_3, SIM_MEDIUM, SIM_FIX_HEAL, "rename env to runtime",
		      "service %s: env is the deprecated name of runtime", nq);
	else if (r && rl == el && memcmp(r, e, el) == 0)
		rnd_issue(c, rnd_key_of(ep), RND_SVC_3, SIM_MEDIUM, SIM_FIX_HEAL, "delete env (runtime says the same)",
		      "service %s: env repeats runtime", nq);
	else
		rnd_issue(c, rnd_key_of(ep), RND_SVC_3, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s: env and runtime disagree; keep runtime only", nq);
}

/*
 * S (LEN bytes) in lower case when that is one of KNOWN (NULL-terminated), else what the
 * N FIXES map it to, else NULL.
 */
static const char *known_or_fixed(const char *s, size_t len, const char *const *known, const struct spelling *fixes,
				  size_t n)
{
	char low[32];
	size_t i;

	if (len >= sizeof(low))
		return NULL;
	for (i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[len] = '\0';
	for (i = 0; known[i]; i++)
		if (!strcmp(low, known[i]))
			return known[i];
	for (i = 0; i < n; i++)
		if (!strcmp(low, fixes[i].from))
			return fixes[i].to;
	return NULL;
}

/* The runtime a wrong one was meant to be, or NULL. */
static const char *runtime_fix(const char *s, size_t len)
{
	static const struct spelling fixes[] = {
		{ "nodejs", "node" }, { "node.js", "node" }, { "js", "node" }, { "javascript", "node" },
		{ "typescript", "node" }, { "python3", "python" }, { "py", "python" }, { "golang", "go" },
		{ "dockerfile", "docker" }, { "rails", "ruby" }, { "html", "static" },
	};

	return known_or_fixed(s, len, runtimes, fixes, sizeof(fixes) / sizeof(fixes[0]));
}

/* RND-SVC-3 and RND-SVC-4: runtime (or env) present, and one Render knows. */
static void check_runtime(struct ctx *c, struct svc *s)
{
	struct yaml_pair *rp = rnd_pair_get(s->map, "runtime"), *ep = rnd_pair_get(s->map, "env");
	struct yaml_pair *used = rp && !rnd_is_null(rnd_val_of(rp)) ? rp : ep;
	struct yaml_node *v = rnd_val_of(used);
	char nq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *t = rnd_text(v, &len), *fix;

	rnd_svc_name(s, nq);
	if (ep)
		check_env_alias(c, s, rp, ep);
	if (!used || rnd_is_null(v) || (used == ep && !t)) {
		if (!s->merged && s->kind != K_STATIC)
			rnd_issue(c, s->map, RND_SVC_3, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "service %s has no runtime (%s)", nq, RUNTIME_LIST);
		return;
	}
	if (!t || rnd_in_list(t, len, runtimes))
		return;
	if ((fix = runtime_fix(t, len))) {
		snprintf(fx, sizeof(fx), "write runtime: %s", fix);
		rnd_issue(c, v, RND_SVC_4, SIM_CRITICAL, SIM_FIX_HEAL, fx,
		      "service %s: runtime '%s' is not one of Render's (%s)", nq, rnd_q(vq, v), fix);
	} else {
		rnd_issue(c, v, RND_SVC_4, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s: unknown runtime '%s' (%s)", nq, rnd_q(vq, v), RUNTIME_LIST);
	}
}

/* RND-SVC-5: the plan of pair P. Returns true when it reads as the free plan. */
bool rnd_check_plan(struct ctx *c, struct yaml_pair *p)
{
	struct yaml_node *v = rnd_val_of(p);
	char norm[32], vq[Q], kq[Q], fx[FIX_MAX];
	size_t len, i;
	const char *s = rnd_text(v, &len);

	if (!s || rnd_is_null(v))
		return false;
	if (rnd_in_list(s, len, rnd_plans))
		return rnd_eqn(s, len, "free");
	rnd_q(vq, v);
	rnd_q(kq, rnd_key_of(p));
	if (len >= sizeof(norm)) {
		rnd_issue(c, v, RND_SVC_5, SIM_CRITICAL, SIM_FIX_NONE, NULL, "unknown %s '%s'", kq, vq);
		return false;
	}
	for (i = 0; i < len; i++)
		norm[i] = s[i] == '_' ? '-' : (char)tolower((unsigned char)s[i]);
	norm[len] = '\0';
	if (rnd_in_list(norm, len, rnd_plans)) {
		snprintf(fx, sizeof(fx), "write %s: %s", kq, norm);
		rnd_issue(c, v, RND_SVC_5, SIM_CRITICAL, SIM_FIX_HEAL, fx,
		      "%s '%s' is not a plan name: Render's are lower-case with dashes (%s)", kq, vq, norm);
		return !strcmp(norm, "free");
	}
	if (rnd_in_list(norm, len, removed_plans))
		rnd_issue(c, v, RND_SVC_5, SIM_CRITICAL, SIM_FIX_SUGGEST,
			  "pick a current plan: starter, standard or pro", "%s '%s' was removed by Render", kq, vq);
	else
		rnd_issue(c, v, RND_SVC_5, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "unknown %s '%s' (free, starter, standard, pro, pro plus, ... or basic-/pro-/accelerated-<size>)",
		      kq, vq);
	return false;
}

/* The region a wrong one most likely means, or NULL. */
static const char *region_fix(const char *s, size_t len)
{
	static const struct spelling fixes[] = {
		{ "us-west", "oregon" }, { "us-west-2", "oregon" }, { "us-west-1", "oregon" },
		{ "us-east", "virginia" }, { "us-east-1", "virginia" }, { "us-east-2", "ohio" },
		{ "us-central", "ohio" }, { "eu", "frankfurt" }, { "europe", "frankfurt" },
		{ "eu-central", "frankfurt" }, { "eu-central-1", "frankfurt" }, { "eu-west", "frankfurt" },
		{ "germany", "frankfurt" }, { "asia", "singapore" }, { "ap-southeast-1", "singapore" },
		{ "sg", "singapore" },
	};

	return known_or_fixed(s, len, regions, fixes, sizeof(fixes) / sizeof(fixes[0]));
}

/* RND-SVC-6: the region of MAP, if any, is one of Render's. */
void rnd_check_region(struct ctx *c, struct yaml_node *map)
{
	struct yaml_node *v = rnd_get(map, "region");
	char vq[Q], fx[FIX_MAX];
	size_t len;
	const char *s = rnd_text(v, &len), *fix;

	if (!s || rnd_is_null(v) || rnd_in_list(s, len, regions))
		return;
	rnd_q(vq, v);
	if ((fix = region_fix(s, len))) {
		bool same = strlen(fix) == len && !strncasecmp(fix, s, len);

		snprintf(fx, sizeof(fx), "write region: %s", fix);
		rnd_issue(c, v, RND_SVC_6, SIM_CRITICAL, same ? SIM_FIX_HEAL : SIM_FIX_SUGGEST, fx,
		      "region '%s' is not one of Render's (oregon, ohio, virginia, frankfurt, singapore)", vq);
	} else {
		rnd_issue(c, v, RND_SVC_6, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "unknown region '%s' (oregon, ohio, virginia, frankfurt, singapore)", vq);
	}
}

/* The region MAP runs in: its own, or Render's default. */
const char *rnd_region_of(struct yaml_node *map, size_t *len)
{
	const char *s = rnd_text(rnd_get(map, "region"), len);

	if (s && rnd_in_list(s, *len, regions))
		return s;
	*len = 6;
	return "oregon";
}

/* ---- services: deploy settings ---- */

static void check_autodeploy(struct ctx *c, struct svc *s)
{
	struct yaml_pair *ad = rnd_pair_get(s->map, "autoDeploy"), *adt = rnd_pair_get(s->map, "autoDeployTrigger");
	char nq[Q], fx[FIX_MAX];
	int b;

	rnd_svc_name(s, nq);
	rnd_check_enum(c, s->map, "autoDeployTrigger", triggers, RND_SVC_9, "autoDeployTrigger");
	if (!ad)
		return;
	if (adt) {
		rnd_issue(c, rnd_key_of(ad), RND_SVC_9, SIM_MEDIUM, SIM_FIX_SUGGEST, "delete autoDeploy",
		      "service %s sets both autoDeploy and autoDeployTrigger", nq);
		return;
	}
	b = rnd_bool_value(rnd_val_of(ad));
	snprintf(fx, sizeof(fx), "replace autoDeploy with autoDeployTrigger: %s", b == 0 ? "\"off\"" : "commit");
	rnd_issue(c, rnd_key_of(ad), RND_SVC_8, SIM_MEDIUM, b < 0 ? SIM_FIX_NONE : SIM_FIX_HEAL, fx,
	      "service %s: autoDeploy is deprecated; use autoDeployTrigger", nq);
}

static void check_deprecated(struct ctx *c, struct svc *s)
{
	struct yaml_pair *pr = rnd_pair_get(s->map, "pullRequestPreviewsEnabled");
	struct yaml_pair *pp = rnd_pair_get(s->map, "previewPlan");
	char nq[Q];

	rnd_svc_name(s, nq);
	check_autodeploy(c, s);
	if (pr)
		rnd_issue(c, rnd_key_of(pr), RND_SVC_8, SIM_MEDIUM, SIM_FIX_HEAL,
		      rnd_bool_value(rnd_val_of(pr)) == 1 ? "replace it with previews: {generation: automatic}"
						  : "delete pullRequestPreviewsEnabled",
		      "service %s: pullRequestPreviewsEnabled is deprecated; use previews.generation", nq);
	if (pp && (s->kind & K_SERVER))
		rnd_issue(c, rnd_key_of(pp), RND_SVC_8, SIM_MEDIUM, SIM_FIX_HEAL, "move previewPlan to previews.plan",
		      "service %s: previewPlan is deprecated; use previews.plan", nq);
	if (pp)
		rnd_check_plan(c, pp);
}

static void check_build_filter(struct ctx *c, struct svc *s)
{
	static const char *const keys[] = { "paths", "ignoredPaths", NULL };
	struct yaml_pair *p = rnd_typed(c, s->map, "buildFilter", T_ANY, RND_SVC_10);
	struct yaml_node *m = rnd_val_of(p), *item;
	char nq[Q], fx[FIX_MAX];
	void *it;
	int i;

	if (!p)
		return;
	rnd_check_keys(c, m, keys, RND_SVC_10, SIM_MEDIUM, "buildFilter");
	for (i = 0; keys[i]; i++) {
		struct yaml_pair *lp = rnd_typed(c, m, keys[i], T_SEQ, RND_SVC_10);

		for (it = NULL; lp && (item = yaml_sequence_iterate(rnd_val_of(lp), &it));)
			if (!yaml_is_scalar(item))
				rnd_issue(c, item, RND_SVC_10, SIM_CRITICAL, SIM_FIX_NONE, NULL,
				      "buildFilter.%s entries must be glob strings", keys[i]);
		if (!rnd_pair_get(m, keys[i]) && !rnd_pair_get(m, "<<")) {
			snprintf(fx, sizeof(fx), "add %s: []", keys[i]);
			rnd_issue(c, rnd_key_of(p), RND_SVC_10, SIM_MEDIUM, SIM_FIX_SUGGEST, fx,
			      "service %s: buildFilter without %s; a sync empties it, dropping any set elsewhere",
			      rnd_svc_name(s, nq), keys[i]);
		}
	}
}

/* ---- services ---- */

void rnd_check_service(struct ctx *c, const struct scope *sc, struct yaml_node *map)
{
	struct svc s;
	struct yaml_pair *p;
	char nq[Q];

	if (!yaml_is_mapping(map)) {
		if (!yaml_is_alias(map))
			rnd_issue(c, map, RND_SVC_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "services entries must be mappings");
		return;
	}
	rnd_svc_init(&s, map);
	check_svc_type(c, &s);
	check_svc_name(c, &s);
	if (s.kind && s.kind != K_WORKFLOW) {
		if (s.kind != K_KV)
			check_runtime(c, &s);
		check_svc_fields(c, &s);
		if ((p = rnd_pair_get(map, "plan")) && (s.kind & (K_SERVER | K_CRON | K_KV)))
			s.free = rnd_check_plan(c, p);
		if (s.kind != K_STATIC)
			rnd_check_region(c, map);
		check_deprecated(c, &s);
		check_build_filter(c, &s);
		rnd_check_domains(c, map);
		rnd_check_ip_allow(c, map);
		rnd_check_svc_previews(c, &s);
	}
	if (s.kind & K_SERVER)
		rnd_check_server(c, &s);
	else if (s.kind == K_CRON)
		rnd_check_cron(c, &s);
	else if (s.kind == K_KV)
		rnd_check_kv(c, &s);
	else if (s.kind == K_STATIC)
		rnd_check_static(c, &s);
	if (c->previews_on && (p = rnd_pair_get(map, "branch")) && !rnd_is_null(rnd_val_of(p)))
		rnd_issue(c, rnd_key_of(p), RND_PREV_3, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "service %s pins a branch while preview environments are on; previews then build that branch",
		      rnd_svc_name(&s, nq));
	if (s.kind != K_KV)
		rnd_check_envvars(c, sc, &s, rnd_pair_get(map, "envVars"), false);
}
