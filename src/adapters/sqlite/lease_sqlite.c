/*
 * Node leases on SQLite: one row per leased node in the ledger's database. Acquire runs in
 * BEGIN IMMEDIATE, so two processes racing for a node are ordered by SQLite's write lock:
 * exactly one finds it free (or dead) and takes it.
 */
#include "adapters/sqlite/lease_sqlite.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define HOLDER_COLS "op, kind, host, pid, pid_start, since_ms, expires_ms"

static int lease_db_error(sqlite3 *db, const char *what)
{
	return err_set(ERR_IO, "leases: %s: %s", what, sqlite3_errmsg(db));
}

static int lease_exec(sqlite3 *db, const char *sql, const char *what)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : lease_db_error(db, what);
}

/*
 * Lease writes are not events: they need not survive a power cut (a controller that loses
 * power is dead, and its leases would be taken over anyway), so they commit without the
 * fsync that synchronous=FULL costs each event. Called with the handle's lock held.
 */
static void lease_sync(sqlite3 *db, int fast)
{
	sqlite3_exec(db, fast ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL", NULL, NULL, NULL);
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t len)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	snprintf(dst, len, "%s", s ? s : "");
}

/* The holder in columns FIRST.. of ST (as HOLDER_COLS orders them). */
static void read_holder(sqlite3_stmt *st, int first, struct lease_holder *h)
{
	memset(h, 0, sizeof(*h));
	copy_col(st, first, h->op, sizeof(h->op));
	copy_col(st, first + 1, h->kind, sizeof(h->kind));
	copy_col(st, first + 2, h->host, sizeof(h->host));
	h->pid = sqlite3_column_int64(st, first + 3);
	h->pid_start = sqlite3_column_int64(st, first + 4);
	h->since_ms = sqlite3_column_int64(st, first + 5);
	h->expires_ms = sqlite3_column_int64(st, first + 6);
}

static void bind_holder(sqlite3_stmt *st, int first, const struct lease_holder *h)
{
	sqlite3_bind_text(st, first, h->op, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, first + 1, h->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, first + 2, h->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, first + 3, h->pid);
	sqlite3_bind_int64(st, first + 4, h->pid_start);
	sqlite3_bind_int64(st, first + 5, h->since_ms);
	sqlite3_bind_int64(st, first + 6, h->expires_ms);
}

/* Run SQL with NODE (?1, may be NULL) and ME (?2..?8); SQLITE_DONE expected. */
static int write_row(sqlite3 *db, const char *sql, const char *node, const struct lease_holder *me, const char *what)
{
	sqlite3_stmt *st;
	int r = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return lease_db_error(db, what);
	if (node)
		sqlite3_bind_text(st, 1, node, -1, SQLITE_STATIC);
	bind_holder(st, 2, me);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = lease_db_error(db, what);
	sqlite3_finalize(st);
	return r;
}

/* NODE's holder into *H: 1 when leased, 0 when free, or an error. */
static int read_lease(sqlite3 *db, const char *node, struct lease_holder *h)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT " HOLDER_COLS " FROM leases WHERE node = ?1", -1, &st, NULL) != SQLITE_OK)
		return lease_db_error(db, "cannot read a lease");
	sqlite3_bind_text(st, 1, node, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_holder(st, 0, h);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return lease_db_error(db, "cannot read a lease");
	return rc == SQLITE_ROW;
}

/* The nodes OP leases other than NODE, one a line, into *OUT (NULL when none). */
static int op_nodes(sqlite3 *db, const char *op, const char *node, char **out)
{
	sqlite3_stmt *st;
	struct buf b = BUF_INIT(0);
	int rc, r = 0;

	*out = NULL;
	if (sqlite3_prepare_v2(db, "SELECT node FROM leases WHERE op = ?1 AND node <> ?2 ORDER BY node", -1, &st,
			       NULL) != SQLITE_OK)
		return lease_db_error(db, "cannot list an operation's leases");
	sqlite3_bind_text(st, 1, op, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, node, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (buf_adds(&b, (const char *)sqlite3_column_text(st, 0)) < 0 || buf_addc(&b, '\n') < 0) {
			r = err_set(ERR_NOMEM, "out of memory");
			break;
		}
	if (r == 0 && rc != SQLITE_DONE)
		r = lease_db_error(db, "cannot list an operation's leases");
	sqlite3_finalize(st);
	if (r == 0 && b.len)
		*out = buf_detach(&b, NULL);
	buf_release(&b);
	return r;
}

/* Inside the transaction: the answer for NODE, and the rows written. */
static int acquire_locked(sqlite3 *db, const char *node, const struct lease_holder *me, lease_alive_fn alive,
			  void *alive_arg, enum lease_answer *answer, struct lease_holder *prev, char **moved)
{
	int r;

	if ((r = read_lease(db, node, prev)) < 0)
		return r;
	if (r == 0 || strcmp(prev->op, me->op) == 0) {
		*answer = LEASE_ACQUIRED;
		if (r == 1)
			memset(prev, 0, sizeof(*prev));
		return write_row(db, "INSERT OR REPLACE INTO leases (node, " HOLDER_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
				 node, me, "cannot take a lease");
	}
	if (prev->expires_ms >= me->since_ms && (!alive || alive(prev, alive_arg))) {
		*answer = LEASE_HELD;
		return 0;
	}
	/* Dead: this node and every other lease of its operation are ME's op's now. */
	*answer = LEASE_TAKEN_OVER;
	if ((r = op_nodes(db, prev->op, node, moved)) < 0)
		return r;
	{
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(db, "UPDATE leases SET op = ?2, kind = ?3, host = ?4, pid = ?5, pid_start = ?6,"
					   " since_ms = ?7, expires_ms = ?8 WHERE op = ?1", -1, &st, NULL) != SQLITE_OK)
			return lease_db_error(db, "cannot take over leases");
		sqlite3_bind_text(st, 1, prev->op, -1, SQLITE_STATIC);
		bind_holder(st, 2, me);
		r = sqlite3_step(st) == SQLITE_DONE ? 0 : lease_db_error(db, "cannot take over leases");
		sqlite3_finalize(st);
	}
	return r;
}

static int sqlite_lease_acquire(struct ledger *l, const char *node, const struct lease_holder *me,
				lease_alive_fn alive, void *alive_arg, enum lease_answer *answer,
				struct lease_holder *prev, char **moved)
{
	pthread_mutex_t *lock;
	sqlite3 *db = ledger_sqlite_db(l, &lock);
	int r;

	*moved = NULL;
	*answer = LEASE_HELD;
	memset(prev, 0, sizeof(*prev));
	pthread_mutex_lock(lock);
	lease_sync(db, 1);
	if ((r = lease_exec(db, "BEGIN IMMEDIATE", "cannot lock for a lease")) == 0) {
		r = acquire_locked(db, node, me, alive, alive_arg, answer, prev, moved);
		if (r == 0)
			r = lease_exec(db, "COMMIT", "cannot commit a lease");
		if (r < 0)
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	lease_sync(db, 0);
	pthread_mutex_unlock(lock);
	if (r < 0) {
		free(*moved);
		*moved = NULL;
	}
	return r;
}

static int sqlite_lease_renew(struct ledger *l, const char *op, int64_t expires_ms, size_t *n)
{
	pthread_mutex_t *lock;
	sqlite3 *db = ledger_sqlite_db(l, &lock);
	sqlite3_stmt *st;
	int r = 0;

	pthread_mutex_lock(lock);
	lease_sync(db, 1);
	if (sqlite3_prepare_v2(db, "UPDATE leases SET expires_ms = ?2 WHERE op = ?1", -1, &st, NULL) != SQLITE_OK) {
		r = lease_db_error(db, "cannot renew leases");
	} else {
		sqlite3_bind_text(st, 1, op, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, expires_ms);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = lease_db_error(db, "cannot renew leases");
		else if (n)
			*n = (size_t)sqlite3_changes(db);
		sqlite3_finalize(st);
	}
	lease_sync(db, 0);
	pthread_mutex_unlock(lock);
	return r;
}

static int sqlite_lease_release(struct ledger *l, const char *op, const char *node)
{
	pthread_mutex_t *lock;
	sqlite3 *db = ledger_sqlite_db(l, &lock);
	sqlite3_stmt *st;
	int r = 0;

	pthread_mutex_lock(lock);
	lease_sync(db, 1);
	if (sqlite3_prepare_v2(db, node ? "DELETE FROM leases WHERE op = ?1 AND node = ?2" : "DELETE FROM leases WHERE op = ?1",
			       -1, &st, NULL) != SQLITE_OK) {
		r = lease_db_error(db, "cannot release leases");
	} else {
		sqlite3_bind_text(st, 1, op, -1, SQLITE_STATIC);
		if (node)
			sqlite3_bind_text(st, 2, node, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = lease_db_error(db, "cannot release leases");
		sqlite3_finalize(st);
	}
	lease_sync(db, 0);
	pthread_mutex_unlock(lock);
	return r;
}

struct lease_row {
	char node[LEASE_NODE_MAX];
	struct lease_holder h;
};

static int sqlite_lease_list(struct ledger *l, const char *node,
			     int (*fn)(const char *node, const struct lease_holder *h, void *arg), void *arg)
{
	pthread_mutex_t *lock;
	sqlite3 *db = ledger_sqlite_db(l, &lock);
	sqlite3_stmt *st;
	struct lease_row *rows = NULL, *grown;
	size_t n = 0, i;
	int r = 0, rc;

	/* Read under the lock, visit without it (the callback may use the ledger). */
	pthread_mutex_lock(lock);
	if (sqlite3_prepare_v2(db, node ? "SELECT node, " HOLDER_COLS " FROM leases WHERE node = ?1"
					: "SELECT node, " HOLDER_COLS " FROM leases ORDER BY node",
			       -1, &st, NULL) != SQLITE_OK) {
		pthread_mutex_unlock(lock);
		return lease_db_error(db, "cannot list leases");
	}
	if (node)
		sqlite3_bind_text(st, 1, node, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!(grown = realloc(rows, (n + 1) * sizeof(*rows)))) {
			r = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		rows = grown;
		copy_col(st, 0, rows[n].node, sizeof(rows[n].node));
		read_holder(st, 1, &rows[n].h);
		n++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = lease_db_error(db, "cannot list leases");
	sqlite3_finalize(st);
	pthread_mutex_unlock(lock);
	for (i = 0; r == 0 && i < n; i++)
		r = fn(rows[i].node, &rows[i].h, arg);
	free(rows);
	return r;
}

const struct ledger_lease_ops sqlite_lease_ops = {
	.acquire = sqlite_lease_acquire,
	.renew = sqlite_lease_renew,
	.release = sqlite_lease_release,
	.list = sqlite_lease_list,
};
