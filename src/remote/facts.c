/* The node-side script that prints a node's facts, one KEY=VALUE line each. */
#include "remote/facts.h"
#include "util/err.h"
#include "util/shell.h"
#include "util/banned.h"

/*
 * One round: builtins where they do the job, one process each for uname -m, nproc, df,
 * nix-store, readlink and tmux. printf, never echo: dash's echo reads backslashes.
 */
static const char script_head[] =
	"o() { printf '%s=%s\\n' \"$1\" \"$2\"; }\n"
	"printf 'chimera-facts=1\\n'\n"
	"v=; { read -r v </proc/sys/kernel/hostname; } 2>/dev/null || v=$(uname -n 2>/dev/null); o hostname \"$v\"\n"
	"v=; { read -r v </proc/sys/kernel/osrelease; } 2>/dev/null || v=$(uname -r 2>/dev/null); o kernel \"$v\"\n"
	"o arch \"$(uname -m 2>/dev/null)\"\n"
	"for f in /etc/os-release /usr/lib/os-release; do [ -r \"$f\" ] || continue;"
	" while IFS= read -r l || [ -n \"$l\" ]; do case $l in ID=*) o os_id \"${l#ID=}\";;"
	" VERSION_ID=*) o os_version \"${l#VERSION_ID=}\";; esac; done <\"$f\"; break; done\n"
	"v=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null); [ -z \"$v\" ] || o cpus \"$v\"\n"
	"if [ -r /proc/meminfo ]; then while read -r k v u; do case $k in MemTotal:) o mem_total \"$v $u\";;"
	" MemAvailable:) o mem_available \"$v $u\";; esac; done </proc/meminfo; fi\n"
	"{ read -r v x </proc/uptime && o uptime \"$v\"; } 2>/dev/null\n"
	"{ read -r a b c x </proc/loadavg && o load \"$a $b $c\"; } 2>/dev/null\n"
	"for d in / /nix; do [ -d \"$d\" ] || continue; df -P -k \"$d\" 2>/dev/null |"
	" { read -r x; read -r f s u a x && o disk \"$d $s $u $a\"; }; done\n"
	"set -f; set -- $(nix-store --version 2>/dev/null)\n"
	"if [ $# = 0 ]; then for d in /run/current-system/sw/bin /nix/var/nix/profiles/default/bin; do"
	" [ -x \"$d/nix-store\" ] && { set -- $(\"$d/nix-store\" --version 2>/dev/null); break; }; done; fi\n"
	"o nix \"$*\"\n";

static const char script_tail[] =
	"; o profile \"$p\"\n"
	"if l=$(readlink \"$p\" 2>/dev/null); then o profile_link \"$l\"; o profile_target \"$(readlink -f \"$p\" 2>/dev/null)\"; fi\n"
	"tmux -L chimera ls -F '#{session_name}' 2>/dev/null | while IFS= read -r s; do o session \"$s\"; done\n"
	"printf 'end=1\\n'\n";

int facts_script(struct buf *cmd, const char *profile)
{
	if (buf_adds(cmd, script_head) < 0 || buf_adds(cmd, "p=") < 0 || shell_quote(cmd, profile) < 0 ||
	    buf_adds(cmd, script_tail) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}
