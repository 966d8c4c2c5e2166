/* chimera secrets: age-encrypted secrets in the state dir, their grants, and the push to nodes. */
#include "app/fleet/secrets.h"
#include "app/fleet/secrets_push.h"
#include "cli/cli.h"
#include "cli/fleet_opts.h"
#include "formats/age.h"
#include "util/clock.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "util/banned.h"

enum { OPT_FILE = 2000, OPT_OWNER, OPT_DIR };

/* The cipher the store runs on: the opened world's. */
static const struct cipher *secrets_cipher(struct cli *cli)
{
	return world_cipher(&cli->world);
}

/* A failure of the store: exit 1, the message names the secret or file. */
static enum cmd_status fail(struct cli *cli)
{
	return cli_fail(cli, CMD_ERROR, "%s", err_msg());
}

/*
 * How a subcommand opens the store in the state dir: to read it under a shared lock; to
 * change it (the ledger takes the events); or for the admin key alone (made on first use,
 * no events).
 */
enum store_mode { STORE_READ, STORE_CHANGE, STORE_KEY };

/* What a subcommand does on the opened store, with its operands ARG: the status to exit with, printed. */
typedef enum cmd_status (*store_fn)(struct cli *cli, struct secrets_store *st, const void *arg);

/* Open the store in MODE, run FN on it with ARG and close it: FN's status, or the store's failure printed. */
static enum cmd_status on_store(struct cli *cli, enum store_mode mode, store_fn fn, const void *arg)
{
	struct secrets_store st;
	struct ledger *ledger = NULL;
	enum cmd_status s;
	int r = 0;

	memset(&st, 0, sizeof(st));
	st.lock_fd = -1;
	if (mode == STORE_CHANGE)
		r = cli_open_ledger(cli, &ledger);
	if (r == 0)
		r = cli_state_dir(cli);
	if (r == 0)
		r = mode == STORE_READ ? secrets_open_read(&st, cli->state_dir, secrets_cipher(cli))
				       : secrets_open(&st, cli->state_dir, secrets_cipher(cli), ledger);
	s = r < 0 ? fail(cli) : fn(cli, &st, arg);
	secrets_close(&st);
	ledger_close(ledger);
	return s;
}

/* Print a one-line result, or DOC (the change's JSON from app/, freed here) with --json. */
static void say_ok(struct cli *cli, char *doc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say_ok(struct cli *cli, char *doc, const char *fmt, ...)
{
	va_list ap;

	if (cli->json) {
		cli_print_json_text(doc);
		return;
	}
	free(doc);
	if (cli->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Parse the options of subcommand ARGV[0] that take a file, leaving the operands from *FIRST. */
static int parse_simple(struct cli *cli, int argc, char **argv, const char **file, int *first)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, OPT_FILE },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		if ((c == OPT_FILE || c == 'f') && file) {
			*file = optarg;
			continue;
		}
		return cli_usage(cli, "%s for 'secrets %s'", cli_bad_option(argv, opts), argv[0]);
	}
	*first = optind;
	return 0;
}

/*
 * parse_simple without --file, then exactly WANT operands (else the usage error USAGE).
 * Returns 0 with the first operand's index in *FIRST, or the status to exit with, printed.
 */
static int parse_operands(struct cli *cli, int argc, char **argv, int want, const char *usage, int *first)
{
	int r;

	if ((r = parse_simple(cli, argc, argv, NULL, first)) != 0)
		return r;
	if (argc - *first != want)
		return cli_usage(cli, "%s", usage);
	return 0;
}

/* parse_operands for one well-formed secret NAME: 0 with *NAME, or the status to exit with, printed. */
static int parse_name(struct cli *cli, int argc, char **argv, const char **name)
{
	int first, r;

	if ((r = parse_operands(cli, argc, argv, 1, "expected one secret NAME", &first)) != 0)
		return r;
	*name = argv[first];
	/* A bad name is bad input: a usage error (exit 2), before the store is opened. */
	return secrets_name_check(*name) < 0 ? (int)cli_usage(cli, "%s", err_msg()) : 0;
}

/* set and import: the value read, for the store. */
struct set_args {
	const char *name;
	const uint8_t *value;
	size_t len;
	bool import;
};

static enum cmd_status run_set(struct cli *cli, struct secrets_store *st, const void *arg)
{
	const struct set_args *a = arg;

	if ((a->import ? secrets_import(st, a->name, a->value, a->len) : secrets_set(st, a->name, a->value, a->len)) < 0)
		return fail(cli);
	say_ok(cli, secrets_set_json(a->name, a->import), "%s secret '%s'", a->import ? "imported" : "set", a->name);
	return CMD_OK;
}

static enum cmd_status do_set(struct cli *cli, int argc, char **argv, bool import)
{
	const char *file = NULL, *name;
	uint8_t *value = NULL;
	size_t len = 0;
	enum cmd_status s;
	int first, fd, r;

	if ((r = parse_simple(cli, argc, argv, import ? NULL : &file, &first)) != 0)
		return (enum cmd_status)r;
	if (argc - first != (import ? 2 : 1))
		return cli_usage(cli, import ? "expected NAME FILE" : "expected one secret NAME");
	name = argv[first];
	if (import)
		file = argv[first + 1];
	if (secrets_name_check(name) < 0)
		return cli_usage(cli, "%s", err_msg());	/* bad input: exit 2 */
	if (file) {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
			return cli_fail(cli, CMD_ERROR, "cannot read '%s': %s", file, strerror(errno));
		r = secrets_read_fd(fd, import ? SECRETS_VALUE_MAX * 2 : SECRETS_VALUE_MAX, &value, &len);
		close(fd);
	} else {
		r = secrets_read_fd(0, SECRETS_VALUE_MAX, &value, &len);
	}
	if (r < 0)
		return cli_fail(cli, CMD_ERROR, "reading the value of '%s' from %s: %s", name, file ? file : "stdin",
				err_msg());
	s = on_store(cli, STORE_CHANGE, run_set, &(struct set_args){ name, value, len, import });
	age_free(value, len);
	return s;
}

static enum cmd_status run_get(struct cli *cli, struct secrets_store *st, const void *arg)
{
	const char *name = arg;
	uint8_t *value = NULL;
	size_t len = 0;
	bool written;
	int e;

	if (secrets_get(st, name, &value, &len) < 0)
		return fail(cli);
	if (cli->json) {
		size_t size = 0;
		char *doc = secrets_value_json(name, value, len, &size);

		if (!doc) {
			age_free(value, len);
			return cli_fail(cli, CMD_ERROR, "out of memory");
		}
		printf("%s\n", doc);
		age_free(doc, size);
		written = true;
	} else {
		written = !len || fwrite(value, 1, len, stdout) == len;
	}
	written = written && fflush(stdout) == 0;
	e = errno;
	age_free(value, len);
	if (!written)
		return cli_fail(cli, CMD_ERROR, "cannot write secret '%s' to stdout: %s", name, strerror(e));
	return CMD_OK;
}

static enum cmd_status do_get(struct cli *cli, int argc, char **argv)
{
	const char *name;
	int r;

	if ((r = parse_name(cli, argc, argv, &name)) != 0)
		return (enum cmd_status)r;
	return on_store(cli, STORE_READ, run_get, name);
}

static void print_list(const struct cli *cli, const struct secrets_store *st, const struct secrets_entry *e, size_t n)
{
	size_t i, j;

	if (n == 0 && !cli->quiet)
		printf("no secrets in %s\n", st->dir);
	if (n)
		printf("%-24s %8s  %-20s  %s\n", "NAME", "SIZE", "MODIFIED", "GRANTED TO");
	for (i = 0; i < n; i++) {
		char when[CLOCK_UTC_LEN], size[32];

		clock_format_utc(e[i].mtime * 1000, when);
		when[19] = '\0';
		cli_bytes(e[i].size, size, sizeof(size));
		printf("%-24s %8s  %-20s  ", e[i].name, size, when);
		for (j = 0; j < e[i].ngrants; j++)
			printf("%s%s", j ? "," : "", e[i].grants[j]);
		printf("%s\n", e[i].ngrants ? "" : "-");
	}
}

static enum cmd_status run_list(struct cli *cli, struct secrets_store *st, const void *arg)
{
	struct secrets_entry *e = NULL;
	size_t n = 0;

	if (secrets_list(st, &e, &n) < 0)
		return fail(cli);
	if (cli->json)
		cli_print_json_text(secrets_list_json(e, n));
	else
		print_list(cli, st, e, n);
	secrets_list_free(e, n);
	return CMD_OK;
}

static enum cmd_status run_rm(struct cli *cli, struct secrets_store *st, const void *arg)
{
	if (secrets_rm(st, arg) < 0)
		return fail(cli);
	say_ok(cli, secrets_rm_json(arg), "removed secret '%s'", (const char *)arg);
	return CMD_OK;
}

static enum cmd_status do_rm(struct cli *cli, int argc, char **argv)
{
	const char *name;
	int r;

	if ((r = parse_name(cli, argc, argv, &name)) != 0)
		return (enum cmd_status)r;
	return on_store(cli, STORE_CHANGE, run_rm, name);
}

/* grant and revoke: the secret and the targets' keys. */
struct grant_args {
	const char *name;
	const char *const *keys;
	size_t n;
	bool grant;
};

static enum cmd_status run_grant(struct cli *cli, struct secrets_store *st, const void *arg)
{
	const struct grant_args *a = arg;
	size_t changed = 0;

	if ((a->grant ? secrets_grant(st, a->name, a->keys, a->n, &changed)
		      : secrets_revoke(st, a->name, a->keys, a->n, &changed)) < 0)
		return fail(cli);
	say_ok(cli, secrets_grant_json(a->name, a->keys, a->n, a->grant, changed), "%s '%s' %s %zu target%s (%zu %s)",
	       a->grant ? "granted" : "revoked", a->name, a->grant ? "to" : "from", a->n, a->n == 1 ? "" : "s", changed,
	       a->grant ? "new" : "removed");
	return CMD_OK;
}

/* grant / revoke NAME -t SEL: the targets' keys (machine names or user@host:port). */
static enum cmd_status do_grant(struct cli *cli, int argc, char **argv, bool grant)
{
	static const struct option opts[] = {
		{ "targets", required_argument, NULL, 't' },
		{ "targets-file", required_argument, NULL, FLEET_OPT_TARGETS_FILE },
		{ "exclude", required_argument, NULL, FLEET_OPT_EXCLUDE },
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = NULL, *tfile = NULL, *exclude = NULL;
	struct target_list tl;
	const struct inventory *inv = NULL;
	char **keys = NULL;
	size_t i;
	enum cmd_status s = CMD_ERROR;
	int c, r;

	target_list_init(&tl);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		switch (c) {
		case 't': spec = optarg; break;
		case FLEET_OPT_TARGETS_FILE: tfile = optarg; break;
		case FLEET_OPT_EXCLUDE: exclude = optarg; break;
		default: return cli_usage(cli, "%s for 'secrets %s'", cli_bad_option(argv, opts), argv[0]);
		}
	}
	if (argc - optind != 1)
		return cli_usage(cli, "expected one secret NAME");
	if (!spec && !tfile)
		return cli_usage(cli, "no targets: give -t TARGETS or --targets-file FILE");
	if (secrets_name_check(argv[optind]) < 0)
		return fail(cli);
	if ((r = cli_targets(cli, spec, exclude, tfile, &tl)) < 0) {
		s = r == ERR_INVALID ? cli_usage(cli, "%s", err_msg()) : fail(cli);
		goto out;
	}
	if ((r = cli_inventory(cli, &inv)) < 0) {
		s = fail(cli);
		goto out;
	}
	if (!(keys = calloc(tl.n ? tl.n : 1, sizeof(*keys)))) {
		s = cli_fail(cli, CMD_ERROR, "out of memory");
		goto out;
	}
	for (i = 0; i < tl.n; i++) {
		if (!(keys[i] = malloc(SECRETS_KEY_MAX + 1))) {
			s = cli_fail(cli, CMD_ERROR, "out of memory");
			goto out;
		}
		secrets_target_key(inv, &tl.items[i], keys[i], SECRETS_KEY_MAX + 1);
	}
	s = on_store(cli, STORE_CHANGE, run_grant,
		     &(struct grant_args){ argv[optind], (const char *const *)keys, tl.n, grant });
out:
	if (keys)
		secrets_strv_free(keys, tl.n);
	target_list_release(&tl);
	return s;
}

static enum cmd_status run_rotate(struct cli *cli, struct secrets_store *st, const void *arg)
{
	char pub[AGE_RECIPIENT_TEXT_MAX];
	size_t n = 0;

	if (secrets_rotate(st, pub, &n) < 0)
		return fail(cli);
	say_ok(cli, secrets_rotate_json(pub, n), "new admin identity %s; %zu secret%s re-encrypted", pub, n,
	       n == 1 ? "" : "s");
	return CMD_OK;
}

static enum cmd_status run_recipients_list(struct cli *cli, struct secrets_store *st, const void *arg)
{
	struct age_recipient *rs = NULL;
	char text[AGE_RECIPIENT_TEXT_MAX];
	size_t n = 0, i;

	if (secrets_recipients(st, &rs, &n) < 0)
		return fail(cli);
	if (cli->json) {
		cli_print_json_text(secrets_recipients_json(rs, n));
	} else {
		for (i = 0; i < n; i++) {
			age_recipient_format(&rs[i], text);
			printf("%s\n", text);
		}
	}
	free(rs);
	return CMD_OK;
}

/* recipients add KEY / rm KEY: ARG is the operands, the verb then the key. */
static enum cmd_status run_recipients_change(struct cli *cli, struct secrets_store *st, const void *arg)
{
	char *const *op = arg;
	size_t n = 0;

	if ((op[0][0] == 'a' ? secrets_recipients_add(st, op[1], &n) : secrets_recipients_rm(st, op[1], &n)) < 0)
		return fail(cli);
	say_ok(cli, secrets_recipients_change_json(op[0], op[1], n), "%s recipient %s; %zu secret%s re-encrypted",
	       op[0][0] == 'a' ? "added" : "removed", op[1], n, n == 1 ? "" : "s");
	return CMD_OK;
}

static enum cmd_status do_recipients(struct cli *cli, int argc, char **argv)
{
	const char *verb;
	int first, r;

	if ((r = parse_simple(cli, argc, argv, NULL, &first)) != 0)
		return (enum cmd_status)r;
	if (argc - first < 1)
		return cli_usage(cli, "expected 'recipients add AGE_PUBKEY', 'recipients rm AGE_PUBKEY' or "
				 "'recipients list'");
	verb = argv[first];
	if (strcmp(verb, "list") == 0) {
		if (argc - first != 1)
			return cli_usage(cli, "'secrets recipients list' takes no operands");
		return on_store(cli, STORE_READ, run_recipients_list, NULL);
	}
	if (strcmp(verb, "add") != 0 && strcmp(verb, "rm") != 0)
		return cli_usage(cli, "unknown 'secrets recipients' action '%s': expected add, rm or list", verb);
	if (argc - first != 2)
		return cli_usage(cli, "expected 'recipients %s AGE_PUBKEY'", verb);
	/*
	 * A key that is not one is bad input: a usage error (exit 2) before the store is opened.
	 * The store's own refusals (a duplicate, the admin key, one not there) stay errors (exit 1).
	 */
	if (age_recipient_parse(argv[first + 1], strlen(argv[first + 1]), &(struct age_recipient){ 0 }) < 0)
		return cli_usage(cli, "%s", err_msg());
	return on_store(cli, STORE_CHANGE, run_recipients_change, argv + first);
}

static enum cmd_status run_identity(struct cli *cli, struct secrets_store *st, const void *arg)
{
	char pub[AGE_RECIPIENT_TEXT_MAX];

	if (secrets_identity(st, pub) < 0)
		return fail(cli);
	if (cli->json)
		cli_print_json_text(secrets_identity_json(pub, st->key_path));
	else
		printf("%s\n", pub);
	return CMD_OK;
}

/* A subcommand without operands: its usage error, the store's mode, and what it does. */
static enum cmd_status do_bare(struct cli *cli, int argc, char **argv, const char *usage, enum store_mode mode,
			       store_fn fn)
{
	int first, r;

	if ((r = parse_operands(cli, argc, argv, 0, usage, &first)) != 0)
		return (enum cmd_status)r;
	return on_store(cli, mode, fn, NULL);
}

static void print_names(const char *what, char *const *v, size_t n)
{
	size_t i;

	if (!n)
		return;
	printf("  %s:", what);
	for (i = 0; i < n; i++)
		printf(" %s", v[i]);
	printf("\n");
}

/* The text form of a push: a line per node, its names unless quiet, then the summary. */
static void print_push(const struct cli *cli, const struct secrets_fleet_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct secrets_fleet_node *n = &rep->nodes[i];

		if (n->err) {
			printf("%s: FAILED at %s: %s\n", n->name, n->fail.step ? n->fail.step : "secrets", n->fail.message);
			continue;
		}
		printf("%s: %zu written, %zu removed\n", n->name, n->rep.nwritten, n->rep.nremoved);
		if (!cli->quiet) {
			print_names("written", n->rep.written, n->rep.nwritten);
			print_names("removed", n->rep.removed, n->rep.nremoved);
		}
	}
	printf("%zu nodes: %zu ok, %zu failed\n", rep->n, rep->ok, rep->n - rep->ok);
}

/* Parse push's options into F, *OWNER and *DIR. Returns 0 or the usage status. */
static int parse_push(struct cli *cli, int argc, char **argv, struct cli_fleet *f, const char **owner,
		      const char **dir)
{
	static const struct option opts[] = {
		FLEET_OPTIONS,
		LEASE_OPTIONS,
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	while ((r = cli_opts_next(&(const struct cli_opts){ .fleet = f }, argc, argv, "t:", opts, &c)) > 0) {
		if (c == OPT_OWNER)
			*owner = optarg;
		else if (c == OPT_DIR)
			*dir = optarg;
		else
			return cli_usage(cli, "%s for 'secrets push'", cli_bad_option(argv, opts));
	}
	if (r < 0)
		return cli_usage(cli, "%s", err_msg());
	if (argc != optind)
		return cli_usage(cli, "'secrets push' takes no operands; name the nodes with -t");
	if (!f->spec && !f->file)
		return cli_usage(cli, "no targets: give -t TARGETS or --targets-file FILE");
	if (*owner && secrets_owner_check(*owner) < 0)
		return cli_usage(cli, "%s", err_msg());
	if (*dir && (*dir)[0] != '/')
		return cli_usage(cli, "bad --dir '%s': expected an absolute path", *dir);
	return 0;
}

static enum cmd_status do_push(struct cli *cli, int argc, char **argv)
{
	struct cli_fleet f;
	struct secrets_store st;
	struct secrets_fleet_report rep = { 0 };
	const struct inventory *inv = NULL;
	const char *owner = NULL, *dir = NULL;
	enum cmd_status s = CMD_ERROR;
	int r;

	cli_fleet_init(&f);
	memset(&st, 0, sizeof(st));
	st.lock_fd = -1;
	if ((r = parse_push(cli, argc, argv, &f, &owner, &dir)) != 0)
		return (enum cmd_status)r;
	if ((r = cli_fleet_open(cli, &f)) < 0) {
		s = r == ERR_INVALID ? cli_usage(cli, "%s", err_msg()) : fail(cli);
		goto out;
	}
	if ((r = cli_inventory(cli, &inv)) < 0 || (r = secrets_open_read(&st, cli->state_dir, secrets_cipher(cli))) < 0) {
		s = fail(cli);
		goto out;
	}
	if (dir)
		st.remote_dir = dir;
	if (secrets_push_fleet(&st, &f.w.fleet, inv, &f.targets, owner, &rep) < 0) {
		s = fail(cli);
		goto out;
	}
	if (cli->json)
		cli_print_json(secrets_fleet_report_json(&rep));
	else
		print_push(cli, &rep);
	if (rep.ledger_failed) {
		s = cli_fail(cli, CMD_ERROR, "the ledger did not take %zu secret.push event%s: %s", rep.ledger_failed,
			     rep.ledger_failed == 1 ? "" : "s", rep.ledger_msg);
		goto out;
	}
	s = cli_fleet_status(rep.ok, rep.n);
out:
	secrets_fleet_report_release(&rep);
	secrets_close(&st);
	cli_fleet_close(&f);
	return s;
}

static enum cmd_status cmd_secrets_exec(struct cli *cli, int argc, char **argv)
{
	const char *sub;

	/* Plaintext passes through this process: keep it out of core dumps and ptrace. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (argc < 2)
		return cli_usage(cli, "no subcommand: expected set, get, list, rm, import, grant, revoke, push, "
				 "rotate-key, recipients or identity");
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "set") == 0)
		return do_set(cli, argc, argv, false);
	if (strcmp(sub, "import") == 0)
		return do_set(cli, argc, argv, true);
	if (strcmp(sub, "get") == 0)
		return do_get(cli, argc, argv);
	if (strcmp(sub, "list") == 0 || strcmp(sub, "ls") == 0)
		return do_bare(cli, argc, argv, "'secrets list' takes no operands", STORE_READ, run_list);
	if (strcmp(sub, "rm") == 0)
		return do_rm(cli, argc, argv);
	if (strcmp(sub, "grant") == 0)
		return do_grant(cli, argc, argv, true);
	if (strcmp(sub, "revoke") == 0)
		return do_grant(cli, argc, argv, false);
	if (strcmp(sub, "rotate-key") == 0)
		return do_bare(cli, argc, argv, "'secrets rotate-key' takes no operands", STORE_CHANGE, run_rotate);
	if (strcmp(sub, "recipients") == 0)
		return do_recipients(cli, argc, argv);
	if (strcmp(sub, "identity") == 0)
		return do_bare(cli, argc, argv, "'secrets identity' takes no operands", STORE_KEY, run_identity);
	if (strcmp(sub, "push") == 0)
		return do_push(cli, argc, argv);
	return cli_usage(cli, "unknown subcommand '%s': expected set, get, list, rm, import, grant, revoke, push, "
			 "rotate-key, recipients or identity", sub);
}

const struct cmd_entry cmd_secrets_entry = {
	.name = "secrets",
	.summary = "age-encrypted secrets: set, get, grant to nodes, push",
	.usage = "chimera secrets set NAME [--file FILE]      (else the value is read from stdin)\n"
		 "       chimera secrets get NAME                   (the value to stdout)\n"
		 "       chimera secrets list | rm NAME | import NAME AGEFILE\n"
		 "       chimera secrets grant NAME -t TARGETS | revoke NAME -t TARGETS\n"
		 "       chimera secrets push -t TARGETS [--owner USER[:GROUP]] [--dir DIR]\n"
		 "       chimera secrets rotate-key | identity\n"
		 "       chimera secrets recipients add AGE_PUBKEY | rm AGE_PUBKEY | list",
	.help = "Keeps secrets in the state dir as age files (age-encryption.org/v1, X25519),\n"
		"encrypted to the controller's admin identity STATE/keys/age.key (age-keygen\n"
		"format, made on first use, mode 0600) and to the extra recipients listed in\n"
		"STATE/keys/age.recipients. Each secret is STATE/secrets/NAME.age (0600, written\n"
		"atomically); any age tool reads it: age -d -i STATE/keys/age.key FILE.\n"
		"Values are never written to the controller's disk in the clear, never put on a\n"
		"command line, in a log or in the ledger; the ledger records names and counts.\n"
		"\n"
		"subcommands:\n"
		"  set NAME [--file F]      store a value read from F, else from stdin (binary is\n"
		"                           fine; at most 16 MiB). NAME: [A-Za-z0-9][A-Za-z0-9._-]*,\n"
		"                           at most 64 characters\n"
		"  get NAME                 print the value to stdout as it is; with --json, as\n"
		"                           base64 in {\"name\", \"size\", \"encoding\", \"value\"}\n"
		"  list                     name, size of the .age file, modified, granted to\n"
		"  rm NAME                  remove a secret and its grants\n"
		"  import NAME AGEFILE      store an age file made by any age tool for the admin\n"
		"                           identity (it must decrypt; it is re-encrypted to the\n"
		"                           current recipients)\n"
		"  grant NAME -t TARGETS    let these nodes have NAME (kept by machine name for\n"
		"                           machines of chimera.toml, else as user@host:port)\n"
		"  revoke NAME -t TARGETS   take it back; the next push removes it from them\n"
		"  push -t TARGETS          on each node: write every secret granted to it to\n"
		"                           DIR/NAME (mode 0400, directory 0700) and remove the\n"
		"                           files of DIR no longer granted. The value travels on\n"
		"                           the SSH session's stdin only. Deploy does the same.\n"
		"      --owner USER[:GROUP] chown the directory and files (default: the machine's\n"
		"                           secrets_owner, else [defaults] secrets_owner, else the\n"
		"                           login user)\n"
		"      --dir DIR            the directory on the nodes (default " SECRETS_REMOTE_DIR ")\n"
		"      and the fleet options: --targets-file, --exclude, --parallel,\n"
		"      --connect-timeout, --timeout, --accept-new-host-keys\n"
		"      --lock-wait S        wait up to S seconds for a node another operation\n"
		"                           holds (default 10); still held: it fails, naming the\n"
		"                           holder, and the others go on (exit 3)\n"
		"  rotate-key               make a new admin identity and re-encrypt every secret to\n"
		"                           it and the extra recipients, all or nothing\n"
		"  recipients add KEY       add an extra recipient (age1...) and re-encrypt every\n"
		"                           secret, all or nothing; rm KEY likewise; list\n"
		"  identity                 print the admin public key (made on first use)\n"
		"\n"
		"options: --json for machine-readable output of every subcommand.\n"
		"\n"
		"exit status: 0 ok; 1 an error (a missing secret, a key that does not open it, a\n"
		"corrupted file, a recipient already there: the message names the secret or\n"
		"file); 2 bad usage or input (a bad secret NAME, a KEY that is no age public\n"
		"key); 3 push failed on some nodes.\n",
	.exec = cmd_secrets_exec,
};
