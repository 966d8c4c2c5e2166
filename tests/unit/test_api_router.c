/* Unit tests for api/router.c and api/answer.c: the route table, {param} capture, 404/405, roles, error bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/web.h"
#include "check.h"

static int find(const char *method, const char *path, const struct api_route **r, const char **param, size_t *n,
		char *allow)
{
	static char scratch[512];

	return api_route_find(method, path, r, param, n, scratch, sizeof(scratch), allow, 64);
}

static void test_found_with_params(void **state)
{
	const struct api_route *r;
	const char *p[API_PARAMS_MAX];
	char allow[64];
	size_t n;

	(void)state;
	assert_int_equal(find("GET", "/api/v1/machines", &r, p, &n, allow), 0);
	assert_string_equal(r->pattern, "/api/v1/machines");
	assert_int_equal(n, 0);
	assert_int_equal(find("GET", "/api/v1/machines/web-1", &r, p, &n, allow), 0);
	assert_string_equal(r->pattern, "/api/v1/machines/{name}");
	assert_int_equal(n, 1);
	assert_string_equal(p[0], "web-1");
	assert_int_equal(find("DELETE", "/api/v1/jobs/01ABC", &r, p, &n, allow), 0);
	assert_string_equal(r->method, "DELETE");
	assert_string_equal(p[0], "01ABC");
	/* The dashboard: its page and its files, one flat segment each. */
	assert_int_equal(find("GET", "/", &r, p, &n, allow), 0);
	assert_string_equal(r->pattern, "/");
	assert_int_equal(find("GET", "/assets/app.js", &r, p, &n, allow), 0);
	assert_string_equal(r->pattern, "/assets/{file}");
	assert_string_equal(p[0], "app.js");
	/* /events and /events/stream are two routes, not a param. */
	assert_int_equal(find("GET", "/api/v1/events/stream", &r, p, &n, allow), 0);
	assert_string_equal(r->pattern, "/api/v1/events/stream");
	assert_int_equal(find("GET", "/api/v1/events", &r, p, &n, allow), 0);
	assert_string_equal(r->pattern, "/api/v1/events");
}

static void test_misses(void **state)
{
	static const char *const missing[] = {
		"", "//", "/assets", "/assets/", "/assets/a/b", "/index.html", "/api/v1", "/api/v1/", "/api/v1/machines/", "/api/v1/machines/a/b", "/api/v1//machines",
		"api/v1/machines", "/api/v1/machinesx", "/API/V1/MACHINES", "/api/v2/machines", "/metrics/",
	};
	const struct api_route *r;
	const char *p[API_PARAMS_MAX];
	char allow[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		assert_int_equal(find("GET", missing[i], &r, p, &n, allow), 404);
		assert_null(r);
		assert_int_equal(n, 0);
	}
}

static void test_method_not_allowed(void **state)
{
	const struct api_route *r;
	const char *p[API_PARAMS_MAX];
	char allow[64];
	size_t n;

	(void)state;
	assert_int_equal(find("DELETE", "/api/v1/machines", &r, p, &n, allow), 405);
	assert_string_equal(allow, "GET");
	assert_int_equal(find("PUT", "/api/v1/deployments", &r, p, &n, allow), 405);
	assert_non_null(strstr(allow, "GET"));
	assert_non_null(strstr(allow, "POST"));
	assert_int_equal(find("POST", "/api/v1/jobs/x", &r, p, &n, allow), 405);
	assert_non_null(strstr(allow, "DELETE"));
}

struct table_check {
	int routes, public_routes;
	char seen[128][96];
};

static void each(const struct api_route *r, void *arg)
{
	struct table_check *t = arg;
	char key[96];
	int i;

	snprintf(key, sizeof(key), "%s %s", r->method, r->pattern);
	for (i = 0; i < t->routes; i++)
		assert_string_not_equal(t->seen[i], key);	/* no route twice */
	assert_true(t->routes < 128);
	snprintf(t->seen[t->routes++], sizeof(t->seen[0]), "%s", key);
	assert_true(strncmp(r->pattern, API_PREFIX "/", strlen(API_PREFIX) + 1) == 0 || strcmp(r->pattern, "/metrics") == 0 ||
		    strcmp(r->pattern, "/") == 0 || strcmp(r->pattern, "/assets/{file}") == 0);
	assert_non_null(r->fn);
	/* What changes something needs an operator at least; reads never change. */
	if (strcmp(r->method, "GET") != 0) {
		assert_true(r->changes);
		assert_true(r->role >= TOKEN_ROLE_OPERATOR);
	} else {
		assert_false(r->changes);
	}
	if (strstr(r->pattern, "/secrets"))
		assert_int_equal(r->role, TOKEN_ROLE_ADMIN);
	if (r->role == TOKEN_ROLE_NONE) {
		t->public_routes++;
		/* The API's two public routes, and the dashboard's files (no data: the page before sign-in). */
		assert_true(strcmp(r->pattern, API_PREFIX "/health") == 0 ||
			    strcmp(r->pattern, API_PREFIX "/openapi.json") == 0 || strcmp(r->pattern, "/") == 0 ||
			    strcmp(r->pattern, "/assets/{file}") == 0);
	}
}

static void test_table(void **state)
{
	struct table_check t = { 0 };

	(void)state;
	api_routes_each(each, &t);
	assert_true(t.routes >= 20);
	assert_int_equal(t.public_routes, 4);
}

/*
 * Every file the dashboard names (/assets/NAME in its page, "./NAME.js" in its modules) is
 * one the server has, and no name it serves holds a '/'.
 */
static void test_web_assets(void **state)
{
	const struct api_web_asset *f;
	int refs = 0;

	(void)state;
	assert_non_null(api_web_asset_find("index.html"));
	assert_non_null(api_web_asset_find("app.js"));
	assert_null(api_web_asset_find(""));
	assert_null(api_web_asset_find("../index.html"));
	for (f = api_web_assets; f->name; f++) {
		const char *end = f->data + *f->len, *q;

		assert_true(*f->len > 0);
		assert_null(strchr(f->name, '/'));
		for (q = f->data; q < end; q++) {
			const char *start = NULL, *stop;
			char name[64];

			if (end - q > 8 && memcmp(q, "/assets/", 8) == 0)
				start = q + 8;
			else if (end - q > 3 && memcmp(q, "\"./", 3) == 0)
				start = q + 3;
			if (!start)
				continue;
			for (stop = start; stop < end && *stop != '"' && *stop != '/' && *stop != '`'; stop++)
				;
			if (stop >= end || *stop != '"' || (size_t)(stop - start) >= sizeof(name))
				continue;
			memcpy(name, start, (size_t)(stop - start));
			name[stop - start] = '\0';
			if (!api_web_asset_find(name))
				fail_msg("web/%s names '%s', which is not in web/", f->name, name);
			refs++;
		}
	}
	assert_true(refs >= 10);
}

static void test_error_body(void **state)
{
	struct httpd_response res = { 0 };
	json_t *doc;

	(void)state;
	/* A message quoting bytes that are not UTF-8 still gives a JSON error. */
	api_error_res(&res, 400, "bad_field", "field 'x' is '%s'", "\xff\xfe");
	assert_int_equal(res.status, 400);
	doc = json_loadb(res.body, res.body_len, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "error"), "code")), "bad_field");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(doc, "error"), "message")), "field 'x'"));
	json_decref(doc);
	free(res.body);
}

static void test_body_fields(void **state)
{
	struct httpd_request rq = { .method = "POST", .path = "/", .client = "t" };
	struct httpd_response res = { 0 };
	struct api_call c = { .rq = &rq, .res = &res };
	const char *s = NULL;
	char *list = NULL;
	json_t *doc = NULL;
	long v = 7;

	(void)state;
	rq.body = "{\"a\": 1, \"t\": [\"x\", \"y\"], \"s\": \"\"}";
	rq.body_len = strlen(rq.body);
	assert_int_equal(api_body(&c, &doc), 0);
	assert_int_equal(api_field_int(&c, doc, "a", 0, 10, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(api_field_list(&c, doc, "t", true, &list), 0);
	assert_string_equal(list, "x,y");
	free(list);
	assert_int_equal(api_field_string(&c, doc, "s", false, &s), -1);
	assert_int_equal(res.status, 400);
	assert_non_null(strstr(res.body, "field 's'"));
	free(res.body);
	res = (struct httpd_response){ 0 };
	assert_int_equal(api_field_int(&c, doc, "a", 5, 10, &v), -1);
	assert_non_null(strstr(res.body, "from 5 to 10"));
	free(res.body);
	res = (struct httpd_response){ 0 };
	json_decref(doc);
	rq.body = "{\"a\": 1, \"a\": 2}";
	rq.body_len = strlen(rq.body);
	assert_int_equal(api_body(&c, &doc), -1);
	assert_int_equal(res.status, 400);
	assert_non_null(strstr(res.body, "bad_body"));
	free(res.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found_with_params), cmocka_unit_test(test_misses),
		cmocka_unit_test(test_method_not_allowed), cmocka_unit_test(test_table),
		cmocka_unit_test(test_error_body), cmocka_unit_test(test_body_fields), cmocka_unit_test(test_web_assets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
