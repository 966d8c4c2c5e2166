/* The --check options of deploy and watch. */
#include "cli/check_opts.h"
#include "cli/cli.h"
#include "util/err.h"

#include <stdlib.h>
#include "util/banned.h"

void cli_checks_init(struct cli_checks *c)
{
	c->specs = NULL;
	c->n = 0;
	c->timeout_s = HEALTH_TIMEOUT_MS / 1000;
	c->retries = HEALTH_RETRIES;
}

int cli_checks_opt(struct cli_checks *c, int opt, const char *arg)
{
	struct health_spec *m;
	int r;

	switch (opt) {
	case CHECK_OPT_CHECK:
		if (!(m = realloc(c->specs, (c->n + 1) * sizeof(*m))))
			return err_set(ERR_NOMEM, "out of memory");
		c->specs = m;
		if ((r = health_spec_parse(arg, &c->specs[c->n])) < 0)
			return r;
		c->n++;
		return 1;
	case CHECK_OPT_TIMEOUT:
		return (r = cli_int("--check-timeout", arg, 1, 3600, &c->timeout_s)) < 0 ? r : 1;
	case CHECK_OPT_RETRIES:
		return (r = cli_int("--check-retries", arg, 0, 100, &c->retries)) < 0 ? r : 1;
	default:
		return 0;
	}
}

void cli_checks_finish(struct cli_checks *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		c->specs[i].timeout_ms = c->timeout_s * 1000;
		c->specs[i].retries = (int)c->retries;
	}
}

void cli_checks_release(struct cli_checks *c)
{
	free(c->specs);
	c->specs = NULL;
	c->n = 0;
}
