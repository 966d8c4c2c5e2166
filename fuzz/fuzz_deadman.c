/* Fuzz target for remote/deadman: remote_deadman_parse of any bytes as a node's switch listing. */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "remote/deadman.h"
#include "util/buf.h"
#include "util/err.h"

#define DIR1 "/nix/var/chimera/deadman/01J9ZK3M4N5P6Q7R8S9T0V1W2X.a1B2c3D4e5"
#define SP "/nix/store/0c5b8vw40dy178xlpddw65q9gf1h2186-hello-2"

/* What remote_deadman_list prints on nodes, then near misses. */
const char *const fuzz_seeds[] = {
	"",
	"deadman " DIR1 "\nop 01J9ZK3M4N5P6Q7R8S9T0V1W2X\npath " SP "\nprofile /nix/var/nix/profiles/system\ngen 4\n"
	"deadline 1700000010\npid 4242\nalive\nnow " SP "\nend\n",
	"deadman " DIR1 "\nop X\npath " SP "\nprofile /p/system\ngen 3\npid 77\nclaimed\nresult rolled-back\nnow /x\nend\n",
	"banner\ndeadman " DIR1 "\npid \nresult \nend\nnoise\n",
	"deadman " DIR1 "\nend\ndeadman " DIR1 "\nend\n",
	/* near misses */
	"deadman " DIR1 "\n",
	"deadman " DIR1 "\ngen 99999999999\nend\n",
	"deadman " DIR1 "\npath /nix/store/short\nend\n",
	"deadman /nix/var/chimera/deadman/a\nend\n",
	"deadman " DIR1 "\ndeadman " DIR1 "\nend\n",
	"deadman " DIR1 "\nresult " FUZZ_X64("r") "\nend\n",
	NULL,
};

static void check_text(const char *what, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap), i;

	FUZZ_CHECK(n < cap, "%s is not NUL-terminated", what);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f, "%s has control byte 0x%02x", what,
			   (unsigned char)s[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct remote_deadman sw[4];
	struct buf out = BUF_INIT(0);
	size_t n = 99, i;
	int r;

	fuzz_begin(data, size);
	buf_add(&out, (const char *)data, size);
	fuzz_err_mark();
	r = remote_deadman_parse(&out, sw, 4, &n);
	if (r < 0) {
		fuzz_check_failure("remote_deadman_parse", r, false);
		FUZZ_CHECK(n == 0 && fuzz_all_zero(sw, sizeof(sw)), "a failed parse left switches behind");
		FUZZ_CHECK(strncmp(err_msg(), "dead-man listing ", 17) == 0, "message \"%s\"", err_msg());
		buf_release(&out);
		return 0;
	}
	FUZZ_CHECK(r == 0 && n <= 4, "returned %d with %zu switches", r, n);
	for (i = 0; i < n; i++) {
		check_text("dir", sw[i].dir, sizeof(sw[i].dir));
		FUZZ_CHECK(remote_deadman_dir_check(sw[i].dir, strlen(sw[i].dir)) == 0, "dir '%s'", sw[i].dir);
		check_text("op", sw[i].op, sizeof(sw[i].op));
		FUZZ_CHECK(!sw[i].op[0] || remote_deadman_op_check(sw[i].op) == 0, "op '%s'", sw[i].op);
		check_text("path", sw[i].path, sizeof(sw[i].path));
		FUZZ_CHECK(!sw[i].path[0] || storepath_valid(sw[i].path, strlen(sw[i].path)), "path '%s'", sw[i].path);
		check_text("profile", sw[i].profile, sizeof(sw[i].profile));
		check_text("result", sw[i].result, sizeof(sw[i].result));
		FUZZ_CHECK(!sw[i].result[0] || sw[i].fired, "a result without fired");
		check_text("now", sw[i].now, sizeof(sw[i].now));
		FUZZ_CHECK(!sw[i].now[0] || sw[i].now[0] == '/', "now '%s'", sw[i].now);
		FUZZ_CHECK(sw[i].pid >= 0 && sw[i].deadline >= 0, "negative pid or deadline");
	}
	buf_release(&out);
	return 0;
}
