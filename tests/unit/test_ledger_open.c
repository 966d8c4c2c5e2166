/* Opening the ledger by URL (runtime/ledger_open.c): the state dir's default, sqlite:PATH, and unknown schemes. */
#include "check.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime/ledger_open.h"

static char dir[4096];

static int setup(void **state)
{
	(void)state;
	return scratch_make(dir, sizeof(dir), "ledger-open");
}

static int teardown(void **state)
{
	(void)state;
	fs_rm_rf(dir);
	return 0;
}

static void append_and_close(struct ledger *l)
{
	assert_non_null(l);
	assert_int_equal(ledger_append1(l, "test.open", NULL, NULL, NULL, NULL), 0);
	ledger_close(l);
}

static void test_default_is_the_state_dir(void **state)
{
	struct ledger *l = NULL;
	char path[8192];

	(void)state;
	assert_int_equal(ledger_open_url(NULL, dir, &l), 0);
	append_and_close(l);
	snprintf(path, sizeof(path), "%s/chimera.db", dir);
	assert_true(fs_exists(path));
	l = NULL;
	assert_int_equal(ledger_open_url("", dir, &l), 0);
	append_and_close(l);
	l = (struct ledger *)1;
	assert_int_equal(ledger_open_url(NULL, NULL, &l), ERR_INVALID);
	assert_null(l);
}

static void test_sqlite_path(void **state)
{
	struct ledger *l = NULL;
	char url[8192], path[8192], cwd[PATH_MAX];

	(void)state;
	snprintf(url, sizeof(url), "sqlite:%s/elsewhere.db", dir);
	assert_int_equal(ledger_open_url(url, "/nonexistent-state", &l), 0);
	append_and_close(l);
	snprintf(path, sizeof(path), "%s/elsewhere.db", dir);
	assert_true(fs_exists(path));
	/* A relative PATH is relative to the working directory, not the state dir. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	l = NULL;
	assert_int_equal(ledger_open_url("sqlite:rel.db", "/nonexistent-state", &l), 0);
	append_and_close(l);
	assert_int_equal(chdir(cwd), 0);
	snprintf(path, sizeof(path), "%s/rel.db", dir);
	assert_true(fs_exists(path));
	l = (struct ledger *)1;
	assert_int_equal(ledger_open_url("sqlite:", dir, &l), ERR_INVALID);
	assert_null(l);
}

static void test_unknown_scheme(void **state)
{
	static const char *const bad[] = { "postgres://db.example/chimera", "mysql:x", "chimera.db", "/var/lib/x.db",
					   "SQLITE:x.db" };
	struct ledger *l;
	size_t i;
	char want[256];

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l = (struct ledger *)1;
		assert_int_equal(ledger_open_url(bad[i], dir, &l), ERR_INVALID);
		assert_null(l);
		snprintf(want, sizeof(want), "unknown ledger '%s': expected sqlite:PATH", bad[i]);
		assert_string_equal(err_msg(), want);
	}
}

static void test_registry(void **state)
{
	const struct ledger_backend *b;
	size_t n, i;
	char url[8192];

	(void)state;
	b = ledger_backends(&n);
	assert_true(n >= 1);
	assert_string_equal(b[0].scheme, "sqlite");
	for (i = 0; i < n; i++) {
		assert_non_null(b[i].open);
		assert_non_null(b[i].scratch_url);
		assert_int_equal(b[i].scratch_url(dir, url, sizeof(url)), 0);
		assert_int_equal(strncmp(url, b[i].scheme, strlen(b[i].scheme)), 0);
		assert_int_equal(url[strlen(b[i].scheme)], ':');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_default_is_the_state_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sqlite_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_scheme, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
