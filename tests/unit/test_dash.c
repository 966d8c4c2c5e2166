/* app/dash: the fleet table folded from machines, status and events; keys; the screen at 80x24. */
#include "check.h"

#include <jansson.h>

#include "app/dash/dash.h"
#include "util/banned.h"

#define P1 "/nix/store/x7rm2jhhmjfps7ph5nhgpnh53xinx3gw-hello-1"
#define P2 "/nix/store/hk2bypl3cqrd3v8p072fqxqwvjknbxnr-hello-2"

/* D with N machines m00.. on root@127.9.0.1X:22, all congruent on P1 per a cached status. */
static void fleet(struct dash *d, int n)
{
	json_t *machines = json_array(), *nodes = json_array(), *doc;
	char name[16], node[64];
	int i;

	dash_init(d, "local");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "m%02d", i);
		snprintf(node, sizeof(node), "root@127.9.0.%d:22", 10 + i);
		json_array_append_new(machines, json_pack("{s:s, s:s}", "name", name, "target", node));
		json_array_append_new(nodes, json_pack("{s:s, s:s, s:s, s:s}", "node", node, "state", "congruent", "actual",
						       P1, "seen", "2026-12-07T12:00:00.000Z"));
	}
	doc = json_pack("{s:o}", "machines", machines);
	assert_int_equal(dash_set_machines(d, doc), 0);
	json_decref(doc);
	doc = json_pack("{s:b, s:n, s:o}", "cached", 1, "expected", "nodes", nodes);
	dash_set_status(d, doc, NULL);
	json_decref(doc);
}

static void event(struct dash *d, int64_t seq, const char *topic, const char *node, const char *payload)
{
	struct ledger_event ev = { .seq = seq, .topic = topic, .node = node, .payload = payload };

	snprintf(ev.time, sizeof(ev.time), "2026-12-07T12:00:%02lld.000Z", (long long)seq % 60);
	dash_event(d, &ev);
	dash_refilter(d);
}

static void keys(struct dash *d, const char *s)
{
	for (; *s; s++)
		dash_key(d, *s == '\n' ? TERM_KEY_ENTER : *s);
}

/* The frame's line I. */
static const char *line(const struct dash_frame *f, int i)
{
	return i < f->n ? f->lines[i].text : "";
}

static void test_counts_and_events(void **state)
{
	struct dash d;

	(void)state;
	fleet(&d, 5);
	assert_int_equal(dash_count(&d, "congruent"), 5);
	/* A deploy: its nodes deploying as their steps come, back when each is done, generation to be probed. */
	event(&d, 1, "node.copy.complete", "root@127.9.0.11:22", "{\"paths\":2}");
	assert_int_equal(dash_count(&d, "deploying"), 1);
	assert_int_equal(dash_count(&d, "congruent"), 4);
	event(&d, 2, "node.deploy.complete", "root@127.9.0.11:22", "{\"path\":\"" P2 "\"}");
	assert_int_equal(dash_count(&d, "congruent"), 5);
	assert_string_equal(dash_find(&d, "m01")->path, P2);
	/* A failed node stays failed until it is looked at again. */
	event(&d, 3, "node.failed", "root@127.9.0.12:22", "{\"step\":\"copy\",\"error\":\"disk full\"}");
	event(&d, 4, "chimera.deploy.complete", NULL, "{\"result\":\"partial\"}");
	assert_int_equal(dash_count(&d, "failed"), 1);
	event(&d, 5, "node.observed", "root@127.9.0.12:22", "{\"expected\":\"\",\"state\":\"drifted\",\"generation\":3}");
	assert_int_equal(dash_count(&d, "failed"), 0);
	assert_string_equal(dash_find(&d, "m02")->state, "congruent");	/* no expectation: not the probe's word */
	assert_int_equal(dash_find(&d, "m02")->generation, 3);
	/* Rollbacks and heals. */
	event(&d, 6, "node.rollback.complete", "root@127.9.0.13:22", "{\"ok\":true,\"ended_generation\":1,\"ended_path\":\"" P1 "\"}");
	assert_int_equal(dash_find(&d, "m03")->generation, 1);
	event(&d, 7, "watch.node.healed", "root@127.9.0.14:22", "{}");
	event(&d, 8, "watch.node.healed", "root@127.9.0.14:22", "{}");
	event(&d, 8, "watch.node.healed", "root@127.9.0.14:22", "{}");	/* seen already: passed over */
	assert_int_equal(dash_find(&d, "m04")->heals, 2);
	/* The log: every event but the probes', named by machine. */
	assert_int_equal(d.log_n, 7);
	assert_non_null(strstr(d.log[0].text, "node.copy.complete m01 {\"paths\":2}"));
	assert_int_equal(d.log[2].sev, DASH_ERROR);
	dash_release(&d);
}

/* Fold a status document of one node NODE in STATE: a probe's (no expected path) or the ledger's. */
static void status(struct dash *d, const char *node, const char *state, int cached)
{
	json_t *doc = json_pack("{s:b, s:n, s:[{s:s, s:s, s:n, s:i}]}", "cached", cached, "expected", "nodes", "node",
				node, "state", state, "actual", "generation", 4);

	dash_set_status(d, doc, "2026-12-07T12:30:00.000Z");
	json_decref(doc);
	dash_refilter(d);
}

static void test_probe_and_ledger(void **state)
{
	struct dash d;

	(void)state;
	fleet(&d, 3);
	/* A probe without an expected path: unreachable is its word, drifted is not. */
	status(&d, "root@127.9.0.10:22", "unreachable", 0);
	status(&d, "root@127.9.0.11:22", "drifted", 0);
	assert_int_equal(dash_count(&d, "unreachable"), 1);
	assert_int_equal(dash_count(&d, "congruent"), 2);
	assert_string_equal(dash_find(&d, "m01")->check, "2026-12-07T12:30:00.000Z");
	assert_int_equal(dash_find(&d, "m01")->generation, 4);
	/* The ledger's answer after it does not make the unreachable one reachable. */
	status(&d, "root@127.9.0.10:22", "congruent", 1);
	assert_string_equal(dash_row_state(dash_find(&d, "m00")), "unreachable");
	status(&d, "root@127.9.0.11:22", "drifted", 1);
	assert_int_equal(dash_count(&d, "drifted"), 1);
	/* Reached again. */
	status(&d, "root@127.9.0.10:22", "drifted", 0);
	assert_string_equal(dash_row_state(dash_find(&d, "m00")), "congruent");
	/* Two operations: the end of one clears its own nodes only. */
	{
		struct ledger_event ev = { .seq = 1, .topic = "deploy.initiated", .deployment = "D1",
					   .payload = "{\"dry_run\":false,\"nodes\":[\"root@127.9.0.10:22\"]}" };

		dash_event(&d, &ev);
		ev = (struct ledger_event){ .seq = 2, .topic = "chimera.rollback.triggered", .deployment = "R1",
					    .payload = "{\"nodes\":[\"root@127.9.0.12:22\"]}" };
		dash_event(&d, &ev);
		assert_int_equal(dash_count(&d, "deploying"), 1);
		assert_int_equal(dash_count(&d, "rolling back"), 1);
		ev = (struct ledger_event){ .seq = 3, .topic = "chimera.rollback.complete", .deployment = "R1",
					    .payload = "{\"result\":\"success\"}" };
		dash_event(&d, &ev);
		assert_int_equal(dash_count(&d, "deploying"), 1);
		assert_int_equal(dash_count(&d, "rolling back"), 0);
	}
	dash_release(&d);
}

static void test_severity(void **state)
{
	json_t *ok = json_pack("{s:s}", "result", "success"), *bad = json_pack("{s:s}", "result", "reverted");

	(void)state;
	assert_int_equal(dash_severity("node.failed", NULL), DASH_ERROR);
	assert_int_equal(dash_severity("watch.node.quarantined", NULL), DASH_ERROR);
	assert_int_equal(dash_severity("chimera.rollback.complete", bad), DASH_ERROR);
	assert_int_equal(dash_severity("chimera.rollback.complete", ok), DASH_WARN);
	assert_int_equal(dash_severity("watch.node.drifted", NULL), DASH_WARN);
	assert_int_equal(dash_severity("chimera.deploy.complete", ok), DASH_INFO);
	json_decref(ok);
	json_decref(bad);
}

static void test_log_keeps_500(void **state)
{
	struct dash d;
	int64_t i;

	(void)state;
	fleet(&d, 1);
	for (i = 1; i <= 600; i++)
		event(&d, i, "exec.start", NULL, "{}");
	assert_int_equal(d.log_n, DASH_LOG_MAX);
	assert_int_equal(d.log[d.log_start].seq, 101);
	dash_release(&d);
}

static void test_pages_filter_sort(void **state)
{
	struct dash d;
	struct dash_frame *f = malloc(sizeof(*f));

	(void)state;
	fleet(&d, 25);
	dash_frame(&d, 24, 80, f);
	assert_int_equal(f->n, 24);
	assert_non_null(strstr(line(f, 0), "page 1/2"));
	assert_string_equal(line(f, 1), "25 machines: 25 congruent");
	assert_int_equal(strncmp(line(f, 3), "m00 ", 4), 0);
	assert_int_equal(strncmp(line(f, 22), "m19 ", 4), 0);
	assert_int_equal(f->lines[3].style, TERM_SELECTED);
	assert_true(strlen(line(f, 2)) <= 80);
	keys(&d, "n");
	dash_frame(&d, 24, 80, f);
	assert_non_null(strstr(line(f, 0), "page 2/2"));
	assert_int_equal(strncmp(line(f, 3), "m20 ", 4), 0);
	keys(&d, "nn");	/* no page 3 */
	assert_int_equal(d.sel, 20);
	keys(&d, "p");
	assert_int_equal(d.sel, 0);
	/* The filter: typed, applied, dropped. */
	keys(&d, "/m2\n");
	assert_int_equal(d.nview, 5);
	assert_string_equal(d.message, "filter 'm2': 5 of 25 machines");
	dash_key(&d, '/');
	dash_key(&d, TERM_KEY_BACKSPACE);
	dash_key(&d, TERM_KEY_BACKSPACE);
	dash_key(&d, TERM_KEY_ESC);
	assert_int_equal(d.nview, 5);
	keys(&d, "/");
	dash_key(&d, TERM_KEY_BACKSPACE);
	dash_key(&d, TERM_KEY_BACKSPACE);
	keys(&d, "\n");
	assert_int_equal(d.nview, 25);
	/* Sort by heals: the most healed first. */
	event(&d, 1, "watch.node.healed", "root@127.9.0.17:22", "{}");
	keys(&d, "ssss");
	assert_int_equal(d.sort, DASH_SORT_HEALS);
	assert_string_equal(d.rows[d.view[0]].name, "m07");
	free(f);
	dash_release(&d);
}

static void test_keys(void **state)
{
	struct dash d;
	int i;

	(void)state;
	fleet(&d, 3);
	assert_int_equal(dash_key(&d, 'q'), DASH_QUIT);
	assert_int_equal(dash_key(&d, TERM_KEY_QUIT), DASH_QUIT);
	assert_int_equal(dash_key(&d, 'r'), DASH_REFRESH);
	for (i = 0; i < 100; i++)
		dash_key(&d, '+');
	assert_int_equal(d.interval_s, DASH_INTERVAL_MAX);
	for (i = 0; i < 100; i++)
		assert_int_equal(dash_key(&d, '-'), DASH_INTERVAL);
	assert_int_equal(d.interval_s, DASH_INTERVAL_MIN);
	/* R asks; anything but y cancels; y rolls the machine back. */
	dash_key(&d, 'j');
	assert_int_equal(dash_key(&d, 'R'), DASH_NONE);
	assert_int_equal(d.mode, DASH_CONFIRM);
	assert_string_equal(d.confirm, "m01");
	assert_int_equal(dash_key(&d, 'n'), DASH_NONE);
	assert_string_equal(d.message, "rollback of m01 cancelled");
	dash_key(&d, 'R');
	assert_int_equal(dash_key(&d, 'y'), DASH_ROLLBACK);
	assert_string_equal(d.confirm, "m01");
	/* Enter opens the detail; q there goes back, not out. */
	assert_int_equal(dash_key(&d, TERM_KEY_ENTER), DASH_OPEN_DETAIL);
	assert_int_equal(d.mode, DASH_DETAIL);
	dash_set_detail(&d, json_pack("{s:s, s:s, s:[{s:i, s:s, s:s, s:b}], s:n, s:[]}", "name", "m01", "target",
				      "root@127.9.0.11:22", "generations", "generation", 2, "date", "2026-12-07T12:00:00Z",
				      "path", P2, "current", 1, "facts", "events"));
	assert_int_equal(dash_key(&d, 'q'), DASH_NONE);
	assert_int_equal(d.mode, DASH_TABLE);
	assert_null(d.detail);
	dash_key(&d, '?');
	assert_int_equal(d.mode, DASH_HELP);
	dash_key(&d, 'x');
	assert_int_equal(d.mode, DASH_TABLE);
	dash_release(&d);
}

static void test_detail_frame(void **state)
{
	struct dash d;
	struct dash_frame *f = malloc(sizeof(*f));

	(void)state;
	fleet(&d, 2);
	dash_key(&d, TERM_KEY_ENTER);
	dash_set_detail(&d, json_pack("{s:s, s:s, s:[{s:i, s:s, s:s, s:b}, {s:i, s:s, s:s, s:b}], s:{s:s}, s:s, "
				      "s:[{s:i, s:s, s:s, s:{s:i}}]}",
				      "name", "m00", "target", "root@127.9.0.10:22", "generations", "generation", 1, "date",
				      "2026-12-07T11:00:00Z", "path", P1, "current", 1, "generation", 2, "date",
				      "2026-12-07T12:00:00Z", "path", P2, "current", 0, "facts", "hostname", "n0",
				      "facts_gathered", "2026-12-07T12:01:00.000Z", "events", "seq", 9, "time",
				      "2026-12-07T12:00:09.000Z", "topic", "node.copy.complete", "payload", "paths", 2));
	dash_frame(&d, 24, 80, f);
	assert_string_equal(line(f, 0), "m00  root@127.9.0.10:22  (q back, j/k scroll, r again, R roll back)");
	assert_string_equal(line(f, 3), "*    1  2026-12-07T11:00:00Z " P1);
	assert_int_equal(f->lines[3].style, TERM_GOOD);
	assert_string_equal(line(f, 6), "  hostname  n0");
	assert_string_equal(line(f, 8), "     9 12:00:09 node.copy.complete {\"paths\":2}");
	/* R in the detail asks about its machine. */
	dash_key(&d, 'R');
	dash_frame(&d, 24, 80, f);
	assert_string_equal(line(f, 23), "roll m00 back to its previous generation? y to confirm, any other key cancels");
	/* Lines are cut at the screen's width. */
	dash_frame(&d, 24, 40, f);
	assert_string_equal(line(f, 23), "roll m00 back to its previous generation");
	free(f);
	dash_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_events),
		cmocka_unit_test(test_probe_and_ledger),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_log_keeps_500),
		cmocka_unit_test(test_pages_filter_sort),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_detail_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
