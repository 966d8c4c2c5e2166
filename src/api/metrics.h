/*
 * The server's Prometheus metrics: counters and histograms fed by the hub (each ledger
 * event, in seq order), the router (each request) and the watch (each round), rendered as
 * Prometheus text format 0.0.4 that `promtool check metrics` accepts. Thread-safe.
 */
#ifndef CHIMERA_API_METRICS_H
#define CHIMERA_API_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/chain.h"

struct api_metrics;

struct api_metrics *metrics_new(void);
void metrics_free(struct api_metrics *m);

/*
 * One ledger event: counts it by topic (chimera_ledger_events_total), sets the head
 * (chimera_ledger_head_seq), and reads what it carries: watch.round's seconds into
 * chimera_watch_round_seconds, a node step's seconds into chimera_deploy_step_seconds{step},
 * heals (watch.node.healed / watch.node.heal_failed) into chimera_heals_total{result},
 * chimera.deploy.complete into chimera_deployments_total{result}.
 */
void metrics_event(struct api_metrics *m, const struct ledger_event *ev);

/* The ledger's head as the server starts (chimera_ledger_head_seq before any new event). */
void metrics_head(struct api_metrics *m, int64_t seq);

/* One answered request: chimera_api_requests_total{route,code} and chimera_api_request_seconds{route}. */
void metrics_request(struct api_metrics *m, const char *route, int code, double seconds);

/* Nodes by state now (chimera_nodes{state}): congruent, drifted, unreachable, quarantined, and the rest as unknown. */
struct metrics_nodes {
	unsigned congruent, drifted, unreachable, quarantined, unknown;
};
void metrics_nodes(struct api_metrics *m, const struct metrics_nodes *n);

/* Gauges the server sets: open connections and SSE subscribers, running jobs. */
void metrics_gauge(struct api_metrics *m, const char *name, double value);

/* Whether metrics_gauge takes NAME: chimera_api_connections, chimera_sse_subscribers, chimera_jobs_running (others are ignored). */
int metrics_gauge_known(const char *name);

/* The whole exposition (with process_* figures read from /proc/self) as malloc'd text into *OUT. */
int metrics_render(struct api_metrics *m, char **out, size_t *len);

#endif
