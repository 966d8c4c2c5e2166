/* Use case: certify a simulated configuration (SHA3-256 digests, Ed25519 signature), and verify a certificate. */
#ifndef CHIMERA_APP_CERTIFY_H
#define CHIMERA_APP_CERTIFY_H

#include <jansson.h>
#include <stdbool.h>

#include "platform/sim.h"
#include "ports/signer.h"

#define CERT_VERSION 1
#define CERT_KEY_ID_LEN SIGNER_KEY_ID_LEN	/* hex characters of the key id */

struct cert_checks {
	bool configuration_valid;	/* every file parses */
	bool no_critical_issues;
	bool simulation_passed;		/* nothing critical or high */
	bool healing_successful;	/* no issue heal should have fixed is left */
};

/* Run the four checks on REP. True when all pass. */
bool cert_checks_run(const struct sim_report *rep, struct cert_checks *out);

/*
 * The id of the controller's signing key, SG's (the OpenSSL signer makes it on first use).
 * Returns 0, or the signer's error (ERR_IO / ERR_CORRUPT naming the key's file).
 */
int cert_key_id(struct signer *sg, char id[CERT_KEY_ID_LEN + 1]);

/*
 * The certificate of REP (the files it read are under DIR; ARTIFACT may be NULL), signed
 * by SG: a new JSON object in *OUT, owned by the caller (NULL on failure). HEALING is the
 * healing report (heal_report_json), or NULL when there was none. Only call it when the
 * checks pass. Returns 0, ERR_INVALID for an ARTIFACT that is no store path, or an error.
 */
int cert_make(struct signer *sg, const char *dir, const struct sim_report *rep, const json_t *healing,
	      const char *artifact, json_t **out);

/*
 * The whole of certification for a project in DIR whose simulation is REP (netlify, render
 * or nix): the four checks into CHECKS, then the certificate. HEALING is the healing report
 * to certify; NULL means heal's pass over the file as it is (nothing for nix). SG signs.
 * Returns 0 with *OUT set (the caller's) when certified, 1 when a check failed (*OUT NULL: never a certificate for
 * what did not pass), or an error.
 */
int cert_project(struct signer *sg, const char *dir, const struct sim_report *rep, const json_t *healing,
		 const char *artifact, struct cert_checks *checks, json_t **out);

/* Write CERT to FILE (indented, keys sorted) atomically. Returns 0 or ERR_IO. */
int cert_write(const char *file, const json_t *cert);

/*
 * Check CERT against SG's key and the files under DIR. Returns 0 when the
 * signature and every digest match; ERR_CORRUPT with a message naming what does not
 * (the signature, or the file that changed); ERR_INVALID for a malformed certificate.
 */
int cert_verify(struct signer *sg, const char *dir, const json_t *cert);

#endif
