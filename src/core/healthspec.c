/* Health check specs: parse http:URL[=STATUS], tcp:HOST:PORT and cmd:COMMAND, expand {host}. */
#include "core/healthspec.h"

#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/banned.h"

#define QUOTE_MAX 128
#define WHY_MAX 160
#define PH HEALTH_HOST_PLACEHOLDER
#define PH_LEN (sizeof(PH) - 1)

static const char any_form[] = "expected http:URL[=STATUS], tcp:HOST:PORT or cmd:COMMAND";
static const char http_form[] = "expected http:URL[=STATUS]";
static const char tcp_form[] = "expected tcp:HOST:PORT";
static const char cmd_form[] = "expected cmd:COMMAND";

/* Fail the parse of TEXT: ERR_INVALID quoting it, with WHY (may be NULL) and FORM. */
static int reject(const char *text, const char *why, const char *form)
{
	return err_bad_input("--check", text, strlen(text), why, form);
}

static int is_ctl(int c)
{
	return c < 0x20 || c == 0x7f;
}

static int is_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	return len > 0;
}

static int is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A host name or IPv4 byte; inside brackets also what an IPv6 address with a zone holds. */
static int is_host_char(int c, int bracketed)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' ||
	    (bracketed && (c == ':' || c == '%'));
}

/*
 * Returns NULL when every '{' in LEN bytes of S opens {host}, else why not (written in WHY).
 * Any other brace is refused rather than sent on: it is a placeholder we do not know.
 */
static const char *placeholders_check(const char *s, size_t len, char *why)
{
	const char *p = s, *end = s + len, *close;
	char q[40];

	while ((p = memchr(p, '{', (size_t)(end - p))) != NULL) {
		if ((size_t)(end - p) >= PH_LEN && memcmp(p, PH, PH_LEN) == 0) {
			p += PH_LEN;
			continue;
		}
		if (!(close = memchr(p, '}', (size_t)(end - p))))
			return "'{' without '}' (the only placeholder is {host})";
		err_quote(q, sizeof(q), p, (size_t)(close - p + 1));
		snprintf(why, WHY_MAX, "unknown placeholder '%s' (the only one is {host})", q);
		return why;
	}
	return NULL;
}

/* Returns NULL when LEN bytes of S make a URL we may fetch, else why not. */
static const char *url_check(const char *s, size_t len, char *why)
{
	size_t i, scheme;

	if (len > HEALTH_URL_MAX) {
		snprintf(why, WHY_MAX, "URL longer than %d bytes", HEALTH_URL_MAX);
		return why;
	}
	if (len >= 7 && memcmp(s, "http://", 7) == 0)
		scheme = 7;
	else if (len >= 8 && memcmp(s, "https://", 8) == 0)
		scheme = 8;
	else
		return "URL must start with http:// or https://";
	if (len == scheme || s[scheme] == '/' || s[scheme] == '?' || s[scheme] == '#')
		return "URL has no host";
	for (i = 0; i < len; i++) {
		if (is_ctl((unsigned char)s[i]) || s[i] == ' ')
			return "URL has a control character or a space";
	}
	return placeholders_check(s, len, why);
}

/* Returns NULL when LEN bytes of S make a tcp HOST (brackets already taken off), else why not. */
static const char *host_check(const char *s, size_t len, int bracketed, char *why)
{
	const char *bad;
	size_t i;

	if (len == 0)
		return "HOST is empty";
	if (len > HEALTH_HOST_MAX) {
		snprintf(why, WHY_MAX, "HOST longer than %d bytes", HEALTH_HOST_MAX);
		return why;
	}
	for (i = 0; i < len; i++) {
		if (is_ctl((unsigned char)s[i]))
			return "HOST has a control character";
	}
	if ((bad = placeholders_check(s, len, why)) != NULL)
		return bad;
	for (i = 0; i < len; i++) {
		if (s[i] == '{') {
			i += PH_LEN - 1;
			continue;
		}
		if (s[i] == ':' && !bracketed)
			return "an IPv6 HOST needs brackets, as in tcp:[::1]:22";
		if (!is_host_char((unsigned char)s[i], bracketed))
			return bracketed ? "HOST has a character outside [A-Za-z0-9._:%-]" :
			    "HOST has a character outside [A-Za-z0-9._-]";
	}
	return NULL;
}

/* S is TEXT after "http:". */
static int parse_http(const char *text, const char *s, struct health_spec *out)
{
	char why[WHY_MAX];
	const char *bad;
	size_t len = strlen(s);
	int status = 0;

	/* Only "=NNN" at the very end is a status: queries hold '=' too ("?a=b", "?x=1234"). */
	if (len >= 4 && s[len - 4] == '=' && is_digits(s + len - 3, 3)) {
		status = (s[len - 3] - '0') * 100 + (s[len - 2] - '0') * 10 + (s[len - 1] - '0');
		if (status < 100 || status > 599) {
			snprintf(why, sizeof(why), "status %.3s not in 100-599", s + len - 3);
			return reject(text, why, http_form);
		}
		len -= 4;
	}
	if ((bad = url_check(s, len, why)) != NULL)
		return reject(text, bad, http_form);
	out->kind = HEALTH_HTTP;
	memcpy(out->url, s, len);
	out->url[len] = '\0';
	out->want_status = status;
	return 0;
}

/* S is TEXT after "tcp:". */
static int parse_tcp(const char *text, const char *s, struct health_spec *out)
{
	char why[WHY_MAX];
	const char *colon = strrchr(s, ':'), *host = s, *bad;
	size_t hlen, plen, i;
	unsigned long port = 0;
	int bracketed = 0;

	/* The last colon splits, unless it sits inside "[v6]" with no port after. */
	if (!colon || strchr(colon, ']'))
		return reject(text, "no :PORT after HOST", tcp_form);
	hlen = (size_t)(colon - s);
	plen = strlen(colon + 1);
	if (plen == 0 || plen > 5 || !is_digits(colon + 1, plen))
		return reject(text, "PORT must be a number from 1 to 65535", tcp_form);
	for (i = 0; i < plen; i++)
		port = port * 10 + (unsigned long)(colon[1 + i] - '0');
	if (port < 1 || port > 65535)
		return reject(text, "PORT must be a number from 1 to 65535", tcp_form);
	if (hlen > 0 && s[0] == '[') {
		if (hlen < 2 || s[hlen - 1] != ']')
			return reject(text, "'[' without ']' around HOST", tcp_form);
		host = s + 1;
		hlen -= 2;
		bracketed = 1;
	}
	if ((bad = host_check(host, hlen, bracketed, why)) != NULL)
		return reject(text, bad, tcp_form);
	out->kind = HEALTH_TCP;
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	out->port = (unsigned)port;
	return 0;
}

/* S is TEXT after "cmd:". The command goes to a shell as is: braces and newlines are its own. */
static int parse_cmd(const char *text, const char *s, struct health_spec *out)
{
	char why[WHY_MAX];
	size_t len = strlen(s);

	if (len > HEALTH_CMD_MAX) {
		snprintf(why, sizeof(why), "COMMAND longer than %d bytes", HEALTH_CMD_MAX);
		return reject(text, why, cmd_form);
	}
	if (strspn(s, " \t\n") == len)
		return reject(text, "COMMAND is empty", cmd_form);
	out->kind = HEALTH_CMD;
	memcpy(out->cmd, s, len + 1);
	return 0;
}

int health_spec_parse(const char *text, struct health_spec *out)
{
	size_t len = strlen(text);
	int r;

	memset(out, 0, sizeof(*out));
	/* A bare URL is the likeliest slip: "http://x" would otherwise read as http: "//x". */
	if (strncmp(text, "http://", 7) == 0 || strncmp(text, "https://", 8) == 0)
		r = reject(text, "no http: before the URL", http_form);
	else if (strncmp(text, "http:", 5) == 0)
		r = parse_http(text, text + 5, out);
	else if (strncmp(text, "tcp:", 4) == 0)
		r = parse_tcp(text, text + 4, out);
	else if (strncmp(text, "cmd:", 4) == 0)
		r = parse_cmd(text, text + 4, out);
	else
		r = reject(text, NULL, any_form);
	/* Each part has its own limit, so a spec that passed fits in text; this only guards. */
	if (r == 0 && len > HEALTH_TEXT_MAX)
		r = reject(text, "too long", any_form);
	if (r < 0) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	memcpy(out->text, text, len + 1);
	out->timeout_ms = HEALTH_TIMEOUT_MS;
	out->retries = HEALTH_RETRIES;
	out->retry_delay_ms = HEALTH_RETRY_DELAY_MS;
	return 0;
}

/* Append N bytes of P to OUT (LEN bytes, *O used), keeping room for the NUL. */
static int put(char *out, size_t len, size_t *o, const char *p, size_t n)
{
	if (*o + n >= len)
		return -1;
	memcpy(out + *o, p, n);
	*o += n;
	return 0;
}

int health_expand(const char *in, const char *host, char *out, size_t len)
{
	char q[QUOTE_MAX];
	const char *ph, *from = in;
	size_t o = 0;

	for (;;) {
		ph = strstr(from, PH);
		if (put(out, len, &o, from, ph ? (size_t)(ph - from) : strlen(from)) < 0)
			goto too_long;
		if (!ph)
			break;
		if (!host) {
			if (len > 0)
				out[0] = '\0';
			err_quote(q, sizeof(q), in, strlen(in));
			return err_set(ERR_INVALID, "'%s' has {host} but no host was given", q);
		}
		if (put(out, len, &o, host, strlen(host)) < 0)
			goto too_long;
		from = ph + PH_LEN;
	}
	out[o] = '\0';
	return 0;
too_long:
	if (len > 0)
		out[0] = '\0';
	err_quote(q, sizeof(q), in, strlen(in));
	return err_set(ERR_LIMIT, "'%s' with {host} replaced does not fit in %zu bytes", q, len);
}
