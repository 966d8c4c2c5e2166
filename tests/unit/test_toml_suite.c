/* The toml-test conformance suite (TOML 1.0.0 list) against formats/toml, read from ../shared. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/toml.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

/* Where the suite's tests/ directory is: $SHARED_DIR, else ../shared next to the project root. */
static void suite_dir(char *dst, size_t n)
{
	const char *shared = getenv("SHARED_DIR");
	char root[4096];
	char *slash;
	int up;

	if (shared && *shared) {
		snprintf(dst, n, "%s/conformance/toml-test/tests", shared);
		return;
	}
	/* this file is <root>/tests/unit/test_toml_suite.c */
	snprintf(root, sizeof(root), "%s", __FILE__);
	for (up = 0; up < 3 && (slash = strrchr(root, '/')); up++)
		*slash = '\0';
	if (up == 3)
		snprintf(dst, n, "%s/../shared/conformance/toml-test/tests", root);
	else
		snprintf(dst, n, "../shared/conformance/toml-test/tests");
}

/* Days from 1970-01-01 to Y-M-D in the proleptic Gregorian calendar. */
static long days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * A date/time text in a form two texts of the same moment share: 'T' and 'Z' upper case,
 * the fraction without trailing zeros, and an offset date-time as seconds since the epoch
 * in UTC (toml-test compares offset date-times as instants).
 */
static void datetime_key(const char *type, const char *s, char *dst, size_t n)
{
	char t[128], frac[16] = "";
	size_t i, k = 0;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, used = 0;
	char *dot, *end;

	for (i = 0; s[i] && k + 1 < sizeof(t); i++)
		t[k++] = (char)(s[i] == ' ' ? 'T' : toupper((unsigned char)s[i]));
	t[k] = '\0';
	if ((dot = strchr(t, '.'))) {
		end = dot + 1;
		for (k = 0; isdigit((unsigned char)*end); end++)
			if (k + 1 < sizeof(frac))
				frac[k++] = *end;
		frac[k] = '\0';
		while (k > 0 && frac[k - 1] == '0')
			frac[--k] = '\0';
		memmove(dot, end, strlen(end) + 1);
	}
	if (strcmp(type, "datetime") != 0 ||
	    sscanf(t, "%d-%d-%dT%d:%d:%d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6) {
		snprintf(dst, n, "%s|%s", t, frac);
		return;
	}
	if (t[used] == '+' || t[used] == '-') {
		sscanf(t + used + 1, "%d:%d", &oh, &om);
		if (t[used] == '-') {
			oh = -oh;
			om = -om;
		}
	}
	snprintf(dst, n, "%ld|%s", days_from_civil(y, mo, d) * 86400L + h * 3600L + mi * 60L + sec -
		 oh * 3600L - om * 60L, frac);
}

static bool is_typed(json_t *j)
{
	return json_is_object(j) && json_object_size(j) == 2 && json_is_string(json_object_get(j, "type")) &&
	       json_is_string(json_object_get(j, "value"));
}

/* WANT and HAVE hold the same TOML data: floats compared as numbers, date/times as moments. */
static bool same(json_t *want, json_t *have)
{
	const char *key;
	json_t *w;
	size_t i;

	if (is_typed(want)) {
		const char *type = json_string_value(json_object_get(want, "type"));
		const char *wv = json_string_value(json_object_get(want, "value"));
		const char *hv;

		if (!is_typed(have) || strcmp(type, json_string_value(json_object_get(have, "type"))) != 0)
			return false;
		hv = json_string_value(json_object_get(have, "value"));
		if (strcmp(type, "float") == 0) {
			double a = strtod(wv, NULL), b = strtod(hv, NULL);

			return (isnan(a) && isnan(b)) || a == b;
		}
		if (strcmp(type, "datetime") == 0 || strcmp(type, "datetime-local") == 0 ||
		    strcmp(type, "date-local") == 0 || strcmp(type, "time-local") == 0) {
			char a[160], b[160];

			datetime_key(type, wv, a, sizeof(a));
			datetime_key(type, hv, b, sizeof(b));
			return strcmp(a, b) == 0;
		}
		return json_equal(json_object_get(want, "value"), json_object_get(have, "value"));
	}
	if (json_is_object(want)) {
		if (!json_is_object(have) || json_object_size(want) != json_object_size(have))
			return false;
		json_object_foreach(want, key, w) {
			json_t *h = json_object_get(have, key);

			if (!h || !same(w, h))
				return false;
		}
		return true;
	}
	if (json_is_array(want)) {
		if (!json_is_array(have) || json_array_size(want) != json_array_size(have))
			return false;
		for (i = 0; i < json_array_size(want); i++) {
			if (!same(json_array_get(want, i), json_array_get(have, i)))
				return false;
		}
		return true;
	}
	return false;
}

/*
 * JSON TEXT with every \u0000 escape in a string turned into \uFFFF\uFFFE, for jansson
 * cannot load keys holding NUL. Both sides get the same change, and that pair of
 * noncharacters is in no test. Returns a malloc'd string.
 */
static char *mask_nul(const char *text)
{
	struct buf b = BUF_INIT(0);
	bool in_string = false;
	const char *p;

	for (p = text; *p; p++) {
		if (*p == '"') {
			in_string = !in_string;
		} else if (in_string && *p == '\\') {
			if (strncmp(p + 1, "u0000", 5) == 0) {
				buf_adds(&b, "\\uFFFF\\uFFFE");
				p += 5;
				continue;
			}
			buf_add(&b, p, 2);
			p++;
			continue;
		}
		buf_addc(&b, *p);
	}
	return buf_detach(&b, NULL);
}

/* Load JSON TEXT with NUL escapes masked (see mask_nul), or NULL. */
static json_t *load_json(const char *text)
{
	char *masked = mask_nul(text);
	json_error_t jerr;
	json_t *j = masked ? json_loads(masked, 0, &jerr) : NULL;

	if (!j)
		printf("bad json: %s\n", masked ? jerr.text : "out of memory");
	free(masked);
	return j;
}

/* A message must start "LINE:COL: " with both numbers at least 1. */
static bool has_position(const char *msg)
{
	unsigned line = 0, col = 0;
	int used = 0;

	return sscanf(msg, "%u:%u: %n", &line, &col, &used) == 2 && used > 0 && line > 0 && col > 0;
}

/* Run one case; returns true when it passes, else prints why. */
static bool run_case(const char *dir, const char *name)
{
	char path[4096];
	struct buf src = BUF_INIT(0), out = BUF_INIT(0);
	struct toml_doc *doc = NULL;
	json_t *want = NULL, *have = NULL;
	bool valid = strncmp(name, "valid/", 6) == 0, ok = false;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (fs_read_file(path, &src) < 0) {
		printf("FAIL %s: cannot read: %s\n", name, err_msg());
		goto out;
	}
	err_clear();
	r = toml_parse(src.data, src.len, &doc);
	if (!valid) {
		if (r == 0)
			printf("FAIL %s: accepted\n", name);
		else if (r != ERR_INVALID && r != ERR_LIMIT)
			printf("FAIL %s: returned %d (%s)\n", name, r, err_msg());
		else if (!has_position(err_msg()))
			printf("FAIL %s: message without LINE:COL: %s\n", name, err_msg());
		else
			ok = true;
		goto out;
	}
	if (r < 0) {
		printf("FAIL %s: rejected: %s\n", name, err_msg());
		goto out;
	}
	if (toml_to_json(doc, &out) < 0 || !(have = load_json(out.data))) {
		printf("FAIL %s: no json output: %s\n", name, err_msg());
		goto out;
	}
	snprintf(path + strlen(path) - 5, 6, ".json");
	buf_reset(&src);
	if (fs_read_file(path, &src) < 0 || !(want = load_json(src.data))) {
		printf("FAIL %s: cannot load %s: %s\n", name, path, err_msg());
		goto out;
	}
	if (!same(want, have)) {
		printf("FAIL %s: got %s\n", name, out.data);
		goto out;
	}
	ok = true;
out:
	json_decref(want);
	json_decref(have);
	toml_doc_free(doc);
	buf_release(&src);
	buf_release(&out);
	return ok;
}

static void test_toml_1_0_0(void **state)
{
	char dir[4096], list[4200];
	struct buf names = BUF_INIT(0);
	unsigned vpass = 0, vall = 0, ipass = 0, iall = 0;
	char *line, *next;

	suite_dir(dir, sizeof(dir));
	snprintf(list, sizeof(list), "%s/files-toml-1.0.0", dir);
	if (fs_read_file(list, &names) < 0)
		fail_msg("toml-test suite not found: %s", err_msg());
	for (line = names.data; line && *line; line = next) {
		size_t len;

		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		len = strlen(line);
		if (len < 5 || strcmp(line + len - 5, ".toml") != 0)
			continue;
		if (strncmp(line, "valid/", 6) == 0) {
			vall++;
			vpass += run_case(dir, line);
		} else if (strncmp(line, "invalid/", 8) == 0) {
			iall++;
			ipass += run_case(dir, line);
		}
	}
	buf_release(&names);
	printf("toml-test 1.0.0: valid %u/%u, invalid %u/%u\n", vpass, vall, ipass, iall);
	assert_true(vall > 0 && iall > 0);
	assert_int_equal(vpass, vall);
	assert_int_equal(ipass, iall);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_toml_1_0_0),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
