/*
 * The web dashboard's files: GET / (the page) and GET /assets/{file}, embedded at build time
 * from web/ (CMakeLists.txt writes the table). Public, as the page must load before sign-in;
 * the data it shows comes from the API with the token the user gives it, and GET
 * /api/v1/whoami tells the page which role that token has.
 */
#include "api/api.h"
#include "api/web.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

/*
 * Only this server's own files and API: no inline script or style, no other host, no frame
 * around the page, no form posting elsewhere.
 */
#define WEB_CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " \
		"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static const char *content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* The asset's entity tag: FNV-1a 64 of its bytes, quoted (the bytes change only with the binary). */
static void etag_of(const struct api_web_asset *f, char *out, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	unsigned long i;

	for (i = 0; i < *f->len; i++) {
		h ^= (unsigned char)f->data[i];
		h *= 1099511628211ULL;
	}
	snprintf(out, len, "\"%016llx\"", (unsigned long long)h);
}

/* Whether the If-None-Match header VALUE names TAG (or is "*"). */
static bool etag_matches(const char *value, const char *tag)
{
	return value && (strcmp(value, "*") == 0 || strstr(value, tag) != NULL);
}

static void send_asset(struct api_call *c, const char *name)
{
	const struct api_web_asset *f = api_web_asset_find(name);
	char tag[24];

	if (!f) {
		api_error(c, 404, "not_found", "no dashboard file '%.100s'", name);
		return;
	}
	etag_of(f, tag, sizeof(tag));
	httpd_response_header(c->res, "Content-Security-Policy", "%s", WEB_CSP);
	httpd_response_header(c->res, "X-Frame-Options", "DENY");
	httpd_response_header(c->res, "Referrer-Policy", "no-referrer");
	/* Kept by the browser, asked again each time: a new binary's file replaces the old at once. */
	httpd_response_header(c->res, "Cache-Control", "no-cache");
	httpd_response_header(c->res, "ETag", "%s", tag);
	c->res->content_type = content_type(f->name);
	if (etag_matches(httpd_request_header(c->rq, "If-None-Match"), tag)) {
		c->res->status = 304;
		return;
	}
	c->res->status = 200;
	c->res->shared = f->data;
	c->res->shared_len = *f->len;
}

static void get_index(struct api_call *c)
{
	send_asset(c, "index.html");
}

static void get_file(struct api_call *c)
{
	send_asset(c, c->param[0]);
}

/* Who the page signed in as: the token's name and role (which actions to offer). */
static void get_whoami(struct api_call *c)
{
	api_json(c, 200, json_pack("{s:s, s:s}", "name", c->caller, "role", token_role_name(c->role)));
}

const struct api_route api_routes_web[] = {
	{ "GET", "/", TOKEN_ROLE_NONE, get_index, false },
	{ "GET", "/assets/{file}", TOKEN_ROLE_NONE, get_file, false },
	{ "GET", API_PREFIX "/whoami", TOKEN_ROLE_VIEWER, get_whoami, false },
	{ NULL, NULL, TOKEN_ROLE_NONE, NULL, false },
};

const struct api_web_asset *api_web_asset_find(const char *name)
{
	const struct api_web_asset *f;

	for (f = api_web_assets; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}
