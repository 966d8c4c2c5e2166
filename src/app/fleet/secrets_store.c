/* The secrets store: opening and locking it, the admin identity, recipients, and each secret with its grants. */
#include "app/fleet/secrets.h"
#include "app/fleet/secrets_internal.h"
#include "ports/cipher.h"
#include "util/err.h"
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "util/banned.h"

int secrets_name_check(const char *name)
{
	char q[96];
	size_t i, n = strlen(name);
	bool ok = n >= 1 && n <= SECRETS_NAME_MAX;

	for (i = 0; ok && i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		ok = alnum || (i > 0 && (c == '.' || c == '_' || c == '-'));
	}
	if (!ok)
		return err_set(ERR_INVALID, "bad secret name '%s': expected [A-Za-z0-9][A-Za-z0-9._-]*, at most %d "
			       "characters", err_quote(q, sizeof(q), name, n), SECRETS_NAME_MAX);
	return 0;
}

static bool owner_part(const char *s, size_t n)
{
	size_t i;

	if (n > 0 && n <= 10 && strspn(s, "0123456789") >= n)
		return true;	/* a numeric id */
	if (n == 0 || n > 32 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return false;
	for (i = 1; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '-'))
			return false;
	}
	return true;
}

const char *secrets_owner_for(const struct inventory *inv, const struct target *t)
{
	const struct inv_machine *m = inv ? inventory_find_target(inv, t) : NULL;

	if (m && m->secrets_owner)
		return m->secrets_owner;
	return inv && inv->defaults.secrets_owner[0] ? inv->defaults.secrets_owner : NULL;
}

int secrets_owner_check(const char *owner)
{
	const char *colon = strchr(owner, ':');
	char q[96];
	bool ok;

	if (colon)
		ok = owner_part(owner, (size_t)(colon - owner)) && owner_part(colon + 1, strlen(colon + 1));
	else
		ok = owner_part(owner, strlen(owner));
	if (!ok)
		return err_set(ERR_INVALID,
			       "bad owner '%s': expected USER or USER:GROUP, each a name ([A-Za-z_] then [A-Za-z0-9_.-]) "
			       "or a number",
			       err_quote(q, sizeof(q), owner, strlen(owner)));
	return 0;
}

/* A grant key: printable ASCII without spaces or '#', as machine names and targets are. */
int secrets_key_check(const char *key)
{
	size_t i, n = strlen(key);
	char q[96];

	for (i = 0; i < n; i++)
		if ((unsigned char)key[i] <= ' ' || (unsigned char)key[i] > '~' || key[i] == '#')
			break;
	if (n == 0 || n > SECRETS_KEY_MAX || i < n)
		return err_set(ERR_INVALID, "bad grant key '%s': expected a machine name or user@host:port",
			       err_quote(q, sizeof(q), key, n));
	return 0;
}

void secrets_target_key(const struct inventory *inv, const struct target *t, char *out, size_t len)
{
	const struct inv_machine *m = inv ? inventory_find_target(inv, t) : NULL;

	if (m)
		snprintf(out, len, "%s", m->name);
	else if (target_format(t, out, len) < 0)
		snprintf(out, len, "%s", t->host);
}

/* Files */


/* Identity and recipients */

static void now_rfc3339(char *out, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Parse the identity file PATH and append its identities to ST. */
static int load_key_file(struct secrets_store *st, const char *path)
{
	struct age_identity *ids = NULL, *all;
	struct stat sb;
	uint8_t *text;
	size_t len, n = 0;
	int r;

	if (stat(path, &sb) == 0 && (sb.st_mode & 077))
		return err_set(ERR_INVALID, "the admin identity '%s' is open to other users (mode %04o): "
			       "chmod 600 it", path, (unsigned)(sb.st_mode & 07777));
	if ((r = secrets_read_path(path, SECRETS_TEXT_MAX, &text, &len)) < 0)
		return r;
	r = age_identity_file_parse(st->cipher, path, (const char *)text, len, &ids, &n);
	age_free(text, len);
	if (r < 0)
		return r;
	if (!(all = calloc(st->nids + n, sizeof(*all)))) {
		age_identities_free(ids, n);
		return err_set(ERR_NOMEM, "out of memory");
	}
	if (st->nids)
		memcpy(all, st->ids, st->nids * sizeof(*all));
	memcpy(all + st->nids, ids, n * sizeof(*all));
	age_identities_free(ids, n);
	age_identities_free(st->ids, st->nids);
	st->ids = all;
	st->nids += n;
	return 0;
}

/* Load the admin identity, and a new one left by an interrupted rotate-key. Missing: nothing loaded. */
int secrets_load_identity(struct secrets_store *st)
{
	char pending[PATH_MAX + 8];
	int r;

	if (!fs_exists(st->key_path))
		return 0;
	if ((r = load_key_file(st, st->key_path)) < 0)
		return r;
	snprintf(pending, sizeof(pending), "%s.new", st->key_path);
	if (fs_exists(pending))
		return load_key_file(st, pending);
	return 0;
}

/* Write ID as the identity file text to a temporary file in the keys dir. */
int secrets_write_key_temp(const struct secrets_store *st, const struct age_identity *id, char tmp[PATH_MAX])
{
	char text[512], created[32];
	int len, r;

	now_rfc3339(created, sizeof(created));
	if ((len = age_identity_file_format(id, created, text, sizeof(text))) < 0)
		return len;
	r = secrets_write_temp(st->keys_dir, text, (size_t)len, tmp);
	cipher_wipe(text, sizeof(text));
	return r;
}

/* The loaded identity, else a new one made now, unless secrets exist that it would not open. */
int secrets_need_identity(struct secrets_store *st, bool create)
{
	struct age_identity id;
	char tmp[PATH_MAX] = "";
	char **names;
	size_t n;
	int r;

	if (st->ids)
		return 0;
	if ((r = secrets_names(st, &names, &n)) < 0)
		return r;
	secrets_strv_free(names, n);
	if (n > 0 || !create || st->read_only)
		return err_set(ERR_NOTFOUND, "the admin identity '%s' is missing%s: restore it from a backup",
			       st->key_path, n > 0 ? ", and the secrets are encrypted to it" : "");
	if ((r = age_identity_generate(st->cipher, &id)) < 0)
		return r;
	if ((r = secrets_write_key_temp(st, &id, tmp)) < 0 || (r = secrets_commit(tmp, st->key_path)) < 0 ||
	    (r = secrets_sync_dir(st->keys_dir)) < 0) {
		if (tmp[0])
			unlink(tmp);
		age_identity_wipe(&id);
		return r;
	}
	r = load_key_file(st, st->key_path);
	age_identity_wipe(&id);
	return r;
}

int secrets_recipients(const struct secrets_store *st, struct age_recipient **rs, size_t *n)
{
	char **lines;
	size_t *linenos, nl, i;
	char why[512];
	int r;

	*rs = NULL;
	*n = 0;
	if ((r = secrets_read_lines(st->recipients_path, &lines, &linenos, &nl)) < 0)
		return r;
	if (nl && !(*rs = calloc(nl, sizeof(**rs))))
		r = err_set(ERR_NOMEM, "out of memory");
	for (i = 0; r == 0 && i < nl; i++) {
		if ((r = age_recipient_parse(lines[i], strlen(lines[i]), &(*rs)[i])) < 0) {
			SAVE_MSG(why);
			r = err_set(r, "%s:%zu: %s", st->recipients_path, linenos[i], why);
		}
	}
	secrets_strv_free(lines, nl);
	free(linenos);
	if (r < 0) {
		free(*rs);
		*rs = NULL;
		return r;
	}
	*n = nl;
	return 0;
}

/* Who a secret is encrypted to: ADMIN, then the N EXTRA ones that differ from it and each other. */
static int recipient_set(const struct age_identity *admin, const struct age_recipient *extra, size_t n,
			 struct age_recipient **out, size_t *nout)
{
	size_t i, j, k = 1;

	if (!(*out = calloc(n + 1, sizeof(**out))))
		return err_set(ERR_NOMEM, "out of memory");
	age_identity_recipient(admin, &(*out)[0]);
	for (i = 0; i < n; i++) {
		for (j = 0; j < k; j++)
			if (memcmp((*out)[j].public, extra[i].public, AGE_KEY_LEN) == 0)
				break;
		if (j == k)
			(*out)[k++] = extra[i];
	}
	*nout = k;
	return 0;
}

/* Open the store with an exclusive (writers) or shared (readers) lock. */
static int store_open(struct secrets_store *st, const char *state_dir, const struct cipher *c, struct ledger *ledger,
		      bool read_only)
{
	int r;

	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	st->cipher = c;
	st->remote_dir = SECRETS_REMOTE_DIR;
	st->ledger = ledger;
	st->read_only = read_only;
	if (snprintf(st->state_dir, sizeof(st->state_dir), "%s", state_dir) >= (int)sizeof(st->state_dir) ||
	    snprintf(st->keys_dir, sizeof(st->keys_dir), "%s/keys", state_dir) >= (int)sizeof(st->keys_dir) ||
	    snprintf(st->key_path, sizeof(st->key_path), "%s/keys/age.key", state_dir) >= (int)sizeof(st->key_path) ||
	    snprintf(st->recipients_path, sizeof(st->recipients_path), "%s/keys/age.recipients", state_dir) >=
		    (int)sizeof(st->recipients_path) ||
	    snprintf(st->dir, sizeof(st->dir), "%s/secrets", state_dir) >= (int)sizeof(st->dir))
		return err_set(ERR_INVALID, "state dir path too long '%s'", state_dir);
	if ((r = fs_mkdir_p(st->keys_dir, 0700)) < 0 || (r = fs_mkdir_p(st->dir, 0700)) < 0)
		return r;
	if (chmod(st->keys_dir, 0700) < 0 || chmod(st->dir, 0700) < 0)
		return err_set_errno(ERR_IO, errno, "cannot chmod '%s'", st->dir);
	{
		char lock[PATH_MAX + 8];

		snprintf(lock, sizeof(lock), "%s/.lock", st->dir);
		if ((st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
			return err_set_errno(ERR_IO, errno, "cannot open '%s'", lock);
		while (flock(st->lock_fd, read_only ? LOCK_SH : LOCK_EX) < 0)
			if (errno != EINTR)
				return err_set_errno(ERR_IO, errno, "cannot lock '%s'", lock);
	}
	return secrets_load_identity(st);
}

int secrets_open(struct secrets_store *st, const char *state_dir, const struct cipher *c, struct ledger *ledger)
{
	return store_open(st, state_dir, c, ledger, false);
}

int secrets_open_read(struct secrets_store *st, const char *state_dir, const struct cipher *c)
{
	return store_open(st, state_dir, c, NULL, true);
}

/* ERR_UNSUPPORTED for a change to a store opened to read. */
int secrets_writable(const struct secrets_store *st)
{
	if (st->read_only)
		return err_set(ERR_UNSUPPORTED, "the secrets store in '%s' was opened read-only", st->dir);
	return 0;
}

void secrets_close(struct secrets_store *st)
{
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->lock_fd = -1;
	age_identities_free(st->ids, st->nids);
	st->ids = NULL;
	st->nids = 0;
}

int secrets_identity(struct secrets_store *st, char out[AGE_RECIPIENT_TEXT_MAX])
{
	struct age_recipient rc;
	int r;

	out[0] = '\0';
	if ((r = secrets_need_identity(st, true)) < 0)
		return r;
	age_identity_recipient(&st->ids[0], &rc);
	age_recipient_format(&rc, out);
	return 0;
}

/* Secrets */

/* Decrypt the file of NAME with the loaded identities. */
int secrets_decrypt(const struct secrets_store *st, const char *name, uint8_t **value, size_t *len)
{
	char path[PATH_MAX], why[512];
	uint8_t *data;
	size_t dlen;
	int r;

	*value = NULL;
	*len = 0;
	if ((r = secrets_path_of(st, name, ".age", path, sizeof(path))) < 0)
		return r;
	if ((r = secrets_read_path(path, SECRETS_FILE_MAX, &data, &dlen)) < 0)
		return r == ERR_NOTFOUND ? err_set(ERR_NOTFOUND, "no secret '%s'", name) : r;
	if (!st->ids) {
		age_free(data, dlen);
		return err_set(ERR_NOTFOUND, "the admin identity '%s' is missing, and secret '%s' is encrypted to it: "
			       "restore it from a backup", st->key_path, name);
	}
	r = age_decrypt(st->cipher, st->ids, st->nids, data, dlen, value, len);
	age_free(data, dlen);
	if (r < 0) {
		SAVE_MSG(why);
		if (r == ERR_AUTH)
			return err_set(r, "secret '%s' (%s): %s: the admin identity '%s' cannot open it", name, path,
				       why, st->key_path);
		return err_set(r, "secret '%s' (%s): %s", name, path, why);
	}
	return 0;
}

/* Encrypt VALUE to the store's recipients into a temporary file; its name goes to TMP. */
int secrets_encrypt_temp(const struct secrets_store *st, const struct age_identity *admin,
			const struct age_recipient *extra, size_t nextra, const void *value, size_t len,
			char tmp[PATH_MAX])
{
	struct age_recipient *rs = NULL;
	uint8_t *enc = NULL;
	size_t nrs = 0, enc_len = 0;
	int r;

	tmp[0] = '\0';
	if ((r = recipient_set(admin, extra, nextra, &rs, &nrs)) < 0)
		return r;
	if ((r = age_encrypt(st->cipher, rs, nrs, value, len, &enc, &enc_len)) == 0)
		r = secrets_write_temp(st->dir, enc, enc_len, tmp);
	free(enc);
	free(rs);
	return r;
}

/* Encrypt VALUE for NAME and put it in place; REPLACED tells whether it existed. */
static int store_value(struct secrets_store *st, const char *name, const void *value, size_t len, bool *replaced)
{
	struct age_recipient *extra = NULL;
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t nextra = 0;
	int r;

	if ((r = secrets_writable(st)) < 0)
		return r;
	if ((r = secrets_name_check(name)) < 0 || (r = secrets_path_of(st, name, ".age", path, sizeof(path))) < 0)
		return r;
	if (len > SECRETS_VALUE_MAX)
		return err_set(ERR_LIMIT, "secret '%s' is %zu bytes, over the limit of %d", name, len,
			       SECRETS_VALUE_MAX);
	if ((r = secrets_need_identity(st, true)) < 0 || (r = secrets_recipients(st, &extra, &nextra)) < 0)
		return r;
	*replaced = fs_exists(path);
	if ((r = secrets_encrypt_temp(st, &st->ids[0], extra, nextra, value, len, tmp)) < 0)
		goto out;
	if ((r = secrets_commit(tmp, path)) < 0) {
		unlink(tmp);
		goto out;
	}
	r = secrets_sync_dir(st->dir);
out:
	free(extra);
	return r;
}

int secrets_set(struct secrets_store *st, const char *name, const void *value, size_t len)
{
	bool replaced = false;
	int r;

	if ((r = store_value(st, name, value, len, &replaced)) < 0)
		return r;
	return secrets_record(st, "secret.set", json_pack("{s:s, s:b, s:b}", "name", name, "replaced", replaced,
						  "imported", 0));
}

int secrets_import(struct secrets_store *st, const char *name, const void *data, size_t len)
{
	uint8_t *value = NULL;
	size_t vlen = 0;
	bool replaced = false;
	char why[512];
	int r;

	if ((r = secrets_name_check(name)) < 0 || (r = secrets_need_identity(st, true)) < 0)
		return r;
	if ((r = age_decrypt(st->cipher, st->ids, st->nids, data, len, &value, &vlen)) < 0) {
		SAVE_MSG(why);
		return err_set(r, "cannot import '%s': %s", name, why);
	}
	r = store_value(st, name, value, vlen, &replaced);
	age_free(value, vlen);
	if (r < 0)
		return r;
	return secrets_record(st, "secret.set", json_pack("{s:s, s:b, s:b}", "name", name, "replaced", replaced,
						  "imported", 1));
}

int secrets_get(const struct secrets_store *st, const char *name, uint8_t **value, size_t *len)
{
	int r;

	*value = NULL;
	*len = 0;
	if ((r = secrets_name_check(name)) < 0)
		return r;
	return secrets_decrypt(st, name, value, len);
}

int secrets_rm(struct secrets_store *st, const char *name)
{
	char path[PATH_MAX], grants[PATH_MAX];
	char **keys = NULL;
	size_t nkeys = 0;
	int r;

	if ((r = secrets_writable(st)) < 0)
		return r;
	if ((r = secrets_name_check(name)) < 0 || (r = secrets_path_of(st, name, ".age", path, sizeof(path))) < 0 ||
	    (r = secrets_path_of(st, name, ".grants", grants, sizeof(grants))) < 0)
		return r;
	if (!fs_exists(path))
		return err_set(ERR_NOTFOUND, "no secret '%s'", name);
	if ((r = secrets_grants(st, name, &keys, &nkeys)) < 0)
		return r;
	secrets_strv_free(keys, nkeys);
	if (unlink(path) < 0)
		return err_set_errno(ERR_IO, errno, "cannot remove '%s'", path);
	if (unlink(grants) < 0 && errno != ENOENT)
		return err_set_errno(ERR_IO, errno, "cannot remove '%s'", grants);
	if ((r = secrets_sync_dir(st->dir)) < 0)
		return r;
	return secrets_record(st, "secret.rm", json_pack("{s:s, s:I}", "name", name, "grants", (json_int_t)nkeys));
}

int secrets_grants(const struct secrets_store *st, const char *name, char ***keys, size_t *n)
{
	char path[PATH_MAX];
	int r;

	*keys = NULL;
	*n = 0;
	if ((r = secrets_path_of(st, name, ".grants", path, sizeof(path))) < 0)
		return r;
	return secrets_read_lines(path, keys, NULL, n);
}

void secrets_list_free(struct secrets_entry *e, size_t n)
{
	size_t i;

	for (i = 0; e && i < n; i++)
		secrets_strv_free(e[i].grants, e[i].ngrants);
	free(e);
}

int secrets_list(const struct secrets_store *st, struct secrets_entry **out, size_t *n)
{
	struct secrets_entry *e = NULL;
	char **names;
	size_t nn, i;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = secrets_names(st, &names, &nn)) < 0)
		return r;
	if (nn && !(e = calloc(nn, sizeof(*e))))
		r = err_set(ERR_NOMEM, "out of memory");
	for (i = 0; r == 0 && i < nn; i++) {
		char path[PATH_MAX];
		struct stat sb;

		snprintf(e[i].name, sizeof(e[i].name), "%s", names[i]);
		if ((r = secrets_path_of(st, names[i], ".age", path, sizeof(path))) < 0)
			break;
		if (stat(path, &sb) < 0) {
			r = err_set_errno(ERR_IO, errno, "cannot stat '%s'", path);
			break;
		}
		e[i].size = (uint64_t)sb.st_size;
		e[i].mtime = (int64_t)sb.st_mtime;
		r = secrets_grants(st, names[i], &e[i].grants, &e[i].ngrants);
	}
	secrets_strv_free(names, nn);
	if (r < 0) {
		secrets_list_free(e, nn);
		return r;
	}
	*out = e;
	*n = nn;
	return 0;
}


static int write_grants(const struct secrets_store *st, const char *name, char *const *keys, size_t n)
{
	struct buf text = BUF_INIT(SECRETS_TEXT_MAX);
	char path[PATH_MAX];
	size_t i;
	int r = 0;

	if ((r = secrets_path_of(st, name, ".grants", path, sizeof(path))) < 0)
		return r;
	for (i = 0; r == 0 && i < n; i++)
		if (buf_adds(&text, keys[i]) < 0 || buf_addc(&text, '\n') < 0)
			r = err_set(ERR_LIMIT, "too many grants for secret '%s'", name);
	if (r == 0)
		r = secrets_write_atomic(st->dir, path, text.data, text.len);
	buf_release(&text);
	return r;
}

/* Grant (ADD) or revoke the N KEYS of NAME. */
static int change_grants(struct secrets_store *st, const char *name, const char *const *keys, size_t n, bool add,
			 size_t *changed)
{
	char **have = NULL, **keep = NULL;
	size_t nhave = 0, nkeep = 0, count = 0, i;
	json_t *list;
	int r;

	if (changed)
		*changed = 0;
	if ((r = secrets_writable(st)) < 0 || (r = secrets_name_check(name)) < 0)
		return r;
	if (!secrets_exists(st, name))
		return err_set(ERR_NOTFOUND, "no secret '%s'", name);
	for (i = 0; i < n; i++)
		if ((r = secrets_key_check(keys[i])) < 0)
			return r;
	if ((r = secrets_grants(st, name, &have, &nhave)) < 0)
		return r;
	if (add) {
		for (i = 0; r == 0 && i < n; i++)
			if (!secrets_strv_has(have, nhave, keys[i])) {
				r = secrets_strv_add(&have, &nhave, keys[i]);
				count++;
			}
		if (r == 0 && count)
			r = write_grants(st, name, have, nhave);
	} else {
		for (i = 0; r == 0 && i < nhave; i++) {
			size_t j;
			bool drop = false;

			for (j = 0; j < n; j++)
				drop = drop || strcmp(have[i], keys[j]) == 0;
			if (drop)
				count++;
			else
				r = secrets_strv_add(&keep, &nkeep, have[i]);
		}
		if (r == 0 && count)
			r = write_grants(st, name, keep, nkeep);
	}
	secrets_strv_free(have, nhave);
	secrets_strv_free(keep, nkeep);
	if (r < 0)
		return r;
	if (changed)
		*changed = count;
	if (!(list = json_array()))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		json_array_append_new(list, json_string(keys[i]));
	return secrets_record(st, add ? "secret.grant" : "secret.revoke",
		      json_pack("{s:s, s:o, s:I}", "name", name, "keys", list, add ? "added" : "removed",
				(json_int_t)count));
}

int secrets_grant(struct secrets_store *st, const char *name, const char *const *keys, size_t n, size_t *changed)
{
	return change_grants(st, name, keys, n, true, changed);
}

int secrets_revoke(struct secrets_store *st, const char *name, const char *const *keys, size_t n, size_t *changed)
{
	return change_grants(st, name, keys, n, false, changed);
}
