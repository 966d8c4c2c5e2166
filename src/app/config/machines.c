/* The selected machines' own settings from the inventory: configurations grouped, checks per node. */
#include "app/config/machines.h"
#include "app/fleet/facts.h"
#include "app/fleet/fleet.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static bool str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int machines_configs(const struct inventory *inv, const struct target_list *targets, const char *verb,
		     struct nix_source **srcs, size_t *nsrcs, size_t **of)
{
	struct buf missing = BUF_INIT(4096);
	struct nix_source *s = NULL;
	size_t *idx = NULL, n = 0, nmissing = 0, i, j;
	int r = 0;

	*srcs = NULL;
	*nsrcs = 0;
	*of = NULL;
	s = calloc(targets->n ? targets->n : 1, sizeof(*s));
	idx = calloc(targets->n ? targets->n : 1, sizeof(*idx));
	if (!s || !idx) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < targets->n; i++) {
		const struct inv_machine *m = inventory_find_target(inv, &targets->items[i]);
		char name[TARGET_FORMAT_MAX];

		if (!m || (!m->config_file && !m->flake)) {
			if (nmissing++ < 5) {
				fleet_node_name(&targets->items[i], name, sizeof(name));
				buf_printf(&missing, "%s'%s'", nmissing > 1 ? ", " : "", m ? m->name : name);
			}
			continue;
		}
		for (j = 0; j < n && !(str_same(s[j].file, m->config_file) && str_same(s[j].attr, m->config_attr) &&
				       str_same(s[j].flake, m->flake));
		     j++)
			;
		if (j == n) {
			s[n].file = m->config_file;
			s[n].attr = m->config_attr;
			s[n].flake = m->flake;
			n++;
		}
		idx[i] = j;
	}
	if (nmissing) {
		r = err_set(ERR_INVALID,
			    "no configuration to %s %s%s: give -c FILE.nix or --flake REF#ATTR, or set config or flake for "
			    "%s in chimera.toml",
			    verb, missing.data, nmissing > 5 ? " and more" : "", nmissing > 1 ? "them" : "it");
		goto out;
	}
	*srcs = s;
	*nsrcs = n;
	*of = idx;
	s = NULL;
	idx = NULL;
out:
	free(s);
	free(idx);
	buf_release(&missing);
	return r;
}

int machines_node_opts(const struct inventory *inv, const struct target_list *targets, bool flag_checks,
		       struct deploy_node_opts **out)
{
	struct deploy_node_opts *v = NULL;
	bool any = false;
	size_t i;

	*out = NULL;
	if (inv->n == 0 || flag_checks)
		return 0;
	if (!(v = calloc(targets->n ? targets->n : 1, sizeof(*v))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < targets->n; i++) {
		const struct inv_machine *m = inventory_find_target(inv, &targets->items[i]);

		if (m && m->nchecks) {
			v[i].checks = m->checks;
			v[i].nchecks = m->nchecks;
			any = true;
		}
	}
	if (!any) {
		free(v);
		v = NULL;
	}
	*out = v;
	return 0;
}

/*
 * The sessions each target's machine declares (sessions = { NAME = "COMMAND" }), run with
 * its profile's bin first on PATH: *OUT in target order and *SPECS (free both), or NULL
 * when none declares any.
 */
int machines_sessions(const struct inventory *inv, const struct fleet *fleet, const struct target_list *targets,
		      const char *profile, struct watch_sessions **out, struct session_spec **specs)
{
	struct watch_sessions *ws;
	struct session_spec *sp;
	size_t i, j, total = 0, k = 0;

	*out = NULL;
	*specs = NULL;
	for (i = 0; inv && i < targets->n; i++) {
		const struct inv_machine *m = inventory_find_target(inv, &targets->items[i]);

		total += m ? m->nsessions : 0;
	}
	if (!total)
		return 0;
	ws = calloc(targets->n, sizeof(*ws));
	sp = calloc(total, sizeof(*sp));
	if (!ws || !sp) {
		free(ws);
		free(sp);
		return err_set(ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < targets->n; i++) {
		const struct target *t = &targets->items[i];
		const struct inv_machine *m = inventory_find_target(inv, t);

		if (!m || !m->nsessions)
			continue;
		ws[i].specs = &sp[k];
		ws[i].n = m->nsessions;
		for (j = 0; j < m->nsessions; j++, k++) {
			sp[k].name = m->sessions[j].name;
			sp[k].command = m->sessions[j].command;
			sp[k].path_dir = fleet_profile(fleet, t, profile);
		}
	}
	*out = ws;
	*specs = sp;
	return 0;
}

int machines_facts(struct ledger *l, const struct inv_machine *m, struct machines_facts *out)
{
	char node[TARGET_FORMAT_MAX];
	int r;

	memset(out, 0, sizeof(*out));
	if (!l)
		return 0;
	fleet_node_name(&m->target, node, sizeof(node));
	if ((r = facts_stored(l, node, &out->facts, &out->seq, out->time)) >= 0 &&
	    facts_failure(l, node, &out->failure, &out->failure_seq, out->failure_time) == 1 &&
	    out->failure_seq < out->seq) {
		json_decref(out->failure);
		out->failure = NULL;
	}
	return r < 0 ? r : 0;
}

void machines_facts_release(struct machines_facts *mf)
{
	json_decref(mf->facts);
	json_decref(mf->failure);
	memset(mf, 0, sizeof(*mf));
}
