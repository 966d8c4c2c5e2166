/* The HTTP server the world serves on: the httpd port on libmicrohttpd. */
#include "runtime/world.h"
#include "adapters/mhd/httpd_mhd.h"

#include <sys/resource.h>
#include "util/banned.h"

/*
 * Each connection is a descriptor: lift the soft limit toward the hard one when the cap
 * needs more than it allows (SSE subscribers are long-lived connections).
 */
static void room_for(unsigned connections)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)connections + (rlim_t)connections / 4 + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || want < rl.rlim_max ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int world_open_httpd(const struct httpd_config *cfg, struct httpd **out)
{
	room_for(cfg->max_connections);
	return httpd_mhd_new(cfg, out);
}
