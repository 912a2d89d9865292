/* The SQL files of sql/, compiled into the library by cmake/embed_data.cmake. */
#ifndef REBATE_SQL_FILES_H
#define REBATE_SQL_FILES_H

#include <stddef.h>

typedef struct rb_sql_file {
    const char *name; /* file name, e.g. "001_snapshot.sql" */
    const char *text; /* its contents, NUL-terminated */
} rb_sql_file;

/* All files of sql/, sorted by name. */
extern const rb_sql_file rb_sql_files[];
extern const size_t rb_sql_file_count;

/* The text of sql/<name>, or NULL when there is no such file. */
const char *rb_sql_text(const char *name);

#endif
