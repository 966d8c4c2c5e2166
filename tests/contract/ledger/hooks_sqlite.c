/* The SQLite back end's contract hooks: rewrite tries through sqlite3 itself, which its triggers must refuse. */
#include "contract.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* Run SQL on the database of URL ("sqlite:PATH"): 1 when SQLite refused it, 0 when it ran. */
static int refused(const char *url, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;

	if (strncmp(url, "sqlite:", 7) != 0 || sqlite3_open(url + 7, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return 0;
	}
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK && (!msg || !strstr(msg, "append-only")))
		fprintf(stderr, "hooks_sqlite: refused, but not by the triggers: %s\n", msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc != SQLITE_OK;
}

static int sqlite_try_update(const char *url, int64_t seq)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "UPDATE events SET payload = '{\"x\":1}' WHERE seq = %lld", (long long)seq);
	return refused(url, sql);
}

static int sqlite_try_delete(const char *url, int64_t seq)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "DELETE FROM events WHERE seq = %lld", (long long)seq);
	return refused(url, sql);
}

const struct contract_hooks contract_hooks_sqlite = {
	.scheme = "sqlite",
	.append_only = 1,
	.try_update = sqlite_try_update,
	.try_delete = sqlite_try_delete,
};
