/* The render.yaml rule catalog: one row per rule id (config-rules.md Part B), the only place an id is written. */
#ifndef CHIMERA_PLATFORM_RENDER_RULES_H
#define CHIMERA_PLATFORM_RENDER_RULES_H

#include "platform/platform.h"

/* A row of render_rules: the checks name rules by these. */
enum rnd_rule {
	RND_CMD_1,
	RND_CMD_2,
	RND_CMD_3,
	RND_CRON_1,
	RND_CRON_2,
	RND_CRON_3,
	RND_DB_1,
	RND_DB_2,
	RND_DB_3,
	RND_DB_4,
	RND_DB_5,
	RND_DB_6,
	RND_DB_7,
	RND_DB_8,
	RND_DISK_1,
	RND_DISK_2,
	RND_ENV_1,
	RND_ENV_2,
	RND_ENV_3,
	RND_ENV_4,
	RND_ENV_5,
	RND_ENV_6,
	RND_ENV_7,
	RND_ENV_8,
	RND_ENV_9,
	RND_ENV_10,
	RND_ENV_11,
	RND_FREE_1,
	RND_FREE_2,
	RND_GRP_1,
	RND_GRP_2,
	RND_GRP_3,
	RND_GRP_4,
	RND_GRP_5,
	RND_HC_1,
	RND_IMG_1,
	RND_KV_1,
	RND_KV_2,
	RND_KV_3,
	RND_PREV_1,
	RND_PREV_2,
	RND_PREV_3,
	RND_PRJ_1,
	RND_ROOT_1,
	RND_ROOT_2,
	RND_ROOT_3,
	RND_SCALE_1,
	RND_SCALE_2,
	RND_STATIC_1,
	RND_STATIC_2,
	RND_STATIC_3,
	RND_STATIC_4,
	RND_SVC_1,
	RND_SVC_2,
	RND_SVC_3,
	RND_SVC_4,
	RND_SVC_5,
	RND_SVC_6,
	RND_SVC_7,
	RND_SVC_8,
	RND_SVC_9,
	RND_SVC_10,
	RND_SVC_11,
	RND_YAML_1,
	RND_YAML_2,
	RND_YAML_3,
	RND_YAML_4,
	RND_RULES,
};

/* The catalog, indexed by enum rnd_rule. Static: never freed. */
extern const struct platform_rule render_rules[RND_RULES];

/* The id of rule R (RND-CMD-1 for RND_CMD_1). */
#define RND_ID(r) (render_rules[(r)].id)

#endif
