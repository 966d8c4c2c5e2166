/*
 * The project routes' bodies (act_parse.h): a platform, a project directory on the
 * server's disk (an absolute path: the server's working directory is nobody's project),
 * and paths in it. A path field is absolute or relative to the directory; a file the
 * server writes (a certificate) must be in the directory or below it.
 */
#include "api/act_parse.h"
#include "app/pipeline/certify_project.h"
#include "app/pipeline/hook.h"
#include "core/storepath.h"
#include "util/buf.h"
#include "util/err.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

#define CERT_DEFAULT "chimera-certificate.json"

static bool pipeline_wants(const struct platform *p)
{
	return pipeline_platform_known(p->name);
}

/* "platform": required, one WANT takes (NULL: any), into *OUT. */
static int platform_field(json_t *body, bool (*want)(const struct platform *p), const struct platform **out,
			  char *msg, size_t len)
{
	struct buf names = BUF_INIT(0);
	const struct platform *p;
	const char *name = NULL;

	if (act_field_str(body, "platform", &name, msg, len) < 0)
		return -1;
	p = name ? platform_find(name) : NULL;
	if (p && (!want || want(p))) {
		*out = p;
		return 0;
	}
	platform_names(&names, want, ", ", " or ");
	snprintf(msg, len, "field 'platform' is %s%.40s%s: expected %s", name ? "'" : "missing", name ? name : "",
		 name ? "'" : "", names.data ? names.data : "a platform");
	buf_release(&names);
	return -1;
}

/* "dir": required, an absolute path to a directory, made canonical into OUT. */
static int dir_field(json_t *body, char out[PATH_MAX], char *msg, size_t len)
{
	const char *d = NULL;
	struct stat st;

	if (act_field_str(body, "dir", &d, msg, len) < 0)
		return -1;
	if (!d || d[0] != '/') {
		snprintf(msg, len, "field 'dir' is %s%.200s%s: expected the project's directory on the server, an absolute path",
			 d ? "'" : "missing", d ? d : "", d ? "'" : "");
		return -1;
	}
	if (!realpath(d, out)) {
		snprintf(msg, len, "field 'dir' is '%.200s': %s on the server", d, strerror(errno));
		return -1;
	}
	if (stat(out, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(msg, len, "field 'dir' is '%.200s': not a directory on the server", d);
		return -1;
	}
	return 0;
}

/* Field NAME, a path absolute or relative to DIR, into OUT (PATH_MAX bytes). 1 given, 0 absent, -1 with MSG. */
static int path_field(json_t *body, const char *name, const char *dir, char out[PATH_MAX], char *msg, size_t len)
{
	const char *v = NULL;
	int n;

	if (act_field_str(body, name, &v, msg, len) < 0)
		return -1;
	if (!v)
		return 0;
	n = v[0] == '/' ? snprintf(out, PATH_MAX, "%s", v) : snprintf(out, PATH_MAX, "%s/%s", dir, v);
	if (n < 0 || n >= PATH_MAX) {
		snprintf(msg, len, "field '%s' is too long: expected a path of at most %d bytes (with 'dir' before a relative one)",
			 name, PATH_MAX - 1);
		return -1;
	}
	return 1;
}

/* PATH (field NAME) must be a file the server can read. */
static int file_there(const char *name, const char *path, char *msg, size_t len)
{
	const char *why = NULL;
	struct stat st;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a file";
	if (why) {
		snprintf(msg, len, "field '%s': '%.200s': %s on the server", name, path, why);
		return -1;
	}
	return 0;
}

/*
 * PATH (field NAME) names a file in DIR (EXACT) or below it (else): its directory made
 * canonical, PATH rewritten as that directory and the file's name.
 */
static int in_dir(const char *name, const char *dir, bool exact, char path[PATH_MAX], char *msg, size_t len)
{
	char d[PATH_MAX], b[PATH_MAX], real[PATH_MAX];
	size_t n = strcmp(dir, "/") == 0 ? 0 : strlen(dir);
	const char *base;

	snprintf(d, sizeof(d), "%s", path);
	snprintf(b, sizeof(b), "%s", path);
	base = basename(b);
	if (!realpath(dirname(d), real)) {
		snprintf(msg, len, "field '%s' is '%.200s': its directory: %s on the server", name, path, strerror(errno));
		return -1;
	}
	if ((exact ? strcmp(real, dir) != 0 : strncmp(real, dir, n) != 0 || (real[n] != '\0' && real[n] != '/')) ||
	    !strcmp(base, ".") || !strcmp(base, "..") || !strcmp(base, "/")) {
		snprintf(msg, len, "field '%s' is '%.200s': expected a file %s the project directory '%.200s'%s", name, path,
			 exact ? "in" : "in or below", dir,
			 exact ? " (the certificate covers the files there)" : " (the server writes nowhere else)");
		return -1;
	}
	if (snprintf(path, PATH_MAX, "%s/%s", real, base) >= PATH_MAX) {
		snprintf(msg, len, "field '%s' is too long", name);
		return -1;
	}
	return 0;
}

/* DIR/config_file of a web platform must be there. */
static int config_there(const struct act_project *p, char *msg, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", p->dir, p->platform->config_file);
	if (access(path, R_OK) < 0) {
		snprintf(msg, len, "field 'dir' is '%.200s': no %s there (%s)", p->dir, p->platform->config_file,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Any of FIELDS in BODY: -1 with MSG naming it and WHY. */
static int refuse_any(json_t *body, const char *const *fields, const char *why, char *msg, size_t len)
{
	size_t i;

	for (i = 0; fields[i]; i++)
		if (json_object_get(body, fields[i])) {
			snprintf(msg, len, "field '%s' %s", fields[i], why);
			return -1;
		}
	return 0;
}

int act_parse_simulate(json_t *body, struct act_simulate *s, char *msg, size_t len)
{
	static const char *const allowed[] = { "platform", "dir", "file", "attr", NULL };
	static const char *const built[] = { "file", "attr", NULL };
	struct nix_source src = { 0 };
	int file;

	memset(s, 0, sizeof(*s));
	if (act_check_fields(body, allowed, msg, len) < 0 || platform_field(body, NULL, &s->p.platform, msg, len) < 0 ||
	    dir_field(body, s->p.dir, msg, len) < 0 || (file = path_field(body, "file", s->p.dir, s->file, msg, len)) < 0 ||
	    act_field_str(body, "attr", &s->attr, msg, len) < 0)
		return -1;
	if (!platform_builds(s->p.platform))
		return refuse_any(body, built, "goes with platform nix (what builds)", msg, len) < 0 ? -1
												    : config_there(&s->p, msg, len);
	if (!file)
		snprintf(s->file, sizeof(s->file), "%s/%s", s->p.dir, s->p.platform->config_file);
	if (file_there(file ? "file" : "dir", s->file, msg, len) < 0)
		return -1;
	src.file = s->file;
	src.attr = s->attr;
	if (nix_source_check(&src) < 0) {
		snprintf(msg, len, "field 'attr': %s", err_msg());
		return -1;
	}
	if (!file)
		s->file[0] = '\0';
	return 0;
}

int act_parse_heal(json_t *body, struct act_heal *h, char *msg, size_t len)
{
	static const char *const allowed[] = { "platform", "dir", "write", NULL };

	memset(h, 0, sizeof(*h));
	return act_check_fields(body, allowed, msg, len) < 0 ||
			       platform_field(body, platform_heals, &h->p.platform, msg, len) < 0 ||
			       dir_field(body, h->p.dir, msg, len) < 0 || act_field_bool(body, "write", &h->write, msg, len) < 0 ||
			       config_there(&h->p, msg, len) < 0
		       ? -1
		       : 0;
}

int act_parse_certify(json_t *body, struct act_certify *c, char *msg, size_t len)
{
	static const char *const allowed[] = { "platform", "dir", "artifact", "out", "verify", NULL };
	static const char *const signing[] = { "artifact", "out", NULL };
	int verify, out;

	memset(c, 0, sizeof(*c));
	if (act_check_fields(body, allowed, msg, len) < 0 || dir_field(body, c->p.dir, msg, len) < 0 ||
	    (verify = path_field(body, "verify", c->p.dir, c->verify, msg, len)) < 0)
		return -1;
	if (verify)
		return refuse_any(body, signing, "goes with certifying; 'verify' checks a certificate", msg, len) < 0 ||
				       (json_object_get(body, "platform") &&
					platform_field(body, platform_heals, &c->p.platform, msg, len) < 0) ||
				       file_there("verify", c->verify, msg, len) < 0
			       ? -1
			       : 0;
	if (platform_field(body, platform_heals, &c->p.platform, msg, len) < 0 ||
	    act_field_str(body, "artifact", &c->artifact, msg, len) < 0 ||
	    (out = path_field(body, "out", c->p.dir, c->out, msg, len)) < 0 ||
	    (out && in_dir("out", c->p.dir, false, c->out, msg, len) < 0))
		return -1;
	if (c->artifact && !storepath_valid(c->artifact, strlen(c->artifact))) {
		snprintf(msg, len, "field 'artifact' is '%.200s': expected a store path (/nix/store/HASH-NAME)", c->artifact);
		return -1;
	}
	return config_there(&c->p, msg, len);
}

/* netlify and render: the hook's fields; no field of nix. */
static int pipeline_web(json_t *body, struct act_pipeline *pl, char *msg, size_t len)
{
	static const char *const nix_only[] = { ACT_FIELDS_REACH, ACT_FIELDS_SWITCH, "file", "attr", "args", "argstrs",
						"flake", "expect", "confirm_timeout", NULL };
	struct pipeline_request *rq = &pl->rq;
	const char *env_hook = getenv("CHIMERA_BUILD_HOOK"), *env_back = getenv("CHIMERA_ROLLBACK_HOOK");
	long timeout = rq->hook.timeout_ms / 1000, retries = rq->hook.retries, wait = 0;
	size_t i;

	if (refuse_any(body, nix_only, "goes with platform nix; netlify and render deploy through 'hook'", msg, len) < 0 ||
	    act_field_str(body, "hook", &rq->hook_url, msg, len) < 0 ||
	    act_field_str(body, "rollback_hook", &rq->rollback_hook_url, msg, len) < 0 ||
	    act_field_int(body, "hook_timeout", 1, 3600, &timeout, msg, len) < 0 ||
	    act_field_int(body, "hook_retries", 0, 20, &retries, msg, len) < 0 ||
	    act_field_int(body, "hook_backoff_ms", 0, 600000, &rq->hook.backoff_ms, msg, len) < 0 ||
	    act_field_int(body, "verify_wait", 0, 3600, &wait, msg, len) < 0)
		return -1;
	rq->hook.timeout_ms = timeout * 1000;
	rq->hook.retries = (int)retries;
	rq->verify_wait_ms = wait * 1000;
	/* As the CLI: the server's CHIMERA_BUILD_HOOK and CHIMERA_ROLLBACK_HOOK when the body names none. */
	if (!rq->hook_url && env_hook && env_hook[0])
		rq->hook_url = env_hook;
	if (!rq->rollback_hook_url && env_back && env_back[0])
		rq->rollback_hook_url = env_back;
	if (!rq->hook_url && !rq->dry_run) {
		snprintf(msg, len, "field 'hook' is missing: expected the build hook's URL to deploy (the server has no"
				   " CHIMERA_BUILD_HOOK), or dry_run: true");
		return -1;
	}
	if (rq->hook_url && hook_url_check(rq->hook_url) < 0) {
		snprintf(msg, len, "%s: %s", json_object_get(body, "hook") ? "field 'hook'" : "CHIMERA_BUILD_HOOK", err_msg());
		return -1;
	}
	if (rq->rollback_hook_url && hook_url_check(rq->rollback_hook_url) < 0) {
		snprintf(msg, len, "%s: %s", json_object_get(body, "rollback_hook") ? "field 'rollback_hook'"
										 : "CHIMERA_ROLLBACK_HOOK", err_msg());
		return -1;
	}
	for (i = 0; i < rq->nchecks; i++)
		if (strstr(rq->checks[i].text, HEALTH_HOST_PLACEHOLDER)) {
			snprintf(msg, len, "field 'checks'[%zu] is '%.200s': {host} stands for a node, and netlify and render"
					   " have none; write the site's address", i, rq->checks[i].text);
			return -1;
		}
	return config_there(&pl->p, msg, len);
}

/* nix: targets and the file built, in DIR; no hook. */
static int pipeline_nix(json_t *body, struct act_pipeline *pl, char *msg, size_t len)
{
	static const char *const web_only[] = { "hook", "rollback_hook", "hook_timeout", "hook_retries",
						"hook_backoff_ms", "verify_wait", NULL };
	static const char *const sources[] = { "flake", "expect", NULL };
	struct pipeline_request *rq = &pl->rq;
	char b[PATH_MAX];
	int file;

	rq->confirm_s = 30;
	if (refuse_any(body, web_only, "goes with netlify and render; nix deploys to 'targets'", msg, len) < 0 ||
	    refuse_any(body, sources, "is not for the nix pipeline: it builds a file, give 'file' (and 'attr'); a"
				      " certificate covers the file it was built from", msg, len) < 0 ||
	    act_parse_fleet(body, &pl->req, msg, len) < 0 ||
	    (file = path_field(body, "file", pl->p.dir, pl->file, msg, len)) < 0 ||
	    act_field_str(body, "attr", &pl->req.src.attr, msg, len) < 0 || act_parse_args(body, &pl->req, msg, len) < 0 ||
	    act_field_int(body, "confirm_timeout", 0, 3600, &rq->confirm_s, msg, len) < 0)
		return -1;
	if (!file)
		snprintf(pl->file, sizeof(pl->file), "%s/default.nix", pl->p.dir);
	if (file_there(file ? "file" : "dir", pl->file, msg, len) < 0 ||
	    in_dir(file ? "file" : "dir", pl->p.dir, true, pl->file, msg, len) < 0)
		return -1;
	snprintf(b, sizeof(b), "%s", pl->file);
	snprintf(pl->name, sizeof(pl->name), "%s", basename(b));
	pl->req.src.file = pl->file;
	if (nix_source_check(&pl->req.src) < 0) {
		snprintf(msg, len, "field 'attr': %s", err_msg());
		return -1;
	}
	rq->source = &pl->req.src;
	rq->nix_file = pl->file;
	rq->nix_name = pl->name;
	return 0;
}

int act_parse_pipeline(json_t *body, struct act_pipeline *pl, char *msg, size_t len)
{
	static const char *const allowed[] = { "platform", "dir", "no_heal", "dry_run", "cert", "checks", "hook",
					       "rollback_hook", "hook_timeout", "hook_retries", "hook_backoff_ms",
					       "verify_wait", ACT_FIELDS_REACH, ACT_FIELDS_SWITCH, "file", "attr", "args",
					       "argstrs", "flake", "expect", "confirm_timeout", NULL };
	struct pipeline_request *rq = &pl->rq;
	int cert;

	memset(pl, 0, sizeof(*pl));
	rq->hook = (struct hook_opts){ .timeout_ms = HOOK_TIMEOUT_MS, .retries = HOOK_RETRIES,
				       .backoff_ms = HOOK_BACKOFF_MS };
	if (act_check_fields(body, allowed, msg, len) < 0 || platform_field(body, pipeline_wants, &pl->p.platform, msg, len) < 0 ||
	    dir_field(body, pl->p.dir, msg, len) < 0 || act_field_bool(body, "no_heal", &rq->no_heal, msg, len) < 0 ||
	    act_field_bool(body, "dry_run", &rq->dry_run, msg, len) < 0 || act_parse_checks(body, &pl->req, msg, len) < 0 ||
	    (cert = path_field(body, "cert", pl->p.dir, pl->cert, msg, len)) < 0 ||
	    (cert && in_dir("cert", pl->p.dir, false, pl->cert, msg, len) < 0))
		return -1;
	if (!cert)
		snprintf(pl->cert, sizeof(pl->cert), "%s/%s", pl->p.dir, CERT_DEFAULT);
	rq->platform = pl->p.platform->name;
	rq->dir = pl->p.dir;
	rq->cert_file = pl->cert;
	rq->checks = pl->req.checks;
	rq->nchecks = pl->req.nchecks;
	return platform_builds(pl->p.platform) ? pipeline_nix(body, pl, msg, len) : pipeline_web(body, pl, msg, len);
}

void act_pipeline_release(struct act_pipeline *pl)
{
	act_req_release(&pl->req);
	memset(&pl->rq, 0, sizeof(pl->rq));
}
