/* The sudo command's form. */
#include "core/sudo.h"
#include "util/err.h"

#include <string.h>
#include "util/banned.h"

int sudo_command_check(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/=:+-";
	size_t i, len = s ? strlen(s) : 0;
	char q[ERR_LINE_QUOTE_MAX];

	err_quote(q, sizeof(q), s ? s : "", len);
	if (len == 0 || len > SUDO_COMMAND_MAX || s[0] == ' ' || s[len - 1] == ' ' || s[0] == '-' || s[0] == '=')
		goto bad;
	for (i = 0; i < len; i++) {
		if (s[i] == ' ' ? s[i + 1] == ' ' : !strchr(ok, s[i]))
			goto bad;
	}
	return 0;
bad:
	return err_set(ERR_INVALID,
		       "'%s' is not a sudo command: expected words of letters, digits and ._/=:+- separated by single "
		       "spaces, such as \"sudo -n\" or \"/usr/bin/doas -n\" (at most %d bytes)",
		       q, SUDO_COMMAND_MAX);
}
