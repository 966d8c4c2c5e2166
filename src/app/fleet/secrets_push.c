/* The push of granted secrets: to one node over an open session, to many in parallel; the secret.push event. */
#include "app/fleet/secrets_push.h"
#include "app/fleet/lease.h"
#include "app/fleet/secrets_internal.h"
#include "ports/cipher.h"
#include "util/pool.h"
#include "util/err.h"
#include "util/shell.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/banned.h"


void secrets_push_report_release(struct secrets_push_report *rep)
{
	secrets_strv_free(rep->written, rep->nwritten);
	secrets_strv_free(rep->removed, rep->nremoved);
	memset(rep, 0, sizeof(*rep));
}

/* Prepare the directory (when any secret is granted) and remove every file of it not in the N NAMES. */
static int push_prepare_cmd(struct buf *cmd, const char *dir, const char *owner, char *const *names, size_t n)
{
	size_t i;
	int r = 0;

	r = r ? r : buf_adds(cmd, "umask 077; d=");
	r = r ? r : shell_quote(cmd, dir);
	r = r ? r : buf_adds(cmd, "\n");
	if (n > 0) {
		r = r ? r : buf_adds(cmd, "mkdir -p \"$d\" && chmod 0700 \"$d\" || exit 1\n");
		if (owner) {
			r = r ? r : buf_adds(cmd, "chown ");
			r = r ? r : shell_quote(cmd, owner);
			r = r ? r : buf_adds(cmd, " \"$d\" || exit 1\n");
		}
	}
	r = r ? r : buf_adds(cmd, "[ -d \"$d\" ] || exit 0\ncd \"$d\" || exit 1\n"
				  "for f in * .chimera-tmp.*; do\n"
				  "  [ -e \"$f\" ] || [ -L \"$f\" ] || continue\n"
				  "  case $f in\n"
				  "  .chimera-tmp.*) rm -f -- \"$f\" ;;\n");
	for (i = 0; i < n; i++) {
		r = r ? r : buf_adds(cmd, "  ");
		r = r ? r : shell_quote(cmd, names[i]);
		r = r ? r : buf_adds(cmd, ") ;;\n");
	}
	r = r ? r : buf_adds(cmd, "  *) rm -rf -- \"$f\" || exit 1; printf 'removed %s\\n' \"$f\" ;;\n"
				  "  esac\n"
				  "done\n");
	return r < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}

/* Write stdin (LEN bytes) to DIR/NAME through a temporary file: mode 0400, chowned to OWNER. */
static int push_write_cmd(struct buf *cmd, const char *dir, const char *owner, const char *name, size_t len)
{
	int r = 0;

	r = r ? r : buf_adds(cmd, "umask 077; d=");
	r = r ? r : shell_quote(cmd, dir);
	r = r ? r : buf_adds(cmd, "; n=");
	r = r ? r : shell_quote(cmd, name);
	r = r ? r : buf_adds(cmd, "\nt=\"$d/.chimera-tmp.$n.$$\"\ntrap 'rm -f \"$t\"' EXIT\n"
				  "cat > \"$t\" || exit 1\n"
				  "s=$(wc -c < \"$t\") || exit 1\n");
	r = r ? r : buf_printf(cmd, "[ $s -eq %zu ] || { echo \"chimera: got $s of %zu bytes\" >&2; exit 1; }\n",
			       len, len);
	r = r ? r : buf_adds(cmd, "chmod 0400 \"$t\" || exit 1\n");
	if (owner) {
		r = r ? r : buf_adds(cmd, "chown ");
		r = r ? r : shell_quote(cmd, owner);
		r = r ? r : buf_adds(cmd, " \"$t\" || exit 1\n");
	}
	r = r ? r : buf_adds(cmd, "mv -f \"$t\" \"$d/$n\" || exit 1\ntrap - EXIT\n");
	return r < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}

/* The names of the secrets granted to KEY, sorted. */
static int granted_to(const struct secrets_store *st, const char *key, char ***out, size_t *nout)
{
	char **names = NULL;
	size_t n = 0, i;
	int r;

	*out = NULL;
	*nout = 0;
	if ((r = secrets_names(st, &names, &n)) < 0)
		return r;
	for (i = 0; r == 0 && i < n; i++) {
		char **keys;
		size_t nkeys;

		if ((r = secrets_grants(st, names[i], &keys, &nkeys)) < 0)
			break;
		if (secrets_strv_has(keys, nkeys, key))
			r = secrets_strv_add(out, nout, names[i]);
		secrets_strv_free(keys, nkeys);
	}
	secrets_strv_free(names, n);
	if (r < 0) {
		secrets_strv_free(*out, *nout);
		*out = NULL;
		*nout = 0;
	}
	return r;
}

/* The "removed NAME" lines the prepare command printed, into REP. */
static int removed_names(const struct exec_result *res, struct secrets_push_report *rep)
{
	const char *p = res->out.data, *end = res->out.data + res->out.len;
	int r;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (l > 8 && memcmp(p, "removed ", 8) == 0) {
			char *name = strndup(p + 8, l - 8);

			r = name ? secrets_strv_add(&rep->removed, &rep->nremoved, name) : err_set(ERR_NOMEM, "oom");
			free(name);
			if (r < 0)
				return r;
		}
		p += l + 1;
	}
	return 0;
}

int secrets_push(const struct secrets_store *st, const struct fleet *f, struct executor *ex,
		 struct exec_session *s, const char *key, const char *owner, struct secrets_push_report *rep,
		 struct fleet_failure *fail)
{
	struct buf cmd = BUF_INIT(64 * 1024);
	struct exec_result res;
	char **names = NULL;
	uint8_t **values = NULL;
	size_t *lens = NULL, n = 0, i;
	int r;

	memset(rep, 0, sizeof(*rep));
	exec_result_init(&res);
	if (!st->remote_dir || st->remote_dir[0] != '/') {
		r = err_set(ERR_INVALID, "bad secrets directory '%s': expected an absolute path",
			    st->remote_dir ? st->remote_dir : "");
		goto fail;
	}
	if ((r = secrets_key_check(key)) < 0 || (owner && (r = secrets_owner_check(owner)) < 0) ||
	    (r = granted_to(st, key, &names, &n)) < 0)
		goto fail;
	/* Decrypt all first: a secret that cannot be read stops the push before the node is touched. */
	if (n && (!(values = calloc(n, sizeof(*values))) || !(lens = calloc(n, sizeof(*lens))))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++)
		if ((r = secrets_decrypt(st, names[i], &values[i], &lens[i])) < 0)
			goto fail;
	if ((r = push_prepare_cmd(&cmd, st->remote_dir, owner, names, n)) < 0)
		goto fail;
	if ((r = fleet_step(f, ex, s, "secrets", cmd.data, NULL, &res, fail)) < 0)
		goto out;
	if ((r = removed_names(&res, rep)) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		struct exec_input in = { .head = (const char *)values[i], .head_len = lens[i], .fd = -1, .len = 0 };

		buf_reset(&cmd);
		exec_result_release(&res);
		exec_result_init(&res);
		if ((r = push_write_cmd(&cmd, st->remote_dir, owner, names[i], lens[i])) < 0)
			goto fail;
		if ((r = fleet_step(f, ex, s, "secrets", cmd.data, &in, &res, fail)) < 0) {
			char why[sizeof(fail->message)];

			snprintf(why, sizeof(why), "%s", fail->message);
			snprintf(fail->message, sizeof(fail->message), "writing secret '%s': %s", names[i], why);
			goto out;
		}
		if ((r = secrets_strv_add(&rep->written, &rep->nwritten, names[i])) < 0)
			goto fail;
	}
	r = 0;
	goto out;
fail:
	fleet_fail(fail, "secrets", r);
out:
	for (i = 0; values && i < n; i++)
		age_free(values[i], lens[i]);
	free(values);
	free(lens);
	secrets_strv_free(names, n);
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

int secrets_push_record(struct ledger *l, const char *deployment, const char *node, const char *key,
			const struct secrets_push_report *rep, const struct fleet_failure *fail)
{
	json_t *written = json_array(), *removed = json_array(), *doc;
	size_t i;

	for (i = 0; written && i < rep->nwritten; i++)
		json_array_append_new(written, json_string(rep->written[i]));
	for (i = 0; removed && i < rep->nremoved; i++)
		json_array_append_new(removed, json_string(rep->removed[i]));
	doc = json_pack("{s:s, s:o, s:o, s:b}", "key", key, "written", written, "removed", removed, "ok",
			!(fail && fail->step));
	if (doc && fail && fail->step) {
		json_object_set_new(doc, "step", json_string(fail->step));
		json_object_set_new(doc, "error", json_string(fail->message));
	}
	if (!doc)
		return err_set(ERR_NOMEM, "out of memory");
	return fleet_record(l, "secret.push", deployment, node, doc, NULL);
}

bool secrets_in_use(const char *state_dir)
{
	char dir[PATH_MAX];
	struct stat sb;

	if (!state_dir || snprintf(dir, sizeof(dir), "%s/secrets", state_dir) >= (int)sizeof(dir))
		return false;
	return stat(dir, &sb) == 0;
}

int secrets_policy(struct secrets_store *st, const char *state_dir, const struct cipher *c, bool *push)
{
	int r;

	*push = false;
	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	if (!secrets_in_use(state_dir))
		return 0;
	if ((r = secrets_open_read(st, state_dir, c)) < 0)
		return r;
	*push = true;
	return 0;
}

int secrets_push_node(const struct secrets_store *st, const struct fleet *f, const struct inventory *inv,
		      struct executor *ex, struct exec_session *s, const struct target *t, const char *node,
		      const char *deployment, struct fleet_failure *fail)
{
	struct secrets_push_report rep;
	char key[SECRETS_KEY_MAX + 1];
	int r;

	secrets_target_key(inv, t, key, sizeof(key));
	r = secrets_push(st, f, ex, s, key, secrets_owner_for(inv, t), &rep, fail);
	if (r < 0 && !fail->step)
		fleet_fail(fail, "secrets", r);
	secrets_push_record(f->ledger, deployment, node, key, &rep, r < 0 ? fail : NULL);
	secrets_push_report_release(&rep);
	return r;
}

/* A fleet push: what every pool job reads and where it writes its node's outcome. */
struct fleet_push {
	const struct secrets_store *st;
	const struct fleet *fleet;
	const struct target *targets;
	const char *const *owners;
	struct secrets_fleet_node *nodes;
	struct fleet_op op;
};

static void fleet_push_job(size_t i, void *arg)
{
	struct fleet_push *run = arg;
	struct secrets_fleet_node *n = &run->nodes[i];
	struct executor *ex = NULL;
	struct exec_session *s = NULL;

	if ((n->err = fleet_connect(run->fleet, &run->targets[i], &ex, &s, &n->fail)) < 0)
		return;
	/* Held by another operation past the lock wait: failed at "lease", nothing pushed. */
	if ((n->err = fleet_node_begin(&run->op, &run->targets[i], n->name, NULL, ex, s, &n->fail)) == 0) {
		n->err = secrets_push(run->st, run->fleet, ex, s, n->key, run->owners[i], &n->rep, &n->fail);
		fleet_node_end(&run->op, &run->targets[i], n->name, ex, s);
	}
	ex->ops->disconnect(s);
}

/* Record a secret.push event for every node of REP, counting the ones the ledger refused. */
static void fleet_push_record(const struct fleet *f, struct secrets_fleet_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		struct secrets_fleet_node *n = &rep->nodes[i];

		if (secrets_push_record(f->ledger, rep->id, n->name, n->key, &n->rep, n->err ? &n->fail : NULL) < 0) {
			rep->ledger_failed++;
			snprintf(rep->ledger_msg, sizeof(rep->ledger_msg), "%s", err_msg());
		}
	}
}

int secrets_push_fleet(const struct secrets_store *st, const struct fleet *f, const struct inventory *inv,
		       const struct target_list *targets, const char *owner, struct secrets_fleet_report *rep)
{
	struct fleet_push run = { .st = st, .fleet = f, .targets = targets->items };
	const char **owners = NULL;
	size_t i;
	int r = 0;

	memset(rep, 0, sizeof(*rep));
	snprintf(rep->dir, sizeof(rep->dir), "%s", st->remote_dir ? st->remote_dir : "");
	if ((r = ledger_writable(f->ledger)) < 0)
		return r;
	if (!(rep->nodes = calloc(targets->n ? targets->n : 1, sizeof(*rep->nodes))) ||
	    !(owners = calloc(targets->n ? targets->n : 1, sizeof(*owners))))
		return err_set(ERR_NOMEM, "out of memory");
	rep->n = targets->n;
	for (i = 0; i < targets->n; i++) {
		struct secrets_fleet_node *n = &rep->nodes[i];

		fleet_node_name(&targets->items[i], n->name, sizeof(n->name));
		secrets_target_key(inv, &targets->items[i], n->key, sizeof(n->key));
		owners[i] = owner ? owner : secrets_owner_for(inv, &targets->items[i]);
	}
	run.owners = owners;
	run.nodes = rep->nodes;
	if ((r = fleet_op_new_id(rep->id, sizeof(rep->id))) < 0 || (r = fleet_op_begin(&run.op, f, "secrets", rep->id)) < 0)
		goto out;
	r = pool_run(targets->n, f->parallel > 0 ? f->parallel : 1, fleet_push_job, &run);
	fleet_op_end(&run.op);
	if (r < 0)
		goto out;
	for (i = 0; i < rep->n; i++)
		if (rep->nodes[i].err == 0)
			rep->ok++;
	fleet_push_record(f, rep);
out:
	free(owners);
	return r;
}

void secrets_fleet_report_release(struct secrets_fleet_report *rep)
{
	size_t i;

	for (i = 0; rep->nodes && i < rep->n; i++)
		secrets_push_report_release(&rep->nodes[i].rep);
	free(rep->nodes);
	memset(rep, 0, sizeof(*rep));
}

static json_t *strv_json(char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *secrets_fleet_report_json(const struct secrets_fleet_report *rep)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list && i < rep->n; i++) {
		const struct secrets_fleet_node *n = &rep->nodes[i];

		json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:o}", "target", n->name, "key",
						      n->key, "ok", n->err == 0, "written",
						      strv_json(n->rep.written, n->rep.nwritten), "removed",
						      strv_json(n->rep.removed, n->rep.nremoved), "step",
						      n->err ? json_string(n->fail.step ? n->fail.step : "secrets")
							     : json_null(),
						      "error", n->err ? json_string(n->fail.message) : json_null()));
	}
	return json_pack("{s:o, s:s, s:{s:I, s:I, s:I}}", "nodes", list, "dir", rep->dir, "summary", "nodes",
			 (json_int_t)rep->n, "ok", (json_int_t)rep->ok, "failed", (json_int_t)(rep->n - rep->ok));
}
