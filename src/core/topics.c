/* The event topic catalog: one row per topic the ledger takes; docs/events.md is rendered from it. */
#include "core/topics.h"
#include "core/chain.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* A row's payload fields: each "name" or "name note", ending with NULL. */
#define FIELDS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Sorted by name (a unit test checks it): topics_find searches it in halves. */
static const struct topic catalog[] = {
	{ "chimera.deploy.complete", 1, "a deploy ended (for a platform: its build hook answered)",
	  FIELDS("result success, partial, failed or build failed", "path the store path deployed",
		 "nodes", "ok nodes deployed", "failed nodes failed", "ms", "dry_run",
		 "error when the build failed", "hook a platform's hook result") },
	{ "chimera.deploy.start", 1, "the closure is built and nodes are about to get it (or a platform's hook is called)",
	  FIELDS("path", "closure_paths", "closure_bytes", "build_ms", "nodes", "dry_run",
		 "hook a platform's hook URL, credentials redacted", "platform", "certificate_nonce") },
	{ "chimera.rollback.complete", 1, "a rollback ended",
	  FIELDS("result success, reverted or refused; for a platform success or failed", "nodes",
		 "switched nodes now on the older generation", "failed", "ms", "hook a platform's rollback hook result") },
	{ "chimera.rollback.triggered", 1, "a rollback began: asked for, after a failed activation, or by a node's dead-man switch",
	  FIELDS("reason", "profile", "generation the generation asked for", "nodes",
		 "to the store path a deploy goes back to", "to_generation", "detail why a confirmation failed",
		 "by node when the node's dead-man switch does it", "hook a platform's rollback hook URL") },
	{ "chimera.simulate.complete", 1, "a pipeline's simulation ended",
	  FIELDS("passed", "outcome", "reason", "report the simulator's report") },
	{ "chimera.simulate.start", 1, "a pipeline's simulation began", FIELDS("platform", "dir") },
	{ "chimera.verify.complete", 1, "a pipeline's check of the deployed site ended",
	  FIELDS("passed", "reason", "report") },
	{ "deploy.certified", 1, "a pipeline's certificate was signed", FIELDS("certificate") },
	{ "deploy.certify.refused", 1, "a pipeline's certificate was refused", FIELDS("reason", "report") },
	{ "deploy.heal.complete", 1, "a pipeline's healing ended", FIELDS("passed", "reason", "report") },
	{ "deploy.heal.intent", 1, "a pipeline is about to heal what the simulation found",
	  FIELDS("fixable the findings it means to fix") },
	{ "deploy.initiated", 1, "a deploy or a pipeline was asked for, before any work",
	  FIELDS("source the flake (or expected path) deployed", "profile", "activate", "dry_run",
		 "nodes node names", "platform a pipeline's platform", "dir a pipeline's directory",
		 "pipeline true for a pipeline", "no_heal a pipeline's --no-heal",
		 "resumes the deployment a deploy --resume finishes") },
	{ "deploy.interrupted", 1, "an operation whose controller died (its lease was taken over) ended, with where each unfinished node was left",
	  FIELDS("kind the operation's kind: deploy, rollback, watch, secrets, run, sessions, services",
		 "by the operation that took the lease over", "host the dead holder's host", "pid the dead holder's pid",
		 "path the store path it deployed, null when none",
		 "nodes each unfinished node: node, state (new, old, other, none, unreachable), path read, error") },
	{ "exec.complete", 1, "a chimera exec run ended", FIELDS("ok", "failed", "ms") },
	{ "exec.start", 1, "a chimera exec run began", FIELDS("command", "targets the number of nodes") },
	{ "hostfactory.machine.configured", 1, "chimera hostfactory deployed a machine's template configuration and read its status (getRequestStatus)",
	  FIELDS("machine its name (and machineId)", "deployed whether the configuration was deployed and activated",
		 "congruent whether the node was found on it", "deployment the deployment's id, \"\" when none ran",
		 "path the store path deployed", "message why not, when not") },
	{ "hostfactory.machine.configuring", 1, "getRequestStatus started a process that deploys the template's configuration to running machines",
	  FIELDS("machine its name (and machineId)", "pid the process deploying", "start its start time (clock ticks since boot, /proc/PID/stat)") },
	{ "hostfactory.machine.created", 1, "chimera hostfactory made a machine for a request (requestMachines): pending until its sshd answers",
	  FIELDS("machine its name (and machineId)", "request the req- request", "template", "provider qemu or lab",
		 "target how the inventory reaches it, \"\" when the provider made none", "address its private IP address",
		 "launchtime seconds since 1970") },
	{ "hostfactory.machine.updated", 1, "a HostFactory machine moved to another state (core/hf_state.h's table)",
	  FIELDS("machine", "from the state it left", "state pending, running, stopping, stopped, shutting-down, terminated, returned or failed",
		 "message why (a failure's cause)") },
	{ "hostfactory.request.created", 1, "chimera hostfactory took a request: machines asked for (requestMachines) or handed back (requestReturnMachines)",
	  FIELDS("request its id, req- or ret- and a UUID", "kind machines or return", "template the template asked for, absent for a return",
		 "count how many machines", "machines their names") },
	{ "hostfactory.request.updated", 1, "a HostFactory request moved to another state, as its machines make it (reconciled by getRequestStatus)",
	  FIELDS("request", "from", "state pending, in_progress, completed, failed, partial, cancelled or timeout") },
	{ "job.accepted", 1, "chimera serve took a request that changes something: it runs as a job (event's deployment: the job id)",
	  FIELDS("kind deploy, rollback, exec, ...", "by the token's name", "request the request's body") },
	{ "job.cancel", 1, "a running job was asked to stop starting nodes (DELETE /jobs/{id})", FIELDS("by the token's name") },
	{ "job.finished", 1, "a job ended", FIELDS("kind", "by", "state succeeded, partial, failed, cancelled or interrupted",
						  "result the report's summary", "operations the deployments and rollbacks it ran (their ids)",
						  "error when it failed") },
	{ "job.interrupted", 1, "a job was left unfinished: its server stopped, or died and started again",
	  FIELDS("kind", "by", "reason") },
	{ "lease.takeover", 1, "a node's lease was taken from a dead holder (event's deployment: the dead operation)",
	  FIELDS("by the operation taking it", "kind the dead operation's kind", "host the dead holder's host",
		 "pid the dead holder's pid", "since_ms when it took the lease", "expires_ms when its lease expired",
		 "reason holder gone or expired", "other_nodes how many more of its leases came with it") },
	{ "ledger.checkpoint", 1, "the ledger's head, signed with the controller's key (at the end of a command that appended, and every 1000 events)",
	  FIELDS("seq the head's seq", "hash the head's hash", "key the signing key's id", "sig the Ed25519 signature, hex",
		 "host the controller", "time") },
	{ "nix.expression.evaluated", 1, "chimera nix eval evaluated an expression, or a file's attribute",
	  FIELDS("expression_sha256 SHA3-256 hex of the expression, or of \"FILE\\nATTR\" (FILE: its content's SHA3-256 hex)",
		 "result_sha256 SHA3-256 hex of the value as printed with --json (as Nix prints it when it has no JSON)",
		 "result_form json, or text for a value with no JSON (a function)", "file the file's real path, or null",
		 "attr or null", "json whether the value was printed as JSON", "ms") },
	{ "nix.flake.created", 1, "chimera nix flake init wrote a flake from a template",
	  FIELDS("dir the flake's directory (its real path)", "template fleet or offline", "git_init whether a git repository was made there",
		 "files the files written, relative to dir") },
	{ "nix.flake.input_added", 1, "chimera nix flake add-input wrote an input into flake.nix and locked it",
	  FIELDS("dir", "input its name", "url as given", "locked its locked object from flake.lock (type, path or rev, narHash, lastModified)",
		 "updated the inputs whose lock changed") },
	{ "nix.flake.locked", 1, "chimera nix flake lock locked the inputs flake.lock lacked",
	  FIELDS("dir", "inputs every direct input: its locked object from flake.lock", "updated the inputs newly locked") },
	{ "nix.flake.updated", 1, "chimera nix flake update locked every input again, or one",
	  FIELDS("dir", "inputs every direct input: its locked object from flake.lock", "updated the inputs whose locked object changed",
		 "input the one input updated, or null for all") },
	{ "nix.gc.completed", 1, "chimera nix gc ended on a node (or would have: dry_run), or failed there (ok false)",
	  FIELDS("node the node's name; local for the controller", "profile", "ok", "dry_run",
		 "generations_deleted the numbers that went (would go)", "generations_kept the numbers that stay",
		 "planned the numbers the plan chose to delete", "deleted each gone generation: generation, time, path",
		 "kept each staying generation: generation, time, path, why (current, newest, younger, deadman, watch, "
		 "rollback), by (the operation that needs it) or null",
		 "freed_bytes disk space freed (would be), or null", "measure du or nix: how freed_bytes was known",
		 "nix_freed_bytes what Nix's own summary said, or null", "paths_removed store paths deleted (would be)",
		 "current the profile's generation", "switches armed dead-man switches found and left armed", "warning",
		 "step on failure", "error on failure", "ms") },
	{ "nix.package.built", 1, "chimera nix build built a package",
	  FIELDS("installable a file (its real path) or a flake reference with its attribute", "attr -A ATTR, or null",
		 "path the store path built (the first output)", "ms the build's time", "out_link the GC root made, or null") },
	{ "node.activate.complete", 1, "a node activated the new configuration", FIELDS("path", "activation", "goal switch, boot, test or dry-activate", "ms") },
	{ "node.copy.complete", 1, "a node has the closure", FIELDS("paths", "bytes", "ms") },
	{ "node.deadman.settled", 1, "an operation found a dead-man switch on a node before acting on it, and settled it",
	  FIELDS("armed_by the operation that armed it", "path the path it protects", "profile",
		 "generation the generation it goes back to", "deadline when it fires, in epoch seconds",
		 "action confirmed, disarmed, fired or cleared", "result how it ended, when it fired",
		 "switch its directory on the node") },
	{ "node.deploy.complete", 1, "a node was deployed and confirmed",
	  FIELDS("path", "previous", "profile", "paths copied", "bytes copied", "steps each step's milliseconds") },
	{ "node.exec", 2, "one node's result of chimera exec; its output only as sizes and digests unless --record-output",
	  FIELDS("command", "ok", "exit null when it did not run", "signal", "step on failure", "error on failure",
		 "connect_ms", "run_ms", "stdout_bytes bytes received", "stderr_bytes bytes received",
		 "stdout_sha256 hex SHA-256 of the bytes received", "stderr_sha256 hex SHA-256 of the bytes received",
		 "truncated output past 1 MiB a stream, not received", "stdout_tail with --record-output: last 2048 bytes",
		 "stderr_tail with --record-output: last 2048 bytes") },
	{ "node.facts", 1, "the facts gathered from a node",
	  FIELDS("format", "hostname", "os id and version", "kernel", "arch", "cpus", "memory total and available",
		 "uptime", "load", "disks size, used, available per mount", "nix", "profile path, link, target, generation",
		 "sessions", "machine the machine's name, when it has one") },
	{ "node.facts.failed", 1, "a node's facts could not be gathered", FIELDS("step", "error") },
	{ "node.failed", 1, "a node's deploy failed",
	  FIELDS("step", "status", "error", "stderr_tail", "steps", "restored 1 put back, -1 could not, 0 not tried",
		 "rolled_back_by_node") },
	{ "node.observed", 1, "chimera status found a node's state",
	  FIELDS("profile", "state", "expected", "reason", "generation", "path when reached") },
	{ "node.rollback.complete", 1, "a node's rollback ended",
	  FIELDS("ok", "state", "path", "generation", "by node when its dead-man switch did it", "from_generation",
		 "from_path", "to_generation", "to_path", "ended_generation", "ended_path", "step", "error",
		 "result what a dead-man switch left", "switch its directory on the node",
		 "noticed_by what noticed a switch that fired: settle, status, watch, facts or gc") },
	{ "node.services", 1, "one node's result of chimera services",
	  FIELDS("action", "unit", "ok", "service_manager", "action_exit", "step on failure", "error on failure", "ms",
		 "units how many (list)", "failed_units (list)", "state the unit's state (other actions)") },
	{ "node.store.repaired", 1,
	  "a registered store path gone from a node's disk, or changed there, was restored from the controller's copy",
	  FIELDS("path", "was gone or modified", "bytes the NAR sent", "ms") },
	{ "pipeline.complete", 1, "a pipeline ended",
	  FIELDS("state", "states the path it took", "reason", "rollback_failed", "ms", "dry_run") },
	{ "pipeline.state", 1, "a pipeline moved from one state to the next",
	  FIELDS("from", "to", "outcome", "reason", "ms") },
	{ "secret.grant", 1, "keys were given a secret",
	  FIELDS("name", "keys", "added", "by the API token's name, when chimera serve made the change") },
	{ "secret.push", 1, "a node got its secrets", FIELDS("key", "written", "removed", "ok", "step on failure",
								 "error on failure") },
	{ "secret.recipients", 1, "a recipient was added to or removed from the store",
	  FIELDS("action add or rm", "recipient", "recipients", "secrets") },
	{ "secret.revoke", 1, "keys lost a secret",
	  FIELDS("name", "keys", "removed", "by the API token's name, when chimera serve made the change") },
	{ "secret.rm", 1, "a secret was removed", FIELDS("name", "grants") },
	{ "secret.rotate", 1, "the store was re-encrypted to a new key", FIELDS("recipient", "secrets") },
	{ "secret.set", 1, "a secret was stored", FIELDS("name", "replaced", "imported") },
	{ "serve.reloaded", 1, "chimera serve read chimera.toml again (SIGHUP)", FIELDS("ok", "machines", "error when it kept the old one") },
	{ "serve.started", 1, "chimera serve is listening", FIELDS("url", "pid", "watch") },
	{ "serve.stopped", 1, "chimera serve stopped (SIGTERM or SIGINT)", FIELDS("pid", "jobs_interrupted") },
	{ "services.action", 1, "a chimera services run began", FIELDS("action", "unit", "targets") },
	{ "services.complete", 1, "a chimera services run ended",
	  FIELDS("action", "ok", "failed", "no_service_manager", "ms") },
	{ "session.kill", 1, "a node's session was stopped",
	  FIELDS("session", "ok", "outcome", "step on failure", "error on failure", "ms") },
	{ "session.start", 1, "a node's session was started (by chimera sessions, or deploy -s)",
	  FIELDS("session", "ok", "outcome", "command", "store_path", "nix_shell", "replace", "step on failure",
		 "error", "ms", "path deploy -s: the closure", "replaced deploy -s") },
	{ "status.complete", 1, "a chimera status run ended",
	  FIELDS("profile", "expected", "nodes", "congruent", "ms") },
	{ "test.*", 1, "events appended by hand (chimera ledger append) for tests, drills and benchmarks",
	  FIELDS("any a JSON object of the appender's choosing") },
	{ "token.created", 1, "an API token was made (the token is shown once to its maker; the ledger never holds it or its hash)",
	  FIELDS("name", "role viewer, operator or admin", "expires when it expires (UTC), null for never") },
	{ "token.revoked", 1, "an API token was revoked: the server refuses it from the next request", FIELDS("name") },
	{ "vm.created", 1, "chimera vm create made a VM: its disk, its place in chimera.toml",
	  FIELDS("cpus", "memory_mib", "disk_gib", "address the loopback address its sshd is forwarded to", "port",
		 "target as chimera.toml reaches it", "tags", "dir its directory (disk, sockets, console log)") },
	{ "vm.deleted", 1, "a VM was stopped and deleted, and taken out of chimera.toml",
	  FIELDS("reason rm, or why a create was taken back") },
	{ "vm.restored", 1, "a VM's disk was put back to a snapshot (the VM stopped first, started again after)",
	  FIELDS("label", "started") },
	{ "vm.snapshotted", 1, "a VM's disk was snapshotted", FIELDS("label", "running whether the VM ran") },
	{ "vm.started", 1, "a VM's QEMU was started (and its sshd answered, unless it was not waited for)",
	  FIELDS("accel kvm or tcg", "accel_why why not KVM", "pid", "boot_ms start to SSH-ready, 0 when not waited for",
		 "waited") },
	{ "vm.stopped", 1, "a VM was powered down (over QMP; forced when QEMU had to quit)",
	  FIELDS("forced", "ms") },
	{ "watch.config.changed", 1, "a watched configuration now builds to another path",
	  FIELDS("from", "to", "config") },
	{ "watch.node.drifted", 1, "a watched node left its configuration", FIELDS("drift", "actual") },
	{ "watch.node.heal_failed", 1, "healing a watched node failed", FIELDS("drift", "error", "failures") },
	{ "watch.node.healed", 1, "a watched node was put back on its configuration", FIELDS("drift", "path") },
	{ "watch.node.held", 1, "a watched node had drifted but another operation held it: not healed this round",
	  FIELDS("drift", "error who holds it") },
	{ "watch.node.quarantined", 1, "a watched node failed too many heals and is left alone",
	  FIELDS("reason", "failures") },
	{ "watch.node.recovered", 1, "a watched node with failed heals behind it was found congruent: the count starts again",
	  FIELDS("failures the failed heals in a row it had") },
	{ "watch.node.released", 1, "a node was let out of quarantine", FIELDS("by") },
	{ "watch.node.unreachable", 1, "a watched node could not be reached", FIELDS("reason") },
	{ "watch.round", 1, "one round of chimera watch ended",
	  FIELDS("round", "nodes", "congruent", "drifted", "healed", "failed", "unreachable", "quarantined", "ms",
		 "path with one configuration") },
	{ "watch.session.failed", 1, "a watched node's declared session could not be restarted",
	  FIELDS("session", "error") },
	{ "watch.session.restarted", 1, "a watched node's declared session was restarted",
	  FIELDS("session", "command") },
	{ "watch.started", 1, "chimera watch began",
	  FIELDS("configurations", "nodes", "interval_s", "heal", "max_heal_attempts", "path with one configuration") },
	{ "watch.stopped", 1, "chimera watch ended", FIELDS("reason", "rounds") },
};

#define NCATALOG (sizeof(catalog) / sizeof(catalog[0]))

const struct topic *topics_all(size_t *n)
{
	*n = NCATALOG;
	return catalog;
}

static int row_cmp(const void *key, const void *row)
{
	return strcmp(key, ((const struct topic *)row)->name);
}

const struct topic *topics_find(const char *name)
{
	const struct topic *t;
	size_t i;

	if (!name)
		return NULL;
	if ((t = bsearch(name, catalog, NCATALOG, sizeof(catalog[0]), row_cmp)))
		return t;
	/* A namespace row "ns.*" takes "ns.anything". */
	for (i = 0; i < NCATALOG; i++) {
		size_t len = strlen(catalog[i].name);

		if (len >= 2 && strcmp(catalog[i].name + len - 2, ".*") == 0 &&
		    strncmp(name, catalog[i].name, len - 1) == 0 && name[len - 1] != '\0')
			return &catalog[i];
	}
	return NULL;
}

int topics_check(const char *name)
{
	char q[96];

	if (!name || !chain_topic_ok(name))
		return err_set(ERR_INVALID, "bad topic '%s': expected lowercase words of [a-z0-9_-] joined by dots",
			       name ? err_quote(q, sizeof(q), name, strlen(name)) : "");
	if (!topics_find(name))
		return err_set(ERR_INVALID, "unknown topic '%s': not in the event catalog (docs/events.md)",
			       err_quote(q, sizeof(q), name, strlen(name)));
	return 0;
}

/* One field as "`name` (note)". */
static int field_markdown(struct buf *out, const char *field)
{
	size_t n = strcspn(field, " ");
	int r;

	if ((r = buf_addc(out, '`')) < 0 || (r = buf_add(out, field, n)) < 0 || (r = buf_addc(out, '`')) < 0)
		return r;
	if (field[n] == ' ')
		r = buf_printf(out, " (%s)", field + n + 1);
	return r;
}

int topics_markdown(struct buf *out)
{
	size_t i, j;
	int r;

	if ((r = buf_adds(out, "| topic | version | meaning | payload fields |\n|---|---|---|---|\n")) < 0)
		return r;
	for (i = 0; i < NCATALOG; i++) {
		const struct topic *t = &catalog[i];

		if ((r = buf_printf(out, "| `%s` | %d | %s | ", t->name, t->version, t->meaning)) < 0)
			return r;
		for (j = 0; t->fields[j]; j++) {
			if ((j && (r = buf_adds(out, ", ")) < 0) || (r = field_markdown(out, t->fields[j])) < 0)
				return r;
		}
		if ((r = buf_adds(out, " |\n")) < 0)
			return r;
	}
	return 0;
}
