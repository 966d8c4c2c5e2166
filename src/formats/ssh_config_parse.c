/* ssh_config(5) files: split each line as OpenSSH does, check its keyword and value, keep what resolution reads. */
#include "formats/ssh_config_internal.h"
#include "util/err.h"
#include "util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "util/banned.h"

#define ARGS_MAX 256		/* words on one line */

/* How a keyword's arguments are checked. */
enum kind {
	K_HOST,		/* patterns */
	K_MATCH,	/* criteria */
	K_INCLUDE,	/* files or globs */
	K_IGNORE_UNKNOWN,
	K_ONE,		/* exactly one word */
	K_HOSTNAME,
	K_USER,
	K_PORT,
	K_FLAG,		/* yes / no */
	K_TIME,		/* seconds, with s m h d w suffixes */
	K_COUNT,	/* 0 or more */
	K_STRICT,
	K_FILES,	/* 1 to SSHCFG_KNOWN_HOSTS_MAX paths */
	K_JUMP,
	K_COMMAND,	/* the rest of the line */
	K_ANY,		/* anything: a keyword chimera leaves alone */
};

struct keyword {
	const char *name;	/* lowercase */
	enum kind kind;
	enum sshcfg_kw kw;
};

/* The keywords chimera applies; their names as ssh_config(5) spells them are in docs/ssh.md. */
static const struct keyword applied[] = {
	{ "host", K_HOST, KW_HOST },
	{ "match", K_MATCH, KW_MATCH },
	{ "include", K_INCLUDE, KW_IGNORED },
	{ "ignoreunknown", K_IGNORE_UNKNOWN, KW_IGNORED },
	{ "hostname", K_HOSTNAME, KW_HOSTNAME },
	{ "user", K_USER, KW_USER },
	{ "port", K_PORT, KW_PORT },
	{ "identityfile", K_ONE, KW_IDENTITY_FILE },
	{ "identitiesonly", K_FLAG, KW_IDENTITIES_ONLY },
	{ "identityagent", K_ONE, KW_IDENTITY_AGENT },
	{ "proxyjump", K_JUMP, KW_PROXY_JUMP },
	{ "proxycommand", K_COMMAND, KW_PROXY_COMMAND },
	{ "connecttimeout", K_TIME, KW_CONNECT_TIMEOUT },
	{ "serveraliveinterval", K_TIME, KW_ALIVE_INTERVAL },
	{ "serveralivecountmax", K_COUNT, KW_ALIVE_COUNT },
	{ "stricthostkeychecking", K_STRICT, KW_STRICT },
	{ "userknownhostsfile", K_FILES, KW_USER_KNOWN_HOSTS },
	{ "globalknownhostsfile", K_FILES, KW_GLOBAL_KNOWN_HOSTS },
	{ "kexalgorithms", K_ONE, KW_KEX },
	{ "ciphers", K_ONE, KW_CIPHERS },
	{ "macs", K_ONE, KW_MACS },
	{ "hostkeyalgorithms", K_ONE, KW_HOSTKEYS },
	{ "pubkeyacceptedalgorithms", K_ONE, KW_PUBKEY_ALGOS },
	{ "pubkeyacceptedkeytypes", K_ONE, KW_PUBKEY_ALGOS },
	{ "bindaddress", K_ONE, KW_BIND_ADDRESS },
	{ "compression", K_FLAG, KW_COMPRESSION },
	{ "tag", K_ONE, KW_TAG },
	{ NULL, K_ANY, KW_IGNORED },
};

/*
 * The rest of OpenSSH's client keywords (9.x, with Debian's GSSAPI ones and the deprecated
 * names it still accepts): read and left alone, since a non-interactive exec session has
 * no use for them. A word that is in neither list is an error, as it is for ssh.
 */
static const char *const ignored[] = {
	"addkeystoagent", "addressfamily", "afstokenpassing", "batchmode", "bindinterface",
	"canonicaldomains", "canonicalizefallbacklocal", "canonicalizehostname",
	"canonicalizemaxdots", "canonicalizepermittedcnames", "casignaturealgorithms",
	"certificatefile", "challengeresponseauthentication", "channeltimeout", "checkhostip",
	"cipher", "clearallforwardings", "compressionlevel", "connectionattempts",
	"controlmaster", "controlpath", "controlpersist", "dsaauthentication",
	"dynamicforward", "enableescapecommandline", "enablesshkeysign", "escapechar",
	"exitonforwardfailure", "fallbacktorsh", "fingerprinthash", "forkafterauthentication",
	"forwardagent", "forwardx11", "forwardx11timeout", "forwardx11trusted", "gatewayports",
	"globalknownhostsfile2", "gssapiauthentication", "gssapiclientidentity",
	"gssapidelegatecredentials", "gssapikexalgorithms", "gssapikeyexchange",
	"gssapirenewalforcesrekey", "gssapiserveridentity", "gssapitrustdns", "hashknownhosts",
	"hostbasedacceptedalgorithms", "hostbasedauthentication", "hostbasedkeytypes",
	"hostkeyalias", "identityfile2", "ipqos", "kbdinteractiveauthentication",
	"kbdinteractivedevices", "keepalive", "kerberosauthentication", "kerberostgtpassing",
	"knownhostscommand", "localcommand", "localforward", "loglevel", "logverbose", "macs2",
	"nohostauthenticationforlocalhost", "numberofpasswordprompts", "obscurekeystroketiming",
	"passwordauthentication", "permitlocalcommand", "permitremoteopen", "pkcs11provider",
	"preferredauthentications", "protocol", "proxyusefdpass", "pubkeyauthentication",
	"rekeylimit", "remotecommand", "remoteforward", "requesttty", "requiredrsasize",
	"revokedhostkeys", "rhostsauthentication", "rhostsrsaauthentication", "rsaauthentication",
	"securitykeyprovider", "sendenv", "sessiontype", "setenv", "skeyauthentication",
	"smartcarddevice", "stdinnull", "streamlocalbindmask", "streamlocalbindunlink",
	"syslogfacility", "tcpkeepalive", "tisauthentication", "tunnel", "tunneldevice",
	"updatehostkeys", "useblacklistedkeys", "useprivilegedport", "userknownhostsfile2",
	"usersh", "useroaming", "verifyhostkeydns", "visualhostkey", "xauthlocation", NULL,
};

/* What one line of one file is being read as, for messages. */
struct pline {
	struct sshcfg *c;
	unsigned file;
	unsigned line;
	const char *keyword;	/* as written */
};

static int bad(const struct pline *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(const struct pline *p, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(ERR_INVALID, "%s:%u: %s", p->c->files[p->file], p->line, msg);
}

/* A bad value: "KEYWORD 'VALUE': EXPECTED". */
static int bad_value(const struct pline *p, const char *value, const char *expected)
{
	char q[128];

	err_quote(q, sizeof(q), value, strlen(value));
	return bad(p, "bad %s '%s': expected %s", p->keyword, q, expected);
}

struct sshcfg *sshcfg_new(void)
{
	return calloc(1, sizeof(struct sshcfg));
}

static void free_argv(char **argv, int argc)
{
	int i;

	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

void sshcfg_free(struct sshcfg *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		free_argv(c->lines[i].argv, c->lines[i].argc);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->lines);
	free(c->files);
	free(c->ignore);
	free(c);
}

size_t sshcfg_lines(const struct sshcfg *c)
{
	return c->n;
}

static const struct keyword *keyword_find(const char *k, size_t len)
{
	const struct keyword *w;

	for (w = applied; w->name; w++)
		if (strlen(w->name) == len && strncasecmp(w->name, k, len) == 0)
			return w;
	return NULL;
}

static bool keyword_ignored(const char *k, size_t len)
{
	size_t i;

	for (i = 0; ignored[i]; i++)
		if (strlen(ignored[i]) == len && strncasecmp(ignored[i], k, len) == 0)
			return true;
	return false;
}

/* Append a line of kind KW taking ARGV (ARGC words). Returns 0, ERR_LIMIT or ERR_NOMEM; ARGV is freed on failure. */
static int push(struct sshcfg *c, enum sshcfg_kw kw, char **argv, int argc, long num, unsigned file, unsigned line)
{
	struct sshcfg_line *l;

	if (c->n >= SSHCFG_LINES_MAX) {
		free_argv(argv, argc);
		return err_set(ERR_LIMIT, "%s:%u: more than %d lines in the ssh config files", c->files[file], line,
			       SSHCFG_LINES_MAX);
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;

		if (!(l = realloc(c->lines, cap * sizeof(*l)))) {
			free_argv(argv, argc);
			return err_set(ERR_NOMEM, "out of memory");
		}
		c->lines = l;
		c->cap = cap;
	}
	c->lines[c->n++] = (struct sshcfg_line){ kw, argc, argv, num, file, line };
	return 0;
}

/*
 * Split the LEN bytes at S into words as OpenSSH's argv_split does: blanks separate,
 * "..." and '...' group (a backslash escapes the quote or itself), a word starting with
 * '#' ends the line. Returns the count, or -1 for an unterminated quote, -2 out of memory,
 * -3 more than MAX words (nothing is left allocated then).
 */
static int split_words(const char *s, size_t len, char **argv, int max, int *argc_out);

static int split(const char *s, size_t len, char **argv, int max)
{
	int argc = 0, r = split_words(s, len, argv, max, &argc);

	if (r < 0)
		while (argc > 0)
			free(argv[--argc]);
	return r < 0 ? r : argc;
}

static int split_words(const char *s, size_t len, char **argv, int max, int *argc_out)
{
	size_t i = 0;
	int argc = 0;

	while (i < len) {
		char *w, quote = 0;
		size_t n = 0;

		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f' || s[i] == '\r'))
			i++;
		if (i >= len || s[i] == '#')
			break;
		if (argc == max)
			return -3;
		if (!(w = malloc(len - i + 1)))
			return -2;
		argv[argc++] = w;
		*argc_out = argc;
		for (; i < len; i++) {
			char ch = s[i];

			if (!quote && (ch == ' ' || ch == '\t' || ch == '\f' || ch == '\r'))
				break;
			if (ch == '\\' && i + 1 < len &&
			    (s[i + 1] == '\\' || s[i + 1] == '"' || s[i + 1] == '\'' || (!quote && s[i + 1] == ' '))) {
				w[n++] = s[++i];
				continue;
			}
			if (!quote && (ch == '"' || ch == '\'')) {
				quote = ch;
				continue;
			}
			if (quote && ch == quote) {
				quote = 0;
				continue;
			}
			w[n++] = ch;
		}
		w[n] = '\0';
		if (quote)
			return -1;
	}
	return 0;
}

/* A whole decimal number 0..MAX. */
static bool number(const char *s, long max, long *out)
{
	long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (!text_is_digit((unsigned char)*s) || v > (max - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

/* OpenSSH's convtime: "90", "1m30s", "2h" (s m h d w, any case). */
static bool seconds(const char *s, long *out)
{
	long total = 0;

	if (!*s)
		return false;
	while (*s) {
		long v = 0, mult = 1;

		if (!text_is_digit((unsigned char)*s))
			return false;
		while (text_is_digit((unsigned char)*s)) {
			if (v > 100000000L)
				return false;
			v = v * 10 + (*s++ - '0');
		}
		switch (*s) {
		case '\0': break;
		case 's': case 'S': s++; break;
		case 'm': case 'M': mult = 60; s++; break;
		case 'h': case 'H': mult = 3600; s++; break;
		case 'd': case 'D': mult = 86400; s++; break;
		case 'w': case 'W': mult = 604800; s++; break;
		default: return false;
		}
		if (v > (2147483647L - total) / mult)
			return false;
		total += v * mult;
	}
	*out = total;
	return true;
}

static int flag_value(const char *s)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true"))
		return 1;
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false"))
		return 0;
	return -1;
}

/* The same rule as a target's user, so a resolved host always makes a target. */
static bool user_valid(const char *u)
{
	size_t i, n = strlen(u);

	if (n == 0 || n > TARGET_USER_MAX || (!text_is_alpha((unsigned char)u[0]) && u[0] != '_'))
		return false;
	for (i = 1; i < n; i++)
		if (!text_is_alnum((unsigned char)u[i]) && u[i] != '.' && u[i] != '_' && u[i] != '-')
			return false;
	return true;
}

/* A host name, an address, or %h and %% tokens among them; no byte a shell would read. */
static bool hostname_valid(const char *h)
{
	size_t i, n = strlen(h);

	if (n == 0 || n > TARGET_HOST_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!text_is_alnum((unsigned char)h[i]) && !strchr(".-_:%[]", h[i]))
			return false;
	return true;
}

int sshcfg_jump_parse(const char *s, size_t len, struct target *t)
{
	if (len >= 6 && strncmp(s, "ssh://", 6) == 0) {
		s += 6;
		len -= 6;
	}
	if (target_parse(t, s, len) < 0)
		return ERR_INVALID;
	if (strcmp(t->transport, TARGET_TRANSPORT_SSH) != 0)
		return err_set(ERR_INVALID, "not an ssh host");
	return 0;
}

static int check_jump(const struct pline *p, const char *v)
{
	const char *e = v;
	size_t hops = 0;
	struct target t;

	if (!strcasecmp(v, "none"))
		return 0;
	for (;;) {
		size_t n = strcspn(e, ",");

		if (++hops > SSHCFG_JUMPS_MAX)
			return bad(p, "ProxyJump names more than %d hosts", SSHCFG_JUMPS_MAX);
		if (n == 0 || sshcfg_jump_parse(e, n, &t) < 0)
			return bad_value(p, v, "none, or [user@]host[:port] (ssh:// allowed), comma-separated");
		if (!e[n])
			return 0;
		e += n + 1;
	}
}

/* Match's criteria: [!]all, canonical, final, or [!]NAME ARGUMENT. */
static int check_match(const struct pline *p, char **argv, int argc, bool *final)
{
	static const char *const with_arg[] = { "host", "originalhost", "user", "localuser", "tagged", "exec",
						"localnetwork", "command", "version", "sessiontype", NULL };
	bool all = false;
	int i, k;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i] + (argv[i][0] == '!');

		if (!strcasecmp(a, "all")) {
			all = true;
			continue;
		}
		if (!strcasecmp(a, "canonical") || !strcasecmp(a, "final")) {
			*final = true;
			continue;
		}
		for (k = 0; with_arg[k] && strcasecmp(with_arg[k], a); k++)
			;
		if (!with_arg[k])
			return bad_value(p, argv[i], "a Match criterion: all, canonical, final, host, originalhost, user, "
				   "localuser, tagged or exec, each but the first three with an argument");
		if (i + 1 >= argc)
			return bad(p, "Match %s needs an argument", a);
		i++;
	}
	if (all && argc > 1) {
		for (i = 0; i < argc; i++) {
			const char *a = argv[i] + (argv[i][0] == '!');

			if (strcasecmp(a, "all") && strcasecmp(a, "canonical") && strcasecmp(a, "final"))
				return bad(p, "Match all goes alone (or with canonical or final)");
		}
	}
	return 0;
}

/* Check ARGV against W's kind; sets *NUM for the kinds that have a number. */
static int check_args(const struct pline *p, const struct keyword *w, char **argv, int argc, long *num)
{
	static const char one[] = "one value";
	int f;

	*num = 0;
	switch (w->kind) {
	case K_HOST: case K_INCLUDE: case K_ANY: case K_COMMAND:
		return 0;
	case K_MATCH:
		return check_match(p, argv, argc, &p->c->has_final);
	case K_FILES:
		if (argc > SSHCFG_KNOWN_HOSTS_MAX)
			return bad(p, "%s names more than %d files", p->keyword, SSHCFG_KNOWN_HOSTS_MAX);
		return 0;
	default:
		break;
	}
	if (argc != 1)
		return bad(p, "%s takes %s, found %d", p->keyword, one, argc);
	if (strlen(argv[0]) >= SSHCFG_ALGOS_MAX)
		return bad(p, "%s: a value longer than %d bytes", p->keyword, SSHCFG_ALGOS_MAX - 1);
	switch (w->kind) {
	case K_HOSTNAME:
		return hostname_valid(argv[0]) ? 0 : bad_value(p, argv[0], "a host name or address (%h stands for the name given)");
	case K_USER:
		return user_valid(argv[0]) ? 0 : bad_value(p, argv[0], "a user name: a letter or '_', then up to 31 of [A-Za-z0-9._-]");
	case K_PORT:
		return number(argv[0], 65535, num) && *num > 0 ? 0 : bad_value(p, argv[0], "a port number 1-65535");
	case K_FLAG:
		if ((f = flag_value(argv[0])) < 0)
			return bad_value(p, argv[0], "yes or no");
		*num = f;
		return 0;
	case K_TIME:
		return seconds(argv[0], num) ? 0 : bad_value(p, argv[0], "seconds, like 30, 90s, 1m30s or 2h");
	case K_COUNT:
		return number(argv[0], 1000000, num) ? 0 : bad_value(p, argv[0], "a count, 0 or more");
	case K_STRICT:
		if ((f = flag_value(argv[0])) >= 0 || !strcasecmp(argv[0], "off"))
			*num = f == 1 ? SSHCFG_STRICT_YES : SSHCFG_STRICT_NO;
		else if (!strcasecmp(argv[0], "accept-new"))
			*num = SSHCFG_STRICT_ACCEPT_NEW;
		else if (!strcasecmp(argv[0], "ask"))
			*num = SSHCFG_STRICT_ASK;
		else
			return bad_value(p, argv[0], "yes, accept-new, no, off or ask");
		return 0;
	case K_JUMP:
		return check_jump(p, argv[0]);
	case K_IGNORE_UNKNOWN:
		free(p->c->ignore);
		if (!(p->c->ignore = strdup(argv[0])))
			return err_set(ERR_NOMEM, "out of memory");
		return 0;
	default:
		return 0;
	}
}

static int add_file(struct sshcfg *c, const char *file, const char *text, size_t len, bool top);

/* An Include line: hand each argument to the caller, who adds the files it names. */
static int include(const struct pline *p, char **argv, int argc)
{
	struct sshcfg *c = p->c;
	int i, r = 0;

	if (!c->include)
		return bad(p, "Include is not read here");
	if (c->depth >= SSHCFG_INCLUDE_DEPTH)
		return bad(p, "Include nested more than %d deep", SSHCFG_INCLUDE_DEPTH);
	c->depth++;
	for (i = 0; i < argc && r == 0; i++)
		r = c->include(c, argv[i], c->system, c->include_arg);
	c->depth--;
	return r;
}

/* The keyword of a line and where its arguments start (after blanks and one '='). */
static size_t keyword_of(const char *s, size_t len, size_t *args)
{
	size_t k = 0, i;

	while (k < len && s[k] != ' ' && s[k] != '\t' && s[k] != '=' && s[k] != '\f' && s[k] != '\r')
		k++;
	i = k;
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'))
		i++;
	if (i < len && s[i] == '=')
		i++;
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'))
		i++;
	*args = i;
	return k;
}

/* One line (LEN bytes at S, no newline) of file P->file. */
static int add_line(struct pline *p, const char *s, size_t len)
{
	char *argv[ARGS_MAX], kw[64], q[96];
	const struct keyword *w;
	size_t klen, at, i = 0;
	int argc, r;
	long num;

	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f' || s[i] == '\r'))
		i++;
	if (i == len || s[i] == '#')
		return 0;
	s += i;
	len -= i;
	if (memchr(s, '\0', len))
		return bad(p, "a NUL byte in the line");
	klen = keyword_of(s, len, &at);
	snprintf(kw, sizeof(kw), "%.*s", (int)(klen < sizeof(kw) ? klen : sizeof(kw) - 1), s);
	p->keyword = kw;
	w = keyword_find(s, klen);
	if (!w && !keyword_ignored(s, klen)) {
		if (p->c->ignore && klen < sizeof(kw) && sshcfg_wild_list(kw, p->c->ignore, true) == 1)
			return 0;
		err_quote(q, sizeof(q), s, klen);
		return bad(p, "unknown keyword '%s'; expected an OpenSSH client keyword (ssh_config(5)), or name it in "
			   "IgnoreUnknown", q);
	}
	argc = split(s + at, len - at, argv, ARGS_MAX);
	if (argc < 0) {
		if (argc == -1)
			return bad(p, "%s: a quote is not closed", kw);
		return argc == -2 ? err_set(ERR_NOMEM, "out of memory") : bad(p, "more than %d words", ARGS_MAX);
	}
	if (argc == 0) {
		r = bad(p, "%s needs a value", kw);
		goto drop;
	}
	if (!w) {
		r = 0;
		goto drop;
	}
	if ((r = check_args(p, w, argv, argc, &num)) < 0)
		goto drop;
	if (w->kind == K_INCLUDE) {
		r = include(p, argv, argc);
		goto drop;
	}
	if (w->kw == KW_IGNORED)
		goto drop;
	if (w->kind == K_COMMAND)
		num = argc == 1 && !strcasecmp(argv[0], "none");
	{
		char **keep = malloc((size_t)argc * sizeof(*keep));

		if (!keep) {
			r = err_set(ERR_NOMEM, "out of memory");
			goto drop;
		}
		memcpy(keep, argv, (size_t)argc * sizeof(*keep));
		return push(p->c, w->kw, keep, argc, num, p->file, p->line);
	}
drop:
	while (argc > 0)
		free(argv[--argc]);
	return r;
}

static int add_file(struct sshcfg *c, const char *file, const char *text, size_t len, bool top)
{
	struct pline p = { c, 0, 0, NULL };
	size_t off = 0;
	char **files;
	int r;

	if (c->nfiles == c->files_cap) {
		size_t cap = c->files_cap ? c->files_cap * 2 : 4;

		if (!(files = realloc(c->files, cap * sizeof(*files))))
			return err_set(ERR_NOMEM, "out of memory");
		c->files = files;
		c->files_cap = cap;
	}
	if (!(c->files[c->nfiles] = strdup(file)))
		return err_set(ERR_NOMEM, "out of memory");
	p.file = (unsigned)c->nfiles++;
	if ((r = push(c, KW_FILE_BEGIN, NULL, 0, top, p.file, 0)) < 0)
		return r;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;

		p.line++;
		if ((r = add_line(&p, text + off, n)) < 0)
			return r;
		off += n + (nl != NULL);
	}
	return push(c, KW_FILE_END, NULL, 0, top, p.file, p.line);
}

int sshcfg_add(struct sshcfg *c, const char *file, const char *text, size_t len, bool system,
	       sshcfg_include_fn inc, void *arg)
{
	int r;

	c->system = system;
	c->include = inc;
	c->include_arg = arg;
	c->depth = 0;
	r = add_file(c, file, text, len, true);
	c->include = NULL;
	c->include_arg = NULL;
	return r;
}

int sshcfg_add_include(struct sshcfg *c, const char *file, const char *text, size_t len)
{
	return add_file(c, file, text, len, false);
}
