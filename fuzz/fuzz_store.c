/* Fuzz target for what nodes answer about their store: remote/store.h's parsers and gen_list_parse of any bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"
#include "fuzz.h"
#include "remote/store.h"
#include "util/buf.h"
#include "util/err.h"

#define SP "/nix/store/0c5b8vw40dy178xlpddw65q9gf1h2186-hello-2"
#define H1 "sha256:0lvmsn8w5qnwf454h9ll8fpf92r4hkn3k98igrb4mg3zfyi7yp3c"

/* What the scan, the repair, status's probe and the generations probe print, then near misses. */
const char *const fuzz_seeds[] = {
	"",
	"modified " SP "\n",
	"modified " SP "\n\nmodified " SP "\n",
	"chimera-repaired\n",
	"chimera-repair-mismatch " H1 " " H1 "\n",
	"chimera-repair-unregistered\n",
	"chimera-repair-readonly\n",
	"chimera-absent\n" SP "\n",
	"link system-2-link\npath " SP "\ngen 1 1700000000 " SP "\ngen 2 1700000100 " SP "\n",
	"link system-7-link\npath /tmp/garbage\ngen 7 17 /tmp/garbage\ngen foo 17 " SP "\ngen x-1 17 " SP "\n",
	/* near misses */
	"modified /etc/passwd\n",
	"modified " SP,
	"chimera-repair-mismatch " H1 "\n",
	"chimera-repair-mismatch " FUZZ_X64("ab") " x\n",
	"gen 1 notatime " SP "\ngen 2\ngen  \n",
	"path " FUZZ_X64("/x") "\n",
	NULL,
};

static void check_text(const char *what, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	FUZZ_CHECK(n < cap, "%s is not NUL-terminated", what);
}

static void fuzz_scan(const struct buf *out)
{
	char **paths = (char **)1;
	size_t n = 99, i;
	int r;

	fuzz_err_mark();
	r = remote_store_scan_parse(out, &paths, &n);
	if (r < 0) {
		fuzz_check_failure("remote_store_scan_parse", r, false);
		FUZZ_CHECK(!paths && n == 0, "a failed parse left paths behind");
		return;
	}
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(storepath_valid(paths[i], strlen(paths[i])), "path '%s'", paths[i]);
		free(paths[i]);
	}
	free(paths);
}

static void fuzz_restore(const struct buf *out)
{
	char reg[REMOTE_HASH_MAX], got[REMOTE_HASH_MAX];
	enum remote_repair_result k = remote_store_restore_parse(out, reg, got);
	size_t i;

	FUZZ_CHECK(k >= REPAIR_DONE && k <= REPAIR_UNKNOWN, "result %d", (int)k);
	check_text("registered", reg, sizeof(reg));
	check_text("got", got, sizeof(got));
	FUZZ_CHECK(k == REPAIR_MISMATCH || (!reg[0] && !got[0]), "hashes without a mismatch");
	for (i = 0; reg[i]; i++)
		FUZZ_CHECK(!fuzz_is_shell_special(reg[i]) && reg[i] != '\'', "hash with 0x%02x", (unsigned char)reg[i]);
	for (i = 0; got[i]; i++)
		FUZZ_CHECK(!fuzz_is_shell_special(got[i]) && got[i] != '\'', "hash with 0x%02x", (unsigned char)got[i]);
}

static void fuzz_gens(const uint8_t *data, size_t size)
{
	struct gen_list l;
	size_t i;
	int r;

	fuzz_err_mark();
	r = gen_list_parse(&l, "system", (const char *)data, size);
	if (r < 0) {
		fuzz_check_failure("gen_list_parse", r, false);
		FUZZ_CHECK(l.n == 0 && !l.items, "a failed parse left generations behind");
		return;
	}
	check_text("warning", l.warning, sizeof(l.warning));
	FUZZ_CHECK(!l.warning[0] == !l.malformed, "warning '%s' with %zu malformed", l.warning, l.malformed);
	FUZZ_CHECK(!l.current_path[0] || storepath_valid(l.current_path, strlen(l.current_path)), "current '%s'",
		   l.current_path);
	for (i = 0; i < l.n; i++) {
		FUZZ_CHECK(storepath_valid(l.items[i].path, strlen(l.items[i].path)), "generation path '%s'",
			   l.items[i].path);
		FUZZ_CHECK(l.items[i].num > 0 && (i == 0 || l.items[i - 1].num <= l.items[i].num), "order");
	}
	gen_list_release(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT(0);
	bool absent;
	size_t len;

	fuzz_begin(data, size);
	buf_add(&out, (const char *)data, size);
	fuzz_scan(&out);
	fuzz_restore(&out);
	len = out.len;
	absent = remote_absent_take(&out);
	FUZZ_CHECK(absent ? out.len == len - sizeof(REMOTE_ABSENT) : out.len == len, "took %zu of %zu bytes", len - out.len,
		   len);
	buf_release(&out);
	fuzz_gens(data, size);
	return 0;
}
