/* One host's settings from parsed ssh_config files: first value wins, Host and Match blocks, tokens. */
#include "formats/ssh_config_internal.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "util/banned.h"

#define DEPTH_MAX (SSHCFG_INCLUDE_DEPTH + 2)

static const char *const default_identities[] = {
	"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519",
	"~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss", "~/.ssh/id_dsa", NULL,
};
static const char *const default_known_hosts[] = { "~/.ssh/known_hosts", "~/.ssh/known_hosts2", NULL };
static const char *const default_global_known_hosts[] = { "/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2", NULL };

/* A value found for the host, not yet expanded: the line's words and where it is. */
struct found {
	const struct sshcfg_line *l;	/* NULL: not set */
	const struct sshcfg *c;
};

struct rctx {
	const struct sshcfg_query *q;
	struct sshcfg_host *out;
	bool final;			/* the second pass, after a Match canonical / final */
	struct found v[KW_IGNORED];	/* the first line of each keyword that applied */
	struct found id[SSHCFG_IDENTITIES_MAX];
	size_t nid;
};

bool sshcfg_wild(const char *s, const char *p, size_t plen, bool fold)
{
	size_t si = 0, pi = 0, star = SIZE_MAX, mark = 0, slen = strlen(s);

	while (si < slen) {
		char a = s[si], b = pi < plen ? p[pi] : 0;

		if (fold) {
			a = (a >= 'A' && a <= 'Z') ? (char)(a - 'A' + 'a') : a;
			b = (b >= 'A' && b <= 'Z') ? (char)(b - 'A' + 'a') : b;
		}
		if (pi < plen && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < plen && (p[pi] == '?' || a == b)) {
			si++;
			pi++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

int sshcfg_wild_list(const char *s, const char *list, bool fold)
{
	int got = 0;

	for (;;) {
		size_t n = strcspn(list, ",");
		bool neg = n > 0 && list[0] == '!';

		if (n > (size_t)neg && sshcfg_wild(s, list + neg, n - neg, fold)) {
			if (neg)
				return -1;
			got = 1;
		}
		if (!list[n])
			return got;
		list += n + 1;
	}
}

static const char *file_of(const struct found *f)
{
	return f->c->files[f->l->file];
}

static int bad_at(const struct sshcfg *c, const struct sshcfg_line *l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad_at(const struct sshcfg *c, const struct sshcfg_line *l, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(ERR_INVALID, "%s:%u: %s", c->files[l->file], l->line, msg);
}

/* S quoted for a message (printable, cut at 64 bytes) into Q, which must hold 96 bytes. */
static const char *quoted(char *q, const char *s)
{
	return err_quote(q, 96, s, strlen(s) > 64 ? 64 : strlen(s));
}

/* The user Match user sees so far: the target's, the config's, the default. */
static const char *user_now(const struct rctx *r)
{
	if (r->q->user)
		return r->q->user;
	if (r->v[KW_USER].l)
		return r->v[KW_USER].l->argv[0];
	return r->q->default_user ? r->q->default_user : "root";
}

/* HostName with %h (the name given) and %% applied, into OUT. */
static int expand_hostname(const struct rctx *r, const struct found *f, char *out, size_t len)
{
	const char *s = f->l->argv[0];
	size_t n = 0;

	for (; *s; s++) {
		const char *add = s;
		size_t alen = 1;

		if (*s == '%') {
			if (s[1] == 'h') {
				add = r->q->host;
				alen = strlen(add);
			} else if (s[1] != '%') {
				char q[96];

				return bad_at(f->c, f->l, "HostName '%s': unknown token; expected %%h or %%%%",
					      quoted(q, f->l->argv[0]));
			}
			s++;
		}
		if (n + alen >= len)
			return bad_at(f->c, f->l, "HostName longer than %zu bytes", len - 1);
		memcpy(out + n, add, alen);
		n += alen;
	}
	out[n] = '\0';
	return 0;
}

/* The host name Match host sees: the final one, else HostName so far, else the name given. */
static int host_now(const struct rctx *r, char *buf, size_t len)
{
	if (r->final)
		snprintf(buf, len, "%s", r->out->hostname);
	else if (r->v[KW_HOSTNAME].l)
		return expand_hostname(r, &r->v[KW_HOSTNAME], buf, len);
	else
		snprintf(buf, len, "%s", r->q->host);
	return 0;
}

/* One criterion NAME (ARG) of a Match line: 1 matches, 0 not, or an error. */
static int criterion(const struct rctx *r, const struct sshcfg *c, const struct sshcfg_line *l, const char *name,
		     const char *arg)
{
	char host[TARGET_HOST_MAX + 1];
	int rc;

	if (!strcasecmp(name, "all"))
		return 1;
	if (!strcasecmp(name, "canonical") || !strcasecmp(name, "final"))
		return r->final;
	if (!strcasecmp(name, "host")) {
		if ((rc = host_now(r, host, sizeof(host))) < 0)
			return rc;
		return sshcfg_wild_list(host, arg, true) == 1;
	}
	if (!strcasecmp(name, "originalhost"))
		return sshcfg_wild_list(r->q->host, arg, true) == 1;
	if (!strcasecmp(name, "user"))
		return sshcfg_wild_list(user_now(r), arg, false) == 1;
	if (!strcasecmp(name, "localuser"))
		return sshcfg_wild_list(r->q->local_user ? r->q->local_user : "", arg, false) == 1;
	if (!strcasecmp(name, "tagged"))
		return sshcfg_wild_list(r->v[KW_TAG].l ? r->v[KW_TAG].l->argv[0] : "", arg, false) == 1;
	return bad_at(c, l, "Match %s is not supported: chimera runs no local command and knows no local network "
		      "here; use Host, or Match host, originalhost, user, localuser or tagged", name);
}

/* A Match line: every criterion must hold (each may be negated with '!'). */
static int match_line(const struct rctx *r, const struct sshcfg *c, const struct sshcfg_line *l)
{
	int i, m;

	for (i = 0; i < l->argc; i++) {
		const char *name = l->argv[i];
		bool neg = name[0] == '!', arg;

		name += neg;
		arg = strcasecmp(name, "all") && strcasecmp(name, "canonical") && strcasecmp(name, "final");
		if ((m = criterion(r, c, l, name, arg ? l->argv[i + 1] : NULL)) < 0)
			return m;
		i += arg;
		if (m == neg)
			return 0;
	}
	return 1;
}

/* A Host line: some pattern matches the name (as given, or the final one in the second pass) and no negated one does. */
static bool host_line(const struct rctx *r, const struct sshcfg_line *l)
{
	const char *h = r->final ? r->out->hostname : r->q->host;
	bool got = false;
	int i;

	for (i = 0; i < l->argc; i++) {
		const char *p = l->argv[i];
		bool neg = p[0] == '!';

		if (sshcfg_wild(h, p + neg, strlen(p + neg), false)) {
			if (neg)
				return false;
			got = true;
		}
	}
	return got;
}

/* Take a line that applies: the first of each keyword wins, IdentityFile adds up. */
static int take(struct rctx *r, const struct sshcfg *c, const struct sshcfg_line *l)
{
	enum sshcfg_kw kw = l->kw;

	if (kw == KW_IDENTITY_FILE) {
		if (r->nid == SSHCFG_IDENTITIES_MAX)
			return bad_at(c, l, "more than %d IdentityFile lines apply to host '%s'", SSHCFG_IDENTITIES_MAX,
				      r->q->host);
		r->id[r->nid++] = (struct found){ l, c };
		return 0;
	}
	if (kw == KW_PROXY_COMMAND)
		kw = KW_PROXY_JUMP;	/* one proxy: whichever comes first */
	if (!r->v[kw].l)
		r->v[kw] = (struct found){ l, c };
	return 0;
}

/* One pass over every line of CFGS. */
static int pass(struct rctx *r, const struct sshcfg *const *cfgs, size_t n)
{
	size_t k, i;
	int rc;

	for (k = 0; k < n; k++) {
		const struct sshcfg *c = cfgs[k];
		bool active = true, never = false;
		bool save_active[DEPTH_MAX], save_never[DEPTH_MAX];
		int depth = 0;

		if (!c)
			continue;
		for (i = 0; i < c->n; i++) {
			const struct sshcfg_line *l = &c->lines[i];

			switch (l->kw) {
			case KW_FILE_BEGIN:
				if (depth < DEPTH_MAX) {
					save_active[depth] = active;
					save_never[depth] = never;
				}
				depth++;
				if (l->num) {
					active = true;
					never = false;
				} else {
					never = never || !active;
				}
				break;
			case KW_FILE_END:
				if (depth > 0 && --depth < DEPTH_MAX) {
					active = save_active[depth];
					never = save_never[depth];
				}
				break;
			case KW_HOST:
				active = !never && host_line(r, l);
				break;
			case KW_MATCH:
				if (never) {
					active = false;
				} else {
					if ((rc = match_line(r, c, l)) < 0)
						return rc;
					active = rc == 1;
				}
				break;
			default:
				if (active && (rc = take(r, c, l)) < 0)
					return rc;
				break;
			}
		}
	}
	return 0;
}

static struct sshcfg_origin origin(const struct found *f)
{
	if (!f->l)
		return (struct sshcfg_origin){ NULL, 0 };
	return (struct sshcfg_origin){ file_of(f), f->l->line };
}

const char *sshcfg_origin_format(const struct sshcfg_origin *o, char *buf, size_t len)
{
	if (!o->file)
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%s:%u", o->file, o->line);
	return buf;
}

/* What a token stands for; NULL when unknown. */
static const char *token(const struct rctx *r, char t, char *num, size_t numlen, const char **short_end)
{
	const struct sshcfg_query *q = r->q;

	*short_end = NULL;
	switch (t) {
	case '%': return "%";
	case 'd': return q->home ? q->home : "";
	case 'h': return r->out->hostname;
	case 'n': case 'k': return q->host;
	case 'r': return r->out->user;
	case 'u': return q->local_user ? q->local_user : "";
	case 'l': return q->local_host ? q->local_host : "";
	case 'L':
		*short_end = q->local_host ? strchr(q->local_host, '.') : NULL;
		return q->local_host ? q->local_host : "";
	case 'p':
		snprintf(num, numlen, "%u", (unsigned)r->out->port);
		return num;
	case 'i':
		snprintf(num, numlen, "%lu", q->uid);
		return num;
	case 'j':
		return r->v[KW_PROXY_JUMP].l && r->v[KW_PROXY_JUMP].l->kw == KW_PROXY_JUMP ? r->v[KW_PROXY_JUMP].l->argv[0] : "";
	default:
		return NULL;
	}
}

/*
 * A path as OpenSSH expands it: a leading ~ (the home), ${NAME} from the environment,
 * %d %h %i %j %k %L %l %n %p %r %u %%. F names the line (NULL: a built-in default).
 */
static int expand_path(const struct rctx *r, const struct found *f, const char *s, char *out, size_t len)
{
	const struct sshcfg_query *q = r->q;
	size_t n = 0;
	char num[32], qs[96];

	if (s[0] == '~' && (s[1] == '/' || s[1] == '\0')) {
		const char *home = q->home ? q->home : "";

		if (strlen(home) >= len)
			goto toolong;
		n = (size_t)snprintf(out, len, "%s", home);
		s++;
	} else if (s[0] == '~') {
		return f ? bad_at(f->c, f->l, "'%s': ~user is not supported; expected ~/PATH or an absolute path", quoted(qs, s))
			 : err_set(ERR_INVALID, "'%s': ~user is not supported", quoted(qs, s));
	}
	for (; *s; s++) {
		const char *add = s, *end = NULL;
		size_t alen = 1;

		if (s[0] == '%') {
			if (!(add = token(r, s[1], num, sizeof(num), &end))) {
				char t[8];

				err_quote(t, sizeof(t), s, s[1] ? 2 : 1);
				return f ? bad_at(f->c, f->l, "unknown token '%s' in '%s'; expected one of %%d %%h %%i %%j %%k "
						  "%%L %%l %%n %%p %%r %%u %%%%", t, quoted(qs, f->l->argv[0]))
					 : err_set(ERR_INVALID, "unknown token '%s'", t);
			}
			alen = end ? (size_t)(end - add) : strlen(add);
			s++;
		} else if (s[0] == '$' && s[1] == '{') {
			const char *close = strchr(s, '}');
			char name[128];

			if (!close || (size_t)(close - s - 2) >= sizeof(name) || close == s + 2)
				return f ? bad_at(f->c, f->l, "'%s': expected ${NAME}", quoted(qs, s)) : err_set(ERR_INVALID, "bad ${NAME}");
			snprintf(name, sizeof(name), "%.*s", (int)(close - s - 2), s + 2);
			add = q->getenv ? q->getenv(name, q->env_arg) : NULL;
			if (!add) {
				char qn[96];

				return f ? bad_at(f->c, f->l, "'%s': the environment has no %s", quoted(qs, f->l->argv[0]),
						  quoted(qn, name))
					 : err_set(ERR_INVALID, "no %s in the environment", quoted(qn, name));
			}
			alen = strlen(add);
			s = close;
		}
		if (n + alen >= len)
			goto toolong;
		memcpy(out + n, add, alen);
		n += alen;
	}
	out[n] = '\0';
	return 0;
toolong:
	return f ? bad_at(f->c, f->l, "a path longer than %zu bytes", len - 1) : err_set(ERR_LIMIT, "path too long");
}

/* A list of files: the line's words, or DEFAULTS; "none" leaves it empty. */
static int files(const struct rctx *r, const struct found *f, const char *const *defaults,
		 char (*out)[SSHCFG_PATH_MAX], size_t *nout)
{
	size_t i, n = 0;
	int rc;

	*nout = 0;
	if (f->l) {
		for (i = 0; i < (size_t)f->l->argc && n < SSHCFG_KNOWN_HOSTS_MAX; i++) {
			if (!strcasecmp(f->l->argv[i], "none"))
				continue;
			if ((rc = expand_path(r, f, f->l->argv[i], out[n], SSHCFG_PATH_MAX)) < 0)
				return rc;
			n++;
		}
	} else {
		for (i = 0; defaults[i] && n < SSHCFG_KNOWN_HOSTS_MAX; i++)
			if ((rc = expand_path(r, NULL, defaults[i], out[n++], SSHCFG_PATH_MAX)) < 0)
				return rc;
	}
	*nout = n;
	return 0;
}

static int identities(struct rctx *r)
{
	struct sshcfg_host *o = r->out;
	size_t i;
	int rc;

	o->nidentity = 0;
	o->identity_default = r->nid == 0;
	if (r->nid == 0) {
		for (i = 0; default_identities[i]; i++)
			if ((rc = expand_path(r, NULL, default_identities[i], o->identity[o->nidentity++], SSHCFG_PATH_MAX)) < 0)
				return rc;
		return 0;
	}
	for (i = 0; i < r->nid; i++) {
		if (!strcasecmp(r->id[i].l->argv[0], "none"))
			continue;
		if ((rc = expand_path(r, &r->id[i], r->id[i].l->argv[0], o->identity[o->nidentity], SSHCFG_PATH_MAX)) < 0)
			return rc;
		o->nidentity++;
	}
	return 0;
}

static void copy_word(const struct found *f, char *out, size_t len, struct sshcfg_origin *at)
{
	if (!f->l)
		return;
	snprintf(out, len, "%s", f->l->argv[0]);
	if (at)
		*at = origin(f);
}

static void jumps(struct rctx *r)
{
	const struct found *f = &r->v[KW_PROXY_JUMP];
	struct sshcfg_host *o = r->out;
	const char *e;

	if (!f->l)
		return;
	o->proxy_at = origin(f);
	if (f->l->kw == KW_PROXY_COMMAND) {
		o->proxy_command = !f->l->num;
		return;
	}
	e = f->l->argv[0];
	if (!strcasecmp(e, "none"))
		return;
	while (o->njump < SSHCFG_JUMPS_MAX) {
		size_t n = strcspn(e, ",");

		/* checked when the line was read */
		if (sshcfg_jump_parse(e, n, &o->jump[o->njump]) == 0)
			o->njump++;
		if (!e[n])
			break;
		e += n + 1;
	}
}

/* HostName, User and Port after the passes. */
static int identity_of_host(struct rctx *r)
{
	struct sshcfg_host *o = r->out;
	int rc;

	if (r->v[KW_HOSTNAME].l) {
		if ((rc = expand_hostname(r, &r->v[KW_HOSTNAME], o->hostname, sizeof(o->hostname))) < 0)
			return rc;
		o->hostname_at = origin(&r->v[KW_HOSTNAME]);
	}
	if (r->q->user) {
		snprintf(o->user, sizeof(o->user), "%s", r->q->user);
	} else if (r->v[KW_USER].l) {
		snprintf(o->user, sizeof(o->user), "%s", r->v[KW_USER].l->argv[0]);
		o->user_at = origin(&r->v[KW_USER]);
	}
	if (r->q->port) {
		o->port = (uint16_t)r->q->port;
	} else if (r->v[KW_PORT].l) {
		o->port = (uint16_t)r->v[KW_PORT].l->num;
		o->port_at = origin(&r->v[KW_PORT]);
	}
	return 0;
}

static int finish(struct rctx *r)
{
	struct sshcfg_host *o = r->out;
	const struct found *v = r->v;
	int rc;

	if ((rc = identities(r)) < 0 ||
	    (rc = files(r, &v[KW_USER_KNOWN_HOSTS], default_known_hosts, o->known_hosts, &o->nknown_hosts)) < 0 ||
	    (rc = files(r, &v[KW_GLOBAL_KNOWN_HOSTS], default_global_known_hosts, o->global_known_hosts,
			&o->nglobal_known_hosts)) < 0)
		return rc;
	if (v[KW_IDENTITY_AGENT].l) {
		const char *a = v[KW_IDENTITY_AGENT].l->argv[0];

		o->agent_at = origin(&v[KW_IDENTITY_AGENT]);
		if (!strcasecmp(a, "none") || !strcmp(a, "SSH_AUTH_SOCK"))
			snprintf(o->agent, sizeof(o->agent), "%s", !strcasecmp(a, "none") ? "none" : "");
		else if (a[0] == '$' && a[1] != '{') {
			const char *e = r->q->getenv ? r->q->getenv(a + 1, r->q->env_arg) : NULL;

			snprintf(o->agent, sizeof(o->agent), "%s", e ? e : "none");
		} else if ((rc = expand_path(r, &v[KW_IDENTITY_AGENT], a, o->agent, sizeof(o->agent))) < 0)
			return rc;
	}
	o->identities_only = v[KW_IDENTITIES_ONLY].l && v[KW_IDENTITIES_ONLY].l->num;
	if (v[KW_CONNECT_TIMEOUT].l) {
		o->connect_timeout = v[KW_CONNECT_TIMEOUT].l->num;
		o->connect_timeout_at = origin(&v[KW_CONNECT_TIMEOUT]);
	}
	o->alive_interval = v[KW_ALIVE_INTERVAL].l ? v[KW_ALIVE_INTERVAL].l->num : 0;
	o->alive_count_max = v[KW_ALIVE_COUNT].l ? v[KW_ALIVE_COUNT].l->num : 3;
	if (v[KW_STRICT].l) {
		o->strict = (enum sshcfg_strict)v[KW_STRICT].l->num;
		o->strict_at = origin(&v[KW_STRICT]);
	}
	copy_word(&v[KW_KEX], o->kex, sizeof(o->kex), &o->kex_at);
	copy_word(&v[KW_CIPHERS], o->ciphers, sizeof(o->ciphers), &o->ciphers_at);
	copy_word(&v[KW_MACS], o->macs, sizeof(o->macs), &o->macs_at);
	copy_word(&v[KW_HOSTKEYS], o->hostkeys, sizeof(o->hostkeys), &o->hostkeys_at);
	copy_word(&v[KW_PUBKEY_ALGOS], o->pubkey_algos, sizeof(o->pubkey_algos), &o->pubkey_algos_at);
	copy_word(&v[KW_BIND_ADDRESS], o->bind_address, sizeof(o->bind_address), &o->bind_address_at);
	copy_word(&v[KW_TAG], o->tag, sizeof(o->tag), NULL);
	o->compression = v[KW_COMPRESSION].l ? (int)v[KW_COMPRESSION].l->num : -1;
	jumps(r);
	return 0;
}

int sshcfg_resolve(const struct sshcfg *const *cfgs, size_t n, const struct sshcfg_query *q, struct sshcfg_host *out)
{
	struct rctx *r;
	bool twice = false;
	size_t k;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strlen(q->host) > TARGET_HOST_MAX)
		return err_set(ERR_INVALID, "host name longer than %d bytes", TARGET_HOST_MAX);
	if (!(r = calloc(1, sizeof(*r))))
		return err_set(ERR_NOMEM, "out of memory");
	r->q = q;
	r->out = out;
	snprintf(out->name, sizeof(out->name), "%s", q->host);
	snprintf(out->hostname, sizeof(out->hostname), "%s", q->host);
	snprintf(out->user, sizeof(out->user), "%s", q->default_user ? q->default_user : "root");
	out->port = TARGET_DEFAULT_PORT;
	for (k = 0; k < n; k++)
		twice = twice || (cfgs[k] && cfgs[k]->has_final);
	if ((rc = pass(r, cfgs, n)) < 0 || (rc = identity_of_host(r)) < 0)
		goto out;
	if (twice) {
		r->final = true;
		if ((rc = pass(r, cfgs, n)) < 0 || (rc = identity_of_host(r)) < 0)
			goto out;
	}
	rc = finish(r);
out:
	free(r);
	return rc;
}
