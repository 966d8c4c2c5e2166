/* Repairs of a node's store without a binary cache: registered paths whose files are gone or changed, restored from the controller's copy. */
#ifndef CHIMERA_APP_FLEET_REPAIR_H
#define CHIMERA_APP_FLEET_REPAIR_H

#include "ports/executor.h"

struct deploy_job;
struct deploy_node;

/*
 * Deploy's copy found paths gone from the node's disk yet registered ("chimera-stale P..."
 * in RES, which `nix-store --import` passes by): restore each in place from the
 * controller's `nix-store --dump` (remote_store_restore), keeping its registration, so the
 * node's command can run again. Records node.store.repaired (was "gone") per path. 0, or
 * an error with N->fail filled (step copy) naming the path and why.
 */
int deploy_repair_stale(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
			struct exec_result *res);

/*
 * Before the node's steps (deploy --repair, or a watch heal after `nix-store
 * --verify-path` failed): find the closure paths on the node whose files differ from their
 * registration (remote_store_scan) and restore each as above (was "modified"). Returns
 * how many were repaired, or an error with N->fail filled (step check or copy).
 */
int deploy_repair_closure(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s);

#endif
