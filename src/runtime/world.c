/* The world's parts: state dir, inventory, ledger, Nix, the lab's ssh config. */
#include "runtime/world.h"
#include "adapters/curl/http_curl.h"
#include "adapters/lab/lab.h"
#include "adapters/openssl/signer_openssl.h"
#include "adapters/yaml/yaml_libyaml.h"
#include "app/ledger/trusted.h"
#include "platform/platform.h"
#include "adapters/openssl/cipher_openssl.h"
#include "adapters/nix/nix_cli.h"
#include "runtime/ledger_open.h"
#include "runtime/ssh_config.h"
#include "runtime/transports.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

void world_init(struct world *w, const struct world_options *o)
{
	memset(w, 0, sizeof(*w));
	if (o)
		w->opt = *o;
	platform_use_yaml(&yaml_libyaml_parser);	/* render.yaml is read through the YAML port */
}

void world_close(struct world *w)
{
	world_ssh_free(w->ssh);
	w->ssh = NULL;
	if (w->inv_loaded)
		inventory_release(&w->inv);
	w->inv_loaded = false;
}

/* The state dir as the options and the environment name it, made absolute, into W. */
static int state_dir_resolve(struct world *w)
{
	const char *env, *home;
	char *dir = w->state_dir;
	size_t len = sizeof(w->state_dir);

	if (w->opt.state_dir && *w->opt.state_dir)
		snprintf(dir, len, "%s", w->opt.state_dir);
	else if ((env = getenv("CHIMERA_STATE_DIR")) && *env)
		snprintf(dir, len, "%s", env);
	else if ((env = getenv("XDG_STATE_HOME")) && *env)
		snprintf(dir, len, "%s/chimera", env);
	else {
		home = getenv("HOME");
		if (!home || !*home) {
			struct passwd *pw = getpwuid(getuid());

			home = pw ? pw->pw_dir : "/";
		}
		snprintf(dir, len, "%s/.local/state/chimera", home);
	}
	if (dir[0] != '/') {
		char cwd[PATH_MAX], rel[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return err_set_errno(ERR_IO, errno, "cannot resolve state dir '%s'", dir);
		snprintf(rel, sizeof(rel), "%s", dir);
		if (snprintf(dir, len, "%s/%s", cwd, rel) >= (int)len)
			return err_set(ERR_INVALID, "state dir path too long");
	}
	return 0;
}

int world_state_dir(struct world *w, const char **out)
{
	int r;

	*out = w->state_dir;
	if (w->state_dir[0])
		return 0;
	if ((r = state_dir_resolve(w)) < 0) {
		w->state_dir[0] = '\0';
		return r;
	}
	if (!fs_exists(w->state_dir)) {
		if ((r = fs_mkdir_p(w->state_dir, 0700)) < 0) {
			w->state_dir[0] = '\0';
			return r;
		}
		chmod(w->state_dir, 0700);
		log_kv(LOG_INFO, "state", "created state dir", "path", w->state_dir, (const char *)NULL);
	}
	return 0;
}

static const char *env_get(const char *name, void *arg)
{
	(void)arg;
	return getenv(name);
}

const char *world_inventory_source(const struct world *w)
{
	if (w->opt.config)
		return "flag";
	if (getenv("CHIMERA_CONFIG") && *getenv("CHIMERA_CONFIG"))
		return "env";
	return w->inv.path[0] ? "file" : "default";
}

int world_inventory(struct world *w, const struct inventory **out)
{
	const char *path = w->opt.config;
	int r = 0;

	*out = &w->inv;
	if (w->inv_loaded)
		return 0;
	inventory_init(&w->inv);
	if (!path && getenv("CHIMERA_CONFIG") && *getenv("CHIMERA_CONFIG"))
		path = getenv("CHIMERA_CONFIG");
	if (path)
		r = inventory_load(path, &w->inv);
	else if (fs_exists("chimera.toml"))
		r = inventory_load("chimera.toml", &w->inv);
	if (r == 0) {
		const struct inv_env env = { env_get, NULL };

		r = inventory_apply_env(&w->inv, &env);
	}
	if (r < 0) {
		inventory_release(&w->inv);
		inventory_init(&w->inv);
		return r;
	}
	w->inv_loaded = true;
	return 0;
}

/* This controller's name in checkpoints: the host name, its unprintable bytes and spaces as '_'. */
static void controller_host(char *buf, size_t len)
{
	size_t i;

	if (gethostname(buf, len) < 0 || !buf[0])
		snprintf(buf, len, "unknown");
	buf[len - 1] = '\0';
	for (i = 0; buf[i]; i++)
		if ((unsigned char)buf[i] <= 0x20 || (unsigned char)buf[i] >= 0x7f)
			buf[i] = '_';
}

int world_open_ledger(struct world *w, struct ledger **out)
{
	const char *url = w->opt.ledger, *dir = NULL;
	char sidecar[PATH_MAX], host[256];
	struct ledger *inner = NULL;
	struct signer *signer = NULL;
	int r;

	*out = NULL;
	if (!url || !*url)
		url = getenv("CHIMERA_LEDGER");
	if ((r = world_state_dir(w, &dir)) < 0)
		return r;
	if ((r = ledger_sidecar_path(url, dir, sidecar, sizeof(sidecar))) < 0 ||
	    (r = ledger_open_url(url, dir, &inner)) < 0)
		return r;
	if ((r = signer_openssl_new(dir, &signer)) < 0) {
		ledger_close(inner);
		return r;
	}
	controller_host(host, sizeof(host));
	return trusted_ledger_open(inner, signer, sidecar, host, out);
}

const struct cipher *world_cipher(struct world *w)
{
	(void)w;
	return cipher_openssl();
}

int world_open_http(struct world *w, struct http **out)
{
	(void)w;
	return http_curl_new(out);
}

int world_open_signer(struct world *w, struct signer **out)
{
	const char *dir;
	int r;

	*out = NULL;
	if ((r = world_state_dir(w, &dir)) < 0)
		return r;
	return signer_openssl_new(dir, out);
}

int world_open_executor(struct world *w, const char *transport, long timeout_s, struct executor **out)
{
	const struct transport *t = transport_find(transport);
	struct transport_params p = { .connect_timeout_s = 10, .timeout_s = timeout_s };

	(void)w;
	*out = NULL;
	if (!t)
		return err_set(ERR_UNSUPPORTED, "no transport '%s': expected one of: %s", transport, world_transport_names());
	return t->open(&p, out);
}

int world_nix_new(struct nix **out)
{
	return nix_cli_new(out);
}

int world_open_nix(struct world *w, struct nix **out)
{
	(void)w;
	return nix_cli_new(out);
}

int world_spool_dir(struct world *w, char *buf, size_t len)
{
	const char *dir;
	int r;

	if ((r = world_state_dir(w, &dir)) < 0)
		return r;
	if (snprintf(buf, len, "%s/tmp", dir) >= (int)len)
		return err_set(ERR_INVALID, "state dir path too long");
	return fs_mkdir_p(buf, 0700);
}

int world_lab_ssh_config(struct world *w, char *buf, size_t len)
{
	struct lab lab;
	const char *dir;
	int r;

	buf[0] = '\0';
	if ((r = world_state_dir(w, &dir)) < 0 || (r = lab_open(&lab, dir)) < 0)
		return r;
	lab_ssh_config(&lab, buf, len);
	return 0;
}
