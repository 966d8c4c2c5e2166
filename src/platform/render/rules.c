/* The render.yaml rule catalog as data: id, severity, best fix and what each rule finds. */
#include "platform/render/rules.h"
#include "util/banned.h"

/*
 * Part B names its table rows (RND-YAML-*, RND-SVC-*, RND-ENV-*); the prose
 * sections B1, B3 and B5-B7 carry none, so their checks get ids here, one per check:
 *   RND-ROOT-1 unknown root key          RND-ROOT-2 no resources       RND-ROOT-3 root field shape
 *   RND-CMD-1  native, no startCommand   RND-CMD-2  no buildCommand    RND-CMD-3  unused command
 *   RND-IMG-1  runtime image and image   RND-HC-1   healthCheckPath
 *   RND-FREE-1 no free plan for type     RND-FREE-2 free plan limits
 *   RND-DISK-1 disk fields               RND-DISK-2 disk and several instances
 *   RND-SCALE-1 scaling bounds           RND-SCALE-2 numInstances beside scaling
 *   RND-CRON-1 no schedule               RND-CRON-2 bad schedule       RND-CRON-3 key not for cron
 *   RND-KV-1   no ipAllowList            RND-KV-2   maxmemoryPolicy    RND-KV-3   key not for keyvalue
 *   RND-STATIC-1 no staticPublishPath    RND-STATIC-2 server key on a static site
 *   RND-STATIC-3 routes                  RND-STATIC-4 headers
 *   RND-GRP-1 group fields  RND-GRP-2 group items  RND-GRP-3 group names  RND-GRP-4 fromGroup
 *   RND-GRP-5 unused group
 *   RND-DB-1 name  RND-DB-2 unknown key  RND-DB-3 disk size  RND-DB-4 postgresMajorVersion
 *   RND-DB-5 highAvailability  RND-DB-6 readReplicas  RND-DB-7 plan families  RND-DB-8 free
 *   RND-PRJ-1 projects and environments
 *   RND-PREV-1 root previews  RND-PREV-2 deprecated root keys  RND-PREV-3 branch with previews
 * Severity: the catalog's E is critical, a W that breaks or drops something high, any other W
 * medium, an I low. Its "Heal" is SIM_FIX_HEAL with the edit spelled out, "Suggest" SIM_FIX_SUGGEST.
 */

/*
 * Severity is the worst the rule reports: the reference's E is critical, a W that breaks or
 * drops something high, any other W medium, an I low; a check may report a milder case of a
 * rule lower (its message says why). Fix is the best the rule offers: heal (chimera heal
 * applies it), suggest (shown only) or none.
 */
const struct platform_rule render_rules[RND_RULES] = {
	[RND_CMD_1] = { "RND-CMD-1", SIM_CRITICAL, SIM_FIX_NONE, "a native runtime needs a startCommand" },
	[RND_CMD_2] = { "RND-CMD-2", SIM_MEDIUM, SIM_FIX_NONE, "a native runtime has no buildCommand" },
	[RND_CMD_3] = { "RND-CMD-3", SIM_MEDIUM, SIM_FIX_SUGGEST, "a command the runtime does not use" },
	[RND_CRON_1] = { "RND-CRON-1", SIM_CRITICAL, SIM_FIX_NONE, "a cron job needs a schedule" },
	[RND_CRON_2] = { "RND-CRON-2", SIM_CRITICAL, SIM_FIX_NONE, "schedule is not a five-field cron expression" },
	[RND_CRON_3] = { "RND-CRON-3", SIM_CRITICAL, SIM_FIX_SUGGEST, "a key a cron job does not take" },
	[RND_DB_1] = { "RND-DB-1", SIM_CRITICAL, SIM_FIX_NONE, "a database needs a unique name" },
	[RND_DB_2] = { "RND-DB-2", SIM_CRITICAL, SIM_FIX_HEAL, "unknown database key or wrong type" },
	[RND_DB_3] = { "RND-DB-3", SIM_CRITICAL, SIM_FIX_SUGGEST, "database disk size out of range" },
	[RND_DB_4] = { "RND-DB-4", SIM_CRITICAL, SIM_FIX_NONE, "postgresMajorVersion is not a supported version" },
	[RND_DB_5] = { "RND-DB-5", SIM_CRITICAL, SIM_FIX_HEAL, "highAvailability needs a plan that has it" },
	[RND_DB_6] = { "RND-DB-6", SIM_CRITICAL, SIM_FIX_HEAL, "readReplicas are malformed or not on this plan" },
	[RND_DB_7] = { "RND-DB-7", SIM_MEDIUM, SIM_FIX_NONE, "legacy and current plan families mixed" },
	[RND_DB_8] = { "RND-DB-8", SIM_LOW, SIM_FIX_NONE, "a free database expires" },
	[RND_DISK_1] = { "RND-DISK-1", SIM_CRITICAL, SIM_FIX_HEAL, "disk needs a name and an absolute mountPath" },
	[RND_DISK_2] = { "RND-DISK-2", SIM_CRITICAL, SIM_FIX_NONE,
		"a service with a disk cannot run several instances" },
	[RND_ENV_1] = { "RND-ENV-1", SIM_CRITICAL, SIM_FIX_HEAL, "an envVars item needs a key, or only fromGroup" },
	[RND_ENV_2] = { "RND-ENV-2", SIM_CRITICAL, SIM_FIX_HEAL, "an envVars item has more than one value source" },
	[RND_ENV_3] = { "RND-ENV-3", SIM_CRITICAL, SIM_FIX_HEAL, "an envVars item has no value source" },
	[RND_ENV_4] = { "RND-ENV-4", SIM_MEDIUM, SIM_FIX_HEAL, "generateValue false or sync true means nothing" },
	[RND_ENV_5] = { "RND-ENV-5", SIM_CRITICAL, SIM_FIX_HEAL,
		"fromDatabase is malformed, or names a database this file does not declare (it must already exist)" },
	[RND_ENV_6] = { "RND-ENV-6", SIM_CRITICAL, SIM_FIX_HEAL, "fromService is malformed or names no such service" },
	[RND_ENV_7] = { "RND-ENV-7", SIM_CRITICAL, SIM_FIX_HEAL, "a value that is not a string or a number" },
	[RND_ENV_8] = { "RND-ENV-8", SIM_MEDIUM, SIM_FIX_NONE, "the same key twice in one service" },
	[RND_ENV_9] = { "RND-ENV-9", SIM_MEDIUM, SIM_FIX_SUGGEST, "a secret written in the file" },
	[RND_ENV_10] = { "RND-ENV-10", SIM_LOW, SIM_FIX_NONE, "PORT set by hand for a web service" },
	[RND_ENV_11] = { "RND-ENV-11", SIM_HIGH, SIM_FIX_SUGGEST, "$VAR in a value is not interpolated" },
	[RND_FREE_1] = { "RND-FREE-1", SIM_CRITICAL, SIM_FIX_SUGGEST, "no free plan for this service type" },
	[RND_FREE_2] = { "RND-FREE-2", SIM_CRITICAL, SIM_FIX_SUGGEST,
		"a free service cannot have a disk, scaling or several instances" },
	[RND_GRP_1] = { "RND-GRP-1", SIM_CRITICAL, SIM_FIX_HEAL, "an envVarGroup needs a name and envVars" },
	[RND_GRP_2] = { "RND-GRP-2", SIM_CRITICAL, SIM_FIX_NONE, "an envVarGroup item is malformed" },
	[RND_GRP_3] = { "RND-GRP-3", SIM_MEDIUM, SIM_FIX_NONE, "two envVarGroups with the same name" },
	[RND_GRP_4] = { "RND-GRP-4", SIM_HIGH, SIM_FIX_NONE, "fromGroup names no such group" },
	[RND_GRP_5] = { "RND-GRP-5", SIM_LOW, SIM_FIX_NONE, "an envVarGroup no service uses" },
	[RND_HC_1] = { "RND-HC-1", SIM_CRITICAL, SIM_FIX_SUGGEST,
		"healthCheckPath must be a path, on web services only" },
	[RND_IMG_1] = { "RND-IMG-1", SIM_CRITICAL, SIM_FIX_HEAL, "runtime image and image go together" },
	[RND_KV_1] = { "RND-KV-1", SIM_CRITICAL, SIM_FIX_HEAL, "a keyvalue instance needs ipAllowList" },
	[RND_KV_2] = { "RND-KV-2", SIM_MEDIUM, SIM_FIX_NONE, "maxmemoryPolicy is not a known policy" },
	[RND_KV_3] = { "RND-KV-3", SIM_CRITICAL, SIM_FIX_SUGGEST, "a key a keyvalue instance does not take" },
	[RND_PREV_1] = { "RND-PREV-1", SIM_CRITICAL, SIM_FIX_HEAL, "root previews is malformed" },
	[RND_PREV_2] = { "RND-PREV-2", SIM_MEDIUM, SIM_FIX_HEAL, "a deprecated root key" },
	[RND_PREV_3] = { "RND-PREV-3", SIM_MEDIUM, SIM_FIX_NONE, "previews on a resource pinned to a branch" },
	[RND_PRJ_1] = { "RND-PRJ-1", SIM_CRITICAL, SIM_FIX_HEAL, "projects and environments are malformed" },
	[RND_ROOT_1] = { "RND-ROOT-1", SIM_CRITICAL, SIM_FIX_HEAL, "unknown root key" },
	[RND_ROOT_2] = { "RND-ROOT-2", SIM_CRITICAL, SIM_FIX_NONE, "the file declares no resources" },
	[RND_ROOT_3] = { "RND-ROOT-3", SIM_CRITICAL, SIM_FIX_NONE, "a root field has the wrong shape" },
	[RND_SCALE_1] = { "RND-SCALE-1", SIM_CRITICAL, SIM_FIX_NONE, "scaling bounds or targets out of range" },
	[RND_SCALE_2] = { "RND-SCALE-2", SIM_MEDIUM, SIM_FIX_SUGGEST, "numInstances is ignored beside scaling" },
	[RND_STATIC_1] = { "RND-STATIC-1", SIM_CRITICAL, SIM_FIX_SUGGEST, "a static site needs staticPublishPath" },
	[RND_STATIC_2] = { "RND-STATIC-2", SIM_CRITICAL, SIM_FIX_HEAL, "a server-only key on a static site" },
	[RND_STATIC_3] = { "RND-STATIC-3", SIM_CRITICAL, SIM_FIX_NONE, "a static route is malformed" },
	[RND_STATIC_4] = { "RND-STATIC-4", SIM_CRITICAL, SIM_FIX_NONE, "a static header is malformed" },
	[RND_SVC_1] = { "RND-SVC-1", SIM_CRITICAL, SIM_FIX_HEAL, "service type is missing or unknown" },
	[RND_SVC_2] = { "RND-SVC-2", SIM_CRITICAL, SIM_FIX_NONE, "service name is missing or not unique" },
	[RND_SVC_3] = { "RND-SVC-3", SIM_CRITICAL, SIM_FIX_HEAL, "runtime missing, or the deprecated env key" },
	[RND_SVC_4] = { "RND-SVC-4", SIM_CRITICAL, SIM_FIX_HEAL, "runtime is not a known runtime" },
	[RND_SVC_5] = { "RND-SVC-5", SIM_CRITICAL, SIM_FIX_HEAL, "plan is not a known plan" },
	[RND_SVC_6] = { "RND-SVC-6", SIM_CRITICAL, SIM_FIX_HEAL,
		"region is not a known region, or references cross regions" },
	[RND_SVC_7] = { "RND-SVC-7", SIM_CRITICAL, SIM_FIX_HEAL, "unknown service key (typos of a known key heal)" },
	[RND_SVC_8] = { "RND-SVC-8", SIM_MEDIUM, SIM_FIX_HEAL, "a deprecated service key" },
	[RND_SVC_9] = { "RND-SVC-9", SIM_MEDIUM, SIM_FIX_SUGGEST,
		"autoDeployTrigger is not off, commit or checksPass" },
	[RND_SVC_10] = { "RND-SVC-10", SIM_CRITICAL, SIM_FIX_SUGGEST, "buildFilter is malformed" },
	[RND_SVC_11] = { "RND-SVC-11", SIM_CRITICAL, SIM_FIX_HEAL,
		"a numeric or list field out of range or of the wrong type" },
	[RND_YAML_1] = { "RND-YAML-1", SIM_CRITICAL, SIM_FIX_HEAL, "not one YAML document with a mapping at its root" },
	[RND_YAML_2] = { "RND-YAML-2", SIM_CRITICAL, SIM_FIX_HEAL, "a key twice in one mapping" },
	[RND_YAML_3] = { "RND-YAML-3", SIM_HIGH, SIM_FIX_HEAL, "a YAML 1.1 boolean where a string is meant" },
	[RND_YAML_4] = { "RND-YAML-4", SIM_HIGH, SIM_FIX_HEAL, "a number where the schema wants a string" },
};
