/* One round of watch_run against fake nodes, a fake Nix and a recording ledger: drift seen, healed or not, events. */
#include "check.h"
#include "fake_fleet.h"

#include <jansson.h>
#include <signal.h>
#include <string.h>

#include "app/fleet/watch.h"

#define DRIFT_OF_OLD                                                                                             \
	"the activated system is " P_OLD "; the profile points at " P_OLD "; 3 closure paths missing (" P_NEW \
	", ...)"

/* What the round hook saw. */
struct seen {
	int calls;
	char path[STOREPATH_MAX];
	enum watch_state states[FAKE_FLEET_MAX];
	char reasons[FAKE_FLEET_MAX][WATCH_REASON_MAX];
};

static void on_round(const struct watch_round *r, const struct watch_node *nodes, size_t n, const char *path, void *arg)
{
	struct seen *s = arg;
	size_t i;

	(void)r;
	s->calls++;
	snprintf(s->path, sizeof(s->path), "%s", path ? path : "");
	for (i = 0; i < n && i < FAKE_FLEET_MAX; i++) {
		s->states[i] = nodes[i].state;
		snprintf(s->reasons[i], sizeof(s->reasons[i]), "%s", nodes[i].reason);
	}
}

/*
 * web1 on the configuration, web2 on the old one, web3 unreachable. Magic rollback
 * (confirm_s) stays off: the fake does not model the node's own timer.
 */
static struct fake_fleet *three_nodes(void)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2,web3");
	struct fake_node *web1 = &ff->nodes[0];
	size_t i;

	for (i = 0; i < ff->nix.nclosure; i++)
		fake_node_store(web1, ff->nix.closure[i]);
	fake_node_gen(web1, 2, P_NEW);
	snprintf(web1->system, sizeof(web1->system), "%s", P_NEW);
	ff->nodes[2].unreachable = 1;
	return ff;
}

/* One round, healing unless HEAL is 0, giving up on a node after MAX_ATTEMPTS failed heals. */
static void run_round(struct fake_fleet *ff, int heal, int max_attempts, struct seen *seen, struct watch_round *last)
{
	struct watch_config cfg = { .source = &ff->source };
	struct watch_opts o = { .configs = &cfg, .nconfigs = 1, .profile = PROFILE_DEFAULT, .activate = "auto",
				.probe_timeout_s = 5, .rounds = 1, .heal = heal, .max_heal_attempts = max_attempts,
				.tmp_dir = ff->dir };
	struct watch_hooks hooks = { .round = on_round, .arg = seen };
	volatile sig_atomic_t stop = 0, reload = 0;

	assert_int_equal(watch_run(&ff->ctx, &ff->targets, &o, &hooks, &stop, &reload, last), 0);
	assert_int_equal(seen->calls, 1);
	assert_string_equal(seen->path, P_NEW);
	assert_int_equal(last->round, 1);
	assert_int_equal(last->nodes, 3);
	assert_int_equal(ff->nix.builds, 1);
	assert_events_under(&ff->fl, ff->fl.run[0]);
	assert_string_equal(ff->fl.topic[0], "watch.started");
	assert_string_equal(ff->fl.topic[ff->fl.n - 1], "watch.stopped");
	assert_events(&ff->fl, "", "watch.started,watch.round,watch.stopped");
	assert_events(&ff->fl, "root@web1:22", "");
	assert_events(&ff->fl, "root@web3:22", "watch.node.unreachable");
	assert_int_equal(seen->states[0], WATCH_CONGRUENT);
	assert_int_equal(seen->states[2], WATCH_UNREACHABLE);
	assert_contains(seen->reasons[2], "Connection refused");
}

/* The drifted node is healed over its open session and its events tell the story in order. */
static void test_heals_drift(void **state)
{
	struct fake_fleet *ff = three_nodes();
	struct fake_node *web2 = &ff->nodes[1];
	struct seen seen = { 0 };
	struct watch_round last;
	json_t *p;

	(void)state;
	run_round(ff, 1, 3, &seen, &last);
	assert_int_equal(last.congruent, 1);
	assert_int_equal(last.healed, 1);
	assert_int_equal(last.unreachable, 1);
	assert_int_equal(last.drifted + last.failed + last.quarantined, 0);
	assert_int_equal(seen.states[1], WATCH_HEALED);
	assert_string_equal(seen.reasons[1], DRIFT_OF_OLD);
	assert_int_equal(web2->current, 2);
	assert_string_equal(fake_node_path(web2), P_NEW);
	assert_string_equal(web2->system, P_NEW);
	assert_int_equal(web2->imports, 1);
	assert_int_equal(web2->connects, 1);	/* the heal ran on the round's session */
	assert_int_equal(ff->nodes[0].switches + ff->nodes[0].activations, 0);

	assert_events(&ff->fl, "root@web2:22",
		      "watch.node.drifted,node.copy.complete,node.activate.complete,node.deploy.complete,watch.node.healed");
	p = events_payload(&ff->fl, "watch.started", NULL);
	assert_string_equal(events_str(p, "path"), P_NEW);
	assert_int_equal(json_array_size(json_object_get(p, "nodes")), 3);
	assert_true(json_is_true(json_object_get(p, "heal")));
	p = events_payload(&ff->fl, "watch.node.drifted", NULL);
	assert_string_equal(events_str(p, "drift"), DRIFT_OF_OLD);
	assert_string_equal(events_str(p, "actual"), P_OLD);
	p = events_payload(&ff->fl, "node.deploy.complete", NULL);
	assert_string_equal(events_str(p, "previous"), P_OLD);
	assert_int_equal(events_int(p, "paths"), 3);
	p = events_payload(&ff->fl, "watch.node.healed", NULL);
	assert_string_equal(events_str(p, "drift"), DRIFT_OF_OLD);
	assert_string_equal(events_str(p, "path"), P_NEW);
	p = events_payload(&ff->fl, "watch.round", NULL);
	assert_int_equal(events_int(p, "round"), 1);
	assert_int_equal(events_int(p, "healed"), 1);
	assert_int_equal(events_int(p, "congruent"), 1);
	assert_int_equal(events_int(p, "unreachable"), 1);
	p = events_payload(&ff->fl, "watch.stopped", NULL);
	assert_string_equal(events_str(p, "reason"), "done");
	assert_int_equal(events_int(p, "rounds"), 1);
	fake_fleet_free(ff);
}

/* Without healing, drift is reported and left as it is. */
static void test_no_heal(void **state)
{
	struct fake_fleet *ff = three_nodes();
	struct fake_node *web2 = &ff->nodes[1];
	struct seen seen = { 0 };
	struct watch_round last;

	(void)state;
	run_round(ff, 0, 3, &seen, &last);
	assert_int_equal(last.drifted, 1);
	assert_int_equal(last.healed, 0);
	assert_int_equal(seen.states[1], WATCH_DRIFTED);
	assert_int_equal(web2->current, 1);
	assert_int_equal(web2->imports + web2->switches + web2->activations, 0);
	assert_int_equal(ff->nix.exports, 0);
	assert_events(&ff->fl, "root@web2:22", "watch.node.drifted");
	assert_true(json_is_false(json_object_get(events_payload(&ff->fl, "watch.started", NULL), "heal")));
	fake_fleet_free(ff);
}

/* A heal whose activation fails puts the node back, and with one attempt allowed, quarantines it. */
static void test_heal_fails_quarantine(void **state)
{
	struct fake_fleet *ff = three_nodes();
	struct fake_node *web2 = &ff->nodes[1];
	struct seen seen = { 0 };
	struct watch_round last;
	json_t *p;

	(void)state;
	snprintf(web2->fail_activate, sizeof(web2->fail_activate), "%s", P_NEW);
	run_round(ff, 1, 1, &seen, &last);
	assert_int_equal(last.quarantined, 1);
	assert_int_equal(last.healed + last.failed, 0);
	assert_int_equal(seen.states[1], WATCH_QUARANTINED);
	assert_int_equal(web2->current, 1);
	assert_string_equal(web2->system, P_OLD);
	assert_int_equal(web2->activations, 2);
	assert_events(&ff->fl, "root@web2:22",
		      "watch.node.drifted,node.copy.complete,chimera.rollback.triggered,node.rollback.complete,"
		      "node.failed,watch.node.heal_failed,watch.node.quarantined");
	p = events_payload(&ff->fl, "watch.node.heal_failed", NULL);
	assert_string_equal(events_str(p, "drift"), DRIFT_OF_OLD);
	assert_contains(events_str(p, "error"), "the heal failed at activate: activate exited with status 1");
	assert_int_equal(events_int(p, "failures"), 1);
	assert_int_equal(events_int(events_payload(&ff->fl, "watch.node.quarantined", NULL), "failures"), 1);
	fake_fleet_free(ff);
}

/* One watch_run of ROUNDS round(s) over FF with its ledger as it is, giving up after MAX_ATTEMPTS failed heals in a row. */
static void run_again(struct fake_fleet *ff, int max_attempts, struct seen *seen)
{
	struct watch_config cfg = { .source = &ff->source };
	struct watch_opts o = { .configs = &cfg, .nconfigs = 1, .profile = PROFILE_DEFAULT, .activate = "auto",
				.probe_timeout_s = 5, .rounds = 1, .heal = 1, .max_heal_attempts = max_attempts,
				.tmp_dir = ff->dir };
	struct watch_hooks hooks = { .round = on_round, .arg = seen };
	volatile sig_atomic_t stop = 0, reload = 0;
	struct watch_round last;

	memset(seen, 0, sizeof(*seen));
	assert_int_equal(watch_run(&ff->ctx, &ff->targets, &o, &hooks, &stop, &reload, &last), 0);
	assert_int_equal(seen->calls, 1);
}

/* How many events of TOPIC the ledger holds for web2, and the "failures" of the last one. */
static int web2_events(const struct fake_fleet *ff, const char *topic, int *failures)
{
	int i, n = 0;

	for (i = 0; i < ff->fl.n; i++)
		if (strcmp(ff->fl.topic[i], topic) == 0 && strcmp(ff->fl.node[i], "root@web2:22") == 0) {
			n++;
			if (failures)
				*failures = (int)json_integer_value(json_object_get(ff->fl.payload[i], "failures"));
		}
	return n;
}

/*
 * Failed heals add up across separate watch runs (each `--once`): the count lives in the
 * ledger, so the third run's failure quarantines the node and the fourth leaves it alone.
 */
static void test_quarantine_across_runs(void **state)
{
	struct fake_fleet *ff = three_nodes();
	struct fake_node *web2 = &ff->nodes[1];
	struct seen seen;
	int run, failures = 0, activations;

	(void)state;
	ff->fl.replay = 1;
	snprintf(web2->fail_activate, sizeof(web2->fail_activate), "%s", P_NEW);
	for (run = 1; run <= 2; run++) {
		run_again(ff, 3, &seen);
		assert_int_equal(seen.states[1], WATCH_FAILED);
		assert_int_equal(web2_events(ff, "watch.node.heal_failed", &failures), run);
		assert_int_equal(failures, run);
	}
	run_again(ff, 3, &seen);
	assert_int_equal(seen.states[1], WATCH_QUARANTINED);
	assert_int_equal(web2_events(ff, "watch.node.quarantined", &failures), 1);
	assert_int_equal(failures, 3);
	activations = web2->activations;
	run_again(ff, 3, &seen);
	assert_int_equal(seen.states[1], WATCH_QUARANTINED);
	assert_int_equal(web2->activations, activations);	/* left alone */
	assert_int_equal(web2_events(ff, "watch.node.heal_failed", NULL), 3);
	/* Released, it is healed once it can be. */
	web2->fail_activate[0] = 0;
	assert_int_equal(watch_release(&ff->fl.base, "root@web2:22"), 0);
	run_again(ff, 3, &seen);
	assert_int_equal(seen.states[1], WATCH_HEALED);
	fake_nodes_check(ff->nodes, ff->n);
	fake_fleet_free(ff);
}

/* A node found congruent after failed heals records watch.node.recovered: the next failure counts from 1. */
static void test_recovered_resets_the_count(void **state)
{
	struct fake_fleet *ff = three_nodes();
	struct fake_node *web2 = &ff->nodes[1];
	struct seen seen;
	int failures = 0;

	(void)state;
	ff->fl.replay = 1;
	snprintf(web2->fail_activate, sizeof(web2->fail_activate), "%s", P_NEW);
	run_again(ff, 2, &seen);
	assert_int_equal(seen.states[1], WATCH_FAILED);
	/* Put right by hand, and congruent at the next run. */
	web2->fail_activate[0] = 0;
	assert_string_equal(fake_node_find_gen(web2, 2)->path, P_NEW);	/* left by the failed heal, with the closure */
	web2->current = 2;
	snprintf(web2->system, sizeof(web2->system), "%s", P_NEW);
	run_again(ff, 2, &seen);
	assert_int_equal(seen.states[1], WATCH_CONGRUENT);
	assert_int_equal(web2_events(ff, "watch.node.recovered", &failures), 1);
	assert_int_equal(failures, 1);
	/* Drifted again and unhealable: one failure in a row, not two, so not quarantined at 2. */
	web2->current = 1;
	snprintf(web2->fail_activate, sizeof(web2->fail_activate), "%s", P_NEW);
	run_again(ff, 2, &seen);
	assert_int_equal(seen.states[1], WATCH_FAILED);
	assert_int_equal(web2_events(ff, "watch.node.heal_failed", &failures), 2);
	assert_int_equal(failures, 1);
	fake_nodes_check(ff->nodes, ff->n);
	fake_fleet_free(ff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heals_drift),
		cmocka_unit_test(test_no_heal),
		cmocka_unit_test(test_heal_fails_quarantine),
		cmocka_unit_test(test_quarantine_across_runs),
		cmocka_unit_test(test_recovered_resets_the_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
