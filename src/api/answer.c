/* JSON answers, errors in one shape, and the request body's fields checked by name. */
#include "api/api.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "util/banned.h"

static void put_text(struct httpd_response *res, int status, char *text)
{
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
	res->content_type = "application/json";
	if (!text) {
		static const char oom[] = "{\"error\": {\"code\": \"internal\", \"message\": \"out of memory\"}}\n";

		res->status = 500;
		if ((res->body = strdup(oom)))
			res->body_len = sizeof(oom) - 1;
		return;
	}
	res->status = status;
	res->body = text;
	res->body_len = strlen(text);
}

void api_json_text(struct api_call *c, int status, char *text)
{
	size_t n;
	char *t;

	/* Documents end with a newline, as the CLI prints them. */
	if (text && ((n = strlen(text)) == 0 || text[n - 1] != '\n')) {
		if (!(t = realloc(text, n + 2))) {
			free(text);
			text = NULL;
		} else {
			t[n] = '\n';
			t[n + 1] = '\0';
			text = t;
		}
	}
	put_text(c->res, status, text);
}

void api_json(struct api_call *c, int status, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	json_decref(doc);
	api_json_text(c, status, text);
}

static __attribute__((format(printf, 4, 0))) void error_v(struct httpd_response *res, int status, const char *code,
							  const char *fmt, va_list ap)
{
	char msg[1024];
	json_t *doc;
	char *text;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* A message may quote what the client sent: bytes that are not UTF-8 are replaced. */
	doc = json_pack("{s:{s:s,s:o}}", "error", "code", code, "message", json_utf8_string(msg, strlen(msg)));
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (text) {
		size_t n = strlen(text);
		char *t = realloc(text, n + 2);

		if (t) {
			t[n] = '\n';
			t[n + 1] = '\0';
		} else {
			free(text);
		}
		text = t;
	}
	put_text(res, status, text);
}

void api_error_res(struct httpd_response *res, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_v(res, status, code, fmt, ap);
	va_end(ap);
}

void api_error(struct api_call *c, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_v(c->res, status, code, fmt, ap);
	va_end(ap);
}

int api_body(struct api_call *c, json_t **out)
{
	const char *ct = httpd_request_header(c->rq, "Content-Type");
	json_error_t e;
	json_t *doc;

	*out = NULL;
	if (ct && strncasecmp(ct, "application/json", 16) != 0) {
		api_error(c, 415, "unsupported_media_type", "Content-Type '%.100s': expected application/json", ct);
		return -1;
	}
	if (c->rq->body_len == 0) {
		*out = json_object();
		return *out ? 0 : (api_error(c, 500, "internal", "out of memory"), -1);
	}
	if (!(doc = json_loadb(c->rq->body, c->rq->body_len, JSON_REJECT_DUPLICATES, &e))) {
		api_error(c, 400, "bad_body", "the body is not JSON: %s at line %d, column %d", e.text, e.line,
			  e.column);
		return -1;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		api_error(c, 400, "bad_body", "the body must be a JSON object ({\"field\": value, ...})");
		return -1;
	}
	*out = doc;
	return 0;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

int api_field_string(struct api_call *c, json_t *body, const char *field, bool required, const char **out)
{
	json_t *v = json_object_get(body, field);

	if (!v) {
		if (!required)
			return 0;
		api_error(c, 400, "bad_field", "field '%s' is missing: expected a string", field);
		return -1;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 || strlen(json_string_value(v)) != json_string_length(v)) {
		api_error(c, 400, "bad_field", "field '%s' is %s: expected a non-empty string", field,
			  json_is_string(v) ? "empty or holds a NUL" : type_name(v));
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int api_field_bool(struct api_call *c, json_t *body, const char *field, bool *out)
{
	json_t *v = json_object_get(body, field);

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		api_error(c, 400, "bad_field", "field '%s' is %s: expected true or false", field, type_name(v));
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

int api_field_int(struct api_call *c, json_t *body, const char *field, long min, long max, long *out)
{
	json_t *v = json_object_get(body, field);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		api_error(c, 400, "bad_field", "field '%s' is %s: expected an integer from %ld to %ld", field,
			  json_is_integer(v) ? "out of range" : type_name(v), min, max);
		return -1;
	}
	*out = (long)json_integer_value(v);
	return 0;
}

/* Element I of array V as a non-empty string without commas, or NULL with the error answered. */
static const char *list_item(struct api_call *c, const char *field, json_t *v, size_t i)
{
	json_t *e = json_array_get(v, i);
	const char *s;

	if (!json_is_string(e) || !*(s = json_string_value(e)) || strchr(s, ',') ||
	    strlen(s) != json_string_length(e)) {
		api_error(c, 400, "bad_field", "field '%s'[%zu] is %s: expected a non-empty string without commas",
			  field, i, json_is_string(e) ? "empty or holds a comma" : type_name(e));
		return NULL;
	}
	return s;
}

int api_field_list(struct api_call *c, json_t *body, const char *field, bool required, char **out)
{
	json_t *v = json_object_get(body, field);
	struct buf b = BUF_INIT(HTTPD_BODY_MAX);
	size_t i;

	*out = NULL;
	if (!v && !required)
		return 0;
	if (v && json_is_string(v)) {
		const char *s = NULL;

		if (api_field_string(c, body, field, true, &s) < 0)
			return -1;
		if (!(*out = strdup(s)))
			return api_error(c, 500, "internal", "out of memory"), -1;
		return 0;
	}
	if (!v || !json_is_array(v) || json_array_size(v) == 0) {
		api_error(c, 400, "bad_field", "field '%s' is %s: expected a list of names (\"web-1,@db\" or [\"web-1\", \"@db\"])",
			  field, !v ? "missing" : json_is_array(v) ? "an empty array" : type_name(v));
		return -1;
	}
	for (i = 0; i < json_array_size(v); i++) {
		const char *s = list_item(c, field, v, i);

		if (!s || (i && buf_addc(&b, ',') < 0) || buf_adds(&b, s) < 0) {
			if (s)
				api_error(c, 413, "too_large", "field '%s' is too long", field);
			buf_release(&b);
			return -1;
		}
	}
	*out = buf_detach(&b, NULL);
	return *out ? 0 : (api_error(c, 500, "internal", "out of memory"), -1);
}

int api_query_int(struct api_call *c, const char *name, long min, long max, long *out)
{
	const char *s = httpd_request_query(c->rq, name);
	char *end;
	long v;

	if (!s)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max) {
		api_error(c, 400, "bad_query", "?%s=%.40s: expected an integer from %ld to %ld", name, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}
