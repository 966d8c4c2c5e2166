/* A fake Nix for unit tests of the fleet use cases: a fixed build result, a fixed closure, exports fake_node.h imports. */
#ifndef CHIMERA_TESTS_FAKE_NIX_H
#define CHIMERA_TESTS_FAKE_NIX_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fake_node.h"
#include "ports/nix.h"

#define FAKE_CLOSURE_MAX 8

struct fake_nix {
	struct nix base;
	char path[STOREPATH_MAX];		/* what build produces */
	char closure[FAKE_CLOSURE_MAX][STOREPATH_MAX];	/* PATH's closure, PATH among them */
	size_t nclosure;
	int fail_build;				/* build fails with ERR_IO */
	/* What was asked of it. */
	int builds, closures, exports;
	size_t exported;			/* paths written by all exports */
	pthread_mutex_t lock;
};

/* The NAR size the fake gives the I-th path of the closure. */
#define FAKE_NAR_SIZE(i) (1000u * ((unsigned)(i) + 1u))

static inline int fake_nix_build(struct nix *nx, const struct nix_source *src, char out[STOREPATH_MAX], struct buf *log)
{
	struct fake_nix *fn = (struct fake_nix *)nx;
	int fail;

	(void)src;
	pthread_mutex_lock(&fn->lock);
	fn->builds++;
	fail = fn->fail_build;
	pthread_mutex_unlock(&fn->lock);
	if (fail) {
		if (log)
			buf_adds(log, "error: attribute 'web' missing\n");
		return err_set(ERR_IO, "nix build failed: error: attribute 'web' missing");
	}
	snprintf(out, STOREPATH_MAX, "%s", fn->path);
	return 0;
}

static inline int fake_nix_closure(struct nix *nx, const char *path, struct nix_closure *out)
{
	struct fake_nix *fn = (struct fake_nix *)nx;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (strcmp(path, fn->path) != 0)
		return err_set(ERR_NOTFOUND, "path '%s' is not in the fake's store", path);
	if (!(out->items = calloc(fn->nclosure, sizeof(*out->items))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < fn->nclosure; i++) {
		snprintf(out->items[i].path, STOREPATH_MAX, "%s", fn->closure[i]);
		out->items[i].nar_size = FAKE_NAR_SIZE(i);
		out->bytes += FAKE_NAR_SIZE(i);
	}
	out->n = fn->nclosure;
	pthread_mutex_lock(&fn->lock);
	fn->closures++;
	pthread_mutex_unlock(&fn->lock);
	return 0;
}

/* One FAKE_EXPORT_LINE per path: what fake_import reads back into a node's store. */
static inline int fake_nix_export(struct nix *nx, char *const *paths, size_t n, int fd)
{
	struct fake_nix *fn = (struct fake_nix *)nx;
	struct buf b = BUF_INIT(0);
	size_t i;
	int r = 0;

	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s\n", FAKE_EXPORT_LINE, paths[i]);
	if (write(fd, b.data, b.len) != (ssize_t)b.len)
		r = err_set(ERR_IO, "cannot write the fake export");
	buf_release(&b);
	pthread_mutex_lock(&fn->lock);
	fn->exports++;
	fn->exported += n;
	pthread_mutex_unlock(&fn->lock);
	return r;
}

static inline void fake_nix_close(struct nix *nx)
{
	(void)nx;
}

static const struct nix_ops fake_nix_ops = {
	.name = "fake", .build = fake_nix_build, .closure = fake_nix_closure, .export_paths = fake_nix_export,
	.close = fake_nix_close,
};

/* A Nix whose builds give PATH, with PATH and the N OTHERS (store paths) as its closure. */
static inline void fake_nix_init(struct fake_nix *fn, const char *path, const char *const *others, size_t n)
{
	size_t i;

	memset(fn, 0, sizeof(*fn));
	fn->base.ops = &fake_nix_ops;
	pthread_mutex_init(&fn->lock, NULL);
	assert_true(n + 1 <= FAKE_CLOSURE_MAX);
	assert_true(storepath_valid(path, strlen(path)));
	snprintf(fn->path, sizeof(fn->path), "%s", path);
	snprintf(fn->closure[fn->nclosure++], STOREPATH_MAX, "%s", path);
	for (i = 0; i < n; i++) {
		assert_true(storepath_valid(others[i], strlen(others[i])));
		snprintf(fn->closure[fn->nclosure++], STOREPATH_MAX, "%s", others[i]);
	}
}

static inline void fake_nix_release(struct fake_nix *fn)
{
	pthread_mutex_destroy(&fn->lock);
}

#endif
