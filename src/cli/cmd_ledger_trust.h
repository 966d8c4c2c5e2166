/* chimera ledger verify and seal (cli/cmd_ledger_trust.c), called by cmd_ledger.c. */
#ifndef CHIMERA_CLI_CMD_LEDGER_TRUST_H
#define CHIMERA_CLI_CMD_LEDGER_TRUST_H

#include "cli/cli.h"

/* ARGV[0] is "verify" or "seal"; the rest its options. */
enum cmd_status cmd_ledger_trust(struct cli *cli, int argc, char **argv);

/* The help lines of verify and seal, for cmd_ledger's help. */
#define LEDGER_TRUST_HELP                                                                              \
	"  verify    walk the whole chain and check every signed checkpoint; print the events\n"          \
	"            checked and exit 0, or name each problem in its own words and exit 1:\n"              \
	"            changed (an event's hash), removed or reordered (a seq gap, a prev_hash\n"             \
	"            that does not link), truncated (a checkpoint sealed events past the head),\n"          \
	"            rewritten (a checkpoint's hash differs from the event at its seq: the chain\n"         \
	"            was recomputed), bad_signature, corrupt (SQLite finds the file damaged),\n"            \
	"            unsealed (the checkpoint file beside the ledger is missing); --json gives\n"           \
	"            {ok, kind, findings[]}\n"                                                              \
	"    --witnesses -t TARGETS  instead, read each node's witness (" "/nix/var/chimera/witness:\n"       \
	"            the checkpoint current when chimera last changed it) in parallel and name\n"           \
	"            each node whose checkpoint the ledger cannot account for (seq past the\n"              \
	"            head, another hash at that seq, a bad signature): exit 1; nodes without\n"             \
	"            a witness are listed as such; -t, --targets-file, --exclude, --parallel,\n"           \
	"            --connect-timeout, --timeout as for deploy\n"                                        \
	"  seal      record a signed checkpoint of the head now and write the checkpoint file,\n"          \
	"            when verify finds nothing but a missing checkpoint file\n"

#endif
