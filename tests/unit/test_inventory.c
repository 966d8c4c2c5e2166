/* Unit tests for app/inventory: a full chimera.toml, every kind of error with its place, and the add/rm edits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/config/inventory.h"
#include "check.h"
#include "core/healthspec.h"
#include "core/profile.h"
#include "formats/toml.h"
#include "util/buf.h"
#include "util/err.h"

#define PATH "/etc/fleet/chimera.toml"

static void parse_ok(const char *path, const char *s, size_t len, struct inventory *inv)
{
	inventory_init(inv);
	err_clear();
	if (inventory_parse(path, s, len, inv) != 0)
		fail_msg("rejected: %s\n---\n%.*s", err_msg(), (int)len, s);
}

static const struct inv_machine *find(const struct inventory *inv, const char *name)
{
	const struct inv_machine *m = inventory_find(inv, name);

	if (m == NULL)
		fail_msg("no machine '%s'", name);
	return m;
}

static void assert_target(const struct inv_machine *m, const char *want)
{
	char got[TARGET_FORMAT_MAX];

	assert_int_equal(target_format(&m->target, got, sizeof(got)), 0);
	assert_string_equal(got, want);
}

static const char full[] =
	"# the fleet\n"						/* 1 */
	"[machines.web-1]   # first\n"				/* 2 */
	"target = \"10.0.0.1\"\n"				/* 3 */
	"tags = [\"web\", \"eu\"]\n"				/* 4 */
	"checks = [\"http:http://{host}/health=200\", \"cmd:true\"]\n"	/* 5 */
	"\n"							/* 6 */
	"# the second one\n"					/* 7 */
	"[machines.web-2]\n"					/* 8 */
	"target = \"deploy@[2001:DB8::1]:2222\"\n"		/* 9 */
	"tags = [\"web\"]\n"					/* 10 */
	"ssh_options = [\"StrictHostKeyChecking=no\", \"ConnectTimeout=5\"]\n"	/* 11 */
	"config = \"hosts/../hosts/./web-2.nix\"\n"		/* 12 */
	"attr = \"nixosConfigurations.web2\"\n"			/* 13 */
	"\n"							/* 14 */
	"[machines.\"db.1\"]\n"					/* 15 */
	"target = \"db.example.com:2200\"\n"			/* 16 */
	"flake = \"github:me/fleet#db\"\n"			/* 17 */
	"profile = \"/nix/var/nix/profiles/db\"\n"		/* 18 */
	"activation = \"none\"\n"				/* 19 */
	"# after db\n"						/* 20 */
	"\n"							/* 21 */
	"[machines.cache]\n"					/* 22 */
	"target = \"admin@Cache.Example.com\"\n"		/* 23 */
	"flake = \".#cache\"\n"					/* 24 */
	"[machines.v6]\n"					/* 25 */
	"target = \"[::1]\"\n"					/* 26 */
	"config = \"/abs/v6.nix\"\n"				/* 27 */
	"\n"							/* 28 */
	"[defaults]   # after the machines: still applies to them\n"	/* 29 */
	"user = \"ops\"\n"					/* 30 */
	"port = 2022\n"						/* 31 */
	"parallel = 8\n"					/* 32 */
	"connect_timeout = 30\n"				/* 33 */
	"activation = \"switch-to-configuration switch\"\n"	/* 34 */
	"checks = [\"tcp:{host}:22\"]\n";			/* 35 */

static void test_defaults(void **state)
{
	struct inventory inv;

	inventory_init(&inv);
	assert_string_equal(inv.path, "");
	assert_string_equal(inv.defaults.user, "root");
	assert_int_equal(inv.defaults.port, 22);
	assert_string_equal(inv.defaults.profile, PROFILE_DEFAULT);
	assert_string_equal(inv.defaults.activation, "auto");
	assert_int_equal(inv.defaults.parallel, 64);
	assert_int_equal(inv.defaults.connect_timeout, 10);
	assert_null(inv.defaults.checks);
	assert_int_equal(inv.defaults.nchecks, 0);
	assert_int_equal(inv.defaults.user_from, INV_FROM_DEFAULT);
	assert_int_equal(inv.defaults.port_from, INV_FROM_DEFAULT);
	assert_int_equal(inv.defaults.profile_from, INV_FROM_DEFAULT);
	assert_int_equal(inv.defaults.activation_from, INV_FROM_DEFAULT);
	assert_int_equal(inv.defaults.parallel_from, INV_FROM_DEFAULT);
	assert_int_equal(inv.defaults.connect_timeout_from, INV_FROM_DEFAULT);
	assert_int_equal(inv.defaults.checks_from, INV_FROM_DEFAULT);
	assert_int_equal(inv.n, 0);
	assert_null(inventory_find(&inv, "x"));
	assert_string_equal(inv_source_name(INV_FROM_DEFAULT), "default");
	assert_string_equal(inv_source_name(INV_FROM_FILE), "file");
	assert_string_equal(inv_source_name(INV_FROM_ENV), "env");
	assert_string_equal(inv_source_name(INV_FROM_FLAG), "flag");
	inventory_release(&inv);

	/* an empty file is an empty fleet with the built-in defaults */
	parse_ok(PATH, "", 0, &inv);
	assert_int_equal(inv.n, 0);
	assert_string_equal(inv.path, PATH);
	assert_int_equal(inv.defaults.port_from, INV_FROM_DEFAULT);
	inventory_release(&inv);
}

static void test_full(void **state)
{
	struct inventory inv;
	const struct inv_machine *m;

	parse_ok(PATH, LIT(full), &inv);
	assert_string_equal(inv.path, PATH);
	assert_int_equal(inv.n, 5);

	assert_string_equal(inv.defaults.user, "ops");
	assert_int_equal(inv.defaults.user_from, INV_FROM_FILE);
	assert_int_equal(inv.defaults.port, 2022);
	assert_int_equal(inv.defaults.port_from, INV_FROM_FILE);
	assert_int_equal(inv.defaults.parallel, 8);
	assert_int_equal(inv.defaults.parallel_from, INV_FROM_FILE);
	assert_int_equal(inv.defaults.connect_timeout, 30);
	assert_int_equal(inv.defaults.connect_timeout_from, INV_FROM_FILE);
	assert_string_equal(inv.defaults.activation, "switch-to-configuration switch");
	assert_int_equal(inv.defaults.activation_from, INV_FROM_FILE);
	assert_string_equal(inv.defaults.profile, PROFILE_DEFAULT);
	assert_int_equal(inv.defaults.profile_from, INV_FROM_DEFAULT);
	assert_int_equal(inv.defaults.nchecks, 1);
	assert_int_equal(inv.defaults.checks[0].kind, HEALTH_TCP);
	assert_string_equal(inv.defaults.checks[0].host, "{host}");
	assert_int_equal(inv.defaults.checks[0].port, 22);
	assert_int_equal(inv.defaults.checks_from, INV_FROM_FILE);

	/* file order */
	assert_string_equal(inv.machines[0].name, "web-1");
	assert_string_equal(inv.machines[1].name, "web-2");
	assert_string_equal(inv.machines[2].name, "db.1");
	assert_string_equal(inv.machines[3].name, "cache");
	assert_string_equal(inv.machines[4].name, "v6");

	/* IPv4 without user or port: both from [defaults], which comes later in the file */
	m = find(&inv, "web-1");
	assert_int_equal(m->line, 2);
	assert_target(m, "ops@10.0.0.1:2022");
	assert_int_equal(m->target.kind, TARGET_HOST_IPV4);
	assert_int_equal(m->ntags, 2);
	assert_string_equal(m->tags[0], "web");
	assert_string_equal(m->tags[1], "eu");
	assert_int_equal(m->nchecks, 2);
	assert_int_equal(m->checks[0].kind, HEALTH_HTTP);
	assert_string_equal(m->checks[0].url, "http://{host}/health");
	assert_int_equal(m->checks[0].want_status, 200);
	assert_int_equal(m->checks[1].kind, HEALTH_CMD);
	assert_string_equal(m->checks[1].cmd, "true");
	assert_null(m->profile);
	assert_null(m->activation);
	assert_null(m->config_file);
	assert_null(m->flake);
	assert_int_equal(m->nssh_options, 0);

	/* IPv6 with user and port: nothing from [defaults] */
	m = find(&inv, "web-2");
	assert_int_equal(m->line, 8);
	assert_target(m, "deploy@[2001:db8::1]:2222");
	assert_int_equal(m->target.kind, TARGET_HOST_IPV6);
	assert_int_equal(m->ntags, 1);
	assert_int_equal(m->nssh_options, 2);
	assert_string_equal(m->ssh_options[0], "StrictHostKeyChecking=no");
	assert_string_equal(m->ssh_options[1], "ConnectTimeout=5");
	assert_string_equal(m->config_file, "/etc/fleet/hosts/web-2.nix");
	assert_string_equal(m->config_attr, "nixosConfigurations.web2");
	assert_null(m->flake);
	assert_int_equal(m->nchecks, 0);

	/* host name with a port, a dotted name, flake, profile, activation */
	m = find(&inv, "db.1");
	assert_int_equal(m->line, 15);
	assert_target(m, "ops@db.example.com:2200");
	assert_int_equal(m->target.kind, TARGET_HOST_NAME);
	assert_int_equal(m->ntags, 0);
	assert_string_equal(m->flake, "github:me/fleet#db");
	assert_null(m->config_file);
	assert_string_equal(m->profile, "/nix/var/nix/profiles/db");
	assert_string_equal(m->activation, "none");

	/* user without port; a flake beside chimera.toml made absolute */
	m = find(&inv, "cache");
	assert_target(m, "admin@cache.example.com:2022");
	assert_string_equal(m->flake, "path:/etc/fleet#cache");

	/* bracketed IPv6 without port: the defaults' port, not a ':' inside the address */
	m = find(&inv, "v6");
	assert_int_equal(m->line, 25);
	assert_target(m, "ops@[::1]:2022");
	assert_string_equal(m->config_file, "/abs/v6.nix");

	assert_null(inventory_find(&inv, "web"));
	assert_null(inventory_find(&inv, "WEB-1"));
	inventory_release(&inv);
	assert_int_equal(inv.n, 0);
	assert_null(inv.machines);
}

static void test_relative_path(void **state)
{
	static const char src[] = "[machines.a]\ntarget = \"h\"\nconfig = \"../nix/a.nix\"\n"
				  "[machines.b]\ntarget = \"h2\"\nconfig = \"b.nix\"\n";
	struct inventory inv;
	char cwd[4096], want[4200];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	/* a relative PATH: its directory is under the working directory */
	parse_ok("fleet/prod/chimera.toml", LIT(src), &inv);
	snprintf(want, sizeof(want), "%s/fleet/nix/a.nix", strcmp(cwd, "/") ? cwd : "");
	assert_string_equal(find(&inv, "a")->config_file, want);
	inventory_release(&inv);

	parse_ok("chimera.toml", LIT(src), &inv);
	snprintf(want, sizeof(want), "%s/b.nix", strcmp(cwd, "/") ? cwd : "");
	assert_string_equal(find(&inv, "b")->config_file, want);
	/* target without user and port and no [defaults]: the built-in ones */
	assert_target(find(&inv, "a"), "root@h:22");
	inventory_release(&inv);
}

/* Parsing S must fail with CODE and exactly the message WANT. */
static void expect_err(const char *s, int code, const char *want)
{
	struct inventory inv;
	int r;

	inventory_init(&inv);
	err_clear();
	r = inventory_parse("chimera.toml", s, strlen(s), &inv);
	if (r != code)
		fail_msg("got %d (%s), want %d for:\n%s", r, err_msg(), code, s);
	assert_string_equal(err_msg(), want);
	/* left empty with the built-in defaults */
	assert_int_equal(inv.n, 0);
	assert_null(inv.machines);
	assert_null(inv.defaults.checks);
	assert_string_equal(inv.defaults.user, "root");
	inventory_release(&inv);
}

static void test_errors_keys(void **state)
{
	expect_err("[defaults]\nuser = \"ops\"\n\n[machines.web-1]\ntarget = \"h1\"\n\ntagz = [\"a\"]\n", ERR_INVALID,
		   "chimera.toml:7:1: unknown key 'tagz' in [machines.web-1]; expected one of target, tags, profile, "
		   "activation, goal, sudo, sudo_command, checks, ssh_options, sessions, secrets_owner, config, attr, flake");
	expect_err("[defaults]\n  users = \"ops\"\n", ERR_INVALID,
		   "chimera.toml:2:3: unknown key 'users' in [defaults]; expected one of user, port, profile, "
		   "activation, goal, sudo, sudo_command, parallel, connect_timeout, checks, secrets_owner");
	expect_err("[defaults]\nuser = \"x\"\n\n[machine.web]\ntarget = \"h\"\n", ERR_INVALID,
		   "chimera.toml:4:2: unknown table 'machine'; expected [defaults] or [machines.NAME]");
	expect_err("# top\nname = \"prod\"\n", ERR_INVALID,
		   "chimera.toml:2:1: unknown key 'name'; expected [defaults] or [machines.NAME]");
	expect_err("[machines.a]\ntarget = \"h\"\n[machines.a.sub]\nx = 1\n", ERR_INVALID,
		   "chimera.toml:3:13: unknown key 'sub' in [machines.a]; expected one of target, tags, profile, "
		   "activation, goal, sudo, sudo_command, checks, ssh_options, sessions, secrets_owner, config, attr, flake");
}

/* goal, sudo and sudo_command: in [defaults] and per machine, checked. */
static void test_goal_and_sudo(void **state)
{
	static const char text[] = "[defaults]\n"
				   "goal = \"boot\"\n"
				   "sudo_command = \"/usr/bin/doas -n\"\n"
				   "[machines.a]\n"
				   "target = \"ops@h1\"\n"
				   "sudo = true\n"
				   "goal = \"test\"\n"
				   "[machines.b]\n"
				   "target = \"h2\"\n"
				   "sudo_command = \"sudo -n -u root\"\n";
	struct inventory inv;
	const struct inv_machine *a, *b;

	(void)state;
	parse_ok("chimera.toml", text, strlen(text), &inv);
	a = find(&inv, "a");
	b = find(&inv, "b");
	assert_string_equal(inventory_goal(&inv, a, NULL), "test");
	assert_string_equal(inventory_goal(&inv, b, NULL), "boot");
	assert_string_equal(inventory_goal(&inv, a, "switch"), "switch");
	assert_true(inventory_sudo(&inv, a, 0));
	assert_false(inventory_sudo(&inv, b, 0));
	assert_true(inventory_sudo(&inv, b, 1));
	assert_string_equal(inventory_sudo_command(&inv, a), "/usr/bin/doas -n");
	assert_string_equal(inventory_sudo_command(&inv, b), "sudo -n -u root");
	inventory_release(&inv);

	expect_err("[defaults]\ngoal = \"reboot\"\n", ERR_INVALID,
		   "chimera.toml:2:8: 'reboot' is not a goal: expected switch, boot, test or dry-activate in 'goal' in "
		   "[defaults]");
	expect_err("[machines.a]\ntarget = \"h\"\nsudo = \"yes\"\n", ERR_INVALID,
		   "chimera.toml:3:8: 'sudo' in [machines.a] must be true or false, found a string");
	expect_err("[machines.a]\ntarget = \"h\"\nsudo_command = \"sudo; rm -rf /\"\n", ERR_INVALID,
		   "chimera.toml:3:16: 'sudo; rm -rf /' is not a sudo command: expected words of letters, digits and "
		   "._/=:+- separated by single spaces, such as \"sudo -n\" or \"/usr/bin/doas -n\" (at most 255 "
		   "bytes) in 'sudo_command' in [machines.a]");
}

/* Declared sessions and the owner of pushed secrets. */
static void test_sessions_owner(void **state)
{
	static const char text[] = "[defaults]\n"
				   "secrets_owner = \"app:www-data\"\n"
				   "[machines.a]\n"
				   "target = \"h1\"\n"
				   "sessions = { logger = \"tail -F /var/log/app\", \"q_1\" = \"sleep 9\" }\n"
				   "secrets_owner = \"1000\"\n"
				   "[machines.b]\n"
				   "target = \"h2\"\n"
				   "[machines.b.sessions]\n"
				   "web = \"python3 -m http.server\"\n";
	struct inventory inv;
	const struct inv_machine *m;

	(void)state;
	parse_ok("chimera.toml", text, strlen(text), &inv);
	assert_string_equal(inv.defaults.secrets_owner, "app:www-data");
	m = find(&inv, "a");
	assert_int_equal(m->nsessions, 2);
	assert_string_equal(m->sessions[0].name, "logger");
	assert_string_equal(m->sessions[0].command, "tail -F /var/log/app");
	assert_string_equal(m->sessions[1].name, "q_1");
	assert_string_equal(m->secrets_owner, "1000");
	m = find(&inv, "b");
	assert_int_equal(m->nsessions, 1);
	assert_string_equal(m->sessions[0].command, "python3 -m http.server");
	assert_null(m->secrets_owner);
	inventory_release(&inv);
	inventory_init(&inv);
	assert_string_equal(inv.defaults.secrets_owner, "");
	inventory_release(&inv);

	expect_err("[machines.a]\ntarget = \"h\"\nsessions = [\"x\"]\n", ERR_INVALID,
		   "chimera.toml:3:12: 'sessions' in [machines.a] must be a table of NAME = \"COMMAND\" (NAME: "
		   "[A-Za-z0-9][A-Za-z0-9_-]*, at most 64), found an array");
	expect_err("[machines.a]\ntarget = \"h\"\nsessions = { \"-x\" = \"true\" }\n", ERR_INVALID,
		   "chimera.toml:3:14: bad session name '-x' in 'sessions' in [machines.a]; expected a table of NAME = "
		   "\"COMMAND\" (NAME: [A-Za-z0-9][A-Za-z0-9_-]*, at most 64)");
	expect_err("[machines.a]\ntarget = \"h\"\nsessions = { \"a.b\" = \"true\" }\n", ERR_INVALID,
		   "chimera.toml:3:14: bad session name 'a.b' in 'sessions' in [machines.a]; expected a table of NAME = "
		   "\"COMMAND\" (NAME: [A-Za-z0-9][A-Za-z0-9_-]*, at most 64)");
	expect_err("[machines.a]\ntarget = \"h\"\nsessions = { x = \"\" }\n", ERR_INVALID,
		   "chimera.toml:3:18: 'sessions' in [machines.a] must be a command string, found an empty string");
	expect_err("[machines.a]\ntarget = \"h\"\nsecrets_owner = \"root:wheel:x\"\n", ERR_INVALID,
		   "chimera.toml:3:17: bad owner 'root:wheel:x': expected USER or USER:GROUP, each a name ([A-Za-z_] then "
		   "[A-Za-z0-9_.-]) or a number in 'secrets_owner' in [machines.a]");
	expect_err("[defaults]\nsecrets_owner = \"-x\"\n", ERR_INVALID,
		   "chimera.toml:2:17: bad owner '-x': expected USER or USER:GROUP, each a name ([A-Za-z_] then "
		   "[A-Za-z0-9_.-]) or a number in 'secrets_owner' in [defaults]");
}

/* inventory_find_target: by user, host and port, through the sorted index. */
static void test_find_target(void **state)
{
	static const char text[] = "[machines.c]\ntarget = \"ops@h2:2222\"\n"
				   "[machines.a]\ntarget = \"h2\"\n"
				   "[machines.b]\ntarget = \"h1\"\n";
	struct inventory inv;
	struct target t;

	(void)state;
	parse_ok("chimera.toml", text, strlen(text), &inv);
	assert_int_equal(target_parse(&t, "root@h2:22", 10), 0);
	assert_string_equal(inventory_find_target(&inv, &t)->name, "a");
	assert_int_equal(target_parse(&t, "h1", 2), 0);
	assert_string_equal(inventory_find_target(&inv, &t)->name, "b");
	assert_int_equal(target_parse(&t, "ops@h2:2222", 11), 0);
	assert_string_equal(inventory_find_target(&inv, &t)->name, "c");
	assert_int_equal(target_parse(&t, "ops@h2:22", 9), 0);
	assert_null(inventory_find_target(&inv, &t));
	assert_int_equal(target_parse(&t, "h2:2222", 7), 0);
	assert_null(inventory_find_target(&inv, &t));
	inventory_release(&inv);
	assert_null(inventory_find_target(&inv, &t));
}

/* A fake environment: NAME=VALUE pairs. */
static const char *fake_get(const char *name, void *arg)
{
	const char *const *kv = arg;

	for (; kv[0]; kv += 2)
		if (strcmp(kv[0], name) == 0)
			return kv[1];
	return NULL;
}

/* Flags over CHIMERA_* variables over the file over built-in defaults, and each machine's own. */
static void test_precedence(void **state)
{
	static const char text[] = "[defaults]\n"
				   "profile = \"/nix/var/nix/profiles/file\"\n"
				   "parallel = 8\n"
				   "[machines.a]\n"
				   "target = \"h1\"\n"
				   "profile = \"/nix/var/nix/profiles/a\"\n"
				   "activation = \"none\"\n"
				   "[machines.b]\n"
				   "target = \"h2\"\n";
	const char *none[] = { NULL };
	const char *env[] = { "CHIMERA_PROFILE", "/nix/var/nix/profiles/env", "CHIMERA_CONNECT_TIMEOUT", "7",
			      "CHIMERA_USER", "", NULL };
	const char *bad[] = { "CHIMERA_PARALLEL", "9000", NULL };
	const char *badprof[] = { "CHIMERA_PROFILE", "rel", NULL };
	struct inv_env e = { fake_get, (void *)none };
	struct inventory inv;
	const struct inv_machine *a, *b;

	(void)state;
	/* No variables: the file's, and each machine's own over it. */
	parse_ok("chimera.toml", text, strlen(text), &inv);
	assert_int_equal(inventory_apply_env(&inv, &e), 0);
	a = find(&inv, "a");
	b = find(&inv, "b");
	assert_int_equal(inv.defaults.profile_from, INV_FROM_FILE);
	assert_int_equal(inv.defaults.connect_timeout_from, INV_FROM_DEFAULT);
	assert_string_equal(inventory_profile(&inv, a, NULL), "/nix/var/nix/profiles/a");
	assert_string_equal(inventory_profile(&inv, b, NULL), "/nix/var/nix/profiles/file");
	assert_string_equal(inventory_profile(&inv, NULL, NULL), "/nix/var/nix/profiles/file");
	assert_string_equal(inventory_activation(&inv, a, NULL), "none");
	assert_string_equal(inventory_activation(&inv, b, NULL), "auto");
	/* A flag over everything. */
	assert_string_equal(inventory_profile(&inv, a, "/nix/var/nix/profiles/flag"), "/nix/var/nix/profiles/flag");
	assert_string_equal(inventory_activation(&inv, a, "auto"), "auto");
	inventory_release(&inv);

	/* Variables over the file, and over a machine's own (they set every node's); empty ones are unset. */
	parse_ok("chimera.toml", text, strlen(text), &inv);
	e.arg = (void *)env;
	assert_int_equal(inventory_apply_env(&inv, &e), 0);
	a = find(&inv, "a");
	assert_int_equal(inv.defaults.profile_from, INV_FROM_ENV);
	assert_string_equal(inv.defaults.profile, "/nix/var/nix/profiles/env");
	assert_int_equal(inv.defaults.connect_timeout, 7);
	assert_int_equal(inv.defaults.connect_timeout_from, INV_FROM_ENV);
	assert_int_equal(inv.defaults.parallel, 8);
	assert_int_equal(inv.defaults.parallel_from, INV_FROM_FILE);
	assert_string_equal(inv.defaults.user, "root");
	assert_int_equal(inv.defaults.user_from, INV_FROM_DEFAULT);
	assert_string_equal(inventory_profile(&inv, a, NULL), "/nix/var/nix/profiles/env");
	assert_string_equal(inventory_activation(&inv, a, NULL), "none");
	assert_string_equal(inventory_profile(&inv, a, "/nix/var/nix/profiles/flag"), "/nix/var/nix/profiles/flag");
	inventory_release(&inv);

	/* A bad variable is named. */
	parse_ok("chimera.toml", text, strlen(text), &inv);
	e.arg = (void *)bad;
	assert_int_equal(inventory_apply_env(&inv, &e), ERR_INVALID);
	assert_string_equal(err_msg(), "CHIMERA_PARALLEL='9000': expected a whole number from 1 to 4096");
	e.arg = (void *)badprof;
	assert_int_equal(inventory_apply_env(&inv, &e), ERR_INVALID);
	assert_true(strncmp(err_msg(), "CHIMERA_PROFILE: ", 17) == 0);
	inventory_release(&inv);
}

static void test_errors_types(void **state)
{
	expect_err("[defaults]\nport = \"22\"\n", ERR_INVALID,
		   "chimera.toml:2:8: 'port' in [defaults] must be an integer 1-65535, found a string");
	expect_err("[machines.a]\ntarget = 10\n", ERR_INVALID,
		   "chimera.toml:2:10: 'target' in [machines.a] must be a string [user@]host[:port], found an integer");
	expect_err("[machines.a]\ntarget = \"h\"\ntags = \"web\"\n", ERR_INVALID,
		   "chimera.toml:3:8: 'tags' in [machines.a] must be an array of tag strings, each [A-Za-z0-9] then "
		   "[A-Za-z0-9._-], found a string");
	expect_err("[machines.a]\ntarget = \"h\"\ntags = [\"web\", 1]\n", ERR_INVALID,
		   "chimera.toml:3:16: 'tags' in [machines.a] must be an array of tag strings, each [A-Za-z0-9] then "
		   "[A-Za-z0-9._-], found an integer");
	expect_err("defaults = 1\n", ERR_INVALID,
		   "chimera.toml:1:12: 'defaults' must be a table [defaults], found an integer");
	expect_err("machines = [1]\n", ERR_INVALID,
		   "chimera.toml:1:12: 'machines' must be a table, found an array; expected [machines.NAME] tables");
	expect_err("[machines]\nweb = \"h\"\n", ERR_INVALID,
		   "chimera.toml:2:7: machine 'web' must be a table, found a string; expected [machines.web] with "
		   "target = \"[user@]host[:port]\"");
	expect_err("[machines.a]\ntarget = \"h\"\nactivation = \"\"\n", ERR_INVALID,
		   "chimera.toml:3:14: 'activation' in [machines.a] must be a string: auto, none or a command, found an "
		   "empty string");
}

static void test_errors_values(void **state)
{
	char msg[1024];
	struct health_spec hs;

	/* names */
	expect_err("[machines.ok]\ntarget = \"h\"\n[machines.\"web 1\"]\ntarget = \"h2\"\n", ERR_INVALID,
		   "chimera.toml:3:11: bad machine name 'web 1'; expected [A-Za-z0-9] then up to 62 of [A-Za-z0-9._-]");
	expect_err("[machines._a]\ntarget = \"h\"\n", ERR_INVALID,
		   "chimera.toml:1:11: bad machine name '_a'; expected [A-Za-z0-9] then up to 62 of [A-Za-z0-9._-]");
	expect_err("[machines.a234567890123456789012345678901234567890123456789012345678901234]\ntarget = \"h\"\n",
		   ERR_INVALID,
		   "chimera.toml:1:11: bad machine name 'a234567890123456789012345678901234567890123456789012345678901234'; "
		   "expected [A-Za-z0-9] then up to 62 of [A-Za-z0-9._-]");

	/* targets */
	expect_err("[machines.a]\ntarget = \"root@@h\"\n", ERR_INVALID,
		   "chimera.toml:2:10: 'target' in [machines.a]: bad target 'root@@h': expected [user@]host[:port]");
	expect_err("[machines.a]\ntarget = \"h:0\"\n", ERR_INVALID,
		   "chimera.toml:2:10: 'target' in [machines.a]: bad target 'h:0': bad port, 1-65535 allowed; "
		   "expected [user@]host[:port]");
	expect_err("[machines.a]\ntags = []\n", ERR_INVALID,
		   "chimera.toml:1:1: [machines.a] has no target; expected target = \"[user@]host[:port]\"");
	expect_err("[machines.a]\ntarget = \"10.0.0.1\"\n\n[machines.b]\ntarget = \"root@10.0.0.1:22\"\n", ERR_INVALID,
		   "chimera.toml:5:10: machine 'b' has the same target root@10.0.0.1:22 as machine 'a' (line 1); "
		   "expected one machine per target");
	/* the same place only once [defaults] (below) fills in user and port */
	expect_err("[machines.a]\ntarget = \"ops@h:2022\"\n[machines.b]\ntarget = \"H\"\n[defaults]\nuser = \"ops\"\n"
		   "port = 2022\n", ERR_INVALID,
		   "chimera.toml:4:10: machine 'b' has the same target ops@h:2022 as machine 'a' (line 1); "
		   "expected one machine per target");

	/* ports and ranges */
	expect_err("[defaults]\nport = 70000\n", ERR_INVALID,
		   "chimera.toml:2:8: 'port' in [defaults] must be an integer 1-65535, found 70000");
	expect_err("[defaults]\nport = 0\n", ERR_INVALID,
		   "chimera.toml:2:8: 'port' in [defaults] must be an integer 1-65535, found 0");
	expect_err("[defaults]\nparallel = 4097\n", ERR_INVALID,
		   "chimera.toml:2:12: 'parallel' in [defaults] must be an integer 1-4096, found 4097");
	expect_err("[defaults]\nconnect_timeout = -1\n", ERR_INVALID,
		   "chimera.toml:2:19: 'connect_timeout' in [defaults] must be an integer 1-3600, found -1");
	expect_err("[defaults]\nuser = \"1ops\"\n", ERR_INVALID,
		   "chimera.toml:2:8: 'user' in [defaults] must be a user name: a letter or '_' then up to 31 of "
		   "[A-Za-z0-9._-]");

	/* config, attr, flake */
	expect_err("[machines.a]\ntarget = \"h\"\nattr = \"web\"\n", ERR_INVALID,
		   "chimera.toml:3:1: 'attr' in [machines.a] needs 'config': it names an attribute of the config file");
	expect_err("[machines.a]\ntarget = \"h\"\nconfig = \"a.nix\"\nflake = \"github:o/r#a\"\n", ERR_INVALID,
		   "chimera.toml:4:1: 'flake' and 'config' in [machines.a] exclude each other; expected one of them");
	expect_err("[machines.a]\ntarget = \"h\"\nconfig = \"a.conf\"\n", ERR_INVALID,
		   "chimera.toml:3:10: 'config' in [machines.a] must be a path ending in .nix");
	expect_err("[machines.a]\ntarget = \"h\"\nflake = \"github:o/r\"\n", ERR_INVALID,
		   "chimera.toml:3:9: 'flake' in [machines.a] must be REF#ATTR, with the attribute after '#'");

	/* tags and ssh options */
	expect_err("[machines.a]\ntarget = \"h\"\ntags = [\"web\", \"db\", \"web\"]\n", ERR_INVALID,
		   "chimera.toml:3:22: duplicate tag 'web' in 'tags' in [machines.a]");
	expect_err("[machines.a]\ntarget = \"h\"\ntags = [\"-web\"]\n", ERR_INVALID,
		   "chimera.toml:3:9: bad tag '-web' in 'tags' in [machines.a]; expected [A-Za-z0-9] then [A-Za-z0-9._-]");
	expect_err("[machines.a]\ntarget = \"h\"\nssh_options = [\"Port 22\"]\n", ERR_INVALID,
		   "chimera.toml:3:16: bad ssh option 'Port 22' in 'ssh_options' in [machines.a]; expected "
		   "\"Key=Value\" with an alphanumeric Key");
	expect_err("[machines.a]\ntarget = \"h\"\nssh_options = [\"Compression=yes\", \"ForwardX11=yes\"]\n", ERR_INVALID,
		   "chimera.toml:3:35: unknown ssh option 'ForwardX11' in 'ssh_options' in [machines.a]; expected one of "
		   "BindAddress, Ciphers, Compression, ConnectTimeout, GlobalKnownHostsFile, HostKeyAlgorithms, "
		   "Hostname, IdentitiesOnly, IdentityAgent, IdentityFile, KbdInteractiveAuthentication, "
		   "KexAlgorithms, LogLevel, MACs, PasswordAuthentication, Port, PreferredAuthentications, "
		   "ProxyCommand, ProxyJump, PubkeyAcceptedAlgorithms, PubkeyAuthentication, RekeyLimit, "
		   "ServerAliveCountMax, ServerAliveInterval, StrictHostKeyChecking, User, UserKnownHostsFile");
	expect_err("[machines.a]\ntarget = \"h\"\nprofile = \"relative/p\"\n", ERR_INVALID,
		   "chimera.toml:3:11: 'profile' in [machines.a]: profile path 'relative/p' is not absolute; "
		   "expected a path like /nix/var/nix/profiles/system");

	/* a bad check carries health_spec_parse's own message */
	assert_int_equal(health_spec_parse("tcp:host", &hs), ERR_INVALID);
	snprintf(msg, sizeof(msg), "chimera.toml:3:23: 'checks' in [machines.a]: %s", err_msg());
	expect_err("[machines.a]\ntarget = \"h\"\nchecks = [\"cmd:true\", \"tcp:host\"]\n", ERR_INVALID, msg);
}

static void test_errors_syntax(void **state)
{
	static const char src[] = "[machines.a]\ntarget = \n";
	struct toml_doc *doc = NULL;
	char want[1024];

	assert_int_equal(toml_parse(LIT(src), &doc), ERR_INVALID);
	assert_true(strncmp(err_msg(), "2:", 2) == 0);
	snprintf(want, sizeof(want), "chimera.toml:%s", err_msg());
	expect_err(src, ERR_INVALID, want);
}

static void test_load(void **state)
{
	char dir[] = "/tmp/chimera-inv-XXXXXX", path[256];
	struct inventory inv;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/chimera.toml", dir);
	inventory_init(&inv);
	err_clear();
	assert_int_equal(inventory_load(path, &inv), ERR_NOTFOUND);
	assert_contains(err_msg(), path);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[machines.a]\ntarget = \"h\"\nconfig = \"a.nix\"\n", f);
	fclose(f);
	assert_int_equal(inventory_load(path, &inv), 0);
	assert_string_equal(inv.path, path);
	assert_int_equal(inv.n, 1);
	assert_string_equal(inv.machines[0].config_file + strlen(dir), "/a.nix");
	inventory_release(&inv);
	unlink(path);
	rmdir(dir);
}

/* OUT is ORIG followed by exactly TAIL. */
static void assert_appended(const struct buf *out, const char *orig, size_t len, const char *tail)
{
	assert_true(out->len >= len);
	assert_memory_equal(out->data, orig, len);
	assert_string_equal(out->data + len, tail);
}

static void test_edit_add(void **state)
{
	static const char src[] = "# fleet\n[machines.a]\ntarget = \"h1\"   # the first\n";
	const char *tags[] = { "web", "eu" };
	struct buf out = BUF_INIT(0);
	struct inventory inv;
	const struct inv_machine *m;

	assert_int_equal(inventory_edit_add(PATH, LIT(src), "b", "deploy@h2:2222", tags, 2, &out), 0);
	assert_appended(&out, LIT(src), "\n[machines.b]\ntarget = \"deploy@h2:2222\"\ntags = [\"web\", \"eu\"]\n");
	parse_ok(PATH, out.data, out.len, &inv);
	assert_int_equal(inv.n, 2);
	m = find(&inv, "b");
	assert_int_equal(m->line, 5);
	assert_target(m, "deploy@h2:2222");
	assert_int_equal(m->ntags, 2);
	assert_string_equal(m->tags[1], "eu");
	inventory_release(&inv);

	/* no newline at the end: one is added, then the blank line */
	assert_int_equal(inventory_edit_add(PATH, src, sizeof(src) - 2, "web.1", "h2", NULL, 0, &out), 0);
	assert_appended(&out, src, sizeof(src) - 2, "\n\n[machines.\"web.1\"]\ntarget = \"h2\"\n");
	parse_ok(PATH, out.data, out.len, &inv);
	assert_target(find(&inv, "web.1"), "root@h2:22");
	inventory_release(&inv);

	/* a blank line at the end already: no second one */
	assert_int_equal(inventory_edit_add(PATH, LIT("[defaults]\nuser = \"ops\"\n\n"), "c", "[::1]", NULL, 0, &out), 0);
	assert_string_equal(out.data, "[defaults]\nuser = \"ops\"\n\n[machines.c]\ntarget = \"[::1]\"\n");
	parse_ok(PATH, out.data, out.len, &inv);
	assert_target(find(&inv, "c"), "ops@[::1]:22");
	inventory_release(&inv);

	/* an empty file */
	assert_int_equal(inventory_edit_add(PATH, "", 0, "c", "h", NULL, 0, &out), 0);
	assert_string_equal(out.data, "[machines.c]\ntarget = \"h\"\n");

	/* refused; OUT left empty */
	err_clear();
	assert_int_equal(inventory_edit_add(PATH, LIT(src), "a", "h9", NULL, 0, &out), ERR_INVALID);
	assert_string_equal(err_msg(), "machine 'a' exists already in " PATH " (line 2)");
	assert_int_equal(out.len, 0);
	assert_int_equal(inventory_edit_add(PATH, LIT(src), "b c", "h9", NULL, 0, &out), ERR_INVALID);
	assert_contains(err_msg(), "bad machine name 'b c'");
	assert_int_equal(inventory_edit_add(PATH, LIT(src), "b", "h9:0", NULL, 0, &out), ERR_INVALID);
	assert_contains(err_msg(), "bad target 'h9:0'");
	tags[1] = "web";
	assert_int_equal(inventory_edit_add(PATH, LIT(src), "b", "h9", tags, 2, &out), ERR_INVALID);
	assert_contains(err_msg(), "duplicate tag 'web'");
	tags[1] = "e u";
	assert_int_equal(inventory_edit_add(PATH, LIT(src), "b", "h9", tags, 2, &out), ERR_INVALID);
	assert_contains(err_msg(), "bad tag 'e u'");
	/* the same target as a: the result would not be a good inventory */
	assert_int_equal(inventory_edit_add(PATH, LIT(src), "b", "root@h1:22", NULL, 0, &out), ERR_INVALID);
	assert_contains(err_msg(), "machine 'b' has the same target root@h1:22 as machine 'a'");
	/* the text's own errors as they are */
	assert_int_equal(inventory_edit_add(PATH, LIT("[machines.a]\ntagz = 1\n"), "b", "h9", NULL, 0, &out),
			 ERR_INVALID);
	assert_contains(err_msg(), PATH ":2:1: unknown key 'tagz'");
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

static const char fleet[] =
	"# fleet\n"
	"[defaults]\n"
	"user = \"ops\"\n"
	"\n"
	"# first machine\n"
	"[machines.a]\n"
	"target = \"h1\"\n"
	"# inside a\n"
	"tags = [\"x\"]   # end of a\n"
	"# after a\n"
	"\n"
	"[machines.b]\n"
	"target = \"h2\"\n"
	"\n"
	"# above c\n"
	"[machines.c]\n"
	"target = \"h3\"\n"
	"tags = [\n"
	"  \"y\",\n"
	"]\n"
	"# trailing\n";

/* Removing NAME from FLEET gives WANT, which parses without it and with N machines. */
static void expect_rm(const char *name, const char *want, size_t n)
{
	struct buf out = BUF_INIT(0);
	struct inventory inv;

	err_clear();
	if (inventory_edit_rm(PATH, LIT(fleet), name, &out) != 0)
		fail_msg("rm %s: %s", name, err_msg());
	assert_string_equal(out.data, want);
	assert_int_equal(out.len, strlen(want));
	parse_ok(PATH, out.data, out.len, &inv);
	assert_int_equal(inv.n, n);
	assert_null(inventory_find(&inv, name));
	inventory_release(&inv);
	buf_release(&out);
}

static void test_edit_rm(void **state)
{
	struct buf out = BUF_INIT(0);

	/* first: comments above the header and after the last key stay, the one inside goes */
	expect_rm("a",
		  "# fleet\n[defaults]\nuser = \"ops\"\n\n# first machine\n"
		  "# after a\n\n[machines.b]\ntarget = \"h2\"\n\n# above c\n[machines.c]\ntarget = \"h3\"\n"
		  "tags = [\n  \"y\",\n]\n# trailing\n", 2);
	/* middle: blank lines on both sides, one of them goes */
	expect_rm("b",
		  "# fleet\n[defaults]\nuser = \"ops\"\n\n# first machine\n[machines.a]\ntarget = \"h1\"\n"
		  "# inside a\ntags = [\"x\"]   # end of a\n# after a\n\n# above c\n[machines.c]\ntarget = \"h3\"\n"
		  "tags = [\n  \"y\",\n]\n# trailing\n", 2);
	/* last: a key over several lines goes whole */
	expect_rm("c",
		  "# fleet\n[defaults]\nuser = \"ops\"\n\n# first machine\n[machines.a]\ntarget = \"h1\"\n"
		  "# inside a\ntags = [\"x\"]   # end of a\n# after a\n\n[machines.b]\ntarget = \"h2\"\n\n# above c\n"
		  "# trailing\n", 2);

	/* the only machine, no newline at the end */
	assert_int_equal(inventory_edit_rm(PATH, LIT("x = 1\n\n[machines.a]\ntarget = \"h\""), "a", &out), 0);
	/* the blank line that set the last table apart goes with it */
	assert_string_equal(out.data, "x = 1\n");
	/* a blank line before and after at the end of the file */
	assert_int_equal(inventory_edit_rm(PATH, LIT("x = 1\n\n[machines.a]\ntarget = \"h\"\n\n"), "a", &out), 0);
	assert_string_equal(out.data, "x = 1\n");

	/* missing */
	err_clear();
	assert_int_equal(inventory_edit_rm(PATH, LIT(fleet), "d", &out), ERR_NOTFOUND);
	assert_string_equal(err_msg(), "no machine 'd' in " PATH);
	assert_int_equal(out.len, 0);
	assert_int_equal(inventory_edit_rm(PATH, LIT("[defaults]\n"), "a", &out), ERR_NOTFOUND);
	/* an inline table goes with its line; dotted keys make a table with no lines of its own */
	assert_int_equal(inventory_edit_rm(PATH, LIT("[machines]\na = { target = \"h\" }\n"), "a", &out), 0);
	assert_string_equal(out.data, "[machines]\n");
	assert_int_equal(inventory_edit_rm(PATH, LIT("[machines]\na.target = \"h\"\n"), "a", &out),
			 ERR_UNSUPPORTED);
	assert_contains(err_msg(), PATH ":2:1: machine 'a' has no [machines.a] section of its own");
	/* bad TOML */
	assert_int_equal(inventory_edit_rm(PATH, LIT("[machines.a\n"), "a", &out), ERR_INVALID);
	assert_true(strncmp(err_msg(), PATH ":1:", strlen(PATH ":1:")) == 0);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

/* Add then rm gives the text back, byte for byte. */
static void test_edit_round_trip(void **state)
{
	static const char src[] = "[machines.a]\ntarget = \"h1\"\n# end\n";
	struct buf added = BUF_INIT(0), out = BUF_INIT(0);

	assert_int_equal(inventory_edit_add(PATH, LIT(src), "b", "h2", NULL, 0, &added), 0);
	assert_int_equal(inventory_edit_rm(PATH, added.data, added.len, "b", &out), 0);
	assert_string_equal(out.data, "[machines.a]\ntarget = \"h1\"\n# end\n");
	assert_int_equal(inventory_edit_rm(PATH, added.data, added.len, "a", &out), 0);
	assert_string_equal(out.data, "# end\n\n[machines.b]\ntarget = \"h2\"\n");
	buf_release(&added);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_relative_path),
		cmocka_unit_test(test_errors_keys),
		cmocka_unit_test(test_sessions_owner),
		cmocka_unit_test(test_goal_and_sudo),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_find_target),
		cmocka_unit_test(test_errors_types),
		cmocka_unit_test(test_errors_values),
		cmocka_unit_test(test_errors_syntax),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_edit_add),
		cmocka_unit_test(test_edit_rm),
		cmocka_unit_test(test_edit_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
