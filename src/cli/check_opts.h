/* The --check options of deploy and watch: health checks with their timeout and retries. */
#ifndef CHIMERA_CLI_CHECK_OPTS_H
#define CHIMERA_CLI_CHECK_OPTS_H

#include <getopt.h>
#include <stddef.h>

#include "core/healthspec.h"

enum {
	CHECK_OPT_CHECK = 1200,
	CHECK_OPT_TIMEOUT,
	CHECK_OPT_RETRIES,
};

#define CHECK_OPTIONS                                                       \
	{ "check", required_argument, NULL, CHECK_OPT_CHECK },              \
	{ "check-timeout", required_argument, NULL, CHECK_OPT_TIMEOUT },    \
	{ "check-retries", required_argument, NULL, CHECK_OPT_RETRIES }

#define CHECK_OPTIONS_HELP                                                                      \
	"  --check SPEC             a health check, repeatable: http:URL[=STATUS] (from here;\n"  \
	"                           any 2xx without STATUS), tcp:HOST:PORT (from here), or\n"      \
	"                           cmd:COMMAND (on the node, exit 0 passes); {host} in URL or\n"   \
	"                           HOST is the node's address\n"                                    \
	"  --check-timeout S        per attempt (default 5)\n"                                       \
	"  --check-retries N        attempts after a failure, 1 s apart (default 2)\n"

struct cli_checks {
	struct health_spec *specs;
	size_t n;
	long timeout_s;
	long retries;
};

void cli_checks_init(struct cli_checks *c);
/* Take option C with ARG: 1 when it was one of CHECK_OPTIONS, 0 when not, or ERR_INVALID / ERR_NOMEM. */
int cli_checks_opt(struct cli_checks *c, int opt, const char *arg);
/* Apply the timeout and retries to every check (after all options are read). */
void cli_checks_finish(struct cli_checks *c);
void cli_checks_release(struct cli_checks *c);

#endif
