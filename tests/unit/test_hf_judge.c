/* hf_judge: what a deploy and the status read after it made of each new HostFactory machine. */
#include "check.h"

#include "app/fleet/deploy.h"
#include "app/fleet/inspect.h"
#include "app/hostfactory/hostfactory.h"

#define PATH "/nix/store/00000000000000000000000000000001-system"

static void test_judge(void **state)
{
	struct deploy_node dn[4] = { { .outcome = OUTCOME_DEPLOYED },
				     { .outcome = OUTCOME_DEPLOYED },
				     { .outcome = OUTCOME_FAILED, .fail = { .step = "copy", .message = "no space left" } },
				     { .outcome = OUTCOME_DEPLOYED } };
	struct status_node sn[3] = { { .state = NODE_CONGRUENT },
				     { .state = NODE_DRIFTED, .reason = "the profile points elsewhere" },
				     { .state = NODE_UNREACHABLE } };
	struct deploy_report rep = { .id = "01J9ZK3M4N5P6Q7R8S9T0V1W2X", .path = PATH, .nodes = dn, .n = 4 };
	struct status_report srep = { .nodes = sn, .n = 3 };
	struct hf_configured out[4];

	(void)state;
	hf_judge(&rep, &srep, 4, out);
	/* Deployed and congruent: the only one that may report succeed. */
	assert_true(out[0].deployed && out[0].congruent);
	assert_string_equal(out[0].deployment, rep.id);
	assert_string_equal(out[0].path, PATH);
	assert_string_equal(out[0].message, "deployed " PATH " and congruent");
	/* Deployed, but the status after it found it drifted: not congruent, and why. */
	assert_true(out[1].deployed && !out[1].congruent);
	assert_string_equal(out[1].message, "its status after the deploy: drifted: the profile points elsewhere");
	/* Its deploy failed: the step and the message, whatever the status said. */
	assert_true(!out[2].deployed && !out[2].congruent);
	assert_string_equal(out[2].message, "its deploy failed at copy: no space left");
	/* No status read for it: not congruent, "not read". */
	assert_true(out[3].deployed && !out[3].congruent);
	assert_string_equal(out[3].message, "its status after the deploy: not read");
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_judge) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
