/*
 * app/nix/projection: the Nix projections folded from nix.* events. Folding in one go
 * equals folding in two halves with the document written out and read back between (as
 * the live projection is kept); each event's rule; what is skipped; caps; idempotence.
 */
#include "check.h"

#include <stdio.h>
#include <string.h>

#include "app/nix/projection.h"

struct ev {
	const char *topic, *node, *run, *payload;
};

/* Events in seq order 1.. ; a non-nix one and a malformed one among them. */
static const struct ev evs[] = {
	{ "nix.flake.created", NULL, NULL, "{\"dir\": \"/f\", \"template\": \"offline\", \"git_init\": true}" },
	{ "deploy.initiated", NULL, "R1", "{\"path\": \"/nix/store/x\"}" },
	{ "nix.flake.input_added", NULL, NULL,
	  "{\"dir\": \"/f\", \"input\": \"dep\", \"url\": \"path:/d\", \"locked\": {\"type\": \"path\", \"narHash\": \"sha256-A\"}}" },
	{ "nix.package.built", NULL, NULL,
	  "{\"installable\": \"/f/default.nix\", \"attr\": \"hello\", \"path\": \"/nix/store/aaa-hello-1\", \"ms\": 40, \"out_link\": null}" },
	{ "nix.expression.evaluated", NULL, NULL, "{\"expression_sha256\": \"00\", \"result_sha256\": \"11\"}" },
	{ "nix.flake.updated", NULL, NULL,
	  "{\"dir\": \"/f\", \"inputs\": {\"dep\": {\"type\": \"path\", \"narHash\": \"sha256-B\"}}, \"updated\": [\"dep\"]}" },
	{ "nix.gc.completed", "web-1", "G1",
	  "{\"node\": \"web-1\", \"profile\": \"/p\", \"ok\": true, \"dry_run\": false, \"generations_deleted\": [1, 2],"
	  " \"generations_kept\": [3, 4], \"freed_bytes\": 1000, \"paths_removed\": 7}" },
	{ "nix.flake.locked", NULL, NULL, "not json" },
	{ "nix.gc.completed", "web-2", "G1",
	  "{\"node\": \"web-2\", \"profile\": \"/p\", \"ok\": false, \"dry_run\": false, \"generations_deleted\": [],"
	  " \"generations_kept\": [1], \"freed_bytes\": null, \"paths_removed\": null}" },
	{ "nix.flake.created", NULL, NULL, "{\"dir\": \"/g\", \"template\": \"fleet\", \"git_init\": false}" },
};
#define NEVS (sizeof(evs) / sizeof(evs[0]))

static void fold_range(json_t *p, size_t from, size_t to)
{
	char time[32];
	size_t i;

	for (i = from; i < to; i++) {
		struct ledger_event e = { .seq = (int64_t)i + 1, .topic = evs[i].topic, .node = evs[i].node,
					  .deployment = evs[i].run, .payload = evs[i].payload };

		snprintf(time, sizeof(time), "2026-12-07T00:00:%02zu.000Z", i);
		memcpy(e.time, time, strlen(time) + 1);
		assert_int_equal(nix_proj_fold(p, &e), 0);
	}
}

static void test_halves_equal_whole(void **state)
{
	json_t *whole = nix_proj_new(), *half = nix_proj_new(), *back;
	char *text;
	size_t cut;

	(void)state;
	fold_range(whole, 0, NEVS);
	for (cut = 0; cut <= NEVS; cut++) {
		json_decref(half);
		half = nix_proj_new();
		fold_range(half, 0, cut);
		text = json_dumps(half, JSON_COMPACT);
		back = json_loads(text, 0, NULL);
		free(text);
		fold_range(back, cut, NEVS);
		if (!json_equal(back, whole))
			fail_msg("cut at %zu: the halves' fold differs from the whole's", cut);
		json_decref(back);
	}
	/* Folding an event again (a seq already in) changes nothing. */
	back = json_deep_copy(whole);
	fold_range(back, 3, 7);
	assert_true(json_equal(back, whole));
	json_decref(back);
	json_decref(half);
	json_decref(whole);
}

static void test_rules(void **state)
{
	json_t *p = nix_proj_new(), *f, *g;

	(void)state;
	fold_range(p, 0, NEVS);
	assert_int_equal(json_integer_value(json_object_get(p, "seq")), NEVS);
	/* The malformed payload; the evaluation (no projection) is not a skip. */
	assert_int_equal(json_integer_value(json_object_get(p, "skipped")), 1);
	f = json_object_get(json_object_get(p, "flakes"), "/f");
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "template")), "offline");
	/* updated replaced the inputs whole: dep's lock is the newer one. */
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(f, "inputs"), "dep"), "narHash")),
			    "sha256-B");
	assert_int_equal(json_integer_value(json_object_get(f, "seq")), 6);
	assert_string_equal(json_string_value(json_object_get(f, "created")), "2026-12-07T00:00:00.000Z");
	assert_int_equal(json_object_size(json_object_get(p, "flakes")), 2);
	assert_int_equal(json_array_size(json_object_get(p, "builds")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(p, "builds"), 0), "path")),
			    "/nix/store/aaa-hello-1");
	g = json_object_get(p, "gc");
	assert_int_equal(json_object_size(g), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(g, "web-1"), 0), "freed_bytes")), 1000);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(g, "web-1"), 0), "gc")), "G1");
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(g, "web-2"), 0), "freed_bytes")));
	json_decref(p);
}

static void test_created_again_starts_empty_and_caps(void **state)
{
	json_t *p = nix_proj_new();
	char payload[128];
	struct ledger_event e = { .time = "2026-12-07T00:00:00.000Z" };
	int i;

	(void)state;
	fold_range(p, 0, 3);	/* /f with its input dep */
	e.seq = 100;
	e.topic = "nix.flake.created";
	e.payload = "{\"dir\": \"/f\", \"template\": \"fleet\"}";
	assert_int_equal(nix_proj_fold(p, &e), 0);
	assert_int_equal(json_object_size(json_object_get(json_object_get(json_object_get(p, "flakes"), "/f"), "inputs")), 0);
	/* Builds past the cap: the newest stay. */
	e.topic = "nix.package.built";
	e.payload = payload;
	for (i = 0; i < NIX_PROJ_BUILDS_MAX + 5; i++) {
		e.seq = 101 + i;
		snprintf(payload, sizeof(payload), "{\"installable\": \"x\", \"path\": \"/nix/store/p%d\", \"ms\": 1}", i);
		assert_int_equal(nix_proj_fold(p, &e), 0);
	}
	assert_int_equal(json_array_size(json_object_get(p, "builds")), NIX_PROJ_BUILDS_MAX);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(p, "builds"), 0), "path")),
			    "/nix/store/p5");
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_halves_equal_whole),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_created_again_starts_empty_and_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
