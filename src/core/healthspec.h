/* Health check specs as written after --check: http:URL[=STATUS], tcp:HOST:PORT, cmd:COMMAND. */
#ifndef CHIMERA_CORE_HEALTHSPEC_H
#define CHIMERA_CORE_HEALTHSPEC_H

#include <stddef.h>

#define HEALTH_URL_MAX 2048	/* longest URL, as written */
#define HEALTH_HOST_MAX 255	/* longest tcp HOST, as written, without brackets */
#define HEALTH_CMD_MAX 4096	/* longest command */
#define HEALTH_TEXT_MAX (4 + HEALTH_CMD_MAX)	/* longest spec: "cmd:" and the longest command */

#define HEALTH_TIMEOUT_MS 5000	/* default time for one attempt */
#define HEALTH_RETRIES 2	/* default extra attempts after a failure */
#define HEALTH_RETRY_DELAY_MS 1000	/* default pause between attempts */

/* Stands for the node's address in a URL or tcp HOST; health_expand replaces it. */
#define HEALTH_HOST_PLACEHOLDER "{host}"

enum health_kind { HEALTH_HTTP, HEALTH_TCP, HEALTH_CMD };

struct health_spec {
	enum health_kind kind;
	char text[HEALTH_TEXT_MAX + 1];	/* the spec as the user wrote it, for reports */
	char url[HEALTH_URL_MAX + 1];	/* http: http:// or https://, may hold {host} */
	int want_status;		/* http: 100-599, or 0 for any 2xx */
	char host[HEALTH_HOST_MAX + 1];	/* tcp: name, IPv4 or IPv6 (no brackets), may hold {host} */
	unsigned port;			/* tcp: 1-65535 */
	char cmd[HEALTH_CMD_MAX + 1];	/* cmd: a shell command line, run as is */
	long timeout_ms;		/* per attempt; <= 0: no limit of the check's own */
	int retries;			/* extra attempts after a failure; < 0 counts as 0 */
	long retry_delay_ms;		/* between attempts */
};

/*
 * Parse TEXT (NUL-terminated) into OUT (cleared first), with the default timeout, retries
 * and delay. In http, only a final '=' followed by exactly three digits is the status; any
 * other '=' belongs to the URL. Returns 0, or ERR_INVALID with a message quoting TEXT and
 * naming the expected form; OUT is then left empty.
 */
int health_spec_parse(const char *text, struct health_spec *out);

/*
 * Write IN into OUT (LEN bytes) with each {host} replaced by HOST (may be NULL when IN has
 * no {host}). Returns 0, ERR_LIMIT when the result does not fit, or ERR_INVALID when IN has
 * {host} and HOST is NULL; OUT is then "".
 */
int health_expand(const char *in, const char *host, char *out, size_t len);

#endif
