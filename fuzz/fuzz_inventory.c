/* Fuzz target for app/inventory: inventory_parse of any bytes, then add and remove a machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config/inventory.h"
#include "app/fleet/secrets.h"
#include "core/flakeref.h"
#include "core/profile.h"
#include "fuzz.h"
#include "util/buf.h"
#include "util/err.h"

/* An absolute name: relative config paths resolve against it, never the working directory. */
#define PATH "/fleet/chimera.toml"
#define ADD_NAME "fuzz-added"
#define ADD_TARGET "fuzz@added.invalid:2222"

const char *const fuzz_seeds[] = {
	"",
	"# the fleet\n"
	"[machines.web-1]   # first\n"
	"target = \"10.0.0.1\"\n"
	"tags = [\"web\", \"eu\"]\n"
	"checks = [\"http:http://{host}/health=200\", \"cmd:true\"]\n"
	"\n"
	"# the second one\n"
	"[machines.web-2]\n"
	"target = \"deploy@[2001:DB8::1]:2222\"\n"
	"tags = [\"web\"]\n"
	"ssh_options = [\"StrictHostKeyChecking=no\", \"ConnectTimeout=5\"]\n"
	"config = \"hosts/../hosts/./web-2.nix\"\n"
	"attr = \"nixosConfigurations.web2\"\n"
	"\n"
	"[machines.\"db.1\"]\n"
	"target = \"db.example.com:2200\"\n"
	"flake = \"github:me/fleet#db\"\n"
	"profile = \"/nix/var/nix/profiles/db\"\n"
	"activation = \"none\"\n"
	"# after db\n"
	"\n"
	"[machines.cache]\n"
	"target = \"admin@Cache.Example.com\"\n"
	"flake = \".#cache\"\n"
	"[machines.v6]\n"
	"target = \"[::1]\"\n"
	"config = \"/abs/v6.nix\"\n"
	"\n"
	"[defaults]   # after the machines: still applies to them\n"
	"user = \"ops\"\n"
	"port = 2022\n"
	"parallel = 8\n"
	"connect_timeout = 30\n"
	"activation = \"switch-to-configuration switch\"\n"
	"checks = [\"tcp:{host}:22\"]\n",
	"[defaults]\nsecrets_owner = \"app:www-data\"\n[machines.a]\ntarget = \"h1\"\n"
	"sessions = { logger = \"tail -F /var/log/app\", \"q_1\" = \"sleep 9\" }\nsecrets_owner = \"1000\"\n"
	"[machines.b]\ntarget = \"h2\"\n[machines.b.sessions]\nweb = \"python3 -m http.server\"\n",
	"[defaults]\nprofile = \"/nix/var/nix/profiles/file\"\nparallel = 8\n[machines.a]\ntarget = \"h1\"\n"
	"profile = \"/nix/var/nix/profiles/a\"\nactivation = \"none\"\n[machines.b]\ntarget = \"h2\"\n",
	"[machines.c]\ntarget = \"ops@h2:2222\"\n[machines.a]\ntarget = \"h2\"\n[machines.b]\ntarget = \"h1\"\n",
	"[machines.a]\ntarget = \"h\"\nconfig = \"../nix/a.nix\"\n[machines.b]\ntarget = \"h2\"\nconfig = \"b.nix\"\n",
	"[machines.lab]\ntarget = \"127.0.0.2\"\nflake = \"path:sub#lab\"\n\n",
	"[machines.x]\ntarget = \"x\"\nflake = \"../up#nixosConfigurations.x\"\n  \n",
	"machines.web.target = \"h\"\nmachines.web.tags = [\"a\"]\n",
	"[machines]\nweb = { target = \"h\" }\n",
	"\xef\xbb\xbf[machines.bom]\r\ntarget = \"bom\"\r\n",
	"[defaults]\nuser = \"_svc\"\nport = 65535\nparallel = 4096\nconnect_timeout = 3600\n",
	/* near misses */
	"[defaults]\nuser = \"ops\"\n\n[machines.web-1]\ntarget = \"h1\"\n\ntagz = [\"a\"]\n",
	"[defaults]\n  users = \"ops\"\n",
	"[defaults]\nuser = \"x\"\n\n[machine.web]\ntarget = \"h\"\n",
	"[machines.a]\ntarget = \"h\"\n[machines.a.sub]\nx = 1\n",
	"[machines.a]\ntarget = \"h\"\nsessions = [\"x\"]\n",
	"[machines.a]\ntarget = \"h\"\nsessions = { \"-x\" = \"true\" }\n",
	"[machines.a]\ntarget = \"h\"\nsessions = { \"a.b\" = \"true\" }\n",
	"[machines.a]\ntarget = \"h\"\nsessions = { x = \"\" }\n",
	"[machines.a]\ntarget = \"h\"\nsecrets_owner = \"root:wheel:x\"\n",
	"[defaults]\nsecrets_owner = \"-x\"\n",
	"[defaults]\nport = \"22\"\n",
	"[defaults]\nport = 0\nparallel = 4097\n",
	"[defaults]\nprofile = \"relative\"\n",
	"[machines.a]\ntarget = 10\n",
	"[machines.a]\ntarget = \"h\"\ntags = \"web\"\n",
	"[machines.a]\ntarget = \"h\"\ntags = [\"web\", 1]\n",
	"[machines.a]\ntarget = \"h\"\ntags = [\"web\", \"web\"]\n",
	"[machines]\nweb = \"h\"\n",
	"[machines.a]\ntags = [\"x\"]\n",
	"[machines.a]\ntarget = \"h\"\n[machines.b]\ntarget = \"root@h:22\"\n",
	"[machines.a]\ntarget = \"h\"\nattr = \"x\"\n",
	"[machines.a]\ntarget = \"h\"\nconfig = \"a.nix\"\nflake = \".#a\"\n",
	"[machines.a]\ntarget = \"h\"\nconfig = \"a.txt\"\n",
	"[machines.a]\ntarget = \"h\"\nflake = \"github:me/fleet\"\n",
	"[machines.a]\ntarget = \"h\"\nssh_options = [\"NoSuchOption=1\", \"Port=\"]\n",
	"[machines.a]\ntarget = \"h\"\nssh_options = [\"ProxyCommand=ssh -W %h:%p \\u0001 j\"]\n",
	"[machines.\"a b\"]\ntarget = \"h\"\n",
	"[machines.\"a\\u0000b\"]\ntarget = \"h\"\n",
	"[machines." FUZZ_X64("m") "]\ntarget = \"h\"\n",
	"[machines.a]\ntarget = \"h\"\nprofile = \"/nix/../p\"\n",
	"[machines.a]\ntarget = \"h\"\nchecks = [\"ftp:x\"]\n",
	"[machines.a]\ntarget = \"h\"\nwhat = 1\n",
	"top = 1\n",
	"[machines.a]\ntarget = \"h\"\n[machines.a]\ntarget = \"h\"\n",
	"[machines.a\ntarget = \"h\"\n",
	NULL,
};

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* [A-Za-z0-9] then [A-Za-z0-9._-] (without '.' when NO_DOT), at most MAX bytes (0: any). */
static bool word_ok(const char *s, size_t max, bool no_dot)
{
	size_t n = strlen(s), i;

	if (n == 0 || (max && n > max) || !is_alnum(s[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!is_alnum(s[i]) && !(s[i] == '.' && !no_dot) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static bool user_ok(const char *u)
{
	size_t n = strlen(u), i;

	if (n == 0 || n > TARGET_USER_MAX || !((u[0] >= 'a' && u[0] <= 'z') || (u[0] >= 'A' && u[0] <= 'Z') || u[0] == '_'))
		return false;
	for (i = 1; i < n; i++)
		if (!is_alnum(u[i]) && u[i] != '.' && u[i] != '_' && u[i] != '-')
			return false;
	return true;
}

static void check_checks(const char *who, const struct health_spec *c, size_t n)
{
	size_t i;

	FUZZ_CHECK(n <= INV_CHECKS_MAX && (n == 0) == (c == NULL), "%s: %zu checks at %p", who, n, (void *)c);
	for (i = 0; i < n; i++) {
		struct health_spec again;

		FUZZ_CHECK(health_spec_parse(c[i].text, &again) == 0 && again.kind == c[i].kind,
			   "%s: check '%s' does not parse again", who, c[i].text);
	}
}

/* Absolute, ending in ".nix", with no empty, "." or ".." component left. */
static void check_config_path(const char *name, const char *p)
{
	size_t n = strlen(p);

	FUZZ_CHECK(p[0] == '/' && n > 4 && strcmp(p + n - 4, ".nix") == 0, "%s: config '%s'", name, p);
	FUZZ_CHECK(!strstr(p, "//") && !strstr(p, "/./") && !strstr(p, "/../") && p[n - 1] != '/',
		   "%s: config '%s' is not resolved", name, p);
}

static void check_machine(const struct inventory *inv, size_t i)
{
	const struct inv_machine *m = &inv->machines[i];
	char tf[TARGET_FORMAT_MAX];
	struct target t;
	struct flakeref *f;
	size_t j, k;

	FUZZ_CHECK(word_ok(m->name, INV_NAME_MAX, false), "machine name '%s'", m->name);
	FUZZ_CHECK(m->line >= 1, "%s: line %d", m->name, m->line);
	FUZZ_CHECK(inventory_find(inv, m->name) == m, "inventory_find('%s') finds another", m->name);
	FUZZ_CHECK(inventory_find_target(inv, &m->target) == m, "inventory_find_target misses '%s'", m->name);
	FUZZ_CHECK(target_format(&m->target, tf, sizeof(tf)) == 0 && target_parse(&t, tf, strlen(tf)) == 0 &&
		   target_equal(&t, &m->target), "%s: target '%s' does not parse back", m->name, tf);
	for (j = 0; j < i; j++) {
		FUZZ_CHECK(strcmp(m->name, inv->machines[j].name) != 0, "machine '%s' twice", m->name);
		FUZZ_CHECK(!target_equal(&m->target, &inv->machines[j].target), "'%s' and '%s' share target %s",
			   inv->machines[j].name, m->name, tf);
	}
	FUZZ_CHECK(m->ntags <= INV_TAGS_MAX, "%s: %zu tags", m->name, m->ntags);
	for (j = 0; j < m->ntags; j++) {
		FUZZ_CHECK(word_ok(m->tags[j], 0, false), "%s: tag '%s'", m->name, m->tags[j]);
		for (k = 0; k < j; k++)
			FUZZ_CHECK(strcmp(m->tags[j], m->tags[k]) != 0, "%s: tag '%s' twice", m->name, m->tags[j]);
	}
	FUZZ_CHECK(!m->profile || profile_path_check(m->profile) == 0, "%s: profile '%s'", m->name, m->profile);
	FUZZ_CHECK(!m->activation || m->activation[0], "%s: empty activation", m->name);
	check_checks(m->name, m->checks, m->nchecks);
	FUZZ_CHECK(m->nssh_options <= INV_SSH_OPTS_MAX, "%s: %zu ssh options", m->name, m->nssh_options);
	for (j = 0; j < m->nssh_options; j++) {
		const char *o = m->ssh_options[j], *eq = strchr(o, '=');

		FUZZ_CHECK(eq && eq > o && eq[1], "%s: ssh option '%s'", m->name, o);
		for (k = 0; o + k < eq; k++)
			FUZZ_CHECK(is_alnum(o[k]), "%s: ssh option key in '%s'", m->name, o);
		for (k = 0; o[k]; k++)
			FUZZ_CHECK((unsigned char)o[k] >= 0x20 && o[k] != 0x7f, "%s: control byte in ssh option", m->name);
	}
	FUZZ_CHECK(m->nsessions <= INV_SESSIONS_MAX, "%s: %zu sessions", m->name, m->nsessions);
	for (j = 0; j < m->nsessions; j++) {
		FUZZ_CHECK(word_ok(m->sessions[j].name, 64, true), "%s: session '%s'", m->name, m->sessions[j].name);
		FUZZ_CHECK(m->sessions[j].command && m->sessions[j].command[0], "%s: session without a command", m->name);
	}
	FUZZ_CHECK(!m->secrets_owner || secrets_owner_check(m->secrets_owner) == 0, "%s: owner '%s'", m->name,
		   m->secrets_owner);
	if (m->config_file)
		check_config_path(m->name, m->config_file);
	FUZZ_CHECK(!m->config_attr || m->config_file, "%s: attr without config", m->name);
	FUZZ_CHECK(!(m->flake && m->config_file), "%s: flake and config", m->name);
	if (m->flake) {
		f = malloc(sizeof(*f));
		FUZZ_CHECK(f && flakeref_parse(f, m->flake, strlen(m->flake)) == 0 && f->has_attr,
			   "%s: flake '%s' is no REF#ATTR", m->name, m->flake);
		free(f);
	}
}

static void check_inventory(const struct inventory *inv)
{
	const struct inv_defaults *d = &inv->defaults;
	size_t i;

	FUZZ_CHECK(strcmp(inv->path, PATH) == 0, "path '%s'", inv->path);
	FUZZ_CHECK(user_ok(d->user), "defaults user '%s'", d->user);
	FUZZ_CHECK(d->port >= 1, "defaults port 0");
	FUZZ_CHECK(d->parallel >= 1 && d->parallel <= 4096, "parallel %ld", d->parallel);
	FUZZ_CHECK(d->connect_timeout >= 1 && d->connect_timeout <= 3600, "connect_timeout %ld", d->connect_timeout);
	FUZZ_CHECK(profile_path_check(d->profile) == 0, "defaults profile '%s'", d->profile);
	FUZZ_CHECK(d->activation[0], "empty defaults activation");
	FUZZ_CHECK(!d->secrets_owner[0] || secrets_owner_check(d->secrets_owner) == 0, "owner '%s'", d->secrets_owner);
	check_checks("[defaults]", d->checks, d->nchecks);
	FUZZ_CHECK(d->user_from <= INV_FROM_FILE && d->port_from <= INV_FROM_FILE && d->profile_from <= INV_FROM_FILE &&
		   d->activation_from <= INV_FROM_FILE && d->parallel_from <= INV_FROM_FILE &&
		   d->connect_timeout_from <= INV_FROM_FILE && d->checks_from <= INV_FROM_FILE,
		   "a value from neither the file nor the built-in defaults");
	FUZZ_CHECK((inv->n == 0) == (inv->by_target == NULL), "%zu machines, index %p", inv->n, (void *)inv->by_target);
	for (i = 0; i < inv->n; i++)
		check_machine(inv, i);
}

static size_t count_lines(const char *s, size_t len)
{
	size_t i, n = 1;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

static void check_failure(const char *s, size_t len, int r, const struct inventory *inv)
{
	struct inventory empty;
	unsigned line, col;
	const char *msg = err_msg();

	fuzz_check_failure("inventory_parse", r, true);
	FUZZ_CHECK(strncmp(msg, PATH ":", strlen(PATH ":")) == 0, "message \"%s\" does not name " PATH, msg);
	if (r == ERR_INVALID) {
		FUZZ_CHECK(sscanf(msg + strlen(PATH ":"), "%u:%u: ", &line, &col) == 2, "no LINE:COL in \"%s\"", msg);
		FUZZ_CHECK(line >= 1 && line <= count_lines(s, len) && col >= 1, "position %u:%u in %zu lines", line,
			   col, count_lines(s, len));
	}
	inventory_init(&empty);
	snprintf(empty.path, sizeof(empty.path), "%s", PATH);
	FUZZ_CHECK(memcmp(inv, &empty, sizeof(empty)) == 0, "a failed parse left more than the path");
}

/* Add a machine that is not there: the result has it last; removing it gives back the text. */
static void check_edits(const char *s, size_t len, const struct inventory *inv)
{
	static const char *const tags[] = { "fuzz", "t-1" };
	struct buf added = BUF_INIT(0), removed = BUF_INIT(0);
	struct inventory again, back;
	const struct inv_machine *m;
	struct target t;
	size_t i;
	int r;

	FUZZ_CHECK(target_parse(&t, ADD_TARGET, strlen(ADD_TARGET)) == 0, ADD_TARGET " does not parse");
	if (inventory_find(inv, ADD_NAME) || inventory_find_target(inv, &t))
		return;
	fuzz_err_mark();
	r = inventory_edit_add(PATH, s, len, ADD_NAME, ADD_TARGET, tags, 2, &added);
	FUZZ_CHECK(r == 0, "adding a new machine to a good inventory failed: %s", err_msg());
	FUZZ_CHECK(added.len > len && memcmp(added.data, s, len) == 0, "add changed the existing bytes");
	inventory_init(&again);
	FUZZ_CHECK(inventory_parse(PATH, added.data, added.len, &again) == 0, "the added text does not parse: %s",
		   err_msg());
	FUZZ_CHECK(again.n == inv->n + 1, "%zu machines after adding to %zu", again.n, inv->n);
	m = &again.machines[inv->n];
	FUZZ_CHECK(strcmp(m->name, ADD_NAME) == 0 && target_equal(&m->target, &t) && m->ntags == 2 &&
		   strcmp(m->tags[0], tags[0]) == 0 && strcmp(m->tags[1], tags[1]) == 0, "the added machine is '%s'",
		   m->name);
	for (i = 0; i < inv->n; i++)
		FUZZ_CHECK(strcmp(again.machines[i].name, inv->machines[i].name) == 0 &&
			   target_equal(&again.machines[i].target, &inv->machines[i].target),
			   "machine %zu changed when another was added", i);
	inventory_release(&again);
	fuzz_err_mark();
	r = inventory_edit_rm(PATH, added.data, added.len, ADD_NAME, &removed);
	FUZZ_CHECK(r == 0, "removing the added machine failed: %s", err_msg());
	/* rm undoes add byte for byte when add put the blank line before the table */
	if (len == 0 || (s[len - 1] == '\n' && !(len >= 2 && s[len - 2] == '\n')))
		FUZZ_CHECK(removed.len == len && memcmp(removed.data, s, len) == 0,
			   "add then rm is not the original text (%zu bytes, then %zu)", len, removed.len);
	inventory_init(&back);
	FUZZ_CHECK(inventory_parse(PATH, removed.data, removed.len, &back) == 0 && back.n == inv->n,
		   "after add and rm: %zu machines, %s", back.n, err_msg());
	inventory_release(&back);
	buf_release(&added);
	buf_release(&removed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct inventory inv;
	int r;

	fuzz_begin(data, size);
	inventory_init(&inv);
	fuzz_err_mark();
	r = inventory_parse(PATH, s, size, &inv);
	if (r < 0) {
		check_failure(s, size, r, &inv);
		return 0;
	}
	FUZZ_CHECK(r == 0, "inventory_parse returned %d", r);
	check_inventory(&inv);
	check_edits(s, size, &inv);
	inventory_release(&inv);
	return 0;
}
