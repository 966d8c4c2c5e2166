/* The export spool: one `nix-store --export` per distinct set of missing paths, shared by the nodes that lack it. */
#include "app/fleet/deploy_internal.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Make the export of PATHS into a new unlinked file in SP->dir. */
static int spool_make(struct spool *sp, char **paths, size_t n, struct spool_entry *e)
{
	char tmpl[4096];
	struct stat st;
	int fd, r;

	snprintf(tmpl, sizeof(tmpl), "%s/chimera-export-XXXXXX", sp->dir);
	if ((fd = mkostemp(tmpl, O_CLOEXEC)) < 0)
		return err_set_errno(ERR_IO, errno, "cannot make a spool file in '%s'", sp->dir);
	unlink(tmpl);
	if ((r = sp->nix->ops->export_paths(sp->nix, paths, n, fd)) < 0) {
		close(fd);
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = err_set_errno(ERR_IO, errno, "cannot stat the export");
		close(fd);
		return r;
	}
	e->fd = fd;
	e->len = (uint64_t)st.st_size;
	return 0;
}

/* The export of PATHS (sorted here), made once per distinct set. */
int deploy_spool_get(struct spool *sp, char **paths, size_t n, int *fd, uint64_t *len)
{
	struct buf key = BUF_INIT(0);
	struct spool_entry *e;
	size_t i;
	int r = 0;

	qsort(paths, n, sizeof(*paths), path_cmp);
	for (i = 0; i < n; i++)
		if (buf_adds(&key, paths[i]) < 0 || buf_addc(&key, '\n') < 0) {
			buf_release(&key);
			return err_set(ERR_NOMEM, "out of memory");
		}
	pthread_mutex_lock(&sp->lock);
	for (e = sp->head; e && strcmp(e->key, key.data) != 0; e = e->next)
		;
	if (e) {
		buf_release(&key);
		while (e->state == 0)
			pthread_cond_wait(&sp->cond, &sp->lock);
	} else {
		if (!(e = calloc(1, sizeof(*e)))) {
			pthread_mutex_unlock(&sp->lock);
			buf_release(&key);
			return err_set(ERR_NOMEM, "out of memory");
		}
		e->key = buf_detach(&key, NULL);
		e->fd = -1;
		e->next = sp->head;
		sp->head = e;
		pthread_mutex_unlock(&sp->lock);
		r = spool_make(sp, paths, n, e);
		pthread_mutex_lock(&sp->lock);
		if (r < 0)
			snprintf(e->msg, sizeof(e->msg), "%s", err_msg());
		e->state = r < 0 ? r : 1;
		pthread_cond_broadcast(&sp->cond);
	}
	if (e->state < 0) {
		r = err_set(e->state, "%s", e->msg);
	} else {
		*fd = e->fd;
		*len = e->len;
	}
	pthread_mutex_unlock(&sp->lock);
	return r;
}

void deploy_spool_release(struct spool *sp)
{
	struct spool_entry *e, *next;

	for (e = sp->head; e; e = next) {
		next = e->next;
		if (e->fd >= 0)
			close(e->fd);
		free(e->key);
		free(e);
	}
	sp->head = NULL;
}
