/* render.yaml checks: scalars and their YAML types, positions and issues, mapping lookups, typos, value types. */
#include "platform/render/check.h"
#include "util/banned.h"

static const char *const null_words[] = { "", "~", "null", "Null", "NULL", NULL };

static const char *const bool_words[] = { "true", "True", "TRUE", "false", "False", "FALSE", NULL };

static const char *const bool11_words[] = { "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
					     "on", "On", "ON", "off", "Off", "OFF", NULL };

static const char *const true_words[] = { "true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES",
					  "on", "On", "ON", NULL };

/* Misspellings seen in the wild, with what was meant (config-rules.md RND-SVC-7, B6). */
static const struct spelling key_typos[] = {
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
const char *rnd_text(struct yaml_node *n, size_t *len)
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

bool rnd_eqn(const char *s, size_t len, const char *lit)
{
	return s && strlen(lit) == len && memcmp(s, lit, len) == 0;
}

bool rnd_is(struct yaml_node *n, const char *lit)
{
	size_t len;
	const char *s = rnd_text(n, &len);

	return rnd_eqn(s, len, lit);
}

static int list_index(const char *s, size_t len, const char *const *list)
{
	int i;

	for (i = 0; s && list[i]; i++)
		if (rnd_eqn(s, len, list[i]))
			return i;
	return -1;
}

bool rnd_in_list(const char *s, size_t len, const char *const *list)
{
	return list_index(s, len, list) >= 0;
}

bool rnd_plain(struct yaml_node *n)
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
	if (rnd_in_list(s + i, n - i, special))
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
enum sclass rnd_classify(struct yaml_node *n)
{
	size_t len;
	const char *s = rnd_text(n, &len);

	if (!s || !rnd_plain(n))
		return SC_STR;
	if (rnd_in_list(s, len, null_words))
		return SC_NULL;
	if (rnd_in_list(s, len, bool_words))
		return SC_BOOL;
	if (rnd_in_list(s, len, bool11_words))
		return SC_BOOL11;
	if (is_int_text(s, len))
		return SC_INT;
	if (is_float_text(s, len))
		return SC_FLOAT;
	return SC_STR;
}

bool rnd_is_null(struct yaml_node *n)
{
	return !n || rnd_classify(n) == SC_NULL;
}

/* True when a number keeps its text through a loader: 3.9 and 42 do, 3.10, 1.0 and 007 do not. */
bool rnd_number_keeps_text(const char *s, size_t n)
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

int rnd_bool_value(struct yaml_node *n)
{
	size_t len;
	const char *s = rnd_text(n, &len);
	enum sclass k = rnd_classify(n);

	if (k != SC_BOOL && k != SC_BOOL11)
		return -1;
	return rnd_in_list(s, len, true_words);
}

/* The decimal integer N holds, into OUT; false when it holds none. */
bool rnd_int_value(struct yaml_node *n, long *out)
{
	size_t len, i;
	const char *s = rnd_text(n, &len);
	long v = 0;
	bool neg = false;

	if (!s || rnd_classify(n) != SC_INT || len > 18)
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
const char *rnd_q(char out[Q], struct yaml_node *n)
{
	size_t len;
	const char *s = rnd_text(n, &len);

	if (!s) {
		snprintf(out, Q, "%s", n && yaml_is_alias(n) ? "(alias)" : "(not a string)");
		return out;
	}
	return err_quote(out, Q, s, len);
}

/* The next item of SEQ, or NULL at the end or when SEQ is not a sequence. */
struct yaml_node *rnd_next_item(struct yaml_node *seq, void **it)
{
	return seq && yaml_is_sequence(seq) ? yaml_sequence_iterate(seq, it) : NULL;
}

/* N in single quotes for a message, when it is a scalar. */
const char *rnd_qq(char out[Q], struct yaml_node *n)
{
	char tmp[Q - 2];
	size_t len;
	const char *s = rnd_text(n, &len);

	if (!s)
		return rnd_q(out, n);
	snprintf(out, Q, "'%s'", err_quote(tmp, sizeof(tmp), s, len));
	return out;
}

/* ---- positions and issues ---- */

/* The 1-based line and column where N starts; false when N has no place (an empty value). */
bool rnd_where(struct yaml_node *n, int *line, int *col)
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

void rnd_issue(struct ctx *c, struct yaml_node *at, enum rnd_rule rule, enum sim_severity sev, enum sim_fix fix,
		  const char *fix_text, const char *fmt, ...)
{
	char msg[SIM_MSG_MAX];
	int line = 0, col = 0;
	va_list ap;

	if (c->err)
		return;
	if (at && !rnd_where(at, &line, &col))
		line = col = 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sim_add(c->rep, RND_ID(rule), sev, c->file, line, col, fix, fix_text, "%s", msg) < 0)
		c->err = ERR_NOMEM;
}

/* ---- mappings ---- */

struct yaml_node *rnd_key_of(struct yaml_pair *p)
{
	return p ? yaml_pair_key(p) : NULL;
}

struct yaml_node *rnd_val_of(struct yaml_pair *p)
{
	return p ? yaml_pair_value(p) : NULL;
}

/* What to point at for pair P: its value when that has a place in the text, else its key. */
struct yaml_node *rnd_at_val(struct yaml_pair *p)
{
	int line, col;

	return rnd_where(rnd_val_of(p), &line, &col) ? rnd_val_of(p) : rnd_key_of(p);
}

/* The last pair of MAP with KEY (YAML tools keep the last of duplicates), or NULL. */
struct yaml_pair *rnd_pair_get(struct yaml_node *map, const char *key)
{
	struct yaml_pair *p, *found = NULL;
	void *it = NULL;

	if (!map || !yaml_is_mapping(map))
		return NULL;
	while ((p = yaml_mapping_iterate(map, &it)))
		if (rnd_is(rnd_key_of(p), key))
			found = p;
	return found;
}

struct yaml_node *rnd_get(struct yaml_node *map, const char *key)
{
	return rnd_val_of(rnd_pair_get(map, key));
}

/* True when MAP has KEY with a value that is not null. */
bool rnd_has(struct yaml_node *map, const char *key)
{
	struct yaml_pair *p = rnd_pair_get(map, key);

	return p && !rnd_is_null(rnd_val_of(p));
}

const struct field *rnd_field_find(const struct field *tab, const char *s, size_t len)
{
	for (; tab->key; tab++)
		if (rnd_eqn(s, len, tab->key))
			return tab;
	return NULL;
}

/* ---- suggestions ---- */

/* True when S is close enough to WORD to be a slip of the fingers. */
bool rnd_close_to(const char *s, size_t len, const char *word)
{
	size_t d = text_distance(s, len, word, strlen(word));

	return d == 0 || (d <= 2 && d * 3 <= len);
}

const char *rnd_nearest(const char *s, size_t len, const char *const *list)
{
	size_t i, d, best = SIZE_MAX;
	const char *pick = NULL;

	for (i = 0; s && list[i]; i++)
		if (rnd_close_to(s, len, list[i]) && (d = text_distance(s, len, list[i], strlen(list[i]))) < best) {
			best = d;
			pick = list[i];
		}
	return pick;
}

const char *rnd_nearest_field(const char *s, size_t len, const struct field *tab)
{
	size_t i;
	const char *pick = NULL;
	size_t d, best = SIZE_MAX;

	for (i = 0; s && key_typos[i].from; i++)
		if (rnd_eqn(s, len, key_typos[i].from) && rnd_field_find(tab, key_typos[i].to, strlen(key_typos[i].to)))
			return key_typos[i].to;
	for (; s && tab->key; tab++)
		if (rnd_close_to(s, len, tab->key) && (d = text_distance(s, len, tab->key, strlen(tab->key))) < best) {
			best = d;
			pick = tab->key;
		}
	return pick;
}

/* True when S is a typo of exactly one name in LIST (or of TAB's keys): a rename that cannot pick wrong. */
bool rnd_sure_of(const char *s, size_t len, const char *const *list, const struct field *tab)
{
	size_t i, n = 0;

	for (i = 0; s && key_typos[i].from; i++)
		if (rnd_eqn(s, len, key_typos[i].from) && tab &&
		    rnd_field_find(tab, key_typos[i].to, strlen(key_typos[i].to)))
			return true;
	for (i = 0; s && list && list[i]; i++)
		n += rnd_close_to(s, len, list[i]);
	for (; s && tab && tab->key; tab++)
		n += rnd_close_to(s, len, tab->key);
	return n == 1;
}

/*
 * Report an unknown key K of pair P under RULE, suggesting NEAR when there is one. SURE: NEAR
 * is the only known key K is a typo of, so the rename heals (when the issue is one heal takes).
 */
void rnd_unknown_key(struct ctx *c, struct yaml_pair *p, enum rnd_rule rule, enum sim_severity sev,
			const char *where_, const char *near, bool sure)
{
	char kq[Q], fx[FIX_MAX];
	enum sim_fix fix = sure && sev <= SIM_HIGH ? SIM_FIX_HEAL : SIM_FIX_SUGGEST;

	rnd_q(kq, rnd_key_of(p));
	if (near) {
		snprintf(fx, sizeof(fx), "rename %s to %s", kq, near);
		rnd_issue(c, rnd_key_of(p), rule, sev, fix, fx, "unknown key '%s' in %s (did you mean %s?)", kq, where_,
			  near);
	} else {
		rnd_issue(c, rnd_key_of(p), rule, sev, SIM_FIX_NONE, NULL, "unknown key '%s' in %s", kq, where_);
	}
}

/* Report every key of MAP not in LIST (a << merge key is let through). */
void rnd_check_keys(struct ctx *c, struct yaml_node *map, const char *const *list, enum rnd_rule rule,
		       enum sim_severity sev, const char *where_)
{
	struct yaml_pair *p;
	void *it = NULL;
	size_t len;
	const char *k;

	while ((p = yaml_mapping_iterate(map, &it))) {
		k = rnd_text(rnd_key_of(p), &len);
		if (!k || rnd_eqn(k, len, "<<") || rnd_in_list(k, len, list))
			continue;
		rnd_unknown_key(c, p, rule, sev, where_, rnd_nearest(k, len, list), rnd_sure_of(k, len, list, NULL));
	}
}

/* ---- value types ---- */

void rnd_quote_fix(char fx[FIX_MAX], struct yaml_pair *p)
{
	char kq[Q], vq[Q];

	snprintf(fx, FIX_MAX, "quote it: %s: \"%s\"", rnd_q(kq, rnd_key_of(p)), rnd_q(vq, rnd_val_of(p)));
}

/* A plain scalar where a string is wanted: the YAML typing traps (RND-YAML-3, RND-YAML-4). */
static void string_trap(struct ctx *c, struct yaml_pair *p)
{
	struct yaml_node *v = rnd_val_of(p);
	char kq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *s = rnd_text(v, &len);

	rnd_q(kq, rnd_key_of(p));
	rnd_q(vq, v);
	rnd_quote_fix(fx, p);
	switch (rnd_classify(v)) {
	case SC_BOOL:
		rnd_issue(c, v, RND_YAML_3, SIM_HIGH, SIM_FIX_HEAL, fx,
		      "%s: %s is read as a boolean by every YAML parser, not as the string Render expects", kq, vq);
		break;
	case SC_BOOL11:
		rnd_issue(c, v, RND_YAML_3, SIM_MEDIUM, SIM_FIX_HEAL, fx,
		      "%s: unquoted %s is a boolean to YAML 1.1 parsers; Render expects a string", kq, vq);
		break;
	case SC_INT:
	case SC_FLOAT:
		if (rnd_number_keeps_text(s, len))
			rnd_issue(c, v, RND_YAML_4, SIM_MEDIUM, SIM_FIX_HEAL, fx,
			      "%s: %s is read as a number; Render expects a string", kq, vq);
		else
			rnd_issue(c, v, RND_YAML_4, SIM_HIGH, SIM_FIX_HEAL, fx,
			      "%s: %s is read as a number and loses its text (3.10 becomes 3.1)", kq, vq);
		break;
	default:
		break;
	}
}

const char *rnd_shape_name(struct yaml_node *n)
{
	if (yaml_is_mapping(n))
		return "a mapping";
	if (yaml_is_sequence(n))
		return "a list";
	return "a scalar";
}

static bool int_ok(struct ctx *c, struct yaml_pair *p, enum rnd_rule rule)
{
	struct yaml_node *v = rnd_val_of(p);
	char kq[Q], vq[Q];
	size_t len;
	const char *s = rnd_text(v, &len);

	if (rnd_classify(v) == SC_INT)
		return true;
	rnd_q(kq, rnd_key_of(p));
	if (s && !rnd_plain(v) && is_int_text(s, len))
		rnd_issue(c, v, rule, SIM_CRITICAL, SIM_FIX_SUGGEST, "write the number without quotes",
		      "%s must be an integer, not the string \"%s\"", kq, rnd_q(vq, v));
	else
		rnd_issue(c, rnd_at_val(p), rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s must be an integer, not %s", kq,
		      s ? rnd_q(vq, v) : rnd_shape_name(v));
	return false;
}

static bool bool_ok(struct ctx *c, struct yaml_pair *p, enum rnd_rule rule)
{
	struct yaml_node *v = rnd_val_of(p);
	char kq[Q], vq[Q], fx[FIX_MAX];
	size_t len;
	const char *s = rnd_text(v, &len);

	rnd_q(kq, rnd_key_of(p));
	switch (rnd_classify(v)) {
	case SC_BOOL:
		return true;
	case SC_BOOL11:
		snprintf(fx, sizeof(fx), "write %s: %s", kq, rnd_bool_value(v) ? "true" : "false");
		rnd_issue(c, v, RND_YAML_3, SIM_MEDIUM, SIM_FIX_HEAL, fx,
		      "%s: %s is a boolean only to YAML 1.1 parsers; write true or false", kq, rnd_q(vq, v));
		return true;
	default:
		break;
	}
	if (s && rnd_in_list(s, len, bool_words))
		rnd_issue(c, v, rule, SIM_CRITICAL, SIM_FIX_SUGGEST, "write the boolean without quotes",
		      "%s must be a boolean, not the string \"%s\"", kq, rnd_q(vq, v));
	else
		rnd_issue(c, rnd_at_val(p), rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s must be true or false, not %s",
			  kq, s ? rnd_q(vq, v) : rnd_shape_name(v));
	return false;
}

/*
 * Check that pair P holds type T; RULE owns a wrong shape. False when the value is null, an
 * alias or of the wrong shape: the caller then has nothing to look into.
 */
bool rnd_value_ok(struct ctx *c, struct yaml_pair *p, enum ftype t, enum rnd_rule rule)
{
	struct yaml_node *v = rnd_val_of(p);
	char kq[Q];

	if (!v || rnd_is_null(v) || yaml_is_alias(v))
		return false;
	rnd_q(kq, rnd_key_of(p));
	switch (t) {
	case T_STR:
		if (yaml_is_scalar(v)) {
			string_trap(c, p);
			return true;
		}
		rnd_issue(c, v, rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s must be a string, not %s", kq,
			  rnd_shape_name(v));
		return false;
	case T_INT:
		return int_ok(c, p, rule);
	case T_BOOL:
		return bool_ok(c, p, rule);
	case T_SEQ:
		if (yaml_is_sequence(v))
			return true;
		rnd_issue(c, rnd_at_val(p), rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s must be a list, not %s", kq,
		      rnd_shape_name(v));
		return false;
	case T_MAP:
		if (yaml_is_mapping(v))
			return true;
		rnd_issue(c, rnd_at_val(p), rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s must be a mapping, not %s", kq,
		      rnd_shape_name(v));
		return false;
	default:
		return true;
	}
}

/* Check KEY of MAP as type T under RULE; returns the pair when its value is usable. */
struct yaml_pair *rnd_typed(struct ctx *c, struct yaml_node *map, const char *key, enum ftype t,
				  enum rnd_rule rule)
{
	struct yaml_pair *p = rnd_pair_get(map, key);

	return p && rnd_value_ok(c, p, t, rule) ? p : NULL;
}

/* Check string KEY of MAP against LIST; returns its index or -1. */
int rnd_check_enum(struct ctx *c, struct yaml_node *map, const char *key, const char *const *list,
		      enum rnd_rule rule, const char *what)
{
	struct yaml_pair *p = rnd_typed(c, map, key, T_STR, rule);
	struct yaml_node *v = rnd_val_of(p);
	char vq[Q], fx[FIX_MAX];
	size_t len;
	const char *s = rnd_text(v, &len), *near;
	enum sim_fix fix;
	int i;

	if (!p || !s)
		return -1;
	if ((i = list_index(s, len, list)) >= 0)
		return i;
	if ((near = rnd_nearest(s, len, list))) {
		snprintf(fx, sizeof(fx), "write %s: %s", key, near);
		/* only a difference of case is safe to heal */
		fix = text_distance(s, len, near, strlen(near)) == 0 ? SIM_FIX_HEAL : SIM_FIX_SUGGEST;
		rnd_issue(c, v, rule, SIM_CRITICAL, fix, fx, "%s '%s' is not one of Render's values (did you mean %s?)",
		      what, rnd_q(vq, v), near);
	} else {
		rnd_issue(c, v, rule, SIM_CRITICAL, SIM_FIX_NONE, NULL, "%s '%s' is not one of Render's values", what,
		      rnd_q(vq, v));
	}
	return -1;
}
