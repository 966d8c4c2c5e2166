/* Build hooks through a fake HTTP port: what is sent, when it is retried, what is kept and masked. */
#include "check.h"

#include <stdlib.h>

#include "app/pipeline/hook.h"
#include "util/err.h"

#define ANSWERS_MAX 8

/* A fake HTTP port that answers from a script and records each request. */
struct fake_http {
	struct http base;
	struct http_response answers[ANSWERS_MAX];	/* one per request; the last one repeats */
	const char *bodies[ANSWERS_MAX];		/* the body each answer carries; may be NULL */
	int nanswers;
	int requests;
	char method[16], url[512], body[512], headers[256];
	long timeout_ms;
	size_t keep;
};

static int fake_request(struct http *h, const struct http_request *req, struct http_response *res)
{
	struct fake_http *f = (struct fake_http *)h;
	int i = f->requests < f->nanswers ? f->requests : f->nanswers - 1;
	const char *body = f->bodies[i];
	size_t k;

	f->requests++;
	snprintf(f->method, sizeof(f->method), "%s", req->method);
	snprintf(f->url, sizeof(f->url), "%s", req->url);
	snprintf(f->body, sizeof(f->body), "%.*s", (int)req->body_len, req->body);
	f->headers[0] = '\0';
	for (k = 0; req->headers && req->headers[k]; k++)
		snprintf(f->headers + strlen(f->headers), sizeof(f->headers) - strlen(f->headers), "%s|", req->headers[k]);
	f->timeout_ms = req->timeout_ms;
	f->keep = req->keep;
	*res = f->answers[i];
	if (body) {
		size_t len = strlen(body), kept = len < req->keep ? len : req->keep;

		res->body = malloc(kept + 1);
		assert_non_null(res->body);
		memcpy(res->body, body, kept);
		res->body[kept] = '\0';
		res->body_kept = kept;
		res->body_len = len;
	}
	return 0;
}

static const struct http_ops fake_ops = { .name = "fake", .request = fake_request };

static void fake_init(struct fake_http *f)
{
	memset(f, 0, sizeof(*f));
	f->base.ops = &fake_ops;
}

static void answer(struct fake_http *f, long status, enum http_error e, const char *msg, const char *body)
{
	struct http_response *r = &f->answers[f->nanswers];

	r->status = status;
	r->error = e;
	snprintf(r->message, sizeof(r->message), "%s", msg ? msg : "");
	f->bodies[f->nanswers++] = body;
}

static const struct hook_opts fast = { .timeout_ms = 1500, .retries = 3, .backoff_ms = 1, .body = "{\"a\":1}" };

static void test_post_sent(void **state)
{
	struct fake_http f;
	struct hook_result res;

	fake_init(&f);
	answer(&f, 201, HTTP_ANSWERED, NULL, "{\"id\":\"x\"}");
	assert_int_equal(hook_post(&f.base, "https://api.netlify.com/build_hooks/abcdef123456", &fast, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.attempts, 1);
	assert_int_equal(res.status, 201);
	assert_string_equal(res.detail, "HTTP 201");
	assert_string_equal(res.url, "https://api.netlify.com/build_hooks/***");
	assert_string_equal(res.body, "{\"id\":\"x\"}");
	assert_string_equal(f.method, "POST");
	assert_string_equal(f.url, "https://api.netlify.com/build_hooks/abcdef123456");
	assert_string_equal(f.body, "{\"a\":1}");
	assert_string_equal(f.headers, "Content-Type: application/json|Accept: application/json|");
	assert_int_equal(f.timeout_ms, 1500);
	assert_int_equal(f.keep, HOOK_BODY_KEEP);

	/* No body given: "{}". */
	fake_init(&f);
	answer(&f, 200, HTTP_ANSWERED, NULL, NULL);
	assert_int_equal(hook_post(&f.base, "http://h/x", &(struct hook_opts){ .timeout_ms = 1 }, &res), 0);
	assert_string_equal(f.body, "{}");
}

/* Busy or away: retried; a wrong request: not. */
static void test_retries(void **state)
{
	struct fake_http f;
	struct hook_result res;

	fake_init(&f);
	answer(&f, 0, HTTP_CONNECT, "Failed to connect to h port 1: Connection refused", NULL);
	answer(&f, 503, HTTP_ANSWERED, NULL, NULL);
	answer(&f, 0, HTTP_TIMEOUT, "Operation timed out", NULL);
	answer(&f, 202, HTTP_ANSWERED, NULL, NULL);
	assert_int_equal(hook_post(&f.base, "http://h/hook", &fast, &res), 0);
	assert_true(res.ok);
	assert_int_equal(res.attempts, 4);
	assert_int_equal(f.requests, 4);

	fake_init(&f);
	answer(&f, 404, HTTP_ANSWERED, NULL, NULL);
	assert_int_equal(hook_post(&f.base, "http://h/hook", &fast, &res), 0);
	assert_false(res.ok);
	assert_int_equal(res.attempts, 1);
	assert_string_equal(res.detail, "HTTP 404");

	/* Out of retries: the last failure is what is reported. */
	fake_init(&f);
	answer(&f, 0, HTTP_TIMEOUT, "Operation timed out", NULL);
	assert_int_equal(hook_post(&f.base, "http://h/hook", &fast, &res), 0);
	assert_false(res.ok);
	assert_int_equal(res.attempts, 4);
	assert_string_equal(res.detail, "timed out after 1500 ms");
	fake_init(&f);
	answer(&f, 0, HTTP_CONNECT, "Failed to connect to h port 1: Connection refused", NULL);
	assert_int_equal(hook_post(&f.base, "http://h/hook", &(struct hook_opts){ .timeout_ms = 5 }, &res), 0);
	assert_int_equal(res.attempts, 1);
	assert_string_equal(res.detail, "Failed to connect to h port 1: Connection refused");
}

/* The hook's secret parts echoed in the answer are masked before anything keeps them. */
static void test_body_masked(void **state)
{
	struct fake_http f;
	struct hook_result res;

	fake_init(&f);
	answer(&f, 400, HTTP_ANSWERED, NULL, "no service srv-abc123 for key s3cr3tkey");
	assert_int_equal(hook_post(&f.base, "https://api.render.com/deploy/srv-abc123?key=s3cr3tkey", &fast, &res), 0);
	assert_string_equal(res.body, "no service *** for key ***");
	assert_int_equal(res.body_len, strlen("no service srv-abc123 for key s3cr3tkey"));
}

static void test_refused_before_sending(void **state)
{
	struct fake_http f;
	struct hook_result res;

	fake_init(&f);
	answer(&f, 200, HTTP_ANSWERED, NULL, NULL);
	assert_int_equal(hook_post(&f.base, "ftp://h/hook", &fast, &res), ERR_INVALID);
	assert_int_equal(f.requests, 0);
	assert_int_equal(hook_post(NULL, "http://h/hook", &fast, &res), ERR_INVALID);
	assert_string_equal(res.detail, "no http client");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post_sent),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_body_masked),
		cmocka_unit_test(test_refused_before_sending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
