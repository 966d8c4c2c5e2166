/* A fake executor for unit tests of the fleet use cases: nodes modelled in memory that answer remote/nix.h's shell text. */
#ifndef CHIMERA_TESTS_FAKE_NODE_H
#define CHIMERA_TESTS_FAKE_NODE_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/profile.h"
#include "core/storepath.h"
#include "ports/executor.h"
#include "remote/closure.h"
#include "remote/store.h"
#include "remote/witness.h"

#define FAKE_STORE_MAX 32
#define FAKE_GENS_MAX 16
#define FAKE_EXPORT_LINE "FAKE-NAR "	/* what fake_nix.h writes per exported path */

struct fake_gen {
	uint32_t num;
	int64_t time;			/* seconds since the epoch */
	char path[STOREPATH_MAX];
};

/*
 * One node: its store, its profile's generations and current one, what its activated
 * system is, whether activation of a given path fails and whether it can be reached. The
 * test sets it up before a run and reads it after; the counters say what the use case did.
 */
struct fake_node {
	char host[64];				/* matched against a target's host */
	char profile[PROFILE_PATH_MAX + 1];	/* the one profile it has (PROFILE_DEFAULT) */
	int unreachable;			/* connect fails with ERR_IO */
	char fail_activate[STOREPATH_MAX];	/* activating this path exits 1; "" never */
	char store[FAKE_STORE_MAX][STOREPATH_MAX];
	size_t nstore;
	struct fake_gen gens[FAKE_GENS_MAX];	/* ascending */
	size_t ngens;
	uint32_t current;			/* the profile's generation; 0: no profile */
	char system[STOREPATH_MAX];		/* /run/current-system; "" never activated */
	/* What was done to it. */
	int connects;		/* attempts, refused ones too */
	int open;		/* sessions open now: 0 after every use case */
	int imports;		/* nix-store --import runs */
	int switches;		/* profile changes: new generations and --switch-generation */
	int activations;	/* activations run (not "none") */
	int witnesses;		/* witnesses taken from a deploy's answer (remote_witness_take), empty ones too */
	int closure_queries;	/* remote_closure_query runs */
	char witness[512];	/* the last non-empty one */
	int unknown;		/* commands the fake could not answer: a test asserts 0 */
	char last_unknown[160];
	pthread_mutex_t lock;
};

/* An empty node called HOST, reachable, with no profile and an empty store. */
static inline void fake_node_init(struct fake_node *n, const char *host)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->host, sizeof(n->host), "%s", host);
	snprintf(n->profile, sizeof(n->profile), "%s", PROFILE_DEFAULT);
	pthread_mutex_init(&n->lock, NULL);
}

static inline void fake_node_release(struct fake_node *n)
{
	pthread_mutex_destroy(&n->lock);
}

static inline int fake_node_has(const struct fake_node *n, const char *path)
{
	size_t i;

	for (i = 0; i < n->nstore; i++)
		if (strcmp(n->store[i], path) == 0)
			return 1;
	return 0;
}

/* Put PATH in N's store (once). */
static inline void fake_node_store(struct fake_node *n, const char *path)
{
	assert_true(storepath_valid(path, strlen(path)));
	if (fake_node_has(n, path))
		return;
	assert_true(n->nstore < FAKE_STORE_MAX);
	snprintf(n->store[n->nstore++], STOREPATH_MAX, "%s", path);
}

/* Give N's profile generation NUM on PATH (stored too), made at a time of NUM; it becomes the current one. */
static inline void fake_node_gen(struct fake_node *n, uint32_t num, const char *path)
{
	assert_true(n->ngens < FAKE_GENS_MAX);
	assert_true(n->ngens == 0 || n->gens[n->ngens - 1].num < num);
	fake_node_store(n, path);
	n->gens[n->ngens].num = num;
	n->gens[n->ngens].time = 1700000000 + (int64_t)num * 3600;
	snprintf(n->gens[n->ngens].path, STOREPATH_MAX, "%s", path);
	n->ngens++;
	n->current = num;
}

static inline const struct fake_gen *fake_node_find_gen(const struct fake_node *n, uint32_t num)
{
	size_t i;

	for (i = 0; i < n->ngens; i++)
		if (n->gens[i].num == num)
			return &n->gens[i];
	return NULL;
}

/* Where N's profile points: its current generation's path, "" when there is no profile. */
static inline const char *fake_node_path(const struct fake_node *n)
{
	const struct fake_gen *g = fake_node_find_gen(n, n->current);

	return g ? g->path : "";
}

/* The executor: its nodes, found by host. */
struct fake_executor {
	struct executor base;
	struct fake_node *nodes;
	size_t n;
};

struct fake_session {
	struct fake_node *node;
};

/* --- reading the shell text --- */

/* One shell word at *P (bare, or with '...' parts and '\'' escapes) into OUT; *P moves past it. 0, or -1 when none or too long. */
static inline int fake_word(const char **p, char *out, size_t len)
{
	const char *s = *p;
	size_t n = 0;

	while (*s && !strchr(" ;\n|&", *s)) {
		if (*s == '\'') {
			const char *end = strchr(s + 1, '\'');

			if (!end)
				return -1;
			for (s++; s < end; s++)
				if (n + 1 < len)
					out[n++] = *s;
				else
					return -1;
			s++;
		} else if (*s == '\\' && s[1]) {
			if (n + 1 >= len)
				return -1;
			out[n++] = s[1];
			s += 2;
		} else {
			if (n + 1 >= len)
				return -1;
			out[n++] = *s++;
		}
	}
	out[n] = 0;
	*p = s;
	return n ? 0 : -1;
}

/* The word right after the first MARK in CMD. 0, or -1 when there is none. */
static inline int fake_word_after(const char *cmd, const char *mark, char *out, size_t len)
{
	const char *p = strstr(cmd, mark);

	if (!p)
		return -1;
	p += strlen(mark);
	return fake_word(&p, out, len);
}

/*
 * The words of the first "for q in W...; do" loop in CMD, each passed to FN. Returns the
 * number of words, or -1 when there is no such loop.
 */
static inline int fake_for_words(const char *cmd, void (*fn)(const char *word, void *arg), void *arg)
{
	const char *p = strstr(cmd, "for q in");
	char word[STOREPATH_MAX + 8];
	int n = 0;

	if (!p)
		return -1;
	p += strlen("for q in");
	for (;;) {
		p += strspn(p, " ");
		if (*p == ';' || !*p)
			break;
		if (fake_word(&p, word, sizeof(word)) < 0)
			return -1;
		fn(word, arg);
		n++;
	}
	return n;
}

/* --- answering --- */

/* A command the fake does not model: counted, status 127 as a shell would say. */
static inline int fake_unknown(struct fake_node *n, const char *cmd, struct exec_result *res, const char *why)
{
	n->unknown++;
	snprintf(n->last_unknown, sizeof(n->last_unknown), "%s: %.120s", why, cmd);
	buf_printf(&res->err, "fake node %s: %s\n", n->host, why);
	res->status = 127;
	return 0;
}

/* The profile named in CMD (its leading "p=WORD;"), checked to be N's. 0, or -1 (counted as unknown). */
static inline int fake_profile_of(struct fake_node *n, const char *cmd, struct exec_result *res)
{
	char profile[PROFILE_PATH_MAX + 1];

	if (strncmp(cmd, "p=", 2) != 0 || fake_word_after(cmd, "p=", profile, sizeof(profile)) < 0) {
		fake_unknown(n, cmd, res, "no profile in the command");
		return -1;
	}
	if (strcmp(profile, n->profile) != 0) {
		fake_unknown(n, cmd, res, "a profile the fake does not model");
		return -1;
	}
	return 0;
}

/* Append TEXT to stdout, then show the watcher all output so far; returns its flags. */
static inline unsigned fake_emit(struct exec_result *res, const struct exec_opts *o, const char *text)
{
	buf_adds(&res->out, text);
	return o && o->watch ? o->watch(res, o->watch_arg) : 0;
}

/* What remote_probe_current prints: "link NAME-N-link" and "path P", nothing without a profile. */
static inline void fake_print_current(const struct fake_node *n, struct exec_result *res)
{
	const char *base = strrchr(n->profile, '/') + 1;

	if (!n->current)
		return;
	buf_printf(&res->out, "link %s-%u-link\npath %s\n", base, n->current, fake_node_path(n));
}

static inline void fake_print_gens(const struct fake_node *n, struct exec_result *res)
{
	size_t i;

	for (i = 0; i < n->ngens; i++)
		buf_printf(&res->out, "gen %u %lld %s\n", n->gens[i].num, (long long)n->gens[i].time, n->gens[i].path);
}

/* A new generation of N's profile on PATH, made current. */
static inline void fake_new_gen(struct fake_node *n, const char *path)
{
	uint32_t num = n->ngens ? n->gens[n->ngens - 1].num + 1 : 1;

	fake_node_gen(n, num, path);
	n->switches++;
}

/* Activate PATH by MODE ("auto", "none", "command"): "chimera-activation KIND" first. 0, or 1 when it failed. */
static inline int fake_activation(struct fake_node *n, const char *path, const char *mode, struct exec_result *res,
				  const struct exec_opts *o)
{
	if (strcmp(mode, "none") == 0) {
		fake_emit(res, o, "chimera-activation none\n");
		return 0;
	}
	fake_emit(res, o, strcmp(mode, "auto") == 0 ? "chimera-activation switch-to-configuration\n"
						    : "chimera-activation command\n");
	n->activations++;
	if (strcmp(path, n->fail_activate) == 0) {
		buf_printf(&res->err, "activation of %s failed: unit app.service did not start\n", path);
		res->status = 1;
		return 1;
	}
	snprintf(n->system, sizeof(n->system), "%s", path);
	return 0;
}

/* The activation mode a command carries (remote/nix.c's add_activation_of), or NULL. */
static inline const char *fake_activation_mode(const char *cmd)
{
	if (strstr(cmd, "echo 'chimera-activation switch-to-configuration'"))
		return "auto";
	if (strstr(cmd, "echo 'chimera-activation command'"))
		return "command";
	if (strstr(cmd, "echo 'chimera-activation none'"))
		return "none";
	return NULL;
}

struct fake_missing {
	const struct fake_node *n;
	struct exec_result *res;
	const char *prefix;	/* "" for the check, "missing " for the watch probe */
	char paths[FAKE_STORE_MAX][STOREPATH_MAX];
	size_t count;
};

static inline void fake_missing_one(const char *word, void *arg)
{
	struct fake_missing *m = arg;

	if (fake_node_has(m->n, word))
		return;
	buf_printf(&m->res->out, "%s%s\n", m->prefix, word);
	if (m->count < FAKE_STORE_MAX)
		snprintf(m->paths[m->count++], STOREPATH_MAX, "%s", word);
}

/* `nix-store --import` of the export stream IN: every path in it lands in the store. 0, or 1 (status set). */
static inline int fake_import(struct fake_node *n, const struct exec_input *in, struct exec_result *res)
{
	char *data;
	const char *p, *end;
	ssize_t got;

	n->imports++;
	if (!in || in->fd < 0 || !in->len || !(data = calloc(1, (size_t)in->len + 1))) {
		buf_adds(&res->err, "error: nix-store --import: no input\n");
		res->status = 1;
		return 1;
	}
	got = pread(in->fd, data, (size_t)in->len, 0);
	for (p = data, end = data + (got > 0 ? got : 0); p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char path[STOREPATH_MAX];

		if (len <= strlen(FAKE_EXPORT_LINE) || memcmp(p, FAKE_EXPORT_LINE, strlen(FAKE_EXPORT_LINE)) != 0 ||
		    len - strlen(FAKE_EXPORT_LINE) >= sizeof(path)) {
			buf_adds(&res->err, "error: input doesn't look like something created by 'nix-store --export'\n");
			res->status = 1;
			free(data);
			return 1;
		}
		snprintf(path, sizeof(path), "%.*s", (int)(len - strlen(FAKE_EXPORT_LINE)), p + strlen(FAKE_EXPORT_LINE));
		fake_node_store(n, path);
		p += len + 1;
	}
	if (in->sent)
		in->sent(in->head_len + in->len, in->arg);
	free(data);
	return 0;
}

/*
 * The check part of remote_deploy: the profile, the closure paths it lacks, "chimera-ready";
 * then the controller's answer line, and with "copy" the import. Returns 1 when the
 * command ends here (EOF: a dry run; or a failure, status set), 0 to go on in MODE.
 */
static inline int fake_deploy_check(struct fake_node *n, const char *cmd, const struct exec_opts *o,
				    struct exec_result *res, char *mode, size_t mode_len)
{
	struct fake_missing m = { .n = n, .res = res, .prefix = "" };
	const struct exec_input *in = o ? o->input : NULL;
	char what[16] = "", gen[16] = "", head[64];
	size_t i;

	fake_print_current(n, res);
	if (fake_for_words(cmd, fake_missing_one, &m) < 0)
		return fake_unknown(n, cmd, res, "a closure list file"), 1;
	if (!(fake_emit(res, o, "chimera-ready\n") & EXEC_WATCH_RELEASE) || !o->hold_input) {
		/* A real node would wait on its stdin until the step's timeout. */
		res->status = -1;
		return 1;
	}
	if (!in || !in->head || !in->head_len) {
		res->status = 0;	/* EOF: nothing more asked */
		return 1;
	}
	snprintf(head, sizeof(head), "%.*s", (int)in->head_len, in->head);
	if (sscanf(head, "%15s %7s %15s", what, mode, gen) != 3 || mode_len < 8)
		return fake_unknown(n, head, res, "an answer line the fake does not know"), 1;
	/* After the answer line, the witness up to its end line (remote_witness_take). */
	{
		const char *w = memchr(in->head, '\n', in->head_len), *end;
		const char *stop = in->head + in->head_len;
		static const char mark[] = "\n" WITNESS_END "\n";

		if (!w || !(end = memmem(w, (size_t)(stop - w), mark, sizeof(mark) - 1)) || end + sizeof(mark) - 1 != stop)
			return fake_unknown(n, head, res, "an answer without the witness's end line"), 1;
		n->witnesses++;
		if (end > w)
			snprintf(n->witness, sizeof(n->witness), "%.*s", (int)(end - w), w + 1);
	}
	if (strcmp(what, "copy") != 0)
		return 0;
	if (fake_import(n, in, res))
		return 1;
	for (i = 0; i < m.count; i++)
		if (!fake_node_has(n, m.paths[i])) {
			buf_printf(&res->out, "chimera-stale %s\n", m.paths[i]);
			res->status = 75;
			return 1;
		}
	fake_emit(res, o, "chimera-copied\n");
	return 0;
}

/* remote_deploy: check (unless it starts at switch), switch, activate, confirm, with their markers. */
static inline int fake_deploy(struct fake_node *n, const char *cmd, const struct exec_opts *o, struct exec_result *res)
{
	char path[STOREPATH_MAX], mode[8] = "", line[STOREPATH_MAX + 32];
	const char *amode = fake_activation_mode(cmd);

	if (fake_profile_of(n, cmd, res) < 0)
		return 0;
	if (strstr(cmd, "chimera-armed"))
		return fake_unknown(n, cmd, res, "a dead-man switch (magic rollback)");
	if (fake_word_after(cmd, "--set ", path, sizeof(path)) < 0 || !amode)
		return fake_unknown(n, cmd, res, "a deploy command without a path or an activation");
	if (strstr(cmd, "echo chimera-ready")) {
		if (fake_deploy_check(n, cmd, o, res, mode, sizeof(mode)))
			return 0;
	} else if (fake_word_after(cmd, "m=", mode, sizeof(mode)) < 0) {
		return fake_unknown(n, cmd, res, "a deploy command without a mode");
	}
	if (strcmp(mode, "set") != 0 && strcmp(mode, "valid") != 0)
		return fake_unknown(n, cmd, res, "a switch mode the fake does not know");
	if (!fake_node_has(n, path)) {
		buf_printf(&res->err, "error: path '%s' is not valid\n", path);
		res->status = 1;
		return 0;
	}
	if (strcmp(mode, "set") == 0)
		fake_new_gen(n, path);
	fake_emit(res, o, "chimera-switched\n");
	if (fake_activation(n, path, amode, res, o))
		return 0;
	fake_emit(res, o, "chimera-activated\n");
	snprintf(line, sizeof(line), "chimera-profile %s\n", fake_node_path(n));
	fake_emit(res, o, line);
	res->status = 0;
	return 0;
}

/* remote_watch_probe: "profile P", "current S", "missing Q" lines (and a verify that finds nothing wrong). */
static inline int fake_watch_probe(struct fake_node *n, const char *cmd, struct exec_result *res)
{
	struct fake_missing m = { .n = n, .res = res, .prefix = "missing " };

	if (fake_profile_of(n, cmd, res) < 0)
		return 0;
	if (n->current)
		buf_printf(&res->out, "profile %s\n", fake_node_path(n));
	else
		buf_adds(&res->out, "profile\n");
	if (n->system[0])
		buf_printf(&res->out, "current %s\n", n->system);
	fake_for_words(cmd, fake_missing_one, &m);
	res->status = 0;
	return 0;
}

/* remote_switch_generation: `nix-env -p P --switch-generation N`. */
static inline int fake_switch_generation(struct fake_node *n, const char *cmd, struct exec_result *res)
{
	char profile[PROFILE_PATH_MAX + 1], num[16];
	unsigned long g;

	if (fake_word_after(cmd, "nix-env -p ", profile, sizeof(profile)) < 0 ||
	    fake_word_after(cmd, "--switch-generation ", num, sizeof(num)) < 0)
		return fake_unknown(n, cmd, res, "a generation switch without a profile or number");
	if (strcmp(profile, n->profile) != 0)
		return fake_unknown(n, cmd, res, "a profile the fake does not model");
	g = strtoul(num, NULL, 10);
	if (!fake_node_find_gen(n, (uint32_t)g)) {
		buf_printf(&res->err, "error: generation %lu does not exist\n", g);
		res->status = 1;
		return 0;
	}
	n->current = (uint32_t)g;
	n->switches++;
	res->status = 0;
	return 0;
}

/* remote_activate on its own: the path is "P=WORD" (auto) or "CHIMERA_STORE_PATH=WORD" (command). */
static inline int fake_activate(struct fake_node *n, const char *cmd, struct exec_result *res)
{
	const char *mode = fake_activation_mode(cmd);
	char path[STOREPATH_MAX] = "";

	if (!mode)
		return fake_unknown(n, cmd, res, "an activation the fake does not know");
	if (strcmp(mode, "auto") == 0 && fake_word_after(cmd, "P=", path, sizeof(path)) < 0)
		return fake_unknown(n, cmd, res, "an activation without a path");
	if (strcmp(mode, "command") == 0 && fake_word_after(cmd, "CHIMERA_STORE_PATH=", path, sizeof(path)) < 0)
		return fake_unknown(n, cmd, res, "an activation without a path");
	if (fake_activation(n, path, mode, res, NULL) == 0)
		res->status = 0;
	return 0;
}

/* Answer CMD on N by the shape remote/nix.h gives it (most specific first). */
static inline int fake_answer(struct fake_node *n, const char *cmd, const struct exec_opts *o, struct exec_result *res)
{
	/* remote_deadman_list: magic rollback is not modelled, so a fake node has no dead-man switches. */
	if (strncmp(cmd, "for k in /nix/var/chimera/deadman/*; do", 39) == 0) {
		res->status = 0;
		return 0;
	}
	/* remote_deadman_fired ahead of a probe: none has fired; the probe answers as it would alone. */
	if (strncmp(cmd, "for k in /nix/var/chimera/deadman/*/result;", 43) == 0 && strchr(cmd, '\n'))
		cmd = strchr(cmd, '\n') + 1;
	if (strstr(cmd, "echo chimera-switched"))
		return fake_deploy(n, cmd, o, res);
	if (strstr(cmd, "echo \"profile $PWD\""))
		return fake_watch_probe(n, cmd, res);
	/* remote_probe_present (status): the path, after REMOTE_ABSENT when the store lacks it. */
	if (strstr(cmd, "then echo " REMOTE_ABSENT)) {
		if (fake_profile_of(n, cmd, res) == 0) {
			if (!n->current || !fake_node_has(n, fake_node_path(n)))
				buf_adds(&res->out, REMOTE_ABSENT "\n");
			buf_printf(&res->out, "%s\n", n->current ? fake_node_path(n) : n->profile);
			res->status = 0;
		}
		return 0;
	}
	if (strstr(cmd, "then pwd; else exec readlink -f")) {
		if (fake_profile_of(n, cmd, res) == 0) {
			/* readlink -f of a missing profile: nothing useful; the caller probes in full. */
			if (n->current)
				buf_printf(&res->out, "%s\n", fake_node_path(n));
			res->status = n->current ? 0 : 1;
		}
		return 0;
	}
	if (strstr(cmd, "if l=$(readlink")) {
		if (fake_profile_of(n, cmd, res) == 0) {
			fake_print_current(n, res);
			if (strstr(cmd, "for g in"))
				fake_print_gens(n, res);
			res->status = 0;
		}
		return 0;
	}
	if (strstr(cmd, "--switch-generation "))
		return fake_switch_generation(n, cmd, res);
	if (strstr(cmd, "chimera-activation "))
		return fake_activate(n, cmd, res);
	/* remote_closure_query: in this model any path's closure is the whole store, path I's NAR size 500 * (I + 1). */
	if (strstr(cmd, "echo " REMOTE_SIZES_MARK ";")) {
		size_t i;

		for (i = 0; i < n->nstore; i++)
			buf_printf(&res->out, "%s\n", n->store[i]);
		buf_adds(&res->out, REMOTE_SIZES_MARK "\n");
		for (i = 0; i < n->nstore; i++)
			buf_printf(&res->out, "%zu\n", 500 * (i + 1));
		n->closure_queries++;
		res->status = 0;
		return 0;
	}
	if (strstr(cmd, "nix-store --check-validity --print-invalid")) {
		res->status = 0;	/* in this model a path in the store is valid */
		return 0;
	}
	if (strncmp(cmd, "exec nix-store --import", 23) == 0) {
		if (fake_import(n, o ? o->input : NULL, res) == 0)
			res->status = 0;
		return 0;
	}
	return fake_unknown(n, cmd, res, "a command the fake does not know");
}

static inline int fake_connect(struct executor *ex, const struct target *t, struct exec_session **out)
{
	struct fake_executor *fx = (struct fake_executor *)ex;
	struct fake_session *s;
	size_t i;

	*out = NULL;
	for (i = 0; i < fx->n && strcmp(fx->nodes[i].host, t->host) != 0; i++)
		;
	if (i == fx->n)
		return err_set(ERR_IO, "%s: cannot resolve host: no such fake node", t->host);
	pthread_mutex_lock(&fx->nodes[i].lock);
	fx->nodes[i].connects++;
	if (fx->nodes[i].unreachable) {
		pthread_mutex_unlock(&fx->nodes[i].lock);
		return err_set(ERR_IO, "%s: cannot connect: Connection refused", t->host);
	}
	fx->nodes[i].open++;
	pthread_mutex_unlock(&fx->nodes[i].lock);
	if (!(s = calloc(1, sizeof(*s))))
		return err_set(ERR_NOMEM, "out of memory");
	s->node = &fx->nodes[i];
	*out = (struct exec_session *)s;
	return 0;
}

/* Every command runs under its node's lock: a node does one thing at a time, nodes run in parallel. */
static inline int fake_run(struct exec_session *es, const char *cmd, const struct exec_opts *o, struct exec_result *res)
{
	struct fake_node *n = ((struct fake_session *)es)->node;
	int r;

	pthread_mutex_lock(&n->lock);
	r = fake_answer(n, cmd, o, res);
	pthread_mutex_unlock(&n->lock);
	return r;
}

static inline void fake_disconnect(struct exec_session *es)
{
	struct fake_node *n = ((struct fake_session *)es)->node;

	pthread_mutex_lock(&n->lock);
	n->open--;
	pthread_mutex_unlock(&n->lock);
	free(es);
}

static inline void fake_executor_close(struct executor *ex)
{
	(void)ex;
}

static const struct executor_ops fake_executor_ops = {
	.name = "fake", .connect = fake_connect, .run = fake_run, .disconnect = fake_disconnect,
	.close = fake_executor_close,
};

/* An executor over the N NODES (borrowed; they must outlive it). */
static inline void fake_executor_init(struct fake_executor *fx, struct fake_node *nodes, size_t n)
{
	fx->base.ops = &fake_executor_ops;
	fx->nodes = nodes;
	fx->n = n;
}

/* After a use case: nothing the fake could not answer, no session left open. */
static inline void fake_nodes_check(const struct fake_node *nodes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (nodes[i].unknown)
			fail_msg("node %s got %d command(s) the fake cannot answer, the last: %s", nodes[i].host,
				 nodes[i].unknown, nodes[i].last_unknown);
		if (nodes[i].open)
			fail_msg("node %s: %d session(s) left open", nodes[i].host, nodes[i].open);
	}
}

#endif
