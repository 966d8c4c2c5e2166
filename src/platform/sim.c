/* The simulator's report: issues, counts, and their JSON and text. */
#include "platform/sim.h"
#include "platform/platform.h"
#include "util/err.h"
#include "util/grow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static const char *const severity_names[SIM_SEVERITIES] = { "critical", "high", "medium", "low" };
static const char *const fix_names[] = { "none", "heal", "suggest" };

const char *sim_severity_name(enum sim_severity s)
{
	return (unsigned)s < SIM_SEVERITIES ? severity_names[s] : "unknown";
}

void sim_report_init(struct sim_report *r, const char *platform)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->platform, sizeof(r->platform), "%s", platform);
}

void sim_report_release(struct sim_report *r)
{
	free(r->issues);
	r->issues = NULL;
	r->n = r->cap = 0;
}

int sim_add(struct sim_report *r, const char *rule, enum sim_severity sev, const char *file, int line, int col,
	    enum sim_fix fix, const char *fix_text, const char *fmt, ...)
{
	struct sim_issue *is = grow_array(r->issues, &r->cap, r->n, sizeof(*is), 16);
	va_list ap;

	if (!is)
		return ERR_NOMEM;
	r->issues = is;
	is = &r->issues[r->n++];
	memset(is, 0, sizeof(*is));
	snprintf(is->rule, sizeof(is->rule), "%s", rule);
	is->severity = (unsigned)sev < SIM_SEVERITIES ? sev : SIM_LOW;
	snprintf(is->file, sizeof(is->file), "%s", file ? file : "");
	is->line = line;
	is->col = col;
	is->fix = fix;
	snprintf(is->fix_text, sizeof(is->fix_text), "%s", fix_text && fix != SIM_FIX_NONE ? fix_text : "");
	va_start(ap, fmt);
	vsnprintf(is->message, sizeof(is->message), fmt, ap);
	va_end(ap);
	r->count[is->severity]++;
	return 0;
}

int sim_passed(const struct sim_report *r)
{
	return r->count[SIM_CRITICAL] == 0 && r->count[SIM_HIGH] == 0;
}

json_t *sim_report_json(const struct sim_report *r)
{
	json_t *issues = json_array(), *files = json_array(), *counts = json_object();
	size_t i;

	for (i = 0; i < r->nfiles; i++)
		json_array_append_new(files, json_string(r->files[i]));
	for (i = 0; i < SIM_SEVERITIES; i++)
		json_object_set_new(counts, severity_names[i], json_integer((json_int_t)r->count[i]));
	for (i = 0; i < r->n; i++) {
		const struct sim_issue *is = &r->issues[i];

		json_array_append_new(issues, json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:s}", "rule", is->rule,
							"severity", severity_names[is->severity], "file", is->file,
							"line", is->line, "col", is->col, "message", is->message, "fix",
							fix_names[is->fix], "fix_text", is->fix_text));
	}
	return json_pack("{s:s, s:o, s:o, s:b, s:I, s:o}", "platform", r->platform, "files", files, "counts", counts,
			 "passed", sim_passed(r), "us", (json_int_t)r->us, "issues", issues);
}

int sim_report_text(const struct sim_report *r, struct buf *out)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct sim_issue *is = &r->issues[i];

		if (is->line)
			buf_printf(out, "%s:%d:%d: ", is->file, is->line, is->col);
		else
			buf_printf(out, "%s: ", is->file);
		buf_printf(out, "%s %s: %s\n", severity_names[is->severity], is->rule, is->message);
		if (is->fix != SIM_FIX_NONE)
			buf_printf(out, "    %s: %s\n", is->fix == SIM_FIX_HEAL ? "fix" : "suggestion", is->fix_text);
	}
	buf_printf(out, "%s: %zu critical, %zu high, %zu medium, %zu low in %.2f ms: %s\n", r->platform,
		   r->count[SIM_CRITICAL], r->count[SIM_HIGH], r->count[SIM_MEDIUM], r->count[SIM_LOW], r->us / 1000.0,
		   sim_passed(r) ? "passed" : "rejected");
	return out->len >= out->max && out->max ? ERR_NOMEM : 0;
}

const char *sim_fix_name(enum sim_fix f)
{
	return (unsigned)f < sizeof(fix_names) / sizeof(fix_names[0]) ? fix_names[f] : "unknown";
}

const char *sim_config_file(const char *platform)
{
	const struct platform *p = platform_find(platform);

	return p ? p->config_file : "netlify.toml";
}
