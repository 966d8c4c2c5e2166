/* status_run and generations_run against fake nodes and a recording ledger: congruence, generations, events. */
#include "check.h"
#include "fake_fleet.h"

#include <jansson.h>
#include <string.h>

#include "app/fleet/inspect.h"

static void count_done(const struct status_node *n, size_t done, size_t total, void *arg)
{
	size_t *calls = arg;

	(void)n, (void)done, (void)total;
	(*calls)++;
}

/* Congruent, drifted, unreachable, and drifted for want of any profile; one batch of events in target order. */
static void test_status(void **state)
{
	static const char *const names[] = { "root@web1:22", "root@web2:22", "root@web3:22", "root@web4:22" };
	struct fake_fleet *ff = fake_fleet_new("web1,web2,web3,web4");
	struct status_report rep;
	size_t calls = 0;
	json_t *p;
	int i;

	(void)state;
	fake_node_gen(&ff->nodes[0], 2, P_NEW);
	ff->nodes[2].unreachable = 1;
	ff->nodes[3].ngens = 0;
	ff->nodes[3].current = 0;
	assert_int_equal(status_run(&ff->ctx.fleet, &ff->targets, PROFILE_DEFAULT, P_NEW, count_done, &calls, &rep), 0);
	assert_int_equal(calls, 4);
	assert_string_equal(rep.expected, P_NEW);
	assert_int_equal(rep.n, 4);
	assert_int_equal(rep.congruent, 1);
	assert_int_equal(rep.ledger_err, 0);
	assert_int_equal(rep.nodes[0].state, NODE_CONGRUENT);
	assert_string_equal(rep.nodes[0].actual, P_NEW);
	assert_int_equal(rep.nodes[0].generation, 0);	/* confirmed by readlink alone: not known (JSON null) */
	assert_int_equal(rep.nodes[1].state, NODE_DRIFTED);
	assert_string_equal(rep.nodes[1].actual, P_OLD);
	assert_int_equal(rep.nodes[1].generation, 1);
	assert_int_equal(rep.nodes[2].state, NODE_UNREACHABLE);
	assert_contains(rep.nodes[2].reason, "Connection refused");
	assert_int_equal(rep.nodes[3].state, NODE_DRIFTED);
	assert_string_equal(rep.nodes[3].actual, "");
	for (i = 0; i < 4; i++)
		assert_true(rep.nodes[i].seen_ms > 0);
	/* Looking changes nothing. */
	assert_int_equal(ff->nodes[1].switches + ff->nodes[1].activations + ff->nodes[1].imports, 0);

	assert_int_equal(ff->fl.n, 5);
	for (i = 0; i < 4; i++) {
		assert_string_equal(ff->fl.topic[i], "node.observed");
		assert_string_equal(ff->fl.node[i], names[i]);
		assert_string_equal(ff->fl.run[i], ff->fl.run[0]);
	}
	assert_string_equal(ff->fl.topic[4], "status.complete");
	assert_int_equal(strlen(ff->fl.run[0]), DEPLOYMENT_ID_LEN);
	assert_events_under(&ff->fl, ff->fl.run[0]);
	p = ff->fl.payload[0];
	assert_string_equal(events_str(p, "state"), "congruent");
	assert_string_equal(events_str(p, "path"), P_NEW);
	p = ff->fl.payload[1];
	assert_string_equal(events_str(p, "state"), "drifted");
	assert_string_equal(events_str(p, "path"), P_OLD);
	assert_int_equal(events_int(p, "generation"), 1);
	p = ff->fl.payload[2];
	assert_string_equal(events_str(p, "state"), "unreachable");
	assert_null(json_object_get(p, "path"));
	assert_contains(events_str(p, "reason"), "Connection refused");
	assert_string_equal(events_str(ff->fl.payload[3], "path"), "");
	p = ff->fl.payload[4];
	assert_int_equal(events_int(p, "nodes"), 4);
	assert_int_equal(events_int(p, "congruent"), 1);
	assert_string_equal(events_str(p, "expected"), P_NEW);
	status_report_release(&rep);
	fake_fleet_free(ff);
}

/* A node on the expected path whose store path is gone from its disk is not congruent, and says why. */
static void test_status_path_missing_on_disk(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2");
	struct status_report rep;
	size_t i;

	(void)state;
	fake_node_gen(&ff->nodes[0], 2, P_NEW);
	fake_node_gen(&ff->nodes[1], 2, P_NEW);
	for (i = 0; i < ff->nodes[1].nstore; i++)	/* removed behind Nix's back: the profile still leads there */
		if (strcmp(ff->nodes[1].store[i], P_NEW) == 0)
			snprintf(ff->nodes[1].store[i], STOREPATH_MAX, "%s", P_OLD);
	assert_int_equal(status_run(&ff->ctx.fleet, &ff->targets, PROFILE_DEFAULT, P_NEW, NULL, NULL, &rep), 0);
	assert_int_equal(rep.congruent, 1);
	assert_int_equal(rep.nodes[0].state, NODE_CONGRUENT);
	assert_string_equal(rep.nodes[0].reason, "");
	assert_int_equal(rep.nodes[1].state, NODE_DRIFTED);
	assert_string_equal(rep.nodes[1].actual, P_NEW);
	assert_string_equal(rep.nodes[1].reason, "the profile's path " P_NEW " is missing on disk");
	assert_string_equal(events_str(ff->fl.payload[1], "state"), "drifted");
	assert_string_equal(events_str(ff->fl.payload[1], "reason"), rep.nodes[1].reason);
	fake_nodes_check(ff->nodes, 2);
	status_report_release(&rep);
	fake_fleet_free(ff);
}

/* Every generation of a node (the current one not the newest, after a rollback), and an unreachable one. */
static void test_generations(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2");
	struct gens_report rep;
	const struct gen_list *g;

	(void)state;
	fake_node_gen(&ff->nodes[0], 2, P_NEW);
	fake_node_gen(&ff->nodes[0], 3, P_OTHER);
	ff->nodes[0].current = 2;
	ff->nodes[1].unreachable = 1;
	assert_int_equal(generations_run(&ff->ctx.fleet, &ff->targets, PROFILE_DEFAULT, &rep), 0);
	assert_int_equal(rep.n, 2);
	assert_int_equal(rep.ok, 1);
	assert_true(rep.nodes[0].ok);
	g = &rep.nodes[0].gens;
	assert_int_equal(g->n, 3);
	assert_int_equal(g->current, 2);
	assert_string_equal(g->current_path, P_NEW);
	assert_int_equal(g->items[0].num, 1);
	assert_int_equal(g->items[0].time, 1700000000 + 3600);
	assert_string_equal(g->items[0].path, P_OLD);
	assert_string_equal(g->items[2].path, P_OTHER);
	assert_false(rep.nodes[1].ok);
	assert_string_equal(rep.nodes[1].fail.step, "connect");
	assert_int_equal(rep.nodes[1].gens.n, 0);
	assert_int_equal(ff->fl.n, 0);
	gens_report_release(&rep);
	fake_fleet_free(ff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_status_path_missing_on_disk),
		cmocka_unit_test(test_generations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
