/* Which profile generations a garbage collection deletes, and why each other one stays: pure rules, no I/O. */
#include "core/gc_plan.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

const char *gc_why_name(unsigned why)
{
	static const char *const names[GC_WHY_COUNT] = { "current", "newest", "younger", "deadman", "watch", "rollback" };
	unsigned i;

	for (i = 0; i < GC_WHY_COUNT; i++)
		if (why == 1u << i)
			return names[i];
	return "unknown";
}

int gc_age_parse(const char *what, const char *s, int64_t *seconds)
{
	size_t len = strlen(s), digits = 0, i;
	int64_t n = 0, unit;
	char q[64];

	*seconds = 0;
	while (digits < len && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	switch (len == digits + 1 ? s[digits] : 0) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: unit = 0; break;
	}
	/* Ten digits already pass the limit in any unit: longer ones are refused before they overflow. */
	if (digits == 0 || digits > 10 || unit == 0)
		goto bad;
	for (i = 0; i < digits; i++)
		n = n * 10 + (s[i] - '0');
	if (n > GC_AGE_MAX_S / unit)
		goto bad;
	*seconds = n * unit;
	return 0;
bad:
	return err_set(ERR_INVALID,
		       "bad %s '%s': expected a whole number and one unit, s, m, h, d or w (like 30d, 12h or 0d), "
		       "at most 36500d",
		       what, err_quote(q, sizeof(q), s, len));
}

/* Does protection P name generation G (PREV: the generation before the current one, or NULL)? */
static bool protects(const struct gc_protect *p, const struct generation *g, const struct generation *prev)
{
	if (p->gen && p->gen == g->num)
		return true;
	if (p->previous && prev && prev->num == g->num)
		return true;
	return p->path && p->path[0] && strcmp(p->path, g->path) == 0;
}

int gc_plan_make(const struct gen_list *gens, const struct gc_plan_opts *o, const struct gc_protect *p, size_t np,
		 struct gc_plan *plan)
{
	const struct generation *prev = gen_list_previous(gens);
	size_t i, j;

	memset(plan, 0, sizeof(*plan));
	if (gens->n == 0)
		return 0;
	if (!(plan->items = calloc(gens->n, sizeof(*plan->items))))
		return err_set(ERR_NOMEM, "out of memory");
	plan->n = gens->n;
	for (i = 0; i < gens->n; i++) {
		const struct generation *g = &gens->items[i];
		struct gc_choice *c = &plan->items[i];

		c->num = g->num;
		c->time = g->time;
		snprintf(c->path, sizeof(c->path), "%s", g->path);
		if (g->num == gens->current ||
		    (gens->current == 0 && gens->current_path[0] && strcmp(g->path, gens->current_path) == 0))
			c->why |= GC_WHY_CURRENT;
		/* Items ascend by number: the last KEEP are the newest. */
		if (gens->n - i <= o->keep)
			c->why |= GC_WHY_NEWEST;
		if (o->older_than_s >= 0 && !(g->time < o->now - o->older_than_s))
			c->why |= GC_WHY_YOUNGER;
		for (j = 0; j < np; j++) {
			if (!protects(&p[j], g, prev))
				continue;
			c->why |= p[j].why;
			if (!c->by[0] && p[j].by)
				snprintf(c->by, sizeof(c->by), "%s", p[j].by);
		}
		if (!c->why)
			plan->ndelete++;
	}
	return 0;
}

void gc_plan_release(struct gc_plan *plan)
{
	free(plan->items);
	memset(plan, 0, sizeof(*plan));
}
