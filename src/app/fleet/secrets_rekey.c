/* Re-encrypting every secret, all or nothing: adding or removing a recipient, rotating the admin key. */
#include "app/fleet/secrets.h"
#include "app/fleet/secrets_internal.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

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

	if ((r = secrets_writable(st)) < 0)
		return r;
	if ((r = secrets_names(st, &names, &n)) < 0)
		return r;
	if (!(tmps = calloc(n + 1, sizeof(*tmps)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint8_t *value;
		size_t len;

		if ((r = secrets_decrypt(st, names[i], &value, &len)) < 0)
			goto out;
		r = secrets_encrypt_temp(st, admin, extra, nextra, value, len, tmps[i]);
		age_free(value, len);
		if (r < 0)
			goto out;
	}
	if (new_key && (r = secrets_write_key_temp(st, new_key, key_tmp)) < 0)
		goto out;
	if (recipients && (r = secrets_write_temp(st->keys_dir, recipients->data, recipients->len, rc_tmp)) < 0)
		goto out;
	/* Commit. From here a crash leaves age.key.new beside age.key: load_identity reads both. */
	snprintf(pending, sizeof(pending), "%s.new", st->key_path);
	if (new_key && (r = secrets_commit(key_tmp, pending)) < 0)
		goto out;
	if (new_key) {
		key_tmp[0] = '\0';
		if ((r = secrets_sync_dir(st->keys_dir)) < 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = secrets_path_of(st, names[i], ".age", path, sizeof(path))) < 0 || (r = secrets_commit(tmps[i], path)) < 0)
			goto out;
		tmps[i][0] = '\0';
		done++;
	}
	if ((r = secrets_sync_dir(st->dir)) < 0)
		goto out;
	if (new_key && (r = secrets_commit(pending, st->key_path)) < 0)
		goto out;
	if (recipients) {
		if ((r = secrets_commit(rc_tmp, st->recipients_path)) < 0)
			goto out;
		rc_tmp[0] = '\0';
	}
	r = secrets_sync_dir(st->keys_dir);
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
	if ((r = age_recipient_parse(pub, strlen(pub), &rc)) < 0 || (r = secrets_need_identity(st, true)) < 0 ||
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
	r = secrets_record(st, "secret.recipients", json_pack("{s:s, s:s, s:I, s:I}", "action", add ? "add" : "rm",
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
	if ((r = secrets_need_identity(st, true)) < 0 || (r = secrets_recipients(st, &extra, &nextra)) < 0)
		return r;
	if ((r = age_identity_generate(st->cipher, &id)) < 0)
		goto out;
	if ((r = rekey(st, &id, extra, nextra, &id, NULL, &n)) < 0)
		goto out;
	/* The store now runs on the new key alone. */
	age_identities_free(st->ids, st->nids);
	st->ids = NULL;
	st->nids = 0;
	if ((r = secrets_load_identity(st)) < 0)
		goto out;
	age_identity_recipient(&id, &rc);
	age_recipient_format(&rc, newpub);
	if (count)
		*count = n;
	r = secrets_record(st, "secret.rotate", json_pack("{s:s, s:I}", "recipient", newpub, "secrets", (json_int_t)n));
out:
	age_identity_wipe(&id);
	free(extra);
	return r;
}

/* Push */
