/* Use case: chimera nix build, a file's attribute or a flake's package built, its GC root when asked, and its event. */
#include "app/nix/build.h"
#include "app/fleet/fleet.h"
#include "core/nix_source.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

int nix_flake_resolve(const char *ref, size_t len, char *out, size_t outlen)
{
	char dir[PATH_MAX], real[PATH_MAX], q[128];
	struct stat st;

	if (len == 0 || len >= sizeof(dir))
		return err_set(ERR_INVALID, "bad flake reference '%s': expected path:/DIR, a directory, github:O/R, ...",
			       err_quote(q, sizeof(q), ref, len));
	memcpy(dir, ref, len);
	dir[len] = '\0';
	/* A bare word is a registry id (nixpkgs), unless a directory of that name is here. */
	if (ref[0] != '/' && ref[0] != '.' && (memchr(ref, ':', len) || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
		if ((size_t)snprintf(out, outlen, "%.*s", (int)len, ref) >= outlen)
			return err_set(ERR_LIMIT, "flake reference too long");
		return 0;
	}
	err_quote(q, sizeof(q), ref, len);
	if (!realpath(dir, real) || stat(real, &st) < 0)
		return err_set(ERR_INVALID, "bad flake '%s': %s; expected a directory holding flake.nix", q, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(ERR_INVALID, "bad flake '%s': not a directory; expected a directory holding flake.nix", q);
	if ((size_t)snprintf(out, outlen, "path:%s", real) >= outlen)
		return err_set(ERR_LIMIT, "flake path too long");
	return 0;
}

/* A flake installable REF#ATTR into REP (and SRC): a directory as REF becomes path:DIR. */
static int flake_installable(const struct nix_build_opts *o, const char *hash, struct nix_build_report *rep,
			     struct nix_source *src)
{
	size_t n;
	int r;

	if (o->attr)
		return err_set(ERR_INVALID, "-A ATTR goes with a file; a flake names its attribute after '#' (REF#ATTR)");
	if ((r = nix_flake_resolve(o->installable, (size_t)(hash - o->installable), rep->installable,
				   sizeof(rep->installable))) < 0)
		return r;
	n = strlen(rep->installable);
	if ((size_t)snprintf(rep->installable + n, sizeof(rep->installable) - n, "%s", hash) >= sizeof(rep->installable) - n)
		return err_set(ERR_LIMIT, "installable too long");
	rep->flake = true;
	src->flake = rep->installable;
	return nix_source_check(src);
}

/* A file installable into REP (and SRC): its real path, which must exist. */
static int file_installable(const struct nix_build_opts *o, struct nix_build_report *rep, struct nix_source *src)
{
	char q[128];

	if (!realpath(o->installable, rep->installable)) {
		err_quote(q, sizeof(q), o->installable, strlen(o->installable));
		if (strchr(o->installable, ':'))
			return err_set(ERR_INVALID, "bad installable '%s': a flake reference needs its attribute, REF#ATTR", q);
		return err_set(ERR_INVALID, "bad installable '%s': %s; expected a .nix file, a directory with default.nix,"
			       " or a flake REF#ATTR", q, strerror(errno));
	}
	src->file = rep->installable;
	if (o->attr) {
		snprintf(rep->attr, sizeof(rep->attr), "%s", o->attr);
		src->attr = rep->attr;
	}
	return nix_source_check(src);
}

/* O's out-link as an absolute path (its directory resolved) into REP->out_link. */
static int out_link_path(const char *link, struct nix_build_report *rep)
{
	char dir[PATH_MAX], real[PATH_MAX], q[128];
	const char *slash = strrchr(link, '/'), *base = slash ? slash + 1 : link;

	err_quote(q, sizeof(q), link, strlen(link));
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return err_set(ERR_INVALID, "bad --out-link '%s': expected a file name to make the link at", q);
	if ((size_t)snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - link) : 1, slash ? link : ".") >= sizeof(dir))
		return err_set(ERR_INVALID, "bad --out-link '%s': too long", q);
	if (slash == link)
		snprintf(dir, sizeof(dir), "/");
	if (!realpath(dir, real))
		return err_set(ERR_INVALID, "bad --out-link '%s': its directory: %s", q, strerror(errno));
	if ((size_t)snprintf(rep->out_link, sizeof(rep->out_link), "%s%s%s", real, strcmp(real, "/") ? "/" : "", base) >=
	    sizeof(rep->out_link))
		return err_set(ERR_INVALID, "bad --out-link '%s': too long", q);
	return 0;
}

/* S as a JSON string: paths may hold bytes that are not UTF-8. */
static json_t *text_json(const char *s)
{
	return json_utf8_string(s, strlen(s));
}

static void record(const struct nix_build_ctx *ctx, struct nix_build_report *rep)
{
	json_t *p;
	int r;

	if (!ctx->ledger)
		return;
	p = json_pack("{s:o, s:o, s:s, s:I, s:o}", "installable", text_json(rep->installable), "attr",
		      rep->attr[0] ? json_string(rep->attr) : json_null(), "path", rep->path, "ms", (json_int_t)rep->ms,
		      "out_link", rep->out_link[0] ? text_json(rep->out_link) : json_null());
	if ((r = fleet_record(ctx->ledger, "nix.package.built", NULL, NULL, p, NULL)) < 0)
		fleet_keep_ledger_error(r, &rep->ledger_err, rep->ledger_msg, sizeof(rep->ledger_msg));
}

int nix_build_run(const struct nix_build_ctx *ctx, const struct nix_build_opts *o, struct nix_build_report *rep)
{
	struct nix_source src = { 0 };
	const char *hash;
	int64_t t0;
	int r;

	memset(rep, 0, sizeof(*rep));
	if (!o->installable || !*o->installable)
		return err_set(ERR_INVALID, "no installable: expected a .nix file or a flake REF#ATTR");
	hash = strchr(o->installable, '#');
	if ((r = hash ? flake_installable(o, hash, rep, &src) : file_installable(o, rep, &src)) < 0)
		return r;
	if (o->out_link && (r = out_link_path(o->out_link, rep)) < 0)
		return r;
	if (rep->out_link[0] && !ctx->nix->ops->add_root)
		return err_set(ERR_UNSUPPORTED, "this nix back end (%s) cannot make GC roots", ctx->nix->ops->name);
	t0 = clock_mono_ms();
	if ((r = ctx->nix->ops->build(ctx->nix, &src, rep->path, NULL)) < 0)
		return r;
	rep->ms = clock_mono_ms() - t0;
	if (rep->out_link[0] && (r = ctx->nix->ops->add_root(ctx->nix, rep->path, rep->out_link)) < 0)
		return r;
	record(ctx, rep);
	return 0;
}

char *nix_build_report_json(const struct nix_build_report *rep)
{
	return json_render(json_pack("{s:o, s:b, s:o, s:s, s:o, s:I}", "installable", text_json(rep->installable), "flake",
				     rep->flake, "attr", rep->attr[0] ? json_string(rep->attr) : json_null(), "path", rep->path,
				     "out_link", rep->out_link[0] ? text_json(rep->out_link) : json_null(), "ms",
				     (json_int_t)rep->ms));
}
