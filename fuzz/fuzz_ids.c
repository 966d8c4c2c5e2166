/* Fuzz target for core/ids and core/pipeline_state: every identifier and state parser. */
#include <stdio.h>
#include <string.h>

#include "core/pipeline_state.h"
#include "core/ids.h"
#include "fuzz.h"
#include "util/err.h"

/* Each input goes to all four parsers; its raw bytes also make ids to format. */
const char *const fuzz_seeds[] = {
	"1",
	"42",
	"2147483647",
	"1000000000",
	"0123456789abcdef0123456789abcdef",
	"ffffffffffffffffffffffffffffffff",
	"00000000000000000000000000000000",
	"01ARZ3NDEKTSV4RRFFQ69G5FAV",
	"7ZZZZZZZZZZZZZZZZZZZZZZZZZ",
	"00000000000000000000000000",
	"01HQ3XK5Y1ABCDEFGHJKMNPQRS",
	"IDLE",
	"SIMULATING",
	"HEALING",
	"CERTIFYING",
	"DEPLOYING",
	"VERIFYING",
	"SUCCESS",
	"REJECTED",
	"ROLLBACK",
	"FAILED",
	/* near misses */
	"",
	"0",
	"01",
	"-1",
	"+1",
	" 1",
	"1 ",
	"2147483648",
	"4294967296",
	"99999999999",
	"1e3",
	"0x10",
	"0123456789ABCDEF0123456789abcdef",
	"0123456789abcdef0123456789abcde",
	"0123456789abcdef0123456789abcdef0",
	"0123456789abcdeg0123456789abcdef",
	"8ZZZZZZZZZZZZZZZZZZZZZZZZZ",
	"01arz3ndektsv4rrffq69g5fav",
	"01ARZ3NDEKTSV4RRFFQ69G5FAI",
	"01ARZ3NDEKTSV4RRFFQ69G5FAL",
	"01ARZ3NDEKTSV4RRFFQ69G5FAO",
	"01ARZ3NDEKTSV4RRFFQ69G5FAU",
	"01ARZ3NDEKTSV4RRFFQ69G5FA",
	"idle",
	"Idle",
	"IDLE ",
	"UNKNOWN",
	"FAILEDX",
	"FAIL",
	NULL,
};

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static bool generation_ok(const char *s, size_t len)
{
	unsigned long long v = 0;
	size_t i;

	if (len == 0 || len > 10 || s[0] == '0')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v >= 1 && v <= GENERATION_MAX;
}

static void check_generation(const char *s, size_t len)
{
	char buf[GENERATION_TEXT_MAX], small[GENERATION_TEXT_MAX];
	uint32_t g, h;
	size_t n;
	int r;

	fuzz_err_mark();
	r = generation_parse(&g, s, len);
	FUZZ_CHECK((r == 0) == generation_ok(s, len), "generation_parse returned %d", r);
	if (r != 0) {
		fuzz_check_failure("generation_parse", r, false);
		fuzz_check_quotes("bad generation", s, len);
		FUZZ_CHECK(g == 0, "failed generation_parse left %u", g);
		return;
	}
	FUZZ_CHECK(g >= 1 && g <= GENERATION_MAX, "generation %u out of range", g);
	r = generation_format(g, buf, sizeof(buf));
	FUZZ_CHECK(r == 0, "generation_format(%u) failed: %s", g, err_msg());
	n = strlen(buf);
	FUZZ_CHECK(n == len && memcmp(buf, s, len) == 0, "%u formats as '%s'", g, buf);
	FUZZ_CHECK(generation_parse(&h, buf, n) == 0 && h == g, "'%s' does not parse back",
	    buf);
	r = generation_format(g, small, n);
	FUZZ_CHECK(r == ERR_LIMIT && small[0] == '\0', "format into %zu bytes gave %d", n, r);
}

/* Any 32-bit value: formats when 1..GENERATION_MAX, and parses back to itself. */
static void check_generation_value(uint32_t g)
{
	char buf[GENERATION_TEXT_MAX];
	uint32_t h;
	int r;

	fuzz_err_mark();
	r = generation_format(g, buf, sizeof(buf));
	if (g == 0 || g > GENERATION_MAX) {
		FUZZ_CHECK(r == ERR_INVALID && buf[0] == '\0', "generation_format(%u) gave %d", g,
		    r);
		fuzz_check_failure("generation_format", r, false);
		return;
	}
	FUZZ_CHECK(r == 0, "generation_format(%u) failed: %s", g, err_msg());
	FUZZ_CHECK(generation_parse(&h, buf, strlen(buf)) == 0 && h == g,
	    "generation %u formats as '%s', which does not parse back", g, buf);
}

static void check_session(const char *s, size_t len)
{
	char buf[SESSION_ID_LEN + 1];
	struct session_id id, back;
	bool ok = len == SESSION_ID_LEN;
	size_t i;
	int r;

	for (i = 0; ok && i < len; i++)
		ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');

	fuzz_err_mark();
	r = session_id_parse(&id, s, len);
	FUZZ_CHECK((r == 0) == ok, "session_id_parse returned %d", r);
	if (r != 0) {
		fuzz_check_failure("session_id_parse", r, false);
		fuzz_check_quotes("bad session id", s, len);
		FUZZ_CHECK(fuzz_all_zero(&id, sizeof(id)), "failed session_id_parse left OUT set");
		return;
	}
	FUZZ_CHECK(session_id_format(&id, buf, sizeof(buf)) == 0, "format failed");
	FUZZ_CHECK(memcmp(buf, s, len) == 0 && buf[len] == '\0',
	    "session id formats as '%s'", buf);
	FUZZ_CHECK(session_id_parse(&back, buf, strlen(buf)) == 0 &&
	    session_id_equal(&id, &back), "'%s' does not parse back", buf);
	FUZZ_CHECK(session_id_format(&id, buf, SESSION_ID_LEN) == ERR_LIMIT && buf[0] == '\0',
	    "session id format into a short buffer");
}

/* Sixteen raw bytes as a session id: hex and back. */
static void check_session_bytes(const uint8_t *b)
{
	char buf[SESSION_ID_LEN + 1];
	struct session_id id, back;

	memcpy(id.b, b, sizeof(id.b));
	FUZZ_CHECK(session_id_format(&id, buf, sizeof(buf)) == 0, "format failed");
	FUZZ_CHECK(strlen(buf) == SESSION_ID_LEN &&
	    strspn(buf, "0123456789abcdef") == SESSION_ID_LEN, "session id text '%s'", buf);
	FUZZ_CHECK(session_id_parse(&back, buf, SESSION_ID_LEN) == 0 &&
	    session_id_equal(&id, &back), "session id '%s' does not parse back", buf);
}

static bool deployment_ok(const char *s, size_t len)
{
	size_t i;

	if (len != DEPLOYMENT_ID_LEN || s[0] < '0' || s[0] > '7')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || strchr(crockford, s[i]) == NULL)
			return false;
	}
	return true;
}

/* Text, bytes and time of ID agree with each other and with deployment_id_make. */
static void check_deployment_value(const struct deployment_id *id, char *text)
{
	struct deployment_id back, made;
	uint64_t t;

	FUZZ_CHECK(deployment_id_format(id, text, DEPLOYMENT_ID_LEN + 1) == 0, "format failed");
	FUZZ_CHECK(deployment_ok(text, strlen(text)), "deployment id text '%s'", text);
	fuzz_err_mark();
	FUZZ_CHECK(deployment_id_parse(&back, text, DEPLOYMENT_ID_LEN) == 0 &&
	    deployment_id_cmp(id, &back) == 0, "'%s' does not parse back", text);
	t = deployment_id_time_ms(id);
	FUZZ_CHECK(t <= DEPLOYMENT_ID_TIME_MAX, "time %llu over 48 bits", (unsigned long long)t);
	FUZZ_CHECK(deployment_id_make(&made, t, id->b + 6) == 0 &&
	    deployment_id_cmp(id, &made) == 0, "'%s' is not remade from its time and bytes",
	    text);
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void check_deployment(const char *s, size_t len)
{
	char buf[DEPLOYMENT_ID_LEN + 1];
	struct deployment_id id;
	int r;

	fuzz_err_mark();
	r = deployment_id_parse(&id, s, len);
	FUZZ_CHECK((r == 0) == deployment_ok(s, len), "deployment_id_parse returned %d", r);
	if (r != 0) {
		fuzz_check_failure("deployment_id_parse", r, false);
		fuzz_check_quotes("bad deployment id", s, len);
		FUZZ_CHECK(fuzz_all_zero(&id, sizeof(id)), "failed deployment_id_parse left OUT set");
		return;
	}
	check_deployment_value(&id, buf);
	FUZZ_CHECK(memcmp(buf, s, len) == 0, "deployment id formats as '%s'", buf);
	FUZZ_CHECK(deployment_id_format(&id, buf, DEPLOYMENT_ID_LEN) == ERR_LIMIT &&
	    buf[0] == '\0', "deployment id format into a short buffer");
}

/* Two ids from raw bytes sort the same way as bytes and as text. */
static void check_deployment_bytes(const uint8_t *a, const uint8_t *b)
{
	char ta[DEPLOYMENT_ID_LEN + 1], tb[DEPLOYMENT_ID_LEN + 1];
	struct deployment_id x, y;

	memcpy(x.b, a, sizeof(x.b));
	memcpy(y.b, b, sizeof(y.b));
	check_deployment_value(&x, ta);
	check_deployment_value(&y, tb);
	FUZZ_CHECK(sign(deployment_id_cmp(&x, &y)) == sign(strcmp(ta, tb)),
	    "'%s' and '%s' sort differently as bytes and as text", ta, tb);
}

static void check_state(const char *s, size_t len)
{
	enum pipeline_state st = PL_REJECTED, back;
	const char *name;
	int r, i;

	fuzz_err_mark();
	r = pipeline_state_parse(&st, s, len);
	if (r != 0) {
		fuzz_check_failure("pipeline_state_parse", r, false);
		fuzz_check_quotes("bad pipeline state", s, len);
		FUZZ_CHECK(st == PL_IDLE, "failed pipeline_state_parse left %d", (int)st);
		for (i = 0; i < PL_STATES; i++) {
			name = pipeline_state_name((enum pipeline_state)i);
			FUZZ_CHECK(strlen(name) != len || memcmp(name, s, len) != 0,
			    "state name '%s' rejected", name);
		}
		return;
	}
	FUZZ_CHECK((unsigned)st < PL_STATES, "state %d out of range", (int)st);
	name = pipeline_state_name(st);
	FUZZ_CHECK(strlen(name) == len && memcmp(name, s, len) == 0,
	    "state parses to %s", name);
	FUZZ_CHECK(pipeline_state_parse(&back, name, strlen(name)) == 0 && back == st,
	    "'%s' does not parse back", name);
	FUZZ_CHECK(pipeline_state_is_final(st) ==
	    (st == PL_SUCCESS || st == PL_REJECTED ||
	    st == PL_ROLLBACK), "%s terminal is wrong", name);
}

/* Drive the state machine with the input bytes as target states. */
static void check_transitions(const uint8_t *data, size_t size)
{
	enum pipeline_state s = PL_IDLE, before, to;
	size_t i;
	bool can;
	int r;

	for (i = 0; i < size && i < 64; i++) {
		to = (enum pipeline_state)(data[i] % (PL_STATES + 2));
		before = s;
		can = pipeline_state_can(s, to);
		fuzz_err_mark();
		r = pipeline_state_transition(&s, to);
		FUZZ_CHECK((r == 0) == can, "transition %s -> %s returned %d, can says %d",
		    pipeline_state_name(before), pipeline_state_name(to), r, can);
		if (r != 0) {
			fuzz_check_failure("pipeline_state_transition", r, false);
			FUZZ_CHECK(s == before, "failed transition moved the state");
		} else {
			FUZZ_CHECK(s == to && !pipeline_state_is_final(before),
			    "transition out of terminal %s", pipeline_state_name(before));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	uint32_t g = 0;

	fuzz_begin(data, size);
	check_generation(s, size);
	check_session(s, size);
	check_deployment(s, size);
	check_state(s, size);
	if (size >= 4) {
		memcpy(&g, data, sizeof(g));
		check_generation_value(g);
	}
	if (size >= SESSION_ID_BYTES)
		check_session_bytes(data);
	if (size >= 2 * DEPLOYMENT_ID_BYTES)
		check_deployment_bytes(data, data + DEPLOYMENT_ID_BYTES);
	check_transitions(data, size);
	return 0;
}
