/* Unit tests for formats/ssh_config: parsing with file:line errors, and one host's resolution as OpenSSH does it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "formats/ssh_config.h"
#include "util/err.h"

static const char *fake_env(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "KEYS") == 0 ? "/srv/keys" : NULL;
}

static struct sshcfg_query query(const char *host)
{
	return (struct sshcfg_query){ .host = host, .default_user = "root", .local_user = "me", .home = "/home/me",
				      .local_host = "ctl.example.org", .uid = 1000, .getenv = fake_env };
}

/* The last configuration parsed: origins point into it, so it lives until the next one. */
static struct sshcfg *last;

/* Parse TEXT as the one file "F" (a second file "G" when TEXT2), resolve Q into OUT. */
static int resolve2(const char *text, const char *text2, const struct sshcfg_query *q, struct sshcfg_host *out)
{
	struct sshcfg *c;
	const struct sshcfg *cs[1];
	int r;

	sshcfg_free(last);
	last = c = sshcfg_new();
	cs[0] = c;
	assert_non_null(c);
	r = sshcfg_add(c, "F", text, strlen(text), false, NULL, NULL);
	if (r == 0 && text2)
		r = sshcfg_add(c, "G", text2, strlen(text2), true, NULL, NULL);
	if (r == 0)
		r = sshcfg_resolve(cs, 1, q, out);
	return r;
}

static int resolve(const char *text, const struct sshcfg_query *q, struct sshcfg_host *out)
{
	return resolve2(text, NULL, q, out);
}

static struct sshcfg_host *host(void)
{
	static struct sshcfg_host h;

	return &h;
}

static void test_defaults(void **state)
{
	struct sshcfg_query q = query("web");
	struct sshcfg_host *h = host();

	(void)state;
	assert_int_equal(resolve("", &q, h), 0);
	assert_string_equal(h->hostname, "web");
	assert_string_equal(h->user, "root");
	assert_int_equal(h->port, 22);
	assert_null(h->user_at.file);
	assert_true(h->identity_default);
	assert_string_equal(h->identity[0], "/home/me/.ssh/id_rsa");
	assert_int_equal(h->nknown_hosts, 2);
	assert_string_equal(h->known_hosts[0], "/home/me/.ssh/known_hosts");
	assert_string_equal(h->global_known_hosts[0], "/etc/ssh/ssh_known_hosts");
	assert_int_equal(h->strict, SSHCFG_STRICT_ASK);
	assert_int_equal(h->alive_count_max, 3);
	assert_int_equal(h->njump, 0);
	assert_int_equal(h->compression, -1);
}

/* The first value obtained wins, whichever block it is in; Host patterns match the name given. */
static void test_first_wins(void **state)
{
	static const char cfg[] =
		"# a comment\n"
		"Host web\n"
		"  HostName 10.0.0.5\n"
		"  Port=2200\n"
		"Host 10.0.0.5\n"
		"  User never\n"
		"Host w*\n"
		"  User alice\n"
		"  Port 2222\n"
		"Host *\n"
		"  User bob\n"
		"  HostName other\n";
	struct sshcfg_query q = query("web");
	struct sshcfg_host *h = host();

	(void)state;
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_string_equal(h->hostname, "10.0.0.5");
	assert_string_equal(h->user, "alice");
	assert_int_equal(h->port, 2200);
	assert_string_equal(h->user_at.file, "F");
	assert_int_equal(h->user_at.line, 8);
	assert_int_equal(h->port_at.line, 4);
	assert_int_equal(h->hostname_at.line, 3);
	q = query("db");
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_string_equal(h->hostname, "other");
	assert_string_equal(h->user, "bob");
	assert_int_equal(h->port, 22);
}

/* A user or port written with the target beats the config's; the default (root) does not. */
static void test_target_precedence(void **state)
{
	static const char cfg[] = "Host *\n  User alice\n  Port 2222\n";
	struct sshcfg_query q = query("web");
	struct sshcfg_host *h = host();

	(void)state;
	q.user = "deploy";
	q.port = 2022;
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_string_equal(h->user, "deploy");
	assert_int_equal(h->port, 2022);
	assert_null(h->user_at.file);
	q = query("web");
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_string_equal(h->user, "alice");
	assert_int_equal(h->port, 2222);
	q.default_user = "admin";
	assert_int_equal(resolve("", &q, h), 0);
	assert_string_equal(h->user, "admin");
}

static void test_patterns(void **state)
{
	static const char cfg[] =
		"Host *.prod.example.com !db?.prod.example.com\n"
		"  User prod\n"
		"Host web-?? \n"
		"  User two\n"
		"Host !nothing\n"
		"  User neg-only\n"
		"Host *\n"
		"  User other\n";
	static const struct { const char *host, *user; } cases[] = {
		{ "a.prod.example.com", "prod" },
		{ "db1.prod.example.com", "other" },
		{ "db12.prod.example.com", "prod" },
		{ "web-01", "two" },
		{ "web-1", "other" },
		{ "web-001", "other" },
		{ "prod.example.com", "other" },
	};
	struct sshcfg_host *h = host();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sshcfg_query q = query(cases[i].host);

		assert_int_equal(resolve(cfg, &q, h), 0);
		if (strcmp(h->user, cases[i].user) != 0)
			fail_msg("%s: user %s, expected %s", cases[i].host, h->user, cases[i].user);
	}
}

/* Match host sees HostName; originalhost the name given; user the user so far; all and negation. */
static void test_match(void **state)
{
	static const char cfg[] =
		"Host alias\n"
		"  HostName 192.0.2.7\n"
		"Match host 192.0.2.* !originalhost other\n"
		"  Port 2201\n"
		"Match user deploy\n"
		"  IdentityFile ~/.ssh/deploy\n"
		"Match !user deploy host 192.0.2.7\n"
		"  IdentityFile ~/.ssh/not-deploy\n"
		"Match originalhost alias,foo\n"
		"  ConnectTimeout 1m30s\n"
		"Match localuser me\n"
		"  ServerAliveInterval 15\n"
		"Match all\n"
		"  StrictHostKeyChecking accept-new\n";
	struct sshcfg_query q = query("alias");
	struct sshcfg_host *h = host();

	(void)state;
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_string_equal(h->hostname, "192.0.2.7");
	assert_int_equal(h->port, 2201);
	assert_int_equal(h->nidentity, 1);
	assert_string_equal(h->identity[0], "/home/me/.ssh/not-deploy");
	assert_int_equal(h->connect_timeout, 90);
	assert_int_equal(h->connect_timeout_at.line, 10);
	assert_int_equal(h->alive_interval, 15);
	assert_int_equal(h->strict, SSHCFG_STRICT_ACCEPT_NEW);
	q.user = "deploy";
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_int_equal(h->nidentity, 1);
	assert_string_equal(h->identity[0], "/home/me/.ssh/deploy");
	q = query("other");
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_int_equal(h->port, 22);
	assert_int_equal(h->connect_timeout, 0);
}

/* Match final and canonical hold in a second pass, where Host matches the final name. */
static void test_match_final(void **state)
{
	static const char cfg[] =
		"Host short\n"
		"  HostName short.example.net\n"
		"Match final host *.example.net\n"
		"  User finaluser\n"
		"Host *.example.net\n"
		"  Port 2022\n";
	struct sshcfg_query q = query("short");
	struct sshcfg_host *h = host();

	(void)state;
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_string_equal(h->user, "finaluser");
	assert_int_equal(h->port, 2022);
}

/* IdentityFile adds up (with tokens and ~), UserKnownHostsFile takes several files on one line. */
static void test_paths(void **state)
{
	static const char cfg[] =
		"Host h1\n"
		"  HostName %h.example.org\n"
		"  User u1\n"
		"  IdentityFile ~/.ssh/%r@%h:%p\n"
		"  IdentityFile \"${KEYS}/with space\"\n"
		"  UserKnownHostsFile ~/kh1 /etc/kh2 none\n"
		"  IdentityAgent ~/agent.sock\n"
		"Host *\n"
		"  IdentityFile /k/%n-%u-%i-%L-%l-%%\n"
		"  UserKnownHostsFile /never\n";
	struct sshcfg_query q = query("h1");
	struct sshcfg_host *h = host();

	(void)state;
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_string_equal(h->hostname, "h1.example.org");
	assert_false(h->identity_default);
	assert_int_equal(h->nidentity, 3);
	assert_string_equal(h->identity[0], "/home/me/.ssh/u1@h1.example.org:22");
	assert_string_equal(h->identity[1], "/srv/keys/with space");
	assert_string_equal(h->identity[2], "/k/h1-me-1000-ctl-ctl.example.org-%");
	assert_int_equal(h->nknown_hosts, 2);
	assert_string_equal(h->known_hosts[0], "/home/me/kh1");
	assert_string_equal(h->known_hosts[1], "/etc/kh2");
	assert_string_equal(h->agent, "/home/me/agent.sock");
}

static void test_proxy(void **state)
{
	static const char cfg[] =
		"Host a\n"
		"  ProxyJump bastion,ops@jump2:2222,ssh://[::1]:23\n"
		"  ProxyCommand nc %h %p\n"
		"Host b\n"
		"  ProxyCommand ssh -W %h:%p gw\n"
		"  ProxyJump never\n"
		"Host c\n"
		"  ProxyJump none\n"
		"Host *\n"
		"  ProxyJump default-gw\n";
	struct sshcfg_query q = query("a");
	struct sshcfg_host *h = host();

	(void)state;
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_int_equal(h->njump, 3);
	assert_false(h->proxy_command);
	assert_string_equal(h->jump[0].host, "bastion");
	assert_int_equal(h->jump[0].given, 0);
	assert_string_equal(h->jump[1].user, "ops");
	assert_int_equal(h->jump[1].port, 2222);
	assert_int_equal(h->jump[1].given, TARGET_GIVEN_USER | TARGET_GIVEN_PORT);
	assert_string_equal(h->jump[2].host, "::1");
	assert_int_equal(h->proxy_at.line, 2);
	q = query("b");
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_true(h->proxy_command);
	assert_int_equal(h->njump, 0);
	assert_int_equal(h->proxy_at.line, 5);
	q = query("c");
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_false(h->proxy_command);
	assert_int_equal(h->njump, 0);
	q = query("d");
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_int_equal(h->njump, 1);
	assert_string_equal(h->jump[0].host, "default-gw");
}

/* A message must start with "FILE:LINE: " and hold WANT. */
static void assert_bad(const char *text, const char *where, const char *want)
{
	struct sshcfg_query q = query("x");
	int r = resolve(text, &q, host());
	const char *msg = err_msg();

	if (r != ERR_INVALID)
		fail_msg("'%s': returned %d, expected ERR_INVALID", text, r);
	if (strncmp(msg, where, strlen(where)) != 0 || !strstr(msg, want))
		fail_msg("'%s': message \"%s\", expected \"%s...%s\"", text, msg, where, want);
}

static void test_errors(void **state)
{
	(void)state;
	assert_bad("Host x\n  Port 0\n", "F:2: ", "bad Port '0': expected a port number 1-65535");
	assert_bad("\n\nPort abc\n", "F:3: ", "bad Port 'abc'");
	assert_bad("Port 22 23\n", "F:1: ", "Port takes one value, found 2");
	assert_bad("User bad;user\n", "F:1: ", "bad User 'bad;user': expected a user name");
	assert_bad("HostName a;b\n", "F:1: ", "bad HostName");
	assert_bad("ProxyJump a,,b\n", "F:1: ", "bad ProxyJump 'a,,b': expected none, or [user@]host[:port]");
	assert_bad("ProxyJump local\n", "F:1: ", "bad ProxyJump");
	assert_bad("StrictHostKeyChecking maybe\n", "F:1: ", "expected yes, accept-new, no, off or ask");
	assert_bad("ConnectTimeout 10x\n", "F:1: ", "bad ConnectTimeout '10x'");
	assert_bad("IdentitiesOnly sure\n", "F:1: ", "expected yes or no");
	assert_bad("Frobnicate yes\n", "F:1: ", "unknown keyword 'Frobnicate'");
	assert_bad("Port\n", "F:1: ", "Port needs a value");
	assert_bad("IdentityFile \"unclosed\n", "F:1: ", "a quote is not closed");
	assert_bad("Match hots x\n", "F:1: ", "bad Match 'hots'");
	assert_bad("Match host\n", "F:1: ", "Match host needs an argument");
	assert_bad("Match all host x\n", "F:1: ", "Match all goes alone");
	assert_bad("Include x\n", "F:1: ", "Include is not read here");
	/* found while resolving: only when the line is reached */
	assert_bad("Match exec \"true\"\n  User a\n", "F:1: ", "Match exec is not supported");
	assert_bad("IdentityFile ~other/.ssh/id\n", "F:1: ", "~user is not supported");
	assert_bad("IdentityFile /k/%C\n", "F:1: ", "unknown token '%C'");
	assert_bad("IdentityFile ${NOPE}/k\n", "F:1: ", "the environment has no NOPE");
}

/* Unknown keywords pass when IgnoreUnknown names them; OpenSSH's other keywords are read and left alone. */
static void test_ignored(void **state)
{
	static const char cfg[] =
		"IgnoreUnknown UseKeychain,Foo*\n"
		"UseKeychain yes\n"
		"FooBar 1\n"
		"ForwardAgent yes\n"
		"SendEnv LANG LC_*\n"
		"ControlPath ~/.ssh/cm-%r@%h:%p\n";
	struct sshcfg_query q = query("x");

	(void)state;
	assert_int_equal(resolve(cfg, &q, host()), 0);
	/* without the IgnoreUnknown line, UseKeychain is an error */
	assert_bad(cfg + strlen("IgnoreUnknown UseKeychain,Foo*\n"), "F:1: ", "unknown keyword 'UseKeychain'");
}

/* A second top-level file starts active again, and its values come after the first's. */
static void test_two_files(void **state)
{
	struct sshcfg_query q = query("web");
	struct sshcfg_host *h = host();

	(void)state;
	assert_int_equal(resolve2("Host other\n  User x\n", "User sys\nPort 2022\n", &q, h), 0);
	assert_string_equal(h->user, "sys");
	assert_int_equal(h->port, 2022);
	assert_string_equal(h->user_at.file, "G");
	assert_int_equal(h->user_at.line, 1);
}

/* Include: the callback adds the files, which inherit whether the enclosing block applied. */
static int inc_cb(struct sshcfg *c, const char *pattern, bool system, void *arg)
{
	static const char inc1[] = "User from-include\nHost web\n  Port 2300\n";
	static const char inc2[] = "Port 9\nHost *\n  ConnectTimeout 5\n";

	(*(int *)arg)++;
	assert_false(system);
	if (strcmp(pattern, "one.conf") == 0)
		return sshcfg_add_include(c, "/home/me/.ssh/one.conf", inc1, strlen(inc1));
	if (strcmp(pattern, "two.conf") == 0)
		return sshcfg_add_include(c, "/home/me/.ssh/two.conf", inc2, strlen(inc2));
	return err_set(ERR_INVALID, "no %s", pattern);
}

static void test_include(void **state)
{
	static const char cfg[] =
		"Host web\n"
		"  Include one.conf\n"
		"  Compression yes\n"
		"Host nothing\n"
		"  Include two.conf\n"
		"Host *\n"
		"  Port 2400\n";
	struct sshcfg *c = sshcfg_new();
	const struct sshcfg *cs[2] = { NULL, c };
	struct sshcfg_query q = query("web");
	struct sshcfg_host *h = host();
	int calls = 0;

	(void)state;
	assert_int_equal(sshcfg_add(c, "/home/me/.ssh/config", cfg, strlen(cfg), false, inc_cb, &calls), 0);
	assert_int_equal(calls, 2);
	assert_int_equal(sshcfg_resolve(cs, 2, &q, h), 0);
	assert_string_equal(h->user, "from-include");
	assert_string_equal(h->user_at.file, "/home/me/.ssh/one.conf");
	assert_int_equal(h->port, 2300);
	/* back in the including file, the Host web block still applies */
	assert_int_equal(h->compression, 1);
	/* two.conf came from an inactive block: its Host * never matches */
	assert_int_equal(h->connect_timeout, 0);
	sshcfg_free(c);
}

/* Patterns with many stars stay fast (no exponential backtracking). */
static void test_many_stars(void **state)
{
	char cfg[4200], name[250];
	struct sshcfg_query q;
	struct sshcfg_host *h = host();
	size_t i, n = 0;

	(void)state;
	n += (size_t)snprintf(cfg + n, sizeof(cfg) - n, "Host ");
	for (i = 0; i < 2000; i++)
		cfg[n++] = i % 2 ? '*' : 'a';
	n += (size_t)snprintf(cfg + n, sizeof(cfg) - n, "b\n  User star\n");
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	q = query(name);
	assert_int_equal(resolve(cfg, &q, h), 0);
	assert_string_equal(h->user, "root");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_first_wins),
		cmocka_unit_test(test_target_precedence),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_final),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_proxy),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_two_files),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_many_stars),
	};

	int r = cmocka_run_group_tests(tests, NULL, NULL);

	sshcfg_free(last);
	return r;
}
