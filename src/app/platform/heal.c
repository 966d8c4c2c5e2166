/* Use case: heal a project's deploy configuration for one platform, and write it when asked. */
#include "app/platform/heal.h"
#include "util/err.h"
#include "util/fs.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "util/banned.h"

int heal_project(const struct heal_opts *o, struct heal_report *rep)
{
	const char *name = o->platform->config_file;
	struct stat st;
	int r;

	memset(rep, 0, sizeof(*rep));
	rep->orig = (struct buf)BUF_INIT(0);
	rep->diff = (struct buf)BUF_INIT(1 << 20);
	heal_result_init(&rep->heal, o->platform->name);
	snprintf(rep->path, sizeof(rep->path), "%s/%s", o->dir, name);
	if (stat(rep->path, &st) < 0)
		return err_set(ERR_NOTFOUND, "no %s: '%s' does not exist", name, rep->path);
	if ((r = fs_read_file(rep->path, &rep->orig)) < 0)
		return r;
	if ((r = o->platform->heal_text(name, rep->orig.data, rep->orig.len, o->dir, &rep->heal)) < 0 ||
	    (r = heal_diff(name, &rep->orig, &rep->heal.text, &rep->diff)) < 0)
		return r;
	if (o->write && rep->diff.len) {
		if ((r = heal_write(rep->path, &rep->orig, &rep->heal.text)) < 0)
			return r;
		rep->written = true;
	}
	return 0;
}

void heal_report_release(struct heal_report *rep)
{
	heal_result_release(&rep->heal);
	buf_release(&rep->orig);
	buf_release(&rep->diff);
}

json_t *heal_project_json(const struct heal_report *rep)
{
	return json_pack("{s:o, s:o, s:o, s:s, s:b, s:b}", "actions", heal_report_json(&rep->heal), "before",
			 sim_report_json(&rep->heal.before), "after", sim_report_json(&rep->heal.after), "diff",
			 rep->diff.data, "written", rep->written, "passed", sim_passed(&rep->heal.after));
}
