/* The command a non-root login puts before what must run as root ("sudo -n", "doas -n"). */
#ifndef CHIMERA_CORE_SUDO_H
#define CHIMERA_CORE_SUDO_H

#define SUDO_COMMAND_DEFAULT "sudo -n"
#define SUDO_COMMAND_MAX 255

/*
 * 0 when S is a command chimera will put unquoted before a root command: words of
 * [A-Za-z0-9._/=:+-] separated by single spaces, the first an absolute path or a bare
 * name, at most SUDO_COMMAND_MAX bytes. Else ERR_INVALID quoting S and the expected form.
 */
int sudo_command_check(const char *s);

#endif
