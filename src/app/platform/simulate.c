/* Use case: simulate a project's deploy configuration for one platform, as a report. */
#include "app/platform/simulate.h"
#include "util/err.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/banned.h"

/*
 * The name the report gives FILE: relative to DIR when inside it, else its base name. The
 * file's own name is kept (not resolved), so a symlinked default.nix is still default.nix.
 */
static void report_name(const char *dir, const char *file, char name[SIM_FILE_MAX])
{
	char rdir[PATH_MAX], rparent[PATH_MAX], parent[PATH_MAX];
	const char *slash = strrchr(file, '/'), *base = slash ? slash + 1 : file;
	size_t dlen;

	snprintf(name, SIM_FILE_MAX, "%s", base);
	snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - file) + (slash == file) : 1, slash ? file : ".");
	if (!realpath(dir, rdir) || !realpath(parent, rparent))
		return;
	dlen = strlen(rdir);
	if (strcmp(rparent, rdir) == 0)
		return;
	if (dlen == 1)
		dlen = 0;	/* DIR is / */
	if (strncmp(rparent, rdir, dlen) == 0 && rparent[dlen] == '/')
		snprintf(name, SIM_FILE_MAX, "%s/%s", rparent + dlen + 1, base);
}

/* Build O's file (o->file, or DIR/config_file) into REP. */
static int build(const struct simulate_opts *o, struct simulate_report *rep)
{
	char path[PATH_MAX], name[SIM_FILE_MAX];
	const char *file = o->file;
	struct nix_source src;
	struct nix *nx;
	struct stat st;
	int r;

	if (!file) {
		snprintf(path, sizeof(path), "%s/%s", o->dir, o->platform->config_file);
		file = path;
	}
	if (stat(file, &st) < 0)
		return err_set_errno(errno == ENOENT || errno == ENOTDIR ? ERR_NOTFOUND : ERR_IO, errno,
				     "no Nix configuration: '%s'", file);
	if (!S_ISREG(st.st_mode))
		return err_set(ERR_NOTFOUND, "no Nix configuration: '%s' is not a file", file);
	report_name(o->dir, file, name);
	memset(&src, 0, sizeof(src));
	src.file = file;
	src.attr = o->attr;
	if ((r = nix_source_check(&src)) < 0)
		return r;
	if (!o->open_nix)
		return err_set(ERR_UNSUPPORTED, "platform '%s' builds, and no builder is wired", o->platform->name);
	if ((r = o->open_nix(&nx)) < 0)
		return r == ERR_NOTFOUND ? ERR_IO : r;	/* the builder missing is an error, not a missing config */
	r = o->platform->build(nx, &src, name, rep->built, &rep->sim);
	nx->ops->close(nx);
	return r;
}

int simulate_run(const struct simulate_opts *o, struct simulate_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	sim_report_init(&rep->sim, o->platform->name);
	rep->builds = platform_builds(o->platform);
	/* Each simulator times itself into sim.us. */
	if (rep->builds)
		return build(o, rep);
	return o->platform->simulate(o->dir, &rep->sim);
}

void simulate_report_release(struct simulate_report *rep)
{
	sim_report_release(&rep->sim);
}

json_t *simulate_report_json(const struct simulate_report *rep)
{
	json_t *doc = sim_report_json(&rep->sim);

	if (doc && rep->builds)
		json_object_set_new(doc, "built", rep->built[0] ? json_string(rep->built) : json_null());
	return doc;
}
