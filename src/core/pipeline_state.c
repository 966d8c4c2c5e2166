/* The pipeline's state machine: one transition function, and the moves it allows derived from it. */
#include "core/pipeline_state.h"

#include <string.h>

#include "util/err.h"
#include "util/banned.h"

#define QUOTE_MAX 128

static const char *const state_names[PL_STATES] = {
	[PL_IDLE] = "IDLE",
	[PL_SIMULATING] = "SIMULATING",
	[PL_HEALING] = "HEALING",
	[PL_CERTIFYING] = "CERTIFYING",
	[PL_DEPLOYING] = "DEPLOYING",
	[PL_VERIFYING] = "VERIFYING",
	[PL_SUCCESS] = "SUCCESS",
	[PL_REJECTED] = "REJECTED",
	[PL_ROLLBACK] = "ROLLBACK",
};

static bool in_range(enum pipeline_state s)
{
	return (unsigned)s < PL_STATES;
}

enum pipeline_state pipeline_state_next(enum pipeline_state cur, enum pipeline_outcome outcome,
					const struct pipeline_flags *f)
{
	switch (cur) {
	case PL_IDLE:
		return PL_SIMULATING;
	case PL_SIMULATING:
		if (outcome == PL_OK)
			return PL_CERTIFYING;
		return outcome == PL_FIXABLE && !f->no_heal ? PL_HEALING : PL_REJECTED;
	case PL_HEALING:
		return outcome == PL_OK ? PL_CERTIFYING : PL_REJECTED;
	case PL_CERTIFYING:
		return outcome == PL_OK ? PL_DEPLOYING : PL_REJECTED;
	case PL_DEPLOYING:
		if (outcome == PL_OK)
			return f->dry_run ? PL_SUCCESS : PL_VERIFYING;
		return outcome == PL_CHANGED && f->can_rollback ? PL_ROLLBACK : PL_REJECTED;
	case PL_VERIFYING:
		if (outcome == PL_OK)
			return PL_SUCCESS;
		return f->can_rollback ? PL_ROLLBACK : PL_REJECTED;
	default:
		return cur;
	}
}

/* Asking the transition function itself, so the allowed moves cannot disagree with it. */
bool pipeline_state_can(enum pipeline_state from, enum pipeline_state to)
{
	int o, bits;

	if (!in_range(from) || !in_range(to) || from == to)
		return false;
	for (o = 0; o < PL_OUTCOMES; o++) {
		for (bits = 0; bits < 8; bits++) {
			struct pipeline_flags f = { .no_heal = bits & 1, .dry_run = bits & 2, .can_rollback = bits & 4 };

			if (pipeline_state_next(from, (enum pipeline_outcome)o, &f) == to)
				return true;
		}
	}
	return false;
}

int pipeline_state_transition(enum pipeline_state *s, enum pipeline_state to)
{
	if (!pipeline_state_can(*s, to))
		return err_set(ERR_INVALID, "illegal transition '%s' -> '%s'", pipeline_state_name(*s),
			       pipeline_state_name(to));
	*s = to;
	return 0;
}

bool pipeline_state_is_final(enum pipeline_state s)
{
	int to;

	if (!in_range(s))
		return false;
	for (to = 0; to < PL_STATES; to++) {
		if (pipeline_state_can(s, (enum pipeline_state)to))
			return false;
	}
	return true;
}

const char *pipeline_state_name(enum pipeline_state s)
{
	return in_range(s) ? state_names[s] : "UNKNOWN";
}

int pipeline_state_parse(enum pipeline_state *out, const char *s, size_t len)
{
	char q[QUOTE_MAX];
	int i;

	*out = PL_IDLE;
	for (i = 0; i < PL_STATES; i++) {
		if (strlen(state_names[i]) == len && memcmp(state_names[i], s, len) == 0)
			break;
	}
	if (i == PL_STATES) {
		err_quote(q, sizeof(q), s, len);
		return err_set(ERR_INVALID, "bad pipeline state '%s': expected IDLE, SIMULATING, HEALING, "
			       "CERTIFYING, DEPLOYING, VERIFYING, SUCCESS, REJECTED or ROLLBACK", q);
	}
	*out = (enum pipeline_state)i;
	return 0;
}

const char *pipeline_outcome_name(int outcome)
{
	switch (outcome) {
	case PL_OK: return "ok";
	case PL_FIXABLE: return "fixable";
	case PL_FAILED: return "failed";
	case PL_CHANGED: return "failed after changes";
	default: return "error";
	}
}
