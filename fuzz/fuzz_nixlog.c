/* Fuzz target for formats/nixlog: Nix's internal-json stream read whole and in pieces, checked event by event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/nixlog.h"
#include "fuzz.h"
#include "util/buf.h"

#define DRV_A "/nix/store/di3z9ba0l75p8j1vksa222hb4s0fcd4h-progress-dep.drv"
#define DRV_B "/nix/store/66r3n0kcqhql8v3l2yzabmmpspqv008s-progress-top.drv"
#define START(id, drv) \
	"@nix {\"action\":\"start\",\"fields\":[\"" drv "\",\"\",1,1],\"id\":" id ",\"level\":3,\"text\":\"building '" drv "'\",\"type\":105}\n"
#define LOG(id, s) "@nix {\"action\":\"result\",\"fields\":[\"" s "\"],\"id\":" id ",\"type\":101}\n"
#define COUNTS(d, e, r, f) "@nix {\"action\":\"result\",\"fields\":[" d "," e "," r "," f "],\"id\":2,\"type\":105}\n"
#define STOP(id) "@nix {\"action\":\"stop\",\"id\":" id "}\n"
#define BUILDS "@nix {\"action\":\"start\",\"id\":2,\"level\":0,\"text\":\"\",\"type\":104}\n"

/* Cut down from the captures of tests/fixtures/nix (nix-bin 2.8.0); then near misses. */
const char *const fuzz_seeds[] = {
	/* progress-two: two derivations, one after the other */
	"@nix {\"action\":\"msg\",\"level\":3,\"msg\":\"these 2 derivations will be built:\"}\n"
	BUILDS COUNTS("0", "2", "0", "0") START("5", DRV_A) COUNTS("0", "2", "1", "0")
	LOG("5", "dep line one") LOG("5", "dep line two") COUNTS("1", "2", "0", "0") STOP("5")
	START("6", DRV_B) "@nix {\"action\":\"result\",\"fields\":[\"buildPhase\"],\"id\":6,\"type\":104}\n"
	LOG("6", "top \\u001b[1mbold\\u001b[0m end") COUNTS("2", "2", "0", "0") STOP("6") STOP("2"),
	/* progress-fail: the error after the stop */
	BUILDS START("5", DRV_A) LOG("5", "fail line 1") LOG("5", "about to fail") COUNTS("0", "0", "0", "1") STOP("5")
	STOP("2")
	"@nix {\"action\":\"msg\",\"column\":null,\"file\":null,\"level\":0,\"line\":null,\"msg\":\"\\u001b[31;1merror:"
	"\\u001b[0m builder for '\\u001b[35;1m" DRV_A "\\u001b[0m' failed with exit code 3\",\"raw_msg\":\"x\"}\n",
	/* progress-cancel: the error before the stops, the cancelled one stopping first */
	BUILDS START("5", DRV_A) START("6", DRV_B) LOG("5", "slow starts") LOG("6", "quick fails")
	COUNTS("0", "1", "1", "1")
	"@nix {\"action\":\"msg\",\"level\":0,\"msg\":\"error: builder for '" DRV_B "' failed with exit code 1\"}\n"
	STOP("5") STOP("6") STOP("2"),
	/* nixbld */
	"@nix {\"action\":\"msg\",\"level\":0,\"msg\":\"warning: the group 'nixbld' specified in 'build-users-group' "
	"does not exist\"}\n"
	"@nix {\"action\":\"msg\",\"level\":0,\"msg\":\"\\u001b[31;1merror:\\u001b[0m the group '\\u001b[35;1mnixbld"
	"\\u001b[0m' specified in 'build-users-group' does not exist\"}\n",
	"@nix {\"action\":\"msg\",\"level\":0,\"msg\":\"error: cannot connect to socket at '/nix/var/nix/daemon-socket/"
	"socket': No such file or directory\"}\n",
	/* an old Nix's plain output */
	"error: unrecognised flag '--log-format'\nTry 'nix-build --help' for more information.\n",
	"building '" DRV_A "'...\r\ndep line one\r\n\x1b[31merror:\x1b[0m x\n",
	/* near misses */
	"",
	"@nix \n",
	"@nix {}\n",
	"@nix {\"action\":1}\n",
	"@nix {\"action\":\"stop\"}\n",
	"@nix {\"action\":\"stop\",\"id\":-1}\n",
	"@nix {\"action\":\"start\",\"id\":1,\"type\":105,\"fields\":[\"/nix/store/short.drv\"]}\n",
	"@nix {\"action\":\"start\",\"id\":1,\"type\":105,\"fields\":[]}\n",
	"@nix {\"action\":\"start\",\"id\":1,\"type\":105,\"level\":9,\"text\":\"x\",\"fields\":[\"" DRV_A "\"]}\n"
	"@nix {\"action\":\"start\",\"id\":1,\"type\":105,\"fields\":[\"" DRV_B "\"]}\n" LOG("1", "a") STOP("1") STOP("1"),
	BUILDS COUNTS("-1", "2", "0", "0") COUNTS("1", "x", "0", "0") COUNTS("99999999999999999999", "1", "0", "0"),
	BUILDS START("5", DRV_A) COUNTS("3", "2", "0", "0") COUNTS("1", "2", "0", "0") STOP("5"),
	START("5", DRV_A) LOG("5", "no newline at the end\\n\\ttab\\u0000nul") "@nix {\"action\":\"result\",\"id\":5}",
	"@nix {\"action\":\"msg\",\"level\":0,\"msg\":\"\\u001b]8;;http://x\\u0007link\\u001b]8;;\\u001b\\\\ \\u001b\"}\n",
	"@nix {\"action\":\"msg\",\"msg\":\"a\"}\n@nix {\"action\":\"msg\",\"msg\":\"a\",\"msg\":\"b\"}\n",
	"@nix {\"action\":\"msg\",\"level\":0,\"msg\":\"" FUZZ_X256("\\u00e9") "\"}\n",
	START("5", DRV_A) FUZZ_X64(LOG("5", "line")),
	"\xff\xfe\x1b[\n\x1b]\n\x1b\n\x7f\x01\n",
	NULL,
};

/* The events as text, and the rules each must keep. */
struct run {
	struct buf log;
	size_t open;		/* derivations started and not done */
	int64_t now;
};

static void check_clean(const char *s, bool multiline, const char *what)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		FUZZ_CHECK(c >= 0x20 || (multiline && (c == '\n' || c == '\t')), "%s has control byte 0x%02x at %zu",
			   what, c, i);
		FUZZ_CHECK(c != 0x7f, "%s has DEL at %zu", what, i);
	}
}

static void check_build(const struct nixlog_event *ev)
{
	size_t dl;

	FUZZ_CHECK(ev->drv && ev->name, "a build event without its derivation");
	dl = strlen(ev->drv);
	FUZZ_CHECK(storepath_valid(ev->drv, dl), "build event for '%s', not a store path", ev->drv);
	FUZZ_CHECK(strncmp(ev->drv + STOREPATH_PREFIX_LEN + NIXHASH_LEN + 1, ev->name, strlen(ev->name)) == 0 &&
			   strlen(ev->name) + STOREPATH_PREFIX_LEN + NIXHASH_LEN + 1 >= dl - 4,
		   "name '%s' is not the .drv's '%s'", ev->name, ev->drv);
}

static void on_event(const struct nixlog_event *ev, void *arg)
{
	struct run *r = arg;
	size_t i;

	if (ev->plain)
		check_clean(ev->plain, ev->kind == NIXLOG_TEXT, "plain");
	buf_printf(&r->log, "%d %d %s|%s|%s|%s|%zu %zu %zu %zu\n", ev->kind, ev->level, ev->plain ? ev->plain : "-",
		   ev->drv ? ev->drv : "-", ev->text ? ev->text : "-", ev->name ? ev->name : "-", ev->done, ev->total,
		   ev->running, ev->failed);
	switch (ev->kind) {
	case NIXLOG_TEXT:
		FUZZ_CHECK(ev->plain && !ev->drv, "text without a plain line, or with a derivation");
		FUZZ_CHECK(ev->level >= -1 && ev->level <= 7, "text at level %d", ev->level);
		break;
	case NIXLOG_BUILD_START:
		check_build(ev);
		r->open++;
		FUZZ_CHECK(r->open <= NIXLOG_BUILDS_MAX, "%zu derivations followed", r->open);
		break;
	case NIXLOG_BUILD_LINE:
	case NIXLOG_BUILD_PHASE:
		check_build(ev);
		FUZZ_CHECK(r->open > 0, "a line of a derivation not started");
		FUZZ_CHECK(ev->text && strlen(ev->text) <= NIXLOG_LINE_MAX, "a line too long or missing");
		check_clean(ev->text, false, "a log line");
		break;
	case NIXLOG_BUILD_DONE:
		check_build(ev);
		FUZZ_CHECK(r->open > 0, "a derivation done that was not started");
		r->open--;
		FUZZ_CHECK(ev->result <= NIXLOG_STOPPED, "result %d", (int)ev->result);
		FUZZ_CHECK(ev->ms >= 0 && ev->ms <= r->now, "took %lld ms", (long long)ev->ms);
		FUZZ_CHECK(ev->ntail <= NIXLOG_TAIL, "%zu tail lines", ev->ntail);
		for (i = 0; i < ev->ntail; i++)
			check_clean(ev->tail[i], false, "a tail line");
		buf_printf(&r->log, "result %d tail %zu\n", (int)ev->result, ev->ntail);
		break;
	case NIXLOG_COUNTS:
		FUZZ_CHECK(!ev->drv && !ev->plain, "counts with a derivation or a line");
		FUZZ_CHECK(ev->failed <= ev->total, "%zu failed of %zu", ev->failed, ev->total);
		break;
	default:
		fuzz_fail("event kind %d", (int)ev->kind);
	}
}

/* Read DATA (LEN bytes) in pieces of STEP (0: at once), the clock a millisecond further each piece. */
static void read_all(struct run *r, const char *data, size_t len, size_t step)
{
	struct nixlog *p = nixlog_new(on_event, r);
	size_t at = 0;

	FUZZ_CHECK(p != NULL, "nixlog_new failed");
	r->now = 0;
	while (at < len) {
		size_t n = step && len - at > step ? step : len - at;

		FUZZ_CHECK(nixlog_feed(p, data + at, n, r->now) == 0, "nixlog_feed failed");
		at += n;
		r->now++;
	}
	FUZZ_CHECK(nixlog_end(p, r->now) == 0, "nixlog_end failed");
	FUZZ_CHECK(r->open == 0, "%zu derivations still open after the end", r->open);
	nixlog_free(p);
}

/* nixlog_conf_sets against its rule: a line, after blanks, is KEY, blanks, '='. */
static bool model_sets(const char *s, size_t len, const char *key)
{
	size_t i = 0, kl = strlen(key);

	while (i < len) {
		size_t j = i;

		while (j < len && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (len - j >= kl && strncmp(s + j, key, kl) == 0 && !memchr(s + j, '\n', kl)) {
			j += kl;
			while (j < len && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (j < len && s[j] == '=')
				return true;
		}
		while (i < len && s[i] != '\n')
			i++;
		i++;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct run whole = { BUF_INIT(0), 0, 0 }, bytes = { BUF_INIT(0), 0, 0 }, odd = { BUF_INIT(0), 0, 0 };
	char hint[600];

	fuzz_begin(data, size);
	read_all(&whole, s, size, 0);
	read_all(&bytes, s, size, 1);
	read_all(&odd, s, size, size / 3 + 1);
	/* The events do not depend on how the input was cut, only the times do (and they are not logged). */
	FUZZ_CHECK(strcmp(whole.log.data, bytes.log.data) == 0, "other events when read a byte at a time");
	FUZZ_CHECK(strcmp(whole.log.data, odd.log.data) == 0, "other events when read in thirds");
	if (nixlog_hint(s, size, hint, sizeof(hint)))
		FUZZ_CHECK(strlen(hint) > 0 && strlen(hint) < sizeof(hint), "an empty or unterminated hint");
	FUZZ_CHECK(nixlog_conf_sets(s, size, "build-users-group") == model_sets(s, size, "build-users-group"),
		   "nixlog_conf_sets disagrees with the model");
	buf_release(&whole.log);
	buf_release(&bytes.log);
	buf_release(&odd.log);
	return 0;
}
