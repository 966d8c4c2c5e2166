/* The secrets store's reports as JSON: what `chimera secrets SUBCOMMAND --json` prints (push's is in secrets_push.c). */
#include "app/fleet/secrets.h"
#include "util/clock.h"
#include "util/json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* DOC, a change done, with "ok": true last. */
static char *done(json_t *doc)
{
	if (doc)
		json_object_set_new(doc, "ok", json_true());
	return json_render(doc);
}

static json_t *strings_json(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

char *secrets_set_json(const char *name, bool imported)
{
	return done(json_pack("{s:s, s:b}", "name", name, "imported", imported));
}

char *secrets_rm_json(const char *name)
{
	return done(json_pack("{s:s}", "name", name));
}

char *secrets_grant_json(const char *name, const char *const *keys, size_t n, bool grant, size_t changed)
{
	return done(json_pack("{s:s, s:o, s:I}", "name", name, "keys", strings_json(keys, n), grant ? "added" : "removed",
			      (json_int_t)changed));
}

char *secrets_rotate_json(const char *identity, size_t count)
{
	return done(json_pack("{s:s, s:I}", "identity", identity, "secrets", (json_int_t)count));
}

char *secrets_recipients_change_json(const char *action, const char *recipient, size_t count)
{
	return done(json_pack("{s:s, s:s, s:I}", "action", action, "recipient", recipient, "secrets",
			      (json_int_t)count));
}

char *secrets_recipients_json(const struct age_recipient *rs, size_t n)
{
	json_t *list = json_array();
	char text[AGE_RECIPIENT_TEXT_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		age_recipient_format(&rs[i], text);
		json_array_append_new(list, json_string(text));
	}
	return json_render(json_pack("{s:o}", "recipients", list));
}

char *secrets_identity_json(const char *identity, const char *key_path)
{
	return json_render(json_pack("{s:s, s:s}", "identity", identity, "file", key_path));
}

char *secrets_list_json(const struct secrets_entry *e, size_t n)
{
	json_t *list = json_array();
	char when[CLOCK_UTC_LEN];
	size_t i;

	for (i = 0; i < n; i++) {
		clock_format_utc(e[i].mtime * 1000, when);
		json_array_append_new(list, json_pack("{s:s, s:I, s:s, s:o}", "name", e[i].name, "size",
						      (json_int_t)e[i].size, "modified", when, "grants",
						      strings_json((const char *const *)e[i].grants, e[i].ngrants)));
	}
	return json_render(json_pack("{s:o, s:I}", "secrets", list, "count", (json_int_t)n));
}

/* The document before the value; the value and "\"\n}" follow. By hand: a JSON library would keep copies. */
#define VALUE_HEAD "{\n  \"name\": \"%s\",\n  \"size\": %zu,\n  \"encoding\": \"base64\",\n  \"value\": \""
#define VALUE_TAIL "\"\n}"

char *secrets_value_json(const char *name, const uint8_t *value, size_t len, size_t *size)
{
	size_t head, cap, l;
	char *out;
	int n;

	if ((n = snprintf(NULL, 0, VALUE_HEAD, name, len)) < 0)
		return NULL;
	head = (size_t)n;
	/* Padded base64 (for `base64 -d`): 4 characters per 3 bytes begun. */
	cap = head + (len + 2) / 3 * 4 + sizeof(VALUE_TAIL);
	if (!(out = malloc(cap)))
		return NULL;
	snprintf(out, cap, VALUE_HEAD, name, len);
	l = head + age_b64_encode(value, len, out + head);
	while ((l - head) % 4)
		out[l++] = '=';
	memcpy(out + l, VALUE_TAIL, sizeof(VALUE_TAIL));
	*size = cap;
	return out;
}
