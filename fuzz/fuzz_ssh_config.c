/* Fuzz target for formats/ssh_config: any bytes as an ssh config (with an Include of itself), then hosts resolved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/ssh_config.h"
#include "fuzz.h"
#include "util/err.h"
#include "util/text.h"

#define FILE_NAME "/home/f/.ssh/config"
#define INC_NAME "/home/f/.ssh/inc.conf"

const char *const fuzz_seeds[] = {
	"",
	"Host web\n  HostName 10.0.0.5\n  User alice\n  Port 2222\n",
	"Host *.prod !db*\n\tUser=prod\n\tIdentityFile ~/.ssh/%r@%h:%p\n\tIdentitiesOnly yes\n",
	"Match host 10.* user root\n  ProxyJump j1,ops@j2:2200,ssh://[::1]:23\nMatch all\n  Port 2\n",
	"Match final host *.example.net\n  User f\nHost short\n  HostName %h.example.net\n",
	"Host x\n  Include inc.conf\n  Compression yes\nHost *\n  ConnectTimeout 1m30s\n  ServerAliveInterval 5\n",
	"Include inc.conf\nInclude inc.conf\n",
	"IgnoreUnknown UseKeychain\nUseKeychain yes\nSendEnv LANG LC_*\nStrictHostKeyChecking accept-new\n",
	"UserKnownHostsFile ~/a \"/b c\" none\nGlobalKnownHostsFile /g\nIdentityAgent ${SSH_AUTH_SOCK}\n",
	"ProxyCommand nc %h %p\nProxyJump x\nKexAlgorithms curve25519-sha256\nCiphers aes128-ctr\n",
	"Match exec \"true\"\n User a\n",
	"Match !originalhost web localuser fuzz tagged t\n  Tag t\n  Port 3\n",
	"Port 0\n", "Port 65536\n", "User 1x\n", "ProxyJump a,,b\n", "Host\n", "Match\n", "Frob x\n",
	"IdentityFile \"open\n", "HostName %x\n", "IdentityFile ~bob/k\n", "IdentityFile %C\n",
	"Host " FUZZ_X64("*a") "\n User s\n",
	NULL,
};

static const char *env(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "SSH_AUTH_SOCK") == 0 ? "/run/agent" : NULL;
}

/* The include callback: inc.conf is the input itself (nesting stops at the depth limit). */
struct inc {
	const char *s;
	size_t len;
	int calls;
};

static int include(struct sshcfg *c, const char *pattern, bool system, void *arg)
{
	struct inc *i = arg;

	(void)system;
	if (strcmp(pattern, "inc.conf") != 0 || ++i->calls > 64)
		return 0;
	return sshcfg_add_include(c, INC_NAME, i->s, i->len);
}

static bool user_ok(const char *u)
{
	size_t i, n = strlen(u);

	if (n == 0 || n > TARGET_USER_MAX || (!text_is_alpha((unsigned char)u[0]) && u[0] != '_'))
		return false;
	for (i = 1; i < n; i++)
		if (!text_is_alnum((unsigned char)u[i]) && !strchr("._-", u[i]))
			return false;
	return true;
}

/* An error names a file and a line that exists: "FILE:N: ", printable. */
static void check_error(int r, size_t lines)
{
	const char *m = err_msg();
	unsigned long line = 0;
	const char *p;

	FUZZ_CHECK(r == ERR_INVALID || r == ERR_LIMIT || r == ERR_NOMEM, "unexpected code %d", r);
	FUZZ_CHECK(!fuzz_err_marked(), "no message set");
	FUZZ_CHECK(fuzz_unprintable(m, strlen(m)) == strlen(m), "unprintable message: %s", m);
	if (r == ERR_NOMEM)
		return;
	if (strncmp(m, FILE_NAME ":", sizeof(FILE_NAME)) == 0)
		p = m + sizeof(FILE_NAME);
	else if (strncmp(m, INC_NAME ":", sizeof(INC_NAME)) == 0)
		p = m + sizeof(INC_NAME);
	else
		p = NULL;
	if (!p && r == ERR_INVALID && strncmp(m, "host name", 9) == 0)
		return;
	FUZZ_CHECK(p != NULL, "message does not name the file: %s", m);
	while (text_is_digit((unsigned char)*p))
		line = line * 10 + (unsigned long)(*p++ - '0');
	FUZZ_CHECK(line >= 1 && line <= lines + 1, "line %lu of %zu: %s", line, lines, m);
	FUZZ_CHECK(p[0] == ':' && p[1] == ' ', "no ': ' after the line: %s", m);
}

static void check_host(const struct sshcfg_host *h, const struct sshcfg_query *q)
{
	size_t i;

	FUZZ_CHECK(user_ok(h->user), "bad user '%s'", h->user);
	FUZZ_CHECK(!q->user || strcmp(h->user, q->user) == 0, "given user lost: %s", h->user);
	FUZZ_CHECK(h->port >= 1, "port 0");
	FUZZ_CHECK(!q->port || h->port == q->port, "given port lost: %u", h->port);
	FUZZ_CHECK(h->hostname[0] && strlen(h->hostname) <= TARGET_HOST_MAX, "bad host name");
	FUZZ_CHECK(strcmp(h->name, q->host) == 0, "name changed");
	FUZZ_CHECK(h->nidentity <= SSHCFG_IDENTITIES_MAX && h->nknown_hosts <= SSHCFG_KNOWN_HOSTS_MAX &&
		   h->nglobal_known_hosts <= SSHCFG_KNOWN_HOSTS_MAX && h->njump <= SSHCFG_JUMPS_MAX, "counts");
	FUZZ_CHECK(!h->identity_default || h->nidentity == 7, "default identities");
	FUZZ_CHECK(h->strict >= SSHCFG_STRICT_ASK && h->strict <= SSHCFG_STRICT_NO, "strict %d", (int)h->strict);
	FUZZ_CHECK(h->compression >= -1 && h->compression <= 1, "compression");
	FUZZ_CHECK(h->connect_timeout >= 0 && h->alive_interval >= 0 && h->alive_count_max >= 0, "times");
	FUZZ_CHECK(!(h->proxy_command && h->njump), "both ProxyCommand and ProxyJump");
	FUZZ_CHECK(h->njump == 0 || h->proxy_at.file, "ProxyJump without its line");
	for (i = 0; i < h->njump; i++)
		FUZZ_CHECK(strcmp(h->jump[i].transport, TARGET_TRANSPORT_SSH) == 0 && h->jump[i].host[0], "bad jump %zu", i);
	FUZZ_CHECK(!h->user_at.file || !q->user, "user from the file over a given one");
}

static void resolve_all(const struct sshcfg *c, size_t lines)
{
	static const char *const hosts[] = { "web", "x", "a.prod", "db1.prod", "short", "10.0.0.5" };
	static struct sshcfg_host h, again;
	const struct sshcfg *cs[2] = { c, NULL };
	size_t i, k;

	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		for (k = 0; k < 2; k++) {
			struct sshcfg_query q = { .host = hosts[i], .default_user = "root", .local_user = "fuzz",
						  .home = "/home/f", .local_host = "ctl.example", .uid = 7, .getenv = env };
			int r;

			if (k) {
				q.user = "given";
				q.port = 2022;
			}
			fuzz_err_mark();
			r = sshcfg_resolve(cs, 2, &q, &h);
			if (r < 0) {
				check_error(r, lines);
				continue;
			}
			check_host(&h, &q);
			FUZZ_CHECK(sshcfg_resolve(cs, 2, &q, &again) == 0, "second resolve failed");
			FUZZ_CHECK(memcmp(&h, &again, sizeof(h)) == 0, "not the same twice");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inc inc = { (const char *)data, size, 0 };
	struct sshcfg *c;
	size_t lines = 1, i;
	int r;

	fuzz_begin(data, size);
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (!(c = sshcfg_new()))
		return 0;
	fuzz_err_mark();
	r = sshcfg_add(c, FILE_NAME, (const char *)data, size, false, include, &inc);
	if (r < 0)
		check_error(r, lines);
	else
		resolve_all(c, lines);
	sshcfg_free(c);
	return 0;
}
