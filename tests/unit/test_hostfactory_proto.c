/* formats/hostfactory: the operations' inputs from tests/fixtures/hostfactory, bad inputs, outputs, ids. */
#include "check.h"

#include <jansson.h>

#include "formats/hostfactory.h"

static const uint8_t bytes_a[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t bytes_b[16] = {0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x97,
				    0xa8, 0xb9, 0xca, 0xdb, 0xec, 0xfd, 0x0e, 0x1f};

static void fixture(const char *file, struct buf *b)
{
	char rel[96];

	snprintf(rel, sizeof(rel), "hostfactory/%s", file);
	read_fixture(rel, b);
}

/* TEXT (a rendered document, freed here) must equal the fixture FILE as JSON. */
static void assert_fixture_json(char *text, const char *file)
{
	struct buf b = BUF_INIT(0);
	json_t *got, *want;

	fixture(file, &b);
	got = json_loads(text, 0, NULL);
	want = json_loadb(b.data, b.len, 0, NULL);
	assert_non_null(got);
	assert_non_null(want);
	if (!json_equal(got, want))
		fail_msg("rendered output differs from %s:\n%s", file, text);
	json_decref(got);
	json_decref(want);
	buf_release(&b);
	free(text);
}

static void test_ids(void **state)
{
	struct hf_request_id id, back;

	(void)state;
	hf_id_make(HF_ID_REQUEST, bytes_a, &id);
	assert_string_equal(id.text, "req-00010203-0405-4607-8809-0a0b0c0d0e0f");
	hf_id_make(HF_ID_RETURN, bytes_b, &id);
	assert_string_equal(id.text, "ret-f0e1d2c3-b4a5-4697-a8b9-cadbecfd0e1f");
	assert_int_equal(hf_id_parse(id.text, strlen(id.text), &back), 0);
	assert_int_equal(back.kind, HF_ID_RETURN);
	assert_string_equal(back.text, id.text);
	assert_int_equal(hf_id_parse(LIT("req-00010203-0405-4607-8809-0a0b0c0d0e0f"), &back), 0);
	assert_int_equal(back.kind, HF_ID_REQUEST);
}

static void expect_bad_id(const char *s)
{
	struct hf_request_id id;

	assert_int_equal(hf_id_parse(s, strlen(s), &id), ERR_INVALID);
	assert_quotes("bad request id", s, strlen(s));
	assert_contains(err_msg(), "req-<UUID> or ret-<UUID>");
	assert_string_equal(id.text, "");
}

static void test_bad_ids(void **state)
{
	(void)state;
	expect_bad_id("");
	expect_bad_id("req-");
	expect_bad_id("rex-00010203-0405-4607-8809-0a0b0c0d0e0f");
	expect_bad_id("req-00010203-0405-4607-8809-0a0b0c0d0e0F");	/* upper case */
	expect_bad_id("req-00010203-0405-1607-8809-0a0b0c0d0e0f");	/* version 1 */
	expect_bad_id("req-00010203-0405-4607-c809-0a0b0c0d0e0f");	/* variant */
	expect_bad_id("req-00010203x0405-4607-8809-0a0b0c0d0e0f");
	expect_bad_id("req-00010203-0405-4607-8809-0a0b0c0d0e0f0");
	expect_bad_id("00010203-0405-4607-8809-0a0b0c0d0e0f");
}

static void test_request_machines(void **state)
{
	struct buf b = BUF_INIT(0);
	struct hf_request_machines in, back;
	char *text;

	(void)state;
	fixture("request_machines.json", &b);
	if (hf_parse_request_machines(b.data, b.len, 10, &in) < 0)
		fail_msg("%s", err_msg());
	assert_string_equal(in.template_id, "nixos-small");
	assert_int_equal(in.count, 3);
	/* Three is over a limit of two. */
	assert_int_equal(hf_parse_request_machines(b.data, b.len, 2, &back), ERR_INVALID);
	assert_string_equal(err_msg(),
			    "bad 'template.machineCount' in requestMachines input: expected a whole number from 1 to 2");
	assert_int_equal(hf_render_request_machines(&in, &text), 0);
	assert_int_equal(hf_parse_request_machines(text, strlen(text), 10, &back), 0);
	assert_memory_equal(&in, &back, sizeof(in));
	free(text);
	buf_release(&b);
}

static void expect_bad_rm(const char *text, const char *msg)
{
	struct hf_request_machines in;

	assert_int_equal(hf_parse_request_machines(text, strlen(text), 10, &in), ERR_INVALID);
	assert_string_equal(err_msg(), msg);
	assert_int_equal(in.count, 0);
}

static void test_request_machines_bad(void **state)
{
	(void)state;
	expect_bad_rm("{\"template\": {\"templateId\": \"t\", \"machineCount\": 0}}",
		      "bad 'template.machineCount' in requestMachines input: expected a whole number from 1 to 10");
	expect_bad_rm("{\"template\": {\"templateId\": \"t\", \"machineCount\": \"3\"}}",
		      "bad 'template.machineCount' in requestMachines input: expected a whole number from 1 to 10");
	expect_bad_rm("{\"template\": {\"templateId\": \"t\", \"machineCount\": 2.5}}",
		      "bad 'template.machineCount' in requestMachines input: expected a whole number from 1 to 10");
	expect_bad_rm("{\"template\": {\"templateId\": \"t\"}}",
		      "missing 'template.machineCount' in requestMachines input: expected a whole number from 1 to 10");
	expect_bad_rm("{\"template\": {\"machineCount\": 1}}",
		      "missing 'template.templateId' in requestMachines input: expected a non-empty string of at most "
		      "255 bytes without control characters");
	expect_bad_rm("{\"template\": {\"templateId\": \"\", \"machineCount\": 1}}",
		      "bad 'template.templateId' in requestMachines input: expected a non-empty string of at most "
		      "255 bytes without control characters");
	expect_bad_rm("{\"template\": {\"templateId\": 7, \"machineCount\": 1}}",
		      "bad 'template.templateId' in requestMachines input: expected a non-empty string of at most "
		      "255 bytes without control characters");
	expect_bad_rm("{\"template\": {\"templateId\": \"t\", \"machineCount\": 1, \"x\": 1}}",
		      "unknown field 'template.x' in requestMachines input: expected only 'templateId' and "
		      "'machineCount'");
	expect_bad_rm("{\"template\": [], \"more\": 1}",
		      "unknown field 'more' in requestMachines input: expected only 'template'");
	expect_bad_rm("{\"template\": []}",
		      "bad 'template' in requestMachines input: expected an object with templateId and machineCount");
	expect_bad_rm("{}", "missing 'template' in requestMachines input: expected an object with templateId and "
		      "machineCount");
	expect_bad_rm("[]", "bad top level of requestMachines input: expected a JSON object");
	expect_bad_rm("{\"template\": ", "requestMachines input is not JSON: line 1 column 13: unexpected token "
		      "near end of file");
}

static void test_request_status(void **state)
{
	struct buf b = BUF_INIT(0);
	struct hf_request_ids in, back;
	char *text;

	(void)state;
	fixture("request_status.json", &b);
	if (hf_parse_request_status(b.data, b.len, &in) < 0)
		fail_msg("%s", err_msg());
	assert_int_equal(in.n, 2);
	assert_int_equal(in.items[0].kind, HF_ID_REQUEST);
	assert_string_equal(in.items[0].text, "req-00010203-0405-4607-8809-0a0b0c0d0e0f");
	assert_int_equal(in.items[1].kind, HF_ID_RETURN);
	assert_int_equal(hf_render_request_ids(&in, &text), 0);
	assert_int_equal(hf_parse_request_status(text, strlen(text), &back), 0);
	assert_int_equal(back.n, in.n);
	assert_memory_equal(back.items, in.items, in.n * sizeof(*in.items));
	free(text);
	hf_request_ids_release(&in);
	hf_request_ids_release(&back);
	buf_release(&b);
}

static void expect_bad_rs(const char *text, const char *msg)
{
	struct hf_request_ids in;

	assert_int_equal(hf_parse_request_status(text, strlen(text), &in), ERR_INVALID);
	assert_string_equal(err_msg(), msg);
	assert_null(in.items);
	assert_int_equal(in.n, 0);
}

static void test_request_status_bad(void **state)
{
	(void)state;
	expect_bad_rs("{\"requests\": []}",
		      "bad 'requests' in getRequestStatus input: expected an array of 1 to 1000 objects with a requestId");
	expect_bad_rs("{}", "missing 'requests' in getRequestStatus input: expected an array of 1 to 1000 objects "
		      "with a requestId");
	expect_bad_rs("{\"requests\": [{\"requestId\": \"req-00010203-0405-4607-8809-0a0b0c0d0e0f\"}, "
		      "{\"requestId\": \"req-1\"}]}",
		      "bad 'requests[1].requestId' in getRequestStatus input: expected req-<UUID> or ret-<UUID> (a "
		      "version 4 UUID in lower case)");
	expect_bad_rs("{\"requests\": [{}]}", "missing 'requests[0].requestId' in getRequestStatus input: expected "
		      "req-<UUID> or ret-<UUID> (a version 4 UUID in lower case)");
	expect_bad_rs("{\"requests\": [{\"requestId\": 1}]}", "bad 'requests[0].requestId' in getRequestStatus input: "
		      "expected req-<UUID> or ret-<UUID> (a version 4 UUID in lower case)");
	expect_bad_rs("{\"requests\": [\"x\"]}",
		      "bad 'requests[0]' in getRequestStatus input: expected an object with a requestId");
	expect_bad_rs("{\"requests\": [{\"requestId\": \"x\", \"status\": 1}]}",
		      "unknown field 'requests[0].status' in getRequestStatus input: expected only 'requestId'");
}

static void test_machines(void **state)
{
	struct buf b = BUF_INIT(0);
	struct hf_machine_refs in, back;
	char *text;

	(void)state;
	fixture("return_machines.json", &b);
	if (hf_parse_machines(b.data, b.len, HF_OP_RETURN_MACHINES, &in) < 0)
		fail_msg("%s", err_msg());
	assert_int_equal(in.n, 2);
	assert_string_equal(in.items[0].name, "vm-1");
	assert_string_equal(in.items[0].machine_id, "0c7f4d2a");
	assert_string_equal(in.items[1].name, "vm-2");
	assert_string_equal(in.items[1].machine_id, "");
	assert_int_equal(hf_render_machines(&in, &text), 0);
	assert_int_equal(hf_parse_machines(text, strlen(text), HF_OP_RETURN_MACHINES, &back), 0);
	assert_int_equal(back.n, in.n);
	assert_memory_equal(back.items, in.items, in.n * sizeof(*in.items));
	free(text);
	hf_machine_refs_release(&in);
	hf_machine_refs_release(&back);
	buf_release(&b);

	fixture("return_requests_in.json", &b);
	if (hf_parse_machines(b.data, b.len, HF_OP_GET_RETURN_REQUESTS, &in) < 0)
		fail_msg("%s", err_msg());
	assert_int_equal(in.n, 1);
	assert_string_equal(in.items[0].name, "vm-3");
	assert_string_equal(in.items[0].machine_id, "9b1e");
	hf_machine_refs_release(&in);
	buf_release(&b);
	/* getReturnRequests may name no machine; requestReturnMachines must name one. */
	assert_int_equal(hf_parse_machines(LIT("{\"machines\": []}"), HF_OP_GET_RETURN_REQUESTS, &in), 0);
	assert_int_equal(in.n, 0);
	assert_int_equal(hf_parse_machines(LIT("{\"machines\": []}"), HF_OP_RETURN_MACHINES, &in), ERR_INVALID);
	assert_string_equal(err_msg(), "bad 'machines' in requestReturnMachines input: expected an array of 1 to 1000 "
			    "objects with a name and a machineId");
}

static void expect_bad_m(const char *text, const char *msg)
{
	struct hf_machine_refs in;

	assert_int_equal(hf_parse_machines(text, strlen(text), HF_OP_GET_RETURN_REQUESTS, &in), ERR_INVALID);
	assert_string_equal(err_msg(), msg);
	assert_null(in.items);
}

static void test_machines_bad(void **state)
{
	(void)state;
	expect_bad_m("{\"machines\": [{\"name\": \"a\"}, {\"machineId\": \"b\"}]}",
		     "missing 'machines[1].name' in getReturnRequests input: expected a non-empty string of at most "
		     "255 bytes without control characters");
	expect_bad_m("{\"machines\": [{\"name\": \"a\\nb\"}]}",
		     "bad 'machines[0].name' in getReturnRequests input: expected a non-empty string of at most "
		     "255 bytes without control characters");
	expect_bad_m("{\"machines\": [{\"name\": \"a\", \"machineId\": null}]}",
		     "bad 'machines[0].machineId' in getReturnRequests input: expected a non-empty string of at most "
		     "255 bytes without control characters");
	expect_bad_m("{\"machines\": [{\"name\": \"a\", \"ip\": \"x\"}]}",
		     "unknown field 'machines[0].ip' in getReturnRequests input: expected only 'name' and 'machineId'");
	expect_bad_m("{\"machines\": [1]}",
		     "bad 'machines[0]' in getReturnRequests input: expected an object with a name and a machineId");
	expect_bad_m("{\"machines\": {}}", "bad 'machines' in getReturnRequests input: expected an array of 0 to "
		     "1000 objects with a name and a machineId");
	expect_bad_m("{\"machines\": [], \"machines\": []}",
		     "getReturnRequests input is not JSON: line 1 column 27: duplicate object key near '\"machines\"'");
}

static void test_outputs(void **state)
{
	const struct hf_template tpl[] = {
		{"nixos-small", 10, 7, "X86_64", 2, 4096},
		{"nixos-large", 2, 0, "X86_64", 16, 65536},
	};
	const struct hf_machine machines[] = {
		{"0c7f4d2a", "vm-1", HF_RESULT_SUCCEED, "running", "127.9.0.2", 1796641200, ""},
		{"5e11", "vm-2", HF_RESULT_FAIL, "terminated", "", 1796641201, "qemu exited with status 1"},
	};
	struct hf_request_id req, ret;
	struct hf_request_status status[2];
	const struct hf_return_request returns[] = {{"vm-3", 0}, {"vm-4", 300}};
	char *text;

	(void)state;
	hf_id_make(HF_ID_REQUEST, bytes_a, &req);
	hf_id_make(HF_ID_RETURN, bytes_b, &ret);
	status[0] = (struct hf_request_status){req.text, HF_REQ_COMPLETE_WITH_ERROR, "", machines, 2};
	status[1] = (struct hf_request_status){ret.text, HF_REQ_RUNNING, "", NULL, 0};
	assert_int_equal(hf_render_templates(tpl, 2, &text), 0);
	assert_fixture_json(text, "out_templates.json");
	assert_int_equal(hf_render_request_ack(&req, "Request VM from chimera.", &text), 0);
	assert_fixture_json(text, "out_request_ack.json");
	assert_int_equal(hf_render_request_status(status, 2, &text), 0);
	assert_fixture_json(text, "out_request_status.json");
	assert_int_equal(hf_render_return_requests(returns, 2, "Machines to be terminated.", &text), 0);
	assert_fixture_json(text, "out_return_requests.json");
	assert_int_equal(hf_render_failure("unknown template 'nixos-huge'", &text), 0);
	assert_fixture_json(text, "out_failure.json");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_bad_ids),
		cmocka_unit_test(test_request_machines),
		cmocka_unit_test(test_request_machines_bad),
		cmocka_unit_test(test_request_status),
		cmocka_unit_test(test_request_status_bad),
		cmocka_unit_test(test_machines),
		cmocka_unit_test(test_machines_bad),
		cmocka_unit_test(test_outputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
