/* HostFactory requests and machines as state machines. */
#include "core/hf_state.h"
#include "util/err.h"

#include <string.h>
#include "util/banned.h"

#define REQ_FORM "expected one of pending, in_progress, completed, failed, partial, cancelled, timeout"
#define M_FORM "expected one of pending, running, stopping, stopped, shutting-down, terminated, returned, failed"

static const char *const req_names[HFS_REQ_STATES] = {
	"pending", "in_progress", "completed", "failed", "partial", "cancelled", "timeout",
};

static const char *const m_names[HFS_M_STATES] = {
	"pending", "running", "stopping", "stopped", "shutting-down", "terminated", "returned", "failed",
};

#define R(s) (1u << HFS_REQ_##s)
#define M(s) (1u << HFS_M_##s)

/* The states each state may go to, as bit sets. */
static const unsigned req_next[HFS_REQ_STATES] = {
	[HFS_REQ_PENDING] = R(IN_PROGRESS) | R(COMPLETED) | R(PARTIAL) | R(FAILED) | R(CANCELLED) | R(TIMEOUT),
	[HFS_REQ_IN_PROGRESS] = R(COMPLETED) | R(PARTIAL) | R(FAILED) | R(CANCELLED) | R(TIMEOUT),
};

static const unsigned m_next[HFS_M_STATES] = {
	[HFS_M_PENDING] = M(RUNNING) | M(SHUTTING_DOWN) | M(TERMINATED) | M(FAILED),
	[HFS_M_RUNNING] = M(STOPPING) | M(SHUTTING_DOWN) | M(FAILED),
	[HFS_M_STOPPING] = M(STOPPED) | M(FAILED),
	[HFS_M_STOPPED] = M(RUNNING) | M(SHUTTING_DOWN) | M(FAILED),
	[HFS_M_SHUTTING_DOWN] = M(TERMINATED) | M(RETURNED) | M(FAILED),
};

const char *hfs_request_name(enum hfs_request s)
{
	return (unsigned)s < HFS_REQ_STATES ? req_names[s] : "unknown";
}

const char *hfs_machine_name(enum hfs_machine s)
{
	return (unsigned)s < HFS_M_STATES ? m_names[s] : "unknown";
}

/* The index of LEN bytes of S in NAMES (N of them), or -1. */
static int find_name(const char *const *names, int n, const char *s, size_t len)
{
	int i;

	for (i = 0; s && i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

int hfs_request_parse(const char *s, size_t len, enum hfs_request *out)
{
	int i = find_name(req_names, HFS_REQ_STATES, s, len);

	if (i < 0)
		return err_bad_input("bad request state", s ? s : "", s ? len : 0, NULL, REQ_FORM);
	*out = (enum hfs_request)i;
	return 0;
}

int hfs_machine_parse(const char *s, size_t len, enum hfs_machine *out)
{
	int i = find_name(m_names, HFS_M_STATES, s, len);

	if (i < 0)
		return err_bad_input("bad machine state", s ? s : "", s ? len : 0, NULL, M_FORM);
	*out = (enum hfs_machine)i;
	return 0;
}

bool hfs_request_can(enum hfs_request from, enum hfs_request to)
{
	if ((unsigned)from >= HFS_REQ_STATES || (unsigned)to >= HFS_REQ_STATES)
		return false;
	return (req_next[from] >> to) & 1u;
}

bool hfs_machine_can(enum hfs_machine from, enum hfs_machine to)
{
	if ((unsigned)from >= HFS_M_STATES || (unsigned)to >= HFS_M_STATES)
		return false;
	return (m_next[from] >> to) & 1u;
}

bool hfs_request_terminal(enum hfs_request s)
{
	return (unsigned)s < HFS_REQ_STATES && req_next[s] == 0;
}

bool hfs_machine_terminal(enum hfs_machine s)
{
	return (unsigned)s < HFS_M_STATES && m_next[s] == 0;
}

int hfs_request_move(enum hfs_request *s, enum hfs_request to)
{
	if (!hfs_request_can(*s, to))
		return err_set(ERR_INVALID, "request '%s' cannot go to '%s'", hfs_request_name(*s),
			       hfs_request_name(to));
	*s = to;
	return 0;
}

int hfs_machine_move(enum hfs_machine *s, enum hfs_machine to)
{
	if (!hfs_machine_can(*s, to))
		return err_set(ERR_INVALID, "machine '%s' cannot go to '%s'", hfs_machine_name(*s),
			       hfs_machine_name(to));
	*s = to;
	return 0;
}

bool hfs_machine_ready(const struct hfs_machine_view *m)
{
	return m->state == HFS_M_RUNNING && m->configured && m->congruent;
}

bool hfs_machine_lost(enum hfs_machine s)
{
	return s == HFS_M_FAILED || s == HFS_M_TERMINATED || s == HFS_M_RETURNED;
}

enum hfs_request hfs_reconcile(const struct hfs_machine_view *m, size_t n, int64_t now, int64_t deadline)
{
	size_t i, ready = 0, lost = 0, pending = 0;

	if (n == 0)
		return HFS_REQ_PENDING;
	for (i = 0; i < n; i++) {
		if (hfs_machine_ready(&m[i]))
			ready++;
		else if (hfs_machine_lost(m[i].state))
			lost++;
		if (m[i].state == HFS_M_PENDING)
			pending++;
	}
	if (lost == n)
		return HFS_REQ_FAILED;
	if (ready == n)
		return HFS_REQ_COMPLETED;
	if (ready + lost == n)
		return HFS_REQ_PARTIAL;
	if (deadline > 0 && now > deadline)
		return HFS_REQ_TIMEOUT;
	if (pending == n)
		return HFS_REQ_PENDING;
	return HFS_REQ_IN_PROGRESS;
}

const char *hfs_request_status(enum hfs_request s)
{
	if (s == HFS_REQ_PENDING || s == HFS_REQ_IN_PROGRESS)
		return "running";
	return s == HFS_REQ_COMPLETED ? "complete" : "complete_with_error";
}

const char *hfs_machine_result(const struct hfs_machine_view *m)
{
	if (hfs_machine_ready(m))
		return "succeed";
	if (m->state == HFS_M_PENDING || m->state == HFS_M_RUNNING)
		return "executing";
	return "fail";
}

const char *hfs_return_result(enum hfs_machine s)
{
	if (s == HFS_M_TERMINATED || s == HFS_M_RETURNED)
		return "succeed";
	return s == HFS_M_FAILED ? "fail" : "executing";
}

const char *hfs_machine_status(enum hfs_machine s)
{
	return hfs_machine_name(s);
}
