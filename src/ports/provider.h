/*
 * The provider port: where a HostFactory template's machines come from. A provider makes a
 * machine named X and returns at once with how to reach it, says whether it is ready (its
 * sshd answers), and takes it back (stopped, deleted, out of the inventory). The registry
 * of providers ("qemu", "lab") is runtime/providers.c; app/hostfactory uses them by name.
 */
#ifndef CHIMERA_PORTS_PROVIDER_H
#define CHIMERA_PORTS_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#define PROVIDER_NAME_MAX 63	/* a machine name, as the inventory takes it */

/* What a machine is made with; providers ignore what they cannot choose (a lab node's size). */
struct provider_spec {
	const char *name;		/* [A-Za-z0-9][A-Za-z0-9._-]*, at most PROVIDER_NAME_MAX */
	int cpus;			/* 0: the provider's default */
	int memory_mib;			/* 0: the provider's default */
	int disk_gib;			/* 0: the provider's default */
	long boot_timeout_ms;		/* how long its boot may take (0: the provider's default) */
};

/* A machine a provider made. */
struct provider_machine {
	char name[PROVIDER_NAME_MAX + 1];
	char target[96];		/* as the inventory holds it: "root@127.0.0.1:2222", "127.237.0.10" */
	char address[64];		/* its private IP address */
};

enum provider_state {
	PROVIDER_BOOTING,		/* made, its sshd not answering yet */
	PROVIDER_READY,			/* its sshd answers */
	PROVIDER_GONE,			/* no longer running (stopped, deleted or dead out of band) */
};

struct provider;

struct provider_ops {
	const char *name;		/* "qemu", "lab" */
	/*
	 * Whether a machine goes on existing once returned (a lab node goes back to the lab):
	 * its return leaves it "returned" rather than "terminated".
	 */
	bool keeps;
	/*
	 * Make machine S->name and start it without waiting for its boot; written into the
	 * inventory as machine S->name with tag "hostfactory". *OUT says how to reach it.
	 * Returns 0, ERR_LIMIT when the provider has no machine left to give, or the error.
	 */
	int (*create)(struct provider *p, const struct provider_spec *s, struct provider_machine *out);
	/*
	 * Whether M is ready now, waiting at most WAIT_MS for its sshd. Returns 0 with *OUT set
	 * (and WHY, LEN bytes, saying why when PROVIDER_GONE), or an error reading it.
	 */
	int (*state)(struct provider *p, const struct provider_machine *m, long wait_ms, enum provider_state *out,
		     char *why, size_t len);
	/* Stop and delete M and take it out of the inventory; 0 also when it was gone already. */
	int (*destroy)(struct provider *p, const struct provider_machine *m);
	void (*close)(struct provider *p);
};

struct provider {
	const struct provider_ops *ops;
};

#endif
