/* render.yaml checks: what each kind of service takes: domains, IP lists, commands, image, disk, scaling, cron, keyvalue, static. */
#include "platform/render/check.h"
#include "util/banned.h"

static const char *const native_runtimes[] = { "elixir", "go", "node", "python", "ruby", "rust", NULL };

static const char *const policies[] = { "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu",
					"allkeys-random", "volatile-random", "volatile-ttl",
					"noeviction", NULL };

static const char *const route_types[] = { "redirect", "rewrite", NULL };

/* True when S looks like a host name: letters, digits, dots and dashes, an optional leading "*.". */
static bool hostname_ok(const char *s, size_t n)
{
	size_t i;
	bool dot = false;

	if (n >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '.')
			dot = true;
		else if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	}
	return dot;
}

static void check_domain(struct ctx *c, struct yaml_node *v)
{
	char vq[Q];
	size_t len;
	const char *s = rnd_text(v, &len);

	if (!s || rnd_is_null(v) || hostname_ok(s, len))
		return;
	rnd_q(vq, v);
	if (memmem(s, len, "://", 3) || memchr(s, '/', len))
		rnd_issue(c, v, RND_SVC_11, SIM_CRITICAL, SIM_FIX_SUGGEST,
			  "keep only the host name (no scheme, no path)", "domain '%s' must be a host name, not a URL",
			  vq);
	else
		rnd_issue(c, v, RND_SVC_11, SIM_CRITICAL, SIM_FIX_NONE, NULL, "domain '%s' is not a host name", vq);
}

void rnd_check_domains(struct ctx *c, struct yaml_node *map)
{
	struct yaml_pair *p = rnd_typed(c, map, "domains", T_ANY, RND_SVC_11);
	struct yaml_node *item;
	void *it = NULL;

	check_domain(c, rnd_get(map, "domain"));
	while (p && (item = yaml_sequence_iterate(rnd_val_of(p), &it)))
		if (yaml_is_scalar(item))
			check_domain(c, item);
		else
			rnd_issue(c, item, RND_SVC_11, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "domains entries must be strings");
}

static bool cidr_ok(const char *s, size_t n)
{
	char buf[64], *slash;
	unsigned char addr[16];
	long bits = -1;
	int fam;

	if (n == 0 || n >= sizeof(buf) || memchr(s, 0, n))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if ((slash = strchr(buf, '/'))) {
		char *end;

		*slash = '\0';
		bits = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end)
			return false;
	}
	fam = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, buf, addr) != 1)
		return false;
	return bits == -1 || (bits >= 0 && bits <= (fam == AF_INET ? 32 : 128));
}

/* RND-SVC-11: ipAllowList entries are {source: CIDR, description}. */
void rnd_check_ip_allow(struct ctx *c, struct yaml_node *map)
{
	static const char *const keys[] = { "source", "description", NULL };
	struct yaml_pair *p = rnd_typed(c, map, "ipAllowList", T_SEQ, RND_SVC_11);
	struct yaml_node *item, *src;
	char vq[Q];
	void *it = NULL;
	size_t len;
	const char *s;

	while (p && (item = yaml_sequence_iterate(rnd_val_of(p), &it))) {
		if (!yaml_is_mapping(item)) {
			rnd_issue(c, item, RND_SVC_11, SIM_CRITICAL, SIM_FIX_SUGGEST, "write it as - source: <CIDR>",
			      "ipAllowList entries must be mappings with a source");
			continue;
		}
		rnd_check_keys(c, item, keys, RND_SVC_11, SIM_CRITICAL, "ipAllowList entry");
		src = rnd_get(item, "source");
		if (rnd_is_null(src)) {
			rnd_issue(c, item, RND_SVC_11, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "ipAllowList entry has no source");
			continue;
		}
		if ((s = rnd_text(src, &len)) && !cidr_ok(s, len))
			rnd_issue(c, src, RND_SVC_11, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "ipAllowList source '%s' is not an IP address or CIDR block", rnd_q(vq, src));
	}
}

/* RND-SVC-11: a range on integer KEY of MAP. Returns the value, or DEF when absent or unusable. */
long rnd_int_range(struct ctx *c, struct yaml_node *map, const char *key, long lo, long hi, long def,
		      enum rnd_rule rule)
{
	struct yaml_pair *p = rnd_typed(c, map, key, T_INT, rule);
	long v;

	if (!p || !rnd_int_value(rnd_val_of(p), &v))
		return def;
	if (v < lo || v > hi) {
		if (hi == LONG_MAX)
			rnd_issue(c, rnd_val_of(p), rule, SIM_CRITICAL, SIM_FIX_NONE, NULL,
				  "%s must be at least %ld, not %ld", key, lo, v);
		else
			rnd_issue(c, rnd_val_of(p), rule, SIM_CRITICAL, SIM_FIX_NONE, NULL,
				  "%s must be %ld to %ld, not %ld", key, lo, hi, v);
	}
	return v;
}

void rnd_check_svc_previews(struct ctx *c, struct svc *s)
{
	static const char *const server_keys[] = { "generation", "plan", "numInstances", NULL };
	static const char *const static_keys[] = { "generation", NULL };
	struct yaml_pair *p = rnd_pair_get(s->map, "previews");
	struct yaml_node *m = rnd_val_of(p);

	if (!p || !yaml_is_mapping(m))
		return;
	rnd_check_keys(c, m, s->kind == K_STATIC ? static_keys : server_keys, RND_SVC_7, SIM_CRITICAL, "previews");
	rnd_check_enum(c, m, "generation", rnd_generations, RND_SVC_7, "previews.generation");
	if (s->kind != K_STATIC) {
		struct yaml_pair *pp = rnd_typed(c, m, "plan", T_STR, RND_SVC_5);

		if (pp)
			rnd_check_plan(c, pp);
		rnd_int_range(c, m, "numInstances", 1, LONG_MAX, 1, RND_SVC_11);
	}
}

/* ---- services: per kind ---- */

static void check_commands(struct ctx *c, struct svc *s)
{
	static const char *const image_unused[] = { "buildCommand", "repo", "branch", "dockerfilePath",
						     "dockerContext", NULL };
	struct yaml_pair *p;
	char nq[Q], fx[FIX_MAX];
	int i;

	rnd_svc_name(s, nq);
	if (rnd_in_list(s->rt, s->rtlen, native_runtimes) && !s->merged) {
		if (!rnd_has(s->map, "startCommand"))
			rnd_issue(c, s->map, RND_CMD_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "service %s (runtime %.*s) has no startCommand: Render cannot start it", nq,
			      (int)s->rtlen, s->rt);
		if (!rnd_has(s->map, "buildCommand"))
			rnd_issue(c, s->map, RND_CMD_2, SIM_MEDIUM, SIM_FIX_NONE, NULL,
			      "service %s (runtime %.*s) has no buildCommand: nothing installs its dependencies", nq,
			      (int)s->rtlen, s->rt);
	}
	if (rnd_eqn(s->rt, s->rtlen, "docker")) {
		if ((p = rnd_pair_get(s->map, "buildCommand")))
			rnd_issue(c, rnd_key_of(p), RND_CMD_3, SIM_MEDIUM, SIM_FIX_SUGGEST, "delete buildCommand",
			      "service %s: runtime docker builds the Dockerfile; buildCommand is not run", nq);
		if ((p = rnd_pair_get(s->map, "startCommand")))
			rnd_issue(c, rnd_key_of(p), RND_CMD_3, SIM_MEDIUM, SIM_FIX_SUGGEST,
			      "rename startCommand to dockerCommand",
			      "service %s: runtime docker runs dockerCommand (or the Dockerfile's CMD), not this",
			      nq);
	}
	if (!rnd_eqn(s->rt, s->rtlen, "image"))
		return;
	for (i = 0; image_unused[i]; i++)
		if ((p = rnd_pair_get(s->map, image_unused[i]))) {
			snprintf(fx, sizeof(fx), "delete %s", image_unused[i]);
			rnd_issue(c, rnd_key_of(p), RND_CMD_3, SIM_MEDIUM, SIM_FIX_SUGGEST, fx,
			      "service %s: runtime image pulls a built image; %s is not used", nq, image_unused[i]);
		}
}

static void check_image(struct ctx *c, struct svc *s)
{
	static const char *const keys[] = { "url", "creds", NULL };
	struct yaml_pair *p = rnd_pair_get(s->map, "image");
	struct yaml_node *m = rnd_val_of(p);
	char nq[Q];
	bool wants = rnd_eqn(s->rt, s->rtlen, "image");

	rnd_svc_name(s, nq);
	if (p && !wants && s->rt) {
		rnd_issue(c, rnd_key_of(p), RND_IMG_1, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "service %s: image is only used with runtime: image", nq);
		return;
	}
	if (!wants || s->merged)
		return;
	if (!p || !yaml_is_mapping(m)) {
		if (!p || rnd_is_null(m))
			rnd_issue(c, p ? rnd_key_of(p) : s->map, RND_IMG_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "service %s: runtime image needs image.url", nq);
		return;
	}
	rnd_check_keys(c, m, keys, RND_IMG_1, SIM_CRITICAL, "image");
	if (!rnd_has(m, "url"))
		rnd_issue(c, rnd_key_of(p), RND_IMG_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s: runtime image needs image.url", nq);
	else
		rnd_typed(c, m, "url", T_STR, RND_IMG_1);
}

static void check_health(struct ctx *c, struct svc *s)
{
	struct yaml_pair *p = rnd_pair_get(s->map, "healthCheckPath");
	struct yaml_node *v = rnd_val_of(p);
	char nq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *t = rnd_text(v, &len), *path;

	if (!p || !t || rnd_is_null(v))
		return;
	rnd_svc_name(s, nq);
	if (s->kind != K_WEB)
		rnd_issue(c, rnd_key_of(p), RND_HC_1, SIM_MEDIUM, SIM_FIX_SUGGEST, "delete healthCheckPath",
		      "service %s: only web services are health-checked; healthCheckPath is ignored", nq);
	if (len && t[0] == '/')
		return;
	rnd_q(vq, v);
	path = strstr(vq, "://") ? strchr(strstr(vq, "://") + 3, '/') : NULL;
	if (path)
		snprintf(fx, sizeof(fx), "write healthCheckPath: %s", path);
	else
		snprintf(fx, sizeof(fx), "write healthCheckPath: /%s", vq);
	rnd_issue(c, v, RND_HC_1, SIM_CRITICAL, SIM_FIX_SUGGEST, fx,
	      "service %s: healthCheckPath '%s' must be a path starting with /", nq, vq);
}

static void check_disk(struct ctx *c, struct svc *s)
{
	static const char *const keys[] = { "name", "mountPath", "sizeGB", NULL };
	struct yaml_pair *p = rnd_pair_get(s->map, "disk"), *mp;
	struct yaml_node *m = rnd_val_of(p);
	char nq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *t;

	if (!p || !yaml_is_mapping(m))
		return;
	rnd_svc_name(s, nq);
	rnd_check_keys(c, m, keys, RND_DISK_1, SIM_CRITICAL, "disk");
	if (!rnd_has(m, "name") && !rnd_pair_get(m, "<<"))
		rnd_issue(c, rnd_key_of(p), RND_DISK_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			  "service %s: disk needs a name", nq);
	rnd_typed(c, m, "name", T_STR, RND_DISK_1);
	if (!rnd_has(m, "mountPath") && !rnd_pair_get(m, "<<"))
		rnd_issue(c, rnd_key_of(p), RND_DISK_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s: disk needs a mountPath", nq);
	mp = rnd_typed(c, m, "mountPath", T_STR, RND_DISK_1);
	if (mp && (t = rnd_text(rnd_val_of(mp), &len)) && (!len || t[0] != '/')) {
		snprintf(fx, sizeof(fx), "write mountPath: /%s", rnd_q(vq, rnd_val_of(mp)));
		rnd_issue(c, rnd_val_of(mp), RND_DISK_1, SIM_CRITICAL, SIM_FIX_SUGGEST, fx,
		      "service %s: disk mountPath '%s' must be an absolute path", nq, vq);
	}
	rnd_int_range(c, m, "sizeGB", 1, LONG_MAX, 10, RND_DISK_1);
}

static void check_scaling(struct ctx *c, struct svc *s)
{
	static const char *const keys[] = { "minInstances", "maxInstances", "targetCPUPercent",
					    "targetMemoryPercent", NULL };
	struct yaml_pair *p = rnd_pair_get(s->map, "scaling");
	struct yaml_node *m = rnd_val_of(p);
	long lo, hi;
	char nq[Q];

	if (!p || !yaml_is_mapping(m))
		return;
	rnd_svc_name(s, nq);
	rnd_check_keys(c, m, keys, RND_SCALE_1, SIM_MEDIUM, "scaling");
	lo = rnd_int_range(c, m, "minInstances", 1, LONG_MAX, -1, RND_SCALE_1);
	hi = rnd_int_range(c, m, "maxInstances", 1, LONG_MAX, -1, RND_SCALE_1);
	rnd_int_range(c, m, "targetCPUPercent", 1, 90, 0, RND_SCALE_1);
	rnd_int_range(c, m, "targetMemoryPercent", 1, 90, 0, RND_SCALE_1);
	if (lo >= 1 && hi >= 1 && lo > hi)
		rnd_issue(c, rnd_get(m, "minInstances"), RND_SCALE_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s: scaling.minInstances (%ld) is above maxInstances (%ld)", nq, lo, hi);
	if (!rnd_pair_get(m, "targetCPUPercent") && !rnd_pair_get(m, "targetMemoryPercent") && !rnd_pair_get(m, "<<"))
		rnd_issue(c, rnd_key_of(p), RND_SCALE_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s: scaling needs targetCPUPercent or targetMemoryPercent", nq);
	if ((p = rnd_pair_get(s->map, "numInstances")))
		rnd_issue(c, rnd_key_of(p), RND_SCALE_2, SIM_MEDIUM, SIM_FIX_SUGGEST, "delete numInstances",
		      "service %s: numInstances is ignored when scaling is set", nq);
}

/* RND-FREE-1, RND-FREE-2, RND-DISK-2: what the plan and a disk rule out. */
static void check_limits(struct ctx *c, struct svc *s, long instances)
{
	struct yaml_pair *disk = rnd_pair_get(s->map, "disk"), *scaling = rnd_pair_get(s->map, "scaling");
	struct yaml_pair *pre = rnd_pair_get(s->map, "preDeployCommand"), *n = rnd_pair_get(s->map, "numInstances");
	char nq[Q];

	rnd_svc_name(s, nq);
	if (disk && (instances > 1 || scaling))
		rnd_issue(c, rnd_key_of(disk), RND_DISK_2, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s has a disk, so it cannot run more than one instance (%s)", nq,
		      scaling ? "scaling is set" : "numInstances > 1");
	if (!s->free || s->kind != K_WEB)
		return;
	if (disk)
		rnd_issue(c, rnd_key_of(disk), RND_FREE_2, SIM_CRITICAL, SIM_FIX_SUGGEST,
			  "use plan: starter (keep the disk)", "service %s: free instances have no persistent disk",
			  nq);
	if (instances > 1)
		rnd_issue(c, rnd_key_of(n), RND_FREE_2, SIM_CRITICAL, SIM_FIX_SUGGEST, "use plan: starter",
		      "service %s: free instances cannot scale (numInstances > 1)", nq);
	if (scaling)
		rnd_issue(c, rnd_key_of(scaling), RND_FREE_2, SIM_CRITICAL, SIM_FIX_SUGGEST, "use plan: starter",
		      "service %s: free instances cannot autoscale", nq);
	if (pre && !rnd_is_null(rnd_val_of(pre)))
		rnd_issue(c, rnd_key_of(pre), RND_FREE_2, SIM_CRITICAL, SIM_FIX_SUGGEST,
		      "use plan: starter, or run it at the start of startCommand",
		      "service %s: pre-deploy command is not supported for free tier services", nq);
}

void rnd_check_server(struct ctx *c, struct svc *s)
{
	long instances;
	char nq[Q];

	instances = rnd_int_range(c, s->map, "numInstances", 1, LONG_MAX, 1, RND_SVC_11);
	rnd_int_range(c, s->map, "maxShutdownDelaySeconds", 1, 300, 30, RND_SVC_11);
	rnd_check_enum(c, s->map, "renderSubdomainPolicy", rnd_on_off, RND_SVC_7, "renderSubdomainPolicy");
	check_commands(c, s);
	check_image(c, s);
	check_health(c, s);
	check_disk(c, s);
	check_scaling(c, s);
	check_limits(c, s, instances);
	if (s->free && s->kind != K_WEB) {
		rnd_svc_name(s, nq);
		rnd_issue(c, rnd_get(s->map, "plan"), RND_FREE_1, SIM_CRITICAL, SIM_FIX_SUGGEST, "use plan: starter",
		      "service %s: there is no free plan for %s services", nq, rnd_kind_name(s->kind));
	}
}

void rnd_check_cron(struct ctx *c, struct svc *s)
{
	struct yaml_pair *p = rnd_pair_get(s->map, "schedule");
	struct yaml_node *v = rnd_val_of(p);
	char nq[Q], vq[Q], why[128];
	size_t len;
	const char *t = rnd_text(v, &len);

	rnd_svc_name(s, nq);
	check_commands(c, s);
	check_image(c, s);
	if (s->free)
		rnd_issue(c, rnd_get(s->map, "plan"), RND_FREE_1, SIM_CRITICAL, SIM_FIX_SUGGEST, "use plan: starter",
		      "cron job %s: there is no free plan for cron jobs", nq);
	if (!p || rnd_is_null(v)) {
		if (!s->merged)
			rnd_issue(c, p ? rnd_key_of(p) : s->map, RND_CRON_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "cron job %s has no schedule", nq);
		return;
	}
	if (t && !rnd_cron_ok(t, len, why, sizeof(why)))
		rnd_issue(c, v, RND_CRON_2, SIM_CRITICAL, SIM_FIX_NONE, NULL, "cron job %s: schedule '%s' %s", nq,
		      rnd_q(vq, v), why);
}

void rnd_check_kv(struct ctx *c, struct svc *s)
{
	struct yaml_pair *p = rnd_pair_get(s->map, "ipAllowList");
	char nq[Q];

	rnd_check_enum(c, s->map, "maxmemoryPolicy", policies, RND_KV_2, "maxmemoryPolicy");
	if ((p && !rnd_is_null(rnd_val_of(p))) || s->merged)
		return;
	rnd_issue(c, p ? rnd_key_of(p) : s->map, RND_KV_1, SIM_CRITICAL, SIM_FIX_HEAL,
	      "add ipAllowList: [] (internal connections only)",
	      "keyvalue %s needs ipAllowList ([] allows internal connections only)", rnd_svc_name(s, nq));
}

static bool url_ok(const char *s, size_t n)
{
	return (n > 7 && !strncmp(s, "http://", 7)) || (n > 8 && !strncmp(s, "https://", 8));
}

/*
 * An item of a static site's routes or headers (WHAT: "route", "header") must be a mapping
 * with every key of KEYS (NULL-terminated) and no other; SHAPE says so when it is not a
 * mapping. RULE owns all of it. False when M is not a mapping: there is nothing to look into.
 */
static bool entry_ok(struct ctx *c, struct yaml_node *m, const char *const *keys, enum rnd_rule rule,
		     const char *what, const char *shape)
{
	int i;

	if (!yaml_is_mapping(m)) {
		rnd_issue(c, m, rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s", shape);
		return false;
	}
	rnd_check_keys(c, m, keys, rule, SIM_MEDIUM, what);
	for (i = 0; keys[i]; i++)
		if (!rnd_has(m, keys[i]) && !rnd_pair_get(m, "<<"))
			rnd_issue(c, m, rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s has no %s", what, keys[i]);
	return true;
}

static void check_route(struct ctx *c, struct yaml_node *r)
{
	static const char *const keys[] = { "type", "source", "destination", NULL };
	struct yaml_pair *sp, *dp;
	char vq[Q];
	size_t len;
	const char *t;

	if (!entry_ok(c, r, keys, RND_STATIC_3, "route",
		      "routes entries must be mappings with type, source and destination"))
		return;
	rnd_check_enum(c, r, "type", route_types, RND_STATIC_3, "route type");
	sp = rnd_typed(c, r, "source", T_STR, RND_STATIC_3);
	if (sp && (t = rnd_text(rnd_val_of(sp), &len)) && (!len || t[0] != '/'))
		rnd_issue(c, rnd_val_of(sp), RND_STATIC_3, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "route source '%s' must be a path starting with / (not a URL)", rnd_q(vq, rnd_val_of(sp)));
	dp = rnd_typed(c, r, "destination", T_STR, RND_STATIC_3);
	if (dp && (t = rnd_text(rnd_val_of(dp), &len)) && (!len || t[0] != '/') && !url_ok(t, len))
		rnd_issue(c, rnd_val_of(dp), RND_STATIC_3, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			  "route destination '%s' must be a path starting with / or an http(s) URL",
			  rnd_q(vq, rnd_val_of(dp)));
}

/* Each of a header's keys is a string; its path (the first) starts with /. */
static void check_header(struct ctx *c, struct yaml_node *h)
{
	static const char *const keys[] = { "path", "name", "value", NULL };
	struct yaml_pair *pp;
	char vq[Q];
	size_t len;
	const char *t;
	int i;

	if (!entry_ok(c, h, keys, RND_STATIC_4, "header", "headers entries must be mappings with path, name and value"))
		return;
	for (i = 0; keys[i]; i++) {
		pp = rnd_typed(c, h, keys[i], T_STR, RND_STATIC_4);
		if (pp && i == 0 && (t = rnd_text(rnd_val_of(pp), &len)) && (!len || t[0] != '/'))
			rnd_issue(c, rnd_val_of(pp), RND_STATIC_4, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "header path '%s' must start with /", rnd_q(vq, rnd_val_of(pp)));
	}
}

void rnd_check_static(struct ctx *c, struct svc *s)
{
	struct yaml_pair *p;
	struct yaml_node *item;
	char nq[Q];
	void *it;

	if (!rnd_has(s->map, "staticPublishPath") && !s->merged)
		rnd_issue(c, s->map, RND_STATIC_1, SIM_CRITICAL, SIM_FIX_SUGGEST,
		      "set staticPublishPath to the build's output directory (dist, build, public, out or _site)",
		      "static site %s has no staticPublishPath", rnd_svc_name(s, nq));
	if ((p = rnd_pair_get(s->map, "routes")) && yaml_is_sequence(rnd_val_of(p)))
		for (it = NULL; (item = yaml_sequence_iterate(rnd_val_of(p), &it));)
			check_route(c, item);
	if ((p = rnd_pair_get(s->map, "headers")) && yaml_is_sequence(rnd_val_of(p)))
		for (it = NULL; (item = yaml_sequence_iterate(rnd_val_of(p), &it));)
			check_header(c, item);
}
