/* Unit tests for app/certify: the four checks, and a certificate made, verified and broken. */
#include "check.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

	assert_int_equal(cert_make(stdir, dir, &r, NULL, NULL, &cert), 0);
	snprintf(file, sizeof(file), "%s/keys/certify-ed25519.pem", stdir);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(cert_key_id(stdir, id), 0);
	assert_string_equal(json_string_value(json_object_get(cert, "key_id")), id);
	assert_int_equal(cert_verify(stdir, dir, cert), 0);
	/* Another controller's key: refused. */
	assert_int_equal(cert_verify(other, dir, cert), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "not by this controller's key"));
	/* Any field changed after signing: refused. */
	copy = json_deep_copy(cert);
	json_object_set_new(copy, "artifact", json_string("/nix/store/00000000000000000000000000000000-x"));
	assert_int_equal(cert_verify(stdir, dir, copy), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "signature does not match"));
	json_decref(copy);
	/* The file changed: refused, naming it. */
	snprintf(file, sizeof(file), "%s/netlify.toml", dir);
	assert_int_equal(fs_write_file(file, "[build]\n#\n", 10, 0644), 0);
	assert_int_equal(cert_verify(stdir, dir, cert), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "netlify.toml changed since it was certified"));
	/* Not a store path as the artifact. */
	assert_int_equal(cert_make(stdir, dir, &r, NULL, "/etc", &copy), ERR_INVALID);
	json_decref(cert);
	sim_report_release(&r);
	fs_rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_make_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
