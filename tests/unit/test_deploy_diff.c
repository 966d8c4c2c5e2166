/* deploy --dry-run --diff on fake nodes: each node's closure read on it, compared with the new one, nothing changed. */
#include "check.h"
#include "fake_fleet.h"

#include "app/fleet/deploy.h"
#include "app/fleet/deploy_fleet.h"
#include "app/nix/closure_diff.h"

static struct deploy_opts diff_opts(struct fake_fleet *ff)
{
	return (struct deploy_opts){ .source = &ff->source, .profile = PROFILE_DEFAULT, .activate = "auto",
				     .tmp_dir = ff->dir, .dry_run = 1, .diff = true };
}

static const struct closure_pkg *pkg_of(const struct closure_diff *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->pkgs[i].name, name) == 0)
			return &d->pkgs[i];
	return NULL;
}

/* A node on P_OLD: the system changed version, app and etc added, glibc shared; one with no profile: all added. */
static void test_dry_run_diff(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2");
	struct fake_node *web1 = fake_fleet_node(ff, "web1"), *web2 = fake_fleet_node(ff, "web2");
	struct deploy_opts o = diff_opts(ff);
	struct deploy_report rep;
	const struct closure_diff *d;
	const struct closure_pkg *p;
	char *json;
	json_t *doc, *node;

	(void)state;
	web2->current = 0;
	web2->ngens = 0;
	assert_int_equal(deploy_run(&ff->ctx, &ff->targets, &o, &rep), 0);
	assert_int_equal(rep.ok, 2);
	assert_int_equal(rep.nodes[0].outcome, OUTCOME_PLANNED);
	assert_non_null(d = rep.nodes[0].diff);
	/* The node's closure (P_OLD 500, P_LIB 1000) against the new one (P_NEW 1000, P_LIB 2000, P_APP 3000, P_ETC 4000). */
	assert_int_equal(d->paths_a, 2);
	assert_int_equal(d->bytes_a, 1500);
	assert_int_equal(d->paths_b, 4);
	assert_int_equal(d->bytes_b, 10000);
	assert_int_equal(d->n, 3);
	assert_non_null(p = pkg_of(d, "nixos-system-web"));
	assert_int_equal(p->change, CLOSURE_CHANGED);
	assert_string_equal(closure_path_version(&p->a[0]), "23.11");
	assert_string_equal(closure_path_version(&p->b[0]), "24.05");
	assert_int_equal(pkg_of(d, "app")->change, CLOSURE_ADDED);
	assert_int_equal(pkg_of(d, "etc")->change, CLOSURE_ADDED);
	assert_null(pkg_of(d, "glibc"));
	assert_int_equal(d->paths_added, 3);
	assert_int_equal(d->paths_removed, 1);
	assert_int_equal(web1->closure_queries, 1);

	/* No profile: nothing to read, everything added. */
	assert_int_equal(rep.nodes[1].outcome, OUTCOME_PLANNED);
	assert_non_null(d = rep.nodes[1].diff);
	assert_int_equal(d->paths_a, 0);
	assert_int_equal(d->count[CLOSURE_ADDED], 4);
	assert_int_equal(web2->closure_queries, 0);

	/* Nothing changed on either node. */
	assert_int_equal(web1->imports + web1->switches + web1->activations, 0);
	assert_int_equal(web1->current, 1);
	assert_false(fake_node_has(web1, P_NEW));

	/* The report's JSON: each node's diff, with both paths. */
	struct fleet_deploy_report frep = { .single = rep, .dry_run = 1 };
	assert_non_null(json = fleet_deploy_report_json(&frep));
	assert_non_null(doc = json_loads(json, 0, NULL));
	node = json_array_get(json_object_get(doc, "nodes"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(node, "diff"), "a"), "path")),
			    P_OLD);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(node, "diff"), "b"), "path")),
			    P_NEW);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(node, "diff"), "summary"),
							    "added")), 2);
	node = json_array_get(json_object_get(doc, "nodes"), 1);
	assert_true(json_is_null(json_object_get(json_object_get(json_object_get(node, "diff"), "a"), "path")));
	json_decref(doc);
	free(json);
	deploy_report_release(&rep);
	fake_fleet_free(ff);
}

/* Without --diff, no diff is read; a node whose answer is not a closure fails at "diff". */
static void test_no_diff_and_bad_answer(void **state)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2");
	struct fake_node *web1 = fake_fleet_node(ff, "web1"), *web2 = fake_fleet_node(ff, "web2");
	struct deploy_opts o = diff_opts(ff);
	struct deploy_report rep;

	(void)state;
	o.diff = false;
	assert_int_equal(deploy_run(&ff->ctx, &ff->targets, &o, &rep), 0);
	assert_null(rep.nodes[0].diff);
	assert_int_equal(web1->closure_queries, 0);
	deploy_report_release(&rep);

	/* Past fake_node_store's check: what a broken node might print. */
	snprintf(web2->store[web2->nstore++], STOREPATH_MAX, "/nix/store/short");
	o.diff = true;
	assert_int_equal(deploy_run(&ff->ctx, &ff->targets, &o, &rep), 0);
	assert_int_equal(rep.ok, 1);
	assert_int_equal(rep.nodes[0].outcome, OUTCOME_PLANNED);
	assert_int_equal(rep.nodes[1].outcome, OUTCOME_FAILED);
	assert_string_equal(rep.nodes[1].fail.step, "diff");
	assert_contains(rep.nodes[1].fail.message, "expected a store path");
	assert_null(rep.nodes[1].diff);
	deploy_report_release(&rep);
	fake_fleet_free(ff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dry_run_diff),
		cmocka_unit_test(test_no_diff_and_bad_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
