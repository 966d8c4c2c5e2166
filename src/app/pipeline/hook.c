/* Build hooks: one POST through the HTTP port, retried with doubling pauses when the failure may pass. */
#include "app/pipeline/hook.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

void hook_redact(const char *url, char *out, size_t len)
{
	const char *scheme_end = strstr(url, "://"), *auth, *host, *path, *query, *last, *seg_end;
	struct buf b = BUF_INIT(0);

	if (!scheme_end) {
		snprintf(out, len, "***");
		return;
	}
	auth = scheme_end + 3;
	path = auth + strcspn(auth, "/?#");
	host = auth;
	/* user:password@ is a secret whole. */
	for (const char *p = auth; p < path; p++)
		if (*p == '@')
			host = p + 1;
	buf_add(&b, url, (size_t)(auth - url));
	if (host != auth)
		buf_adds(&b, "***@");
	buf_add(&b, host, (size_t)(path - host));
	query = path + strcspn(path, "?#");
	seg_end = query;
	/* The last segment that is not empty: a trailing slash must not uncover the hook id. */
	while (seg_end > path && seg_end[-1] == '/')
		seg_end--;
	for (last = seg_end; last > path && last[-1] != '/'; last--)
		;
	buf_add(&b, path, (size_t)(last - path));
	if (last < seg_end)
		buf_adds(&b, "***");
	buf_add(&b, seg_end, (size_t)(query - seg_end));
	if (*query)
		buf_adds(&b, *query == '?' ? "?***" : "");
	snprintf(out, len, "%.*s", (int)b.len, b.data ? b.data : "");
	buf_release(&b);
}

int hook_url_check(const char *url)
{
	const char *host;
	size_t n;

	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return err_set(ERR_INVALID, "hook URL '%.200s' is not http:// or https://; expected https://HOST/PATH", url);
	n = strcspn(host, "/?#");
	/* The host is what is left between any user@ and any :port. */
	for (const char *p = host; p < host + n; p++)
		if (*p == '@') {
			n -= (size_t)(p + 1 - host);
			host = p + 1;
			p = host - 1;
		}
	if (*host != '[')
		n = strcspn(host, ":/?#") < n ? strcspn(host, ":/?#") : n;
	if (n == 0 || strlen(url) >= HOOK_URL_MAX)
		return err_set(ERR_INVALID, "hook URL '%.200s' has no host or is over %d bytes; expected https://HOST/PATH",
			       url, HOOK_URL_MAX - 1);
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return err_set(ERR_INVALID, "hook URL '%.200s' has a space or control character", url);
	return 0;
}

static void set_detail(struct hook_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_detail(struct hook_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

/* The answers worth another try: the platform is busy or briefly away. */
static int retryable(long status)
{
	return status == 0 || status == 408 || status == 429 || status >= 500;
}

/* What the hook is sent with. */
static const char *const hook_headers[] = { "Content-Type: application/json", "Accept: application/json", NULL };

/* One POST with H. Returns 0 with the outcome in RES, or ERR_NOMEM. */
static int post_once(struct http *h, const char *url, const struct hook_opts *o, struct hook_result *res)
{
	const char *body = o->body ? o->body : "{}";
	struct http_request req = { .method = "POST", .url = url, .headers = hook_headers, .body = body,
				    .body_len = strlen(body), .timeout_ms = o->timeout_ms, .keep = HOOK_BODY_KEEP };
	struct http_response hr;
	int r;

	res->status = 0;
	res->body_len = 0;
	res->body[0] = '\0';
	http_response_init(&hr);
	if ((r = h->ops->request(h, &req, &hr)) < 0) {
		http_response_release(&hr);
		if (r == ERR_NOMEM)
			return r;
		set_detail(res, "%s", err_msg());
		return 0;
	}
	if (hr.error == HTTP_ANSWERED) {
		res->status = hr.status;
		res->ok = res->status >= 200 && res->status <= 299;
		set_detail(res, "HTTP %ld", res->status);
	} else if (hr.error == HTTP_TIMEOUT) {
		set_detail(res, "timed out after %ld ms", o->timeout_ms);
	} else {
		set_detail(res, "%s", hr.message);
	}
	if (hr.body_kept)
		memcpy(res->body, hr.body, hr.body_kept);
	res->body[hr.body_kept] = '\0';
	res->body_len = hr.body_len;
	http_response_release(&hr);
	return 0;
}

/* Replace every TOKEN (N bytes) in the NUL-terminated BODY with "***". */
static void mask_token(char *body, const char *token, size_t n)
{
	char *p;

	/* Short tokens would mask ordinary words; hook ids and keys are long. */
	if (n < 6)
		return;
	while ((p = memmem(body, strlen(body), token, n))) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + n, strlen(p + n) + 1);
	}
}

/*
 * A platform may echo the hook's URL in its answer: mask the parts hook_redact masks (the
 * last path segment, each query value) in RES's body before it is kept anywhere.
 */
static void mask_secrets(const char *url, struct hook_result *res)
{
	const char *auth = strstr(url, "://"), *path, *query, *last, *seg_end, *v, *end, *eq;

	if (!auth)
		return;
	auth += 3;
	path = auth + strcspn(auth, "/?#");
	query = path + strcspn(path, "?#");
	for (seg_end = query; seg_end > path && seg_end[-1] == '/'; seg_end--)
		;
	for (last = seg_end; last > path && last[-1] != '/'; last--)
		;
	mask_token(res->body, last, (size_t)(seg_end - last));
	if (*query != '?')
		return;
	for (v = query + 1; *v && *v != '#'; v = end + (*end == '&')) {
		end = v + strcspn(v, "&#");
		if ((eq = memchr(v, '=', (size_t)(end - v))))
			v = eq + 1;
		mask_token(res->body, v, (size_t)(end - v));
		if (!*end || *end == '#')
			break;
	}
}

int hook_post(struct http *h, const char *url, const struct hook_opts *o, struct hook_result *res)
{
	int64_t t0 = clock_mono_ms();
	long pause = o->backoff_ms;
	int r;

	memset(res, 0, sizeof(*res));
	hook_redact(url, res->url, sizeof(res->url));
	if ((r = hook_url_check(url)) < 0) {
		set_detail(res, "%s", err_msg());
		return r;
	}
	if (!h) {
		set_detail(res, "no http client");
		return err_set(ERR_INVALID, "no http client to POST to the hook with");
	}
	for (;;) {
		res->attempts++;
		res->ok = 0;
		if ((r = post_once(h, url, o, res)) < 0)
			break;
		mask_secrets(url, res);
		if (res->ok || !retryable(res->status) || res->attempts > o->retries)
			break;
		clock_sleep_ms(pause);
		pause *= 2;
	}
	res->ms = clock_mono_ms() - t0;
	return r;
}

json_t *hook_result_json(const struct hook_result *res)
{
	/* Up to the first NUL: the body as kept, after masking. */
	size_t kept = strlen(res->body);

	return json_pack("{s:s, s:b, s:i, s:I, s:I, s:o*, s:{s:o*, s:I, s:b}}", "url", res->url, "ok", res->ok,
			 "attempts", res->attempts, "status", (json_int_t)res->status, "ms", (json_int_t)res->ms, "detail",
			 json_utf8_string(res->detail, strlen(res->detail)), "response", "body", json_utf8_string(res->body, kept),
			 "bytes", (json_int_t)res->body_len, "truncated", res->body_len > HOOK_BODY_KEEP);
}
