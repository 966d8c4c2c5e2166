/* Unit tests for app/certify: the four checks, and a certificate made, verified and broken. */
#include "check.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/openssl/signer_openssl.h"
#include "app/pipeline/certify.h"
#include "util/fs.h"

static void test_checks(void **state)
{
	struct sim_report r;
	struct cert_checks c;

	(void)state;
	sim_report_init(&r, "netlify");
	assert_true(cert_checks_run(&r, &c));
	/* A medium issue certifies; a heal-able high one leaves healing unfinished. */
	sim_add(&r, "NTL-BUILD-7", SIM_MEDIUM, "netlify.toml", 1, 1, SIM_FIX_SUGGEST, "add publish", "no publish");
	assert_true(cert_checks_run(&r, &c));
	sim_add(&r, "NTL-RED-4", SIM_HIGH, "netlify.toml", 3, 3, SIM_FIX_HEAL, "make it a boolean", "force is a string");
	assert_false(cert_checks_run(&r, &c));
	assert_true(c.configuration_valid);
	assert_true(c.no_critical_issues);
	assert_false(c.simulation_passed);
	assert_false(c.healing_successful);
	sim_add(&r, "NTL-TOML-1", SIM_CRITICAL, "netlify.toml", 5, 1, SIM_FIX_NONE, NULL, "syntax");
	assert_false(cert_checks_run(&r, &c));
	assert_false(c.configuration_valid);
	assert_false(c.no_critical_issues);
	sim_report_release(&r);
}

static void test_make_verify(void **state)
{
	const char *tmp = getenv("CHIMERA_TEST_TMP");
	char dir[4096], file[4200], stdir[4200], other[4200], id[CERT_KEY_ID_LEN + 1];
	struct sim_report r;
	struct stat st;
	struct signer *mine, *theirs;
	json_t *cert = NULL, *copy;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/certify-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fs_mkdir_p(tmp && *tmp ? tmp : "/tmp", 0700);
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/netlify.toml", dir);
	snprintf(stdir, sizeof(stdir), "%s/state", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	assert_int_equal(fs_write_file(file, "[build]\n", 8, 0644), 0);
	sim_report_init(&r, "netlify");
	snprintf(r.files[r.nfiles++], SIM_FILE_MAX, "netlify.toml");
	assert_int_equal(signer_openssl_new(stdir, &mine), 0);
	assert_int_equal(signer_openssl_new(other, &theirs), 0);
	/* Nothing is made before it is used. */
	snprintf(file, sizeof(file), "%s/keys/certify-ed25519.pem", stdir);
	assert_int_equal(stat(file, &st), -1);

	assert_int_equal(cert_make(mine, dir, &r, NULL, NULL, &cert), 0);
	snprintf(file, sizeof(file), "%s/keys/certify-ed25519.pem", stdir);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(cert_key_id(mine, id), 0);
	assert_string_equal(json_string_value(json_object_get(cert, "key_id")), id);
	assert_int_equal(cert_verify(mine, dir, cert), 0);
	/* Another controller's key: refused. */
	assert_int_equal(cert_verify(theirs, dir, cert), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "not by this controller's key"));
	/* Any field changed after signing: refused. */
	copy = json_deep_copy(cert);
	json_object_set_new(copy, "artifact", json_string("/nix/store/00000000000000000000000000000000-x"));
	assert_int_equal(cert_verify(mine, dir, copy), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "signature does not match"));
	json_decref(copy);
	/* The file changed: refused, naming it. */
	snprintf(file, sizeof(file), "%s/netlify.toml", dir);
	assert_int_equal(fs_write_file(file, "[build]\n#\n", 10, 0644), 0);
	assert_int_equal(cert_verify(mine, dir, cert), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "netlify.toml changed since it was certified"));
	/* Not a store path as the artifact. */
	assert_int_equal(cert_make(mine, dir, &r, NULL, "/etc", &copy), ERR_INVALID);
	json_decref(cert);
	signer_close(mine);
	signer_close(theirs);
	sim_report_release(&r);
	fs_rm_rf(dir);
}

/* The OpenSSL signer: the key is kept across signers, signatures check, a bad key file is named. */
static void test_signer_openssl(void **state)
{
	const char *tmp = getenv("CHIMERA_TEST_TMP");
	char dir[4096], key[4200], id1[SIGNER_KEY_ID_LEN + 1], id2[SIGNER_KEY_ID_LEN + 1];
	uint8_t sig[SIGNER_SIG_LEN];
	struct signer *a, *b;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/signer-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fs_mkdir_p(tmp && *tmp ? tmp : "/tmp", 0700);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(signer_openssl_new(dir, &a), 0);
	assert_string_equal(a->ops->alg, "ed25519");
	assert_int_equal(a->ops->key_id(a, id1), 0);
	assert_int_equal(strlen(id1), SIGNER_KEY_ID_LEN);
	assert_int_equal(strspn(id1, "0123456789abcdef"), SIGNER_KEY_ID_LEN);
	assert_int_equal(a->ops->sign(a, "hello", 5, sig), 0);
	/* A second signer on the same state directory reads the same key. */
	assert_int_equal(signer_openssl_new(dir, &b), 0);
	assert_int_equal(b->ops->key_id(b, id2), 0);
	assert_string_equal(id1, id2);
	assert_int_equal(b->ops->verify(b, "hello", 5, sig), 0);
	assert_int_equal(b->ops->verify(b, "hellO", 5, sig), ERR_CORRUPT);
	sig[0] ^= 1;
	assert_int_equal(b->ops->verify(b, "hello", 5, sig), ERR_CORRUPT);
	signer_close(a);
	signer_close(b);
	/* A key file that is not a key: refused, naming it. */
	snprintf(key, sizeof(key), "%s/keys/certify-ed25519.pem", dir);
	assert_int_equal(fs_write_file(key, "not a key\n", 10, 0600), 0);
	assert_int_equal(signer_openssl_new(dir, &a), 0);
	assert_int_equal(a->ops->key_id(a, id1), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "certify-ed25519.pem' is not an Ed25519 private key"));
	signer_close(a);
	signer_close(NULL);
	fs_rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_make_verify),
		cmocka_unit_test(test_signer_openssl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
