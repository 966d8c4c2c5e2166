/* What the secrets_*.c files share and no one else calls: the store's file helpers and its key handling. */
#ifndef CHIMERA_APP_FLEET_SECRETS_INTERNAL_H
#define CHIMERA_APP_FLEET_SECRETS_INTERNAL_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/fleet/secrets.h"

#define SECRETS_FILE_MAX (SECRETS_VALUE_MAX + SECRETS_VALUE_MAX / 64 + 1024 * 1024)
#define SECRETS_TEXT_MAX (1024 * 1024)	/* key, recipients and grants files */

/* Copy the current error message, so it can be quoted in a new one. */
#define SAVE_MSG(why) snprintf((why), sizeof(why), "%s", err_msg())

/* secrets_files.c */

/* Read PATH whole with secrets_read_fd (*OUT: wipe and free with age_free). ERR_NOTFOUND when it does not exist. */
int secrets_read_path(const char *path, size_t max, uint8_t **out, size_t *len);
/* fsync the directory DIR. ERR_IO naming it. */
int secrets_sync_dir(const char *dir);
/* Write LEN bytes to a new 0600 temporary file in DIR, synced; its name goes to TMP ("" on failure, nothing left). */
int secrets_write_temp(const char *dir, const void *data, size_t len, char tmp[PATH_MAX]);
/* Rename TMP to PATH. ERR_IO naming both; TMP is left for the caller to remove. */
int secrets_commit(const char *tmp, const char *path);
/* Write PATH (in DIR) atomically, 0600: temporary file, rename, directory synced. */
int secrets_write_atomic(const char *dir, const char *path, const void *data, size_t len);
/* STATE/secrets/NAME + EXT into OUT. ERR_INVALID when it does not fit. */
int secrets_path_of(const struct secrets_store *st, const char *name, const char *ext, char *out, size_t len);
/* True when NAME.age exists. */
bool secrets_exists(const struct secrets_store *st, const char *name);
/* Append TOPIC with PAYLOAD (taken; NULL means out of memory) to ST's ledger, if it has one. */
int secrets_record(const struct secrets_store *st, const char *topic, json_t *payload);
/* Sort the N strings of V in place. */
void secrets_strv_sort(char **v, size_t n);
/* Append a copy of S to *V (*N strings). ERR_NOMEM. */
int secrets_strv_add(char ***v, size_t *n, const char *s);
/* True when S is one of the N strings of V. */
bool secrets_strv_has(char *const *v, size_t n, const char *s);
/* The names of every secret (files NAME.age with a good NAME), sorted, into *NAMES (free with secrets_strv_free). */
int secrets_names(const struct secrets_store *st, char ***names, size_t *n);
/*
 * The lines of PATH that are not blank or '#' comments (trailing spaces and CR dropped)
 * into *LINES (free with secrets_strv_free), their line numbers into *LINENOS (free(); may
 * be NULL). A missing file has none. Nothing is returned on failure.
 */
int secrets_read_lines(const char *path, char ***lines, size_t **linenos, size_t *n);

/* secrets_store.c */

/* A grant key: printable ASCII without spaces or '#', as machine names and targets are. ERR_INVALID quoting it. */
int secrets_key_check(const char *key);
/* Load the admin identity, and a new one left by an interrupted rotate-key. Missing: nothing loaded. */
int secrets_load_identity(struct secrets_store *st);
/* Write ID as identity file text to a temporary file in the keys dir (its name into TMP). */
int secrets_write_key_temp(const struct secrets_store *st, const struct age_identity *id, char tmp[PATH_MAX]);
/* The loaded identity, else (CREATE) a new one made now, unless secrets exist that it would not open. */
int secrets_need_identity(struct secrets_store *st, bool create);
/* ERR_UNSUPPORTED for a change to a store opened to read. */
int secrets_writable(const struct secrets_store *st);
/* Decrypt the file of NAME with the loaded identities into *VALUE (wipe and free with age_free). */
int secrets_decrypt(const struct secrets_store *st, const char *name, uint8_t **value, size_t *len);
/* Encrypt VALUE to ADMIN and the NEXTRA EXTRA recipients into a temporary file in the store; its name into TMP. */
int secrets_encrypt_temp(const struct secrets_store *st, const struct age_identity *admin,
			 const struct age_recipient *extra, size_t nextra, const void *value, size_t len,
			 char tmp[PATH_MAX]);

#endif
