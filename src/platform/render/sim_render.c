/* The render.yaml simulator: Render's Blueprint checks (config-rules.md Part B) on a YAML tree from the YAML port. */
#include "platform/render/render.h"
#include "platform/render/rules.h"
#include "ports/yaml.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/text.h"
#include "util/fs.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/*
 * Rule ids. Part B names its table rows (RND-YAML-*, RND-SVC-*, RND-ENV-*); the prose
 * sections B1, B3 and B5-B7 carry none, so their checks get ids here, one per check:
 *   RND-ROOT-1 unknown root key          RND-ROOT-2 no resources       RND-ROOT-3 root field shape
 *   RND-CMD-1  native, no startCommand   RND-CMD-2  no buildCommand    RND-CMD-3  unused command
 *   RND-IMG-1  runtime image and image   RND-HC-1   healthCheckPath
 *   RND-FREE-1 no free plan for type     RND-FREE-2 free plan limits
 *   RND-DISK-1 disk fields               RND-DISK-2 disk and several instances
 *   RND-SCALE-1 scaling bounds           RND-SCALE-2 numInstances beside scaling
 *   RND-CRON-1 no schedule               RND-CRON-2 bad schedule       RND-CRON-3 key not for cron
 *   RND-KV-1   no ipAllowList            RND-KV-2   maxmemoryPolicy    RND-KV-3   key not for keyvalue
 *   RND-STATIC-1 no staticPublishPath    RND-STATIC-2 server key on a static site
 *   RND-STATIC-3 routes                  RND-STATIC-4 headers
 *   RND-GRP-1 group fields  RND-GRP-2 group items  RND-GRP-3 group names  RND-GRP-4 fromGroup
 *   RND-GRP-5 unused group
 *   RND-DB-1 name  RND-DB-2 unknown key  RND-DB-3 disk size  RND-DB-4 postgresMajorVersion
 *   RND-DB-5 highAvailability  RND-DB-6 readReplicas  RND-DB-7 plan families  RND-DB-8 free
 *   RND-PRJ-1 projects and environments
 *   RND-PREV-1 root previews  RND-PREV-2 deprecated root keys  RND-PREV-3 branch with previews
 * Severity: the catalog's E is critical, a W that breaks or drops something high, any other W
 * medium, an I low. Its "Heal" is SIM_FIX_HEAL with the edit spelled out, "Suggest" SIM_FIX_SUGGEST.
 */

#define FILE_MAX (4u << 20)	/* past this a file is not a Blueprint, and not worth the memory */
#define Q 72			/* room for a quoted scalar in a message */
#define DEPTH_MAX 256		/* nesting the generic walks follow (libfyaml limits it too) */
#define FIX_MAX 256
#define NEAR_MAX 256		/* names looked at for a "did you mean" */
#define RUNTIME_LIST "node, python, ruby, go, rust, elixir, docker, image or static"

enum kind {
	K_WEB = 1,
	K_WORKER = 2,
	K_PSERV = 4,
	K_CRON = 8,
	K_KV = 16,
	K_STATIC = 32,
	K_WORKFLOW = 64,
};
#define K_SERVER (K_WEB | K_WORKER | K_PSERV)
#define K_GIT (K_SERVER | K_CRON | K_STATIC)
#define K_ALL (K_GIT | K_KV)

enum ftype { T_STR, T_INT, T_BOOL, T_SEQ, T_MAP, T_ANY };

/* A key a mapping may hold: its type, the service kinds that take it, the rule that owns it. */
struct field {
	const char *key;
	enum ftype type;
	unsigned kinds;
	enum rnd_rule rule;
};

/* A text with the node it came from, to sort and look up by name. */
struct ent {
	const char *s;
	size_t len;
	size_t order;		/* where it starts in the file: of equal texts the first sorts first */
	struct yaml_node *at;	/* the text's node, to point at */
	struct yaml_node *owner;	/* what it names */
};

/* A growable array of them; sorted once filled, then searched by halves. */
struct ents {
	struct ent *v;
	size_t n, cap;
};

/* Where references resolve: the root (with ungrouped) or one project environment. */
struct scope {
	struct yaml_node *svcs[2], *dbs[2], *groups[2];	/* sequences, NULL when absent */
	struct ents names[3];	/* names of the services, databases and groups */
	struct ents group_refs;	/* the fromGroup values of the services */
};

struct ctx {
	struct sim_report *rep;
	const char *file;
	const char *text;	/* the file, to look at the line of a syntax error */
	size_t len;
	int err;		/* ERR_NOMEM once an issue could not be kept */
	struct scope *scopes;
	size_t nscopes, capscopes;
	struct ents tmp;	/* scratch for one duplicate check at a time */
	bool previews_on;	/* root previews make a fixed branch a mistake */
};

/* One service being checked. */
struct svc {
	struct yaml_node *map;
	struct yaml_node *name;	/* the name's value, NULL when missing */
	unsigned kind;		/* one K_ bit; 0 when the type is unknown */
	const char *rt;		/* runtime, or its old name env; NULL when neither */
	size_t rtlen;
	bool merged;		/* a << merge key may bring keys we cannot see */
	bool free;
};

enum sclass { SC_STR, SC_NULL, SC_BOOL, SC_BOOL11, SC_INT, SC_FLOAT };

static const char *const null_words[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const bool_words[] = { "true", "True", "TRUE", "false", "False", "FALSE", NULL };
static const char *const bool11_words[] = { "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
					     "on", "On", "ON", "off", "Off", "OFF", NULL };
static const char *const true_words[] = { "true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES",
					  "on", "On", "ON", NULL };

static const char *const runtimes[] = { "docker", "elixir", "go", "image", "node", "python",
					"ruby", "rust", "static", NULL };
static const char *const native_runtimes[] = { "elixir", "go", "node", "python", "ruby", "rust", NULL };
static const char *const plans[] = {
	"free", "starter", "standard", "pro", "pro plus", "pro max", "pro ultra",
	"basic-256mb", "basic-1gb", "basic-4gb", "pro-4gb", "pro-8gb", "pro-16gb", "pro-32gb",
	"pro-64gb", "pro-128gb", "pro-192gb", "pro-256gb", "pro-384gb", "pro-512gb",
	"accelerated-16gb", "accelerated-32gb", "accelerated-64gb", "accelerated-128gb",
	"accelerated-256gb", "accelerated-384gb", "accelerated-512gb", "accelerated-768gb",
	"accelerated-1024gb", NULL,
};
static const char *const removed_plans[] = { "starter plus", "starter-plus", "standard plus",
					     "standard-plus", "individual", NULL };
static const char *const regions[] = { "oregon", "ohio", "virginia", "frankfurt", "singapore", NULL };
static const char *const svc_type_names[] = { "web", "worker", "pserv", "cron", "keyvalue", NULL };
static const char *const ref_types[] = { "web", "cron", "worker", "pserv", "static", "dpg", "job",
					 "redis", "keyvalue", NULL };
static const char *const svc_props[] = { "host", "port", "hostport", "connectionString", NULL };
static const char *const db_props[] = { "connectionString", "host", "port", "user", "password",
					"database", NULL };
static const char *const triggers[] = { "off", "commit", "checksPass", NULL };
static const char *const generations[] = { "automatic", "manual", "off", NULL };
static const char *const on_off[] = { "enabled", "disabled", NULL };
static const char *const policies[] = { "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu",
					"allkeys-random", "volatile-random", "volatile-ttl",
					"noeviction", NULL };
static const char *const pg_versions[] = { "10", "11", "12", "13", "14", "15", "16", "17", "18", NULL };
static const char *const route_types[] = { "redirect", "rewrite", NULL };

static const char *const root_keys[] = { "services", "databases", "envVarGroups", "projects", "ungrouped",
					 "previews", "version", "previewsEnabled",
					 "previewsExpireAfterDays", NULL };
static const char *const resource_keys[] = { "services", "databases", "envVarGroups", NULL };
static const char *const env_item_keys[] = { "key", "value", "previewValue", "generateValue", "sync",
					      "fromDatabase", "fromService", "fromGroup", NULL };

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

/* Misspellings seen in the wild, with what was meant (config-rules.md RND-SVC-7, B6). */
static const struct {
	const char *from, *to;
} key_typos[] = {
	{ "staticPublishDirectory", "staticPublishPath" }, { "publishPath", "staticPublishPath" },
	{ "startcommand", "startCommand" }, { "start_command", "startCommand" },
	{ "healthcheckPath", "healthCheckPath" }, { "healthCheck", "healthCheckPath" },
	{ "envvars", "envVars" }, { "env_vars", "envVars" }, { "environment", "envVars" },
	{ "build_command", "buildCommand" }, { "buildcommand", "buildCommand" },
	{ "rootDirectory", "rootDir" }, { "root_dir", "rootDir" }, { "dockerFile", "dockerfilePath" },
	{ "dockerfile", "dockerfilePath" }, { "databaseUser", "user" }, { "version", "postgresMajorVersion" },
	{ "postgresVersion", "postgresMajorVersion" }, { "dbName", "databaseName" },
	{ NULL, NULL },
};

/* ---- scalars ---- */

/* The text of scalar N, or NULL for an alias, a collection or no node. Never NULL for a scalar. */
static const char *text(struct yaml_node *n, size_t *len)
{
	const char *s;

	*len = 0;
	if (!n || !yaml_is_scalar(n) || yaml_is_alias(n))
		return NULL;
	s = yaml_scalar(n, len);
	if (!s)
		*len = 0;
	return s ? s : "";
}

static bool eqn(const char *s, size_t len, const char *lit)
{
	return s && strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static bool is(struct yaml_node *n, const char *lit)
{
	size_t len;
	const char *s = text(n, &len);

	return eqn(s, len, lit);
}

static int list_index(const char *s, size_t len, const char *const *list)
{
	int i;

	for (i = 0; s && list[i]; i++)
		if (eqn(s, len, list[i]))
			return i;
	return -1;
}

static bool in_list(const char *s, size_t len, const char *const *list)
{
	return list_index(s, len, list) >= 0;
}

static bool plain(struct yaml_node *n)
{
	return n && yaml_is_scalar(n) && yaml_style(n) == YAML_STYLE_PLAIN;
}

static bool is_int_text(const char *s, size_t n)
{
	size_t i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		for (i = 2; i < n; i++)
			if (!(s[1] == 'x' ? isxdigit((unsigned char)s[i]) : s[i] >= '0' && s[i] <= '7'))
				return false;
		return true;
	}
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i == n)
		return false;
	for (; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool is_float_text(const char *s, size_t n)
{
	static const char *const special[] = { ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", NULL };
	size_t i = 0, digits = 0, exp = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	if (in_list(s + i, n - i, special))
		return true;
	for (; i < n && isdigit((unsigned char)s[i]); i++)
		digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && isdigit((unsigned char)s[i]); i++)
			digits++;
	if (!digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		for (; i < n && isdigit((unsigned char)s[i]); i++)
			exp++;
		if (!exp)
			return false;
	}
	return i == n;
}

/* What a YAML loader makes of N: only plain scalars can be anything but a string. */
static enum sclass classify(struct yaml_node *n)
{
	size_t len;
	const char *s = text(n, &len);

	if (!s || !plain(n))
		return SC_STR;
	if (in_list(s, len, null_words))
		return SC_NULL;
	if (in_list(s, len, bool_words))
		return SC_BOOL;
	if (in_list(s, len, bool11_words))
		return SC_BOOL11;
	if (is_int_text(s, len))
		return SC_INT;
	if (is_float_text(s, len))
		return SC_FLOAT;
	return SC_STR;
}

static bool is_null(struct yaml_node *n)
{
	return !n || classify(n) == SC_NULL;
}

/* True when a number keeps its text through a loader: 3.9 and 42 do, 3.10, 1.0 and 007 do not. */
static bool number_keeps_text(const char *s, size_t n)
{
	size_t i = 0, digits = 0;
	bool dot = false;

	if (n && s[0] == '-')
		i++;
	if (i == n || s[i] == '.' || (s[i] == '0' && i + 1 < n && s[i + 1] != '.'))
		return false;
	for (; i < n; i++) {
		if (s[i] == '.' && !dot)
			dot = true;
		else if (isdigit((unsigned char)s[i]))
			digits++;
		else
			return false;
	}
	if (dot && (s[n - 1] == '0' || s[n - 1] == '.'))
		return false;
	return digits <= (dot ? 15u : 18u);
}

static int bool_value(struct yaml_node *n)
{
	size_t len;
	const char *s = text(n, &len);
	enum sclass k = classify(n);

	if (k != SC_BOOL && k != SC_BOOL11)
		return -1;
	return in_list(s, len, true_words);
}

/* The decimal integer N holds, into OUT; false when it holds none. */
static bool int_value(struct yaml_node *n, long *out)
{
	size_t len, i;
	const char *s = text(n, &len);
	long v = 0;
	bool neg = false;

	if (!s || classify(n) != SC_INT || len > 18)
		return false;
	i = (s[0] == '-' || s[0] == '+');
	neg = s[0] == '-';
	if (i == len)
		return false;
	for (; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? -v : v;
	return true;
}

/* N quoted for a message: printable, cut when long. */
static const char *q(char out[Q], struct yaml_node *n)
{
	size_t len;
	const char *s = text(n, &len);

	if (!s)
		return strcpy(out, n && yaml_is_alias(n) ? "(alias)" : "(not a string)");
	return err_quote(out, Q, s, len);
}

/* The next item of SEQ, or NULL at the end or when SEQ is not a sequence. */
static struct yaml_node *next_item(struct yaml_node *seq, void **it)
{
	return seq && yaml_is_sequence(seq) ? yaml_sequence_iterate(seq, it) : NULL;
}

/* N in single quotes for a message, when it is a scalar. */
static const char *qq(char out[Q], struct yaml_node *n)
{
	char tmp[Q - 2];
	size_t len;
	const char *s = text(n, &len);

	if (!s)
		return q(out, n);
	snprintf(out, Q, "'%s'", err_quote(tmp, sizeof(tmp), s, len));
	return out;
}

/* ---- positions and issues ---- */

/* The 1-based line and column where N starts; false when N has no place (an empty value). */
static bool where(struct yaml_node *n, int *line, int *col)
{
	struct yaml_pair *p;
	enum yaml_style style;
	int depth;

	for (depth = 0; n && depth < DEPTH_MAX; depth++) {
		switch (n->kind) {
		case YAML_SCALAR:
			if (!n->has_mark)
				return false;
			*line = n->line + 1;
			*col = n->col + 1;
			/* the mark of a quoted scalar or an alias is past its quote or '*'; point at that */
			style = yaml_style(n);
			if ((style == YAML_STYLE_SINGLE_QUOTED || style == YAML_STYLE_DOUBLE_QUOTED ||
			     style == YAML_STYLE_ALIAS) && *col > 1)
				(*col)--;
			return true;
		case YAML_MAPPING:
			/* a block mapping starts where its first key does */
			p = yaml_mapping_at(n, 0);
			n = p ? (yaml_pair_key(p) ? yaml_pair_key(p) : yaml_pair_value(p)) : NULL;
			break;
		case YAML_SEQUENCE:
			n = yaml_sequence_at(n, 0);
			break;
		default:
			return false;
		}
	}
	return false;
}

static void issue(struct ctx *c, struct yaml_node *at, enum rnd_rule rule, enum sim_severity sev, enum sim_fix fix,
		  const char *fix_text, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void issue(struct ctx *c, struct yaml_node *at, enum rnd_rule rule, enum sim_severity sev, enum sim_fix fix,
		  const char *fix_text, const char *fmt, ...)
{
	char msg[SIM_MSG_MAX];
	int line = 0, col = 0;
	va_list ap;

	if (c->err)
		return;
	if (at && !where(at, &line, &col))
		line = col = 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sim_add(c->rep, RND_ID(rule), sev, c->file, line, col, fix, fix_text, "%s", msg) < 0)
		c->err = ERR_NOMEM;
}

/* ---- mappings ---- */

static struct yaml_node *key_of(struct yaml_pair *p)
{
	return p ? yaml_pair_key(p) : NULL;
}

static struct yaml_node *val_of(struct yaml_pair *p)
{
	return p ? yaml_pair_value(p) : NULL;
}

/* What to point at for pair P: its value when that has a place in the text, else its key. */
static struct yaml_node *at_val(struct yaml_pair *p)
{
	int line, col;

	return where(val_of(p), &line, &col) ? val_of(p) : key_of(p);
}

/* The last pair of MAP with KEY (YAML tools keep the last of duplicates), or NULL. */
static struct yaml_pair *pair_get(struct yaml_node *map, const char *key)
{
	struct yaml_pair *p, *found = NULL;
	void *it = NULL;

	if (!map || !yaml_is_mapping(map))
		return NULL;
	while ((p = yaml_mapping_iterate(map, &it)))
		if (is(key_of(p), key))
			found = p;
	return found;
}

static struct yaml_node *get(struct yaml_node *map, const char *key)
{
	return val_of(pair_get(map, key));
}

/* True when MAP has KEY with a value that is not null. */
static bool has(struct yaml_node *map, const char *key)
{
	struct yaml_pair *p = pair_get(map, key);

	return p && !is_null(val_of(p));
}

static const struct field *field_find(const struct field *tab, const char *s, size_t len)
{
	for (; tab->key; tab++)
		if (eqn(s, len, tab->key))
			return tab;
	return NULL;
}

/* ---- suggestions ---- */

/* True when S is close enough to WORD to be a slip of the fingers. */
static bool close_to(const char *s, size_t len, const char *word)
{
	size_t d = text_distance(s, len, word, strlen(word));

	return d == 0 || (d <= 2 && d * 3 <= len);
}

static const char *nearest(const char *s, size_t len, const char *const *list)
{
	size_t i, d, best = SIZE_MAX;
	const char *pick = NULL;

	for (i = 0; s && list[i]; i++)
		if (close_to(s, len, list[i]) && (d = text_distance(s, len, list[i], strlen(list[i]))) < best) {
			best = d;
			pick = list[i];
		}
	return pick;
}

static const char *nearest_field(const char *s, size_t len, const struct field *tab)
{
	size_t i;
	const char *pick = NULL;
	size_t d, best = SIZE_MAX;

	for (i = 0; s && key_typos[i].from; i++)
		if (eqn(s, len, key_typos[i].from) && field_find(tab, key_typos[i].to, strlen(key_typos[i].to)))
			return key_typos[i].to;
	for (; s && tab->key; tab++)
		if (close_to(s, len, tab->key) && (d = text_distance(s, len, tab->key, strlen(tab->key))) < best) {
			best = d;
			pick = tab->key;
		}
	return pick;
}

/* True when S is a typo of exactly one name in LIST (or of TAB's keys): a rename that cannot pick wrong. */
static bool sure_of(const char *s, size_t len, const char *const *list, const struct field *tab)
{
	size_t i, n = 0;

	for (i = 0; s && key_typos[i].from; i++)
		if (eqn(s, len, key_typos[i].from) && tab && field_find(tab, key_typos[i].to, strlen(key_typos[i].to)))
			return true;
	for (i = 0; s && list && list[i]; i++)
		n += close_to(s, len, list[i]);
	for (; s && tab && tab->key; tab++)
		n += close_to(s, len, tab->key);
	return n == 1;
}

/*
 * Report an unknown key K of pair P under RULE, suggesting NEAR when there is one. SURE: NEAR
 * is the only known key K is a typo of, so the rename heals (when the issue is one heal takes).
 */
static void unknown_key(struct ctx *c, struct yaml_pair *p, enum rnd_rule rule, enum sim_severity sev,
			const char *where_, const char *near, bool sure)
{
	char kq[Q], fx[FIX_MAX];
	enum sim_fix fix = sure && sev <= SIM_HIGH ? SIM_FIX_HEAL : SIM_FIX_SUGGEST;

	q(kq, key_of(p));
	if (near) {
		snprintf(fx, sizeof(fx), "rename %s to %s", kq, near);
		issue(c, key_of(p), rule, sev, fix, fx, "unknown key '%s' in %s (did you mean %s?)", kq, where_, near);
	} else {
		issue(c, key_of(p), rule, sev, SIM_FIX_NONE, NULL, "unknown key '%s' in %s", kq, where_);
	}
}

/* Report every key of MAP not in LIST (a << merge key is let through). */
static void check_keys(struct ctx *c, struct yaml_node *map, const char *const *list, enum rnd_rule rule,
		       enum sim_severity sev, const char *where_)
{
	struct yaml_pair *p;
	void *it = NULL;
	size_t len;
	const char *k;

	while ((p = yaml_mapping_iterate(map, &it))) {
		k = text(key_of(p), &len);
		if (!k || eqn(k, len, "<<") || in_list(k, len, list))
			continue;
		unknown_key(c, p, rule, sev, where_, nearest(k, len, list), sure_of(k, len, list, NULL));
	}
}

/* ---- value types ---- */

static void quote_fix(char fx[FIX_MAX], struct yaml_pair *p)
{
	char kq[Q], vq[Q];

	snprintf(fx, FIX_MAX, "quote it: %s: \"%s\"", q(kq, key_of(p)), q(vq, val_of(p)));
}

/* A plain scalar where a string is wanted: the YAML typing traps (RND-YAML-3, RND-YAML-4). */
static void string_trap(struct ctx *c, struct yaml_pair *p)
{
	struct yaml_node *v = val_of(p);
	char kq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *s = text(v, &len);

	q(kq, key_of(p));
	q(vq, v);
	quote_fix(fx, p);
	switch (classify(v)) {
	case SC_BOOL:
		issue(c, v, RND_YAML_3, SIM_HIGH, SIM_FIX_HEAL, fx,
		      "%s: %s is read as a boolean by every YAML parser, not as the string Render expects", kq, vq);
		break;
	case SC_BOOL11:
		issue(c, v, RND_YAML_3, SIM_MEDIUM, SIM_FIX_HEAL, fx,
		      "%s: unquoted %s is a boolean to YAML 1.1 parsers; Render expects a string", kq, vq);
		break;
	case SC_INT:
	case SC_FLOAT:
		if (number_keeps_text(s, len))
			issue(c, v, RND_YAML_4, SIM_MEDIUM, SIM_FIX_HEAL, fx,
			      "%s: %s is read as a number; Render expects a string", kq, vq);
		else
			issue(c, v, RND_YAML_4, SIM_HIGH, SIM_FIX_HEAL, fx,
			      "%s: %s is read as a number and loses its text (3.10 becomes 3.1)", kq, vq);
		break;
	default:
		break;
	}
}

static const char *shape_name(struct yaml_node *n)
{
	if (yaml_is_mapping(n))
		return "a mapping";
	if (yaml_is_sequence(n))
		return "a list";
	return "a scalar";
}

static bool int_ok(struct ctx *c, struct yaml_pair *p, enum rnd_rule rule)
{
	struct yaml_node *v = val_of(p);
	char kq[Q], vq[Q];
	size_t len;
	const char *s = text(v, &len);

	if (classify(v) == SC_INT)
		return true;
	q(kq, key_of(p));
	if (s && !plain(v) && is_int_text(s, len))
		issue(c, v, rule, SIM_CRITICAL, SIM_FIX_SUGGEST, "write the number without quotes",
		      "%s must be an integer, not the string \"%s\"", kq, q(vq, v));
	else
		issue(c, at_val(p), rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s must be an integer, not %s", kq,
		      s ? q(vq, v) : shape_name(v));
	return false;
}

static bool bool_ok(struct ctx *c, struct yaml_pair *p, enum rnd_rule rule)
{
	struct yaml_node *v = val_of(p);
	char kq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *s = text(v, &len);

	q(kq, key_of(p));
	switch (classify(v)) {
	case SC_BOOL:
		return true;
	case SC_BOOL11:
		snprintf(fx, sizeof(fx), "write %s: %s", kq, bool_value(v) ? "true" : "false");
		issue(c, v, RND_YAML_3, SIM_MEDIUM, SIM_FIX_HEAL, fx,
		      "%s: %s is a boolean only to YAML 1.1 parsers; write true or false", kq, q(vq, v));
		return true;
	default:
		break;
	}
	if (s && in_list(s, len, bool_words))
		issue(c, v, rule, SIM_CRITICAL, SIM_FIX_SUGGEST, "write the boolean without quotes",
		      "%s must be a boolean, not the string \"%s\"", kq, q(vq, v));
	else
		issue(c, at_val(p), rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s must be true or false, not %s", kq,
		      s ? q(vq, v) : shape_name(v));
	return false;
}

/*
 * Check that pair P holds type T; RULE owns a wrong shape. False when the value is null, an
 * alias or of the wrong shape: the caller then has nothing to look into.
 */
static bool value_ok(struct ctx *c, struct yaml_pair *p, enum ftype t, enum rnd_rule rule)
{
	struct yaml_node *v = val_of(p);
	char kq[Q];

	if (!v || is_null(v) || yaml_is_alias(v))
		return false;
	q(kq, key_of(p));
	switch (t) {
	case T_STR:
		if (yaml_is_scalar(v)) {
			string_trap(c, p);
			return true;
		}
		issue(c, v, rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s must be a string, not %s", kq, shape_name(v));
		return false;
	case T_INT:
		return int_ok(c, p, rule);
	case T_BOOL:
		return bool_ok(c, p, rule);
	case T_SEQ:
		if (yaml_is_sequence(v))
			return true;
		issue(c, at_val(p), rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s must be a list, not %s", kq,
		      shape_name(v));
		return false;
	case T_MAP:
		if (yaml_is_mapping(v))
			return true;
		issue(c, at_val(p), rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s must be a mapping, not %s", kq,
		      shape_name(v));
		return false;
	default:
		return true;
	}
}

/* Check KEY of MAP as type T under RULE; returns the pair when its value is usable. */
static struct yaml_pair *typed(struct ctx *c, struct yaml_node *map, const char *key, enum ftype t,
				  enum rnd_rule rule)
{
	struct yaml_pair *p = pair_get(map, key);

	return p && value_ok(c, p, t, rule) ? p : NULL;
}

/* Check string KEY of MAP against LIST; returns its index or -1. */
static int check_enum(struct ctx *c, struct yaml_node *map, const char *key, const char *const *list,
		      enum rnd_rule rule, const char *what)
{
	struct yaml_pair *p = typed(c, map, key, T_STR, rule);
	struct yaml_node *v = val_of(p);
	char vq[Q], fx[FIX_MAX];
	size_t len;
	const char *s = text(v, &len), *near;
	enum sim_fix fix;
	int i;

	if (!p || !s)
		return -1;
	if ((i = list_index(s, len, list)) >= 0)
		return i;
	if ((near = nearest(s, len, list))) {
		snprintf(fx, sizeof(fx), "write %s: %s", key, near);
		/* only a difference of case is safe to heal */
		fix = text_distance(s, len, near, strlen(near)) == 0 ? SIM_FIX_HEAL : SIM_FIX_SUGGEST;
		issue(c, v, rule, SIM_CRITICAL, fix, fx, "%s '%s' is not one of Render's values (did you mean %s?)",
		      what, q(vq, v), near);
	} else {
		issue(c, v, rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s '%s' is not one of Render's values", what,
		      q(vq, v));
	}
	return -1;
}

/* ---- sorted names ---- */

/* Where N starts in the file, to keep the first of equal names first. */
static size_t order_of(struct yaml_node *n)
{
	return n && n->kind == YAML_SCALAR && n->has_mark ? n->pos : SIZE_MAX;
}

/* Add the text of scalar AT (skipped when it has none) naming OWNER. */
static void ents_push(struct ctx *c, struct ents *e, struct yaml_node *at, struct yaml_node *owner)
{
	struct ent *m;
	size_t len;
	const char *s = text(at, &len);

	if (!s || is_null(at) || c->err)
		return;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;

		if (!(m = realloc(e->v, cap * sizeof(*m)))) {
			c->err = err_set(ERR_NOMEM, "out of memory");
			return;
		}
		e->v = m;
		e->cap = cap;
	}
	e->v[e->n++] = (struct ent){ s, len, order_of(at), at, owner };
}

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int d = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	if (d)
		return d;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool ent_same(const struct ent *x, const struct ent *y)
{
	return x->len == y->len && !memcmp(x->s, y->s, x->len);
}

static void ents_sort(struct ents *e)
{
	if (e->n > 1)
		qsort(e->v, e->n, sizeof(e->v[0]), ent_cmp);
}

static void ents_free(struct ents *e)
{
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* The first entry of sorted E with text S, and in COUNT (if not NULL) how many have it; NULL if none. */
static const struct ent *ents_find(const struct ents *e, const char *s, size_t len, int *count)
{
	struct ent key = { s, len, 0, NULL, NULL };
	size_t lo = 0, hi = e->n, mid, i;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ent_cmp(&e->v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < e->n && ent_same(&e->v[i], &key); i++)
		;
	if (count)
		*count = (int)(i - lo < INT_MAX ? i - lo : INT_MAX);
	return i > lo ? &e->v[lo] : NULL;
}

/* ---- syntax ---- */

/* The 1-based column of the '*' when line LINE of the text is an unquoted schedule starting with one; else 0. */
static int cron_alias_col(const struct ctx *c, int line)
{
	const char *s = c->text, *end = c->text + c->len, *nl, *bol;
	int n;

	for (n = 1; n < line && s < end; n++) {
		if (!(nl = memchr(s, '\n', (size_t)(end - s))))
			return 0;
		s = nl + 1;
	}
	for (bol = s; s < end && (*s == ' ' || *s == '-' || *s == '\t'); s++)
		;
	if ((size_t)(end - s) < 9 || memcmp(s, "schedule", 8) != 0)
		return 0;
	for (s += 8; s < end && (*s == ' ' || *s == '\t'); s++)
		;
	if (s >= end || *s++ != ':')
		return 0;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s < end && *s == '*' && s - bol < INT_MAX ? (int)(s - bol) + 1 : 0;
}

static void syntax_issue(struct ctx *c, const struct yaml_doc *doc)
{
	const char *m = doc->err_msg[0] ? doc->err_msg : "cannot parse";
	char msg[256];
	int line = doc->err_line, col = doc->err_col, cline, ccol = 0;

	err_quote(msg, sizeof(msg), m, strlen(m));
	if (c->err)
		return;
	cline = line;
	if (line && (!(ccol = cron_alias_col(c, cline)) && line > 1))
		ccol = cron_alias_col(c, --cline);
	if (ccol) {
		if (sim_add(c->rep, RND_ID(RND_YAML_1), SIM_CRITICAL, c->file, cline, ccol, SIM_FIX_HEAL,
			    "quote the cron expression: schedule: \"*/5 * * * *\"",
			    "YAML syntax error: an unquoted schedule starting with '*' is read as an alias (%s)",
			    msg) < 0)
			c->err = ERR_NOMEM;
		return;
	}
	if (sim_add(c->rep, RND_ID(RND_YAML_1), SIM_CRITICAL, c->file, line, col, SIM_FIX_NONE, NULL,
		    "YAML syntax error: %s", msg) < 0)
		c->err = ERR_NOMEM;
}

/* An alias with no anchor is an error to every YAML loader; the parser leaves it to resolution. */
static void check_alias(struct ctx *c, struct yaml_node *n)
{
	char aq[Q];
	size_t len = 0;
	const char *s;

	if (!n || !yaml_is_alias(n) || n->resolves)
		return;
	s = yaml_scalar(n, &len);
	issue(c, n, RND_YAML_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "YAML error: alias '*%s' names no anchor",
	      err_quote(aq, sizeof(aq), s ? s : "", s ? len : 0));
}

/* Duplicate keys of MAP (RND-YAML-2); the parser keeps them so we can say where. */
static void dup_keys(struct ctx *c, struct yaml_node *map)
{
	struct yaml_pair *p;
	struct ents *e = &c->tmp;
	const struct ent *first;
	void *it = NULL;
	char kq[Q];
	size_t i;
	int line, col;

	e->n = 0;
	while ((p = yaml_mapping_iterate(map, &it)))
		ents_push(c, e, key_of(p), val_of(p));
	ents_sort(e);
	for (i = 1, first = e->v; i < e->n; i++) {
		if (!ent_same(&e->v[i], first)) {
			first = &e->v[i];
			continue;
		}
		if (!where(first->at, &line, &col))
			line = 0;
		if (eqn(first->s, first->len, "env") &&
		    (yaml_is_sequence(first->owner) || yaml_is_sequence(e->v[i].owner)))
			issue(c, e->v[i].at, RND_YAML_2, SIM_CRITICAL, SIM_FIX_HEAL,
			      "rename the list-valued env to envVars",
			      "duplicate key 'env' (first at line %d): its variables belong in envVars", line);
		else
			issue(c, e->v[i].at, RND_YAML_2, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "duplicate key '%s' (first at line %d)", q(kq, e->v[i].at), line);
	}
}

/*
 * Walk the tree for what libfyaml lets through: aliases without an anchor (RND-YAML-1) and
 * duplicate keys (RND-YAML-2).
 */
static void walk(struct ctx *c, struct yaml_node *n, int depth)
{
	struct yaml_pair *p;
	struct yaml_node *item;
	void *it = NULL;

	if (!n || depth > DEPTH_MAX || c->err)
		return;
	check_alias(c, n);
	if (yaml_is_sequence(n)) {
		while ((item = yaml_sequence_iterate(n, &it)))
			walk(c, item, depth + 1);
		return;
	}
	if (!yaml_is_mapping(n))
		return;
	dup_keys(c, n);
	while ((p = yaml_mapping_iterate(n, &it))) {
		check_alias(c, key_of(p));
		walk(c, val_of(p), depth + 1);
	}
}

/* ---- scopes ---- */

static void scope_add(struct ctx *c, const struct scope *sc)
{
	struct scope *m;

	if (c->nscopes == c->capscopes) {
		size_t cap = c->capscopes ? c->capscopes * 2 : 8;

		if (!(m = realloc(c->scopes, cap * sizeof(*m)))) {
			c->err = err_set(ERR_NOMEM, "out of memory");
			return;
		}
		c->scopes = m;
		c->capscopes = cap;
	}
	c->scopes[c->nscopes++] = *sc;
}

/* The mapping of SC's list WHICH (0 services, 1 databases, 2 groups) named S; COUNT as ents_find. */
static struct yaml_node *scope_find(const struct scope *sc, int which, const char *s, size_t len, int *count)
{
	const struct ent *e = ents_find(&sc->names[which], s, len, count);

	return e ? e->owner : NULL;
}

/* A name of SC's list WHICH close to S, for "did you mean". */
static const char *near_name(const struct scope *sc, int which, const char *s, size_t len, char out[Q])
{
	const struct ents *e = &sc->names[which];
	size_t i;

	for (i = 0; i < e->n && i < NEAR_MAX; i++) {
		if (e->v[i].len >= Q || memchr(e->v[i].s, 0, e->v[i].len))
			continue;
		memcpy(out, e->v[i].s, e->v[i].len);
		out[e->v[i].len] = '\0';
		if (close_to(s, len, out))
			return out;
	}
	return NULL;
}

/* The lists of SC chosen by WHICH: 0 services, 1 databases, 2 environment groups. */
static struct yaml_node *const *scope_lists(const struct scope *sc, int which)
{
	return which == 0 ? sc->svcs : which == 1 ? sc->dbs : sc->groups;
}

/* True when some scope other than SC has a resource named S in the list chosen by WHICH. */
static bool elsewhere(const struct ctx *c, const struct scope *sc, int which, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < c->nscopes; i++) {
		const struct scope *o = &c->scopes[i];

		if (o != sc && scope_find(o, which, s, len, NULL))
			return true;
	}
	return false;
}

/* ---- cron ---- */

static const char *const month_names[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN",
					   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL };
static const char *const day_names[] = { "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL };

struct cron_field {
	const char *name;
	int lo, hi;
	const char *const *names;	/* names for lo, lo+1, ... */
};

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
static bool cron_ok(const char *s, size_t n, char *why, size_t whylen)
{
	static const char *const macros[] = { "@yearly", "@annually", "@monthly", "@weekly", "@daily",
					      "@midnight", "@hourly", NULL };
	const char *tok[6], *end = s + n;
	size_t tl[6];
	int nt = 0, i;

	if (in_list(s, n, macros))
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

static const char *kind_name(unsigned kind)
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


static const char *svc_name(const struct svc *s, char out[Q])
{
	if (!s->name || !text(s->name, &(size_t){ 0 }))
		return strcpy(out, "(unnamed)");
	return qq(out, s->name);
}

static void svc_init(struct svc *s, struct yaml_node *map)
{
	static const struct {
		const char *name;
		unsigned kind;
	} types[] = {
		{ "web", K_WEB }, { "worker", K_WORKER }, { "pserv", K_PSERV }, { "cron", K_CRON },
		{ "keyvalue", K_KV }, { "redis", K_KV }, { "workflow", K_WORKFLOW }, { "static", K_STATIC },
	};
	struct yaml_node *type = get(map, "type");
	size_t i;

	memset(s, 0, sizeof(*s));
	s->map = map;
	s->merged = pair_get(map, "<<") != NULL;
	s->name = get(map, "name");
	if (is_null(s->name))
		s->name = NULL;
	s->rt = text(get(map, "runtime"), &s->rtlen);
	if (!s->rt || !s->rtlen)
		s->rt = text(get(map, "env"), &s->rtlen);
	if (s->rt && !s->rtlen)
		s->rt = NULL;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (is(type, types[i].name))
			s->kind = types[i].kind;
	if (s->kind == K_WEB && eqn(s->rt, s->rtlen, "static"))
		s->kind = K_STATIC;
}

static void check_svc_type(struct ctx *c, struct svc *s)
{
	struct yaml_pair *p = pair_get(s->map, "type");
	struct yaml_node *v = val_of(p);
	char nq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *t = text(v, &len), *near;

	svc_name(s, nq);
	if (!p || is_null(v)) {
		if (!s->merged)
			issue(c, p ? key_of(p) : s->map, RND_SVC_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "service %s has no type (web, worker, pserv, cron or keyvalue)", nq);
		return;
	}
	if (!t) {
		if (!yaml_is_alias(v))
			issue(c, v, RND_SVC_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "service %s: type must be a string",
			      nq);
		return;
	}
	q(vq, v);
	if (eqn(t, len, "redis"))
		issue(c, v, RND_SVC_1, SIM_MEDIUM, SIM_FIX_HEAL, "rename type redis to keyvalue",
		      "service %s: type redis is the deprecated name of keyvalue", nq);
	else if (eqn(t, len, "static"))
		issue(c, v, RND_SVC_1, SIM_CRITICAL, SIM_FIX_HEAL, "set type: web and runtime: static",
		      "service %s: there is no type static; a static site is type: web with runtime: static", nq);
	else if (eqn(t, len, "postgres") || eqn(t, len, "postgresql") || eqn(t, len, "database") ||
		 eqn(t, len, "psql") || eqn(t, len, "pg"))
		issue(c, v, RND_SVC_1, SIM_CRITICAL, SIM_FIX_SUGGEST, "move it under databases:",
		      "service %s: type %s is not a service; PostgreSQL goes under databases:", nq, vq);
	else if (s->kind == K_WORKFLOW)
		issue(c, v, RND_SVC_1, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "service %s: type workflow is newer than Render's schema; only its name and envVars were checked",
		      nq);
	else if (!s->kind) {
		near = nearest(t, len, svc_type_names);
		snprintf(fx, sizeof(fx), "write type: %s", near ? near : "");
		issue(c, v, RND_SVC_1, SIM_CRITICAL, near ? SIM_FIX_SUGGEST : SIM_FIX_NONE, fx,
		      "service %s: unknown type '%s' (web, worker, pserv, cron or keyvalue)", nq, vq);
	}
}

static void check_svc_name(struct ctx *c, struct svc *s)
{
	struct yaml_pair *p = pair_get(s->map, "name");

	if (!p || is_null(val_of(p))) {
		if (!s->merged)
			issue(c, p ? key_of(p) : s->map, RND_SVC_2, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "service has no name");
		return;
	}
	value_ok(c, p, T_STR, RND_SVC_2);
}

/* A key the service's kind does not take (pair P, field F). */
static void not_allowed(struct ctx *c, struct svc *s, struct yaml_pair *p, const struct field *f)
{
	char nq[Q], fx[FIX_MAX];
	bool heal = !strcmp(f->key, "plan") || !strcmp(f->key, "region") || !strcmp(f->key, "numInstances");

	svc_name(s, nq);
	snprintf(fx, sizeof(fx), "delete %s", f->key);
	switch (s->kind) {
	case K_STATIC:
		issue(c, key_of(p), RND_STATIC_2, SIM_CRITICAL, heal ? SIM_FIX_HEAL : SIM_FIX_SUGGEST, fx,
		      "static site %s cannot have %s (no plan, region, start command, disk or scaling)", nq, f->key);
		break;
	case K_CRON:
		issue(c, key_of(p), RND_CRON_3, SIM_CRITICAL, SIM_FIX_SUGGEST, fx, "cron job %s cannot have %s",
		      nq, f->key);
		break;
	case K_KV:
		issue(c, key_of(p), RND_KV_3, SIM_CRITICAL, SIM_FIX_SUGGEST, fx,
		      "keyvalue %s cannot have %s (it runs no code of yours)", nq, f->key);
		break;
	default:
		if (f->kinds == K_STATIC)
			issue(c, key_of(p), RND_SVC_7, SIM_CRITICAL, SIM_FIX_SUGGEST,
			      "set runtime: static if this is a static site",
			      "service %s: %s is only for static sites (runtime: static)", nq, f->key);
		else
			issue(c, key_of(p), RND_SVC_7, SIM_CRITICAL, SIM_FIX_SUGGEST, fx,
			      "service %s: %s is not a field of this service type", nq, f->key);
		break;
	}
}

static void unknown_svc_key(struct ctx *c, struct svc *s, struct yaml_pair *p, const char *k, size_t len)
{
	char nq[Q], where_[Q + 16];

	if (s->kind == K_KV && eqn(k, len, "persistenceMode")) {
		issue(c, key_of(p), RND_KV_3, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "keyvalue %s: persistenceMode is newer than Render's schema; check it in the dashboard",
		      svc_name(s, nq));
		return;
	}
	snprintf(where_, sizeof(where_), "service %s", svc_name(s, nq));
	unknown_key(c, p, RND_SVC_7, SIM_CRITICAL, where_, nearest_field(k, len, svc_fields),
		    sure_of(k, len, NULL, svc_fields));
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
		if (!(k = text(key_of(p), &len)) || eqn(k, len, "<<"))
			continue;
		if (!(f = field_find(svc_fields, k, len)))
			unknown_svc_key(c, s, p, k, len);
		else if (!(f->kinds & s->kind))
			not_allowed(c, s, p, f);
		else if (f->type != T_ANY && strcmp(f->key, "type") && strcmp(f->key, "name"))
			value_ok(c, p, f->type, f->rule);
	}
}

/* ---- services: runtime, plan, region ---- */

static void check_env_alias(struct ctx *c, struct svc *s, struct yaml_pair *rp, struct yaml_pair *ep)
{
	struct yaml_node *ev = val_of(ep);
	char nq[Q];
	size_t rl, el;
	const char *r = text(val_of(rp), &rl), *e = text(ev, &el);

	svc_name(s, nq);
	if (yaml_is_sequence(ev) || yaml_is_mapping(ev)) {
		bool free_slot = !pair_get(s->map, "envVars");

		issue(c, key_of(ep), RND_SVC_3, SIM_CRITICAL, free_slot ? SIM_FIX_HEAL : SIM_FIX_SUGGEST,
		      free_slot ? "rename env to envVars" : "move these variables into envVars",
		      "service %s: env names the runtime; environment variables go in envVars", nq);
		return;
	}
	if (!e || is_null(ev))
		return;
	if (!rp || is_null(val_of(rp)))
		issue(c, key_of(ep), RND_SVC_3, SIM_MEDIUM, SIM_FIX_HEAL, "rename env to runtime",
		      "service %s: env is the deprecated name of runtime", nq);
	else if (r && rl == el && memcmp(r, e, el) == 0)
		issue(c, key_of(ep), RND_SVC_3, SIM_MEDIUM, SIM_FIX_HEAL, "delete env (runtime says the same)",
		      "service %s: env repeats runtime", nq);
	else
		issue(c, key_of(ep), RND_SVC_3, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s: env and runtime disagree; keep runtime only", nq);
}

/* A misspelling and what it stands for. */
struct spelling {
	const char *from, *to;
};

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
	struct yaml_pair *rp = pair_get(s->map, "runtime"), *ep = pair_get(s->map, "env");
	struct yaml_pair *used = rp && !is_null(val_of(rp)) ? rp : ep;
	struct yaml_node *v = val_of(used);
	char nq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *t = text(v, &len), *fix;

	svc_name(s, nq);
	if (ep)
		check_env_alias(c, s, rp, ep);
	if (!used || is_null(v) || (used == ep && !t)) {
		if (!s->merged && s->kind != K_STATIC)
			issue(c, s->map, RND_SVC_3, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "service %s has no runtime (%s)", nq, RUNTIME_LIST);
		return;
	}
	if (!t || in_list(t, len, runtimes))
		return;
	if ((fix = runtime_fix(t, len))) {
		snprintf(fx, sizeof(fx), "write runtime: %s", fix);
		issue(c, v, RND_SVC_4, SIM_CRITICAL, SIM_FIX_HEAL, fx,
		      "service %s: runtime '%s' is not one of Render's (%s)", nq, q(vq, v), fix);
	} else {
		issue(c, v, RND_SVC_4, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s: unknown runtime '%s' (%s)", nq, q(vq, v), RUNTIME_LIST);
	}
}

/* RND-SVC-5: the plan of pair P. Returns true when it reads as the free plan. */
static bool check_plan(struct ctx *c, struct yaml_pair *p)
{
	struct yaml_node *v = val_of(p);
	char norm[32], vq[Q], kq[Q], fx[FIX_MAX];
	size_t len, i;
	const char *s = text(v, &len);

	if (!s || is_null(v))
		return false;
	if (in_list(s, len, plans))
		return eqn(s, len, "free");
	q(vq, v);
	q(kq, key_of(p));
	if (len >= sizeof(norm)) {
		issue(c, v, RND_SVC_5, SIM_CRITICAL, SIM_FIX_NONE, NULL, "unknown %s '%s'", kq, vq);
		return false;
	}
	for (i = 0; i < len; i++)
		norm[i] = s[i] == '_' ? '-' : (char)tolower((unsigned char)s[i]);
	norm[len] = '\0';
	if (in_list(norm, len, plans)) {
		snprintf(fx, sizeof(fx), "write %s: %s", kq, norm);
		issue(c, v, RND_SVC_5, SIM_CRITICAL, SIM_FIX_HEAL, fx,
		      "%s '%s' is not a plan name: Render's are lower-case with dashes (%s)", kq, vq, norm);
		return !strcmp(norm, "free");
	}
	if (in_list(norm, len, removed_plans))
		issue(c, v, RND_SVC_5, SIM_CRITICAL, SIM_FIX_SUGGEST, "pick a current plan: starter, standard or pro",
		      "%s '%s' was removed by Render", kq, vq);
	else
		issue(c, v, RND_SVC_5, SIM_CRITICAL, SIM_FIX_NONE, NULL,
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
static void check_region(struct ctx *c, struct yaml_node *map)
{
	struct yaml_node *v = get(map, "region");
	char vq[Q], fx[FIX_MAX];
	size_t len;
	const char *s = text(v, &len), *fix;

	if (!s || is_null(v) || in_list(s, len, regions))
		return;
	q(vq, v);
	if ((fix = region_fix(s, len))) {
		bool same = strlen(fix) == len && !strncasecmp(fix, s, len);

		snprintf(fx, sizeof(fx), "write region: %s", fix);
		issue(c, v, RND_SVC_6, SIM_CRITICAL, same ? SIM_FIX_HEAL : SIM_FIX_SUGGEST, fx,
		      "region '%s' is not one of Render's (oregon, ohio, virginia, frankfurt, singapore)", vq);
	} else {
		issue(c, v, RND_SVC_6, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "unknown region '%s' (oregon, ohio, virginia, frankfurt, singapore)", vq);
	}
}

/* The region MAP runs in: its own, or Render's default. */
static const char *region_of(struct yaml_node *map, size_t *len)
{
	const char *s = text(get(map, "region"), len);

	if (s && in_list(s, *len, regions))
		return s;
	*len = 6;
	return "oregon";
}

/* ---- services: deploy settings ---- */

static void check_autodeploy(struct ctx *c, struct svc *s)
{
	struct yaml_pair *ad = pair_get(s->map, "autoDeploy"), *adt = pair_get(s->map, "autoDeployTrigger");
	char nq[Q], fx[FIX_MAX];
	int b;

	svc_name(s, nq);
	check_enum(c, s->map, "autoDeployTrigger", triggers, RND_SVC_9, "autoDeployTrigger");
	if (!ad)
		return;
	if (adt) {
		issue(c, key_of(ad), RND_SVC_9, SIM_MEDIUM, SIM_FIX_SUGGEST, "delete autoDeploy",
		      "service %s sets both autoDeploy and autoDeployTrigger", nq);
		return;
	}
	b = bool_value(val_of(ad));
	snprintf(fx, sizeof(fx), "replace autoDeploy with autoDeployTrigger: %s", b == 0 ? "\"off\"" : "commit");
	issue(c, key_of(ad), RND_SVC_8, SIM_MEDIUM, b < 0 ? SIM_FIX_NONE : SIM_FIX_HEAL, fx,
	      "service %s: autoDeploy is deprecated; use autoDeployTrigger", nq);
}

static void check_deprecated(struct ctx *c, struct svc *s)
{
	struct yaml_pair *pr = pair_get(s->map, "pullRequestPreviewsEnabled");
	struct yaml_pair *pp = pair_get(s->map, "previewPlan");
	char nq[Q];

	svc_name(s, nq);
	check_autodeploy(c, s);
	if (pr)
		issue(c, key_of(pr), RND_SVC_8, SIM_MEDIUM, SIM_FIX_HEAL,
		      bool_value(val_of(pr)) == 1 ? "replace it with previews: {generation: automatic}"
						  : "delete pullRequestPreviewsEnabled",
		      "service %s: pullRequestPreviewsEnabled is deprecated; use previews.generation", nq);
	if (pp && (s->kind & K_SERVER))
		issue(c, key_of(pp), RND_SVC_8, SIM_MEDIUM, SIM_FIX_HEAL, "move previewPlan to previews.plan",
		      "service %s: previewPlan is deprecated; use previews.plan", nq);
	if (pp)
		check_plan(c, pp);
}

static void check_build_filter(struct ctx *c, struct svc *s)
{
	static const char *const keys[] = { "paths", "ignoredPaths", NULL };
	struct yaml_pair *p = typed(c, s->map, "buildFilter", T_ANY, RND_SVC_10);
	struct yaml_node *m = val_of(p), *item;
	char nq[Q], fx[FIX_MAX];
	void *it;
	int i;

	if (!p)
		return;
	check_keys(c, m, keys, RND_SVC_10, SIM_MEDIUM, "buildFilter");
	for (i = 0; keys[i]; i++) {
		struct yaml_pair *lp = typed(c, m, keys[i], T_SEQ, RND_SVC_10);

		for (it = NULL; lp && (item = yaml_sequence_iterate(val_of(lp), &it));)
			if (!yaml_is_scalar(item))
				issue(c, item, RND_SVC_10, SIM_CRITICAL, SIM_FIX_NONE, NULL,
				      "buildFilter.%s entries must be glob strings", keys[i]);
		if (!pair_get(m, keys[i]) && !pair_get(m, "<<")) {
			snprintf(fx, sizeof(fx), "add %s: []", keys[i]);
			issue(c, key_of(p), RND_SVC_10, SIM_MEDIUM, SIM_FIX_SUGGEST, fx,
			      "service %s: buildFilter without %s; a sync empties it, dropping any set elsewhere",
			      svc_name(s, nq), keys[i]);
		}
	}
}

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
	const char *s = text(v, &len);

	if (!s || is_null(v) || hostname_ok(s, len))
		return;
	q(vq, v);
	if (memmem(s, len, "://", 3) || memchr(s, '/', len))
		issue(c, v, RND_SVC_11, SIM_CRITICAL, SIM_FIX_SUGGEST, "keep only the host name (no scheme, no path)",
		      "domain '%s' must be a host name, not a URL", vq);
	else
		issue(c, v, RND_SVC_11, SIM_CRITICAL, SIM_FIX_NONE, NULL, "domain '%s' is not a host name", vq);
}

static void check_domains(struct ctx *c, struct yaml_node *map)
{
	struct yaml_pair *p = typed(c, map, "domains", T_ANY, RND_SVC_11);
	struct yaml_node *item;
	void *it = NULL;

	check_domain(c, get(map, "domain"));
	while (p && (item = yaml_sequence_iterate(val_of(p), &it)))
		if (yaml_is_scalar(item))
			check_domain(c, item);
		else
			issue(c, item, RND_SVC_11, SIM_CRITICAL, SIM_FIX_NONE, NULL,
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
static void check_ip_allow(struct ctx *c, struct yaml_node *map)
{
	static const char *const keys[] = { "source", "description", NULL };
	struct yaml_pair *p = typed(c, map, "ipAllowList", T_SEQ, RND_SVC_11);
	struct yaml_node *item, *src;
	char vq[Q];
	void *it = NULL;
	size_t len;
	const char *s;

	while (p && (item = yaml_sequence_iterate(val_of(p), &it))) {
		if (!yaml_is_mapping(item)) {
			issue(c, item, RND_SVC_11, SIM_CRITICAL, SIM_FIX_SUGGEST, "write it as - source: <CIDR>",
			      "ipAllowList entries must be mappings with a source");
			continue;
		}
		check_keys(c, item, keys, RND_SVC_11, SIM_CRITICAL, "ipAllowList entry");
		src = get(item, "source");
		if (is_null(src)) {
			issue(c, item, RND_SVC_11, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "ipAllowList entry has no source");
			continue;
		}
		if ((s = text(src, &len)) && !cidr_ok(s, len))
			issue(c, src, RND_SVC_11, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "ipAllowList source '%s' is not an IP address or CIDR block", q(vq, src));
	}
}

/* RND-SVC-11: a range on integer KEY of MAP. Returns the value, or DEF when absent or unusable. */
static long int_range(struct ctx *c, struct yaml_node *map, const char *key, long lo, long hi, long def,
		      enum rnd_rule rule)
{
	struct yaml_pair *p = typed(c, map, key, T_INT, rule);
	long v;

	if (!p || !int_value(val_of(p), &v))
		return def;
	if (v < lo || v > hi) {
		if (hi == LONG_MAX)
			issue(c, val_of(p), rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s must be at least %ld, not %ld",
			      key, lo, v);
		else
			issue(c, val_of(p), rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s must be %ld to %ld, not %ld",
			      key, lo, hi, v);
	}
	return v;
}

static void check_svc_previews(struct ctx *c, struct svc *s)
{
	static const char *const server_keys[] = { "generation", "plan", "numInstances", NULL };
	static const char *const static_keys[] = { "generation", NULL };
	struct yaml_pair *p = pair_get(s->map, "previews");
	struct yaml_node *m = val_of(p);

	if (!p || !yaml_is_mapping(m))
		return;
	check_keys(c, m, s->kind == K_STATIC ? static_keys : server_keys, RND_SVC_7, SIM_CRITICAL, "previews");
	check_enum(c, m, "generation", generations, RND_SVC_7, "previews.generation");
	if (s->kind != K_STATIC) {
		struct yaml_pair *pp = typed(c, m, "plan", T_STR, RND_SVC_5);

		if (pp)
			check_plan(c, pp);
		int_range(c, m, "numInstances", 1, LONG_MAX, 1, RND_SVC_11);
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

	svc_name(s, nq);
	if (in_list(s->rt, s->rtlen, native_runtimes) && !s->merged) {
		if (!has(s->map, "startCommand"))
			issue(c, s->map, RND_CMD_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "service %s (runtime %.*s) has no startCommand: Render cannot start it", nq,
			      (int)s->rtlen, s->rt);
		if (!has(s->map, "buildCommand"))
			issue(c, s->map, RND_CMD_2, SIM_MEDIUM, SIM_FIX_NONE, NULL,
			      "service %s (runtime %.*s) has no buildCommand: nothing installs its dependencies", nq,
			      (int)s->rtlen, s->rt);
	}
	if (eqn(s->rt, s->rtlen, "docker")) {
		if ((p = pair_get(s->map, "buildCommand")))
			issue(c, key_of(p), RND_CMD_3, SIM_MEDIUM, SIM_FIX_SUGGEST, "delete buildCommand",
			      "service %s: runtime docker builds the Dockerfile; buildCommand is not run", nq);
		if ((p = pair_get(s->map, "startCommand")))
			issue(c, key_of(p), RND_CMD_3, SIM_MEDIUM, SIM_FIX_SUGGEST,
			      "rename startCommand to dockerCommand",
			      "service %s: runtime docker runs dockerCommand (or the Dockerfile's CMD), not this",
			      nq);
	}
	if (!eqn(s->rt, s->rtlen, "image"))
		return;
	for (i = 0; image_unused[i]; i++)
		if ((p = pair_get(s->map, image_unused[i]))) {
			snprintf(fx, sizeof(fx), "delete %s", image_unused[i]);
			issue(c, key_of(p), RND_CMD_3, SIM_MEDIUM, SIM_FIX_SUGGEST, fx,
			      "service %s: runtime image pulls a built image; %s is not used", nq, image_unused[i]);
		}
}

static void check_image(struct ctx *c, struct svc *s)
{
	static const char *const keys[] = { "url", "creds", NULL };
	struct yaml_pair *p = pair_get(s->map, "image");
	struct yaml_node *m = val_of(p);
	char nq[Q];
	bool wants = eqn(s->rt, s->rtlen, "image");

	svc_name(s, nq);
	if (p && !wants && s->rt) {
		issue(c, key_of(p), RND_IMG_1, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "service %s: image is only used with runtime: image", nq);
		return;
	}
	if (!wants || s->merged)
		return;
	if (!p || !yaml_is_mapping(m)) {
		if (!p || is_null(m))
			issue(c, p ? key_of(p) : s->map, RND_IMG_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "service %s: runtime image needs image.url", nq);
		return;
	}
	check_keys(c, m, keys, RND_IMG_1, SIM_CRITICAL, "image");
	if (!has(m, "url"))
		issue(c, key_of(p), RND_IMG_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s: runtime image needs image.url", nq);
	else
		typed(c, m, "url", T_STR, RND_IMG_1);
}

static void check_health(struct ctx *c, struct svc *s)
{
	struct yaml_pair *p = pair_get(s->map, "healthCheckPath");
	struct yaml_node *v = val_of(p);
	char nq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *t = text(v, &len), *path;

	if (!p || !t || is_null(v))
		return;
	svc_name(s, nq);
	if (s->kind != K_WEB)
		issue(c, key_of(p), RND_HC_1, SIM_MEDIUM, SIM_FIX_SUGGEST, "delete healthCheckPath",
		      "service %s: only web services are health-checked; healthCheckPath is ignored", nq);
	if (len && t[0] == '/')
		return;
	q(vq, v);
	path = strstr(vq, "://") ? strchr(strstr(vq, "://") + 3, '/') : NULL;
	if (path)
		snprintf(fx, sizeof(fx), "write healthCheckPath: %s", path);
	else
		snprintf(fx, sizeof(fx), "write healthCheckPath: /%s", vq);
	issue(c, v, RND_HC_1, SIM_CRITICAL, SIM_FIX_SUGGEST, fx,
	      "service %s: healthCheckPath '%s' must be a path starting with /", nq, vq);
}

static void check_disk(struct ctx *c, struct svc *s)
{
	static const char *const keys[] = { "name", "mountPath", "sizeGB", NULL };
	struct yaml_pair *p = pair_get(s->map, "disk"), *mp;
	struct yaml_node *m = val_of(p);
	char nq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *t;

	if (!p || !yaml_is_mapping(m))
		return;
	svc_name(s, nq);
	check_keys(c, m, keys, RND_DISK_1, SIM_CRITICAL, "disk");
	if (!has(m, "name") && !pair_get(m, "<<"))
		issue(c, key_of(p), RND_DISK_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "service %s: disk needs a name",
		      nq);
	typed(c, m, "name", T_STR, RND_DISK_1);
	if (!has(m, "mountPath") && !pair_get(m, "<<"))
		issue(c, key_of(p), RND_DISK_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s: disk needs a mountPath", nq);
	mp = typed(c, m, "mountPath", T_STR, RND_DISK_1);
	if (mp && (t = text(val_of(mp), &len)) && (!len || t[0] != '/')) {
		snprintf(fx, sizeof(fx), "write mountPath: /%s", q(vq, val_of(mp)));
		issue(c, val_of(mp), RND_DISK_1, SIM_CRITICAL, SIM_FIX_SUGGEST, fx,
		      "service %s: disk mountPath '%s' must be an absolute path", nq, vq);
	}
	int_range(c, m, "sizeGB", 1, LONG_MAX, 10, RND_DISK_1);
}

static void check_scaling(struct ctx *c, struct svc *s)
{
	static const char *const keys[] = { "minInstances", "maxInstances", "targetCPUPercent",
					    "targetMemoryPercent", NULL };
	struct yaml_pair *p = pair_get(s->map, "scaling");
	struct yaml_node *m = val_of(p);
	long lo, hi;
	char nq[Q];

	if (!p || !yaml_is_mapping(m))
		return;
	svc_name(s, nq);
	check_keys(c, m, keys, RND_SCALE_1, SIM_MEDIUM, "scaling");
	lo = int_range(c, m, "minInstances", 1, LONG_MAX, -1, RND_SCALE_1);
	hi = int_range(c, m, "maxInstances", 1, LONG_MAX, -1, RND_SCALE_1);
	int_range(c, m, "targetCPUPercent", 1, 90, 0, RND_SCALE_1);
	int_range(c, m, "targetMemoryPercent", 1, 90, 0, RND_SCALE_1);
	if (lo >= 1 && hi >= 1 && lo > hi)
		issue(c, get(m, "minInstances"), RND_SCALE_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s: scaling.minInstances (%ld) is above maxInstances (%ld)", nq, lo, hi);
	if (!pair_get(m, "targetCPUPercent") && !pair_get(m, "targetMemoryPercent") && !pair_get(m, "<<"))
		issue(c, key_of(p), RND_SCALE_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s: scaling needs targetCPUPercent or targetMemoryPercent", nq);
	if ((p = pair_get(s->map, "numInstances")))
		issue(c, key_of(p), RND_SCALE_2, SIM_MEDIUM, SIM_FIX_SUGGEST, "delete numInstances",
		      "service %s: numInstances is ignored when scaling is set", nq);
}

/* RND-FREE-1, RND-FREE-2, RND-DISK-2: what the plan and a disk rule out. */
static void check_limits(struct ctx *c, struct svc *s, long instances)
{
	struct yaml_pair *disk = pair_get(s->map, "disk"), *scaling = pair_get(s->map, "scaling");
	struct yaml_pair *pre = pair_get(s->map, "preDeployCommand"), *n = pair_get(s->map, "numInstances");
	char nq[Q];

	svc_name(s, nq);
	if (disk && (instances > 1 || scaling))
		issue(c, key_of(disk), RND_DISK_2, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "service %s has a disk, so it cannot run more than one instance (%s)", nq,
		      scaling ? "scaling is set" : "numInstances > 1");
	if (!s->free || s->kind != K_WEB)
		return;
	if (disk)
		issue(c, key_of(disk), RND_FREE_2, SIM_CRITICAL, SIM_FIX_SUGGEST, "use plan: starter (keep the disk)",
		      "service %s: free instances have no persistent disk", nq);
	if (instances > 1)
		issue(c, key_of(n), RND_FREE_2, SIM_CRITICAL, SIM_FIX_SUGGEST, "use plan: starter",
		      "service %s: free instances cannot scale (numInstances > 1)", nq);
	if (scaling)
		issue(c, key_of(scaling), RND_FREE_2, SIM_CRITICAL, SIM_FIX_SUGGEST, "use plan: starter",
		      "service %s: free instances cannot autoscale", nq);
	if (pre && !is_null(val_of(pre)))
		issue(c, key_of(pre), RND_FREE_2, SIM_CRITICAL, SIM_FIX_SUGGEST,
		      "use plan: starter, or run it at the start of startCommand",
		      "service %s: pre-deploy command is not supported for free tier services", nq);
}

static void check_server(struct ctx *c, struct svc *s)
{
	long instances;
	char nq[Q];

	instances = int_range(c, s->map, "numInstances", 1, LONG_MAX, 1, RND_SVC_11);
	int_range(c, s->map, "maxShutdownDelaySeconds", 1, 300, 30, RND_SVC_11);
	check_enum(c, s->map, "renderSubdomainPolicy", on_off, RND_SVC_7, "renderSubdomainPolicy");
	check_commands(c, s);
	check_image(c, s);
	check_health(c, s);
	check_disk(c, s);
	check_scaling(c, s);
	check_limits(c, s, instances);
	if (s->free && s->kind != K_WEB) {
		svc_name(s, nq);
		issue(c, get(s->map, "plan"), RND_FREE_1, SIM_CRITICAL, SIM_FIX_SUGGEST, "use plan: starter",
		      "service %s: there is no free plan for %s services", nq, kind_name(s->kind));
	}
}

static void check_cron(struct ctx *c, struct svc *s)
{
	struct yaml_pair *p = pair_get(s->map, "schedule");
	struct yaml_node *v = val_of(p);
	char nq[Q], vq[Q], why[128];
	size_t len;
	const char *t = text(v, &len);

	svc_name(s, nq);
	check_commands(c, s);
	check_image(c, s);
	if (s->free)
		issue(c, get(s->map, "plan"), RND_FREE_1, SIM_CRITICAL, SIM_FIX_SUGGEST, "use plan: starter",
		      "cron job %s: there is no free plan for cron jobs", nq);
	if (!p || is_null(v)) {
		if (!s->merged)
			issue(c, p ? key_of(p) : s->map, RND_CRON_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "cron job %s has no schedule", nq);
		return;
	}
	if (t && !cron_ok(t, len, why, sizeof(why)))
		issue(c, v, RND_CRON_2, SIM_CRITICAL, SIM_FIX_NONE, NULL, "cron job %s: schedule '%s' %s", nq,
		      q(vq, v), why);
}

static void check_kv(struct ctx *c, struct svc *s)
{
	struct yaml_pair *p = pair_get(s->map, "ipAllowList");
	char nq[Q];

	check_enum(c, s->map, "maxmemoryPolicy", policies, RND_KV_2, "maxmemoryPolicy");
	if ((p && !is_null(val_of(p))) || s->merged)
		return;
	issue(c, p ? key_of(p) : s->map, RND_KV_1, SIM_CRITICAL, SIM_FIX_HEAL,
	      "add ipAllowList: [] (internal connections only)",
	      "keyvalue %s needs ipAllowList ([] allows internal connections only)", svc_name(s, nq));
}

static bool url_ok(const char *s, size_t n)
{
	return (n > 7 && !strncmp(s, "http://", 7)) || (n > 8 && !strncmp(s, "https://", 8));
}

static void check_route(struct ctx *c, struct yaml_node *r)
{
	static const char *const keys[] = { "type", "source", "destination", NULL };
	struct yaml_pair *sp, *dp;
	char vq[Q];
	size_t len;
	const char *t;
	int i;

	if (!yaml_is_mapping(r)) {
		issue(c, r, RND_STATIC_3, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "routes entries must be mappings with type, source and destination");
		return;
	}
	check_keys(c, r, keys, RND_STATIC_3, SIM_MEDIUM, "route");
	for (i = 0; keys[i]; i++)
		if (!has(r, keys[i]) && !pair_get(r, "<<"))
			issue(c, r, RND_STATIC_3, SIM_CRITICAL, SIM_FIX_NONE, NULL, "route has no %s", keys[i]);
	check_enum(c, r, "type", route_types, RND_STATIC_3, "route type");
	sp = typed(c, r, "source", T_STR, RND_STATIC_3);
	if (sp && (t = text(val_of(sp), &len)) && (!len || t[0] != '/'))
		issue(c, val_of(sp), RND_STATIC_3, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "route source '%s' must be a path starting with / (not a URL)", q(vq, val_of(sp)));
	dp = typed(c, r, "destination", T_STR, RND_STATIC_3);
	if (dp && (t = text(val_of(dp), &len)) && (!len || t[0] != '/') && !url_ok(t, len))
		issue(c, val_of(dp), RND_STATIC_3, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "route destination '%s' must be a path starting with / or an http(s) URL", q(vq, val_of(dp)));
}

static void check_header(struct ctx *c, struct yaml_node *h)
{
	static const char *const keys[] = { "path", "name", "value", NULL };
	struct yaml_pair *pp;
	char vq[Q];
	size_t len;
	const char *t;
	int i;

	if (!yaml_is_mapping(h)) {
		issue(c, h, RND_STATIC_4, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "headers entries must be mappings with path, name and value");
		return;
	}
	check_keys(c, h, keys, RND_STATIC_4, SIM_MEDIUM, "header");
	for (i = 0; keys[i]; i++) {
		if (!has(h, keys[i]) && !pair_get(h, "<<"))
			issue(c, h, RND_STATIC_4, SIM_CRITICAL, SIM_FIX_NONE, NULL, "header has no %s", keys[i]);
		pp = typed(c, h, keys[i], T_STR, RND_STATIC_4);
		if (pp && i == 0 && (t = text(val_of(pp), &len)) && (!len || t[0] != '/'))
			issue(c, val_of(pp), RND_STATIC_4, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "header path '%s' must start with /", q(vq, val_of(pp)));
	}
}

static void check_static(struct ctx *c, struct svc *s)
{
	struct yaml_pair *p;
	struct yaml_node *item;
	char nq[Q];
	void *it;

	if (!has(s->map, "staticPublishPath") && !s->merged)
		issue(c, s->map, RND_STATIC_1, SIM_CRITICAL, SIM_FIX_SUGGEST,
		      "set staticPublishPath to the build's output directory (dist, build, public, out or _site)",
		      "static site %s has no staticPublishPath", svc_name(s, nq));
	if ((p = pair_get(s->map, "routes")) && yaml_is_sequence(val_of(p)))
		for (it = NULL; (item = yaml_sequence_iterate(val_of(p), &it));)
			check_route(c, item);
	if ((p = pair_get(s->map, "headers")) && yaml_is_sequence(val_of(p)))
		for (it = NULL; (item = yaml_sequence_iterate(val_of(p), &it));)
			check_header(c, item);
}

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
	const char *k = text(key, &kl), *t = text(v, &len);

	if (!t || !k)
		return;
	qq(kq, key);
	if (has_var_ref(t, len))
		issue(c, v, RND_ENV_11, SIM_HIGH, SIM_FIX_SUGGEST,
		      "use sync: false, or fromService/fromGroup for a value declared elsewhere",
		      "%s: Blueprints do not expand $VARIABLES; the value is used literally", kq);
	else if ((len >= 8 && secret_key(k, kl) && classify(v) == SC_STR) || url_with_password(t, len))
		issue(c, v, RND_ENV_9, SIM_MEDIUM, SIM_FIX_SUGGEST,
		      strstr(kq, "URL") ? "use fromDatabase/fromService for a connection string"
					: "use generateValue: true for an app secret, or sync: false",
		      "%s looks like a secret written into render.yaml", kq);
	if (s && s->kind == K_WEB && eqn(k, kl, "PORT"))
		issue(c, key, RND_ENV_10, SIM_LOW, SIM_FIX_NONE, NULL,
		      "PORT is set by Render (10000 by default); hard-code it only if the app needs that port");
}

/* RND-ENV-7 and RND-YAML-4: a value must be a string or a number that keeps its text. */
static void check_env_value(struct ctx *c, const struct svc *s, struct yaml_pair *kp, struct yaml_pair *vp)
{
	struct yaml_node *v = val_of(vp);
	char kq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *t = text(v, &len);

	qq(kq, val_of(kp));
	quote_fix(fx, vp);
	if (v && yaml_is_alias(v))
		return;
	if (!v || (!t && !yaml_is_scalar(v))) {
		issue(c, at_val(vp), RND_ENV_7, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "%s: value must be a string or a number, not %s", kq, v ? shape_name(v) : "nothing");
		return;
	}
	switch (classify(v)) {
	case SC_NULL:
		issue(c, at_val(vp), RND_ENV_7, SIM_MEDIUM, SIM_FIX_SUGGEST, "write value: \"\" or use sync: false",
		      "%s: value is empty (null), not a string", kq);
		return;
	case SC_BOOL:
	case SC_BOOL11:
		issue(c, v, RND_ENV_7, SIM_MEDIUM, SIM_FIX_HEAL, fx,
		      "%s: value %s is a YAML boolean; Render's schema wants a string", kq, q(vq, v));
		return;
	case SC_INT:
	case SC_FLOAT:
		if (!number_keeps_text(t, len))
			issue(c, v, RND_YAML_4, SIM_HIGH, SIM_FIX_HEAL, fx,
			      "%s: value %s is read as a number and loses its text (3.10 becomes 3.1)", kq, q(vq, v));
		return;
	default:
		check_value_text(c, s, val_of(kp), v);
	}
}

static bool svc_kind_matches(unsigned kind, const char *t, size_t len)
{
	if (eqn(t, len, "web"))
		return kind & (K_WEB | K_STATIC);
	if (eqn(t, len, "static"))
		return kind == K_STATIC;
	if (eqn(t, len, "worker"))
		return kind == K_WORKER;
	if (eqn(t, len, "pserv"))
		return kind == K_PSERV;
	if (eqn(t, len, "cron"))
		return kind == K_CRON;
	if (eqn(t, len, "keyvalue") || eqn(t, len, "redis"))
		return kind == K_KV;
	return true;
}

/* True when MAP's envVars (or a group of SC they pull in) declare KEY; also true when we cannot know. */
static bool declares(struct yaml_node *map, const struct scope *sc, const char *k, size_t kl, int depth)
{
	struct yaml_node *list = get(map, "envVars"), *item, *g;
	void *it = NULL;
	size_t len;
	const char *s;

	if (!list || !yaml_is_sequence(list) || depth > 2)
		return false;
	while ((item = yaml_sequence_iterate(list, &it))) {
		if ((s = text(get(item, "key"), &len)) && len == kl && !memcmp(s, k, kl))
			return true;
		if (!(s = text(get(item, "fromGroup"), &len)))
			continue;
		if (!(g = scope_find(sc, 2, s, len, NULL)) || declares(g, sc, k, kl, depth + 1))
			return true;
	}
	return false;
}

/* RND-SVC-6: services talk to what they reference over the private network of one region. */
static void same_region(struct ctx *c, const struct svc *s, struct yaml_node *target, struct yaml_node *at)
{
	char nq[Q];
	size_t a, b;
	const char *ra = region_of(s ? s->map : NULL, &a), *rb = region_of(target, &b);

	if (!s || s->kind == K_STATIC || (a == b && !memcmp(ra, rb, a)))
		return;
	issue(c, at, RND_SVC_6, SIM_HIGH, SIM_FIX_NONE, NULL,
	      "service %s runs in %.*s but references a resource in %.*s; the private network does not cross regions",
	      svc_name(s, nq), (int)a, ra, (int)b, rb);
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
	const char *s = text(name, &len), *n;

	if (elsewhere(c, sc, 1, s, len)) {
		issue(c, name, RND_ENV_5, SIM_HIGH, SIM_FIX_NONE, NULL,
		      "database '%s' is declared in another environment; references resolve only inside one, so a "
		      "database of that name must already exist", vq);
		return;
	}
	n = near_name(sc, 1, s, len, near);
	snprintf(fx, sizeof(fx), "write name: %s", n ? n : "");
	issue(c, name, RND_ENV_5, SIM_HIGH, n ? SIM_FIX_SUGGEST : SIM_FIX_NONE, fx,
	      "no database named '%s' is declared in this file: the database must already exist on Render", vq);
}

static void ref_missing(struct ctx *c, const struct scope *sc, int which, struct yaml_node *name, const char *what)
{
	char vq[Q], near[Q], fx[FIX_MAX];
	size_t len;
	const char *s = text(name, &len), *n;

	q(vq, name);
	if (which == 1) {
		missing_database(c, sc, name, vq);
		return;
	}
	if (elsewhere(c, sc, which, s, len)) {
		issue(c, name, RND_ENV_6, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "%s '%s' is declared in another environment; references resolve only inside one", what, vq);
		return;
	}
	n = near_name(sc, which, s, len, near);
	snprintf(fx, sizeof(fx), "write name: %s", n ? n : "");
	issue(c, name, RND_ENV_6, SIM_CRITICAL, n ? SIM_FIX_SUGGEST : SIM_FIX_NONE, fx,
	      "no %s named '%s' is declared in this file", what, vq);
}

static void check_from_db(struct ctx *c, const struct scope *sc, const struct svc *s, struct yaml_pair *fp)
{
	static const char *const keys[] = { "name", "property", NULL };
	struct yaml_node *m = val_of(fp), *name, *db;
	size_t len;
	const char *t;

	if (!yaml_is_mapping(m)) {
		issue(c, at_val(fp), RND_ENV_5, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "fromDatabase must be a mapping with name and property");
		return;
	}
	check_keys(c, m, keys, RND_ENV_5, SIM_CRITICAL, "fromDatabase");
	if (!has(m, "property"))
		issue(c, key_of(fp), RND_ENV_5, SIM_CRITICAL, SIM_FIX_NONE, NULL, "fromDatabase needs a property");
	else
		check_enum(c, m, "property", db_props, RND_ENV_5, "fromDatabase.property");
	name = get(m, "name");
	if (is_null(name) || !(t = text(name, &len))) {
		if (is_null(name))
			issue(c, key_of(fp), RND_ENV_5, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "fromDatabase needs a name");
		return;
	}
	if (!(db = scope_find(sc, 1, t, len, NULL)))
		ref_missing(c, sc, 1, name, "database");
	else
		same_region(c, s, db, name);
}

/* The fromService target: exists, has the type named, declares envVarKey (RND-ENV-6). */
static void check_svc_target(struct ctx *c, const struct scope *sc, const struct svc *s, struct yaml_node *m)
{
	struct yaml_node *name = get(m, "name"), *type = get(m, "type"), *key = get(m, "envVarKey"), *target;
	char vq[Q], tq[Q], fx[FIX_MAX];
	size_t len, tl, kl;
	const char *n = text(name, &len), *t = text(type, &tl), *k = text(key, &kl);
	struct svc ts;
	int count;

	if (!n || is_null(name))
		return;
	if (eqn(t, tl, "dpg") || eqn(t, tl, "job"))
		return;
	if (!(target = scope_find(sc, 0, n, len, &count))) {
		ref_missing(c, sc, 0, name, "service");
		return;
	}
	svc_init(&ts, target);
	if (t && ts.kind && !svc_kind_matches(ts.kind, t, tl)) {
		snprintf(fx, sizeof(fx), "write type: %s", kind_name(ts.kind));
		issue(c, type, RND_ENV_6, SIM_CRITICAL, count == 1 ? SIM_FIX_HEAL : SIM_FIX_NONE, fx,
		      "fromService names '%s' with type %s, but that service is %s", q(vq, name), q(tq, type),
		      kind_name(ts.kind));
	}
	if (k && !is_null(key) && !declares(target, sc, k, kl, 0) && !(kl > 7 && !memcmp(k, "RENDER_", 7))) {
		snprintf(fx, sizeof(fx), "declare %s on %s (sync: false if it is a secret)", q(tq, key), q(vq, name));
		issue(c, key, RND_ENV_6, SIM_CRITICAL, SIM_FIX_SUGGEST, fx,
		      "environment variable not found: '%s' is not declared on service '%s'", tq, vq);
	}
	if (!k && ts.kind != K_STATIC)
		same_region(c, s, target, name);
}

static void check_from_svc(struct ctx *c, const struct scope *sc, const struct svc *s, struct yaml_pair *fp)
{
	static const char *const keys[] = { "name", "type", "property", "envVarKey", NULL };
	struct yaml_node *m = val_of(fp), *prop;
	char vq[Q];
	size_t tl;
	const char *t;

	if (!yaml_is_mapping(m)) {
		issue(c, at_val(fp), RND_ENV_6, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "fromService must be a mapping with name, type and property or envVarKey");
		return;
	}
	check_keys(c, m, keys, RND_ENV_6, SIM_CRITICAL, "fromService");
	if (!has(m, "name"))
		issue(c, key_of(fp), RND_ENV_6, SIM_CRITICAL, SIM_FIX_NONE, NULL, "fromService needs a name");
	if (!has(m, "type"))
		issue(c, key_of(fp), RND_ENV_6, SIM_CRITICAL, SIM_FIX_NONE, NULL, "fromService needs a type");
	else
		check_enum(c, m, "type", ref_types, RND_ENV_6, "fromService.type");
	if (has(m, "property") == has(m, "envVarKey"))
		issue(c, key_of(fp), RND_ENV_6, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "fromService needs exactly one of property and envVarKey");
	prop = get(m, "property");
	/* connectionString is svc_props[3]: only a keyvalue has one */
	t = text(get(m, "type"), &tl);
	if (has(m, "property") && check_enum(c, m, "property", svc_props, RND_ENV_6, "fromService.property") == 3 &&
	    t && !eqn(t, tl, "keyvalue") && !eqn(t, tl, "redis"))
		issue(c, prop, RND_ENV_6, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "fromService.property %s is only for keyvalue services", q(vq, prop));
	check_svc_target(c, sc, s, m);
}

/*
 * RND-GRP-4. The catalog calls a dangling fromGroup an error, but groups can also be made in the
 * dashboard for the whole workspace, where this file cannot see them: medium, not critical.
 */
static void check_from_group(struct ctx *c, const struct scope *sc, struct yaml_pair *fp)
{
	struct yaml_node *v = val_of(fp);
	char vq[Q];
	size_t len;
	const char *t = text(v, &len);

	if (!value_ok(c, fp, T_STR, RND_ENV_1) || !t || scope_find(sc, 2, t, len, NULL))
		return;
	q(vq, v);
	if (elsewhere(c, sc, 2, t, len))
		issue(c, v, RND_GRP_4, SIM_HIGH, SIM_FIX_NONE, NULL,
		      "fromGroup '%s' is declared in another environment; groups resolve only inside one", vq);
	else
		issue(c, v, RND_GRP_4, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "fromGroup '%s' is not declared in this file; the sync fails unless the workspace has that group",
		      vq);
}

static int count_sources(struct yaml_node *item, struct yaml_pair **second)
{
	static const char *const sources[] = { "value", "generateValue", "sync", "fromDatabase", "fromService", NULL };
	int i, n = 0;
	struct yaml_pair *p;

	for (i = 0; sources[i]; i++)
		if ((p = pair_get(item, sources[i])) && n++ == 1)
			*second = p;
	return n;
}

/* RND-ENV-2: more than one value source. */
static void two_sources(struct ctx *c, struct yaml_node *item, struct yaml_pair *second, const char *kq)
{
	struct yaml_pair *vp = pair_get(item, "value");
	bool plain_only = !pair_get(item, "fromDatabase") && !pair_get(item, "fromService");
	char sq[Q];
	size_t len = 0;
	const char *t = text(val_of(vp), &len);

	if (plain_only && vp && t && len && !is_null(val_of(vp)))
		issue(c, key_of(second), RND_ENV_2, SIM_CRITICAL, SIM_FIX_HEAL,
		      "keep value, delete the other sources", "%s: cannot simultaneously specify value and %s", kq,
		      q(sq, key_of(second)));
	else if (plain_only && pair_get(item, "sync") && !pair_get(item, "generateValue"))
		issue(c, key_of(second), RND_ENV_2, SIM_CRITICAL, SIM_FIX_HEAL, "keep sync: false, delete value",
		      "%s: cannot simultaneously specify fields value and sync", kq);
	else
		issue(c, key_of(second), RND_ENV_2, SIM_CRITICAL, SIM_FIX_SUGGEST,
		      "keep one of value, generateValue, sync, fromDatabase, fromService",
		      "%s has more than one value source", kq);
}

/* The source flags: generateValue must be true, sync false (RND-ENV-4); groups take no sync (RND-GRP-2). */
static void check_flags(struct ctx *c, struct yaml_node *item, bool group, const char *kq)
{
	struct yaml_pair *gp = typed(c, item, "generateValue", T_BOOL, RND_ENV_4);
	struct yaml_pair *sp = typed(c, item, "sync", T_BOOL, RND_ENV_4);

	if (gp && bool_value(val_of(gp)) == 0)
		issue(c, key_of(gp), RND_ENV_4, SIM_MEDIUM, SIM_FIX_HEAL, "delete generateValue: false",
		      "%s: generateValue: false does nothing", kq);
	if (sp && bool_value(val_of(sp)) == 1)
		issue(c, key_of(sp), RND_ENV_4, SIM_MEDIUM, SIM_FIX_HEAL, "delete sync: true",
		      "%s: sync: true does nothing (only sync: false asks for a value)", kq);
	if (sp && group)
		issue(c, key_of(sp), RND_GRP_2, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "%s: sync: false in an environment group; set the value on the group in the dashboard", kq);
}

/* An item of a group may only be key/value or key/generateValue (RND-GRP-2). */
static bool group_refs(struct ctx *c, struct yaml_node *item, const char *kq)
{
	static const char *const refs[] = { "fromDatabase", "fromService", "fromGroup", NULL };
	struct yaml_pair *p;
	int i;
	bool any = false;

	for (i = 0; refs[i]; i++)
		if ((p = pair_get(item, refs[i]))) {
			issue(c, key_of(p), RND_GRP_2, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "%s: environment groups cannot use %s", kq, refs[i]);
			any = true;
		}
	return any;
}

static void check_from_group_item(struct ctx *c, const struct scope *sc, struct yaml_node *item,
				  struct yaml_pair *fg)
{
	if (yaml_mapping_count(item) > 1 && !pair_get(item, "<<")) {
		issue(c, key_of(fg), RND_ENV_1, SIM_CRITICAL, SIM_FIX_HEAL,
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
			issue(c, item, RND_ENV_1, SIM_CRITICAL, SIM_FIX_SUGGEST,
			      "write it as - key: NAME with value: VALUE",
			      "envVars entries must be mappings with a key and a value source");
		return;
	}
	check_keys(c, item, env_item_keys, RND_ENV_1, SIM_CRITICAL, "envVars entry");
	if ((p = pair_get(item, "fromGroup")) && !group) {
		check_from_group_item(c, sc, item, p);
		return;
	}
	kp = pair_get(item, "key");
	if (!kp || is_null(val_of(kp))) {
		if (!pair_get(item, "<<") && !(group && p))
			issue(c, kp ? key_of(kp) : item, RND_ENV_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "envVars entry has no key (must be from group or have a key and value)");
		if (group)
			group_refs(c, item, "envVars entry");
		return;
	}
	value_ok(c, kp, T_STR, RND_ENV_1);
	qq(kq, val_of(kp));
	if (group && group_refs(c, item, kq))
		return;
	n = count_sources(item, &second);
	if (n == 0 && !pair_get(item, "<<"))
		issue(c, val_of(kp), RND_ENV_3, SIM_CRITICAL, SIM_FIX_HEAL,
		      "add sync: false (Render asks for the value in the dashboard)",
		      "%s has no value (must be from group or have a key and value)", kq);
	else if (n > 1)
		two_sources(c, item, second, kq);
	if ((p = pair_get(item, "previewValue")) && !pair_get(item, "value"))
		issue(c, key_of(p), RND_ENV_2, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s: previewValue needs a value",
		      kq);
	if ((p = pair_get(item, "value")))
		check_env_value(c, s, kp, p);
	if ((p = pair_get(item, "previewValue")))
		check_env_value(c, NULL, kp, p);
	check_flags(c, item, group, kq);
	if ((p = pair_get(item, "fromDatabase")))
		check_from_db(c, sc, s, p);
	if ((p = pair_get(item, "fromService")))
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
		ents_push(c, e, get(item, "key"), item);
	ents_sort(e);
	for (i = 1; i < e->n; i++)
		if (e->v[i].len && ent_same(&e->v[i], &e->v[i - 1]))
			issue(c, e->v[i].at, RND_ENV_8, SIM_MEDIUM, SIM_FIX_NONE, NULL,
			      "%s is declared twice in one envVars list; the last one wins", qq(kq, e->v[i].at));
}

static void check_envvars(struct ctx *c, const struct scope *sc, const struct svc *s, struct yaml_pair *lp,
			  bool group)
{
	struct yaml_node *list = val_of(lp), *item;
	void *it = NULL;

	if (!lp || is_null(list) || yaml_is_alias(list))
		return;
	if (!yaml_is_sequence(list)) {
		issue(c, at_val(lp), group ? RND_GRP_1 : RND_ENV_1, SIM_CRITICAL, SIM_FIX_SUGGEST,
		      "write a list: - key: NAME with value: VALUE",
		      "envVars must be a list of - key: ... entries, not %s", shape_name(list));
		return;
	}
	while ((item = yaml_sequence_iterate(list, &it)))
		check_envvar(c, sc, s, item, group);
	env_dup_keys(c, list);
}

/* ---- services ---- */

static void check_service(struct ctx *c, const struct scope *sc, struct yaml_node *map)
{
	struct svc s;
	struct yaml_pair *p;
	char nq[Q];

	if (!yaml_is_mapping(map)) {
		if (!yaml_is_alias(map))
			issue(c, map, RND_SVC_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "services entries must be mappings");
		return;
	}
	svc_init(&s, map);
	check_svc_type(c, &s);
	check_svc_name(c, &s);
	if (s.kind && s.kind != K_WORKFLOW) {
		if (s.kind != K_KV)
			check_runtime(c, &s);
		check_svc_fields(c, &s);
		if ((p = pair_get(map, "plan")) && (s.kind & (K_SERVER | K_CRON | K_KV)))
			s.free = check_plan(c, p);
		if (s.kind != K_STATIC)
			check_region(c, map);
		check_deprecated(c, &s);
		check_build_filter(c, &s);
		check_domains(c, map);
		check_ip_allow(c, map);
		check_svc_previews(c, &s);
	}
	if (s.kind & K_SERVER)
		check_server(c, &s);
	else if (s.kind == K_CRON)
		check_cron(c, &s);
	else if (s.kind == K_KV)
		check_kv(c, &s);
	else if (s.kind == K_STATIC)
		check_static(c, &s);
	if (c->previews_on && (p = pair_get(map, "branch")) && !is_null(val_of(p)))
		issue(c, key_of(p), RND_PREV_3, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "service %s pins a branch while preview environments are on; previews then build that branch",
		      svc_name(&s, nq));
	if (s.kind != K_KV)
		check_envvars(c, sc, &s, pair_get(map, "envVars"), false);
}

/* ---- databases and groups ---- */

static bool flexible_plan(const char *s, size_t len)
{
	return (len > 6 && !strncmp(s, "basic-", 6)) || (len > 4 && !strncmp(s, "pro-", 4)) ||
	       (len > 12 && !strncmp(s, "accelerated-", 12));
}

static void check_db_plans(struct ctx *c, struct yaml_node *map)
{
	struct yaml_pair *pp = pair_get(map, "plan"), *vp = pair_get(map, "previewPlan");
	size_t a, b;
	const char *pa = text(val_of(pp), &a), *pb = text(val_of(vp), &b);

	if (pp && check_plan(c, pp))
		issue(c, val_of(pp), RND_DB_8, SIM_LOW, SIM_FIX_NONE, NULL,
		      "a free Postgres database expires after 30 days, and a workspace gets only one");
	if (vp)
		check_plan(c, vp);
	if (pa && pb && in_list(pa, a, plans) && in_list(pb, b, plans) && flexible_plan(pa, a) != flexible_plan(pb, b))
		issue(c, val_of(vp), RND_DB_7, SIM_MEDIUM, SIM_FIX_NONE, NULL,
		      "plan and previewPlan mix a flexible plan (basic-/pro-/accelerated-) with a legacy one");
}

static void check_pg_version(struct ctx *c, struct yaml_pair *p)
{
	struct yaml_node *v = val_of(p);
	char vq[Q], fx[FIX_MAX];
	size_t len;
	const char *t = text(v, &len);

	if (!p || is_null(v) || yaml_is_alias(v))
		return;
	if (!t) {
		issue(c, v, RND_DB_4, SIM_CRITICAL, SIM_FIX_NONE, NULL, "postgresMajorVersion must be a string");
		return;
	}
	q(vq, v);
	if (!in_list(t, len, pg_versions)) {
		issue(c, v, RND_DB_4, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "postgresMajorVersion '%s' is not one Render offers (\"10\" to \"18\")", vq);
		return;
	}
	if (plain(v)) {
		snprintf(fx, sizeof(fx), "quote it: postgresMajorVersion: \"%s\"", vq);
		issue(c, v, RND_YAML_4, SIM_MEDIUM, SIM_FIX_HEAL, fx,
		      "postgresMajorVersion: %s is read as a number; Render's schema wants the string \"%s\"", vq, vq);
	}
}

static void check_db_disk(struct ctx *c, struct yaml_node *map, const char *key)
{
	struct yaml_pair *p = pair_get(map, key);
	long v = int_range(c, map, key, 1, LONG_MAX, 1, RND_DB_3);
	char fx[FIX_MAX];

	if (p && v > 1 && v % 5) {
		snprintf(fx, sizeof(fx), "write %s: %ld", key, (v + 4) / 5 * 5);
		issue(c, val_of(p), RND_DB_3, SIM_CRITICAL, SIM_FIX_SUGGEST, fx,
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

	if ((p = typed(c, map, "highAvailability", T_ANY, RND_DB_5))) {
		check_keys(c, val_of(p), ha_keys, RND_DB_5, SIM_CRITICAL, "highAvailability");
		if (!pair_get(val_of(p), "enabled"))
			issue(c, key_of(p), RND_DB_5, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "highAvailability needs enabled");
		typed(c, val_of(p), "enabled", T_BOOL, RND_DB_5);
	}
	if (!(p = typed(c, map, "readReplicas", T_ANY, RND_DB_6)))
		return;
	if (yaml_sequence_is_empty(val_of(p)))
		issue(c, key_of(p), RND_DB_6, SIM_HIGH, SIM_FIX_NONE, NULL,
		      "readReplicas: [] deletes every read replica of the database on sync");
	while ((item = yaml_sequence_iterate(val_of(p), &it))) {
		if (!yaml_is_mapping(item)) {
			issue(c, item, RND_DB_6, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "readReplicas entries must be {name: ...}");
			continue;
		}
		check_keys(c, item, rr_keys, RND_DB_6, SIM_CRITICAL, "read replica");
		if (!has(item, "name"))
			issue(c, item, RND_DB_6, SIM_CRITICAL, SIM_FIX_NONE, NULL, "read replica has no name");
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
			issue(c, map, RND_DB_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "databases entries must be mappings");
		return;
	}
	while ((p = yaml_mapping_iterate(map, &it))) {
		if (!(k = text(key_of(p), &len)) || eqn(k, len, "<<"))
			continue;
		if (!(f = field_find(db_fields, k, len)))
			unknown_key(c, p, RND_DB_2, SIM_CRITICAL, "a database", nearest_field(k, len, db_fields),
				    sure_of(k, len, NULL, db_fields));
		else if (f->type != T_ANY)
			value_ok(c, p, f->type, f->rule);
	}
	if (!has(map, "name") && !pair_get(map, "<<"))
		issue(c, map, RND_DB_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "database has no name");
	check_region(c, map);
	check_db_plans(c, map);
	check_db_disk(c, map, "diskSizeGB");
	check_db_disk(c, map, "previewDiskSizeGB");
	check_pg_version(c, pair_get(map, "postgresMajorVersion"));
	check_ip_allow(c, map);
	check_db_extras(c, map);
}

static void check_group(struct ctx *c, const struct scope *sc, struct yaml_node *map)
{
	static const char *const keys[] = { "name", "envVars", NULL };
	struct yaml_pair *p;

	if (!yaml_is_mapping(map)) {
		if (!yaml_is_alias(map))
			issue(c, map, RND_GRP_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "envVarGroups entries must be mappings");
		return;
	}
	check_keys(c, map, keys, RND_GRP_1, SIM_CRITICAL, "an environment group");
	if (pair_get(map, "<<"))
		return;
	if (!has(map, "name"))
		issue(c, map, RND_GRP_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "environment group has no name");
	else
		typed(c, map, "name", T_STR, RND_GRP_1);
	p = pair_get(map, "envVars");
	if (!p || is_null(val_of(p)))
		issue(c, p ? key_of(p) : map, RND_GRP_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "environment group needs envVars (a list)");
	else
		check_envvars(c, sc, NULL, p, true);
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
		for (it = NULL; (item = next_item(sc->svcs[i], &it));)
			check_service(c, sc, item);
		for (it = NULL; (item = next_item(sc->dbs[i], &it));)
			check_db(c, item);
		for (it = NULL; (item = next_item(sc->groups[i], &it));) {
			check_group(c, sc, item);
			if ((t = text(get(item, "name"), &len)) && len && !ents_find(&sc->group_refs, t, len, NULL))
				issue(c, get(item, "name"), RND_GRP_5, SIM_LOW, SIM_FIX_NONE, NULL,
				      "environment group '%s' is not used by any service", q(vq, get(item, "name")));
		}
	}
}

/* Report the later of equal names in sorted E under RULE. */
static void report_dups(struct ctx *c, const struct ents *e, enum rnd_rule rule, const char *what)
{
	const struct ent *first;
	char vq[Q];
	size_t i;
	int line, col;

	for (i = 1, first = e->v; i < e->n; i++) {
		if (!ent_same(&e->v[i], first)) {
			first = &e->v[i];
			continue;
		}
		if (!where(first->at, &line, &col))
			line = 0;
		issue(c, e->v[i].at, rule, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "two %ss are named '%s' (the first at line %d)", what, q(vq, e->v[i].at), line);
	}
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
				ents_push(c, &all[w], c->scopes[i].names[w].v[j].at, c->scopes[i].names[w].v[j].owner);
		ents_sort(&all[w]);
		report_dups(c, &all[w], rules[w], what[w]);
	}
	for (i = 0; i < all[1].n; i++)
		if ((i == 0 || !ent_same(&all[1].v[i], &all[1].v[i - 1])) &&
		    ents_find(&all[0], all[1].v[i].s, all[1].v[i].len, NULL))
			issue(c, all[1].v[i].at, RND_SVC_2, SIM_LOW, SIM_FIX_NONE, NULL,
			      "database '%s' has the name of a service; distinct names read better",
			      q(vq, all[1].v[i].at));
	for (w = 0; w < 3; w++)
		ents_free(&all[w]);
}

/* Index the names of SC's services, databases and groups, and the groups its services pull in. */
static void scope_index(struct ctx *c, struct scope *sc)
{
	struct yaml_node *item, *env;
	void *it, *it2;
	int w, k;

	for (w = 0; w < 3; w++) {
		for (k = 0; k < 2; k++)
			for (it = NULL; (item = next_item(scope_lists(sc, w)[k], &it));)
				ents_push(c, &sc->names[w], get(item, "name"), item);
		ents_sort(&sc->names[w]);
	}
	for (k = 0; k < 2; k++)
		for (it = NULL; (item = next_item(sc->svcs[k], &it));)
			for (it2 = NULL; (env = next_item(get(item, "envVars"), &it2));)
				ents_push(c, &sc->group_refs, get(env, "fromGroup"), item);
	ents_sort(&sc->group_refs);
}

/* ---- root, projects, previews ---- */

static void check_root_previews(struct ctx *c, struct yaml_node *root)
{
	static const char *const keys[] = { "generation", "expireAfterDays", NULL };
	struct yaml_pair *p = typed(c, root, "previews", T_MAP, RND_PREV_1);
	struct yaml_pair *en = pair_get(root, "previewsEnabled"), *ex = pair_get(root, "previewsExpireAfterDays");
	int g;

	if (p) {
		check_keys(c, val_of(p), keys, RND_PREV_1, SIM_CRITICAL, "previews");
		g = check_enum(c, val_of(p), "generation", generations, RND_PREV_1, "previews.generation");
		int_range(c, val_of(p), "expireAfterDays", 1, LONG_MAX, 1, RND_PREV_1);
		c->previews_on = g == 0 || g == 1;
	}
	if (en && value_ok(c, en, T_BOOL, RND_PREV_2)) {
		bool on = bool_value(val_of(en)) == 1;

		issue(c, key_of(en), RND_PREV_2, SIM_MEDIUM, p ? SIM_FIX_SUGGEST : SIM_FIX_HEAL,
		      on && !p ? "replace it with previews: {generation: automatic}" : "delete previewsEnabled",
		      "previewsEnabled is deprecated; use previews.generation");
		c->previews_on = c->previews_on || (on && !p);
	}
	if (ex && value_ok(c, ex, T_INT, RND_PREV_2))
		issue(c, key_of(ex), RND_PREV_2, SIM_MEDIUM, SIM_FIX_HEAL, "move it to previews.expireAfterDays",
		      "previewsExpireAfterDays is deprecated; use previews.expireAfterDays");
}

/* The services, databases and envVarGroups of MAP into slot I of SC, each checked to be a list. */
static void take_resources(struct ctx *c, struct yaml_node *map, struct scope *sc, int i, enum rnd_rule rule)
{
	struct yaml_pair *p;

	if ((p = typed(c, map, "services", T_SEQ, rule)))
		sc->svcs[i] = val_of(p);
	if ((p = typed(c, map, "databases", T_SEQ, rule)))
		sc->dbs[i] = val_of(p);
	if ((p = typed(c, map, "envVarGroups", T_SEQ, rule)))
		sc->groups[i] = val_of(p);
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
		issue(c, env, RND_PRJ_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "environments entries must be mappings");
		return;
	}
	check_keys(c, env, keys, RND_PRJ_1, SIM_CRITICAL, "an environment");
	if (!has(env, "name") && !pair_get(env, "<<"))
		issue(c, env, RND_PRJ_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "environment has no name");
	typed(c, env, "name", T_STR, RND_PRJ_1);
	if ((p = typed(c, env, "networking", T_MAP, RND_PRJ_1))) {
		check_keys(c, val_of(p), net_keys, RND_PRJ_1, SIM_CRITICAL, "networking");
		check_enum(c, val_of(p), "isolation", on_off, RND_PRJ_1, "networking.isolation");
	}
	if ((p = typed(c, env, "permissions", T_MAP, RND_PRJ_1))) {
		check_keys(c, val_of(p), perm_keys, RND_PRJ_1, SIM_CRITICAL, "permissions");
		check_enum(c, val_of(p), "protection", on_off, RND_PRJ_1, "permissions.protection");
	}
	take_resources(c, env, &sc, 0, RND_PRJ_1);
	scope_add(c, &sc);
}

/* Names of the mappings in SEQ unique (RULE, WHAT). */
static void unique_in(struct ctx *c, struct yaml_node *seq, enum rnd_rule rule, const char *what)
{
	struct yaml_node *item;
	void *it = NULL;

	c->tmp.n = 0;
	while ((item = yaml_sequence_iterate(seq, &it)))
		ents_push(c, &c->tmp, get(item, "name"), item);
	ents_sort(&c->tmp);
	report_dups(c, &c->tmp, rule, what);
}

static void check_projects(struct ctx *c, struct yaml_node *root)
{
	static const char *const keys[] = { "name", "environments", NULL };
	struct yaml_pair *p = typed(c, root, "projects", T_SEQ, RND_ROOT_3), *ep;
	struct yaml_node *prj, *env;
	void *it = NULL, *it2;

	while (p && (prj = yaml_sequence_iterate(val_of(p), &it))) {
		if (!yaml_is_mapping(prj)) {
			issue(c, prj, RND_PRJ_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
			      "projects entries must be mappings");
			continue;
		}
		check_keys(c, prj, keys, RND_PRJ_1, SIM_CRITICAL, "a project");
		if (!has(prj, "name") && !pair_get(prj, "<<"))
			issue(c, prj, RND_PRJ_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "project has no name");
		typed(c, prj, "name", T_STR, RND_PRJ_1);
		if (!has(prj, "environments") && !pair_get(prj, "<<"))
			issue(c, prj, RND_PRJ_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "project has no environments");
		if (!(ep = typed(c, prj, "environments", T_SEQ, RND_PRJ_1)))
			continue;
		unique_in(c, val_of(ep), RND_PRJ_1, "environment");
		for (it2 = NULL; (env = yaml_sequence_iterate(val_of(ep), &it2));)
			check_environment(c, env);
	}
	if (p)
		unique_in(c, val_of(p), RND_PRJ_1, "project");
}

static void check_version(struct ctx *c, struct yaml_node *root)
{
	struct yaml_pair *p = pair_get(root, "version");
	struct yaml_node *v = val_of(p);

	if (!p || is_null(v) || yaml_is_alias(v))
		return;
	if (!is(v, "1"))
		issue(c, at_val(p), RND_ROOT_3, SIM_CRITICAL, SIM_FIX_NONE, NULL, "version must be \"1\"");
	else if (plain(v))
		issue(c, v, RND_YAML_4, SIM_MEDIUM, SIM_FIX_HEAL, "quote it: version: \"1\"",
		      "version: 1 is read as a number; Render's schema wants the string \"1\"");
}

static bool empty_seq(struct yaml_node *seq)
{
	return !seq || !yaml_is_sequence(seq) || yaml_sequence_is_empty(seq);
}

/* The root: known keys, the root scope (root plus ungrouped), projects, and something to deploy. */
static void check_root(struct ctx *c, struct yaml_node *root)
{
	struct scope sc;
	struct yaml_pair *up;
	size_t i;

	memset(&sc, 0, sizeof(sc));
	check_keys(c, root, root_keys, RND_ROOT_1, SIM_CRITICAL, "the root");
	check_version(c, root);
	check_root_previews(c, root);
	take_resources(c, root, &sc, 0, RND_ROOT_3);
	if ((up = typed(c, root, "ungrouped", T_MAP, RND_ROOT_3))) {
		check_keys(c, val_of(up), resource_keys, RND_ROOT_1, SIM_CRITICAL, "ungrouped");
		take_resources(c, val_of(up), &sc, 1, RND_ROOT_3);
	}
	scope_add(c, &sc);
	check_projects(c, root);
	for (i = 0; i < c->nscopes; i++)
		scope_index(c, &c->scopes[i]);
	if (c->err)
		return;
	for (i = 0; i < c->nscopes; i++)
		if (!empty_seq(c->scopes[i].svcs[0]) || !empty_seq(c->scopes[i].svcs[1]) ||
		    !empty_seq(c->scopes[i].dbs[0]) || !empty_seq(c->scopes[i].dbs[1]))
			break;
	if (i == c->nscopes && !pair_get(root, "<<"))
		issue(c, root, RND_ROOT_2, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "the Blueprint declares no services and no databases: there is nothing to sync");
	check_unique(c);
	for (i = 0; i < c->nscopes && !c->err; i++)
		check_scope(c, &c->scopes[i]);
}

/* ---- parsing ---- */

/* The length of the UTF-8 sequence at S (N bytes left), or 0 when it is not valid UTF-8. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * RND-YAML-1 for bytes that are not UTF-8: YAML loaders refuse them, and libfyaml 0.7.12 can
 * loop forever on some of them (a directive followed by a stray byte), so they never reach it.
 */
static bool utf8_ok(struct ctx *c)
{
	const unsigned char *s = (const unsigned char *)c->text;
	size_t i = 0, k;
	int line = 1, col = 1;

	while (i < c->len) {
		if (!(k = utf8_len(s + i, c->len - i))) {
			if (sim_add(c->rep, RND_ID(RND_YAML_1), SIM_CRITICAL, c->file, line, col, SIM_FIX_NONE, NULL,
				    "the file is not UTF-8 (byte 0x%02x)", s[i]) < 0)
				c->err = ERR_NOMEM;
			return false;
		}
		if (s[i] == '\n')
			line++, col = 1;
		else
			col++;
		i += k;
	}
	return true;
}

/* Parse the text with the wired YAML parser and check the first document; RND-YAML-1 for what stops a parse. */
static int simulate(struct ctx *c)
{
	const struct yaml_parser *yp = platform_yaml();
	struct yaml_doc doc;
	int r = 0;

	memset(&doc, 0, sizeof(doc));
	if (!yp)
		return err_set(ERR_UNSUPPORTED, "no YAML parser: the program did not wire one (platform_use_yaml)");
	if (!utf8_ok(c))
		goto out;
	if ((r = yp->parse(c->text, c->len, &doc)) < 0)
		goto out;
	if (doc.failed) {
		syntax_issue(c, &doc);
		goto out;
	}
	if (!doc.root) {
		issue(c, NULL, RND_YAML_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "the file holds no YAML document");
		goto out;
	}
	if (doc.has_next)
		issue(c, doc.next_root, RND_YAML_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "render.yaml must hold a single YAML document; this one follows the first");
	if (!yaml_is_mapping(doc.root)) {
		issue(c, doc.root, RND_YAML_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "the root must be a mapping (services:, databases:, ...), not %s", shape_name(doc.root));
		goto out;
	}
	walk(c, doc.root, 0);
	check_root(c, doc.root);
out:
	yp->release(&doc);
	return r;
}

struct place {
	int line, col;
	size_t idx;
};

static int place_cmp(const void *a, const void *b)
{
	const struct place *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Put the issues from FROM on in file order; the order checks ran in means nothing to a reader. */
static void sort_issues(struct sim_report *rep, size_t from)
{
	size_t n = rep->n - from, i;
	struct place *o;
	struct sim_issue *tmp;

	if (n < 2)
		return;
	o = malloc(n * sizeof(*o));
	tmp = malloc(n * sizeof(*tmp));
	if (o && tmp) {
		for (i = 0; i < n; i++)
			o[i] = (struct place){ rep->issues[from + i].line, rep->issues[from + i].col, from + i };
		qsort(o, n, sizeof(*o), place_cmp);
		for (i = 0; i < n; i++)
			tmp[i] = rep->issues[o[i].idx];
		memcpy(rep->issues + from, tmp, n * sizeof(*tmp));
	}
	free(o);
	free(tmp);
}

int sim_render_text(const char *file, const char *text, size_t len, struct sim_report *rep)
{
	struct ctx c;
	int64_t t0 = clock_mono_us();
	size_t first = rep->n, i;
	int r, w;

	memset(&c, 0, sizeof(c));
	c.rep = rep;
	c.file = file;
	c.text = text ? text : "";
	c.len = text ? len : 0;
	r = simulate(&c);
	for (i = 0; i < c.nscopes; i++) {
		for (w = 0; w < 3; w++)
			ents_free(&c.scopes[i].names[w]);
		ents_free(&c.scopes[i].group_refs);
	}
	free(c.scopes);
	ents_free(&c.tmp);
	sort_issues(rep, first);
	rep->us += clock_mono_us() - t0;
	if (!r && c.err)
		r = err_set(ERR_NOMEM, "out of memory");
	return r;
}

int sim_render(const char *dir, struct sim_report *rep)
{
	char path[4096], alt[4096];
	struct buf b = BUF_INIT(FILE_MAX);
	int r;

	snprintf(path, sizeof(path), "%s/render.yaml", dir);
	r = fs_read_file(path, &b);
	if (r == ERR_NOTFOUND) {
		snprintf(alt, sizeof(alt), "%s/render.yml", dir);
		if (fs_exists(alt))
			r = err_set(ERR_NOTFOUND, "no such file '%s': Render does not read '%s', rename it",
				    path, alt);
	} else if (r == ERR_LIMIT) {
		r = err_set(ERR_LIMIT, "'%s' is larger than %u MiB", path, FILE_MAX >> 20);
	}
	if (r == 0) {
		if (rep->nfiles < sizeof(rep->files) / sizeof(rep->files[0]))
			snprintf(rep->files[rep->nfiles++], sizeof(rep->files[0]), "render.yaml");
		r = sim_render_text("render.yaml", b.data, b.len, rep);
	}
	buf_release(&b);
	return r;
}
