/* The nix port on the Nix command-line tools (nix-build, nix build, nix-store). */
#include "adapters/nix/nix_cli.h"
#include "util/err.h"
#include "util/log.h"
#include "util/proc.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define NIX_LOG_MAX (4 * 1024 * 1024)
#define NIX_TAIL 700	/* bytes of Nix's output quoted in an error */

struct nix_cli {
	struct nix base;
	char nix_build[PATH_MAX];
	char nix_store[PATH_MAX];
	char nix[PATH_MAX];	/* "" when the new-style `nix` is missing */
};

/* Set an ERR_IO message: WHAT, then the last NIX_TAIL bytes of LOG. */
static int nix_fail(const char *what, int status, const struct buf *log)
{
	size_t len = log->len, from;

	while (len && (log->data[len - 1] == '\n' || log->data[len - 1] == ' '))
		len--;
	from = len > NIX_TAIL ? len - NIX_TAIL : 0;
	/* Start the tail at a line. */
	if (from) {
		const char *nl = memchr(log->data + from, '\n', len - from);

		if (nl)
			from = (size_t)(nl + 1 - log->data);
	}
	return err_set(ERR_IO, "%s failed (exit %d)%s%.*s", what, status, len ? ":\n" : "", (int)(len - from),
		       log->data + from);
}

/* Take the single store path from nix-build's stdout. */
static int nix_take_path(const struct buf *out, char path[STOREPATH_MAX])
{
	const char *p = out->data, *end = out->data + out->len, *nl;
	size_t n = 0, len;

	while (end > p && end[-1] == '\n')
		end--;
	for (nl = p; nl < end; nl++)
		if (*nl == '\n')
			n++;
	if (end == p)
		return err_set(ERR_IO, "the build printed no store path");
	if (n)
		return err_set(ERR_INVALID, "the build produced %zu store paths; choose one with -A ATTR", n + 1);
	len = (size_t)(end - p);
	if (!storepath_valid(p, len))
		return err_set(ERR_IO, "the build printed '%.*s', not a store path", (int)(len > 200 ? 200 : len), p);
	memcpy(path, p, len);
	path[len] = 0;
	return 0;
}

/* Take outputs.out of `nix build --json`. */
static int nix_take_json(const struct buf *out, char path[STOREPATH_MAX])
{
	json_error_t jerr;
	json_t *doc = json_loadb(out->data, out->len, 0, &jerr), *outs;
	const char *s;
	int r = 0;

	if (!doc || !json_is_array(doc) || json_array_size(doc) != 1) {
		r = err_set(ERR_IO, "cannot read `nix build --json` output%s%s", doc ? "" : ": ", doc ? "" : jerr.text);
		goto out;
	}
	outs = json_object_get(json_array_get(doc, 0), "outputs");
	if (json_object_size(outs) != 1 || !(s = json_string_value(json_object_iter_value(json_object_iter(outs))))) {
		r = err_set(ERR_INVALID, "the flake attribute has %zu outputs; expected one", json_object_size(outs));
		goto out;
	}
	if (!storepath_valid(s, strlen(s))) {
		r = err_set(ERR_IO, "`nix build` reported '%s', not a store path", s);
		goto out;
	}
	snprintf(path, STOREPATH_MAX, "%s", s);
out:
	json_decref(doc);
	return r;
}

static int nix_cli_build(struct nix *base, const struct nix_source *src, char out[STOREPATH_MAX], struct buf *log)
{
	struct nix_cli *nx = (struct nix_cli *)base;
	char *argv[16 + 3 * NIX_ARGS_MAX];
	struct buf so = BUF_INIT(1024 * 1024), se = BUF_INIT(NIX_LOG_MAX);
	size_t a = 0, i;
	int r, status;

	out[0] = 0;
	if ((r = nix_source_check(src)) < 0)
		return r;
	if (src->file) {
		argv[a++] = nx->nix_build;
		argv[a++] = (char *)src->file;
		argv[a++] = "--no-out-link";
		if (src->attr) {
			argv[a++] = "-A";
			argv[a++] = (char *)src->attr;
		}
		for (i = 0; i < src->nargs; i++) {
			argv[a++] = src->args[i].is_str ? "--argstr" : "--arg";
			argv[a++] = (char *)src->args[i].name;
			argv[a++] = (char *)src->args[i].value;
		}
	} else {
		if (!nx->nix[0])
			return err_set(ERR_NOTFOUND, "--flake needs the `nix` command, not found on PATH (Debian: nix-bin)");
		argv[a++] = nx->nix;
		argv[a++] = "--extra-experimental-features";
		argv[a++] = "nix-command flakes";
		argv[a++] = "build";
		argv[a++] = (char *)src->flake;
		argv[a++] = "--no-link";
		argv[a++] = "--json";
	}
	argv[a] = NULL;
	log_kv(LOG_DEBUG, "nix", "building", "tool", argv[0], "source", src->file ? src->file : src->flake,
	       (const char *)NULL);
	if ((r = proc_run_split(argv, -1, &so, &se, &status)) < 0)
		goto out;
	if (log)
		buf_add(log, se.data, se.len);
	if (status != 0) {
		r = nix_fail(src->file ? "nix-build" : "nix build", status, &se);
		goto out;
	}
	r = src->file ? nix_take_path(&so, out) : nix_take_json(&so, out);
out:
	buf_release(&so);
	buf_release(&se);
	return r;
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

static void nix_cli_close(struct nix *base)
{
	free(base);
}

static const struct nix_ops nix_cli_ops = {
	.name = "nix-cli",
	.build = nix_cli_build,
	.closure = nix_cli_closure,
	.export_paths = nix_cli_export,
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
	*out = &nx->base;
	return 0;
}
