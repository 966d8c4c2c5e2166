/* Health checks run against one node: an HTTP GET, a TCP connect or a command in its session. */
#ifndef CHIMERA_APP_HEALTH_H
#define CHIMERA_APP_HEALTH_H

#include <jansson.h>
#include <stdint.h>

#include "core/healthspec.h"
#include "ports/executor.h"
#include "ports/http.h"

struct health_result {
	int ok;			/* the last attempt passed */
	int attempts;		/* how many were made, 1 + the retries used */
	int64_t ms;		/* wall time of all attempts and the pauses between them */
	/*
	 * What the last attempt saw: "HTTP 200", "HTTP 503 (expected 2xx)", "connection
	 * refused", "timed out after 5000 ms", "exit 1: <last line of stderr>", "no session".
	 * Printable ASCII apart from what a server or command wrote.
	 */
	char detail[512];
};

/*
 * Run SPEC for the node at HOST (put in place of {host}; an IPv6 address gets brackets in
 * a URL unless the URL has them around {host}). http and tcp checks go through H; with H
 * NULL they fail with "no http client". A cmd check runs in session S of EX with
 * the timeout rounded up to whole seconds; with EX or S NULL it fails with "no session".
 * A failed attempt is retried spec->retries times, spec->retry_delay_ms apart; a check that
 * cannot run at all (no session, address too long) is not. Safe to call from many threads
 * at once. Returns 0 with the outcome in RES, pass or fail, or ERR_NOMEM (RES then says so).
 */
int health_run(const struct health_spec *spec, const char *host, struct http *h, struct executor *ex,
	       struct exec_session *s, struct health_result *res);

/*
 * RES as {"check": spec text, "ok": bool, "attempts": n, "ms": n, "detail": text}, bytes
 * that are not UTF-8 replaced. Returns a new reference for the caller, or NULL when out of
 * memory.
 */
json_t *health_result_json(const struct health_spec *spec, const struct health_result *res);

#endif
