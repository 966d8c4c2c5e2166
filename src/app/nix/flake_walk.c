/* A flake's directory and files, and the walk through its path: inputs that finds missing ones and cycles. */
#include "app/nix/flake_internal.h"
#include "util/err.h"
#include "util/fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/banned.h"

#define WALK_DEPTH_MAX 32	/* flakes deep through path: inputs */
#define WALK_SEEN_MAX 512	/* flakes walked in all */

int flake_dir_open(const char *dir, struct flake_dir *fd)
{
	/* What a path: URL's path may hold in Nix 2.8, which takes %-escapes there literally. */
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-._~!$&'()*+,;=:@";
	struct stat st;
	char q[8];
	size_t n;

	memset(fd, 0, sizeof(*fd));
	if (!dir || !*dir)
		dir = ".";
	if (!realpath(dir, fd->dir))
		return err_set_errno(ERR_NOTFOUND, errno, "no flake directory '%s'", dir);
	if (stat(fd->dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(ERR_INVALID, "'%s' is not a directory: expected a flake's directory", dir);
	snprintf(fd->nix_file, sizeof(fd->nix_file), "%s%s", fd->dir, strcmp(fd->dir, "/") ? "/flake.nix" : "flake.nix");
	snprintf(fd->lock_file, sizeof(fd->lock_file), "%s%s", fd->dir, strcmp(fd->dir, "/") ? "/flake.lock" : "flake.lock");
	if ((n = strspn(fd->dir, safe)) < strlen(fd->dir))
		return err_set(ERR_INVALID, "flake directory %s: Nix's flake references cannot name a path with '%s' in it; "
					    "expected letters, digits and -._~!$&'()*+,;=:@",
			       fd->dir, err_quote(q, sizeof(q), fd->dir + n, 1));
	snprintf(fd->ref, sizeof(fd->ref), "path:%s", fd->dir);
	return 0;
}

int flake_read_nix(const struct flake_dir *fd, struct buf *text, struct nix_inputs *in)
{
	int r;

	memset(in, 0, sizeof(*in));
	if (!fs_exists(fd->nix_file))
		return err_set(ERR_NOTFOUND, "no flake.nix in %s: 'chimera nix flake init %s' makes one", fd->dir, fd->dir);
	if ((r = fs_read_file(fd->nix_file, text)) < 0)
		return r == ERR_LIMIT ? err_set(ERR_LIMIT, "%s: more than %u bytes", fd->nix_file, NIX_EDIT_TEXT_MAX) : r;
	return nix_inputs_read(text->data, text->len, fd->nix_file, in);
}

int flake_read_lock(const struct flake_dir *fd, json_t **direct, bool *exists)
{
	struct buf b = BUF_INIT(FLAKE_LOCK_MAX);
	int r;

	*exists = fs_exists(fd->lock_file);
	if (!*exists) {
		*direct = json_object();
		return *direct ? 0 : err_set(ERR_NOMEM, "out of memory");
	}
	if ((r = fs_read_file(fd->lock_file, &b)) == 0)
		r = flake_lock_parse(b.data, b.len, fd->lock_file, direct, NULL);
	else
		*direct = NULL;
	buf_release(&b);
	return r;
}

/* One flake on the walk: its directory, and the input (of the one before) that led to it. */
struct step {
	char dir[PATH_MAX];
	const char *input, *url;
};

struct walk {
	struct step stack[WALK_DEPTH_MAX];
	size_t depth;
	char (*seen)[PATH_MAX];	/* flakes walked to the end */
	size_t nseen;
};

/* When URL names a directory on this machine (path:, a bare absolute path, git+file://), that path into OUT. */
static bool local_dir(const char *flake_dir, const char *url, char out[PATH_MAX])
{
	const char *p = NULL;
	size_t n;

	if (strncmp(url, "path:", 5) == 0)
		p = url + 5;
	else if (strncmp(url, "git+file://", 11) == 0)
		p = url + 11;
	else if (url[0] == '/' || strncmp(url, "./", 2) == 0 || strncmp(url, "../", 3) == 0)
		p = url;
	if (!p)
		return false;
	n = strcspn(p, "?#");
	if (p[0] == '/')
		snprintf(out, PATH_MAX, "%.*s", (int)n, p);
	else
		snprintf(out, PATH_MAX, "%s/%.*s", flake_dir, (int)n, p);
	return true;
}

/* "inputs form a cycle: A → input 'x' (URL) → B → ... → A", from the flake at stack index FROM. */
static int cycle_error(const struct walk *w, size_t from, const struct nix_input *m, const char *to)
{
	struct buf b = BUF_INIT(0);
	size_t i;
	int r;

	buf_printf(&b, "inputs form a cycle: %s", w->stack[from].dir);
	for (i = from + 1; i < w->depth; i++)
		buf_printf(&b, " -> input '%s' (%s) -> %s", w->stack[i].input, w->stack[i].url, w->stack[i].dir);
	buf_printf(&b, " -> input '%s' (%s) -> %s again", m->name, m->url, to);
	r = err_set(ERR_INVALID, "%s", b.data ? b.data : "inputs form a cycle");
	buf_release(&b);
	return r;
}

static int walk_flake(struct walk *w, const char *dir, const struct nix_inputs *in);

/* Input M of the flake in DIR: a local directory with a flake.nix, walked in turn. */
static int walk_input(struct walk *w, const char *dir, const struct nix_input *m)
{
	char p[PATH_MAX], real[PATH_MAX], file[PATH_MAX + 16];
	struct nix_inputs sub;
	struct buf text = BUF_INIT(NIX_EDIT_TEXT_MAX);
	struct stat st;
	size_t i;
	int r;

	if (!m->url || !local_dir(dir, m->url, p))
		return 0;
	if (!realpath(p, real) || stat(real, &st) < 0)
		return err_set(ERR_INVALID, "input '%s' (%s) of %s: bad reference: no directory %s", m->name, m->url, dir, p);
	if (!S_ISDIR(st.st_mode))
		return err_set(ERR_INVALID, "input '%s' (%s) of %s: bad reference: %s is not a directory", m->name, m->url, dir, p);
	snprintf(file, sizeof(file), "%s/flake.nix", real);
	if (m->no_flake)
		return 0;
	if (!fs_exists(file))
		return err_set(ERR_INVALID, "input '%s' (%s) of %s: bad reference: no flake.nix in %s (give `flake = false;` "
					    "for a source that is no flake)", m->name, m->url, dir, real);
	for (i = 0; i < w->depth; i++)
		if (strcmp(w->stack[i].dir, real) == 0)
			return cycle_error(w, i, m, real);
	for (i = 0; i < w->nseen; i++)
		if (strcmp(w->seen[i], real) == 0)
			return 0;
	if (w->depth == WALK_DEPTH_MAX || w->nseen == WALK_SEEN_MAX)
		return 0;
	if ((r = fs_read_file(file, &text)) < 0 || (r = nix_inputs_read(text.data, text.len, file, &sub)) < 0) {
		r = err_set(r == ERR_NOMEM ? ERR_NOMEM : ERR_INVALID, "input '%s' (%s) of %s: %s", m->name, m->url, dir, err_msg());
		buf_release(&text);
		return r;
	}
	snprintf(w->stack[w->depth].dir, PATH_MAX, "%s", real);
	w->stack[w->depth].input = m->name;
	w->stack[w->depth].url = m->url;
	w->depth++;
	r = walk_flake(w, real, &sub);
	w->depth--;
	if (r == 0)
		snprintf(w->seen[w->nseen++], PATH_MAX, "%s", real);
	nix_inputs_release(&sub);
	buf_release(&text);
	return r;
}

static int walk_flake(struct walk *w, const char *dir, const struct nix_inputs *in)
{
	size_t i;
	int r;

	for (i = 0; i < in->n; i++)
		if ((r = walk_input(w, dir, &in->v[i])) < 0)
			return r;
	return 0;
}

int flake_walk_check(const char *dir, const struct nix_inputs *in)
{
	struct walk *w = calloc(1, sizeof(*w));
	int r;

	if (!w || !(w->seen = calloc(WALK_SEEN_MAX, sizeof(*w->seen)))) {
		free(w);
		return err_set(ERR_NOMEM, "out of memory");
	}
	snprintf(w->stack[0].dir, PATH_MAX, "%s", dir);
	w->depth = 1;
	r = walk_flake(w, dir, in);
	free(w->seen);
	free(w);
	return r;
}

/*
 * True when MSG quotes URL, or what Nix makes of it: the part after its scheme, without a
 * query (github:o/r as "o/r" in the API's address, path:/x as "/x").
 */
static bool quotes_url(const char *msg, const char *url)
{
	const char *colon = strchr(url, ':');
	char core[PATH_MAX];
	size_t n;

	if (strstr(msg, url))
		return true;
	if (!colon)
		return false;
	colon++;
	while (*colon == '/' && colon[1] == '/')
		colon++;
	n = strcspn(colon, "?#");
	if (n < 3 || n >= sizeof(core))
		return false;
	memcpy(core, colon, n);
	core[n] = 0;
	return strstr(msg, core) != NULL;
}

int flake_nix_error(const struct nix_inputs *in, const char *dir)
{
	char *copy = strdup(err_msg());
	size_t i;
	int r = ERR_IO;

	if (!copy)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; in && i < in->n; i++)
		if (in->v[i].url && quotes_url(copy, in->v[i].url)) {
			r = err_set(ERR_IO, "input '%s' (%s) of %s: %s", in->v[i].name, in->v[i].url, dir, copy);
			break;
		}
	if (!in || i == in->n)
		r = err_set(ERR_IO, "flake %s: %s", dir, copy);
	free(copy);
	return r;
}

void flake_record(const struct flake_ctx *ctx, const char *topic, json_t *payload, int *err, char *msg, size_t len)
{
	char *text;
	int r;

	if (!ctx->ledger) {
		json_decref(payload);
		return;
	}
	text = payload ? json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(payload);
	r = text ? ledger_append1(ctx->ledger, topic, NULL, NULL, text, NULL) : err_set(ERR_NOMEM, "out of memory");
	free(text);
	if (r < 0 && *err == 0) {
		*err = r;
		snprintf(msg, len, "%s", err_msg());
	}
}

int flake_run(const struct flake_ctx *ctx, enum nix_flake_verb verb, const char *ref, const char *input, struct buf *out)
{
	if (!ctx->nix || !ctx->nix->ops->flake)
		return err_set(ERR_UNSUPPORTED, "this Nix back end runs no flake operations");
	return ctx->nix->ops->flake(ctx->nix, verb, ref, input, out);
}
