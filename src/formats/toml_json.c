/* A parsed TOML document as toml-test's typed JSON, built through the public toml.h API. */
#include "formats/toml.h"
#include "util/err.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* The shortest "%g" text that reads back as F exactly; inf, -inf and nan as toml-test writes them. */
static void format_float(double f, char *dst, size_t n)
{
	int prec;

	if (isnan(f)) {
		snprintf(dst, n, "nan");
		return;
	}
	if (isinf(f)) {
		snprintf(dst, n, "%s", f > 0 ? "inf" : "-inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(dst, n, "%.*g", prec, f);
		if (strtod(dst, NULL) == f)
			return;
	}
}

/*
 * A date/time kind the way toml-test writes it: 'T' between date and time, 'Z' for UTC,
 * and a fraction of at least millisecond width (as written beyond that, up to 9 digits).
 */
static void format_datetime(enum toml_type t, const struct toml_datetime *dt, char *dst, size_t n)
{
	size_t len = 0;

	if (t != TOML_TIME_LOCAL)
		len += (size_t)snprintf(dst + len, n - len, "%04d-%02d-%02d", dt->year, dt->month, dt->day);
	if (t == TOML_DATE_LOCAL)
		return;
	if (t != TOML_TIME_LOCAL)
		dst[len++] = 'T';
	len += (size_t)snprintf(dst + len, n - len, "%02d:%02d:%02d", dt->hour, dt->minute, dt->second);
	if (dt->frac_digits > 0) {
		int width = dt->frac_digits < 3 ? 3 : dt->frac_digits;
		uint32_t frac = dt->nanosecond;
		int d;

		for (d = width; d < 9; d++)
			frac /= 10;
		len += (size_t)snprintf(dst + len, n - len, ".%0*u", width, (unsigned)frac);
	}
	if (t == TOML_DATETIME) {
		int off = dt->offset_minutes < 0 ? -dt->offset_minutes : dt->offset_minutes;

		if (dt->offset_z)
			snprintf(dst + len, n - len, "Z");
		else
			snprintf(dst + len, n - len, "%c%02d:%02d", dt->offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
	}
}

/* {"type": TYPE, "value": VALUE}, or NULL when out of memory. */
static json_t *typed(const char *type, const char *value, size_t len)
{
	json_t *o = json_object();

	/* json_object_set_new takes the value even when it fails, and refuses a NULL one */
	if (!o || json_object_set_new(o, "type", json_string(type)) < 0 ||
	    json_object_set_new(o, "value", json_stringn(value, len)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* V as typed JSON (a new reference), or NULL when out of memory. */
static json_t *to_json(const struct toml_value *v)
{
	struct toml_datetime dt;
	const char *s, *key;
	json_t *j, *e;
	size_t i, len;
	char text[64];
	int64_t n;
	double f;
	bool b;

	switch (toml_type(v)) {
	case TOML_STRING:
		toml_get_string(v, &s, &len);
		return typed("string", s, len);
	case TOML_INTEGER:
		toml_get_int(v, &n);
		snprintf(text, sizeof(text), "%lld", (long long)n);
		return typed("integer", text, strlen(text));
	case TOML_FLOAT:
		toml_get_float(v, &f);
		format_float(f, text, sizeof(text));
		return typed("float", text, strlen(text));
	case TOML_BOOL:
		toml_get_bool(v, &b);
		return typed("bool", b ? "true" : "false", b ? 4 : 5);
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		toml_get_datetime(v, &dt);
		format_datetime(toml_type(v), &dt, text, sizeof(text));
		return typed(toml_type(v) == TOML_DATETIME ? "datetime" :
			     toml_type(v) == TOML_DATETIME_LOCAL ? "datetime-local" :
			     toml_type(v) == TOML_DATE_LOCAL ? "date-local" : "time-local", text, strlen(text));
	case TOML_ARRAY:
		if (!(j = json_array()))
			return NULL;
		for (i = 0; i < toml_array_len(v); i++) {
			if (!(e = to_json(toml_array_get(v, i))) || json_array_append_new(j, e) < 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	case TOML_TABLE:
		if (!(j = json_object()))
			return NULL;
		for (i = 0; i < toml_table_len(v); i++) {
			const struct toml_value *x = toml_table_at(v, i, &key, &len);

			if (!(e = to_json(x)) || json_object_setn_new(j, key, len, e) < 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	}
	return NULL;
}

int toml_to_json(const struct toml_doc *doc, struct buf *out)
{
	json_t *j = to_json(toml_doc_root(doc));
	char *s = NULL;
	int r = 0;

	if (!j || !(s = json_dumps(j, JSON_INDENT(2)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = buf_adds(out, s)) < 0 || (r = buf_addc(out, '\n')) < 0)
		r = r == ERR_NOMEM ? err_set(r, "out of memory") : err_set(r, "json output too big");
out:
	free(s);
	json_decref(j);
	return r;
}
