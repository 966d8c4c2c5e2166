/* What tokens.c and token_store.c share: the rows of STATE_DIR/tokens.json, its lock and the hash. */
#ifndef CHIMERA_APP_AUTH_TOKENS_INTERNAL_H
#define CHIMERA_APP_AUTH_TOKENS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "app/auth/tokens.h"
#include "util/hash.h"

#define TOKENS_FILE "tokens.json"
#define TOKENS_LOCK "tokens.lock"
#define TOKENS_FILE_MAX (16u << 20)	/* a bigger file is not ours */
#define TOKEN_PREFIX "chm_"
#define TOKEN_RANDOM_BYTES 32
#define TOKEN_TEXT_LEN 47	/* "chm_" + 43 base64url characters */

/* One token as the file keeps it: what tokens_list shows, and the hash of the secret. */
struct token_row {
	struct token_info info;
	char hash[SHA3_256_HEX];	/* lowercase hex SHA3-256 of the token's text */
};

struct token_file {
	struct token_row *rows;
	size_t n, cap;
};

/* Which version of the file a reader saw: the one its descriptor had open. */
struct token_file_id {
	bool present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

/* STATE_DIR/LEAF into OUT. Returns 0 or ERR_INVALID when it does not fit. */
int tokens_path(const char *state_dir, const char *leaf, char *out, size_t len);

/*
 * Read the file PATH into F (emptied first); a missing file is an empty one. *ID (may be
 * NULL) says which version was read. Returns 0, ERR_CORRUPT naming the file and what is
 * wrong with it, ERR_IO or ERR_NOMEM.
 */
int tokens_file_read(const char *path, struct token_file *f, struct token_file_id *id);

/* Replace PATH by F: a 0600 temporary file, synced, renamed over it, the directory synced. */
int tokens_file_write(const char *path, const struct token_file *f);

/* Append ROW to F. Returns 0 or ERR_NOMEM. */
int tokens_file_add(struct token_file *f, const struct token_row *row);

void tokens_file_free(struct token_file *f);

/* Whether A and B name the same version of the file. */
bool tokens_file_same(const struct token_file_id *a, const struct token_file_id *b);

/* Take the exclusive lock STATE_DIR/tokens.lock for a read-modify-write into *FD. Returns 0 or ERR_IO. */
int tokens_lock(const char *state_dir, int *fd);

/* Let go of a lock from tokens_lock (FD < 0: nothing). */
void tokens_unlock(int fd);

/* The hash the file keeps of TOKEN (LEN bytes). Returns 0 or ERR_NOMEM. */
int tokens_hash(const char *token, size_t len, char out[SHA3_256_HEX]);

/* Whether the N bytes at A and B are equal, in a time that does not depend on where they differ. */
bool tokens_equal_ct(const char *a, const char *b, size_t n);

#endif
