/* The rules of node leases that need no I/O. */
#include "core/lease.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

bool lease_pid_alive(const char *holder_host, int64_t holder_start, const char *my_host, bool pid_found,
		     int64_t start_now)
{
	if (!holder_host || !my_host || strcmp(holder_host, my_host) != 0)
		return true;
	return pid_found && start_now == holder_start;
}

const char *lease_kind_noun(const char *kind)
{
	if (!kind || !kind[0])
		return "operation";
	return strcmp(kind, "deploy") == 0 ? "deployment" : kind;
}

int lease_held_message(char *buf, size_t len, const char *node, const char *kind, const char *op, int64_t pid,
		       const char *host, int64_t since_ms)
{
	int64_t s = since_ms >= 0 ? (since_ms / 1000) % 86400 : 0;

	return snprintf(buf, len, "node %s is held by %s %s (pid %lld on %s since %02d:%02d:%02d)", node,
			lease_kind_noun(kind), op, (long long)pid, host, (int)(s / 3600), (int)(s / 60 % 60),
			(int)(s % 60));
}

int64_t lease_backoff_ms(unsigned attempt)
{
	int64_t ms = 50;

	while (attempt-- > 0 && ms < 500)
		ms *= 2;
	return ms > 500 ? 500 : ms;
}

const char *lease_node_state(const char *current, const char *new_path, const char *old_path)
{
	if (!current || !current[0])
		return "none";
	if (new_path && strcmp(current, new_path) == 0)
		return "new";
	if (old_path && old_path[0] && strcmp(current, old_path) == 0)
		return "old";
	return "other";
}
