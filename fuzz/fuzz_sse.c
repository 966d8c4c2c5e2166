/*
 * Fuzz target for formats/sse (the event stream the CLI reads from chimera serve): the same
 * frames whether the bytes come whole, one at a time, or cut at a point the input picks, and
 * every frame's data NUL-terminated after the length it says (a NUL may be inside it).
 */
#include <stdio.h>
#include <string.h>

#include "formats/sse.h"
#include "fuzz.h"
#include "util/buf.h"

const char *const fuzz_seeds[] = {
	": keepalive\n\nid: 7\nevent: deploy.initiated\ndata: {\"seq\":7}\n\n",
	"id:8\r\nevent:node.copy.complete\r\ndata:{\"seq\":8}\r\n\r\n",
	"data: one\rdata: two\r\rretry: 10\nevent: x\n\nid: 9\ndata\n\n",
	"data:\n\ndata\n\n:\n\nid\n\nevent\ndata: z\n\n",
	"id: " FUZZ_X64("9") "\ndata: long id\n\n",
	NULL,
};

/* Every frame as "id|event|len|data\n" into a buf. */
static int take(const struct sse_frame *f, void *arg)
{
	struct buf *out = arg;

	FUZZ_CHECK(f->data[f->data_len] == '\0', "the data of %zu bytes is not NUL-terminated", f->data_len);
	FUZZ_CHECK(strlen(f->id) <= SSE_ID_MAX, "an id of %zu bytes kept", strlen(f->id));
	buf_printf(out, "%s|%s|%zu|", f->id, f->event, f->data_len);
	buf_add(out, f->data, f->data_len);
	buf_addc(out, '\n');
	return 0;
}

/* DATA fed in pieces of STEP bytes (0: whole), or cut once at CUT (STEP SIZE_MAX). */
static void read_all(const char *data, size_t len, size_t step, size_t cut, struct buf *out)
{
	struct sse_parser p;
	size_t at = 0;

	sse_init(&p);
	while (at < len) {
		size_t n = step == SIZE_MAX ? (at < cut ? cut - at : len - at) : step && len - at > step ? step : len - at;

		FUZZ_CHECK(sse_feed(&p, data + at, n, take, out) == 0, "sse_feed failed at %zu", at);
		at += n;
	}
	sse_release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct buf whole = BUF_INIT(0), bytes = BUF_INIT(0), cut = BUF_INIT(0);
	size_t at = size ? data[0] % size : 0;

	fuzz_begin(data, size);
	read_all(s, size, 0, 0, &whole);
	read_all(s, size, 1, 0, &bytes);
	read_all(s, size, SIZE_MAX, at, &cut);
	FUZZ_CHECK(whole.len == bytes.len && (!whole.len || memcmp(whole.data, bytes.data, whole.len) == 0),
		   "byte by byte gave other frames than whole");
	FUZZ_CHECK(whole.len == cut.len && (!whole.len || memcmp(whole.data, cut.data, whole.len) == 0),
		   "cut at %zu gave other frames than whole", at);
	buf_release(&whole);
	buf_release(&bytes);
	buf_release(&cut);
	return 0;
}
