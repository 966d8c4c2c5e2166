/* Use case: certify a simulated configuration, and verify a certificate. */
#include "app/pipeline/certify.h"
#include "platform/platform.h"
#include "platform/heal.h"
#include "platform/netlify/netlify.h"
#include "platform/render/render.h"
#include "core/storepath.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/json.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "util/banned.h"


static bool is_syntax_rule(const char *rule)
{
	return strcmp(rule, "NTL-TOML-1") == 0 || strcmp(rule, "RND-YAML-1") == 0 || strcmp(rule, "NIX-SYNTAX") == 0;
}

bool cert_checks_run(const struct sim_report *rep, struct cert_checks *out)
{
	size_t i;

	out->configuration_valid = true;
	out->healing_successful = true;
	for (i = 0; i < rep->n; i++) {
		const struct sim_issue *is = &rep->issues[i];

		if (is_syntax_rule(is->rule))
			out->configuration_valid = false;
		if (is->fix == SIM_FIX_HEAL && is->severity <= SIM_HIGH)
			out->healing_successful = false;
	}
	out->no_critical_issues = rep->count[SIM_CRITICAL] == 0;
	out->simulation_passed = sim_passed(rep);
	return out->configuration_valid && out->no_critical_issues && out->simulation_passed && out->healing_successful;
}

int cert_key_id(struct signer *sg, char id[CERT_KEY_ID_LEN + 1])
{
	return sg->ops->key_id(sg, id);
}

/* Fill BUF with LEN random bytes from the kernel. Returns 0 or ERR_IO. */
static int random_bytes(uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if ((n = getrandom(buf + got, len - got, 0)) < 0) {
			if (errno == EINTR)
				continue;
			return err_set(ERR_IO, "no random bytes for the nonce");
		}
		got += (size_t)n;
	}
	return 0;
}

static int digest_hex(const void *p, size_t n, char hex[SHA3_256_HEX])
{
	uint8_t md[SHA3_256_LEN];

	if (sha3_256(p, n, md) < 0)
		return err_set(ERR_IO, "cannot hash");
	hex_encode(md, sizeof(md), hex);
	return 0;
}

/* SHA3-256 of DIR/NAME. */
static int file_digest(const char *dir, const char *name, char hex[SHA3_256_HEX])
{
	struct buf b = BUF_INIT(0);
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((r = fs_read_file(path, &b)) == 0)
		r = digest_hex(b.data, b.len, hex);
	buf_release(&b);
	return r;
}

/* The canonical JSON text of CERT without its signature: what the signature covers. */
static int signed_text(const json_t *cert, struct buf *out)
{
	json_t *copy = json_deep_copy(cert);
	char *text;
	int r;

	if (!copy)
		return err_set(ERR_NOMEM, "out of memory");
	json_object_del(copy, "signature");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	if (!text)
		return err_set(ERR_NOMEM, "out of memory");
	r = json_canonical(text, out);
	free(text);
	return r;
}

/* SHA3-256 of the canonical text of J. */
static int json_digest(const json_t *j, char hex[SHA3_256_HEX])
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	int r;

	if (!text)
		return err_set(ERR_NOMEM, "out of memory");
	r = digest_hex(text, strlen(text), hex);
	free(text);
	return r;
}

/* The simulation report's digest: its issues and counts, without the time it took. */
static int report_digest(const struct sim_report *rep, char hex[SHA3_256_HEX])
{
	json_t *j = sim_report_json(rep);
	int r;

	if (!j)
		return err_set(ERR_NOMEM, "out of memory");
	json_object_del(j, "us");
	r = json_digest(j, hex);
	json_decref(j);
	return r;
}

int cert_make(struct signer *sg, const char *dir, const struct sim_report *rep, const json_t *healing,
	      const char *artifact, json_t **out)
{
	struct buf text = BUF_INIT(0);
	json_t *cert = NULL, *files;
	char id[CERT_KEY_ID_LEN + 1], hex[SHA3_256_HEX], heal_hex[SHA3_256_HEX], nonce_hex[33],
		sig_hex[SIGNER_SIG_LEN * 2 + 1], when[CLOCK_UTC_LEN];
	uint8_t nonce[16], sig[SIGNER_SIG_LEN];
	size_t i;
	int r;

	*out = NULL;
	if (artifact && !storepath_valid(artifact, strlen(artifact)))
		return err_set(ERR_INVALID, "--artifact '%s' is not a store path", artifact);
	if ((r = sg->ops->key_id(sg, id)) < 0 || (r = random_bytes(nonce, sizeof(nonce))) < 0)
		goto out;
	hex_encode(nonce, sizeof(nonce), nonce_hex);
	clock_format_utc(clock_wall_ms(), when);
	files = json_array();
	for (i = 0; i < rep->nfiles; i++) {
		if ((r = file_digest(dir, rep->files[i], hex)) < 0) {
			json_decref(files);
			goto out;
		}
		json_array_append_new(files, json_pack("{s:s, s:s}", "path", rep->files[i], "sha3_256", hex));
	}
	if ((r = report_digest(rep, hex)) < 0 || (healing && (r = json_digest(healing, heal_hex)) < 0)) {
		json_decref(files);
		goto out;
	}
	cert = json_pack("{s:i, s:s, s:o, s:{s:s}, s:o, s:o, s:s, s:s, s:s, s:{s:b, s:b, s:b, s:b}}", "version",
			 CERT_VERSION, "platform", rep->platform, "files", files, "simulation", "sha3_256", hex,
			 "healing", healing ? json_pack("{s:s}", "sha3_256", heal_hex) : json_null(), "artifact",
			 artifact ? json_string(artifact) : json_null(), "time", when, "nonce",
			 nonce_hex, "key_id", id, "checks", "simulation_passed", 1, "no_critical_issues", 1,
			 "healing_successful", 1, "configuration_valid", 1);
	if (!cert) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = signed_text(cert, &text)) < 0)
		goto out;
	if ((r = sg->ops->sign(sg, text.data, text.len, sig)) < 0)
		goto out;
	hex_encode(sig, sizeof(sig), sig_hex);
	json_object_set_new(cert, "signature", json_pack("{s:s, s:s}", "alg", sg->ops->alg, "hex", sig_hex));
	*out = cert;
	cert = NULL;
	r = 0;
out:
	json_decref(cert);
	buf_release(&text);
	return r;
}

int cert_verify(struct signer *sg, const char *dir, const json_t *cert)
{
	struct buf text = BUF_INIT(0);
	const char *key_id = NULL, *sig_hex = NULL;
	char id[CERT_KEY_ID_LEN + 1], hex[SHA3_256_HEX];
	uint8_t sig[SIGNER_SIG_LEN];
	const json_t *files;
	size_t i;
	int version = 0, r;

	if (json_unpack((json_t *)cert, "{s:i, s:s, s:o, s:{s:s}}", "version", &version, "key_id", &key_id, "files",
			&files, "signature", "hex", &sig_hex) != 0 ||
	    !json_is_array(files))
		return err_set(ERR_INVALID, "not a chimera certificate (version, key_id, files and signature expected)");
	if (version != CERT_VERSION)
		return err_set(ERR_INVALID, "certificate version %d: this chimera reads version %d", version, CERT_VERSION);
	if (strlen(sig_hex) != SIGNER_SIG_LEN * 2 || hex_decode(sig_hex, sig, SIGNER_SIG_LEN) < 0)
		return err_set(ERR_INVALID, "the signature is not %d bytes of hex", SIGNER_SIG_LEN);
	if ((r = sg->ops->key_id(sg, id)) < 0)
		goto out;
	if (strcmp(id, key_id) != 0) {
		r = err_set(ERR_CORRUPT, "signed by key %s, not by this controller's key %s", key_id, id);
		goto out;
	}
	if ((r = signed_text(cert, &text)) < 0)
		goto out;
	if ((r = sg->ops->verify(sg, text.data, text.len, sig)) < 0)
		goto out;
	for (i = 0; i < json_array_size(files); i++) {
		const char *path = NULL, *want = NULL;

		if (json_unpack(json_array_get(files, i), "{s:s, s:s}", "path", &path, "sha3_256", &want) != 0 ||
		    strchr(path, '/') || path[0] == '.') {
			r = err_set(ERR_INVALID, "file %zu of the certificate is malformed", i);
			goto out;
		}
		if ((r = file_digest(dir, path, hex)) < 0) {
			r = err_set(ERR_CORRUPT, "%s: certified, but it cannot be read now: %s", path, err_msg());
			goto out;
		}
		if (strcmp(hex, want) != 0) {
			r = err_set(ERR_CORRUPT, "%s changed since it was certified (sha3-256 %.16s..., certified %.16s...)",
				    path, hex, want);
			goto out;
		}
	}
	r = 0;
out:
	buf_release(&text);
	return r;
}

/* Heal's pass over the project's file as it is: the healing report of a file nothing was done to. */
static int heal_pass(const char *dir, const struct sim_report *rep, json_t **out)
{
	struct heal_result h;
	struct buf text = BUF_INIT(0);
	char path[PATH_MAX];
	int r;

	*out = NULL;
	heal_result_init(&h, rep->platform);
	snprintf(path, sizeof(path), "%s/%s", dir, rep->files[0]);
	if ((r = fs_read_file(path, &text)) == 0)
		r = platform_find(rep->platform)->heal_text(rep->files[0], text.data, text.len, dir, &h);
	if (r == 0 && !(*out = heal_report_json(&h)))
		r = err_set(ERR_NOMEM, "out of memory");
	heal_result_release(&h);
	buf_release(&text);
	return r;
}

int cert_project(struct signer *sg, const char *dir, const struct sim_report *rep, const json_t *healing,
		 const char *artifact, struct cert_checks *checks, json_t **out)
{
	json_t *pass = NULL;
	int r;

	*out = NULL;
	if (!cert_checks_run(rep, checks))
		return 1;
	if (!healing && rep->nfiles && platform_heals(platform_find(rep->platform))) {
		if ((r = heal_pass(dir, rep, &pass)) < 0)
			return r;
		healing = pass;
	}
	r = cert_make(sg, dir, rep, healing, artifact, out);
	json_decref(pass);
	return r;
}

int cert_write(const char *file, const json_t *cert)
{
	char *text = json_dumps(cert, JSON_INDENT(2) | JSON_SORT_KEYS);
	int r;

	if (!text)
		return err_set(ERR_NOMEM, "out of memory");
	r = fs_write_file(file, text, strlen(text), 0644);
	free(text);
	return r;
}
