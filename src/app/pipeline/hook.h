/* Build hooks: the POST that starts a deploy on a hosting platform (Netlify, Render), retried with back-off. */
#ifndef CHIMERA_APP_HOOK_H
#define CHIMERA_APP_HOOK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ports/http.h"

#define HOOK_URL_MAX 2048
#define HOOK_BODY_KEEP 2048		/* bytes of the response kept for the report and the ledger */
#define HOOK_TIMEOUT_MS 30000		/* default time for one attempt */
#define HOOK_RETRIES 3			/* default attempts after the first */
#define HOOK_BACKOFF_MS 1000		/* default first pause; it doubles after each attempt */

struct hook_opts {
	long timeout_ms;	/* per attempt; > 0 */
	int retries;		/* attempts after a failed first one */
	long backoff_ms;	/* the pause before retry k is backoff_ms * 2^(k-1) */
	const char *body;	/* the JSON sent; NULL sends "{}" */
};

struct hook_result {
	int ok;			/* the last attempt got a 2xx */
	int attempts;
	long status;		/* the last HTTP status, 0 when none came */
	int64_t ms;		/* all attempts and pauses */
	char url[HOOK_URL_MAX];	/* the URL as it may be shown: its secret parts masked (hook_redact) */
	/* What the last attempt saw: "HTTP 201", "HTTP 503", "connection refused", "timed out after 30000 ms". */
	char detail[512];
	char body[HOOK_BODY_KEEP + 1];	/* the start of the last response body, NUL-terminated, the
					   URL's secret parts masked as in hook_redact */
	size_t body_len;		/* its whole length, as received */
};

/*
 * URL with what makes a build hook a secret masked, for reports, logs and the ledger:
 * user information, the last path segment that is not empty (Netlify's hook id, Render's
 * service id) and the query (Render's key) become "***". Written into OUT (LEN bytes).
 */
void hook_redact(const char *url, char *out, size_t len);

/* 0 when URL is an http:// or https:// URL with a host, else ERR_INVALID naming the expected form. */
int hook_url_check(const char *url);

/*
 * POST O's body to URL (Content-Type: application/json) with H, no proxy, no redirects
 * followed. A 2xx ends it. A connection failure, a timeout, 408, 429 or 5xx is
 * retried up to o->retries times with doubling pauses; any other status is final (the URL
 * or the request is wrong, and asking again cannot help). Returns 0 with the outcome in
 * RES, ERR_INVALID for a bad URL or a NULL H, or ERR_NOMEM.
 */
int hook_post(struct http *h, const char *url, const struct hook_opts *o, struct hook_result *res);

/* RES as {url, ok, attempts, status, ms, detail, response}: a new reference, NULL when out of memory. */
json_t *hook_result_json(const struct hook_result *res);

#endif
