/*
 * Use cases: the five operations of the Symphony HostFactory provider interface
 * (getAvailableTemplates, requestMachines, getRequestStatus, requestReturnMachines,
 * getReturnRequests). Requests and machines are aggregates whose every change is a
 * hostfactory.* event of the ledger; the projection folded from those events
 * (app/hostfactory/hf_proj.h) is what each operation reads. getRequestStatus reconciles:
 * each machine still on its way is asked of its provider (ports/provider.h), a ready one
 * gets its template's configuration deployed and is checked congruent before it may report
 * succeed, and one not ready within the boot timeout fails. Nothing prints: each operation
 * returns a report holding the protocol's JSON document (formats/hostfactory.h).
 */
#ifndef CHIMERA_APP_HOSTFACTORY_H
#define CHIMERA_APP_HOSTFACTORY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/hostfactory.h"
#include "ports/ledger.h"
#include "ports/provider.h"

#define HF_TEMPLATES_FILE "chimeraprov_templates.json"
#define HF_CONFIG_FILE "chimeraprov_config.json"
#define HF_TEMPLATES_MAX 256
#define HF_BOOT_TIMEOUT_S_DEFAULT 600
#define HF_GRACE_PERIOD_S_DEFAULT 0
#define HF_MACHINE_TAG "hostfactory"

/* One template of chimeraprov_templates.json. */
struct hf_tmpl {
	char id[HF_NAME_MAX + 1];
	unsigned max_number;
	char type[32];			/* attributes.type: "X86_64" */
	unsigned ncpus;			/* attributes.ncpus, else cpus */
	unsigned long nram;		/* attributes.nram (MiB), else memory */
	char provider[16];		/* "qemu" or "lab" */
	int cpus, memory_mib, disk_gib;	/* qemu: 0 for the provider's default */
	char *config;			/* the chimera configuration: a .nix file (absolute) and attr, or a flake; owned */
	char *attr;
	char *flake;
};

struct hf_templates {
	struct hf_tmpl *items;		/* owned */
	size_t n;
};

/*
 * Parse LEN bytes of TEXT, the file PATH (for messages; relative config paths are taken
 * from its directory), as {"templates": [...]}. Each template: templateId, maxNumber (1 to
 * 1000), provider, config (+ attr) or flake; optional attributes (type, ncpus, nram as the
 * protocol writes them), cpus, memory, disk. Unknown fields are refused. Returns 0, or
 * ERR_INVALID naming the file, the template and the field (OUT empty), or ERR_NOMEM.
 */
int hf_templates_parse(const char *path, const char *text, size_t len, struct hf_templates *out);
void hf_templates_release(struct hf_templates *t);

/* The template named ID, or NULL. */
const struct hf_tmpl *hf_templates_find(const struct hf_templates *t, const char *id);

/* chimeraprov_config.json: every field optional. */
struct hf_config {
	char state_dir[PATH_MAX];	/* stateDir: chimera's state dir ("": not said) */
	char inventory[PATH_MAX];	/* inventory: the chimera.toml machines are written into ("": not said) */
	char ledger[PATH_MAX];		/* ledger: a ledger URL ("": not said) */
	long boot_timeout_s;		/* bootTimeout: a machine not ready by then fails */
	long grace_period_s;		/* gracePeriod: what getReturnRequests gives a quarantined machine */
	char log_level[16];		/* logLevel: error, warn, info, debug, trace ("": not said) */
};

/* Defaults; then PATH's LEN bytes of TEXT over them. 0 or ERR_INVALID naming the field. */
void hf_config_init(struct hf_config *c);
int hf_config_parse(const char *path, const char *text, size_t len, struct hf_config *c);

/* What a deploy made of one machine (hf_ctx.configure). */
struct hf_configured {
	bool deployed;			/* its configuration was deployed and activated */
	bool congruent;			/* and a status read found the node on it */
	char deployment[32];		/* the deployment's id, "" when none ran */
	char path[512];			/* the store path deployed, "" when the build failed */
	char message[512];		/* why not, when not deployed or not congruent */
};

struct deploy_report;
struct status_report;

/*
 * What a deploy (REP) and the status read after it (SREP; its nodes as REP's) made of each
 * of the N machines: deployed, congruent, else why not. Pure: hf_ctx.configure's verdict.
 */
void hf_judge(const struct deploy_report *rep, const struct status_report *srep, size_t n, struct hf_configured *out);

/* What every operation works with; all borrowed. */
struct hf_ctx {
	struct ledger *ledger;
	const struct hf_templates *templates;
	long boot_timeout_s;
	long grace_period_s;
	/* The provider named NAME, opened once and kept by the caller (*OUT borrowed). ERR_INVALID for no such provider. */
	int (*provider)(void *arg, const char *name, struct provider **out);
	/*
	 * Deploy T's configuration to the N machines whose targets are TARGETS (as the
	 * inventory holds them), then read their status: OUT[i] for TARGETS[i]. Returns 0, or
	 * an error before any node was tried (OUT then untouched).
	 */
	int (*configure)(void *arg, const struct hf_tmpl *t, const char *const *targets, size_t n,
			 struct hf_configured *out);
	/*
	 * Start a process of its own that runs hf_configure_request for request REQ, so that
	 * getRequestStatus answers at once: its pid and start time (proc_start_time) into *PID
	 * and *START. 0 or an error. NULL: getRequestStatus configures inside the call.
	 */
	int (*spawn_configure)(void *arg, const char *req, int64_t *pid, int64_t *start);
	/* The provider's lock taken (0 or an error) and given back: hf_configure_request's, around its reads and writes. */
	int (*lock)(void *arg);
	void (*unlock)(void *arg);
	void *arg;
	int64_t now_s;			/* the time of the operation, seconds since 1970 (0: the clock's) */
};

/* What an operation did: the document to print (the protocol's reply, or its failure shape). */
struct hf_report {
	bool ok;			/* false: JSON is the failure shape {"message": ...} */
	char *json;			/* owned; NULL only when out of memory */
	char message[1024];		/* what failed */
};

/*
 * The five operations. INPUT is the input file's LEN bytes (getAvailableTemplates takes none).
 * Each fills REP either way and returns 0, ERR_INVALID for bad input (a count over
 * maxNumber, an unknown template, request or machine, malformed JSON: the message names
 * it), or another error (ledger, provider).
 */
int hf_get_templates(const struct hf_ctx *c, struct hf_report *rep);
int hf_request_machines(const struct hf_ctx *c, const char *input, size_t len, struct hf_report *rep);
int hf_request_status(const struct hf_ctx *c, const char *input, size_t len, struct hf_report *rep);
int hf_return_machines(const struct hf_ctx *c, const char *input, size_t len, struct hf_report *rep);
int hf_return_requests(const struct hf_ctx *c, const char *input, size_t len, struct hf_report *rep);

void hf_report_release(struct hf_report *rep);

/* The operations by their protocol names, for front ends. */
typedef int (*hf_op_fn)(const struct hf_ctx *c, const char *input, size_t len, struct hf_report *rep);
struct hf_op {
	const char *name;		/* "getAvailableTemplates", ... */
	const char *path;		/* its API path under /api/v1/hostfactory: "templates", ... */
	bool input;			/* takes an input file */
	hf_op_fn run;
};

/*
 * The background half of getRequestStatus (the process spawn_configure starts): request
 * REQ's running machines that getRequestStatus marked as this process's
 * (hostfactory.machine.configuring with its pid and start time) get the template's
 * configuration deployed and a status read (c->configure, without the lock), then, under
 * the lock, their hostfactory.machine.configured events, and those not congruent taken
 * back. Machines marked for another process, returned meanwhile, or no longer running are
 * left alone. 0 or an error.
 */
int hf_configure_request(const struct hf_ctx *c, const char *req);

/* The five, ended by a row with a NULL name. */
extern const struct hf_op hf_ops[];
const struct hf_op *hf_op_find(const char *name);

#endif
