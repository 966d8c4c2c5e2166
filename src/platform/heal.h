/* Use case: heal a project's deploy configuration: apply the fixes the simulator names, and check them. */
#ifndef CHIMERA_PLATFORM_HEAL_H
#define CHIMERA_PLATFORM_HEAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "platform/sim.h"
#include "util/buf.h"

#define HEAL_MAX_ATTEMPTS 3	/* per issue */

/* What heal did about one critical or high issue that has a fix. */
struct heal_action {
	char rule[SIM_RULE_MAX];
	int line, col;			/* where the issue was, in the original file */
	char what[SIM_MSG_MAX];		/* the fix applied (the issue's fix_text) */
	int attempts;
	bool fixed;			/* re-simulation no longer reports it */
	char why[SIM_MSG_MAX];		/* when not fixed: why it did not converge */
};

struct heal_result {
	struct buf text;		/* the healed file (the original when nothing changed) */
	struct heal_action *actions;
	size_t n, cap;
	struct sim_report before;	/* the simulation of the original */
	struct sim_report after;	/* and of the healed text */
};

void heal_result_init(struct heal_result *h, const char *platform);
void heal_result_release(struct heal_result *h);

/* The actions as JSON: [{rule, line, col, fix, attempts, fixed, why}], a new reference (NULL when out of memory). */
json_t *heal_report_json(const struct heal_result *h);

/* Add an action; returns it (zeroed but for RULE, LINE, COL, WHAT) or NULL when out of memory. */
struct heal_action *heal_add(struct heal_result *h, const struct sim_issue *is);

/* A unified diff of A and B (FILE names both sides, a/FILE and b/FILE) from diffutils' diff -u, into OUT. */
int heal_diff(const char *file, const struct buf *a, const struct buf *b, struct buf *out);

/*
 * Write HEALED over PATH atomically (temp file, fsync, rename), keeping the file's mode,
 * after saving ORIG as PATH.bak. Returns 0 or ERR_IO.
 */
int heal_write(const char *path, const struct buf *orig, const struct buf *healed);

/* The loop the platform healers share (heal_run), and what each brings to it. */
#define HEAL_APPLIED 0
#define HEAL_NOT_APPLIED 1
#define HEAL_MAX_ISSUES 64	/* issues handled in one heal, new ones found on the way included */

struct heal_step {
	struct buf *cur;		/* the text being healed */
	struct buf out;			/* apply writes the next text here */
	char why[SIM_MSG_MAX];		/* apply's reason when it did not apply */
};

struct heal_ops {
	const char *platform;
	/* Simulate TEXT into REP (initialised and empty). */
	int (*simulate)(struct heal_step *st, const struct buf *text, struct sim_report *rep);
	/* The issues to heal. */
	bool (*wanted)(const struct sim_issue *is);
	/*
	 * Rules whose fix moves a block, so the issue's place and the line numbers in its fix
	 * text change: matched by rule and fix text with digits ignored. NULL: none.
	 */
	bool (*moves)(const char *rule);
	/* Apply IS's fix to st->cur into st->out: HEAL_APPLIED, HEAL_NOT_APPLIED (st->why says why), or an error. */
	int (*apply)(struct heal_step *st, const struct sim_issue *is);
};

/*
 * Heal LEN bytes of TEXT: simulate; take the first wanted issue not yet handled; apply its
 * fix and simulate again, until the issue is gone (fixed) or HEAL_MAX_ATTEMPTS; an edit that
 * did not fix its issue is taken back. ST is the platform's step (its st->cur is set here).
 */
int heal_run(const struct heal_ops *ops, struct heal_step *st, const char *text, size_t len, struct heal_result *res);

/* Text helpers for healers. Byte offset of 1-based LINE, COL (COL counts characters); N when out of range. */
size_t heal_offset_at(const char *s, size_t n, int line, int col);
size_t heal_line_start(const char *s, size_t off);
size_t heal_line_end(const char *s, size_t n, size_t off);
/* OUT = the N bytes of S with [OFF, OFF+DEL) replaced by the INSN bytes of INS. */
int heal_splice(struct buf *out, const char *s, size_t n, size_t off, size_t del, const char *ins, size_t insn);

#endif
