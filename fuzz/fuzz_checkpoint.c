/* Fuzz target for core/checkpoint: the parser of the witness file (read from nodes) and the sidecar. */
#include <stdio.h>
#include <string.h>

#include "core/checkpoint.h"
#include "fuzz.h"
#include "util/err.h"

#define H64 "8445c775ee3bc4e591aabf40cce5e2c6972a784b80d5fae8a9e539c84b533ffa"
#define S128 "f2bc3432a0f9f3ebcf584dce9ab09db0574e3a35339e389ff6c173fa2a2c37f2" \
	     "88873705c950a2a90e87ba8238f93c376a62fd14bc8514541222e1cb4e48ad08"

const char *const fuzz_seeds[] = {
	"chimera-checkpoint v1\nseq 3\nhash " H64 "\nkey c2c566da2e09f7f0\nhost vm\ntime 2026-12-06T20:50:21.750Z\n"
	"sig " S128 "\n",
	"chimera-checkpoint v1\nseq 0\nhash " H64 "\nkey c2c566da2e09f7f0\nhost a\ntime t\nsig " S128,
	"chimera-checkpoint v1\nlater field\nseq 9223372036854775807\nhash " H64 "\nkey c2c566da2e09f7f0\nhost h\n"
	"time 2026-12-06T20:50:21.750Z\nsig " S128 "\n\n",
	/* near misses */
	"chimera-checkpoint v1\nseq 3\nseq 4\n",
	"chimera-checkpoint v1\nseq 9223372036854775808\n",
	"chimera-checkpoint v1\nseq -1\nhash " H64 "\n",
	"chimera-checkpoint v1\nseq 01\n",
	"chimera-checkpoint v1\nhash " H64 "X\n",
	"chimera-checkpoint v2\n",
	"chimera-witness none\n",
	"chimera-checkpoint v1",
	"chimera-checkpoint v1\nseq\n",
	"",
	NULL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct checkpoint cp, again;
	struct buf text = BUF_INIT(0);

	fuzz_begin(data, size);
	if (checkpoint_parse((const char *)data, size, "fuzz", &cp) == 0) {
		/* What parses is well formed, and its text form parses back to the same values. */
		FUZZ_CHECK(checkpoint_check_fields(&cp) == 0, "a parsed checkpoint fails its field check: %s", err_msg());
		FUZZ_CHECK(checkpoint_format(&cp, &text) == 0, "format failed");
		FUZZ_CHECK(checkpoint_parse(text.data, text.len, "again", &again) == 0, "round trip: %s", err_msg());
		FUZZ_CHECK(memcmp(&cp, &again, sizeof(cp)) == 0, "round trip changed the checkpoint");
	} else {
		FUZZ_CHECK(err_msg()[0] != '\0', "a refusal without a message");
	}
	buf_release(&text);
	return 0;
}
