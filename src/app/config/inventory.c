/* The inventory: read chimera.toml strictly, and add or remove machines with byte-preserving edits. */
#include "app/config/inventory.h"
#include "app/fleet/secrets.h"
#include "core/attrpath.h"
#include "core/flakeref.h"
#include "core/profile.h"
#include "formats/toml.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define QUOTE_MAX 160
#define MSG_MAX 4096

#define DEFAULTS_KEYS "user, port, profile, activation, parallel, connect_timeout, checks, secrets_owner"
#define MACHINE_KEYS "target, tags, profile, activation, checks, ssh_options, sessions, secrets_owner, config, attr, flake"
#define NAME_FORM "[A-Za-z0-9] then up to 62 of [A-Za-z0-9._-]"
#define TAG_FORM "[A-Za-z0-9] then [A-Za-z0-9._-]"

const char *inv_source_name(enum inv_source s)
{
	switch (s) {
	case INV_FROM_DEFAULT:
		return "default";
	case INV_FROM_FILE:
		return "file";
	case INV_FROM_ENV:
		return "env";
	case INV_FROM_FLAG:
		return "flag";
	}
	return "default";
}

void inventory_init(struct inventory *inv)
{
	memset(inv, 0, sizeof(*inv));
	snprintf(inv->defaults.user, sizeof(inv->defaults.user), "%s", TARGET_DEFAULT_USER);
	inv->defaults.port = TARGET_DEFAULT_PORT;
	snprintf(inv->defaults.profile, sizeof(inv->defaults.profile), "%s", PROFILE_DEFAULT);
	snprintf(inv->defaults.activation, sizeof(inv->defaults.activation), "auto");
	inv->defaults.parallel = 64;
	inv->defaults.connect_timeout = 10;
	/* memset made every *_from INV_FROM_DEFAULT (0) */
}

static void machine_release(struct inv_machine *m)
{
	size_t i;

	for (i = 0; i < m->ntags; i++)
		free(m->tags[i]);
	for (i = 0; i < m->nssh_options; i++)
		free(m->ssh_options[i]);
	for (i = 0; i < m->nsessions; i++) {
		free(m->sessions[i].name);
		free(m->sessions[i].command);
	}
	free(m->secrets_owner);
	free(m->profile);
	free(m->activation);
	free(m->checks);
	free(m->config_file);
	free(m->config_attr);
	free(m->flake);
	memset(m, 0, sizeof(*m));
}

void inventory_release(struct inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->n; i++)
		machine_release(&inv->machines[i]);
	free(inv->machines);
	free(inv->by_target);
	free(inv->defaults.checks);
	inventory_init(inv);
}

const struct inv_machine *inventory_find(const struct inventory *inv, const char *name)
{
	size_t i;

	for (i = 0; i < inv->n; i++) {
		if (strcmp(inv->machines[i].name, name) == 0)
			return &inv->machines[i];
	}
	return NULL;
}

/* One CHIMERA_* variable over a [defaults] setting: an integer in [MIN, MAX]. */
static int env_long(const struct inv_env *e, const char *var, long min, long max, long *val, enum inv_source *from)
{
	const char *v = e->get(var, e->arg);
	char *end;
	long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return err_set(ERR_INVALID, "%s='%.64s': expected a whole number from %ld to %ld", var, v, min, max);
	*val = n;
	*from = INV_FROM_ENV;
	return 0;
}

static int env_str(const struct inv_env *e, const char *var, char *val, size_t len, enum inv_source *from)
{
	const char *v = e->get(var, e->arg);

	if (!v || !*v)
		return 0;
	if (strlen(v) >= len)
		return err_set(ERR_INVALID, "%s is over %zu bytes", var, len - 1);
	snprintf(val, len, "%s", v);
	*from = INV_FROM_ENV;
	return 0;
}

int inventory_apply_env(struct inventory *inv, const struct inv_env *e)
{
	struct inv_defaults *d = &inv->defaults;
	long port = d->port;
	int r;

	if ((r = env_str(e, "CHIMERA_USER", d->user, sizeof(d->user), &d->user_from)) < 0 ||
	    (r = env_long(e, "CHIMERA_PORT", 1, 65535, &port, &d->port_from)) < 0 ||
	    (r = env_str(e, "CHIMERA_PROFILE", d->profile, sizeof(d->profile), &d->profile_from)) < 0 ||
	    (r = env_str(e, "CHIMERA_ACTIVATION", d->activation, sizeof(d->activation), &d->activation_from)) < 0 ||
	    (r = env_long(e, "CHIMERA_PARALLEL", 1, 4096, &d->parallel, &d->parallel_from)) < 0 ||
	    (r = env_long(e, "CHIMERA_CONNECT_TIMEOUT", 1, 3600, &d->connect_timeout, &d->connect_timeout_from)) < 0)
		return r;
	d->port = (uint16_t)port;
	if (d->profile_from == INV_FROM_ENV && (r = profile_path_check(d->profile)) < 0)
		return err_set(ERR_INVALID, "CHIMERA_PROFILE: %s", err_msg());
	return 0;
}

const char *inventory_profile(const struct inventory *inv, const struct inv_machine *m, const char *flag)
{
	if (flag)
		return flag;
	if (m && m->profile && inv->defaults.profile_from <= INV_FROM_FILE)
		return m->profile;
	return inv->defaults.profile;
}

const char *inventory_activation(const struct inventory *inv, const struct inv_machine *m, const char *flag)
{
	if (flag)
		return flag;
	if (m && m->activation && inv->defaults.activation_from <= INV_FROM_FILE)
		return m->activation;
	return inv->defaults.activation;
}

static int target_cmp(const struct target *a, const struct target *b)
{
	int c = strcmp(a->host, b->host);

	if (c == 0)
		c = a->port < b->port ? -1 : a->port > b->port;
	return c ? c : strcmp(a->user, b->user);
}

static int by_target_cmp(const void *a, const void *b)
{
	return target_cmp(&(*(struct inv_machine *const *)a)->target, &(*(struct inv_machine *const *)b)->target);
}

static int target_key_cmp(const void *key, const void *elem)
{
	return target_cmp(key, &(*(struct inv_machine *const *)elem)->target);
}

/* The index inventory_find_target searches; targets are unique (parse refuses duplicates). */
static int index_targets(struct inventory *inv)
{
	size_t i;

	if (!inv->n)
		return 0;
	if (!(inv->by_target = calloc(inv->n, sizeof(*inv->by_target))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < inv->n; i++)
		inv->by_target[i] = &inv->machines[i];
	qsort(inv->by_target, inv->n, sizeof(*inv->by_target), by_target_cmp);
	return 0;
}

const struct inv_machine *inventory_find_target(const struct inventory *inv, const struct target *t)
{
	struct inv_machine **m;

	if (!inv->by_target)
		return NULL;
	m = bsearch(t, inv->by_target, inv->n, sizeof(*inv->by_target), target_key_cmp);
	return m ? *m : NULL;
}

/* ---- names ---- */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* [A-Za-z0-9][A-Za-z0-9._-]*, at most MAX bytes (0: no limit). */
static bool word_valid(const char *s, size_t n, size_t max)
{
	size_t i;

	if (n == 0 || (max && n > max) || !is_alnum(s[0]))
		return false;
	for (i = 1; i < n; i++) {
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

/* The same rule as target.c's user names, so a defaults user always makes a valid target. */
static bool user_valid(const char *u, size_t n)
{
	size_t i;

	if (n == 0 || n > TARGET_USER_MAX)
		return false;
	if (!((u[0] >= 'a' && u[0] <= 'z') || (u[0] >= 'A' && u[0] <= 'Z') || u[0] == '_'))
		return false;
	for (i = 1; i < n; i++) {
		if (!is_alnum(u[i]) && u[i] != '.' && u[i] != '_' && u[i] != '-')
			return false;
	}
	return true;
}

/* ---- paths ---- */

/*
 * Make REL (LEN bytes) absolute against the directory of BASE (a file path; relative
 * ones against the working directory), resolving "." and ".." textually. *OUT is malloc'd.
 */
static int abs_join(const char *base, const char *rel, size_t len, char **out)
{
	struct buf in = BUF_INIT(0), res = BUF_INIT(0);
	char cwd[4096];
	const char *slash, *p, *end;
	int r = 0;

	*out = NULL;
	if (len == 0 || rel[0] != '/') {
		slash = strrchr(base, '/');
		if (slash == NULL || base[0] != '/') {
			if (getcwd(cwd, sizeof(cwd)) == NULL) {
				r = err_set_errno(ERR_IO, errno, "cannot resolve '%.*s': getcwd", (int)len, rel);
				goto done;
			}
			if ((r = buf_adds(&in, cwd)) < 0 || (r = buf_addc(&in, '/')) < 0)
				goto done;
		}
		if (slash != NULL && (r = buf_add(&in, base, (size_t)(slash - base) + 1)) < 0)
			goto done;
	}
	if ((r = buf_add(&in, rel, len)) < 0)
		goto done;

	p = in.data;
	end = in.data + in.len;
	while (p < end) {
		const char *e = memchr(p, '/', (size_t)(end - p));
		size_t n;

		if (e == NULL)
			e = end;
		n = (size_t)(e - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *last = res.len ? memrchr(res.data, '/', res.len) : NULL;

			res.len = last ? (size_t)(last - res.data) : 0;
			res.data[res.len] = '\0';
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			if ((r = buf_addc(&res, '/')) < 0 || (r = buf_add(&res, p, n)) < 0)
				goto done;
		}
		p = e + 1;
	}
	if (res.len == 0 && (r = buf_addc(&res, '/')) < 0)
		goto done;
	*out = buf_detach(&res, NULL);
	if (*out == NULL)
		r = ERR_NOMEM;
done:
	buf_release(&in);
	buf_release(&res);
	return r;
}

/* ---- parsing ---- */

struct pctx {
	const char *path;
	char where[QUOTE_MAX + 32];	/* "[defaults]" or "[machines.NAME]", for messages */
};

/* ERR_INVALID "PATH:LINE:COL: ..." at SP. */
static int __attribute__((format(printf, 3, 4))) bad(const struct pctx *c, struct toml_span sp, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(ERR_INVALID, "%s:%u:%u: %s", c->path, sp.line, sp.col, msg);
}

/* Where a key was written; its value's place when it has no key of its own. */
static struct toml_span key_pos(const struct toml_value *v)
{
	struct toml_span sp = toml_key_span(v);

	return sp.len ? sp : toml_value_span(v);
}

/* Another module's message (err_msg) as the tail of ours: copied first, err_set reuses its buffer. */
static int bad_from(const struct pctx *c, struct toml_span sp, const char *what)
{
	char sub[MSG_MAX];

	snprintf(sub, sizeof(sub), "%s", err_msg());
	return bad(c, sp, "%s: %s", what, sub);
}

/* "a string", "an integer": for "found ..." */
static const char *a_type(const struct toml_value *v)
{
	switch (toml_type(v)) {
	case TOML_STRING:
		return "a string";
	case TOML_INTEGER:
		return "an integer";
	case TOML_FLOAT:
		return "a float";
	case TOML_BOOL:
		return "a boolean";
	case TOML_DATETIME:
		return "an offset date-time";
	case TOML_DATETIME_LOCAL:
		return "a local date-time";
	case TOML_DATE_LOCAL:
		return "a local date";
	case TOML_TIME_LOCAL:
		return "a local time";
	case TOML_ARRAY:
		return "an array";
	case TOML_TABLE:
		return "a table";
	}
	return "a value";
}

static int want_type(const struct pctx *c, const struct toml_value *v, enum toml_type t, const char *what,
		     const char *expect)
{
	if (toml_type(v) == t)
		return 0;
	return bad(c, toml_value_span(v), "%s must be %s, found %s", what, expect, a_type(v));
}

/* A string without NUL bytes, at most MAX bytes (0: no limit), not empty. */
static int want_str(const struct pctx *c, const struct toml_value *v, const char *what, const char *expect,
		    size_t max, const char **s)
{
	size_t n;
	int r;

	if ((r = want_type(c, v, TOML_STRING, what, expect)) < 0)
		return r;
	toml_get_string(v, s, &n);
	if (n == 0 || strlen(*s) != n || (max && n > max))
		return bad(c, toml_value_span(v), "%s must be %s%s", what, expect,
			   n == 0 ? ", found an empty string" : strlen(*s) != n ? ", without NUL bytes" : ", too long");
	return 0;
}

static int want_int(const struct pctx *c, const struct toml_value *v, const char *what, long lo, long hi,
		    long *out)
{
	char expect[64];
	int64_t i;
	int r;

	snprintf(expect, sizeof(expect), "an integer %ld-%ld", lo, hi);
	if ((r = want_type(c, v, TOML_INTEGER, what, expect)) < 0)
		return r;
	toml_get_int(v, &i);
	if (i < lo || i > hi)
		return bad(c, toml_value_span(v), "%s must be %s, found %lld", what, expect, (long long)i);
	*out = (long)i;
	return 0;
}

/* An array of at most MAX elements (each checked by the caller). */
static int want_array(const struct pctx *c, const struct toml_value *v, const char *what, const char *expect,
		      size_t max)
{
	int r;

	if ((r = want_type(c, v, TOML_ARRAY, what, expect)) < 0)
		return r;
	if (toml_array_len(v) > max)
		return bad(c, toml_value_span(v), "%s has %zu elements; at most %zu allowed", what,
			   toml_array_len(v), max);
	return 0;
}

static char *dup_str(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		err_set(ERR_NOMEM, "out of memory");
	return d;
}

/* "'KEY' in [TABLE]" into WHAT. */
static void what_key(const struct pctx *c, char *what, size_t len, const char *key)
{
	snprintf(what, len, "'%s' in %s", key, c->where);
}

static int parse_checks(const struct pctx *c, const struct toml_value *v, const char *what,
			struct health_spec **out, size_t *nout)
{
	const char *expect = "an array of health check strings (http:URL[=STATUS], tcp:HOST:PORT, cmd:COMMAND)";
	size_t i, n;
	int r;

	if ((r = want_array(c, v, what, expect, INV_CHECKS_MAX)) < 0)
		return r;
	n = toml_array_len(v);
	if (n == 0)
		return 0;
	*out = calloc(n, sizeof(**out));
	if (*out == NULL)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const struct toml_value *e = toml_array_get(v, i);
		const char *s;

		if ((r = want_str(c, e, what, expect, HEALTH_TEXT_MAX, &s)) < 0)
			return r;
		if (health_spec_parse(s, &(*out)[i]) < 0)
			return bad_from(c, toml_value_span(e), what);
		*nout = i + 1;
	}
	return 0;
}

/* OWNER = "user[:group]", as secrets_owner_check takes it. */
static int parse_owner(const struct pctx *c, const struct toml_value *v, const char *what, const char **s)
{
	int r;

	if ((r = want_str(c, v, what, "a string \"USER\" or \"USER:GROUP\"", INV_OWNER_MAX, s)) < 0)
		return r;
	if (secrets_owner_check(*s) < 0)
		return bad(c, toml_value_span(v), "%s in %s", err_msg(), what);
	return 0;
}

static int parse_defaults(struct pctx *c, const struct toml_value *t, struct inv_defaults *d)
{
	const struct toml_value *v;
	const char *key, *s;
	char what[256];
	size_t i;
	long l;
	int r;

	snprintf(c->where, sizeof(c->where), "[defaults]");
	for (i = 0; (v = toml_table_at(t, i, &key, NULL)) != NULL; i++) {
		what_key(c, what, sizeof(what), key);
		if (strcmp(key, "user") == 0) {
			if ((r = want_str(c, v, what, "a user name string", 0, &s)) < 0)
				return r;
			if (!user_valid(s, strlen(s)))
				return bad(c, toml_value_span(v), "%s must be a user name: a letter or '_' then up to 31 of [A-Za-z0-9._-]", what);
			snprintf(d->user, sizeof(d->user), "%s", s);
			d->user_from = INV_FROM_FILE;
		} else if (strcmp(key, "port") == 0) {
			if ((r = want_int(c, v, what, 1, 65535, &l)) < 0)
				return r;
			d->port = (uint16_t)l;
			d->port_from = INV_FROM_FILE;
		} else if (strcmp(key, "profile") == 0) {
			if ((r = want_str(c, v, what, "an absolute profile path string", sizeof(d->profile) - 1, &s)) < 0)
				return r;
			if (profile_path_check(s) < 0)
				return bad_from(c, toml_value_span(v), what);
			snprintf(d->profile, sizeof(d->profile), "%s", s);
			d->profile_from = INV_FROM_FILE;
		} else if (strcmp(key, "activation") == 0) {
			if ((r = want_str(c, v, what, "a string: auto, none or a command", sizeof(d->activation) - 1,
					  &s)) < 0)
				return r;
			snprintf(d->activation, sizeof(d->activation), "%s", s);
			d->activation_from = INV_FROM_FILE;
		} else if (strcmp(key, "parallel") == 0) {
			if ((r = want_int(c, v, what, 1, 4096, &d->parallel)) < 0)
				return r;
			d->parallel_from = INV_FROM_FILE;
		} else if (strcmp(key, "connect_timeout") == 0) {
			if ((r = want_int(c, v, what, 1, 3600, &d->connect_timeout)) < 0)
				return r;
			d->connect_timeout_from = INV_FROM_FILE;
		} else if (strcmp(key, "checks") == 0) {
			struct health_spec *hs = NULL;
			size_t n = 0;

			r = parse_checks(c, v, what, &hs, &n);
			if (r < 0) {
				free(hs);
				return r;
			}
			free(d->checks);
			d->checks = hs;
			d->nchecks = n;
			d->checks_from = INV_FROM_FILE;
		} else if (strcmp(key, "secrets_owner") == 0) {
			const char *o;

			if ((r = parse_owner(c, v, what, &o)) < 0)
				return r;
			snprintf(d->secrets_owner, sizeof(d->secrets_owner), "%s", o);
		} else {
			char q[QUOTE_MAX];

			err_quote(q, sizeof(q), key, strlen(key));
			return bad(c, key_pos(v), "unknown key '%s' in [defaults]; expected one of " DEFAULTS_KEYS, q);
		}
	}
	return 0;
}

/* What parsing a machine learns beyond struct inv_machine: for defaults and the duplicate check. */
struct mextra {
	const struct toml_value *target;
	bool has_user, has_port;
};

static int parse_target(const struct pctx *c, const struct toml_value *v, const char *what, struct inv_machine *m,
			struct mextra *x)
{
	const char *s, *rest, *at;
	size_t n;
	int r;

	if ((r = want_str(c, v, what, "a string [user@]host[:port]", 0, &s)) < 0)
		return r;
	n = strlen(s);
	if (target_parse(&m->target, s, n) < 0)
		return bad_from(c, toml_value_span(v), what);
	/* target_parse fills in root and 22; the defaults' user and port apply instead, later */
	at = strchr(s, '@');
	x->has_user = at != NULL;
	rest = at ? at + 1 : s;
	x->has_port = rest[0] == '[' ? strstr(rest, "]:") != NULL : strchr(rest, ':') != NULL;
	x->target = v;
	return 0;
}

static int parse_tags(const struct pctx *c, const struct toml_value *v, const char *what, struct inv_machine *m)
{
	const char *expect = "an array of tag strings, each " TAG_FORM;
	size_t i, j;
	int r;

	if ((r = want_array(c, v, what, expect, INV_TAGS_MAX)) < 0)
		return r;
	for (i = 0; i < toml_array_len(v); i++) {
		const struct toml_value *e = toml_array_get(v, i);
		char q[QUOTE_MAX];
		const char *s;
		size_t n;

		if ((r = want_type(c, e, TOML_STRING, what, expect)) < 0)
			return r;
		toml_get_string(e, &s, &n);
		err_quote(q, sizeof(q), s, n);
		if (!word_valid(s, n, 0))
			return bad(c, toml_value_span(e), "bad tag '%s' in %s; expected " TAG_FORM, q, what);
		for (j = 0; j < m->ntags; j++) {
			if (strcmp(m->tags[j], s) == 0)
				return bad(c, toml_value_span(e), "duplicate tag '%s' in %s", q, what);
		}
		if ((m->tags[m->ntags] = dup_str(s)) == NULL)
			return ERR_NOMEM;
		m->ntags++;
	}
	return 0;
}

/* sessions = { NAME = "COMMAND", ... }: what tmux sessions the machine keeps. */
static int parse_sessions(const struct pctx *c, const struct toml_value *v, const char *what, struct inv_machine *m)
{
	const char *expect = "a table of NAME = \"COMMAND\" (NAME: [A-Za-z0-9][A-Za-z0-9_-]*, at most 64)";
	const struct toml_value *e;
	const char *name, *cmd;
	char q[QUOTE_MAX];
	size_t i, len;
	int r;

	if (toml_type(v) != TOML_TABLE)
		return bad(c, toml_value_span(v), "%s must be %s, found %s", what, expect, a_type(v));
	if (toml_table_len(v) > INV_SESSIONS_MAX)
		return bad(c, toml_value_span(v), "%s has more than %d sessions", what, INV_SESSIONS_MAX);
	for (i = 0; (e = toml_table_at(v, i, &name, &len)) != NULL; i++) {
		/* tmux reads '.' in a target as a pane separator: sessions_name_check refuses it too */
		if (strlen(name) != len || !word_valid(name, len, 64) || memchr(name, '.', len)) {
			err_quote(q, sizeof(q), name, len);
			return bad(c, key_pos(e), "bad session name '%s' in %s; expected %s", q, what, expect);
		}
		if ((r = want_str(c, e, what, "a command string", 0, &cmd)) < 0)
			return r;
		if (!(m->sessions[m->nsessions].name = dup_str(name)) ||
		    !(m->sessions[m->nsessions].command = dup_str(cmd))) {
			free(m->sessions[m->nsessions].name);
			m->sessions[m->nsessions].name = NULL;
			return ERR_NOMEM;
		}
		m->nsessions++;
	}
	return 0;
}

/* The client options libssh's config reader applies (the rest it would ignore without a word). */
#define SSH_OPTION_KEYS                                                                                  \
	"BindAddress, Ciphers, Compression, ConnectTimeout, GlobalKnownHostsFile, HostKeyAlgorithms, "   \
	"Hostname, IdentitiesOnly, IdentityAgent, IdentityFile, KbdInteractiveAuthentication, "          \
	"KexAlgorithms, LogLevel, MACs, PasswordAuthentication, PreferredAuthentications, ProxyCommand, " \
	"ProxyJump, PubkeyAcceptedAlgorithms, PubkeyAuthentication, RekeyLimit, StrictHostKeyChecking, " \
	"UserKnownHostsFile"

static bool ssh_option_known(const char *key, size_t len)
{
	const char *p = SSH_OPTION_KEYS;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == len && strncasecmp(p, key, len) == 0)
			return true;
		p += n;
		p += strspn(p, ", ");
	}
	return false;
}

static int parse_ssh_options(const struct pctx *c, const struct toml_value *v, const char *what,
			     struct inv_machine *m)
{
	const char *expect = "an array of \"Key=Value\" strings";
	size_t i, k;
	int r;

	if ((r = want_array(c, v, what, expect, INV_SSH_OPTS_MAX)) < 0)
		return r;
	for (i = 0; i < toml_array_len(v); i++) {
		const struct toml_value *e = toml_array_get(v, i);
		const char *s;
		char q[QUOTE_MAX];
		bool ok;

		if ((r = want_str(c, e, what, expect, 0, &s)) < 0)
			return r;
		for (k = 0; is_alnum(s[k]); k++)
			;
		ok = k > 0 && s[k] == '=' && s[k + 1] != '\0';
		/* the value goes to ssh -o as one argument: no control characters */
		for (k = 0; ok && s[k]; k++)
			ok = (unsigned char)s[k] >= 0x20 && s[k] != 0x7f;
		if (!ok) {
			err_quote(q, sizeof(q), s, strlen(s));
			return bad(c, toml_value_span(e), "bad ssh option '%s' in %s; expected \"Key=Value\" with an alphanumeric Key",
				   q, what);
		}
		if (!ssh_option_known(s, strcspn(s, "="))) {
			err_quote(q, sizeof(q), s, strcspn(s, "="));
			return bad(c, toml_value_span(e), "unknown ssh option '%s' in %s; expected one of " SSH_OPTION_KEYS, q,
				   what);
		}
		if ((m->ssh_options[m->nssh_options] = dup_str(s)) == NULL)
			return ERR_NOMEM;
		m->nssh_options++;
	}
	return 0;
}

/*
 * A flake reference: paths relative to the inventory (".#web", "./sub#web", "path:sub#web")
 * become path:/ABSOLUTE, since flakeref refuses relative ones.
 */
static int parse_flake(const struct pctx *c, const struct toml_value *v, const char *what, struct inv_machine *m)
{
	struct flakeref *f;
	const char *s, *hash, *ref;
	size_t reflen;
	char *abs = NULL;
	struct buf b = BUF_INIT(0);
	int r;

	if ((r = want_str(c, v, what, "a flake reference string REF#ATTR", 0, &s)) < 0)
		return r;
	hash = strchr(s, '#');
	ref = s;
	reflen = hash ? (size_t)(hash - s) : strlen(s);
	if (reflen >= 5 && strncmp(ref, "path:", 5) == 0 && ref[5] != '/') {
		ref += 5;
		reflen -= 5;
	}
	if ((reflen == 1 && ref[0] == '.') || (reflen == 2 && strncmp(ref, "..", 2) == 0) ||
	    (reflen >= 2 && strncmp(ref, "./", 2) == 0) || (reflen >= 3 && strncmp(ref, "../", 3) == 0) ||
	    ref != s) {
		if ((r = abs_join(c->path, ref, reflen, &abs)) < 0)
			return r;
		if ((r = buf_printf(&b, "path:%s%s", abs, hash ? hash : "")) < 0)
			goto done;
	} else if ((r = buf_adds(&b, s)) < 0) {
		goto done;
	}
	f = malloc(sizeof(*f));
	if (f == NULL) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto done;
	}
	if (flakeref_parse(f, b.data, b.len) < 0)
		r = bad_from(c, toml_value_span(v), what);
	else if (!f->has_attr)
		r = bad(c, toml_value_span(v), "%s must be REF#ATTR, with the attribute after '#'", what);
	free(f);
	if (r == 0 && (m->flake = buf_detach(&b, NULL)) == NULL)
		r = err_set(ERR_NOMEM, "out of memory");
done:
	free(abs);
	buf_release(&b);
	return r;
}

static int parse_machine(struct pctx *c, const char *name, size_t namelen, const struct toml_value *t,
			 struct inv_machine *m, struct mextra *x)
{
	const struct toml_value *v, *cfg = NULL, *attr = NULL, *flake = NULL;
	struct buf hdr = BUF_INIT(0);
	char what[QUOTE_MAX + 64], q[QUOTE_MAX];
	const char *key, *s;
	size_t i;
	int r;

	err_quote(q, sizeof(q), name, namelen);
	if (strlen(name) != namelen || !word_valid(name, namelen, INV_NAME_MAX))
		return bad(c, key_pos(t), "bad machine name '%s'; expected " NAME_FORM, q);
	memcpy(m->name, name, namelen);
	m->line = (int)toml_value_span(t).line;
	if ((r = toml_format_key(&hdr, name, namelen)) < 0)
		return r;
	snprintf(c->where, sizeof(c->where), "[machines.%s]", hdr.data);
	buf_release(&hdr);
	if (toml_type(t) != TOML_TABLE)
		return bad(c, toml_value_span(t), "machine '%s' must be a table, found %s; expected %s with target = \"[user@]host[:port]\"",
			   q, a_type(t), c->where);

	for (i = 0; (v = toml_table_at(t, i, &key, NULL)) != NULL; i++) {
		what_key(c, what, sizeof(what), key);
		if (strcmp(key, "target") == 0) {
			r = parse_target(c, v, what, m, x);
		} else if (strcmp(key, "tags") == 0) {
			r = parse_tags(c, v, what, m);
		} else if (strcmp(key, "profile") == 0) {
			r = want_str(c, v, what, "an absolute profile path string", PROFILE_PATH_MAX, &s);
			if (r == 0 && profile_path_check(s) < 0)
				r = bad_from(c, toml_value_span(v), what);
			if (r == 0 && (m->profile = dup_str(s)) == NULL)
				r = ERR_NOMEM;
		} else if (strcmp(key, "activation") == 0) {
			r = want_str(c, v, what, "a string: auto, none or a command", 0, &s);
			if (r == 0 && (m->activation = dup_str(s)) == NULL)
				r = ERR_NOMEM;
		} else if (strcmp(key, "checks") == 0) {
			r = parse_checks(c, v, what, &m->checks, &m->nchecks);
		} else if (strcmp(key, "ssh_options") == 0) {
			r = parse_ssh_options(c, v, what, m);
		} else if (strcmp(key, "sessions") == 0) {
			r = parse_sessions(c, v, what, m);
		} else if (strcmp(key, "secrets_owner") == 0) {
			r = parse_owner(c, v, what, &s);
			if (r == 0 && (m->secrets_owner = dup_str(s)) == NULL)
				r = ERR_NOMEM;
		} else if (strcmp(key, "config") == 0) {
			cfg = v;
			r = want_str(c, v, what, "a .nix file path string", 0, &s);
			if (r == 0 && (strlen(s) <= 4 || strcmp(s + strlen(s) - 4, ".nix") != 0))
				r = bad(c, toml_value_span(v), "%s must be a path ending in .nix", what);
			if (r == 0)
				r = abs_join(c->path, s, strlen(s), &m->config_file);
		} else if (strcmp(key, "attr") == 0) {
			struct attrpath *ap = malloc(sizeof(*ap));

			attr = v;
			r = ap ? want_str(c, v, what, "an attribute path string", 0, &s) : err_set(ERR_NOMEM, "out of memory");
			if (r == 0 && attrpath_parse(ap, s, strlen(s)) < 0)
				r = bad_from(c, toml_value_span(v), what);
			if (r == 0 && (m->config_attr = dup_str(s)) == NULL)
				r = ERR_NOMEM;
			free(ap);
		} else if (strcmp(key, "flake") == 0) {
			flake = v;
			r = parse_flake(c, v, what, m);
		} else {
			err_quote(q, sizeof(q), key, strlen(key));
			r = bad(c, key_pos(v), "unknown key '%s' in %s; expected one of " MACHINE_KEYS, q, c->where);
		}
		if (r < 0)
			return r;
	}
	if (x->target == NULL)
		return bad(c, toml_value_span(t), "%s has no target; expected target = \"[user@]host[:port]\"", c->where);
	if (attr && !cfg)
		return bad(c, key_pos(attr), "'attr' in %s needs 'config': it names an attribute of the config file",
			   c->where);
	if (flake && cfg)
		return bad(c, key_pos(flake), "'flake' and 'config' in %s exclude each other; expected one of them",
			   c->where);
	return 0;
}

static int parse_machines(struct pctx *c, const struct toml_value *t, struct inventory *inv,
			  struct mextra **xout)
{
	const struct toml_value *v;
	struct mextra *x;
	const char *key;
	size_t i, n = toml_table_len(t), keylen;
	int r;

	if (toml_type(t) != TOML_TABLE)
		return bad(c, toml_value_span(t), "'machines' must be a table, found %s; expected [machines.NAME] tables",
			   a_type(t));
	if (n == 0)
		return 0;
	inv->machines = calloc(n, sizeof(*inv->machines));
	x = calloc(n, sizeof(*x));
	*xout = x;
	if (inv->machines == NULL || x == NULL)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; (v = toml_table_at(t, i, &key, &keylen)) != NULL; i++) {
		/* counted before parsing so release frees what a failed machine holds */
		inv->n = i + 1;
		if ((r = parse_machine(c, key, keylen, v, &inv->machines[i], &x[i])) < 0)
			return r;
	}
	return 0;
}

/* Fill in the defaults' user and port, then refuse two machines reaching the same place. */
static int finish_machines(struct pctx *c, struct inventory *inv, const struct mextra *x)
{
	size_t i, j;

	for (i = 0; i < inv->n; i++) {
		struct inv_machine *m = &inv->machines[i];

		if (!x[i].has_user)
			snprintf(m->target.user, sizeof(m->target.user), "%s", inv->defaults.user);
		if (!x[i].has_port)
			m->target.port = inv->defaults.port;
	}
	for (i = 1; i < inv->n; i++) {
		for (j = 0; j < i; j++) {
			char tf[TARGET_FORMAT_MAX];

			if (!target_equal(&inv->machines[i].target, &inv->machines[j].target))
				continue;
			target_format(&inv->machines[i].target, tf, sizeof(tf));
			return bad(c, toml_value_span(x[i].target),
				   "machine '%s' has the same target %s as machine '%s' (line %d); expected one machine per target",
				   inv->machines[i].name, tf, inv->machines[j].name, inv->machines[j].line);
		}
	}
	return 0;
}

int inventory_parse(const char *path, const char *text, size_t len, struct inventory *inv)
{
	struct pctx c = { .path = path };
	struct toml_doc *doc = NULL;
	const struct toml_value *root, *v;
	struct mextra *x = NULL;
	const char *key;
	size_t i;
	int r;

	snprintf(inv->path, sizeof(inv->path), "%s", path);
	if ((r = toml_parse(text, len, &doc)) < 0) {
		char sub[MSG_MAX];

		snprintf(sub, sizeof(sub), "%s", err_msg());
		err_set(r, "%s:%s", path, sub);
		goto out;
	}
	root = toml_doc_root(doc);
	for (i = 0; (v = toml_table_at(root, i, &key, NULL)) != NULL; i++) {
		char q[QUOTE_MAX];

		if (strcmp(key, "defaults") == 0) {
			r = want_type(&c, v, TOML_TABLE, "'defaults'", "a table [defaults]");
			if (r == 0)
				r = parse_defaults(&c, v, &inv->defaults);
		} else if (strcmp(key, "machines") == 0) {
			r = parse_machines(&c, v, inv, &x);
		} else {
			err_quote(q, sizeof(q), key, strlen(key));
			r = bad(&c, key_pos(v), "unknown %s '%s'; expected [defaults] or [machines.NAME]",
				toml_type(v) == TOML_TABLE ? "table" : "key", q);
		}
		if (r < 0)
			goto out;
	}
	/* [defaults] may follow the machines: apply it only now */
	if ((r = finish_machines(&c, inv, x)) == 0)
		r = index_targets(inv);
out:
	free(x);
	toml_doc_free(doc);
	if (r < 0) {
		inventory_release(inv);
		snprintf(inv->path, sizeof(inv->path), "%s", path);
	}
	return r;
}

int inventory_load(const char *path, struct inventory *inv)
{
	struct buf b = BUF_INIT(64 << 20);
	int r;

	r = fs_read_file(path, &b);
	if (r == ERR_NOTFOUND)
		r = err_set(ERR_NOTFOUND, "no inventory at '%s'", path);
	else if (r == 0)
		r = inventory_parse(path, b.data, b.len, inv);
	buf_release(&b);
	return r;
}

/* ---- edits ---- */

/* Bytes [A, B) are spaces, tabs and '\r' only. */
static bool blank(const char *a, const char *b)
{
	for (; a < b; a++) {
		if (*a != ' ' && *a != '\t' && *a != '\r')
			return false;
	}
	return true;
}

int inventory_edit_add(const char *path, const char *text, size_t len, const char *name, const char *target,
		       const char *const *tags, size_t ntags, struct buf *out)
{
	struct inventory inv;
	struct target t;
	char q[QUOTE_MAX];
	size_t i, j;
	int r;

	buf_reset(out);
	inventory_init(&inv);
	if ((r = inventory_parse(path, text, len, &inv)) < 0)
		return r;
	err_quote(q, sizeof(q), name, strlen(name));
	if (!word_valid(name, strlen(name), INV_NAME_MAX)) {
		r = err_set(ERR_INVALID, "bad machine name '%s'; expected " NAME_FORM, q);
		goto out;
	}
	if (inventory_find(&inv, name) != NULL) {
		r = err_set(ERR_INVALID, "machine '%s' exists already in %s (line %d)", q, path,
			    inventory_find(&inv, name)->line);
		goto out;
	}
	if ((r = target_parse(&t, target, strlen(target))) < 0)
		goto out;
	if (ntags > INV_TAGS_MAX) {
		r = err_set(ERR_INVALID, "%zu tags for machine '%s'; at most %d allowed", ntags, q, INV_TAGS_MAX);
		goto out;
	}
	for (i = 0; i < ntags; i++) {
		char tq[QUOTE_MAX];

		err_quote(tq, sizeof(tq), tags[i], strlen(tags[i]));
		if (!word_valid(tags[i], strlen(tags[i]), 0)) {
			r = err_set(ERR_INVALID, "bad tag '%s'; expected " TAG_FORM, tq);
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(tags[i], tags[j]) == 0) {
				r = err_set(ERR_INVALID, "duplicate tag '%s'", tq);
				goto out;
			}
		}
	}

	if ((r = buf_add(out, text, len)) < 0)
		goto out;
	if (len > 0 && text[len - 1] != '\n' && (r = buf_addc(out, '\n')) < 0)
		goto out;
	/* a blank line before the new table, unless there is one already (or nothing at all) */
	if (len > 0 && text[len - 1] == '\n') {
		const char *nl = len > 1 ? memrchr(text, '\n', len - 1) : NULL;

		if (!blank(nl ? nl + 1 : text, text + len - 1) && (r = buf_addc(out, '\n')) < 0)
			goto out;
	} else if (len > 0 && (r = buf_addc(out, '\n')) < 0) {
		goto out;
	}
	if ((r = buf_adds(out, "[machines.")) < 0 || (r = toml_format_key(out, name, strlen(name))) < 0 ||
	    (r = buf_adds(out, "]\ntarget = ")) < 0 || (r = toml_format_string(out, target, strlen(target))) < 0 ||
	    (r = buf_addc(out, '\n')) < 0)
		goto out;
	if (ntags > 0) {
		if ((r = buf_adds(out, "tags = [")) < 0)
			goto out;
		for (i = 0; i < ntags; i++) {
			if ((i && (r = buf_adds(out, ", ")) < 0) ||
			    (r = toml_format_string(out, tags[i], strlen(tags[i]))) < 0)
				goto out;
		}
		if ((r = buf_adds(out, "]\n")) < 0)
			goto out;
	}
	/* the result must be a good inventory too: this catches a target another machine has */
	inventory_release(&inv);
	r = inventory_parse(path, out->data, out->len, &inv);
out:
	inventory_release(&inv);
	if (r < 0)
		buf_reset(out);
	return r;
}

/*
 * Lenient on purpose: only the TOML has to parse, so a machine that makes the inventory
 * invalid can still be removed.
 */
int inventory_edit_rm(const char *path, const char *text, size_t len, const char *name, struct buf *out)
{
	struct toml_doc *doc = NULL;
	const struct toml_value *m;
	struct toml_span sp;
	const char *src, *a, *b, *nl;
	char q[QUOTE_MAX];
	size_t srclen;
	int r;

	buf_reset(out);
	if ((r = toml_parse(text, len, &doc)) < 0) {
		char sub[MSG_MAX];

		snprintf(sub, sizeof(sub), "%s", err_msg());
		return err_set(r, "%s:%s", path, sub);
	}
	err_quote(q, sizeof(q), name, strlen(name));
	m = toml_table_get(toml_table_get(toml_doc_root(doc), "machines"), name);
	if (m == NULL || toml_type(m) != TOML_TABLE) {
		r = err_set(ERR_NOTFOUND, "no machine '%s' in %s", q, path);
		goto out;
	}
	sp = toml_stmt_span(m);
	if (sp.len == 0) {
		sp = toml_value_span(m);
		r = err_set(ERR_UNSUPPORTED, "%s:%u:%u: machine '%s' has no [machines.%s] section of its own; remove it by hand",
			    path, sp.line, sp.col, q, q);
		goto out;
	}
	/* spans are byte offsets into TEXT itself (a byte order mark included) */
	src = text;
	srclen = len;
	a = src + sp.off;
	b = a + sp.len;
	/* a blank line on both sides would become two in a row: drop the one after */
	if (a > src && b < src + srclen) {
		const char *pl = a - 1 > src ? memrchr(src, '\n', (size_t)(a - 1 - src)) : NULL;

		nl = memchr(b, '\n', (size_t)(src + srclen - b));
		if (nl != NULL && blank(pl ? pl + 1 : src, a - 1) && blank(b, nl))
			b = nl + 1;
	}
	/* The last table: the blank line that set it apart goes with it (what add put there). */
	if (b == src + srclen && a - src >= 2 && a[-1] == '\n' && a[-2] == '\n')
		a--;
	if ((r = buf_add(out, src, (size_t)(a - src))) < 0 || (r = buf_add(out, b, (size_t)(src + srclen - b))) < 0)
		goto out;
out:
	toml_doc_free(doc);
	if (r < 0)
		buf_reset(out);
	return r;
}
