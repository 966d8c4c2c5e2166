/* Target: parse, check and print [user@]host[:port], and comma-separated lists of them. */
#include "core/target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/text.h"
#include "util/banned.h"

#define QUOTE_MAX 128
#define LABEL_MAX 63

static const char target_form[] = "expected [user@]host[:port]";

/* Only these bytes may appear anywhere in a target; nothing else reaches a shell or ssh. */
static int is_target_char(int c)
{
	return text_is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '@' || c == ':' ||
	    c == '[' || c == ']';
}

static int bad_target(const char *s, size_t len, const char *why)
{
	return err_bad_input("bad target", s, len, why, target_form);
}

/* A user name starts with a letter or '_' so it can never be taken for an option. */
static int user_valid(const char *u, size_t n)
{
	size_t i;

	if (n == 0 || n > TARGET_USER_MAX)
		return 0;
	if (!text_is_alpha(u[0]) && u[0] != '_')
		return 0;
	for (i = 1; i < n; i++) {
		if (!text_is_alnum(u[i]) && u[i] != '.' && u[i] != '_' && u[i] != '-')
			return 0;
	}
	return 1;
}

/* Digits only, no sign, no leading zero, 1-65535. */
static int port_parse(const char *p, size_t n, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5 || p[0] == '0')
		return -1;
	for (i = 0; i < n; i++) {
		if (!text_is_digit(p[i]))
			return -1;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* Four dot-separated parts, each 0-255 with no leading zero. */
static int ipv4_valid(const char *h, size_t n)
{
	size_t i = 0, parts = 0;

	while (parts < 4) {
		size_t start = i;
		unsigned v = 0;

		while (i < n && text_is_digit(h[i]) && i - start < 3)
			v = v * 10 + (unsigned)(h[i++] - '0');
		if (i == start || v > 255 || (h[start] == '0' && i - start > 1))
			return 0;
		parts++;
		if (parts < 4) {
			if (i >= n || h[i] != '.')
				return 0;
			i++;
		}
	}
	return i == n;
}

/*
 * Check an unbracketed host and copy it, lowercased, into OUT. Returns NULL or why it
 * is wrong. Names that a resolver could read as a number (all digits and dots, a
 * numeric last label, "0x7f000001") are taken only as a plain dotted quad.
 */
static const char *hostname_parse(struct target *out, const char *h, size_t n)
{
	char tmp[TARGET_HOST_MAX + 1];
	struct in_addr a;
	size_t i, start, label = 0;
	int numeric = 1, last_numeric = 1;

	if (n == 0)
		return target_form;
	if (n > TARGET_HOST_MAX)
		return "host name longer than 253 characters";
	for (i = 0; i < n; i++) {
		if (!text_is_digit(h[i]) && h[i] != '.')
			numeric = 0;
	}
	if (numeric) {
		if (!ipv4_valid(h, n))
			return "bad IPv4 address, four numbers 0-255 like 192.0.2.1 allowed";
		memcpy(out->host, h, n);
		out->host[n] = '\0';
		out->kind = TARGET_HOST_IPV4;
		return NULL;
	}
	start = 0;
	for (i = 0; i <= n; i++) {
		if (i < n && h[i] != '.') {
			if (!text_is_alnum(h[i]) && h[i] != '-')
				return target_form;
			if (!text_is_digit(h[i]))
				last_numeric = 0;
			continue;
		}
		label = i - start;
		if (label == 0)
			return "empty label in host name";
		if (label > LABEL_MAX)
			return "host name label longer than 63 characters";
		if (h[start] == '-' || h[i - 1] == '-')
			return "host name label starts or ends with '-'";
		if (i < n)
			last_numeric = 1;
		start = i + 1;
	}
	if (last_numeric)
		return "host name ends in a numeric label";
	for (i = 0; i < n; i++)
		tmp[i] = (h[i] >= 'A' && h[i] <= 'Z') ? (char)(h[i] - 'A' + 'a') : h[i];
	tmp[n] = '\0';
	if (inet_aton(tmp, &a) != 0)
		return "ambiguous numeric address, write IPv4 as four numbers 0-255";
	memcpy(out->host, tmp, n + 1);
	out->kind = TARGET_HOST_NAME;
	return NULL;
}

/* Check the text between brackets and store it in inet_ntop's canonical form. */
static const char *ipv6_parse(struct target *out, const char *h, size_t n)
{
	char tmp[INET6_ADDRSTRLEN];
	struct in6_addr a;

	if (n == 0 || n >= sizeof(tmp))
		return "bad IPv6 address";
	memcpy(tmp, h, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET6, tmp, &a) != 1)
		return "bad IPv6 address";
	if (inet_ntop(AF_INET6, &a, out->host, sizeof(out->host)) == NULL)
		return "bad IPv6 address";
	out->kind = TARGET_HOST_IPV6;
	return NULL;
}

static const char transport_done[] = "";

/*
 * "local", or TRANSPORT:NAME: fills OUT and returns transport_done; NULL when S is neither
 * (an ssh target); else why it is wrong.
 */
static const char *transport_parse(struct target *out, const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len), *why;
	size_t i, n;

	if (len == sizeof(TARGET_TRANSPORT_LOCAL) - 1 && memcmp(s, TARGET_TRANSPORT_LOCAL, len) == 0) {
		memcpy(out->transport, TARGET_TRANSPORT_LOCAL, sizeof(TARGET_TRANSPORT_LOCAL));
		memcpy(out->host, TARGET_TRANSPORT_LOCAL, sizeof(TARGET_TRANSPORT_LOCAL));
		goto done;
	}
	if (!colon || colon == s || colon + 1 == s + len || !text_is_alpha((unsigned char)colon[1]) || memchr(s, '@', len))
		return NULL;
	n = (size_t)(colon - s);
	for (i = 0; i < n; i++) {
		if (s[i] < 'a' || s[i] > 'z')
			return NULL;
	}
	if (n > TARGET_TRANSPORT_MAX)
		return "transport name longer than 15 letters";
	if (n == sizeof(TARGET_TRANSPORT_LOCAL) - 1 && memcmp(s, TARGET_TRANSPORT_LOCAL, n) == 0)
		return "the controller itself takes no name: write 'local'";
	memcpy(out->transport, s, n);
	if ((why = hostname_parse(out, colon + 1, len - n - 1)) != NULL)
		return why;
	if (out->kind != TARGET_HOST_NAME)
		return "TRANSPORT:NAME needs a name, not an address";
done:
	memcpy(out->user, TARGET_DEFAULT_USER, sizeof(TARGET_DEFAULT_USER));
	out->port = TARGET_DEFAULT_PORT;
	out->kind = TARGET_HOST_NAME;
	return transport_done;
}

int target_parse(struct target *out, const char *s, size_t len)
{
	const char *at, *rest, *end, *colon, *rb, *why = target_form;
	size_t i;
	int r = ERR_INVALID;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		goto out;
	if (len > TARGET_TEXT_MAX) {
		why = "longer than 512 bytes";
		goto out;
	}
	for (i = 0; i < len; i++) {
		if (!is_target_char((unsigned char)s[i]))
			goto out;
	}
	end = s + len;
	if ((why = transport_parse(out, s, len)) != NULL) {
		if (why == transport_done)
			return 0;
		goto out;
	}
	why = target_form;
	memcpy(out->transport, TARGET_TRANSPORT_SSH, sizeof(TARGET_TRANSPORT_SSH));
	at = memchr(s, '@', len);
	if (at != NULL) {
		if (!user_valid(s, (size_t)(at - s))) {
			why = "bad user name, a letter or '_' then up to 31 of [A-Za-z0-9._-] "
			    "allowed";
			goto out;
		}
		memcpy(out->user, s, (size_t)(at - s));
		out->given |= TARGET_GIVEN_USER;
		rest = at + 1;
	} else {
		memcpy(out->user, TARGET_DEFAULT_USER, sizeof(TARGET_DEFAULT_USER));
		rest = s;
	}
	out->port = TARGET_DEFAULT_PORT;

	if (rest < end && *rest == '[') {
		rb = memchr(rest, ']', (size_t)(end - rest));
		if (rb == NULL)
			goto out;
		if ((why = ipv6_parse(out, rest + 1, (size_t)(rb - rest - 1))) != NULL)
			goto out;
		colon = rb + 1 < end ? rb + 1 : NULL;
		if (colon != NULL && *colon != ':') {
			why = target_form;
			goto out;
		}
	} else {
		colon = memchr(rest, ':', (size_t)(end - rest));
		if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL) {
			why = "IPv6 addresses need brackets, e.g. root@[::1]:22";
			goto out;
		}
		why = hostname_parse(out, rest, (size_t)((colon ? colon : end) - rest));
		if (why != NULL)
			goto out;
	}
	if (colon != NULL && port_parse(colon + 1, (size_t)(end - colon - 1), &out->port) != 0) {
		why = "bad port, 1-65535 allowed";
		goto out;
	}
	if (colon != NULL)
		out->given |= TARGET_GIVEN_PORT;
	r = 0;
out:
	if (r != 0) {
		memset(out, 0, sizeof(*out));
		bad_target(s, len, why);
	}
	return r;
}

int target_format(const struct target *t, char *buf, size_t buflen)
{
	int n;

	if (buflen > 0)
		buf[0] = '\0';
	if (strcmp(t->transport, TARGET_TRANSPORT_LOCAL) == 0)
		n = snprintf(buf, buflen, "%s", TARGET_TRANSPORT_LOCAL);
	else if (t->transport[0] && strcmp(t->transport, TARGET_TRANSPORT_SSH) != 0)
		n = snprintf(buf, buflen, "%s:%s", t->transport, t->host);
	else if (t->kind == TARGET_HOST_IPV6)
		n = snprintf(buf, buflen, "%s@[%s]:%u", t->user, t->host, (unsigned)t->port);
	else
		n = snprintf(buf, buflen, "%s@%s:%u", t->user, t->host, (unsigned)t->port);
	if (n < 0 || (size_t)n >= buflen) {
		if (buflen > 0)
			buf[0] = '\0';
		return err_set(ERR_LIMIT, "target '%s@%s' does not fit in %zu bytes",
		    t->user, t->host, buflen);
	}
	return 0;
}

bool target_equal(const struct target *a, const struct target *b)
{
	return a->kind == b->kind && a->port == b->port && strcmp(a->transport, b->transport) == 0 &&
	    strcmp(a->user, b->user) == 0 && strcmp(a->host, b->host) == 0;
}

void target_list_init(struct target_list *l)
{
	l->items = NULL;
	l->n = 0;
	l->cap = 0;
	l->slot = NULL;
	l->nslot = 0;
}

void target_list_release(struct target_list *l)
{
	free(l->items);
	free(l->slot);
	target_list_init(l);
}

static size_t target_hash(const struct target *t)
{
	const char *p;
	uint64_t h = 1469598103934665603ULL;

	for (p = t->transport; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ ':') * 1099511628211ULL;
	for (p = t->user; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ '@') * 1099511628211ULL;
	for (p = t->host; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ (t->port & 0xff)) * 1099511628211ULL;
	h = (h ^ (t->port >> 8)) * 1099511628211ULL;
	h = (h ^ (unsigned)t->kind) * 1099511628211ULL;
	return (size_t)h;
}

/* Grow the index to NSLOT slots and put every item back in. */
static int index_grow(struct target_list *l, size_t nslot)
{
	size_t *slot, i, h, mask = nslot - 1;

	if ((slot = calloc(nslot, sizeof(*slot))) == NULL)
		return err_set(ERR_NOMEM, "out of memory indexing target list");
	for (i = 0; i < l->n; i++) {
		for (h = target_hash(&l->items[i]) & mask; slot[h] != 0; h = (h + 1) & mask)
			;
		slot[h] = i + 1;
	}
	free(l->slot);
	l->slot = slot;
	l->nslot = nslot;
	return 0;
}

bool target_list_has(const struct target_list *l, const struct target *t)
{
	size_t h, mask;

	if (l->nslot == 0)
		return false;
	mask = l->nslot - 1;
	for (h = target_hash(t) & mask; l->slot[h] != 0; h = (h + 1) & mask)
		if (target_equal(&l->items[l->slot[h] - 1], t))
			return true;
	return false;
}

int target_list_add(struct target_list *l, const struct target *t)
{
	struct target *p;
	size_t h, mask, ncap;
	int r;

	if (l->nslot < 2 * (l->n + 1) && (r = index_grow(l, l->nslot ? l->nslot * 2 : 16)) != 0)
		return r;
	mask = l->nslot - 1;
	for (h = target_hash(t) & mask; l->slot[h] != 0; h = (h + 1) & mask) {
		if (target_equal(&l->items[l->slot[h] - 1], t))
			return 0;
	}
	if (l->n >= TARGET_LIST_MAX)
		return err_set(ERR_LIMIT, "more than %d targets", TARGET_LIST_MAX);
	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 8;
		if ((p = realloc(l->items, ncap * sizeof(*p))) == NULL)
			return err_set(ERR_NOMEM, "out of memory growing target list");
		l->items = p;
		l->cap = ncap;
	}
	l->items[l->n++] = *t;
	l->slot[h] = l->n;
	return 0;
}

int target_list_append(struct target_list *l, const char *s, size_t len, target_group_fn group, void *arg)
{
	char q[QUOTE_MAX], inner[512];
	struct target t;
	size_t i, start = 0, idx = 1, count = 1;
	int r = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == ',' && ++count > TARGET_LIST_MAX) {
			err_quote(q, sizeof(q), s, len);
			return err_set(ERR_INVALID, "bad target list '%s': more than %d targets", q,
				       TARGET_LIST_MAX);
		}
	}
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != ',')
			continue;
		if (i == start) {
			err_quote(q, sizeof(q), s, len);
			return err_set(ERR_INVALID, "bad target list '%s': element %zu is empty", q, idx);
		}
		if (group && s[start] == '@') {
			if ((r = group(s + start + 1, i - start - 1, l, arg)) != 0)
				return r;
		} else if ((r = target_parse(&t, s + start, i - start)) != 0) {
			snprintf(inner, sizeof(inner), "%s", err_msg());
			return err_set(r, "target list element %zu: %s", idx, inner);
		} else if ((r = target_list_add(l, &t)) != 0) {
			return r;
		}
		start = i + 1;
		idx++;
	}
	return 0;
}

int target_list_parse(struct target_list *l, const char *s, size_t len)
{
	int r;

	target_list_init(l);
	if ((r = target_list_append(l, s, len, NULL, NULL)) != 0)
		target_list_release(l);
	return r;
}
