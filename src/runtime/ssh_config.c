/* The ssh config files read once per world, targets resolved with them, and each host's settings for the SSH executor. */
#include "runtime/ssh_config.h"
#include "runtime/vm.h"
#include "runtime/world.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include <glob.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

#define FILE_MAX (1 << 20)	/* bytes of one config file */

/* A target as resolved, the target as it was written, and the machine it belongs to. */
struct alias {
	struct target resolved;
	struct target written;
	size_t machine;		/* SIZE_MAX: none */
};

struct world_ssh {
	struct sshcfg *cfg;		/* the lab's, then the user's (or --ssh-config) and the system's */
	const struct inventory *inv;
	struct sshcfg **machine_cfg;	/* per machine: its ssh_options; NULL when it has none */
	bool *machine_done;		/* per machine: its target in the inventory is resolved */
	size_t nmachines;
	struct alias *alias;		/* sorted by resolved target once resolution is done */
	size_t nalias, cap;
	char home[PATH_MAX];
	char user[64];
	char host[256];
	unsigned long uid;
};

static int target_cmp(const struct target *a, const struct target *b)
{
	int c;

	if ((c = strcmp(a->transport, b->transport)) || (c = strcmp(a->host, b->host)) || (c = strcmp(a->user, b->user)))
		return c;
	return (int)a->port - (int)b->port;
}

static int alias_cmp(const void *a, const void *b)
{
	return target_cmp(&((const struct alias *)a)->resolved, &((const struct alias *)b)->resolved);
}

static int alias_key_cmp(const void *key, const void *elem)
{
	return target_cmp(key, &((const struct alias *)elem)->resolved);
}

void world_ssh_free(struct world_ssh *s)
{
	size_t i;

	if (!s)
		return;
	sshcfg_free(s->cfg);
	for (i = 0; s->machine_cfg && i < s->nmachines; i++)
		sshcfg_free(s->machine_cfg[i]);
	free(s->machine_cfg);
	free(s->machine_done);
	free(s->alias);
	free(s);
}

/* Read PATH into B; ERR_NOTFOUND when it is missing (a message naming it either way). */
static int read_file(const char *path, struct buf *b)
{
	int r = fs_read_file(path, b);

	if (r == ERR_NOTFOUND)
		return err_set(ERR_NOTFOUND, "no ssh config at '%s'", path);
	return r;
}

/* Include PATTERN: ~ is the home, a relative path is under ~/.ssh (or /etc/ssh from the system's file). */
static int include(struct sshcfg *c, const char *pattern, bool system, void *arg)
{
	const struct world_ssh *ws = arg;
	char path[PATH_MAX];
	glob_t g;
	size_t i;
	int r = 0, gr;

	if (pattern[0] == '~' && pattern[1] == '/')
		snprintf(path, sizeof(path), "%s%s", ws->home, pattern + 1);
	else if (pattern[0] == '/')
		snprintf(path, sizeof(path), "%s", pattern);
	else if (system)
		snprintf(path, sizeof(path), "/etc/ssh/%s", pattern);
	else
		snprintf(path, sizeof(path), "%s/.ssh/%s", ws->home, pattern);
	gr = glob(path, 0, NULL, &g);
	if (gr == GLOB_NOMATCH)
		return 0;
	if (gr != 0)
		return err_set(ERR_IO, "cannot expand Include '%s'", path);
	for (i = 0; i < g.gl_pathc && r == 0; i++) {
		struct buf b = BUF_INIT(FILE_MAX);
		struct stat st;

		if (stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode))
			continue;
		if ((r = read_file(g.gl_pathv[i], &b)) == 0)
			r = sshcfg_add_include(c, g.gl_pathv[i], b.data, b.len);
		buf_release(&b);
	}
	globfree(&g);
	return r;
}

/* Add PATH as a top-level file; a missing one is skipped unless MUST. */
static int add_file(struct world_ssh *ws, const char *path, bool system, bool must)
{
	struct buf b = BUF_INIT(FILE_MAX);
	int r;

	if (!must && !fs_exists(path))
		return 0;
	if ((r = read_file(path, &b)) == 0)
		r = sshcfg_add(ws->cfg, path, b.data, b.len, system, include, ws);
	buf_release(&b);
	return r;
}

/* A machine's ssh_options ("Key=Value") as a config of their own, named after chimera.toml and the machine. */
static int machine_config(struct world_ssh *ws, const struct inv_machine *m, struct sshcfg **out)
{
	struct buf text = BUF_INIT(0);
	char name[PATH_MAX];
	size_t k;
	int r = 0;

	*out = NULL;
	if (!m->nssh_options)
		return 0;
	for (k = 0; k < m->nssh_options && r == 0; k++) {
		const char *o = m->ssh_options[k];
		size_t key = strcspn(o, "=");

		r = buf_printf(&text, "%.*s %s\n", (int)key, o, o[key] ? o + key + 1 : "");
	}
	snprintf(name, sizeof(name), "%s [machines.%s] ssh_options", ws->inv->path[0] ? ws->inv->path : "chimera.toml",
		 m->name);
	if (r == 0 && !(*out = sshcfg_new()))
		r = err_set(ERR_NOMEM, "out of memory");
	if (r == 0)
		r = sshcfg_add(*out, name, text.data, text.len, false, NULL, NULL);
	buf_release(&text);
	return r;
}

static void who_am_i(struct world_ssh *ws)
{
	const char *home = getenv("HOME");
	struct passwd *pw = getpwuid(getuid());

	ws->uid = (unsigned long)getuid();
	if (!home || !*home)
		home = pw ? pw->pw_dir : "/";
	snprintf(ws->home, sizeof(ws->home), "%s", home);
	snprintf(ws->user, sizeof(ws->user), "%s", pw ? pw->pw_name : "root");
	if (gethostname(ws->host, sizeof(ws->host)) < 0)
		snprintf(ws->host, sizeof(ws->host), "localhost");
	ws->host[sizeof(ws->host) - 1] = '\0';
}

static int load(struct world *w, struct world_ssh *ws)
{
	const char *opt = w->opt.ssh_config, *env = getenv("CHIMERA_SSH_CONFIG");
	char lab[PATH_MAX], vms[PATH_MAX], user[PATH_MAX + 16];
	size_t i;
	int r;

	who_am_i(ws);
	if ((r = world_inventory(w, &ws->inv)) < 0 || (r = world_lab_ssh_config(w, lab, sizeof(lab))) < 0)
		return r;
	if (!(ws->cfg = sshcfg_new()))
		return err_set(ERR_NOMEM, "out of memory");
	if (lab[0] && (r = add_file(ws, lab, false, false)) < 0)
		return r;
	if ((r = world_vm_ssh_config(w, vms, sizeof(vms))) < 0 || (vms[0] && (r = add_file(ws, vms, false, false)) < 0))
		return r;
	if (!opt && env && *env)
		opt = env;
	if (opt) {
		if (strcmp(opt, "none") != 0 && (r = add_file(ws, opt, false, true)) < 0)
			return r;
	} else {
		snprintf(user, sizeof(user), "%s/.ssh/config", ws->home);
		if ((r = add_file(ws, user, false, false)) < 0 || (r = add_file(ws, "/etc/ssh/ssh_config", true, false)) < 0)
			return r;
	}
	ws->nmachines = ws->inv->n;
	ws->machine_cfg = calloc(ws->nmachines ? ws->nmachines : 1, sizeof(*ws->machine_cfg));
	ws->machine_done = calloc(ws->nmachines ? ws->nmachines : 1, sizeof(*ws->machine_done));
	if (!ws->machine_cfg || !ws->machine_done)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < ws->nmachines; i++)
		if ((r = machine_config(ws, &ws->inv->machines[i], &ws->machine_cfg[i])) < 0)
			return r;
	return 0;
}

int world_ssh_of(struct world *w, struct world_ssh **out)
{
	struct world_ssh *ws;
	int r;

	if (w->ssh) {
		*out = w->ssh;
		return 0;
	}
	*out = NULL;
	if (!(ws = calloc(1, sizeof(*ws))))
		return err_set(ERR_NOMEM, "out of memory");
	if ((r = load(w, ws)) < 0) {
		world_ssh_free(ws);
		return r;
	}
	*out = w->ssh = ws;
	return 0;
}

static const char *env(const char *name, void *arg)
{
	(void)arg;
	return getenv(name);
}

/* Resolve T as written (MACHINE's ssh_options first, when it has some) into H. */
static int resolve(const struct world_ssh *ws, const struct target *t, size_t machine, struct sshcfg_host *h)
{
	const struct sshcfg *cfgs[2] = { machine < ws->nmachines ? ws->machine_cfg[machine] : NULL, ws->cfg };
	struct sshcfg_query q = {
		.host = t->host,
		.user = (t->given & TARGET_GIVEN_USER) ? t->user : NULL,
		.port = (t->given & TARGET_GIVEN_PORT) ? t->port : 0,
		.default_user = TARGET_DEFAULT_USER,
		.local_user = ws->user,
		.home = ws->home,
		.local_host = ws->host,
		.uid = ws->uid,
		.getenv = env,
	};

	return sshcfg_resolve(cfgs, 2, &q, h);
}

/* The target H reaches: its HostName (checked as a target's host), User and Port. */
static int target_of(const struct sshcfg_host *h, struct target *out)
{
	char text[TARGET_HOST_MAX + 3], at[SSHCFG_PATH_MAX + 32], msg[768];
	struct target p;

	snprintf(text, sizeof(text), strchr(h->hostname, ':') ? "[%s]" : "%s", h->hostname);
	if (target_parse(&p, text, strlen(text)) < 0 || strcmp(p.transport, TARGET_TRANSPORT_SSH) != 0) {
		snprintf(msg, sizeof(msg), "%s", p.transport[0] ? "not an ssh host" : err_msg());
		sshcfg_origin_format(&h->hostname_at, at, sizeof(at));
		return err_set(ERR_INVALID, "%s%sHostName '%s' is not a host chimera can reach: %s", at, at[0] ? ": " : "",
			       h->hostname, msg);
	}
	*out = p;
	snprintf(out->user, sizeof(out->user), "%s", h->user);
	out->port = h->port;
	out->given = TARGET_GIVEN_USER | TARGET_GIVEN_PORT;
	return 0;
}

static int alias_add(struct world_ssh *ws, const struct target *resolved, const struct target *written, size_t machine)
{
	if (ws->nalias == ws->cap) {
		size_t cap = ws->cap ? ws->cap * 2 : 16;
		struct alias *a = realloc(ws->alias, cap * sizeof(*a));

		if (!a)
			return err_set(ERR_NOMEM, "out of memory");
		ws->alias = a;
		ws->cap = cap;
	}
	ws->alias[ws->nalias++] = (struct alias){ *resolved, *written, machine };
	return 0;
}

/* One element of a list, resolved into *OUT; *MACHINE is the machine whose target it was (SIZE_MAX: none, or done before). */
static int resolve_element(struct world_ssh *ws, const struct target *t, struct target *out, struct sshcfg_host *h,
			   size_t *machine)
{
	const struct inv_machine *m = inventory_find_target(ws->inv, t);
	size_t mi = m ? (size_t)(m - ws->inv->machines) : SIZE_MAX;
	int r;

	*out = *t;
	*machine = SIZE_MAX;
	if ((t->transport[0] && strcmp(t->transport, TARGET_TRANSPORT_SSH) != 0) || (m && ws->machine_done[mi]))
		return 0;
	if ((r = resolve(ws, t, mi, h)) < 0 || (r = target_of(h, out)) < 0 || (r = alias_add(ws, out, t, mi)) < 0)
		return r;
	if (m)
		ws->machine_done[mi] = true;
	*machine = mi;
	return 0;
}

int world_ssh_resolve(struct world *w, struct target_list *l)
{
	struct world_ssh *ws;
	struct target_list out;
	struct target *newt = NULL;	/* the machines' new targets, */
	size_t *updates = NULL;		/* ...and which machines */
	struct sshcfg_host *h = NULL;
	size_t nupdates = 0, i;
	int r;

	/* no ssh target (local, other transports): no ssh config to read */
	for (i = 0; i < l->n && l->items[i].transport[0] && strcmp(l->items[i].transport, TARGET_TRANSPORT_SSH) != 0; i++)
		;
	if (i == l->n)
		return 0;
	if ((r = world_ssh_of(w, &ws)) < 0)
		return r;
	target_list_init(&out);
	h = malloc(sizeof(*h));
	updates = calloc(l->n ? l->n : 1, sizeof(*updates));
	newt = calloc(l->n ? l->n : 1, sizeof(*newt));
	if (!h || !updates || !newt) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < l->n; i++) {
		struct target t;
		size_t machine;

		if ((r = resolve_element(ws, &l->items[i], &t, h, &machine)) < 0 || (r = target_list_add(&out, &t)) < 0)
			goto out;
		if (machine != SIZE_MAX) {
			updates[nupdates] = machine;
			newt[nupdates++] = t;
		}
	}
	/* the machines' targets change after the loop: inventory_find_target searches a sorted index */
	for (i = 0; i < nupdates; i++)
		w->inv.machines[updates[i]].target = newt[i];
	if (nupdates && (r = inventory_reindex(&w->inv)) < 0)
		goto out;
	qsort(ws->alias, ws->nalias, sizeof(*ws->alias), alias_cmp);
	target_list_release(l);
	*l = out;
	target_list_init(&out);
out:
	target_list_release(&out);
	free(newt);
	free(updates);
	free(h);
	return r;
}

int world_ssh_settings(const struct target *t, bool jump, struct sshcfg_host *out, void *arg)
{
	const struct world_ssh *ws = arg;
	const struct alias *a = NULL;
	const struct inv_machine *m;

	if (jump)
		return resolve(ws, t, SIZE_MAX, out);
	if (ws->nalias)
		a = bsearch(t, ws->alias, ws->nalias, sizeof(*ws->alias), alias_key_cmp);
	if (a)
		return resolve(ws, &a->written, a->machine, out);
	m = ws->inv ? inventory_find_target(ws->inv, t) : NULL;
	return resolve(ws, t, m ? (size_t)(m - ws->inv->machines) : SIZE_MAX, out);
}
