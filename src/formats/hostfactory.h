/* The IBM Spectrum Symphony HostFactory provider protocol: the JSON each operation reads and writes. */
#ifndef CHIMERA_FORMATS_HOSTFACTORY_H
#define CHIMERA_FORMATS_HOSTFACTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The shapes, as read in the two reference providers (facts only, nothing copied):
 *   morganstanley/symphony-hostfactory src/hostfactory/cli/hf.py (what each operation reads)
 *   and src/hostfactory/api.py (what each writes); awslabs/open-hostfactory-plugin
 *   docs/docs/hostfactory/integration_guide.md (templates, the error object).
 *
 * getAvailableTemplates   input: none
 *   output {"templates": [{"templateId": S, "maxNumber": N, "availableNumber": N,
 *           "attributes": {"type": ["String", S], "ncpus": ["Numeric", "N"],
 *                          "nram": ["Numeric", "N"]}}]}
 * requestMachines         input {"template": {"templateId": S, "machineCount": N}}
 *   output {"requestId": "req-...", "message": S}
 * getRequestStatus        input {"requests": [{"requestId": S}]}
 *   output {"requests": [{"requestId": S, "status": "running"|"complete"|"complete_with_error",
 *           "message": S, "machines": [{"machineId": S, "name": S,
 *           "result": "executing"|"fail"|"succeed", "status": S, "privateIpAddress": S,
 *           "publicIpAddress": S, "launchtime": N, "message": S}]}]}
 * requestReturnMachines   input {"machines": [{"name": S, "machineId": S}]}
 *   output {"requestId": "ret-...", "message": S}
 * getReturnRequests       input {"machines": [{"name": S, "machineId": S}]}
 *   output {"status": "complete", "message": S, "requests": [{"machine": S, "gracePeriod": N}]}
 * failure (any operation) {"message": S}, and the command exits non-zero (api.py's replies all
 *   carry "message"; the awslabs guide wraps it as {"error": {"code", "message"}}, which
 *   HostFactory does not read, so only "message" is written).
 *
 * Parsing is strict: an unknown or missing field or a wrong type is an error (ERR_INVALID)
 * naming the field and the expected form: "bad 'template.machineCount' in requestMachines
 * input: expected a whole number from 1 to 10". "machineId" is optional in machine lists.
 */

#define HF_NAME_MAX 255		/* longest template id, machine name or machine id, in bytes */
#define HF_LIST_MAX 1000	/* most requests or machines in one input */
#define HF_ID_LEN 40		/* "req-" and a 36-character UUID */

enum hf_id_kind { HF_ID_REQUEST, HF_ID_RETURN };

/* A request id: "req-<UUID>" or "ret-<UUID>", the UUID version 4 in lower case. */
struct hf_request_id {
	enum hf_id_kind kind;
	char text[HF_ID_LEN + 1];
};

/* Make a fresh id of KIND from 16 caller-given random bytes (a v4 UUID). */
void hf_id_make(enum hf_id_kind kind, const uint8_t random[16], struct hf_request_id *out);

/* Parse LEN bytes of S as a request id. Returns 0 or ERR_INVALID quoting S and the form. */
int hf_id_parse(const char *s, size_t len, struct hf_request_id *out);

/* requestMachines input. */
struct hf_request_machines {
	char template_id[HF_NAME_MAX + 1];
	unsigned count;		/* 1 .. the max_count given to the parser */
};

/* A machine named in requestReturnMachines or getReturnRequests input. */
struct hf_machine_ref {
	char name[HF_NAME_MAX + 1];
	char machine_id[HF_NAME_MAX + 1];	/* "" when absent */
};

struct hf_machine_refs {
	struct hf_machine_ref *items;	/* owned; NULL when n is 0 */
	size_t n;
};

/* getRequestStatus input. */
struct hf_request_ids {
	struct hf_request_id *items;	/* owned; NULL when n is 0 */
	size_t n;
};

/* Which input a machine list is: requestReturnMachines needs one machine, getReturnRequests none. */
enum hf_machines_op { HF_OP_RETURN_MACHINES, HF_OP_GET_RETURN_REQUESTS };

/*
 * Parse each operation's input file (LEN bytes of TEXT). Return 0, or ERR_INVALID with a
 * message naming the field and the expected form (OUT left empty), or ERR_NOMEM.
 * MAX_COUNT (1 ..) bounds machineCount.
 */
int hf_parse_request_machines(const char *text, size_t len, unsigned max_count, struct hf_request_machines *out);
int hf_parse_request_status(const char *text, size_t len, struct hf_request_ids *out);
int hf_parse_machines(const char *text, size_t len, enum hf_machines_op op, struct hf_machine_refs *out);

void hf_machine_refs_release(struct hf_machine_refs *m);
void hf_request_ids_release(struct hf_request_ids *r);

/* The name of an operation's input in messages: "requestReturnMachines". */
const char *hf_machines_op_name(enum hf_machines_op op);

/* Outputs. Each render function sets *OUT to a malloc'd JSON document; returns 0 or ERR_NOMEM. */
struct hf_template {
	const char *id;
	unsigned max_number, available_number;
	const char *type;	/* "X86_64" */
	unsigned ncpus;
	unsigned long nram;	/* MiB */
};

enum hf_request_state { HF_REQ_RUNNING, HF_REQ_COMPLETE, HF_REQ_COMPLETE_WITH_ERROR };
enum hf_machine_result { HF_RESULT_EXECUTING, HF_RESULT_FAIL, HF_RESULT_SUCCEED };

struct hf_machine {
	const char *machine_id, *name;
	enum hf_machine_result result;
	const char *status;		/* "running", "terminated", ... */
	const char *private_ip;		/* "" when not known yet */
	int64_t launchtime;		/* seconds since 1970 */
	const char *message;		/* why, when result is fail; may be "" otherwise */
};

struct hf_request_status {
	const char *request_id;
	enum hf_request_state status;
	const char *message;
	const struct hf_machine *machines;
	size_t n_machines;
};

struct hf_return_request {
	const char *machine;
	unsigned grace_period;	/* seconds */
};

int hf_render_templates(const struct hf_template *t, size_t n, char **out);
/* The reply of requestMachines and requestReturnMachines. */
int hf_render_request_ack(const struct hf_request_id *id, const char *message, char **out);
int hf_render_request_status(const struct hf_request_status *r, size_t n, char **out);
int hf_render_return_requests(const struct hf_return_request *r, size_t n, const char *message, char **out);
int hf_render_failure(const char *message, char **out);

/* Inputs, the other way round (tests, the fuzz round trip, a client). */
int hf_render_request_machines(const struct hf_request_machines *in, char **out);
int hf_render_request_ids(const struct hf_request_ids *in, char **out);
int hf_render_machines(const struct hf_machine_refs *in, char **out);

#endif
