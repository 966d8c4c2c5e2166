/*
 * What the act routes (POST) share: a fleet request's fields checked by name, the fleet a
 * job opens with them (under the job's stop flag), and the 202 that hands out the job.
 * A handler checks the whole body with these before it answers; the job parses the same
 * body again on its thread (it cannot fail there but for the world).
 */
#ifndef CHIMERA_API_ACT_H
#define CHIMERA_API_ACT_H

#include <limits.h>

#include "api/api.h"
#include "api/jobs.h"
#include "app/fleet/deploy.h"
#include "core/healthspec.h"

#define ACT_CHECKS_MAX 16

/* A fleet request: its strings point into the body, which outlives it. */
struct act_req {
	char *targets;			/* "web-1,@db" (malloc'd) */
	char *exclude;			/* the same form, dropped from TARGETS (malloc'd; NULL: none) */
	struct world_reach reach;
	struct nix_source src;		/* with HAVE_SOURCE: file (+attr, args) or flake */
	bool have_source;
	const char *expect;		/* a store path already built */
	struct health_spec *checks;	/* malloc'd */
	size_t nchecks;
	bool dry_run;
	bool repair;
	long confirm_s;			/* 30; 0: no magic rollback */
};

/*
 * BODY's fleet fields into R: targets (required: a string "a,b" or an array), exclude (the
 * same form), profile, activate, goal, parallel, connect_timeout, timeout, stall_timeout,
 * activation_timeout, lock_wait, sudo, accept_new_host_keys.
 * 0, or -1 with MSG naming the field and the expected form.
 */
int act_parse_fleet(json_t *body, struct act_req *r, char *msg, size_t len);

/* As act_parse_fleet, but targets may be absent: R->targets is then NULL. */
int act_parse_fleet_opt(json_t *body, struct act_req *r, char *msg, size_t len);

/* BODY's source: file (+ attr, args {NAME: EXPR}, argstrs {NAME: STRING}), flake, or expect; and checks. */
int act_parse_source(json_t *body, struct act_req *r, char *msg, size_t len);

/* BODY's args and argstrs alone into R's source; BODY's checks alone into R. 0, or -1 with MSG. */
int act_parse_args(json_t *body, struct act_req *r, char *msg, size_t len);
int act_parse_checks(json_t *body, struct act_req *r, char *msg, size_t len);

/* The fields each part of a body takes, for act_check_fields. */
#define ACT_FIELDS_REACH "targets", "exclude", "parallel", "connect_timeout", "timeout", "stall_timeout", "sudo", \
	"accept_new_host_keys"
#define ACT_FIELDS_SWITCH "profile", "activate", "goal", "activation_timeout"
#define ACT_FIELDS_LEASE "lock_wait"
#define ACT_FIELDS_SOURCE "file", "attr", "args", "argstrs", "flake", "expect", "checks"
#define ACT_FIELDS_DEPLOY "dry_run", "repair", "confirm_timeout"

/*
 * Every field of BODY must be one of ALLOWED (ended by NULL): 0, or -1 with MSG naming the
 * first that is not and listing those that are.
 */
int act_check_fields(json_t *body, const char *const *allowed, char *msg, size_t len);

/*
 * One field of BODY, kept in *OUT when absent: a non-empty string; an integer from MIN to
 * MAX; true or false. 0, or -1 with MSG naming the field and the expected form.
 */
int act_field_str(json_t *body, const char *name, const char **out, char *msg, size_t len);
int act_field_int(json_t *body, const char *name, long min, long max, long *out, char *msg, size_t len);
int act_field_bool(json_t *body, const char *name, bool *out, char *msg, size_t len);

/* BODY's dry_run, repair, confirm_timeout. */
int act_parse_deploy(json_t *body, struct act_req *r, char *msg, size_t len);

void act_req_release(struct act_req *r);

/* A job's opened fleet. */
struct act_fleet {
	struct api *api;
	struct world *world;		/* the server's, held (api_world_get) until act_close */
	struct target_list targets;
	struct world_fleet wf;
	struct deploy_ctx ctx;		/* ctx.nix only when NIX was asked for */
	char tmp[PATH_MAX];
	bool opened;
};

/*
 * Open R's targets and fleet for job J (its stop flag on the fleet), and Nix when NIX.
 * 0, or -1 with MSG.
 */
int act_open(struct api_job *j, struct act_req *r, bool nix, struct act_fleet *f, char *msg, size_t len);
void act_close(struct act_fleet *f);

/* The targets' names into the job's progress (job_nodes_set). */
int act_nodes(struct api_job *j, const struct target_list *t);

/* Start job KIND running RUN on BODY (a reference is taken) and answer 202 with its Location. */
void act_accept(struct api_call *c, const char *kind, json_t *body, job_run_fn run);

/* Answer 400 "bad_field" with MSG (what the parse functions said). */
void act_bad(struct api_call *c, const char *msg);

/*
 * The whole of an act route: read the body, CHECK it (0, or -1 with MSG: answered 400), and
 * start job KIND running RUN on it (202).
 */
typedef int (*act_check_fn)(json_t *body, char *msg, size_t len);
void act_post(struct api_call *c, const char *kind, act_check_fn check, job_run_fn run);

/* The project routes' handlers (routes_act_project.c), rows of api_routes_act[]. */
void api_post_pipeline(struct api_call *c);
void api_post_simulate(struct api_call *c);
void api_post_heal(struct api_call *c);
void api_post_certify(struct api_call *c);

#endif
