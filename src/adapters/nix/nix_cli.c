/* The nix port on the Nix command-line tools (nix-build, nix build, nix-store). */
#include "adapters/nix/nix_cli.h"
#include "adapters/nix/nix_cli_internal.h"
#include "formats/nixlog.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"

#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

/* True when the file PATH (if any) sets KEY. */
static bool conf_file_sets(const char *path, const char *key)
{
	struct buf b = BUF_INIT(4 * 1024 * 1024);
	bool set = fs_read_file(path, &b) == 0 && nixlog_conf_sets(b.data, b.len, key);

	err_clear();
	buf_release(&b);
	return set;
}

/* True when a nix.conf in one of the colon-separated DIRS (each + SUFFIX) sets KEY. */
static bool conf_dirs_set(const char *dirs, const char *suffix, const char *key)
{
	const char *p = dirs;

	while (*p) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		char path[PATH_MAX];

		if (n && snprintf(path, sizeof(path), "%.*s%s", (int)n, p, suffix) < (int)sizeof(path) &&
		    conf_file_sets(path, key))
			return true;
		p += n + (colon ? 1 : 0);
	}
	return false;
}

/* True when NIX_CONFIG or a nix.conf Nix reads sets KEY. */
static bool nix_config_sets(const char *key)
{
	const char *env = getenv("NIX_CONFIG"), *dir = getenv("NIX_CONF_DIR");
	const char *user = getenv("NIX_USER_CONF_FILES"), *home = getenv("HOME");
	const char *xdg_home = getenv("XDG_CONFIG_HOME"), *xdg_dirs = getenv("XDG_CONFIG_DIRS");
	char path[PATH_MAX];

	if (env && nixlog_conf_sets(env, strlen(env), key))
		return true;
	if (conf_dirs_set(dir && *dir ? dir : "/etc/nix", "/nix.conf", key))
		return true;
	if (user && *user)
		return conf_dirs_set(user, "", key);
	if (xdg_home && *xdg_home)
		snprintf(path, sizeof(path), "%s", xdg_home);
	else
		snprintf(path, sizeof(path), "%s/.config", home ? home : "");
	return conf_dirs_set(path, "/nix/nix.conf", key) ||
	       conf_dirs_set(xdg_dirs && *xdg_dirs ? xdg_dirs : "/etc/xdg", "/nix/nix.conf", key);
}

bool nix_cli_single_user(void)
{
	const char *remote = getenv("NIX_REMOTE"), *sock = getenv("NIX_DAEMON_SOCKET_PATH");
	const char *state = getenv("NIX_STATE_DIR");
	char path[PATH_MAX];

	if (geteuid() != 0 || getgrnam("nixbld"))
		return false;
	if (remote && *remote && strcmp(remote, "local") != 0 && strcmp(remote, "auto") != 0)
		return false;
	if (sock && *sock)
		snprintf(path, sizeof(path), "%s", sock);
	else
		snprintf(path, sizeof(path), "%s/daemon-socket/socket", state && *state ? state : "/nix/var/nix");
	if (fs_exists(path))
		return false;
	return !nix_config_sets("build-users-group");
}

/* Run nix-store with ARGS (NULL-terminated, after the program) and collect stdout. */
static int nix_store_query(struct nix_cli *nx, char *const *args, size_t nargs, struct buf *so)
{
	struct buf se = BUF_INIT(64 * 1024);
	char **argv = calloc(nargs + 2, sizeof(*argv));
	int r, status;

	if (!argv)
		return err_set(ERR_NOMEM, "out of memory");
	argv[0] = nx->nix_store;
	memcpy(argv + 1, args, nargs * sizeof(*argv));
	if ((r = proc_run_split(argv, -1, so, &se, &status)) == 0 && status != 0)
		r = nix_fail("nix-store", status, &se);
	free(argv);
	buf_release(&se);
	return r;
}

static int nix_cli_closure(struct nix *base, const char *path, struct nix_closure *c)
{
	struct nix_cli *nx = (struct nix_cli *)base;
	struct buf so = BUF_INIT(256 * 1024 * 1024), sizes = BUF_INIT(64 * 1024 * 1024);
	char *qargs[] = { "--query", "--requisites", (char *)path };
	char **args = NULL;
	const char *p, *end;
	size_t i, cap = 0;
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = nix_store_query(nx, qargs, 3, &so)) < 0)
		goto out;
	for (p = so.data, end = so.data + so.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len) {
			if (!storepath_valid(p, len)) {
				r = err_set(ERR_IO, "nix-store printed '%.*s', not a store path", (int)(len > 200 ? 200 : len), p);
				goto out;
			}
			if (c->n == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct nix_path_info *m = realloc(c->items, ncap * sizeof(*m));

				if (!m) {
					r = err_set(ERR_NOMEM, "out of memory");
					goto out;
				}
				c->items = m;
				cap = ncap;
			}
			memcpy(c->items[c->n].path, p, len);
			c->items[c->n].path[len] = 0;
			c->items[c->n].nar_size = 0;
			c->n++;
		}
		p += len + 1;
	}
	if (!(args = calloc(c->n + 2, sizeof(*args)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	args[0] = "--query";
	args[1] = "--size";
	for (i = 0; i < c->n; i++)
		args[i + 2] = c->items[i].path;
	if ((r = nix_store_query(nx, args, c->n + 2, &sizes)) < 0)
		goto out;
	for (i = 0, p = sizes.data, end = sizes.data + sizes.len; i < c->n && p < end; i++) {
		char *e;
		unsigned long long v = strtoull(p, &e, 10);

		if (e == p || (*e != '\n' && e != end)) {
			r = err_set(ERR_IO, "cannot read the sizes nix-store printed");
			goto out;
		}
		c->items[i].nar_size = v;
		c->bytes += v;
		p = e + 1;
	}
	if (i != c->n)
		r = err_set(ERR_IO, "nix-store printed %zu sizes for %zu paths", i, c->n);
out:
	free(args);
	buf_release(&so);
	buf_release(&sizes);
	if (r < 0)
		nix_closure_release(c);
	return r;
}

static int nix_cli_export(struct nix *base, char *const *paths, size_t n, int fd)
{
	struct nix_cli *nx = (struct nix_cli *)base;
	struct buf se = BUF_INIT(64 * 1024);
	char **argv = calloc(n + 3, sizeof(*argv));
	int r, status;

	if (!argv)
		return err_set(ERR_NOMEM, "out of memory");
	argv[0] = nx->nix_store;
	argv[1] = "--export";
	memcpy(argv + 2, paths, n * sizeof(*argv));
	if ((r = proc_run_split(argv, fd, NULL, &se, &status)) == 0 && status != 0)
		r = nix_fail("nix-store --export", status, &se);
	free(argv);
	buf_release(&se);
	return r;
}

static int nix_cli_dump(struct nix *base, const char *path, int fd)
{
	struct nix_cli *nx = (struct nix_cli *)base;
	struct buf se = BUF_INIT(64 * 1024);
	char *argv[] = { nx->nix_store, "--dump", (char *)path, NULL };
	int r, status;

	if ((r = proc_run_split(argv, fd, NULL, &se, &status)) == 0 && status != 0)
		r = nix_fail("nix-store --dump", status, &se);
	buf_release(&se);
	return r;
}

static void nix_cli_close(struct nix *base)
{
	free(base);
}

static const struct nix_ops nix_cli_ops = {
	.name = "nix-cli",
	.build = nix_cli_build,
	.closure = nix_cli_closure,
	.export_paths = nix_cli_export,
	.dump_path = nix_cli_dump,
	.eval = nix_cli_eval,
	.add_root = nix_cli_add_root,
	.flake = nix_cli_flake,
	.flake_track = nix_cli_flake_track,
	.close = nix_cli_close,
};

int nix_cli_new(struct nix **out)
{
	struct nix_cli *nx;

	*out = NULL;
	if (!(nx = calloc(1, sizeof(*nx))))
		return err_set(ERR_NOMEM, "out of memory");
	nx->base.ops = &nix_cli_ops;
	if (proc_which("nix-build", nx->nix_build, sizeof(nx->nix_build)) < 0 ||
	    proc_which("nix-store", nx->nix_store, sizeof(nx->nix_store)) < 0) {
		free(nx);
		return err_set(ERR_NOTFOUND, "nix-build and nix-store are needed on PATH (Debian package nix-bin)");
	}
	if (proc_which("nix", nx->nix, sizeof(nx->nix)) < 0) {
		err_clear();
		nx->nix[0] = 0;
	}
	nx->no_build_users = nix_cli_single_user();
	*out = &nx->base;
	return 0;
}
