/* What every command shares: state dir, ledger, targets, errors and usage output. */
#include "cli/cli.h"
#include "adapters/lab/lab.h"
#include "adapters/sqlite/ledger_sqlite.h"
#include "util/err.h"
#include "util/fs.h"
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

static int add_file(struct cli *cli, struct target_list *l, const char *file)
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
		if ((r = target_list_append(l, line, strlen(line), add_group, cli)) < 0) {
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

int cli_targets(struct cli *cli, const char *spec, const char *file, struct target_list *l)
{
	int r = 0;

	target_list_init(l);
	if (spec && (r = target_list_append(l, spec, strlen(spec), add_group, cli)) < 0)
		goto fail;
	if (file && (r = add_file(cli, l, file)) < 0)
		goto fail;
	if (l->n == 0) {
		r = err_set(ERR_INVALID, "no targets: give -t TARGETS or --targets-file FILE");
		goto fail;
	}
	return 0;
fail:
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
	char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;

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
