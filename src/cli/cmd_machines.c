/* chimera machines: the inventory's machines; add and rm edit chimera.toml in place. */
#include "app/fleet/facts.h"
#include "app/config/inventory.h"
#include "app/config/machines.h"
#include "cli/cli.h"
#include "util/err.h"
#include "util/fs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define TAGS_GIVEN_MAX INV_TAGS_MAX

static void print_tags(char *const *tags, size_t n)
{
	size_t i;

	if (n == 0)
		printf("-");
	for (i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", tags[i]);
}

static enum cmd_status list(struct cli *cli, const struct inventory *inv)
{
	size_t i;

	if (cli->json) {
		cli_print_json_text(machines_list_json(inv));
		return CMD_OK;
	}
	if (!inv->path[0]) {
		printf("no inventory: give --config FILE, set CHIMERA_CONFIG, or add machines with "
		       "'chimera machines add NAME --target T' (writes ./chimera.toml)\n");
		return CMD_OK;
	}
	printf("%-20s %-32s %-24s %s\n", "NAME", "TARGET", "TAGS", "CONFIG");
	for (i = 0; i < inv->n; i++) {
		const struct inv_machine *m = &inv->machines[i];
		char t[TARGET_FORMAT_MAX], cfg[600];

		target_format(&m->target, t, sizeof(t));
		if (m->flake)
			snprintf(cfg, sizeof(cfg), "%s", m->flake);
		else if (m->config_file)
			snprintf(cfg, sizeof(cfg), "%s%s%s", m->config_file, m->config_attr ? " -A " : "",
				 m->config_attr ? m->config_attr : "");
		else
			snprintf(cfg, sizeof(cfg), "-");
		printf("%-20s %-32s ", m->name, t);
		{
			/* Tags padded to their column. */
			char buf[256] = "";
			size_t k, o = 0;

			for (k = 0; k < m->ntags && o < sizeof(buf); k++)
				o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", k ? "," : "", m->tags[k]);
			printf("%-24s %s\n", m->ntags ? buf : "-", cfg);
		}
	}
	printf("%zu machine%s in %s\n", inv->n, inv->n == 1 ? "" : "s", inv->path);
	return CMD_OK;
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

static enum cmd_status show(struct cli *cli, const struct inventory *inv, const char *name)
{
	const struct inv_machine *m = inventory_find(inv, name);
	json_t *j;
	struct machines_facts st;
	struct buf b = BUF_INIT(0);
	char ago[32];
	size_t i;

	if (!m)
		return cli_fail(cli, CMD_USAGE, "no machine '%s' in %s", name, inv->path[0] ? inv->path : "the inventory (there is none)");
	if (stored_facts(cli, m, &st) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (cli->json) {
		cli_print_json_text(machines_show_json(inv, m, &st));
		machines_facts_release(&st);
		return CMD_OK;
	}
	j = machines_machine_json(inv, m);
	printf("%s (%s:%d)\n", m->name, inv->path, m->line);
	printf("  target       %s\n", json_string_value(json_object_get(j, "target")));
	printf("  tags         ");
	print_tags(m->tags, m->ntags);
	printf("\n  profile      %s%s\n", json_string_value(json_object_get(j, "profile")), m->profile ? "" : " (default)");
	printf("  activation   %s%s\n", json_string_value(json_object_get(j, "activation")),
	       m->activation ? "" : " (default)");
	for (i = 0; i < json_array_size(json_object_get(j, "checks")); i++)
		printf("  check        %s%s\n", json_string_value(json_array_get(json_object_get(j, "checks"), i)),
		       m->nchecks ? "" : " (default)");
	for (i = 0; i < m->nssh_options; i++)
		printf("  ssh option   %s\n", m->ssh_options[i]);
	if (m->flake)
		printf("  flake        %s\n", m->flake);
	if (m->config_file)
		printf("  config       %s%s%s\n", m->config_file, m->config_attr ? " -A " : "",
		       m->config_attr ? m->config_attr : "");
	if (st.failure)
		printf("  facts        the last try FAILED at %s %s (%s ago, seq %lld): %s\n",
		       json_string_value(json_object_get(st.failure, "step")), st.failure_time,
		       age_text(st.failure_time, ago, sizeof(ago)), (long long)st.failure_seq,
		       json_string_value(json_object_get(st.failure, "error")));
	if (st.facts) {
		printf("  facts        gathered %s (%s ago, seq %lld)\n", st.time, age_text(st.time, ago, sizeof(ago)),
		       (long long)st.seq);
		facts_describe(st.facts, "    ", &b);
		fputs(b.data ? b.data : "", stdout);
	} else {
		printf("  facts        never gathered (run chimera facts -t %s)\n", m->name);
	}
	buf_release(&b);
	machines_facts_release(&st);
	json_decref(j);
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
