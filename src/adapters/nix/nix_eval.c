/* The nix-cli adapter's evaluations (nix-instantiate --eval, nix eval) and GC roots (nix-store --add-root). */
#include "adapters/nix/nix_cli_internal.h"
#include "util/err.h"
#include "util/proc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "util/banned.h"

#define EVAL_ERR_MAX (4 * 1024 * 1024)	/* Nix's stderr kept while evaluating */
#define EVAL_ARGS_MAX 24

/* The line Nix ends an error with when it was run without --show-trace. */
static const char show_trace[] = "(use '--show-trace' to show detailed location information)";

/*
 * Nix's error from its stderr ERR: from its first "error: " line on (warnings and build
 * logs before it left out), without that prefix, the --show-trace hint or trailing blanks.
 */
static int eval_failed(const char *what, int status, const struct buf *err)
{
	const char *p = err->data, *from = NULL, *end;
	char *hint;

	while (p && *p) {
		if (strncmp(p, "error: ", 7) == 0) {
			from = p + 7;
			break;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (!from)
		return nix_fail(what, status, err);
	end = err->data + err->len;
	if ((hint = strstr(from, show_trace)))
		end = hint;
	while (end > from && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	return err_set(ERR_IO, "%.*s", (int)(end - from), from);
}

/* The command line for REQ into ARGV (EVAL_ARGS_MAX entries), the program's path kept in PROG. */
static int eval_argv(const struct nix_cli *nx, const struct nix_eval_req *req, char prog[PATH_MAX], char **argv)
{
	size_t a = 0;

	if (!!req->expr + !!req->file + !!req->installable != 1)
		return err_set(ERR_INVALID, "evaluate one of an expression, a file or a flake installable");
	if (req->installable) {
		if (!nx->nix[0])
			return err_set(ERR_NOTFOUND, "evaluating a flake needs the `nix` command, not found on PATH (Debian: nix-bin)");
		snprintf(prog, PATH_MAX, "%s", nx->nix);
		argv[a++] = prog;
		argv[a++] = "--extra-experimental-features";
		argv[a++] = "nix-command flakes";
		argv[a++] = "eval";
		argv[a++] = "--no-write-lock-file";
		argv[a++] = (char *)req->installable;
		if (req->apply) {
			argv[a++] = "--apply";
			argv[a++] = (char *)req->apply;
		}
	} else {
		if (proc_which("nix-instantiate", prog, PATH_MAX) < 0)
			return err_set(ERR_NOTFOUND, "nix-instantiate is needed on PATH (Debian package nix-bin)");
		argv[a++] = prog;
		argv[a++] = "--eval";
		argv[a++] = "--strict";
		if (req->expr) {
			argv[a++] = "--expr";
			argv[a++] = (char *)req->expr;
		} else {
			argv[a++] = (char *)req->file;
			if (req->attr) {
				argv[a++] = "--attr";
				argv[a++] = (char *)req->attr;
			}
		}
	}
	if (req->json)
		argv[a++] = "--json";
	if (nx->no_build_users) {
		/* An import from a derivation builds: as the port's builds do. */
		argv[a++] = "--option";
		argv[a++] = "build-users-group";
		argv[a++] = "";
	}
	argv[a] = NULL;
	return 0;
}

int nix_cli_eval(struct nix *base, const struct nix_eval_req *req, struct buf *out)
{
	struct nix_cli *nx = (struct nix_cli *)base;
	struct buf err = BUF_INIT(EVAL_ERR_MAX);
	char prog[PATH_MAX], *argv[EVAL_ARGS_MAX];
	int r, status;

	buf_reset(out);
	if ((r = eval_argv(nx, req, prog, argv)) < 0)
		goto out;
	if ((r = proc_run_split(argv, -1, out, &err, &status)) < 0)
		goto out;
	if (status != 0) {
		r = eval_failed(req->installable ? "nix eval" : "nix-instantiate --eval", status, &err);
		goto out;
	}
	/* proc_run_split keeps what fits: a value that filled OUT may have been cut. */
	if (out->max && out->len >= out->max) {
		r = err_set(ERR_LIMIT, "the value Nix printed passes %zu MiB", out->max >> 20);
		goto out;
	}
	while (out->len && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
out:
	if (r < 0)
		buf_reset(out);
	buf_release(&err);
	return r;
}

int nix_cli_add_root(struct nix *base, const char *path, const char *link)
{
	struct nix_cli *nx = (struct nix_cli *)base;
	struct buf so = BUF_INIT(64 * 1024), se = BUF_INIT(64 * 1024);
	char *argv[] = { nx->nix_store, "--realise", (char *)path, "--add-root", (char *)link, "--indirect", NULL };
	struct stat st;
	int r, status;

	if (!storepath_valid(path, strlen(path)))
		return err_set(ERR_INVALID, "'%s' is not a store path", path);
	if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode))
		return err_set(ERR_EXISTS, "'%s' exists and is not a symlink: not replaced", link);
	if (lstat(link, &st) < 0 && errno != ENOENT)
		return err_set_errno(ERR_IO, errno, "cannot read '%s'", link);
	if ((r = proc_run_split(argv, -1, &so, &se, &status)) == 0 && status != 0)
		r = nix_fail("nix-store --add-root", status, &se);
	buf_release(&so);
	buf_release(&se);
	return r;
}
