/* GET /jobs, GET /jobs/{id}, DELETE /jobs/{id}: what POST routes started. */
#include "api/api_internal.h"
#include "api/jobs.h"
#include "util/err.h"

#include "util/banned.h"

static void get_jobs(struct api_call *c)
{
	api_json(c, 200, jobs_list_json(api_jobs_of(c->api)));
}

static void get_job(struct api_call *c)
{
	json_t *doc = jobs_get_json(api_jobs_of(c->api), c->param[0]);

	if (!doc) {
		api_error(c, 404, "not_found", "no job '%s' (GET %s/jobs lists them)", c->param[0], API_PREFIX);
		return;
	}
	api_json(c, 200, doc);
}

static void delete_job(struct api_call *c)
{
	int r = jobs_cancel(api_jobs_of(c->api), c->param[0], c->caller);

	if (r == ERR_NOTFOUND)
		api_error(c, 404, "not_found", "%s", err_msg());
	else if (r == ERR_INVALID)
		api_error(c, 409, "ended", "%s", err_msg());
	else if (r < 0)
		api_error(c, 500, "internal", "%s", err_msg());
	else {
		/* As every 202 of the API: where to follow the job until it has ended. */
		httpd_response_header(c->res, "Location", "%s/jobs/%s", API_PREFIX, c->param[0]);
		api_json(c, 202, jobs_get_json(api_jobs_of(c->api), c->param[0]));
	}
}

const struct api_route api_routes_jobs[] = {
	{ "GET", API_PREFIX "/jobs", TOKEN_ROLE_VIEWER, get_jobs, false },
	{ "GET", API_PREFIX "/jobs/{id}", TOKEN_ROLE_VIEWER, get_job, false },
	{ "DELETE", API_PREFIX "/jobs/{id}", TOKEN_ROLE_OPERATOR, delete_job, true },
	{ NULL, NULL, 0, NULL, false },
};
