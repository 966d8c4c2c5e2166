/* The MCP tools and resources: schemas, annotations, the least role, the API route of each (mcp.h). */
#include "api/api.h"
#include "api/mcp.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

/* Schema pieces: a property NAME of a type, with a description. */
#define P_STR(n, d) "\"" n "\": {\"type\": \"string\", \"description\": \"" d "\"}"
#define P_INT(n, d) "\"" n "\": {\"type\": \"integer\", \"description\": \"" d "\"}"
#define P_BOOL(n, d) "\"" n "\": {\"type\": \"boolean\", \"description\": \"" d "\"}"
#define P_OBJ(n, d) "\"" n "\": {\"type\": \"object\", \"description\": \"" d "\"}"
#define P_ARR(n, d) "\"" n "\": {\"type\": \"array\", \"description\": \"" d "\"}"
#define P_TARGETS(d) "\"targets\": {\"type\": [\"string\", \"array\"], \"items\": {\"type\": \"string\"}, " \
	"\"description\": \"" d "\"}"

/* An object schema with PROPS, REQUIRED (a JSON list), and whether it takes other fields. */
#define SCHEMA(props, req, more) "{\"type\": \"object\", \"properties\": {" props "}, \"required\": " req \
	", \"additionalProperties\": " more "}"
#define NONE "{\"type\": \"object\", \"properties\": {}, \"additionalProperties\": false}"

#define TARGETS_HELP "machines, @tags, all, or [user@]host[:port]: a comma-separated string or a list"
/* The fleet fields every act tool on nodes takes (POST /deployments and the rest check them again). */
#define REACH P_STR("exclude", "targets left out, in the same form") ", " \
	P_INT("parallel", "nodes at once") ", " P_INT("timeout", "seconds per node step") ", " \
	P_STR("profile", "the Nix profile (default: system)") ", " \
	P_INT("lock_wait", "seconds to wait for a node's lease held by another operation")
#define GOAL P_STR("goal", "switch, boot, test or dry-activate")

/* What a job's tool gives: the job, its state, and the use case's report (the CLI's --json). */
#define JOB_OUT "{\"type\": \"object\", \"properties\": {" \
	"\"job\": {\"type\": \"string\"}, \"kind\": {\"type\": \"string\"}, " \
	"\"state\": {\"type\": \"string\", \"enum\": [\"succeeded\", \"partial\", \"failed\", \"cancelled\", " \
	"\"interrupted\"]}, \"error\": {\"type\": [\"string\", \"null\"]}, " \
	"\"nodes\": {\"type\": \"array\"}, \"report\": {\"type\": [\"object\", \"null\"]}}, " \
	"\"required\": [\"job\", \"kind\", \"state\"]}"
#define OUT_WITH(field, type) "{\"type\": \"object\", \"properties\": {\"" field "\": {\"type\": \"" type "\"}}, " \
	"\"required\": [\"" field "\"]}"
#define OUT_ANY "{\"type\": \"object\"}"

/* deploy's "source": a store path is the route's "expect", a ref with '#' its "flake", else its "file". */
static int deploy_source(json_t *args, char *msg, size_t len)
{
	const char *s = json_string_value(json_object_get(args, "source"));
	const char *field;

	if (!s)
		return 0;
	field = strncmp(s, "/nix/store/", 11) == 0 ? "expect" : strchr(s, '#') ? "flake" : "file";
	if (json_object_get(args, field)) {
		snprintf(msg, len, "tool 'deploy': give 'source' or '%s', not both", field);
		return -1;
	}
	json_object_set_new(args, field, json_string(s));
	json_object_del(args, "source");
	return 0;
}

const struct mcp_tool mcp_tools[] = {
	{ "fleet_status", "Fleet status",
	  "Each node's state (congruent, drifted, unreachable, ...) and profile: from the ledger, or probed "
	  "now with refresh.", TOKEN_ROLE_VIEWER, MCP_TOOL_READ, true, false, true, "GET", API_PREFIX "/status",
	  SCHEMA(P_TARGETS(TARGETS_HELP) ", " P_STR("exclude", "targets left out") ", "
		 P_BOOL("refresh", "probe the nodes now instead of reading the ledger") ", "
		 P_STR("expect", "with refresh: the store path each node should run"), "[]", "false"),
	  OUT_WITH("nodes", "array"), NULL },
	{ "machine", "One machine", "A machine of chimera.toml: its settings, facts, generations and last events.",
	  TOKEN_ROLE_VIEWER, MCP_TOOL_READ, true, false, true, "GET", API_PREFIX "/machines/{name}",
	  SCHEMA(P_STR("name", "the machine's name in chimera.toml"), "[\"name\"]", "false"),
	  OUT_WITH("name", "string"), NULL },
	{ "generations", "Generations", "The system profile's generations on each target node.", TOKEN_ROLE_VIEWER,
	  MCP_TOOL_READ, true, false, true, "GET", API_PREFIX "/generations",
	  SCHEMA(P_TARGETS(TARGETS_HELP), "[\"targets\"]", "false"), OUT_WITH("nodes", "array"), NULL },
	{ "deployments", "Deployments", "The last deployments, newest first, from the ledger.", TOKEN_ROLE_VIEWER,
	  MCP_TOOL_READ, true, false, true, "GET", API_PREFIX "/deployments",
	  SCHEMA(P_INT("limit", "how many (default 20)"), "[]", "false"), OUT_WITH("deployments", "array"), NULL },
	{ "deployment", "One deployment", "One deployment by id: its nodes, steps, outcome and events.",
	  TOKEN_ROLE_VIEWER, MCP_TOOL_READ, true, false, true, "GET", API_PREFIX "/deployments/{id}",
	  SCHEMA(P_STR("id", "the deployment's id"), "[\"id\"]", "false"), OUT_ANY, NULL },
	{ "events", "Ledger events", "Events of the ledger, oldest first, filtered.", TOKEN_ROLE_VIEWER, MCP_TOOL_READ,
	  true, false, true, "GET", API_PREFIX "/events",
	  SCHEMA(P_STR("topic", "a topic, or a prefix with .* (deploy.*)") ", " P_STR("node", "user@host:port") ", "
		 P_STR("deployment", "an operation's id") ", " P_INT("after", "only events after this seq") ", "
		 P_INT("limit", "how many at most"), "[]", "false"),
	  OUT_WITH("events", "array"), NULL },
	{ "ledger_verify", "Verify the ledger", "Check the ledger's hash chain from its first event to its head.",
	  TOKEN_ROLE_VIEWER, MCP_TOOL_READ, true, false, true, "GET", API_PREFIX "/ledger/verify", NONE,
	  OUT_WITH("ok", "boolean"), NULL },
	{ "watch_state", "Watch state", "What the watch inside chimera serve last found on each node.",
	  TOKEN_ROLE_VIEWER, MCP_TOOL_READ, true, false, true, "GET", API_PREFIX "/watch", NONE, OUT_ANY, NULL },
	{ "simulate", "Simulate a platform project",
	  "Build a platform project (netlify, render, nix) as its platform would, and report what would be "
	  "deployed; changes no node.", TOKEN_ROLE_OPERATOR, MCP_TOOL_JOB, true, false, true, "POST",
	  API_PREFIX "/simulate",
	  SCHEMA(P_STR("platform", "netlify, render or nix") ", " P_STR("dir", "the project's directory (absolute)")
		 ", " P_STR("file", "nix: the file built") ", " P_STR("attr", "nix: the attribute"),
		 "[\"platform\", \"dir\"]", "false"), JOB_OUT, NULL },
	{ "deploy", "Deploy",
	  "Build and switch the targets to a configuration: their own from chimera.toml, or source (a .nix "
	  "file, a flake ref with #, or a store path). dry_run builds and compares without switching.",
	  TOKEN_ROLE_OPERATOR, MCP_TOOL_JOB, false, true, false, "POST", API_PREFIX "/deployments",
	  SCHEMA(P_TARGETS(TARGETS_HELP) ", " P_STR("source", "a .nix file, a flake ref (path#attr) or a /nix/store path")
		 ", " P_STR("file", "a .nix file") ", " P_STR("attr", "the attribute of file") ", "
		 P_OBJ("args", "file's arguments {NAME: EXPR}") ", " P_OBJ("argstrs", "file's arguments {NAME: STRING}")
		 ", " P_STR("flake", "a flake ref") ", " P_STR("expect", "a store path already built") ", " GOAL ", "
		 P_BOOL("dry_run", "build and compare only") ", " P_ARR("checks", "health checks after the switch")
		 ", " P_INT("confirm_timeout", "seconds for magic rollback (0: none)") ", " REACH,
		 "[\"targets\"]", "true"), JOB_OUT, deploy_source },
	{ "rollback", "Roll back", "Switch the targets back to a previous generation (all or none).",
	  TOKEN_ROLE_OPERATOR, MCP_TOOL_JOB, false, true, false, "POST", API_PREFIX "/rollback",
	  SCHEMA(P_TARGETS(TARGETS_HELP) ", " P_INT("generation", "the generation (default: the one before)") ", " GOAL
		 ", " REACH, "[\"targets\"]", "true"), JOB_OUT, NULL },
	{ "exec", "Run a command", "Run a shell command on the targets; each node's exit status and output.",
	  TOKEN_ROLE_OPERATOR, MCP_TOOL_JOB, false, true, false, "POST", API_PREFIX "/exec",
	  SCHEMA(P_TARGETS(TARGETS_HELP) ", " P_STR("command", "the shell command") ", "
		 P_BOOL("record_output", "keep the output in the ledger") ", " REACH, "[\"targets\", \"command\"]",
		 "true"), JOB_OUT, NULL },
	{ "release", "Release a quarantined node", "Let the watch act on a node it quarantined again.",
	  TOKEN_ROLE_OPERATOR, MCP_TOOL_ONCE, false, false, true, "POST", API_PREFIX "/watch/release/{node}",
	  SCHEMA(P_STR("node", "a machine's name or [user@]host[:port]"), "[\"node\"]", "false"), OUT_ANY, NULL },
	{ "heal", "Heal a platform project", "Fix what a platform project's configuration gets wrong (write: in place).",
	  TOKEN_ROLE_OPERATOR, MCP_TOOL_JOB, false, true, true, "POST", API_PREFIX "/heal",
	  SCHEMA(P_STR("platform", "netlify or render") ", " P_STR("dir", "the project's directory (absolute)") ", "
		 P_BOOL("write", "write the fixes"), "[\"platform\", \"dir\"]", "false"), JOB_OUT, NULL },
	{ "certify", "Certify an artifact", "Sign a certificate that an artifact was built from a project's files, or verify one.",
	  TOKEN_ROLE_OPERATOR, MCP_TOOL_JOB, false, false, true, "POST", API_PREFIX "/certify",
	  SCHEMA(P_STR("platform", "netlify or render") ", " P_STR("dir", "the project's directory (absolute)") ", "
		 P_STR("artifact", "the store path certified") ", " P_STR("out", "where the certificate goes")
		 ", " P_STR("verify", "a certificate to check instead"), "[\"dir\"]", "false"), JOB_OUT, NULL },
	{ "pipeline", "Run a pipeline", "Heal, simulate, certify and deploy a platform project, each stage recorded.",
	  TOKEN_ROLE_OPERATOR, MCP_TOOL_JOB, false, true, false, "POST", API_PREFIX "/pipeline",
	  SCHEMA(P_STR("platform", "netlify, render or nix") ", " P_STR("dir", "the project's directory (absolute)")
		 ", " P_BOOL("dry_run", "stop before deploying") ", " P_TARGETS("nix: " TARGETS_HELP),
		 "[\"platform\", \"dir\"]", "true"), JOB_OUT, NULL },
	{ NULL, NULL, NULL, 0, 0, false, false, false, NULL, NULL, NULL, NULL, NULL },
};

const struct mcp_tool *mcp_tool_find(const char *name)
{
	const struct mcp_tool *t;

	for (t = mcp_tools; name && t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

json_t *mcp_resources_json(bool templates)
{
	if (templates)
		return json_pack("{s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]}", "resourceTemplates", "uriTemplate",
				 "chimera://machines/{name}", "name", "machine", "description",
				 "one machine: settings, facts, generations, last events", "mimeType", "application/json",
				 "uriTemplate", "chimera://deployments/{id}", "name", "deployment", "description",
				 "one deployment: nodes, steps, outcome", "mimeType", "application/json");
	return json_pack("{s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]}", "resources", "uri", "chimera://machines",
			 "name", "machines", "description", "the machines of chimera.toml", "mimeType",
			 "application/json", "uri", "chimera://ledger/head", "name", "ledger head", "description",
			 "the ledger's last event and its seq", "mimeType", "application/json");
}

/* One path segment of a URI: non-empty, no '/', '?', '#' or '%' (no decoding is done). */
static bool segment(const char *s)
{
	return s[0] && !strpbrk(s, "/?#%");
}

int mcp_resource_route(const char *uri, const char **method, char *path, size_t len)
{
	static const char machines[] = "chimera://machines", deployments[] = "chimera://deployments/";

	*method = "GET";
	if (strcmp(uri, machines) == 0)
		return snprintf(path, len, "%s/machines", API_PREFIX) < (int)len ? 0 : -1;
	if (strcmp(uri, "chimera://ledger/head") == 0)
		return snprintf(path, len, "%s/events", API_PREFIX) < (int)len ? 0 : -1;
	if (strncmp(uri, machines, strlen(machines)) == 0 && uri[strlen(machines)] == '/' &&
	    segment(uri + strlen(machines) + 1))
		return snprintf(path, len, "%s/machines/%s", API_PREFIX, uri + strlen(machines) + 1) < (int)len ? 0 : -1;
	if (strncmp(uri, deployments, strlen(deployments)) == 0 && segment(uri + strlen(deployments)))
		return snprintf(path, len, "%s/deployments/%s", API_PREFIX, uri + strlen(deployments)) < (int)len ? 0
														  : -1;
	return -1;
}
