/*
 * The bodies of the act routes and the secrets routes, checked: from a request body (and
 * the path's parameter) to what the job or the handler runs with, or -1 with MSG naming
 * the bad field and the expected form. Nothing here answers or runs anything: a handler
 * answers 400 with MSG; a job parses the same body again on its thread. A field a route
 * does not take is refused by name (act_check_fields). The project routes check their
 * paths against the server's disk (act_project.c); the rest are pure (act_parse.c).
 */
#ifndef CHIMERA_API_ACT_PARSE_H
#define CHIMERA_API_ACT_PARSE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/act.h"
#include "app/config/inventory.h"
#include "app/pipeline/pipeline_project.h"
#include "platform/platform.h"

/* POST /deployments: fleet, source and deploy fields. */
int act_parse_deployment(json_t *body, struct act_req *r, char *msg, size_t len);

/*
 * POST /rollback: fleet fields (targets, profile, activate, goal, lock_wait, ...) and
 * generation (1 or more) into *GEN; absent: 0, each node's generation before its current.
 */
int act_parse_rollback(json_t *body, struct act_req *r, uint32_t *gen, char *msg, size_t len);

/* POST /exec: targets and reach, command (required), record_output; no timeout given: none. */
struct act_exec {
	const char *command;		/* into the body */
	bool record_output;
};
int act_parse_exec(json_t *body, struct act_req *r, struct act_exec *e, char *msg, size_t len);

/*
 * POST /facts/refresh: reach and profile; targets may be absent (R->targets NULL: every
 * machine of the inventory, else every node with stored facts, as `chimera facts`).
 */
int act_parse_facts(json_t *body, struct act_req *r, char *msg, size_t len);

/*
 * POST /watch/release/{node}: NODE is a machine of INV (its name) or a target
 * ([user@]host[:port]); its name as watch reports it (user@host:port) into NAME, and
 * *MACHINE says whether INV has it. 0, or -1 with MSG for a malformed NODE.
 */
int act_parse_node(const char *node, const struct inventory *inv, char name[TARGET_FORMAT_MAX], bool *machine,
		   char *msg, size_t len);

/* A route that takes no fields: an empty body or {}. */
int act_parse_empty(json_t *body, char *msg, size_t len);

/*
 * POST /secrets/{name}/grant and /revoke: NAME checked (secrets_name_check), and exactly
 * one of "targets" (resolved later, as `chimera secrets grant -t`) and "keys" (grant keys
 * as they are kept: machine names or user@host:port).
 */
struct act_grant {
	const char *name;
	char *targets;			/* malloc'd, or NULL when "keys" was given */
	const char **keys;		/* malloc'd array into the body, or NULL */
	size_t nkeys;
};
int act_parse_grant(const char *name, json_t *body, struct act_grant *g, char *msg, size_t len);
void act_grant_release(struct act_grant *g);

/* --- platform projects on the server's disk (act_project.c) --- */

/* The fields every project route shares: platform and dir (an absolute path to a directory). */
struct act_project {
	const struct platform *platform;
	char dir[PATH_MAX];		/* made canonical (realpath) */
};

/* POST /simulate: platform (any), dir, file and attr (build platforms: nix). */
struct act_simulate {
	struct act_project p;
	char file[PATH_MAX];		/* "" when not given: the platform's own (DIR/default.nix) */
	const char *attr;
};
int act_parse_simulate(json_t *body, struct act_simulate *s, char *msg, size_t len);

/* POST /heal: platform (one that heals: netlify, render), dir, write. */
struct act_heal {
	struct act_project p;
	bool write;
};
int act_parse_heal(json_t *body, struct act_heal *h, char *msg, size_t len);

/*
 * POST /certify: platform (netlify, render), dir, artifact (a store path), out (where the
 * certificate goes, in DIR; default DIR/chimera-certificate.json); or verify (a
 * certificate to check against DIR's files) instead.
 */
struct act_certify {
	struct act_project p;
	const char *artifact;
	char out[PATH_MAX];		/* "" when not given */
	char verify[PATH_MAX];		/* "" when certifying */
};
int act_parse_certify(json_t *body, struct act_certify *c, char *msg, size_t len);

/*
 * POST /pipeline: platform (netlify, render, nix), dir, no_heal, dry_run, cert, checks;
 * netlify and render: hook (else the server's CHIMERA_BUILD_HOOK; needed unless dry_run),
 * rollback_hook, hook_timeout, hook_retries, hook_backoff_ms, verify_wait; nix: targets
 * and reach, profile, activate, goal, file (default DIR/default.nix; in DIR), attr, args,
 * argstrs, confirm_timeout (0: no magic rollback). RQ is filled but for what the job opens
 * (targets, source, tmp_dir, parts); it points into PL and the body.
 */
struct act_pipeline {
	struct act_req req;		/* nix: the fleet fields, args, and checks (every platform) */
	struct act_project p;
	struct pipeline_request rq;
	char file[PATH_MAX];		/* nix: the file built */
	char name[PATH_MAX];		/* its name in DIR */
	char cert[PATH_MAX];
};
int act_parse_pipeline(json_t *body, struct act_pipeline *pl, char *msg, size_t len);
void act_pipeline_release(struct act_pipeline *pl);

#endif
