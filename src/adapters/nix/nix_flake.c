/* The nix-cli adapter's flake operations (`nix flake lock|update|show|check`) and the git a new flake needs. */
#include "adapters/nix/nix_cli_internal.h"
#include "util/err.h"
#include "util/proc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define FLAKE_ERR_MAX (1024 * 1024)	/* Nix's or git's stderr kept */
#define FLAKE_ARGS_MAX 20

/*
 * The message of a failed `nix flake VERB`: what Nix said from its first "error:" on (its
 * warnings and progress before that left out), less its --show-trace advice.
 */
static int flake_failed(const char *verb, int status, const struct buf *err)
{
	static const char trace[] = "(use '--show-trace'";
	const char *text = err->data, *e = NULL, *cut;
	size_t n;

	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, "error:", 6) == 0) {
			e = line + 6;
			break;
		}
	}
	if (!e)
		return nix_fail(verb, status, err);
	while (*e == ' ')
		e++;
	n = strlen(e);
	if ((cut = strstr(e, trace)))
		n = (size_t)(cut - e);
	while (n && strchr(" \n", e[n - 1]))
		n--;
	return err_set(ERR_IO, "%s failed: %.*s", verb, (int)n, e);
}

int nix_cli_flake(struct nix *base, enum nix_flake_verb verb, const char *ref, const char *input, struct buf *out)
{
	static const char *const verbs[] = { [NIX_FLAKE_LOCK] = "lock", [NIX_FLAKE_UPDATE] = "update",
					     [NIX_FLAKE_SHOW] = "show", [NIX_FLAKE_CHECK] = "check" };
	struct nix_cli *nx = (struct nix_cli *)base;
	struct buf err = BUF_INIT(FLAKE_ERR_MAX), sink = BUF_INIT(FLAKE_ERR_MAX);
	char *argv[FLAKE_ARGS_MAX], what[32];
	size_t a = 0;
	int r, status;

	if (out)
		buf_reset(out);
	if (!nx->nix[0])
		return err_set(ERR_NOTFOUND, "flakes need the `nix` command, not found on PATH (Debian package nix-bin)");
	if ((unsigned)verb > NIX_FLAKE_CHECK || (input && verb != NIX_FLAKE_LOCK))
		return err_set(ERR_INVALID, "no such flake operation");
	snprintf(what, sizeof(what), "nix flake %s", verbs[verb]);
	argv[a++] = nx->nix;
	argv[a++] = "--extra-experimental-features";
	argv[a++] = "nix-command flakes";
	argv[a++] = "flake";
	argv[a++] = (char *)verbs[verb];
	if (input) {
		argv[a++] = "--update-input";
		argv[a++] = (char *)input;
	}
	if (verb == NIX_FLAKE_SHOW)
		argv[a++] = "--json";
	if (verb == NIX_FLAKE_SHOW || verb == NIX_FLAKE_CHECK)
		argv[a++] = "--no-write-lock-file";
	if (nx->no_build_users) {
		argv[a++] = "--option";
		argv[a++] = "build-users-group";
		argv[a++] = "";
	}
	argv[a++] = "--";
	argv[a++] = (char *)ref;
	argv[a] = NULL;
	if ((r = proc_run_split(argv, -1, out ? out : &sink, &err, &status)) == 0 && status != 0)
		r = flake_failed(what, status, &err);
	buf_release(&err);
	buf_release(&sink);
	return r;
}

/* Run git with ARGS (NULL-ended) in DIR; *STATUS its exit status, OUT (may be NULL) its stdout. */
static int git_run(const char *git, const char *dir, char *const *args, struct buf *out, struct buf *err, int *status)
{
	char *argv[8 + 64];
	size_t a = 0, i;

	argv[a++] = (char *)git;
	argv[a++] = "-C";
	argv[a++] = (char *)dir;
	for (i = 0; args[i] && a < sizeof(argv) / sizeof(argv[0]) - 1; i++)
		argv[a++] = args[i];
	argv[a] = NULL;
	buf_reset(err);
	return proc_run_split(argv, -1, out, err, status);
}

/* `git add` the N FILES in DIR, a few at a time (each a relative name). */
static int git_add(const char *git, const char *dir, char *const *files, size_t n, struct buf *err)
{
	char *args[48];
	size_t i = 0, a;
	int r, status;

	while (i < n) {
		a = 0;
		args[a++] = "add";
		args[a++] = "--";
		while (i < n && a < sizeof(args) / sizeof(args[0]) - 1)
			args[a++] = files[i++];
		args[a] = NULL;
		if ((r = git_run(git, dir, args, NULL, err, &status)) < 0)
			return r;
		if (status != 0)
			return nix_fail("git add", status, err);
	}
	return 0;
}

int nix_cli_flake_track(struct nix *base, const char *dir, char *const *files, size_t n, int *git_init)
{
	static char *const inside[] = { "rev-parse", "--is-inside-work-tree", NULL };
	static char *const init[] = { "init", "--quiet", NULL };
	struct buf err = BUF_INIT(FLAKE_ERR_MAX), so = BUF_INIT(4096);
	char git[PATH_MAX];
	int r, status;

	(void)base;
	*git_init = 0;
	if (proc_which("git", git, sizeof(git)) < 0)
		return err_set(ERR_NOTFOUND, "git is needed to make '%s' a git repository, as flakes want (Debian package git)",
			       dir);
	if ((r = git_run(git, dir, inside, &so, &err, &status)) < 0)
		goto out;
	if (status == 0 && strncmp(so.data, "true", 4) == 0)
		goto out;
	if ((r = git_run(git, dir, init, NULL, &err, &status)) < 0)
		goto out;
	if (status != 0) {
		r = nix_fail("git init", status, &err);
		goto out;
	}
	*git_init = 1;
	r = git_add(git, dir, files, n, &err);
out:
	buf_release(&err);
	buf_release(&so);
	return r;
}
