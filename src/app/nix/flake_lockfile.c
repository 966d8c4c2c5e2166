/* flake.lock read: each input's locked source, `follows` paths resolved from the root, nested inputs as a tree. */
#include "app/nix/flake.h"
#include "util/buf.h"
#include "util/err.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

#define FOLLOW_DEPTH_MAX 32	/* follows that lead through more follows than this go round in a loop */
#define TREE_DEPTH_MAX 16	/* nested inputs shown below the root's */

#define STEPS_MAX 20000		/* references resolved and entries made, in all: a tangle of follows stops here */

struct lockdoc {
	json_t *nodes;
	const char *root;
	const char *file;
	size_t *steps;		/* counted against STEPS_MAX */
};

static int lock_bad(const struct lockdoc *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int lock_bad(const struct lockdoc *ld, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(ERR_INVALID, "%s: %s", ld->file, msg);
}

/* S quoted for a message (printable ASCII, cut) into OUT. */
static const char *q(const char *s, char *out, size_t len)
{
	return err_quote(out, len, s ? s : "?", s ? strlen(s) : 1);
}

/* A follows path as Nix writes it: "a/b". */
static void follows_text(json_t *arr, char *out, size_t len)
{
	size_t i, n = 0;
	json_t *v;

	out[0] = 0;
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);

		if (n < len)
			n += (size_t)snprintf(out + n, len - n, "%s%s", i ? "/" : "", s ? s : "?");
	}
}

static int resolve(const struct lockdoc *ld, json_t *ref, int depth, const char **node);

/* Follow the path ARR from the root, input by input. */
static int resolve_follows(const struct lockdoc *ld, json_t *arr, int depth, const char **node)
{
	const char *cur = ld->root;
	char path[256], qp[96], qn[96], qi[96];
	size_t i;
	json_t *v;
	int r;

	follows_text(arr, path, sizeof(path));
	q(path, qp, sizeof(qp));
	if (depth >= FOLLOW_DEPTH_MAX)
		return lock_bad(ld, "the follows '%s' go round in a loop (more than %d steps)", qp, FOLLOW_DEPTH_MAX);
	json_array_foreach(arr, i, v) {
		json_t *next = json_object_get(json_object_get(json_object_get(ld->nodes, cur), "inputs"),
					       json_string_value(v) ? json_string_value(v) : "");

		if (!json_is_string(v) || !next)
			return lock_bad(ld, "the follows '%s' lead nowhere: node '%s' has no input '%s'", qp,
					q(cur, qn, sizeof(qn)), q(json_string_value(v), qi, sizeof(qi)));
		if ((r = resolve(ld, next, depth + 1, &cur)) < 0)
			return r;
	}
	*node = cur;
	return 0;
}

/* The node an input's reference REF names: a node's name, or a follows path. */
static int resolve(const struct lockdoc *ld, json_t *ref, int depth, const char **node)
{
	char qn[96];

	if (++*ld->steps > STEPS_MAX)
		return lock_bad(ld, "more than %d inputs and follows to go through", STEPS_MAX);
	if (json_is_array(ref))
		return resolve_follows(ld, ref, depth, node);
	if (!json_is_string(ref))
		return lock_bad(ld, "an input is neither a node's name nor a follows path");
	if (!json_is_object(json_object_get(ld->nodes, json_string_value(ref))))
		return lock_bad(ld, "an input names the node '%s', which is not in \"nodes\"",
				q(json_string_value(ref), qn, sizeof(qn)));
	*node = json_string_value(ref);
	return 0;
}

/* The locked source as a flake reference, as Nix prints it, or NULL for a type not known here. */
static json_t *locked_url(json_t *locked)
{
	const char *type = json_string_value(json_object_get(locked, "type"));
	const char *rev = json_string_value(json_object_get(locked, "rev"));
	const char *url = json_string_value(json_object_get(locked, "url"));
	const char *path = json_string_value(json_object_get(locked, "path"));
	const char *owner = json_string_value(json_object_get(locked, "owner"));
	const char *repo = json_string_value(json_object_get(locked, "repo"));
	struct buf b = BUF_INIT(64 * 1024);
	json_t *out = NULL;

	if (!type)
		return json_null();
	if (strcmp(type, "path") == 0 && path)
		buf_printf(&b, "path:%s", path);
	else if ((strcmp(type, "git") == 0 || strcmp(type, "mercurial") == 0) && url)
		buf_printf(&b, "%s+%s%s%s", type[0] == 'g' ? "git" : "hg", url, rev ? "?rev=" : "", rev ? rev : "");
	else if ((strcmp(type, "github") == 0 || strcmp(type, "gitlab") == 0 || strcmp(type, "sourcehut") == 0) &&
		 owner && repo)
		buf_printf(&b, "%s:%s/%s%s%s", type, owner, repo, rev ? "/" : "", rev ? rev : "");
	else if ((strcmp(type, "tarball") == 0 || strcmp(type, "file") == 0) && url)
		buf_adds(&b, url);
	if (b.len)
		out = json_string(b.data);
	buf_release(&b);
	return out ? out : json_null();
}

/* A new reference to V, or null for NULL. */
static json_t *or_null(json_t *v)
{
	return v ? json_incref(v) : json_null();
}

/* A copy of node NAME's member KEY, or null. */
static json_t *member(const struct lockdoc *ld, const char *name, const char *key)
{
	json_t *v = json_object_get(json_object_get(ld->nodes, name), key);

	return v ? json_deep_copy(v) : json_null();
}

static int tree_inputs(const struct lockdoc *ld, const char **above, const char *prefix, int depth, json_t *out);

/*
 * The tree entry of input NAME (reference REF) of the node ABOVE[DEPTH] (reached from the
 * root through ABOVE[0..DEPTH], PREFIX naming that path).
 */
static int tree_entry(const struct lockdoc *ld, const char *name, json_t *ref, const char **above, const char *prefix,
		      int depth, json_t *out)
{
	char path[512], follows[256], qn[96];
	const char *node;
	json_t *e, *locked, *kids;
	int i, r;

	if ((r = resolve(ld, ref, 0, &node)) < 0)
		return r;
	for (i = 0; !json_is_array(ref) && i <= depth; i++)
		if (strcmp(above[i], node) == 0)
			return lock_bad(ld, "the node '%s' is an input of itself, through its inputs", q(node, qn, sizeof(qn)));
	snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "", name);
	locked = json_object_get(json_object_get(ld->nodes, node), "locked");
	if (json_is_array(ref))
		follows_text(ref, follows, sizeof(follows));
	e = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name", name, "path", path, "node", node,
		      "follows", json_is_array(ref) ? json_string(follows) : json_null(), "url", locked_url(locked),
		      "rev", or_null(json_object_get(locked, "rev")), "narHash", or_null(json_object_get(locked, "narHash")),
		      "lastModified", or_null(json_object_get(locked, "lastModified")),
		      "locked", member(ld, node, "locked"), "original", member(ld, node, "original"));
	if (!e)
		return err_set(ERR_NOMEM, "out of memory");
	json_array_append_new(out, e);
	if (json_is_array(ref) || depth >= TREE_DEPTH_MAX)
		return 0;
	if (!(kids = json_array()) || json_object_set_new(e, "inputs", kids) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	above[depth + 1] = node;
	return tree_inputs(ld, above, path, depth + 1, kids);
}

/* The entries of the inputs of node ABOVE[DEPTH]. */
static int tree_inputs(const struct lockdoc *ld, const char **above, const char *prefix, int depth, json_t *out)
{
	const char *node = above[depth];
	json_t *inputs = json_object_get(json_object_get(ld->nodes, node), "inputs"), *ref;
	const char *name;
	char qn[96];
	int r;

	if (inputs && !json_is_object(inputs))
		return lock_bad(ld, "the inputs of node '%s' are not an object", q(node, qn, sizeof(qn)));
	json_object_foreach(inputs, name, ref)
		if ((r = tree_entry(ld, name, ref, above, prefix, depth, out)) < 0)
			return r;
	return 0;
}

/* Each root input -> the `locked` of the node it resolves to. */
static int direct_inputs(const struct lockdoc *ld, json_t *out)
{
	json_t *inputs = json_object_get(json_object_get(ld->nodes, ld->root), "inputs"), *ref, *locked;
	const char *name, *node;
	int r;

	if (inputs && !json_is_object(inputs))
		return lock_bad(ld, "the root's inputs are not an object");
	json_object_foreach(inputs, name, ref) {
		if ((r = resolve(ld, ref, 0, &node)) < 0)
			return r;
		locked = json_object_get(json_object_get(ld->nodes, node), "locked");
		if (json_object_set_new(out, name, locked ? json_deep_copy(locked) : json_null()) < 0)
			return err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

int flake_lock_parse(const char *text, size_t len, const char *file, json_t **direct, json_t **tree)
{
	const char *above[TREE_DEPTH_MAX + 2];
	char why[256];
	size_t steps = 0;
	struct lockdoc ld = { NULL, NULL, file, &steps };
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	int r = 0;

	*direct = NULL;
	if (tree)
		*tree = NULL;
	if (!doc) {
		r = err_set(ERR_INVALID, "%s: not JSON: %s at line %d, column %d", file,
			    err_quote(why, sizeof(why), jerr.text, strlen(jerr.text)), jerr.line, jerr.column);
		goto out;
	}
	ld.nodes = json_object_get(doc, "nodes");
	ld.root = json_string_value(json_object_get(doc, "root"));
	if (!json_is_object(ld.nodes) || !ld.root || !json_is_object(json_object_get(ld.nodes, ld.root))) {
		r = lock_bad(&ld, "expected a lock file: {\"nodes\": {...}, \"root\": NAME of one of the nodes}");
		goto out;
	}
	if (!(*direct = json_object()) || (tree && !(*tree = json_array()))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	above[0] = ld.root;
	if ((r = direct_inputs(&ld, *direct)) == 0 && tree)
		r = tree_inputs(&ld, above, "", 0, *tree);
out:
	if (r < 0) {
		json_decref(*direct);
		*direct = NULL;
		if (tree) {
			json_decref(*tree);
			*tree = NULL;
		}
	}
	json_decref(doc);
	return r;
}
