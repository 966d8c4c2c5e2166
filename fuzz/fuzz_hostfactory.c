/* Fuzz target for formats/hostfactory: every input parser, request ids, render-then-parse round trips. */
#include <stdlib.h>
#include <string.h>

#include "formats/hostfactory.h"
#include "fuzz.h"
#include "util/err.h"

const char *const fuzz_seeds[] = {
	"{\"template\": {\"templateId\": \"nixos-small\", \"machineCount\": 3}}",
	"{\"template\": {\"templateId\": \"t\", \"machineCount\": 99}}",
	"{\"requests\": [{\"requestId\": \"req-00010203-0405-4607-8809-0a0b0c0d0e0f\"},"
	" {\"requestId\": \"ret-f0e1d2c3-b4a5-4697-a8b9-cadbecfd0e1f\"}]}",
	"{\"machines\": [{\"name\": \"vm-1\", \"machineId\": \"0c7f4d2a\"}, {\"name\": \"vm-2\"}]}",
	"{\"machines\": []}",
	"{\"machines\": [{\"name\": \"\\u00e9\\u4e2d\", \"machineId\": \"x\"}]}",
	"req-00010203-0405-4607-8809-0a0b0c0d0e0f",
	"{\"template\": {\"templateId\": \"t\", \"machineCount\": 1, \"x\": 1}}",
	"{\"requests\": [{}]}",
	"[]",
	"",
	NULL,
};

static void check_id(const uint8_t *data, size_t size)
{
	struct hf_request_id id, again, back;
	uint8_t bytes[16] = {0};
	int r;

	fuzz_err_mark();
	r = hf_id_parse((const char *)data, size, &id);
	if (r < 0) {
		fuzz_check_failure("hf_id_parse", r, false);
		fuzz_check_quotes("bad request id", (const char *)data, size);
		return;
	}
	FUZZ_CHECK(strlen(id.text) == HF_ID_LEN && memcmp(id.text, data, size) == 0, "the id is not the input");
	/* An id made from the same random bytes is the same text. */
	memcpy(bytes, data, size < sizeof(bytes) ? size : sizeof(bytes));
	hf_id_make(id.kind, bytes, &again);
	FUZZ_CHECK(hf_id_parse(again.text, strlen(again.text), &back) == 0 && back.kind == id.kind,
		   "a made id does not parse: %s", again.text);
}

static void check_request_machines(const char *text, size_t size)
{
	struct hf_request_machines in, back;
	char *out;
	int r;

	fuzz_err_mark();
	r = hf_parse_request_machines(text, size, 50, &in);
	if (r < 0) {
		fuzz_check_failure("hf_parse_request_machines", r, false);
		FUZZ_CHECK(in.count == 0 && in.template_id[0] == '\0', "a failure left results");
		return;
	}
	FUZZ_CHECK(in.count >= 1 && in.count <= 50 && in.template_id[0], "count %u or empty template", in.count);
	FUZZ_CHECK(hf_render_request_machines(&in, &out) == 0, "render failed: %s", err_msg());
	FUZZ_CHECK(hf_parse_request_machines(out, strlen(out), 50, &back) == 0, "rendered input does not parse: %s",
		   err_msg());
	FUZZ_CHECK(memcmp(&in, &back, sizeof(in)) == 0, "round trip changed the request");
	free(out);
}

static void check_request_status(const char *text, size_t size)
{
	struct hf_request_ids in, back;
	char *out;
	int r;

	fuzz_err_mark();
	r = hf_parse_request_status(text, size, &in);
	if (r < 0) {
		fuzz_check_failure("hf_parse_request_status", r, false);
		FUZZ_CHECK(!in.items && in.n == 0, "a failure left results");
		return;
	}
	FUZZ_CHECK(in.n >= 1, "no request");
	FUZZ_CHECK(hf_render_request_ids(&in, &out) == 0, "render failed: %s", err_msg());
	FUZZ_CHECK(hf_parse_request_status(out, strlen(out), &back) == 0, "rendered input does not parse: %s",
		   err_msg());
	FUZZ_CHECK(back.n == in.n && memcmp(back.items, in.items, in.n * sizeof(*in.items)) == 0,
		   "round trip changed the requests");
	free(out);
	hf_request_ids_release(&in);
	hf_request_ids_release(&back);
}

static void check_machines(const char *text, size_t size, enum hf_machines_op op)
{
	struct hf_machine_refs in, back;
	char *out;
	int r;

	fuzz_err_mark();
	r = hf_parse_machines(text, size, op, &in);
	if (r < 0) {
		fuzz_check_failure("hf_parse_machines", r, false);
		FUZZ_CHECK(!in.items && in.n == 0, "a failure left results");
		return;
	}
	FUZZ_CHECK(op == HF_OP_GET_RETURN_REQUESTS || in.n >= 1, "no machine to return");
	FUZZ_CHECK(hf_render_machines(&in, &out) == 0, "render failed: %s", err_msg());
	FUZZ_CHECK(hf_parse_machines(out, strlen(out), op, &back) == 0, "rendered input does not parse: %s",
		   err_msg());
	FUZZ_CHECK(back.n == in.n && (in.n == 0 || memcmp(back.items, in.items, in.n * sizeof(*in.items)) == 0),
		   "round trip changed the machines");
	free(out);
	hf_machine_refs_release(&in);
	hf_machine_refs_release(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	fuzz_begin(data, size);
	check_id(data, size);
	check_request_machines(text, size);
	check_request_status(text, size);
	check_machines(text, size, HF_OP_RETURN_MACHINES);
	check_machines(text, size, HF_OP_GET_RETURN_REQUESTS);
	return 0;
}
