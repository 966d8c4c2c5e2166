/*
 * The pipeline's gate before deploying: a certificate that no longer holds (a file edited
 * after certifying, a changed certificate) stops the deploy before the hook is contacted.
 * Real files, real signatures, and a listening socket that tells whether anyone connected.
 */
#include "check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapters/curl/http_curl.h"
#include "adapters/openssl/signer_openssl.h"
#include "app/pipeline/platforms.h"
#include "util/fs.h"

static const char site[] = "[build]\n  command = \"hugo\"\n  publish = \"public\"\n";

struct fixture {
	char dir[4096];
	char file[4200];
	char state[4200];
	char cert[4200];
	char url[128];
	int lfd;
	struct http *http;
	struct signer *signer;
	struct pl_config cfg;
	struct pl_platform pp;
	struct pipeline p;
};

/* A socket listening on 127.0.0.1 that nothing answers: the hook's address. */
static int listener(char *url, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	snprintf(url, len, "http://127.0.0.1:%u/build_hooks/0123456789abcdef", ntohs(a.sin_port));
	return fd;
}

/* True when someone connected to the listener since the last call. */
static bool contacted(int fd)
{
	int c = accept(fd, NULL, NULL);

	if (c < 0) {
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		return false;
	}
	close(c);
	return true;
}

static int setup(void **state)
{
	const char *tmp = getenv("CHIMERA_TEST_TMP");
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fs_mkdir_p(tmp && *tmp ? tmp : "/tmp", 0700);
	snprintf(f->dir, sizeof(f->dir), "%s/gate-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->file, sizeof(f->file), "%s/netlify.toml", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	snprintf(f->cert, sizeof(f->cert), "%s/chimera-certificate.json", f->dir);
	assert_int_equal(fs_write_file(f->file, site, sizeof(site) - 1, 0644), 0);
	f->lfd = listener(f->url, sizeof(f->url));
	assert_int_equal(http_curl_new(&f->http), 0);
	assert_int_equal(signer_openssl_new(f->state, &f->signer), 0);
	f->cfg = (struct pl_config){ .platform = "netlify", .dir = f->dir, .signer = f->signer, .cert_file = f->cert,
				     .hook_url = f->url, .http = f->http,
				     .hook = { .timeout_ms = 300, .retries = 0, .backoff_ms = 0 } };
	pl_platform_init(&f->pp, &f->cfg);
	f->p.ops = pl_platform_ops("netlify");
	f->p.platform = &f->pp;
	f->p.dir = f->dir;
	snprintf(f->p.id, sizeof(f->p.id), "01M82Y0000000000000000TEST");
	/* Simulated and certified, as the pipeline would before DEPLOYING. */
	assert_int_equal(f->p.ops->simulate(&f->p), PL_OK);
	json_decref(f->p.stage);
	f->p.stage = NULL;
	assert_int_equal(f->p.ops->certify(&f->p), PL_OK);
	json_decref(f->p.stage);
	f->p.stage = NULL;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	json_decref(f->p.stage);
	pl_platform_release(&f->pp);
	close(f->lfd);
	http_close(f->http);
	signer_close(f->signer);
	fs_rm_rf(f->dir);
	free(f);
	return 0;
}

/* The positive control: with the certificate holding, the hook is contacted. */
static void test_certified_is_posted(void **state)
{
	struct fixture *f = *state;

	assert_false(contacted(f->lfd));
	/* Nobody answers, so the POST times out; what matters is that it was made. */
	f->p.ops->deploy(&f->p);
	assert_int_equal(f->pp.hook.attempts, 1);
	assert_true(contacted(f->lfd));
}

static void test_edited_file_is_refused(void **state)
{
	struct fixture *f = *state;
	static const char edited[] = "[build]\n  command = \"rm -rf /\"\n  publish = \"public\"\n";

	assert_int_equal(fs_write_file(f->file, edited, sizeof(edited) - 1, 0644), 0);
	assert_int_equal(f->p.ops->deploy(&f->p), PL_FAILED);
	assert_contains(f->p.reason, "refused to deploy");
	assert_contains(f->p.reason, "netlify.toml changed since it was certified");
	assert_int_equal(f->pp.hook.attempts, 0);
	assert_false(contacted(f->lfd));
	assert_null(f->p.stage);
}

static void test_changed_certificate_is_refused(void **state)
{
	struct fixture *f = *state;

	/* The certificate in hand altered after signing: its signature no longer holds. */
	json_object_set_new(f->pp.cert, "artifact", json_string("/nix/store/00000000000000000000000000000000-x"));
	assert_int_equal(f->p.ops->deploy(&f->p), PL_FAILED);
	assert_contains(f->p.reason, "the signature does not match");
	assert_false(contacted(f->lfd));
}

static void test_no_certificate_is_refused(void **state)
{
	struct fixture *f = *state;

	json_decref(f->pp.cert);
	f->pp.cert = NULL;
	assert_int_equal(f->p.ops->deploy(&f->p), PL_FAILED);
	assert_contains(f->p.reason, "refused to deploy: no certificate");
	assert_false(contacted(f->lfd));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_certified_is_posted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edited_file_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_certificate_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_certificate_is_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
