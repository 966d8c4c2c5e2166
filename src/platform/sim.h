/* The simulator's report: what a platform would make of a project's deploy configuration. */
#ifndef CHIMERA_PLATFORM_SIM_H
#define CHIMERA_PLATFORM_SIM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum sim_severity {
	SIM_CRITICAL,	/* the platform rejects the file, or the build or sync fails */
	SIM_HIGH,	/* accepted, but it will not do what the author meant (something dropped) */
	SIM_MEDIUM,	/* likely wrong: deprecated, ignored, surprising at run time */
	SIM_LOW,	/* style and hygiene */
	SIM_SEVERITIES,
};

const char *sim_severity_name(enum sim_severity s);

/*
 * The file PLATFORM reads from a project directory ("netlify.toml", "render.yaml",
 * "default.nix"), from the registry; "netlify.toml" for a name it does not know. Static.
 */
const char *sim_config_file(const char *platform);

/* How an issue can be fixed. */
enum sim_fix {
	SIM_FIX_NONE,		/* needs a person */
	SIM_FIX_HEAL,		/* chimera heal applies it */
	SIM_FIX_SUGGEST,	/* shown, never applied */
};

/* "none", "heal" or "suggest" ("unknown" out of range). Static. */
const char *sim_fix_name(enum sim_fix f);

#define SIM_RULE_MAX 32
#define SIM_MSG_MAX 512
#define SIM_FILE_MAX 256

struct sim_issue {
	char rule[SIM_RULE_MAX];	/* the id in config-rules.md: NTL-..., RND-... */
	enum sim_severity severity;
	char file[SIM_FILE_MAX];	/* relative to the project directory */
	int line, col;			/* 1-based; 0 when the issue is about the file as a whole */
	char message[SIM_MSG_MAX];
	enum sim_fix fix;
	char fix_text[SIM_MSG_MAX];	/* what the fix does or suggests; "" with SIM_FIX_NONE */
};

struct sim_report {
	char platform[16];		/* "netlify", "render" */
	char files[4][SIM_FILE_MAX];	/* the config files read */
	size_t nfiles;
	struct sim_issue *issues;
	size_t n, cap;
	size_t count[SIM_SEVERITIES];
	int64_t us;			/* how long the simulation took */
};

void sim_report_init(struct sim_report *r, const char *platform);
void sim_report_release(struct sim_report *r);

/*
 * Add an issue; FMT (printf) makes the message. LINE/COL 0 when the whole file is meant.
 * Returns 0 or ERR_NOMEM.
 */
int sim_add(struct sim_report *r, const char *rule, enum sim_severity sev, const char *file, int line, int col,
	    enum sim_fix fix, const char *fix_text, const char *fmt, ...) __attribute__((format(printf, 9, 10)));

/* True when nothing critical or high was found. */
int sim_passed(const struct sim_report *r);

/* The report as JSON: platform, files, counts per severity, passed, us, issues. */
json_t *sim_report_json(const struct sim_report *r);

/* The report as text, one issue a line ("file:line:col: severity RULE: message"), into OUT. */
int sim_report_text(const struct sim_report *r, struct buf *out);

#endif
