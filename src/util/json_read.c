/* Reading a document chimera wrote back into a struct, the first bad field being the error. */
#include "util/json_read.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

const char *json_read_type(const json_t *v)
{
	if (!v)
		return "missing";
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

int json_read_fail(struct json_read *r, const char *field, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (r->err)
		return r->err;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r->err = err_set(ERR_INVALID, "%s: field '%s' %s", r->what ? r->what : "the document", field, why);
	return r->err;
}

/*
 * Member KEY of OBJ when it has TYPE: the value; NULL for null or absent when FLAGS allow
 * it, or with the error recorded (EXPECTED names the type). NULL once an error is recorded.
 */
static const json_t *member(struct json_read *r, const json_t *obj, const char *key, int flags, json_type type,
			    const char *expected)
{
	const json_t *v;

	if (r->err)
		return NULL;
	if (!json_is_object(obj)) {
		json_read_fail(r, key, "is in %s: expected an object", json_read_type(obj));
		return NULL;
	}
	v = json_object_get(obj, key);
	if (!v && (flags & JR_ABSENT))
		return NULL;
	if (v && json_is_null(v) && (flags & JR_NULL))
		return NULL;
	if (v && (json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v))))
		return v;
	json_read_fail(r, key, "is %s: expected %s%s", json_read_type(v), expected, flags & JR_NULL ? " or null" : "");
	return NULL;
}

const char *json_read_str(struct json_read *r, const json_t *obj, const char *key, int flags)
{
	const json_t *v = member(r, obj, key, flags, JSON_STRING, "a string");

	return v ? json_string_value(v) : NULL;
}

void json_read_copy(struct json_read *r, const json_t *obj, const char *key, int flags, char *out, size_t len)
{
	const char *s = json_read_str(r, obj, key, flags);

	out[0] = '\0';
	if (!s)
		return;
	if (strlen(s) >= len) {
		json_read_fail(r, key, "is longer than %zu bytes", len - 1);
		return;
	}
	memcpy(out, s, strlen(s) + 1);
}

int64_t json_read_int(struct json_read *r, const json_t *obj, const char *key, int flags, int64_t min, int64_t max)
{
	const json_t *v = member(r, obj, key, flags, JSON_INTEGER, "an integer");
	int64_t n;

	if (!v)
		return 0;
	n = (int64_t)json_integer_value(v);
	if (n < min || n > max) {
		json_read_fail(r, key, "is %lld: expected %lld to %lld", (long long)n, (long long)min, (long long)max);
		return 0;
	}
	return n;
}

bool json_read_bool(struct json_read *r, const json_t *obj, const char *key, int flags)
{
	const json_t *v = member(r, obj, key, flags, JSON_TRUE, "true or false");

	return v && json_is_true(v);
}

const json_t *json_read_object(struct json_read *r, const json_t *obj, const char *key, int flags)
{
	return member(r, obj, key, flags, JSON_OBJECT, "an object");
}

const json_t *json_read_array(struct json_read *r, const json_t *obj, const char *key, int flags)
{
	return member(r, obj, key, flags, JSON_ARRAY, "an array");
}
