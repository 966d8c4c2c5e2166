/* Use cases: `chimera nix flake metadata` (flake.lock read, no Nix), `show` and `check` (Nix's own). */
#include "app/nix/flake_internal.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define SHOW_MAX (64u * 1024 * 1024)	/* the most of `nix flake show --json` taken */

/* flake.nix's inputs that flake.lock's root lacks. */
static json_t *unlocked(const struct nix_inputs *in, const json_t *direct)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < in->n; i++)
		if (!json_object_get(direct, in->v[i].name))
			json_array_append_new(a, json_string(in->v[i].name));
	return a;
}

int flake_metadata(const char *dir, struct flake_metadata_report *rep)
{
	struct flake_dir fd;
	struct buf text = BUF_INIT(NIX_EDIT_TEXT_MAX), lock = BUF_INIT(FLAKE_LOCK_MAX);
	struct nix_inputs in = { 0 };
	json_t *direct = NULL;
	int r;

	memset(rep, 0, sizeof(*rep));
	if ((r = flake_dir_open(dir, &fd)) < 0 || (r = flake_read_nix(&fd, &text, &in)) < 0)
		goto out;
	snprintf(rep->dir, sizeof(rep->dir), "%s", fd.dir);
	rep->lock_file = fs_exists(fd.lock_file);
	if (!rep->lock_file && in.n) {
		r = err_set(ERR_NOTFOUND, "%s has inputs and no flake.lock: 'chimera nix flake lock %s' makes it", fd.dir, fd.dir);
		goto out;
	}
	if (rep->lock_file) {
		if ((r = fs_read_file(fd.lock_file, &lock)) < 0 ||
		    (r = flake_lock_parse(lock.data, lock.len, fd.lock_file, &direct, &rep->inputs)) < 0)
			goto out;
	} else if (!(direct = json_object()) || !(rep->inputs = json_array())) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!(rep->unlocked = unlocked(&in, direct)) || (in.description && !(rep->description = strdup(in.description))))
		r = err_set(ERR_NOMEM, "out of memory");
out:
	if (r < 0)
		flake_metadata_report_release(rep);
	json_decref(direct);
	nix_inputs_release(&in);
	buf_release(&text);
	buf_release(&lock);
	return r;
}

void flake_metadata_report_release(struct flake_metadata_report *rep)
{
	free(rep->description);
	json_decref(rep->inputs);
	json_decref(rep->unlocked);
	rep->description = NULL;
	rep->inputs = rep->unlocked = NULL;
}

char *flake_metadata_json(const struct flake_metadata_report *rep)
{
	return json_render(json_pack("{s:s, s:s?, s:b, s:O?, s:O?}", "dir", rep->dir, "description", rep->description,
				     "lock_file", rep->lock_file, "inputs", rep->inputs, "unlocked", rep->unlocked));
}

/* DIR opened and read far enough to name Nix's errors after its inputs. */
static int open_flake(const char *dir, struct flake_dir *fd, struct nix_inputs *in, struct flake_show_report *rep)
{
	struct buf text = BUF_INIT(NIX_EDIT_TEXT_MAX);
	int r;

	memset(rep, 0, sizeof(*rep));
	if ((r = flake_dir_open(dir, fd)) == 0 && (r = flake_read_nix(fd, &text, in)) == 0)
		snprintf(rep->dir, sizeof(rep->dir), "%s", fd->dir);
	buf_release(&text);
	return r;
}

int flake_show(const struct flake_ctx *ctx, const char *dir, struct flake_show_report *rep)
{
	struct flake_dir fd;
	struct nix_inputs in = { 0 };
	struct buf out = BUF_INIT(SHOW_MAX);
	json_error_t jerr;
	int r;

	if ((r = open_flake(dir, &fd, &in, rep)) < 0)
		goto out;
	if ((r = flake_run(ctx, NIX_FLAKE_SHOW, fd.ref, NULL, &out)) < 0) {
		if (r == ERR_IO)
			r = flake_nix_error(&in, fd.dir);
		goto out;
	}
	if (!(rep->outputs = json_loadb(out.data, out.len, 0, &jerr)) || !json_is_object(rep->outputs))
		r = err_set(ERR_IO, "`nix flake show --json` of %s printed no JSON object%s%s", fd.dir,
			    rep->outputs ? "" : ": ", rep->outputs ? "" : jerr.text);
	rep->ok = r == 0;
out:
	if (r < 0)
		flake_show_report_release(rep);
	nix_inputs_release(&in);
	buf_release(&out);
	return r;
}

int flake_check(const struct flake_ctx *ctx, const char *dir, struct flake_show_report *rep)
{
	struct flake_dir fd;
	struct nix_inputs in = { 0 };
	int r;

	if ((r = open_flake(dir, &fd, &in, rep)) < 0 || (r = flake_walk_check(fd.dir, &in)) < 0)
		goto out;
	if ((r = flake_run(ctx, NIX_FLAKE_CHECK, fd.ref, NULL, NULL)) == ERR_IO) {
		flake_nix_error(&in, fd.dir);
		if (!(rep->error = strdup(err_msg())))
			r = err_set(ERR_NOMEM, "out of memory");
		else
			r = 0;
		goto out;
	}
	rep->ok = r == 0;
out:
	nix_inputs_release(&in);
	return r;
}

void flake_show_report_release(struct flake_show_report *rep)
{
	json_decref(rep->outputs);
	free(rep->error);
	rep->outputs = NULL;
	rep->error = NULL;
}

char *flake_show_json(const struct flake_show_report *rep)
{
	return json_render(json_pack("{s:s, s:O?}", "dir", rep->dir, "outputs", rep->outputs));
}

char *flake_check_json(const struct flake_show_report *rep)
{
	return json_render(json_pack("{s:s, s:b, s:s?}", "dir", rep->dir, "ok", rep->ok, "error", rep->error));
}
