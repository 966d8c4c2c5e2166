/* The render.yaml simulator: UTF-8, the parse through the YAML port, issue order and the entry points. */
#include "platform/render/check.h"
#include "util/banned.h"

const char *const rnd_plans[] = {
	"free", "starter", "standard", "pro", "pro plus", "pro max", "pro ultra",
	"basic-256mb", "basic-1gb", "basic-4gb", "pro-4gb", "pro-8gb", "pro-16gb", "pro-32gb",
	"pro-64gb", "pro-128gb", "pro-192gb", "pro-256gb", "pro-384gb", "pro-512gb",
	"accelerated-16gb", "accelerated-32gb", "accelerated-64gb", "accelerated-128gb",
	"accelerated-256gb", "accelerated-384gb", "accelerated-512gb", "accelerated-768gb",
	"accelerated-1024gb", NULL,
};

const char *const rnd_generations[] = { "automatic", "manual", "off", NULL };

const char *const rnd_on_off[] = { "enabled", "disabled", NULL };

/* ---- parsing ---- */

/* The length of the UTF-8 sequence at S (N bytes left), or 0 when it is not valid UTF-8. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * RND-YAML-1 for bytes that are not UTF-8: YAML loaders refuse them, and the port takes UTF-8
 * only (libfyaml 0.7.12, the parser before libyaml, looped forever on some), so they never reach it.
 */
static bool utf8_ok(struct ctx *c)
{
	const unsigned char *s = (const unsigned char *)c->text;
	size_t i = 0, k;
	int line = 1, col = 1;

	while (i < c->len) {
		if (!(k = utf8_len(s + i, c->len - i))) {
			if (sim_add(c->rep, RND_ID(RND_YAML_1), SIM_CRITICAL, c->file, line, col, SIM_FIX_NONE, NULL,
				    "the file is not UTF-8 (byte 0x%02x)", s[i]) < 0)
				c->err = ERR_NOMEM;
			return false;
		}
		if (s[i] == '\n')
			line++, col = 1;
		else
			col++;
		i += k;
	}
	return true;
}

/* Parse the text with the wired YAML parser and check the first document; RND-YAML-1 for what stops a parse. */
static int simulate(struct ctx *c)
{
	const struct yaml_parser *yp = platform_yaml();
	struct yaml_doc doc;
	int r = 0;

	memset(&doc, 0, sizeof(doc));
	if (!yp)
		return err_set(ERR_UNSUPPORTED, "no YAML parser: the program did not wire one (platform_use_yaml)");
	if (!utf8_ok(c))
		goto out;
	if ((r = yp->parse(c->text, c->len, &doc)) < 0)
		goto out;
	if (doc.failed) {
		rnd_syntax_issue(c, &doc);
		goto out;
	}
	if (!doc.root) {
		rnd_issue(c, NULL, RND_YAML_1, SIM_CRITICAL, SIM_FIX_NONE, NULL, "the file holds no YAML document");
		goto out;
	}
	if (doc.has_next)
		rnd_issue(c, doc.next_root, RND_YAML_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "render.yaml must hold a single YAML document; this one follows the first");
	if (!yaml_is_mapping(doc.root)) {
		rnd_issue(c, doc.root, RND_YAML_1, SIM_CRITICAL, SIM_FIX_NONE, NULL,
		      "the root must be a mapping (services:, databases:, ...), not %s", rnd_shape_name(doc.root));
		goto out;
	}
	rnd_walk(c, doc.root, 0);
	rnd_check_root(c, doc.root);
out:
	yp->release(&doc);
	return r;
}

static int place_cmp(const void *a, const void *b)
{
	const struct place *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Put the issues from FROM on in file order; the order checks ran in means nothing to a reader. */
static void sort_issues(struct sim_report *rep, size_t from)
{
	size_t n = rep->n - from, i;
	struct place *o;
	struct sim_issue *tmp;

	if (n < 2)
		return;
	o = malloc(n * sizeof(*o));
	tmp = malloc(n * sizeof(*tmp));
	if (o && tmp) {
		for (i = 0; i < n; i++)
			o[i] = (struct place){ rep->issues[from + i].line, rep->issues[from + i].col, from + i };
		qsort(o, n, sizeof(*o), place_cmp);
		for (i = 0; i < n; i++)
			tmp[i] = rep->issues[o[i].idx];
		memcpy(rep->issues + from, tmp, n * sizeof(*tmp));
	}
	free(o);
	free(tmp);
}

int sim_render_text(const char *file, const char *rnd_text, size_t len, const char *dir, struct sim_report *rep)
{
	struct ctx c;
	int64_t t0 = clock_mono_us();
	size_t first = rep->n, i;
	int r, w;

	(void)dir;
	memset(&c, 0, sizeof(c));
	c.rep = rep;
	c.file = file;
	c.text = rnd_text ? rnd_text : "";
	c.len = rnd_text ? len : 0;
	r = simulate(&c);
	for (i = 0; i < c.nscopes; i++) {
		for (w = 0; w < 3; w++)
			rnd_ents_free(&c.scopes[i].names[w]);
		rnd_ents_free(&c.scopes[i].group_refs);
	}
	free(c.scopes);
	rnd_ents_free(&c.tmp);
	sort_issues(rep, first);
	rep->us += clock_mono_us() - t0;
	if (!r && c.err)
		r = err_set(ERR_NOMEM, "out of memory");
	return r;
}

int sim_render(const char *dir, struct sim_report *rep)
{
	char path[4096], alt[4096];
	struct buf b = BUF_INIT(FILE_MAX);
	int r;

	snprintf(path, sizeof(path), "%s/render.yaml", dir);
	r = fs_read_file(path, &b);
	if (r == ERR_NOTFOUND) {
		snprintf(alt, sizeof(alt), "%s/render.yml", dir);
		if (fs_exists(alt))
			r = err_set(ERR_NOTFOUND, "no such file '%s': Render does not read '%s', rename it",
				    path, alt);
	} else if (r == ERR_LIMIT) {
		r = err_set(ERR_LIMIT, "'%s' is larger than %u MiB", path, FILE_MAX >> 20);
	}
	if (r == 0) {
		if (rep->nfiles < sizeof(rep->files) / sizeof(rep->files[0]))
			snprintf(rep->files[rep->nfiles++], sizeof(rep->files[0]), "render.yaml");
		r = sim_render_text("render.yaml", b.data, b.len, NULL, rep);
	}
	buf_release(&b);
	return r;
}
