/* The netlify.toml rule catalog: one row per rule id (config-rules.md Part A), the only place an id is written. */
#ifndef CHIMERA_PLATFORM_NETLIFY_RULES_H
#define CHIMERA_PLATFORM_NETLIFY_RULES_H

#include "platform/platform.h"

/* A row of netlify_rules: the checks name rules by these. */
enum ntl_rule {
	NTL_BUILD_1,
	NTL_BUILD_2,
	NTL_BUILD_3,
	NTL_BUILD_4,
	NTL_BUILD_5,
	NTL_BUILD_6,
	NTL_BUILD_7,
	NTL_BUILD_8,
	NTL_BUILD_9,
	NTL_BUILD_10,
	NTL_BUILD_11,
	NTL_CTX_1,
	NTL_CTX_2,
	NTL_CTX_3,
	NTL_CTX_4,
	NTL_DEV_1,
	NTL_DEV_2,
	NTL_DEV_3,
	NTL_EDGE_1,
	NTL_EDGE_2,
	NTL_EDGE_3,
	NTL_EDGE_4,
	NTL_EDGE_5,
	NTL_FUNC_1,
	NTL_FUNC_2,
	NTL_FUNC_3,
	NTL_FUNC_4,
	NTL_HDR_1,
	NTL_HDR_2,
	NTL_HDR_3,
	NTL_HDR_5,
	NTL_PLUGIN_1,
	NTL_PLUGIN_2,
	NTL_PLUGIN_3,
	NTL_PLUGIN_4,
	NTL_RED_1,
	NTL_RED_2,
	NTL_RED_3,
	NTL_RED_4,
	NTL_RED_5,
	NTL_RED_6,
	NTL_RED_7,
	NTL_RED_8,
	NTL_RED_9,
	NTL_RED_10,
	NTL_RED_11,
	NTL_TOML_1,
	NTL_TOML_2,
	NTL_TOML_3,
	NTL_TOML_4,
	NTL_TOML_5,
	NTL_TOML_6,
	NTL_TOML_7,
	NTL_TOP_1,
	NTL_TOP_2,
	NTL_TOP_3,
	NTL_RULES,
};

/* The catalog, indexed by enum ntl_rule. Static: never freed. */
extern const struct platform_rule netlify_rules[NTL_RULES];

/* The id of rule R (NTL-BUILD-1 for NTL_BUILD_1). */
#define NTL_ID(r) (netlify_rules[(r)].id)

#endif
