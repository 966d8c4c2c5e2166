/* chimera toml-decode: read TOML on stdin and print it as toml-test's typed JSON. */
#include "cli/cli.h"
#include "formats/toml.h"
#include "util/buf.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include "util/banned.h"

/* The most we read from stdin. */
#define TOML_INPUT_MAX (64u << 20)

/* Append all of F to B. Returns 0, ERR_IO or a buf error (ERR_LIMIT past the cap). */
static int read_all(FILE *f, struct buf *b)
{
	char chunk[65536];
	size_t n;
	int r;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if ((r = buf_add(b, chunk, n)) < 0)
			return err_set(r, "input is bigger than %u bytes", TOML_INPUT_MAX);
	}
	if (ferror(f))
		return err_set_errno(ERR_IO, errno, "cannot read stdin");
	return 0;
}

static enum cmd_status cmd_toml_decode_exec(struct cli *cli, int argc, char **argv)
{
	struct buf in = BUF_INIT(TOML_INPUT_MAX), out = BUF_INIT(0);
	struct toml_doc *doc = NULL;
	enum cmd_status st = CMD_OK;

	if (argc > 1)
		return cli_usage(cli, "unexpected argument '%s'", argv[1]);
	if (read_all(stdin, &in) < 0 || toml_parse(in.data, in.len, &doc) < 0 || toml_to_json(doc, &out) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
		st = cli_fail(cli, CMD_ERROR, "cannot write stdout");
out:
	toml_doc_free(doc);
	buf_release(&in);
	buf_release(&out);
	return st;
}

const struct cmd_entry cmd_toml_decode_entry = {
	.name = "toml-decode",
	.summary = "decode TOML on stdin to toml-test's typed JSON",
	.usage = "chimera toml-decode < FILE.toml",
	.help = "Reads a TOML 1.0 document on stdin and prints it on stdout as the typed JSON of\n"
		"the toml-test suite: every scalar becomes {\"type\": ..., \"value\": ...}, tables\n"
		"objects and arrays arrays. Invalid TOML prints 'LINE:COL: what is wrong' on\n"
		"stderr.\n"
		"\n"
		"exit status: 0 decoded, 1 invalid TOML or an I/O error, 2 usage\n",
	.exec = cmd_toml_decode_exec,
};
