/* Bearer tokens: the store's verdict, the route's role, and a limit on failures per client. */
#include "api/api_internal.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "util/banned.h"

/* The client's slot (the oldest one is reused for a new client). Called with auth_lock held. */
static struct auth_client *client_slot(struct api *a, const char *addr, int64_t now)
{
	struct auth_client *oldest = &a->clients[0];
	size_t i;

	for (i = 0; i < AUTH_CLIENTS; i++) {
		struct auth_client *cl = &a->clients[i];

		if (strcmp(cl->addr, addr) == 0)
			return cl;
		if (cl->window_start_ms < oldest->window_start_ms)
			oldest = cl;
	}
	snprintf(oldest->addr, sizeof(oldest->addr), "%s", addr);
	oldest->failures = 0;
	oldest->window_start_ms = now;
	return oldest;
}

/* Seconds until ADDR may try again (0: it may now). */
static long blocked_for(struct api *a, const char *addr)
{
	int64_t now = clock_wall_ms();
	long s = 0;
	size_t i;

	pthread_mutex_lock(&a->auth_lock);
	for (i = 0; i < AUTH_CLIENTS; i++) {
		struct auth_client *cl = &a->clients[i];

		if (strcmp(cl->addr, addr) != 0)
			continue;
		if (now - cl->window_start_ms >= AUTH_WINDOW_MS) {
			cl->failures = 0;
			cl->window_start_ms = now;
		} else if (cl->failures >= AUTH_FAILURES_MAX) {
			s = (long)((cl->window_start_ms + AUTH_WINDOW_MS - now + 999) / 1000);
		}
		break;
	}
	pthread_mutex_unlock(&a->auth_lock);
	return s;
}

static void failed(struct api *a, const char *addr)
{
	int64_t now = clock_wall_ms();
	struct auth_client *cl;

	pthread_mutex_lock(&a->auth_lock);
	cl = client_slot(a, addr, now);
	if (now - cl->window_start_ms >= AUTH_WINDOW_MS) {
		cl->failures = 0;
		cl->window_start_ms = now;
	}
	cl->failures++;
	pthread_mutex_unlock(&a->auth_lock);
}

static int unauthorized(struct api_call *c, const char *error, const char *msg)
{
	failed(c->api, c->rq->client);
	httpd_response_header(c->res, "WWW-Authenticate", "Bearer realm=\"chimera\"%s%s%s", error ? ", error=\"" : "",
			      error ? error : "", error ? "\"" : "");
	api_error(c, 401, "unauthorized", "%s", msg);
	return -1;
}

int api_auth(struct api_call *c)
{
	const char *h = httpd_request_header(c->rq, "Authorization");
	struct token_info info;
	long wait;

	c->role = TOKEN_ROLE_NONE;
	c->caller[0] = '\0';
	if (c->route->role == TOKEN_ROLE_NONE)
		return 0;
	if ((wait = blocked_for(c->api, c->rq->client)) > 0) {
		httpd_response_header(c->res, "Retry-After", "%ld", wait);
		api_error(c, 429, "too_many_failures",
			  "too many failed authentications from %s: try again in %ld s", c->rq->client, wait);
		return -1;
	}
	if (!h || !*h)
		return unauthorized(c, NULL, "a token is needed: Authorization: Bearer TOKEN (chimera tokens create)");
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return unauthorized(c, "invalid_request", "Authorization: expected 'Bearer TOKEN'");
	switch (token_store_check(api_tokens_of(c->api), h + 7, &info)) {
	case TOKEN_OK: break;
	case TOKEN_REVOKED: return unauthorized(c, "invalid_token", "the token was revoked");
	case TOKEN_EXPIRED: return unauthorized(c, "invalid_token", "the token has expired");
	default: return unauthorized(c, "invalid_token", "unknown token");
	}
	c->role = info.role;
	snprintf(c->caller, sizeof(c->caller), "%s", info.name);
	return 0;
}
