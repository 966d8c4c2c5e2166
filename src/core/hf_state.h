/* HostFactory requests and machines as state machines: names, transitions, reconciliation, the protocol's words. */
#ifndef CHIMERA_CORE_HF_STATE_H
#define CHIMERA_CORE_HF_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A request's states. Transitions (anything else is refused, a state never goes to itself):
 *   pending     -> in_progress | completed | partial | failed | cancelled | timeout
 *   in_progress -> completed | partial | failed | cancelled | timeout
 *   completed, partial, failed, cancelled and timeout are terminal.
 */
enum hfs_request {
	HFS_REQ_PENDING,
	HFS_REQ_IN_PROGRESS,
	HFS_REQ_COMPLETED,
	HFS_REQ_FAILED,
	HFS_REQ_PARTIAL,
	HFS_REQ_CANCELLED,
	HFS_REQ_TIMEOUT,
	HFS_REQ_STATES,
};

/*
 * A machine's states (named as the cloud names them, "shutting-down" with a hyphen):
 *   pending       -> running | shutting-down | terminated | failed
 *   running       -> stopping | shutting-down | failed
 *   stopping      -> stopped | failed
 *   stopped       -> running | shutting-down | failed
 *   shutting-down -> terminated | returned | failed
 *   terminated, returned and failed are terminal.
 */
enum hfs_machine {
	HFS_M_PENDING,
	HFS_M_RUNNING,
	HFS_M_STOPPING,
	HFS_M_STOPPED,
	HFS_M_SHUTTING_DOWN,
	HFS_M_TERMINATED,
	HFS_M_RETURNED,
	HFS_M_FAILED,
	HFS_M_STATES,
};

/* Names: "pending", "in_progress", ...; "unknown" for values outside the enum. Static. */
const char *hfs_request_name(enum hfs_request s);
const char *hfs_machine_name(enum hfs_machine s);

/*
 * Parse LEN bytes of S as an exact, case-sensitive state name into *OUT. Returns 0, or
 * ERR_INVALID "bad request state 'S': expected one of pending, in_progress, ..." (*OUT untouched).
 */
int hfs_request_parse(const char *s, size_t len, enum hfs_request *out);
int hfs_machine_parse(const char *s, size_t len, enum hfs_machine *out);

/* Whether the table allows FROM -> TO. False for FROM == TO and values outside the enums. */
bool hfs_request_can(enum hfs_request from, enum hfs_request to);
bool hfs_machine_can(enum hfs_machine from, enum hfs_machine to);

/* True for the terminal states, which allow no transition. */
bool hfs_request_terminal(enum hfs_request s);
bool hfs_machine_terminal(enum hfs_machine s);

/*
 * Move *S to TO when the table allows it. Returns 0, or ERR_INVALID
 * "request 'FROM' cannot go to 'TO'" ("machine ..." for machines) and *S unchanged.
 */
int hfs_request_move(enum hfs_request *s, enum hfs_request to);
int hfs_machine_move(enum hfs_machine *s, enum hfs_machine to);

/* What is known of one machine of a request. */
struct hfs_machine_view {
	enum hfs_machine state;
	bool configured;	/* its configuration was deployed and activated */
	bool congruent;		/* and the node still runs what was deployed */
};

/*
 * A machine is READY when it is running, configured and congruent; it is LOST when it is
 * failed, terminated or returned (it will never serve the request). Otherwise it is OPEN.
 */
bool hfs_machine_ready(const struct hfs_machine_view *m);
bool hfs_machine_lost(enum hfs_machine s);

/*
 * Reconciliation: the state a request with the N machines M is in at time NOW (seconds),
 * DEADLINE being when it must be done (0: no deadline). The first rule that holds wins:
 *   1. N is 0                                      -> pending
 *   2. every machine is lost                       -> failed
 *   3. every machine is ready                      -> completed
 *   4. every machine is ready or lost (some each)  -> partial
 *   5. DEADLINE > 0, NOW > DEADLINE (strictly past) and some machine is open -> timeout
 *   6. every machine is in state pending           -> pending
 *   7. otherwise                                   -> in_progress
 * Pure: the caller moves the stored state there with hfs_request_move (a terminal request,
 * cancelled for one, stays as it is: the move is refused).
 */
enum hfs_request hfs_reconcile(const struct hfs_machine_view *m, size_t n, int64_t now, int64_t deadline);

/*
 * The HostFactory words. A request's status: pending and in_progress -> "running", completed ->
 * "complete", partial, failed, cancelled and timeout -> "complete_with_error".
 */
const char *hfs_request_status(enum hfs_request s);

/*
 * A machine's result in a request (provisioning): ready -> "succeed", pending or running but not
 * ready -> "executing", anything else (stopping, stopped, shutting-down, lost) -> "fail".
 * In a return request: terminated or returned -> "succeed", failed -> "fail", anything else ->
 * "executing" (still on its way out).
 */
const char *hfs_machine_result(const struct hfs_machine_view *m);
const char *hfs_return_result(enum hfs_machine s);

/* A machine's "status" string in either reply: its state's name ("shutting-down"). */
const char *hfs_machine_status(enum hfs_machine s);

#endif
