/* The ledger on SQLite: chimera.db in the state dir, WAL, numbered migrations. */
#include "adapters/sqlite/ledger_sqlite.h"
#include "adapters/sqlite/file_watch.h"
#include "adapters/sqlite/lease_sqlite.h"
#include "util/err.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

struct ledger_sqlite {
	struct ledger base;
	sqlite3 *db;
	char *path;		/* the database file */
	char *appended;		/* PATH-appended: written after every commit of an append (sqlite_wait) */
	int appended_fd;	/* open for writing at the first append; -1 none yet, -2 cannot */
	pthread_mutex_t lock;	/* one statement at a time from threads sharing the handle */
	sqlite3_stmt *head;
	sqlite3_stmt *maxseq;	/* the newest seq, for scans and waits */
	sqlite3_stmt *insert;
	sqlite3_stmt *project;	/* keeps the latest projection in step with an appended event */
	char **projected;	/* the topics in latest_topics, read at open */
	size_t nprojected;
};

/* Migration N (1-based) takes the schema from version N-1 to N. Never edit one that shipped. */
static const char *const migrations[] = {
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY,"
	"  time TEXT NOT NULL,"
	"  topic TEXT NOT NULL,"
	"  deployment TEXT,"
	"  node TEXT,"
	"  payload TEXT NOT NULL,"
	"  prev_hash TEXT NOT NULL,"
	"  hash TEXT NOT NULL);"
	"CREATE INDEX events_topic ON events(topic, seq);"
	"CREATE INDEX events_deployment ON events(deployment, seq) WHERE deployment IS NOT NULL;"
	"CREATE INDEX events_node ON events(node, seq) WHERE node IS NOT NULL;"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;",
	/*
	 * 2: the latest projection: per (topic, node), the seq of the newest event, for the
	 * topics listed in latest_topics. Rebuilt from the events here; kept in the append's
	 * transaction after. Projecting another topic later is a migration that adds it to
	 * latest_topics and fills latest for it the same way.
	 */
	"CREATE TABLE latest_topics (topic TEXT PRIMARY KEY) WITHOUT ROWID;"
	"INSERT INTO latest_topics (topic) VALUES ('node.facts');"
	"CREATE TABLE latest ("
	"  topic TEXT NOT NULL,"
	"  node TEXT NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  PRIMARY KEY (topic, node)) WITHOUT ROWID;"
	"INSERT INTO latest (topic, node, seq)"
	"  SELECT topic, node, MAX(seq) FROM events"
	"  WHERE node IS NOT NULL AND topic IN (SELECT topic FROM latest_topics)"
	"  GROUP BY topic, node;",
	/*
	 * 3: node leases (ports/lease.h, lease_sqlite.c): who acts on a node now. Rows come and
	 * go (they are not events): taken, renewed by a heartbeat, released, taken over.
	 */
	"CREATE TABLE leases ("
	"  node TEXT PRIMARY KEY,"
	"  op TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  pid INTEGER NOT NULL,"
	"  pid_start INTEGER NOT NULL,"
	"  since_ms INTEGER NOT NULL,"
	"  expires_ms INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX leases_op ON leases(op);",
};

/* SQLite's own finding that the file is damaged (a page fails its checks, or the header is not SQLite's). */
static bool db_corrupt(struct ledger_sqlite *ls)
{
	int rc = sqlite3_errcode(ls->db);

	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
}

static int corrupt_error(struct ledger_sqlite *ls, const char *what, const char *msg)
{
	return err_set(ERR_CORRUPT, "ledger: %s: the database file '%s' is corrupt (%s, %s): restore it from a backup "
		       "and run chimera ledger verify", what, ls->path ? ls->path : "?", msg,
		       sqlite3_errcode(ls->db) == SQLITE_NOTADB ? "SQLITE_NOTADB" : "SQLITE_CORRUPT");
}

static int db_error(struct ledger_sqlite *ls, int code, const char *what)
{
	if (db_corrupt(ls))
		return corrupt_error(ls, what, sqlite3_errmsg(ls->db));
	return err_set(code, "ledger: %s: %s", what, sqlite3_errmsg(ls->db));
}

static int exec_sql(struct ledger_sqlite *ls, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(ls->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int r = db_corrupt(ls) ? corrupt_error(ls, what, msg ? msg : sqlite3_errmsg(ls->db))
				       : err_set(ERR_IO, "ledger: %s: %s", what, msg ? msg : sqlite3_errmsg(ls->db));

		sqlite3_free(msg);
		return r;
	}
	return 0;
}

static int user_version(struct ledger_sqlite *ls, int *v)
{
	sqlite3_stmt *st;
	int r = 0;

	*v = 0;
	if (sqlite3_prepare_v2(ls->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return db_error(ls, ERR_CORRUPT, "cannot read schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	else
		r = db_error(ls, ERR_CORRUPT, "cannot read schema version");
	sqlite3_finalize(st);
	return r;
}

static int migrate(struct ledger_sqlite *ls)
{
	int want = (int)(sizeof(migrations) / sizeof(migrations[0]));
	int v, r;
	char sql[64];

	if ((r = user_version(ls, &v)) < 0)
		return r;
	if (v == want)
		return 0;
	/* Several processes may open a new database at once; the write lock orders them. */
	if ((r = exec_sql(ls, "BEGIN IMMEDIATE", "cannot lock for migration")) < 0)
		return r;
	if ((r = user_version(ls, &v)) < 0)
		goto fail;
	if (v > want) {
		r = err_set(ERR_UNSUPPORTED, "ledger: database schema %d is newer than this chimera (%d)", v, want);
		goto fail;
	}
	for (; v < want; v++) {
		if ((r = exec_sql(ls, migrations[v], "migration failed")) < 0)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((r = exec_sql(ls, sql, "migration failed")) < 0)
			goto fail;
	}
	return exec_sql(ls, "COMMIT", "cannot commit migration");
fail:
	sqlite3_exec(ls->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static void text_or_null(sqlite3_stmt *st, int col, const char *s)
{
	if (s)
		sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

static bool is_projected(const struct ledger_sqlite *ls, const char *topic)
{
	size_t i;

	for (i = 0; i < ls->nprojected; i++)
		if (strcmp(ls->projected[i], topic) == 0)
			return true;
	return false;
}

/* Insert EV (hashed) and keep the latest projection in step; inside the append's transaction. */
static int insert_event(struct ledger_sqlite *ls, const struct ledger_event *ev)
{
	int r = 0;

	sqlite3_reset(ls->insert);
	sqlite3_bind_int64(ls->insert, 1, ev->seq);
	sqlite3_bind_text(ls->insert, 2, ev->time, -1, SQLITE_STATIC);
	sqlite3_bind_text(ls->insert, 3, ev->topic, -1, SQLITE_STATIC);
	text_or_null(ls->insert, 4, ev->deployment);
	text_or_null(ls->insert, 5, ev->node);
	sqlite3_bind_text(ls->insert, 6, ev->payload, -1, SQLITE_STATIC);
	sqlite3_bind_text(ls->insert, 7, ev->prev_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(ls->insert, 8, ev->hash, -1, SQLITE_STATIC);
	if (sqlite3_step(ls->insert) != SQLITE_DONE)
		r = db_error(ls, ERR_IO, "cannot append");
	sqlite3_reset(ls->insert);
	if (r < 0 || !ev->node || !is_projected(ls, ev->topic))
		return r;
	sqlite3_reset(ls->project);
	sqlite3_bind_text(ls->project, 1, ev->topic, -1, SQLITE_STATIC);
	sqlite3_bind_text(ls->project, 2, ev->node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ls->project, 3, ev->seq);
	if (sqlite3_step(ls->project) != SQLITE_DONE)
		r = db_error(ls, ERR_IO, "cannot update the latest projection");
	sqlite3_reset(ls->project);
	return r;
}

/*
 * Called with the lock held, after a commit: one byte written to the PATH-appended file
 * wakes every sqlite_wait on this ledger, in any process, once the events are visible.
 * (The WAL's own writes come before the commit is visible: the index that publishes it
 * is shared memory, which inotify does not see.) A file that cannot be written costs the
 * waiters their timeout, never an append.
 */
static void tell_waiters(struct ledger_sqlite *ls)
{
	static const char mark = '.';

	if (ls->appended_fd == -1) {
		ls->appended_fd = open(ls->appended, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (ls->appended_fd < 0)
			ls->appended_fd = -2;
	}
	if (ls->appended_fd >= 0 && pwrite(ls->appended_fd, &mark, 1, 0) < 0) {
		close(ls->appended_fd);
		ls->appended_fd = -2;
	}
}

static int sqlite_append(struct ledger *l, const struct ledger_new *evs, size_t n, int64_t *last_seq)
{
	struct ledger_sqlite *ls = (struct ledger_sqlite *)l;
	struct buf *payloads;
	struct ledger_event ev;
	char prev[SHA3_256_HEX];
	int64_t seq = 0;
	size_t i;
	int r = 0, began = 0;

	if (last_seq)
		*last_seq = 0;
	if (n == 0)
		return 0;
	if (!(payloads = calloc(n, sizeof(*payloads))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		buf_init(&payloads[i], 0);
	/* Canonicalise before taking the write lock, so writers wait on each other less. */
	for (i = 0; i < n; i++) {
		if ((r = chain_prepare(&evs[i], &payloads[i])) < 0)
			goto out;
	}
	pthread_mutex_lock(&ls->lock);
	if ((r = exec_sql(ls, "BEGIN IMMEDIATE", "cannot lock for append")) < 0)
		goto unlock;
	began = 1;
	memcpy(prev, chain_genesis_hash, SHA3_256_HEX);
	sqlite3_reset(ls->head);
	r = sqlite3_step(ls->head);
	if (r == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(ls->head, 1);

		seq = sqlite3_column_int64(ls->head, 0);
		if (!h || strlen(h) != SHA3_256_HEX - 1) {
			r = err_set(ERR_CORRUPT, "ledger: head event %lld has a malformed hash", (long long)seq);
			goto unlock;
		}
		memcpy(prev, h, SHA3_256_HEX);
	} else if (r != SQLITE_DONE) {
		r = db_error(ls, ERR_IO, "cannot read the head");
		goto unlock;
	}
	sqlite3_reset(ls->head);
	clock_format_utc(clock_wall_ms(), ev.time);
	for (i = 0; i < n; i++) {
		ev.seq = ++seq;
		ev.topic = evs[i].topic;
		ev.deployment = evs[i].deployment;
		ev.node = evs[i].node;
		ev.payload = payloads[i].data;
		memcpy(ev.prev_hash, prev, SHA3_256_HEX);
		if ((r = chain_event_hash(&ev, ev.hash)) < 0)
			goto unlock;
		if ((r = insert_event(ls, &ev)) < 0)
			goto unlock;
		memcpy(prev, ev.hash, SHA3_256_HEX);
	}
	r = exec_sql(ls, "COMMIT", "cannot commit append");
	if (r == 0) {
		began = 0;
		if (last_seq)
			*last_seq = seq;
		tell_waiters(ls);
	}
unlock:
	if (began)
		sqlite3_exec(ls->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&ls->lock);
out:
	for (i = 0; i < n; i++)
		buf_release(&payloads[i]);
	free(payloads);
	return r < 0 ? r : 0;
}

static const char *col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

/*
 * Events read under the lock and visited after it is let go, so that callbacks may use
 * the ledger (see ledger_event_fn). Strings sit in TEXT; OFF holds their offsets
 * (NO_TEXT for NULL) until rows_fix points the events at them.
 */
#define NO_TEXT ((size_t)-1)
#define SCAN_PAGE 512

struct rows {
	struct ledger_event *ev;
	size_t (*off)[4];	/* topic, deployment, node, payload */
	size_t n, cap;
	struct buf text;
};

static size_t keep_text(struct rows *rows, const char *s, int *r)
{
	size_t at = rows->text.len;

	if (!s)
		return NO_TEXT;
	if (*r == 0 && (buf_adds(&rows->text, s) < 0 || buf_addc(&rows->text, '\0') < 0))
		*r = err_set(ERR_NOMEM, "out of memory");
	return at;
}

/* Append the row ST is on (columns as the events table has them). */
static int rows_add(struct rows *rows, sqlite3_stmt *st)
{
	struct ledger_event *ev;
	const char *t = col_text(st, 1), *ph = col_text(st, 6), *h = col_text(st, 7);
	int r = 0, i;

	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? rows->cap * 2 : 64;
		struct ledger_event *e = realloc(rows->ev, cap * sizeof(*e));
		size_t (*o)[4];

		if (e)
			rows->ev = e;
		if (!e || !(o = realloc(rows->off, cap * sizeof(*o))))
			return err_set(ERR_NOMEM, "out of memory");
		rows->off = o;
		rows->cap = cap;
	}
	ev = &rows->ev[rows->n];
	memset(ev, 0, sizeof(*ev));
	ev->seq = sqlite3_column_int64(st, 0);
	snprintf(ev->time, sizeof(ev->time), "%s", t ? t : "");
	snprintf(ev->prev_hash, sizeof(ev->prev_hash), "%s", ph ? ph : "");
	snprintf(ev->hash, sizeof(ev->hash), "%s", h ? h : "");
	for (i = 0; i < 4; i++) {
		const char *s = col_text(st, 2 + i);

		/* topic and payload are NOT NULL in the schema; read them as "" should that ever fail. */
		rows->off[rows->n][i] = keep_text(rows, s ? s : (i == 0 || i == 3) ? "" : NULL, &r);
	}
	if (r == 0)
		rows->n++;
	return r;
}

/* Step ST to its end, adding every row; with the lock held. */
static int rows_read(struct ledger_sqlite *ls, sqlite3_stmt *st, struct rows *rows)
{
	int r, rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((r = rows_add(rows, st)) < 0)
			return r;
	if (rc != SQLITE_DONE)
		return db_error(ls, ERR_IO, "cannot read events");
	return 0;
}

/* Point the events at their strings, then call FN on each; returns FN's first nonzero return. */
static int rows_visit(struct rows *rows, ledger_event_fn fn, void *arg)
{
	size_t i;
	int r;

	for (i = 0; i < rows->n; i++) {
		const char **dst[4] = { &rows->ev[i].topic, &rows->ev[i].deployment, &rows->ev[i].node,
					&rows->ev[i].payload };
		int k;

		for (k = 0; k < 4; k++)
			*dst[k] = rows->off[i][k] == NO_TEXT ? NULL : rows->text.data + rows->off[i][k];
	}
	for (i = 0; i < rows->n; i++)
		if ((r = fn(&rows->ev[i], arg)) != 0)
			return r;
	return 0;
}

static void rows_release(struct rows *rows)
{
	free(rows->ev);
	free(rows->off);
	buf_release(&rows->text);
	memset(rows, 0, sizeof(*rows));
}

/* The newest seq (0 when the ledger is empty), with the lock held. */
static int read_head(struct ledger_sqlite *ls, int64_t *head)
{
	int rc;

	*head = 0;
	sqlite3_reset(ls->maxseq);
	rc = sqlite3_step(ls->maxseq);
	if (rc == SQLITE_ROW)
		*head = sqlite3_column_int64(ls->maxseq, 0);
	sqlite3_reset(ls->maxseq);
	return rc == SQLITE_ROW ? 0 : db_error(ls, ERR_IO, "cannot read the head");
}

/* The SELECT of a scan with filter F; ?1 since, ?2 topic, ?3 deployment, ?4 node, ?5 page, ?6 head. */
static int scan_sql(const struct ledger_filter *f, int topic_prefix, struct buf *sql)
{
	buf_adds(sql, "SELECT seq, time, topic, deployment, node, payload, prev_hash, hash"
		      " FROM events WHERE seq > ?1 AND seq <= ?6");
	if (f->topic)
		buf_adds(sql, topic_prefix ? " AND substr(topic, 1, length(?2)) = ?2" : " AND topic = ?2");
	if (f->deployment)
		buf_adds(sql, " AND deployment = ?3");
	if (f->node)
		buf_adds(sql, " AND node = ?4");
	return buf_adds(sql, " ORDER BY seq LIMIT ?5");
}

/* Read the next page of a scan into ROWS: events after SINCE, at most WANT of them. */
static int scan_page(struct ledger_sqlite *ls, sqlite3_stmt *st, int64_t since, int64_t want, struct rows *rows)
{
	int r;

	pthread_mutex_lock(&ls->lock);
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 5, want);
	r = rows_read(ls, st, rows);
	sqlite3_reset(st);
	pthread_mutex_unlock(&ls->lock);
	return r;
}

/*
 * Pages of SCAN_PAGE events, each read under the lock and visited without it; the head
 * read first bounds the scan to the events that existed when it started.
 */
static int sqlite_scan(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg)
{
	struct ledger_sqlite *ls = (struct ledger_sqlite *)l;
	struct buf sql = BUF_INIT(0), prefix = BUF_INIT(0);
	struct rows rows = { .text = BUF_INIT(0) };
	sqlite3_stmt *st = NULL;
	size_t tn = f->topic ? strlen(f->topic) : 0;
	int topic_prefix = tn >= 2 && strcmp(f->topic + tn - 2, ".*") == 0;
	int64_t head = 0, since = f->since, left = f->limit, want;
	int r;

	if (scan_sql(f, topic_prefix, &sql) < 0 || (topic_prefix && buf_add(&prefix, f->topic, tn - 1) < 0))
		return err_set(ERR_NOMEM, "out of memory");	/* the prefix keeps the dot */
	pthread_mutex_lock(&ls->lock);
	if (sqlite3_prepare_v2(ls->db, sql.data, -1, &st, NULL) != SQLITE_OK)
		r = db_error(ls, ERR_IO, "cannot query events");
	else
		r = read_head(ls, &head);
	pthread_mutex_unlock(&ls->lock);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 6, head);
	if (f->topic)
		sqlite3_bind_text(st, 2, topic_prefix ? prefix.data : f->topic, -1, SQLITE_STATIC);
	if (f->deployment)
		sqlite3_bind_text(st, 3, f->deployment, -1, SQLITE_STATIC);
	if (f->node)
		sqlite3_bind_text(st, 4, f->node, -1, SQLITE_STATIC);
	for (;;) {
		want = f->limit > 0 && left < SCAN_PAGE ? left : SCAN_PAGE;
		rows.n = 0;
		buf_reset(&rows.text);
		if ((r = scan_page(ls, st, since, want, &rows)) < 0 || (r = rows_visit(&rows, fn, arg)) != 0)
			break;
		if ((int64_t)rows.n < want || (f->limit > 0 && (left -= (int64_t)rows.n) <= 0))
			break;
		since = rows.ev[rows.n - 1].seq;
	}
out:
	pthread_mutex_lock(&ls->lock);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ls->lock);
	rows_release(&rows);
	buf_release(&sql);
	buf_release(&prefix);
	return r;
}

/*
 * Run SQL (one or two text parameters: A, and B when not NULL) under the lock, read its
 * rows, and visit them with FN after the lock is let go (WHAT names the query in errors).
 */
static int query_visit(struct ledger_sqlite *ls, const char *sql, const char *a, const char *b, const char *what,
		       ledger_event_fn fn, void *arg)
{
	struct rows rows = { .text = BUF_INIT(0) };
	sqlite3_stmt *st = NULL;
	int r;

	pthread_mutex_lock(&ls->lock);
	if (sqlite3_prepare_v2(ls->db, sql, -1, &st, NULL) != SQLITE_OK) {
		char msg[64];

		snprintf(msg, sizeof(msg), "cannot query %s", what);
		r = db_error(ls, ERR_IO, msg);
	} else {
		if (a)
			sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
		if (b)
			sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
		r = rows_read(ls, st, &rows);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ls->lock);
	if (r == 0)
		r = rows_visit(&rows, fn, arg);
	rows_release(&rows);
	return r;
}

#define EVENT_COLUMNS "seq, time, topic, deployment, node, payload, prev_hash, hash"

static int sqlite_latest(struct ledger *l, const char *topic, const char *node, ledger_event_fn fn, void *arg)
{
	struct ledger_sqlite *ls = (struct ledger_sqlite *)l;
	const char *sql;
	size_t tn = topic ? strlen(topic) : 0;

	if (tn == 0 || (tn >= 2 && strcmp(topic + tn - 2, ".*") == 0))
		return err_set(ERR_INVALID, "latest needs one exact topic, not '%s'", topic ? topic : "");
	/* A projected topic reads its rows; any other finds the same events through the topic index. */
	if (is_projected(ls, topic))
		sql = node ? "SELECT e.seq, e.time, e.topic, e.deployment, e.node, e.payload, e.prev_hash, e.hash"
			     " FROM latest p JOIN events e ON e.seq = p.seq WHERE p.topic = ?1 AND p.node = ?2"
			     " ORDER BY e.seq"
			   : "SELECT e.seq, e.time, e.topic, e.deployment, e.node, e.payload, e.prev_hash, e.hash"
			     " FROM latest p JOIN events e ON e.seq = p.seq WHERE p.topic = ?1 ORDER BY e.seq";
	else
		sql = node ? "SELECT " EVENT_COLUMNS " FROM events"
			     " WHERE seq = (SELECT MAX(seq) FROM events WHERE topic = ?1 AND node = ?2)"
			   : "SELECT " EVENT_COLUMNS " FROM events"
			     " WHERE seq IN (SELECT MAX(seq) FROM events WHERE topic = ?1 AND node IS NOT NULL"
			     " GROUP BY node) ORDER BY seq";
	/* One event per node at most: read them all, then visit them without the lock. */
	return query_visit(ls, sql, topic, node, "the latest events", fn, arg);
}

/* The newest event, of TOPIC when not NULL: the primary key's (or the topic index's) last entry. */
static int sqlite_last(struct ledger *l, const char *topic, ledger_event_fn fn, void *arg)
{
	return query_visit((struct ledger_sqlite *)l,
			   topic ? "SELECT " EVENT_COLUMNS " FROM events WHERE topic = ?1 ORDER BY seq DESC LIMIT 1"
				 : "SELECT " EVENT_COLUMNS " FROM events ORDER BY seq DESC LIMIT 1",
			   topic, NULL, "the last event", fn, arg);
}

static int sqlite_integrity(struct ledger *l)
{
	struct ledger_sqlite *ls = (struct ledger_sqlite *)l;
	char first[256] = "";
	sqlite3_stmt *st = NULL;
	int r = 0, rc;

	pthread_mutex_lock(&ls->lock);
	if (sqlite3_prepare_v2(ls->db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK) {
		r = db_error(ls, ERR_IO, "cannot check the database");
	} else {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if (!first[0])
				snprintf(first, sizeof(first), "%s", col_text(st, 0) ? col_text(st, 0) : "");
		if (rc != SQLITE_DONE)
			r = db_error(ls, ERR_IO, "cannot check the database");
		for (rc = 0; first[rc]; rc++)
			if (first[rc] == '\n')
				first[rc] = ' ';
		if (r == 0 && strcmp(first, "ok") != 0)
			r = err_set(ERR_CORRUPT, "ledger: the database file '%s' is corrupt (PRAGMA quick_check: %s): "
				    "restore it from a backup", ls->path, first);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ls->lock);
	return r;
}

static int sqlite_head(struct ledger_sqlite *ls, int64_t *head)
{
	int r;

	pthread_mutex_lock(&ls->lock);
	r = read_head(ls, head);
	pthread_mutex_unlock(&ls->lock);
	return r;
}

/*
 * Wake when an append's writer, in this process or another, writes PATH-appended after
 * its commit (tell_waiters; inotify), then read the head. Without inotify, read the head
 * once a second until the timeout.
 */
static int sqlite_wait(struct ledger *l, int64_t after_seq, int timeout_ms, int64_t *head)
{
	struct ledger_sqlite *ls = (struct ledger_sqlite *)l;
	int64_t deadline = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct file_watch w;
	int r, left;

	/* Most calls find news, or may not block: answer those without a watch. */
	if ((r = sqlite_head(ls, head)) < 0 || *head > after_seq || timeout_ms == 0)
		return r;
	/* Watch first, then read the head again, so that no append falls between the two. */
	file_watch_open(&w, ls->appended);	/* on failure w.fd is -1: read once a second instead */
	while ((r = sqlite_head(ls, head)) == 0 && *head <= after_seq) {
		left = timeout_ms < 0 ? -1 : (int)(deadline - clock_mono_ms());
		if (timeout_ms > 0 && left <= 0)
			break;
		if (w.fd < 0) {
			clock_sleep_ms(left >= 0 && left < 1000 ? left : 1000);
			continue;
		}
		/* Woken by a write of the file: read the head again (a lost race reads the same head). */
		if ((r = file_watch_wait(&w, left)) <= 0)
			break;	/* timeout, signal or error: report the head as it is */
	}
	if (r == 0 && *head <= after_seq) {
		int64_t now_head;

		if ((r = sqlite_head(ls, &now_head)) == 0)
			*head = now_head;
	}
	file_watch_close(&w);
	return r < 0 ? r : 0;
}

/* Read latest_topics into LS->projected. */
static int load_projected(struct ledger_sqlite *ls)
{
	sqlite3_stmt *st;
	char **grown, *t;
	int r = 0, rc;

	if (sqlite3_prepare_v2(ls->db, "SELECT topic FROM latest_topics ORDER BY topic", -1, &st, NULL) != SQLITE_OK)
		return db_error(ls, ERR_CORRUPT, "cannot read the projected topics");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!(grown = realloc(ls->projected, (ls->nprojected + 1) * sizeof(*grown)))) {
			r = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
		ls->projected = grown;
		if (!(t = strdup(col_text(st, 0) ? col_text(st, 0) : ""))) {
			r = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
		ls->projected[ls->nprojected++] = t;
	}
	if (rc != SQLITE_DONE)
		r = db_error(ls, ERR_CORRUPT, "cannot read the projected topics");
out:
	sqlite3_finalize(st);
	return r;
}

static void sqlite_close(struct ledger *l)
{
	struct ledger_sqlite *ls = (struct ledger_sqlite *)l;
	size_t i;

	for (i = 0; i < ls->nprojected; i++)
		free(ls->projected[i]);
	free(ls->projected);
	sqlite3_finalize(ls->head);
	sqlite3_finalize(ls->maxseq);
	sqlite3_finalize(ls->insert);
	sqlite3_finalize(ls->project);
	sqlite3_close(ls->db);
	if (ls->appended_fd >= 0)
		close(ls->appended_fd);
	free(ls->appended);
	free(ls->path);
	pthread_mutex_destroy(&ls->lock);
	free(ls);
}

sqlite3 *ledger_sqlite_db(struct ledger *l, pthread_mutex_t **lock)
{
	struct ledger_sqlite *ls = (struct ledger_sqlite *)l;

	*lock = &ls->lock;
	return ls->db;
}

static const struct ledger_ops sqlite_ops = {
	.name = "sqlite",
	.append = sqlite_append,
	.scan = sqlite_scan,
	.wait = sqlite_wait,
	.close = sqlite_close,
};

static const struct ledger_read_ops sqlite_read_ops = {
	.latest = sqlite_latest,
	.last = sqlite_last,
	.integrity = sqlite_integrity,
};

int ledger_sqlite_open(const char *path, struct ledger **out)
{
	struct ledger_sqlite *ls;
	int r;

	*out = NULL;
	if (!(ls = calloc(1, sizeof(*ls))))
		return err_set(ERR_NOMEM, "out of memory");
	ls->base.ops = &sqlite_ops;
	ls->base.read = &sqlite_read_ops;
	ls->base.lease = &sqlite_lease_ops;
	pthread_mutex_init(&ls->lock, NULL);
	ls->appended_fd = -1;
	if (!(ls->path = strdup(path)) || !(ls->appended = malloc(strlen(path) + sizeof("-appended")))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto fail;
	}
	snprintf(ls->appended, strlen(path) + sizeof("-appended"), "%s-appended", path);
	if (sqlite3_open_v2(path, &ls->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		r = err_set(ERR_IO, "cannot open ledger '%s': %s", path,
			    ls->db ? sqlite3_errmsg(ls->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(ls->db, 60000);
	/* WAL lets readers run beside a writer; FULL makes a reported append survive power loss too. */
	if ((r = exec_sql(ls, "PRAGMA journal_mode=WAL", "cannot enable WAL")) < 0 ||
	    (r = exec_sql(ls, "PRAGMA synchronous=FULL", "cannot set synchronous")) < 0)
		goto fail;
	if ((r = migrate(ls)) < 0)
		goto fail;
	if (sqlite3_prepare_v2(ls->db, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", -1,
			       &ls->head, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ls->db, "SELECT coalesce(max(seq), 0) FROM events", -1, &ls->maxseq, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ls->db, "INSERT INTO events (seq, time, topic, deployment, node, payload,"
				       " prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			       -1, &ls->insert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ls->db, "INSERT OR REPLACE INTO latest (topic, node, seq) VALUES (?1, ?2, ?3)", -1,
			       &ls->project, NULL) != SQLITE_OK) {
		r = err_set(ERR_CORRUPT, "ledger '%s' is not a chimera ledger: %s", path, sqlite3_errmsg(ls->db));
		goto fail;
	}
	if ((r = load_projected(ls)) < 0)
		goto fail;
	*out = &ls->base;
	return 0;
fail:
	sqlite_close(&ls->base);
	return r;
}
