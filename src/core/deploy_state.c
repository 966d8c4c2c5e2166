/* The deployment state machine, kept as one table of allowed moves. */
#include "core/deploy_state.h"

#include <string.h>

#include "util/err.h"

#define QUOTE_MAX 128

static const char *const state_names[DEPLOY_STATE_COUNT] = {
	[DEPLOY_STATE_IDLE] = "IDLE",
	[DEPLOY_STATE_SIMULATING] = "SIMULATING",
	[DEPLOY_STATE_HEALING] = "HEALING",
	[DEPLOY_STATE_CERTIFYING] = "CERTIFYING",
	[DEPLOY_STATE_DEPLOYING] = "DEPLOYING",
	[DEPLOY_STATE_VERIFYING] = "VERIFYING",
	[DEPLOY_STATE_SUCCESS] = "SUCCESS",
	[DEPLOY_STATE_REJECTED] = "REJECTED",
	[DEPLOY_STATE_ROLLBACK] = "ROLLBACK",
	[DEPLOY_STATE_FAILED] = "FAILED",
};

/* allowed[from][to]; rows left out (SUCCESS, REJECTED, FAILED) are terminal. */
static const bool allowed[DEPLOY_STATE_COUNT][DEPLOY_STATE_COUNT] = {
	[DEPLOY_STATE_IDLE] = {
		[DEPLOY_STATE_SIMULATING] = true,
		[DEPLOY_STATE_FAILED] = true,
	},
	[DEPLOY_STATE_SIMULATING] = {
		[DEPLOY_STATE_HEALING] = true,
		[DEPLOY_STATE_CERTIFYING] = true,
		[DEPLOY_STATE_REJECTED] = true,
		[DEPLOY_STATE_FAILED] = true,
	},
	[DEPLOY_STATE_HEALING] = {
		[DEPLOY_STATE_SIMULATING] = true,
		[DEPLOY_STATE_REJECTED] = true,
		[DEPLOY_STATE_FAILED] = true,
	},
	[DEPLOY_STATE_CERTIFYING] = {
		[DEPLOY_STATE_DEPLOYING] = true,
		[DEPLOY_STATE_REJECTED] = true,
		[DEPLOY_STATE_FAILED] = true,
	},
	[DEPLOY_STATE_DEPLOYING] = {
		[DEPLOY_STATE_VERIFYING] = true,
		[DEPLOY_STATE_ROLLBACK] = true,
		[DEPLOY_STATE_FAILED] = true,
	},
	[DEPLOY_STATE_VERIFYING] = {
		[DEPLOY_STATE_SUCCESS] = true,
		[DEPLOY_STATE_ROLLBACK] = true,
		[DEPLOY_STATE_FAILED] = true,
	},
	[DEPLOY_STATE_ROLLBACK] = {
		[DEPLOY_STATE_FAILED] = true,
	},
};

static bool in_range(enum deploy_state s)
{
	return (unsigned)s < DEPLOY_STATE_COUNT;
}

bool deploy_state_can(enum deploy_state from, enum deploy_state to)
{
	return in_range(from) && in_range(to) && allowed[from][to];
}

int deploy_state_transition(enum deploy_state *s, enum deploy_state to)
{
	if (!deploy_state_can(*s, to))
		return err_set(ERR_INVALID, "illegal transition '%s' -> '%s'",
		    deploy_state_name(*s), deploy_state_name(to));
	*s = to;
	return 0;
}

/* Terminal means the row of the table is empty, so the two cannot disagree. */
bool deploy_state_is_terminal(enum deploy_state s)
{
	int to;

	if (!in_range(s))
		return false;
	for (to = 0; to < DEPLOY_STATE_COUNT; to++) {
		if (allowed[s][to])
			return false;
	}
	return true;
}

const char *deploy_state_name(enum deploy_state s)
{
	return in_range(s) ? state_names[s] : "UNKNOWN";
}

int deploy_state_parse(enum deploy_state *out, const char *s, size_t len)
{
	char q[QUOTE_MAX];
	int i;

	*out = DEPLOY_STATE_IDLE;
	for (i = 0; i < DEPLOY_STATE_COUNT; i++) {
		if (strlen(state_names[i]) == len && memcmp(state_names[i], s, len) == 0)
			break;
	}
	if (i == DEPLOY_STATE_COUNT) {
		err_quote(q, sizeof(q), s, len);
		return err_set(ERR_INVALID, "bad deployment state '%s': expected IDLE, "
		    "SIMULATING, HEALING, CERTIFYING, DEPLOYING, VERIFYING, SUCCESS, REJECTED, "
		    "ROLLBACK or FAILED", q);
	}
	*out = (enum deploy_state)i;
	return 0;
}
