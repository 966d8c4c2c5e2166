/* deploy_run against fake nodes, a fake Nix and a recording ledger: outcomes, node state, events and their order. */
#include "check.h"
#include "fake_fleet.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "app/fleet/deploy.h"

/* Magic rollback (confirm_s) is left off: its second connection and the node's own timer are not modelled. */
static struct deploy_opts opts_for(struct fake_fleet *ff)
{
	return (struct deploy_opts){ .source = &ff->source, .profile = PROFILE_DEFAULT, .activate = "auto",
				     .tmp_dir = ff->dir };
}

/* The bytes fake_nix_export writes for the N PATHS. */
static uint64_t export_bytes(const char *const *paths, size_t n)
{
	uint64_t bytes = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bytes += strlen(FAKE_EXPORT_LINE) + strlen(paths[i]) + 1;
	return bytes;
}

struct seen {
	pthread_mutex_t lock;
	size_t calls, last, total;
};

static void on_done(const struct deploy_node *n, size_t done, size_t total, void *arg)
{
	struct seen *s = arg;

	(void)n;
	pthread_mutex_lock(&s->lock);
	s->calls++;
	s->last = done;
	s->total = total;
	pthread_mutex_unlock(&s->lock);
}

/* test_partial's events: the run's own around the nodes', each node's in its order, all under the deployment's id. */
static void partial_events(struct fake_ledger *fl, const struct deploy_report *rep)
{
	json_t *p;

	assert_string_equal(fl->topic[0], "deploy.initiated");
	assert_string_equal(fl->topic[fl->n - 1], "chimera.deploy.complete");
	assert_events(fl, "", "deploy.initiated,chimera.deploy.start,chimera.deploy.complete");
	assert_events(fl, "root@web1:22", "node.copy.complete,node.activate.complete,node.deploy.complete");
	assert_events(fl, "root@web2:22", "node.failed");
	assert_events(fl, "root@web3:22",
		      "node.copy.complete,chimera.rollback.triggered,node.rollback.complete,node.failed");
	assert_events_under(fl, rep->id);
	p = events_payload(fl, "chimera.deploy.complete", NULL);
	assert_string_equal(events_str(p, "result"), "partial");
	assert_int_equal(events_int(p, "ok"), 1);
	assert_int_equal(events_int(p, "failed"), 2);
	p = events_payload(fl, "node.deploy.complete", "root@web1:22");
	assert_string_equal(events_str(p, "path"), P_NEW);
	assert_string_equal(events_str(p, "previous"), P_OLD);
	assert_int_equal(events_int(p, "paths"), 3);
	p = events_payload(fl, "node.failed", "root@web2:22");
	assert_string_equal(events_str(p, "step"), "connect");
	p = events_payload(fl, "chimera.rollback.triggered", "root@web3:22");
	assert_string_equal(events_str(p, "reason"), "activation failed");
	assert_string_equal(events_str(p, "to"), P_OLD);
	p = events_payload(fl, "node.rollback.complete", "root@web3:22");
	assert_true(json_is_true(json_object_get(p, "ok")));
	assert_int_equal(events_int(p, "generation"), 1);
	p = events_payload(fl, "node.failed", "root@web3:22");
	assert_string_equal(events_str(p, "step"), "activate");
	assert_int_equal(events_int(p, "restored"), 1);
}

/* Three nodes: one deploys, one cannot be reached, one fails activation and is put back. */
static void test_partial(void **state)
{
	static const char *const sent[] = { P_NEW, P_APP, P_ETC };
	struct fake_fleet *ff = fake_fleet_new("web1,web2,web3");
	struct fake_node *web1 = fake_fleet_node(ff, "web1"), *web2 = fake_fleet_node(ff, "web2"),
			 *web3 = fake_fleet_node(ff, "web3");
	struct deploy_opts o = opts_for(ff);
	struct seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct deploy_report rep;
	const struct deploy_node *n;

	(void)state;
	web2->unreachable = 1;
	snprintf(web3->fail_activate, sizeof(web3->fail_activate), "%s", P_NEW);
	ff->ctx.progress.done = on_done;
	ff->ctx.progress.arg = &seen;
	assert_int_equal(deploy_run(&ff->ctx, &ff->targets, &o, &rep), 0);

	assert_string_equal(rep.path, P_NEW);
	assert_int_equal(rep.n, 3);
	assert_int_equal(rep.ok, 1);
	assert_int_equal(rep.failed, 2);
	assert_int_equal(rep.closure_paths, 4);
	assert_int_equal(rep.closure_bytes, 10000);
	assert_int_equal(rep.ledger_err, 0);
	assert_int_equal(seen.calls, 3);
	assert_int_equal(seen.last, 3);
	assert_int_equal(seen.total, 3);
	/* Built once; the two nodes that lacked the same paths shared one export. */
	assert_int_equal(ff->nix.builds, 1);
	assert_int_equal(ff->nix.exports, 1);
	assert_int_equal(ff->nix.exported, 3);

	n = &rep.nodes[0];
	assert_string_equal(n->name, "root@web1:22");
	assert_int_equal(n->outcome, OUTCOME_DEPLOYED);
	assert_null(n->fail.step);
	assert_string_equal(n->previous, P_OLD);
	assert_int_equal(n->previous_gen, 1);
	assert_int_equal(n->copy_paths, 3);
	assert_int_equal(n->copy_bytes, export_bytes(sent, 3));
	assert_string_equal(n->activation, "switch-to-configuration");
	assert_true(n->step_ms[STEP_CONFIRM] >= 0);
	assert_int_equal(n->step_ms[STEP_HEALTH], -1);
	assert_int_equal(web1->current, 2);
	assert_string_equal(fake_node_path(web1), P_NEW);
	assert_string_equal(web1->system, P_NEW);
	assert_true(fake_node_has(web1, P_APP) && fake_node_has(web1, P_ETC));
	assert_int_equal(web1->imports, 1);
	/* The answer carried the witness's end line (this ledger signs nothing: an empty witness). */
	assert_int_equal(web1->witnesses, 1);
	assert_string_equal(web1->witness, "");

	n = &rep.nodes[1];
	assert_int_equal(n->outcome, OUTCOME_FAILED);
	assert_string_equal(n->fail.step, "connect");
	assert_int_equal(n->fail.err, ERR_IO);
	assert_contains(n->fail.message, "Connection refused");
	assert_int_equal(n->step_ms[STEP_CHECK], -1);
	assert_int_equal(web2->connects, 1);
	assert_int_equal(web2->current, 1);
	assert_int_equal(web2->switches + web2->imports + web2->activations + web2->witnesses, 0);

	/* The failed activation: the profile went to 2 and came back to 1, which was activated again. */
	n = &rep.nodes[2];
	assert_int_equal(n->outcome, OUTCOME_FAILED);
	assert_string_equal(n->fail.step, "activate");
	assert_int_equal(n->fail.status, 1);
	assert_contains(n->fail.stderr_tail, "app.service did not start");
	assert_int_equal(n->restored, 1);
	assert_int_equal(n->rolled_back_by_node, 0);
	assert_int_equal(web3->current, 1);
	assert_string_equal(fake_node_path(web3), P_OLD);
	assert_int_equal(web3->ngens, 2);
	assert_string_equal(web3->system, P_OLD);
	assert_int_equal(web3->switches, 2);
	assert_int_equal(web3->activations, 2);

	partial_events(&ff->fl, &rep);
	deploy_report_release(&rep);
	fake_fleet_free(ff);
}

/* A dry run checks every node and says what it would send, and changes nothing. */
static void test_dry_run(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2");
	struct fake_node *web1 = fake_fleet_node(ff, "web1"), *web2 = fake_fleet_node(ff, "web2");
	struct deploy_opts o = opts_for(ff);
	struct deploy_report rep;
	size_t i;
	json_t *p;

	(void)state;
	fake_node_store(web2, P_APP);
	o.dry_run = 1;
	assert_int_equal(deploy_run(&ff->ctx, &ff->targets, &o, &rep), 0);
	assert_int_equal(rep.ok, 2);
	assert_int_equal(rep.failed, 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(rep.nodes[i].outcome, OUTCOME_PLANNED);
		assert_string_equal(rep.nodes[i].previous, P_OLD);
		assert_int_equal(rep.nodes[i].step_ms[STEP_SWITCH], -1);
	}
	/* What would be sent: the closure paths each lacks, at their NAR sizes (P_NEW 1000, P_APP 3000, P_ETC 4000). */
	assert_int_equal(rep.nodes[0].copy_paths, 3);
	assert_int_equal(rep.nodes[0].copy_bytes, 8000);
	assert_int_equal(rep.nodes[1].copy_paths, 2);
	assert_int_equal(rep.nodes[1].copy_bytes, 5000);
	/* Nothing changed anywhere. */
	assert_int_equal(ff->nix.exports, 0);
	for (i = 0; i < 2; i++) {
		struct fake_node *n = i ? web2 : web1;

		assert_int_equal(n->current, 1);
		assert_int_equal(n->ngens, 1);
		assert_string_equal(n->system, P_OLD);
		assert_int_equal(n->imports + n->switches + n->activations + n->witnesses, 0);
		assert_false(fake_node_has(n, P_NEW));
	}
	assert_events(&ff->fl, "", "deploy.initiated,chimera.deploy.start,chimera.deploy.complete");
	assert_events(&ff->fl, "root@web1:22", "");
	assert_events(&ff->fl, "root@web2:22", "");
	p = events_payload(&ff->fl, "deploy.initiated", NULL);
	assert_true(json_is_true(json_object_get(p, "dry_run")));
	p = events_payload(&ff->fl, "chimera.deploy.complete", NULL);
	assert_string_equal(events_str(p, "result"), "success");
	assert_true(json_is_true(json_object_get(p, "dry_run")));
	deploy_report_release(&rep);
	fake_fleet_free(ff);
}

/* A node already on the path gets nothing copied and no new generation, and is activated again. */
static void test_already_there(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1");
	struct fake_node *web1 = fake_fleet_node(ff, "web1");
	struct deploy_opts o = opts_for(ff);
	struct deploy_report rep;
	size_t i;

	(void)state;
	for (i = 0; i < ff->nix.nclosure; i++)
		fake_node_store(web1, ff->nix.closure[i]);
	fake_node_gen(web1, 2, P_NEW);
	assert_int_equal(deploy_run(&ff->ctx, &ff->targets, &o, &rep), 0);
	assert_int_equal(rep.ok, 1);
	assert_int_equal(rep.nodes[0].outcome, OUTCOME_DEPLOYED);
	assert_string_equal(rep.nodes[0].previous, P_NEW);
	assert_int_equal(rep.nodes[0].copy_paths, 0);
	assert_int_equal(rep.nodes[0].step_ms[STEP_COPY], 0);
	assert_int_equal(web1->ngens, 2);
	assert_int_equal(web1->switches, 0);
	assert_int_equal(web1->imports, 0);
	assert_int_equal(web1->activations, 1);
	assert_string_equal(web1->system, P_NEW);
	assert_int_equal(ff->nix.exports, 0);
	assert_events(&ff->fl, "root@web1:22", "node.copy.complete,node.activate.complete,node.deploy.complete");
	assert_int_equal(events_int(events_payload(&ff->fl, "node.copy.complete", NULL), "paths"), 0);
	deploy_report_release(&rep);
	fake_fleet_free(ff);
}

#define APP_PROFILE "/nix/var/nix/profiles/app"

/* The inventory's word on web2: a profile and an activation of its own. */
static void own_settings(const struct target *t, struct node_settings *out, void *arg)
{
	(void)arg;
	if (strcmp(t->host, "web2") == 0) {
		out->profile = APP_PROFILE;
		out->activate = "none";
	}
}

/* A node with its own profile and activation gets them, in its command and in its events. */
static void test_own_settings(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2");
	struct fake_node *web1 = fake_fleet_node(ff, "web1"), *web2 = fake_fleet_node(ff, "web2");
	struct deploy_opts o = opts_for(ff);
	struct deploy_report rep;

	(void)state;
	snprintf(web2->profile, sizeof(web2->profile), "%s", APP_PROFILE);
	ff->ctx.fleet.node_settings = own_settings;
	assert_int_equal(deploy_run(&ff->ctx, &ff->targets, &o, &rep), 0);
	assert_int_equal(rep.ok, 2);
	assert_string_equal(rep.nodes[0].profile, PROFILE_DEFAULT);
	assert_string_equal(rep.nodes[0].activation, "switch-to-configuration");
	assert_string_equal(rep.nodes[1].profile, APP_PROFILE);
	assert_string_equal(rep.nodes[1].activation, "none");
	assert_string_equal(fake_node_path(web1), P_NEW);
	assert_string_equal(fake_node_path(web2), P_NEW);
	assert_string_equal(web1->system, P_NEW);
	assert_int_equal(web2->activations, 0);
	assert_string_equal(web2->system, P_OLD);
	assert_string_equal(events_str(events_payload(&ff->fl, "node.deploy.complete", "root@web2:22"), "profile"),
			    APP_PROFILE);
	assert_string_equal(events_str(events_payload(&ff->fl, "node.activate.complete", "root@web2:22"), "activation"),
			    "none");
	deploy_report_release(&rep);
	fake_fleet_free(ff);
}

/* A node with no generation before has nothing to go back to: it stays on the new one, and says so. */
static void test_fresh_node_activation_fails(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1");
	struct fake_node *web1 = fake_fleet_node(ff, "web1");
	struct deploy_opts o = opts_for(ff);
	struct deploy_report rep;

	(void)state;
	web1->ngens = 0;
	web1->current = 0;
	web1->system[0] = 0;
	snprintf(web1->fail_activate, sizeof(web1->fail_activate), "%s", P_NEW);
	assert_int_equal(deploy_run(&ff->ctx, &ff->targets, &o, &rep), 0);
	assert_int_equal(rep.failed, 1);
	assert_int_equal(rep.nodes[0].outcome, OUTCOME_FAILED);
	assert_string_equal(rep.nodes[0].fail.step, "activate");
	assert_string_equal(rep.nodes[0].previous, "");
	assert_int_equal(rep.nodes[0].restored, 0);
	assert_int_equal(web1->current, 1);
	assert_string_equal(fake_node_path(web1), P_NEW);
	assert_int_equal(web1->activations, 1);
	assert_events(&ff->fl, "root@web1:22", "node.copy.complete,node.failed");
	assert_int_equal(events_int(events_payload(&ff->fl, "node.failed", NULL), "restored"), 0);
	assert_string_equal(events_str(events_payload(&ff->fl, "chimera.deploy.complete", NULL), "result"), "failed");
	deploy_report_release(&rep);
	fake_fleet_free(ff);
}

/* A failed build fails the deploy before any node is reached, and the ledger says why. */
static void test_build_fails(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2");
	struct deploy_opts o = opts_for(ff);
	struct deploy_report rep;
	json_t *p;

	(void)state;
	ff->nix.fail_build = 1;
	assert_int_equal(deploy_run(&ff->ctx, &ff->targets, &o, &rep), ERR_IO);
	assert_contains(err_msg(), "attribute 'web' missing");
	assert_int_equal(ff->nodes[0].connects + ff->nodes[1].connects, 0);
	assert_events(&ff->fl, "", "deploy.initiated,chimera.deploy.complete");
	p = events_payload(&ff->fl, "chimera.deploy.complete", NULL);
	assert_string_equal(events_str(p, "result"), "build failed");
	assert_contains(events_str(p, "error"), "attribute 'web' missing");
	deploy_report_release(&rep);
	fake_fleet_free(ff);
}

/* A profile that is not a clean absolute path is refused before anything runs. */
static void test_bad_profile(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1");
	struct deploy_opts o = opts_for(ff);
	struct deploy_report rep;

	(void)state;
	o.profile = "/nix/var/nix/profiles/../system";
	assert_int_equal(deploy_run(&ff->ctx, &ff->targets, &o, &rep), ERR_INVALID);
	assert_quotes("profile path", o.profile, strlen(o.profile));
	assert_int_equal(ff->nix.builds, 0);
	assert_int_equal(ff->nodes[0].connects, 0);
	assert_int_equal(ff->fl.n, 0);
	deploy_report_release(&rep);
	fake_fleet_free(ff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_already_there),
		cmocka_unit_test(test_own_settings),
		cmocka_unit_test(test_fresh_node_activation_fails),
		cmocka_unit_test(test_build_fails),
		cmocka_unit_test(test_bad_profile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
