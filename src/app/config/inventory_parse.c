/* Reading chimera.toml strictly: [defaults] and [machines.NAME], every mistake located and explained. */
#include "app/config/inventory_internal.h"
#include "app/fleet/secrets.h"
#include "core/attrpath.h"
#include "core/flakeref.h"
#include "core/goal.h"
#include "core/profile.h"
#include "core/sudo.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "util/banned.h"

#define DEFAULTS_KEYS "user, port, profile, activation, goal, sudo, sudo_command, parallel, connect_timeout, checks, secrets_owner"
#define MACHINE_KEYS "target, tags, profile, activation, goal, sudo, sudo_command, checks, ssh_options, sessions, secrets_owner, config, attr, flake"

static int parse_checks(const struct pctx *c, const struct toml_value *v, const char *what,
			struct health_spec **out, size_t *nout)
{
	const char *expect = "an array of health check strings (http:URL[=STATUS], tcp:HOST:PORT, cmd:COMMAND)";
	size_t i, n;
	int r;

	if ((r = inv_want_array(c, v, what, expect, INV_CHECKS_MAX)) < 0)
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

		if ((r = inv_want_str(c, e, what, expect, HEALTH_TEXT_MAX, &s)) < 0)
			return r;
		if (health_spec_parse(s, &(*out)[i]) < 0)
			return inv_bad_from(c, toml_value_span(e), what);
		*nout = i + 1;
	}
	return 0;
}

/* OWNER = "user[:group]", as secrets_owner_check takes it. */
static int parse_owner(const struct pctx *c, const struct toml_value *v, const char *what, const char **s)
{
	int r;

	if ((r = inv_want_str(c, v, what, "a string \"USER\" or \"USER:GROUP\"", INV_OWNER_MAX, s)) < 0)
		return r;
	if (secrets_owner_check(*s) < 0)
		return inv_bad(c, toml_value_span(v), "%s in %s", err_msg(), what);
	return 0;
}

/* GOAL = one of core/goal.h's names. */
static int parse_goal(const struct pctx *c, const struct toml_value *v, const char *what, const char **s)
{
	enum goal g;
	int r;

	if ((r = inv_want_str(c, v, what, "a string: " GOAL_NAMES, 15, s)) < 0)
		return r;
	if (goal_parse(*s, &g) < 0)
		return inv_bad(c, toml_value_span(v), "%s in %s", err_msg(), what);
	return 0;
}

/* SUDO_COMMAND = a command such as "sudo -n" (core/sudo.h). */
static int parse_sudo_command(const struct pctx *c, const struct toml_value *v, const char *what, size_t max,
			      const char **s)
{
	int r;

	if ((r = inv_want_str(c, v, what, "a string such as \"sudo -n\"", max, s)) < 0)
		return r;
	if (sudo_command_check(*s) < 0)
		return inv_bad(c, toml_value_span(v), "%s in %s", err_msg(), what);
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
		inv_what_key(c, what, sizeof(what), key);
		if (strcmp(key, "user") == 0) {
			if ((r = inv_want_str(c, v, what, "a user name string", 0, &s)) < 0)
				return r;
			if (!inv_user_valid(s, strlen(s)))
				return inv_bad(c, toml_value_span(v), "%s must be a user name: a letter or '_' then up to 31 of [A-Za-z0-9._-]", what);
			snprintf(d->user, sizeof(d->user), "%s", s);
			d->user_from = INV_FROM_FILE;
		} else if (strcmp(key, "port") == 0) {
			if ((r = inv_want_int(c, v, what, 1, 65535, &l)) < 0)
				return r;
			d->port = (uint16_t)l;
			d->port_from = INV_FROM_FILE;
		} else if (strcmp(key, "profile") == 0) {
			if ((r = inv_want_str(c, v, what, "an absolute profile path string", sizeof(d->profile) - 1, &s)) < 0)
				return r;
			if (profile_path_check(s) < 0)
				return inv_bad_from(c, toml_value_span(v), what);
			snprintf(d->profile, sizeof(d->profile), "%s", s);
			d->profile_from = INV_FROM_FILE;
		} else if (strcmp(key, "activation") == 0) {
			if ((r = inv_want_str(c, v, what, "a string: auto, none or a command", sizeof(d->activation) - 1,
					  &s)) < 0)
				return r;
			snprintf(d->activation, sizeof(d->activation), "%s", s);
			d->activation_from = INV_FROM_FILE;
		} else if (strcmp(key, "goal") == 0) {
			if ((r = parse_goal(c, v, what, &s)) < 0)
				return r;
			snprintf(d->goal, sizeof(d->goal), "%s", s);
			d->goal_from = INV_FROM_FILE;
		} else if (strcmp(key, "sudo") == 0) {
			if ((r = inv_want_type(c, v, TOML_BOOL, what, "true or false")) < 0)
				return r;
			toml_get_bool(v, &d->sudo);
			d->sudo_from = INV_FROM_FILE;
		} else if (strcmp(key, "sudo_command") == 0) {
			if ((r = parse_sudo_command(c, v, what, sizeof(d->sudo_command) - 1, &s)) < 0)
				return r;
			snprintf(d->sudo_command, sizeof(d->sudo_command), "%s", s);
		} else if (strcmp(key, "parallel") == 0) {
			if ((r = inv_want_int(c, v, what, 1, 4096, &d->parallel)) < 0)
				return r;
			d->parallel_from = INV_FROM_FILE;
		} else if (strcmp(key, "connect_timeout") == 0) {
			if ((r = inv_want_int(c, v, what, 1, 3600, &d->connect_timeout)) < 0)
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
			return inv_bad(c, inv_key_pos(v), "unknown key '%s' in [defaults]; expected one of " DEFAULTS_KEYS, q);
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

	if ((r = inv_want_str(c, v, what, "a string [user@]host[:port]", 0, &s)) < 0)
		return r;
	n = strlen(s);
	if (target_parse(&m->target, s, n) < 0)
		return inv_bad_from(c, toml_value_span(v), what);
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

	if ((r = inv_want_array(c, v, what, expect, INV_TAGS_MAX)) < 0)
		return r;
	for (i = 0; i < toml_array_len(v); i++) {
		const struct toml_value *e = toml_array_get(v, i);
		char q[QUOTE_MAX];
		const char *s;
		size_t n;

		if ((r = inv_want_type(c, e, TOML_STRING, what, expect)) < 0)
			return r;
		toml_get_string(e, &s, &n);
		err_quote(q, sizeof(q), s, n);
		if (!inv_word_valid(s, n, 0))
			return inv_bad(c, toml_value_span(e), "bad tag '%s' in %s; expected " TAG_FORM, q, what);
		for (j = 0; j < m->ntags; j++) {
			if (strcmp(m->tags[j], s) == 0)
				return inv_bad(c, toml_value_span(e), "duplicate tag '%s' in %s", q, what);
		}
		if ((m->tags[m->ntags] = inv_dup_str(s)) == NULL)
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
		return inv_bad(c, toml_value_span(v), "%s must be %s, found %s", what, expect, inv_a_type(v));
	if (toml_table_len(v) > INV_SESSIONS_MAX)
		return inv_bad(c, toml_value_span(v), "%s has more than %d sessions", what, INV_SESSIONS_MAX);
	for (i = 0; (e = toml_table_at(v, i, &name, &len)) != NULL; i++) {
		/* tmux reads '.' in a target as a pane separator: sessions_name_check refuses it too */
		if (strlen(name) != len || !inv_word_valid(name, len, 64) || memchr(name, '.', len)) {
			err_quote(q, sizeof(q), name, len);
			return inv_bad(c, inv_key_pos(e), "bad session name '%s' in %s; expected %s", q, what, expect);
		}
		if ((r = inv_want_str(c, e, what, "a command string", 0, &cmd)) < 0)
			return r;
		if (!(m->sessions[m->nsessions].name = inv_dup_str(name)) ||
		    !(m->sessions[m->nsessions].command = inv_dup_str(cmd))) {
			free(m->sessions[m->nsessions].name);
			m->sessions[m->nsessions].name = NULL;
			return ERR_NOMEM;
		}
		m->nsessions++;
	}
	return 0;
}

/*
 * The client options a machine's ssh_options may set: those chimera's ssh config reader
 * applies (docs/ssh.md), and a few that have no effect on its sessions but were always taken.
 */
#define SSH_OPTION_KEYS                                                                                  \
	"BindAddress, Ciphers, Compression, ConnectTimeout, GlobalKnownHostsFile, HostKeyAlgorithms, "   \
	"Hostname, IdentitiesOnly, IdentityAgent, IdentityFile, KbdInteractiveAuthentication, "          \
	"KexAlgorithms, LogLevel, MACs, PasswordAuthentication, Port, PreferredAuthentications, "        \
	"ProxyCommand, ProxyJump, PubkeyAcceptedAlgorithms, PubkeyAuthentication, RekeyLimit, "          \
	"ServerAliveCountMax, ServerAliveInterval, StrictHostKeyChecking, User, UserKnownHostsFile"

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

	if ((r = inv_want_array(c, v, what, expect, INV_SSH_OPTS_MAX)) < 0)
		return r;
	for (i = 0; i < toml_array_len(v); i++) {
		const struct toml_value *e = toml_array_get(v, i);
		const char *s;
		char q[QUOTE_MAX];
		bool ok;

		if ((r = inv_want_str(c, e, what, expect, 0, &s)) < 0)
			return r;
		for (k = 0; inv_is_alnum(s[k]); k++)
			;
		ok = k > 0 && s[k] == '=' && s[k + 1] != '\0';
		/* the value goes to ssh -o as one argument: no control characters */
		for (k = 0; ok && s[k]; k++)
			ok = (unsigned char)s[k] >= 0x20 && s[k] != 0x7f;
		if (!ok) {
			err_quote(q, sizeof(q), s, strlen(s));
			return inv_bad(c, toml_value_span(e), "bad ssh option '%s' in %s; expected \"Key=Value\" with an alphanumeric Key",
				   q, what);
		}
		if (!ssh_option_known(s, strcspn(s, "="))) {
			err_quote(q, sizeof(q), s, strcspn(s, "="));
			return inv_bad(c, toml_value_span(e), "unknown ssh option '%s' in %s; expected one of " SSH_OPTION_KEYS, q,
				   what);
		}
		if ((m->ssh_options[m->nssh_options] = inv_dup_str(s)) == NULL)
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

	if ((r = inv_want_str(c, v, what, "a flake reference string REF#ATTR", 0, &s)) < 0)
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
		if ((r = inv_abs_join(c->path, ref, reflen, &abs)) < 0)
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
		r = inv_bad_from(c, toml_value_span(v), what);
	else if (!f->has_attr)
		r = inv_bad(c, toml_value_span(v), "%s must be REF#ATTR, with the attribute after '#'", what);
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
	if (strlen(name) != namelen || !inv_word_valid(name, namelen, INV_NAME_MAX))
		return inv_bad(c, inv_key_pos(t), "bad machine name '%s'; expected " NAME_FORM, q);
	memcpy(m->name, name, namelen);
	m->line = (int)toml_value_span(t).line;
	if ((r = toml_format_key(&hdr, name, namelen)) < 0)
		return r;
	snprintf(c->where, sizeof(c->where), "[machines.%s]", hdr.data);
	buf_release(&hdr);
	if (toml_type(t) != TOML_TABLE)
		return inv_bad(c, toml_value_span(t), "machine '%s' must be a table, found %s; expected %s with target = \"[user@]host[:port]\"",
			   q, inv_a_type(t), c->where);

	for (i = 0; (v = toml_table_at(t, i, &key, NULL)) != NULL; i++) {
		inv_what_key(c, what, sizeof(what), key);
		if (strcmp(key, "target") == 0) {
			r = parse_target(c, v, what, m, x);
		} else if (strcmp(key, "tags") == 0) {
			r = parse_tags(c, v, what, m);
		} else if (strcmp(key, "profile") == 0) {
			r = inv_want_str(c, v, what, "an absolute profile path string", PROFILE_PATH_MAX, &s);
			if (r == 0 && profile_path_check(s) < 0)
				r = inv_bad_from(c, toml_value_span(v), what);
			if (r == 0 && (m->profile = inv_dup_str(s)) == NULL)
				r = ERR_NOMEM;
		} else if (strcmp(key, "activation") == 0) {
			r = inv_want_str(c, v, what, "a string: auto, none or a command", 0, &s);
			if (r == 0 && (m->activation = inv_dup_str(s)) == NULL)
				r = ERR_NOMEM;
		} else if (strcmp(key, "goal") == 0) {
			r = parse_goal(c, v, what, &s);
			if (r == 0 && (m->goal = inv_dup_str(s)) == NULL)
				r = ERR_NOMEM;
		} else if (strcmp(key, "sudo") == 0) {
			bool b = false;

			if ((r = inv_want_type(c, v, TOML_BOOL, what, "true or false")) == 0) {
				toml_get_bool(v, &b);
				m->sudo = b ? 1 : -1;
			}
		} else if (strcmp(key, "sudo_command") == 0) {
			r = parse_sudo_command(c, v, what, 255, &s);
			if (r == 0 && (m->sudo_command = inv_dup_str(s)) == NULL)
				r = ERR_NOMEM;
		} else if (strcmp(key, "checks") == 0) {
			r = parse_checks(c, v, what, &m->checks, &m->nchecks);
		} else if (strcmp(key, "ssh_options") == 0) {
			r = parse_ssh_options(c, v, what, m);
		} else if (strcmp(key, "sessions") == 0) {
			r = parse_sessions(c, v, what, m);
		} else if (strcmp(key, "secrets_owner") == 0) {
			r = parse_owner(c, v, what, &s);
			if (r == 0 && (m->secrets_owner = inv_dup_str(s)) == NULL)
				r = ERR_NOMEM;
		} else if (strcmp(key, "config") == 0) {
			cfg = v;
			r = inv_want_str(c, v, what, "a .nix file path string", 0, &s);
			if (r == 0 && (strlen(s) <= 4 || strcmp(s + strlen(s) - 4, ".nix") != 0))
				r = inv_bad(c, toml_value_span(v), "%s must be a path ending in .nix", what);
			if (r == 0)
				r = inv_abs_join(c->path, s, strlen(s), &m->config_file);
		} else if (strcmp(key, "attr") == 0) {
			struct attrpath *ap = malloc(sizeof(*ap));

			attr = v;
			r = ap ? inv_want_str(c, v, what, "an attribute path string", 0, &s) : err_set(ERR_NOMEM, "out of memory");
			if (r == 0 && attrpath_parse(ap, s, strlen(s)) < 0)
				r = inv_bad_from(c, toml_value_span(v), what);
			if (r == 0 && (m->config_attr = inv_dup_str(s)) == NULL)
				r = ERR_NOMEM;
			free(ap);
		} else if (strcmp(key, "flake") == 0) {
			flake = v;
			r = parse_flake(c, v, what, m);
		} else {
			err_quote(q, sizeof(q), key, strlen(key));
			r = inv_bad(c, inv_key_pos(v), "unknown key '%s' in %s; expected one of " MACHINE_KEYS, q, c->where);
		}
		if (r < 0)
			return r;
	}
	if (x->target == NULL)
		return inv_bad(c, toml_value_span(t), "%s has no target; expected target = \"[user@]host[:port]\"", c->where);
	if (attr && !cfg)
		return inv_bad(c, inv_key_pos(attr), "'attr' in %s needs 'config': it names an attribute of the config file",
			   c->where);
	if (flake && cfg)
		return inv_bad(c, inv_key_pos(flake), "'flake' and 'config' in %s exclude each other; expected one of them",
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
		return inv_bad(c, toml_value_span(t), "'machines' must be a table, found %s; expected [machines.NAME] tables",
			   inv_a_type(t));
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

		/* a [defaults] user or port is written out too: an ssh config's User or Port does not replace it */
		if (!x[i].has_user) {
			snprintf(m->target.user, sizeof(m->target.user), "%s", inv->defaults.user);
			if (inv->defaults.user_from != INV_FROM_DEFAULT)
				m->target.given |= TARGET_GIVEN_USER;
		}
		if (!x[i].has_port) {
			m->target.port = inv->defaults.port;
			if (inv->defaults.port_from != INV_FROM_DEFAULT)
				m->target.given |= TARGET_GIVEN_PORT;
		}
	}
	for (i = 1; i < inv->n; i++) {
		for (j = 0; j < i; j++) {
			char tf[TARGET_FORMAT_MAX];

			if (!target_equal(&inv->machines[i].target, &inv->machines[j].target))
				continue;
			target_format(&inv->machines[i].target, tf, sizeof(tf));
			return inv_bad(c, toml_value_span(x[i].target),
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
			r = inv_want_type(&c, v, TOML_TABLE, "'defaults'", "a table [defaults]");
			if (r == 0)
				r = parse_defaults(&c, v, &inv->defaults);
		} else if (strcmp(key, "machines") == 0) {
			r = parse_machines(&c, v, inv, &x);
		} else {
			err_quote(q, sizeof(q), key, strlen(key));
			r = inv_bad(&c, inv_key_pos(v), "unknown %s '%s'; expected [defaults] or [machines.NAME]",
				toml_type(v) == TOML_TABLE ? "table" : "key", q);
		}
		if (r < 0)
			goto out;
	}
	/* [defaults] may follow the machines: apply it only now */
	if ((r = finish_machines(&c, inv, x)) == 0)
		r = inv_index_targets(inv);
out:
	free(x);
	toml_doc_free(doc);
	if (r < 0) {
		inventory_release(inv);
		snprintf(inv->path, sizeof(inv->path), "%s", path);
	}
	return r;
}
