/* The age header: the version line, recipient stanzas with their base64 bodies, and the MAC line. */
#include "formats/age.h"
#include "formats/age_internal.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

void age_header_release(struct age_header *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->st[i].body);
	free(h->st);
	memset(h, 0, sizeof(*h));
}

/* The line at *OFF in DATA (without its LF) into *LINE and *N; false when no LF ends it. */
static bool next_line(const uint8_t *data, size_t len, size_t *off, const char **line, size_t *n)
{
	const uint8_t *p = data + *off, *nl;
	size_t left = len - *off;

	if (*off >= AGE_HEADER_MAX)
		return false;
	if (left > AGE_HEADER_MAX - *off)
		left = AGE_HEADER_MAX - *off;
	nl = left ? memchr(p, '\n', left) : NULL;
	if (!nl)
		return false;
	*line = (const char *)p;
	*n = (size_t)(nl - p);
	*off += *n + 1;
	return true;
}

static int truncated_header(const uint8_t *data, size_t len, size_t off)
{
	if (len - off > 0 && (off >= AGE_HEADER_MAX || len > AGE_HEADER_MAX))
		return err_set(ERR_LIMIT, "age header longer than %d bytes", AGE_HEADER_MAX);
	return err_set(ERR_CORRUPT, "truncated: the age header ends before its '---' MAC line");
}

/* Parse the arguments of a "-> " line (ARGS, N bytes after the arrow) into S. */
static int parse_args(const char *args, size_t n, size_t line, struct age_stanza *s)
{
	size_t i, start = 0;

	if (n == 0)
		return err_set(ERR_INVALID, "bad age header line %zu: a stanza without arguments", line);
	for (i = 0; i <= n; i++) {
		if (i < n && args[i] != ' ') {
			if ((unsigned char)args[i] < 0x21 || (unsigned char)args[i] > 0x7e)
				return err_set(ERR_INVALID, "bad age header line %zu: a stanza argument with a "
					       "character that is not printable ASCII", line);
			continue;
		}
		if (i == start)
			return err_set(ERR_INVALID, "bad age header line %zu: an empty stanza argument", line);
		if (s->nargs == 0) {
			s->type = args + start;
			s->type_len = i - start;
		} else if (s->nargs == 1) {
			s->arg = args + start;
			s->arg_len = i - start;
		}
		s->nargs++;
		start = i + 1;
	}
	return 0;
}

/* The MAC line L (N bytes, line LINE, starting "---") into H; OFF is where the payload starts. */
static int mac_line(const uint8_t *data, const char *l, size_t n, size_t line, size_t off, struct age_header *h)
{
	if (h->n == 0)
		return err_set(ERR_INVALID, "bad age header: no recipient stanza before the MAC line");
	if (n != 4 + AGE_MAC_B64 || l[3] != ' ')
		return err_set(ERR_INVALID, "bad age header line %zu: expected '--- ' and a 43-character MAC", line);
	if (age_b64_decode(l + 4, AGE_MAC_B64, h->mac, sizeof(h->mac)) != AGE_MAC_LEN)
		return err_set(ERR_INVALID, "bad age header line %zu: the MAC is not canonical base64", line);
	h->mac_at = (size_t)((const uint8_t *)l - data) + 3;
	h->end = off;
	return 0;
}

/* A new, zeroed stanza at the end of H->st (grown as needed) into *OUT. */
static int stanza_add(struct age_header *h, size_t *cap, struct age_stanza **out)
{
	struct age_stanza *grown;

	if (h->n == AGE_STANZAS_MAX)
		return err_set(ERR_LIMIT, "age header with more than %d stanzas", AGE_STANZAS_MAX);
	if (h->n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		if (!(grown = realloc(h->st, *cap * sizeof(*grown))))
			return err_set(ERR_NOMEM, "out of memory");
		h->st = grown;
	}
	*out = &h->st[h->n++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

/* Join the BODY_CHARS base64 characters of the body lines at DATA + AT (64 a line) and decode them into S. */
static int body_decode(const uint8_t *data, size_t at, size_t body_chars, struct age_stanza *s)
{
	size_t t = 0;
	char *text, why[256];
	int r;

	if (!(text = malloc(body_chars + 1)) || !(s->body = malloc(body_chars / 4 * 3 + 3))) {
		free(text);
		return err_set(ERR_NOMEM, "out of memory");
	}
	while (t < body_chars) {
		size_t bn = body_chars - t < AGE_BODY_COLUMNS ? body_chars - t : AGE_BODY_COLUMNS;

		memcpy(text + t, data + at, bn);
		t += bn;
		at += bn + 1;
	}
	r = age_b64_decode(text, body_chars, s->body, body_chars / 4 * 3 + 3);
	free(text);
	if (r < 0) {
		snprintf(why, sizeof(why), "%s", err_msg());
		return err_set(ERR_INVALID, "bad age header: the body of the stanza on line %zu: %s", s->line, why);
	}
	s->body_len = (size_t)r;
	return 0;
}

/* The body lines of stanza S from *OFF: full 64-column lines, then one shorter (maybe empty). */
static int stanza_body(const uint8_t *data, size_t len, size_t *off, size_t *line, struct age_stanza *s)
{
	size_t body_start = *off, body_chars = 0, n;
	const char *l;

	for (;;) {
		(*line)++;
		if (!next_line(data, len, off, &l, &n))
			return truncated_header(data, len, *off);
		if (n > AGE_BODY_COLUMNS || !age_b64_chars_ok(l, n))
			return err_set(ERR_INVALID, "bad age header line %zu: a stanza body line must be at most 64 "
				       "base64 characters", *line);
		body_chars += n;
		if (n < AGE_BODY_COLUMNS)
			break;
	}
	return body_decode(data, body_start, body_chars, s);
}

/* Check the version line at the start of DATA. */
static int version_line(const uint8_t *data, size_t len)
{
	size_t vlen = strlen(AGE_VERSION_LINE);

	if (len >= strlen(AGE_ARMOR_BEGIN) && memcmp(data, AGE_ARMOR_BEGIN, strlen(AGE_ARMOR_BEGIN)) == 0)
		return err_set(ERR_INVALID, "an armored (PEM) age file: only the binary form is supported");
	if (len < vlen && memcmp(data, AGE_VERSION_LINE, len) == 0)
		return err_set(ERR_CORRUPT, "truncated: the file ends within the age version line");
	if (len < vlen || memcmp(data, AGE_VERSION_LINE, vlen) != 0) {
		if (len >= 19 && memcmp(data, "age-encryption.org/", 19) == 0)
			return err_set(ERR_INVALID, "unsupported age version: expected 'age-encryption.org/v1'");
		return err_set(ERR_INVALID, "not an age file: it does not start with 'age-encryption.org/v1'");
	}
	return 0;
}

int age_header_parse(const uint8_t *data, size_t len, struct age_header *h)
{
	size_t off = strlen(AGE_VERSION_LINE), line = 1, cap = 0, n;
	struct age_stanza *s = NULL;
	const char *l;
	int r;

	memset(h, 0, sizeof(*h));
	if ((r = version_line(data, len)) < 0)
		return r;
	for (;;) {
		line++;
		if (!next_line(data, len, &off, &l, &n))
			return truncated_header(data, len, off);
		if (n >= 3 && memcmp(l, "---", 3) == 0)
			return mac_line(data, l, n, line, off, h);
		if (n < 3 || memcmp(l, "-> ", 3) != 0)
			return err_set(ERR_INVALID, "bad age header line %zu: expected a '-> ' stanza or the "
				       "'---' MAC line", line);
		if ((r = stanza_add(h, &cap, &s)) < 0)
			return r;
		s->line = line;
		if ((r = parse_args(l + 3, n - 3, line, s)) < 0 || (r = stanza_body(data, len, &off, &line, s)) < 0)
			return r;
	}
}

bool age_stanza_is(const struct age_stanza *s, const char *type)
{
	return s->type_len == strlen(type) && memcmp(s->type, type, s->type_len) == 0;
}
