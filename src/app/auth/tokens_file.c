/* STATE_DIR/tokens.json: its rows read and written whole, the lock around changes, the hash kept of a token. */
#include "app/auth/tokens_internal.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "util/banned.h"

#define FILE_VERSION 1

int tokens_path(const char *state_dir, const char *leaf, char *out, size_t len)
{
	if (!state_dir || !*state_dir)
		return err_set(ERR_INVALID, "no state directory for the tokens");
	if ((size_t)snprintf(out, len, "%s/%s", state_dir, leaf) >= len)
		return err_set(ERR_INVALID, "state directory too long for the tokens: '%s'", state_dir);
	return 0;
}

void tokens_file_free(struct token_file *f)
{
	free(f->rows);
	f->rows = NULL;
	f->n = f->cap = 0;
}

int tokens_file_add(struct token_file *f, const struct token_row *row)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct token_row *p = realloc(f->rows, cap * sizeof(*p));

		if (!p)
			return err_set(ERR_NOMEM, "out of memory");
		f->rows = p;
		f->cap = cap;
	}
	f->rows[f->n++] = *row;
	return 0;
}

bool tokens_file_same(const struct token_file_id *a, const struct token_file_id *b)
{
	if (a->present != b->present)
		return false;
	if (!a->present)
		return true;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static bool hash_ok(const char *h)
{
	size_t i;

	for (i = 0; h[i]; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return false;
	return i == SHA3_256_HEX - 1;
}

/* Row I of the file PATH (DOC) into ROW. Returns 0 or ERR_CORRUPT naming the row and what is wrong. */
static int parse_row(const char *path, size_t i, json_t *doc, struct token_row *row)
{
	const char *name, *role, *hash;
	json_int_t created, expires, used, revoked_ms;
	int revoked;
	json_error_t je;

	memset(row, 0, sizeof(*row));
	if (json_unpack_ex(doc, &je, 0, "{s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:I}", "name", &name, "role", &role,
			   "hash", &hash, "created_ms", &created, "expires_ms", &expires, "last_used_ms", &used,
			   "revoked", &revoked, "revoked_ms", &revoked_ms) < 0)
		return err_set(ERR_CORRUPT, "tokens file '%s': token %zu: %s", path, i + 1, je.text);
	if (token_name_check(name) < 0 || token_role_parse(role, &row->info.role) < 0)
		return err_set(ERR_CORRUPT, "tokens file '%s': token %zu: %s", path, i + 1, err_msg());
	if (!hash_ok(hash))
		return err_set(ERR_CORRUPT, "tokens file '%s': token %zu ('%s'): its hash is not 64 lowercase hex digits",
			       path, i + 1, name);
	if (created < 0 || expires < 0 || used < 0 || revoked_ms < 0)
		return err_set(ERR_CORRUPT, "tokens file '%s': token %zu ('%s'): a negative time", path, i + 1, name);
	snprintf(row->info.name, sizeof(row->info.name), "%s", name);
	memcpy(row->hash, hash, SHA3_256_HEX);
	row->info.created_ms = created;
	row->info.expires_ms = expires;
	row->info.last_used_ms = used;
	row->info.revoked = revoked;
	row->info.revoked_ms = revoked_ms;
	return 0;
}

/* The document DOC of the file PATH into F. */
static int parse_doc(const char *path, json_t *doc, struct token_file *f)
{
	json_t *list, *v;
	json_int_t version;
	json_error_t je;
	struct token_row row;
	size_t i;
	int r;

	if (json_unpack_ex(doc, &je, 0, "{s:I, s:o}", "version", &version, "tokens", &list) < 0)
		return err_set(ERR_CORRUPT, "tokens file '%s': %s; expected {\"version\": 1, \"tokens\": [...]}", path,
			       je.text);
	if (version != FILE_VERSION)
		return err_set(ERR_CORRUPT, "tokens file '%s': version %lld, expected %d", path, (long long)version,
			       FILE_VERSION);
	if (!json_is_array(list))
		return err_set(ERR_CORRUPT, "tokens file '%s': \"tokens\" is not an array", path);
	json_array_foreach(list, i, v) {
		if ((r = parse_row(path, i, v, &row)) < 0 || (r = tokens_file_add(f, &row)) < 0)
			return r;
	}
	return 0;
}

/* Read the open file FD (PATH) whole into OUT, setting *ID from the same descriptor. */
static int read_fd(int fd, const char *path, struct buf *out, struct token_file_id *id)
{
	struct stat st;
	char chunk[8192];
	ssize_t n;
	int r;

	if (fstat(fd, &st) < 0)
		return err_set_errno(ERR_IO, errno, "cannot stat '%s'", path);
	if (id)
		*id = (struct token_file_id){ true, st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim };
	if (st.st_size > (off_t)TOKENS_FILE_MAX)
		return err_set(ERR_CORRUPT, "tokens file '%s': %lld bytes, more than a tokens file holds", path,
			       (long long)st.st_size);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set_errno(ERR_IO, errno, "cannot read '%s'", path);
		if ((r = buf_add(out, chunk, (size_t)n)) == ERR_LIMIT)
			return err_set(ERR_CORRUPT, "tokens file '%s': more than a tokens file holds", path);
		if (r < 0)
			return r;
	}
	return 0;
}

int tokens_file_read(const char *path, struct token_file *f, struct token_file_id *id)
{
	struct buf text = BUF_INIT(TOKENS_FILE_MAX);
	json_error_t je;
	json_t *doc;
	int fd, r;

	tokens_file_free(f);
	if (id)
		memset(id, 0, sizeof(*id));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set_errno(ERR_IO, errno, "cannot read '%s'", path);
	}
	r = read_fd(fd, path, &text, id);
	close(fd);
	if (r == 0) {
		if (!(doc = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES, &je))) {
			r = err_set(ERR_CORRUPT, "tokens file '%s': line %d: %s", path, je.line, je.text);
		} else {
			r = parse_doc(path, doc, f);
			json_decref(doc);
		}
	}
	buf_release(&text);
	if (r < 0)
		tokens_file_free(f);
	return r;
}

static json_t *row_json(const struct token_row *row)
{
	const struct token_info *t = &row->info;

	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:I}", "name", t->name, "role", token_role_name(t->role),
			 "hash", row->hash, "created_ms", (json_int_t)t->created_ms, "expires_ms",
			 (json_int_t)t->expires_ms, "last_used_ms", (json_int_t)t->last_used_ms, "revoked", t->revoked,
			 "revoked_ms", (json_int_t)t->revoked_ms);
}

/* Sync the directory holding PATH, so the rename is on disk too. */
static int sync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, r = 0;

	if ((size_t)snprintf(copy, sizeof(copy), "%s", path) >= sizeof(copy))
		return err_set(ERR_INVALID, "path too long '%s'", path);
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_set_errno(ERR_IO, errno, "cannot open the directory of '%s'", path);
	if (fsync(fd) < 0)
		r = err_set_errno(ERR_IO, errno, "cannot sync the directory of '%s'", path);
	close(fd);
	return r;
}

int tokens_file_write(const char *path, const struct token_file *f)
{
	json_t *doc, *list = json_array();
	char *text = NULL;
	size_t i;
	int r = 0;

	for (i = 0; list && i < f->n; i++)
		if (json_array_append_new(list, row_json(&f->rows[i])) < 0)
			break;
	doc = list && i == f->n ? json_pack("{s:i, s:o}", "version", FILE_VERSION, "tokens", list) : NULL;
	if (!doc)
		json_decref(list);
	if (!doc || !(text = json_dumps(doc, JSON_INDENT(2))))
		r = err_set(ERR_NOMEM, "out of memory");
	json_decref(doc);
	if (r == 0 && (r = fs_write_file(path, text, strlen(text), 0600)) == 0)
		r = sync_dir(path);
	free(text);
	return r;
}

int tokens_lock(const char *state_dir, int *fd)
{
	char path[PATH_MAX];
	int r;

	*fd = -1;
	if ((r = tokens_path(state_dir, TOKENS_LOCK, path, sizeof(path))) < 0)
		return r;
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return err_set_errno(ERR_IO, errno, "cannot open '%s'", path);
	while (flock(*fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			r = err_set_errno(ERR_IO, errno, "cannot lock '%s'", path);
			close(*fd);
			*fd = -1;
			return r;
		}
	}
	return 0;
}

void tokens_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* closing the only descriptor lets the flock go */
}

int tokens_hash(const char *token, size_t len, char out[SHA3_256_HEX])
{
	uint8_t d[SHA3_256_LEN];
	int r;

	out[0] = '\0';
	if ((r = sha3_256(token, len, d)) < 0)
		return r;
	hex_encode(d, sizeof(d), out);
	return 0;
}

bool tokens_equal_ct(const char *a, const char *b, size_t n)
{
	volatile unsigned char diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}
