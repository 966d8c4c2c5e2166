/* Unit tests for fleet_judge: a failed step's message names the cause its stderr gives. */
#include "check.h"

#include "app/fleet/fleet.h"
#include "util/err.h"

static int judge(const char *err_text, int status, struct fleet_failure *f)
{
	struct exec_result res;
	int r;

	exec_result_init(&res);
	res.status = status;
	buf_adds(&res.err, err_text);
	memset(f, 0, sizeof(*f));
	r = fleet_judge(f, "copy", 0, &res);
	exec_result_release(&res);
	return r;
}

static void test_causes(void **state)
{
	struct fleet_failure f;

	(void)state;
	assert_int_equal(judge("", 0, &f), 0);
	assert_int_equal(judge("error: writing to file: No space left on device\n", 1, &f), ERR_IO);
	assert_string_equal(f.message, "copy failed: No space left on device (the node's disk is full)");
	assert_int_equal(f.status, 1);
	assert_non_null(strstr(f.stderr_tail, "No space left on device"));
	judge("mkdir: cannot create directory '/nix/var/chimera': Permission denied\n", 1, &f);
	assert_string_equal(f.message, "copy failed: Permission denied");
	judge("cannot open: Read-only file system\n", 1, &f);
	assert_string_equal(f.message, "copy failed: Read-only file system");
	judge("something else went wrong\n", 3, &f);
	assert_string_equal(f.message, "copy exited with status 3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_causes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
