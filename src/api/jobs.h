/*
 * Jobs: what an act route (POST) starts. Each job runs on a thread of its own with a world
 * of its own, reports per-node progress as it goes, and ends with the use case's report
 * (the JSON the CLI prints with --json). Its life is in the ledger: job.accepted (kind,
 * who asked: the token's name, the request), job.finished (state, the report's summary);
 * a job left running by a server that died is recorded job.interrupted at the next start.
 */
#ifndef CHIMERA_API_JOBS_H
#define CHIMERA_API_JOBS_H

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "app/fleet/fleet.h"

struct api;
struct api_jobs;
struct api_job;

#define JOB_ID_LEN 26		/* a deployment id's form: time-sortable */
#define JOBS_KEPT 200		/* finished jobs kept in memory for GET /jobs */

enum job_state {
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_SUCCEEDED,		/* every node done */
	JOB_PARTIAL,		/* some nodes failed */
	JOB_FAILED,		/* none, or it failed before any node */
	JOB_CANCELLED,		/* DELETE /jobs/{id}: nodes in flight finished, the rest were not started */
	JOB_INTERRUPTED,	/* the server stopped (SIGTERM) or died with it running */
};

const char *job_state_name(enum job_state s);

/* A job's view of one node, updated as it goes. */
struct job_node {
	char name[TARGET_FORMAT_MAX];
	char step[24];		/* the step it is at; "done" or "failed" at the end; "" before it starts */
	bool done;
	bool ok;
};

/*
 * What runs the job: RUN is called on the job's thread with J; it reads its request
 * (job_request), sets the nodes (job_nodes_set) and their steps (job_node_step), checks
 * job_cancelled between nodes, and returns the state with the report (a new reference, may
 * be NULL) in *REPORT and, on failure, a message in MSG.
 */
typedef enum job_state (*job_run_fn)(struct api_job *j, json_t **report, char *msg, size_t len);

struct api_jobs *jobs_new(struct api *a);

/* Record job.interrupted for every job the ledger shows accepted and never finished. */
int jobs_recover(struct api_jobs *js);

/*
 * Start a job of KIND ("deploy", "rollback", ...) for CALLER with REQUEST (a reference is
 * taken): job.accepted is appended first; then the thread starts. The id into ID
 * (JOB_ID_LEN + 1 bytes). Returns 0, or an error (the ledger would not take the event).
 */
int jobs_start(struct api_jobs *js, const char *kind, const char *caller, json_t *request, job_run_fn run,
	       char *id);

/* Ask job ID to stop starting nodes. Returns 0, ERR_NOTFOUND, or ERR_INVALID when it has ended. */
int jobs_cancel(struct api_jobs *js, const char *id, const char *caller);

/*
 * Wait until some job changed (started, a node moved, ended, cancelled) since *SEEN, or
 * TIMEOUT_MS went by; *SEEN (start it at 0) is moved on. 1 when something changed, else 0.
 */
int jobs_wait_change(struct api_jobs *js, uint64_t *seen, long timeout_ms);

/* Job ID as GET /jobs/{id} answers it (a new reference), or NULL when unknown. */
json_t *jobs_get_json(struct api_jobs *js, const char *id);

/* Every job kept, newest first, as GET /jobs answers it (a new reference). */
json_t *jobs_list_json(struct api_jobs *js);

unsigned jobs_running(struct api_jobs *js);

/* SIGTERM: every running job stops starting nodes; wait for them to end (recorded interrupted). */
void jobs_stop(struct api_jobs *js);

void jobs_free(struct api_jobs *js);

/* --- for run functions --- */
json_t *job_request(struct api_job *j);			/* borrowed */
struct api *job_api(struct api_job *j);
const char *job_id(struct api_job *j);
const char *job_caller(struct api_job *j);
/* The flag a use case checks between nodes (fleet.stop): set by cancel and by SIGTERM. */
volatile sig_atomic_t *job_stop_flag(struct api_job *j);
bool job_cancelled(struct api_job *j);
int job_nodes_set(struct api_job *j, const char *const *names, size_t n);
void job_node_step(struct api_job *j, size_t i, const char *step, bool done, bool ok);

#endif
