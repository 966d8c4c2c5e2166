/* Unit tests for app/auth: API tokens in a temporary state dir, the token store a server checks, their ledger events. */
#include "check.h"

#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/auth/tokens.h"
#include "runtime/ledger_open.h"
#include "util/clock.h"
#include "util/hash.h"

static char state[4096];

static int setup(void **st)
{
	(void)st;
	return scratch_make(state, sizeof(state), "tokens");
}

static int teardown(void **st)
{
	(void)st;
	fs_rm_rf(state);
	return 0;
}

static void file_path(char *out, size_t len, const char *leaf)
{
	snprintf(out, len, "%s/%s", state, leaf);
}

/* The text of STATE/tokens.json into OUT (released by the caller). */
static void read_tokens_file(struct buf *out)
{
	char path[8192];

	file_path(path, sizeof(path), "tokens.json");
	buf_init(out, 0);
	assert_int_equal(fs_read_file(path, out), 0);
}

/* Create NAME with ROLE and lifetime EXPIRES_MS, asserting it worked; the token into TOKEN. */
static void create_ok(const char *name, enum token_role role, int64_t expires_ms, char token[TOKEN_TEXT_MAX])
{
	struct token_info info;

	if (tokens_create(state, NULL, name, role, expires_ms, token, &info) != 0)
		fail_msg("create %s: %s", name, err_msg());
	assert_string_equal(info.name, name);
}

static void test_create_list_revoke(void **st)
{
	char token[TOKEN_TEXT_MAX], again[TOKEN_TEXT_MAX];
	struct token_info info, *t = NULL;
	int64_t before = clock_wall_ms();
	size_t n = 0, i;

	(void)st;
	assert_int_equal(tokens_list(state, &t, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(tokens_create(state, NULL, "ci", TOKEN_ROLE_OPERATOR, 30LL * 86400000, token, &info), 0);
	assert_int_equal(strlen(token), 47);
	assert_memory_equal(token, "chm_", 4);
	for (i = 4; i < 47; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", token[i]));
	assert_int_equal(info.role, TOKEN_ROLE_OPERATOR);
	assert_true(info.created_ms >= before && info.created_ms <= clock_wall_ms());
	assert_int_equal(info.expires_ms, info.created_ms + 30LL * 86400000);
	assert_int_equal(info.revoked, 0);

	assert_int_equal(tokens_list(state, &t, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(t[0].name, "ci");
	assert_int_equal(t[0].role, TOKEN_ROLE_OPERATOR);
	assert_int_equal(t[0].created_ms, info.created_ms);
	assert_int_equal(t[0].expires_ms, info.expires_ms);
	assert_int_equal(t[0].last_used_ms, 0);
	free(t);

	assert_int_equal(tokens_revoke(state, NULL, "ci"), 0);
	assert_int_equal(tokens_revoke(state, NULL, "ci"), ERR_NOTFOUND);
	assert_contains(err_msg(), "'ci'");
	assert_int_equal(tokens_revoke(state, NULL, "nobody"), ERR_NOTFOUND);
	assert_contains(err_msg(), "no token named 'nobody'");

	/* The name of a revoked token may be used again; the old row stays, revoked. */
	create_ok("ci", TOKEN_ROLE_ADMIN, 0, again);
	assert_string_not_equal(again, token);
	assert_int_equal(tokens_list(state, &t, &n), 0);
	assert_int_equal(n, 2);
	assert_true(t[0].revoked && t[0].revoked_ms >= info.created_ms);
	assert_int_equal(t[0].role, TOKEN_ROLE_OPERATOR);
	assert_false(t[1].revoked);
	assert_int_equal(t[1].role, TOKEN_ROLE_ADMIN);
	assert_int_equal(t[1].expires_ms, 0);
	free(t);
}

static void test_file_keeps_only_the_hash(void **st)
{
	char token[TOKEN_TEXT_MAX], path[8192], hex[SHA3_256_HEX];
	uint8_t d[SHA3_256_LEN];
	struct buf text;
	struct stat sb;
	struct dirent *e;
	DIR *dir;

	(void)st;
	create_ok("deploy-bot", TOKEN_ROLE_OPERATOR, 0, token);
	create_ok("reader", TOKEN_ROLE_VIEWER, 0, token);
	read_tokens_file(&text);
	assert_null(strstr(text.data, token));
	assert_null(strstr(text.data, token + 4));	/* not even the random part */
	assert_int_equal(sha3_256(token, strlen(token), d), 0);
	hex_encode(d, sizeof(d), hex);
	assert_contains(text.data, hex);
	buf_release(&text);

	file_path(path, sizeof(path), "tokens.json");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	file_path(path, sizeof(path), "tokens.lock");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* The temporary file was renamed over it: nothing else is left behind. */
	assert_non_null(dir = opendir(state));
	while ((e = readdir(dir)))
		assert_true(e->d_name[0] == '.' || strcmp(e->d_name, "tokens.json") == 0 ||
			    strcmp(e->d_name, "tokens.lock") == 0);
	closedir(dir);
}

static void test_duplicate_name_refused(void **st)
{
	char token[TOKEN_TEXT_MAX], other[TOKEN_TEXT_MAX];
	struct token_info *t = NULL;
	size_t n = 0;

	(void)st;
	create_ok("ops", TOKEN_ROLE_ADMIN, 0, token);
	assert_int_equal(tokens_create(state, NULL, "ops", TOKEN_ROLE_VIEWER, 0, other, NULL), ERR_EXISTS);
	assert_contains(err_msg(), "'ops'");
	assert_string_equal(other, "");
	assert_int_equal(tokens_list(state, &t, &n), 0);
	assert_int_equal(n, 1);
	free(t);

	/* An expired token's name is free again. */
	create_ok("short", TOKEN_ROLE_VIEWER, 1, token);
	clock_sleep_ms(5);
	create_ok("short", TOKEN_ROLE_VIEWER, 0, other);
}

static void test_bad_names_roles_durations(void **st)
{
	static const char *const bad_names[] = { "", "a b", "x/../y", "tab\there", "é", "semi;colon",
						 "0123456789012345678901234567890123456789012345678901234567890123" };
	static const char *const good_names[] = { "a", "CI_bot-2.prod", "012345678901234567890123456789012345678901234567890123456789012" };
	static const char *const bad_durations[] = { "3x", "", "d", "30", "0d", "-1d", "30dd", "1.5h", "1000000w", "never!",
						     "99999999999999999999s" };
	char token[TOKEN_TEXT_MAX];
	struct token_info *t = NULL;
	enum token_role role;
	int64_t ms;
	size_t i, n = 1;

	(void)st;
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		assert_int_equal(token_name_check(bad_names[i]), ERR_INVALID);
		assert_quotes("bad token name", bad_names[i], strlen(bad_names[i]));
		assert_contains(err_msg(), "A-Z, a-z, 0-9");
		assert_int_equal(tokens_create(state, NULL, bad_names[i], TOKEN_ROLE_VIEWER, 0, token, NULL), ERR_INVALID);
		assert_quotes("bad token name", bad_names[i], strlen(bad_names[i]));
	}
	for (i = 0; i < sizeof(good_names) / sizeof(good_names[0]); i++)
		assert_int_equal(token_name_check(good_names[i]), 0);

	assert_int_equal(token_role_parse("root", &role), ERR_INVALID);
	assert_contains(err_msg(), "bad role 'root': expected viewer, operator or admin");
	assert_int_equal(token_role_parse("none", &role), ERR_INVALID);
	assert_int_equal(token_role_parse("Admin", &role), ERR_INVALID);
	assert_int_equal(token_role_parse("operator", &role), 0);
	assert_int_equal(role, TOKEN_ROLE_OPERATOR);
	assert_string_equal(token_role_name(TOKEN_ROLE_ADMIN), "admin");
	assert_int_equal(tokens_create(state, NULL, "x", TOKEN_ROLE_NONE, 0, token, NULL), ERR_INVALID);
	assert_contains(err_msg(), "viewer, operator or admin");
	assert_int_equal(tokens_create(state, NULL, "x", TOKEN_ROLE_VIEWER, -5, token, NULL), ERR_INVALID);
	assert_contains(err_msg(), "bad lifetime -5 ms for token 'x'");
	assert_int_equal(tokens_list(state, &t, &n), 0);
	assert_int_equal(n, 0);	/* none of these made a token */
	free(t);

	for (i = 0; i < sizeof(bad_durations) / sizeof(bad_durations[0]); i++) {
		assert_int_equal(token_duration_parse("bad --expires", bad_durations[i], &ms), ERR_INVALID);
		assert_quotes("bad --expires", bad_durations[i], strlen(bad_durations[i]));
		assert_contains(err_msg(), "s, m, h, d or w");
	}
	assert_int_equal(token_duration_parse("bad --expires", "30d", &ms), 0);
	assert_int_equal(ms, 30LL * 86400 * 1000);
	assert_int_equal(token_duration_parse("bad --expires", "90s", &ms), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(token_duration_parse("bad --expires", "5m", &ms), 0);
	assert_int_equal(ms, 300000);
	assert_int_equal(token_duration_parse("bad --expires", "12h", &ms), 0);
	assert_int_equal(ms, 12LL * 3600000);
	assert_int_equal(token_duration_parse("bad --expires", "2w", &ms), 0);
	assert_int_equal(ms, 14LL * 86400000);
	assert_int_equal(token_duration_parse("bad --expires", "never", &ms), 0);
	assert_int_equal(ms, 0);
}

static void test_verdicts(void **st)
{
	char ok[TOKEN_TEXT_MAX], gone[TOKEN_TEXT_MAX], old[TOKEN_TEXT_MAX], forged[TOKEN_TEXT_MAX];
	struct token_store *s = NULL;
	struct token_info info;
	int64_t before;

	(void)st;
	create_ok("good", TOKEN_ROLE_OPERATOR, 3600000, ok);
	create_ok("gone", TOKEN_ROLE_ADMIN, 0, gone);
	create_ok("old", TOKEN_ROLE_VIEWER, 1, old);
	assert_int_equal(tokens_revoke(state, NULL, "gone"), 0);
	clock_sleep_ms(5);
	assert_int_equal(token_store_open(state, &s), 0);

	before = clock_wall_ms();
	assert_int_equal(token_store_check(s, ok, &info), TOKEN_OK);
	assert_string_equal(info.name, "good");
	assert_int_equal(info.role, TOKEN_ROLE_OPERATOR);
	assert_true(info.last_used_ms >= before);
	assert_int_equal(token_store_check(s, ok, NULL), TOKEN_OK);
	assert_int_equal(token_store_check(s, gone, &info), TOKEN_REVOKED);
	assert_int_equal(info.role, TOKEN_ROLE_NONE);
	assert_int_equal(token_store_check(s, old, &info), TOKEN_EXPIRED);

	memcpy(forged, ok, sizeof(forged));
	forged[20] = forged[20] == 'A' ? 'B' : 'A';
	assert_int_equal(token_store_check(s, forged, &info), TOKEN_UNKNOWN);
	assert_int_equal(token_store_check(s, "chm_short", &info), TOKEN_UNKNOWN);
	assert_int_equal(token_store_check(s, "", &info), TOKEN_UNKNOWN);
	assert_int_equal(token_store_check(s, NULL, &info), TOKEN_UNKNOWN);
	snprintf(forged, sizeof(forged), "xyz_%s", ok + 4);
	assert_int_equal(token_store_check(s, forged, &info), TOKEN_UNKNOWN);
	snprintf(forged, sizeof(forged), "%sA", ok);
	assert_int_equal(token_store_check(s, forged, &info), TOKEN_UNKNOWN);
	token_store_close(s);
}

static void test_store_sees_changes(void **st)
{
	char a[TOKEN_TEXT_MAX], b[TOKEN_TEXT_MAX];
	struct token_store *s = NULL;

	(void)st;
	/* Opened before there is any file. */
	assert_int_equal(token_store_open(state, &s), 0);
	create_ok("a", TOKEN_ROLE_VIEWER, 0, a);
	assert_int_equal(token_store_check(s, a, NULL), TOKEN_OK);
	create_ok("b", TOKEN_ROLE_ADMIN, 0, b);
	assert_int_equal(token_store_check(s, b, NULL), TOKEN_OK);
	assert_int_equal(tokens_revoke(state, NULL, "a"), 0);
	assert_int_equal(token_store_check(s, a, NULL), TOKEN_REVOKED);
	assert_int_equal(token_store_check(s, b, NULL), TOKEN_OK);
	token_store_close(s);
}

static void test_last_use_written_at_close(void **st)
{
	char a[TOKEN_TEXT_MAX], b[TOKEN_TEXT_MAX];
	struct token_store *s = NULL;
	struct token_info *t = NULL, info;
	int64_t used;
	size_t n = 0;

	(void)st;
	create_ok("a", TOKEN_ROLE_VIEWER, 0, a);
	assert_int_equal(token_store_open(state, &s), 0);
	assert_int_equal(token_store_check(s, a, &info), TOKEN_OK);
	used = info.last_used_ms;
	assert_true(used > 0);
	/* Not on every check: at most once a minute. */
	assert_int_equal(tokens_list(state, &t, &n), 0);
	assert_int_equal(t[0].last_used_ms, 0);
	free(t);
	/* A create while the store runs is kept when the last uses are merged in. */
	create_ok("b", TOKEN_ROLE_ADMIN, 0, b);
	token_store_close(s);

	assert_int_equal(tokens_list(state, &t, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(t[0].name, "a");
	assert_int_equal(t[0].last_used_ms, used);
	assert_string_equal(t[1].name, "b");
	assert_int_equal(t[1].last_used_ms, 0);
	free(t);
}

/* What each checking thread does: CHECKS checks of a live and a revoked token, counting the verdicts. */
struct checker {
	struct token_store *s;
	const char *live, *revoked;
	int ok, refused, wrong;
};

#define CHECKS 1500

static void *checker_run(void *arg)
{
	struct checker *c = arg;
	struct token_info info;
	int i;

	for (i = 0; i < CHECKS; i++) {
		if (token_store_check(c->s, c->live, &info) == TOKEN_OK && strcmp(info.name, "live") == 0)
			c->ok++;
		else
			c->wrong++;
		if (token_store_check(c->s, c->revoked, NULL) == TOKEN_REVOKED)
			c->refused++;
		else
			c->wrong++;
	}
	return NULL;
}

static void test_two_threads(void **st)
{
	char live[TOKEN_TEXT_MAX], revoked[TOKEN_TEXT_MAX], extra[TOKEN_TEXT_MAX], name[32];
	struct token_store *s = NULL;
	struct checker c[2];
	struct token_info *t = NULL;
	pthread_t th[2];
	size_t n = 0, i;

	(void)st;
	create_ok("live", TOKEN_ROLE_OPERATOR, 0, live);
	create_ok("revoked", TOKEN_ROLE_OPERATOR, 0, revoked);
	assert_int_equal(tokens_revoke(state, NULL, "revoked"), 0);
	assert_int_equal(token_store_open(state, &s), 0);
	for (i = 0; i < 2; i++) {
		c[i] = (struct checker){ s, live, revoked, 0, 0, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, checker_run, &c[i]), 0);
	}
	/* The file changes under them: each check may read it again. */
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "extra%zu", i);
		create_ok(name, TOKEN_ROLE_VIEWER, 0, extra);
		assert_int_equal(token_store_check(s, extra, NULL), TOKEN_OK);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(c[i].ok, CHECKS);
		assert_int_equal(c[i].refused, CHECKS);
		assert_int_equal(c[i].wrong, 0);
	}
	token_store_close(s);
	assert_int_equal(tokens_list(state, &t, &n), 0);
	assert_int_equal(n, 12);
	for (i = 0; i < n; i++)
		if (strcmp(t[i].name, "revoked") != 0)
			assert_true(t[i].last_used_ms > 0);
	free(t);
}

/* The ledger's token events, "topic payload" a line, into OUT. */
static int collect(const struct ledger_event *ev, void *arg)
{
	struct buf *out = arg;

	return buf_printf(out, "%s %s\n", ev->topic, ev->payload);
}

static void test_ledger_events(void **st)
{
	char token[TOKEN_TEXT_MAX], hex[SHA3_256_HEX];
	struct ledger_filter f = { .topic = "token.*" };
	struct ledger *l = NULL;
	struct token_info info;
	struct buf ev;
	uint8_t d[SHA3_256_LEN];
	char want[256], when[CLOCK_UTC_LEN];

	(void)st;
	assert_int_equal(ledger_open_url(NULL, state, &l), 0);
	assert_int_equal(tokens_create(state, l, "release-bot", TOKEN_ROLE_ADMIN, 7LL * 86400000, token, &info), 0);
	assert_int_equal(tokens_revoke(state, l, "release-bot"), 0);
	assert_int_equal(tokens_create(state, l, "forever", TOKEN_ROLE_VIEWER, 0, token, NULL), 0);
	buf_init(&ev, 0);
	assert_int_equal(ledger_scan(l, &f, collect, &ev), 0);
	ledger_close(l);

	clock_format_utc(info.expires_ms, when);
	snprintf(want, sizeof(want), "token.created {\"expires\":\"%s\",\"name\":\"release-bot\",\"role\":\"admin\"}\n"
		 "token.revoked {\"name\":\"release-bot\"}\n"
		 "token.created {\"expires\":null,\"name\":\"forever\",\"role\":\"viewer\"}\n", when);
	assert_string_equal(ev.data, want);
	/* Neither the token nor its hash. */
	assert_int_equal(sha3_256(token, strlen(token), d), 0);
	hex_encode(d, sizeof(d), hex);
	assert_null(strstr(ev.data, token + 4));
	assert_null(strstr(ev.data, hex));
	buf_release(&ev);
}

static int refuse_append(struct ledger *l, const struct ledger_new *evs, size_t n, int64_t *last)
{
	(void)l;
	(void)evs;
	(void)n;
	(void)last;
	return err_set(ERR_IO, "disk full (test)");
}

static void test_ledger_refusal_undoes_create(void **st)
{
	static const struct ledger_ops ops = { .name = "refusing", .append = refuse_append };
	struct ledger l = { .ops = &ops };
	char token[TOKEN_TEXT_MAX];
	struct token_info *t = NULL;
	size_t n = 0;

	(void)st;
	assert_int_equal(tokens_create(state, &l, "ci", TOKEN_ROLE_VIEWER, 0, token, NULL), ERR_IO);
	assert_contains(err_msg(), "token 'ci' not created");
	assert_contains(err_msg(), "disk full (test)");
	assert_string_equal(token, "");
	assert_int_equal(tokens_list(state, &t, &n), 0);
	assert_int_equal(n, 0);
	free(t);
	/* A revoke the ledger refuses stays done (refusing more is the safe side) and says so. */
	create_ok("ci", TOKEN_ROLE_VIEWER, 0, token);
	assert_int_equal(tokens_revoke(state, &l, "ci"), ERR_IO);
	assert_contains(err_msg(), "token 'ci' was revoked, but the ledger did not take the token.revoked event");
	assert_int_equal(tokens_list(state, &t, &n), 0);
	assert_true(n == 1 && t[0].revoked);
	free(t);
}

static void test_corrupt_file(void **st)
{
	char token[TOKEN_TEXT_MAX], path[8192];
	struct token_store *s = NULL;
	struct token_info *t = NULL;
	size_t n = 0;

	(void)st;
	create_ok("a", TOKEN_ROLE_VIEWER, 0, token);
	assert_int_equal(token_store_open(state, &s), 0);
	assert_int_equal(token_store_check(s, token, NULL), TOKEN_OK);
	file_path(path, sizeof(path), "tokens.json");
	assert_int_equal(fs_write_file(path, LIT("{\"version\": 1, \"tokens\": [{\"name\": \"a\"}]}"), 0600), 0);
	/* A server fails closed on a file it cannot read. */
	assert_int_equal(token_store_check(s, token, NULL), TOKEN_UNKNOWN);
	token_store_close(s);
	assert_int_equal(tokens_list(state, &t, &n), ERR_CORRUPT);
	assert_contains(err_msg(), path);
	assert_int_equal(token_store_open(state, &s), ERR_CORRUPT);
	assert_null(s);
	assert_int_equal(fs_write_file(path, LIT("not json"), 0600), 0);
	assert_int_equal(tokens_create(state, NULL, "b", TOKEN_ROLE_VIEWER, 0, token, NULL), ERR_CORRUPT);
	assert_contains(err_msg(), path);
}

static void test_json(void **st)
{
	char token[TOKEN_TEXT_MAX], *text;
	struct token_info info, *t = NULL;
	json_t *doc;
	size_t n = 0;

	(void)st;
	assert_int_equal(tokens_create(state, NULL, "j", TOKEN_ROLE_OPERATOR, 0, token, &info), 0);
	assert_non_null(text = tokens_created_json(&info, token));
	assert_non_null(doc = json_loads(text, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(doc, "name")), "j");
	assert_string_equal(json_string_value(json_object_get(doc, "role")), "operator");
	assert_string_equal(json_string_value(json_object_get(doc, "token")), token);
	assert_true(json_is_string(json_object_get(doc, "created")));
	assert_true(json_is_null(json_object_get(doc, "expires")));
	json_decref(doc);
	free(text);

	assert_int_equal(tokens_revoke(state, NULL, "j"), 0);
	assert_int_equal(tokens_list(state, &t, &n), 0);
	assert_non_null(text = tokens_list_json(t, n));
	assert_null(strstr(text, token + 4));
	assert_null(strstr(text, "hash"));
	assert_non_null(doc = json_loads(text, 0, NULL));
	assert_int_equal(json_array_size(doc), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0), "state")), "revoked");
	assert_true(json_is_string(json_object_get(json_array_get(doc, 0), "revoked")));
	assert_true(json_is_null(json_object_get(json_array_get(doc, 0), "last_used")));
	json_decref(doc);
	free(text);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_list_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_keeps_only_the_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_name_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names_roles_durations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_sees_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_use_written_at_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_refusal_undoes_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
