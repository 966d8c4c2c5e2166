/*
 * The ssh config chimera reads, as OpenSSH would: the lab's ssh_config when a lab exists,
 * then --ssh-config FILE (or $CHIMERA_SSH_CONFIG; "none" for no file), else ~/.ssh/config
 * and /etc/ssh/ssh_config, Include lines read as they come; before them, a machine's own
 * ssh_options (chimera.toml). Targets are resolved with it once (HostName, User, Port: the
 * labels), and the SSH executor asks for each host's whole settings when it connects.
 */
#ifndef CHIMERA_RUNTIME_SSH_CONFIG_H
#define CHIMERA_RUNTIME_SSH_CONFIG_H

#include <stdbool.h>

#include "core/target.h"
#include "formats/ssh_config.h"

struct world;
struct world_ssh;

/*
 * Resolve L's ssh targets in place (HostName, User and Port applied; a user or port written
 * out stays), loading the config on first use; machines of W's inventory get their resolved
 * target too, so their settings are still found. Duplicates that appear are dropped. Returns
 * 0, or an error naming the config file and line (ERR_INVALID), or the file that cannot be
 * read (ERR_NOTFOUND, ERR_IO).
 */
int world_ssh_resolve(struct world *w, struct target_list *l);

/*
 * The settings of a host (the SSH executor's settings callback; ARG is W's world_ssh, see
 * world_ssh_of): T a target world_ssh_resolve returned (resolved again from the name it was
 * written with) or, with JUMP, a host of a ProxyJump line. Thread-safe once resolved.
 */
int world_ssh_settings(const struct target *t, bool jump, struct sshcfg_host *out, void *arg);

/* W's world_ssh for world_ssh_settings (loaded on first use). Returns 0 or an error. */
int world_ssh_of(struct world *w, struct world_ssh **out);

void world_ssh_free(struct world_ssh *s);

#endif
