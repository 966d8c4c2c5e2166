/* The server about itself: health, the OpenAPI document, the Prometheus metrics. */
#include "api/api_internal.h"
#include "api/hub.h"
#include "api/jobs.h"
#include "api/metrics.h"

#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static void get_health(struct api_call *c)
{
	api_json(c, 200, json_pack("{s:b, s:s, s:I, s:b}", "ok", 1, "version", CHIMERA_VERSION, "head",
				   (json_int_t)hub_head(api_hub_of(c->api)), "stopping", api_stopping(c->api)));
}

static void get_openapi(struct api_call *c)
{
	char *text = malloc(api_openapi_json_len + 1);

	if (text) {
		memcpy(text, api_openapi_json, api_openapi_json_len);
		text[api_openapi_json_len] = '\0';
	}
	api_json_text(c, 200, text);
}

static void get_metrics(struct api_call *c)
{
	char *text = NULL;
	size_t len = 0;

	if (metrics_render(api_metrics_of(c->api), &text, &len) < 0 || !text) {
		api_error(c, 500, "internal", "the metrics could not be rendered");
		return;
	}
	c->res->status = 200;
	c->res->content_type = "text/plain; version=0.0.4; charset=utf-8";
	c->res->body = text;
	c->res->body_len = len;
}

const struct api_route api_routes_meta[] = {
	{ "GET", API_PREFIX "/health", TOKEN_ROLE_NONE, get_health, false },
	{ "GET", API_PREFIX "/openapi.json", TOKEN_ROLE_NONE, get_openapi, false },
	{ "GET", "/metrics", TOKEN_ROLE_VIEWER, get_metrics, false },
	{ NULL, NULL, 0, NULL, false },
};
