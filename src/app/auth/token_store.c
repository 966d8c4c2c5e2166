/* What a server checks bearer tokens against: STATE_DIR/tokens.json, read again when it changes, last uses kept. */
#include "app/auth/tokens_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/banned.h"

#define FLUSH_EVERY_MS 60000	/* last uses go to the file at most this often */

struct token_store {
	pthread_mutex_t mu;
	char dir[PATH_MAX];
	char path[PATH_MAX];
	struct token_file f;	/* the file as last read, with the last uses seen since */
	struct token_file_id id;	/* which version of the file F came from */
	bool dirty;		/* a last use not written to the file yet */
	int64_t flushed_mono_ms;	/* when last uses were last written (or tried) */
};

/* The row of F whose hash is HASH, or NULL. */
static struct token_row *row_by_hash(struct token_file *f, const char *hash)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (memcmp(f->rows[i].hash, hash, SHA3_256_HEX) == 0)
			return &f->rows[i];
	return NULL;
}

/* Read the file again into S, keeping the last uses S has seen that the file does not have yet. */
static void store_reload(struct token_store *s)
{
	struct token_file f = { 0 };
	struct token_file_id id;
	struct token_row *old;
	size_t i;

	if (tokens_file_read(s->path, &f, &id) < 0) {
		/* Fail closed: no token is good until the file reads again. */
		log_error("tokens", "%s; every token is refused until it is fixed", err_msg());
		tokens_file_free(&s->f);
		s->id = id;
		return;
	}
	for (i = 0; i < f.n; i++)
		if ((old = row_by_hash(&s->f, f.rows[i].hash)) && old->info.last_used_ms > f.rows[i].info.last_used_ms)
			f.rows[i].info.last_used_ms = old->info.last_used_ms;
	tokens_file_free(&s->f);
	s->f = f;
	s->id = id;
}

/* Read the file again when it is not the version S has (one stat). */
static void store_refresh(struct token_store *s)
{
	struct token_file_id now = { 0 };
	struct stat st;

	if (stat(s->path, &st) == 0)
		now = (struct token_file_id){ true, st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim };
	else if (errno != ENOENT)
		now.present = !s->id.present;	/* cannot tell: read it again */
	if (!tokens_file_same(&now, &s->id))
		store_reload(s);
}

/*
 * Write the last uses S holds into the file, merged with what it holds now (a create or
 * revoke since is kept), under the file's lock. Returns 0 or the error.
 */
static int store_flush(struct token_store *s)
{
	struct token_file f = { 0 };
	struct token_row *mine;
	bool changed = false;
	size_t i;
	int fd, r;

	s->flushed_mono_ms = clock_mono_ms();
	if ((r = tokens_lock(s->dir, &fd)) < 0)
		return r;
	if ((r = tokens_file_read(s->path, &f, NULL)) == 0) {
		for (i = 0; i < f.n; i++)
			if ((mine = row_by_hash(&s->f, f.rows[i].hash)) &&
			    mine->info.last_used_ms > f.rows[i].info.last_used_ms) {
				f.rows[i].info.last_used_ms = mine->info.last_used_ms;
				changed = true;
			}
		if (changed)
			r = tokens_file_write(s->path, &f);
	}
	tokens_unlock(fd);
	tokens_file_free(&f);
	if (r == 0)
		s->dirty = false;
	return r;
}

int token_store_open(const char *state_dir, struct token_store **out)
{
	struct token_store *s;
	int r;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return err_set(ERR_NOMEM, "out of memory");
	if ((r = tokens_path(state_dir, TOKENS_FILE, s->path, sizeof(s->path))) < 0 ||
	    (r = tokens_file_read(s->path, &s->f, &s->id)) < 0) {
		free(s);
		return r;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", state_dir);
	if ((r = pthread_mutex_init(&s->mu, NULL)) != 0) {
		tokens_file_free(&s->f);
		free(s);
		return err_set_errno(ERR_NOMEM, r, "cannot make the token store's mutex");
	}
	s->flushed_mono_ms = clock_mono_ms();
	*out = s;
	return 0;
}

void token_store_close(struct token_store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->dirty && store_flush(s) < 0)
		log_warn("tokens", "last uses not written: %s", err_msg());
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_destroy(&s->mu);
	tokens_file_free(&s->f);
	free(s);
}

/* The row of S whose hash is HASH, compared in constant time against every row; NULL when none. */
static struct token_row *row_match(struct token_store *s, const char *hash)
{
	struct token_row *hit = NULL;
	size_t i;

	for (i = 0; i < s->f.n; i++)
		if (tokens_equal_ct(s->f.rows[i].hash, hash, SHA3_256_HEX - 1))
			hit = &s->f.rows[i];
	return hit;
}

enum token_verdict token_store_check(struct token_store *s, const char *token, struct token_info *info)
{
	char hash[SHA3_256_HEX];
	size_t len = token ? strnlen(token, TOKEN_TEXT_MAX) : 0;
	enum token_verdict v = TOKEN_UNKNOWN;
	struct token_row *row;
	int64_t now = clock_wall_ms();

	if (info)
		memset(info, 0, sizeof(*info));
	if (len != TOKEN_TEXT_LEN || memcmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0 ||
	    tokens_hash(token, len, hash) < 0)
		return TOKEN_UNKNOWN;
	pthread_mutex_lock(&s->mu);
	store_refresh(s);
	if ((row = row_match(s, hash))) {
		if (row->info.revoked)
			v = TOKEN_REVOKED;
		else if (row->info.expires_ms && row->info.expires_ms <= now)
			v = TOKEN_EXPIRED;
		else
			v = TOKEN_OK;
	}
	if (v == TOKEN_OK) {
		row->info.last_used_ms = now;
		s->dirty = true;
		if (info)
			*info = row->info;
	}
	if (s->dirty && clock_mono_ms() - s->flushed_mono_ms >= FLUSH_EVERY_MS && store_flush(s) < 0)
		log_warn("tokens", "last uses not written: %s", err_msg());
	pthread_mutex_unlock(&s->mu);
	return v;
}
