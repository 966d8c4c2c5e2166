/* chimera machines: the inventory's machines; add and rm edit chimera.toml in place. */
#include "app/fleet/facts.h"
#include "app/config/inventory.h"
#include "app/config/machines.h"
#include "cli/cli.h"
#include "cli/remote.h"
#include "util/err.h"
#include "util/fs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define TAGS_GIVEN_MAX INV_TAGS_MAX

/* A string member of O, "" when it is not one. */
static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

/* Whether machine M takes SETTING from [defaults] (its from_defaults). */
static bool from_defaults(const json_t *m, const char *setting)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(m, "from_defaults"), i, v)
		if (strcmp(json_string_value(v) ? json_string_value(v) : "", setting) == 0)
			return true;
	return false;
}

/* M's tags joined by commas, "-" for none, into OUT. */
static void tags_text(const json_t *m, char *out, size_t len)
{
	const json_t *t = json_object_get(m, "tags"), *v;
	size_t i, o = 0;

	out[0] = '\0';
	json_array_foreach(t, i, v)
		if (o < len)
			o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "," : "", json_string_value(v));
	if (!json_array_size(t))
		snprintf(out, len, "-");
}

/* The list as text, from its document (machines_list_json, here or a server's). */
static void print_list(const json_t *doc)
{
	const json_t *m;
	size_t i, n = json_array_size(json_object_get(doc, "machines"));

	if (!str(doc, "inventory")[0]) {
		printf("no inventory: give --config FILE, set CHIMERA_CONFIG, or add machines with "
		       "'chimera machines add NAME --target T' (writes ./chimera.toml)\n");
		return;
	}
	printf("%-20s %-32s %-24s %s\n", "NAME", "TARGET", "TAGS", "CONFIG");
	json_array_foreach(json_object_get(doc, "machines"), i, m) {
		char cfg[600], tags[256];

		if (str(m, "flake")[0])
			snprintf(cfg, sizeof(cfg), "%s", str(m, "flake"));
		else if (str(m, "config")[0])
			snprintf(cfg, sizeof(cfg), "%s%s%s", str(m, "config"), str(m, "attr")[0] ? " -A " : "", str(m, "attr"));
		else
			snprintf(cfg, sizeof(cfg), "-");
		tags_text(m, tags, sizeof(tags));
		printf("%-20s %-32s %-24s %s\n", str(m, "name"), str(m, "target"), tags, cfg);
	}
	printf("%zu machine%s in %s\n", n, n == 1 ? "" : "s", str(doc, "inventory"));
}

/* TEXT (a JSON document from app/, taken) as it is with --json, else through PRINT. */
static enum cmd_status print_doc(struct cli *cli, char *text, void (*print)(const json_t *doc))
{
	json_t *doc;

	if (cli->json) {
		cli_print_json_text(text);
		return CMD_OK;
	}
	doc = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (!doc)
		return cli_fail(cli, CMD_ERROR, "out of memory");
	print(doc);
	json_decref(doc);
	return CMD_OK;
}

static enum cmd_status list(struct cli *cli, const struct inventory *inv)
{
	return print_doc(cli, machines_list_json(inv), print_list);
}

/*
 * The machine's last facts from the ledger's projection, without connecting: none when
 * there is no ledger yet. Returns 0 or an error.
 */
static int stored_facts(struct cli *cli, const struct inv_machine *m, struct machines_facts *mf)
{
	struct ledger *l = NULL;
	char db[PATH_MAX + 16];
	int r;

	memset(mf, 0, sizeof(*mf));
	if ((r = cli_state_dir(cli)) < 0)
		return r;
	snprintf(db, sizeof(db), "%s/chimera.db", cli->state_dir);
	if (!fs_exists(db))
		return 0;
	if ((r = cli_open_ledger(cli, &l)) < 0)
		return r;
	r = machines_facts(l, m, mf);
	ledger_close(l);
	return r;
}

/* How long ago TIME (the ledger's UTC form) was, or "?". */
static const char *age_text(const char *time, char *out, size_t len)
{
	int64_t age = facts_age_s(time, clock_wall_ms());

	if (age >= 0)
		facts_duration(age, out, len);
	else
		snprintf(out, len, "?");
	return out;
}

/* One machine as text, from its document (machines_show_json, here or a server's). */
static void print_show(const json_t *m)
{
	const json_t *v, *failed = json_object_get(m, "facts_failed"), *facts = json_object_get(m, "facts");
	struct buf b = BUF_INIT(0);
	char ago[32], tags[4096];
	size_t i;

	tags_text(m, tags, sizeof(tags));
	printf("%s (%s:%lld)\n", str(m, "name"), str(m, "inventory"), (long long)json_integer_value(json_object_get(m, "line")));
	printf("  target       %s\n", str(m, "target"));
	printf("  tags         %s\n", tags);
	printf("  profile      %s%s\n", str(m, "profile"), from_defaults(m, "profile") ? " (default)" : "");
	printf("  activation   %s%s\n", str(m, "activation"), from_defaults(m, "activation") ? " (default)" : "");
	json_array_foreach(json_object_get(m, "checks"), i, v)
		printf("  check        %s%s\n", json_string_value(v), from_defaults(m, "checks") ? " (default)" : "");
	json_array_foreach(json_object_get(m, "ssh_options"), i, v)
		printf("  ssh option   %s\n", json_string_value(v));
	if (str(m, "flake")[0])
		printf("  flake        %s\n", str(m, "flake"));
	if (str(m, "config")[0])
		printf("  config       %s%s%s\n", str(m, "config"), str(m, "attr")[0] ? " -A " : "", str(m, "attr"));
	if (json_is_object(failed))
		printf("  facts        the last try FAILED at %s %s (%s ago, seq %lld): %s\n", str(failed, "step"),
		       str(failed, "time"), age_text(str(failed, "time"), ago, sizeof(ago)),
		       (long long)json_integer_value(json_object_get(failed, "seq")), str(failed, "error"));
	if (json_is_object(facts)) {
		printf("  facts        gathered %s (%s ago, seq %lld)\n", str(m, "facts_gathered"),
		       age_text(str(m, "facts_gathered"), ago, sizeof(ago)),
		       (long long)json_integer_value(json_object_get(m, "facts_seq")));
		facts_describe(facts, "    ", &b);
		fputs(b.data ? b.data : "", stdout);
	} else {
		printf("  facts        never gathered (run chimera facts -t %s)\n", str(m, "name"));
	}
	buf_release(&b);
}

static enum cmd_status show(struct cli *cli, const struct inventory *inv, const char *name)
{
	const struct inv_machine *m = inventory_find(inv, name);
	struct machines_facts st;
	char *text;

	if (!m)
		return cli_fail(cli, CMD_USAGE, "no machine '%s' in %s", name, inv->path[0] ? inv->path : "the inventory (there is none)");
	if (stored_facts(cli, m, &st) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	text = machines_show_json(inv, m, &st);
	machines_facts_release(&st);
	return print_doc(cli, text, print_show);
}

/* --server: GET /machines or /machines/{NAME}, printed as here (its status and events are the API's own). */
static enum cmd_status machines_remote(struct cli *cli, const char *name)
{
	struct buf path = BUF_INIT(4096);
	json_t *doc = NULL;
	enum cmd_status st;

	if (buf_adds(&path, name ? "/api/v1/machines/" : "/api/v1/machines") < 0 ||
	    (name && remote_path_segment(&path, name) < 0) || buf_addc(&path, '\0') < 0) {
		buf_release(&path);
		return cli_usage(cli, "the machine's name is too long");
	}
	st = remote_get(cli, path.data, CMD_USAGE, REMOTE_TIMEOUT_MS, &doc);
	buf_release(&path);
	if (st != CMD_OK)
		return st;
	if (name) {
		json_object_del(doc, "status");
		json_object_del(doc, "events");
	}
	if (cli->json)
		remote_print_json(doc);
	else if (name)
		print_show(doc);
	else
		print_list(doc);
	json_decref(doc);
	return CMD_OK;
}

/* The file add and rm edit: the inventory read, else --config or CHIMERA_CONFIG, else ./chimera.toml. */
static const char *edit_path(struct cli *cli, const struct inventory *inv)
{
	if (inv->path[0])
		return inv->path;
	if (cli->config_opt)
		return cli->config_opt;
	if (getenv("CHIMERA_CONFIG") && *getenv("CHIMERA_CONFIG"))
		return getenv("CHIMERA_CONFIG");
	return "chimera.toml";
}

static enum cmd_status add(struct cli *cli, const struct inventory *inv, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "tag", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *target = NULL, *tags[TAGS_GIVEN_MAX], *path = edit_path(cli, inv), *name;
	size_t ntags = 0;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (c == 't')
			target = optarg;
		else if (c == 'g' && ntags < TAGS_GIVEN_MAX)
			tags[ntags++] = optarg;
		else if (c == 'g')
			return cli_usage(cli, "more than %d --tag", TAGS_GIVEN_MAX);
		else
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
	}
	if (optind >= argc || !target)
		return cli_usage(cli, "give NAME and --target [user@]host[:port]");
	name = argv[optind++];
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if ((r = machines_add(path, name, target, tags, ntags)) < 0)
		return cli_fail(cli, r == ERR_INVALID ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
	if (cli->json)
		cli_print_json_text(machines_added_json(name, target, path));
	else if (!cli->quiet)
		printf("added %s (%s) to %s\n", name, target, path);
	return CMD_OK;
}

static enum cmd_status rm(struct cli *cli, const struct inventory *inv, const char *name)
{
	const char *path = edit_path(cli, inv);
	int r;

	if ((r = machines_rm(path, name)) < 0)
		return cli_fail(cli, r == ERR_NOTFOUND || r == ERR_INVALID ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
	if (cli->json)
		cli_print_json_text(machines_removed_json(name, path));
	else if (!cli->quiet)
		printf("removed %s from %s\n", name, path);
	return CMD_OK;
}

static enum cmd_status cmd_machines_exec(struct cli *cli, int argc, char **argv)
{
	const struct inventory *inv;
	const char *sub = argc > 1 ? argv[1] : "list";
	int r;

	/* add and rm edit the file here: refused with --server, done here with only CHIMERA_SERVER set. */
	if (remote_on(cli) && (strcmp(sub, "add") == 0 || strcmp(sub, "rm") == 0) && cli->server_flag)
		return cli_usage(cli, "machines %s edits chimera.toml here, and a server reads its own: run it where"
				      " the server runs (then SIGHUP it), without --server", sub);
	if (remote_on(cli) && strcmp(sub, "add") != 0 && strcmp(sub, "rm") != 0) {
		if (strcmp(sub, "list") == 0 && argc > 2)
			return cli_usage(cli, "unexpected argument '%s'", argv[2]);
		if (strcmp(sub, "show") == 0 && argc != 3)
			return cli_usage(cli, "give one machine: chimera machines show NAME");
		if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0)
			return machines_remote(cli, strcmp(sub, "show") == 0 ? argv[2] : NULL);
		return cli_usage(cli, "unknown subcommand '%s': expected list, show, add or rm", sub);
	}
	/* add may make the file --config or CHIMERA_CONFIG names. */
	if ((r = cli_inventory(cli, &inv)) < 0 && !(r == ERR_NOTFOUND && strcmp(sub, "add") == 0))
		return cli_fail(cli, r == ERR_INVALID || r == ERR_NOTFOUND ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
	if (strcmp(sub, "list") == 0) {
		if (argc > 2)
			return cli_usage(cli, "unexpected argument '%s'", argv[2]);
		return list(cli, inv);
	}
	if (strcmp(sub, "show") == 0) {
		if (argc != 3)
			return cli_usage(cli, "give one machine: chimera machines show NAME");
		return show(cli, inv, argv[2]);
	}
	if (strcmp(sub, "add") == 0)
		return add(cli, inv, argc - 1, argv + 1);
	if (strcmp(sub, "rm") == 0) {
		if (argc != 3)
			return cli_usage(cli, "give one machine: chimera machines rm NAME");
		return rm(cli, inv, argv[2]);
	}
	return cli_usage(cli, "unknown subcommand '%s': expected list, show, add or rm", sub);
}

const struct cmd_entry cmd_machines_entry = {
	.name = "machines",
	.summary = "the inventory's machines: list, show, add, rm (chimera.toml)",
	.usage = "chimera machines [list]\n"
		 "       chimera machines show NAME\n"
		 "       chimera machines add NAME --target [user@]host[:port] [--tag TAG]...\n"
		 "       chimera machines rm NAME",
	.help = "The inventory is chimera.toml: --config FILE (before the command), else\n"
		"$CHIMERA_CONFIG, else ./chimera.toml. Its [machines.NAME] tables give each machine\n"
		"a target, tags, and its own profile, activation, checks, ssh_options and\n"
		"configuration (config + attr, or flake); [defaults] holds what they share.\n"
		"Every -t takes machine names, @TAG, globs (web-*) and all.\n"
		"\n"
		"  list        every machine: name, target, tags, configuration\n"
		"  show NAME   one machine, with the defaults it takes and its last facts\n"
		"              (from the ledger, without connecting; see chimera facts)\n"
		"  add NAME    append a [machines.NAME] table (the file is made when there is\n"
		"              none); every existing byte is kept\n"
		"  rm NAME     remove its table; comments and every other line are kept\n"
		"Edits are written atomically, and only when the result still reads as an\n"
		"inventory.\n"
		"With --server URL (or CHIMERA_SERVER) list and show read the server's inventory\n"
		"and ledger; add and rm edit the file here, so --server refuses them.\n"
		"\n"
		"options:\n"
		"  --target T               add: [user@]host[:port] (user and port default to\n"
		"                           [defaults] user and port)\n"
		"  --tag TAG                add: a tag, repeatable\n"
		"  --json                   one JSON document\n"
		"\n"
		"exit status: 0 done, 2 for bad usage, a bad inventory or an unknown machine, 1 on\n"
		"errors.\n",
	.exec = cmd_machines_exec,
};
