/* The registry of web platforms: one row per platform, the one place callers choose one by name. */
#ifndef CHIMERA_PLATFORM_PLATFORM_H
#define CHIMERA_PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "platform/heal.h"
#include "platform/sim.h"
#include "ports/nix.h"
#include "ports/yaml.h"
#include "util/buf.h"

/* One row of a platform's rule catalog: the only place a rule id is written. */
struct platform_rule {
	const char *id;			/* NTL-BUILD-6, RND-ENV-5, ... as in config-rules.md */
	enum sim_severity severity;	/* what the checks report unless a row's note says otherwise */
	enum sim_fix fix;		/* the best fix the rule can offer: heal, suggest or none */
	const char *message;		/* one line: what the rule finds (the template of its messages) */
};

/*
 * A platform. Web platforms read one config file and simulate it as text (simulate,
 * simulate_text, heal_text); a build platform (nix) builds instead (build). Unused entry
 * points are NULL.
 */
struct platform {
	const char *name;		/* what --platform takes: "netlify" */
	const char *config_file;	/* what it reads in a project directory: "netlify.toml" */
	/*
	 * Read DIR/config_file and add every issue to REP (initialised by the caller with this
	 * platform's name). Returns 0 whatever was found, ERR_NOTFOUND without the file, or an
	 * error (ERR_IO, ERR_LIMIT, ERR_NOMEM).
	 */
	int (*simulate)(const char *dir, struct sim_report *rep);
	/* The same on LEN bytes of TEXT named FILE; DIR (may be NULL) holds the files beside it. */
	int (*simulate_text)(const char *file, const char *text, size_t len, const char *dir, struct sim_report *rep);
	/* Heal LEN bytes of TEXT into RES (initialised by the caller); NULL when nothing heals. */
	int (*heal_text)(const char *file, const char *text, size_t len, const char *dir, struct heal_result *res);
	/*
	 * Build platforms: build SRC with NX; REP gets NAME and the issues, OUT the store path
	 * ("" when it did not build). Returns 0 whether or not it built, or an error when the
	 * builder could not run.
	 */
	int (*build)(struct nix *nx, const struct nix_source *src, const char *name, char out[STOREPATH_MAX],
		     struct sim_report *rep);
	const struct platform_rule *rules;	/* the catalog */
	size_t nrules;
	const struct platform_rule *syntax_rule;	/* the row that means "the file does not parse" */
};

/*
 * The row of web platform ID, which reads CONFIG as text, assembled from its names: the
 * simulators sim_ID (a directory) and sim_ID_text, the healer heal_ID_text, and the catalog
 * ID_rules (declared with its size), whose row SYNTAX means "the file does not parse".
 */
#define PLATFORM_TEXT_ROW(id, config, syntax)                           \
	{                                                               \
		.name = #id,                                            \
		.config_file = (config),                                \
		.simulate = sim_##id,                                   \
		.simulate_text = sim_##id##_text,                       \
		.heal_text = heal_##id##_text,                          \
		.rules = id##_rules,                                    \
		.nrules = sizeof(id##_rules) / sizeof(id##_rules[0]),   \
		.syntax_rule = &id##_rules[(syntax)],                   \
	}

/*
 * The declarations of what web platform ID defines for PLATFORM_TEXT_ROW: its simulators,
 * its healer (each with the contract of its member of struct platform above) and its
 * registry row platform_ID. A platform's header says only what is its own beside this.
 */
#define PLATFORM_TEXT_DECLARE(id)                                                                              \
	int sim_##id(const char *dir, struct sim_report *rep);                                                 \
	int sim_##id##_text(const char *file, const char *text, size_t len, const char *dir,                   \
			    struct sim_report *rep);                                                           \
	int heal_##id##_text(const char *file, const char *text, size_t len, const char *dir,                  \
			     struct heal_result *res);                                                         \
	extern const struct platform platform_##id

/* The platform named NAME (exact), or NULL. The row is static: never freed. */
const struct platform *platform_find(const char *name);

/* The I-th platform in registry order (built-in rows first, then registered ones), or NULL past the end. */
const struct platform *platform_at(size_t i);

/*
 * Add P (not copied: it must outlive every use) after the built-in rows, for tests and
 * plug-ins. Returns 0, ERR_INVALID when a platform of that name is there, or ERR_LIMIT
 * when the registry is full.
 */
int platform_register(const struct platform *p);

/* Take back every platform platform_register added. */
void platform_unregister_all(void);

/*
 * The names of the platforms for which WANT (NULL: all) holds, into OUT: "a, b or c" when
 * LAST is " or " and SEP ", ". Returns 0 or ERR_NOMEM (OUT's cap).
 */
int platform_names(struct buf *out, bool (*want)(const struct platform *p), const char *sep, const char *last);

/* True for platforms with a healer, with a text simulator, with a builder: filters for platform_names. */
bool platform_heals(const struct platform *p);
bool platform_reads_text(const struct platform *p);
bool platform_builds(const struct platform *p);

/*
 * The YAML parser the platforms that read YAML (render) use: the wiring point sets it once
 * (the runtime to adapters/yaml's yaml_libyaml_parser) before anything simulates. YP is not copied.
 * Until it is set, simulating render.yaml fails with ERR_UNSUPPORTED.
 */
void platform_use_yaml(const struct yaml_parser *yp);

/* The parser platform_use_yaml set, or NULL. */
const struct yaml_parser *platform_yaml(void);

/* The catalog row of rule ID in P, or NULL. */
const struct platform_rule *platform_rule_find(const struct platform *p, const char *id);

/* P's catalog as JSON: {platform, config_file, rules: [{id, severity, fix, message}]}; NULL when out of memory. */
json_t *platform_rules_json(const struct platform *p);

/* P's catalog as text, one rule a line ("ID  severity  fix  message"), into OUT. Returns 0 or ERR_NOMEM. */
int platform_rules_text(const struct platform *p, struct buf *out);

#endif
