/* The HostFactory provider's world: its files, its lock, the providers, and deploy + status for new machines. */
#include "runtime/hostfactory.h"
#include "app/fleet/deploy.h"
#include "app/fleet/inspect.h"
#include "core/goal.h"
#include "runtime/providers.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "util/banned.h"

#define HF_PROVIDERS_MAX 8

/* The opened context: hw.ctx is what the operations take. */
struct hf_world {
	struct world *w;
	struct hf_ctx ctx;
	struct hf_templates templates;		/* owned */
	struct ledger *ledger;
	struct provider *prov[HF_PROVIDERS_MAX];
	size_t nprov;
	char inventory[PATH_MAX];		/* the chimera.toml machines are written into */
	char state[PATH_MAX];			/* the state dir */
	char confdir[PATH_MAX];			/* the provider's files, "" unknown: no configuring process then */
	int lock_fd;				/* STATE/hostfactory.lock, -1 until opened */
	bool locked;
};

/* DIR/NAME into BUF (PATH_MAX bytes). */
static int conf_path(const char *dir, const char *name, char *buf)
{
	if ((size_t)snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		return err_set(ERR_INVALID, "HF_PROVIDER_CONFDIR '%s' is too long", dir);
	return 0;
}

/*
 * CONFDIR's chimeraprov_config.json (optional: CFG keeps its defaults without it) into CFG
 * and chimeraprov_templates.json (required) into T. Returns 0, or ERR_NOTFOUND naming the
 * missing templates file, ERR_INVALID naming the file and field.
 */
static int hf_conf_read(const char *confdir, struct hf_config *cfg, struct hf_templates *t)
{
	struct buf text = BUF_INIT(0);
	char path[PATH_MAX];
	int r;

	memset(t, 0, sizeof(*t));
	hf_config_init(cfg);
	if ((r = conf_path(confdir, HF_CONFIG_FILE, path)) < 0)
		return r;
	if (fs_exists(path) && ((r = fs_read_file(path, &text)) < 0 || (r = hf_config_parse(path, text.data, text.len, cfg)) < 0))
		goto out;
	buf_release(&text);
	if ((r = conf_path(confdir, HF_TEMPLATES_FILE, path)) < 0)
		goto out;
	if (!fs_exists(path)) {
		r = err_set(ERR_NOTFOUND, "no templates file '%s' (HF_PROVIDER_CONFDIR holds %s)", path, HF_TEMPLATES_FILE);
		goto out;
	}
	if ((r = fs_read_file(path, &text)) == 0)
		r = hf_templates_parse(path, text.data, text.len, t);
out:
	buf_release(&text);
	return r;
}

/* The provider NAME, opened on first use and kept in HW. */
static int get_provider(void *arg, const char *name, struct provider **out)
{
	struct hf_world *hw = arg;
	const struct provider_row *row = provider_find(name);
	size_t i;
	int r;

	*out = NULL;
	for (i = 0; i < hw->nprov; i++)
		if (strcmp(hw->prov[i]->ops->name, name) == 0) {
			*out = hw->prov[i];
			return 0;
		}
	if (!row)
		return err_set(ERR_INVALID, "unknown provider '%s' (providers: %s)", name, provider_names());
	if (hw->nprov == HF_PROVIDERS_MAX)
		return err_set(ERR_LIMIT, "more than %d providers", HF_PROVIDERS_MAX);
	if ((r = row->open(hw->w, hw->inventory, &hw->prov[hw->nprov])) < 0)
		return r;
	*out = hw->prov[hw->nprov++];
	return 0;
}

/* TARGETS joined by commas into B. */
static int join(const char *const *targets, size_t n, struct buf *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((i && buf_addc(b, ',') < 0) || buf_adds(b, targets[i]) < 0)
			return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* hf_ctx.configure: deploy T's configuration to TARGETS as `chimera deploy -c FILE -A ATTR` would, then read their status. */
static int configure(void *arg, const struct hf_tmpl *t, const char *const *targets, size_t n, struct hf_configured *out)
{
	struct hf_world *hw = arg;
	struct nix_source src = { .file = t->config, .attr = t->attr, .flake = t->flake };
	struct buf spec = BUF_INIT(0);
	struct target_list tl;
	struct world_reach reach;
	struct world_fleet wf = { 0 };
	struct deploy_ctx ctx = { 0 };
	struct deploy_report rep = { 0 };
	struct status_report srep = { 0 };
	struct deploy_opts o = { 0 };
	char tmp[PATH_MAX];
	int r;

	target_list_init(&tl);
	world_reach_init(&reach);
	if ((r = join(targets, n, &spec)) < 0 || (r = world_targets(hw->w, spec.data, NULL, NULL, &tl)) < 0 ||
	    (r = world_open_fleet(hw->w, &reach, &tl, &wf)) < 0 || (r = world_spool_dir(hw->w, tmp, sizeof(tmp))) < 0 ||
	    (r = world_open_nix(hw->w, &ctx.nix)) < 0)
		goto out;
	ctx.fleet = wf.fleet;
	o = (struct deploy_opts){ .source = &src, .profile = reach.profile, .activate = reach.activate, .tmp_dir = tmp };
	if (reach.goal)
		goal_parse(reach.goal, &o.goal);
	log_kv(LOG_INFO, "hostfactory", "deploying", "template", t->id, "targets", spec.data, (const char *)NULL);
	if ((r = deploy_run(&ctx, &tl, &o, &rep)) < 0)
		goto out;
	if (status_run(&wf.fleet, &tl, reach.profile, rep.path, NULL, NULL, &srep) < 0)
		log_kv(LOG_WARN, "hostfactory", "status after the deploy failed", "error", err_msg(), (const char *)NULL);
	hf_judge(&rep, &srep, n, out);
out:
	status_report_release(&srep);
	deploy_report_release(&rep);
	if (ctx.nix)
		ctx.nix->ops->close(ctx.nix);
	world_fleet_close(&wf);
	target_list_release(&tl);
	buf_release(&spec);
	return r;
}

/* The inventory file the machines go into, made empty when missing. */
static int inventory_path(struct world *w, const struct hf_config *cfg, const char *state, char *buf)
{
	const char *env = getenv("CHIMERA_CONFIG");

	if (w->opt.config)
		snprintf(buf, PATH_MAX, "%s", w->opt.config);
	else if (env && *env)
		snprintf(buf, PATH_MAX, "%s", env);
	else if (cfg->inventory[0])
		snprintf(buf, PATH_MAX, "%s", cfg->inventory);
	else if (fs_exists("chimera.toml"))
		snprintf(buf, PATH_MAX, "chimera.toml");
	else if ((size_t)snprintf(buf, PATH_MAX, "%s/chimera.toml", state) >= PATH_MAX)
		return err_set(ERR_INVALID, "the state dir '%s' is too long", state);
	if (!fs_exists(buf))
		return fs_write_file(buf, "", 0, 0600);
	return 0;
}

/* hf_ctx.lock: STATE/hostfactory.lock taken (opened on first use). */
static int lock(void *arg)
{
	struct hf_world *hw = arg;
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/hostfactory.lock", hw->state) >= sizeof(path))
		return err_set(ERR_INVALID, "the state dir '%s' is too long", hw->state);
	if (hw->lock_fd < 0 && (hw->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return err_set_errno(ERR_IO, errno, "cannot open '%s'", path);
	while (flock(hw->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return err_set_errno(ERR_IO, errno, "cannot lock '%s'", path);
	hw->locked = true;
	return 0;
}

static void unlock(void *arg)
{
	struct hf_world *hw = arg;

	if (hw->locked && hw->lock_fd >= 0)
		flock(hw->lock_fd, LOCK_UN);
	hw->locked = false;
}

/* ARGV[N++] = S, while there is room for it and the NULL after it. */
static void arg_add(char **argv, size_t *n, size_t max, const char *s)
{
	if (*n + 1 < max)
		argv[(*n)++] = (char *)s;
}

/*
 * hf_ctx.spawn_configure: `chimera --state-dir STATE --config INVENTORY [--ledger URL]
 * hostfactory configure --confdir DIR --request REQ`, detached, its output appended to
 * $HF_PROVIDER_LOGDIR/chimera-configure.log, else STATE/hostfactory-configure.log.
 */
static int spawn_configure(void *arg, const char *req, int64_t *pid, int64_t *start)
{
	struct hf_world *hw = arg;
	const char *logdir = getenv("HF_PROVIDER_LOGDIR");
	char exe[PATH_MAX], inv[PATH_MAX], log[PATH_MAX], *argv[20];
	size_t n = 0;
	ssize_t len;
	pid_t p;
	int r;

	if ((len = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return err_set_errno(ERR_IO, errno, "cannot find chimera's own binary (/proc/self/exe)");
	exe[len] = '\0';
	if (!realpath(hw->inventory, inv))
		snprintf(inv, sizeof(inv), "%s", hw->inventory);
	if (logdir && *logdir)
		snprintf(log, sizeof(log), "%s/chimera-configure.log", logdir);
	else
		snprintf(log, sizeof(log), "%s/hostfactory-configure.log", hw->state);
	arg_add(argv, &n, 20, exe);
	arg_add(argv, &n, 20, "--state-dir");
	arg_add(argv, &n, 20, hw->state);
	arg_add(argv, &n, 20, "--config");
	arg_add(argv, &n, 20, inv);
	if (hw->w->opt.ledger) {
		arg_add(argv, &n, 20, "--ledger");
		arg_add(argv, &n, 20, hw->w->opt.ledger);
	}
	arg_add(argv, &n, 20, "hostfactory");
	arg_add(argv, &n, 20, "configure");
	arg_add(argv, &n, 20, "--confdir");
	arg_add(argv, &n, 20, hw->confdir);
	arg_add(argv, &n, 20, "--request");
	arg_add(argv, &n, 20, req);
	argv[n] = NULL;
	if ((r = proc_spawn_detached(argv, log, &p)) < 0)
		return r;
	*pid = p;
	/* Its start time: read at once; one that ended already is found dead at the next call. */
	proc_start_time(p, start);
	log_kv(LOG_INFO, "hostfactory", "configuring in a process of its own", "request", req, "log", log, (const char *)NULL);
	return 0;
}

/*
 * Open the context on W with CFG and the templates T (taken: T is emptied): the inventory
 * file is W's --config, else $CHIMERA_CONFIG, else CFG's, else ./chimera.toml when it exists,
 * else STATE_DIR/chimera.toml
 * (made empty when missing, and set as W's config so deploys read the same). With LOCKED,
 * STATE_DIR/hostfactory.lock is held until hf_world_close, so two operations never
 * interleave; without, the context's lock and unlock take it when asked (the background
 * configuration). CONFDIR (may be NULL) lets getRequestStatus start that background
 * process. Returns 0 or an error; HW is closed with hf_world_close either way.
 */
static int hf_world_open(struct world *w, const struct hf_config *cfg, struct hf_templates *t, bool locked,
			 const char *confdir, struct hf_world *hw)
{
	const char *state;
	int r;

	memset(hw, 0, sizeof(*hw));
	hw->w = w;
	hw->lock_fd = -1;
	hw->templates = *t;
	memset(t, 0, sizeof(*t));
	if ((r = world_state_dir(w, &state)) < 0)
		return r;
	snprintf(hw->state, sizeof(hw->state), "%s", state);
	if (confdir && !realpath(confdir, hw->confdir))
		snprintf(hw->confdir, sizeof(hw->confdir), "%s", confdir);
	if ((r = inventory_path(w, cfg, state, hw->inventory)) < 0 || (locked && (r = lock(hw)) < 0))
		return r;
	if (!w->opt.config && !w->inv_loaded)
		w->opt.config = hw->inventory;
	if ((r = world_open_ledger(w, &hw->ledger)) < 0)
		return r;
	hw->ctx = (struct hf_ctx){ .ledger = hw->ledger, .templates = &hw->templates, .boot_timeout_s = cfg->boot_timeout_s,
				   .grace_period_s = cfg->grace_period_s, .provider = get_provider, .configure = configure,
				   .spawn_configure = hw->confdir[0] ? spawn_configure : NULL, .lock = lock,
				   .unlock = unlock, .arg = hw };
	return 0;
}

static void hf_world_close(struct hf_world *hw)
{
	size_t i;

	for (i = 0; i < hw->nprov; i++)
		hw->prov[i]->ops->close(hw->prov[i]);
	if (hw->ledger)
		ledger_close(hw->ledger);
	if (hw->w && hw->w->opt.config == hw->inventory)
		hw->w->opt.config = NULL;
	if (hw->lock_fd >= 0)
		close(hw->lock_fd);
	hf_templates_release(&hw->templates);
	memset(hw, 0, sizeof(*hw));
	hw->lock_fd = -1;
}

/* REP as the failure shape saying MSG. */
static void unavailable(struct hf_report *rep, const char *msg)
{
	rep->ok = false;
	snprintf(rep->message, sizeof(rep->message), "%s", msg);
	free(rep->json);
	rep->json = NULL;
	hf_render_failure(rep->message, &rep->json);
}

int hf_run(struct world *w, const struct hf_op *op, struct hf_call *call, const char *input, size_t len,
	   struct hf_report *rep)
{
	struct hf_templates t = { 0 };
	struct hf_world hw = { 0 };
	struct hf_config *cfg = &call->cfg;
	int r;

	hw.lock_fd = -1;
	memset(rep, 0, sizeof(*rep));
	r = hf_conf_read(call->confdir, cfg, &t);
	if (r == ERR_NOTFOUND && call->templates_optional)
		r = 0;
	if (r == 0 && call->configured)
		call->configured(cfg, call->arg);
	if (r < 0 || (r = hf_world_open(w, cfg, &t, true, call->confdir, &hw)) < 0) {
		unavailable(rep, err_msg());
		r = HF_UNAVAILABLE;
	} else {
		r = op->run(&hw.ctx, input, len, rep);
	}
	hf_world_close(&hw);
	hf_templates_release(&t);
	return r;
}

int hf_run_configure(struct world *w, struct hf_call *call, const char *req)
{
	struct hf_templates t = { 0 };
	struct hf_world hw = { 0 };
	int r;

	hw.lock_fd = -1;
	if ((r = hf_conf_read(call->confdir, &call->cfg, &t)) == 0) {
		if (call->configured)
			call->configured(&call->cfg, call->arg);
		if ((r = hf_world_open(w, &call->cfg, &t, false, NULL, &hw)) == 0)
			r = hf_configure_request(&hw.ctx, req);
	}
	hf_world_close(&hw);
	hf_templates_release(&t);
	return r;
}
