/*
 * The secrets store: values encrypted with age in the state dir, the controller's admin
 * identity, extra recipients and grants of secrets to nodes (the push to nodes is in
 * app/fleet/secrets_push.h). Plaintext lives only in memory: never in a file on the
 * controller, a command line, a log or the ledger. The cryptography comes through the
 * cipher port (ports/cipher.h) the store is opened with.
 *
 * Layout under the state dir STATE:
 *   STATE/keys/age.key          the admin identity (age-keygen format, 0600, made on first use)
 *   STATE/keys/age.recipients   extra recipients, one "age1..." a line ('#' comments)
 *   STATE/secrets/NAME.age      one age file per secret (0600), written atomically
 *   STATE/secrets/NAME.grants   who gets it: a machine name or user@host:port a line
 */
#ifndef CHIMERA_APP_FLEET_SECRETS_H
#define CHIMERA_APP_FLEET_SECRETS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/fleet/fleet.h"
#include "app/config/inventory.h"
#include "core/target.h"
#include "formats/age.h"
#include "ports/cipher.h"
#include "ports/ledger.h"

#define SECRETS_NAME_MAX 64			/* [A-Za-z0-9][A-Za-z0-9._-]{0,63} */
#define SECRETS_VALUE_MAX (16 * 1024 * 1024)	/* the largest secret */
#define SECRETS_KEY_MAX TARGET_FORMAT_MAX	/* a grant key: machine name or user@host:port */
#define SECRETS_REMOTE_DIR "/run/chimera/secrets"
#define SECRETS_OWNER_MAX 80

struct secrets_store {
	char state_dir[PATH_MAX];
	char keys_dir[PATH_MAX];
	char key_path[PATH_MAX];		/* the admin identity */
	char recipients_path[PATH_MAX];
	char dir[PATH_MAX];			/* STATE/secrets */
	const char *remote_dir;			/* where secrets_push writes on nodes; SECRETS_REMOTE_DIR */
	const struct cipher *cipher;		/* borrowed: age's primitives */
	struct ledger *ledger;			/* events go here; NULL: none are recorded */
	const char *by;				/* who changes it, as "by" in every event (a server: the API
						   token's name); NULL: not recorded. Set after opening. */
	int lock_fd;
	bool read_only;				/* opened with secrets_open_read */
	struct age_identity *ids;		/* the admin identity first; NULL until loaded */
	size_t nids;
};

/*
 * Open the store in STATE_DIR: create STATE/keys and STATE/secrets (0700) and take the
 * store's lock (held until secrets_close, so two chimera processes never edit it at once).
 * Loads the admin identity when it exists; it is made on the first use that needs it.
 * The cipher C and LEDGER (may be NULL) are borrowed and must outlive ST. Returns 0 or
 * ERR_IO/ERR_INVALID; close ST either way.
 */
int secrets_open(struct secrets_store *st, const char *state_dir, const struct cipher *c, struct ledger *ledger);

/*
 * Open the store to read (get, list, push) under a shared lock, so readers (a deploy's
 * push, `secrets get`) run side by side and only writers wait. Never makes the admin
 * identity; every change is refused with ERR_UNSUPPORTED. Otherwise as secrets_open.
 */
int secrets_open_read(struct secrets_store *st, const char *state_dir, const struct cipher *c);

/* Release the lock and wipe the identities. Safe on a store that failed to open. */
void secrets_close(struct secrets_store *st);

/* 0 when NAME is a secret name, else ERR_INVALID quoting it with the expected form. */
int secrets_name_check(const char *name);

/* 0 when OWNER is "user" or "user:group" (names of [A-Za-z0-9_.-] starting with a letter or _, or numbers). */
int secrets_owner_check(const char *owner);

/*
 * The grant key of T: the name of its machine in INV (may be NULL) when it is one, else its
 * canonical user@host:port. OUT holds SECRETS_KEY_MAX + 1 bytes.
 */
void secrets_target_key(const struct inventory *inv, const struct target *t, char *out, size_t len);

/*
 * Who owns T's pushed secrets: its machine's secrets_owner, else [defaults]
 * secrets_owner, else NULL (the login user). INV may be NULL.
 */
const char *secrets_owner_for(const struct inventory *inv, const struct target *t);

/* The admin public key ("age1...") into OUT, making the identity on first use. */
int secrets_identity(struct secrets_store *st, char out[AGE_RECIPIENT_TEXT_MAX]);

/*
 * Encrypt LEN bytes of VALUE to the admin identity and the extra recipients, and write
 * STATE/secrets/NAME.age (0600, temp file + fsync + rename). Records secret.set.
 * Returns 0, ERR_INVALID (bad name), ERR_LIMIT (over SECRETS_VALUE_MAX), ERR_IO.
 */
int secrets_set(struct secrets_store *st, const char *name, const void *value, size_t len);

/*
 * Take an age file (LEN bytes of DATA) encrypted to the admin key by any age tool: it
 * must decrypt; it is stored re-encrypted to the current recipients, as secrets_set does.
 */
int secrets_import(struct secrets_store *st, const char *name, const void *data, size_t len);

/*
 * Decrypt NAME into *VALUE (*LEN bytes; wipe and free with age_free). Returns 0,
 * ERR_NOTFOUND ("no secret 'NAME'"), or age_decrypt's error prefixed with the file's path
 * (ERR_AUTH when the admin key does not open it, ERR_CORRUPT, ERR_INVALID).
 */
int secrets_get(const struct secrets_store *st, const char *name, uint8_t **value, size_t *len);

/* Remove NAME and its grants. Records secret.rm. ERR_NOTFOUND when there is no such secret. */
int secrets_rm(struct secrets_store *st, const char *name);

struct secrets_entry {
	char name[SECRETS_NAME_MAX + 1];
	uint64_t size;		/* of the .age file */
	int64_t mtime;		/* of the .age file, seconds since the epoch */
	char **grants;		/* owned */
	size_t ngrants;
};

/* Every secret, sorted by name, into *OUT (free with secrets_list_free). */
int secrets_list(const struct secrets_store *st, struct secrets_entry **out, size_t *n);
void secrets_list_free(struct secrets_entry *e, size_t n);

/* The grant keys of NAME, in file order, into *KEYS (free with secrets_strv_free). Missing file: none. */
int secrets_grants(const struct secrets_store *st, const char *name, char ***keys, size_t *n);
void secrets_strv_free(char **v, size_t n);

/*
 * Add (grant) or drop (revoke) the N KEYS for secret NAME, which must exist. *CHANGED (may
 * be NULL) counts the keys that were added or dropped. Records secret.grant / secret.revoke
 * with the keys. Returns 0, ERR_NOTFOUND, ERR_INVALID (a bad key), ERR_IO.
 */
int secrets_grant(struct secrets_store *st, const char *name, const char *const *keys, size_t n, size_t *changed);
int secrets_revoke(struct secrets_store *st, const char *name, const char *const *keys, size_t n, size_t *changed);

/* The extra recipients into *RS (free()), in file order. */
int secrets_recipients(const struct secrets_store *st, struct age_recipient **rs, size_t *n);

/*
 * Add or remove the extra recipient PUB ("age1...") and re-encrypt every secret to the new
 * set, all or nothing: every secret is decrypted and re-encrypted into a temporary file
 * first, and only when all succeeded are they renamed into place. Records
 * secret.recipients. *COUNT (may be NULL) is the number of secrets re-encrypted. A PUB that
 * is no age public key is ERR_INVALID, and so are adding one already there or the admin
 * key itself (callers that tell bad input from a refusal check PUB with age_recipient_parse
 * first); removing one not there is ERR_NOTFOUND.
 */
int secrets_recipients_add(struct secrets_store *st, const char *pub, size_t *count);
int secrets_recipients_rm(struct secrets_store *st, const char *pub, size_t *count);

/*
 * Make a new admin identity and re-encrypt every secret to it and the extra recipients,
 * all or nothing as above; the new key replaces STATE/keys/age.key last. Its public key
 * goes to NEWPUB. Records secret.rotate. *COUNT (may be NULL) as above.
 */
int secrets_rotate(struct secrets_store *st, char newpub[AGE_RECIPIENT_TEXT_MAX], size_t *count);

/*
 * Read all of FD into *OUT (*LEN bytes; wipe and free with age_free), at most MAX bytes
 * (else ERR_LIMIT). Growing the buffer wipes the old copy, so no stray copy of a secret is
 * left in freed memory.
 */
int secrets_read_fd(int fd, size_t max, uint8_t **out, size_t *len);

/*
 * What `chimera secrets SUBCOMMAND --json` prints; each text is the caller's to free. A
 * change done ends with "ok": true: set and import {"name", "imported"}; rm {"name"};
 * grant and revoke {"name", "keys", "added" or "removed"}; rotate-key {"identity",
 * "secrets"}; recipients add and rm {"action", "recipient", "secrets"}.
 */
char *secrets_set_json(const char *name, bool imported);
char *secrets_rm_json(const char *name);
char *secrets_grant_json(const char *name, const char *const *keys, size_t n, bool grant, size_t changed);
char *secrets_rotate_json(const char *identity, size_t count);
char *secrets_recipients_change_json(const char *action, const char *recipient, size_t count);
/* recipients list {"recipients"}; identity {"identity", "file"}; list {"secrets": [...], "count"}. */
char *secrets_recipients_json(const struct age_recipient *rs, size_t n);
char *secrets_identity_json(const char *identity, const char *key_path);
char *secrets_list_json(const struct secrets_entry *e, size_t n);

/*
 * `secrets get NAME --json`: {"name", "size", "encoding": "base64", "value"}, the LEN bytes
 * of VALUE in padded base64, without a newline. The text is a copy of the secret: wipe and
 * free it with age_free(text, *SIZE). NULL when out of memory.
 */
char *secrets_value_json(const char *name, const uint8_t *value, size_t len, size_t *size);

#endif
