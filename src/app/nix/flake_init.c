/* Use case: `chimera nix flake init`: a template's files written where none is, and the git repository flakes want. */
#include "app/nix/flake_internal.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

#define FILES_MAX 16	/* files in a template */

/* The names of the templates for a message: "fleet or offline". */
static void template_names(char *out, size_t len)
{
	size_t i, n, used = 0;
	const struct flake_template *t = flake_templates(&n);

	used = (size_t)snprintf(out, len, "expected ");
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", t[i].name);
}

/* Refuse (ERR_EXISTS) when a file of T is in DIR already, naming every one. */
static int refuse_existing(const char *dir, const struct flake_template *t)
{
	struct buf names = BUF_INIT(0);
	char path[PATH_MAX];
	struct stat st;
	size_t i, found = 0;
	int r = 0;

	for (i = 0; i < t->n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, t->files[i].path);
		if (lstat(path, &st) == 0) {
			buf_printf(&names, "%s%s", found++ ? ", " : "", path);
		}
	}
	if (found)
		r = err_set(ERR_EXISTS, "refusing to overwrite %s: flake init writes only files that are not there yet",
			    names.data);
	buf_release(&names);
	return r;
}

/* Write F under DIR as a new file (never over one). */
static int write_new(const char *dir, const struct flake_template_file *f)
{
	char path[PATH_MAX], parent[PATH_MAX];
	char *slash;
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, f->path);
	snprintf(parent, sizeof(parent), "%s", path);
	if ((slash = strrchr(parent, '/')) && slash != parent) {
		*slash = 0;
		if ((r = fs_mkdir_p(parent, 0755)) < 0)
			return r;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return err_set_errno(errno == EEXIST ? ERR_EXISTS : ERR_IO, errno, "cannot create %s", path);
	r = fs_write_all(fd, f->data, *f->len, path);
	if (close(fd) < 0 && r == 0)
		r = err_set_errno(ERR_IO, errno, "cannot write %s", path);
	return r;
}

/* Write every file of T into DIR; on a failure remove the ones written. */
static int write_all(const char *dir, const struct flake_template *t)
{
	char path[PATH_MAX];
	size_t i, j;
	int r;

	for (i = 0; i < t->n; i++) {
		if ((r = write_new(dir, &t->files[i])) < 0) {
			for (j = 0; j < i; j++) {
				snprintf(path, sizeof(path), "%s/%s", dir, t->files[j].path);
				unlink(path);
			}
			return r;
		}
	}
	return 0;
}

/* git init and add, when DIR is in no work tree; what stood in the way goes into the report's note. */
static void track(const struct flake_ctx *ctx, struct flake_init_report *rep)
{
	char *files[FILES_MAX];
	size_t i, n = rep->tpl->n < FILES_MAX ? rep->tpl->n : FILES_MAX;
	int inited = 0;
	struct buf note = BUF_INIT(0);

	for (i = 0; i < n; i++)
		files[i] = (char *)rep->tpl->files[i].path;
	if (!ctx->nix || !ctx->nix->ops->flake_track)
		buf_printf(&note, "no git repository made: this Nix back end makes none");
	else if (ctx->nix->ops->flake_track(ctx->nix, rep->dir, files, n, &inited) < 0)
		buf_printf(&note, "no git repository made (%s): path:%s works, `nix build %s` needs one", err_msg(), rep->dir,
			   rep->dir);
	else if (!inited)
		buf_printf(&note, "%s is inside a git work tree: `git add` the new files for `nix build %s` to see them "
				  "(chimera's path:%s sees every file)", rep->dir, rep->dir, rep->dir);
	rep->git_init = inited != 0;
	rep->git_note = note.len ? buf_detach(&note, NULL) : NULL;
	buf_release(&note);
}

static json_t *files_json(const struct flake_template *t)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < t->n; i++)
		json_array_append_new(a, json_string(t->files[i].path));
	return a;
}

int flake_init(const struct flake_ctx *ctx, const char *dir, const char *template, struct flake_init_report *rep)
{
	struct flake_dir fd;
	char names[128];
	bool existed;
	int r;

	memset(rep, 0, sizeof(*rep));
	if (!(rep->tpl = flake_template_find(template ? template : FLAKE_TEMPLATE_DEFAULT))) {
		template_names(names, sizeof(names));
		return err_bad_input("unknown template", template, strlen(template), NULL, names);
	}
	rep->template = rep->tpl->name;
	if (!dir || !*dir)
		return err_set(ERR_INVALID, "flake init needs the flake's directory DIR");
	existed = fs_exists(dir);
	if ((r = fs_mkdir_p(dir, 0755)) < 0)
		return r;
	if ((r = flake_dir_open(dir, &fd)) < 0) {
		if (!existed)
			rmdir(dir);
		return r;
	}
	if ((r = refuse_existing(fd.dir, rep->tpl)) < 0 || (r = write_all(fd.dir, rep->tpl)) < 0)
		return r;
	snprintf(rep->dir, sizeof(rep->dir), "%s", fd.dir);
	track(ctx, rep);
	flake_record(ctx, "nix.flake.created",
		     json_pack("{s:s, s:s, s:b, s:o}", "dir", rep->dir, "template", rep->template, "git_init", rep->git_init,
			       "files", files_json(rep->tpl)),
		     &rep->ledger_err, rep->ledger_msg, sizeof(rep->ledger_msg));
	return 0;
}

void flake_init_report_release(struct flake_init_report *rep)
{
	free(rep->git_note);
	rep->git_note = NULL;
}

char *flake_init_json(const struct flake_init_report *rep)
{
	return json_render(json_pack("{s:s, s:s, s:o, s:b, s:s?}", "dir", rep->dir, "template", rep->template, "files",
				     files_json(rep->tpl), "git_init", rep->git_init, "git_note", rep->git_note));
}
