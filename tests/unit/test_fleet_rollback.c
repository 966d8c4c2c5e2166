/* rollback_run against fake nodes and a recording ledger: all of them or none, reverts, events. */
#include "check.h"
#include "fake_fleet.h"

#include <jansson.h>
#include <string.h>

#include "app/fleet/rollback.h"

/* Every node of FF on generation 1 = P_OLD and 2 = P_NEW, the current one, activated. */
static void on_two_generations(struct fake_fleet *ff)
{
	size_t i;

	for (i = 0; i < ff->n; i++) {
		fake_node_gen(&ff->nodes[i], 2, P_NEW);
		snprintf(ff->nodes[i].system, sizeof(ff->nodes[i].system), "%s", P_NEW);
	}
}

static const struct rollback_opts to_gen1 = { .profile = PROFILE_DEFAULT, .gen = 1, .activate = "auto" };

/* One of two nodes lacks the generation asked for: nothing moves, and the ledger says which and why. */
static void test_refused_missing(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2");
	struct fake_node *web1 = fake_fleet_node(ff, "web1"), *web2 = fake_fleet_node(ff, "web2");
	struct rollback_report rep;
	json_t *p;

	(void)state;
	on_two_generations(ff);
	web2->ngens = 0;	/* web2's generation 1 was collected */
	fake_node_gen(web2, 2, P_NEW);
	fake_node_gen(web2, 3, P_OTHER);
	assert_int_equal(rollback_run(&ff->ctx.fleet, &ff->targets, &to_gen1, &rep), 0);
	assert_int_equal(rep.refused, 1);
	assert_int_equal(rep.switched, 0);
	assert_int_equal(rep.nodes[0].state, RB_PENDING);
	assert_int_equal(rep.nodes[0].from_gen, 2);
	assert_int_equal(rep.nodes[0].to_gen, 1);
	assert_string_equal(rep.nodes[0].to_path, P_OLD);
	assert_int_equal(rep.nodes[1].state, RB_MISSING);
	assert_int_equal(rep.nodes[1].from_gen, 3);
	assert_string_equal(rep.nodes[1].fail.step, "check");
	assert_string_equal(rep.nodes[1].fail.message, "has no generation 1");
	/* Nothing moved. */
	assert_int_equal(web1->current, 2);
	assert_int_equal(web2->current, 3);
	assert_int_equal(web1->switches + web1->activations + web2->switches + web2->activations, 0);
	assert_string_equal(web1->system, P_NEW);

	assert_events(&ff->fl, "", "chimera.rollback.triggered,chimera.rollback.complete");
	assert_events(&ff->fl, "root@web1:22", "");
	assert_events(&ff->fl, "root@web2:22", "node.rollback.complete");
	assert_events_under(&ff->fl, rep.id);
	p = events_payload(&ff->fl, "node.rollback.complete", "root@web2:22");
	assert_string_equal(events_str(p, "state"), "missing-generation");
	assert_true(json_is_false(json_object_get(p, "ok")));
	p = events_payload(&ff->fl, "chimera.rollback.complete", NULL);
	assert_string_equal(events_str(p, "result"), "refused");
	assert_int_equal(events_int(p, "switched"), 0);
	assert_int_equal(events_int(p, "failed"), 1);
	rollback_report_release(&rep);
	fake_fleet_free(ff);
}

/* A node that cannot be reached refuses the rollback for all. */
static void test_refused_unreachable(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2");
	struct rollback_report rep;

	(void)state;
	on_two_generations(ff);
	fake_fleet_node(ff, "web2")->unreachable = 1;
	assert_int_equal(rollback_run(&ff->ctx.fleet, &ff->targets, &to_gen1, &rep), 0);
	assert_int_equal(rep.refused, 1);
	assert_int_equal(rep.nodes[0].state, RB_PENDING);
	assert_int_equal(rep.nodes[1].state, RB_UNREACHABLE);
	assert_string_equal(rep.nodes[1].fail.step, "connect");
	assert_contains(rep.nodes[1].fail.message, "Connection refused");
	assert_int_equal(ff->nodes[0].current, 2);
	assert_int_equal(ff->nodes[0].switches, 0);
	assert_string_equal(events_str(events_payload(&ff->fl, "node.rollback.complete", "root@web2:22"), "state"),
			    "unreachable");
	assert_string_equal(events_str(events_payload(&ff->fl, "chimera.rollback.complete", NULL), "result"), "refused");
	rollback_report_release(&rep);
	fake_fleet_free(ff);
}

/* Generation 0 means the one before the current: both nodes go there and activate it. */
static void test_switched(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2");
	struct rollback_opts o = to_gen1;
	struct rollback_report rep;
	size_t i;

	(void)state;
	on_two_generations(ff);
	o.gen = 0;
	o.reason = "bad release";
	assert_int_equal(rollback_run(&ff->ctx.fleet, &ff->targets, &o, &rep), 0);
	assert_int_equal(rep.refused, 0);
	assert_int_equal(rep.switched, 2);
	assert_int_equal(rep.reverted, 0);
	for (i = 0; i < 2; i++) {
		const struct rollback_node *n = &rep.nodes[i];
		json_t *p = events_payload(&ff->fl, "node.rollback.complete", n->name);

		assert_int_equal(n->state, RB_SWITCHED);
		assert_int_equal(n->from_gen, 2);
		assert_string_equal(n->from_path, P_NEW);
		assert_int_equal(n->end_gen, 1);
		assert_string_equal(n->end_path, P_OLD);
		assert_string_equal(n->activation, "switch-to-configuration");
		assert_int_equal(ff->nodes[i].current, 1);
		assert_string_equal(ff->nodes[i].system, P_OLD);
		assert_int_equal(ff->nodes[i].switches, 1);
		assert_true(json_is_true(json_object_get(p, "ok")));
		assert_int_equal(events_int(p, "from_generation"), 2);
		assert_int_equal(events_int(p, "ended_generation"), 1);
		assert_string_equal(events_str(p, "ended_path"), P_OLD);
	}
	assert_events(&ff->fl, "", "chimera.rollback.triggered,chimera.rollback.complete");
	assert_string_equal(ff->fl.topic[0], "chimera.rollback.triggered");
	assert_string_equal(events_str(events_payload(&ff->fl, "chimera.rollback.triggered", NULL), "reason"),
			    "bad release");
	assert_string_equal(events_str(events_payload(&ff->fl, "chimera.rollback.complete", NULL), "result"), "success");
	rollback_report_release(&rep);
	fake_fleet_free(ff);
}

/*
 * One at a time (parallel 1, so which nodes were touched is fixed): web1 switches, web2's
 * activation fails, web3 is never started; web1 and web2 are put back where they were.
 */
static void test_reverted(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2,web3");
	struct rollback_report rep;
	json_t *p;
	size_t i;

	(void)state;
	on_two_generations(ff);
	ff->ctx.fleet.parallel = 1;
	snprintf(ff->nodes[1].fail_activate, sizeof(ff->nodes[1].fail_activate), "%s", P_OLD);
	assert_int_equal(rollback_run(&ff->ctx.fleet, &ff->targets, &to_gen1, &rep), 0);
	assert_int_equal(rep.refused, 0);
	assert_int_equal(rep.switched, 0);
	assert_int_equal(rep.reverted, 2);
	assert_int_equal(rep.nodes[0].state, RB_REVERTED);
	assert_int_equal(rep.nodes[1].state, RB_REVERTED);
	assert_string_equal(rep.nodes[1].fail.step, "activate");
	assert_string_equal(rep.nodes[1].fail.message, "activate exited with status 1");
	assert_int_equal(rep.nodes[2].state, RB_SKIPPED);
	/* Back where they were: profile and activated system. */
	for (i = 0; i < 3; i++) {
		assert_int_equal(ff->nodes[i].current, 2);
		assert_string_equal(ff->nodes[i].system, P_NEW);
	}
	assert_int_equal(ff->nodes[0].switches, 2);
	assert_int_equal(ff->nodes[1].switches, 2);
	assert_int_equal(ff->nodes[2].switches + ff->nodes[2].activations, 0);
	assert_events(&ff->fl, "", "chimera.rollback.triggered,chimera.rollback.complete");
	for (i = 0; i < 3; i++)
		assert_events(&ff->fl, rep.nodes[i].name, "node.rollback.complete");
	p = events_payload(&ff->fl, "node.rollback.complete", "root@web2:22");
	assert_string_equal(events_str(p, "state"), "reverted");
	assert_string_equal(events_str(p, "step"), "activate");
	p = events_payload(&ff->fl, "node.rollback.complete", "root@web3:22");
	assert_string_equal(events_str(p, "state"), "skipped");
	p = events_payload(&ff->fl, "chimera.rollback.complete", NULL);
	assert_string_equal(events_str(p, "result"), "reverted");
	assert_int_equal(events_int(p, "failed"), 3);
	rollback_report_release(&rep);
	fake_fleet_free(ff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_missing),
		cmocka_unit_test(test_refused_unreachable),
		cmocka_unit_test(test_switched),
		cmocka_unit_test(test_reverted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
