/* Data files compiled into the library by cmake/embed_data.cmake: the
 * holiday calendars of data/holidays/ and the region names of
 * data/regions.tsv, so that the installed program needs no data directory. */
#ifndef REBATE_DATA_FILES_H
#define REBATE_DATA_FILES_H

#include <stddef.h>

typedef struct rb_data_file {
    const char *name; /* file name, e.g. "2021.txt" */
    const char *text; /* its contents, NUL-terminated */
} rb_data_file;

/* data/holidays/<year>.txt, sorted by name. */
extern const rb_data_file rb_holiday_files[];
extern const size_t rb_holiday_files_count;

/* data/regions.tsv (one file). */
extern const rb_data_file rb_region_files[];
extern const size_t rb_region_files_count;

/* The text of data/regions.tsv ("" when it was not compiled in). */
const char *rb_region_names_text(void);

#endif
