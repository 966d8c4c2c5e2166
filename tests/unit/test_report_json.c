/*
 * The reports' JSON read back (what `chimera --server` prints from): each decoder round
 * trips (struct -> *_json -> *_from_json -> *_json gives the same text), keeps the fields
 * text output needs, and names a bad field.
 */
#include "check.h"

#include <jansson.h>
#include <string.h>

#include "app/fleet/deploy_fleet.h"
#include "app/fleet/inspect.h"
#include "app/fleet/rollback.h"
#include "app/ledger/deployments.h"
#include "app/ledger/events.h"
#include "util/clock.h"

#define P_OLD "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-old"
#define P_NEW "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-new"
#define DEP_ID "01JABCDEFGHJKMNPQRSTVWXYZ0"

static json_t *load(const char *text)
{
	json_t *doc;

	assert_non_null(text);
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	return doc;
}

/* --- status --- */

static void status_fill(struct status_report *rep, int cached)
{
	static const char *const names[] = { "root@web1:22", "root@web2:22", "root@web3:22", "root@web4:22" };
	size_t i;

	memset(rep, 0, sizeof(*rep));
	rep->nodes = calloc(4, sizeof(*rep->nodes));
	assert_non_null(rep->nodes);
	rep->n = 4;
	for (i = 0; i < 4; i++)
		snprintf(rep->nodes[i].name, sizeof(rep->nodes[i].name), "%s", names[i]);
	snprintf(rep->expected, sizeof(rep->expected), "%s", cached ? "" : P_NEW);
	rep->nodes[0].state = NODE_CONGRUENT;
	snprintf(rep->nodes[0].actual, sizeof(rep->nodes[0].actual), "%s", P_NEW);
	rep->nodes[0].ms = 12;
	rep->nodes[1].state = NODE_DRIFTED;
	snprintf(rep->nodes[1].actual, sizeof(rep->nodes[1].actual), "%s", P_OLD);
	snprintf(rep->nodes[1].reason, sizeof(rep->nodes[1].reason), "the profile's path %s is missing on disk", P_OLD);
	rep->nodes[1].generation = 7;
	rep->nodes[1].ms = 30;
	snprintf(rep->nodes[1].deadman_by, sizeof(rep->nodes[1].deadman_by), "%s", DEP_ID);
	rep->nodes[1].deadman_gen = 6;
	snprintf(rep->nodes[1].deadman_result, sizeof(rep->nodes[1].deadman_result), "rolled-back");
	rep->nodes[2].state = NODE_UNREACHABLE;
	snprintf(rep->nodes[2].reason, sizeof(rep->nodes[2].reason), "connect: Connection refused");
	rep->nodes[3].state = NODE_UNKNOWN;
	snprintf(rep->nodes[3].reason, sizeof(rep->nodes[3].reason), "nothing cached");
	if (cached) {
		rep->nodes[0].seen_ms = 1767225600123;
		rep->nodes[1].seen_ms = 1767225601000;
		snprintf(rep->nodes[0].last_deployed, sizeof(rep->nodes[0].last_deployed), "%s", P_NEW);
		memset(rep->nodes[1].deadman_by, 0, sizeof(rep->nodes[1].deadman_by));
	}
	rep->congruent = 1;
	rep->unreachable = cached ? 0 : 1;
	rep->ms = 1234;
}

static void status_round_trip(int cached)
{
	struct status_report rep, back;
	char *text = NULL, *again;
	json_t *doc;
	int c = -1;

	status_fill(&rep, cached);
	text = status_report_json(&rep, cached);
	doc = load(text);
	assert_int_equal(status_report_from_json(doc, &back, &c), 0);
	assert_int_equal(c, cached);
	again = status_report_json(&back, c);
	assert_string_equal(again, text);
	/* What the text output and the exit status read. */
	assert_int_equal(back.n, 4);
	assert_int_equal(back.congruent, 1);
	assert_int_equal(back.unreachable, cached ? 0 : 1);
	assert_int_equal(back.ms, 1234);
	assert_int_equal(back.nodes[1].state, NODE_DRIFTED);
	assert_string_equal(back.nodes[1].reason, rep.nodes[1].reason);
	assert_string_equal(back.nodes[2].reason, "connect: Connection refused");
	if (cached) {
		assert_int_equal(back.nodes[0].seen_ms, 1767225600123);
		assert_int_equal(back.nodes[2].seen_ms, 0);
		assert_string_equal(back.nodes[0].last_deployed, P_NEW);
	} else {
		assert_int_equal(back.nodes[1].generation, 7);
		assert_string_equal(back.nodes[1].deadman_by, DEP_ID);
		assert_int_equal(back.nodes[1].deadman_gen, 6);
		assert_string_equal(back.nodes[1].deadman_result, "rolled-back");
	}
	free(again);
	free(text);
	json_decref(doc);
	status_report_release(&back);
	status_report_release(&rep);
}

static void test_status_probed(void **state)
{
	(void)state;
	status_round_trip(0);
}

static void test_status_cached(void **state)
{
	(void)state;
	status_round_trip(1);
}

static void test_status_bad(void **state)
{
	struct status_report rep;
	json_t *doc;
	int c;

	(void)state;
	doc = load("{\"expected\": null, \"cached\": true, \"nodes\": [{\"node\": \"a\", \"state\": \"sideways\"}],"
		   " \"summary\": {\"nodes\": 1, \"congruent\": 0, \"ms\": 1}}");
	assert_int_equal(status_report_from_json(doc, &rep, &c), ERR_INVALID);
	assert_contains(err_msg(), "'state'");
	assert_contains(err_msg(), "sideways");
	assert_null(rep.nodes);
	json_decref(doc);
	doc = load("{\"expected\": null, \"cached\": true, \"nodes\": [], \"summary\": {\"nodes\": 2, \"congruent\": 0,"
		   " \"ms\": 1}}");
	assert_int_equal(status_report_from_json(doc, &rep, &c), ERR_INVALID);
	assert_contains(err_msg(), "summary.nodes");
	json_decref(doc);
	doc = load("{\"cached\": \"yes\"}");
	assert_int_equal(status_report_from_json(doc, &rep, &c), ERR_INVALID);
	assert_contains(err_msg(), "'expected'");
	json_decref(doc);
}

/* --- deploy --- */

static void deploy_node_fill(struct deploy_node *n, const char *name, enum deploy_outcome o)
{
	int s;

	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->outcome = o;
	for (s = 0; s < STEP_COUNT; s++)
		n->step_ms[s] = -1;
	n->fail.status = -1;
}

static void deploy_fill(struct deploy_report *rep)
{
	struct deploy_node *n;
	int s;

	memset(rep, 0, sizeof(*rep));
	snprintf(rep->id, sizeof(rep->id), "%s", DEP_ID);
	snprintf(rep->path, sizeof(rep->path), "%s", P_NEW);
	rep->build_ms = 2500;
	rep->closure_paths = 12;
	rep->closure_bytes = 3u << 20;
	rep->nodes = calloc(5, sizeof(*rep->nodes));
	assert_non_null(rep->nodes);
	rep->n = 5;
	n = &rep->nodes[0];
	deploy_node_fill(n, "root@web1:22", OUTCOME_DEPLOYED);
	for (s = 0; s < STEP_COUNT - 1; s++)
		n->step_ms[s] = 10 * (s + 1);
	n->copy_paths = 3;
	n->copy_bytes = 4096;
	snprintf(n->previous, sizeof(n->previous), "%s", P_OLD);
	snprintf(n->activation, sizeof(n->activation), "switch-to-configuration");
	n->ms = 700;
	n = &rep->nodes[1];
	deploy_node_fill(n, "root@web2:22", OUTCOME_FAILED);
	n->step_ms[STEP_CONNECT] = 5;
	n->step_ms[STEP_CHECK] = 6;
	n->step_ms[STEP_ACTIVATE] = 900;
	n->fail.step = "activate";
	n->fail.status = 4;
	snprintf(n->fail.message, sizeof(n->fail.message), "activation failed: exit status 4");
	snprintf(n->fail.stderr_tail, sizeof(n->fail.stderr_tail), "line one\nline \"two\"\n");
	n->previous_gen = 4;
	n->restored = 1;
	n = &rep->nodes[2];
	deploy_node_fill(n, "root@web3:22", OUTCOME_FAILED);
	n->fail.step = "confirm";
	snprintf(n->fail.message, sizeof(n->fail.message), "not confirmed");
	n->previous_gen = 9;
	n->restored = -1;
	snprintf(n->restore_error, sizeof(n->restore_error), "nix-env: cannot switch");
	n->rolled_back_by_node = 1;
	n = &rep->nodes[3];
	deploy_node_fill(n, "root@web4:22", OUTCOME_DEPLOYED);
	n->goal = GOAL_DRY_ACTIVATE;
	snprintf(n->shown, sizeof(n->shown), "would restart nginx.service\n");
	n = &rep->nodes[4];
	deploy_node_fill(n, "local", OUTCOME_DEPLOYED);
	n->goal = GOAL_BOOT;
	rep->ok = 3;
	rep->failed = 2;
	rep->ms = 5000;
}

static char *deploy_round_trip(const struct fleet_deploy_report *rep, struct fleet_deploy_report *back, json_t **doc)
{
	char *text = fleet_deploy_report_json(rep), *again;

	*doc = load(text);
	assert_int_equal(fleet_deploy_report_from_json(*doc, back), 0);
	again = fleet_deploy_report_json(back);
	assert_string_equal(again, text);
	free(again);
	return text;
}

static void test_deploy_single(void **state)
{
	struct fleet_deploy_report rep = { 0 }, back;
	const struct deploy_node *n;
	json_t *doc;
	char *text;

	(void)state;
	deploy_fill(&rep.single);
	rep.total = 5;
	rep.ok = 3;
	text = deploy_round_trip(&rep, &back, &doc);
	assert_false(back.grouped);
	assert_int_equal(back.total, 5);
	assert_int_equal(back.ok, 3);
	assert_int_equal(back.dry_run, 0);
	assert_int_equal(back.single.closure_bytes, 3u << 20);
	n = &back.single.nodes[1];
	assert_string_equal(n->fail.step, "activate");
	assert_int_equal(n->fail.status, 4);
	assert_int_equal(n->previous_gen, 4);	/* text: "put back on the previous generation 4" */
	assert_int_equal(n->restored, 1);
	assert_int_equal(n->step_ms[STEP_COPY], -1);
	assert_int_equal(n->step_ms[STEP_ACTIVATE], 900);
	assert_string_equal(n->fail.stderr_tail, "line one\nline \"two\"\n");
	n = &back.single.nodes[2];
	assert_int_equal(n->restored, -1);
	assert_int_equal(n->fail.status, -1);
	assert_int_equal(n->rolled_back_by_node, 1);
	assert_int_equal(n->previous_gen, 9);
	assert_string_equal(back.single.nodes[3].shown, "would restart nginx.service\n");
	assert_int_equal(back.single.nodes[4].goal, GOAL_BOOT);
	free(text);
	fleet_deploy_report_release(&back);
	json_decref(doc);
	deploy_report_release(&rep.single);
}

static void test_deploy_grouped(void **state)
{
	struct fleet_deploy_report rep = { 0 }, back;
	struct target t;
	json_t *doc;
	char *text, name[TARGET_FORMAT_MAX];

	(void)state;
	rep.grouped = true;
	rep.dry_run = 1;
	rep.groups = calloc(2, sizeof(*rep.groups));
	assert_non_null(rep.groups);
	rep.ngroups = 2;
	rep.groups[0].src.file = "/srv/web.nix";
	rep.groups[0].src.attr = "web";
	deploy_fill(&rep.groups[0].rep);
	rep.groups[0].rep.nodes[0].outcome = OUTCOME_PLANNED;
	assert_int_equal(target_parse(&t, LIT("root@web1:22")), 0);
	assert_int_equal(target_list_add(&rep.groups[0].targets, &t), 0);
	rep.groups[1].src.flake = "/srv/flake#db";
	rep.groups[1].err = ERR_IO;
	snprintf(rep.groups[1].msg, sizeof(rep.groups[1].msg), "build failed:\nerror: attribute missing");
	assert_int_equal(target_parse(&t, LIT("admin@db1:2222")), 0);
	assert_int_equal(target_list_add(&rep.groups[1].targets, &t), 0);
	rep.total = 2;
	rep.ok = 1;
	text = deploy_round_trip(&rep, &back, &doc);
	assert_true(back.grouped);
	assert_int_equal(back.dry_run, 1);
	assert_int_equal(back.ngroups, 2);
	assert_string_equal(back.groups[0].src.file, "/srv/web.nix");
	assert_string_equal(back.groups[0].src.attr, "web");
	assert_string_equal(back.groups[1].src.flake, "/srv/flake#db");
	assert_true(back.groups[1].err != 0);
	assert_string_equal(back.groups[1].msg, "build failed:\nerror: attribute missing");
	assert_int_equal(back.groups[1].targets.n, 1);
	target_format(&back.groups[1].targets.items[0], name, sizeof(name));
	assert_string_equal(name, "admin@db1:2222");
	assert_int_equal(back.total, 2);
	assert_int_equal(back.ok, 1);
	free(text);
	fleet_deploy_report_release(&back);
	json_decref(doc);
	target_list_release(&rep.groups[0].targets);
	target_list_release(&rep.groups[1].targets);
	deploy_report_release(&rep.groups[0].rep);
	free(rep.groups);
}

static void test_deploy_bad(void **state)
{
	struct fleet_deploy_report back;
	json_t *doc;

	(void)state;
	doc = load("{\"deployment\": \"x\", \"path\": \"/nix/store/x\", \"dry_run\": false, \"build_ms\": 1,"
		   " \"closure\": {\"paths\": 1, \"bytes\": 1}, \"nodes\": [{\"node\": \"a\", \"outcome\": \"exploded\"}],"
		   " \"summary\": {\"nodes\": 1, \"ok\": 0, \"failed\": 1, \"ms\": 1}}");
	assert_int_equal(fleet_deploy_report_from_json(doc, &back), ERR_INVALID);
	assert_contains(err_msg(), "deploy report");
	assert_contains(err_msg(), "'outcome'");
	json_decref(doc);
	doc = load("{\"configurations\": [{\"source\": {\"file\": \"/a.nix\", \"attr\": null}, \"nodes\": [\"bad host!\"],"
		   " \"error\": null, \"deployment\": null}], \"summary\": {\"nodes\": 1, \"ok\": 0}}");
	assert_int_equal(fleet_deploy_report_from_json(doc, &back), ERR_INVALID);
	assert_contains(err_msg(), "'nodes'");
	assert_null(back.groups);
	json_decref(doc);
}

/* --- rollback --- */

static void test_rollback(void **state)
{
	static const char *const results[] = { "reverted", "refused" };
	struct rollback_report rep = { 0 }, back;
	const char *result = NULL;
	char *text, *again;
	json_t *doc;
	int k;

	(void)state;
	snprintf(rep.id, sizeof(rep.id), "%s", DEP_ID);
	rep.nodes = calloc(2, sizeof(*rep.nodes));
	assert_non_null(rep.nodes);
	rep.n = 2;
	snprintf(rep.nodes[0].name, sizeof(rep.nodes[0].name), "root@web1:22");
	rep.nodes[0].state = RB_REVERTED;
	rep.nodes[0].from_gen = 5;
	rep.nodes[0].to_gen = 4;
	rep.nodes[0].end_gen = 5;
	snprintf(rep.nodes[0].from_path, sizeof(rep.nodes[0].from_path), "%s", P_NEW);
	snprintf(rep.nodes[0].end_path, sizeof(rep.nodes[0].end_path), "%s", P_NEW);
	snprintf(rep.nodes[1].name, sizeof(rep.nodes[1].name), "root@web2:22");
	rep.nodes[1].state = RB_MISSING;
	rep.nodes[1].fail.step = "check";
	snprintf(rep.nodes[1].fail.message, sizeof(rep.nodes[1].fail.message), "no generation 4");
	rep.reverted = 1;
	rep.ms = 321;
	for (k = 0; k < 2; k++) {
		rep.refused = k;
		text = rollback_report_json(&rep, results[k]);
		doc = load(text);
		assert_int_equal(rollback_report_from_json(doc, &back, &result), 0);
		assert_string_equal(result, results[k]);
		assert_int_equal(back.refused, k);
		again = rollback_report_json(&back, result);
		assert_string_equal(again, text);
		assert_string_equal(back.nodes[1].fail.step, "check");
		assert_null(back.nodes[0].fail.step);
		assert_int_equal(back.nodes[0].end_gen, 5);
		assert_int_equal(back.reverted, 1);
		assert_int_equal(back.switched, 0);
		free(again);
		free(text);
		rollback_report_release(&back);
		json_decref(doc);
	}
	doc = load("{\"rollback\": \"x\", \"result\": \"success\", \"nodes\": [{\"node\": \"a\", \"state\": \"gone\"}],"
		   " \"summary\": {}}");
	assert_int_equal(rollback_report_from_json(doc, &back, &result), ERR_INVALID);
	assert_contains(err_msg(), "gone");
	json_decref(doc);
	rollback_report_release(&rep);
}

/* --- deployments --- */

static void test_deployments(void **state)
{
	struct deployments_report rep = { 0 }, back;
	struct deployment_record d = { 0 }, dback;
	struct deployment_outcome o[2] = {
		{ .node = "root@web1:22", .outcome = "deployed", .seq = 10 },
		{ .node = "root@web2:22", .outcome = "interrupted", .state = "old", .step = "copy", .error = "lost", .seq = 11 },
	};
	char *text, *again;
	json_t *doc;

	(void)state;
	d.id = DEP_ID;
	snprintf(d.time, sizeof(d.time), "2026-01-01T00:00:00.000Z");
	d.path = P_NEW;
	d.result = "partial";
	d.nodes = 2;
	d.ok = 1;
	d.failed = 1;
	d.ms = 99;
	rep.items = &d;
	rep.n = 1;
	text = deployments_report_json(&rep);
	doc = load(text);
	assert_int_equal(deployments_report_from_json(doc, &back), 0);
	again = deployments_report_json(&back);
	assert_string_equal(again, text);
	free(again);
	free(text);
	json_decref(doc);
	deployments_report_release(&back);

	d.outcomes = o;
	d.n = 2;
	d.path = NULL;
	d.result = NULL;
	d.dry_run = 1;
	text = deployment_record_json(&d);
	doc = load(text);
	assert_int_equal(deployment_record_from_json(doc, &dback), 0);
	again = deployment_record_json(&dback);
	assert_string_equal(again, text);
	assert_null(dback.path);
	assert_null(dback.result);
	assert_string_equal(dback.outcomes[1].state, "old");
	assert_null(dback.outcomes[0].step);
	free(again);
	free(text);
	json_decref(doc);
	deployment_record_release(&dback);

	doc = load("{\"deployments\": [{\"deployment\": 7}]}");
	assert_int_equal(deployments_report_from_json(doc, &back), ERR_INVALID);
	assert_contains(err_msg(), "'deployment' is an integer");
	json_decref(doc);
}

/* --- events --- */

static void test_event(void **state)
{
	struct ledger_event ev = { .seq = 42, .topic = "node.observed", .node = "root@web1:22",
				   .payload = "{\"a\":[1,2.5,\"x\xc3\xa9\"],\"b\":{\"c\":null,\"d\":true}}" };
	struct ledger_event back;
	struct buf line = BUF_INIT(0), again = BUF_INIT(0);
	char *payload;
	json_t *doc;

	(void)state;
	snprintf(ev.time, sizeof(ev.time), "2026-01-01T00:00:00.123Z");
	memset(ev.prev_hash, 'a', sizeof(ev.prev_hash) - 1);
	memset(ev.hash, 'b', sizeof(ev.hash) - 1);
	assert_int_equal(events_event_json(&ev, &line), 0);
	assert_int_equal(buf_addc(&line, '\0'), 0);
	doc = load(line.data);
	assert_int_equal(events_event_from_json(doc, &back, &payload), 0);
	assert_null(back.deployment);
	assert_string_equal(back.payload, "{\"a\":[1,2.5,\"x\xc3\xa9\"],\"b\":{\"c\":null,\"d\":true}}");
	assert_int_equal(events_event_json(&back, &again), 0);
	assert_int_equal(buf_addc(&again, '\0'), 0);
	assert_string_equal(again.data, line.data);
	free(payload);
	json_decref(doc);
	doc = load("{\"seq\": 0, \"time\": \"t\", \"topic\": \"x\"}");
	assert_int_equal(events_event_from_json(doc, &back, &payload), ERR_INVALID);
	assert_contains(err_msg(), "'seq'");
	assert_null(payload);
	json_decref(doc);
	buf_release(&line);
	buf_release(&again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_probed),
		cmocka_unit_test(test_status_cached),
		cmocka_unit_test(test_status_bad),
		cmocka_unit_test(test_deploy_single),
		cmocka_unit_test(test_deploy_grouped),
		cmocka_unit_test(test_deploy_bad),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_deployments),
		cmocka_unit_test(test_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
