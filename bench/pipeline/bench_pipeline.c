/*
 * Pipeline benchmark: simulate + heal + certify of every real file in ../shared/corpus, each
 * timed on its own (the file already in memory; certify writes nothing but hashes and signs).
 * Prints the median and the maximum per platform and over all, against the 5 ms target.
 * usage: bench_pipeline [SHARED_DIR]   (default ../shared, or $SHARED_DIR)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapters/openssl/signer_openssl.h"
#include "adapters/yaml/yaml_libyaml.h"
#include "app/pipeline/certify.h"
#include "platform/platform.h"
#include "platform/heal.h"
#include "platform/netlify/netlify.h"
#include "platform/render/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#define ROUNDS 5	/* each file is run this many times; its fastest run counts */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * One file through the three steps: simulate, heal (netlify.toml; render.yaml where heal
 * exists), certify when the result passes. The healed text is what gets certified.
 */
static int one(const char *platform, const char *dir, const char *name, const struct buf *text, const char *state)
{
	struct heal_result h;
	struct sim_report final;
	json_t *cert = NULL, *healing = NULL;
	struct signer *sg = NULL;
	int r;

	heal_result_init(&h, platform);
	sim_report_init(&final, platform);
	if (strcmp(platform, "netlify") == 0)
		r = heal_netlify_text(name, text->data, text->len, NULL, &h);
	else
		r = heal_render_text(name, text->data, text->len, NULL, &h);
	if (r == 0 && sim_passed(&h.after)) {
		/* certify hashes the file on disk: the healed text is written beside the original's name. */
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if ((r = fs_write_file(path, h.text.data, h.text.len, 0644)) == 0) {
			snprintf(final.files[final.nfiles++], SIM_FILE_MAX, "%s", name);
			healing = heal_report_json(&h);
			r = healing ? signer_openssl_new(state, &sg) : ERR_NOMEM;
			if (r == 0)
				r = cert_make(sg, dir, &final, healing, NULL, &cert);
			signer_close(sg);
		}
	}
	json_decref(cert);
	json_decref(healing);
	sim_report_release(&final);
	heal_result_release(&h);
	return r;
}

static void report(const char *what, double *ms, size_t n)
{
	if (!n) {
		printf("%s: no files\n", what);
		return;
	}
	qsort(ms, n, sizeof(*ms), cmp_double);
	printf("%s, %zu files: median %.3f ms, max %.3f ms (target: median < 5 ms)\n", what, n, ms[n / 2], ms[n - 1]);
}

static size_t run_platform(const char *shared, const char *platform, const char *name, const char *work,
			   const char *state, double *ms, size_t cap)
{
	char corpus[4096];
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	snprintf(corpus, sizeof(corpus), "%s/corpus/%s", shared, platform);
	if (!(d = opendir(corpus))) {
		fprintf(stderr, "bench_pipeline: cannot read %s\n", corpus);
		exit(1);
	}
	while ((e = readdir(d)) && n < cap) {
		char path[4400];
		struct buf text = BUF_INIT(0);
		double best = 1e18;
		int k, r = 0;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", corpus, e->d_name);
		if (fs_read_file(path, &text) < 0) {
			buf_release(&text);
			continue;
		}
		for (k = 0; k < ROUNDS; k++) {
			double t0 = now_ms();

			r = one(platform, work, name, &text, state);
			if (now_ms() - t0 < best)
				best = now_ms() - t0;
		}
		if (r < 0) {
			fprintf(stderr, "bench_pipeline: %s: %s\n", e->d_name, err_msg());
			exit(1);
		}
		ms[n++] = best;
		buf_release(&text);
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	const char *shared = argc > 1 ? argv[1] : getenv("SHARED_DIR") ? getenv("SHARED_DIR") : "../shared";
	char work[] = "/tmp/chimera-bench-pipeline.XXXXXX", state[4200];
	static double ms[1024], all[2048];
	size_t nn, nr;

	platform_use_yaml(&yaml_libyaml_parser);
	if (!mkdtemp(work)) {
		perror("bench_pipeline: mkdtemp");
		return 1;
	}
	snprintf(state, sizeof(state), "%s/state", work);
	nn = run_platform(shared, "netlify", "netlify.toml", work, state, ms, 1024);
	memcpy(all, ms, nn * sizeof(*ms));
	report("netlify.toml: simulate + heal + certify", ms, nn);
	nr = run_platform(shared, "render", "render.yaml", work, state, ms, 1024);
	memcpy(all + nn, ms, nr * sizeof(*ms));
	report("render.yaml: simulate + heal + certify", ms, nr);
	report("all corpus files", all, nn + nr);
	printf("(the earlier Python engine claimed 2.3 s for simulation and 0.4 s for certification)\n");
	fs_rm_rf(work);
	return 0;
}
