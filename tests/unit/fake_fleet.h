/* A whole fake world for the fleet use cases: nodes, their executor, a Nix, a recording ledger, the targets. */
#ifndef CHIMERA_TESTS_FAKE_FLEET_H
#define CHIMERA_TESTS_FAKE_FLEET_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/fleet/deploy.h"
#include "check.h"
#include "fake_events.h"
#include "fake_ledger.h"
#include "fake_nix.h"
#include "fake_node.h"
#include "util/fs.h"

/* The configuration the nodes are on, the one the fake Nix builds, and the rest of its closure. */
#define P_OLD "/nix/store/11111111111111111111111111111111-nixos-system-web-23.11"
#define P_NEW "/nix/store/22222222222222222222222222222222-nixos-system-web-24.05"
#define P_LIB "/nix/store/33333333333333333333333333333333-glibc-2.39"
#define P_APP "/nix/store/44444444444444444444444444444444-app-1.2"
#define P_ETC "/nix/store/55555555555555555555555555555555-etc"
#define P_OTHER "/nix/store/66666666666666666666666666666666-nixos-system-web-hand-made"

#define FAKE_FLEET_MAX 4

struct fake_fleet {
	struct fake_node nodes[FAKE_FLEET_MAX];
	size_t n;
	struct fake_executor fx;
	struct fake_nix nix;			/* builds P_NEW: P_NEW, P_LIB, P_APP, P_ETC */
	struct fake_ledger fl;
	struct target_list targets;		/* the nodes' hosts, in order */
	struct deploy_ctx ctx;			/* ctx.fleet: the executor as "ssh", the ledger, 4 in parallel */
	struct nix_source source;		/* a configuration.nix in DIR */
	char dir[4096];				/* a private directory: the source and the export spool */
	char file[4200];
};

/*
 * A fleet of the comma-separated HOSTS (at most FAKE_FLEET_MAX), every node on generation 1
 * = P_OLD (activated) with P_LIB in its store. Returns a fleet to free with
 * fake_fleet_free; fails the test when it cannot be made.
 */
static inline struct fake_fleet *fake_fleet_new(const char *hosts)
{
	static const char *const rest[] = { P_LIB, P_APP, P_ETC };
	const char *tmp = getenv("CHIMERA_TEST_TMP");
	struct fake_fleet *ff = calloc(1, sizeof(*ff));
	size_t i;

	assert_non_null(ff);
	target_list_init(&ff->targets);
	assert_int_equal(target_list_parse(&ff->targets, hosts, strlen(hosts)), 0);
	assert_true(ff->targets.n <= FAKE_FLEET_MAX);
	ff->n = ff->targets.n;
	for (i = 0; i < ff->n; i++) {
		struct fake_node *n = &ff->nodes[i];

		fake_node_init(n, ff->targets.items[i].host);
		fake_node_gen(n, 1, P_OLD);
		fake_node_store(n, P_LIB);
		snprintf(n->system, sizeof(n->system), "%s", P_OLD);
	}
	fake_executor_init(&ff->fx, ff->nodes, ff->n);
	fake_nix_init(&ff->nix, P_NEW, rest, 3);
	fake_ledger_init(&ff->fl);
	assert_int_equal(executor_set_add(&ff->ctx.fleet.executors, "ssh", &ff->fx.base), 0);
	ff->ctx.fleet.ledger = &ff->fl.base;
	ff->ctx.fleet.parallel = 4;
	ff->ctx.fleet.step_timeout_s = 10;
	ff->ctx.nix = &ff->nix.base;
	snprintf(ff->dir, sizeof(ff->dir), "%s/fleet-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fs_mkdir_p(tmp && *tmp ? tmp : "/tmp", 0700);
	assert_non_null(mkdtemp(ff->dir));
	snprintf(ff->file, sizeof(ff->file), "%s/configuration.nix", ff->dir);
	assert_int_equal(fs_write_file(ff->file, "{ }\n", 4, 0644), 0);
	ff->source.file = ff->file;
	return ff;
}

/* The node called HOST. */
static inline struct fake_node *fake_fleet_node(struct fake_fleet *ff, const char *host)
{
	size_t i;

	for (i = 0; i < ff->n; i++)
		if (strcmp(ff->nodes[i].host, host) == 0)
			return &ff->nodes[i];
	fail_msg("no fake node '%s'", host);
	return NULL;
}

/* Check the nodes were left clean (fake_nodes_check), then free everything. */
static inline void fake_fleet_free(struct fake_fleet *ff)
{
	size_t i;

	fake_nodes_check(ff->nodes, ff->n);
	unlink(ff->file);
	rmdir(ff->dir);
	for (i = 0; i < ff->n; i++)
		fake_node_release(&ff->nodes[i]);
	fake_nix_release(&ff->nix);
	fake_ledger_release(&ff->fl);
	target_list_release(&ff->targets);
	free(ff);
}

#endif
