/* The snapshot file beside the database: attaching it, building a new one
 * and renaming it into place, repairing the import history after a crash,
 * the packing of a firm's months and the view `contributions` over them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/alloc.h"
#include "rebate/db.h"
#include "rebate/fsutil.h"
#include "rebate/snapshot.h"
#include "rebate/varint.h"

#define SCHEMA "snapshot"

rb_status rb_snapshot_path(sqlite3 *db, const char *suffix, rb_strbuf *out, rb_error *err)
{
    const char *main_file = sqlite3_db_filename(db, "main");
    if (main_file == NULL || main_file[0] == '\0')
        return rb_fail(err, RB_E_INTERNAL, "an in-memory database has no snapshot file");
    rb_strbuf_reset(out);
    if (!rb_strbuf_addf(out, "%s.snapshot%s", main_file, suffix))
        return rb_fail(err, RB_E_INTERNAL, "out of memory naming the snapshot of '%s'", main_file);
    return RB_OK;
}

/* ------------------------------------------------------------------ months */

bool rb_months_pack(const rb_month *months, size_t n, rb_strbuf *out)
{
    /* Eight varints of at most RB_VARINT_MAX bytes a month, written in place. */
    if (n > ((size_t)-1 - out->len - 1) / (8 * RB_VARINT_MAX) || !rb_strbuf_grow(out, n * 8 * RB_VARINT_MAX))
        return false;
    unsigned char *start = (unsigned char *)out->buf + out->len, *p = start;
    int64_t period = 0, employer_due = 0, line = 0;
    for (size_t i = 0; i < n; i++) {
        const rb_month *m = &months[i];
        p = rb_varint_put(p, rb_zigzag_diff(m->period, period));
        p = rb_varint_put(p, rb_zigzag_diff(m->insured_count, 0));
        p = rb_varint_put(p, rb_zigzag_diff(m->employer_due, employer_due));
        p = rb_varint_put(p, rb_zigzag_diff(m->employer_paid, m->employer_due));
        p = rb_varint_put(p, rb_zigzag_diff(m->employee_due, m->employer_due));
        p = rb_varint_put(p, rb_zigzag_diff(m->employee_paid, m->employee_due));
        p = rb_varint_put(p, rb_zigzag_diff(m->new_claimants, 0));
        p = rb_varint_put(p, rb_zigzag_diff(m->line, line));
        period = m->period;
        employer_due = m->employer_due;
        line = m->line;
    }
    out->len += (size_t)(p - start);
    out->buf[out->len] = '\0';
    return true;
}

bool rb_months_unpack(const void *data, size_t len, size_t n, rb_month **months, size_t *cap, bool *oom)
{
    *oom = false;
    if (n > *cap) {
        rb_month *grown = rb_realloc(*months, n * sizeof *grown);
        if (grown == NULL) {
            *oom = true;
            return false;
        }
        *months = grown;
        *cap = n;
    }
    const unsigned char *p = data, *end = p + len;
    int64_t period = 0, employer_due = 0, line = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t z[8];
        for (int k = 0; k < 8; k++)
            if (!rb_varint_get(&p, end, &z[k]))
                return false;
        rb_month *m = &(*months)[i];
        int64_t next_period = rb_zigzag_add(period, z[0]);
        if (next_period <= (i ? period : 0) || next_period > INT32_MAX)
            return false; /* periods ascend, distinct */
        m->period = (int32_t)next_period;
        m->insured_count = rb_zigzag_add(0, z[1]);
        m->employer_due = rb_zigzag_add(employer_due, z[2]);
        m->employer_paid = rb_zigzag_add(m->employer_due, z[3]);
        m->employee_due = rb_zigzag_add(m->employer_due, z[4]);
        m->employee_paid = rb_zigzag_add(m->employee_due, z[5]);
        m->new_claimants = rb_zigzag_add(0, z[6]);
        m->line = rb_zigzag_add(line, z[7]);
        period = m->period;
        employer_due = m->employer_due;
        line = m->line;
    }
    return p == end;
}

/* ------------------------------------------------------- the view contributions */

/* An eponymous table-valued view: `SELECT ... FROM contributions` reads
 * snapshot.contribution_months and yields one row per month, with the
 * columns the per-month table had. A uscc = ? constraint uses the key. */
typedef struct months_vtab {
    sqlite3_vtab base;
    sqlite3 *db;
} months_vtab;

typedef struct months_cursor {
    sqlite3_vtab_cursor base;
    sqlite3_stmt *stmt;   /* over contribution_months */
    bool eof;
    rb_month *months;
    size_t cap, n, at;
    char uscc[64];
    sqlite3_int64 rowid;
} months_cursor;

enum { COL_USCC, COL_PERIOD, COL_COUNT, COL_ER_DUE, COL_ER_PAID, COL_EE_DUE, COL_EE_PAID, COL_CLAIMANTS, COL_LINE };

static int months_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                          char **errmsg)
{
    (void)aux, (void)argc, (void)argv, (void)errmsg;
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(uscc TEXT, period INTEGER, insured_count INTEGER,"
                                      " employer_due INTEGER, employer_paid INTEGER, employee_due INTEGER,"
                                      " employee_paid INTEGER, new_claimants INTEGER, line INTEGER)");
    if (rc != SQLITE_OK)
        return rc;
    months_vtab *v = sqlite3_malloc(sizeof *v);
    if (v == NULL)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->db = db;
    *out = &v->base;
    return SQLITE_OK;
}

static int months_disconnect(sqlite3_vtab *vtab)
{
    sqlite3_free(vtab);
    return SQLITE_OK;
}

static int months_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
    (void)vtab;
    int key = -1;
    for (int i = 0; i < info->nConstraint; i++)
        if (info->aConstraint[i].usable && info->aConstraint[i].iColumn == COL_USCC &&
            info->aConstraint[i].op == SQLITE_INDEX_CONSTRAINT_EQ)
            key = i;
    if (key >= 0) {
        info->aConstraintUsage[key].argvIndex = 1;
        info->aConstraintUsage[key].omit = 1;
        info->idxNum = 1;
        info->estimatedCost = 10;
        info->estimatedRows = 24;
    } else {
        info->idxNum = 0;
        info->estimatedCost = 1e7;
        info->estimatedRows = 10000000;
    }
    /* Rows come in uscc, period order. */
    bool ordered = info->nOrderBy >= 1 && info->nOrderBy <= 2;
    for (int i = 0; ordered && i < info->nOrderBy; i++)
        ordered = info->aOrderBy[i].iColumn == i && !info->aOrderBy[i].desc;
    info->orderByConsumed = ordered;
    return SQLITE_OK;
}

static int months_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out)
{
    (void)vtab;
    months_cursor *c = sqlite3_malloc(sizeof *c);
    if (c == NULL)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *out = &c->base;
    return SQLITE_OK;
}

static int months_close(sqlite3_vtab_cursor *cur)
{
    months_cursor *c = (months_cursor *)cur;
    sqlite3_finalize(c->stmt);
    free(c->months);
    sqlite3_free(c);
    return SQLITE_OK;
}

/* Steps to the next firm with months and unpacks them. */
static int months_next_firm(months_cursor *c)
{
    for (;;) {
        int rc = sqlite3_step(c->stmt);
        if (rc == SQLITE_DONE) {
            c->eof = true;
            return SQLITE_OK;
        }
        if (rc != SQLITE_ROW)
            return rc;
        const unsigned char *uscc = sqlite3_column_text(c->stmt, 0);
        snprintf(c->uscc, sizeof c->uscc, "%s", uscc ? (const char *)uscc : "");
        sqlite3_int64 n = sqlite3_column_int64(c->stmt, 1);
        const void *packed = sqlite3_column_blob(c->stmt, 2);
        int len = sqlite3_column_bytes(c->stmt, 2);
        bool oom = false;
        if (n < 0 || !rb_months_unpack(packed, (size_t)len, (size_t)n, &c->months, &c->cap, &oom)) {
            sqlite3_vtab *vtab = c->base.pVtab;
            sqlite3_free(vtab->zErrMsg);
            vtab->zErrMsg = sqlite3_mprintf("the packed months of %s in the snapshot are damaged", c->uscc);
            return oom ? SQLITE_NOMEM : SQLITE_CORRUPT;
        }
        c->n = (size_t)n;
        c->at = 0;
        if (c->n > 0)
            return SQLITE_OK;
    }
}

static int months_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str, int argc, sqlite3_value **argv)
{
    (void)idx_str;
    months_cursor *c = (months_cursor *)cur;
    months_vtab *v = (months_vtab *)cur->pVtab;
    sqlite3_finalize(c->stmt);
    c->stmt = NULL;
    c->eof = false;
    c->rowid = 0;
    const char *sql = idx_num == 1 && argc == 1
                          ? "SELECT uscc, months, packed FROM " SCHEMA ".contribution_months WHERE uscc = ?1"
                          : "SELECT uscc, months, packed FROM " SCHEMA ".contribution_months ORDER BY uscc";
    int rc = sqlite3_prepare_v2(v->db, sql, -1, &c->stmt, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_free(cur->pVtab->zErrMsg);
        cur->pVtab->zErrMsg = sqlite3_mprintf("%s", sqlite3_errmsg(v->db));
        return rc;
    }
    if (idx_num == 1 && argc == 1 && (rc = sqlite3_bind_value(c->stmt, 1, argv[0])) != SQLITE_OK)
        return rc;
    return months_next_firm(c);
}

static int months_next(sqlite3_vtab_cursor *cur)
{
    months_cursor *c = (months_cursor *)cur;
    c->rowid++;
    if (++c->at < c->n)
        return SQLITE_OK;
    return months_next_firm(c);
}

static int months_eof(sqlite3_vtab_cursor *cur)
{
    return ((months_cursor *)cur)->eof;
}

static int months_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    months_cursor *c = (months_cursor *)cur;
    const rb_month *m = &c->months[c->at];
    switch (col) {
    case COL_USCC:
        sqlite3_result_text(ctx, c->uscc, -1, SQLITE_TRANSIENT);
        break;
    case COL_PERIOD:
        sqlite3_result_int64(ctx, m->period);
        break;
    case COL_COUNT:
        sqlite3_result_int64(ctx, m->insured_count);
        break;
    case COL_ER_DUE:
        sqlite3_result_int64(ctx, m->employer_due);
        break;
    case COL_ER_PAID:
        sqlite3_result_int64(ctx, m->employer_paid);
        break;
    case COL_EE_DUE:
        sqlite3_result_int64(ctx, m->employee_due);
        break;
    case COL_EE_PAID:
        sqlite3_result_int64(ctx, m->employee_paid);
        break;
    case COL_CLAIMANTS:
        sqlite3_result_int64(ctx, m->new_claimants);
        break;
    default:
        sqlite3_result_int64(ctx, m->line);
        break;
    }
    return SQLITE_OK;
}

static int months_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((months_cursor *)cur)->rowid;
    return SQLITE_OK;
}

static const sqlite3_module months_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only: no CREATE VIRTUAL TABLE */
    .xConnect = months_connect,
    .xBestIndex = months_best_index,
    .xDisconnect = months_disconnect,
    .xDestroy = months_disconnect,
    .xOpen = months_open,
    .xClose = months_close,
    .xFilter = months_filter,
    .xNext = months_next,
    .xEof = months_eof,
    .xColumn = months_column,
    .xRowid = months_rowid,
};

/* ------------------------------------------------------------------ attach */

/* A file name as an SQLite URI path: %, ? and # escaped. */
static bool uri_of(const char *path, rb_strbuf *out)
{
    if (!rb_strbuf_adds(out, "file:"))
        return false;
    for (const char *p = path; *p; p++) {
        bool ok = *p == '%' || *p == '?' || *p == '#' ? rb_strbuf_addf(out, "%%%02X", (unsigned char)*p)
                                                      : rb_strbuf_addch(out, *p);
        if (!ok)
            return false;
    }
    return rb_strbuf_adds(out, "?mode=ro");
}

static rb_status exec_bound(sqlite3 *db, const char *sql, const char *arg, const char *what, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    rb_status status = RB_OK;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
        (arg != NULL && sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC) != SQLITE_OK) ||
        sqlite3_step(st) == SQLITE_ERROR)
        status = rb_db_fail(db, what, err);
    if (sqlite3_finalize(st) != SQLITE_OK && status == RB_OK)
        status = rb_db_fail(db, what, err);
    return status;
}

/* The bytes of an empty snapshot file, for a database never imported. */
static rb_status empty_snapshot_image(unsigned char **image, sqlite3_int64 *size, rb_error *err)
{
    sqlite3 *mem = NULL;
    rb_status st = RB_OK;
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", RB_SNAPSHOT_FORMAT);
    if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        st = rb_fail(err, RB_E_INTERNAL, "cannot make an empty snapshot: out of memory");
        goto out;
    }
    if ((st = rb_db_exec_file(mem, "snapshot.sql", err)) != RB_OK ||
        (st = rb_db_exec_file(mem, "snapshot_indexes.sql", err)) != RB_OK ||
        (st = rb_db_exec(mem, pragma, "making an empty snapshot", err)) != RB_OK)
        goto out;
    *image = sqlite3_serialize(mem, "main", size, 0);
    if (*image == NULL)
        st = rb_fail(err, RB_E_INTERNAL, "cannot make an empty snapshot: out of memory");
out:
    sqlite3_close(mem);
    return st;
}

static rb_status attach_at(sqlite3 *db, const char *path, rb_strbuf *uri_buf, rb_error *err);

rb_status rb_snapshot_attach(sqlite3 *db, rb_error *err)
{
    rb_strbuf path_buf = RB_STRBUF_INIT, uri = RB_STRBUF_INIT;
    rb_status st = rb_snapshot_path(db, "", &path_buf, err);
    if (st == RB_OK)
        st = attach_at(db, path_buf.buf, &uri, err);
    rb_strbuf_release(&path_buf);
    rb_strbuf_release(&uri);
    return st;
}

/* rb_snapshot_attach of the file at path (uri: a buffer for its URI). */
static rb_status attach_at(sqlite3 *db, const char *path, rb_strbuf *uri_buf, rb_error *err)
{
    rb_status st = RB_OK;
    if (sqlite3_create_module_v2(db, "contributions", &months_module, NULL, NULL) != SQLITE_OK)
        return rb_db_fail(db, "registering the view contributions", err);
    struct stat sb;
    if (lstat(path, &sb) == 0) {
        if (!S_ISREG(sb.st_mode))
            return rb_fail(err, RB_E_DATA, "the snapshot '%s' is not a regular file", path);
        if (!uri_of(path, uri_buf)) {
            st = rb_fail(err, RB_E_INTERNAL, "out of memory attaching the snapshot");
            goto out;
        }
        if ((st = exec_bound(db, "ATTACH ?1 AS " SCHEMA, uri_buf->buf, "attaching the snapshot", err)) != RB_OK)
            goto out;
        sqlite3_stmt *q = NULL;
        int format = -1;
        if (sqlite3_prepare_v2(db, "PRAGMA " SCHEMA ".user_version", -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
            format = sqlite3_column_int(q, 0);
        else
            st = rb_db_fail(db, "reading the snapshot's format", err);
        sqlite3_finalize(q);
        if (st == RB_OK && format != RB_SNAPSHOT_FORMAT)
            st = rb_fail(err, RB_E_DATA,
                         "the snapshot '%s' has format %d, not this program's %d; import the extracts again", path,
                         format, RB_SNAPSHOT_FORMAT);
        if (st != RB_OK)
            rb_snapshot_detach(db);
    } else if (errno == ENOENT) {
        unsigned char *image = NULL;
        sqlite3_int64 size = 0;
        if ((st = exec_bound(db, "ATTACH ':memory:' AS " SCHEMA, NULL, "attaching an empty snapshot", err)) != RB_OK ||
            (st = empty_snapshot_image(&image, &size, err)) != RB_OK)
            goto out;
        if (sqlite3_deserialize(db, SCHEMA, image, size, size,
                                SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) != SQLITE_OK)
            st = rb_db_fail(db, "loading an empty snapshot", err);
    } else {
        st = rb_fail(err, RB_E_NOINPUT, "cannot read the snapshot '%s': %s", path, strerror(errno));
    }
out:
    return st;
}

void rb_snapshot_detach(sqlite3 *db)
{
    sqlite3_exec(db, "DETACH " SCHEMA, NULL, NULL, NULL);
}

/* The import id recorded in the snapshot attached to db (0 for none). */
static rb_status snapshot_import_id(sqlite3 *db, int64_t *id, rb_error *err)
{
    sqlite3_stmt *q = NULL;
    rb_status st = RB_OK;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(import_id), 0) FROM " SCHEMA ".snapshot_import", -1, &q, NULL) !=
            SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW)
        st = rb_db_fail(db, "reading the snapshot's import", err);
    else
        *id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return st;
}

rb_status rb_snapshot_is_current(sqlite3 *db, bool *current, rb_error *err)
{
    *current = false;
    int64_t attached = 0, last = 0;
    rb_status st = snapshot_import_id(db, &attached, err);
    if (st != RB_OK)
        return st;
    if (attached == 0) {
        /* An in-memory (empty) snapshot is stale once a file exists. */
        const char *file = sqlite3_db_filename(db, SCHEMA);
        rb_strbuf path = RB_STRBUF_INIT;
        struct stat sb;
        if ((st = rb_snapshot_path(db, "", &path, err)) == RB_OK)
            *current = (file != NULL && file[0] != '\0') || lstat(path.buf, &sb) != 0;
        rb_strbuf_release(&path);
        return st;
    }
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(import_id), 0) FROM main.imports", -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW)
        st = rb_db_fail(db, "reading the import history", err);
    else
        last = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    *current = st == RB_OK && attached == last;
    return st;
}

rb_status rb_snapshot_open_reader(sqlite3 *db, sqlite3 **out, rb_error *err)
{
    *out = NULL;
    const char *path = sqlite3_db_filename(db, "main");
    if (path == NULL || path[0] == '\0')
        return rb_fail(err, RB_E_INTERNAL, "an in-memory database has no second connection");
    sqlite3 *reader = NULL;
    int rc = sqlite3_open_v2(path, &reader,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK) {
        /* Out of memory is no missing input. */
        rb_status st = reader == NULL || (rc & 0xff) == SQLITE_NOMEM
                           ? rb_fail(err, RB_E_INTERNAL, "out of memory opening database '%s' for reading", path)
                           : rb_fail(err, RB_E_NOINPUT, "cannot open database '%s' for reading: %s", path,
                                     sqlite3_errmsg(reader));
        sqlite3_close(reader);
        return st;
    }
    sqlite3_busy_timeout(reader, 10000);
    int64_t mine = 0, theirs = 0;
    rb_status st = rb_snapshot_attach(reader, err);
    if (st == RB_OK)
        st = snapshot_import_id(db, &mine, err);
    if (st == RB_OK)
        st = snapshot_import_id(reader, &theirs, err);
    if (st == RB_OK && mine != theirs)
        st = rb_fail(err, RB_E_LOCKED, "the snapshot of '%s' changed during the run; run again", path);
    if (st != RB_OK) {
        sqlite3_close(reader);
        return st;
    }
    *out = reader;
    return RB_OK;
}

rb_status rb_snapshot_repair_history(sqlite3 *db, rb_error *err)
{
    static const char missing_sql[] =
        "SELECT count(*) FROM " SCHEMA ".snapshot_import s"
        " WHERE NOT EXISTS (SELECT 1 FROM main.imports i WHERE i.import_id = s.import_id)";
    static const char copy_sql[] =
        "INSERT INTO main.imports (import_id, started_at, finished_at, source_dir, encoding)"
        " SELECT import_id, started_at, finished_at, source_dir, encoding FROM " SCHEMA ".snapshot_import s"
        " WHERE NOT EXISTS (SELECT 1 FROM main.imports i WHERE i.import_id = s.import_id);"
        "INSERT INTO main.import_files (import_id, file, sha256, encoding, rows_read, rows_loaded, rows_rejected,"
        " rows_duplicate, rows_conflicting)"
        " SELECT import_id, file, sha256, encoding, rows_read, rows_loaded, rows_rejected, rows_duplicate,"
        " rows_conflicting FROM " SCHEMA ".snapshot_import_files s"
        " WHERE NOT EXISTS (SELECT 1 FROM main.import_files i WHERE i.import_id = s.import_id AND i.file = s.file);";
    sqlite3_stmt *q = NULL;
    int missing = 0;
    if (sqlite3_prepare_v2(db, missing_sql, -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        return rb_db_fail(db, "comparing the snapshot with the import history", err);
    }
    missing = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (missing == 0)
        return RB_OK;
    rb_status st = rb_db_begin(db, err);
    if (st != RB_OK)
        return st;
    if ((st = rb_db_exec(db, copy_sql, "recording the import of the snapshot in the history", err)) != RB_OK ||
        (st = rb_db_commit(db, err)) != RB_OK)
        rb_db_rollback(db);
    return st;
}

/* ----------------------------------------------------------------- builder */

struct rb_snapshot_builder {
    sqlite3 *db;
    sqlite3_stmt *insert_months;
    rb_strbuf packed;
    rb_strbuf path_new;   /* "" once it is the snapshot */
    rb_strbuf path_final;
    bool copied;          /* a copy of the snapshot: its indexes are there */
};

sqlite3 *rb_snapshot_builder_db(rb_snapshot_builder *b)
{
    return b->db;
}

static rb_status write_failed(const char *path, rb_error *err)
{
    return rb_fail(err, RB_E_CANTWRITE, "cannot write the snapshot '%s': %s", path, strerror(errno));
}

static rb_status builder_open(sqlite3 *main_db, int cache_kib, bool copy, rb_snapshot_builder **out, rb_error *err)
{
    *out = NULL;
    rb_snapshot_builder *b = rb_calloc(1, sizeof *b);
    if (b == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory starting a snapshot");
    rb_strbuf_init(&b->packed);
    rb_strbuf_init(&b->path_new);
    rb_strbuf_init(&b->path_final);
    rb_status st;
    if ((st = rb_snapshot_path(main_db, ".new", &b->path_new, err)) != RB_OK ||
        (st = rb_snapshot_path(main_db, "", &b->path_final, err)) != RB_OK)
        goto fail;
    /* A crash of an earlier import may have left one: it was never published. */
    if (unlink(b->path_new.buf) != 0 && errno != ENOENT) {
        st = rb_fail(err, RB_E_CANTWRITE, "cannot remove the unfinished snapshot '%s': %s", b->path_new.buf,
                     strerror(errno));
        goto fail;
    }
    int fd = open(b->path_new.buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) {
        st = write_failed(b->path_new.buf, err);
        goto fail;
    }
    b->copied = copy;
    if (copy && (st = rb_fs_copy_into(b->path_final.buf, fd, b->path_new.buf, err)) != RB_OK) {
        close(fd);
        goto fail;
    }
    close(fd);
    if (sqlite3_open_v2(b->path_new.buf, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
                        NULL) != SQLITE_OK) {
        st = rb_fail(err, RB_E_CANTWRITE, "cannot open the new snapshot '%s': %s", b->path_new.buf,
                     b->db ? sqlite3_errmsg(b->db) : "out of memory");
        goto fail;
    }
    /* One writer, one bulk load, published by rename only once complete: a
     * journal and fsyncs would only write everything twice. */
    char pragmas[512];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA page_size = 16384;"
             "PRAGMA journal_mode = OFF;"
             "PRAGMA synchronous = OFF;"
             "PRAGMA locking_mode = EXCLUSIVE;"
             "PRAGMA cache_size = -%d;"
             "PRAGMA user_version = %d;",
             cache_kib > 0 ? cache_kib : 2048, RB_SNAPSHOT_FORMAT);
    if ((st = rb_db_exec(b->db, pragmas, "setting up the new snapshot", err)) != RB_OK ||
        (st = rb_db_exec(b->db, "BEGIN", "starting the new snapshot", err)) != RB_OK ||
        (!copy && (st = rb_db_exec_file(b->db, "snapshot.sql", err)) != RB_OK))
        goto fail;
    if (sqlite3_prepare_v3(b->db, "INSERT INTO contribution_months (uscc, months, packed) VALUES (?1, ?2, ?3)", -1,
                           SQLITE_PREPARE_PERSISTENT, &b->insert_months, NULL) != SQLITE_OK) {
        st = rb_db_fail(b->db, "preparing the snapshot statements", err);
        goto fail;
    }
    *out = b;
    return RB_OK;
fail:
    rb_snapshot_abandon(b);
    return st;
}

rb_status rb_snapshot_create(sqlite3 *main_db, int cache_kib, rb_snapshot_builder **out, rb_error *err)
{
    return builder_open(main_db, cache_kib, false, out, err);
}

rb_status rb_snapshot_copy(sqlite3 *main_db, int cache_kib, rb_snapshot_builder **out, rb_error *err)
{
    return builder_open(main_db, cache_kib, true, out, err);
}

rb_status rb_snapshot_add_months(rb_snapshot_builder *b, const char *uscc, const rb_month *months, size_t n,
                                 rb_error *err)
{
    rb_strbuf_reset(&b->packed);
    if (!rb_months_pack(months, n, &b->packed))
        return rb_fail(err, RB_E_INTERNAL, "out of memory packing the months of %s", uscc);
    sqlite3_stmt *s = b->insert_months;
    sqlite3_bind_text(s, 1, uscc, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)n);
    sqlite3_bind_blob(s, 3, b->packed.buf, (int)b->packed.len, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return rb_db_fail(b->db, "writing the months of a firm into the new snapshot", err);
    return RB_OK;
}

static void close_builder(rb_snapshot_builder *b)
{
    sqlite3_finalize(b->insert_months);
    b->insert_months = NULL;
    sqlite3_close(b->db);
    b->db = NULL;
}

void rb_snapshot_abandon(rb_snapshot_builder *b)
{
    if (b == NULL)
        return;
    close_builder(b);
    if (b->path_new.len > 0)
        unlink(b->path_new.buf);
    rb_strbuf_release(&b->packed);
    rb_strbuf_release(&b->path_new);
    rb_strbuf_release(&b->path_final);
    free(b);
}

/* The folder of a path, for its fsync. */
static bool folder_of(const char *path, rb_strbuf *out)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return rb_strbuf_adds(out, ".");
    if (slash == path)
        return rb_strbuf_adds(out, "/");
    return rb_strbuf_add(out, path, (size_t)(slash - path));
}

rb_status rb_snapshot_publish(rb_snapshot_builder *b, bool *published, rb_error *err)
{
    rb_status st;
    *published = false;
    if ((!b->copied && (st = rb_db_exec_file(b->db, "snapshot_indexes.sql", err)) != RB_OK) ||
        (st = rb_db_exec(b->db, "COMMIT", "finishing the new snapshot", err)) != RB_OK)
        goto fail;
    sqlite3_finalize(b->insert_months);
    b->insert_months = NULL;
    if (sqlite3_close(b->db) != SQLITE_OK) {
        st = rb_db_fail(b->db, "closing the new snapshot", err);
        goto fail;
    }
    b->db = NULL;
    /* Durable before it gets its name: SQLite wrote it without fsync. */
    int fd = open(b->path_new.buf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        st = write_failed(b->path_new.buf, err);
        if (fd >= 0)
            close(fd);
        goto fail;
    }
    close(fd);
    if (rename(b->path_new.buf, b->path_final.buf) != 0) {
        st = rb_fail(err, RB_E_CANTWRITE, "cannot rename '%s' to '%s': %s", b->path_new.buf, b->path_final.buf,
                     strerror(errno));
        goto fail;
    }
    rb_strbuf_reset(&b->path_new); /* it is the snapshot now: never remove it */
    *published = true;
    rb_strbuf folder = RB_STRBUF_INIT;
    st = folder_of(b->path_final.buf, &folder) ? rb_fs_sync_dir(folder.buf, err)
                                               : rb_fail(err, RB_E_INTERNAL, "out of memory");
    rb_strbuf_release(&folder);
    rb_snapshot_abandon(b);
    return st;
fail:
    rb_snapshot_abandon(b);
    return st;
}
