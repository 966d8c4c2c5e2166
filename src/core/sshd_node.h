/*
 * The sshd_config lines every node chimera starts shares (a lab node, a VM's guest): key
 * logins only, root by key, no PAM or DNS, room for a fleet's parallel sessions, and Nix's
 * settings where the node's store keeps them. The caller puts ListenAddress, PidFile and
 * HostKey before them.
 */
#ifndef CHIMERA_CORE_SSHD_NODE_H
#define CHIMERA_CORE_SSHD_NODE_H

#define SSHD_NODE_OPTIONS                          \
	"UsePAM no\n"                              \
	"StrictModes no\n"                         \
	"PasswordAuthentication no\n"              \
	"KbdInteractiveAuthentication no\n"        \
	"PermitRootLogin prohibit-password\n"      \
	"AuthorizedKeysFile .ssh/authorized_keys\n" \
	"PrintMotd no\n"                           \
	"UseDNS no\n"                              \
	"MaxSessions 128\n"                        \
	"MaxStartups 256:30:512\n"                 \
	"Subsystem sftp internal-sftp\n"           \
	"SetEnv NIX_CONF_DIR=/nix/etc/nix\n"

#endif
