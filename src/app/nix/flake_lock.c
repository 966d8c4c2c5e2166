/* Use cases: `chimera nix flake add-input`, `lock` and `update`: flake.nix edited, Nix locks, flake.lock read back. */
#include "app/nix/flake_internal.h"
#include "core/flakeref.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/banned.h"

int flake_url_check(const char *name, const char *url)
{
	struct flakeref *f = malloc(sizeof(*f));
	int r;

	if (!f)
		return err_set(ERR_NOMEM, "out of memory");
	if ((r = flakeref_parse(f, url, strlen(url))) < 0)
		r = err_set(ERR_INVALID, "input '%s': %s", name, err_msg());
	else if (f->has_attr)
		r = err_bad_input("bad input URL", url, strlen(url), "an input is a whole flake, without '#ATTR'",
				  "expected a flake reference such as path:/srv/lib or github:OWNER/REPO");
	free(f);
	return r;
}

/* After Nix locked: REP's inputs from flake.lock, and which of them differ from BEFORE. */
static int read_back(const struct flake_dir *fd, json_t *before, struct flake_lock_report *rep)
{
	const char *name;
	json_t *locked;
	bool exists;
	int r;

	if ((r = flake_read_lock(fd, &rep->inputs, &exists)) < 0)
		return r;
	if (!(rep->updated = json_array()))
		return err_set(ERR_NOMEM, "out of memory");
	json_object_foreach(rep->inputs, name, locked)
		if (!json_equal(locked, json_object_get(before, name)))
			json_array_append_new(rep->updated, json_string(name));
	return 0;
}

static void report_init(struct flake_lock_report *rep, const char *verb)
{
	memset(rep, 0, sizeof(*rep));
	rep->verb = verb;
}

/* Put TEXT back as DIR's flake.nix after a failed lock; the error R's message says so. */
static int restore(const struct flake_dir *fd, const struct buf *text, mode_t mode, int r)
{
	char *msg = strdup(err_msg());

	if (!msg)
		return err_set(ERR_NOMEM, "out of memory");
	if (fs_write_file(fd->nix_file, text->data, text->len, mode) < 0)
		r = err_set(r, "%s; and %s could not be put back as it was: %s", msg, fd->nix_file, err_msg());
	else
		r = err_set(r, "%s (flake.nix is as it was)", msg);
	free(msg);
	return r;
}

/* Write EDITED as flake.nix (mode kept), lock input NAME, and put TEXT back if Nix fails. */
static int write_and_lock(const struct flake_ctx *ctx, const struct flake_dir *fd, const struct buf *text,
			  const struct buf *edited, const struct nix_inputs *now, const char *name)
{
	struct stat st;
	mode_t mode = stat(fd->nix_file, &st) == 0 ? st.st_mode & 07777 : 0644;
	int r;

	if ((r = fs_write_file(fd->nix_file, edited->data, edited->len, mode)) < 0)
		return r;
	if ((r = flake_run(ctx, NIX_FLAKE_LOCK, fd->ref, name, NULL)) < 0) {
		if (r == ERR_IO)
			r = flake_nix_error(now, fd->dir);
		r = restore(fd, text, mode, r);
	}
	return r;
}

int flake_add_input(const struct flake_ctx *ctx, const char *dir, const char *name, const char *url,
		    struct flake_lock_report *rep)
{
	struct flake_dir fd;
	struct buf text = BUF_INIT(NIX_EDIT_TEXT_MAX), edited = BUF_INIT(0);
	struct nix_inputs old = { 0 }, now = { 0 };
	struct nix_edit_at at;
	json_t *before = NULL;
	bool had_lock;
	int r;

	report_init(rep, "add-input");
	if ((r = nix_input_name_check(name)) < 0 || (r = flake_url_check(name, url)) < 0)
		return r;
	if ((r = flake_dir_open(dir, &fd)) < 0 || (r = flake_read_nix(&fd, &text, &old)) < 0 ||
	    (r = nix_edit_add_input(text.data, text.len, fd.nix_file, name, url, &edited, &at)) < 0 ||
	    (r = nix_inputs_read(edited.data, edited.len, fd.nix_file, &now)) < 0 ||
	    (r = flake_walk_check(fd.dir, &now)) < 0 || (r = flake_read_lock(&fd, &before, &had_lock)) < 0 ||
	    (r = write_and_lock(ctx, &fd, &text, &edited, &now, name)) < 0 || (r = read_back(&fd, before, rep)) < 0)
		goto out;
	snprintf(rep->dir, sizeof(rep->dir), "%s", fd.dir);
	rep->line = at.line;
	rep->col = at.col;
	if (!(rep->input = strdup(name)) || !(rep->url = strdup(url))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	flake_record(ctx, "nix.flake.input_added",
		     json_pack("{s:s, s:s, s:s, s:O, s:O}", "dir", rep->dir, "input", name, "url", url, "locked",
			       json_object_get(rep->inputs, name) ? json_object_get(rep->inputs, name) : json_null(),
			       "updated", rep->updated),
		     &rep->ledger_err, rep->ledger_msg, sizeof(rep->ledger_msg));
out:
	if (r < 0)
		flake_lock_report_release(rep);
	json_decref(before);
	nix_inputs_release(&old);
	nix_inputs_release(&now);
	buf_release(&text);
	buf_release(&edited);
	return r;
}

/* update INPUT: it must be an input of flake.nix (the first name of a path a/b). */
static int check_update_input(const struct flake_dir *fd, const struct nix_inputs *in, const char *input)
{
	struct buf names = BUF_INIT(0);
	char first[NIX_INPUT_NAME_MAX + 1];
	size_t i, n = strcspn(input, "/");
	int r = 0;

	snprintf(first, sizeof(first), "%.*s", (int)n, input);
	if (*input && n < sizeof(first) && nix_inputs_find(in, first) && !strstr(input, "//") && input[strlen(input) - 1] != '/')
		return 0;
	for (i = 0; i < in->n; i++)
		buf_printf(&names, "%s%s", i ? ", " : "", in->v[i].name);
	r = err_set(ERR_INVALID, "no input '%s' in %s: expected %s%s", input, fd->nix_file, in->n ? "one of " : "none: it has no inputs",
		    names.data);
	buf_release(&names);
	return r;
}

int flake_lock(const struct flake_ctx *ctx, const char *dir, bool update, const char *input,
	       struct flake_lock_report *rep)
{
	struct flake_dir fd;
	struct buf text = BUF_INIT(NIX_EDIT_TEXT_MAX);
	struct nix_inputs in = { 0 };
	json_t *before = NULL;
	bool had_lock;
	int r;

	report_init(rep, update ? "update" : "lock");
	if ((r = flake_dir_open(dir, &fd)) < 0 || (r = flake_read_nix(&fd, &text, &in)) < 0 ||
	    (input && (r = check_update_input(&fd, &in, input)) < 0) || (r = flake_walk_check(fd.dir, &in)) < 0 ||
	    (r = flake_read_lock(&fd, &before, &had_lock)) < 0)
		goto out;
	if (input)
		r = flake_run(ctx, NIX_FLAKE_LOCK, fd.ref, input, NULL);
	else
		r = flake_run(ctx, update ? NIX_FLAKE_UPDATE : NIX_FLAKE_LOCK, fd.ref, NULL, NULL);
	if (r < 0) {
		if (r == ERR_IO)
			r = flake_nix_error(&in, fd.dir);
		goto out;
	}
	if ((r = read_back(&fd, before, rep)) < 0)
		goto out;
	snprintf(rep->dir, sizeof(rep->dir), "%s", fd.dir);
	if (input && !(rep->input = strdup(input))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if (update)
		flake_record(ctx, "nix.flake.updated",
			     json_pack("{s:s, s:O, s:O, s:s?}", "dir", rep->dir, "inputs", rep->inputs, "updated",
				       rep->updated, "input", input),
			     &rep->ledger_err, rep->ledger_msg, sizeof(rep->ledger_msg));
	else
		flake_record(ctx, "nix.flake.locked",
			     json_pack("{s:s, s:O, s:O}", "dir", rep->dir, "inputs", rep->inputs, "updated", rep->updated),
			     &rep->ledger_err, rep->ledger_msg, sizeof(rep->ledger_msg));
out:
	if (r < 0)
		flake_lock_report_release(rep);
	json_decref(before);
	nix_inputs_release(&in);
	buf_release(&text);
	return r;
}

void flake_lock_report_release(struct flake_lock_report *rep)
{
	free(rep->input);
	free(rep->url);
	json_decref(rep->inputs);
	json_decref(rep->updated);
	rep->input = rep->url = NULL;
	rep->inputs = rep->updated = NULL;
}

char *flake_lock_json(const struct flake_lock_report *rep)
{
	json_t *doc = json_pack("{s:s, s:s, s:s?, s:O?, s:O?}", "dir", rep->dir, "verb", rep->verb, "input", rep->input,
				"inputs", rep->inputs, "updated", rep->updated);

	if (doc && rep->url) {
		json_object_set_new(doc, "url", json_string(rep->url));
		json_object_set_new(doc, "locked", json_object_get(rep->inputs, rep->input) ?
				    json_incref(json_object_get(rep->inputs, rep->input)) : json_null());
		json_object_set_new(doc, "line", json_integer(rep->line));
		json_object_set_new(doc, "column", json_integer(rep->col));
	}
	return json_render(doc);
}
