/* Fuzz target for app/nix/eval: nix_errpos_find of any bytes as Nix's error message. */
#include <stdio.h>
#include <string.h>

#include "app/nix/eval.h"
#include "fuzz.h"

const char *const fuzz_seeds[] = {
	"syntax error, unexpected '=', expecting ';'\n\n       at /tmp/h2/bad.nix:2:5:\n\n            1| { x = 1\n"
	"            2|   y = 2; }\n             |     ^",
	"syntax error, unexpected end of file\n\n       at \xc2\xabstring\xc2\xbb:1:9:\n\n            1| { a = 1;\n",
	"attribute 'nope' in selection path 'nope' not found",
	"attribute 'system' already defined at /nix/store/i1zjf0d9xbkm3rcizf4kv2asrzx3r13j-source/flake.nix:6:14\n\n"
	"       at /nix/store/i1zjf0d9xbkm3rcizf4kv2asrzx3r13j-source/flake.nix:7:7:\n",
	"at a:b:1:2:\n",
	"  at /x:007:1:\r\n",
	/* near misses */
	"at /x:0:1:\n",
	"at /x:1:1\n",
	"at :1:1:\n",
	"at /x::1:\n",
	"at /x:1234567890:1:\n",
	"at /x\t:1:1:\n",
	"at /x:1:1:",
	"\n\nat",
	NULL,
};

/* Every byte of the file is printable or UTF-8's, no control byte. */
static void check_file(const struct nix_errpos *p)
{
	size_t n = strnlen(p->file, sizeof(p->file)), i;

	FUZZ_CHECK(n < sizeof(p->file), "file is not NUL-terminated");
	FUZZ_CHECK(p->expr ? n == 0 : n > 0, "file '%s' with expr %d", p->file, p->expr);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)p->file[i] >= 0x20 && p->file[i] != 0x7f, "control byte in the file");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nix_errpos p, q;
	char line[PATH_MAX + 64];
	bool found;

	fuzz_begin(data, size);
	found = nix_errpos_find((const char *)data, size, &p);
	if (!found) {
		FUZZ_CHECK(fuzz_all_zero(&p, sizeof(p)), "not found, yet the position was left set");
		return 0;
	}
	FUZZ_CHECK(p.set, "found, yet not set");
	FUZZ_CHECK(p.line >= 1 && p.line <= 999999999 && p.column >= 1 && p.column <= 999999999,
		   "line %u, column %u", p.line, p.column);
	check_file(&p);
	/* The position written back as Nix writes it reads as the same position. */
	snprintf(line, sizeof(line), "error\n   at %s:%u:%u:\n", p.expr ? "\xc2\xabstring\xc2\xbb" : p.file, p.line,
		 p.column);
	FUZZ_CHECK(nix_errpos_find(line, strlen(line), &q), "'%s' is not found again", line);
	FUZZ_CHECK(memcmp(&p, &q, sizeof(p)) == 0, "'%s' reads back as another position", line);
	/* The same input, the same answer. */
	FUZZ_CHECK(nix_errpos_find((const char *)data, size, &q) && memcmp(&p, &q, sizeof(p)) == 0,
		   "a second read differs");
	return 0;
}
