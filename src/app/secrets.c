/* The secrets store: age files in the state dir, the admin identity, recipients, grants, and the push to nodes. */
#include "app/secrets.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/shell.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SECRETS_FILE_MAX (SECRETS_VALUE_MAX + SECRETS_VALUE_MAX / 64 + 1024 * 1024)
#define SECRETS_TEXT_MAX (1024 * 1024)	/* key, recipients and grants files */

/* Copy the current error message, so it can be quoted in a new one. */
#define SAVE_MSG(why) snprintf((why), sizeof(why), "%s", err_msg())

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
static int key_check(const char *key)
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

int secrets_read_fd(int fd, size_t max, uint8_t **out, size_t *len)
{
	uint8_t *p = NULL, *grown;
	size_t cap = 0, n = 0;
	int r = 0;

	*out = NULL;
	*len = 0;
	for (;;) {
		ssize_t got;

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4096;

			if (cap > max) {
				r = err_set(ERR_LIMIT, "more than %zu bytes", max);
				goto out;
			}
			/* By hand: realloc would leave the old copy in freed memory. */
			if (!(grown = malloc(ncap))) {
				r = err_set(ERR_NOMEM, "out of memory");
				goto out;
			}
			if (n)
				memcpy(grown, p, n);
			age_free(p, cap);
			p = grown;
			cap = ncap;
		}
		got = read(fd, p + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = err_set_errno(ERR_IO, errno, "cannot read");
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > max) {
		r = err_set(ERR_LIMIT, "more than %zu bytes", max);
		goto out;
	}
	*out = p;
	*len = n;
	p = NULL;
out:
	age_free(p, cap);
	return r;
}

/* Read PATH whole with secrets_read_fd. ERR_NOTFOUND when it does not exist. */
static int read_path(const char *path, size_t max, uint8_t **out, size_t *len)
{
	char why[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return err_set_errno(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, errno, "cannot read '%s'", path);
	r = secrets_read_fd(fd, max, out, len);
	close(fd);
	if (r < 0) {
		SAVE_MSG(why);
		return err_set(r, "'%s': %s", path, why);
	}
	return 0;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return err_set_errno(ERR_IO, errno, "cannot open '%s'", dir);
	if (fsync(fd) < 0)
		r = err_set_errno(ERR_IO, errno, "cannot sync '%s'", dir);
	close(fd);
	return r;
}

/* Write LEN bytes to a new private temporary file in DIR, synced; its name goes to TMP. */
static int write_temp(const char *dir, const void *data, size_t len, char tmp[PATH_MAX])
{
	const char *p = data;
	int fd, r = 0;

	if (snprintf(tmp, PATH_MAX, "%s/.tmp-XXXXXX", dir) >= PATH_MAX)
		return err_set(ERR_INVALID, "path too long '%s'", dir);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		r = err_set_errno(ERR_IO, errno, "cannot create a file in '%s'", dir);
		tmp[0] = '\0';
		return r;
	}
	if (fchmod(fd, 0600) < 0)
		r = err_set_errno(ERR_IO, errno, "cannot chmod '%s'", tmp);
	while (r == 0 && len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = err_set_errno(ERR_IO, errno, "cannot write '%s'", tmp);
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (r == 0 && fsync(fd) < 0)
		r = err_set_errno(ERR_IO, errno, "cannot sync '%s'", tmp);
	if (close(fd) < 0 && r == 0)
		r = err_set_errno(ERR_IO, errno, "cannot write '%s'", tmp);
	if (r < 0) {
		unlink(tmp);
		tmp[0] = '\0';
	}
	return r;
}

static int commit(const char *tmp, const char *path)
{
	if (rename(tmp, path) < 0)
		return err_set_errno(ERR_IO, errno, "cannot rename '%s' to '%s'", tmp, path);
	return 0;
}

/* Write PATH (in DIR) atomically, 0600. */
static int write_atomic(const char *dir, const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	int r;

	if ((r = write_temp(dir, data, len, tmp)) < 0)
		return r;
	if ((r = commit(tmp, path)) < 0) {
		unlink(tmp);
		return r;
	}
	return sync_dir(dir);
}

static int path_of(const struct secrets_store *st, const char *name, const char *ext, char *out, size_t len)
{
	if (snprintf(out, len, "%s/%s%s", st->dir, name, ext) >= (int)len)
		return err_set(ERR_INVALID, "path too long for secret '%s'", name);
	return 0;
}

static bool secret_exists(const struct secrets_store *st, const char *name)
{
	char path[PATH_MAX];

	return path_of(st, name, ".age", path, sizeof(path)) == 0 && fs_exists(path);
}

/* Ledger */

static int record(const struct secrets_store *st, const char *topic, json_t *payload)
{
	char why[512];
	int r;

	if (!payload)
		return err_set(ERR_NOMEM, "out of memory");
	if (!st->ledger) {
		json_decref(payload);
		return 0;
	}
	if ((r = fleet_record(st->ledger, topic, NULL, NULL, payload, NULL)) < 0) {
		SAVE_MSG(why);
		return err_set(r, "done, but the ledger did not take the %s event: %s", topic, why);
	}
	return 0;
}

/* Names and lists */

static void strv_sort(char **v, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

void secrets_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static int strv_add(char ***v, size_t *n, const char *s)
{
	char **grown = realloc(*v, (*n + 1) * sizeof(**v));

	if (!grown)
		return err_set(ERR_NOMEM, "out of memory");
	*v = grown;
	if (!(grown[*n] = strdup(s)))
		return err_set(ERR_NOMEM, "out of memory");
	(*n)++;
	return 0;
}

static bool strv_has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* The names of every secret (files NAME.age with a good NAME), sorted. */
static int secret_names(const struct secrets_store *st, char ***names, size_t *n)
{
	DIR *d = opendir(st->dir);
	struct dirent *e;
	int r = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return err_set_errno(ERR_IO, errno, "cannot read '%s'", st->dir);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char name[SECRETS_NAME_MAX + 1];

		if (len <= 4 || len - 4 > SECRETS_NAME_MAX || strcmp(e->d_name + len - 4, ".age") != 0)
			continue;
		memcpy(name, e->d_name, len - 4);
		name[len - 4] = '\0';
		if (secrets_name_check(name) < 0)
			continue;
		if ((r = strv_add(names, n, name)) < 0)
			break;
	}
	closedir(d);
	err_clear();
	if (r < 0) {
		secrets_strv_free(*names, *n);
		*names = NULL;
		*n = 0;
		return err_set(ERR_NOMEM, "out of memory");
	}
	strv_sort(*names, *n);
	return 0;
}

/* Lines of a text file that are not blank or '#' comments (trailing spaces and CR dropped). */
static int read_lines(const char *path, char ***lines, size_t **linenos, size_t *n)
{
	uint8_t *text;
	size_t len, off = 0, line = 0;
	int r;

	*lines = NULL;
	*n = 0;
	if (linenos)
		*linenos = NULL;
	if ((r = read_path(path, SECRETS_TEXT_MAX, &text, &len)) < 0)
		return r == ERR_NOTFOUND ? (err_clear(), 0) : r;
	while (off < len) {
		const char *p = (const char *)text + off, *nl = memchr(p, '\n', len - off);
		size_t l = nl ? (size_t)(nl - p) : len - off;
		char *s;

		off += l + (nl ? 1 : 0);
		line++;
		while (l > 0 && (p[l - 1] == '\r' || p[l - 1] == ' ' || p[l - 1] == '\t'))
			l--;
		if (l == 0 || p[0] == '#')
			continue;
		if (!(s = strndup(p, l)) || (r = strv_add(lines, n, s)) < 0) {
			free(s);
			r = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		free(s);
		if (linenos) {
			size_t *g = realloc(*linenos, *n * sizeof(**linenos));

			if (!g) {
				r = err_set(ERR_NOMEM, "out of memory");
				break;
			}
			*linenos = g;
			g[*n - 1] = line;
		}
	}
	age_free(text, len);
	if (r < 0) {
		secrets_strv_free(*lines, *n);
		*lines = NULL;
		*n = 0;
		if (linenos) {
			free(*linenos);
			*linenos = NULL;
		}
	}
	return r;
}

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
	if ((r = read_path(path, SECRETS_TEXT_MAX, &text, &len)) < 0)
		return r;
	r = age_identity_file_parse(path, (const char *)text, len, &ids, &n);
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
static int load_identity(struct secrets_store *st)
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
static int write_key_temp(const struct secrets_store *st, const struct age_identity *id, char tmp[PATH_MAX])
{
	char text[512], created[32];
	int len, r;

	now_rfc3339(created, sizeof(created));
	if ((len = age_identity_file_format(id, created, text, sizeof(text))) < 0)
		return len;
	r = write_temp(st->keys_dir, text, (size_t)len, tmp);
	OPENSSL_cleanse(text, sizeof(text));
	return r;
}

/* The loaded identity, else a new one made now, unless secrets exist that it would not open. */
static int need_identity(struct secrets_store *st, bool create)
{
	struct age_identity id;
	char tmp[PATH_MAX] = "";
	char **names;
	size_t n;
	int r;

	if (st->ids)
		return 0;
	if ((r = secret_names(st, &names, &n)) < 0)
		return r;
	secrets_strv_free(names, n);
	if (n > 0 || !create || st->read_only)
		return err_set(ERR_NOTFOUND, "the admin identity '%s' is missing%s: restore it from a backup",
			       st->key_path, n > 0 ? ", and the secrets are encrypted to it" : "");
	if ((r = age_identity_generate(&id)) < 0)
		return r;
	if ((r = write_key_temp(st, &id, tmp)) < 0 || (r = commit(tmp, st->key_path)) < 0 ||
	    (r = sync_dir(st->keys_dir)) < 0) {
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
	if ((r = read_lines(st->recipients_path, &lines, &linenos, &nl)) < 0)
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
static int store_open(struct secrets_store *st, const char *state_dir, struct ledger *ledger, bool read_only)
{
	int r;

	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
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
	return load_identity(st);
}

int secrets_open(struct secrets_store *st, const char *state_dir, struct ledger *ledger)
{
	return store_open(st, state_dir, ledger, false);
}

int secrets_open_read(struct secrets_store *st, const char *state_dir)
{
	return store_open(st, state_dir, NULL, true);
}

/* ERR_UNSUPPORTED for a change to a store opened to read. */
static int writable(const struct secrets_store *st)
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
	if ((r = need_identity(st, true)) < 0)
		return r;
	age_identity_recipient(&st->ids[0], &rc);
	age_recipient_format(&rc, out);
	return 0;
}

/* Secrets */

/* Decrypt the file of NAME with the loaded identities. */
static int decrypt_secret(const struct secrets_store *st, const char *name, uint8_t **value, size_t *len)
{
	char path[PATH_MAX], why[512];
	uint8_t *data;
	size_t dlen;
	int r;

	*value = NULL;
	*len = 0;
	if ((r = path_of(st, name, ".age", path, sizeof(path))) < 0)
		return r;
	if ((r = read_path(path, SECRETS_FILE_MAX, &data, &dlen)) < 0)
		return r == ERR_NOTFOUND ? err_set(ERR_NOTFOUND, "no secret '%s'", name) : r;
	if (!st->ids) {
		age_free(data, dlen);
		return err_set(ERR_NOTFOUND, "the admin identity '%s' is missing, and secret '%s' is encrypted to it: "
			       "restore it from a backup", st->key_path, name);
	}
	r = age_decrypt(st->ids, st->nids, data, dlen, value, len);
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
static int encrypt_temp(const struct secrets_store *st, const struct age_identity *admin,
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
	if ((r = age_encrypt(rs, nrs, value, len, &enc, &enc_len)) == 0)
		r = write_temp(st->dir, enc, enc_len, tmp);
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

	if ((r = writable(st)) < 0)
		return r;
	if ((r = secrets_name_check(name)) < 0 || (r = path_of(st, name, ".age", path, sizeof(path))) < 0)
		return r;
	if (len > SECRETS_VALUE_MAX)
		return err_set(ERR_LIMIT, "secret '%s' is %zu bytes, over the limit of %d", name, len,
			       SECRETS_VALUE_MAX);
	if ((r = need_identity(st, true)) < 0 || (r = secrets_recipients(st, &extra, &nextra)) < 0)
		return r;
	*replaced = fs_exists(path);
	if ((r = encrypt_temp(st, &st->ids[0], extra, nextra, value, len, tmp)) < 0)
		goto out;
	if ((r = commit(tmp, path)) < 0) {
		unlink(tmp);
		goto out;
	}
	r = sync_dir(st->dir);
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
	return record(st, "secret.set", json_pack("{s:s, s:b, s:b}", "name", name, "replaced", replaced,
						  "imported", 0));
}

int secrets_import(struct secrets_store *st, const char *name, const void *data, size_t len)
{
	uint8_t *value = NULL;
	size_t vlen = 0;
	bool replaced = false;
	char why[512];
	int r;

	if ((r = secrets_name_check(name)) < 0 || (r = need_identity(st, true)) < 0)
		return r;
	if ((r = age_decrypt(st->ids, st->nids, data, len, &value, &vlen)) < 0) {
		SAVE_MSG(why);
		return err_set(r, "cannot import '%s': %s", name, why);
	}
	r = store_value(st, name, value, vlen, &replaced);
	age_free(value, vlen);
	if (r < 0)
		return r;
	return record(st, "secret.set", json_pack("{s:s, s:b, s:b}", "name", name, "replaced", replaced,
						  "imported", 1));
}

int secrets_get(const struct secrets_store *st, const char *name, uint8_t **value, size_t *len)
{
	int r;

	*value = NULL;
	*len = 0;
	if ((r = secrets_name_check(name)) < 0)
		return r;
	return decrypt_secret(st, name, value, len);
}

int secrets_rm(struct secrets_store *st, const char *name)
{
	char path[PATH_MAX], grants[PATH_MAX];
	char **keys = NULL;
	size_t nkeys = 0;
	int r;

	if ((r = writable(st)) < 0)
		return r;
	if ((r = secrets_name_check(name)) < 0 || (r = path_of(st, name, ".age", path, sizeof(path))) < 0 ||
	    (r = path_of(st, name, ".grants", grants, sizeof(grants))) < 0)
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
	if ((r = sync_dir(st->dir)) < 0)
		return r;
	return record(st, "secret.rm", json_pack("{s:s, s:I}", "name", name, "grants", (json_int_t)nkeys));
}

int secrets_grants(const struct secrets_store *st, const char *name, char ***keys, size_t *n)
{
	char path[PATH_MAX];
	int r;

	*keys = NULL;
	*n = 0;
	if ((r = path_of(st, name, ".grants", path, sizeof(path))) < 0)
		return r;
	return read_lines(path, keys, NULL, n);
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
	if ((r = secret_names(st, &names, &nn)) < 0)
		return r;
	if (nn && !(e = calloc(nn, sizeof(*e))))
		r = err_set(ERR_NOMEM, "out of memory");
	for (i = 0; r == 0 && i < nn; i++) {
		char path[PATH_MAX];
		struct stat sb;

		snprintf(e[i].name, sizeof(e[i].name), "%s", names[i]);
		if ((r = path_of(st, names[i], ".age", path, sizeof(path))) < 0)
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

	if ((r = path_of(st, name, ".grants", path, sizeof(path))) < 0)
		return r;
	for (i = 0; r == 0 && i < n; i++)
		if (buf_adds(&text, keys[i]) < 0 || buf_addc(&text, '\n') < 0)
			r = err_set(ERR_LIMIT, "too many grants for secret '%s'", name);
	if (r == 0)
		r = write_atomic(st->dir, path, text.data, text.len);
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
	if ((r = writable(st)) < 0 || (r = secrets_name_check(name)) < 0)
		return r;
	if (!secret_exists(st, name))
		return err_set(ERR_NOTFOUND, "no secret '%s'", name);
	for (i = 0; i < n; i++)
		if ((r = key_check(keys[i])) < 0)
			return r;
	if ((r = secrets_grants(st, name, &have, &nhave)) < 0)
		return r;
	if (add) {
		for (i = 0; r == 0 && i < n; i++)
			if (!strv_has(have, nhave, keys[i])) {
				r = strv_add(&have, &nhave, keys[i]);
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
				r = strv_add(&keep, &nkeep, have[i]);
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
	return record(st, add ? "secret.grant" : "secret.revoke",
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

/* Re-encryption, all or nothing */

/*
 * Re-encrypt every secret to ADMIN and the N EXTRA recipients. First every secret is
 * decrypted and written encrypted to a temporary file, with NEW_KEY (when not NULL) written
 * as STATE/keys/age.key.new and RECIPIENTS (when not NULL, the new recipients file text) to
 * a temporary file; any failure removes them all and leaves the store as it was. Then the
 * secrets are renamed into place, then the key, then the recipients file.
 */
static int rekey(struct secrets_store *st, const struct age_identity *admin, const struct age_recipient *extra,
		 size_t nextra, const struct age_identity *new_key, const struct buf *recipients, size_t *count)
{
	char **names = NULL, (*tmps)[PATH_MAX] = NULL, key_tmp[PATH_MAX] = "", rc_tmp[PATH_MAX] = "";
	char pending[PATH_MAX + 8], path[PATH_MAX];
	size_t n = 0, i, done = 0;
	int r;

	if ((r = writable(st)) < 0)
		return r;
	if ((r = secret_names(st, &names, &n)) < 0)
		return r;
	if (!(tmps = calloc(n + 1, sizeof(*tmps)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint8_t *value;
		size_t len;

		if ((r = decrypt_secret(st, names[i], &value, &len)) < 0)
			goto out;
		r = encrypt_temp(st, admin, extra, nextra, value, len, tmps[i]);
		age_free(value, len);
		if (r < 0)
			goto out;
	}
	if (new_key && (r = write_key_temp(st, new_key, key_tmp)) < 0)
		goto out;
	if (recipients && (r = write_temp(st->keys_dir, recipients->data, recipients->len, rc_tmp)) < 0)
		goto out;
	/* Commit. From here a crash leaves age.key.new beside age.key: load_identity reads both. */
	snprintf(pending, sizeof(pending), "%s.new", st->key_path);
	if (new_key && (r = commit(key_tmp, pending)) < 0)
		goto out;
	if (new_key) {
		key_tmp[0] = '\0';
		if ((r = sync_dir(st->keys_dir)) < 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = path_of(st, names[i], ".age", path, sizeof(path))) < 0 || (r = commit(tmps[i], path)) < 0)
			goto out;
		tmps[i][0] = '\0';
		done++;
	}
	if ((r = sync_dir(st->dir)) < 0)
		goto out;
	if (new_key && (r = commit(pending, st->key_path)) < 0)
		goto out;
	if (recipients) {
		if ((r = commit(rc_tmp, st->recipients_path)) < 0)
			goto out;
		rc_tmp[0] = '\0';
	}
	r = sync_dir(st->keys_dir);
out:
	for (i = 0; tmps && i < n; i++)
		if (tmps[i][0])
			unlink(tmps[i]);
	if (key_tmp[0])
		unlink(key_tmp);
	if (rc_tmp[0])
		unlink(rc_tmp);
	if (r < 0 && new_key && done == 0)
		unlink(pending);
	free(tmps);
	secrets_strv_free(names, n);
	if (r == 0 && count)
		*count = n;
	return r;
}

/* Add or remove PUB from the extra recipients and re-encrypt. */
static int change_recipients(struct secrets_store *st, const char *pub, bool add, size_t *count)
{
	struct age_recipient rc, *have = NULL, *next = NULL;
	struct buf text = BUF_INIT(SECRETS_TEXT_MAX);
	char line[AGE_RECIPIENT_TEXT_MAX], admin[AGE_RECIPIENT_TEXT_MAX], q[96];
	size_t nhave = 0, nnext = 0, i, n = 0;
	bool found = false;
	int r;

	if (count)
		*count = 0;
	if ((r = age_recipient_parse(pub, strlen(pub), &rc)) < 0 || (r = need_identity(st, true)) < 0 ||
	    (r = secrets_identity(st, admin)) < 0 || (r = secrets_recipients(st, &have, &nhave)) < 0)
		return r;
	err_quote(q, sizeof(q), pub, strlen(pub));
	if (!(next = calloc(nhave + 1, sizeof(*next)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nhave; i++) {
		if (memcmp(have[i].public, rc.public, AGE_KEY_LEN) == 0) {
			found = true;
			if (!add)
				continue;
		}
		next[nnext++] = have[i];
	}
	if (add && found) {
		r = err_set(ERR_INVALID, "recipient '%s' is already in '%s'", q, st->recipients_path);
		goto out;
	}
	if (!add && !found) {
		r = err_set(ERR_NOTFOUND, "recipient '%s' is not in '%s'", q, st->recipients_path);
		goto out;
	}
	if (add) {
		age_recipient_format(&rc, line);
		if (strcmp(line, admin) == 0) {
			r = err_set(ERR_INVALID, "recipient '%s' is the admin identity itself", q);
			goto out;
		}
		next[nnext++] = rc;
	}
	buf_adds(&text, "# extra recipients of every chimera secret, one age public key a line\n");
	for (i = 0; i < nnext; i++) {
		age_recipient_format(&next[i], line);
		if (buf_adds(&text, line) < 0 || buf_addc(&text, '\n') < 0) {
			r = err_set(ERR_LIMIT, "too many recipients");
			goto out;
		}
	}
	if ((r = rekey(st, &st->ids[0], next, nnext, NULL, &text, &n)) < 0)
		goto out;
	if (count)
		*count = n;
	age_recipient_format(&rc, line);
	r = record(st, "secret.recipients", json_pack("{s:s, s:s, s:I, s:I}", "action", add ? "add" : "rm",
						       "recipient", line, "recipients", (json_int_t)nnext,
						       "secrets", (json_int_t)n));
out:
	free(have);
	free(next);
	buf_release(&text);
	return r;
}

int secrets_recipients_add(struct secrets_store *st, const char *pub, size_t *count)
{
	return change_recipients(st, pub, true, count);
}

int secrets_recipients_rm(struct secrets_store *st, const char *pub, size_t *count)
{
	return change_recipients(st, pub, false, count);
}

int secrets_rotate(struct secrets_store *st, char newpub[AGE_RECIPIENT_TEXT_MAX], size_t *count)
{
	struct age_recipient *extra = NULL, rc;
	struct age_identity id;
	size_t nextra = 0, n = 0;
	int r;

	newpub[0] = '\0';
	if (count)
		*count = 0;
	if ((r = need_identity(st, true)) < 0 || (r = secrets_recipients(st, &extra, &nextra)) < 0)
		return r;
	if ((r = age_identity_generate(&id)) < 0)
		goto out;
	if ((r = rekey(st, &id, extra, nextra, &id, NULL, &n)) < 0)
		goto out;
	/* The store now runs on the new key alone. */
	age_identities_free(st->ids, st->nids);
	st->ids = NULL;
	st->nids = 0;
	if ((r = load_identity(st)) < 0)
		goto out;
	age_identity_recipient(&id, &rc);
	age_recipient_format(&rc, newpub);
	if (count)
		*count = n;
	r = record(st, "secret.rotate", json_pack("{s:s, s:I}", "recipient", newpub, "secrets", (json_int_t)n));
out:
	age_identity_wipe(&id);
	free(extra);
	return r;
}

/* Push */

void secrets_push_report_release(struct secrets_push_report *rep)
{
	secrets_strv_free(rep->written, rep->nwritten);
	secrets_strv_free(rep->removed, rep->nremoved);
	memset(rep, 0, sizeof(*rep));
}

/* Prepare the directory (when any secret is granted) and remove every file of it not in the N NAMES. */
static int push_prepare_cmd(struct buf *cmd, const char *dir, const char *owner, char *const *names, size_t n)
{
	size_t i;
	int r = 0;

	r = r ? r : buf_adds(cmd, "umask 077; d=");
	r = r ? r : shell_quote(cmd, dir);
	r = r ? r : buf_adds(cmd, "\n");
	if (n > 0) {
		r = r ? r : buf_adds(cmd, "mkdir -p \"$d\" && chmod 0700 \"$d\" || exit 1\n");
		if (owner) {
			r = r ? r : buf_adds(cmd, "chown ");
			r = r ? r : shell_quote(cmd, owner);
			r = r ? r : buf_adds(cmd, " \"$d\" || exit 1\n");
		}
	}
	r = r ? r : buf_adds(cmd, "[ -d \"$d\" ] || exit 0\ncd \"$d\" || exit 1\n"
				  "for f in * .chimera-tmp.*; do\n"
				  "  [ -e \"$f\" ] || [ -L \"$f\" ] || continue\n"
				  "  case $f in\n"
				  "  .chimera-tmp.*) rm -f -- \"$f\" ;;\n");
	for (i = 0; i < n; i++) {
		r = r ? r : buf_adds(cmd, "  ");
		r = r ? r : shell_quote(cmd, names[i]);
		r = r ? r : buf_adds(cmd, ") ;;\n");
	}
	r = r ? r : buf_adds(cmd, "  *) rm -rf -- \"$f\" || exit 1; printf 'removed %s\\n' \"$f\" ;;\n"
				  "  esac\n"
				  "done\n");
	return r < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}

/* Write stdin (LEN bytes) to DIR/NAME through a temporary file: mode 0400, chowned to OWNER. */
static int push_write_cmd(struct buf *cmd, const char *dir, const char *owner, const char *name, size_t len)
{
	int r = 0;

	r = r ? r : buf_adds(cmd, "umask 077; d=");
	r = r ? r : shell_quote(cmd, dir);
	r = r ? r : buf_adds(cmd, "; n=");
	r = r ? r : shell_quote(cmd, name);
	r = r ? r : buf_adds(cmd, "\nt=\"$d/.chimera-tmp.$n.$$\"\ntrap 'rm -f \"$t\"' EXIT\n"
				  "cat > \"$t\" || exit 1\n"
				  "s=$(wc -c < \"$t\") || exit 1\n");
	r = r ? r : buf_printf(cmd, "[ $s -eq %zu ] || { echo \"chimera: got $s of %zu bytes\" >&2; exit 1; }\n",
			       len, len);
	r = r ? r : buf_adds(cmd, "chmod 0400 \"$t\" || exit 1\n");
	if (owner) {
		r = r ? r : buf_adds(cmd, "chown ");
		r = r ? r : shell_quote(cmd, owner);
		r = r ? r : buf_adds(cmd, " \"$t\" || exit 1\n");
	}
	r = r ? r : buf_adds(cmd, "mv -f \"$t\" \"$d/$n\" || exit 1\ntrap - EXIT\n");
	return r < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}

/* The names of the secrets granted to KEY, sorted. */
static int granted_to(const struct secrets_store *st, const char *key, char ***out, size_t *nout)
{
	char **names = NULL;
	size_t n = 0, i;
	int r;

	*out = NULL;
	*nout = 0;
	if ((r = secret_names(st, &names, &n)) < 0)
		return r;
	for (i = 0; r == 0 && i < n; i++) {
		char **keys;
		size_t nkeys;

		if ((r = secrets_grants(st, names[i], &keys, &nkeys)) < 0)
			break;
		if (strv_has(keys, nkeys, key))
			r = strv_add(out, nout, names[i]);
		secrets_strv_free(keys, nkeys);
	}
	secrets_strv_free(names, n);
	if (r < 0) {
		secrets_strv_free(*out, *nout);
		*out = NULL;
		*nout = 0;
	}
	return r;
}

int secrets_push(const struct secrets_store *st, const struct fleet *f, struct executor *ex,
		 struct exec_session *s, const char *key, const char *owner, struct secrets_push_report *rep,
		 struct fleet_failure *fail)
{
	struct buf cmd = BUF_INIT(64 * 1024);
	struct exec_result res;
	char **names = NULL;
	uint8_t **values = NULL;
	size_t *lens = NULL, n = 0, i;
	int r;

	memset(rep, 0, sizeof(*rep));
	exec_result_init(&res);
	if (!st->remote_dir || st->remote_dir[0] != '/') {
		r = err_set(ERR_INVALID, "bad secrets directory '%s': expected an absolute path",
			    st->remote_dir ? st->remote_dir : "");
		goto fail;
	}
	if ((r = key_check(key)) < 0 || (owner && (r = secrets_owner_check(owner)) < 0) ||
	    (r = granted_to(st, key, &names, &n)) < 0)
		goto fail;
	/* Decrypt all first: a secret that cannot be read stops the push before the node is touched. */
	if (n && (!(values = calloc(n, sizeof(*values))) || !(lens = calloc(n, sizeof(*lens))))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++)
		if ((r = decrypt_secret(st, names[i], &values[i], &lens[i])) < 0)
			goto fail;
	if ((r = push_prepare_cmd(&cmd, st->remote_dir, owner, names, n)) < 0)
		goto fail;
	if ((r = fleet_step(f, ex, s, "secrets", cmd.data, NULL, &res, fail)) < 0)
		goto out;
	{
		const char *p = res.out.data, *end = res.out.data + res.out.len;

		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

			if (l > 8 && memcmp(p, "removed ", 8) == 0) {
				char *name = strndup(p + 8, l - 8);

				r = name ? strv_add(&rep->removed, &rep->nremoved, name) : err_set(ERR_NOMEM, "oom");
				free(name);
				if (r < 0)
					goto fail;
			}
			p += l + 1;
		}
	}
	for (i = 0; i < n; i++) {
		struct exec_input in = { .head = (const char *)values[i], .head_len = lens[i], .fd = -1, .len = 0 };

		buf_reset(&cmd);
		exec_result_release(&res);
		exec_result_init(&res);
		if ((r = push_write_cmd(&cmd, st->remote_dir, owner, names[i], lens[i])) < 0)
			goto fail;
		if ((r = fleet_step(f, ex, s, "secrets", cmd.data, &in, &res, fail)) < 0) {
			char why[sizeof(fail->message)];

			snprintf(why, sizeof(why), "%s", fail->message);
			snprintf(fail->message, sizeof(fail->message), "writing secret '%s': %s", names[i], why);
			goto out;
		}
		if ((r = strv_add(&rep->written, &rep->nwritten, names[i])) < 0)
			goto fail;
	}
	r = 0;
	goto out;
fail:
	fleet_fail(fail, "secrets", r);
out:
	for (i = 0; values && i < n; i++)
		age_free(values[i], lens[i]);
	free(values);
	free(lens);
	secrets_strv_free(names, n);
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

int secrets_push_record(struct ledger *l, const char *deployment, const char *node, const char *key,
			const struct secrets_push_report *rep, const struct fleet_failure *fail)
{
	json_t *written = json_array(), *removed = json_array(), *doc;
	size_t i;

	for (i = 0; written && i < rep->nwritten; i++)
		json_array_append_new(written, json_string(rep->written[i]));
	for (i = 0; removed && i < rep->nremoved; i++)
		json_array_append_new(removed, json_string(rep->removed[i]));
	doc = json_pack("{s:s, s:o, s:o, s:b}", "key", key, "written", written, "removed", removed, "ok",
			!(fail && fail->step));
	if (doc && fail && fail->step) {
		json_object_set_new(doc, "step", json_string(fail->step));
		json_object_set_new(doc, "error", json_string(fail->message));
	}
	if (!doc)
		return err_set(ERR_NOMEM, "out of memory");
	return fleet_record(l, "secret.push", deployment, node, doc, NULL);
}
