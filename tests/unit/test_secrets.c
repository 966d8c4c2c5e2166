/* Unit tests for app/fleet/secrets* in a temporary state dir: set/get, grants, recipients, rotation, failures, push. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/local/exec_local.h"
#include "adapters/openssl/cipher_openssl.h"
#include "app/fleet/secrets_push.h"
#include "check.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

/* The cipher the store and every age call here use. */
#define C cipher_openssl()

#define VALUE "v4lue-with\0nul-and-\xff-bytes-7c1d9e"

static char state[4096];

/* A ledger that keeps every event's topic and payload. */
struct fake_ledger {
	struct ledger base;
	struct buf topics;	/* "topic\n" each */
	struct buf payloads;	/* all payloads, one a line */
};

static int fake_append(struct ledger *l, const struct ledger_new *evs, size_t n, int64_t *last)
{
	struct fake_ledger *fl = (struct fake_ledger *)l;
	size_t i;

	for (i = 0; i < n; i++) {
		buf_printf(&fl->topics, "%s\n", evs[i].topic);
		buf_printf(&fl->payloads, "%s\n", evs[i].payload ? evs[i].payload : "{}");
	}
	if (last)
		*last = 1;
	return 0;
}

static int fake_scan(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg)
{
	return 0;
}

static void fake_close(struct ledger *l)
{
}

static const struct ledger_ops fake_ops = { .name = "fake", .append = fake_append, .scan = fake_scan,
					    .close = fake_close };

static struct fake_ledger ledger;

static int setup(void **st)
{
	const char *base = getenv("CHIMERA_TEST_TMP");
	char tmpl[4096];

	if (!base)
		base = "/var/tmp";
	fs_mkdir_p(base, 0755);
	snprintf(tmpl, sizeof(tmpl), "%s/secrets-XXXXXX", base);
	assert_non_null(mkdtemp(tmpl));
	snprintf(state, sizeof(state), "%s", tmpl);
	ledger.base.ops = &fake_ops;
	buf_init(&ledger.topics, 0);
	buf_init(&ledger.payloads, 0);
	return 0;
}

static int teardown(void **st)
{
	fs_rm_rf(state);
	buf_release(&ledger.topics);
	buf_release(&ledger.payloads);
	return 0;
}

static void path(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", state, rel);
}

static void read_whole(const char *rel, struct buf *out)
{
	char p[4096];

	path(p, sizeof(p), rel);
	buf_reset(out);
	if (fs_read_file(p, out) < 0)
		fail_msg("cannot read %s: %s", p, err_msg());
}

static mode_t mode_of(const char *rel)
{
	char p[4096];
	struct stat sb;

	path(p, sizeof(p), rel);
	assert_int_equal(stat(p, &sb), 0);
	return sb.st_mode & 07777;
}

/* Decrypt the file REL with the identity file KEY_REL: 0 and the value, or the error. */
static int open_with(const char *key_rel, const char *rel, uint8_t **value, size_t *len)
{
	struct buf k = BUF_INIT(0), f = BUF_INIT(0);
	struct age_identity *ids;
	size_t n;
	int r;

	read_whole(key_rel, &k);
	read_whole(rel, &f);
	assert_int_equal(age_identity_file_parse(C, key_rel, k.data, k.len, &ids, &n), 0);
	r = age_decrypt(C, ids, n, f.data, f.len, value, len);
	age_identities_free(ids, n);
	buf_release(&k);
	buf_release(&f);
	return r;
}

static void set_value(struct secrets_store *st, const char *name, const void *v, size_t len)
{
	if (secrets_set(st, name, v, len) < 0)
		fail_msg("secrets_set %s: %s", name, err_msg());
}

static void expect_secret(struct secrets_store *st, const char *name, const void *v, size_t len)
{
	uint8_t *got;
	size_t glen;

	if (secrets_get(st, name, &got, &glen) < 0)
		fail_msg("secrets_get %s: %s", name, err_msg());
	assert_int_equal(glen, len);
	assert_memory_equal(got, v, len);
	age_free(got, glen);
}

/* No file under the state dir holds NEEDLE (the plaintext never touches the disk). */
static void assert_not_on_disk(const char *dir, const char *needle, size_t nlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char p[4096];
		struct stat sb;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		assert_int_equal(lstat(p, &sb), 0);
		if (S_ISDIR(sb.st_mode)) {
			assert_not_on_disk(p, needle, nlen);
		} else if (S_ISREG(sb.st_mode)) {
			struct buf b = BUF_INIT(0);

			assert_int_equal(fs_read_file(p, &b), 0);
			if (memmem(b.data, b.len, needle, nlen))
				fail_msg("the plaintext is in %s", p);
			buf_release(&b);
		}
	}
	closedir(d);
}

static void test_names(void **s)
{
	static const char *good[] = { "a", "db.pass", "A-1_b.c", "x234567890123456789012345678901234567890123456789012345678901234" };
	static const char *bad[] = { "", ".hidden", "-x", "_x", "a/b", "a b", "a\nb", "..", "é",
				     "x2345678901234567890123456789012345678901234567890123456789012345" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(secrets_name_check(good[i]), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(secrets_name_check(bad[i]), ERR_INVALID);
		assert_contains(err_msg(), "bad secret name");
	}
	assert_int_equal(secrets_owner_check("root"), 0);
	assert_int_equal(secrets_owner_check("app:www-data"), 0);
	assert_int_equal(secrets_owner_check("a;b"), ERR_INVALID);
	assert_int_equal(secrets_owner_check("app:"), ERR_INVALID);
	assert_int_equal(secrets_owner_check("1app"), ERR_INVALID);
}

static void test_set_get(void **s)
{
	struct secrets_store st;
	struct buf k = BUF_INIT(0);
	uint8_t *v;
	size_t len;
	char pub[AGE_RECIPIENT_TEXT_MAX];

	assert_int_equal(secrets_open(&st, state, C, &ledger.base), 0);
	assert_int_equal(mode_of("keys"), 0700);
	assert_int_equal(mode_of("secrets"), 0700);
	set_value(&st, "db.pass", VALUE, sizeof(VALUE) - 1);
	expect_secret(&st, "db.pass", VALUE, sizeof(VALUE) - 1);
	assert_int_equal(mode_of("secrets/db.pass.age"), 0600);
	assert_int_equal(mode_of("keys/age.key"), 0600);
	/* The key file is as age-keygen writes it. */
	read_whole("keys/age.key", &k);
	assert_int_equal(strncmp(k.data, "# created: ", 11), 0);
	assert_non_null(strstr(k.data, "\n# public key: age1"));
	assert_non_null(strstr(k.data, "\nAGE-SECRET-KEY-1"));
	assert_int_equal(secrets_identity(&st, pub), 0);
	assert_non_null(strstr(k.data, pub));
	/* The admin key opens the file like any age tool would. */
	assert_int_equal(open_with("keys/age.key", "secrets/db.pass.age", &v, &len), 0);
	assert_memory_equal(v, VALUE, sizeof(VALUE) - 1);
	age_free(v, len);
	/* Empty values, replacing values. */
	set_value(&st, "empty", "", 0);
	expect_secret(&st, "empty", "", 0);
	set_value(&st, "db.pass", "second", 6);
	expect_secret(&st, "db.pass", "second", 6);
	assert_int_equal(secrets_get(&st, "nope", &v, &len), ERR_NOTFOUND);
	assert_contains(err_msg(), "no secret 'nope'");
	assert_int_equal(secrets_set(&st, "bad/name", "x", 1), ERR_INVALID);
	assert_int_equal(secrets_rm(&st, "empty"), 0);
	assert_int_equal(secrets_rm(&st, "empty"), ERR_NOTFOUND);
	set_value(&st, "db.pass", VALUE, sizeof(VALUE) - 1);
	assert_not_on_disk(state, VALUE, sizeof(VALUE) - 1);
	/* The events name secrets and never carry their values. */
	assert_string_equal(ledger.topics.data, "secret.set\nsecret.set\nsecret.set\nsecret.rm\nsecret.set\n");
	assert_non_null(strstr(ledger.payloads.data, "\"name\":\"db.pass\""));
	assert_null(memmem(ledger.payloads.data, ledger.payloads.len, "v4lue", 5));
	assert_null(strstr(ledger.payloads.data, "second"));
	secrets_close(&st);
	buf_release(&k);

	/* Opened to read: values come out, nothing changes. */
	assert_int_equal(secrets_open_read(&st, state, C), 0);
	expect_secret(&st, "db.pass", VALUE, sizeof(VALUE) - 1);
	assert_int_equal(secrets_set(&st, "db.pass", "x", 1), ERR_UNSUPPORTED);
	assert_int_equal(secrets_rm(&st, "db.pass"), ERR_UNSUPPORTED);
	assert_int_equal(secrets_rotate(&st, pub, NULL), ERR_UNSUPPORTED);
	expect_secret(&st, "db.pass", VALUE, sizeof(VALUE) - 1);
	secrets_close(&st);
}

/* A store opened to read never makes a key. */
static void test_read_only_no_key(void **s)
{
	struct secrets_store st;
	char pub[AGE_RECIPIENT_TEXT_MAX];

	assert_int_equal(secrets_open_read(&st, state, C), 0);
	assert_int_equal(secrets_identity(&st, pub), ERR_NOTFOUND);
	assert_false(fs_exists(strcat(strcpy((char[4096]){ 0 }, state), "/keys/age.key")));
	secrets_close(&st);
}

static void test_grants_and_list(void **s)
{
	struct secrets_store st;
	struct secrets_entry *e;
	const char *two[] = { "web-1", "root@10.0.0.2:22" }, *one[] = { "web-1" }, *bad[] = { "a b" };
	char **keys;
	size_t n, changed;

	assert_int_equal(secrets_open(&st, state, C, &ledger.base), 0);
	set_value(&st, "b", "1", 1);
	set_value(&st, "a", "2", 1);
	assert_int_equal(secrets_grant(&st, "a", two, 2, &changed), 0);
	assert_int_equal(changed, 2);
	assert_int_equal(secrets_grant(&st, "a", one, 1, &changed), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(secrets_grants(&st, "a", &keys, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(keys[0], "web-1");
	assert_string_equal(keys[1], "root@10.0.0.2:22");
	secrets_strv_free(keys, n);
	assert_int_equal(secrets_grant(&st, "zz", one, 1, &changed), ERR_NOTFOUND);
	assert_contains(err_msg(), "no secret 'zz'");
	assert_int_equal(secrets_grant(&st, "a", bad, 1, &changed), ERR_INVALID);
	assert_int_equal(secrets_list(&st, &e, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].name, "a");
	assert_string_equal(e[1].name, "b");
	assert_int_equal(e[0].ngrants, 2);
	assert_int_equal(e[1].ngrants, 0);
	assert_true(e[0].size > 100);
	assert_true(e[0].mtime > 0);
	secrets_list_free(e, n);
	assert_int_equal(secrets_revoke(&st, "a", one, 1, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(secrets_grants(&st, "a", &keys, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0], "root@10.0.0.2:22");
	secrets_strv_free(keys, n);
	assert_int_equal(mode_of("secrets/a.grants"), 0600);
	assert_non_null(strstr(ledger.topics.data, "secret.grant\n"));
	assert_non_null(strstr(ledger.topics.data, "secret.revoke\n"));
	/* rm takes the grants along. */
	assert_int_equal(secrets_rm(&st, "a"), 0);
	assert_false(fs_exists(strcat(strcpy((char[4096]){ 0 }, state), "/secrets/a.grants")));
	secrets_close(&st);
}

/* A file that is not a secret stays byte for byte as it was. */
static void snapshot(const char *rel, struct buf *b)
{
	buf_init(b, 0);
	read_whole(rel, b);
}

static void assert_same(const char *rel, const struct buf *before)
{
	struct buf now = BUF_INIT(0);

	read_whole(rel, &now);
	assert_int_equal(now.len, before->len);
	assert_memory_equal(now.data, before->data, now.len);
	buf_release(&now);
}

static size_t count_temps(const char *rel)
{
	char p[4096];
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	path(p, sizeof(p), rel);
	assert_non_null(d = opendir(p));
	while ((e = readdir(d)))
		if (strncmp(e->d_name, ".tmp-", 5) == 0 || strstr(e->d_name, ".new"))
			n++;
	closedir(d);
	return n;
}

static void write_rel(const char *rel, const void *data, size_t len, mode_t mode)
{
	char p[4096];

	path(p, sizeof(p), rel);
	assert_int_equal(fs_write_file(p, data, len, mode), 0);
}

static void test_recipients(void **s)
{
	struct secrets_store st;
	struct age_identity other;
	struct age_recipient rc, *rs;
	char pub[AGE_RECIPIENT_TEXT_MAX], text[512], admin[AGE_RECIPIENT_TEXT_MAX];
	uint8_t *v;
	size_t len, n, count;

	assert_int_equal(secrets_open(&st, state, C, &ledger.base), 0);
	set_value(&st, "one", "1111", 4);
	set_value(&st, "two", "2222", 4);
	assert_int_equal(age_identity_generate(C, &other), 0);
	age_identity_recipient(&other, &rc);
	age_recipient_format(&rc, pub);
	assert_true(age_identity_file_format(&other, NULL, text, sizeof(text)) > 0);
	write_rel("other.key", text, strlen(text), 0600);
	assert_int_equal(open_with("other.key", "secrets/one.age", &v, &len), ERR_AUTH);
	assert_int_equal(secrets_recipients_add(&st, pub, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(open_with("other.key", "secrets/one.age", &v, &len), 0);
	assert_memory_equal(v, "1111", 4);
	age_free(v, len);
	assert_int_equal(open_with("other.key", "secrets/two.age", &v, &len), 0);
	age_free(v, len);
	/* New secrets go to it too. */
	set_value(&st, "three", "3333", 4);
	assert_int_equal(open_with("other.key", "secrets/three.age", &v, &len), 0);
	age_free(v, len);
	assert_int_equal(secrets_recipients(&st, &rs, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(rs[0].public, rc.public, AGE_KEY_LEN);
	free(rs);
	assert_int_equal(secrets_recipients_add(&st, pub, &count), ERR_INVALID);
	assert_contains(err_msg(), "already");
	assert_int_equal(secrets_identity(&st, admin), 0);
	assert_int_equal(secrets_recipients_add(&st, admin, &count), ERR_INVALID);
	assert_int_equal(secrets_recipients_add(&st, "age1nope", &count), ERR_INVALID);
	assert_contains(err_msg(), "bad age recipient 'age1nope'");
	/* Removing it re-encrypts without it. */
	assert_int_equal(secrets_recipients_rm(&st, pub, &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(open_with("other.key", "secrets/one.age", &v, &len), ERR_AUTH);
	expect_secret(&st, "one", "1111", 4);
	assert_int_equal(secrets_recipients_rm(&st, pub, &count), ERR_NOTFOUND);
	assert_non_null(strstr(ledger.topics.data, "secret.recipients\n"));
	assert_int_equal(count_temps("secrets") + count_temps("keys"), 0);
	secrets_close(&st);
	age_identity_wipe(&other);
}

static void test_rotate(void **s)
{
	struct secrets_store st;
	struct buf oldkey, one_before, two_before, key_before;
	char pub[AGE_RECIPIENT_TEXT_MAX], newpub[AGE_RECIPIENT_TEXT_MAX];
	uint8_t *v;
	size_t len, count;

	assert_int_equal(secrets_open(&st, state, C, &ledger.base), 0);
	set_value(&st, "one", VALUE, sizeof(VALUE) - 1);
	set_value(&st, "two", "2222", 4);
	assert_int_equal(secrets_identity(&st, pub), 0);
	snapshot("keys/age.key", &oldkey);
	write_rel("old.key", oldkey.data, oldkey.len, 0600);
	assert_int_equal(secrets_rotate(&st, newpub, &count), 0);
	assert_int_equal(count, 2);
	assert_string_not_equal(pub, newpub);
	assert_int_equal(open_with("old.key", "secrets/one.age", &v, &len), ERR_AUTH);
	assert_int_equal(open_with("keys/age.key", "secrets/one.age", &v, &len), 0);
	assert_memory_equal(v, VALUE, sizeof(VALUE) - 1);
	age_free(v, len);
	expect_secret(&st, "two", "2222", 4);
	assert_int_equal(secrets_identity(&st, pub), 0);
	assert_string_equal(pub, newpub);
	assert_int_equal(mode_of("keys/age.key"), 0600);
	assert_int_equal(count_temps("secrets") + count_temps("keys"), 0);
	secrets_close(&st);

	/* A store opened later reads the new key. */
	assert_int_equal(secrets_open(&st, state, C, &ledger.base), 0);
	expect_secret(&st, "one", VALUE, sizeof(VALUE) - 1);

	/* All or nothing: one corrupted secret, and nothing changes. */
	{
		struct buf two = BUF_INIT(0);

		read_whole("secrets/two.age", &two);
		two.data[two.len - 1] ^= 1;
		write_rel("secrets/two.age", two.data, two.len, 0600);
		buf_release(&two);
	}
	snapshot("secrets/one.age", &one_before);
	snapshot("secrets/two.age", &two_before);
	snapshot("keys/age.key", &key_before);
	assert_int_equal(secrets_rotate(&st, newpub, &count), ERR_CORRUPT);
	assert_contains(err_msg(), "secret 'two'");
	assert_contains(err_msg(), "two.age");
	assert_same("secrets/one.age", &one_before);
	assert_same("secrets/two.age", &two_before);
	assert_same("keys/age.key", &key_before);
	assert_int_equal(count_temps("secrets") + count_temps("keys"), 0);
	assert_int_equal(secrets_recipients_add(&st, "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj",
						&count), ERR_CORRUPT);
	assert_same("secrets/one.age", &one_before);
	assert_false(fs_exists(strcat(strcpy((char[4096]){ 0 }, state), "/keys/age.recipients")));
	expect_secret(&st, "one", VALUE, sizeof(VALUE) - 1);
	secrets_close(&st);
	buf_release(&oldkey);
	buf_release(&one_before);
	buf_release(&two_before);
	buf_release(&key_before);
}

/* A wrong key, a missing key, an open key file, a corrupted file: each a clear error naming the secret. */
static void test_failures(void **s)
{
	struct secrets_store st;
	struct age_identity other;
	char text[512];
	uint8_t *v;
	size_t len;
	int r;

	assert_int_equal(secrets_open(&st, state, C, &ledger.base), 0);
	set_value(&st, "api", "tok", 3);
	secrets_close(&st);

	/* Another identity in place of the admin key. */
	assert_int_equal(age_identity_generate(C, &other), 0);
	assert_true(age_identity_file_format(&other, NULL, text, sizeof(text)) > 0);
	write_rel("keys/age.key.bak", "", 0, 0600);
	{
		char a[4096], b[4096];

		path(a, sizeof(a), "keys/age.key");
		path(b, sizeof(b), "keys/age.key.bak");
		assert_int_equal(rename(a, b), 0);
	}
	write_rel("keys/age.key", text, strlen(text), 0600);
	assert_int_equal(secrets_open(&st, state, C, NULL), 0);
	r = secrets_get(&st, "api", &v, &len);
	assert_int_equal(r, ERR_AUTH);
	assert_contains(err_msg(), "secret 'api'");
	assert_contains(err_msg(), "api.age");
	assert_contains(err_msg(), "no identity matches");
	secrets_close(&st);

	/* No key at all, while secrets exist: not silently replaced. */
	{
		char a[4096];

		path(a, sizeof(a), "keys/age.key");
		unlink(a);
	}
	assert_int_equal(secrets_open(&st, state, C, NULL), 0);
	assert_int_equal(secrets_get(&st, "api", &v, &len), ERR_NOTFOUND);
	assert_contains(err_msg(), "is missing");
	assert_int_equal(secrets_set(&st, "more", "x", 1), ERR_NOTFOUND);
	assert_contains(err_msg(), "is missing");
	secrets_close(&st);
	{
		char a[4096], b[4096];

		path(a, sizeof(a), "keys/age.key");
		path(b, sizeof(b), "keys/age.key.bak");
		assert_int_equal(rename(b, a), 0);
	}

	/* A key file others can read is refused. */
	{
		char a[4096];

		path(a, sizeof(a), "keys/age.key");
		assert_int_equal(chmod(a, 0644), 0);
		assert_int_equal(secrets_open(&st, state, C, NULL), ERR_INVALID);
		assert_contains(err_msg(), "chmod 600");
		secrets_close(&st);
		assert_int_equal(chmod(a, 0600), 0);
	}

	/* A corrupted file, a truncated one, and one that is not age at all. */
	assert_int_equal(secrets_open(&st, state, C, NULL), 0);
	{
		struct buf f = BUF_INIT(0), good = BUF_INIT(0);

		read_whole("secrets/api.age", &good);
		buf_add(&f, good.data, good.len);
		f.data[f.len - 5] ^= 0x40;
		write_rel("secrets/api.age", f.data, f.len, 0600);
		assert_int_equal(secrets_get(&st, "api", &v, &len), ERR_CORRUPT);
		assert_contains(err_msg(), "secret 'api'");
		assert_contains(err_msg(), "fails authentication");
		write_rel("secrets/api.age", good.data, good.len - 20, 0600);
		assert_int_equal(secrets_get(&st, "api", &v, &len), ERR_CORRUPT);
		assert_contains(err_msg(), "api.age");
		write_rel("secrets/api.age", "hello", 5, 0600);
		assert_int_equal(secrets_get(&st, "api", &v, &len), ERR_INVALID);
		assert_contains(err_msg(), "not an age file");
		write_rel("secrets/api.age", good.data, good.len, 0600);
		expect_secret(&st, "api", "tok", 3);
		buf_release(&f);
		buf_release(&good);
	}
	secrets_close(&st);
	age_identity_wipe(&other);
}

/* An age file made elsewhere for the admin key is taken in; one for another key is refused. */
static void test_import(void **s)
{
	struct secrets_store st;
	struct age_recipient rc;
	struct age_identity other;
	char pub[AGE_RECIPIENT_TEXT_MAX];
	uint8_t *enc;
	size_t enc_len;

	assert_int_equal(secrets_open(&st, state, C, &ledger.base), 0);
	assert_int_equal(secrets_identity(&st, pub), 0);
	assert_int_equal(age_recipient_parse(pub, strlen(pub), &rc), 0);
	assert_int_equal(age_encrypt(C, &rc, 1, "made elsewhere", 14, &enc, &enc_len), 0);
	assert_int_equal(secrets_import(&st, "ext", enc, enc_len), 0);
	free(enc);
	expect_secret(&st, "ext", "made elsewhere", 14);
	assert_int_equal(age_identity_generate(C, &other), 0);
	age_identity_recipient(&other, &rc);
	assert_int_equal(age_encrypt(C, &rc, 1, "x", 1, &enc, &enc_len), 0);
	assert_int_equal(secrets_import(&st, "ext2", enc, enc_len), ERR_AUTH);
	assert_contains(err_msg(), "cannot import 'ext2'");
	assert_false(fs_exists(strcat(strcpy((char[4096]){ 0 }, state), "/secrets/ext2.age")));
	free(enc);
	secrets_close(&st);
	age_identity_wipe(&other);
}

static void test_read_fd(void **s)
{
	int p[2];
	uint8_t *v;
	size_t len, i;
	static uint8_t big[100000];

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i % 253);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], big, 60000), 60000);
	close(p[1]);
	assert_int_equal(secrets_read_fd(p[0], sizeof(big), &v, &len), 0);
	close(p[0]);
	assert_int_equal(len, 60000);
	assert_memory_equal(v, big, len);
	age_free(v, len);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], big, 5000), 5000);
	close(p[1]);
	assert_int_equal(secrets_read_fd(p[0], 4999, &v, &len), ERR_LIMIT);
	assert_null(v);
	close(p[0]);
}

static void assert_file(const char *rel, const void *data, size_t len, mode_t mode)
{
	struct buf b = BUF_INIT(0);

	read_whole(rel, &b);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, data, len);
	assert_int_equal(mode_of(rel), mode);
	buf_release(&b);
}

/* The push through the local executor into a directory of the test. */
static void test_push(void **s)
{
	struct exec_local_config cfg = { 30 };
	struct executor *ex;
	struct exec_session *sess;
	struct fleet f = { 0 };
	struct secrets_store st;
	struct secrets_push_report rep;
	struct fleet_failure fail;
	struct target t;
	const char *me[] = { "node-a" }, *other[] = { "node-b" };
	char dir[4096];
	static uint8_t big[70000];
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 31 % 256);
	assert_int_equal(exec_local_new(&cfg, &ex), 0);
	assert_int_equal(target_parse(&t, "local", 5), 0);
	assert_int_equal(ex->ops->connect(ex, &t, &sess), 0);
	executor_set_add(&f.executors, "local", ex);
	path(dir, sizeof(dir), "node/run/chimera/secrets");

	assert_int_equal(secrets_open(&st, state, C, &ledger.base), 0);
	st.remote_dir = dir;
	set_value(&st, "a", VALUE, sizeof(VALUE) - 1);
	set_value(&st, "b", big, sizeof(big));
	set_value(&st, "c", "not for me", 10);
	set_value(&st, "empty", "", 0);
	assert_int_equal(secrets_grant(&st, "a", me, 1, NULL), 0);
	assert_int_equal(secrets_grant(&st, "b", me, 1, NULL), 0);
	assert_int_equal(secrets_grant(&st, "empty", me, 1, NULL), 0);
	assert_int_equal(secrets_grant(&st, "c", other, 1, NULL), 0);

	/* Nothing granted: nothing made. */
	memset(&fail, 0, sizeof(fail));
	assert_int_equal(secrets_push(&st, &f, ex, sess, "node-z", NULL, &rep, &fail), 0);
	assert_int_equal(rep.nwritten + rep.nremoved, 0);
	assert_false(fs_exists(dir));
	secrets_push_report_release(&rep);

	assert_int_equal(secrets_push(&st, &f, ex, sess, "node-a", NULL, &rep, &fail), 0);
	assert_int_equal(rep.nwritten, 3);
	assert_string_equal(rep.written[0], "a");
	assert_string_equal(rep.written[1], "b");
	assert_string_equal(rep.written[2], "empty");
	assert_int_equal(rep.nremoved, 0);
	secrets_push_report_release(&rep);
	assert_int_equal(mode_of("node/run/chimera/secrets"), 0700);
	assert_file("node/run/chimera/secrets/a", VALUE, sizeof(VALUE) - 1, 0400);
	assert_file("node/run/chimera/secrets/b", big, sizeof(big), 0400);
	assert_file("node/run/chimera/secrets/empty", "", 0, 0400);
	assert_false(fs_exists(strcat(strcpy((char[4096]){ 0 }, dir), "/c")));

	/* Revoked, and a leftover temporary and a stray file: all removed; the rest rewritten. */
	assert_int_equal(secrets_revoke(&st, "b", me, 1, NULL), 0);
	write_rel("node/run/chimera/secrets/.chimera-tmp.a.99", "x", 1, 0600);
	write_rel("node/run/chimera/secrets/stray", "x", 1, 0600);
	set_value(&st, "a", "changed", 7);
	assert_int_equal(secrets_push(&st, &f, ex, sess, "node-a", NULL, &rep, &fail), 0);
	assert_int_equal(rep.nwritten, 2);
	assert_int_equal(rep.nremoved, 2);
	assert_string_equal(rep.removed[0], "b");
	assert_string_equal(rep.removed[1], "stray");
	secrets_push_report_release(&rep);
	assert_file("node/run/chimera/secrets/a", "changed", 7, 0400);
	assert_false(fs_exists(strcat(strcpy((char[4096]){ 0 }, dir), "/b")));
	assert_false(fs_exists(strcat(strcpy((char[4096]){ 0 }, dir), "/.chimera-tmp.a.99")));

	/* Everything revoked: the directory is emptied. */
	assert_int_equal(secrets_revoke(&st, "a", me, 1, NULL), 0);
	assert_int_equal(secrets_revoke(&st, "empty", me, 1, NULL), 0);
	assert_int_equal(secrets_push(&st, &f, ex, sess, "node-a", NULL, &rep, &fail), 0);
	assert_int_equal(rep.nremoved, 2);
	secrets_push_report_release(&rep);

	/* An owner that does not exist fails at the node, with the step named. */
	assert_int_equal(secrets_grant(&st, "a", me, 1, NULL), 0);
	memset(&fail, 0, sizeof(fail));
	assert_true(secrets_push(&st, &f, ex, sess, "node-a", "no-such-user-x", &rep, &fail) < 0);
	assert_string_equal(fail.step, "secrets");
	secrets_push_report_release(&rep);
	/* A secret that cannot be decrypted stops the push before the node is touched. */
	write_rel("secrets/a.age", "garbage", 7, 0600);
	memset(&fail, 0, sizeof(fail));
	assert_true(secrets_push(&st, &f, ex, sess, "node-a", NULL, &rep, &fail) < 0);
	assert_non_null(strstr(fail.message, "secret 'a'"));
	assert_int_equal(rep.nwritten, 0);
	secrets_push_report_release(&rep);
	memset(&fail, 0, sizeof(fail));
	assert_int_equal(secrets_push(&st, &f, ex, sess, "bad key", NULL, &rep, &fail), ERR_INVALID);
	secrets_push_report_release(&rep);

	/* The record names, never values. */
	{
		char *w[] = { "a" }, *rm[] = { "b" };
		struct secrets_push_report r2 = { w, 1, rm, 1 };

		buf_reset(&ledger.payloads);
		assert_int_equal(secrets_push_record(&ledger.base, NULL, "root@h:22", "node-a", &r2, NULL), 0);
		assert_string_equal(ledger.payloads.data,
				    "{\"key\":\"node-a\",\"ok\":true,\"removed\":[\"b\"],\"written\":[\"a\"]}\n");
	}
	assert_null(memmem(ledger.payloads.data, ledger.payloads.len, "changed", 7));
	assert_not_on_disk(state, "changed", 7);
	secrets_close(&st);
	ex->ops->disconnect(sess);
	ex->ops->close(ex);
}

/* The push to a list of targets at once: the report, its JSON, a secret.push event per node; and deploy's policy. */
static void test_push_fleet(void **s)
{
	struct exec_local_config cfg = { 30 };
	struct executor *ex;
	struct fleet f = { 0 };
	struct secrets_store st;
	struct secrets_fleet_report rep;
	struct target_list l;
	struct target t, unreachable;
	char key[SECRETS_KEY_MAX + 1], dir[4096], want[8192], *text;
	const char *keys[1] = { key };
	bool push = true;
	json_t *doc;

	/* Never used: a deploy leaves secrets alone. */
	assert_false(secrets_in_use(state));
	assert_int_equal(secrets_policy(&st, state, C, &push), 0);
	assert_false(push);
	secrets_close(&st);

	assert_int_equal(exec_local_new(&cfg, &ex), 0);
	executor_set_add(&f.executors, "local", ex);
	f.ledger = &ledger.base;
	f.parallel = 4;
	target_list_init(&l);
	assert_int_equal(target_parse(&t, "local", 5), 0);
	assert_int_equal(target_parse(&unreachable, "root@192.0.2.1", 14), 0);	/* no SSH executor: fails to connect */
	assert_int_equal(target_list_add(&l, &t), 0);
	assert_int_equal(target_list_add(&l, &unreachable), 0);
	path(dir, sizeof(dir), "node/run/chimera/secrets");
	assert_int_equal(secrets_open(&st, state, C, &ledger.base), 0);
	st.remote_dir = dir;
	set_value(&st, "a", VALUE, sizeof(VALUE) - 1);
	secrets_target_key(NULL, &t, key, sizeof(key));
	assert_int_equal(secrets_grant(&st, "a", keys, 1, NULL), 0);

	buf_reset(&ledger.topics);
	assert_int_equal(secrets_push_fleet(&st, &f, NULL, &l, NULL, &rep), 0);
	assert_int_equal(rep.n, 2);
	assert_int_equal(rep.ok, 1);
	assert_int_equal(rep.ledger_failed, 0);
	assert_int_equal(rep.nodes[0].err, 0);
	assert_true(rep.nodes[1].err < 0);
	assert_string_equal(rep.nodes[1].fail.step, "connect");
	assert_file("node/run/chimera/secrets/a", VALUE, sizeof(VALUE) - 1, 0400);
	assert_string_equal(ledger.topics.data, "secret.push\nsecret.push\n");

	doc = secrets_fleet_report_json(&rep);
	assert_non_null(doc);
	json_object_del(json_array_get(json_object_get(doc, "nodes"), 1), "error");	/* the executor's wording */
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(want, sizeof(want),
		 "{\"dir\":\"%s\",\"nodes\":[{\"error\":null,\"key\":\"%s\",\"ok\":true,\"removed\":[],"
		 "\"step\":null,\"target\":\"local\",\"written\":[\"a\"]},{\"key\":\"root@192.0.2.1:22\","
		 "\"ok\":false,\"removed\":[],\"step\":\"connect\",\"target\":\"root@192.0.2.1:22\",\"written\":[]}],"
		 "\"summary\":{\"failed\":1,\"nodes\":2,\"ok\":1}}",
		 dir, key);
	assert_string_equal(text, want);
	free(text);
	json_decref(doc);
	secrets_fleet_report_release(&rep);
	assert_null(rep.nodes);
	secrets_close(&st);

	/* Used: every deploy pushes, through a store opened to read. */
	assert_true(secrets_in_use(state));
	assert_int_equal(secrets_policy(&st, state, C, &push), 0);
	assert_true(push);
	assert_true(st.read_only);
	secrets_close(&st);
	target_list_release(&l);
	ex->ops->close(ex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_set_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_no_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grants_and_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recipients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
		cmocka_unit_test(test_read_fd),
		cmocka_unit_test_setup_teardown(test_push, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_fleet, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
