/* Health checks: an HTTP GET and a TCP connect through the HTTP port, a command in a session. */
#include "app/fleet/health.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

#define NO_RETRY 1		/* an attempt's answer: failed, and trying again cannot help */
#define ADDR_MAX (HEALTH_URL_MAX + 2048)	/* a URL or HOST with {host} put in */

static void set_detail(struct health_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_detail(struct health_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

static int nomem(struct health_result *res)
{
	res->ok = 0;
	set_detail(res, "out of memory");
	return err_set(ERR_NOMEM, "out of memory");
}

/* strerror of E with a lowercase first letter, to read like our own messages. */
static void set_errno_detail(struct health_result *res, int e)
{
	char tmp[128];

	set_detail(res, "%s", strerror_r(e, tmp, sizeof(tmp)));
	if (res->detail[0] >= 'A' && res->detail[0] <= 'Z')
		res->detail[0] = (char)(res->detail[0] - 'A' + 'a');
}

/* Judge the status line: the expected one, else any 2xx. A 3xx is not followed. */
static void http_judge(const struct health_spec *spec, long code, struct health_result *res)
{
	res->ok = spec->want_status ? code == spec->want_status : code >= 200 && code <= 299;
	if (res->ok)
		set_detail(res, "HTTP %ld", code);
	else if (spec->want_status)
		set_detail(res, "HTTP %ld (expected %d)", code, spec->want_status);
	else
		set_detail(res, "HTTP %ld (expected 2xx)", code);
}

/* GET URL with H, body thrown away. Returns 0, NO_RETRY or ERR_NOMEM; the outcome is in RES. */
static int http_attempt(const struct health_spec *spec, struct http *h, const char *url, struct health_result *res)
{
	struct http_request req = { .method = "GET", .url = url, .timeout_ms = spec->timeout_ms };
	struct http_response hr;
	int r;

	if (!h) {
		set_detail(res, "no http client");
		return NO_RETRY;
	}
	http_response_init(&hr);
	if ((r = h->ops->request(h, &req, &hr)) < 0) {
		set_detail(res, "%s", err_msg());
		http_response_release(&hr);
		return r == ERR_NOMEM ? nomem(res) : NO_RETRY;
	}
	switch (hr.error) {
	case HTTP_ANSWERED:
		http_judge(spec, hr.status, res);
		break;
	case HTTP_TIMEOUT:
		set_detail(res, "timed out after %ld ms", spec->timeout_ms);
		break;
	case HTTP_CONNECT:
		if (hr.sys_errno > 0)
			set_errno_detail(res, hr.sys_errno);
		else
			set_detail(res, "cannot connect");
		break;
	case HTTP_BAD_URL:
		r = NO_RETRY;
		/* fall through */
	default:
		set_detail(res, "%s: %s", h->ops->name, hr.message);
		break;
	}
	http_response_release(&hr);
	return r;
}

/* Connect to HOST at the spec's port with H. Returns 0, NO_RETRY or ERR_NOMEM. */
static int tcp_attempt(const struct health_spec *spec, struct http *h, const char *host, struct health_result *res)
{
	struct http_tcp_result tr;
	int r;

	if (!h) {
		set_detail(res, "no http client");
		return NO_RETRY;
	}
	if ((r = h->ops->tcp_connect(h, host, spec->port, spec->timeout_ms, &tr)) < 0)
		return r == ERR_NOMEM ? nomem(res) : r;
	res->ok = tr.connected;
	if (res->ok)
		set_detail(res, "connected");
	else if (tr.sys_errno == ETIMEDOUT)
		set_detail(res, "timed out after %ld ms", spec->timeout_ms);
	else if (tr.sys_errno)
		set_errno_detail(res, tr.sys_errno);
	else
		set_detail(res, "%s", tr.message);
	return 0;
}

/* The last non-blank line of B into OUT (LEN bytes), control bytes shown as '?'. */
static void last_line(const struct buf *b, char *out, size_t len)
{
	size_t end = b->len, start, i, o = 0;

	while (end > 0 && (b->data[end - 1] == '\n' || b->data[end - 1] == '\r' ||
			   b->data[end - 1] == ' ' || b->data[end - 1] == '\t'))
		end--;
	for (start = end; start > 0 && b->data[start - 1] != '\n'; start--)
		;
	for (i = start; i < end && o + 1 < len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		out[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[o] = '\0';
}

/* Run the spec's command in S. Returns 0, NO_RETRY or ERR_NOMEM; the outcome is in RES. */
static int cmd_attempt(const struct health_spec *spec, struct executor *ex, struct exec_session *s,
		       struct health_result *res)
{
	struct exec_opts o = { .timeout_s = spec->timeout_ms > 0 ? (spec->timeout_ms + 999) / 1000 : 0 };
	struct exec_result er;
	char line[sizeof(res->detail)];
	int r;

	if (!ex || !s) {
		set_detail(res, "no session");
		return NO_RETRY;
	}
	exec_result_init(&er);
	err_clear();
	r = ex->ops->run(s, spec->cmd, &o, &er);
	/* Many checks report on stdout (curl -f, grep), so fall back to it. */
	last_line(er.err.len ? &er.err : &er.out, line, sizeof(line));
	if (r == ERR_NOMEM)
		r = nomem(res);
	else if (r == ERR_TIMEOUT)
		set_detail(res, "timed out after %ld ms", o.timeout_s * 1000);
	else if (r < 0)
		set_detail(res, "%s", err_msg());
	else if ((res->ok = er.status == 0))
		set_detail(res, "exit 0");
	else if (er.signal[0])
		set_detail(res, "killed by signal %s%s%s", er.signal, line[0] ? ": " : "", line);
	else
		set_detail(res, "exit %d%s%s", er.status, line[0] ? ": " : "", line);
	exec_result_release(&er);
	return r == ERR_NOMEM ? r : 0;
}

/*
 * Put HOST into the spec's URL or HOST, in OUT (ADDR_MAX bytes). A URL needs an IPv6
 * address in brackets, unless the user wrote them. Returns 0, or NO_RETRY with RES saying why.
 */
static int addr_expand(const struct health_spec *spec, const char *host, char *out, struct health_result *res)
{
	char v6[NI_MAXHOST + 2];
	int n;

	if (spec->kind == HEALTH_HTTP && host && strchr(host, ':') &&
	    !strstr(spec->url, "[" HEALTH_HOST_PLACEHOLDER "]")) {
		n = snprintf(v6, sizeof(v6), "[%s]", host);
		if (n < 0 || (size_t)n >= sizeof(v6)) {
			set_detail(res, "address longer than %d bytes", NI_MAXHOST);
			return NO_RETRY;
		}
		host = v6;
	}
	if (health_expand(spec->kind == HEALTH_HTTP ? spec->url : spec->host, host, out, ADDR_MAX) < 0) {
		set_detail(res, "%s", err_msg());
		return NO_RETRY;
	}
	return 0;
}

static int attempt(const struct health_spec *spec, const char *addr, struct http *h, struct executor *ex,
		   struct exec_session *s, struct health_result *res)
{
	switch (spec->kind) {
	case HEALTH_HTTP:
		return http_attempt(spec, h, addr, res);
	case HEALTH_TCP:
		return tcp_attempt(spec, h, addr, res);
	case HEALTH_CMD:
		return cmd_attempt(spec, ex, s, res);
	}
	set_detail(res, "unknown kind of check %d", (int)spec->kind);
	return NO_RETRY;
}

int health_run(const struct health_spec *spec, const char *host, struct http *h, struct executor *ex,
	       struct exec_session *s, struct health_result *res)
{
	char addr[ADDR_MAX];
	int64_t t0 = clock_mono_ms();
	int r = 0;

	memset(res, 0, sizeof(*res));
	addr[0] = '\0';
	if (spec->kind != HEALTH_CMD && (r = addr_expand(spec, host, addr, res)) != 0)
		res->attempts = 1;
	while (r == 0) {
		res->attempts++;
		res->ok = 0;
		res->detail[0] = '\0';
		r = attempt(spec, addr, h, ex, s, res);
		if (r != 0 || res->ok || res->attempts - 1 >= spec->retries)
			break;
		clock_sleep_ms(spec->retry_delay_ms);
	}
	res->ms = clock_mono_ms() - t0;
	return r < 0 ? r : 0;
}

json_t *health_result_json(const struct health_spec *spec, const struct health_result *res)
{
	json_t *o = json_object();

	/* json_object_set_new takes the value even when it fails, and refuses a NULL one. */
	if (!o || json_object_set_new(o, "check", json_utf8_string(spec->text, strlen(spec->text))) < 0 ||
	    json_object_set_new(o, "ok", json_boolean(res->ok)) < 0 ||
	    json_object_set_new(o, "attempts", json_integer(res->attempts)) < 0 ||
	    json_object_set_new(o, "ms", json_integer((json_int_t)res->ms)) < 0 ||
	    json_object_set_new(o, "detail", json_utf8_string(res->detail, strlen(res->detail))) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}
