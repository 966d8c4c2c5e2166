/*
 * Use case: `chimera certify`. Simulate a project's configuration and sign it when every
 * check passes, or verify a certificate against the files now; reports as data, and the
 * JSON `--json` prints.
 */
#ifndef CHIMERA_APP_PIPELINE_CERTIFY_PROJECT_H
#define CHIMERA_APP_PIPELINE_CERTIFY_PROJECT_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>

#include "app/pipeline/certify.h"
#include "platform/sim.h"
#include "ports/signer.h"

struct certify_request {
	const char *platform;		/* "netlify" or "render" */
	const char *dir;		/* the project directory */
	const char *artifact;		/* a store path to record; may be NULL */
	const char *out_file;		/* where the certificate goes; NULL: DIR/chimera-certificate.json */
};

struct certify_report {
	bool simulated;			/* the simulation ran: a failure after it is signing's or writing's */
	bool certified;			/* every check passed, and the certificate was written */
	struct cert_checks checks;
	struct sim_report sim;		/* the simulation the checks ran on */
	/*
	 * The certificate written (NULL when not certified). Kept as JSON: it is a JSON
	 * document, signed over its canonical text, and printed as it was written.
	 */
	json_t *cert;
	char file[PATH_MAX];		/* where it was written */
};

/* True for a platform certify knows: "netlify" or "render". */
bool certify_platform_known(const char *platform);

/*
 * Simulate RQ's project, run the four checks and, when they pass, sign the certificate
 * with SG and write it. *REP (initialised here; release it with certify_report_release,
 * also after a failure) says which. Returns 0, certified or not; ERR_NOTFOUND when the
 * configuration file is missing; ERR_INVALID for an unknown platform or an artifact that
 * is no store path; ERR_IO and others from reading, signing and writing.
 */
int certify_project(struct signer *sg, const struct certify_request *rq, struct certify_report *rep);

void certify_report_release(struct certify_report *rep);

/*
 * REP as `chimera certify --json` prints it: {certified: true, certificate, content}, or
 * {certified: false, checks, simulation}. A new reference, NULL when out of memory.
 */
json_t *certify_report_json(const struct certify_report *rep);

/*
 * Read the certificate FILE and check it with SG against the files in DIR. Returns 0 when
 * it holds; ERR_CORRUPT when it does not (the signature, or a file that changed);
 * ERR_INVALID when FILE is not JSON or not a certificate; other errors from the signer.
 * Every message starts with FILE.
 */
int certify_verify_file(struct signer *sg, const char *file, const char *dir);

/* What `chimera certify --verify --json` prints for FILE that holds. A new reference. */
json_t *certify_verified_json(const char *file);

#endif
