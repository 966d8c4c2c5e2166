/* What every command shares: state dir, ledger, targets, errors and usage output. */
#include "cli/cli.h"
#include "adapters/lab/lab.h"
#include "adapters/sqlite/ledger_sqlite.h"
#include "core/profile.h"
#include "core/selector.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cmd_exit_code(enum cmd_status s)
{
	switch (s) {
	case CMD_OK: return 0;
	case CMD_ERROR: return 1;
	case CMD_USAGE: return 2;
	case CMD_PARTIAL: return 3;
	}
	return 1;
}

int cli_state_dir(struct cli *cli)
{
	const char *env;
	const char *home;
	int r;

	if (cli->state_dir[0])
		return 0;
	if (cli->state_dir_opt && *cli->state_dir_opt)
		snprintf(cli->state_dir, sizeof(cli->state_dir), "%s", cli->state_dir_opt);
	else if ((env = getenv("CHIMERA_STATE_DIR")) && *env)
		snprintf(cli->state_dir, sizeof(cli->state_dir), "%s", env);
	else if ((env = getenv("XDG_STATE_HOME")) && *env)
		snprintf(cli->state_dir, sizeof(cli->state_dir), "%s/chimera", env);
	else {
		home = getenv("HOME");
		if (!home || !*home) {
			struct passwd *pw = getpwuid(getuid());

			home = pw ? pw->pw_dir : "/";
		}
		snprintf(cli->state_dir, sizeof(cli->state_dir), "%s/.local/state/chimera", home);
	}
	if (cli->state_dir[0] != '/') {
		char cwd[PATH_MAX], rel[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return err_set_errno(ERR_IO, errno, "cannot resolve state dir '%s'", cli->state_dir);
		snprintf(rel, sizeof(rel), "%s", cli->state_dir);
		if (snprintf(cli->state_dir, sizeof(cli->state_dir), "%s/%s", cwd, rel) >= (int)sizeof(cli->state_dir))
			return err_set(ERR_INVALID, "state dir path too long");
	}
	if (!fs_exists(cli->state_dir)) {
		if ((r = fs_mkdir_p(cli->state_dir, 0700)) < 0)
			return r;
		chmod(cli->state_dir, 0700);
		log_kv(LOG_INFO, "state", "created state dir", "path", cli->state_dir, (const char *)NULL);
	}
	return 0;
}

int cli_open_ledger(struct cli *cli, struct ledger **out)
{
	char path[PATH_MAX];
	int r;

	*out = NULL;
	if ((r = cli_state_dir(cli)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/chimera.db", cli->state_dir);
	return ledger_sqlite_open(path, out);
}

/* Resolve "@NAME" list elements; only "@lab" (every lab node) exists so far. */
static int add_group(const char *name, size_t len, struct target_list *l, void *arg)
{
	struct cli *cli = arg;
	struct lab lab;
	int r;

	if (len != 3 || memcmp(name, "lab", 3) != 0)
		return err_set(ERR_INVALID, "unknown group '@%.*s': expected '@lab'", (int)(len > 64 ? 64 : len),
			       name);
	if ((r = cli_state_dir(cli)) < 0 || (r = lab_open(&lab, cli->state_dir)) < 0)
		return r;
	if (!lab.exists || lab.nodes == 0)
		return err_set(ERR_NOTFOUND, "'@lab' names no nodes: run 'chimera lab up N' first");
	return lab_targets(&lab, l);
}

static const char *env_get(const char *name, void *arg)
{
	(void)arg;
	return getenv(name);
}

const char *cli_inventory_source(const struct cli *cli)
{
	if (cli->config_opt)
		return "flag";
	if (getenv("CHIMERA_CONFIG") && *getenv("CHIMERA_CONFIG"))
		return "env";
	return cli->inv.path[0] ? "file" : "default";
}

int cli_inventory(struct cli *cli, const struct inventory **out)
{
	const char *path = cli->config_opt;
	int r = 0;

	*out = &cli->inv;
	if (cli->inv_loaded)
		return 0;
	inventory_init(&cli->inv);
	if (!path && getenv("CHIMERA_CONFIG") && *getenv("CHIMERA_CONFIG"))
		path = getenv("CHIMERA_CONFIG");
	if (path) {
		r = inventory_load(path, &cli->inv);
	} else if (fs_exists("chimera.toml")) {
		r = inventory_load("chimera.toml", &cli->inv);
	}
	if (r == 0) {
		const struct inv_env env = { env_get, NULL };

		r = inventory_apply_env(&cli->inv, &env);
	}
	if (r < 0) {
		inventory_release(&cli->inv);
		inventory_init(&cli->inv);
		return r;
	}
	cli->inv_loaded = true;
	return 0;
}

void cli_release(struct cli *cli)
{
	if (cli->inv_loaded)
		inventory_release(&cli->inv);
	cli->inv_loaded = false;
}

/*
 * With machines in the inventory, only what looks like an address is a target written
 * out: a bare word that names no machine is a typo, not a host.
 */
static bool looks_like_target(const char *e, size_t len)
{
	return memchr(e, '.', len) || memchr(e, ':', len) || memchr(e, '@', len) || (len == 5 && memcmp(e, "local", 5) == 0);
}

/* What resolving a target list needs, made once per cli_targets (not per element or line). */
struct resolve {
	struct cli *cli;
	const struct inventory *inv;
	struct sel_machine *m;	/* the inventory's machines as selectors see them */
	size_t *order;		/* room for every machine */
	struct target_list *l;	/* where the current list goes */
	bool machines;		/* the inventory has some */
};

/* An element that selected no machine: @lab, or a target written out. */
static int resolve_other(const char *e, size_t len, void *arg)
{
	struct resolve *rs = arg;

	if (len > 1 && e[0] == '@' && (len != 4 || memcmp(e, "@lab", 4) != 0) && rs->machines)
		return ERR_NOTFOUND;
	if (rs->machines && e[0] != '@' && (selector_is_glob(e, len) || !looks_like_target(e, len)))
		return ERR_NOTFOUND;
	if (!rs->machines && ((len == 3 && memcmp(e, "all", 3) == 0) || selector_is_glob(e, len)))
		return err_set(ERR_INVALID, "'%.*s' selects machines of an inventory, and there is none: give --config "
			       "FILE, set CHIMERA_CONFIG or add ./chimera.toml", (int)(len > 200 ? 200 : len), e);
	return target_list_append(rs->l, e, len, add_group, rs->cli);
}

static int resolve_init(struct resolve *rs, struct cli *cli, const struct inventory *inv)
{
	size_t i;

	*rs = (struct resolve){ .cli = cli, .inv = inv, .machines = inv->n > 0 };
	rs->m = calloc(inv->n ? inv->n : 1, sizeof(*rs->m));
	rs->order = calloc(inv->n ? inv->n : 1, sizeof(*rs->order));
	if (!rs->m || !rs->order)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < inv->n; i++)
		rs->m[i] = (struct sel_machine){ inv->machines[i].name, inv->machines[i].tags, inv->machines[i].ntags };
	return 0;
}

static void resolve_release(struct resolve *rs)
{
	free(rs->m);
	free(rs->order);
	rs->m = NULL;
	rs->order = NULL;
}

/*
 * Append to L the targets of the machines the LEN bytes of SPEC select, and the other
 * elements. Without machines every element goes to resolve_other, which refuses "all"
 * and globs.
 */
static int add_spec(struct resolve *rs, const char *spec, size_t len, struct target_list *l)
{
	size_t norder, nelem = 0, i;
	int r;

	rs->l = l;
	/* Element by element, so machines and targets written out keep the order given. */
	for (i = 0; i <= len;) {
		const char *c = memchr(spec + i, ',', len - i);
		size_t end = c ? (size_t)(c - spec) : len, k;

		if (end == i)
			return err_set(ERR_INVALID, "bad target list '%.*s': element %zu is empty; expected NAME, @TAG, a "
				       "glob, all or [user@]host[:port], comma-separated", (int)(len > 200 ? 200 : len), spec,
				       nelem + 1);
		nelem++;
		norder = 0;
		if ((r = selector_select(spec + i, end - i, rs->m, rs->inv->n, resolve_other, rs, rs->order, &norder)) < 0)
			return r;
		for (k = 0; k < norder; k++)
			if ((r = target_list_add(l, &rs->inv->machines[rs->order[k]].target)) < 0)
				return r;
		i = end + 1;
	}
	return 0;
}

static int add_file(struct resolve *rs, struct target_list *l, const char *file)
{
	struct buf b = BUF_INIT(64 << 20);
	char *line, *next;
	int r, lineno = 0;

	if ((r = fs_read_file(file, &b)) < 0)
		goto out;
	for (line = b.data; line; line = next) {
		char *hash, *end;

		lineno++;
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		while (*line == ' ' || *line == '\t' || *line == '\r')
			line++;
		end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (!*line)
			continue;
		if ((r = add_spec(rs, line, strlen(line), l)) < 0) {
			char msg[1024];

			snprintf(msg, sizeof(msg), "%s", err_msg());
			r = err_set(r, "%s:%d: %s", file, lineno, msg);
			goto out;
		}
	}
out:
	buf_release(&b);
	return r;
}

int cli_targets(struct cli *cli, const char *spec, const char *exclude, const char *file, struct target_list *l)
{
	const struct inventory *inv;
	struct target_list drop, keep;
	struct resolve rs = { 0 };
	size_t i;
	int r = 0;

	target_list_init(l);
	target_list_init(&drop);
	target_list_init(&keep);
	if ((r = cli_inventory(cli, &inv)) < 0 || (r = resolve_init(&rs, cli, inv)) < 0)
		goto fail;
	if (spec && (r = add_spec(&rs, spec, strlen(spec), l)) < 0)
		goto fail;
	if (file && (r = add_file(&rs, l, file)) < 0)
		goto fail;
	if (exclude) {
		if ((r = add_spec(&rs, exclude, strlen(exclude), &drop)) < 0) {
			char msg[1024];

			snprintf(msg, sizeof(msg), "%s", err_msg());
			r = err_set(r, "--exclude: %s", msg);
			goto fail;
		}
		for (i = 0; i < l->n; i++)
			if (!target_list_has(&drop, &l->items[i]) && (r = target_list_add(&keep, &l->items[i])) < 0)
				goto fail;
		target_list_release(l);
		*l = keep;
		target_list_init(&keep);
	}
	target_list_release(&drop);
	resolve_release(&rs);
	if (l->n == 0) {
		r = err_set(ERR_INVALID, exclude ? "no targets left after --exclude" : "no targets: give -t TARGETS or --targets-file FILE");
		goto fail;
	}
	return 0;
fail:
	resolve_release(&rs);
	target_list_release(&drop);
	target_list_release(&keep);
	target_list_release(l);
	return r;
}

static void print_error(struct cli *cli, const char *msg)
{
	const char *name = cli->cmd ? cli->cmd->name : NULL;

	if (cli->json) {
		json_t *o = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(o);
	}
	fprintf(stderr, "chimera%s%s: error: %s\n", name ? " " : "", name ? name : "", msg);
}

enum cmd_status cli_fail(struct cli *cli, enum cmd_status st, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error(cli, msg);
	return st;
}

enum cmd_status cli_usage(struct cli *cli, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error(cli, msg);
	if (cli->cmd)
		fprintf(stderr, "usage: %s\nsee 'chimera %s --help'\n", cli->cmd->usage, cli->cmd->name);
	return CMD_USAGE;
}

enum cmd_status cli_help(struct cli *cli)
{
	const struct cmd_entry *c = cli->cmd;

	printf("usage: %s\n\n%s\n\n%s", c->usage, c->summary, c->help);
	return CMD_OK;
}

int cli_int(const char *name, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return err_set(ERR_INVALID, "bad %s '%s': expected a whole number from %ld to %ld", name, s, min, max);
	*out = v;
	return 0;
}

void cli_print_json(json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(json_real_digits(doc))) : NULL;

	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(doc);
}

void cli_bytes(uint64_t b, char *out, size_t len)
{
	if (b >= 1024 * 1024)
		snprintf(out, len, "%.1f MiB", b / 1048576.0);
	else if (b >= 1024)
		snprintf(out, len, "%.1f KiB", b / 1024.0);
	else
		snprintf(out, len, "%llu B", (unsigned long long)b);
}
