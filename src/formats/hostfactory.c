/* HostFactory provider protocol: strict parsers of the operations' input files, request ids. */
#include "formats/hostfactory.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define NAME_FORM "a non-empty string of at most 255 bytes without control characters"
#define ID_FORM "req-<UUID> or ret-<UUID> (a version 4 UUID in lower case)"

static const char hex[] = "0123456789abcdef";

void hf_id_make(enum hf_id_kind kind, const uint8_t random[16], struct hf_request_id *out)
{
	uint8_t b[16];
	size_t i, o;

	memcpy(b, random, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	memcpy(out->text, kind == HF_ID_REQUEST ? "req-" : "ret-", 4);
	o = 4;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out->text[o++] = '-';
		out->text[o++] = hex[b[i] >> 4];
		out->text[o++] = hex[b[i] & 0x0f];
	}
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int hf_id_parse(const char *s, size_t len, struct hf_request_id *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (len != HF_ID_LEN || (memcmp(s, "req-", 4) != 0 && memcmp(s, "ret-", 4) != 0))
		return err_bad_input("bad request id", s, len, NULL, "expected " ID_FORM);
	for (i = 4; i < len; i++) {
		bool dash = i == 12 || i == 17 || i == 22 || i == 27;

		if (dash ? s[i] != '-' : !is_lower_hex(s[i]))
			return err_bad_input("bad request id", s, len, NULL, "expected " ID_FORM);
	}
	if (s[18] != '4' || !strchr("89ab", s[23]))
		return err_bad_input("bad request id", s, len, "not a version 4 UUID", "expected " ID_FORM);
	out->kind = s[2] == 'q' ? HF_ID_REQUEST : HF_ID_RETURN;
	memcpy(out->text, s, len);
	return 0;
}

/* Messages. OP names the input ("requestMachines"), FIELD the path to the value. */
static int bad(const char *op, const char *field, const char *form)
{
	return err_set(ERR_INVALID, "bad '%s' in %s input: expected %s", field, op, form);
}

static int missing(const char *op, const char *field, const char *form)
{
	return err_set(ERR_INVALID, "missing '%s' in %s input: expected %s", field, op, form);
}

/* Each key of OBJ (at PATH, "" for the top) must be one of KEYS (NULL-terminated). */
static int only_keys(json_t *obj, const char *const *keys, const char *op, const char *path, const char *expected)
{
	const char *key;
	json_t *v;
	char q[96];
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
			;
		if (!keys[i]) {
			err_quote(q, sizeof(q), key, strlen(key));
			return err_set(ERR_INVALID, "unknown field '%s%s%s' in %s input: expected only %s", path,
				       *path ? "." : "", q, op, expected);
		}
	}
	return 0;
}

/* Copy the string V at FIELD into DST (HF_NAME_MAX + 1 bytes). */
static int get_name(json_t *v, const char *op, const char *field, char *dst)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v), i;

	if (!json_is_string(v) || len == 0 || len > HF_NAME_MAX)
		return bad(op, field, NAME_FORM);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return bad(op, field, NAME_FORM);
	memcpy(dst, s, len + 1);
	return 0;
}

/* Load TEXT as a JSON object, or set the error naming OP. */
static int load(const char *text, size_t len, const char *op, json_t **root)
{
	json_error_t je;
	char why[256];

	*root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!*root) {
		/* jansson's text may hold the bad byte itself: quote it printable. */
		err_quote(why, sizeof(why), je.text, strlen(je.text));
		return err_set(ERR_INVALID, "%s input is not JSON: line %d column %d: %s", op, je.line, je.column,
			       why);
	}
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		return err_set(ERR_INVALID, "bad top level of %s input: expected a JSON object", op);
	}
	return 0;
}

int hf_parse_request_machines(const char *text, size_t len, unsigned max_count, struct hf_request_machines *out)
{
	static const char *const top_keys[] = {"template", NULL};
	static const char *const tpl_keys[] = {"templateId", "machineCount", NULL};
	const char *op = "requestMachines";
	json_t *root, *tpl, *count;
	char form[64];
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(form, sizeof(form), "a whole number from 1 to %u", max_count);
	if ((r = load(text, len, op, &root)) < 0)
		return r;
	if ((r = only_keys(root, top_keys, op, "", "'template'")) < 0)
		goto done;
	tpl = json_object_get(root, "template");
	if (!tpl) {
		r = missing(op, "template", "an object with templateId and machineCount");
		goto done;
	}
	if (!json_is_object(tpl)) {
		r = bad(op, "template", "an object with templateId and machineCount");
		goto done;
	}
	if ((r = only_keys(tpl, tpl_keys, op, "template", "'templateId' and 'machineCount'")) < 0)
		goto done;
	if (!json_object_get(tpl, "templateId")) {
		r = missing(op, "template.templateId", NAME_FORM);
		goto done;
	}
	if ((r = get_name(json_object_get(tpl, "templateId"), op, "template.templateId", out->template_id)) < 0)
		goto done;
	count = json_object_get(tpl, "machineCount");
	if (!count)
		r = missing(op, "template.machineCount", form);
	else if (!json_is_integer(count) || json_integer_value(count) < 1 ||
		 (json_int_t)max_count < json_integer_value(count))
		r = bad(op, "template.machineCount", form);
	else
		out->count = (unsigned)json_integer_value(count);
done:
	json_decref(root);
	if (r < 0)
		memset(out, 0, sizeof(*out));
	return r;
}

/* The array at KEY of ROOT, with MIN .. HF_LIST_MAX entries. */
static int get_list(json_t *root, const char *key, size_t min, const char *op, const char *what, json_t **list)
{
	char form[160];

	snprintf(form, sizeof(form), "an array of %zu to %d %s", min, HF_LIST_MAX, what);
	*list = json_object_get(root, key);
	if (!*list)
		return missing(op, key, form);
	if (!json_is_array(*list) || json_array_size(*list) < min || json_array_size(*list) > HF_LIST_MAX)
		return bad(op, key, form);
	return 0;
}

/* One entry of a list, at PATH ("requests[2]"), into ITEM. */
typedef int (*entry_fn)(json_t *e, const char *op, const char *path, void *item);

/*
 * An input that is one object holding only KEY, an array of MIN .. HF_LIST_MAX WHAT, each
 * read by ONE into *ITEMS (calloc'd, SIZE bytes each; NULL when empty). *N counts them.
 */
static int parse_list(const char *text, size_t len, const char *op, const char *key, size_t min, const char *what,
		      size_t size, entry_fn one, void **items, size_t *n)
{
	const char *const keys[] = {key, NULL};
	char path[48], expected[32];
	json_t *root, *list, *e;
	size_t i;
	int r;

	*items = NULL;
	*n = 0;
	snprintf(expected, sizeof(expected), "'%s'", key);
	if ((r = load(text, len, op, &root)) < 0)
		return r;
	if ((r = only_keys(root, keys, op, "", expected)) < 0 || (r = get_list(root, key, min, op, what, &list)) < 0)
		goto done;
	if (json_array_size(list) > 0 && !(*items = calloc(json_array_size(list), size))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto done;
	}
	json_array_foreach(list, i, e) {
		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		if ((r = one(e, op, path, (char *)*items + i * size)) < 0)
			goto done;
		(*n)++;
	}
done:
	json_decref(root);
	if (r < 0) {
		free(*items);
		*items = NULL;
		*n = 0;
	}
	return r;
}

/* E at PATH must be an object (FORM says with what) holding only KEYS (EXPECTED lists them). */
static int entry_object(json_t *e, const char *const *keys, const char *op, const char *path, const char *form,
			const char *expected)
{
	if (!json_is_object(e))
		return bad(op, path, form);
	return only_keys(e, keys, op, path, expected);
}

/* One entry of getRequestStatus input, at PATH. */
static int get_request(json_t *e, const char *op, const char *path, void *item)
{
	static const char *const keys[] = {"requestId", NULL};
	char field[64];
	json_t *id;
	int r;

	if ((r = entry_object(e, keys, op, path, "an object with a requestId", "'requestId'")) < 0)
		return r;
	snprintf(field, sizeof(field), "%s.requestId", path);
	id = json_object_get(e, "requestId");
	if (!id)
		return missing(op, field, ID_FORM);
	if (!json_is_string(id) || hf_id_parse(json_string_value(id), json_string_length(id), item) < 0)
		return bad(op, field, ID_FORM);
	return 0;
}

int hf_parse_request_status(const char *text, size_t len, struct hf_request_ids *out)
{
	void *items;
	int r;

	r = parse_list(text, len, "getRequestStatus", "requests", 1, "objects with a requestId", sizeof(*out->items),
		       get_request, &items, &out->n);
	out->items = items;
	return r;
}

const char *hf_machines_op_name(enum hf_machines_op op)
{
	return op == HF_OP_RETURN_MACHINES ? "requestReturnMachines" : "getReturnRequests";
}

/* One entry of a machine list, at PATH. */
static int get_machine(json_t *e, const char *op, const char *path, void *item)
{
	static const char *const keys[] = {"name", "machineId", NULL};
	struct hf_machine_ref *m = item;
	char field[64];
	json_t *v;
	int r;

	if ((r = entry_object(e, keys, op, path, "an object with a name and a machineId", "'name' and 'machineId'")) < 0)
		return r;
	snprintf(field, sizeof(field), "%s.name", path);
	if (!json_object_get(e, "name"))
		return missing(op, field, NAME_FORM);
	if ((r = get_name(json_object_get(e, "name"), op, field, m->name)) < 0)
		return r;
	v = json_object_get(e, "machineId");
	snprintf(field, sizeof(field), "%s.machineId", path);
	if (v && (r = get_name(v, op, field, m->machine_id)) < 0)
		return r;
	return 0;
}

int hf_parse_machines(const char *text, size_t len, enum hf_machines_op op, struct hf_machine_refs *out)
{
	void *items;
	int r;

	r = parse_list(text, len, hf_machines_op_name(op), "machines", op == HF_OP_RETURN_MACHINES ? 1 : 0,
		       "objects with a name and a machineId", sizeof(*out->items), get_machine, &items, &out->n);
	out->items = items;
	return r;
}

void hf_machine_refs_release(struct hf_machine_refs *m)
{
	free(m->items);
	m->items = NULL;
	m->n = 0;
}

void hf_request_ids_release(struct hf_request_ids *r)
{
	free(r->items);
	r->items = NULL;
	r->n = 0;
}
